/* test_auth_jwt: unit tests for src/auth/auth_jwt.c and
 * src/auth/auth_base64url.c. base64url: RFC 4648 vectors, round trips
 * against an encoder written here, every refusal of the strict decoder.
 * JWT: mint then verify and grants; one table of hand-built tokens (an
 * encoder and GnuTLS HMAC in this file, not the code under test) for
 * every failure class: the three-parts rule, bad base64url, header not
 * JSON / not an object / duplicate keys / trailing bytes, alg none, HS384,
 * "hs256", RS256, missing, kid missing / unknown / not a string, a
 * flipped signature bit, a signature from another key under the same
 * kid, exp missing / expired / within leeway / floored, nbf, scopes
 * types and limits, crit, typ; the 8192-byte limit; interop with a token
 * made by Python's hmac and base64 modules. Single-threaded cmocka tests
 * over one key directory made in the group setup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "auth/auth_jwt.h"
#include "auth/auth_keys.h"
#include "log/log.h"

#define K1 "k1-secret-0123456789abcdefghijklmnopqrstuvwxyz"
#define K2 "k2-secret-ABCDEFGHIJKLMNOPQRSTUVWXYZ-9876543210"
#define OTHER "not-in-the-ring-but-named-k1-0123456789abcdef"
#define NOW INT64_C(1800000000)
#define LEEWAY 60

#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"
#define PAY "{\"scopes\":[\"livelog:read:*\"],\"exp\":1800003600}"

static char key_dir[64];
static struct auth_keyring *ring;

static void write_key(const char *dir, const char *file, const char *key)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, key, strlen(key)), (ssize_t)strlen(key));
    close(fd);
}

static void remove_dir(const char *dir)
{
    char path[512];
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int group_setup(void **state)
{
    (void)state;
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0)
        return -1;
    log_init(devnull, LOG_TRACE, LOG_FORMAT_JSON);
    snprintf(key_dir, sizeof key_dir, "/tmp/test_auth_jwt_XXXXXX");
    if (mkdtemp(key_dir) == NULL)
        return -1;
    write_key(key_dir, "k1.key", K1 "\n");
    write_key(key_dir, "k2.key", K2 "\n");
    return auth_keyring_open(key_dir, &ring) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    auth_keyring_free(ring);
    remove_dir(key_dir);
    return 0;
}

/* An encoder independent of the one under test: bit by bit. */
static size_t b64url(const void *in, size_t n, char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = in;
    size_t o = 0;
    unsigned acc = 0, bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = abc[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = abc[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return o;
}

static char tok[32768];

/* Builds header.payload.signature into tok: the signature is HMAC-SHA-256
 * with `key` (NULL: an empty third part), with bit `flip` of it inverted
 * (-1: none). */
static const char *build_ex(const char *header, const char *payload,
                            const char *key, int flip)
{
    unsigned char mac[32];
    size_t pos = b64url(header, strlen(header), tok);

    tok[pos++] = '.';
    pos += b64url(payload, strlen(payload), tok + pos);
    if (key != NULL) {
        assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, strlen(key),
                                          tok, pos, mac),
                         0);
        if (flip >= 0)
            mac[flip / 8] = (unsigned char)(mac[flip / 8] ^ (1u << (flip % 8)));
    }
    tok[pos++] = '.';
    tok[pos] = '\0';
    if (key != NULL)
        b64url(mac, sizeof mac, tok + pos);
    return tok;
}

static const char *build(const char *header, const char *payload,
                         const char *key)
{
    return build_ex(header, payload, key, -1);
}

static enum auth_jwt_result verify_at(const char *t, int64_t now,
                                      uint64_t leeway)
{
    struct auth_jwt *j = (struct auth_jwt *)&ring; /* a sentinel */
    enum auth_jwt_result r =
        auth_jwt_verify(ring, t, strlen(t), now, leeway, &j);

    if (r == AUTH_JWT_OK) {
        assert_ptr_not_equal(j, (struct auth_jwt *)&ring);
        auth_jwt_free(j);
    } else {
        assert_ptr_equal(j, (struct auth_jwt *)&ring); /* untouched */
    }
    return r;
}

static void expect(const char *what, const char *t, enum auth_jwt_result want)
{
    enum auth_jwt_result r = verify_at(t, NOW, LEEWAY);

    if (r != want)
        fail_msg("%s: got %s, expected %s", what, auth_jwt_result_name(r),
                 auth_jwt_result_name(want));
}

/* ---- base64url ---------------------------------------------------- */

