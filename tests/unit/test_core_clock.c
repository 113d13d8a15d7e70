/* test_core_clock: unit tests for src/core/core_clock.c (ISO-8601
 * formatting of known instants, clock monotonicity). Single-threaded
 * cmocka tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/core_clock.h"

static void check_iso(uint64_t ns, const char *want)
{
    char buf[CORE_CLOCK_ISO_LEN + 1];

    memset(buf, 'x', sizeof buf);
    assert_int_equal(core_clock_iso8601(ns, buf, sizeof buf),
                     CORE_CLOCK_ISO_LEN);
    assert_string_equal(buf, want);
}

#define S(x) ((uint64_t)(x)*CORE_NS_PER_S)

static void test_iso_known(void **state)
{
    (void)state;
    check_iso(0, "1970-01-01T00:00:00.000Z");
    check_iso(S(86399), "1970-01-01T23:59:59.000Z");
    check_iso(S(951782400), "2000-02-29T00:00:00.000Z"); /* 400-year leap */
    check_iso(S(1709164800) + S(3723), "2024-02-29T01:02:03.000Z");
    check_iso(S(1709251199), "2024-02-29T23:59:59.000Z");
    check_iso(S(1709251200), "2024-03-01T00:00:00.000Z");
    check_iso(S(4107542400), "2100-03-01T00:00:00.000Z"); /* 2100: no leap */
    check_iso(S(4107456000), "2100-02-28T00:00:00.000Z");
    check_iso(S(1798761600) - 1, "2026-12-31T23:59:59.999Z");
    check_iso(S(1798761600), "2027-01-01T00:00:00.000Z");
    check_iso(S(2147483647), "2038-01-19T03:14:07.000Z");
    check_iso(UINT64_MAX, "2554-07-21T23:34:33.709Z");
}

static void test_iso_ms_round_down(void **state)
{
    (void)state;
    check_iso(123999999, "1970-01-01T00:00:00.123Z");
    check_iso(999999999, "1970-01-01T00:00:00.999Z");
    check_iso(1000000, "1970-01-01T00:00:00.001Z");
    check_iso(999999, "1970-01-01T00:00:00.000Z");
    check_iso(S(1) + 500000000, "1970-01-01T00:00:01.500Z");
}

/* Every day for 200 years agrees with gmtime_r. */
static void test_iso_matches_gmtime(void **state)
{
    (void)state;
    for (time_t t = 0; t < (time_t)200 * 366 * 86400; t += 86400 + 3601) {
        struct tm tm;
        char want[64];

        assert_non_null(gmtime_r(&t, &tm));
        assert_true(strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S.042Z",
                             &tm) == CORE_CLOCK_ISO_LEN);
        check_iso(S(t) + 42 * CORE_NS_PER_MS, want);
    }
}

static void test_iso_small_buffer(void **state)
{
    char buf[CORE_CLOCK_ISO_LEN];

    (void)state;
    memset(buf, 'x', sizeof buf);
    assert_int_equal(core_clock_iso8601(0, buf, sizeof buf), 0);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(core_clock_iso8601(0, buf, 0), 0);
}

static void test_clocks(void **state)
{
    uint64_t a = core_clock_mono_ns();
    uint64_t b = core_clock_mono_ns();
    uint64_t r = core_clock_real_ns();

    (void)state;
    assert_true(b >= a);
    assert_true(r > S(1600000000)); /* after 2020 */
    assert_true(r < S(4102444800)); /* before 2100 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_known),
        cmocka_unit_test(test_iso_ms_round_down),
        cmocka_unit_test(test_iso_matches_gmtime),
        cmocka_unit_test(test_iso_small_buffer),
        cmocka_unit_test(test_clocks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
