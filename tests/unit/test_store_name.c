/* test_store_name: unit tests for src/store/store_name.c. Each rule of
 * docs/API.md "Names" with its message, the 1024-byte limit, every byte
 * value at a few positions, '.'/'..' segments against look-alikes, the
 * public rule and the prefix test. Single-threaded cmocka tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/store_name.h"

#define MSG_EMPTY "invalid log name: the name is empty"
#define MSG_LONG "invalid log name: longer than 1024 bytes"
#define MSG_SEGMENT                                                            \
    "invalid log name: empty segment (leading, trailing or doubled '/')"
#define MSG_DOTS "invalid log name: '.' and '..' segments are not allowed"
#define MSG_STATS                                                              \
    "invalid log name: the last segment may not be 'stats' "                   \
    "(/v1/logs/NAME/stats is the severity summary of NAME)"
#define MSG_BYTE_TAIL " is not allowed (use A-Z a-z 0-9 . _ ~ - and /)"

static int check(const char *s, char *msg, size_t cap)
{
    return store_name_check(s, strlen(s), msg, cap);
}

static void expect_ok(const char *s)
{
    char msg[256] = "untouched";

    if (check(s, msg, sizeof msg) != 0)
        fail_msg("\"%s\" refused: %s", s, msg);
    assert_int_equal(check(s, NULL, 0), 0);
}

/* Checks n bytes of s are refused with exactly want as the message. */
static void expect_refused_n(const char *s, size_t n, const char *want)
{
    char msg[256];

    memset(msg, 'x', sizeof msg);
    assert_int_equal(store_name_check(s, n, msg, sizeof msg), -EINVAL);
    if (strcmp(msg, want) != 0)
        fail_msg("\"%.*s\": message \"%s\", want \"%s\"", (int)n, s, msg, want);
    /* No message buffer: same verdict, nothing written anywhere. */
    assert_int_equal(store_name_check(s, n, NULL, 0), -EINVAL);
    assert_int_equal(store_name_check(s, n, msg, 0), -EINVAL);
}

static void expect_refused(const char *s, const char *want)
{
    expect_refused_n(s, strlen(s), want);
}

static void byte_msg(char *out, size_t cap, unsigned c, size_t pos)
{
    snprintf(out, cap, "invalid log name: byte 0x%02x at position %zu%s", c,
             pos, MSG_BYTE_TAIL);
}

static void test_valid(void **state)
{
    (void)state;
    expect_ok("a");
    expect_ok("live.log");
    expect_ok("task/abc/run/0/public/logs/live.log");
    expect_ok("A-Z_a-z~0-9.");
    expect_ok("...");
    expect_ok("a/.../b");
    expect_ok(".a");
    expect_ok("a.");
    expect_ok("..a");
    expect_ok("a/.b/..c/d..");
    expect_ok("~");
    expect_ok("-");
    expect_ok("_/_/_");
}

static void test_empty(void **state)
{
    char msg[64] = "";

    (void)state;
    expect_refused("", MSG_EMPTY);
    /* len 0 wins whatever the pointer holds */
    assert_int_equal(store_name_check("abc", 0, msg, sizeof msg), -EINVAL);
    assert_string_equal(msg, MSG_EMPTY);
}

static void test_length_limit(void **state)
{
    char name[STORE_NAME_MAX + 2];

    (void)state;
    assert_int_equal(STORE_NAME_MAX, 1024);
    memset(name, 'a', sizeof name);
    name[STORE_NAME_MAX + 1] = '\0';
    assert_int_equal(store_name_check(name, 1024, NULL, 0), 0);
    expect_refused_n(name, 1025, MSG_LONG);
    expect_refused(name, MSG_LONG);
    /* 1024 bytes of segments and slashes: still fine */
    for (size_t i = 1; i < STORE_NAME_MAX; i += 2)
        name[i] = '/';
    assert_int_equal(store_name_check(name, 1023, NULL, 0), 0);
    /* too long wins over any other broken rule */
    memset(name, '/', sizeof name);
    expect_refused_n(name, 1025, MSG_LONG);
    memset(name, 0, sizeof name);
    expect_refused_n(name, 1025, MSG_LONG);
}

