/* test_store_index: unit tests for src/store/store_index.c. Record
 * encoding; a real data file and index in a scratch directory, appended
 * in every shape of chunk, with store_index_lines and
 * store_index_line_offset checked for every line against a brute-force
 * scan of the same bytes; when records are written (time, span); and
 * recovery from torn, inconsistent, missing and empty indexes and from a
 * shortened data file. Single-threaded cmocka tests. */
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

#include "store/store_index.h"

#define T0 UINT64_C(1700000000000)

/* A stream under test: the data file, its index, and a copy of the data
 * in memory for the brute-force scan. */
struct fx {
    char dir[PATH_MAX];
    char data_path[PATH_MAX + 8];
    char index_path[PATH_MAX + 8];
    int data_fd;
    struct store_index ix;
    bool open;
    unsigned char *buf;
    size_t len, cap;
};

static void fx_init(struct fx *f, uint64_t now)
{
    const char *tmp = getenv("TMPDIR");

    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/livelog-index-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->data_path, sizeof f->data_path, "%s/data", f->dir);
    snprintf(f->index_path, sizeof f->index_path, "%s/index", f->dir);
    f->data_fd =
        open(f->data_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(f->data_fd >= 0);
    assert_int_equal(
        store_index_open(&f->ix, f->index_path, f->data_fd, 0, now), 0);
    f->open = true;
}

static void fx_free(struct fx *f)
{
    if (f->open)
        store_index_close(&f->ix);
    close(f->data_fd);
    unlink(f->data_path);
    unlink(f->index_path);
    assert_int_equal(rmdir(f->dir), 0);
    free(f->buf);
}

/* Writes the bytes to the data file and its copy, without indexing. */
static void fx_write_data(struct fx *f, const void *p, size_t n)
{
    if (f->len + n > f->cap) {
        size_t cap = f->cap == 0 ? 4096 : f->cap;
        while (cap < f->len + n)
            cap *= 2;
        f->buf = realloc(f->buf, cap);
        assert_non_null(f->buf);
        f->cap = cap;
    }
    if (n > 0) {
        memcpy(f->buf + f->len, p, n);
        assert_int_equal(pwrite(f->data_fd, p, n, (off_t)f->len), (ssize_t)n);
    }
    f->len += n;
}

static void fx_append(struct fx *f, const void *p, size_t n, uint64_t now)
{
    uint64_t base = f->len;

    fx_write_data(f, p, n);
    assert_int_equal(store_index_append(&f->ix, base, p, n, now), 0);
}

static void fx_appends(struct fx *f, const char *s, uint64_t now)
{
    fx_append(f, s, strlen(s), now);
}

static uint64_t fx_records(const struct fx *f)
{
    return atomic_load(&f->ix.records);
}

static off_t index_size(const struct fx *f)
{
    struct stat st;

    assert_int_equal(stat(f->index_path, &st), 0);
    return st.st_size;
}

/* Lines (0-based) start at 0 when there is data and after every '\n'
 * that has a byte after it. Checks the count and every line's offset,
 * then that asking one past the end is -ERANGE. */
static void fx_check(const struct fx *f)
{
    uint64_t want_lines = 0;
    uint64_t k = 0;

    for (size_t p = 0; p < f->len; p++)
        if (p == 0 || f->buf[p - 1] == '\n')
            want_lines++;
    if (store_index_lines(&f->ix) != want_lines)
        fail_msg("lines %llu, want %llu (data %zu bytes)",
                 (unsigned long long)store_index_lines(&f->ix),
                 (unsigned long long)want_lines, f->len);
    for (size_t p = 0; p < f->len; p++) {
        uint64_t got = UINT64_MAX;
        int rc;

        if (p != 0 && f->buf[p - 1] != '\n')
            continue;
        rc = store_index_line_offset(&f->ix, f->data_fd, f->len, k, &got);
        if (rc != 0 || got != p)
            fail_msg("line %llu: rc %d offset %llu, want %zu",
                     (unsigned long long)k, rc, (unsigned long long)got, p);
        k++;
    }
    for (uint64_t extra = 0; extra < 2; extra++) {
        uint64_t got = 12345;

        assert_int_equal(store_index_line_offset(&f->ix, f->data_fd, f->len,
                                                 want_lines + extra, &got),
                         -ERANGE);
        assert_true(got == 12345);
    }
    assert_int_equal(index_size(f),
                     (off_t)(fx_records(f) * STORE_INDEX_RECORD));
}

