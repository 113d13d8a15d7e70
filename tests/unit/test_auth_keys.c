/* test_auth_keys: unit tests for src/auth/auth_keys.c, the key ring, on
 * real directories under /tmp. Loading: which names are key files, keys
 * too short or too long, group/other permissions refused (each logged at
 * WARNING, the others still loaded), whitespace trimmed, the 64-key limit,
 * directories that cannot be read; the signing key is the last kid;
 * HMAC/verify round trips against GnuTLS directly; wrong and unknown
 * kids; reload adding and removing keys, and keeping the old keys when
 * the directory is gone; the log names kids and never key bytes; a
 * concurrency smoke test of 4 verifying threads against 200 reloads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include <dirent.h>

#include <cmocka.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "auth/auth_keys.h"
#include "log/log.h"

#define KEY_A "Y8h0yqK8nFJ2x0C1m4t6Wd3bLzQp9rSeVuTaXo5NiGk=" /* 44 bytes */
#define KEY_B "another-key-of-enough-length-0123456789ABCDEF"
#define KEY_C "the-third-key-abcdefghijklmnopqrstuvwxyz-0123"
#define MSG "GET\nlogs/x\n123\nnonce"

static int log_fd = -1;

/* Every test logs into one temporary file, so a test can read what the
 * ring logged (and check that no key bytes are in it). */
static int group_setup(void **state)
{
    char path[] = "/tmp/test_auth_keys_log_XXXXXX";

    (void)state;
    log_fd = mkstemp(path);
    if (log_fd < 0)
        return -1;
    unlink(path);
    log_init(log_fd, LOG_TRACE, LOG_FORMAT_JSON);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    log_init(2, LOG_INFO, LOG_FORMAT_JSON);
    close(log_fd);
    return 0;
}

/* Everything logged so far (malloc'd, NUL-terminated). */
static char *log_text(void)
{
    off_t end = lseek(log_fd, 0, SEEK_END);
    assert_true(end >= 0);
    char *s = malloc((size_t)end + 1);
    assert_non_null(s);
    assert_int_equal(pread(log_fd, s, (size_t)end, 0), end);
    s[end] = '\0';
    return s;
}

static void log_clear(void)
{
    assert_int_equal(ftruncate(log_fd, 0), 0);
    assert_int_equal(lseek(log_fd, 0, SEEK_SET), 0);
}

static void make_dir(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/test_auth_keys_XXXXXX");
    assert_non_null(mkdtemp(path));
}

/* Writes `content` to dir/file with exactly `mode`. */
static void write_file(const char *dir, const char *file, const char *content,
                       size_t len, mode_t mode)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void write_key(const char *dir, const char *file, const char *key)
{
    write_file(dir, file, key, strlen(key), 0600);
}

static void remove_file(const char *dir, const char *file)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", dir, file);
    assert_int_equal(unlink(path), 0);
}

/* Removes dir, its files and its empty subdirectories. */
static void remove_dir(const char *dir)
{
    char path[512];
    DIR *d = opendir(dir);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            assert_int_equal(rmdir(path), 0);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

static void gnutls_mac(const char *key, const char *msg, unsigned char *mac)
{
    assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, strlen(key), msg,
                                      strlen(msg), mac),
                     0);
}

