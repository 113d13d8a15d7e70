/* it_interrupted: a writer that disconnects mid-body.
 *
 * 1. Chunked: the real `curl -T -` is SIGKILLed after 100,000 bytes.
 *    Readers that were following (one of them started before the PUT) end
 *    cleanly (200, proper end of body) with exactly the bytes written; a
 *    later GET is 200 with Livelog-State: interrupted, Content-Length
 *    100000 and those bytes; Range works on it with the complete length
 *    known; a new PUT is 400 (a PUT already happened).
 * 2. Content-Length: a raw socket announces 1,000,000 bytes, sends 5,000 and
 *    closes. The log keeps the 5,000 bytes, state interrupted.
 * The server must not log an error for either (a writer vanishing is an
 * environmental surprise: warning at most). */
#include "harness.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TOKEN "interrupted-token"
#define SEED 71

static void check_state(const struct hs_server *s, const char *path,
                        uint64_t len, const char *what)
{
    struct hs_reader r;
    char v[64], want[32];
    hs_reader_init(&r, s, path, NULL);
    r.verify = true;
    r.seed = SEED;
    curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, 10000L);
    r.result = curl_easy_perform(r.easy);
    curl_easy_getinfo(r.easy, CURLINFO_RESPONSE_CODE, &r.status);
    HS_CHECK(r.result == CURLE_OK && r.status == 200,
             "%s: GET of the interrupted log: status %ld (%s)", what, r.status,
             r.errbuf);
    HS_CHECK(r.got == len && r.mismatch_at == UINT64_MAX,
             "%s: GET of the interrupted log: %" PRIu64 " bytes (want %" PRIu64
             "), first mismatch %" PRIu64,
             what, r.got, len, r.mismatch_at);
    HS_CHECK(hs_reader_header(&r, "Livelog-State", v, sizeof(v)) != NULL &&
                 strcmp(v, "interrupted") == 0,
             "%s: Livelog-State should be interrupted, got %s", what,
             hs_reader_header(&r, "Livelog-State", v, sizeof(v)) ? v
                                                                 : "(none)");
    snprintf(want, sizeof(want), "%" PRIu64, len);
    HS_CHECK(hs_reader_header(&r, "Content-Length", v, sizeof(v)) != NULL &&
                 strcmp(v, want) == 0,
             "%s: the interrupted log is finished: Content-Length should be "
             "%s",
             what, want);
    hs_reader_cleanup(&r);
}

