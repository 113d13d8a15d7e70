/* test_client_spool: unit tests for src/client/client_spool.c: input from
 * a regular FILE (kept in place) and from a pipe on stdin (kept in an
 * unlinked temp file), re-reading any suffix, the SHA-256 at end of
 * input, and read-ahead during a backoff. Single-threaded cmocka tests;
 * they replace fd 0 with a pipe for the stdin cases. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/client_spool.h"

/* SHA-256("abc") and SHA-256("") */
static const uint8_t sha_abc[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
static const uint8_t sha_empty[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
    0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
    0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

/* Writes text to a new temp file; returns its path (static buffer). */
static const char *temp_file(const char *text, size_t len)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/test_client_spool.XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Puts the read end of a new pipe on fd 0; returns the write end. The
 * old stdin is saved in *ret_saved. */
static int pipe_on_stdin(int *ret_saved)
{
    int p[2];

    assert_int_equal(pipe(p), 0);
    *ret_saved = dup(0);
    assert_true(*ret_saved >= 0);
    assert_true(dup2(p[0], 0) == 0);
    close(p[0]);
    return p[1];
}

static void restore_stdin(int saved)
{
    assert_true(dup2(saved, 0) == 0);
    close(saved);
}

static void test_file_kept_in_place(void **state)
{
    const char *path = temp_file("abc", 3);
    struct client_spool sp;
    char buf[16];
    size_t n = 99;

    (void)state;
    assert_int_equal(client_spool_open(&sp, path), 0);
    assert_true(sp.src_is_store);
    assert_int_equal(sp.tmp_fd, -1);
    /* small reads: new bytes come in order */
    assert_int_equal(client_spool_read_new(&sp, buf, 2, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(client_spool_read_new(&sp, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 'c');
    assert_false(sp.eof);
    assert_int_equal(client_spool_read_new(&sp, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    assert_true(sp.eof);
    assert_true(sp.len == 3);
    assert_memory_equal(sp.digest, sha_abc, 32);
    /* any suffix can be read again */
    assert_int_equal(client_spool_pread(&sp, buf, sizeof(buf), 1, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "bc", 2);
    assert_int_equal(client_spool_pread(&sp, buf, sizeof(buf), 3, &n), -EINVAL);
    /* after the end, read_new keeps saying 0 */
    assert_int_equal(client_spool_read_new(&sp, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    client_spool_close(&sp);
    client_spool_close(&sp); /* twice is fine */
    unlink(path);
}

static void test_empty_file(void **state)
{
    const char *path = temp_file("", 0);
    struct client_spool sp;
    char buf[4];
    size_t n = 99;

    (void)state;
    assert_int_equal(client_spool_open(&sp, path), 0);
    assert_int_equal(client_spool_read_new(&sp, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    assert_true(sp.eof);
    assert_memory_equal(sp.digest, sha_empty, 32);
    assert_int_equal(client_spool_pread(&sp, buf, sizeof(buf), 0, &n), -EINVAL);
    client_spool_close(&sp);
    unlink(path);
}

static void test_missing_file(void **state)
{
    struct client_spool sp;

    (void)state;
    assert_int_equal(client_spool_open(&sp, "/nonexistent/dir/file"), -ENOENT);
    client_spool_close(&sp); /* harmless after a failed open */
}

static void test_stdin_pipe_spooled(void **state)
{
    struct client_spool sp;
    char buf[8], big[4096];
    size_t n = 0;
    uint64_t total = 0;
    int saved, w = pipe_on_stdin(&saved);

    (void)state;
    setenv("TMPDIR", "/tmp", 1);
    assert_int_equal(client_spool_open(&sp, NULL), 0);
    assert_false(sp.src_is_store);
    assert_true(sp.src_pollable);
    assert_true(sp.tmp_fd >= 0);
    /* a line arrives: read_new returns it at once, not a full buffer */
    assert_int_equal(write(w, "line 1\n", 7), 7);
    assert_int_equal(client_spool_read_new(&sp, big, sizeof(big), &n), 0);
    assert_int_equal(n, 7);
    total += n;
    assert_int_equal(write(w, "line 2\n", 7), 7);
    assert_int_equal(client_spool_read_new(&sp, buf, 4, &n), 0);
    assert_int_equal(n, 4);
    total += n;
    assert_int_equal(client_spool_read_new(&sp, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 3);
    total += n;
    assert_true(sp.len == total && total == 14);
    /* the pipe's bytes are gone from the pipe but kept in the spool */
    assert_int_equal(client_spool_pread(&sp, big, sizeof(big), 0, &n), 0);
    assert_int_equal(n, 14);
    assert_memory_equal(big, "line 1\nline 2\n", 14);
    assert_int_equal(client_spool_pread(&sp, buf, 3, 12, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "2\n", 2);
    close(w);
    assert_int_equal(client_spool_read_new(&sp, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    assert_true(sp.eof);
    client_spool_close(&sp);
    restore_stdin(saved);
}

static void test_stdin_digest(void **state)
{
    struct client_spool sp;
    char buf[2];
    size_t n = 0;
    int saved, w = pipe_on_stdin(&saved);

    (void)state;
    assert_int_equal(client_spool_open(&sp, NULL), 0);
    assert_int_equal(write(w, "abc", 3), 3);
    close(w);
    do {
        assert_int_equal(client_spool_read_new(&sp, buf, sizeof(buf), &n), 0);
    } while (n > 0);
    assert_true(sp.len == 3);
    assert_memory_equal(sp.digest, sha_abc, 32);
    client_spool_close(&sp);
    restore_stdin(saved);
}

static void test_drain_reads_ahead(void **state)
{
    struct client_spool sp;
    char buf[16];
    size_t n = 0;
    int saved, w = pipe_on_stdin(&saved);

    (void)state;
    assert_int_equal(client_spool_open(&sp, NULL), 0);
    assert_int_equal(write(w, "early", 5), 5);
    /* while "backing off", what the program wrote is taken in */
    assert_int_equal(client_spool_drain(&sp, 20), 0);
    assert_true(sp.len == 5);
    assert_false(sp.eof);
    close(w);
    assert_int_equal(client_spool_drain(&sp, 20), 0);
    assert_true(sp.eof);
    assert_int_equal(client_spool_pread(&sp, buf, sizeof(buf), 0, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "early", 5);
    client_spool_close(&sp);
    restore_stdin(saved);
}

static void test_drain_file_only_waits(void **state)
{
    const char *path = temp_file("abc", 3);
    struct client_spool sp;

    (void)state;
    assert_int_equal(client_spool_open(&sp, path), 0);
    assert_int_equal(client_spool_drain(&sp, 1), 0);
    assert_true(sp.len == 0); /* a FILE is read on demand only */
    client_spool_close(&sp);
    unlink(path);
}

static void test_bad_tmpdir(void **state)
{
    struct client_spool sp;
    int saved, w = pipe_on_stdin(&saved);

    (void)state;
    setenv("TMPDIR", "/nonexistent/dir", 1);
    assert_int_equal(client_spool_open(&sp, NULL), -ENOENT);
    unsetenv("TMPDIR");
    close(w);
    restore_stdin(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_kept_in_place),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_stdin_pipe_spooled),
        cmocka_unit_test(test_stdin_digest),
        cmocka_unit_test(test_drain_reads_ahead),
        cmocka_unit_test(test_drain_file_only_waits),
        cmocka_unit_test(test_bad_tmpdir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
