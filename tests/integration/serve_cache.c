/* serve_cache: caching and conditional requests on GET/HEAD
 * /v1/logs/NAME of `livelog serve` (docs/API.md, "Caching and
 * conditional requests"), with libcurl.
 *
 *  - A complete public log: a strong ETag "i<16 hex>-<hex length>",
 *    Last-Modified, Cache-Control "public, max-age=10, must-revalidate",
 *    no X-Accel-Buffering; HEAD the same. If-None-Match: the tag, a list,
 *    two field lines, "*", W/ -> 304 (headers of the 200, Content-Length
 *    of the 200, no body), also with a Range; another tag or a malformed
 *    value -> 200. If-Range: the tag -> 206, another tag or W/ -> 200.
 *  - Dates: on a log created in an earlier second than it completed,
 *    If-Modified-Since (IMF-fixdate, rfc850, asctime; equal, later ->
 *    304; earlier, malformed, two fields, or an If-None-Match that does
 *    not match -> 200) and If-Range with the Last-Modified text (206; the
 *    same date in another form -> 200). On a log created and completed
 *    within one second the date is not a strong validator: 200.
 *  - A name deleted and created again with the same bytes: another ETag;
 *    the old one gives 200 (If-None-Match) and the whole log (If-Range).
 *  - Live and interrupted logs: no-store, X-Accel-Buffering: no, no ETag
 *    or Last-Modified, never 304 ("*"), If-Range gives the whole log; a
 *    follower's answer too; once complete, the validators appear.
 *  - A keep-tail log: the 304 announces the view's length.
 *  - Private logs: "private, no-store" with X-Accel-Buffering: no (the
 *    ETag only to a reader with the credential, 304 for it); without a
 *    credential, every conditional header gives a 401 byte-identical (but
 *    Date) to that of a missing name, with no validator.
 *  - The archive (file://): a log whose local copy is gone keeps its
 *    ETag, 304 and If-Range; a second node reading through the store
 *    answers with "s<half the SHA-256>-<hex length>".
 *  - The drop-in is unchanged: no-store, no validator, no 304, If-Range
 *    ignored. */
#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEED 11
#define PUBLIC_CC "public, max-age=10, must-revalidate"

static struct hs_server srv;

/* ---- helpers ------------------------------------------------------------ */

/* GET (or HEAD) path with up to 4 extra headers (NULL-terminated). */
static long req(const struct hs_server *s, const char *method, const char *path,
                const char *h0, const char *h1, const char *h2, const char *h3,
                struct hs_resp *r)
{
    const char *hdrs[5] = {h0, h1, h2, h3, NULL};
    hs_request(s, true, method, path, hdrs, NULL, 0, 15000, r);
    return r->status;
}

/* The header's value, or "" when absent. */
static const char *hv(const struct hs_resp *r, const char *name, char *buf,
                      size_t cap)
{
    if (hs_header(r->headers, name, buf, cap) == NULL)
        buf[0] = '\0';
    return buf;
}

static void expect_header(const struct hs_resp *r, const char *what,
                          const char *name, const char *want)
{
    char v[256];
    hv(r, name, v, sizeof v);
    HS_CHECK(strcmp(v, want) == 0, "%s: %s is '%s', want '%s'", what, name, v,
             want);
}

/* A complete log's answer: its validators and Cache-Control. The ETag is
 * copied to etag (cap >= 64), the Last-Modified to lm (cap >= 64). */
