/* it_fanout: one 256 MiB stream, 50 concurrent readers, every reader gets
 * every byte (SHA-256 of each reader's body against the generator's).
 *
 * The writer is libcurl in its own thread (chunked PUT, as fast as it
 * goes); the 50 readers are on one multi handle in the main thread and hash
 * incrementally, so nothing big is kept in memory. While it runs, the
 * server's anonymous RSS is sampled: the log lives in a file in
 * LIVELOG_TEMP_DIR, so the server must not hold the stream in memory
 * (bound: half the stream size, checked in the plain build only).
 * With LIVELOG_SANITIZED=1: 64 MiB and 20 readers. */
#include "harness.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN "fanout-token-0123456789"
#define SEED 31
#define MAX_READERS 50

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN, .log_level = "info"};
    static struct hs_reader rs[MAX_READERS];
    struct hs_writer w = {
        .seed = SEED, .chunk = 256 * 1024, .timeout_ms = 150000};
    CURLM *m;
    char path[300], hex[65];
    unsigned char want[32];
    size_t n;
    uint64_t total;
    long rss_max = 0;
    int64_t t0, deadline, next_sample = 0;
    bool all_done = false;

    hs_init(argc, argv, "fanout");
    n = hs_sanitized() ? 20 : MAX_READERS;
    total = (uint64_t)(hs_sanitized() ? 64 : 256) << 20;
    w.total = total;
    hs_gen_sha256(SEED, total, want);
    hs_hex32(want, hex);
    hs_log("%zu readers, %" PRIu64 " bytes, sha256 %s", n, total, hex);

    m = curl_multi_init();
    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    w.srv = &s;
    t0 = hs_now_ms();
    hs_writer_start(&w);
    for (size_t i = 0; i < n; i++) {
        hs_reader_init(&rs[i], &s, path, NULL);
        curl_easy_setopt(rs[i].easy, CURLOPT_TIMEOUT_MS, 170000L);
        curl_multi_add_handle(m, rs[i].easy);
    }
    deadline = hs_now_ms() + 170000;
    for (long it = 0; it < 100000000 && hs_now_ms() < deadline; it++) {
        hs_multi_step(m, 20);
        if (hs_now_ms() >= next_sample && s.pid > 0) {
            long kib = hs_rss_anon_kib(s.pid);
            if (kib > rss_max)
                rss_max = kib;
            next_sample = hs_now_ms() + 100;
        }
        all_done = true;
        for (size_t i = 0; i < n && all_done; i++)
            all_done = rs[i].done;
        if (all_done)
            break;
    }
    hs_writer_join(&w);
    hs_log("writer %lld ms, readers done after %lld ms, server RssAnon max "
           "%ld KiB",
           (long long)w.elapsed_ms, (long long)(hs_now_ms() - t0), rss_max);

    HS_CHECK(w.result == CURLE_OK && w.status == 201,
             "PUT should be 201, got %ld (%s)", w.status, w.errbuf);
    HS_CHECK(all_done, "not every reader finished in time");
    for (size_t i = 0; i < n; i++) {
        unsigned char got[32];
        hs_reader_sha256(&rs[i], got);
        HS_CHECK(rs[i].result == CURLE_OK && rs[i].status == 200,
                 "reader %zu: want 200 and a clean end, got %ld (%s)", i,
                 rs[i].status, rs[i].errbuf);
        HS_CHECK(rs[i].got == total,
                 "reader %zu: got %" PRIu64 " of %" PRIu64 " bytes", i,
                 rs[i].got, total);
        HS_CHECK(memcmp(got, want, 32) == 0, "reader %zu: SHA-256 differs", i);
        curl_multi_remove_handle(m, rs[i].easy);
        hs_reader_cleanup(&rs[i]);
    }
    curl_multi_cleanup(m);
    if (!hs_sanitized())
        HS_CHECK(
            rss_max >= 0 && (uint64_t)rss_max * 1024 < total / 2,
            "server anonymous RSS peaked at %ld KiB while streaming %" PRIu64
            " bytes: the stream should live in LIVELOG_TEMP_DIR, not in "
            "memory",
            rss_max, total);
    hs_stop_and_check(&s, NULL);
    return hs_finish();
}
