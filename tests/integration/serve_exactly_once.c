/* serve_exactly_once: the exactly-once rules of PATCH /v1/logs/NAME
 * (docs/API.md, "Writing"), with libcurl and a raw socket:
 *   - a PATCH at the committed length appends (204, new Upload-Offset);
 *   - the same PATCH sent again (a retry whose answer was lost) is 409 with
 *     the committed length and changes nothing;
 *   - a PATCH with a gap (offset past the end) or an overlap (offset before
 *     the end) is 409 with the committed length; nothing appended;
 *   - two PATCHes racing at the same offset: exactly one is 204, the other
 *     409 (another writer is appending, or the offset moved);
 *   - a PATCH cut off mid-body (raw socket, Content-Length announced, body
 *     short) keeps what arrived, state interrupted, and HEAD's
 *     Upload-Offset is where the next PATCH resumes;
 *   - the completing PATCH carries Repr-Digest of the whole stream;
 * and at the end the stored log's SHA-256 equals the input's. */
#include "harness.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NAME "task/eo/run/0/public/logs/live.log"
#define SEED 4242

static uint64_t head_offset(const struct hs_server *s, char *state, size_t cap)
{
    uint64_t off = UINT64_MAX;
    long st = hs_v1_head(s, false, NAME, NULL, &off, state, cap);
    HS_CHECK(st == 200, "HEAD %s: status %ld", NAME, st);
    return off;
}

/* A PATCH at `off` of `len` bytes that must be refused with 409 and the
 * committed length `committed`. */
static void expect_409(const struct hs_server *s, uint64_t off, uint64_t len,
                       uint64_t committed, const char *what)
{
    uint64_t got = 0;
    struct hs_resp r;
    char v[64];
    long st =
        hs_v1_send(s, "PATCH", NAME, SEED + 1, off, len, "?0", NULL, &got, &r);
    HS_CHECK(st == 409,
             "%s (PATCH at %" PRIu64 ", committed %" PRIu64
             "): status %ld, want 409",
             what, off, committed, st);
    HS_CHECK(got == committed,
             "%s: 409 should report Upload-Offset %" PRIu64 ", got %" PRIu64,
             what, committed, got);
    HS_CHECK(hs_header(r.headers, "Livelog-State", v, sizeof(v)) != NULL,
             "%s: 409 without Livelog-State", what);
    hs_resp_free(&r);
}

/* Raw PATCH that announces `announce` bytes, sends `send` and closes. */
static void cut_patch(const struct hs_server *s, uint64_t off,
                      uint64_t announce, uint64_t send)
{
    struct sockaddr_in a;
    char head[512];
    unsigned char *buf = malloc((size_t)send);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int n;

    HS_REQUIRE(buf != NULL && fd >= 0, "socket/malloc");
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)s->put_port);
    HS_REQUIRE(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
    n = snprintf(head, sizeof(head),
                 "PATCH /v1/logs/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Upload-Offset: %" PRIu64 "\r\nUpload-Complete: ?0\r\n"
                 "Content-Length: %" PRIu64 "\r\n\r\n",
                 NAME, off, announce);
    HS_REQUIRE(n > 0 && (size_t)n < sizeof(head), "request head");
    HS_REQUIRE(hs_write_all(fd, head, (size_t)n), "send head");
    hs_gen(SEED, off, buf, (size_t)send);
    HS_REQUIRE(hs_write_all(fd, buf, (size_t)send), "send body");
    free(buf);
    /* Let the server take the bytes, then hang up mid-body. */
    hs_sleep_ms(300);
    close(fd);
}

