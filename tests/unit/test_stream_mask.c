/* test_stream_mask: unit tests for src/stream/stream_mask.c and the wire
 * record handling of src/store/store_stream.c, on real directory streams
 * in a scratch directory: unmasked streams are untouched, a secret split
 * at every boundary (across appends and across a restart) is stored as
 * "***", crash recovery cuts the data back to the last record and the
 * line index agrees, a failing append changes nothing, power loss, a
 * damaged record, removal, temporary streams, and the registry's
 * recovery. Single-threaded cmocka tests (the registry test starts the
 * registry's janitor thread). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#include "core/core_clock.h"
#include "log/log.h"
#include "mask/mask.h"
#include "store/store_index.h"
#include "store/store_stream.h"
#include "store/store_wire.h"
#include "stream/stream.h"
#include "stream/stream_mask.h"
#include "stream/stream_registry.h"

#define SECRET "s3cr3t-T0KEN"
#define SECRET2 "hunter2-pw"
#define INPUT "line one\nA: " SECRET " and " SECRET2 "\nend " SECRET "\n"

/* A scratch directory `top` holding the stream directory `dir`. */
struct fix {
    char top[PATH_MAX];
    char dir[PATH_MAX];
};

static void path_of(char *out, size_t cap, const char *dir, const char *file)
{
    int n = snprintf(out, cap, "%s/%s", dir, file);
    assert_true(n > 0 && (size_t)n < cap);
}

