/* test_auth_sign: unit tests for src/auth/auth_sign.c, signed-URL query
 * strings, over key directories made under /tmp. Round trip and the
 * exact format; refused for another name, another method (both ways),
 * expiry; one character of exp, nonce or sig changed; wrong lengths,
 * non-canonical values, leading zeros, signs, NULLs; two queries for the
 * same inputs differ; key rotation (an older key still in the ring
 * verifies, a removed one does not); buffer and argument errors; an
 * interop check of the signature with GnuTLS directly. Single-threaded
 * cmocka tests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "auth/auth_base64url.h"
#include "auth/auth_keys.h"
#include "auth/auth_sign.h"
#include "log/log.h"

#define KEY_OLD "2026-05-key-0123456789abcdefghijklmnopqrstuvwxyz"
#define KEY_NEW "2026-11-key-ABCDEFGHIJKLMNOPQRSTUVWXYZ9876543210"
#define NAME "task/abc/run/0/public/logs/live.log"
#define NOW INT64_C(1800000000)
#define EXP INT64_C(1800000600)

/* The three values of a query string, split in place. */
struct query {
    char buf[AUTH_SIGN_QUERY_MAX];
    char *exp, *nonce, *sig;
};

struct fixture {
    char dir[64];
    struct auth_keyring *kr;
};

static void write_key(const char *dir, const char *file, const char *key)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, key, strlen(key)), (ssize_t)strlen(key));
    close(fd);
}

static void remove_key(const char *dir, const char *file)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", dir, file);
    assert_int_equal(unlink(path), 0);
}

static int group_setup(void **state)
{
    (void)state;
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0)
        return -1;
    log_init(devnull, LOG_TRACE, LOG_FORMAT_JSON);
    return 0;
}

/* Each test gets a directory with the old key and a ring over it. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_auth_sign_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    write_key(f->dir, "2026-05.key", KEY_OLD "\n");
    if (auth_keyring_open(f->dir, &f->kr) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[512];
    DIR *d = opendir(f->dir);
    struct dirent *e;

    auth_keyring_free(f->kr);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Signs and splits "exp=E&n=N&sig=S" into q. */
static void sign(struct auth_keyring *kr, const char *method, const char *name,
                 int64_t exp, struct query *q)
{
    int n = auth_sign_query(kr, method, name, strlen(name), exp, q->buf,
                            sizeof q->buf);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(q->buf));
    assert_int_equal(strncmp(q->buf, "exp=", 4), 0);
    q->exp = q->buf + 4;
    char *amp = strchr(q->exp, '&');
    assert_non_null(amp);
    *amp = '\0';
    assert_int_equal(strncmp(amp + 1, "n=", 2), 0);
    q->nonce = amp + 3;
    amp = strchr(q->nonce, '&');
    assert_non_null(amp);
    *amp = '\0';
    assert_int_equal(strncmp(amp + 1, "sig=", 4), 0);
    q->sig = amp + 5;
    assert_null(strchr(q->sig, '&'));
}

static enum auth_sign_result check(struct auth_keyring *kr, const char *method,
                                   const char *name, const struct query *q,
                                   int64_t now)
{
    return auth_sign_verify(kr, method, name, strlen(name), q->exp, q->nonce,
                            q->sig, now);
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct query q;
    char want[32];

    sign(f->kr, "GET", NAME, EXP, &q);
    snprintf(want, sizeof want, "%" PRId64, EXP);
    assert_string_equal(q.exp, want);
    assert_int_equal(strlen(q.nonce), 22);
    assert_int_equal(strlen(q.sig), 43);
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW), AUTH_SIGN_OK);
    assert_int_equal(check(f->kr, "GET", NAME, &q, EXP), AUTH_SIGN_OK);
    assert_int_equal(check(f->kr, "GET", NAME, &q, INT64_MIN), AUTH_SIGN_OK);

    /* DELETE, and an empty name (the caller's business) */
    sign(f->kr, "DELETE", "", EXP, &q);
    assert_int_equal(check(f->kr, "DELETE", "", &q, NOW), AUTH_SIGN_OK);

    /* the extremes of exp */
    sign(f->kr, "GET", NAME, 0, &q);
    assert_string_equal(q.exp, "0");
    assert_int_equal(check(f->kr, "GET", NAME, &q, 0), AUTH_SIGN_OK);
    assert_int_equal(check(f->kr, "GET", NAME, &q, 1), AUTH_SIGN_EXPIRED);
    sign(f->kr, "GET", NAME, INT64_MAX, &q);
    assert_string_equal(q.exp, "9223372036854775807");
    assert_int_equal(check(f->kr, "GET", NAME, &q, INT64_MAX), AUTH_SIGN_OK);
}

