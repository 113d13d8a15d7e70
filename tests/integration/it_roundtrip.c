/* it_roundtrip: PUT then GET of the drop-in mode, byte for byte.
 *
 * - A Content-Length PUT of 1 MiB of PRNG bytes answers 201 with an empty
 *   body; the GET afterwards is 200 with the documented headers
 *   (Content-Type, Access-Control-Allow-Origin, Accept-Ranges,
 *   Livelog-State: complete, Content-Length of a finished log) and exactly
 *   those bytes; HEAD has the same headers and no body.
 * - A chunked PUT of every byte value (NUL and non-UTF-8 included, 256
 *   values x 64 in several orders) round-trips exactly.
 * - An empty PUT gives an empty, complete log.
 * - A second PUT after the first finished is 400.
 * - The token never shows up in the server's log (check-server-log). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN "rt-Secret_token.123"

static void check_get_headers(const char *hb, const char *what, long len)
{
    char v[256];
    HS_CHECK(hs_header(hb, "Content-Type", v, sizeof(v)) != NULL &&
                 strcmp(v, "text/plain; charset=utf-8") == 0,
             "%s: Content-Type should be \"text/plain; charset=utf-8\", got "
             "\"%s\"",
             what, hs_header(hb, "Content-Type", v, sizeof(v)) ? v : "(none)");
    HS_CHECK(hs_header(hb, "Access-Control-Allow-Origin", v, sizeof(v)) &&
                 strcmp(v, "*") == 0,
             "%s: Access-Control-Allow-Origin should be *", what);
    HS_CHECK(hs_header(hb, "Accept-Ranges", v, sizeof(v)) &&
                 strcmp(v, "bytes") == 0,
             "%s: Accept-Ranges should be bytes", what);
    HS_CHECK(hs_header(hb, "Livelog-State", v, sizeof(v)) &&
                 strcmp(v, "complete") == 0,
             "%s: Livelog-State should be complete, got %s", what,
             hs_header(hb, "Livelog-State", v, sizeof(v)) ? v : "(none)");
    if (len >= 0) {
        char want[32];
        snprintf(want, sizeof(want), "%ld", len);
        HS_CHECK(hs_header(hb, "Content-Length", v, sizeof(v)) &&
                     strcmp(v, want) == 0,
                 "%s: a finished log is served with Content-Length %s, got %s",
                 what, want,
                 hs_header(hb, "Content-Length", v, sizeof(v)) ? v : "(none)");
    }
}

static void put_content_length(void)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN};
    size_t n = (size_t)1 << 20;
    unsigned char *data = malloc(n);
    struct hs_resp r;
    char path[300];

    HS_REQUIRE(data != NULL, "malloc");
    hs_gen(1, 0, data, n);
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));

    hs_request(&s, false, "PUT", "/log", NULL, data, n, 30000, &r);
    HS_CHECK(r.result == CURLE_OK && r.status == 201,
             "PUT /log (Content-Length) should be 201, got %ld (%s)", r.status,
             curl_easy_strerror(r.result));
    HS_CHECK(r.len == 0, "201 to PUT should have an empty body, got %zu bytes",
             r.len);
    hs_resp_free(&r);

    hs_request(&s, true, "GET", path, NULL, NULL, 0, 30000, &r);
    HS_CHECK(r.result == CURLE_OK && r.status == 200,
             "GET after PUT should be 200, got %ld (%s)", r.status,
             curl_easy_strerror(r.result));
    HS_CHECK(r.len == n && memcmp(r.body, data, n) == 0,
             "GET body differs from what was PUT (got %zu bytes, want %zu)",
             r.len, n);
    check_get_headers(r.headers, "GET finished", (long)n);
    hs_resp_free(&r);

    hs_request(&s, true, "HEAD", path, NULL, NULL, 0, 10000, &r);
    HS_CHECK(r.result == CURLE_OK && r.status == 200,
             "HEAD should be 200, got %ld (%s)", r.status,
             curl_easy_strerror(r.result));
    HS_CHECK(r.len == 0, "HEAD must have no body, got %zu bytes", r.len);
    check_get_headers(r.headers, "HEAD finished", (long)n);
    hs_resp_free(&r);

    /* A PUT after the PUT finished is a 400 and leaves the log alone. */
    hs_request(&s, false, "PUT", "/log", NULL, "more", 4, 10000, &r);
    HS_CHECK(r.status == 400, "PUT after a finished PUT should be 400, got %ld",
             r.status);
    hs_resp_free(&r);
    hs_request(&s, true, "GET", path, NULL, NULL, 0, 30000, &r);
    HS_CHECK(r.status == 200 && r.len == n && memcmp(r.body, data, n) == 0,
             "the log changed after a rejected second PUT (%zu bytes)", r.len);
    hs_resp_free(&r);

    hs_stop_and_check(&s, NULL);
    free(data);
}