static void test_load_refuses(void **state)
{
    char dir[64], sub[128];
    char big[4098];
    struct auth_keyring *kr = NULL;

    (void)state;
    make_dir(dir, sizeof dir);
    write_key(dir, "a.key", KEY_A "\n");
    write_key(dir, "short.key", "SHORTabcdefghijklmnopqrstuvwxyz"); /* 31 */
    write_file(dir, "open.key", KEY_B, strlen(KEY_B), 0644);
    write_file(dir, "group.key", KEY_B, strlen(KEY_B), 0640);
    write_file(dir, "gx.key", KEY_B, strlen(KEY_B), 0610);
    write_key(dir, "d.key", KEY_C);
    memset(big, 'k', sizeof big);
    write_file(dir, "big.key", big, 4097, 0600);
    write_key(dir, "spaces.key", " \t\r\n\v\f ");
    write_key(dir, "empty.key", "");
    /* not key files: ignored, not refused */
    write_key(dir, "README", KEY_B);
    write_key(dir, ".hidden.key", KEY_B);
    write_key(dir, "bad name.key", KEY_B);
    write_key(dir, "b+.key", KEY_B);
    write_key(dir, ".key", KEY_B);
    write_key(dir, "x.key.bak", KEY_B);
    write_key(dir, "x.KEY", KEY_B);
    write_key(dir,
              "k0123456789012345678901234567890123456789012345678901234567890"
              "123.key", /* a 65-byte kid */
              KEY_B);
    snprintf(sub, sizeof sub, "%s/sub.key", dir);
    assert_int_equal(mkdir(sub, 0700), 0);

    uint64_t errors = log_count(LOGC_AUTH, LOG_WARNING);
    log_clear();
    assert_int_equal(auth_keyring_open(dir, &kr), 0);
    assert_int_equal(auth_keyring_count(kr), 2);
    assert_true(auth_keyring_has(kr, "a"));
    assert_true(auth_keyring_has(kr, "d"));
    assert_false(auth_keyring_has(kr, "short"));
    assert_false(auth_keyring_has(kr, "open"));
    assert_false(auth_keyring_has(kr, "group"));
    assert_false(auth_keyring_has(kr, "gx"));
    assert_false(auth_keyring_has(kr, "big"));
    assert_false(auth_keyring_has(kr, "spaces"));
    assert_false(auth_keyring_has(kr, "sub"));
    assert_false(auth_keyring_has(kr, "README"));
    assert_false(auth_keyring_has(kr, ".hidden"));
    assert_false(auth_keyring_has(kr, NULL));
    /* short, open, group, gx, big, spaces, empty */
    assert_int_equal(log_count(LOGC_AUTH, LOG_WARNING) - errors, 7);

    char *text = log_text();
    assert_non_null(strstr(text, "\"file\":\"open.key\""));
    assert_non_null(strstr(text, "\"file\":\"short.key\""));
    assert_non_null(strstr(text, "chmod 600"));
    assert_non_null(strstr(text, "shorter than 32 bytes"));
    assert_non_null(strstr(text, "longer than 4096 bytes"));
    assert_non_null(strstr(text, "\"msg\":\"keys loaded\""));
    assert_non_null(strstr(text, "\"count\":2"));
    assert_non_null(strstr(text, "\"kids\":\"a,d\""));
    /* no key material, ever */
    assert_null(strstr(text, "Y8h0yqK8"));
    assert_null(strstr(text, "another-key"));
    assert_null(strstr(text, "the-third-key"));
    assert_null(strstr(text, "SHORTabc"));
    free(text);

    auth_keyring_free(kr);
    remove_dir(dir);
}