static void test_base64url_vectors(void **state)
{
    /* RFC 4648 section 10, without padding */
    static const char *const vec[][2] = {
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
    };
    char out[32];
    unsigned char back[32];
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        size_t len = strlen(vec[i][0]);
        assert_int_equal(auth_base64url_encoded_len(len), strlen(vec[i][1]));
        assert_int_equal(auth_base64url_encode(vec[i][0], len, out, sizeof out),
                         strlen(vec[i][1]));
        assert_string_equal(out, vec[i][1]);
        assert_int_equal(auth_base64url_decode(vec[i][1], strlen(vec[i][1]),
                                               back, sizeof back, &n),
                         0);
        assert_int_equal(n, len);
        assert_memory_equal(back, vec[i][0], len);
    }
    /* the two characters that differ from base64: 0xfb 0xff -> "-_8" */
    assert_int_equal(auth_base64url_encode("\xfb\xff", 2, out, sizeof out), 3);
    assert_string_equal(out, "-_8");
}

static void test_base64url_round_trip(void **state)
{
    unsigned char in[300], back[300];
    char mine[410], theirs[410];
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof in; len++) {
        size_t w = auth_base64url_encode(in, len, mine, sizeof mine);
        assert_int_equal(w, b64url(in, len, theirs));
        assert_string_equal(mine, theirs);
        assert_int_equal(w, auth_base64url_encoded_len(len));
        assert_int_equal(auth_base64url_decode(mine, w, back, len, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

static void test_base64url_refusals(void **state)
{
    unsigned char out[16];
    char enc[8];
    size_t n = 12345;

    (void)state;
    /* padding, characters of base64 proper, anything else */
    assert_int_equal(auth_base64url_decode("Zg==", 4, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("Zm8=", 4, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("+_8", 3, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("-/8", 3, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("Zm 9v", 5, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("Zm9v\n", 5, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("Zm\0v", 4, out, sizeof out, &n),
                     -EINVAL);
    /* 4k+1 characters */
    assert_int_equal(auth_base64url_decode("Z", 1, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("Zm9vY", 5, out, sizeof out, &n),
                     -EINVAL);
    /* non-canonical trailing bits: "Zh" and "Zm9" are "Zg" and "Zm8"
     * with unused bits set */
    assert_int_equal(auth_base64url_decode("Zh", 2, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("Zm9", 3, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(auth_base64url_decode("Zm-", 3, out, sizeof out, &n),
                     -EINVAL);
    assert_int_equal(n, 12345); /* untouched */
    /* too small */
    assert_int_equal(auth_base64url_decode("Zm9v", 4, out, 2, &n), -ENOSPC);
    assert_int_equal(auth_base64url_decode("Zm9vYg", 6, out, 3, &n), -ENOSPC);
    assert_int_equal(auth_base64url_decode("Zm9vYg", 6, out, 4, &n), 0);
    assert_int_equal(n, 4);
    /* invalid wins over too small */
    assert_int_equal(auth_base64url_decode("Zm9=", 4, out, 0, &n), -EINVAL);
    /* encode into a buffer too small: 0 and "" */
    memset(enc, 'x', sizeof enc);
    assert_int_equal(auth_base64url_encode("foo", 3, enc, 4), 0);
    assert_string_equal(enc, "");
    assert_int_equal(auth_base64url_encode("foo", 3, enc, 5), 4);
    assert_int_equal(auth_base64url_encode("foo", 3, NULL, 0), 0);
}

/* ---- minting -------------------------------------------------------- */

/* Decodes part i (0 or 1) of a token into out as a string. */
static void token_part(const char *t, int i, char *out, size_t cap)
{
    const char *start = t;
    size_t n;

    for (int k = 0; k < i; k++)
        start = strchr(start, '.') + 1;
    const char *end = strchr(start, '.');
    assert_non_null(end);
    assert_int_equal(
        auth_base64url_decode(start, (size_t)(end - start), out, cap - 1, &n),
        0);
    out[n] = '\0';
}

static void test_mint_verify(void **state)
{
    const char *scopes[] = {"livelog:read:public/*", "livelog:write:task/abc"};
    char part[512];
    char *t = NULL;
    struct auth_jwt *j = NULL;

    (void)state;
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 2, NOW, 3600, &t), 0);
    /* the signing key is k2, the last kid */
    token_part(t, 0, part, sizeof part);
    assert_string_equal(part,
                        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k2\"}");
    token_part(t, 1, part, sizeof part);
    assert_string_equal(part, "{\"scopes\":[\"livelog:read:public/*\","
                              "\"livelog:write:task/abc\"],\"iat\":1800000000,"
                              "\"nbf\":1800000000,\"exp\":1800003600}");
    assert_int_equal(auth_jwt_verify(ring, t, strlen(t), NOW, 0, &j),
                     AUTH_JWT_OK);
    assert_int_equal(auth_jwt_expires(j), NOW + 3600);
    assert_true(auth_jwt_grants(j, "livelog:read:public/x", 21));
    assert_true(auth_jwt_grants(j, "livelog:read:public/", 20));
    assert_true(auth_jwt_grants(j, "livelog:write:task/abc", 22));
    assert_false(auth_jwt_grants(j, "livelog:write:task/abcd", 23));
    assert_false(auth_jwt_grants(j, "livelog:read:private/x", 22));
    assert_false(auth_jwt_grants(j, "livelog:read:public", 19));
    assert_false(auth_jwt_grants(j, "", 0));
    auth_jwt_free(j);
    auth_jwt_free(NULL);
    /* exactly at exp, and one second after */
    assert_int_equal(verify_at(t, NOW + 3600, 0), AUTH_JWT_OK);
    assert_int_equal(verify_at(t, NOW + 3601, 0), AUTH_JWT_EXPIRED);
    assert_int_equal(verify_at(t, NOW + 3601, 1), AUTH_JWT_OK);
    /* nbf is now: a clock one second behind needs leeway */
    assert_int_equal(verify_at(t, NOW - 1, 0), AUTH_JWT_NOT_YET_VALID);
    assert_int_equal(verify_at(t, NOW - 1, 1), AUTH_JWT_OK);
    /* the length counts, not the NUL */
    size_t len = strlen(t);
    char *longer = malloc(len + 4);
    assert_non_null(longer);
    memcpy(longer, t, len);
    memcpy(longer + len, "xyz", 4);
    assert_int_equal(auth_jwt_verify(ring, longer, len, NOW, 0, &j),
                     AUTH_JWT_OK);
    auth_jwt_free(j);
    /* one more byte: a 44-character signature */
    assert_int_equal(auth_jwt_verify(ring, longer, len + 1, NOW, 0, &j),
                     AUTH_JWT_BAD_SIGNATURE);
    free(longer);
    free(t);

    /* a named kid; no scopes at all */
    assert_int_equal(auth_jwt_mint(ring, "k1", NULL, 0, NOW, 1, &t), 0);
    token_part(t, 0, part, sizeof part);
    assert_string_equal(part, HDR);
    assert_int_equal(auth_jwt_verify(ring, t, strlen(t), NOW, 0, &j),
                     AUTH_JWT_OK);
    assert_false(auth_jwt_grants(j, "livelog:read:x", 14));
    assert_int_equal(auth_jwt_expires(j), NOW + 1);
    auth_jwt_free(j);
    free(t);

    /* scopes needing JSON escapes survive */
    const char *odd[] = {"a\"b\\c/\x01\xc3\xa9*"};
    assert_int_equal(auth_jwt_mint(ring, NULL, odd, 1, NOW, 60, &t), 0);
    assert_int_equal(auth_jwt_verify(ring, t, strlen(t), NOW, 0, &j),
                     AUTH_JWT_OK);
    assert_true(auth_jwt_grants(j, "a\"b\\c/\x01\xc3\xa9", 11));
    assert_true(auth_jwt_grants(j, "a\"b\\c/\x01\xc3\xa9 more", 16));
    auth_jwt_free(j);
    free(t);
}

static void test_mint_errors(void **state)
{
    const char *scopes[AUTH_JWT_MAX_SCOPES + 1];
    char big[AUTH_JWT_MAX_SCOPE + 2];
    char *t = (char *)"untouched";

    (void)state;
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
        scopes[i] = "s";
    assert_int_equal(auth_jwt_mint(ring, "k3", scopes, 1, NOW, 60, &t),
                     -ENOENT);
    assert_int_equal(auth_jwt_mint(ring, "", scopes, 1, NOW, 60, &t), -ENOENT);
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 257, NOW, 60, &t),
                     -EINVAL);
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 1, NOW, 0, &t), -EINVAL);
    assert_int_equal(auth_jwt_mint(ring, NULL, NULL, 1, NOW, 60, &t), -EINVAL);
    assert_int_equal(auth_jwt_mint(NULL, NULL, scopes, 1, NOW, 60, &t),
                     -EINVAL);
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 1, NOW, 60, NULL),
                     -EINVAL);
    assert_int_equal(
        auth_jwt_mint(ring, NULL, scopes, 1, INT64_MAX - 59, 60, &t), -EINVAL);
    assert_int_equal(
        auth_jwt_mint(ring, NULL, scopes, 1, 0, (uint64_t)INT64_MAX + 1, &t),
        -EINVAL);
    scopes[0] = NULL;
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 1, NOW, 60, &t),
                     -EINVAL);
    memset(big, 'a', sizeof big);
    big[AUTH_JWT_MAX_SCOPE + 1] = '\0';
    scopes[0] = big;
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 1, NOW, 60, &t),
                     -EINVAL);
    scopes[0] = "\xff not UTF-8";
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 1, NOW, 60, &t),
                     -EINVAL);
    /* 256 scopes of 1024 bytes: valid alone, too long as a token */
    big[AUTH_JWT_MAX_SCOPE] = '\0';
    for (size_t i = 0; i < AUTH_JWT_MAX_SCOPES; i++)
        scopes[i] = big;
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 256, NOW, 60, &t),
                     -EINVAL);
    assert_string_equal(t, "untouched");
    /* 256 short scopes are fine */
    for (size_t i = 0; i < AUTH_JWT_MAX_SCOPES; i++)
        scopes[i] = "s";
    assert_int_equal(auth_jwt_mint(ring, NULL, scopes, 256, NOW, 60, &t), 0);
    assert_int_equal(verify_at(t, NOW, 0), AUTH_JWT_OK);
    free(t);
}

