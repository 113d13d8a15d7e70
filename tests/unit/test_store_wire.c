/* test_store_wire: unit tests for src/store/store_wire.c. Format/parse
 * round trip (held bytes with NUL and newline, extremes), every way a
 * wire file can be damaged, and write/read in a scratch directory (atomic
 * replace, no wire.tmp left behind, -ENOENT when there is none).
 * Single-threaded cmocka tests. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store_wire.h"

#define HDR "livelog-wire 1\n"

static void make_wire(struct store_wire *w, uint64_t in, uint64_t out,
                      const void *held, size_t held_len)
{
    memset(w, 0, sizeof *w);
    w->in_len = in;
    w->out_len = out;
    w->held_len = held_len;
    if (held_len > 0)
        memcpy(w->held, held, held_len);
}

static void assert_wire_equal(const struct store_wire *a,
                              const struct store_wire *b)
{
    assert_true(a->in_len == b->in_len);
    assert_true(a->out_len == b->out_len);
    assert_int_equal(a->held_len, b->held_len);
    if (a->held_len > 0)
        assert_memory_equal(a->held, b->held, a->held_len);
}

static void roundtrip(const struct store_wire *w)
{
    char buf[STORE_WIRE_MAX];
    int n = store_wire_format(w, buf, sizeof buf);
    assert_true(n > 0);
    struct store_wire back;
    memset(&back, 0x5a, sizeof back);
    assert_int_equal(store_wire_parse(buf, (size_t)n, &back), 0);
    assert_wire_equal(w, &back);
}

/* The bytes are refused and *ret is left exactly as it was. */
static void expect_bad_n(const char *text, size_t len)
{
    struct store_wire w, before;

    memset(&w, 0x5a, sizeof w);
    before = w;
    if (store_wire_parse(text, len, &w) != -EINVAL)
        fail_msg("accepted: \"%.*s\"", (int)len, text);
    assert_memory_equal(&w, &before, sizeof w);
}

static void expect_bad(const char *text)
{
    expect_bad_n(text, strlen(text));
}

static void test_format_exact(void **state)
{
    (void)state;
    struct store_wire w;
    char buf[STORE_WIRE_MAX];
    static const char held[] = {'a', '\0', '\n', 'b'};

    make_wire(&w, 10, 3, held, sizeof held);
    int n = store_wire_format(&w, buf, sizeof buf);
    static const char want[] = HDR "in 10\nout 3\nheld 4\na\0\nb";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(buf, want, sizeof want - 1);

    make_wire(&w, 0, 0, NULL, 0);
    n = store_wire_format(&w, buf, sizeof buf);
    static const char empty[] = HDR "in 0\nout 0\nheld 0\n";
    assert_int_equal(n, sizeof empty - 1);
    assert_memory_equal(buf, empty, sizeof empty - 1);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct store_wire w;
    unsigned char held[STORE_WIRE_HELD_MAX];

    /* Every byte value, NUL and newline included, and a full hold. */
    for (size_t i = 0; i < sizeof held; i++)
        held[i] = (unsigned char)(i * 7);
    make_wire(&w, 5000, 100, held, sizeof held);
    roundtrip(&w);

    static const char nl[] = "\n\n\0in 1\n";
    make_wire(&w, 20, 10, nl, sizeof nl);
    roundtrip(&w);

    make_wire(&w, 0, 0, NULL, 0);
    roundtrip(&w);

    make_wire(&w, UINT64_MAX, UINT64_MAX, NULL, 0);
    roundtrip(&w);

    make_wire(&w, UINT64_MAX, UINT64_MAX - 3, "abc", 3);
    roundtrip(&w);

    make_wire(&w, UINT64_MAX, 0, "abc", 3);
    roundtrip(&w);
}