static void fx_reopen(struct fx *f, uint64_t now)
{
    if (f->open)
        store_index_close(&f->ix);
    f->open = false;
    memset(&f->ix, 0x6b, sizeof f->ix);
    assert_int_equal(
        store_index_open(&f->ix, f->index_path, f->data_fd, f->len, now), 0);
    f->open = true;
}

static void fx_truncate_data(struct fx *f, size_t len)
{
    assert_true(len <= f->len);
    assert_int_equal(ftruncate(f->data_fd, (off_t)len), 0);
    f->len = len;
}

static void fx_truncate_index(struct fx *f, off_t size)
{
    assert_int_equal(truncate(f->index_path, size), 0);
}

static void read_index_record(const struct fx *f, uint64_t i,
                              struct store_index_record *r)
{
    unsigned char b[STORE_INDEX_RECORD];
    int fd = open(f->index_path, O_RDONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, b, sizeof b, (off_t)(i * STORE_INDEX_RECORD)),
                     (ssize_t)sizeof b);
    close(fd);
    store_index_decode(b, r);
}

static void write_index_record(const struct fx *f, uint64_t i,
                               const struct store_index_record *r)
{
    unsigned char b[STORE_INDEX_RECORD];
    int fd = open(f->index_path, O_WRONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    store_index_encode(r, b);
    assert_int_equal(pwrite(fd, b, sizeof b, (off_t)(i * STORE_INDEX_RECORD)),
                     (ssize_t)sizeof b);
    close(fd);
}

static void write_index_bytes(const struct fx *f, off_t at, const void *p,
                              size_t n)
{
    int fd = open(f->index_path, O_WRONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, p, n, at), (ssize_t)n);
    close(fd);
}

/* ---- encoding ---- */

static void test_encode_decode(void **state)
{
    static const struct store_index_record cases[] = {
        {0, 0, 0, false},
        {0, 0, 0, true},
        {1, 2, 3, true},
        {UINT64_C(0x0102030405060708), UINT64_C(0x1112131415161718),
         UINT64_C(0x2122232425262728), false},
        {UINT64_MAX, UINT64_MAX, UINT64_MAX >> 1, true},
        {UINT64_MAX, UINT64_MAX, UINT64_MAX >> 1, false},
        {1u << 20, 99, T0, true},
    };
    unsigned char b[STORE_INDEX_RECORD];
    struct store_index_record r;

    (void)state;
    assert_int_equal(STORE_INDEX_RECORD, 24);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(b, 0xee, sizeof b);
        store_index_encode(&cases[i], b);
        memset(&r, 0x99, sizeof r);
        store_index_decode(b, &r);
        assert_true(r.offset == cases[i].offset);
        assert_true(r.lines_before == cases[i].lines_before);
        assert_true(r.time_ms == cases[i].time_ms);
        assert_int_equal(r.starts_line, cases[i].starts_line);
    }

    /* the layout: three little-endian u64, bit 63 of the third is
     * starts_line */
    store_index_encode(&cases[3], b);
    static const unsigned char want[STORE_INDEX_RECORD] = {
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x18, 0x17, 0x16, 0x15,
        0x14, 0x13, 0x12, 0x11, 0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21,
    };
    assert_memory_equal(b, want, sizeof want);
    r = cases[3];
    r.starts_line = true;
    store_index_encode(&r, b);
    assert_int_equal(b[23], 0x21 | 0x80);
    assert_memory_equal(b, want, 23);

    /* bit 63 of time_ms is not time: it is masked on encode */
    r = (struct store_index_record){5, 6, UINT64_MAX, false};
    store_index_encode(&r, b);
    store_index_decode(b, &r);
    assert_false(r.starts_line);
    assert_true(r.time_ms == UINT64_MAX >> 1);

    /* decode of arbitrary bytes */
    memset(b, 0xff, sizeof b);
    store_index_decode(b, &r);
    assert_true(r.offset == UINT64_MAX && r.lines_before == UINT64_MAX);
    assert_true(r.starts_line);
    assert_true(r.time_ms == UINT64_MAX >> 1);
}

/* ---- appends of every shape ---- */

