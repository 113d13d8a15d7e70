/* test_store_stream: unit tests for the block reserve of
 * src/store/store_stream.c. Appends to a log past 4 MiB reserve the data
 * file's blocks ahead of the writer; the reserve goes back when the writer
 * finishes, when the descriptors close, and when a stream left with one (a
 * crash) is opened again; the bytes and the file's size never change. Runs in a
 * scratch directory under TMPDIR; the assertions about reserved blocks are made
 * only where that file system can reserve (fallocate), the rest always.
 * Single-threaded cmocka tests. */
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

#include "store/store_stream.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define T0 UINT64_C(1700000000000)
/* A file's blocks may exceed its rounded-up size by this much without a
 * reserve (extent tree blocks). */
#define SLACK (64 * KIB)

static char scratch[PATH_MAX];
static bool can_reserve;

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/livelog-store-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(scratch) == NULL)
        return -1;
    /* Can this file system reserve blocks past the end of a file? */
    char probe[PATH_MAX + 8];
    snprintf(probe, sizeof probe, "%s/probe", scratch);
    int fd = open(probe, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    can_reserve = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, MIB) == 0;
    close(fd);
    unlink(probe);
    if (!can_reserve)
        fprintf(stderr, "note: %s cannot fallocate; reserve checks skipped\n",
                scratch);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

static uint64_t disk_bytes(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_blocks * 512;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void fill(unsigned char *buf, size_t len, size_t from)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)((from + i) * 131 + 7);
}

/* Appends `total` bytes in 64 KiB pieces of the pattern. */
static void append_pattern(struct store_stream *s, size_t total)
{
    static unsigned char piece[64 * KIB];
    for (size_t done = 0; done < total; done += sizeof piece) {
        fill(piece, sizeof piece, done);
        assert_int_equal(store_stream_append(s, piece, sizeof piece), 0);
    }
}

static void assert_pattern(struct store_stream *s, size_t total)
{
    static unsigned char got[64 * KIB], want[64 * KIB];
    for (size_t done = 0; done < total; done += sizeof got) {
        fill(want, sizeof want, done);
        assert_int_equal(store_stream_read(s, done, got, sizeof got),
                         (ssize_t)sizeof got);
        assert_memory_equal(got, want, sizeof got);
    }
    assert_int_equal(store_stream_read(s, total, got, 1), 0);
}

static void assert_no_reserve(const char *path, uint64_t size)
{
    assert_true(disk_bytes(path) <= (size + 4095) / 4096 * 4096 + SLACK);
}

/* A stream's directory and data file in the scratch directory. */
struct paths {
    char dir[PATH_MAX + 8];
    char data[PATH_MAX + 16];
};

/* A new directory stream `name` in the scratch directory. */
static struct store_stream *fresh_stream(const char *name, struct paths *p)
{
    snprintf(p->dir, sizeof p->dir, "%s/%s", scratch, name);
    snprintf(p->data, sizeof p->data, "%s/data", p->dir);
    struct store_stream *s = NULL;
    assert_int_equal(
        store_stream_create_dir(p->dir, name, strlen(name), T0, &s), 0);
    return s;
}

/* What a crash in the middle of a write leaves behind: len bytes of
 * blocks reserved from off, past the end of the data file. */
static void reserve_like_a_crash(const char *data, off_t off, off_t len)
{
    int fd = open(data, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fallocate(fd, FALLOC_FL_KEEP_SIZE, off, len), 0);
    close(fd);
}

/* A writer that finishes gives its reserve back; the data and the size
 * stay as they were. */
static void test_reserve_released_at_complete(void **state)
{
    (void)state;
    struct paths p;
    struct store_stream *s = fresh_stream("done", &p);

    append_pattern(s, 3 * MIB); /* a small log reserves nothing */
    assert_no_reserve(p.data, 3 * MIB);
    append_pattern(s, 3 * MIB);
    assert_int_equal(file_size(p.data), 6 * MIB);
    if (can_reserve) /* past 4 MiB: as much again, ahead of the data */
        assert_true(disk_bytes(p.data) >= 8 * MIB);

    assert_int_equal(store_stream_set_state(s, STORE_COMPLETE), 0);
    assert_int_equal(file_size(p.data), 6 * MIB);
    assert_no_reserve(p.data, 6 * MIB);
    assert_pattern(s, 6 * MIB);
    store_stream_free(s);
}

