/* it_tls: HTTPS on the read port (SERVER_CRT_FILE + SERVER_KEY_FILE with a
 * self-signed certificate the harness makes with the `openssl` command;
 * libcurl verifies it with CURLOPT_CAINFO).
 *
 * - /healthz and GET /log/<token> over TLS; 401 over TLS for a wrong token.
 * - Five TLS followers (started before the PUT) of a 16 MB stream (8 MB with
 *   LIVELOG_SANITIZED=1) written at ~40 MB/s get every byte (SHA-256), while
 *   a sixth TLS reader quits after 1 MB.
 * - Range over TLS on the finished log.
 * - Plain HTTP to the TLS port never gets the log. */
#include "harness.h"

#include <inttypes.h>
#include <string.h>

#define TOKEN "tls-token-abc"
#define SEED 81
#define NF 5

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN, .tls = true, .log_level = "info"};
    struct hs_reader rs[NF + 1];
    struct hs_reader *all[NF + 1];
    struct hs_writer w = {.seed = SEED,
                          .chunk = 64 * 1024,
                          .max_speed = 40 * 1000 * 1000,
                          .timeout_ms = 60000};
    struct hs_resp resp;
    CURLM *m;
    char path[300], v[128];
    unsigned char want[32], got[32];
    uint64_t total;

    hs_init(argc, argv, "tls");
    total = (uint64_t)(hs_sanitized() ? 8 : 16) * 1000 * 1000;
    w.total = total;
    hs_gen_sha256(SEED, total, want);
    m = curl_multi_init();
    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    HS_REQUIRE(strncmp(s.read_base, "https://", 8) == 0, "read base");

    hs_request(&s, true, "GET", "/log/not-the-token", NULL, NULL, 0, 10000,
               &resp);
    HS_CHECK(resp.result == CURLE_OK && resp.status == 401 && resp.len == 13 &&
                 memcmp(resp.body, "Access denied", 13) == 0,
             "TLS, wrong token: want 401 \"Access denied\", got %ld (%s) "
             "\"%.40s\"",
             resp.status, curl_easy_strerror(resp.result),
             (const char *)resp.body);
    hs_resp_free(&resp);

    for (int i = 0; i <= NF; i++) {
        hs_reader_init(&rs[i], &s, path, NULL);
        curl_easy_setopt(rs[i].easy, CURLOPT_TIMEOUT_MS, 60000L);
        all[i] = &rs[i];
        curl_multi_add_handle(m, rs[i].easy);
    }
    rs[NF].abort_after = 1000 * 1000;
    hs_multi_step(m, 100);
    w.srv = &s;
    hs_writer_start(&w);
    HS_CHECK(hs_multi_wait_all(m, all, NF + 1, 60000),
             "TLS readers did not finish within 60 s");
    hs_writer_join(&w);
    HS_CHECK(w.result == CURLE_OK && w.status == 201,
             "PUT should be 201, got %ld (%s)", w.status, w.errbuf);
    for (int i = 0; i < NF; i++) {
        hs_reader_sha256(&rs[i], got);
        HS_CHECK(rs[i].result == CURLE_OK && rs[i].status == 200,
                 "TLS reader %d: want 200 and a clean end, got %ld (%s)", i,
                 rs[i].status, rs[i].errbuf);
        HS_CHECK(rs[i].got == total && memcmp(got, want, 32) == 0,
                 "TLS reader %d: %" PRIu64 " of %" PRIu64 " bytes, sha %s", i,
                 rs[i].got, total,
                 memcmp(got, want, 32) == 0 ? "ok" : "differs");
    }
    HS_CHECK(rs[NF].result == CURLE_WRITE_ERROR,
             "the quitting TLS reader should have quit itself: %s",
             curl_easy_strerror(rs[NF].result));
    for (int i = 0; i <= NF; i++) {
        curl_multi_remove_handle(m, rs[i].easy);
        hs_reader_cleanup(&rs[i]);
    }
    curl_multi_cleanup(m);

    {
        struct hs_reader r;
        char cr[96];
        hs_reader_init(&r, &s, path, "bytes=100-199");
        r.verify = true;
        r.seed = SEED;
        r.start = 100;
        r.result = curl_easy_perform(r.easy);
        curl_easy_getinfo(r.easy, CURLINFO_RESPONSE_CODE, &r.status);
        snprintf(cr, sizeof(cr), "bytes 100-199/%" PRIu64, total);
        HS_CHECK(
            r.status == 206 && r.got == 100 && r.mismatch_at == UINT64_MAX &&
                hs_reader_header(&r, "Content-Range", v, sizeof(v)) &&
                strcmp(v, cr) == 0,
            "TLS Range bytes=100-199: status %ld, %" PRIu64
            " bytes, Content-Range %s (want %s)",
            r.status, r.got,
            hs_reader_header(&r, "Content-Range", v, sizeof(v)) ? v : "(none)",
            cr);
        hs_reader_cleanup(&r);
    }

    /* Plain HTTP to the TLS port must not serve the log. */
    {
        struct hs_server plain = s;
        snprintf(plain.read_base, sizeof(plain.read_base),
                 "http://127.0.0.1:%d", s.get_port);
        plain.tls = false;
        hs_request(&plain, true, "GET", path, NULL, NULL, 0, 5000, &resp);
        HS_CHECK(!(resp.status == 200 && resp.len > 0),
                 "plain HTTP on the TLS port served the log (%zu bytes)",
                 resp.len);
        hs_resp_free(&resp);
    }
    hs_stop_and_check(&s, NULL);
    return hs_finish();
}