static void test_empty_stream(void **state)
{
    struct fx f;
    uint64_t got = 7;

    (void)state;
    fx_init(&f, T0);
    assert_true(store_index_lines(&f.ix) == 0);
    assert_int_equal(store_index_line_offset(&f.ix, f.data_fd, 0, 0, &got),
                     -ERANGE);
    assert_true(got == 7);
    fx_append(&f, "", 0, T0); /* nothing */
    assert_true(fx_records(&f) == 0);
    fx_check(&f);
    fx_reopen(&f, T0 + 1);
    fx_check(&f);
    assert_true(fx_records(&f) == 0);
    fx_free(&f);
}

static void test_line_counting(void **state)
{
    struct fx f;

    (void)state;
    fx_init(&f, T0);
    fx_appends(&f, "abc", T0); /* a line without its newline yet */
    assert_true(store_index_lines(&f.ix) == 1);
    fx_check(&f);
    fx_appends(&f, "\n", T0); /* ends it; no new line starts yet */
    assert_true(store_index_lines(&f.ix) == 1);
    fx_check(&f);
    fx_appends(&f, "d", T0); /* now line 1 starts at 4 */
    assert_true(store_index_lines(&f.ix) == 2);
    fx_check(&f);
    fx_appends(&f, "\n\n\n", T0); /* two empty lines started */
    assert_true(store_index_lines(&f.ix) == 4);
    fx_check(&f);
    fx_appends(&f, "\n", T0);
    assert_true(store_index_lines(&f.ix) == 5);
    fx_check(&f);
    fx_free(&f);
}

static void test_chunk_shapes(void **state)
{
    static const char *const chunks[] = {
        "first line\n",
        "split ",
        "across ",
        "three chunks\nand a next one started",
        " and ended\n",
        "\n",
        "\n\n",
        "no newline at all",
        "",
        "x",
        "\n",
        "a\nb\nc\n",
        "\nleading newline",
        "\n",
        "\n",
        "tail",
    };
    struct fx f;

    (void)state;
    /* all in one millisecond, then each in its own, then alternating */
    for (int mode = 0; mode < 3; mode++) {
        uint64_t now = T0;

        fx_init(&f, now);
        for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
            if (mode == 1 || (mode == 2 && i % 2 == 0))
                now++;
            fx_appends(&f, chunks[i], now);
            fx_check(&f);
        }
        fx_reopen(&f, now);
        fx_check(&f);
        fx_reopen(&f, now + 1000);
        fx_check(&f);
        fx_appends(&f, "\nafter reopen\nmore", now + 1000);
        fx_check(&f);
        fx_free(&f);
    }
}

/* A chunk that is only "\n", repeated: every one but the last starts a
 * line. */
static void test_only_newlines(void **state)
{
    struct fx f;
    uint64_t now = T0;

    (void)state;
    fx_init(&f, now);
    for (int i = 0; i < 300; i++) {
        if (i % 7 == 0)
            now++;
        fx_appends(&f, "\n", now);
    }
    assert_true(store_index_lines(&f.ix) == 300);
    fx_check(&f);
    fx_free(&f);

    fx_init(&f, now);
    fx_appends(&f, "\n\n\n\n\n\n\n\n\n\n", now);
    assert_true(store_index_lines(&f.ix) == 10);
    fx_check(&f);
    fx_free(&f);
}

/* ---- when records are written ---- */

static void test_records_per_ms(void **state)
{
    struct fx f;

    (void)state;
    /* one line per append, one append per millisecond: a record each */
    fx_init(&f, T0);
    for (uint64_t i = 0; i < 100; i++)
        fx_appends(&f, "one line\n", T0 + i);
    assert_true(fx_records(&f) == 100);
    fx_check(&f);
    for (uint64_t i = 0; i < 100; i++) {
        struct store_index_record r;

        read_index_record(&f, i, &r);
        assert_true(r.offset == i * 9);
        assert_true(r.lines_before == i);
        assert_true(r.time_ms == T0 + i);
        assert_true(r.starts_line);
    }
    fx_free(&f);

    /* many appends in one millisecond: one record */
    fx_init(&f, T0);
    for (int i = 0; i < 1000; i++)
        fx_appends(&f, "line\nline\n", T0);
    assert_true(fx_records(&f) == 1);
    assert_true(store_index_lines(&f.ix) == 2000);
    fx_check(&f);
    fx_free(&f);

    /* time moves but no line starts in the chunk: no record */
    fx_init(&f, T0);
    fx_appends(&f, "start of a long line", T0);
    assert_true(fx_records(&f) == 1);
    for (uint64_t i = 1; i <= 50; i++)
        fx_appends(&f, " more", T0 + i);
    assert_true(fx_records(&f) == 1);
    fx_appends(&f, " end\n", T0 + 51); /* ends a line, starts none */
    assert_true(fx_records(&f) == 1);
    fx_appends(&f, "next", T0 + 52); /* starts one: a record */
    assert_true(fx_records(&f) == 2);
    {
        struct store_index_record r;

        read_index_record(&f, 1, &r);
        assert_true(r.offset == f.len - 4);
        assert_true(r.lines_before == 1);
        assert_true(r.time_ms == T0 + 52);
        assert_true(r.starts_line);
    }
    /* the record points at the first line start inside the chunk */
    fx_appends(&f, " tail\nnew line\nanother\n", T0 + 53);
    assert_true(fx_records(&f) == 3);
    {
        struct store_index_record r;

        read_index_record(&f, 2, &r);
        assert_true(r.offset == f.len - 17);
        assert_true(r.lines_before == 2);
        assert_true(r.starts_line);
    }
    fx_check(&f);
    fx_free(&f);
}

