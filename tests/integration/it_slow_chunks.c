/* it_slow_chunks: a reader that started before the writer follows 5,000
 * small chunks written about 1 ms apart and gets every byte, in order.
 *
 * The writer is libcurl in its own thread (chunked PUT, ~800-byte chunks of
 * varying size, 1 ms sleep before each); the readers (one started before
 * the PUT, one started midway) run on a multi handle in the main thread and
 * compare every byte against the generator as it arrives. Also checks that
 * the first reader saw data while the writer was still going (it follows,
 * it does not wait for the end). */
#include "harness.h"

#include <inttypes.h>
#include <string.h>

#define TOKEN "slow-chunks-token"
#define SEED 21
#define CHUNKS 5000
#define CHUNK 800

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN, .log_level = "info"};
    struct hs_reader early, mid;
    struct hs_reader *all[2] = {&early, &mid};
    struct hs_writer w = {
        .seed = SEED, .chunk = CHUNK, .jitter = true, .delay_us = 1000};
    CURLM *m;
    char path[300];
    unsigned char want[32], got[32];
    uint64_t total = 0, got_at_half = 0;
    bool mid_added = false;
    int64_t deadline;

    hs_init(argc, argv, "slow_chunks");
    for (uint64_t k = 0; k < CHUNKS; k++)
        total += CHUNK - k % 101;
    w.total = total;
    m = curl_multi_init();
    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));

    hs_reader_init(&early, &s, path, NULL);
    early.verify = true;
    early.seed = SEED;
    curl_multi_add_handle(m, early.easy);
    hs_multi_step(m, 50);
    hs_reader_init(&mid, &s, path, NULL);
    mid.verify = true;
    mid.seed = SEED;

    w.srv = &s;
    hs_writer_start(&w);
    deadline = hs_now_ms() + 45000;
    for (long i = 0; i < 10000000; i++) {
        hs_multi_step(m, 5);
        if (!mid_added && atomic_load(&w.sent) >= total / 2) {
            got_at_half = early.got;
            curl_multi_add_handle(m, mid.easy);
            mid_added = true;
        }
        if (early.done && (!mid_added || mid.done) && atomic_load(&w.finished))
            break;
        if (hs_now_ms() > deadline)
            break;
    }
    hs_writer_join(&w);
    if (!mid_added) {
        curl_multi_add_handle(m, mid.easy);
        mid_added = true;
    }
    HS_CHECK(hs_multi_wait_all(m, all, 2, 10000), "readers did not finish");
    hs_log("writer: %" PRIu64 " bytes in %lld ms", total,
           (long long)w.elapsed_ms);

    HS_CHECK(w.result == CURLE_OK && w.status == 201,
             "PUT should be 201, got %ld (%s)", w.status, w.errbuf);
    /* Live delivery: when the writer is half-way, the reader that started
     * first already has bytes (it does not wait for the end). */
    HS_CHECK(got_at_half > 0 && got_at_half < total,
             "the early reader should receive data while the writer is still "
             "writing (had %" PRIu64 " of %" PRIu64 " when half was sent)",
             got_at_half, total);
    hs_gen_sha256(SEED, total, want);
    for (int i = 0; i < 2; i++) {
        struct hs_reader *r = all[i];
        const char *name = i == 0 ? "early reader" : "mid-stream reader";
        HS_CHECK(r->result == CURLE_OK && r->status == 200,
                 "%s: want 200 and a clean end, got %ld (%s)", name, r->status,
                 r->errbuf);
        HS_CHECK(r->got == total, "%s: got %" PRIu64 " of %" PRIu64 " bytes",
                 name, r->got, total);
        HS_CHECK(r->mismatch_at == UINT64_MAX,
                 "%s: first wrong byte at offset %" PRIu64, name,
                 r->mismatch_at);
        hs_reader_sha256(r, got);
        HS_CHECK(memcmp(got, want, 32) == 0, "%s: SHA-256 differs", name);
        curl_multi_remove_handle(m, r->easy);
        hs_reader_cleanup(r);
    }
    curl_multi_cleanup(m);
    hs_stop_and_check(&s, NULL);
    return hs_finish();
}
