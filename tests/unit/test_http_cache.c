/* test_http_cache: unit tests for src/http/http_cache.c: the HTTP-date
 * parser and formatter (RFC 9110 5.6.7) against known instants and
 * gmtime_r, every refusal; If-None-Match lists (8.8.3, 5.6.1); the
 * decisions of If-None-Match, If-Modified-Since and If-Range on an
 * entity; the entities of real directory and temporary streams and of
 * archive objects; the headers an answer gets. Single-threaded cmocka
 * tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_cache.h"
#include "store/store_meta.h"

#define RFC_EXAMPLE 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define NOW_2026 1795000000   /* some day in 2026 */

/* ---- dates ------------------------------------------------------------- */

static void expect_format(int64_t t, const char *want)
{
    char buf[HTTP_CACHE_DATE_LEN + 1];
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(http_cache_format_date(t, buf, sizeof buf),
                     HTTP_CACHE_DATE_LEN);
    assert_string_equal(buf, want);
}

static int parse_at(const char *s, int64_t now, int64_t *ret)
{
    return http_cache_parse_date(s, strlen(s), now, ret);
}

static void expect_date(const char *s, int64_t want)
{
    int64_t got = -12345;
    if (parse_at(s, NOW_2026, &got) != 0)
        fail_msg("refused: \"%s\"", s);
    if (got != want)
        fail_msg("\"%s\": got %lld, want %lld", s, (long long)got,
                 (long long)want);
}

/* Refused, and *ret untouched. */
static void expect_bad_date_n(const char *s, size_t len)
{
    int64_t got = -12345;
    if (http_cache_parse_date(s, len, NOW_2026, &got) != -EINVAL)
        fail_msg("accepted: \"%.*s\"", (int)len, s);
    assert_true(got == -12345);
}

static void expect_bad_date(const char *s)
{
    expect_bad_date_n(s, strlen(s));
}