/* Appends in one millisecond still get a record every STORE_INDEX_SPAN
 * bytes, so a lookup never scans much more than a span. */
static void test_records_per_span(void **state)
{
    struct fx f;
    static char chunk[4096];
    size_t total = 3 * STORE_INDEX_SPAN + STORE_INDEX_SPAN / 2;
    size_t line = 0;

    (void)state;
    fx_init(&f, T0);
    /* lines of 10,000 bytes written 4096 at a time */
    while (f.len < total) {
        for (size_t i = 0; i < sizeof chunk; i++) {
            chunk[i] = line % 10000 == 9999 ? '\n' : (char)('a' + line % 26);
            line++;
        }
        fx_append(&f, chunk, sizeof chunk, T0);
    }
    uint64_t recs = fx_records(&f);
    assert_true(recs >= 1 + total / STORE_INDEX_SPAN - 1);
    assert_true(recs <= 2 + total / STORE_INDEX_SPAN);
    /* consecutive records at most a span plus one append apart */
    struct store_index_record prev, r;
    read_index_record(&f, 0, &prev);
    assert_true(prev.offset == 0 && prev.lines_before == 0);
    for (uint64_t i = 1; i < recs; i++) {
        read_index_record(&f, i, &r);
        assert_true(r.offset > prev.offset);
        assert_true(r.offset - prev.offset <= STORE_INDEX_SPAN + sizeof chunk);
        assert_true(r.lines_before >= prev.lines_before);
        prev = r;
    }
    fx_check(&f);

    /* one chunk much larger than a span: one record, lookups right */
    fx_reopen(&f, T0);
    assert_true(fx_records(&f) == recs);
    fx_check(&f);
    fx_free(&f);

    fx_init(&f, T0);
    {
        size_t n = 2 * STORE_INDEX_SPAN + 123;
        char *big = malloc(n);

        assert_non_null(big);
        for (size_t i = 0; i < n; i++)
            big[i] = i % 5000 == 4999 ? '\n' : 'z';
        fx_append(&f, big, n, T0);
        fx_append(&f, "x\n", 2, T0);
        assert_true(fx_records(&f) == 2); /* the first, then the span */
        free(big);
    }
    fx_check(&f);
    fx_free(&f);
}

/* ---- recovery ---- */

/* A stream with many records (time moving), used by the recovery
 * tests. */
static void build_stream(struct fx *f)
{
    uint64_t now = T0;

    fx_init(f, now);
    for (int i = 0; i < 200; i++) {
        char line[64];
        int n =
            snprintf(line, sizeof line, "line %d%s", i, i % 3 == 0 ? "" : "\n");

        if (i % 2 == 0)
            now++;
        fx_append(f, line, (size_t)n, now);
    }
    assert_true(fx_records(f) > 50);
    fx_check(f);
}

static void test_reopen_intact(void **state)
{
    struct fx f;

    (void)state;
    build_stream(&f);
    uint64_t recs = fx_records(&f);
    off_t size = index_size(&f);
    /* the same millisecond, a later one: no duplicate record */
    fx_reopen(&f, T0 + 100);
    assert_true(fx_records(&f) == recs);
    assert_int_equal(index_size(&f), size);
    fx_check(&f);
    fx_reopen(&f, T0 + 5000);
    assert_true(fx_records(&f) == recs);
    fx_check(&f);
    /* and appends continue correctly */
    fx_appends(&f, "and\nmore\n", T0 + 5001);
    fx_check(&f);
    fx_free(&f);
}