/* The signature is base64url(HMAC-SHA-256(key, METHOD\nNAME\nEXP\nNONCE)),
 * computed here with GnuTLS directly. */
static void test_format(void **state)
{
    struct fixture *f = *state;
    struct query q;
    char msg[256], sig[64];
    unsigned char mac[32];

    sign(f->kr, "GET", NAME, EXP, &q);
    int n = snprintf(msg, sizeof msg, "GET\n%s\n%s\n%s", NAME, q.exp, q.nonce);
    assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA256, KEY_OLD,
                                      strlen(KEY_OLD), msg, (size_t)n, mac),
                     0);
    auth_base64url_encode(mac, sizeof mac, sig, sizeof sig);
    assert_string_equal(q.sig, sig);
}

static void test_wrong_name_method(void **state)
{
    struct fixture *f = *state;
    struct query get, del;

    sign(f->kr, "GET", NAME, EXP, &get);
    sign(f->kr, "DELETE", NAME, EXP, &del);
    assert_int_equal(check(f->kr, "GET", NAME "x", &get, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    assert_int_equal(check(f->kr, "GET", "task/abc", &get, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    /* only name_len bytes are the name */
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME "x", strlen(NAME),
                                      get.exp, get.nonce, get.sig, NOW),
                     AUTH_SIGN_OK);
    /* a GET URL is not a DELETE URL, nor the other way round */
    assert_int_equal(check(f->kr, "DELETE", NAME, &get, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    assert_int_equal(check(f->kr, "GET", NAME, &del, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    assert_int_equal(check(f->kr, "DELETE", NAME, &del, NOW), AUTH_SIGN_OK);
    assert_int_equal(check(f->kr, "get", NAME, &get, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    assert_int_equal(check(f->kr, "HEAD", NAME, &get, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    /* the separators cannot be shifted: method "GET\nx" is refused */
    assert_int_equal(check(f->kr, "GET\ntask", "abc", &get, NOW),
                     AUTH_SIGN_MALFORMED);
}

static void test_expired(void **state)
{
    struct fixture *f = *state;
    struct query q;

    sign(f->kr, "GET", NAME, NOW - 1, &q);
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW), AUTH_SIGN_EXPIRED);
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW - 1), AUTH_SIGN_OK);
    assert_int_equal(check(f->kr, "GET", NAME, &q, INT64_MAX),
                     AUTH_SIGN_EXPIRED);
    /* the signature is checked first: a forged expired URL is forged */
    q.sig[0] = q.sig[0] == 'A' ? 'B' : 'A';
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
}

/* One character of each value changed, keeping its syntax valid. */
static void test_tampered(void **state)
{
    struct fixture *f = *state;
    struct query q;

    sign(f->kr, "GET", NAME, EXP, &q);
    /* exp: the last digit, and a later time */
    char *last = q.exp + strlen(q.exp) - 1;
    char saved = *last;
    *last = saved == '9' ? '8' : (char)(saved + 1);
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    *last = saved;
    q.exp[0] = '9';
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    q.exp[0] = '1';
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW), AUTH_SIGN_OK);

    /* every position of the nonce and of the signature; a change of the
     * last character may make it non-canonical (malformed) */
    for (size_t i = 0; i < 22; i++) {
        saved = q.nonce[i];
        q.nonce[i] = saved == 'A' ? 'Q' : 'A';
        enum auth_sign_result r = check(f->kr, "GET", NAME, &q, NOW);
        if (i < 21)
            assert_int_equal(r, AUTH_SIGN_BAD_SIGNATURE);
        else
            assert_true(r == AUTH_SIGN_BAD_SIGNATURE ||
                        r == AUTH_SIGN_MALFORMED);
        q.nonce[i] = saved;
    }
    for (size_t i = 0; i < 43; i++) {
        saved = q.sig[i];
        q.sig[i] = saved == 'A' ? 'E' : 'A';
        enum auth_sign_result r = check(f->kr, "GET", NAME, &q, NOW);
        if (i < 42)
            assert_int_equal(r, AUTH_SIGN_BAD_SIGNATURE);
        else
            assert_true(r == AUTH_SIGN_BAD_SIGNATURE ||
                        r == AUTH_SIGN_MALFORMED);
        q.sig[i] = saved;
    }
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW), AUTH_SIGN_OK);
}

/* Syntax: each value replaced by something of the wrong shape. */
static void test_malformed(void **state)
{
    struct fixture *f = *state;
    struct query q;
    char nonce[32], sig[64];

    sign(f->kr, "GET", NAME, EXP, &q);
    static const char *const bad_exp[] = {
        "",
        "01800000600",
        "00",
        "0001",
        "+1800000600",
        "-1",
        " 1800000600",
        "1800000600 ",
        "18000006OO",
        "0x6b49d200",
        "1.8e9",
        "18446744073709551615",
        "9223372036854775808",
        "12345678901234567890",
    };
    for (size_t i = 0; i < sizeof bad_exp / sizeof bad_exp[0]; i++) {
        enum auth_sign_result r = auth_sign_verify(
            f->kr, "GET", NAME, strlen(NAME), bad_exp[i], q.nonce, q.sig, NOW);
        if (r != AUTH_SIGN_MALFORMED)
            fail_msg("exp \"%s\": %s", bad_exp[i], auth_sign_result_name(r));
    }

    /* nonce 21 and 23 characters, padded, base64 proper, non-canonical */
    snprintf(nonce, sizeof nonce, "%.21s", q.nonce);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(nonce, sizeof nonce, "%sA", q.nonce);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(nonce, sizeof nonce, "%s==", q.nonce);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(nonce, sizeof nonce, "+%s", q.nonce + 1);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(nonce, sizeof nonce, "%.21sB", q.nonce); /* 4 spare bits set */
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);

    /* sig 42 and 44 characters, padded, base64 proper, non-canonical */
    snprintf(sig, sizeof sig, "%.42s", q.sig);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(sig, sizeof sig, "%sA", q.sig);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(sig, sizeof sig, "%s=", q.sig);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(sig, sizeof sig, "/%s", q.sig + 1);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, sig, NOW),
                     AUTH_SIGN_MALFORMED);
    snprintf(sig, sizeof sig, "%.42sB", q.sig); /* 2 spare bits set */
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, sig, NOW),
                     AUTH_SIGN_MALFORMED);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, "", NOW),
                     AUTH_SIGN_MALFORMED);

    /* NULLs */
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), NULL,
                                      q.nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      NULL, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    assert_int_equal(auth_sign_verify(f->kr, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, NULL, NOW),
                     AUTH_SIGN_MALFORMED);
    assert_int_equal(auth_sign_verify(f->kr, NULL, NAME, strlen(NAME), q.exp,
                                      q.nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    assert_int_equal(auth_sign_verify(f->kr, "", NAME, strlen(NAME), q.exp,
                                      q.nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    assert_int_equal(auth_sign_verify(NULL, "GET", NAME, strlen(NAME), q.exp,
                                      q.nonce, q.sig, NOW),
                     AUTH_SIGN_MALFORMED);
    assert_int_equal(
        auth_sign_verify(f->kr, "GET", NULL, 3, q.exp, q.nonce, q.sig, NOW),
        AUTH_SIGN_MALFORMED);
    /* and the untouched values still pass */
    assert_int_equal(check(f->kr, "GET", NAME, &q, NOW), AUTH_SIGN_OK);
}

static void test_unique(void **state)
{
    struct fixture *f = *state;
    struct query a, b;

    sign(f->kr, "GET", NAME, EXP, &a);
    sign(f->kr, "GET", NAME, EXP, &b);
    assert_string_equal(a.exp, b.exp);
    assert_string_not_equal(a.nonce, b.nonce);
    assert_string_not_equal(a.sig, b.sig);
    assert_int_equal(check(f->kr, "GET", NAME, &a, NOW), AUTH_SIGN_OK);
    assert_int_equal(check(f->kr, "GET", NAME, &b, NOW), AUTH_SIGN_OK);
    /* a nonce from one with the signature of the other */
    a.nonce = b.nonce;
    assert_int_equal(check(f->kr, "GET", NAME, &a, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
}

/* A URL keeps working while its key is in the ring, then stops. */
static void test_rotation(void **state)
{
    struct fixture *f = *state;
    struct query old, fresh;
    char msg[256], sig[64];
    unsigned char mac[32];

    sign(f->kr, "GET", NAME, EXP, &old);
    write_key(f->dir, "2026-11.key", KEY_NEW);
    assert_int_equal(auth_keyring_reload(f->kr), 0);
    /* the newer key signs now */
    sign(f->kr, "GET", NAME, EXP, &fresh);
    int n = snprintf(msg, sizeof msg, "GET\n%s\n%s\n%s", NAME, fresh.exp,
                     fresh.nonce);
    assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA256, KEY_NEW,
                                      strlen(KEY_NEW), msg, (size_t)n, mac),
                     0);
    auth_base64url_encode(mac, sizeof mac, sig, sizeof sig);
    assert_string_equal(fresh.sig, sig);
    /* the older key is still in the ring: its URL verifies */
    assert_int_equal(check(f->kr, "GET", NAME, &old, NOW), AUTH_SIGN_OK);
    assert_int_equal(check(f->kr, "GET", NAME, &fresh, NOW), AUTH_SIGN_OK);

    remove_key(f->dir, "2026-05.key");
    assert_int_equal(auth_keyring_reload(f->kr), 0);
    assert_int_equal(check(f->kr, "GET", NAME, &old, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    assert_int_equal(check(f->kr, "GET", NAME, &fresh, NOW), AUTH_SIGN_OK);

    /* no key at all: nothing can be signed or verified */
    remove_key(f->dir, "2026-11.key");
    assert_int_equal(auth_keyring_reload(f->kr), 0);
    assert_int_equal(check(f->kr, "GET", NAME, &fresh, NOW),
                     AUTH_SIGN_BAD_SIGNATURE);
    char out[AUTH_SIGN_QUERY_MAX];
    assert_int_equal(
        auth_sign_query(f->kr, "GET", NAME, strlen(NAME), EXP, out, sizeof out),
        -ENOENT);
}

static void test_query_errors(void **state)
{
    struct fixture *f = *state;
    char out[AUTH_SIGN_QUERY_MAX];

    /* the longest query fits AUTH_SIGN_QUERY_MAX; one byte less does not */
    int n = auth_sign_query(f->kr, "GET", NAME, strlen(NAME), INT64_MAX, out,
                            sizeof out);
    assert_int_equal(n, 4 + 19 + 3 + 22 + 5 + 43);
    assert_true((size_t)n < AUTH_SIGN_QUERY_MAX);
    assert_int_equal(auth_sign_query(f->kr, "GET", NAME, strlen(NAME),
                                     INT64_MAX, out, (size_t)n + 1),
                     n);
    memset(out, 'x', sizeof out);
    assert_int_equal(auth_sign_query(f->kr, "GET", NAME, strlen(NAME),
                                     INT64_MAX, out, (size_t)n),
                     -ENOSPC);
    assert_string_equal(out, "");
    assert_int_equal(
        auth_sign_query(f->kr, "GET", NAME, strlen(NAME), EXP, out, 0),
        -ENOSPC);

    assert_int_equal(
        auth_sign_query(f->kr, "GET", NAME, strlen(NAME), -1, out, sizeof out),
        -EINVAL);
    assert_int_equal(
        auth_sign_query(f->kr, NULL, NAME, strlen(NAME), EXP, out, sizeof out),
        -EINVAL);
    assert_int_equal(
        auth_sign_query(f->kr, "", NAME, strlen(NAME), EXP, out, sizeof out),
        -EINVAL);
    assert_int_equal(auth_sign_query(f->kr, "GET\n", NAME, strlen(NAME), EXP,
                                     out, sizeof out),
                     -EINVAL);
    assert_int_equal(
        auth_sign_query(f->kr, "GET", NULL, 1, EXP, out, sizeof out), -EINVAL);
    assert_int_equal(
        auth_sign_query(NULL, "GET", NAME, strlen(NAME), EXP, out, sizeof out),
        -EINVAL);
}

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(auth_sign_result_name(AUTH_SIGN_OK), "ok");
    assert_string_equal(auth_sign_result_name(AUTH_SIGN_MALFORMED),
                        "malformed");
    assert_string_equal(auth_sign_result_name(AUTH_SIGN_EXPIRED), "expired");
    assert_string_equal(auth_sign_result_name(AUTH_SIGN_BAD_SIGNATURE),
                        "bad_signature");
    assert_string_equal(auth_sign_result_name((enum auth_sign_result)42),
                        "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_name_method, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_errors, setup, teardown),
        cmocka_unit_test(test_result_names),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