static void chunked_writer_killed(void)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN};
    struct hs_curl_writer cw;
    struct hs_reader rs[3];
    struct hs_reader *all[3] = {&rs[0], &rs[1], &rs[2]};
    CURLM *m = curl_multi_init();
    char path[300], v[128];
    unsigned char buf[10000];
    const uint64_t total = 100000;
    struct hs_resp resp;

    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    for (int i = 0; i < 3; i++) {
        hs_reader_init(&rs[i], &s, path, NULL);
        rs[i].verify = true;
        rs[i].seed = SEED;
        curl_easy_setopt(rs[i].easy, CURLOPT_TIMEOUT_MS, 30000L);
    }
    curl_multi_add_handle(m, rs[0].easy); /* before the PUT */
    hs_multi_step(m, 50);
    hs_curl_writer_start(&cw, &s);
    for (uint64_t off = 0; off < total; off += sizeof(buf)) {
        hs_gen(SEED, off, buf, sizeof(buf));
        HS_REQUIRE(hs_curl_writer_write(&cw, buf, sizeof(buf)), "write");
        if (off == 50000) {
            curl_multi_add_handle(m, rs[1].easy);
            curl_multi_add_handle(m, rs[2].easy);
        }
        hs_multi_step(m, 5);
    }
    HS_REQUIRE(hs_wait_log_len(&s, total, 10000),
               "the server never had all %" PRIu64 " bytes", total);
    /* Let the followers catch up, then kill the writer. */
    for (int i = 0; i < 2000; i++) {
        hs_multi_step(m, 5);
        if (rs[0].got >= total && rs[1].got >= total && rs[2].got >= total)
            break;
    }
    HS_CHECK(!rs[0].done && !rs[1].done && !rs[2].done,
             "followers ended while the writer was still connected");
    hs_curl_writer_kill(&cw);
    HS_CHECK(hs_multi_wait_all(m, all, 3, 5000),
             "followers did not end within 5 s of the writer's death");
    for (int i = 0; i < 3; i++) {
        HS_CHECK(rs[i].result == CURLE_OK && rs[i].status == 200,
                 "follower %d: want 200 and a clean end after the writer "
                 "died, got %ld, %s (%s)",
                 i, rs[i].status, curl_easy_strerror(rs[i].result),
                 rs[i].errbuf);
        HS_CHECK(rs[i].got == total && rs[i].mismatch_at == UINT64_MAX,
                 "follower %d: %" PRIu64 " bytes (want %" PRIu64
                 "), first mismatch %" PRIu64,
                 i, rs[i].got, total, rs[i].mismatch_at);
        curl_multi_remove_handle(m, rs[i].easy);
        hs_reader_cleanup(&rs[i]);
    }
    curl_multi_cleanup(m);

    check_state(&s, path, total, "chunked");
    {
        struct hs_reader r;
        hs_reader_init(&r, &s, path, "bytes=-10");
        r.result = curl_easy_perform(r.easy);
        curl_easy_getinfo(r.easy, CURLINFO_RESPONSE_CODE, &r.status);
        HS_CHECK(
            r.status == 206 &&
                hs_reader_header(&r, "Content-Range", v, sizeof(v)) &&
                strcmp(v, "bytes 99990-99999/100000") == 0,
            "Range bytes=-10 on the interrupted log: status %ld, "
            "Content-Range %s",
            r.status,
            hs_reader_header(&r, "Content-Range", v, sizeof(v)) ? v : "(none)");
        hs_reader_cleanup(&r);
    }
    hs_request(&s, false, "PUT", "/log", NULL, "again", 5, 10000, &resp);
    HS_CHECK(resp.status == 400,
             "a PUT after an interrupted PUT should be 400, got %ld",
             resp.status);
    hs_resp_free(&resp);
    check_state(&s, path, total, "chunked, after the rejected PUT");
    hs_stop_and_check(&s, NULL);
}

static void content_length_cut(void)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN};
    struct hs_reader r;
    struct hs_reader *all[1] = {&r};
    CURLM *m = curl_multi_init();
    struct sockaddr_in sa;
    char path[300], head[256];
    unsigned char buf[5000];
    int fd, n;

    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    HS_REQUIRE(fd >= 0, "socket");
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s.put_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    HS_REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
               "connect to the write port");
    n = snprintf(head, sizeof(head),
                 "PUT /log HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 "Content-Length: 1000000\r\n\r\n",
                 s.put_port);
    HS_REQUIRE(n > 0 && write(fd, head, (size_t)n) == n, "send head");
    hs_gen(SEED, 0, buf, sizeof(buf));
    HS_REQUIRE(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
               "send body");
    HS_REQUIRE(hs_wait_log_len(&s, sizeof(buf), 10000),
               "the server never had the 5000 bytes");
    hs_reader_init(&r, &s, path, NULL);
    r.verify = true;
    r.seed = SEED;
    curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, 30000L);
    curl_multi_add_handle(m, r.easy);
    for (int i = 0; i < 1000 && r.got < sizeof(buf); i++)
        hs_multi_step(m, 5);
    close(fd);
    HS_CHECK(hs_multi_wait_all(m, all, 1, 5000),
             "the follower did not end within 5 s of the writer's close");
    HS_CHECK(r.result == CURLE_OK && r.status == 200 && r.got == sizeof(buf) &&
                 r.mismatch_at == UINT64_MAX,
             "Content-Length writer cut: follower got status %ld, %" PRIu64
             " bytes, %s",
             r.status, r.got, curl_easy_strerror(r.result));
    curl_multi_remove_handle(m, r.easy);
    hs_reader_cleanup(&r);
    curl_multi_cleanup(m);
    check_state(&s, path, sizeof(buf), "Content-Length");
    hs_stop_and_check(&s, NULL);
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "interrupted");
    chunked_writer_killed();
    content_length_cut();
    return hs_finish();
}