/* ---- verification ----------------------------------------------------- */

struct jwt_case {
    const char *what;
    const char *header;
    const char *payload;
    const char *key; /* NULL: empty signature part */
    enum auth_jwt_result want;
};

#define H_K1(extra) "{\"alg\":\"HS256\"," extra "\"kid\":\"k1\"}"
#define P_EXP(exp) "{\"scopes\":[\"livelog:read:*\"],\"exp\":" exp "}"

static const struct jwt_case cases[] = {
    {"valid", HDR, PAY, K1, AUTH_JWT_OK},
    {"valid k2", "{\"alg\":\"HS256\",\"kid\":\"k2\"}", PAY, K2, AUTH_JWT_OK},
    {"no typ", H_K1(""), PAY, K1, AUTH_JWT_OK},
    {"typ lower case", H_K1("\"typ\":\"jwt\","), PAY, K1, AUTH_JWT_OK},
    {"header keys in any order",
     "{\"kid\":\"k1\",\"typ\":\"JWT\",\"alg\":"
     "\"HS256\"}",
     PAY, K1, AUTH_JWT_OK},
    {"header with other fields", H_K1("\"x5u\":1,\"cty\":\"x\","), PAY, K1,
     AUTH_JWT_OK},
    {"JSON whitespace", " { \"alg\" : \"HS256\" , \"kid\" : \"k1\" } ",
     "\n{\"exp\": 1800003600,\n \"scopes\": [ ]}\n", K1, AUTH_JWT_OK},
    /* header */
    {"header not JSON", "alg=HS256", PAY, K1, AUTH_JWT_MALFORMED},
    {"header empty JSON text", " ", PAY, K1, AUTH_JWT_MALFORMED},
    {"header an array", "[\"HS256\"]", PAY, K1, AUTH_JWT_MALFORMED},
    {"header a string", "\"HS256\"", PAY, K1, AUTH_JWT_MALFORMED},
    {"header duplicate alg",
     "{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_MALFORMED},
    {"header duplicate kid",
     "{\"alg\":\"HS256\",\"kid\":\"k1\",\"kid\":\"k2\"}", PAY, K1,
     AUTH_JWT_MALFORMED},
    {"header trailing bytes", HDR " x", PAY, K1, AUTH_JWT_MALFORMED},
    {"header two objects", HDR HDR, PAY, K1, AUTH_JWT_MALFORMED},
    {"header truncated", "{\"alg\":\"HS256\",\"kid\":\"k1\"", PAY, K1,
     AUTH_JWT_MALFORMED},
    {"crit", H_K1("\"crit\":[\"exp\"],"), PAY, K1, AUTH_JWT_MALFORMED},
    {"crit empty", H_K1("\"crit\":[],"), PAY, K1, AUTH_JWT_MALFORMED},
    {"crit null", H_K1("\"crit\":null,"), PAY, K1, AUTH_JWT_MALFORMED},
    {"typ JWS", H_K1("\"typ\":\"JWS\","), PAY, K1, AUTH_JWT_MALFORMED},
    {"typ JWT2", H_K1("\"typ\":\"JWTx\","), PAY, K1, AUTH_JWT_MALFORMED},
    {"typ not a string", H_K1("\"typ\":1,"), PAY, K1, AUTH_JWT_MALFORMED},
    /* alg */
    {"alg none", "{\"alg\":\"none\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg none, empty signature", "{\"alg\":\"none\",\"kid\":\"k1\"}", PAY,
     NULL, AUTH_JWT_MALFORMED},
    {"alg None", "{\"alg\":\"None\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg HS384", "{\"alg\":\"HS384\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg HS512", "{\"alg\":\"HS512\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg hs256", "{\"alg\":\"hs256\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg HS256 with a space", "{\"alg\":\"HS256 \",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg HS2560", "{\"alg\":\"HS2560\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg RS256", "{\"alg\":\"RS256\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg ES256", "{\"alg\":\"ES256\",\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg missing", "{\"kid\":\"k1\"}", PAY, K1, AUTH_JWT_BAD_ALG},
    {"alg null", "{\"alg\":null,\"kid\":\"k1\"}", PAY, K1, AUTH_JWT_BAD_ALG},
    {"alg an array", "{\"alg\":[\"HS256\"],\"kid\":\"k1\"}", PAY, K1,
     AUTH_JWT_BAD_ALG},
    {"alg with an escaped NUL", "{\"alg\":\"HS256\\u0000\",\"kid\":\"k1\"}",
     PAY, K1, AUTH_JWT_MALFORMED},
    /* kid */
    {"kid missing", "{\"alg\":\"HS256\"}", PAY, K1, AUTH_JWT_UNKNOWN_KID},
    {"kid unknown", "{\"alg\":\"HS256\",\"kid\":\"k3\"}", PAY, K1,
     AUTH_JWT_UNKNOWN_KID},
    {"kid empty", "{\"alg\":\"HS256\",\"kid\":\"\"}", PAY, K1,
     AUTH_JWT_UNKNOWN_KID},
    {"kid a number", "{\"alg\":\"HS256\",\"kid\":1}", PAY, K1,
     AUTH_JWT_UNKNOWN_KID},
    {"kid an array", "{\"alg\":\"HS256\",\"kid\":[\"k1\"]}", PAY, K1,
     AUTH_JWT_UNKNOWN_KID},
    {"kid K1", "{\"alg\":\"HS256\",\"kid\":\"K1\"}", PAY, K1,
     AUTH_JWT_UNKNOWN_KID},
    {"kid a path", "{\"alg\":\"HS256\",\"kid\":\"../k1\"}", PAY, K1,
     AUTH_JWT_UNKNOWN_KID},
    /* signature */
    {"signed by another key named k1", HDR, PAY, OTHER, AUTH_JWT_BAD_SIGNATURE},
    {"signed by k2, kid k1", HDR, PAY, K2, AUTH_JWT_BAD_SIGNATURE},
    {"signed by k1 with whitespace", HDR, PAY, K1 "\n", AUTH_JWT_BAD_SIGNATURE},
    {"empty signature", HDR, PAY, NULL, AUTH_JWT_MALFORMED},
    /* payload, read only after the signature */
    {"payload not JSON", HDR, "exp=1800003600", K1, AUTH_JWT_MALFORMED},
    {"payload not JSON, unsigned", HDR, "exp=1800003600", OTHER,
     AUTH_JWT_BAD_SIGNATURE},
    {"payload an array", HDR, "[1800003600]", K1, AUTH_JWT_MALFORMED},
    {"payload duplicate exp", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"exp\":1}", K1, AUTH_JWT_MALFORMED},
    {"payload duplicate scopes", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"scopes\":[\"*\"]}", K1,
     AUTH_JWT_MALFORMED},
    {"payload trailing bytes", HDR, PAY ",", K1, AUTH_JWT_MALFORMED},
    /* exp */
    {"exp missing", HDR, "{\"scopes\":[]}", K1, AUTH_JWT_MALFORMED},
    {"exp a string", HDR, P_EXP("\"1800003600\""), K1, AUTH_JWT_MALFORMED},
    {"exp null", HDR, P_EXP("null"), K1, AUTH_JWT_MALFORMED},
    {"exp true", HDR, P_EXP("true"), K1, AUTH_JWT_MALFORMED},
    {"exp too big for 64 bits", HDR, P_EXP("99999999999999999999"), K1,
     AUTH_JWT_MALFORMED},
    {"exp 1e300", HDR, P_EXP("1e300"), K1, AUTH_JWT_MALFORMED},
    {"exp expired beyond leeway", HDR, P_EXP("1799999939"), K1,
     AUTH_JWT_EXPIRED},
    {"exp expired within leeway", HDR, P_EXP("1799999940"), K1, AUTH_JWT_OK},
    {"exp a real within leeway", HDR, P_EXP("1799999940.999"), K1, AUTH_JWT_OK},
    {"exp a real, floored past leeway", HDR, P_EXP("1799999939.999"), K1,
     AUTH_JWT_EXPIRED},
    {"exp 1.8e9 exponent form", HDR, P_EXP("1.8e9"), K1, AUTH_JWT_OK},
    {"exp 0", HDR, P_EXP("0"), K1, AUTH_JWT_EXPIRED},
    {"exp negative", HDR, P_EXP("-1"), K1, AUTH_JWT_EXPIRED},
    {"exp very negative", HDR, P_EXP("-9223372036854775808"), K1,
     AUTH_JWT_EXPIRED},
    {"exp very late", HDR, P_EXP("9223372036854775807"), K1, AUTH_JWT_OK},
    /* nbf */
    {"nbf in the past", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"nbf\":1700000000}", K1, AUTH_JWT_OK},
    {"nbf beyond leeway", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"nbf\":1800000061}", K1,
     AUTH_JWT_NOT_YET_VALID},
    {"nbf within leeway", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"nbf\":1800000060}", K1, AUTH_JWT_OK},
    {"nbf a real beyond leeway", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"nbf\":1800000061.5}", K1,
     AUTH_JWT_NOT_YET_VALID},
    {"nbf a string", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"nbf\":\"1700000000\"}", K1,
     AUTH_JWT_MALFORMED},
    {"nbf null", HDR, "{\"scopes\":[],\"exp\":1800003600,\"nbf\":null}", K1,
     AUTH_JWT_MALFORMED},
    {"nbf very late", HDR,
     "{\"scopes\":[],\"exp\":1800003600,\"nbf\":9223372036854775807}", K1,
     AUTH_JWT_NOT_YET_VALID},
    {"expired wins over not yet valid", HDR,
     "{\"scopes\":[],\"exp\":1,\"nbf\":1900000000}", K1, AUTH_JWT_EXPIRED},
    /* scopes */
    {"scopes missing", HDR, "{\"exp\":1800003600}", K1, AUTH_JWT_MALFORMED},
    {"scopes a string", HDR,
     "{\"scopes\":\"livelog:read:*\",\"exp\":1800003600}", K1,
     AUTH_JWT_MALFORMED},
    {"scopes an object", HDR, "{\"scopes\":{},\"exp\":1800003600}", K1,
     AUTH_JWT_MALFORMED},
    {"scopes null", HDR, "{\"scopes\":null,\"exp\":1800003600}", K1,
     AUTH_JWT_MALFORMED},
    {"scopes with a number", HDR,
     "{\"scopes\":[\"livelog:read:*\",1],\"exp\":1800003600}", K1,
     AUTH_JWT_MALFORMED},
    {"scopes with null", HDR, "{\"scopes\":[null],\"exp\":1800003600}", K1,
     AUTH_JWT_MALFORMED},
    {"scopes nested", HDR, "{\"scopes\":[[\"a\"]],\"exp\":1800003600}", K1,
     AUTH_JWT_MALFORMED},
    {"scopes empty", HDR, "{\"scopes\":[],\"exp\":1800003600}", K1,
     AUTH_JWT_OK},
    {"other claims ignored", HDR,
     "{\"iss\":\"x\",\"sub\":1,\"scopes\":[],\"exp\":1800003600,\"aud\":[]}",
     K1, AUTH_JWT_OK},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct jwt_case *c = &cases[i];
        expect(c->what, build(c->header, c->payload, c->key), c->want);
    }
}