/* Two PATCHes of the same bytes at the same offset, racing: one wins. */
static uint64_t race(const struct hs_server *s, uint64_t off, uint64_t len)
{
    char offh[64];
    const char *hdrs[] = {offh, "Upload-Complete: ?0", NULL};
    struct hs_writer w[2];
    int ok = 0, conflict = 0;
    uint64_t committed;

    snprintf(offh, sizeof(offh), "Upload-Offset: %" PRIu64, off);
    for (int i = 0; i < 2; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].srv = s;
        w[i].seed = SEED;
        w[i].gen_offset = off;
        w[i].total = len;
        w[i].chunk = 4096;
        w[i].delay_us = 2000; /* ~2 MB/s: the two overlap */
        w[i].content_length = true;
        w[i].path = "/v1/logs/" NAME;
        w[i].method = "PATCH";
        w[i].hdrs = hdrs;
        w[i].timeout_ms = 30000;
        hs_writer_start(&w[i]);
    }
    for (int i = 0; i < 2; i++) {
        hs_writer_join(&w[i]);
        if (w[i].status == 204)
            ok++;
        else if (w[i].status == 409)
            conflict++;
        else
            HS_CHECK(0, "racing PATCH %d: status %ld (%s), want 204 or 409", i,
                     w[i].status, w[i].errbuf);
    }
    HS_CHECK(ok == 1 && conflict == 1,
             "two racing PATCHes at %" PRIu64 ": %d got 204 and %d got 409; "
             "want exactly one of each",
             off, ok, conflict);
    committed = head_offset(s, NULL, 0);
    HS_CHECK(committed == off + len,
             "after the race the stream holds %" PRIu64 " bytes, want %" PRIu64,
             committed, off + len);
    return committed;
}

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_serve_opts o = {0};
    const uint64_t total = hs_sanitized() ? (1u << 20) : (4u << 20);
    uint64_t off = 0, got = 0;
    char state[32];
    long st;
    int steps = 0;

    hs_init(argc, argv, "serve_exactly_once");
    hs_serve_start(&s, &o);

    st = hs_v1_send(&s, "PUT", NAME, SEED, 0, 100000, "?0", NULL, &got, NULL);
    HS_REQUIRE(st == 201 && got == 100000,
               "PUT ?0 of 100000 bytes: status %ld, Upload-Offset %" PRIu64, st,
               got);
    off = 100000;
    /* Append in uneven chunks; after each, replay it and try a gap and an
     * overlap. */
    for (uint64_t k = 0; off < total - 300000 && k < 1000; k++) {
        uint64_t len = 20000 + (k * 7919) % 60000;
        if (off + len > total - 300000)
            len = total - 300000 - off;
        st = hs_v1_send(&s, "PATCH", NAME, SEED, off, len, "?0", NULL, &got,
                        NULL);
        HS_REQUIRE(st == 204 && got == off + len,
                   "PATCH at %" PRIu64 " (+%" PRIu64 "): status %ld, "
                   "Upload-Offset %" PRIu64,
                   off, len, st, got);
        expect_409(&s, off, len, off + len, "the same PATCH again (a retry)");
        off += len;
        if (k % 5 == 0) {
            expect_409(&s, off + 1, 100, off, "a PATCH with a 1-byte gap");
            expect_409(&s, off + 100000, 100, off, "a PATCH far ahead");
            expect_409(&s, off - 1, 100, off, "a PATCH overlapping 1 byte");
            expect_409(&s, 0, 100, off, "a PATCH at 0");
        }
        HS_CHECK(head_offset(&s, state, sizeof(state)) == off,
                 "HEAD after %" PRIu64 " committed bytes", off);
        HS_CHECK(strcmp(state, "live") == 0, "state %s, want live", state);
        steps++;
    }
    hs_log("%d PATCHes of %" PRIu64 " bytes, each replayed", steps, off);

    /* Racing PATCHes at the same offset. */
    off = race(&s, off, 100000);

    /* A PATCH cut off mid-body: the bytes received are kept. */
    cut_patch(&s, off, 150000, 60000);
    {
        uint64_t h = UINT64_MAX;
        for (int i = 0; i < 500; i++) {
            h = head_offset(&s, state, sizeof(state));
            if (strcmp(state, "interrupted") == 0)
                break;
            hs_sleep_ms(10);
        }
        HS_CHECK(strcmp(state, "interrupted") == 0,
                 "after a PATCH cut off mid-body: state %s, want interrupted",
                 state);
        HS_CHECK(h != UINT64_MAX && h >= off && h <= off + 60000,
                 "after the cut PATCH: Upload-Offset %" PRIu64
                 ", want within [%" PRIu64 ", %" PRIu64 "]",
                 h, off, off + 60000);
        hs_log("cut PATCH: %" PRIu64 " of 60000 bytes kept", h - off);
        expect_409(&s, off + 60000 + 1, 10, h, "a gap after the cut PATCH");
        if (h > off)
            expect_409(&s, off, 10, h, "a replay of the cut PATCH");
        off = h;
    }
    /* Resume at HEAD's offset and complete with the digest. */
    st = hs_v1_send(&s, "PATCH", NAME, SEED, off, total - 1000 - off, "?0",
                    NULL, &got, NULL);
    HS_CHECK(st == 204 && got == total - 1000,
             "PATCH resuming at HEAD's offset %" PRIu64 ": %ld, %" PRIu64, off,
             st, got);
    {
        unsigned char d[32];
        char b64[64], h[128];
        gnutls_datum_t in = {d, 32}, out = {NULL, 0};
        const char *extra[] = {h, NULL};
        hs_gen_sha256(SEED, total, d);
        HS_REQUIRE(gnutls_base64_encode2(&in, &out) == 0, "base64");
        snprintf(b64, sizeof(b64), "%.*s", (int)out.size, out.data);
        gnutls_free(out.data);
        snprintf(h, sizeof(h), "Repr-Digest: sha-256=:%s:", b64);
        st = hs_v1_send(&s, "PATCH", NAME, SEED, total - 1000, 1000, NULL,
                        extra, &got, NULL);
        HS_CHECK(st == 204 && got == total,
                 "completing PATCH with Repr-Digest: %ld, %" PRIu64, st, got);
    }
    HS_CHECK(head_offset(&s, state, sizeof(state)) == total &&
                 strcmp(state, "complete") == 0,
             "final HEAD: state %s", state);
    expect_409(&s, total, 10, total, "a PATCH of the complete stream");
    hs_v1_expect_content(&s, NAME, NULL, SEED, total, "stored log");
    hs_stop_and_check(&s, NULL);
    return hs_finish();
}