static void fix_init(struct fix *f)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(f->top, sizeof f->top, "%s/livelog-smask-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->top));
    path_of(f->dir, sizeof f->dir, f->top, "s");
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fix_done(struct fix *f)
{
    assert_int_equal(nftw(f->top, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static uint64_t now_ms(void)
{
    return core_clock_real_ns() / CORE_NS_PER_MS;
}

/* A new directory stream in f->dir. */
static struct stream *new_stream(struct fix *f)
{
    struct store_stream *store = NULL;
    assert_int_equal(store_stream_create_dir(f->dir, "t", 1, now_ms(), &store),
                     0);
    struct stream *s = NULL;
    assert_int_equal(stream_create(store, true, &s), 0);
    return s;
}

/* What the registry does at start-up: open, wrap, recover. */
static struct stream *reopen(struct fix *f)
{
    struct store_stream *store = NULL;
    assert_int_equal(store_stream_open_dir(f->dir, now_ms(), &store), 0);
    struct stream *s = NULL;
    assert_int_equal(stream_create(store, true, &s), 0);
    assert_int_equal(stream_mask_recover(s), 0);
    return s;
}

static void add_secrets(struct stream *s)
{
    assert_int_equal(stream_mask_add(s, SECRET, strlen(SECRET)), 0);
    assert_int_equal(stream_mask_add(s, SECRET2, strlen(SECRET2)), 0);
}

static bool file_exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    struct stat st;
    path_of(path, sizeof path, dir, file);
    return stat(path, &st) == 0;
}

static uint64_t file_size(const char *dir, const char *file)
{
    char path[PATH_MAX];
    struct stat st;
    path_of(path, sizeof path, dir, file);
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* The committed bytes of s, malloc'd (NUL-terminated), length in *len. */
static char *stored(struct stream *s, size_t *len)
{
    uint64_t n = store_stream_length(s->store);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = 0;
    while (got < n) {
        ssize_t r = store_stream_read(s->store, got, buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void assert_stored(struct stream *s, const void *want, size_t len)
{
    size_t n = 0;
    char *got = stored(s, &n);
    if (n != len || memcmp(got, want, len) != 0)
        fail_msg("stored \"%.*s\", want \"%.*s\"", (int)n, got, (int)len,
                 (const char *)want);
    free(got);
}

static void assert_no_secret(struct stream *s)
{
    size_t n = 0;
    char *got = stored(s, &n);
    assert_null(memmem(got, n, SECRET, strlen(SECRET)));
    assert_null(memmem(got, n, SECRET2, strlen(SECRET2)));
    free(got);
}

/* What one pass of the masker over the whole input stores. */
static char *one_shot(const void *in, size_t len, size_t *ret_len)
{
    struct mask *m = NULL;
    assert_int_equal(mask_new(&m), 0);
    assert_int_equal(mask_add(m, SECRET, strlen(SECRET)), 0);
    assert_int_equal(mask_add(m, SECRET2, strlen(SECRET2)), 0);
    char *out = malloc(len + 1);
    assert_non_null(out);
    size_t n = mask_feed(m, in, len, out, len);
    n += mask_flush(m, out + n, len - n);
    mask_free(m);
    out[n] = '\0';
    *ret_len = n;
    return out;
}

/* Lines starting in buf[0, len) as the index counts them. */
static uint64_t count_lines(const char *buf, size_t len)
{
    uint64_t lines = len > 0 ? 1 : 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (buf[i] == '\n')
            lines++;
    return lines;
}

/* The index of s agrees with its bytes: line count and where the last
 * line starts. */
static void assert_index_consistent(struct stream *s)
{
    uint64_t off = 0;
    /* tail_offset opens the data file and with it the index. */
    assert_int_equal(store_stream_tail_offset(s->store, 1, &off), 0);
    size_t n = 0;
    char *got = stored(s, &n);
    uint64_t lines = count_lines(got, n);
    assert_true(store_stream_lines(s->store) == lines);
    uint64_t want = 0;
    for (size_t i = n > 0 ? n - 1 : 0; i > 0; i--) {
        if (got[i - 1] == '\n') {
            want = i;
            break;
        }
    }
    if (lines <= 1)
        want = 0;
    assert_true(off == want);
    free(got);
}

static void test_unmasked(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);

    assert_false(stream_is_masked(s));
    assert_int_equal(stream_mask_append(s, "hello\n", 6), 0);
    assert_int_equal(stream_mask_append(s, "", 0), 0);
    assert_int_equal(stream_mask_append(s, SECRET "\n", strlen(SECRET) + 1), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    assert_stored(s, "hello\n" SECRET "\n", 6 + strlen(SECRET) + 1);
    assert_true(stream_writer_offset(s) == store_stream_length(s->store));
    assert_int_equal(stream_mask_held(s), 0);
    assert_int_equal(stream_mask_end(s, true), 0);
    assert_false(stream_is_masked(s));
    assert_false(file_exists(f.dir, "wire"));
    struct store_wire w;
    assert_false(store_stream_wire(s->store, &w));
    stream_free(s);

    /* Reopened: still unmasked, no state. */
    s = reopen(&f);
    assert_false(stream_is_masked(s));
    assert_true(stream_writer_offset(s) == 6 + strlen(SECRET) + 1);
    stream_free(s);
    fix_done(&f);
}

static void test_add_errors(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);

    assert_int_equal(stream_mask_add(s, "abc", 3), -EINVAL);
    assert_false(stream_is_masked(s)); /* no state for a refused secret */
    char big[MASK_MAX_LEN + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(stream_mask_add(s, big, sizeof big), -EINVAL);
    assert_int_equal(stream_mask_add(s, big, MASK_MAX_LEN), 0);
    assert_true(stream_is_masked(s));
    for (int i = 1; i < MASK_MAX_SECRETS; i++) {
        char sec[16];
        int n = snprintf(sec, sizeof sec, "secret-%02d", i);
        assert_int_equal(stream_mask_add(s, sec, (size_t)n), 0);
    }
    assert_int_equal(stream_mask_add(s, "one-more", 8), -E2BIG);
    assert_int_equal(stream_mask_add(s, "secret-01", 9), 0); /* known */
    stream_free(s);
    fix_done(&f);
}

/* INPUT split in two appends at every boundary, with and without the end
 * of a request (a wire record) between them. */
static void test_split_every_boundary(void **state)
{
    (void)state;
    const size_t len = strlen(INPUT);
    size_t want_len = 0;
    char *want = one_shot(INPUT, len, &want_len);
    assert_non_null(strstr(want, "***"));

    for (int with_end = 0; with_end < 2; with_end++) {
        for (size_t k = 0; k <= len; k++) {
            struct fix f;
            fix_init(&f);
            struct stream *s = new_stream(&f);
            add_secrets(s);
            assert_true(stream_is_masked(s));
            assert_int_equal(stream_mask_append(s, INPUT, k), 0);
            assert_true(stream_writer_offset(s) == k);
            assert_true(store_stream_length(s->store) + stream_mask_held(s) <=
                        k);
            if (with_end)
                assert_int_equal(stream_mask_end(s, false), 0);
            assert_no_secret(s);
            assert_int_equal(stream_mask_append(s, &INPUT[k], len - k), 0);
            assert_true(stream_writer_offset(s) == len);
            assert_int_equal(stream_mask_end(s, true), 0);
            assert_stored(s, want, want_len);
            assert_int_equal(stream_mask_held(s), 0);
            assert_true(stream_writer_offset(s) == len);
            stream_free(s);
            fix_done(&f);
        }
    }
    free(want);
}

static void test_byte_at_a_time(void **state)
{
    (void)state;
    const size_t len = strlen(INPUT);
    size_t want_len = 0;
    char *want = one_shot(INPUT, len, &want_len);
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    add_secrets(s);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(stream_mask_append(s, &INPUT[i], 1), 0);
        assert_no_secret(s);
    }
    assert_int_equal(stream_mask_end(s, true), 0);
    assert_stored(s, want, want_len);
    assert_stored(s, "line one\nA: *** and ***\nend ***\n", want_len);
    assert_true(stream_writer_offset(s) == len);
    stream_free(s);
    free(want);
    fix_done(&f);
}

/* The first request ends with part of INPUT (end, false); the server
 * restarts; the writer comes back with its secrets and the rest. */
static void test_restart_every_boundary(void **state)
{
    (void)state;
    const size_t len = strlen(INPUT);
    size_t want_len = 0;
    char *want = one_shot(INPUT, len, &want_len);

    for (size_t k = 0; k <= len; k++) {
        struct fix f;
        fix_init(&f);
        struct stream *s = new_stream(&f);
        add_secrets(s);
        assert_int_equal(stream_mask_append(s, INPUT, k), 0);
        assert_int_equal(stream_mask_end(s, false), 0);
        assert_true(file_exists(f.dir, "wire"));
        size_t held = stream_mask_held(s);
        uint64_t out = store_stream_length(s->store);
        struct store_wire w;
        assert_true(store_stream_wire(s->store, &w));
        assert_true(w.in_len == k && w.out_len == out);
        assert_int_equal(w.held_len, held);
        stream_free(s);

        s = reopen(&f);
        assert_true(stream_is_masked(s));
        assert_true(stream_writer_offset(s) == k);
        assert_int_equal(stream_mask_held(s), held);
        assert_true(store_stream_length(s->store) == out);
        add_secrets(s);
        assert_int_equal(stream_mask_append(s, &INPUT[k], len - k), 0);
        assert_int_equal(stream_mask_end(s, true), 0);
        assert_stored(s, want, want_len);
        assert_true(stream_writer_offset(s) == len);
        stream_free(s);

        /* Complete: the offset survives one more restart. */
        s = reopen(&f);
        assert_true(stream_writer_offset(s) == len);
        assert_int_equal(stream_mask_held(s), 0);
        stream_free(s);
        fix_done(&f);
    }
    free(want);
}

/* Without its secrets again, the held bytes pass through unmasked (the
 * documented behaviour). */
static void test_restart_without_secrets(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, "xx s3cr3t", 9), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    assert_stored(s, "xx ", 3);
    stream_free(s);

    s = reopen(&f);
    assert_int_equal(stream_mask_held(s), 6);
    assert_int_equal(stream_mask_append(s, "-T0KEN\n", 7), 0);
    assert_stored(s, "xx " SECRET "\n", 3 + strlen(SECRET) + 1);
    assert_true(stream_writer_offset(s) == 16);
    stream_free(s);
    fix_done(&f);
}

/* A crash during a request: bytes appended after the last record are
 * cut at reopen, the index agrees, the resent bytes give the one-shot
 * result. */
static void test_crash_truncates(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    add_secrets(s);

    static const char first[] = "line1\nline2 " SECRET "\nline3 s3cr";
    const size_t first_len = sizeof first - 1;
    assert_int_equal(stream_mask_append(s, first, first_len), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    const uint64_t rec_out = store_stream_length(s->store);
    const size_t rec_held = stream_mask_held(s);
    assert_true(rec_held == 4);
    uint64_t index_at_record = file_size(f.dir, "index");

    /* Many more lines, in separate appends, until the index has records
     * past the record's stored length (one per millisecond). */
    char *more = NULL;
    size_t more_len = 0;
    FILE *mf = open_memstream(&more, &more_len);
    assert_non_null(mf);
    fputs("3t-T0KEN\n", mf);
    assert_int_equal(stream_mask_append(s, "3t-T0KEN\n", 9), 0);
    for (int i = 0; i < 1000000; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "more %d " SECRET2 "\n", i);
        fputs(line, mf);
        assert_int_equal(stream_mask_append(s, line, (size_t)n), 0);
        if (i >= 10 && file_size(f.dir, "index") >=
                           index_at_record + 3 * STORE_INDEX_RECORD)
            break;
    }
    assert_true(file_size(f.dir, "index") >=
                index_at_record + 3 * STORE_INDEX_RECORD);
    assert_int_equal(fclose(mf), 0);
    assert_true(file_size(f.dir, "data") > rec_out);
    stream_free(s); /* a crash: no stream_mask_end */

    s = reopen(&f);
    assert_true(store_stream_length(s->store) == rec_out);
    assert_true(file_size(f.dir, "data") == rec_out);
    assert_true(stream_writer_offset(s) == first_len);
    assert_int_equal(stream_mask_held(s), rec_held);
    assert_stored(s, "line1\nline2 ***\nline3 ", (size_t)rec_out);
    assert_index_consistent(s);
    assert_true(store_stream_lines(s->store) == 3);
    /* No index record points past the cut data. */
    char ipath[PATH_MAX];
    path_of(ipath, sizeof ipath, f.dir, "index");
    int ifd = open(ipath, O_RDONLY);
    assert_true(ifd >= 0);
    unsigned char rec[STORE_INDEX_RECORD];
    while (read(ifd, rec, sizeof rec) == (ssize_t)sizeof rec) {
        struct store_index_record r;
        store_index_decode(rec, &r);
        assert_true(r.offset < rec_out);
    }
    close(ifd);

    /* The writer resends from its offset (the secrets again first). */
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, more, more_len), 0);
    assert_int_equal(stream_mask_end(s, true), 0);
    char *all = malloc(first_len + more_len);
    assert_non_null(all);
    memcpy(all, first, first_len);
    memcpy(all + first_len, more, more_len);
    size_t want_len = 0;
    char *want = one_shot(all, first_len + more_len, &want_len);
    assert_stored(s, want, want_len);
    assert_no_secret(s);
    assert_true(stream_writer_offset(s) == first_len + more_len);
    assert_index_consistent(s);
    stream_free(s);

    /* And once more from disk: the index rebuilt from scratch agrees. */
    assert_int_equal(unlink(ipath), 0);
    s = reopen(&f);
    assert_index_consistent(s);
    assert_stored(s, want, want_len);
    stream_free(s);
    free(want);
    free(all);
    free(more);
    fix_done(&f);
}

/* A crash before any request ended: the first record, written before the
 * first masked byte, is the one to go back to. */
static void test_crash_first_request(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    assert_int_equal(stream_mask_append(s, "plain\n", 6), 0);
    assert_int_equal(stream_mask_end(s, false), 0); /* unmasked: no-op */
    assert_false(file_exists(f.dir, "wire"));
    add_secrets(s);
    assert_false(file_exists(f.dir, "wire")); /* nothing stored yet */
    assert_int_equal(stream_mask_append(s, "x " SECRET "\n", 15), 0);
    assert_true(file_exists(f.dir, "wire"));
    stream_free(s);

    s = reopen(&f);
    assert_true(stream_is_masked(s));
    assert_true(stream_writer_offset(s) == 6);
    assert_stored(s, "plain\n", 6);
    assert_index_consistent(s);
    stream_free(s);
    fix_done(&f);
}

/* A power loss (without --fsync=always) found the data shorter than the
 * record: the data stays, the held bytes are lost, the shrinkage kept. */
static void test_power_loss_shorter(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    add_secrets(s);
    static const char in[] = "aa " SECRET " bb " SECRET " cc\nhun";
    assert_int_equal(stream_mask_append(s, in, sizeof in - 1), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    struct store_wire w;
    assert_true(store_stream_wire(s->store, &w));
    assert_true(w.in_len == sizeof in - 1);
    assert_int_equal(w.held_len, 3);
    uint64_t shrink = w.in_len - w.out_len - w.held_len;
    assert_true(shrink == 2 * (strlen(SECRET) - 3));
    stream_free(s);

    char dpath[PATH_MAX];
    path_of(dpath, sizeof dpath, f.dir, "data");
    assert_int_equal(truncate(dpath, (off_t)(w.out_len - 5)), 0);
    s = reopen(&f);
    struct store_wire got;
    assert_true(store_stream_wire(s->store, &got));
    assert_true(got.out_len == w.out_len - 5);
    assert_int_equal(got.held_len, 0);
    assert_true(got.in_len == w.out_len - 5 + shrink);
    assert_true(stream_writer_offset(s) == got.in_len);
    assert_int_equal(stream_mask_held(s), 0);
    assert_true(store_stream_length(s->store) == w.out_len - 5);
    assert_index_consistent(s);
    /* The next end rewrites the record consistently. */
    assert_int_equal(stream_mask_append(s, "x\n", 2), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    struct store_wire disk;
    assert_int_equal(store_wire_read(f.dir, &disk), 0);
    assert_true(disk.in_len == got.in_len + 2);
    assert_true(disk.out_len == store_stream_length(s->store));
    stream_free(s);
    fix_done(&f);
}

static void test_damaged_wire(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, "abc\n", 4), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    stream_free(s);

    char path[PATH_MAX];
    path_of(path, sizeof path, f.dir, "wire");
    FILE *wf = fopen(path, "w");
    assert_non_null(wf);
    fputs("livelog-wire 1\nin 4\nout 9\nheld 0\n", wf); /* in < out */
    assert_int_equal(fclose(wf), 0);
    struct store_stream *store = NULL;
    assert_int_equal(store_stream_open_dir(f.dir, now_ms(), &store), -EINVAL);
    assert_null(store);
    fix_done(&f);
}

/* A failing append (its data file is gone) leaves the held bytes and the
 * writer offset as they were; so does a failing flush and a failing
 * first record. */
static void test_append_failure(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    char data[PATH_MAX], hidden[PATH_MAX], tmp[PATH_MAX];
    path_of(data, sizeof data, f.dir, "data");
    path_of(hidden, sizeof hidden, f.top, "data.hidden");
    path_of(tmp, sizeof tmp, f.dir, "wire.tmp");
    struct stream *s = new_stream(&f);
    add_secrets(s);

    /* The first record cannot be written: nothing happens. */
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(stream_mask_append(s, "abc s3cr3t-T0", 13), -EISDIR);
    assert_true(stream_writer_offset(s) == 0);
    assert_int_equal(stream_mask_held(s), 0);
    assert_true(store_stream_length(s->store) == 0);
    assert_int_equal(rmdir(tmp), 0);

    assert_int_equal(stream_mask_append(s, "abc s3cr3t-T0", 13), 0);
    assert_stored(s, "abc ", 4);
    assert_int_equal(stream_mask_held(s), 9);

    /* The data file cannot be opened: the append fails whole. */
    store_stream_close_fds(s->store);
    assert_int_equal(rename(data, hidden), 0);
    assert_int_equal(stream_mask_append(s, "KEN rest\n", 9), -ENOENT);
    assert_true(stream_writer_offset(s) == 13);
    assert_int_equal(stream_mask_held(s), 9);
    assert_true(store_stream_length(s->store) == 4);
    /* A failing end writes no record either. */
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(stream_mask_end(s, false), -EISDIR);
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(rename(hidden, data), 0);

    assert_int_equal(stream_mask_append(s, "KEN rest\n", 9), 0);
    assert_stored(s, "abc *** rest\n", 13);
    assert_true(stream_writer_offset(s) == 22);

    /* A failing flush keeps the held bytes for the next try. */
    assert_int_equal(stream_mask_append(s, "z " SECRET2, 12), 0);
    assert_int_equal(stream_mask_append(s, " hunter2", 8), 0);
    assert_int_equal(stream_mask_held(s), 7);
    store_stream_close_fds(s->store);
    assert_int_equal(rename(data, hidden), 0);
    assert_int_equal(stream_mask_end(s, true), -ENOENT);
    assert_int_equal(stream_mask_held(s), 7);
    assert_int_equal(rename(hidden, data), 0);
    assert_int_equal(stream_mask_end(s, true), 0);
    assert_stored(s, "abc *** rest\nz *** hunter2", 26);
    assert_true(stream_writer_offset(s) == 42);
    stream_free(s);
    fix_done(&f);
}

/* complete: the held bytes are resolved and stored, the secrets go, the
 * writer offset stays. */
static void test_complete_flush(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    assert_int_equal(stream_mask_add(s, "abcd", 4), 0);
    assert_int_equal(stream_mask_add(s, "abcdefgh", 8), 0);
    assert_int_equal(stream_mask_append(s, "1 abcdefg", 9), 0);
    assert_stored(s, "1 ", 2);
    assert_int_equal(stream_mask_held(s), 7);
    assert_int_equal(stream_mask_end(s, true), 0);
    assert_stored(s, "1 ***efg", 8); /* the shorter secret inside */
    assert_int_equal(stream_mask_held(s), 0);
    assert_true(stream_is_masked(s));
    assert_true(stream_writer_offset(s) == 9);
    struct store_wire w;
    assert_int_equal(store_wire_read(f.dir, &w), 0);
    assert_true(w.in_len == 9 && w.out_len == 8 && w.held_len == 0);
    assert_int_equal(stream_mask_end(s, true), 0); /* again: nothing */
    stream_free(s);

    /* A held prefix that is no secret comes out as it was. */
    fix_done(&f);
    fix_init(&f);
    s = new_stream(&f);
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, "xx s3cr", 7), 0);
    assert_stored(s, "xx ", 3);
    assert_int_equal(stream_mask_end(s, true), 0);
    assert_stored(s, "xx s3cr", 7);
    stream_free(s);
    fix_done(&f);
}

/* --fsync=always syncs the data before the record. */
static void test_fsync_always(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    store_stream_set_fsync(STORE_FSYNC_ALWAYS);
    struct stream *s = new_stream(&f);
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, "a " SECRET "\n", 15), 0);
    assert_true(store_stream_durable(s->store) < store_stream_length(s->store));
    assert_int_equal(stream_mask_end(s, false), 0);
    assert_true(store_stream_durable(s->store) ==
                store_stream_length(s->store));
    stream_free(s);
    store_stream_set_fsync(STORE_FSYNC_NEVER);
    fix_done(&f);
}