/* Tokens that are not three parts, or not base64url. */
static void test_parts(void **state)
{
    static const char *const raw[] = {
        "",
        ".",
        "..",
        "...",
        "abc",
        "eyJhbGciOiJIUzI1NiJ9.e30",
        "eyJhbGciOiJIUzI1NiJ9.e30.c2ln.c2ln",
        ".e30.c2ln",
        "eyJhbGciOiJIUzI1NiJ9..c2ln",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        "eyJhbGciOiJIUzI1NiJ9.e30.c2ln.",
        "eyJhbGciOiJIUzI1NiJ9=.e30.c2ln",
        "eyJhbGciOiJIUzI1NiJ9 .e30.c2ln",
        "eyJhbGciOiJI+zI1NiJ9.e30.c2ln",
    };
    char t[512], sig[64];

    (void)state;
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        expect(raw[i], raw[i], AUTH_JWT_MALFORMED);
    assert_int_equal(auth_jwt_verify(ring, NULL, 0, NOW, 0, NULL),
                     AUTH_JWT_MALFORMED);

    /* a good token, then each part spoiled by one character */
    build(HDR, PAY, K1);
    assert_true(strlen(tok) < sizeof t);
    memcpy(t, tok, strlen(tok) + 1);
    expect("good", t, AUTH_JWT_OK);
    char *d2 = strrchr(t, '.');
    snprintf(sig, sizeof sig, "%s", d2 + 1);
    /* '=' padding on the signature */
    snprintf(d2 + 1, sizeof t - (size_t)(d2 + 1 - t), "%s=", sig);
    expect("signature padded", t, AUTH_JWT_MALFORMED);
    /* base64 '/' in the signature */
    snprintf(d2 + 1, sizeof t - (size_t)(d2 + 1 - t), "/%s", sig + 1);
    expect("signature with '/'", t, AUTH_JWT_MALFORMED);
    /* signature cut to 40 characters, 30 bytes */
    snprintf(d2 + 1, sizeof t - (size_t)(d2 + 1 - t), "%.40s", sig);
    expect("signature of 30 bytes", t, AUTH_JWT_BAD_SIGNATURE);
    /* cut to 42 characters: not a canonical encoding of anything */
    snprintf(d2 + 1, sizeof t - (size_t)(d2 + 1 - t), "%.41sB", sig);
    expect("signature of 42 characters", t, AUTH_JWT_MALFORMED);
    /* signature one byte long */
    snprintf(d2 + 1, sizeof t - (size_t)(d2 + 1 - t), "%sAAAA", sig);
    expect("signature of 35 bytes", t, AUTH_JWT_BAD_SIGNATURE);
    /* payloads that are not base64url but signed as such: refused once
     * the signature has been checked (before, they are just unsigned) */
    static const char *const bad_payloads[] = {"e30+", "e30=", "e3", "e31"};
    for (size_t i = 0; i < sizeof bad_payloads / sizeof bad_payloads[0]; i++) {
        char hp[512];
        unsigned char mac[32];
        size_t pos = b64url(HDR, strlen(HDR), hp);
        pos +=
            (size_t)snprintf(hp + pos, sizeof hp - pos, ".%s", bad_payloads[i]);
        assert_int_equal(
            gnutls_hmac_fast(GNUTLS_MAC_SHA256, K1, strlen(K1), hp, pos, mac),
            0);
        hp[pos++] = '.';
        b64url(mac, sizeof mac, hp + pos);
        expect(bad_payloads[i], hp, AUTH_JWT_MALFORMED);
        mac[0] ^= 1;
        b64url(mac, sizeof mac, hp + pos);
        expect(bad_payloads[i], hp, AUTH_JWT_BAD_SIGNATURE);
    }
}