/* Lengths 32 and 4096 are the bounds; whitespace around does not count. */
static void test_key_lengths(void **state)
{
    char dir[64];
    char buf[4200];
    struct auth_keyring *kr = NULL;
    unsigned char mac[32], want[32];

    (void)state;
    make_dir(dir, sizeof dir);
    memset(buf, 'x', sizeof buf);
    write_file(dir, "k32.key", buf, 32, 0600);
    write_file(dir, "k31.key", buf, 31, 0600);
    write_file(dir, "k4096.key", buf, 4096, 0600);
    write_file(dir, "k4097.key", buf, 4097, 0600);
    /* 31 bytes plus whitespace is still 31 */
    memcpy(buf, "  ", 2);
    memcpy(buf + 33, "\n", 1);
    write_file(dir, "k31ws.key", buf, 34, 0600);
    /* 4096 bytes inside whitespace: fine */
    memset(buf, 'x', sizeof buf);
    memset(buf, ' ', 50);
    memset(buf + 50 + 4096, '\n', 50);
    write_file(dir, "k4096ws.key", buf, 4196, 0600);
    write_file(dir, "zero.key", "", 0, 0400); /* read-only is fine */

    assert_int_equal(auth_keyring_open(dir, &kr), 0);
    assert_int_equal(auth_keyring_count(kr), 3);
    assert_true(auth_keyring_has(kr, "k32"));
    assert_true(auth_keyring_has(kr, "k4096"));
    assert_true(auth_keyring_has(kr, "k4096ws"));
    assert_false(auth_keyring_has(kr, "k31"));
    assert_false(auth_keyring_has(kr, "k4097"));
    assert_false(auth_keyring_has(kr, "k31ws"));
    assert_false(auth_keyring_has(kr, "zero"));

    /* the trimmed bytes are the key: same MAC as the bare 4096 */
    assert_int_equal(
        auth_keyring_hmac(kr, "k4096ws", MSG, strlen(MSG), mac, NULL), 0);
    assert_int_equal(
        auth_keyring_hmac(kr, "k4096", MSG, strlen(MSG), want, NULL), 0);
    assert_memory_equal(mac, want, 32);

    auth_keyring_free(kr);
    remove_dir(dir);
}

/* The signing key is the last kid by strcmp; its bytes are the file's
 * content without surrounding whitespace, used as is (not decoded). */
static void test_signing_key(void **state)
{
    char dir[64];
    char kid[AUTH_KEYS_KID_MAX + 1];
    struct auth_keyring *kr = NULL;
    unsigned char mac[32], want[32];

    (void)state;
    make_dir(dir, sizeof dir);
    write_key(dir, "2026-05.key", KEY_B);
    write_key(dir, "2026-11.key", " \t" KEY_A "\r\n\n");
    write_key(dir, "2025-12.key", KEY_C);
    write_key(dir, "2026-1.key", KEY_C);
    write_key(dir, "2026-10.key", KEY_C);
    write_key(dir, "2026-10a.key", KEY_C);

    assert_int_equal(auth_keyring_open(dir, &kr), 0);
    assert_int_equal(auth_keyring_count(kr), 6);
    memset(kid, 'x', sizeof kid);
    assert_int_equal(auth_keyring_hmac(kr, NULL, MSG, strlen(MSG), mac, kid),
                     0);
    assert_string_equal(kid, "2026-11");
    gnutls_mac(KEY_A, MSG, want);
    assert_memory_equal(mac, want, 32);

    /* a named kid, and kid_out NULL */
    assert_int_equal(
        auth_keyring_hmac(kr, "2026-05", MSG, strlen(MSG), mac, NULL), 0);
    gnutls_mac(KEY_B, MSG, want);
    assert_memory_equal(mac, want, 32);

    /* kid order is byte order: '1' < 'a', "2026-1" < "2026-10" */
    remove_file(dir, "2026-11.key");
    assert_int_equal(auth_keyring_reload(kr), 0);
    assert_int_equal(auth_keyring_hmac(kr, NULL, "", 0, mac, kid), 0);
    assert_string_equal(kid, "2026-10a");

    auth_keyring_free(kr);
    remove_dir(dir);
}

