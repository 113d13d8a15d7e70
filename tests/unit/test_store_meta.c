/* test_store_meta: unit tests for src/store/store_meta.c. Format/parse
 * round trip for every state, each way a meta file can be damaged, the
 * treatment of unknown and duplicate keys, and write/read in a scratch
 * directory (atomic replace, no meta.tmp left behind). Single-threaded
 * cmocka tests. */
#include <errno.h>
#include <fcntl.h>
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

#include "store/store_meta.h"

#define HDR "livelog-meta 1\n"
#define GOOD_BODY "name a/b\nstate live\ncreated_ms 17\n"

static const enum store_state all_states[] = {
    STORE_PENDING,
    STORE_LIVE,
    STORE_COMPLETE,
    STORE_INTERRUPTED,
};
#define NSTATES (sizeof all_states / sizeof *all_states)

static void make_meta(struct store_meta *m, const char *name,
                      enum store_state st, uint64_t created, uint64_t done)
{
    memset(m, 0, sizeof *m);
    m->name_len = strlen(name);
    memcpy(m->name, name, m->name_len + 1);
    m->state = st;
    m->created_ms = created;
    m->completed_ms = done;
}

static void assert_meta_equal(const struct store_meta *a,
                              const struct store_meta *b)
{
    assert_int_equal(a->name_len, b->name_len);
    assert_memory_equal(a->name, b->name, a->name_len);
    assert_int_equal(a->name[a->name_len], '\0');
    assert_int_equal(b->name[b->name_len], '\0');
    assert_int_equal(a->state, b->state);
    assert_true(a->created_ms == b->created_ms);
    assert_true(a->completed_ms == b->completed_ms);
    assert_true(a->incarnation == b->incarnation);
}

static int parse(const char *text, struct store_meta *m)
{
    return store_meta_parse(text, strlen(text), m);
}

/* The text is refused and *ret is left exactly as it was. */
static void expect_bad_n(const char *text, size_t len)
{
    struct store_meta m, before;

    memset(&m, 0x5a, sizeof m);
    before = m;
    if (store_meta_parse(text, len, &m) != -EINVAL)
        fail_msg("accepted: \"%.*s\"", (int)len, text);
    assert_memory_equal(&m, &before, sizeof m);
}

static void expect_bad(const char *text)
{
    expect_bad_n(text, strlen(text));
}

static void test_roundtrip_states(void **state)
{
    static const char *const names[] = {"live", "pending", "complete",
                                        "interrupted"};
    char buf[STORE_META_MAX];
    struct store_meta m, got;

    (void)state;
    for (size_t i = 0; i < NSTATES; i++) {
        make_meta(&m, "task/abc/run/0/public/logs/live.log", all_states[i],
                  1700000000123,
                  all_states[i] == STORE_COMPLETE ? 1700000009999 : 0);
        int n = store_meta_format(&m, buf, sizeof buf);
        assert_true(n > 0);
        assert_int_equal((size_t)n, strlen(buf));
        assert_memory_equal(buf, HDR, strlen(HDR));
        assert_int_equal(buf[n - 1], '\n');
        memset(&got, 0x77, sizeof got);
        assert_int_equal(store_meta_parse(buf, (size_t)n, &got), 0);
        assert_meta_equal(&m, &got);
    }
    /* the state names in the file */
    for (size_t i = 0; i < 4; i++) {
        char want[32];
        bool seen = false;

        snprintf(want, sizeof want, "\nstate %s\n", names[i]);
        for (size_t j = 0; j < NSTATES; j++) {
            make_meta(&m, "x", all_states[j], 1, 0);
            assert_true(store_meta_format(&m, buf, sizeof buf) > 0);
            if (strstr(buf, want) != NULL)
                seen = true;
        }
        assert_true(seen);
    }
}