static void expect_validated(const struct hs_resp *r, const char *what,
                             const char *cc, uint64_t len, char *etag, char *lm)
{
    char want_tail[32];
    hv(r, "ETag", etag, 64);
    hv(r, "Last-Modified", lm, 64);
    snprintf(want_tail, sizeof want_tail, "-%" PRIx64 "\"", len);
    size_t n = strlen(etag), t = strlen(want_tail);
    bool form = n == 18 + t && strncmp(etag, "\"i", 2) == 0 &&
                strspn(etag + 2, "0123456789abcdef") == 16 &&
                strcmp(etag + 18, want_tail) == 0;
    HS_CHECK(form, "%s: ETag '%s' is not \"i<16 hex>%s", what, etag, want_tail);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(lm, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    HS_CHECK(end != NULL && *end == '\0' && strlen(lm) == 29,
             "%s: Last-Modified '%s'", what, lm);
    expect_header(r, what, "Cache-Control", cc);
    if (strcmp(cc, PUBLIC_CC) == 0)
        expect_header(r, what, "X-Accel-Buffering", "");
    else
        expect_header(r, what, "X-Accel-Buffering", "no");
}

/* An answer that must not be stored: no validators. */
static void expect_unvalidated(const struct hs_resp *r, const char *what,
                               const char *cc)
{
    expect_header(r, what, "ETag", "");
    expect_header(r, what, "Last-Modified", "");
    expect_header(r, what, "Cache-Control", cc);
    expect_header(r, what, "X-Accel-Buffering", "no");
}

/* A 304: the headers of the 200, no body, the 200's Content-Length. */
static void expect_304(const struct hs_resp *r, const char *what,
                       const char *etag, const char *lm, const char *cc,
                       uint64_t len)
{
    char n[32];
    HS_CHECK(r->status == 304, "%s: status %ld, want 304", what, r->status);
    HS_CHECK(r->len == 0, "%s: a 304 with %zu body bytes", what, r->len);
    expect_header(r, what, "ETag", etag);
    expect_header(r, what, "Last-Modified", lm);
    expect_header(r, what, "Cache-Control", cc);
    expect_header(r, what, "Livelog-State", "complete");
    snprintf(n, sizeof n, "%" PRIu64, len);
    expect_header(r, what, "Content-Length", n);
}

/* A 200 with the whole log of seed. */
static void expect_whole(const struct hs_resp *r, const char *what,
                         uint64_t seed, uint64_t len)
{
    HS_CHECK(r->status == 200, "%s: status %ld, want 200", what, r->status);
    HS_CHECK(r->len == len, "%s: %zu bytes, want %" PRIu64, what, r->len, len);
    if (r->len == len && len > 0) {
        unsigned char *want = malloc(len);
        HS_REQUIRE(want != NULL, "malloc");
        hs_gen(seed, 0, want, len);
        HS_CHECK(memcmp(want, r->body, len) == 0, "%s: other bytes", what);
        free(want);
    }
}

static void put(const struct hs_server *s, const char *name, uint64_t seed,
                uint64_t len, const char *complete)
{
    uint64_t off = 0;
    long st =
        hs_v1_send(s, "PUT", name, seed, 0, len, complete, NULL, &off, NULL);
    HS_REQUIRE(st == 201 && off == len, "PUT %s: %ld, Upload-Offset %" PRIu64,
               name, st, off);
}

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/v1/logs/%s", name);
}

/* The Last-Modified text shifted by d seconds, in one of the three
 * forms (0 IMF-fixdate, 1 rfc850, 2 asctime). */