/* The reserve is capped: a long log is never more than 8 MiB ahead. */
static void test_reserve_capped(void **state)
{
    (void)state;
    struct paths p;
    struct store_stream *s = fresh_stream("long", &p);

    append_pattern(s, 20 * MIB);
    uint64_t disk = disk_bytes(p.data);
    if (can_reserve)
        assert_true(disk >= 20 * MIB + 4 * MIB);
    assert_true(disk <= 20 * MIB + 8 * MIB + 64 * KIB + SLACK);

    assert_int_equal(store_stream_set_state(s, STORE_INTERRUPTED), 0);
    assert_no_reserve(p.data, 20 * MIB);
    assert_pattern(s, 20 * MIB);
    store_stream_free(s);
}

/* Descriptors closed while a reserve is held (a stream nobody uses) and a
 * stream freed without finishing both give it back. */
static void test_reserve_released_at_close(void **state)
{
    (void)state;
    struct paths p;
    struct store_stream *s = fresh_stream("closed", &p);

    append_pattern(s, 5 * MIB);
    if (can_reserve)
        assert_true(disk_bytes(p.data) >= 8 * MIB);
    store_stream_close_fds(s);
    assert_no_reserve(p.data, 5 * MIB);

    append_pattern(s, 1 * MIB); /* reopens, reserves again */
    if (can_reserve)
        assert_true(disk_bytes(p.data) >= 10 * MIB);
    store_stream_free(s);
    assert_int_equal(file_size(p.data), 6 * MIB);
    assert_no_reserve(p.data, 6 * MIB);
}

/* A crash leaves blocks reserved past the end of the data file; opening
 * the stream again gives them back and keeps every byte. */
static void test_reserve_released_after_crash(void **state)
{
    (void)state;
    struct paths p;
    struct store_stream *s = fresh_stream("crashed", &p);
    append_pattern(s, 1 * MIB);
    store_stream_free(s);
    if (!can_reserve)
        return;

    reserve_like_a_crash(p.data, MIB, 4 * MIB);
    assert_true(disk_bytes(p.data) >= 5 * MIB);

    assert_int_equal(store_stream_open_dir(p.dir, T0 + 1, &s), 0);
    assert_int_equal(store_stream_length(s), 1 * MIB);
    assert_no_reserve(p.data, 1 * MIB);
    assert_pattern(s, 1 * MIB);
    store_stream_free(s);
}

/* A keep-tail log's holes can hide a reserve from a count of its blocks:
 * one whose writer a crash cut off gives any reserve back when opened. */
static void test_keep_tail_reserve_released_after_crash(void **state)
{
    (void)state;
    struct paths p;
    struct store_stream *s = fresh_stream("kept", &p);
    assert_int_equal(store_stream_set_keep(s, 1 * MIB, 1 * MIB), 0);
    append_pattern(s, 12 * MIB); /* 10 MiB of it elided: punched out */
    store_stream_free(s);        /* still live on disk, as after a crash */
    uint64_t kept = disk_bytes(p.data);
    if (!can_reserve)
        return;
    if (kept > 4 * MIB) { /* this file system cannot punch holes */
        fprintf(stderr, "note: no holes in %s; keep-tail check skipped\n",
                p.data);
        return;
    }

    reserve_like_a_crash(p.data, 12 * MIB, 4 * MIB);
    assert_true(disk_bytes(p.data) >= kept + 4 * MIB);
    assert_true(disk_bytes(p.data) < 12 * MIB); /* the count alone misses it */

    assert_int_equal(store_stream_open_dir(p.dir, T0 + 1, &s), 0);
    assert_int_equal(store_stream_length(s), 12 * MIB);
    assert_int_equal(file_size(p.data), 12 * MIB);
    assert_true(disk_bytes(p.data) <= kept + SLACK);
    store_stream_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_released_at_complete),
        cmocka_unit_test(test_reserve_capped),
        cmocka_unit_test(test_reserve_released_at_close),
        cmocka_unit_test(test_reserve_released_after_crash),
        cmocka_unit_test(test_keep_tail_reserve_released_after_crash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