/* Every single-bit change of the signature is refused. */
static void test_flipped_bits(void **state)
{
    (void)state;
    for (int bit = 0; bit < 256; bit++) {
        char what[32];
        snprintf(what, sizeof what, "bit %d flipped", bit);
        expect(what, build_ex(HDR, PAY, K1, bit), AUTH_JWT_BAD_SIGNATURE);
    }
    /* and the token itself, a character at a time in the header */
    build(HDR, PAY, K1);
    tok[5] = tok[5] == 'A' ? 'B' : 'A';
    enum auth_jwt_result r = verify_at(tok, NOW, LEEWAY);
    assert_true(r == AUTH_JWT_MALFORMED || r == AUTH_JWT_BAD_SIGNATURE);
}

static void test_scope_limits(void **state)
{
    char *payload = malloc(AUTH_JWT_MAX_LEN * 4);
    char s1024[AUTH_JWT_MAX_SCOPE + 2];
    size_t pos;

    (void)state;
    assert_non_null(payload);
    /* 256 scopes: fine; 257: malformed */
    for (int n = 256; n <= 257; n++) {
        pos = (size_t)snprintf(payload, 64, "{\"exp\":1800003600,\"scopes\":[");
        for (int i = 0; i < n; i++)
            pos += (size_t)snprintf(payload + pos, 16, "%s\"s\"",
                                    i > 0 ? "," : "");
        memcpy(payload + pos, "]}", 3);
        expect(n == 256 ? "256 scopes" : "257 scopes", build(HDR, payload, K1),
               n == 256 ? AUTH_JWT_OK : AUTH_JWT_MALFORMED);
    }
    /* a scope of 1024 bytes: fine; 1025: malformed */
    memset(s1024, 'a', sizeof s1024);
    for (size_t len = 1024; len <= 1025; len++) {
        snprintf(payload, AUTH_JWT_MAX_LEN,
                 "{\"exp\":1800003600,\"scopes\":[\"%.*s\"]}", (int)len, s1024);
        expect(len == 1024 ? "1024-byte scope" : "1025-byte scope",
               build(HDR, payload, K1),
               len == 1024 ? AUTH_JWT_OK : AUTH_JWT_MALFORMED);
    }
    /* the grant sees the whole long scope */
    s1024[1023] = '*';
    snprintf(payload, AUTH_JWT_MAX_LEN,
             "{\"exp\":1800003600,\"scopes\":[\"%.1024s\"]}", s1024);
    build(HDR, payload, K1);
    struct auth_jwt *j = NULL;
    assert_int_equal(auth_jwt_verify(ring, tok, strlen(tok), NOW, 0, &j),
                     AUTH_JWT_OK);
    assert_true(auth_jwt_grants(j, s1024, 1023));
    assert_false(auth_jwt_grants(j, s1024, 1022));
    auth_jwt_free(j);
    free(payload);
}