static void date_form(const char *lm, long d, int form, char *out, size_t cap)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    HS_REQUIRE(strptime(lm, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL,
               "Last-Modified '%s'", lm);
    time_t t = timegm(&tm) + d;
    HS_REQUIRE(gmtime_r(&t, &tm) != NULL, "gmtime_r");
    if (form == 0)
        strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    else if (form == 1) { /* the two-digit year by hand (-Wformat-y2k) */
        char day[16], mon[8];
        strftime(day, sizeof day, "%A", &tm);
        strftime(mon, sizeof mon, "%b", &tm);
        snprintf(out, cap, "%s, %02d-%s-%02d %02d:%02d:%02d GMT", day,
                 tm.tm_mday, mon, tm.tm_year % 100, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
    } else
        strftime(out, cap, "%a %b %e %H:%M:%S %Y", &tm);
}

/* The created and completed times of name in the listing, to the second
 * ("YYYY-MM-DDTHH:MM:SS"). */
static void listed_times(const struct hs_server *s, const char *name,
                         char created[20], char completed[20])
{
    char path[600], pat[600];
    struct hs_resp r;
    const char *hdrs[] = {s->auth, NULL};
    snprintf(path, sizeof path, "/v1/logs?prefix=%s", name);
    hs_request(s, true, "GET", path, hdrs, NULL, 0, 10000, &r);
    snprintf(pat, sizeof pat, "{\"name\":\"%s\"", name);
    const char *e = strstr((char *)r.body, pat);
    const char *c = e != NULL ? strstr(e, "\"created\":\"") : NULL;
    const char *d = e != NULL ? strstr(e, "\"completed\":\"") : NULL;
    HS_REQUIRE(c != NULL && d != NULL, "listing of %s: %s", name,
               (char *)r.body);
    snprintf(created, 20, "%.19s", c + 11);
    snprintf(completed, 20, "%.19s", d + 13);
    hs_resp_free(&r);
}

/* ---- a complete public log ------------------------------------------- */

static void complete_public(void)
{
    const char *name = "c/public/done.log";
    char path[300], etag[64], lm[64], h[3][256], what[400], e2[64], l2[64];
    struct hs_resp r;
    put(&srv, name, SEED, 1000, NULL);
    path_of(path, sizeof path, name);

    req(&srv, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_whole(&r, "complete", SEED, 1000);
    expect_validated(&r, "complete", PUBLIC_CC, 1000, etag, lm);
    hs_resp_free(&r);
    req(&srv, "HEAD", path, NULL, NULL, NULL, NULL, &r);
    HS_CHECK(r.status == 200, "HEAD: %ld", r.status);
    expect_validated(&r, "HEAD", PUBLIC_CC, 1000, e2, l2);
    HS_CHECK(strcmp(e2, etag) == 0 && strcmp(l2, lm) == 0,
             "HEAD: other validators");
    expect_header(&r, "HEAD", "Content-Length", "1000");
    hs_resp_free(&r);

    /* If-None-Match that matches: 304 */
    /* before and after the tag (NULL: no tag) */
    static const char *const match[][2] = {
        {"", ""},   {"\"x\", ", ""}, {", ,", ","},
        {"W/", ""}, {"*", NULL},     {"\"a\",W/", ""},
    };
    for (size_t i = 0; i < sizeof match / sizeof *match; i++) {
        char v[160];
        snprintf(v, sizeof v, "%s%s%s", match[i][0],
                 match[i][1] != NULL ? etag : "",
                 match[i][1] != NULL ? match[i][1] : "");
        snprintf(h[0], sizeof h[0], "If-None-Match: %s", v);
        for (int head = 0; head < 2; head++) {
            req(&srv, head ? "HEAD" : "GET", path, h[0], NULL, NULL, NULL, &r);
            snprintf(what, sizeof what, "%s If-None-Match: %s",
                     head ? "HEAD" : "GET", v);
            expect_304(&r, what, etag, lm, PUBLIC_CC, 1000);
            hs_resp_free(&r);
        }
    }
    /* two field lines; with a Range (If-None-Match comes first) */
    snprintf(h[1], sizeof h[1], "If-None-Match: %s", etag);
    req(&srv, "GET", path, "If-None-Match: \"x\"", h[1], NULL, NULL, &r);
    expect_304(&r, "two If-None-Match lines", etag, lm, PUBLIC_CC, 1000);
    hs_resp_free(&r);
    req(&srv, "GET", path, h[1], "Range: bytes=0-9", NULL, NULL, &r);
    expect_304(&r, "If-None-Match with a Range", etag, lm, PUBLIC_CC, 1000);
    hs_resp_free(&r);

    /* If-None-Match that does not match, or is malformed: 200 */
    char bad_list[200];
    snprintf(bad_list, sizeof bad_list, "If-None-Match: %s \"x\"", etag);
    const char *const other[] = {
        "If-None-Match: \"x\"", "If-None-Match: W/\"x\", \"y\"",
        "If-None-Match: junk", bad_list, "If-None-Match: *, \"x\""};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        req(&srv, "GET", path, other[i], NULL, NULL, NULL, &r);
        expect_whole(&r, other[i], SEED, 1000);
        expect_header(&r, other[i], "ETag", etag);
        hs_resp_free(&r);
    }

    /* If-Range: the strong tag -> the range, anything else -> all */
    snprintf(h[2], sizeof h[2], "If-Range: %s", etag);
    req(&srv, "GET", path, "Range: bytes=10-19", h[2], NULL, NULL, &r);
    HS_CHECK(r.status == 206 && r.len == 10, "If-Range match: %ld, %zu bytes",
             r.status, r.len);
    expect_header(&r, "If-Range match", "Content-Range", "bytes 10-19/1000");
    expect_header(&r, "If-Range match", "ETag", etag);
    hs_resp_free(&r);
    snprintf(h[2], sizeof h[2], "If-Range: W/%s", etag);
    const char *const no_range[] = {"If-Range: \"x\"", h[2]};
    for (size_t i = 0; i < 2; i++) {
        req(&srv, "GET", path, "Range: bytes=10-19", no_range[i], NULL, NULL,
            &r);
        expect_whole(&r, no_range[i], SEED, 1000);
        expect_header(&r, no_range[i], "Content-Range", "");
        hs_resp_free(&r);
    }
    /* If-Range without a Range: ignored */
    req(&srv, "GET", path, "If-Range: \"x\"", NULL, NULL, NULL, &r);
    expect_whole(&r, "If-Range without Range", SEED, 1000);
    hs_resp_free(&r);
}

/* ---- dates --------------------------------------------------------------- */

static void dates(void)
{
    const char *name = "c/public/slow.log";
    char path[300], etag[64], lm[64], d[64], v[3][256], what[600];
    struct hs_resp r;
    uint64_t off = 0;
    /* created, then completed in a later second: a strong date */
    put(&srv, name, SEED, 10, "?0");
    hs_sleep_ms(1100);
    long st =
        hs_v1_send(&srv, "PATCH", name, SEED, 10, 10, NULL, NULL, &off, NULL);
    HS_REQUIRE(st == 204 && off == 20, "completing PATCH: %ld", st);
    path_of(path, sizeof path, name);
    req(&srv, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_validated(&r, "slow", PUBLIC_CC, 20, etag, lm);
    hs_resp_free(&r);

    struct {
        long shift;
        int form;
        long status;
    } ims[] = {{0, 0, 304},    {0, 1, 304},  {0, 2, 304},  {1, 0, 304},
               {3600, 0, 304}, {-1, 0, 200}, {-1, 2, 200}, {-86400, 1, 200}};
    for (size_t i = 0; i < sizeof ims / sizeof *ims; i++) {
        date_form(lm, ims[i].shift, ims[i].form, d, sizeof d);
        snprintf(v[1], sizeof v[1], "If-Modified-Since: %s", d);
        req(&srv, "GET", path, v[1], NULL, NULL, NULL, &r);
        snprintf(what, sizeof what, "%s (Last-Modified %s)", v[1], lm);
        if (ims[i].status == 304)
            expect_304(&r, what, etag, lm, PUBLIC_CC, 20);
        else
            expect_whole(&r, what, SEED, 20);
        hs_resp_free(&r);
    }
    snprintf(v[1], sizeof v[1], "If-Modified-Since: %s", lm);
    /* malformed, two fields, or after an If-None-Match: ignored */
    const char *const ignored[][2] = {
        {"If-Modified-Since: tomorrow", NULL},
        {v[1], v[1]},
        {"If-None-Match: \"x\"", v[1]},
    };
    for (size_t i = 0; i < 3; i++) {
        req(&srv, "GET", path, ignored[i][0], ignored[i][1], NULL, NULL, &r);
        snprintf(what, sizeof what, "%s + %s", ignored[i][0],
                 ignored[i][1] != NULL ? ignored[i][1] : "-");
        expect_whole(&r, what, SEED, 20);
        hs_resp_free(&r);
    }
    /* If-Range with the date: exactly the Last-Modified text */
    snprintf(v[2], sizeof v[2], "If-Range: %s", lm);
    req(&srv, "GET", path, "Range: bytes=0-3", v[2], NULL, NULL, &r);
    HS_CHECK(r.status == 206 && r.len == 4, "%s: %ld, %zu bytes", v[2],
             r.status, r.len);
    hs_resp_free(&r);
    date_form(lm, 0, 1, d, sizeof d);
    snprintf(v[2], sizeof v[2], "If-Range: %s", d);
    req(&srv, "GET", path, "Range: bytes=0-3", v[2], NULL, NULL, &r);
    expect_whole(&r, v[2], SEED, 20);
    hs_resp_free(&r);

    /* created and completed within one second: a weak date, ignored */
    char created[20], completed[20], weak[64];
    bool tried = false;
    for (int attempt = 0; attempt < 5 && !tried; attempt++) {
        snprintf(weak, sizeof weak, "c/public/quick%d.log", attempt);
        put(&srv, weak, SEED, 20, NULL);
        listed_times(&srv, weak, created, completed);
        tried = strcmp(created, completed) == 0;
    }
    HS_REQUIRE(tried, "no stream was created and completed in one second");
    path_of(path, sizeof path, weak);
    req(&srv, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_validated(&r, "quick", PUBLIC_CC, 20, etag, lm);
    hs_resp_free(&r);
    snprintf(v[1], sizeof v[1], "If-Modified-Since: %s", lm);
    req(&srv, "GET", path, v[1], NULL, NULL, NULL, &r);
    expect_whole(&r, "If-Modified-Since, a weak date", SEED, 20);
    hs_resp_free(&r);
    snprintf(v[2], sizeof v[2], "If-Range: %s", lm);
    req(&srv, "GET", path, "Range: bytes=0-3", v[2], NULL, NULL, &r);
    expect_whole(&r, "If-Range, a weak date", SEED, 20);
    hs_resp_free(&r);
    /* its ETag still works */
    snprintf(v[1], sizeof v[1], "If-None-Match: %s", etag);
    req(&srv, "GET", path, v[1], NULL, NULL, NULL, &r);
    expect_304(&r, "quick, If-None-Match", etag, lm, PUBLIC_CC, 20);
    hs_resp_free(&r);
}

/* ---- a name created again ------------------------------------------------ */

static void recreated(void)
{
    const char *name = "c/public/again.log";
    char path[300], e1[64], e2[64], lm[64], h[2][128];
    struct hs_resp r;
    path_of(path, sizeof path, name);
    put(&srv, name, SEED, 300, NULL);
    req(&srv, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_validated(&r, "first", PUBLIC_CC, 300, e1, lm);
    hs_resp_free(&r);
    struct hs_resp d;
    hs_request(&srv, false, "DELETE", path, NULL, NULL, 0, 10000, &d);
    HS_REQUIRE(d.status == 204, "DELETE: %ld", d.status);
    hs_resp_free(&d);
    put(&srv, name, SEED, 300, NULL); /* the same bytes */
    req(&srv, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_validated(&r, "created again", PUBLIC_CC, 300, e2, lm);
    HS_CHECK(strcmp(e1, e2) != 0, "created again: the same ETag %s", e1);
    hs_resp_free(&r);
    snprintf(h[0], sizeof h[0], "If-None-Match: %s", e1);
    req(&srv, "GET", path, h[0], NULL, NULL, NULL, &r);
    expect_whole(&r, "created again, the old ETag", SEED, 300);
    hs_resp_free(&r);
    snprintf(h[1], sizeof h[1], "If-Range: %s", e1);
    req(&srv, "GET", path, "Range: bytes=0-9", h[1], NULL, NULL, &r);
    expect_whole(&r, "created again, If-Range with the old ETag", SEED, 300);
    hs_resp_free(&r);
    snprintf(h[0], sizeof h[0], "If-None-Match: %s", e2);
    req(&srv, "GET", path, h[0], NULL, NULL, NULL, &r);
    expect_304(&r, "created again, the new ETag", e2, lm, PUBLIC_CC, 300);
    hs_resp_free(&r);
}

/* ---- live and interrupted --------------------------------------------------
 */

static void live_and_interrupted(void)
{
    const char *name = "c/public/live.log";
    char path[300], q[320], etag[64], lm[64], v[64];
    struct hs_resp r;
    put(&srv, name, SEED, 100, "?0");
    path_of(path, sizeof path, name);
    snprintf(q, sizeof q, "%s?follow=0", path);

    req(&srv, "GET", q, NULL, NULL, NULL, NULL, &r);
    expect_whole(&r, "live", SEED, 100);
    expect_header(&r, "live", "Livelog-State", "live");
    expect_unvalidated(&r, "live", "no-store");
    hs_resp_free(&r);
    req(&srv, "GET", q, "If-None-Match: *", NULL, NULL, NULL, &r);
    expect_whole(&r, "live, If-None-Match: *", SEED, 100);
    hs_resp_free(&r);
    req(&srv, "HEAD", q, "If-None-Match: *", NULL, NULL, NULL, &r);
    HS_CHECK(r.status == 200, "live HEAD, If-None-Match: *: %ld", r.status);
    expect_unvalidated(&r, "live HEAD", "no-store");
    hs_resp_free(&r);
    req(&srv, "GET", q, "Range: bytes=0-9", NULL, NULL, NULL, &r);
    HS_CHECK(r.status == 206 && r.len == 10, "live Range: %ld", r.status);
    expect_header(&r, "live Range", "Content-Range", "bytes 0-9/*");
    expect_unvalidated(&r, "live Range", "no-store");
    hs_resp_free(&r);
    req(&srv, "GET", q, "Range: bytes=0-9", "If-Range: \"x\"", NULL, NULL, &r);
    expect_whole(&r, "live, If-Range", SEED, 100);
    hs_resp_free(&r);

    /* a follower, then the completing PATCH */
    struct hs_reader f;
    hs_reader_init(&f, &srv, path, NULL);
    f.verify = true;
    f.seed = SEED;
    curl_easy_setopt(f.easy, CURLOPT_TIMEOUT_MS, 20000L);
    CURLM *m = curl_multi_init();
    HS_REQUIRE(m != NULL, "curl_multi_init");
    curl_multi_add_handle(m, f.easy);
    for (int i = 0; i < 50 && f.got < 100; i++)
        hs_multi_step(m, 20);
    HS_CHECK(f.got == 100, "follower: %" PRIu64 " bytes", f.got);
    uint64_t off = 0;
    long st =
        hs_v1_send(&srv, "PATCH", name, SEED, 100, 50, NULL, NULL, &off, NULL);
    HS_CHECK(st == 204 && off == 150, "completing PATCH: %ld", st);
    struct hs_reader *one[] = {&f};
    HS_CHECK(hs_multi_wait_all(m, one, 1, 10000), "the follower did not end");
    hs_reader_expect(&f, "follower", 200, NULL, -1, 150);
    HS_CHECK(hs_reader_header(&f, "X-Accel-Buffering", v, sizeof v) &&
                 strcmp(v, "no") == 0,
             "follower: X-Accel-Buffering should be no");
    HS_CHECK(hs_reader_header(&f, "Cache-Control", v, sizeof v) &&
                 strcmp(v, "no-store") == 0,
             "follower: Cache-Control should be no-store");
    HS_CHECK(!hs_reader_header(&f, "ETag", v, sizeof v),
             "follower: an ETag on a live answer");
    curl_multi_remove_handle(m, f.easy);
    hs_reader_cleanup(&f);
    curl_multi_cleanup(m);
    req(&srv, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_validated(&r, "completed", PUBLIC_CC, 150, etag, lm);
    hs_resp_free(&r);
    req(&srv, "GET", path, "If-None-Match: *", NULL, NULL, NULL, &r);
    expect_304(&r, "completed, If-None-Match: *", etag, lm, PUBLIC_CC, 150);
    hs_resp_free(&r);

    /* interrupted: a completing PATCH whose Repr-Digest is wrong */
    const char *cut = "c/public/cut.log";
    const char *digest[] = {
        "Repr-Digest: sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:",
        NULL};
    put(&srv, cut, SEED, 50, "?0");
    st = hs_v1_send(&srv, "PATCH", cut, SEED, 50, 10, NULL, digest, &off, NULL);
    HS_CHECK(st == 400, "PATCH with a wrong Repr-Digest: %ld", st);
    path_of(path, sizeof path, cut);
    snprintf(q, sizeof q, "%s?follow=0", path);
    req(&srv, "GET", q, "If-None-Match: *", NULL, NULL, NULL, &r);
    expect_whole(&r, "interrupted, If-None-Match: *", SEED, 60);
    expect_header(&r, "interrupted", "Livelog-State", "interrupted");
    expect_unvalidated(&r, "interrupted", "no-store");
    hs_resp_free(&r);
}

/* ---- keep-tail -------------------------------------------------------------
 */

static void elided(void)
{
    const char *name = "c/public/big.log";
    char path[300], etag[64], lm[64], h[128], n[32];
    struct hs_resp r;
    put(&srv, name, SEED, 200000, NULL);
    path_of(path, sizeof path, name);
    req(&srv, "GET", path, NULL, NULL, NULL, NULL, &r);
    HS_CHECK(r.status == 200, "elided: %ld", r.status);
    size_t view = r.len;
    HS_CHECK(view < 200000, "elided: %zu bytes, not elided?", view);
    expect_validated(&r, "elided", PUBLIC_CC, 200000, etag, lm);
    hs_resp_free(&r);
    snprintf(h, sizeof h, "If-None-Match: %s", etag);
    req(&srv, "GET", path, h, NULL, NULL, NULL, &r);
    HS_CHECK(r.status == 304, "elided, If-None-Match: %ld", r.status);
    snprintf(n, sizeof n, "%zu", view);
    expect_header(&r, "elided 304", "Content-Length", n);
    hs_resp_free(&r);
}

/* ---- private logs ------------------------------------------------------- */

static void private_logs(void)
{
    const char *name = "c/p/secret.log";
    char path[300], etag[64], lm[64], h[4][160];
    struct hs_resp r;
    put(&srv, name, SEED, 100, NULL);
    path_of(path, sizeof path, name);
    req(&srv, "GET", path, srv.auth, NULL, NULL, NULL, &r);
    expect_whole(&r, "private", SEED, 100);
    expect_validated(&r, "private", "private, no-store", 100, etag, lm);
    hs_resp_free(&r);
    snprintf(h[0], sizeof h[0], "If-None-Match: %s", etag);
    req(&srv, "GET", path, srv.auth, h[0], NULL, NULL, &r);
    expect_304(&r, "private, If-None-Match", etag, lm, "private, no-store",
               100);
    hs_resp_free(&r);

    /* without a credential: the same 401 as for a missing name */
    snprintf(h[1], sizeof h[1], "If-Modified-Since: %s", lm);
    snprintf(h[2], sizeof h[2], "If-Range: %s", etag);
    const char *const sets[][2] = {
        {NULL, NULL},
        {h[0], NULL},
        {h[1], NULL},
        {"Range: bytes=0-9", h[2]},
        {"If-None-Match: *", h[1]},
    };
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        for (int head = 0; head < 2; head++) {
            struct hs_resp a, b;
            char ha[16384], hb[16384], what[300];
            const char *m = head ? "HEAD" : "GET";
            req(&srv, m, path, sets[i][0], sets[i][1], NULL, NULL, &a);
            req(&srv, m, "/v1/logs/c/p/missing.log", sets[i][0], sets[i][1],
                NULL, NULL, &b);
            snprintf(what, sizeof what, "%s private without credential, %s %s",
                     m, sets[i][0] != NULL ? sets[i][0] : "-",
                     sets[i][1] != NULL ? sets[i][1] : "-");
            HS_CHECK(a.status == 401 && b.status == 401, "%s: %ld and %ld",
                     what, a.status, b.status);
            hs_without_date(a.headers, ha, sizeof ha);
            hs_without_date(b.headers, hb, sizeof hb);
            HS_CHECK(strcmp(ha, hb) == 0 && a.len == b.len &&
                         (a.len == 0 || memcmp(a.body, b.body, a.len) == 0),
                     "%s: the answers differ:\n%s\n---\n%s", what, ha, hb);
            expect_header(&a, what, "ETag", "");
            expect_header(&a, what, "Last-Modified", "");
            expect_header(&a, what, "Cache-Control", "no-store");
            hs_resp_free(&a);
            hs_resp_free(&b);
        }
    }

    /* a live private log */
    put(&srv, "c/p/live.log", SEED, 10, "?0");
    req(&srv, "GET", "/v1/logs/c/p/live.log?follow=0", srv.auth,
        "If-None-Match: *", NULL, NULL, &r);
    expect_whole(&r, "private live", SEED, 10);
    expect_unvalidated(&r, "private live", "private, no-store");
    hs_resp_free(&r);
}

/* ---- the archive -----------------------------------------------------------
 */

static bool evicted(const struct hs_server *s, const char *name)
{
    char path[600];
    struct hs_resp r;
    snprintf(path, sizeof path, "/v1/logs?prefix=%s", name);
    hs_request(s, true, "GET", path, NULL, NULL, 0, 10000, &r);
    bool gone = r.body != NULL && strstr((char *)r.body, "\"local\":false");
    hs_resp_free(&r);
    return gone;
}

static void archived(void)
{
    const char *name = "c/public/arch.log";
    char dir[700], url[720], data_b[700], path[300], etag[64], lm[64], e2[64],
        l2[64], h[2][160];
    struct hs_server a, b;
    struct hs_resp r;
    snprintf(dir, sizeof dir, "%s/archive", hs_scratch());
    snprintf(data_b, sizeof data_b, "%s/data-b", hs_scratch());
    snprintf(url, sizeof url, "file://%s", dir);
    HS_REQUIRE(mkdir(dir, 0700) == 0, "mkdir %s", dir);
    const char *args_a[] = {"--archive", url, "--archive-local-retention", "0",
                            NULL};
    struct hs_serve_opts oa = {.args = args_a};
    hs_serve_start(&a, &oa);
    put(&a, name, SEED, 5000, NULL);
    path_of(path, sizeof path, name);
    req(&a, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_validated(&r, "local", PUBLIC_CC, 5000, etag, lm);
    hs_resp_free(&r);
    bool gone = false;
    for (int i = 0; i < 400 && !gone; i++) {
        gone = evicted(&a, name);
        if (!gone)
            hs_sleep_ms(50);
    }
    HS_REQUIRE(gone, "the local copy of %s was never removed", name);
    req(&a, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_whole(&r, "from the store", SEED, 5000);
    expect_header(&r, "from the store", "Livelog-Archived", "?1");
    expect_validated(&r, "from the store", PUBLIC_CC, 5000, e2, l2);
    HS_CHECK(strcmp(e2, etag) == 0 && strcmp(l2, lm) == 0,
             "from the store: validators %s %s, before %s %s", e2, l2, etag,
             lm);
    hs_resp_free(&r);
    snprintf(h[0], sizeof h[0], "If-None-Match: %s", etag);
    req(&a, "GET", path, h[0], NULL, NULL, NULL, &r);
    expect_304(&r, "from the store, If-None-Match", etag, lm, PUBLIC_CC, 5000);
    hs_resp_free(&r);
    snprintf(h[1], sizeof h[1], "If-Range: %s", etag);
    req(&a, "GET", path, "Range: bytes=100-199", h[1], NULL, NULL, &r);
    HS_CHECK(r.status == 206 && r.len == 100,
             "from the store, If-Range: %ld, %zu bytes", r.status, r.len);
    hs_resp_free(&r);
    req(&a, "GET", path, "Range: bytes=100-199", "If-Range: \"x\"", NULL, NULL,
        &r);
    expect_whole(&r, "from the store, If-Range mismatch", SEED, 5000);
    hs_resp_free(&r);

    /* a node that reads through the store: the store's SHA-256 */
    const char *args_b[] = {
        "--archive", url, "--archive-read-through", "on", "--writer-wait",
        "0",         NULL};
    struct hs_serve_opts ob = {.data_dir = data_b, .args = args_b};
    HS_REQUIRE(mkdir(data_b, 0700) == 0, "mkdir %s", data_b);
    hs_serve_start(&b, &ob);
    unsigned char sha[32];
    char hex[65], want[80];
    hs_gen_sha256(SEED, 5000, sha);
    hs_hex32(sha, hex);
    snprintf(want, sizeof want, "\"s%.32s-1388\"", hex);
    req(&b, "GET", path, NULL, NULL, NULL, NULL, &r);
    expect_whole(&r, "read through", SEED, 5000);
    expect_header(&r, "read through", "ETag", want);
    expect_header(&r, "read through", "Cache-Control", PUBLIC_CC);
    expect_header(&r, "read through", "X-Accel-Buffering", "");
    hv(&r, "Last-Modified", l2, sizeof l2);
    hs_resp_free(&r);
    snprintf(h[0], sizeof h[0], "If-None-Match: %s", want);
    req(&b, "HEAD", path, h[0], NULL, NULL, NULL, &r);
    expect_304(&r, "read through, If-None-Match", want, l2, PUBLIC_CC, 5000);
    hs_resp_free(&r);
    snprintf(h[1], sizeof h[1], "If-Range: %s", want);
    req(&b, "GET", path, "Range: bytes=0-9", h[1], NULL, NULL, &r);
    HS_CHECK(r.status == 206 && r.len == 10, "read through, If-Range: %ld",
             r.status);
    hs_resp_free(&r);
    hs_stop_and_check(&b, NULL);
    hs_stop_and_check(&a, NULL);
}

/* ---- the drop-in ------------------------------------------------------ */

static void dropin(void)
{
    struct hs_server s;
    struct hs_opts o = {.token = "cache-token-0123456789"};
    char path[300];
    struct hs_resp r;
    hs_start(&s, &o);
    struct hs_writer w = {.srv = &s, .seed = SEED, .total = 100};
    hs_writer_start(&w);
    hs_writer_join(&w);
    HS_REQUIRE(w.status == 201, "drop-in PUT: %ld", w.status);
    hs_log_path(&s, path, sizeof path);
    req(&s, "GET", path, "If-None-Match: *", NULL, NULL, NULL, &r);
    expect_whole(&r, "drop-in", SEED, 100);
    expect_header(&r, "drop-in", "Cache-Control", "no-store");
    expect_header(&r, "drop-in", "ETag", "");
    expect_header(&r, "drop-in", "Last-Modified", "");
    expect_header(&r, "drop-in", "X-Accel-Buffering", "");
    hs_resp_free(&r);
    req(&s, "GET", path, "Range: bytes=0-9", "If-Range: \"x\"", NULL, NULL, &r);
    HS_CHECK(r.status == 206 && r.len == 10, "drop-in If-Range: %ld", r.status);
    hs_resp_free(&r);
    hs_stop_and_check(&s, NULL);
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "serve_cache");
    static const char *const args[] = {"--max-stream-bytes", "65536",
                                       "--over-limit", "keep-tail", NULL};
    struct hs_serve_opts o = {.keys = true, .args = args};
    hs_serve_start(&srv, &o);
    complete_public();
    dates();
    recreated();
    live_and_interrupted();
    elided();
    private_logs();
    hs_stop_and_check(&srv, NULL);
    archived();
    dropin();
    return hs_finish();
}