static void test_remove(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct stream *s = new_stream(&f);
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, "abc s3cr", 8), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    assert_true(file_exists(f.dir, "wire"));
    assert_int_equal(store_stream_remove(s->store), 0);
    struct stat st;
    assert_int_equal(stat(f.dir, &st), -1);
    assert_int_equal(errno, ENOENT);
    stream_free(s);
    fix_done(&f);
}

static void test_temp_stream(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    struct store_stream *store = NULL;
    assert_int_equal(store_stream_create_temp(f.top, 1, &store), 0);
    struct stream *s = NULL;
    assert_int_equal(stream_create(store, false, &s), 0);
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, "t " SECRET, 14), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    assert_int_equal(stream_mask_append(s, "\n", 1), 0);
    assert_int_equal(stream_mask_end(s, true), 0);
    assert_stored(s, "t ***\n", 6);
    assert_true(stream_writer_offset(s) == 15);
    struct store_wire w;
    assert_false(store_stream_wire(store, &w));
    assert_int_equal(store_stream_write_wire(store, &w), -EINVAL);
    stream_free(s);
    fix_done(&f);
}

static int count_streams(struct stream_registry *r)
{
    return (int)stream_registry_count(r);
}

static char found_wire[PATH_MAX]; /* find_wire's result */

