/* serve_recovery: what `livelog serve` finds on its data directory after
 * `kill -9` and after a clean stop (docs/API.md: committed bytes survive
 * kill -9 of the server).
 *
 * Before the kill: complete streams of 0, 1, 1000 and 3 MiB bytes (public
 * and private), a stream left live by Upload-Complete: ?0, a stream whose
 * PUT was cut off mid-body (interrupted), a deleted stream, and a stream
 * whose PUT is still running when the server is killed.
 * After the restart on the same data directory:
 *   - every complete stream is served identically: same bytes (SHA-256),
 *     Livelog-State complete, Content-Length, Range with the complete
 *     length, the same listing entry (length, state, created, completed);
 *   - the interrupted stream and the one whose writer was cut off by the
 *     kill are "interrupted", hold a prefix of what was sent, and accept a
 *     PATCH at HEAD's Upload-Offset that completes them exactly;
 *   - the ?0 stream accepts a PATCH at its length;
 *   - the deleted stream stays deleted;
 * then the same checks after a SIGTERM and a second restart. */
#include "harness.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct done_stream {
    const char *name;
    uint64_t seed, len;
    bool private;
};

static const struct done_stream done[] = {
    {"public/done/empty", 11, 0, false},
    {"public/done/one", 12, 1, false},
    {"public/done/k", 13, 1000, false},
    {"public/done/big", 14, 3u << 20, false},
    {"task/p/done/big", 15, 3u << 20, true},
};
#define NDONE (sizeof(done) / sizeof(done[0]))

static char listing_before[65536];

static void get_listing(const struct hs_server *s, char *buf, size_t cap)
{
    const char *hdrs[] = {s->auth, NULL};
    struct hs_resp r;
    hs_request(s, true, "GET", "/v1/logs?prefix=&limit=1000", hdrs, NULL, 0,
               10000, &r);
    HS_CHECK(r.status == 200, "listing: status %ld", r.status);
    snprintf(buf, cap, "%s", r.body != NULL ? (char *)r.body : "");
    hs_resp_free(&r);
}

/* The listing entry of `name` ("{...}" substring), or "" if absent. */
static void entry_of(const char *listing, const char *name, char *buf,
                     size_t cap)
{
    char pat[512];
    const char *p, *e;
    snprintf(pat, sizeof(pat), "{\"name\":\"%s\"", name);
    p = strstr(listing, pat);
    buf[0] = '\0';
    if (p == NULL)
        return;
    e = strchr(p, '}');
    if (e == NULL)
        return;
    snprintf(buf, cap, "%.*s", (int)(e - p + 1), p);
}

static void check_done(const struct hs_server *s, const char *when)
{
    char listing[65536];
    get_listing(s, listing, sizeof(listing));
    for (size_t i = 0; i < NDONE; i++) {
        const struct done_stream *d = &done[i];
        const char *auth = d->private ? s->auth : NULL;
        char what[256], state[32], e1[1024], e2[1024];
        uint64_t off = 0;
        long st;

        snprintf(what, sizeof(what), "%s: %s", when, d->name);
        hs_v1_expect_content(s, d->name, auth, d->seed, d->len, what);
        st = hs_v1_head(s, true, d->name, auth, &off, state, sizeof(state));
        HS_CHECK(st == 200 && off == d->len && strcmp(state, "complete") == 0,
                 "%s: HEAD %ld, Upload-Offset %" PRIu64 ", state %s", what, st,
                 off, state);
        if (d->len >= 10) {
            struct hs_reader r;
            char path[600], v[128], want[128];
            snprintf(path, sizeof(path), "/v1/logs/%s", d->name);
            hs_reader_init(&r, s, path, "bytes=-10");
            if (auth != NULL)
                hs_reader_add_header(&r, auth);
            r.verify = true;
            r.seed = d->seed;
            r.start = d->len - 10;
            curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, 10000L);
            r.result = curl_easy_perform(r.easy);
            curl_easy_getinfo(r.easy, CURLINFO_RESPONSE_CODE, &r.status);
            snprintf(want, sizeof(want),
                     "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, d->len - 10,
                     d->len - 1, d->len);
            HS_CHECK(r.status == 206 &&
                         hs_reader_header(&r, "Content-Range", v, sizeof(v)) &&
                         strcmp(v, want) == 0 && r.got == 10 &&
                         r.mismatch_at == UINT64_MAX,
                     "%s: Range bytes=-10: %ld, Content-Range %s (want %s)",
                     what, r.status,
                     hs_reader_header(&r, "Content-Range", v, sizeof(v)) ? v
                                                                         : "-",
                     want);
            hs_reader_cleanup(&r);
        }
        entry_of(listing_before, d->name, e1, sizeof(e1));
        entry_of(listing, d->name, e2, sizeof(e2));
        HS_CHECK(e1[0] != '\0' && strcmp(e1, e2) == 0,
                 "%s: listing entry changed across the restart:\n  before "
                 "%s\n  after  %s",
                 what, e1, e2);
    }
}

/* A PUT that announces `announce` bytes, sends `send` and hangs up. */
static void cut_put(const struct hs_server *s, const char *name, uint64_t seed,
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
                 "PUT /v1/logs/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Length: %" PRIu64 "\r\n\r\n",
                 name, announce);
    HS_REQUIRE(n > 0 && (size_t)n < sizeof(head), "head");
    HS_REQUIRE(hs_write_all(fd, head, (size_t)n), "send head");
    hs_gen(seed, 0, buf, (size_t)send);
    HS_REQUIRE(hs_write_all(fd, buf, (size_t)send), "send body");
    free(buf);
    hs_sleep_ms(300);
    close(fd);
}