/* Every byte value, in ascending, descending and interleaved order. */
static void all_bytes(void)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN};
    unsigned char data[256 * 64];
    struct hs_curl_writer cw;
    struct hs_resp r;
    char path[300];
    long code;
    int ex = -1;

    for (size_t i = 0; i < sizeof(data); i++) {
        size_t round = i / 256, k = i % 256;
        if (round % 3 == 0)
            data[i] = (unsigned char)k;
        else if (round % 3 == 1)
            data[i] = (unsigned char)(255 - k);
        else
            data[i] = (unsigned char)((k * 167 + round) & 0xff);
    }
    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    /* Through the real curl command (chunked, stdin), in pieces. */
    hs_curl_writer_start(&cw, &s);
    for (size_t off = 0; off < sizeof(data); off += 1000) {
        size_t m = sizeof(data) - off < 1000 ? sizeof(data) - off : 1000;
        HS_CHECK(hs_curl_writer_write(&cw, data + off, m),
                 "write to curl failed");
    }
    code = hs_curl_writer_finish(&cw, &ex);
    HS_CHECK(code == 201 && ex == 0,
             "curl -T - of all byte values: want 201 and exit 0, got %ld and "
             "exit %d",
             code, ex);

    hs_request(&s, true, "GET", path, NULL, NULL, 0, 30000, &r);
    HS_CHECK(r.status == 200 && r.len == sizeof(data),
             "GET of all byte values: status %ld, %zu bytes (want %zu)",
             r.status, r.len, sizeof(data));
    if (r.len == sizeof(data)) {
        for (size_t i = 0; i < sizeof(data); i++) {
            if (r.body[i] != data[i]) {
                HS_CHECK(0, "byte %zu differs: got 0x%02x, want 0x%02x", i,
                         r.body[i], data[i]);
                break;
            }
        }
    }
    hs_resp_free(&r);
    hs_stop_and_check(&s, NULL);
}

static void empty_put(void)
{
    struct hs_server s;
    struct hs_opts o = {.token = TOKEN};
    struct hs_resp r;
    char path[300];

    hs_start(&s, &o);
    hs_log_path(&s, path, sizeof(path));
    hs_request(&s, false, "PUT", "/log", NULL, "", 0, 10000, &r);
    HS_CHECK(r.status == 201, "empty PUT should be 201, got %ld", r.status);
    hs_resp_free(&r);
    hs_request(&s, true, "GET", path, NULL, NULL, 0, 10000, &r);
    HS_CHECK(r.result == CURLE_OK && r.status == 200 && r.len == 0,
             "GET of empty log: want 200 and 0 bytes, got %ld, %zu bytes (%s)",
             r.status, r.len, curl_easy_strerror(r.result));
    check_get_headers(r.headers, "GET empty", 0);
    hs_resp_free(&r);
    hs_stop_and_check(&s, NULL);
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "roundtrip");
    put_content_length();
    all_bytes();
    empty_put();
    return hs_finish();
}
