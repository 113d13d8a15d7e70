/* serve_limits: --max-stream-bytes and --max-streams of `livelog serve`
 * (docs/API.md, "Writing"; docs/OPERATIONS.md).
 *
 * --max-stream-bytes 1M: a PUT of exactly 1 MiB is 201; a PUT of 1.5 MiB
 * (Content-Length, then chunked) is 413 with the limit in the message and
 * the first 1 MiB kept (HEAD and GET agree); a PATCH past the limit of a
 * live stream is 413 and keeps the bytes up to the limit.
 * --max-streams 6: the 7th new name is 507 (with a message), the existing
 * streams still take PATCHes and are read back exactly; after a DELETE a new
 * name is accepted again. */
#include "harness.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1u << 20)

static void expect_kept(const struct hs_server *s, const char *name,
                        uint64_t seed, uint64_t len, const char *what)
{
    uint64_t off = UINT64_MAX;
    char state[32];
    long st = hs_v1_head(s, false, name, NULL, &off, state, sizeof(state));
    HS_CHECK(st == 200 && off == len,
             "%s: HEAD %ld, Upload-Offset %" PRIu64 ", want %" PRIu64
             " (the bytes before the limit are kept)",
             what, st, off, len);
    hs_v1_expect_content(s, name, NULL, seed, len, what);
}

static void over_stream_limit(void)
{
    struct hs_server s;
    const char *args[] = {"--max-stream-bytes", "1M", NULL};
    struct hs_serve_opts o = {.args = args};
    struct hs_resp r;
    struct hs_writer w;
    uint64_t got = 0;
    long st;

    hs_serve_start(&s, &o);
    st = hs_v1_send(&s, "PUT", "public/exact", 1, 0, MIB, NULL, NULL, &got,
                    NULL);
    HS_CHECK(st == 201 && got == MIB, "PUT of exactly the limit: %ld", st);

    st = hs_v1_send(&s, "PUT", "public/over-cl", 2, 0, MIB + MIB / 2, NULL,
                    NULL, &got, &r);
    HS_CHECK(st == 413, "PUT of 1.5 MiB with a 1 MiB limit: %ld, want 413", st);
    HS_CHECK(r.len > 0 && (strstr((char *)r.body, "1048576") != NULL ||
                           strstr((char *)r.body, "1M") != NULL ||
                           strstr((char *)r.body, "1 M") != NULL),
             "413 body should name the limit (1048576 bytes): \"%s\"",
             (char *)r.body);
    hs_log("413 body: %s", (char *)r.body);
    hs_resp_free(&r);
    expect_kept(&s, "public/over-cl", 2, MIB, "413 (Content-Length)");

    memset(&w, 0, sizeof(w));
    w.srv = &s;
    w.seed = 3;
    w.total = 2 * MIB;
    w.chunk = 50000;
    w.path = "/v1/logs/public/over-chunked";
    w.timeout_ms = 30000;
    hs_writer_start(&w);
    hs_writer_join(&w);
    HS_CHECK(w.status == 413, "chunked PUT of 2 MiB: status %ld (%s)", w.status,
             w.errbuf);
    expect_kept(&s, "public/over-chunked", 3, MIB, "413 (chunked)");

    st = hs_v1_send(&s, "PUT", "public/over-patch", 4, 0, MIB - 100, "?0", NULL,
                    &got, NULL);
    HS_CHECK(st == 201, "PUT ?0: %ld", st);
    st = hs_v1_send(&s, "PATCH", "public/over-patch", 4, MIB - 100, 1000, "?0",
                    NULL, &got, NULL);
    HS_CHECK(st == 413, "PATCH crossing the limit: %ld, want 413", st);
    expect_kept(&s, "public/over-patch", 4, MIB, "413 (PATCH)");
    st = hs_v1_send(&s, "PATCH", "public/over-patch", 4, MIB, 1, "?0", NULL,
                    &got, NULL);
    HS_CHECK(st == 413 || st == 409,
             "PATCH at the limit: %ld, want 413 (or 409 if the stream was "
             "closed by the limit)",
             st);
    expect_kept(&s, "public/over-patch", 4, MIB, "after a PATCH at the limit");
    hs_stop_and_check(&s, NULL);
}

static void too_many_streams(void)
{
    struct hs_server s;
    const char *args[] = {"--max-streams", "6", NULL};
    struct hs_serve_opts o = {.args = args};
    struct hs_resp r;
    char name[64];
    uint64_t got = 0;
    long st;

    hs_serve_start(&s, &o);
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "public/s/%d", i);
        st = hs_v1_send(&s, "PUT", name, 100 + (uint64_t)i, 0, 1000,
                        i < 3 ? "?0" : NULL, NULL, &got, NULL);
        HS_CHECK(st == 201, "PUT %s (%d of 6): %ld", name, i + 1, st);
    }
    st =
        hs_v1_send(&s, "PUT", "public/s/6", 106, 0, 1000, NULL, NULL, &got, &r);
    HS_CHECK(st == 507,
             "PUT of a 7th stream with --max-streams 6: %ld, want "
             "507",
             st);
    HS_CHECK(r.len > 0, "507 should carry a message");
    hs_log("507 body: %s", (char *)r.body);
    hs_resp_free(&r);
    HS_CHECK(hs_v1_head(&s, false, "public/s/6", NULL, NULL, NULL, 0) == 404,
             "the refused stream must not exist");
    /* The others go on. */
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "public/s/%d", i);
        st = hs_v1_send(&s, "PATCH", name, 100 + (uint64_t)i, 1000, 4000, NULL,
                        NULL, &got, NULL);
        HS_CHECK(st == 204 && got == 5000,
                 "PATCH %s while at --max-streams: %ld", name, st);
        hs_v1_expect_content(&s, name, NULL, 100 + (uint64_t)i, 5000,
                             "stream at --max-streams");
    }
    hs_request(&s, false, "DELETE", "/v1/logs/public/s/5", NULL, NULL, 0, 10000,
               &r);
    HS_CHECK(r.status == 204, "DELETE: %ld", r.status);
    hs_resp_free(&r);
    st = hs_v1_send(&s, "PUT", "public/s/6", 106, 0, 1000, NULL, NULL, &got,
                    NULL);
    HS_CHECK(st == 201, "PUT after a DELETE made room: %ld", st);
    hs_v1_expect_content(&s, "public/s/6", NULL, 106, 1000, "new stream");
    hs_stop_and_check(&s, NULL);
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "serve_limits");
    over_stream_limit();
    too_many_streams();
    return hs_finish();
}