static void test_recover_torn_tail(void **state)
{
    struct fx f;

    (void)state;
    build_stream(&f);
    /* each round tears a different number of bytes off the last record */
    for (off_t cut = 1; cut < STORE_INDEX_RECORD; cut += 2) {
        uint64_t recs = fx_records(&f);

        fx_truncate_index(&f, index_size(&f) - cut);
        fx_reopen(&f, T0 + 1000);
        assert_true(fx_records(&f) == recs - 1);
        fx_check(&f);
    }
    /* a torn tail in the middle of the first record */
    fx_truncate_index(&f, 10);
    fx_reopen(&f, T0 + 2000);
    fx_check(&f);
    fx_free(&f);

    /* A power loss can keep the file's length but not its last bytes:
     * the last record ends in zeros (its starts_line bit, its time, the
     * high bytes of lines_before) and still looks consistent. */
    for (off_t zeros = 1; zeros <= 16; zeros++) {
        static const unsigned char z[16];

        build_stream(&f);
        write_index_bytes(&f, index_size(&f) - zeros, z, (size_t)zeros);
        fx_reopen(&f, T0 + 3000);
        fx_check(&f);
        fx_free(&f);
    }
}

static void test_recover_garbage(void **state)
{
    struct fx f;
    struct store_index_record r, last;

    (void)state;
    build_stream(&f);
    uint64_t recs = fx_records(&f);

    /* a record whose offset goes backwards */
    read_index_record(&f, recs - 1, &last);
    r = last;
    r.offset = last.offset - 1;
    r.lines_before = last.lines_before + 1;
    write_index_record(&f, recs, &r);
    fx_reopen(&f, T0 + 1000);
    assert_true(fx_records(&f) == recs);
    fx_check(&f);

    /* an offset equal to the previous one */
    r = last;
    write_index_record(&f, recs, &r);
    fx_reopen(&f, T0 + 1000);
    assert_true(fx_records(&f) == recs);
    fx_check(&f);

    /* an offset beyond the data (and exactly at its end) */
    r = last;
    r.offset = (uint64_t)f.len + 1000;
    write_index_record(&f, recs, &r);
    fx_reopen(&f, T0 + 1000);
    assert_true(fx_records(&f) == recs);
    fx_check(&f);
    r.offset = (uint64_t)f.len;
    write_index_record(&f, recs, &r);
    fx_reopen(&f, T0 + 1000);
    assert_true(fx_records(&f) == recs);
    fx_check(&f);

    /* line counts going backwards */
    r = last;
    r.offset = last.offset + 1;
    r.lines_before = last.lines_before - 1;
    write_index_record(&f, recs, &r);
    fx_reopen(&f, T0 + 1000);
    assert_true(fx_records(&f) == recs);
    fx_check(&f);

    /* a bad record in the middle: everything from it on is cut */
    struct store_index_record mid;
    read_index_record(&f, recs / 2 - 1, &mid);
    r = mid;
    r.offset = 0;
    write_index_record(&f, recs / 2, &r);
    fx_reopen(&f, T0 + 1000);
    assert_true(fx_records(&f) >= recs / 2);
    assert_true(fx_records(&f) < recs);
    fx_check(&f);

    /* 0xff garbage appended */
    {
        unsigned char junk[3 * STORE_INDEX_RECORD];

        memset(junk, 0xff, sizeof junk);
        write_index_bytes(&f, index_size(&f), junk, sizeof junk);
        fx_reopen(&f, T0 + 1000);
        fx_check(&f);
    }
    /* zeros appended (a crash after the file grew, before the bytes
     * landed) */
    {
        unsigned char zeros[2 * STORE_INDEX_RECORD + 5] = {0};

        write_index_bytes(&f, index_size(&f), zeros, sizeof zeros);
        fx_reopen(&f, T0 + 1000);
        fx_check(&f);
    }
    fx_free(&f);
}