static void test_format_refuses(void **state)
{
    (void)state;
    struct store_wire w;
    char buf[STORE_WIRE_MAX];

    make_wire(&w, 10, 3, "abcd", 4);
    /* Too small a buffer, for the header and for the held bytes. */
    assert_int_equal(store_wire_format(&w, buf, 10), -ENOSPC);
    int n = store_wire_format(&w, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(store_wire_format(&w, buf, (size_t)n - 1), -ENOSPC);
    assert_int_equal(store_wire_format(&w, buf, (size_t)n), n);

    /* Records that could not be parsed back. */
    make_wire(&w, 6, 3, "abcd", 4); /* in < out + held */
    assert_int_equal(store_wire_format(&w, buf, sizeof buf), -EINVAL);
    make_wire(&w, 2, 3, NULL, 0); /* in < out */
    assert_int_equal(store_wire_format(&w, buf, sizeof buf), -EINVAL);
    make_wire(&w, 5000, 0, NULL, 0);
    w.held_len = STORE_WIRE_HELD_MAX + 1;
    assert_int_equal(store_wire_format(&w, buf, sizeof buf), -EINVAL);
    make_wire(&w, UINT64_MAX, UINT64_MAX - 2, "abc", 3); /* overflow */
    assert_int_equal(store_wire_format(&w, buf, sizeof buf), -EINVAL);
}

static void test_parse_header(void **state)
{
    (void)state;
    expect_bad("");
    expect_bad("livelog-wire 1");
    expect_bad("livelog-wire 2\nin 0\nout 0\nheld 0\n");
    expect_bad("livelog-meta 1\nin 0\nout 0\nheld 0\n");
    expect_bad("Livelog-wire 1\nin 0\nout 0\nheld 0\n");
    expect_bad(" livelog-wire 1\nin 0\nout 0\nheld 0\n");
    expect_bad("livelog-wire 1\r\nin 0\nout 0\nheld 0\n");
    expect_bad("livelog-wire 1 \nin 0\nout 0\nheld 0\n");

    struct store_wire w;
    const char *ok = HDR "in 0\nout 0\nheld 0\n";
    assert_int_equal(store_wire_parse(ok, strlen(ok), &w), 0);
}

static void test_parse_keys(void **state)
{
    (void)state;
    /* Missing keys. */
    expect_bad(HDR);
    expect_bad(HDR "in 0\n");
    expect_bad(HDR "in 0\nout 0\n");
    expect_bad(HDR "out 0\nheld 0\n");
    expect_bad(HDR "in 0\nheld 0\n");
    expect_bad(HDR "in 0\nout 0\nheld");
    /* Misplaced, unknown, duplicate keys. */
    expect_bad(HDR "out 0\nin 0\nheld 0\n");
    expect_bad(HDR "in 0\nheld 0\nout 0\n");
    expect_bad(HDR "in 0\nout 0\nextra 1\nheld 0\n");
    expect_bad(HDR "in 0\nin 0\nout 0\nheld 0\n");
    expect_bad(HDR "inn 0\nout 0\nheld 0\n");
    /* Spacing. */
    expect_bad(HDR "in  0\nout 0\nheld 0\n");
    expect_bad(HDR "in\t0\nout 0\nheld 0\n");
    expect_bad(HDR "in 0 \nout 0\nheld 0\n");
    expect_bad(HDR "in 0\r\nout 0\nheld 0\n");
    expect_bad(HDR "in 0\nout 0\nheld 0");
}

static void test_parse_numbers(void **state)
{
    (void)state;
    expect_bad(HDR "in \nout 0\nheld 0\n");
    expect_bad(HDR "in 00\nout 0\nheld 0\n");
    expect_bad(HDR "in 01\nout 0\nheld 0\n");
    expect_bad(HDR "in 1\nout 01\nheld 0\n");
    expect_bad(HDR "in 1\nout 0\nheld 00\n");
    expect_bad(HDR "in +1\nout 0\nheld 0\n");
    expect_bad(HDR "in -1\nout 0\nheld 0\n");
    expect_bad(HDR "in 0x1\nout 0\nheld 0\n");
    expect_bad(HDR "in 1e3\nout 0\nheld 0\n");
    expect_bad(HDR "in 18446744073709551616\nout 0\nheld 0\n");
    expect_bad(HDR "in 99999999999999999999\nout 0\nheld 0\n");
    expect_bad(HDR "in 000000000000000000001\nout 0\nheld 0\n");

    struct store_wire w;
    const char *max = HDR "in 18446744073709551615\nout 0\nheld 0\n";
    assert_int_equal(store_wire_parse(max, strlen(max), &w), 0);
    assert_true(w.in_len == UINT64_MAX);
}

static void test_parse_held(void **state)
{
    (void)state;
    /* The held count must match the bytes left exactly. */
    expect_bad(HDR "in 9\nout 0\nheld 3\nab");
    expect_bad(HDR "in 9\nout 0\nheld 3\nabcd");
    expect_bad(HDR "in 9\nout 0\nheld 0\nx");
    expect_bad(HDR "in 9\nout 0\nheld 1\n");
    /* in >= out + held. */
    expect_bad(HDR "in 4\nout 2\nheld 3\nabc");
    expect_bad(HDR "in 1\nout 2\nheld 0\n");
    expect_bad(HDR "in 18446744073709551615\nout 18446744073709551614\n"
                   "held 2\nab");

    struct store_wire w;
    const char *ok = HDR "in 5\nout 2\nheld 3\nabc";
    assert_int_equal(store_wire_parse(ok, strlen(ok), &w), 0);
    assert_int_equal(w.held_len, 3);
    assert_memory_equal(w.held, "abc", 3);

    /* More than STORE_WIRE_HELD_MAX held bytes. */
    size_t cap = STORE_WIRE_MAX + 64;
    char *big = malloc(cap);
    assert_non_null(big);
    int n = snprintf(big, cap, HDR "in 5000\nout 0\nheld %d\n",
                     STORE_WIRE_HELD_MAX + 1);
    assert_true(n > 0);
    memset(big + n, 'x', STORE_WIRE_HELD_MAX + 1);
    expect_bad_n(big, (size_t)n + STORE_WIRE_HELD_MAX + 1);
    n = snprintf(big, cap, HDR "in 5000\nout 0\nheld %d\n",
                 STORE_WIRE_HELD_MAX);
    memset(big + n, 'x', STORE_WIRE_HELD_MAX);
    assert_int_equal(store_wire_parse(big, (size_t)n + STORE_WIRE_HELD_MAX, &w),
                     0);
    assert_int_equal(w.held_len, STORE_WIRE_HELD_MAX);
    free(big);
}

/* A scratch directory, removed with its files by rm_dir. */
static void make_dir(char *dir, size_t cap)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, cap, "%s/livelog-wire-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void path_of(char *out, size_t cap, const char *dir, const char *file)
{
    int n = snprintf(out, cap, "%s/%s", dir, file);
    assert_true(n > 0 && (size_t)n < cap);
}

static bool exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    struct stat st;

    path_of(path, sizeof path, dir, file);
    return stat(path, &st) == 0;
}