/* Tokens of up to 8192 bytes are read; longer ones are refused before
 * anything else, however valid. */
static void test_length_limit(void **state)
{
    char *payload = malloc(AUTH_JWT_MAX_LEN);
    bool saw_ok = false, saw_long = false;

    (void)state;
    assert_non_null(payload);
    for (int pad = 6000; pad < 6100; pad++) {
        snprintf(payload, AUTH_JWT_MAX_LEN,
                 "{\"exp\":1800003600,\"scopes\":[],\"pad\":\"%0*d\"}", pad, 0);
        build(HDR, payload, K1);
        size_t len = strlen(tok);
        if (len <= AUTH_JWT_MAX_LEN) {
            expect("at most 8192 bytes", tok, AUTH_JWT_OK);
            saw_ok |= len == AUTH_JWT_MAX_LEN;
        } else {
            expect("over 8192 bytes", tok, AUTH_JWT_MALFORMED);
            saw_long = true;
        }
    }
    assert_true(saw_ok);
    assert_true(saw_long);
    free(payload);
}

/* A token made by Python's standard library (hmac, hashlib, base64)
 * with K1: the format is the standard one.
 *   si = b64(h) + "." + b64(p)
 *   si + "." + b64(hmac.new(K1, si, sha256).digest()) */
#define PY_TOKEN                                                               \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."                     \
    "eyJzdWIiOiJpbnRlcm9wIiwic2NvcGVzIjpbImxpdmVsb2c6cmVhZDpwdWJsaWMvKiJdLCJl" \
    "eHAiOjQxMDI0NDQ4MDB9."                                                    \
    "xjsZeZuxq5Ea9OjFstAfgt2X_y9iv0BhjW-pwlpsgcc"

