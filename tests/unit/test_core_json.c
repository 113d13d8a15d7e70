/* test_core_json: unit tests for src/core/core_json.c. Every escape form,
 * every kind of invalid UTF-8, valid multibyte passthrough, truncation at
 * every buffer size (checked with the strict validator in json_check.c),
 * numbers and raw text. Single-threaded cmocka tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/core_json.h"
#include "json_check.h"

#define BIG 8192

/* Encodes n bytes of in as one JSON string in a roomy buffer and checks
 * that the result equals want (the text between the quotes). */
static void expect_str(const char *in, size_t n, const char *want)
{
    char buf[BIG];
    struct core_json j;

    core_json_init(&j, buf, sizeof buf);
    core_json_str(&j, in, n, 0);
    assert_false(j.truncated);
    assert_true(j.len >= 2);
    assert_int_equal(buf[0], '"');
    assert_int_equal(buf[j.len - 1], '"');
    assert_int_equal(buf[j.len], '\0');
    if (j.len - 2 != strlen(want) || memcmp(buf + 1, want, j.len - 2) != 0)
        fail_msg("encoded %s, want \"%s\"", buf, want);
    assert_true(json_check_string(buf, j.len));
    assert_true(json_check_value(buf, j.len));
}

#define EXPECT(lit, want) expect_str((lit), sizeof(lit) - 1, (want))

static void test_control_bytes(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 0x20; c++) {
        char in[1] = {(char)c};
        char want[8];

        switch (c) {
        case '\b':
            memcpy(want, "\\b", 3);
            break;
        case '\t':
            memcpy(want, "\\t", 3);
            break;
        case '\n':
            memcpy(want, "\\n", 3);
            break;
        case '\f':
            memcpy(want, "\\f", 3);
            break;
        case '\r':
            memcpy(want, "\\r", 3);
            break;
        default:
            snprintf(want, sizeof want, "\\u%04x", c);
            break;
        }
        expect_str(in, 1, want);
    }
    EXPECT("\x7f", "\\u007f");
    EXPECT("\0", "\\u0000");
    EXPECT("a\0b", "a\\u0000b");
    EXPECT("\x1b[31mred\x1b[0m", "\\u001b[31mred\\u001b[0m");
    EXPECT("line1\r\nline2\n", "line1\\r\\nline2\\n");
}

static void test_quotes_backslash(void **state)
{
    (void)state;
    EXPECT("\"", "\\\"");
    EXPECT("\\", "\\\\");
    EXPECT("a\"b\\c", "a\\\"b\\\\c");
    EXPECT("\\u0041", "\\\\u0041");
    EXPECT("\"\"\\\\", "\\\"\\\"\\\\\\\\");
    EXPECT("", "");
}

static void test_printable_ascii(void **state)
{
    char in[128];
    size_t n = 0;

    (void)state;
    for (unsigned c = 0x20; c < 0x7f; c++) {
        if (c != '"' && c != '\\')
            in[n++] = (char)c;
    }
    in[n] = '\0';
    expect_str(in, n, in);
    EXPECT("/<script>", "/<script>"); /* '/' needs no escape */
}