static void test_format_known(void **state)
{
    (void)state;
    expect_format(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    expect_format(RFC_EXAMPLE, "Sun, 06 Nov 1994 08:49:37 GMT");
    expect_format(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
    expect_format(1709164800, "Thu, 29 Feb 2024 00:00:00 GMT");
    expect_format(2147483647, "Tue, 19 Jan 2038 03:14:07 GMT");
    expect_format(4107542400, "Mon, 01 Mar 2100 00:00:00 GMT");
    expect_format(253402300799, "Fri, 31 Dec 9999 23:59:59 GMT");
    expect_format(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
    expect_format(-62167219200, "Sat, 01 Jan 0000 00:00:00 GMT");
    /* out of range, or a buffer too small */
    char buf[64];
    assert_int_equal(http_cache_format_date(253402300800, buf, sizeof buf), 0);
    assert_int_equal(http_cache_format_date(-62167219201, buf, sizeof buf), 0);
    assert_int_equal(http_cache_format_date(0, buf, HTTP_CACHE_DATE_LEN), 0);
}

/* Format and parse agree with gmtime_r, also for the obsolete forms built
 * from the same fields, over 200,000 seeded instants from 1970 to 9999. */
static void test_dates_against_gmtime(void **state)
{
    static const char *const days[] = {"Sunday",    "Monday",   "Tuesday",
                                       "Wednesday", "Thursday", "Friday",
                                       "Saturday"};
    static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    uint64_t x = 88172645463325252ULL;
    (void)state;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        time_t t = (time_t)(x % 253402300800ULL);
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        char want[64], got[64];
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        assert_int_equal(http_cache_format_date(t, got, sizeof got),
                         HTTP_CACHE_DATE_LEN);
        assert_string_equal(got, want);
        int64_t back = -1;
        assert_int_equal(parse_at(got, NOW_2026, &back), 0);
        assert_true(back == (int64_t)t);
        /* asctime form, day padded with a space */
        snprintf(got, sizeof got, "%.3s %s %2d %02d:%02d:%02d %04d",
                 days[tm.tm_wday], mons[tm.tm_mon], tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
        assert_int_equal(parse_at(got, NOW_2026, &back), 0);
        assert_true(back == (int64_t)t);
        /* rfc850 form, when its year is the one a 2026 reader picks */
        int year = tm.tm_year + 1900;
        if (year >= 1977 && year <= 2076) {
            snprintf(got, sizeof got, "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
                     days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon], year % 100,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
            assert_int_equal(parse_at(got, NOW_2026, &back), 0);
            assert_true(back == (int64_t)t);
        }
    }
}

static void test_parse_forms(void **state)
{
    (void)state;
    expect_date("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE);
    expect_date("Sunday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE);
    expect_date("Sun Nov  6 08:49:37 1994", RFC_EXAMPLE);
    expect_date("Sun Nov 06 08:49:37 1994", RFC_EXAMPLE); /* 2DIGIT day */
    expect_date("Thu, 01 Jan 1970 00:00:00 GMT", 0);
    expect_date("Wed, 31 Dec 1969 23:59:59 GMT", -1);
    expect_date("Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
    expect_date("Wednesday, 29-Feb-12 00:00:00 GMT", 1330473600);
    /* a leap second (60) is the next minute's first second */
    expect_date("Sat, 31 Dec 2016 23:59:60 GMT", 1483228800);
    /* rfc850 centuries: 50 years ahead at most */
    int64_t t;
    assert_int_equal(
        parse_at("Thursday, 01-Jan-70 00:00:00 GMT", 788918400 /* 1995 */, &t),
        0);
    assert_true(t == 0);
    /* in 2026, "70" is 2070 (a Wednesday), "77" is 1977 */
    assert_int_equal(
        parse_at("Wednesday, 01-Jan-70 00:00:00 GMT", NOW_2026, &t), 0);
    assert_true(t == 3155760000);
    assert_int_equal(parse_at("Saturday, 01-Jan-77 00:00:00 GMT", NOW_2026, &t),
                     0);
    assert_true(t == 220924800);
    expect_bad_date("Thursday, 01-Jan-70 00:00:00 GMT"); /* 2070 */
}

static void test_parse_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "Sun",
        "Sun,",
        /* names: case, spelling, long day name in the fixdate */
        "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 NOV 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sunday, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "sunday, 06-Nov-94 08:49:37 GMT",
        "Sund, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994 GMT",
        /* the weekday of another date */
        "Mon, 06 Nov 1994 08:49:37 GMT",
        "Monday, 06-Nov-94 08:49:37 GMT",
        "Mon Nov  6 08:49:37 1994",
        /* days that do not exist, times out of range */
        "Thu, 29 Feb 2100 00:00:00 GMT",
        "Mon, 30 Feb 2004 00:00:00 GMT",
        "Sat, 00 Jan 2000 00:00:00 GMT",
        "Tue, 32 Jan 2000 00:00:00 GMT",
        "Sun, 31 Apr 1994 00:00:00 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        /* spacing and digits */
        " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun,  06 Nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT",
        "Sun, 0x Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:3x GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6  8:49:37 1994",
        "Sun  Nov 6 08:49:37 1994",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 6-Nov-94 08:49:37 GMT",
        "Sunday,06-Nov-94 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_bad_date(bad[i]);
    /* a NUL inside, and every cut of the three forms */
    expect_bad_date_n("Sun, 06 Nov 1994 08:49:37 GM\0", 29);
    static const char *const good[] = {"Sun, 06 Nov 1994 08:49:37 GMT",
                                       "Sunday, 06-Nov-94 08:49:37 GMT",
                                       "Sun Nov  6 08:49:37 1994"};
    for (size_t i = 0; i < 3; i++)
        for (size_t n = 0; n < strlen(good[i]); n++)
            expect_bad_date_n(good[i], n);
}

/* ---- If-None-Match lists ------------------------------------------------ */

#define TAG "\"i00a1b2c3d4e5f607-c\""

static int inm(const char *s)
{
    return http_cache_inm_match(s, strlen(s), TAG);
}

static void test_inm_lists(void **state)
{
    (void)state;
    assert_int_equal(inm(TAG), 1);
    assert_int_equal(inm("W/" TAG), 1); /* weak comparison */
    assert_int_equal(inm("*"), 1);
    assert_int_equal(inm("  *\t"), 1);
    assert_int_equal(inm("\"a\", " TAG), 1);
    assert_int_equal(inm("\"a\"," TAG ",\"b\""), 1);
    assert_int_equal(inm(", ," TAG ",,"), 1); /* empty elements */
    assert_int_equal(inm("\t" TAG "\t"), 1);
    assert_int_equal(inm("W/\"a\" ,\t W/" TAG), 1);
    assert_int_equal(inm("\"a\""), 0);
    assert_int_equal(inm("\"\""), 0);
    assert_int_equal(inm("W/\"a\", \"b\""), 0);
    assert_int_equal(inm("\"i00a1b2c3d4e5f607-\""), 0); /* a prefix */
    assert_int_equal(inm("\"i00a1b2c3d4e5f607-cc\""), 0);
    assert_int_equal(inm("\"\x80\xff!#~\""), 0); /* obs-text, edges */
    static const char *const bad[] = {
        "",          " ",           ",",
        " , ,",      "abc",         "i00a1b2c3d4e5f607-c", /* not quoted */
        "w/" TAG, /* W in upper case only */
        "W/",        "W " TAG,      "W/ " TAG,
        "\"a",       "\"a\" \"b\"",               /* no comma */
        TAG " x",    "*, " TAG,                   /* "*" only alone */
        TAG ", *",   "**",          "\"a b\"",    /* space inside */
        "\"a\tb\"",                               /* tab inside */
        "\"a\x01\"", "\"a\x7f\"",   "\"a\\\"b\"", /* no escapes */
        "'a'",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (inm(bad[i]) != -EINVAL)
            fail_msg("accepted: '%s'", bad[i]);
    /* NUL bytes are not etagc: only len bytes count */
    assert_int_equal(http_cache_inm_match("\"a\0\"", 4, TAG), -EINVAL);
    assert_int_equal(http_cache_inm_match(TAG "junk", strlen(TAG), TAG), 1);
}

/* ---- decisions ------------------------------------------------------------
 */

/* A complete entity completed at RFC_EXAMPLE; strong when created in an
 * earlier second. */
static void make_entity(struct http_cache_entity *e, bool strong)
{
    memset(e, 0, sizeof *e);
    e->is_public = true;
    snprintf(e->etag, sizeof e->etag, "%s", TAG);
    e->has_date = true;
    e->last_modified = RFC_EXAMPLE;
    snprintf(e->date, sizeof e->date, "Sun, 06 Nov 1994 08:49:37 GMT");
    e->strong_date = strong;
}

static bool nm(const struct http_cache_entity *e,
               const struct http_cache_conditions *c)
{
    return http_cache_not_modified(e, c, NOW_2026);
}

static void test_not_modified(void **state)
{
    struct http_cache_entity e;
    struct http_cache_conditions c;
    (void)state;
    make_entity(&e, true);
    memset(&c, 0, sizeof c);
    assert_false(nm(&e, &c)); /* no condition */

    c.if_none_match[0] = TAG;
    c.n_if_none_match = 1;
    assert_true(nm(&e, &c));
    c.if_none_match[0] = "W/" TAG;
    assert_true(nm(&e, &c));
    c.if_none_match[0] = "*";
    assert_true(nm(&e, &c));
    c.if_none_match[0] = "\"other\"";
    assert_false(nm(&e, &c));
    /* several field lines: any may match; a malformed one spoils all */
    c.if_none_match[1] = TAG;
    c.n_if_none_match = 2;
    assert_true(nm(&e, &c));
    c.if_none_match[1] = "junk";
    assert_false(nm(&e, &c));
    c.if_none_match[1] = TAG;
    c.n_if_none_match = HTTP_CACHE_INM_LINES + 1; /* too many */
    assert_false(nm(&e, &c));
    /* If-None-Match present: If-Modified-Since is not looked at */
    c.if_none_match[0] = "\"other\"";
    c.n_if_none_match = 1;
    c.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
    c.n_if_modified_since = 1;
    assert_false(nm(&e, &c));

    memset(&c, 0, sizeof c);
    c.n_if_modified_since = 1;
    c.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_true(nm(&e, &c));
    c.if_modified_since = "Sunday, 06-Nov-94 08:49:38 GMT";
    assert_true(nm(&e, &c));
    c.if_modified_since = "Sun Nov  6 08:49:36 1994";
    assert_false(nm(&e, &c));
    c.if_modified_since = "Sun, 06 Nov 1994 08:49:37 gmt";
    assert_false(nm(&e, &c)); /* not a date: ignored */
    c.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
    c.n_if_modified_since = 2; /* two fields: ignored */
    assert_false(nm(&e, &c));
    c.n_if_modified_since = 1;
    make_entity(&e, false); /* created within its completion second */
    assert_false(nm(&e, &c));

    /* no validators (live, interrupted), or the drop-in: never 304 */
    make_entity(&e, true);
    e.etag[0] = '\0';
    e.has_date = false;
    c.if_none_match[0] = "*";
    c.n_if_none_match = 1;
    assert_false(nm(&e, &c));
    make_entity(&e, true);
    e.legacy = true;
    assert_false(nm(&e, &c));
}

static void test_if_range(void **state)
{
    struct http_cache_entity e;
    struct http_cache_conditions c;
    (void)state;
    make_entity(&e, true);
    memset(&c, 0, sizeof c);
    assert_true(http_cache_range_applies(&e, &c)); /* no If-Range */
    c.n_if_range = 1;
    c.if_range = TAG;
    assert_true(http_cache_range_applies(&e, &c));
    c.if_range = "W/" TAG; /* strong comparison */
    assert_false(http_cache_range_applies(&e, &c));
    c.if_range = "\"other\"";
    assert_false(http_cache_range_applies(&e, &c));
    c.if_range = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_true(http_cache_range_applies(&e, &c));
    c.if_range = "Sunday, 06-Nov-94 08:49:37 GMT"; /* not exactly it */
    assert_false(http_cache_range_applies(&e, &c));
    c.if_range = "Sun, 06 Nov 1994 08:49:38 GMT";
    assert_false(http_cache_range_applies(&e, &c));
    c.if_range = "";
    assert_false(http_cache_range_applies(&e, &c));
    c.if_range = TAG;
    c.n_if_range = 2;
    assert_false(http_cache_range_applies(&e, &c));
    c.n_if_range = 1;
    c.if_range = "Sun, 06 Nov 1994 08:49:37 GMT";
    make_entity(&e, false); /* a weak date */
    assert_false(http_cache_range_applies(&e, &c));
    /* no validators: the whole log; the drop-in ignores If-Range */
    make_entity(&e, true);
    e.etag[0] = '\0';
    e.has_date = false;
    c.if_range = TAG;
    assert_false(http_cache_range_applies(&e, &c));
    e.legacy = true;
    assert_true(http_cache_range_applies(&e, &c));
}

/* ---- entities --------------------------------------------------------- */

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_http_cache-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct store_stream *new_stream(const char *dir, const char *sub,
                                       const char *name, uint64_t now_ms,
                                       size_t len)
{
    char path[128];
    struct store_stream *s = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    assert_int_equal(
        store_stream_create_dir(path, name, strlen(name), now_ms, &s), 0);
    char buf[64];
    memset(buf, 'x', sizeof buf);
    assert_true(len <= sizeof buf);
    assert_int_equal(store_stream_append(s, buf, len), 0);
    return s;
}

static void test_entity_stream(void **state)
{
    struct fixture *f = *state;
    struct http_cache_entity e;
    uint64_t t0 = 1700000000123ULL;

    struct store_stream *a = new_stream(f->dir, "a", "x/public/a", t0, 12);
    http_cache_entity_stream(&e, a, STORE_LIVE, 12);
    assert_false(e.legacy);
    assert_true(e.is_public);
    assert_string_equal(e.etag, ""); /* live: no validator */
    assert_false(e.has_date);
    assert_int_equal(store_stream_set_state(a, STORE_COMPLETE), 0);
    http_cache_entity_stream(&e, a, STORE_COMPLETE, 12);
    char want[64];
    snprintf(want, sizeof want, "\"i%016llx-c\"",
             (unsigned long long)store_stream_incarnation(a));
    assert_true(store_stream_incarnation(a) != 0);
    assert_string_equal(e.etag, want);
    assert_true(e.has_date);
    uint64_t done = store_stream_completed_ms(a);
    assert_true(e.last_modified == (int64_t)(done / 1000));
    char date[HTTP_CACHE_DATE_LEN + 1];
    http_cache_format_date(e.last_modified, date, sizeof date);
    assert_string_equal(e.date, date);
    assert_true(e.strong_date == (t0 / 1000 < done / 1000));
    http_cache_entity_stream(&e, a, STORE_INTERRUPTED, 12);
    assert_string_equal(e.etag, "");

    /* the same name and length again: another incarnation, another tag */
    struct store_stream *b = new_stream(f->dir, "b", "x/public/a", t0, 12);
    assert_int_equal(store_stream_set_state(b, STORE_COMPLETE), 0);
    struct http_cache_entity e2;
    http_cache_entity_stream(&e2, b, STORE_COMPLETE, 12);
    assert_string_not_equal(e2.etag, "");
    http_cache_entity_stream(&e, a, STORE_COMPLETE, 12);
    assert_string_not_equal(e.etag, e2.etag);
    store_stream_free(a);
    store_stream_free(b);

    /* a private name */
    struct store_stream *p = new_stream(f->dir, "p", "x/private/a", t0, 3);
    http_cache_entity_stream(&e, p, STORE_LIVE, 3);
    assert_false(e.is_public);
    store_stream_free(p);

    /* a meta file from before the incarnation: the times form, stable */
    char path[128];
    snprintf(path, sizeof path, "%s/old", f->dir);
    struct store_stream *o = new_stream(f->dir, "old", "x/public/o", t0, 5);
    assert_int_equal(store_stream_set_state(o, STORE_COMPLETE), 0);
    store_stream_free(o);
    struct store_meta m;
    assert_int_equal(store_meta_read(path, &m), 0);
    m.incarnation = 0;
    m.created_ms = 0x10;
    m.completed_ms = 1700000005000ULL;
    assert_int_equal(store_meta_write(path, &m, false), 0);
    assert_int_equal(store_stream_open_dir(path, t0, &o), 0);
    assert_true(store_stream_incarnation(o) == 0);
    http_cache_entity_stream(&e, o, STORE_COMPLETE, 5);
    snprintf(want, sizeof want, "\"t10.%llx-5\"", 1700000005000ULL);
    assert_string_equal(e.etag, want);
    assert_true(e.strong_date);
    store_stream_free(o);

    /* a temporary stream (the drop-in): legacy */
    struct store_stream *tmp = NULL;
    assert_int_equal(store_stream_create_temp(f->dir, 1, &tmp), 0);
    assert_int_equal(store_stream_set_state(tmp, STORE_COMPLETE), 0);
    http_cache_entity_stream(&e, tmp, STORE_COMPLETE, 0);
    assert_true(e.legacy);
    assert_string_equal(e.etag, "");
    store_stream_free(tmp);
}

static void test_entity_archive(void **state)
{
    struct archive_meta m;
    struct http_cache_entity e;
    (void)state;
    memset(&m, 0, sizeof m);
    m.size = 0x1234;
    for (int i = 0; i < 32; i++)
        m.sha256[i] = (unsigned char)(i * 17);
    m.has_sha256 = true;
    m.created_ms = 1700000000000ULL;
    m.completed_ms = 1700000001999ULL;
    http_cache_entity_archive(&e, "t/public/x", 10, &m);
    assert_true(e.is_public);
    assert_false(e.legacy);
    assert_string_equal(e.etag, "\"s00112233445566778899aabbccddeeff-1234\"");
    assert_true(e.has_date && e.last_modified == 1700000001);
    assert_true(e.strong_date);
    /* same second: a weak date */
    m.completed_ms = 1700000000999ULL;
    http_cache_entity_archive(&e, "t/x", 3, &m);
    assert_false(e.is_public);
    assert_false(e.strong_date);
    /* times unknown: no date; no SHA-256: no validator at all */
    m.created_ms = m.completed_ms = 0;
    http_cache_entity_archive(&e, "t/public/x", 10, &m);
    assert_false(e.has_date);
    assert_string_not_equal(e.etag, "");
    m.has_sha256 = false;
    m.completed_ms = 1700000001999ULL;
    http_cache_entity_archive(&e, "t/public/x", 10, &m);
    assert_string_equal(e.etag, "");
    assert_false(e.has_date);
}

/* ---- headers ------------------------------------------------------------ */

static void expect_headers(const struct http_cache_entity *e, const char *cc,
                           const char *etag, const char *lm, const char *accel)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    assert_non_null(r);
    http_cache_headers(r, e);
    const char *got[4] = {
        MHD_get_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL),
        MHD_get_response_header(r, MHD_HTTP_HEADER_ETAG),
        MHD_get_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED),
        MHD_get_response_header(r, "X-Accel-Buffering"),
    };
    const char *want[4] = {cc, etag, lm, accel};
    for (int i = 0; i < 4; i++) {
        if (want[i] == NULL)
            assert_null(got[i]);
        else
            assert_string_equal(got[i], want[i]);
    }
    MHD_destroy_response(r);
}

static void test_headers(void **state)
{
    struct http_cache_entity e;
    const char *lm = "Sun, 06 Nov 1994 08:49:37 GMT";
    (void)state;
    make_entity(&e, true);
    expect_headers(&e, HTTP_CACHE_PUBLIC, TAG, lm, NULL);
    assert_string_equal(HTTP_CACHE_PUBLIC,
                        "public, max-age=10, must-revalidate");
    e.is_public = false;
    expect_headers(&e, "private, no-store", TAG, lm, "no");
    e.etag[0] = '\0';
    e.has_date = false;
    expect_headers(&e, "private, no-store", NULL, NULL, "no");
    e.is_public = true;
    expect_headers(&e, "no-store", NULL, NULL, "no");
    make_entity(&e, false);
    e.has_date = false;
    expect_headers(&e, HTTP_CACHE_PUBLIC, TAG, NULL, NULL);
    e.legacy = true;
    expect_headers(&e, "no-store", NULL, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_dates_against_gmtime),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_inm_lists),
        cmocka_unit_test(test_not_modified),
        cmocka_unit_test(test_if_range),
        cmocka_unit_test_setup_teardown(test_entity_stream, setup, teardown),
        cmocka_unit_test(test_entity_archive),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