static int find_wire(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    if (flag == FTW_F && strcmp(path + ftw->base, "wire") == 0)
        snprintf(found_wire, sizeof found_wire, "%s", path);
    return 0;
}

/* The registry recovers the masking state, and skips a stream whose wire
 * record is damaged. */
static void test_registry_recovery(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    const struct stream_registry_limits lim = {
        .max_streams = 10,
        .max_stream_bytes = 1 << 20,
    };
    struct stream_registry *r = NULL;
    assert_int_equal(stream_registry_open(f.dir, &lim, &r), 0);
    struct stream *s = NULL;
    assert_int_equal(stream_registry_create(r, "a", 1, &s), 0);
    add_secrets(s);
    assert_int_equal(stream_mask_append(s, "x " SECRET " hunt", 19), 0);
    assert_int_equal(stream_mask_end(s, false), 0);
    stream_unref(s);
    struct stream *u = NULL;
    assert_int_equal(stream_registry_create(r, "b", 1, &u), 0);
    assert_int_equal(stream_mask_append(u, "plain\n", 6), 0);
    stream_unref(u);
    stream_registry_free(r);

    assert_int_equal(stream_registry_open(f.dir, &lim, &r), 0);
    assert_int_equal(count_streams(r), 2);
    s = stream_registry_get(r, "a", 1);
    assert_non_null(s);
    assert_true(stream_is_masked(s));
    assert_true(stream_writer_offset(s) == 19);
    assert_int_equal(stream_mask_held(s), 4);
    assert_true(store_stream_length(s->store) == 6);
    u = stream_registry_get(r, "b", 1);
    assert_non_null(u);
    assert_false(stream_is_masked(u));
    assert_true(stream_writer_offset(u) == 6);
    stream_unref(u);
    stream_unref(s);
    stream_registry_free(r);

    /* Its record damaged: the stream is skipped (and logged), the other
     * one recovered. */
    found_wire[0] = '\0';
    assert_int_equal(nftw(f.dir, find_wire, 16, FTW_PHYS), 0);
    assert_true(found_wire[0] != '\0');
    FILE *wf = fopen(found_wire, "w");
    assert_non_null(wf);
    fputs("livelog-wire 1\nin 19\n", wf);
    assert_int_equal(fclose(wf), 0);
    assert_int_equal(stream_registry_open(f.dir, &lim, &r), 0);
    assert_int_equal(count_streams(r), 1);
    assert_null(stream_registry_get(r, "a", 1));
    u = stream_registry_get(r, "b", 1);
    assert_non_null(u);
    stream_unref(u);
    stream_registry_free(r);
    fix_done(&f);
}

int main(void)
{
    log_init(2, LOG_WARNING, LOG_FORMAT_JSON);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unmasked),
        cmocka_unit_test(test_add_errors),
        cmocka_unit_test(test_split_every_boundary),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_restart_every_boundary),
        cmocka_unit_test(test_restart_without_secrets),
        cmocka_unit_test(test_crash_truncates),
        cmocka_unit_test(test_crash_first_request),
        cmocka_unit_test(test_power_loss_shorter),
        cmocka_unit_test(test_damaged_wire),
        cmocka_unit_test(test_append_failure),
        cmocka_unit_test(test_complete_flush),
        cmocka_unit_test(test_fsync_always),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_temp_stream),
        cmocka_unit_test(test_registry_recovery),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