#define FFFD "\\ufffd"

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* stray continuation bytes */
    EXPECT("\x80", FFFD);
    EXPECT("\xbf", FFFD);
    EXPECT("a\x80\x80z", "a" FFFD FFFD "z");
    /* bytes that never start a sequence */
    EXPECT("\xc0", FFFD);
    EXPECT("\xc1", FFFD);
    EXPECT("\xf5", FFFD);
    EXPECT("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
    EXPECT("\xfe\xff", FFFD FFFD);
    /* truncated sequences: at the end and followed by ASCII */
    EXPECT("\xc3", FFFD);
    EXPECT("\xe2\x82", FFFD FFFD);
    EXPECT("\xf0\x9f\x98", FFFD FFFD FFFD);
    EXPECT("\xc3x", FFFD "x");
    EXPECT("\xe2\x82x", FFFD FFFD "x");
    EXPECT("\xf0\x9f\x98x", FFFD FFFD FFFD "x");
    EXPECT("\xe2\xe2\x82\xac", FFFD "\xe2\x82\xac");
    /* overlong encodings */
    EXPECT("\xc0\xaf", FFFD FFFD);
    EXPECT("\xc1\xbf", FFFD FFFD);
    EXPECT("\xe0\x80\xaf", FFFD FFFD FFFD);
    EXPECT("\xe0\x9f\xbf", FFFD FFFD FFFD);
    EXPECT("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
    EXPECT("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
    /* UTF-16 surrogates D800-DFFF */
    EXPECT("\xed\xa0\x80", FFFD FFFD FFFD);
    EXPECT("\xed\xbf\xbf", FFFD FFFD FFFD);
    EXPECT("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
    /* above U+10FFFF */
    EXPECT("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
    EXPECT("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
    /* a bad continuation in the middle */
    EXPECT("\xe2\x28\xa1", FFFD "(" FFFD);
    EXPECT("\xf0\x9f\x28\x80", FFFD FFFD "(" FFFD);
}

static void test_valid_multibyte(void **state)
{
    static const char *const ok[] = {
        "\xc2\x80",         /* U+0080 */
        "\xc3\xa9",         /* é */
        "\xdf\xbf",         /* U+07FF */
        "\xe0\xa0\x80",     /* U+0800 */
        "\xe2\x82\xac",     /* € */
        "\xed\x9f\xbf",     /* U+D7FF */
        "\xee\x80\x80",     /* U+E000 */
        "\xef\xbf\xbd",     /* U+FFFD itself */
        "\xef\xbf\xbf",     /* U+FFFF */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf0\x9f\x98\x80", /* 😀 */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
        "\xe2\x80\xa8",     /* U+2028 */
        "日本語のログ",     "Grüße, Κόσμε, мир",
    };

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        expect_str(ok[i], strlen(ok[i]), ok[i]);
}

/* Every single byte value gives a valid JSON string. */
static void test_every_byte(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 256; c++) {
        char in[3] = {'a', (char)c, 'b'};
        char buf[64];
        struct core_json j;

        core_json_init(&j, buf, sizeof buf);
        core_json_str(&j, in, sizeof in, 0);
        assert_false(j.truncated);
        assert_true(json_check_string(buf, j.len));
        assert_true(json_check_utf8(buf, j.len));
    }
}

/* Input that mixes every kind of output unit. */
static const char mixed[] = "ab\"c\\d\n\x01\x7f\xc3\xa9\xe2\x82\xac"
                            "\xf0\x9f\x98\x80\x80\xc3\xe2\x82-"
                            "\xed\xa0\x80\tend";

/* Decoded prefix check: the truncated output decodes to a prefix of what
 * the full output decodes to. */
static void check_prefix(const char *buf, size_t len, const char *full,
                         size_t full_len)
{
    char a[BIG], b[BIG];
    size_t an = json_check_decode(buf, len, a, sizeof a);
    size_t bn = json_check_decode(full, full_len, b, sizeof b);

    assert_true(an != (size_t)-1);
    assert_true(bn != (size_t)-1);
    assert_true(an <= bn);
    assert_memory_equal(a, b, an);
}

static void test_truncation_every_cap(void **state)
{
    char full[BIG];
    struct core_json fj;

    (void)state;
    core_json_init(&fj, full, sizeof full);
    core_json_str(&fj, mixed, sizeof mixed - 1, 0);
    assert_false(fj.truncated);
    assert_true(json_check_string(full, fj.len));

    for (size_t reserve = 0; reserve < 8; reserve++) {
        for (size_t cap = 1; cap <= fj.len + reserve + 8; cap++) {
            char buf[BIG];
            struct core_json j;

            memset(buf, 'Z', sizeof buf);
            core_json_init(&j, buf, cap);
            core_json_str(&j, mixed, sizeof mixed - 1, reserve);
            assert_true(j.len < cap);
            assert_int_equal(buf[j.len], '\0');
            assert_int_equal(buf[cap], 'Z'); /* nothing past cap */
            if (cap < 3 + reserve) {
                /* not even "" fits with the reserve */
                assert_int_equal(j.len, 0);
                assert_true(j.truncated);
                continue;
            }
            assert_true(cap - 1 - j.len >= reserve);
            assert_true(json_check_string(buf, j.len));
            check_prefix(buf, j.len, full, fj.len);
            if (j.truncated) {
                assert_true(j.len < fj.len);
                /* it stopped only because the next unit did not fit */
                assert_true(cap - 1 - j.len - reserve < 6);
            } else {
                assert_int_equal(j.len, fj.len);
                assert_memory_equal(buf, full, fj.len);
            }
        }
    }
}

/* A string member inside an object: with reserve 1 for the closing
 * brace the text is valid JSON at every buffer size. */
static void test_truncation_in_document(void **state)
{
    (void)state;
    for (size_t cap = 1; cap < 200; cap++) {
        char buf[256];
        struct core_json j;

        core_json_init(&j, buf, cap);
        core_json_raw(&j, "{\"k\":", 5);
        if (j.truncated)
            continue;
        core_json_str(&j, mixed, sizeof mixed - 1, 1);
        if (j.truncated && j.len == 5)
            continue; /* not even "" fitted */
        core_json_raw(&j, "}", 1);
        assert_true(j.len < cap);
        if (!json_check_value(buf, j.len))
            fail_msg("cap %zu: invalid JSON: %s", cap, buf);
        assert_true(j.len >= 8);
    }
}

/* Pseudo-random bytes always encode to a valid JSON string. */
static void test_random_bytes(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15u;

    (void)state;
    for (int round = 0; round < 20000; round++) {
        unsigned char in[48];
        char buf[48 * 6 + 3];
        struct core_json j;
        size_t n = (size_t)(round % 48);

        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            in[i] = (unsigned char)x;
            /* bias towards UTF-8-looking bytes */
            if (round % 3 == 0 && (in[i] & 0x40) != 0)
                in[i] |= 0x80;
        }
        core_json_init(&j, buf, sizeof buf);
        core_json_str(&j, (const char *)in, n, 0);
        assert_false(j.truncated);
        assert_true(json_check_string(buf, j.len));
        /* truncated versions as well */
        for (size_t cap = 3; cap < 24; cap += 5) {
            char small[32];
            struct core_json s;

            core_json_init(&s, small, cap);
            core_json_str(&s, (const char *)in, n, 0);
            assert_true(json_check_string(small, s.len));
        }
    }
}

/* Valid UTF-8 without control bytes round-trips byte for byte. */
static void test_roundtrip(void **state)
{
    static const char *const samples[] = {
        "plain text",
        "tab\tand\nnewline and \"quotes\" and \\ backslash",
        "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", /* U+0080 .. U+FFFF */
        "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",         /* U+10000, U+10FFFF */
        "\x01\x02\x1f\x7f",
    };

    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char buf[512], out[512];
        struct core_json j;
        size_t n = strlen(samples[i]);

        core_json_init(&j, buf, sizeof buf);
        core_json_str(&j, samples[i], n, 0);
        assert_int_equal(json_check_decode(buf, j.len, out, sizeof out), n);
        assert_memory_equal(out, samples[i], n);
    }
}

static void test_null_string(void **state)
{
    char buf[16];
    struct core_json j;

    (void)state;
    core_json_init(&j, buf, sizeof buf);
    core_json_str(&j, NULL, 5, 0);
    assert_string_equal(buf, "\"\"");
    assert_false(j.truncated);
}

static void test_numbers(void **state)
{
    char buf[128];
    struct core_json j;

    (void)state;
    core_json_init(&j, buf, sizeof buf);
    core_json_u64(&j, 0);
    core_json_raw(&j, ",", 1);
    core_json_u64(&j, 42);
    core_json_raw(&j, ",", 1);
    core_json_u64(&j, UINT64_MAX);
    core_json_raw(&j, ",", 1);
    core_json_i64(&j, 0);
    core_json_raw(&j, ",", 1);
    core_json_i64(&j, -1);
    core_json_raw(&j, ",", 1);
    core_json_i64(&j, INT64_MAX);
    core_json_raw(&j, ",", 1);
    core_json_i64(&j, INT64_MIN);
    assert_false(j.truncated);
    assert_string_equal(buf, "0,42,18446744073709551615,0,-1,"
                             "9223372036854775807,-9223372036854775808");
    assert_int_equal(j.len, strlen(buf));
}

static void test_raw_all_or_nothing(void **state)
{
    char buf[8];
    struct core_json j;

    (void)state;
    core_json_init(&j, buf, sizeof buf);
    assert_int_equal(buf[0], '\0');
    core_json_raw(&j, "{\"a\":", 5);
    core_json_raw(&j, "true", 4); /* needs 4, only 2 left before NUL */
    assert_true(j.truncated);
    assert_string_equal(buf, "{\"a\":");
    assert_int_equal(j.len, 5);
    core_json_u64(&j, 123); /* 3 digits do not fit either */
    assert_int_equal(j.len, 5);
    core_json_raw(&j, "1}", 2); /* exactly fills cap - 1 */
    assert_int_equal(j.len, 7);
    assert_string_equal(buf, "{\"a\":1}");

    core_json_init(&j, buf, 1); /* only the NUL fits */
    core_json_raw(&j, "x", 1);
    core_json_str(&j, "", 0, 0);
    assert_int_equal(j.len, 0);
    assert_true(j.truncated);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_bytes),
        cmocka_unit_test(test_quotes_backslash),
        cmocka_unit_test(test_printable_ascii),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_valid_multibyte),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_truncation_every_cap),
        cmocka_unit_test(test_truncation_in_document),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_null_string),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_raw_all_or_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
