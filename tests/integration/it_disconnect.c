/* it_disconnect: clients that vanish mid-stream do not disturb the others.
 *
 * While a writer streams 32 MB (16 MB with LIVELOG_SANITIZED=1) at about
 * 20 MB/s, these readers come and go:
 *   - one closes its connection after 1 MB (write callback aborts);
 *   - one closes right after the first bytes;
 *   - one resets its connection (SO_LINGER 0, RST) after 2 MB;
 *   - one stalls (reads ~1 KB/s, so the server's socket buffer fills) and
 *     is dropped by the client only after everyone else finished;
 *   - eight normal readers, half started at once, half midway.
 * The normal readers must get every byte (byte compare and SHA-256), the
 * writer must get its 201, a reader after the end must get the whole log,
 * and the server must log no error. */
#include "harness.h"

#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#define TOKEN "disconnect-token"
#define SEED 51
#define NORMAL 8

static int linger0(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    (void)ud;
    (void)purpose;
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    return CURL_SOCKOPT_OK;
}

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN, .log_level = "info"};
    static struct hs_reader normal[NORMAL];
    struct hs_reader quit1m, quit1, reset, stall;
    struct hs_reader *wait_for[NORMAL + 3];
    struct hs_writer w = {.seed = SEED,
                          .chunk = 64 * 1024,
                          .max_speed = 20 * 1000 * 1000,
                          .timeout_ms = 60000};
    CURLM *m;
    char path[300];
    unsigned char want[32];
    uint64_t total;
    bool late_added = false, ok;
    int64_t deadline;

    hs_init(argc, argv, "disconnect");
    total = (uint64_t)(hs_sanitized() ? 16 : 32) * 1000 * 1000;
    w.total = total;
    hs_gen_sha256(SEED, total, want);
    m = curl_multi_init();
    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));

    for (int i = 0; i < NORMAL; i++) {
        hs_reader_init(&normal[i], &s, path, NULL);
        normal[i].verify = true;
        normal[i].seed = SEED;
        curl_easy_setopt(normal[i].easy, CURLOPT_TIMEOUT_MS, 80000L);
        wait_for[i] = &normal[i];
    }
    hs_reader_init(&quit1m, &s, path, NULL);
    quit1m.abort_after = 1000 * 1000;
    hs_reader_init(&quit1, &s, path, NULL);
    quit1.abort_after = 1;
    hs_reader_init(&reset, &s, path, NULL);
    reset.abort_after = 2 * 1000 * 1000;
    curl_easy_setopt(reset.easy, CURLOPT_SOCKOPTFUNCTION, linger0);
    hs_reader_init(&stall, &s, path, NULL);
    curl_easy_setopt(stall.easy, CURLOPT_BUFFERSIZE, 1024L);
    curl_easy_setopt(stall.easy, CURLOPT_MAX_RECV_SPEED_LARGE,
                     (curl_off_t)1024);
    curl_easy_setopt(stall.easy, CURLOPT_TIMEOUT_MS, 0L);
    wait_for[NORMAL] = &quit1m;
    wait_for[NORMAL + 1] = &quit1;
    wait_for[NORMAL + 2] = &reset;

    for (int i = 0; i < NORMAL / 2; i++)
        curl_multi_add_handle(m, normal[i].easy);
    curl_multi_add_handle(m, quit1m.easy);
    curl_multi_add_handle(m, quit1.easy);
    curl_multi_add_handle(m, reset.easy);
    curl_multi_add_handle(m, stall.easy);
    w.srv = &s;
    hs_writer_start(&w);

    deadline = hs_now_ms() + 80000;
    ok = false;
    for (long it = 0; it < 100000000 && hs_now_ms() < deadline; it++) {
        hs_multi_step(m, 10);
        if (!late_added && atomic_load(&w.sent) >= total / 2) {
            for (int i = NORMAL / 2; i < NORMAL; i++)
                curl_multi_add_handle(m, normal[i].easy);
            late_added = true;
        }
        if (late_added) {
            ok = true;
            for (size_t i = 0; i < NORMAL + 3 && ok; i++)
                ok = wait_for[i]->done;
            if (ok)
                break;
        }
    }
    hs_writer_join(&w);
    HS_CHECK(ok, "readers did not finish within 80 s");
    HS_CHECK(w.result == CURLE_OK && w.status == 201,
             "PUT should be 201, got %ld (%s)", w.status, w.errbuf);
    HS_CHECK(!stall.done || stall.got < total,
             "the stalled reader should still be stalled");
    hs_log("writer %lld ms; stalled reader had %" PRIu64 " bytes",
           (long long)w.elapsed_ms, stall.got);
    for (int i = 0; i < NORMAL; i++) {
        unsigned char got[32];
        struct hs_reader *r = &normal[i];
        hs_reader_sha256(r, got);
        HS_CHECK(r->result == CURLE_OK && r->status == 200,
                 "reader %d: want 200 and a clean end, got %ld (%s)", i,
                 r->status, r->errbuf);
        HS_CHECK(r->got == total && r->mismatch_at == UINT64_MAX &&
                     memcmp(got, want, 32) == 0,
                 "reader %d: got %" PRIu64 " of %" PRIu64
                 " bytes, first mismatch at %" PRIu64 ", sha %s",
                 i, r->got, total, r->mismatch_at,
                 memcmp(got, want, 32) == 0 ? "ok" : "differs");
    }
    HS_CHECK(quit1m.result == CURLE_WRITE_ERROR &&
                 quit1.result == CURLE_WRITE_ERROR &&
                 reset.result == CURLE_WRITE_ERROR,
             "the quitting readers should have quit themselves (%d %d %d)",
             (int)quit1m.result, (int)quit1.result, (int)reset.result);

    /* Drop the stalled reader, then read the whole log once more. */
    curl_multi_remove_handle(m, stall.easy);
    hs_reader_cleanup(&stall);
    {
        struct hs_reader after;
        unsigned char got[32];
        hs_reader_init(&after, &s, path, NULL);
        curl_easy_setopt(after.easy, CURLOPT_TIMEOUT_MS, 30000L);
        after.result = curl_easy_perform(after.easy);
        curl_easy_getinfo(after.easy, CURLINFO_RESPONSE_CODE, &after.status);
        hs_reader_sha256(&after, got);
        HS_CHECK(after.result == CURLE_OK && after.status == 200 &&
                     after.got == total && memcmp(got, want, 32) == 0,
                 "reader after the end: status %ld, %" PRIu64
                 " bytes (%s), sha %s",
                 after.status, after.got, curl_easy_strerror(after.result),
                 memcmp(got, want, 32) == 0 ? "ok" : "differs");
        hs_reader_cleanup(&after);
    }
    for (int i = 0; i < NORMAL; i++) {
        curl_multi_remove_handle(m, normal[i].easy);
        hs_reader_cleanup(&normal[i]);
    }
    curl_multi_remove_handle(m, quit1m.easy);
    curl_multi_remove_handle(m, quit1.easy);
    curl_multi_remove_handle(m, reset.easy);
    hs_reader_cleanup(&quit1m);
    hs_reader_cleanup(&quit1);
    hs_reader_cleanup(&reset);
    curl_multi_cleanup(m);
    hs_stop_and_check(&s, NULL);
    return hs_finish();
}