static void test_recover_data_truncated(void **state)
{
    struct fx f;

    (void)state;
    build_stream(&f);
    /* cut the data below the last records: mid-line, at a line end, just
     * after a newline, to one byte, to nothing */
    size_t cuts[6];
    size_t n = 0;
    cuts[n++] = f.len - 3;
    cuts[n++] = f.len / 2;
    for (size_t p = f.len / 3; p < f.len; p++)
        if (f.buf[p] == '\n') {
            cuts[n++] = p;     /* ends before the newline */
            cuts[n++] = p + 1; /* ends right after it */
            break;
        }
    cuts[n++] = 1;
    cuts[n++] = 0;
    for (size_t i = 0; i < n; i++) {
        if (cuts[i] > f.len)
            continue;
        fx_truncate_data(&f, cuts[i]);
        fx_reopen(&f, T0 + 1000 + i);
        fx_check(&f);
        /* the stream goes on from there */
        fx_appends(&f, "resumed\nline", T0 + 2000 + i);
        fx_check(&f);
        fx_reopen(&f, T0 + 3000 + i);
        fx_check(&f);
    }
    fx_free(&f);
}

static void test_recover_empty_or_missing_index(void **state)
{
    struct fx f;

    (void)state;
    build_stream(&f);
    uint64_t recs = fx_records(&f);

    /* empty index, data present: rebuilt from the data */
    fx_truncate_index(&f, 0);
    fx_reopen(&f, T0 + 1000);
    assert_true(fx_records(&f) >= 1);
    assert_true(fx_records(&f) < recs); /* one millisecond: few records */
    fx_check(&f);

    /* no index file at all */
    store_index_close(&f.ix);
    f.open = false;
    assert_int_equal(unlink(f.index_path), 0);
    fx_reopen(&f, T0 + 1000);
    fx_check(&f);
    fx_appends(&f, "\nx\ny", T0 + 1001);
    fx_check(&f);
    fx_free(&f);

    /* data larger than several scan blocks and spans, no index */
    fx_init(&f, T0);
    {
        size_t n = STORE_INDEX_SPAN + 200000;
        char *big = malloc(n);

        assert_non_null(big);
        for (size_t i = 0; i < n; i++)
            big[i] = i % 7919 == 0 ? '\n' : 'q';
        fx_write_data(&f, big, n);
        free(big);
    }
    fx_reopen(&f, T0);
    fx_check(&f);
    assert_true(fx_records(&f) >= 2); /* the first, then the span */
    fx_free(&f);
}

/* An index whose first record is all zeros (the file grew but the bytes
 * never landed) must not lose line 0. The real first record is always
 * {offset 0, lines_before 0, starts_line}: a first record that is not is
 * garbage. */
static void test_recover_bad_first_record(void **state)
{
    struct fx f;
    struct store_index_record r;
    unsigned char zeros[STORE_INDEX_RECORD] = {0};

    (void)state;
    build_stream(&f);
    write_index_bytes(&f, 0, zeros, sizeof zeros);
    fx_reopen(&f, T0 + 1000);
    fx_check(&f);
    fx_free(&f);

    /* only one record, zeroed */
    fx_init(&f, T0);
    fx_appends(&f, "first\nsecond\nthird\n", T0);
    assert_true(fx_records(&f) == 1);
    write_index_bytes(&f, 0, zeros, sizeof zeros);
    fx_reopen(&f, T0 + 1);
    fx_check(&f);
    fx_free(&f);

    /* a first record that claims a line starts mid-line */
    fx_init(&f, T0);
    fx_appends(&f, "first\nsecond\nthird\n", T0);
    r = (struct store_index_record){3, 0, T0, true};
    write_index_record(&f, 0, &r);
    fx_reopen(&f, T0 + 1);
    fx_check(&f);
    fx_free(&f);
}

