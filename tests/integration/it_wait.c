/* it_wait: a GET made before any PUT waits for the writer.
 *
 * - With the default LIVELOG_WRITER_WAIT (60 s), a GET issued before the
 *   PUT stays open, then gets 200 and every byte once the writer comes.
 * - With LIVELOG_WRITER_WAIT=1 a GET before any PUT is answered 503 with
 *   Retry-After after about one second; the server then still takes a PUT
 *   and serves it.
 * - `--writer-wait 1` overrides LIVELOG_WRITER_WAIT=60. */
#include "harness.h"

#include <inttypes.h>
#include <string.h>

#define TOKEN "wait-token"

static void waits_then_streams(void)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN};
    struct hs_reader r;
    struct hs_writer w = {
        .seed = 11, .total = 300000, .chunk = 10000, .delay_us = 2000};
    struct hs_reader *all[1] = {&r};
    CURLM *m = curl_multi_init();
    char path[300], v[64];
    unsigned char want[32], got[32];
    int64_t end;

    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    hs_reader_init(&r, &s, path, NULL);
    r.verify = true;
    r.seed = 11;
    curl_multi_add_handle(m, r.easy);
    end = hs_now_ms() + 1000;
    for (int i = 0; i < 100000 && hs_now_ms() < end; i++)
        hs_multi_step(m, 10);
    HS_CHECK(!r.done,
             "GET before PUT finished (status %ld) instead of waiting for "
             "the writer",
             r.status);
    HS_CHECK(r.got == 0, "GET before PUT got %" PRIu64 " bytes from nowhere",
             r.got);

    w.srv = &s;
    hs_writer_start(&w);
    HS_CHECK(hs_multi_wait_all(m, all, 1, 30000),
             "the waiting GET did not finish within 30 s of the PUT");
    hs_writer_join(&w);
    HS_CHECK(w.result == CURLE_OK && w.status == 201,
             "PUT should be 201, got %ld (%s)", w.status, w.errbuf);
    HS_CHECK(r.result == CURLE_OK && r.status == 200,
             "waiting GET: want 200 and a clean end, got %ld (%s)", r.status,
             r.errbuf);
    HS_CHECK(r.got == w.total && r.mismatch_at == UINT64_MAX,
             "waiting GET got %" PRIu64 " of %" PRIu64
             " bytes, first mismatch at %" PRIu64,
             r.got, w.total, r.mismatch_at);
    hs_reader_sha256(&r, got);
    hs_gen_sha256(11, w.total, want);
    HS_CHECK(memcmp(got, want, 32) == 0, "waiting GET: SHA-256 differs");
    HS_CHECK(hs_reader_header(&r, "Content-Type", v, sizeof(v)) != NULL &&
                 strcmp(v, "text/plain; charset=utf-8") == 0,
             "waiting GET: Content-Type");
    curl_multi_remove_handle(m, r.easy);
    hs_reader_cleanup(&r);
    curl_multi_cleanup(m);
    hs_stop_and_check(&s, NULL);
}

static void times_out(const char *what, const struct hs_opts *o, bool then_put)
{
    struct hs_server s;
    struct hs_resp r;
    char path[300], v[64];
    int64_t t0, dt;

    hs_start(&s, o);
    hs_log_path(&s, path, sizeof(path));
    t0 = hs_now_ms();
    hs_request(&s, true, "GET", path, NULL, NULL, 0, 20000, &r);
    dt = hs_now_ms() - t0;
    HS_CHECK(r.result == CURLE_OK && r.status == 503,
             "%s: GET before PUT should end in 503, got %ld (%s) after %lld ms",
             what, r.status, curl_easy_strerror(r.result), (long long)dt);
    HS_CHECK(dt >= 800 && dt <= 5000,
             "%s: 503 should come after about 1 s of waiting, came after %lld "
             "ms",
             what, (long long)dt);
    HS_CHECK(hs_header(r.headers, "Retry-After", v, sizeof(v)) != NULL,
             "%s: 503 must carry Retry-After", what);
    hs_resp_free(&r);

    if (then_put) {
        hs_request(&s, false, "PUT", "/log", NULL, "late writer\n", 12, 10000,
                   &r);
        HS_CHECK(r.status == 201, "%s: PUT after a 503 should be 201, got %ld",
                 what, r.status);
        hs_resp_free(&r);
        hs_request(&s, true, "GET", path, NULL, NULL, 0, 10000, &r);
        HS_CHECK(r.status == 200 && r.len == 12 &&
                     memcmp(r.body, "late writer\n", 12) == 0,
                 "%s: GET after the late PUT: status %ld, %zu bytes", what,
                 r.status, r.len);
        hs_resp_free(&r);
    }
    hs_stop_and_check(&s, NULL);
}

int main(int argc, char **argv)
{
    static const char *const env1[] = {"LIVELOG_WRITER_WAIT=1", NULL};
    static const char *const env60[] = {"LIVELOG_WRITER_WAIT=60", NULL};
    static const char *const flag[] = {"--writer-wait", "1", NULL};
    struct hs_opts o1 = {.token = TOKEN, .env = env1};
    struct hs_opts o2 = {.token = TOKEN, .env = env60, .args = flag};

    hs_init(argc, argv, "wait");
    waits_then_streams();
    times_out("LIVELOG_WRITER_WAIT=1", &o1, true);
    times_out("--writer-wait 1 over LIVELOG_WRITER_WAIT=60", &o2, false);
    return hs_finish();
}
