/* it_sigterm: SIGTERM with 1,000 suspended followers.
 *
 * A live log (the real `curl -T -` writer, idle after 1000 bytes) has 1,000
 * readers that all received those bytes and now wait for more (suspended
 * connections on the server). SIGTERM must make the server exit with
 * status 0 within 1 s, and every follower's response must end (the client
 * sees the transfer finish, whichever way) rather than hang. The test raises
 * its own RLIMIT_NOFILE (hs_init); the server raises its own. */
#include "harness.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define TOKEN "sigterm-token"
#define SEED 61
#define FOLLOWERS 1000
#define BATCH 100
#define FIRST 1000

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN, .log_level = "info"};
    struct hs_curl_writer cw;
    static struct hs_reader rs[FOLLOWERS];
    unsigned char first[FIRST];
    CURLM *m;
    char path[300];
    size_t added = 0, ready = 0, clean = 0, ended = 0;
    int64_t deadline;
    int st;

    hs_init(argc, argv, "sigterm");
    m = curl_multi_init();
    HS_REQUIRE(m != NULL, "curl_multi_init");
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)FOLLOWERS + 10);
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    hs_curl_writer_start(&cw, &s);
    hs_gen(SEED, 0, first, sizeof(first));
    HS_REQUIRE(hs_curl_writer_write(&cw, first, sizeof(first)),
               "write to curl");
    HS_REQUIRE(hs_wait_log_len(&s, FIRST, 10000), "first bytes never arrived");

    /* Connect the followers in batches; each must have the first bytes. */
    deadline = hs_now_ms() + 60000;
    while (ready < FOLLOWERS && hs_now_ms() < deadline) {
        if (added == ready && added < FOLLOWERS) {
            for (size_t k = 0; k < BATCH && added < FOLLOWERS; k++) {
                struct hs_reader *r = &rs[added++];
                hs_reader_init(r, &s, path, NULL);
                r->verify = true;
                r->seed = SEED;
                curl_easy_setopt(r->easy, CURLOPT_BUFFERSIZE, 16L * 1024);
                curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, 120000L);
                curl_multi_add_handle(m, r->easy);
            }
        }
        hs_multi_step(m, 10);
        ready = 0;
        for (size_t i = 0; i < added; i++) {
            if (rs[i].got >= FIRST && !rs[i].done)
                ready++;
            HS_REQUIRE(!rs[i].done,
                       "follower %zu ended before SIGTERM: status %ld, %s", i,
                       rs[i].status, rs[i].errbuf);
        }
    }
    HS_REQUIRE(ready == FOLLOWERS,
               "only %zu of %d followers have the first bytes after 60 s",
               ready, FOLLOWERS);
    hs_log("%d followers connected and waiting", FOLLOWERS);

    st = hs_stop(&s, 5000);
    hs_log("SIGTERM to exit: %lld ms (status 0x%x)", (long long)s.stop_ms, st);
    HS_CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "SIGTERM with %d followers: want exit code 0, got status 0x%x",
             FOLLOWERS, st);
    HS_CHECK(s.stop_ms <= 1000,
             "SIGTERM with %d followers: exit took %lld ms, want <= 1000 ms",
             FOLLOWERS, (long long)s.stop_ms);

    /* Every follower's response must end now. */
    deadline = hs_now_ms() + 5000;
    while (hs_now_ms() < deadline) {
        hs_multi_step(m, 10);
        ended = 0;
        for (size_t i = 0; i < FOLLOWERS; i++)
            ended += rs[i].done;
        if (ended == FOLLOWERS)
            break;
    }
    for (size_t i = 0; i < FOLLOWERS; i++) {
        clean += rs[i].done && rs[i].result == CURLE_OK;
        HS_CHECK(rs[i].mismatch_at == UINT64_MAX,
                 "follower %zu got wrong bytes at %" PRIu64, i,
                 rs[i].mismatch_at);
    }
    hs_log("%zu of %d followers ended (%zu with a clean end)", ended, FOLLOWERS,
           clean);
    HS_CHECK(ended == FOLLOWERS,
             "only %zu of %d followers' responses ended within 5 s of the "
             "server's exit",
             ended, FOLLOWERS);
    hs_curl_writer_kill(&cw);
    for (size_t i = 0; i < FOLLOWERS; i++) {
        curl_multi_remove_handle(m, rs[i].easy);
        hs_reader_cleanup(&rs[i]);
    }
    curl_multi_cleanup(m);
    HS_CHECK(hs_check_log(&s, NULL) == 0, "server log fails check-server-log");
    return hs_finish();
}