static void test_hmac_verify(void **state)
{
    char dir[64];
    char kid[AUTH_KEYS_KID_MAX + 1] = "untouched";
    struct auth_keyring *kr = NULL;
    unsigned char mac[32], other[32], copy[32];

    (void)state;
    make_dir(dir, sizeof dir);
    write_key(dir, "a.key", KEY_A);
    write_key(dir, "b.key", KEY_B);
    assert_int_equal(auth_keyring_open(dir, &kr), 0);

    assert_int_equal(auth_keyring_hmac(kr, "a", MSG, strlen(MSG), mac, NULL),
                     0);
    assert_true(auth_keyring_verify(kr, "a", MSG, strlen(MSG), mac));
    assert_true(auth_keyring_verify(kr, NULL, MSG, strlen(MSG), mac));
    /* the wrong kid, an unknown kid */
    assert_false(auth_keyring_verify(kr, "b", MSG, strlen(MSG), mac));
    assert_false(auth_keyring_verify(kr, "c", MSG, strlen(MSG), mac));
    assert_false(auth_keyring_verify(kr, "", MSG, strlen(MSG), mac));
    /* another message, one bit of the MAC */
    assert_false(auth_keyring_verify(kr, "a", MSG, strlen(MSG) - 1, mac));
    for (size_t i = 0; i < 32; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(copy, mac, 32);
            copy[i] = (unsigned char)(copy[i] ^ (1u << bit));
            assert_false(auth_keyring_verify(kr, NULL, MSG, strlen(MSG), copy));
        }
    }
    /* b's MAC verifies with kid NULL too, whichever key it is */
    assert_int_equal(auth_keyring_hmac(kr, "b", MSG, strlen(MSG), other, NULL),
                     0);
    assert_memory_not_equal(mac, other, 32);
    assert_true(auth_keyring_verify(kr, NULL, MSG, strlen(MSG), other));
    assert_true(auth_keyring_verify(kr, "b", MSG, strlen(MSG), other));
    /* empty message, NULL pointer with length 0 */
    assert_int_equal(auth_keyring_hmac(kr, "a", NULL, 0, mac, NULL), 0);
    assert_true(auth_keyring_verify(kr, "a", "", 0, mac));

    /* unknown kid: -ENOENT, outputs untouched */
    memset(copy, 0x5a, 32);
    assert_int_equal(auth_keyring_hmac(kr, "zz", MSG, strlen(MSG), copy, kid),
                     -ENOENT);
    assert_string_equal(kid, "untouched");
    for (size_t i = 0; i < 32; i++)
        assert_int_equal(copy[i], 0x5a);
    assert_int_equal(auth_keyring_hmac(kr,
                                       "a-kid-that-is-far-too-long-to-be-a-"
                                       "kid-at-all-0123456789012345678901234",
                                       MSG, strlen(MSG), copy, NULL),
                     -ENOENT);

    auth_keyring_free(kr);
    remove_dir(dir);
}

static void test_empty_ring(void **state)
{
    char dir[64];
    char kid[AUTH_KEYS_KID_MAX + 1];
    struct auth_keyring *kr = NULL;
    unsigned char mac[32] = {0};

    (void)state;
    make_dir(dir, sizeof dir);
    uint64_t warnings = log_count(LOGC_AUTH, LOG_WARNING);
    assert_int_equal(auth_keyring_open(dir, &kr), 0);
    assert_int_equal(log_count(LOGC_AUTH, LOG_WARNING) - warnings, 1);
    assert_int_equal(auth_keyring_count(kr), 0);
    assert_int_equal(auth_keyring_hmac(kr, NULL, MSG, strlen(MSG), mac, kid),
                     -ENOENT);
    assert_false(auth_keyring_verify(kr, NULL, MSG, strlen(MSG), mac));
    assert_false(auth_keyring_has(kr, "a"));

    /* keys appear on reload */
    write_key(dir, "a.key", KEY_A);
    assert_int_equal(auth_keyring_reload(kr), 0);
    assert_int_equal(auth_keyring_count(kr), 1);
    assert_int_equal(auth_keyring_hmac(kr, NULL, MSG, strlen(MSG), mac, kid),
                     0);
    assert_string_equal(kid, "a");

    auth_keyring_free(kr);
    auth_keyring_free(NULL);
    remove_dir(dir);
}

static void test_open_errors(void **state)
{
    char dir[64], path[128];
    struct auth_keyring *kr = NULL;

    (void)state;
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(auth_keyring_open(path, &kr), -ENOENT);
    assert_null(kr);
    write_key(dir, "file", KEY_A);
    snprintf(path, sizeof path, "%s/file", dir);
    assert_int_equal(auth_keyring_open(path, &kr), -ENOTDIR);
    assert_null(kr);
    if (geteuid() != 0) { /* root reads anything */
        snprintf(path, sizeof path, "%s/closed", dir);
        assert_int_equal(mkdir(path, 0000), 0);
        assert_int_equal(auth_keyring_open(path, &kr), -EACCES);
        assert_null(kr);
    }
    remove_dir(dir);
}