static void test_empty_segments(void **state)
{
    (void)state;
    expect_refused("/", MSG_SEGMENT);
    expect_refused("/a", MSG_SEGMENT);
    expect_refused("a/", MSG_SEGMENT);
    expect_refused("a//b", MSG_SEGMENT);
    expect_refused("a/b/", MSG_SEGMENT);
    expect_refused("//", MSG_SEGMENT);
    expect_refused("a/b//", MSG_SEGMENT);
    expect_refused("x/public/", MSG_SEGMENT);
}

static void test_dot_segments(void **state)
{
    (void)state;
    expect_refused(".", MSG_DOTS);
    expect_refused("..", MSG_DOTS);
    expect_refused("./a", MSG_DOTS);
    expect_refused("../a", MSG_DOTS);
    expect_refused("a/.", MSG_DOTS);
    expect_refused("a/..", MSG_DOTS);
    expect_refused("a/./b", MSG_DOTS);
    expect_refused("a/../b", MSG_DOTS);
    expect_refused("a/b/../../../etc/passwd", MSG_DOTS);
}

/* The last segment may not be "stats": /v1/logs/NAME/stats is NAME's
 * severity summary. Elsewhere, and as part of a segment, it is fine. */
static void test_stats_segment(void **state)
{
    (void)state;
    expect_refused("stats", MSG_STATS);
    expect_refused("a/stats", MSG_STATS);
    expect_refused("task/1/public/logs/stats", MSG_STATS);
    assert_int_equal(check("stats/a", NULL, 0), 0);
    assert_int_equal(check("a/stats/b", NULL, 0), 0);
    assert_int_equal(check("a/stats.log", NULL, 0), 0);
    assert_int_equal(check("a/Stats", NULL, 0), 0);
    assert_int_equal(check("a/xstats", NULL, 0), 0);
}

/* Every byte value at the start, in the middle and at the end of a name,
 * and as a whole segment: only [A-Za-z0-9._~-] pass ('/' is a separator;
 * '.' alone is a dot segment). */
static void test_every_byte(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 256; c++) {
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                       c == '~' || c == '-';
        char b = (char)c;
        char want[160];
        char in[8];

        if (c == '/')
            continue; /* covered by test_empty_segments */

        /* "Xab" */
        in[0] = b;
        memcpy(in + 1, "ab", 2);
        if (allowed) {
            assert_int_equal(store_name_check(in, 3, NULL, 0), 0);
        } else {
            byte_msg(want, sizeof want, c, 0);
            expect_refused_n(in, 3, want);
        }
        /* "aX/b": position 1 */
        in[0] = 'a';
        in[1] = b;
        memcpy(in + 2, "/b", 2);
        if (allowed) {
            assert_int_equal(store_name_check(in, 4, NULL, 0), 0);
        } else {
            byte_msg(want, sizeof want, c, 1);
            expect_refused_n(in, 4, want);
        }
        /* "ab/cdX": position 5, the last byte */
        memcpy(in, "ab/cd", 5);
        in[5] = b;
        if (allowed) {
            assert_int_equal(store_name_check(in, 6, NULL, 0), 0);
        } else {
            byte_msg(want, sizeof want, c, 5);
            expect_refused_n(in, 6, want);
        }
        /* "ab/X/c": a one-byte segment, position 3 */
        memcpy(in, "ab/", 3);
        in[3] = b;
        memcpy(in + 4, "/c", 2);
        if (c == '.') {
            expect_refused_n(in, 6, MSG_DOTS);
        } else if (allowed) {
            assert_int_equal(store_name_check(in, 6, NULL, 0), 0);
        } else {
            byte_msg(want, sizeof want, c, 3);
            expect_refused_n(in, 6, want);
        }
    }
}

