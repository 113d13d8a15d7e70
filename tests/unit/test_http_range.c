/* test_http_range: unit tests for src/http/http_range.c (Range header
 * parsing per RFC 9110 and resolution against a length). Single-threaded
 * cmocka tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_range.h"

static int parse(const char *s, struct http_range *r)
{
    return http_range_parse(s, strlen(s), r);
}

static void expect_range(const char *s, enum http_range_kind kind, uint64_t a,
                         uint64_t b)
{
    struct http_range r;

    memset(&r, 0xab, sizeof r);
    assert_int_equal(parse(s, &r), 0);
    assert_int_equal(r.kind, kind);
    switch (kind) {
    case HTTP_RANGE_FROM:
        assert_true(r.first == a);
        break;
    case HTTP_RANGE_BOUNDED:
        assert_true(r.first == a);
        assert_true(r.last == b);
        break;
    case HTTP_RANGE_SUFFIX:
        assert_true(r.suffix == a);
        break;
    }
}

static void test_parse_forms(void **state)
{
    (void)state;
    expect_range("bytes=0-", HTTP_RANGE_FROM, 0, 0);
    expect_range("bytes=100-", HTTP_RANGE_FROM, 100, 0);
    expect_range("bytes=0-0", HTTP_RANGE_BOUNDED, 0, 0);
    expect_range("bytes=5-10", HTTP_RANGE_BOUNDED, 5, 10);
    expect_range("bytes=-1", HTTP_RANGE_SUFFIX, 1, 0);
    expect_range("bytes=-0", HTTP_RANGE_SUFFIX, 0, 0);
    expect_range("bytes=-500", HTTP_RANGE_SUFFIX, 500, 0);
    /* last 2^64 - 1 reads as 2^64 - 2: last + 1 never overflows */
    expect_range("bytes=0-18446744073709551615", HTTP_RANGE_BOUNDED, 0,
                 UINT64_MAX - 1);
    expect_range("bytes=0-18446744073709551614", HTTP_RANGE_BOUNDED, 0,
                 UINT64_MAX - 1);
    expect_range("bytes=18446744073709551615-", HTTP_RANGE_FROM, UINT64_MAX, 0);
}

static void test_parse_whitespace_and_case(void **state)
{
    (void)state;
    expect_range("  bytes=1-2", HTTP_RANGE_BOUNDED, 1, 2);
    expect_range("bytes=1-2 \t", HTTP_RANGE_BOUNDED, 1, 2);
    expect_range("\tbytes= 1-2 ", HTTP_RANGE_BOUNDED, 1, 2);
    expect_range("Bytes=7-", HTTP_RANGE_FROM, 7, 0);
    expect_range("BYTES=-3", HTTP_RANGE_SUFFIX, 3, 0);
    expect_range("bYtEs=1-1", HTTP_RANGE_BOUNDED, 1, 1);
    /* empty list elements are ignored (RFC 9110 5.6.1) */
    expect_range("bytes=1-2,", HTTP_RANGE_BOUNDED, 1, 2);
    expect_range("bytes=, 1-2 ,  ,", HTTP_RANGE_BOUNDED, 1, 2);
    /* only len bytes are read */
    {
        struct http_range r;

        assert_int_equal(http_range_parse("bytes=1-2,junk", 9, &r), 0);
        assert_true(r.kind == HTTP_RANGE_BOUNDED && r.last == 2);
    }
}

static void test_parse_multiple(void **state)
{
    static const char *const multi[] = {
        "bytes=0-1,2-3", "bytes=0-1, 5-",   "bytes=-5 , 0-0",
        "bytes=1-2,1-2", "bytes=0-0,-1,5-",
    };
    struct http_range r = {.kind = HTTP_RANGE_FROM, .first = 77};

    (void)state;
    for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++) {
        assert_int_equal(parse(multi[i], &r), -E2BIG);
        assert_true(r.kind == HTTP_RANGE_FROM && r.first == 77);
    }
}

static void test_parse_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        " ",
        "bytes",
        "bytes=",
        "bytes= ",
        "bytes=,",
        "bytes=-",
        "bytes=--",
        "bytes=5-3",
        "bytes=1",
        "bytes=a-b",
        "bytes=1-b",
        "bytes=0x1-2",
        "bytes=+1-2",
        "bytes=1-+2",
        "bytes=-+5",
        "bytes=--5",
        "bytes=-1-2",
        "bytes=1--2",
        "bytes=1 -2",
        "bytes=1- 2",
        "bytes =1-2",
        "bytes= =1-2",
        "bytes:1-2",
        "byte=1-2",
        "bytesx=1-2",
        "items=1-2",
        "lines=0-",
        "=1-2",
        "1-2",
        "bytes=18446744073709551616-",
        "bytes=0-18446744073709551616",
        "bytes=18446744073709551615-18446744073709551615",
        "bytes=-18446744073709551616",
        "bytes=99999999999999999999-",
        "bytes=1-2,junk",
        "bytes=1-2,5-3",
        "bytes=1-2;3-4",
        "bytes=1-2\n",
    };
    struct http_range r = {.kind = HTTP_RANGE_FROM, .first = 77};

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], &r) != -EINVAL)
            fail_msg("\"%s\" was not rejected with -EINVAL", bad[i]);
        assert_true(r.kind == HTTP_RANGE_FROM && r.first == 77);
    }
    assert_int_equal(http_range_parse(NULL, 0, &r), -EINVAL);
    assert_int_equal(http_range_parse("bytes=1\0-2", 10, &r), -EINVAL);
}