/* HEAD says interrupted with an offset <= sent; the prefix is right; a
 * PATCH at that offset with the rest completes the stream exactly. */
static void resume_interrupted(const struct hs_server *s, const char *name,
                               uint64_t seed, uint64_t sent, uint64_t total,
                               const char *want_state)
{
    char state[32], what[256];
    uint64_t off = UINT64_MAX, got = 0;
    long st = hs_v1_head(s, false, name, NULL, &off, state, sizeof(state));

    snprintf(what, sizeof(what), "after the restart: %s", name);
    HS_CHECK(st == 200, "%s: HEAD status %ld", what, st);
    HS_CHECK(want_state == NULL ? (strcmp(state, "interrupted") == 0 ||
                                   strcmp(state, "live") == 0)
                                : strcmp(state, want_state) == 0,
             "%s: Livelog-State %s, want %s", what, state,
             want_state != NULL ? want_state : "interrupted or live");
    HS_REQUIRE(off != UINT64_MAX && off <= sent,
               "%s: Upload-Offset %" PRIu64 " but only %" PRIu64 " were sent",
               what, off, sent);
    hs_v1_expect_content(s, name, NULL, seed, off, what);
    hs_log("%s: %s at %" PRIu64 " of %" PRIu64 " sent", name, state, off, sent);
    st = hs_v1_send(s, "PATCH", name, seed, off, total - off, NULL, NULL, &got,
                    NULL);
    HS_CHECK(st == 204 && got == total,
             "%s: PATCH at HEAD's offset %" PRIu64 ": status %ld, "
             "Upload-Offset %" PRIu64 " (want 204, %" PRIu64 ")",
             what, off, st, got, total);
    hs_v1_expect_content(s, name, NULL, seed, total, what);
}

int main(int argc, char **argv)
{
    struct hs_server a, b, c;
    struct hs_serve_opts o = {.keys = true};
    struct hs_writer w;
    uint64_t got = 0;
    long st;
    char data_dir[600];

    hs_init(argc, argv, "serve_recovery");
    hs_serve_start(&a, &o);
    snprintf(data_dir, sizeof(data_dir), "%s", a.data_dir);
    o.data_dir = data_dir;

    for (size_t i = 0; i < NDONE; i++) {
        st = hs_v1_send(&a, "PUT", done[i].name, done[i].seed, 0, done[i].len,
                        NULL, NULL, &got, NULL);
        HS_REQUIRE(st == 201 && got == done[i].len, "PUT %s: %ld", done[i].name,
                   st);
    }
    st = hs_v1_send(&a, "PUT", "public/live/open", 21, 0, 5000, "?0", NULL,
                    &got, NULL);
    HS_REQUIRE(st == 201, "PUT ?0: %ld", st);
    cut_put(&a, "public/live/cut", 22, 200000, 70000);
    st = hs_v1_send(&a, "PUT", "public/deleted", 23, 0, 100, NULL, NULL, NULL,
                    NULL);
    HS_REQUIRE(st == 201, "PUT public/deleted: %ld", st);
    {
        struct hs_resp r;
        hs_request(&a, false, "DELETE", "/v1/logs/public/deleted", NULL, NULL,
                   0, 10000, &r);
        HS_CHECK(r.status == 204, "DELETE: %ld", r.status);
        hs_resp_free(&r);
    }
    /* A writer still sending when the server dies. */
    memset(&w, 0, sizeof(w));
    w.srv = &a;
    w.seed = 24;
    w.total = 8u << 20;
    w.chunk = 16384;
    w.max_speed = 2 << 20;
    w.path = "/v1/logs/public/live/killed";
    w.timeout_ms = 30000;
    hs_writer_start(&w);
    for (int i = 0; i < 1000 && atomic_load(&w.sent) < (1u << 20); i++)
        hs_sleep_ms(5);
    get_listing(&a, listing_before, sizeof(listing_before));
    hs_sleep_ms(200);

    hs_log("kill -9 of the server");
    hs_kill9(&a);
    hs_writer_join(&w);
    HS_CHECK(hs_check_log(&a, NULL) == 0, "log of the killed server fails "
                                          "check-server-log");

    hs_serve_start(&b, &o);
    check_done(&b, "after kill -9");
    resume_interrupted(&b, "public/live/cut", 22, 70000, 200000, "interrupted");
    resume_interrupted(&b, "public/live/killed", 24, atomic_load(&w.sent),
                       w.total, "interrupted");
    resume_interrupted(&b, "public/live/open", 21, 5000, 9000, NULL);
    {
        char state[32];
        st = hs_v1_head(&b, false, "public/deleted", NULL, NULL, state,
                        sizeof(state));
        HS_CHECK(st == 404, "a deleted stream is back after a restart: %ld",
                 st);
    }
    get_listing(&b, listing_before, sizeof(listing_before));
    hs_stop_and_check(&b, NULL);

    hs_serve_start(&c, &o);
    check_done(&c, "after SIGTERM and a restart");
    hs_v1_expect_content(&c, "public/live/killed", NULL, 24, w.total,
                         "resumed stream after a second restart");
    hs_v1_expect_content(&c, "public/live/cut", NULL, 22, 200000,
                         "resumed stream after a second restart");
    hs_stop_and_check(&c, NULL);
    return hs_finish();
}