static void test_byte_messages(void **state)
{
    char want[160];

    (void)state;
    byte_msg(want, sizeof want, 0x20, 4);
    expect_refused("logs live.log", want);
    expect_refused("logs live.log",
                   "invalid log name: byte 0x20 at position 4 is not allowed "
                   "(use A-Z a-z 0-9 . _ ~ - and /)");
    byte_msg(want, sizeof want, 0x25, 1);
    expect_refused("a%2Fb", want); /* escapes are decoded before the check */
    byte_msg(want, sizeof want, 0x00, 2);
    expect_refused_n("ab\0cd", 5, want);
    byte_msg(want, sizeof want, 0xff, 0);
    expect_refused("\xff", want);
    byte_msg(want, sizeof want, 0xc3, 1023);
    {
        char name[STORE_NAME_MAX];

        memset(name, 'a', sizeof name);
        name[1023] = (char)0xc3;
        expect_refused_n(name, sizeof name, want);
    }
    /* the first broken rule in the name is reported */
    byte_msg(want, sizeof want, 0x21, 1);
    expect_refused("a!//", want);
    expect_refused("a//!", MSG_SEGMENT);
    expect_refused("../!", MSG_DOTS);
}

/* A short message buffer is filled and NUL-terminated, never overrun. */
static void test_message_truncated(void **state)
{
    char msg[16];

    (void)state;
    for (size_t cap = 1; cap <= 10; cap++) {
        memset(msg, 'x', sizeof msg);
        assert_int_equal(store_name_check("a b", 3, msg, cap), -EINVAL);
        assert_int_equal(strlen(msg), cap - 1);
        assert_memory_equal(msg, "invalid lo", cap - 1);
        for (size_t i = cap; i < sizeof msg; i++)
            assert_int_equal(msg[i], 'x');
    }
}

static bool is_public(const char *s)
{
    return store_name_is_public(s, strlen(s));
}

static void test_public(void **state)
{
    (void)state;
    assert_true(is_public("public/x"));
    assert_true(is_public("a/public/x"));
    assert_true(is_public("public/logs/live.log"));
    assert_true(is_public("task/abc/run/0/public/logs/live.log"));
    assert_true(is_public("public/public"));
    assert_true(is_public("a/public/b/public"));
    assert_false(is_public("public"));
    assert_false(is_public("a/public"));
    assert_false(is_public("a/b/public"));
    assert_false(is_public("publicx/y"));
    assert_false(is_public("xpublic/y"));
    assert_false(is_public("Public/x"));
    assert_false(is_public("PUBLIC/x"));
    assert_false(is_public("publi/x"));
    assert_false(is_public("a/publicc/x"));
    assert_false(is_public("private/x"));
    assert_false(is_public("a/b/c"));
    /* only the first len bytes count */
    assert_false(store_name_is_public("public/x", 6));
    assert_true(store_name_is_public("public/x", 8));
    assert_false(store_name_is_public("a/public/x", 8));
}

static void test_prefix(void **state)
{
    (void)state;
    assert_true(store_name_has_prefix("task/abc", 8, "task/", 5));
    assert_true(store_name_has_prefix("task/abc", 8, "task/abc", 8));
    assert_true(store_name_has_prefix("task/abc", 8, "", 0));
    assert_true(store_name_has_prefix("", 0, "", 0));
    assert_false(store_name_has_prefix("task/abc", 8, "task/abcd", 9));
    assert_false(store_name_has_prefix("task/abc", 8, "tasks", 5));
    assert_false(store_name_has_prefix("Task/abc", 8, "task", 4));
    /* a plain byte prefix: no segment boundary implied */
    assert_true(store_name_has_prefix("task/abc", 8, "ta", 2));
    /* len bounds the name, not its NUL */
    assert_false(store_name_has_prefix("task/abc", 3, "task", 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_empty_segments),
        cmocka_unit_test(test_dot_segments),
        cmocka_unit_test(test_stats_segment),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_byte_messages),
        cmocka_unit_test(test_message_truncated),
        cmocka_unit_test(test_public),
        cmocka_unit_test(test_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