/* ---- randomized ---- */

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
    uint64_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static void test_randomized(void **state)
{
    static const unsigned densities[] = {0, 1, 2, 8, 64, 1024};
    static unsigned char chunk[4096];
    struct fx f;
    uint64_t now = T0;

    (void)state;
    rng_state = UINT64_C(0x9e3779b97f4a7c15);
    fx_init(&f, now);
    for (int round = 0; round < 200; round++) {
        unsigned d = densities[rng() % 6];
        unsigned bits = (unsigned)(rng() % 13);
        size_t n = (size_t)(rng() % ((uint64_t)1 << bits));

        if (d <= 2)
            n %= 512; /* keeps the line count, and the test, small */

        for (size_t i = 0; i < n; i++) {
            bool nl = d == 1 || (d != 0 && rng() % d == 0);
            unsigned char c = (unsigned char)rng();

            chunk[i] = nl ? '\n' : (c == '\n' ? 'n' : c);
        }
        if (rng() % 2 == 0)
            now += 1 + rng() % 3;
        fx_append(&f, chunk, n, now);
        if (round % 40 == 39) {
            fx_check(&f);
            fx_reopen(&f, now);
            fx_check(&f);
        }
    }
    fx_check(&f);
    uint64_t recs = fx_records(&f);

    /* damage the index in random ways; every recovery is exact */
    for (int round = 0; round < 10; round++) {
        off_t size = index_size(&f);
        switch (rng() % 3) {
        case 0:
            fx_truncate_index(&f, (off_t)(rng() % (uint64_t)(size + 1)));
            break;
        case 1:
            fx_truncate_data(&f, (size_t)(rng() % (f.len + 1)));
            break;
        default: {
            unsigned char junk[STORE_INDEX_RECORD];

            for (size_t i = 0; i < sizeof junk; i++)
                junk[i] = (unsigned char)rng();
            write_index_bytes(&f, size, junk, sizeof junk);
            break;
        }
        }
        fx_reopen(&f, now + 1);
        fx_check(&f);
    }
    (void)recs;
    fx_free(&f);
}

/* Receive times: runs of lines per record time, merged, clamped to the
 * range asked for; an append in the millisecond of a reopen gets its
 * own record (and time). */
static void test_line_times(void **state)
{
    struct fx f;
    struct store_index_time t[8];
    size_t n = 0;
    uint64_t end = 0;

    (void)state;
    fx_init(&f, T0);
    fx_appends(&f, "a\nb\nc\n", T0);     /* lines 0-2 */
    fx_appends(&f, "d\ne", T0 + 1000);   /* 3, 4 (open) */
    fx_appends(&f, "e\nf\n", T0 + 1500); /* 5 */
    fx_appends(&f, "g\n", T0 + 1500);    /* 6: same ms, no record */
    assert_int_equal(store_index_line_times(&f.ix, 0, 7, t, 8, &n, &end), 0);
    assert_true(n == 3 && end == 7);
    assert_true(t[0].line == 0 && t[0].time_ms == T0);
    assert_true(t[1].line == 3 && t[1].time_ms == T0 + 1000);
    assert_true(t[2].line == 5 && t[2].time_ms == T0 + 1500);
    /* a range inside a run starts with it */
    assert_int_equal(store_index_line_times(&f.ix, 4, 6, t, 8, &n, &end), 0);
    assert_true(n == 2 && end == 6);
    assert_true(t[0].line == 4 && t[0].time_ms == T0 + 1000);
    assert_true(t[1].line == 5 && t[1].time_ms == T0 + 1500);
    /* too few runs: where they stop */
    assert_int_equal(store_index_line_times(&f.ix, 0, 7, t, 2, &n, &end), 0);
    assert_true(n == 2 && end == 5);
    assert_int_equal(store_index_line_times(&f.ix, 0, 8, t, 8, &n, &end),
                     -ERANGE);
    /* reopened (descriptors closed while idle), then appended to in the
     * millisecond of the reopen */
    fx_reopen(&f, T0 + 9000);
    fx_appends(&f, "h\n", T0 + 9000);
    assert_int_equal(store_index_line_times(&f.ix, 6, 8, t, 8, &n, &end), 0);
    assert_true(n == 2 && end == 8);
    assert_true(t[0].line == 6 && t[0].time_ms == T0 + 1500);
    assert_true(t[1].line == 7 && t[1].time_ms == T0 + 9000);
    fx_check(&f);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_empty_stream),
        cmocka_unit_test(test_line_counting),
        cmocka_unit_test(test_chunk_shapes),
        cmocka_unit_test(test_only_newlines),
        cmocka_unit_test(test_records_per_ms),
        cmocka_unit_test(test_records_per_span),
        cmocka_unit_test(test_reopen_intact),
        cmocka_unit_test(test_recover_torn_tail),
        cmocka_unit_test(test_recover_garbage),
        cmocka_unit_test(test_recover_data_truncated),
        cmocka_unit_test(test_recover_empty_or_missing_index),
        cmocka_unit_test(test_recover_bad_first_record),
        cmocka_unit_test(test_randomized),
        cmocka_unit_test(test_line_times),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