/* 66 usable keys: the 64 that sort last load, the 2 first are refused. */
static void test_too_many(void **state)
{
    char dir[64], file[32];
    char kid[AUTH_KEYS_KID_MAX + 1];
    struct auth_keyring *kr = NULL;
    unsigned char mac[32];

    (void)state;
    make_dir(dir, sizeof dir);
    for (int i = 0; i < 66; i++) {
        snprintf(file, sizeof file, "k%02d.key", i);
        write_key(dir, file, KEY_A);
    }
    uint64_t errors = log_count(LOGC_AUTH, LOG_WARNING);
    assert_int_equal(auth_keyring_open(dir, &kr), 0);
    assert_int_equal(log_count(LOGC_AUTH, LOG_WARNING) - errors, 2);
    assert_int_equal(auth_keyring_count(kr), AUTH_KEYS_MAX);
    assert_false(auth_keyring_has(kr, "k00"));
    assert_false(auth_keyring_has(kr, "k01"));
    assert_true(auth_keyring_has(kr, "k02"));
    assert_true(auth_keyring_has(kr, "k65"));
    assert_int_equal(auth_keyring_hmac(kr, NULL, "", 0, mac, kid), 0);
    assert_string_equal(kid, "k65");
    auth_keyring_free(kr);
    remove_dir(dir);
}

static void test_reload(void **state)
{
    char dir[64];
    struct auth_keyring *kr = NULL;
    unsigned char mac_a[32], mac_b[32], mac_c[32];

    (void)state;
    make_dir(dir, sizeof dir);
    write_key(dir, "a.key", KEY_A);
    write_key(dir, "b.key", KEY_B);
    assert_int_equal(auth_keyring_open(dir, &kr), 0);
    assert_int_equal(auth_keyring_hmac(kr, "a", MSG, strlen(MSG), mac_a, NULL),
                     0);
    assert_int_equal(auth_keyring_hmac(kr, "b", MSG, strlen(MSG), mac_b, NULL),
                     0);

    remove_file(dir, "a.key");
    write_key(dir, "c.key", KEY_C);
    log_clear();
    assert_int_equal(auth_keyring_reload(kr), 0);
    assert_int_equal(auth_keyring_count(kr), 2);
    assert_false(auth_keyring_has(kr, "a"));
    assert_true(auth_keyring_has(kr, "b"));
    assert_true(auth_keyring_has(kr, "c"));
    /* a's MAC is dead, by kid and by trying every key */
    assert_false(auth_keyring_verify(kr, "a", MSG, strlen(MSG), mac_a));
    assert_false(auth_keyring_verify(kr, NULL, MSG, strlen(MSG), mac_a));
    assert_true(auth_keyring_verify(kr, NULL, MSG, strlen(MSG), mac_b));
    assert_true(auth_keyring_verify(kr, "b", MSG, strlen(MSG), mac_b));
    assert_int_equal(auth_keyring_hmac(kr, NULL, MSG, strlen(MSG), mac_c, NULL),
                     0);
    assert_true(auth_keyring_verify(kr, "c", MSG, strlen(MSG), mac_c));

    char *text = log_text();
    assert_non_null(strstr(text, "\"msg\":\"keys reloaded\""));
    assert_non_null(strstr(text, "\"kids\":\"b,c\""));
    assert_non_null(strstr(text, "\"added\":\"c\""));
    assert_non_null(strstr(text, "\"removed\":\"a\""));
    free(text);

    /* a key whose content changed under the same kid */
    write_key(dir, "b.key", KEY_A);
    assert_int_equal(auth_keyring_reload(kr), 0);
    assert_false(auth_keyring_verify(kr, "b", MSG, strlen(MSG), mac_b));
    assert_true(auth_keyring_verify(kr, "b", MSG, strlen(MSG), mac_a));

    auth_keyring_free(kr);
    remove_dir(dir);
}

