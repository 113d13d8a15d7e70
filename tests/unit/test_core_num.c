/* test_core_num: unit tests for src/core/core_num.c (strict u64 parsing
 * and Go-Atoi-compatible port parsing). Single-threaded cmocka tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core_num.h"

static int u64(const char *s, uint64_t *v)
{
    return core_num_parse_u64(s, strlen(s), v);
}

static int port(const char *s, uint16_t *v)
{
    return core_num_parse_port(s, strlen(s), v);
}

static void test_u64_digits(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_int_equal(u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(u64("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(u64("000123", &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    /* only len bytes are read */
    assert_int_equal(core_num_parse_u64("12345", 2, &v), 0);
    assert_int_equal(v, 12);
}

static void test_u64_invalid(void **state)
{
    static const char *const bad[] = {
        "",    " 1",  "1 ",  "+1",  "-1",  "0x10",
        "1.0", "1e3", "abc", "12a", "a12", "1_000",
    };
    uint64_t v = 99;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(u64(bad[i], &v), -EINVAL);
        assert_int_equal(v, 99); /* untouched */
    }
    assert_int_equal(core_num_parse_u64(NULL, 0, &v), -EINVAL);
    assert_int_equal(core_num_parse_u64("1\0002", 3, &v), -EINVAL);
    assert_int_equal(v, 99);
}

static void test_u64_overflow(void **state)
{
    uint64_t v = 99;

    (void)state;
    assert_int_equal(u64("18446744073709551616", &v), -ERANGE);
    assert_int_equal(u64("99999999999999999999", &v), -ERANGE);
    assert_int_equal(u64("184467440737095516150", &v), -ERANGE);
    assert_int_equal(v, 99);
    /* junk wins over overflow */
    assert_int_equal(u64("99999999999999999999x", &v), -EINVAL);
}

static void test_port_ok(void **state)
{
    uint16_t v = 7;

    (void)state;
    assert_int_equal(port("80", &v), 0);
    assert_int_equal(v, 80);
    assert_int_equal(port("+80", &v), 0);
    assert_int_equal(v, 80);
    assert_int_equal(port("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(port("-0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(port("65535", &v), 0);
    assert_int_equal(v, 65535);
    assert_int_equal(port("060022", &v), 0);
    assert_int_equal(v, 60022);
}

static void test_port_range(void **state)
{
    uint16_t v = 7;

    (void)state;
    assert_int_equal(port("-1", &v), -ERANGE);
    assert_int_equal(port("65536", &v), -ERANGE);
    assert_int_equal(port("+65536", &v), -ERANGE);
    assert_int_equal(port("9223372036854775807", &v), -ERANGE);
    assert_int_equal(port("-9223372036854775808", &v), -ERANGE);
    assert_int_equal(v, 7);
}

static void test_port_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "abc",
        " 80",
        "80 ",
        "+",
        "-",
        "++80",
        "+-80",
        "8 0",
        "0x50",
        "80a",
        "1e3",
        "1_000",
        "٨٠", /* Arabic digits */
        "99999999999999999999",
        "9223372036854775808",
        "-9223372036854775809",
    };
    uint16_t v = 7;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(port(bad[i], &v), -EINVAL);
        assert_int_equal(v, 7);
    }
    assert_int_equal(core_num_parse_port(NULL, 0, &v), -EINVAL);
}

static void test_hex_digit(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        assert_int_equal(core_num_hex_digit((char)c), want);
    }
}

static void test_hex_round_trip(void **state)
{
    (void)state;
    unsigned char sha[32], back[32];
    char hex[65];

    for (int i = 0; i < 32; i++)
        sha[i] = (unsigned char)(i * 37 + 5);
    sha[0] = 0x00;
    sha[31] = 0xff;
    core_num_format_hex(sha, 32, hex);
    assert_string_equal(hex, "002a4f7499bee3082d52779cc1e60b30"
                             "557a9fc4e90e33587da2c7ec11365bff");
    assert_int_equal(core_num_parse_hex(hex, 64, back, 32), 0);
    assert_memory_equal(sha, back, 32);
    hex[3] = 'A'; /* either case */
    assert_int_equal(core_num_parse_hex(hex, 64, back, 32), 0);
    assert_int_equal(back[1], 0x2a);
    char none[1];
    core_num_format_hex(sha, 0, none);
    assert_int_equal(none[0], '\0');
    assert_int_equal(core_num_parse_hex("", 0, back, 0), 0);
}

static void test_hex_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0g", "g0", " 0", "0 ", "0x", "-1", "+1", "\xc3\xa9", ":0", "@0", "`0",
    };
    unsigned char b[2] = {0x55, 0x55};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(core_num_parse_hex(bad[i], 2, b, 1), -EINVAL);
        assert_int_equal(b[0], 0x55); /* untouched */
    }
    /* the length must be exactly twice the bytes */
    assert_int_equal(core_num_parse_hex("abc", 3, b, 1), -EINVAL);
    assert_int_equal(core_num_parse_hex("abc", 3, b, 2), -EINVAL);
    assert_int_equal(core_num_parse_hex("ab", 2, b, 2), -EINVAL);
    assert_int_equal(core_num_parse_hex("abcd", 4, b, 1), -EINVAL);
    assert_int_equal(core_num_parse_hex(NULL, 0, b, 0), -EINVAL);
    /* junk after a good first byte leaves the output untouched too */
    assert_int_equal(core_num_parse_hex("abzz", 4, b, 2), -EINVAL);
    assert_int_equal(b[0], 0x55);
    assert_int_equal(core_num_parse_hex("abCD", 4, b, 2), 0);
    assert_int_equal(b[0], 0xab);
    assert_int_equal(b[1], 0xcd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_digits),
        cmocka_unit_test(test_u64_invalid),
        cmocka_unit_test(test_u64_overflow),
        cmocka_unit_test(test_port_ok),
        cmocka_unit_test(test_port_range),
        cmocka_unit_test(test_port_invalid),
        cmocka_unit_test(test_hex_digit),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_hex_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
