/* it_throttled: a reader limited to 1 MB/s while the writer sends at about
 * 50 MB/s is neither dropped nor short-changed: it gets every byte
 * (SHA-256), long after the writer finished. A second, unthrottled reader
 * finishes about when the writer does, so the slow one holds nobody back.
 *
 * Sizes: 24 MB (about 24 s for the slow reader); 8 MB with
 * LIVELOG_SANITIZED=1. */
#include "harness.h"

#include <inttypes.h>
#include <string.h>

#define TOKEN "throttle-token"
#define SEED 41

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN, .log_level = "info"};
    struct hs_reader slow, fast;
    struct hs_reader *all[2] = {&slow, &fast};
    struct hs_writer w = {.seed = SEED,
                          .chunk = 64 * 1024,
                          .max_speed = 50 * 1000 * 1000,
                          .timeout_ms = 60000};
    CURLM *m;
    char path[300];
    unsigned char want[32], got[32];
    uint64_t total;
    int64_t t0;

    hs_init(argc, argv, "throttled");
    total = (uint64_t)(hs_sanitized() ? 8 : 24) * 1000 * 1000;
    w.total = total;
    hs_gen_sha256(SEED, total, want);
    m = curl_multi_init();
    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));

    hs_reader_init(&slow, &s, path, NULL);
    curl_easy_setopt(slow.easy, CURLOPT_MAX_RECV_SPEED_LARGE,
                     (curl_off_t)1000 * 1000);
    curl_easy_setopt(slow.easy, CURLOPT_BUFFERSIZE, 16L * 1024);
    curl_easy_setopt(slow.easy, CURLOPT_TIMEOUT_MS, 100000L);
    hs_reader_init(&fast, &s, path, NULL);
    curl_easy_setopt(fast.easy, CURLOPT_TIMEOUT_MS, 100000L);
    curl_multi_add_handle(m, slow.easy);
    curl_multi_add_handle(m, fast.easy);

    w.srv = &s;
    t0 = hs_now_ms();
    hs_writer_start(&w);
    HS_CHECK(hs_multi_wait_all(m, all, 2, 100000),
             "readers did not finish within 100 s");
    hs_writer_join(&w);
    hs_log("writer %lld ms; fast reader %lld ms; slow reader %lld ms "
           "(%" PRIu64 " bytes)",
           (long long)w.elapsed_ms, (long long)(fast.done_ms - t0),
           (long long)(slow.done_ms - t0), slow.got);

    HS_CHECK(w.result == CURLE_OK && w.status == 201,
             "PUT should be 201, got %ld (%s)", w.status, w.errbuf);
    HS_CHECK(fast.done && slow.done && fast.done_ms <= slow.done_ms,
             "the unthrottled reader should finish before the throttled one");
    HS_CHECK(fast.done && fast.done_ms - t0 < 15000,
             "the unthrottled reader took %lld ms for %" PRIu64
             " bytes: the slow reader is holding it back",
             (long long)(fast.done_ms - t0), total);
    for (int i = 0; i < 2; i++) {
        struct hs_reader *r = all[i];
        const char *name = i == 0 ? "throttled reader" : "unthrottled reader";
        HS_CHECK(r->result == CURLE_OK && r->status == 200,
                 "%s: want 200 and a clean end, got %ld (%s)", name, r->status,
                 r->errbuf);
        HS_CHECK(r->got == total, "%s: got %" PRIu64 " of %" PRIu64 " bytes",
                 name, r->got, total);
        hs_reader_sha256(r, got);
        HS_CHECK(memcmp(got, want, 32) == 0, "%s: SHA-256 differs", name);
        curl_multi_remove_handle(m, r->easy);
        hs_reader_cleanup(r);
    }
    curl_multi_cleanup(m);
    hs_stop_and_check(&s, NULL);
    return hs_finish();
}