/* A directory that vanished: the error comes back, the old keys stay. */
static void test_reload_missing_dir(void **state)
{
    char dir[64];
    struct auth_keyring *kr = NULL;
    unsigned char mac[32];

    (void)state;
    make_dir(dir, sizeof dir);
    write_key(dir, "a.key", KEY_A);
    assert_int_equal(auth_keyring_open(dir, &kr), 0);
    assert_int_equal(auth_keyring_hmac(kr, "a", MSG, strlen(MSG), mac, NULL),
                     0);
    remove_dir(dir);

    uint64_t warnings = log_count(LOGC_AUTH, LOG_WARNING);
    assert_int_equal(auth_keyring_reload(kr), -ENOENT);
    assert_int_equal(log_count(LOGC_AUTH, LOG_WARNING) - warnings, 1);
    assert_int_equal(auth_keyring_count(kr), 1);
    assert_true(auth_keyring_has(kr, "a"));
    assert_true(auth_keyring_verify(kr, NULL, MSG, strlen(MSG), mac));

    /* the directory comes back: reload works again */
    assert_int_equal(mkdir(dir, 0700), 0);
    write_key(dir, "z.key", KEY_B);
    assert_int_equal(auth_keyring_reload(kr), 0);
    assert_false(auth_keyring_has(kr, "a"));
    assert_true(auth_keyring_has(kr, "z"));

    auth_keyring_free(kr);
    remove_dir(dir);
}

#define SMOKE_THREADS 4
#define SMOKE_ITERATIONS 20000
#define SMOKE_RELOADS 200

struct smoke {
    struct auth_keyring *kr;
    unsigned char mac_a[32]; /* "a" is in every set */
    unsigned failures;
};

static void *smoke_verifier(void *arg)
{
    struct smoke *s = arg;

    for (int i = 0; i < SMOKE_ITERATIONS; i++) {
        bool ok =
            i % 2 == 0
                ? auth_keyring_verify(s->kr, "a", MSG, strlen(MSG), s->mac_a)
                : auth_keyring_verify(s->kr, NULL, MSG, strlen(MSG), s->mac_a);
        if (!ok || !auth_keyring_has(s->kr, "a") ||
            auth_keyring_count(s->kr) == 0)
            __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_concurrency(void **state)
{
    char dir[64];
    struct smoke s = {0};
    pthread_t threads[SMOKE_THREADS];

    (void)state;
    make_dir(dir, sizeof dir);
    write_key(dir, "a.key", KEY_A);
    write_key(dir, "b.key", KEY_B);
    assert_int_equal(auth_keyring_open(dir, &s.kr), 0);
    assert_int_equal(
        auth_keyring_hmac(s.kr, "a", MSG, strlen(MSG), s.mac_a, NULL), 0);
    /* quiet: 200 reloads would log 200 lines */
    log_set_level(LOG_WARNING);

    for (int i = 0; i < SMOKE_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, smoke_verifier, &s),
                         0);
    for (int i = 0; i < SMOKE_RELOADS; i++) {
        if (i % 2 == 0)
            remove_file(dir, "b.key");
        else
            write_key(dir, "b.key", KEY_B);
        assert_int_equal(auth_keyring_reload(s.kr), 0);
    }
    for (int i = 0; i < SMOKE_THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    log_set_level(LOG_TRACE);

    assert_int_equal(s.failures, 0);
    assert_int_equal(auth_keyring_count(s.kr), 2);
    auth_keyring_free(s.kr);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_refuses),
        cmocka_unit_test(test_key_lengths),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_hmac_verify),
        cmocka_unit_test(test_empty_ring),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_reload_missing_dir),
        cmocka_unit_test(test_concurrency),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