static void test_format_exact(void **state)
{
    char buf[STORE_META_MAX];
    struct store_meta m;

    (void)state;
    make_meta(&m, "a/b", STORE_COMPLETE, 5, 6);
    int n = store_meta_format(&m, buf, sizeof buf);
    assert_string_equal(buf, HDR "name a/b\nstate complete\ncreated_ms 5\n"
                                 "completed_ms 6\nkeep_head 0\nkeep_tail 0\n");
    /* keep-tail limits round-trip */
    m.keep_head = 131072;
    m.keep_tail = 131072;
    n = store_meta_format(&m, buf, sizeof buf);
    struct store_meta got;
    assert_int_equal(store_meta_parse(buf, (size_t)n, &got), 0);
    assert_int_equal(got.keep_head, 131072);
    assert_int_equal(got.keep_tail, 131072);
    assert_int_equal((size_t)n, strlen(buf));
}

static void test_roundtrip_extremes(void **state)
{
    char name[STORE_NAME_MAX + 1];
    char buf[STORE_META_MAX];
    struct store_meta m, got;

    (void)state;
    memset(name, 'n', STORE_NAME_MAX);
    name[STORE_NAME_MAX] = '\0';
    make_meta(&m, name, STORE_INTERRUPTED, UINT64_MAX, UINT64_MAX);
    int n = store_meta_format(&m, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(store_meta_parse(buf, (size_t)n, &got), 0);
    assert_meta_equal(&m, &got);

    make_meta(&m, "a", STORE_PENDING, 0, 0);
    n = store_meta_format(&m, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(store_meta_parse(buf, (size_t)n, &got), 0);
    assert_meta_equal(&m, &got);
}

static void test_format_nospace(void **state)
{
    char buf[STORE_META_MAX];
    struct store_meta m;

    (void)state;
    make_meta(&m, "a/b", STORE_LIVE, 12, 0);
    int full = store_meta_format(&m, buf, sizeof buf);
    assert_true(full > 0);
    /* it needs full + 1 bytes (the NUL) */
    assert_int_equal(store_meta_format(&m, buf, (size_t)full + 1), full);
    for (size_t cap = 0; cap <= (size_t)full; cap++)
        assert_int_equal(store_meta_format(&m, buf, cap), -ENOSPC);

    /* With the archive's lines, into buffers of exactly cap bytes (a cut
     * archive line used to make the next one write past cap). */
    make_meta(&m, "a/b", STORE_COMPLETE, 12, 13);
    m.archived_ms = 14;
    m.evicted = true;
    m.length = 15;
    memcpy(m.upload_id, "upload-1", 9);
    full = store_meta_format(&m, buf, sizeof buf);
    assert_true(full > 0);
    for (size_t cap = 0; cap <= (size_t)full + 1; cap++) {
        char *exact = malloc(cap > 0 ? cap : 1);
        assert_non_null(exact);
        memset(exact, 'Z', cap);
        int n = store_meta_format(&m, exact, cap);
        assert_int_equal(n, cap > (size_t)full ? full : -ENOSPC);
        if (n > 0)
            assert_memory_equal(exact, buf, (size_t)full);
        free(exact);
    }
}

static void test_parse_minimal(void **state)
{
    struct store_meta m;

    (void)state;
    /* completed_ms is optional (0 when absent) */
    memset(&m, 0x33, sizeof m);
    assert_int_equal(parse(HDR GOOD_BODY, &m), 0);
    assert_int_equal(m.name_len, 3);
    assert_string_equal(m.name, "a/b");
    assert_int_equal(m.state, STORE_LIVE);
    assert_true(m.created_ms == 17);
    assert_true(m.completed_ms == 0);
    /* keys in any order */
    assert_int_equal(parse(HDR "created_ms 1\nstate complete\ncompleted_ms "
                               "2\nname z\n",
                           &m),
                     0);
    assert_string_equal(m.name, "z");
    assert_int_equal(m.state, STORE_COMPLETE);
    assert_true(m.created_ms == 1 && m.completed_ms == 2);
}

static void test_parse_header(void **state)
{
    (void)state;
    expect_bad("");
    expect_bad(HDR);
    expect_bad("livelog-meta 1");
    expect_bad("livelog-meta 2\n" GOOD_BODY);
    expect_bad("livelog-meta 10\n" GOOD_BODY);
    expect_bad("livelog-meta  1\n" GOOD_BODY);
    expect_bad("Livelog-meta 1\n" GOOD_BODY);
    expect_bad("livelog-meta 1\r\n" GOOD_BODY);
    expect_bad(" livelog-meta 1\n" GOOD_BODY);
    expect_bad("\nlivelog-meta 1\n" GOOD_BODY);
    expect_bad(GOOD_BODY);
    expect_bad("livelog-meta\n" GOOD_BODY);
}

static void test_parse_missing(void **state)
{
    (void)state;
    expect_bad(HDR "state live\ncreated_ms 17\n");
    expect_bad(HDR "name a/b\ncreated_ms 17\n");
    expect_bad(HDR "name a/b\nstate live\n");
    expect_bad(HDR "completed_ms 5\n");
    /* a key with no space and no value is not a key */
    expect_bad(HDR "name\nstate live\ncreated_ms 17\n");
}

static void test_parse_state(void **state)
{
    (void)state;
    expect_bad(HDR "name a\nstate done\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate \ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate Live\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate live \ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate  live\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate liv\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate lived\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate 1\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate live\r\ncreated_ms 1\n");
    expect_bad_n(HDR "name a\nstate live\0\ncreated_ms 1\n",
                 sizeof(HDR "name a\nstate live\0\ncreated_ms 1\n") - 1);
}

static void test_parse_numbers(void **state)
{
    struct store_meta m;

    (void)state;
    assert_int_equal(parse(HDR "name a\nstate live\ncreated_ms "
                               "18446744073709551615\n",
                           &m),
                     0);
    assert_true(m.created_ms == UINT64_MAX);
    assert_int_equal(parse(HDR "name a\nstate live\ncreated_ms 007\n", &m), 0);
    assert_true(m.created_ms == 7);

    static const char *const bad[] = {
        "18446744073709551616", /* 2^64: overflow */
        "99999999999999999999999",
        "",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1x",
        "0x10",
        "1.5",
        "1e3",
        "1\r",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256];

        snprintf(text, sizeof text, HDR "name a\nstate live\ncreated_ms %s\n",
                 bad[i]);
        expect_bad(text);
        snprintf(text, sizeof text,
                 HDR "name a\nstate live\ncreated_ms 1\ncompleted_ms %s\n",
                 bad[i]);
        expect_bad(text);
    }
}

static void test_parse_names(void **state)
{
    char text[STORE_META_MAX];
    char name[STORE_NAME_MAX + 2];
    struct store_meta m;

    (void)state;
    expect_bad(HDR "name \nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name /a\nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name a/\nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name a/../b\nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name a b\nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name a\rb\nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name \xc3\xa9\nstate live\ncreated_ms 1\n");
    expect_bad_n(HDR "name a\0b\nstate live\ncreated_ms 1\n",
                 sizeof(HDR "name a\0b\nstate live\ncreated_ms 1\n") - 1);

    /* 1024 bytes: fine; 1025: refused (and never copied past name[]) */
    memset(name, 'q', sizeof name);
    name[STORE_NAME_MAX] = '\0';
    snprintf(text, sizeof text, HDR "name %s\nstate live\ncreated_ms 1\n",
             name);
    assert_int_equal(parse(text, &m), 0);
    assert_int_equal(m.name_len, STORE_NAME_MAX);
    assert_int_equal(strlen(m.name), STORE_NAME_MAX);
    name[STORE_NAME_MAX] = 'q';
    name[STORE_NAME_MAX + 1] = '\0';
    snprintf(text, sizeof text, HDR "name %s\nstate live\ncreated_ms 1\n",
             name);
    expect_bad(text);
}

#define REQUIRED HDR "name a/b\nstate complete\ncreated_ms 17\n"

static void test_parse_torn(void **state)
{
    static const char full[] = HDR "name a/b\nstate complete\ncreated_ms "
                                   "17\ncompleted_ms 99\n";
    struct store_meta m;
    size_t n = sizeof full - 1;

    (void)state;
    assert_int_equal(store_meta_parse(full, n, &m), 0);
    /* Every cut of the file is either refused or (when it ends at a line
     * end after the required keys) a valid earlier state: never a torn
     * value taken for a whole one. */
    for (size_t cut = 0; cut < n; cut++) {
        struct store_meta got;
        bool at_line_end = cut > 0 && full[cut - 1] == '\n';

        memset(&got, 0, sizeof got);
        int rc = store_meta_parse(full, cut, &got);
        if (at_line_end && cut >= sizeof(REQUIRED) - 1) {
            assert_int_equal(rc, 0);
            assert_true(got.created_ms == 17);
            assert_true(got.completed_ms == 0);
        } else if (rc != -EINVAL) {
            fail_msg("cut at %zu accepted", cut);
        }
    }
    /* the torn last line specifically: a number cut short */
    expect_bad(HDR "name a/b\nstate complete\ncreated_ms 17\ncompleted_ms 9");
    expect_bad(HDR "name a/b\nstate live\ncreated_ms 17");
    expect_bad(HDR "name a/b\nstate live\ncreated_ms 17\nfuture_key x");
}

/* Duplicate keys: the last one wins (each line is applied in order and
 * each must be valid on its own). */
static void test_parse_duplicates(void **state)
{
    struct store_meta m;

    (void)state;
    assert_int_equal(parse(HDR "name a\nname b/c\nstate live\nstate "
                               "complete\ncreated_ms 1\ncreated_ms 2\n",
                           &m),
                     0);
    assert_string_equal(m.name, "b/c");
    assert_int_equal(m.name_len, 3);
    assert_int_equal(m.state, STORE_COMPLETE);
    assert_true(m.created_ms == 2);
    /* a shorter later name leaves no bytes of the earlier one */
    assert_int_equal(parse(HDR "name abcdef\nname x\nstate live\ncreated_ms "
                               "1\n",
                           &m),
                     0);
    assert_string_equal(m.name, "x");
    assert_int_equal(m.name_len, 1);
    /* an invalid duplicate is refused even after a valid one */
    expect_bad(HDR "name a\nname ../x\nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate live\nstate gone\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate live\ncreated_ms 1\ncreated_ms x\n");
}

static void test_parse_unknown_keys(void **state)
{
    struct store_meta m;

    (void)state;
    assert_int_equal(parse(HDR "future 1\nname a\nstate live\nx-y z z "
                               "z\ncreated_ms 3\nbytes \ncompleted_ms 4\n",
                           &m),
                     0);
    assert_string_equal(m.name, "a");
    assert_true(m.created_ms == 3 && m.completed_ms == 4);
    /* a key that differs from a known one only by case or suffix is
     * unknown, and skipped */
    assert_int_equal(parse(HDR "Name ../x\nnamex ../x\nstate live\nname "
                               "a\ncreated_ms 3\ncreated_msx junk\n",
                           &m),
                     0);
    assert_string_equal(m.name, "a");
    /* lines without a space are not key/value lines: refused, even empty
     * ones (documents the current strictness) */
    expect_bad(HDR "name a\n\nstate live\ncreated_ms 1\n");
    expect_bad(HDR "name a\nstate live\ncreated_ms 1\nfuture\n");
}

/* The incarnation (the ETag's random part, http_cache.h): written as 16
 * lowercase hex digits only when set, read back exactly; a file without
 * it (an older livelog's) reads as 0; anything but 16 lowercase hex
 * digits, or all zeros, is refused. */
static void test_incarnation(void **state)
{
    char buf[STORE_META_MAX];
    struct store_meta m, got;

    (void)state;
    make_meta(&m, "a/b", STORE_COMPLETE, 5, 6);
    m.incarnation = 0x00a1b2c3d4e5f607ULL;
    int n = store_meta_format(&m, buf, sizeof buf);
    assert_string_equal(buf, HDR "name a/b\nstate complete\ncreated_ms 5\n"
                                 "completed_ms 6\nkeep_head 0\nkeep_tail 0\n"
                                 "incarnation 00a1b2c3d4e5f607\n");
    assert_int_equal(store_meta_parse(buf, (size_t)n, &got), 0);
    assert_meta_equal(&m, &got);
    m.incarnation = UINT64_MAX;
    n = store_meta_format(&m, buf, sizeof buf);
    assert_non_null(strstr(buf, "\nincarnation ffffffffffffffff\n"));
    assert_int_equal(store_meta_parse(buf, (size_t)n, &got), 0);
    assert_true(got.incarnation == UINT64_MAX);
    /* with every other key, into buffers of exactly cap bytes */
    m.archived_ms = 7;
    m.evicted = true;
    m.length = 8;
    memcpy(m.upload_id, "u", 2);
    int full = store_meta_format(&m, buf, sizeof buf);
    assert_true(full > 0);
    for (size_t cap = 0; cap <= (size_t)full + 1; cap++) {
        char *exact = malloc(cap > 0 ? cap : 1);
        assert_non_null(exact);
        int k = store_meta_format(&m, exact, cap);
        assert_int_equal(k, cap > (size_t)full ? full : -ENOSPC);
        if (k > 0)
            assert_memory_equal(exact, buf, (size_t)full);
        free(exact);
    }
    /* older files: none */
    assert_int_equal(parse(HDR GOOD_BODY, &got), 0);
    assert_true(got.incarnation == 0);
    /* the last one wins */
    assert_int_equal(parse(HDR GOOD_BODY "incarnation 0000000000000001\n"
                                         "incarnation 0000000000000002\n",
                           &got),
                     0);
    assert_true(got.incarnation == 2);
    static const char *const bad[] = {
        "0000000000000000",  "000000000000001",
        "00000000000000001", "00000000000000A1",
        "0x00000000000001",  "+000000000000001",
        " 000000000000001",  "000000000000001 ",
        "00000000000000g1",  "",
        "-000000000000001",  "0000000000000001\r",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(buf, sizeof buf, HDR GOOD_BODY "incarnation %s\n", bad[i]);
        expect_bad(buf);
    }
}

/* dir/file into path; fails the test if it does not fit. */
static void join(char *path, size_t cap, const char *dir, const char *file)
{
    int n = snprintf(path, cap, "%s/%s", dir, file);

    assert_true(n > 0 && (size_t)n < cap);
}

/* A scratch directory, removed with its files by rm_dir. */
static void make_dir(char *dir, size_t cap)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, cap, "%s/livelog-meta-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void rm_dir(const char *dir)
{
    char path[PATH_MAX];

    join(path, sizeof path, dir, "meta");
    unlink(path);
    join(path, sizeof path, dir, "meta.tmp");
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static bool exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    struct stat st;

    join(path, sizeof path, dir, file);
    return stat(path, &st) == 0;
}

static void write_file(const char *dir, const char *file, const char *text,
                       size_t len)
{
    char path[PATH_MAX];

    join(path, sizeof path, dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void write_text(const char *dir, const char *text)
{
    write_file(dir, "meta", text, strlen(text));
}

static void test_write_read(void **state)
{
    char dir[PATH_MAX];
    struct store_meta m, got;
    struct stat st;
    char path[PATH_MAX];

    (void)state;
    make_dir(dir, sizeof dir);
    assert_int_equal(store_meta_read(dir, &got), -ENOENT);

    for (size_t i = 0; i < NSTATES; i++) {
        bool sync = i % 2 == 0;

        make_meta(&m, "task/1/public/live.log", all_states[i], 1000 + i,
                  all_states[i] == STORE_COMPLETE ? 2000 : 0);
        assert_int_equal(store_meta_write(dir, &m, sync), 0);
        assert_true(exists(dir, "meta"));
        assert_false(exists(dir, "meta.tmp"));
        memset(&got, 0, sizeof got);
        assert_int_equal(store_meta_read(dir, &got), 0);
        assert_meta_equal(&m, &got);
    }
    /* mode 0600: the name may be private */
    join(path, sizeof path, dir, "meta");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* a stale meta.tmp from a crash is replaced, not appended to */
    write_file(dir, "meta.tmp", "garbage garbage garbage garbage\n", 32);
    make_meta(&m, "b", STORE_LIVE, 7, 0);
    assert_int_equal(store_meta_write(dir, &m, true), 0);
    assert_false(exists(dir, "meta.tmp"));
    assert_int_equal(store_meta_read(dir, &got), 0);
    assert_meta_equal(&m, &got);

    /* a longer file replaced by a shorter one leaves no tail */
    make_meta(&m, "a-very-long-name/with/segments", STORE_COMPLETE, UINT64_MAX,
              UINT64_MAX);
    assert_int_equal(store_meta_write(dir, &m, false), 0);
    make_meta(&m, "s", STORE_LIVE, 1, 0);
    assert_int_equal(store_meta_write(dir, &m, false), 0);
    assert_int_equal(store_meta_read(dir, &got), 0);
    assert_meta_equal(&m, &got);
    rm_dir(dir);
}

static void test_read_damaged(void **state)
{
    char dir[PATH_MAX];
    char big[STORE_META_MAX + 10];
    struct store_meta got, before;

    (void)state;
    make_dir(dir, sizeof dir);

    memset(&got, 0x11, sizeof got);
    before = got;
    write_file(dir, "meta", "", 0);
    assert_int_equal(store_meta_read(dir, &got), -EINVAL);
    write_text(dir, HDR "name a\nstate live\ncreated_ms 1");
    assert_int_equal(store_meta_read(dir, &got), -EINVAL);
    write_text(dir, HDR "name a\nstate zombie\ncreated_ms 1\n");
    assert_int_equal(store_meta_read(dir, &got), -EINVAL);
    assert_memory_equal(&got, &before, sizeof got);

    /* a file of STORE_META_MAX bytes or more is not a meta file */
    memset(big, ' ', sizeof big);
    memcpy(big, HDR GOOD_BODY, strlen(HDR GOOD_BODY));
    for (size_t i = strlen(HDR GOOD_BODY); i + 1 < sizeof big; i += 8)
        memcpy(big + i, "pad x\n", 6);
    big[sizeof big - 1] = '\n';
    write_file(dir, "meta", big, sizeof big);
    assert_int_equal(store_meta_read(dir, &got), -EINVAL);
    write_file(dir, "meta", big, STORE_META_MAX);
    assert_int_equal(store_meta_read(dir, &got), -EINVAL);
    assert_memory_equal(&got, &before, sizeof got);

    /* the same text written by us reads back */
    write_text(dir, HDR GOOD_BODY);
    assert_int_equal(store_meta_read(dir, &got), 0);
    assert_string_equal(got.name, "a/b");
    rm_dir(dir);
}

static void test_write_errors(void **state)
{
    struct store_meta m;

    (void)state;
    make_meta(&m, "a", STORE_LIVE, 1, 0);
    assert_int_equal(store_meta_write("/nonexistent-livelog-dir/x", &m, false),
                     -ENOENT);
    assert_int_equal(store_meta_read("/nonexistent-livelog-dir/x", &m),
                     -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_states),
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_roundtrip_extremes),
        cmocka_unit_test(test_format_nospace),
        cmocka_unit_test(test_parse_minimal),
        cmocka_unit_test(test_parse_header),
        cmocka_unit_test(test_parse_missing),
        cmocka_unit_test(test_parse_state),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_parse_torn),
        cmocka_unit_test(test_parse_duplicates),
        cmocka_unit_test(test_parse_unknown_keys),
        cmocka_unit_test(test_incarnation),
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_read_damaged),
        cmocka_unit_test(test_write_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