static void test_interop(void **state)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\","
                                 "\"kid\":\"k1\"}";
    static const char payload[] = "{\"sub\":\"interop\",\"scopes\":"
                                  "[\"livelog:read:public/*\"],"
                                  "\"exp\":4102444800}";
    struct auth_jwt *j = NULL;

    (void)state;
    assert_int_equal(
        auth_jwt_verify(ring, PY_TOKEN, strlen(PY_TOKEN), NOW, 0, &j),
        AUTH_JWT_OK);
    assert_int_equal(auth_jwt_expires(j), INT64_C(4102444800));
    assert_true(auth_jwt_grants(j, "livelog:read:public/logs/live.log", 33));
    assert_false(auth_jwt_grants(j, "livelog:read:private", 20));
    auth_jwt_free(j);
    /* the same token built here, with GnuTLS and the local encoder */
    assert_string_equal(build(header, payload, K1), PY_TOKEN);
    /* and 2100-01-01 is the past in 2101 */
    assert_int_equal(verify_at(PY_TOKEN, INT64_C(4102444800) + 86400, 0),
                     AUTH_JWT_EXPIRED);
}

/* Removing a key from the ring makes its tokens unknown. */
static void test_key_removed(void **state)
{
    char path[128];
    char *t = NULL;
    const char *scopes[] = {"x"};

    (void)state;
    write_key(key_dir, "k0.key", OTHER);
    assert_int_equal(auth_keyring_reload(ring), 0);
    assert_int_equal(auth_jwt_mint(ring, "k0", scopes, 1, NOW, 60, &t), 0);
    assert_int_equal(verify_at(t, NOW, 0), AUTH_JWT_OK);
    snprintf(path, sizeof path, "%s/k0.key", key_dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(auth_keyring_reload(ring), 0);
    assert_int_equal(verify_at(t, NOW, 0), AUTH_JWT_UNKNOWN_KID);
    assert_int_equal(auth_jwt_mint(ring, "k0", scopes, 1, NOW, 60, &t),
                     -ENOENT);
    free(t);
}

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(auth_jwt_result_name(AUTH_JWT_OK), "ok");
    assert_string_equal(auth_jwt_result_name(AUTH_JWT_MALFORMED), "malformed");
    assert_string_equal(auth_jwt_result_name(AUTH_JWT_BAD_ALG), "bad_alg");
    assert_string_equal(auth_jwt_result_name(AUTH_JWT_UNKNOWN_KID),
                        "unknown_kid");
    assert_string_equal(auth_jwt_result_name(AUTH_JWT_BAD_SIGNATURE),
                        "bad_signature");
    assert_string_equal(auth_jwt_result_name(AUTH_JWT_EXPIRED), "expired");
    assert_string_equal(auth_jwt_result_name(AUTH_JWT_NOT_YET_VALID),
                        "not_yet_valid");
    assert_string_equal(auth_jwt_result_name((enum auth_jwt_result)99),
                        "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64url_vectors),
        cmocka_unit_test(test_base64url_round_trip),
        cmocka_unit_test(test_base64url_refusals),
        cmocka_unit_test(test_mint_verify),
        cmocka_unit_test(test_mint_errors),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_scope_limits),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_interop),
        cmocka_unit_test(test_key_removed),
        cmocka_unit_test(test_result_names),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