static void expect_span(const struct http_range *r, uint64_t length,
                        uint64_t start, uint64_t end)
{
    uint64_t s = 12345, e = 12345;

    assert_int_equal(http_range_resolve(r, length, &s, &e), 0);
    assert_true(s == start);
    assert_true(e == end);
}

static void expect_unsatisfiable(const struct http_range *r, uint64_t length)
{
    uint64_t s = 12345, e = 12345;

    assert_int_equal(http_range_resolve(r, length, &s, &e), -ERANGE);
    assert_true(s == 12345 && e == 12345);
}

static void test_resolve_from(void **state)
{
    struct http_range r = {.kind = HTTP_RANGE_FROM, .first = 0};

    (void)state;
    expect_unsatisfiable(&r, 0);
    expect_span(&r, 1, 0, 1);
    expect_span(&r, 100, 0, 100);
    r.first = 99;
    expect_span(&r, 100, 99, 100);
    r.first = 100;
    expect_unsatisfiable(&r, 100);
    expect_unsatisfiable(&r, 1);
    r.first = UINT64_MAX;
    expect_unsatisfiable(&r, 100);
    expect_unsatisfiable(&r, UINT64_MAX);
}

static void test_resolve_bounded(void **state)
{
    struct http_range r = {.kind = HTTP_RANGE_BOUNDED, .first = 0, .last = 0};

    (void)state;
    expect_unsatisfiable(&r, 0);
    expect_span(&r, 1, 0, 1);
    expect_span(&r, 100, 0, 1);
    r.first = 10;
    r.last = 19;
    expect_span(&r, 100, 10, 20);
    expect_span(&r, 20, 10, 20);
    expect_span(&r, 15, 10, 15); /* last beyond the end: clipped */
    expect_span(&r, 11, 10, 11);
    expect_unsatisfiable(&r, 10); /* first >= length */
    expect_unsatisfiable(&r, 1);
    r.last = UINT64_MAX;
    expect_span(&r, 100, 10, 100);
    expect_span(&r, UINT64_MAX, 10, UINT64_MAX);
}

static void test_resolve_suffix(void **state)
{
    struct http_range r = {.kind = HTTP_RANGE_SUFFIX, .suffix = 1};

    (void)state;
    expect_unsatisfiable(&r, 0);
    expect_span(&r, 1, 0, 1);
    expect_span(&r, 100, 99, 100);
    r.suffix = 30;
    expect_span(&r, 100, 70, 100);
    expect_span(&r, 30, 0, 30);
    expect_span(&r, 29, 0, 29); /* larger than the length: whole */
    expect_span(&r, 1, 0, 1);
    r.suffix = UINT64_MAX;
    expect_span(&r, 100, 0, 100);
    r.suffix = 0;
    expect_unsatisfiable(&r, 100);
    expect_unsatisfiable(&r, 1);
    expect_unsatisfiable(&r, 0);
}

static void test_resolve_malformed(void **state)
{
    struct http_range r = {.kind = HTTP_RANGE_BOUNDED, .first = 5, .last = 4};
    uint64_t s = 1, e = 1;

    (void)state;
    assert_int_equal(http_range_resolve(&r, 10, &s, &e), -EINVAL);
    assert_int_equal(http_range_resolve(NULL, 10, &s, &e), -EINVAL);
    assert_true(s == 1 && e == 1);
}

/* Parse then resolve, end to end. */
static void test_parse_then_resolve(void **state)
{
    struct http_range r;
    uint64_t s, e;

    (void)state;
    assert_int_equal(parse("bytes=-500", &r), 0);
    assert_int_equal(http_range_resolve(&r, 10000, &s, &e), 0);
    assert_true(s == 9500 && e == 10000);
    assert_int_equal(parse("bytes=9500-", &r), 0);
    assert_int_equal(http_range_resolve(&r, 10000, &s, &e), 0);
    assert_true(s == 9500 && e == 10000);
    assert_int_equal(parse("bytes=0-499", &r), 0);
    assert_int_equal(http_range_resolve(&r, 10000, &s, &e), 0);
    assert_true(s == 0 && e == 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_whitespace_and_case),
        cmocka_unit_test(test_parse_multiple),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_resolve_from),
        cmocka_unit_test(test_resolve_bounded),
        cmocka_unit_test(test_resolve_suffix),
        cmocka_unit_test(test_resolve_malformed),
        cmocka_unit_test(test_parse_then_resolve),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