static void rm_dir(const char *dir)
{
    char path[PATH_MAX];

    path_of(path, sizeof path, dir, "wire");
    unlink(path);
    path_of(path, sizeof path, dir, "wire.tmp");
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static void write_file(const char *dir, const char *file, const void *buf,
                       size_t len)
{
    char path[PATH_MAX];

    path_of(path, sizeof path, dir, file);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_write_read(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct store_wire w, back;
    unsigned char held[STORE_WIRE_HELD_MAX];

    make_dir(dir, sizeof dir);
    assert_int_equal(store_wire_read(dir, &back), -ENOENT);

    make_wire(&w, 30, 20, "a\0\nb", 4);
    assert_int_equal(store_wire_write(dir, &w, true), 0);
    assert_false(exists(dir, "wire.tmp"));
    memset(&back, 0, sizeof back);
    assert_int_equal(store_wire_read(dir, &back), 0);
    assert_wire_equal(&w, &back);

    /* Replaced whole, also with fewer held bytes and no sync. */
    for (size_t i = 0; i < sizeof held; i++)
        held[i] = (unsigned char)(255 - i);
    make_wire(&w, 9000, 10, held, sizeof held);
    assert_int_equal(store_wire_write(dir, &w, false), 0);
    assert_int_equal(store_wire_read(dir, &back), 0);
    assert_wire_equal(&w, &back);
    make_wire(&w, 9001, 9001, NULL, 0);
    assert_int_equal(store_wire_write(dir, &w, true), 0);
    assert_int_equal(store_wire_read(dir, &back), 0);
    assert_wire_equal(&w, &back);
    assert_false(exists(dir, "wire.tmp"));

    /* An invalid record is not written; the old one stays. */
    make_wire(&w, 1, 2, NULL, 0);
    assert_int_equal(store_wire_write(dir, &w, true), -EINVAL);
    assert_int_equal(store_wire_read(dir, &back), 0);
    assert_true(back.in_len == 9001);

    rm_dir(dir);
}

static void test_read_damaged(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct store_wire back, before;

    make_dir(dir, sizeof dir);
    memset(&back, 0x5a, sizeof back);
    before = back;

    write_file(dir, "wire", "", 0);
    assert_int_equal(store_wire_read(dir, &back), -EINVAL);
    static const char torn[] = HDR "in 9\nout 0\nheld 3\nab";
    write_file(dir, "wire", torn, sizeof torn - 1);
    assert_int_equal(store_wire_read(dir, &back), -EINVAL);
    assert_memory_equal(&back, &before, sizeof back);

    /* A file longer than any record. */
    size_t big = STORE_WIRE_MAX + 100;
    char *junk = malloc(big);
    assert_non_null(junk);
    int n = snprintf(junk, big, HDR "in 5000\nout 0\nheld %d\n",
                     STORE_WIRE_HELD_MAX);
    memset(junk + n, 'x', big - (size_t)n);
    write_file(dir, "wire", junk, big);
    assert_int_equal(store_wire_read(dir, &back), -EINVAL);
    /* Exactly the longest valid shape is read. */
    write_file(dir, "wire", junk, (size_t)n + STORE_WIRE_HELD_MAX);
    assert_int_equal(store_wire_read(dir, &back), 0);
    assert_int_equal(back.held_len, STORE_WIRE_HELD_MAX);
    free(junk);

    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_format_refuses),
        cmocka_unit_test(test_parse_header),
        cmocka_unit_test(test_parse_keys),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_parse_held),
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_read_damaged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
