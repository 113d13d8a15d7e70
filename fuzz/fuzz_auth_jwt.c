/* fuzz_auth_jwt: JWT verification (src/auth/auth_jwt.c) exactly as the
 * access policy calls it (auth_jwt_verify over the Bearer token, the
 * server's key ring, a fixed clock, 30 s of leeway). The first byte picks
 * one of three modes:
 *  0  the rest is a token as a client sent it. Nothing forged can verify;
 *     any result is one of the enum, and an OK token is within its times.
 *  1  mint then verify: scopes (NUL-separated), a ttl and a key from the
 *     input are minted with auth_jwt_mint; the token verifies, grants each
 *     of its scopes, expires at now + ttl; the same token with any single
 *     byte changed (position and value from the input), cut short or
 *     lengthened never verifies.
 *  2  signed claims: a header and a payload (NUL-separated, any bytes)
 *     are base64url-encoded and signed here with the ring's key, so the
 *     claims parser behind the signature is reached. An OK verdict must
 *     agree with jansson's reading of both parts (alg "HS256", no crit,
 *     exp a number within the leeway, scopes an array of strings, each
 *     granted). */
#include <errno.h>
#include <jansson.h>

#include "auth/auth_base64url.h"
#include "auth/auth_jwt.h"
#include "fuzz.h"
#include "fuzz_keys.h"

#define NOW INT64_C(1800000000)
#define LEEWAY 30
#define MAX_SCOPES 8

static enum auth_jwt_result verify(const char *tok, size_t len,
                                   struct auth_jwt **ret)
{
    char *copy = fuzz_memdup(tok, len);
    enum auth_jwt_result r =
        auth_jwt_verify(fuzz_keys_ring(), copy, len, NOW, LEEWAY, ret);
    free(copy);
    FUZZ_CHECK(r >= AUTH_JWT_OK && r <= AUTH_JWT_NOT_YET_VALID);
    FUZZ_CHECK(strcmp(auth_jwt_result_name(r), "unknown") != 0);
    return r;
}

static void mode_raw(struct fuzz_in *in)
{
    struct auth_jwt *t = NULL;
    enum auth_jwt_result r = verify((const char *)in->p, in->n, &t);
    if (r == AUTH_JWT_OK) {
        FUZZ_CHECK(t != NULL);
        FUZZ_CHECK(auth_jwt_expires(t) >= NOW - LEEWAY);
        auth_jwt_free(t);
    } else {
        FUZZ_CHECK(t == NULL);
    }
}

static void mode_mint(struct fuzz_in *in)
{
    uint8_t flags = fuzz_u8(in);
    const char *kid = (flags & 3) == 0 ? NULL : (flags & 3) == 1 ? "k1" : "k2";
    uint64_t ttl = fuzz_u16(in);
    if (flags & 4)
        ttl = fuzz_u64(in);
    size_t pos = fuzz_u16(in);
    uint8_t xor = fuzz_u8(in);

    char *scopes[MAX_SCOPES];
    size_t n = 0;
    while (in->n > 0 && n < MAX_SCOPES) {
        size_t len = 0;
        const uint8_t *s = fuzz_take_until(in, 0, &len);
        scopes[n++] = fuzz_strndup(s, len);
    }

    char *tok = NULL;
    int rc = auth_jwt_mint(fuzz_keys_ring(), kid, (const char *const *)scopes,
                           n, NOW, ttl, &tok);
    if (rc != 0) {
        /* Refused: ttl 0 or past INT64_MAX, a scope not UTF-8 or too long
         * (jansson), a token over the size limit. */
        FUZZ_CHECK(rc == -EINVAL);
        FUZZ_CHECK(tok == NULL);
        goto out;
    }
    size_t len = strlen(tok);
    struct auth_jwt *t = NULL;
    FUZZ_CHECK(verify(tok, len, &t) == AUTH_JWT_OK);
    FUZZ_CHECK(auth_jwt_expires(t) == NOW + (int64_t)ttl);
    for (size_t i = 0; i < n; i++) /* an empty scope grants nothing */
        if (scopes[i][0] != '\0')
            FUZZ_CHECK(auth_jwt_grants(t, scopes[i], strlen(scopes[i])));
    auth_jwt_free(t);

    /* One byte changed. */
    if (xor == 0)
        xor = 1;
    pos %= len;
    tok[pos] = (char)(tok[pos] ^ xor);
    t = NULL;
    FUZZ_CHECK(verify(tok, len, &t) != AUTH_JWT_OK && t == NULL);
    tok[pos] = (char)(tok[pos] ^ xor);
    /* Cut short, or one byte more. */
    FUZZ_CHECK(verify(tok, pos, &t) != AUTH_JWT_OK && t == NULL);
    char *longer = malloc(len + 1);
    FUZZ_CHECK(longer != NULL);
    memcpy(longer, tok, len);
    longer[len] = (char)xor;
    FUZZ_CHECK(verify(longer, len + 1, &t) != AUTH_JWT_OK && t == NULL);
    free(longer);
    free(tok);
out:
    for (size_t i = 0; i < n; i++)
        free(scopes[i]);
}

static bool json_number_seconds(const json_t *v, int64_t *ret)
{
    if (json_is_integer(v)) {
        *ret = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d >= -0x1p63 && d < 0x1p63))
            return false;
        int64_t i = (int64_t)d;
        if ((double)i > d)
            i--;
        *ret = i;
        return true;
    }
    return false;
}

static void mode_signed(struct fuzz_in *in)
{
    size_t hl = 0, pl = 0;
    const uint8_t *h = fuzz_take_until(in, 0, &hl);
    const uint8_t *p = fuzz_take(in, in->n, &pl);
    size_t he = auth_base64url_encoded_len(hl);
    size_t pe = auth_base64url_encoded_len(pl);
    size_t cap = he + 1 + pe + 1 + 43 + 1;
    char *tok = malloc(cap);
    FUZZ_CHECK(tok != NULL);
    size_t pos = auth_base64url_encode(h, hl, tok, cap);
    tok[pos++] = '.';
    pos += auth_base64url_encode(p, pl, tok + pos, cap - pos);

    /* Sign with the key the header names, when it names one of ours. */
    json_t *hj = json_loadb((const char *)h, hl, JSON_REJECT_DUPLICATES, NULL);
    const char *kid = json_string_value(json_object_get(hj, "kid"));
    bool ours = kid != NULL &&
                strlen(kid) == json_string_length(json_object_get(hj, "kid"));
    if (!ours || (strcmp(kid, "k1") != 0 && strcmp(kid, "k2") != 0))
        kid = "k2";
    unsigned char mac[AUTH_KEYS_HMAC_LEN];
    FUZZ_CHECK(auth_keyring_hmac(fuzz_keys_ring(), kid, tok, pos, mac, NULL) ==
               0);
    tok[pos++] = '.';
    pos += auth_base64url_encode(mac, sizeof mac, tok + pos, cap - pos);

    struct auth_jwt *t = NULL;
    enum auth_jwt_result r = verify(tok, pos, &t);
    if (r == AUTH_JWT_OK) {
        /* Agree with jansson's reading of the two parts. */
        FUZZ_CHECK(pos <= AUTH_JWT_MAX_LEN);
        FUZZ_CHECK(json_is_object(hj));
        FUZZ_CHECK(json_object_get(hj, "crit") == NULL);
        const json_t *alg = json_object_get(hj, "alg");
        FUZZ_CHECK(json_is_string(alg) && json_string_length(alg) == 5 &&
                   memcmp(json_string_value(alg), "HS256", 5) == 0);
        json_t *pj =
            json_loadb((const char *)p, pl, JSON_REJECT_DUPLICATES, NULL);
        FUZZ_CHECK(json_is_object(pj));
        int64_t exp = 0;
        FUZZ_CHECK(json_number_seconds(json_object_get(pj, "exp"), &exp));
        FUZZ_CHECK(exp == auth_jwt_expires(t));
        FUZZ_CHECK(exp >= NOW - LEEWAY);
        const json_t *sc = json_object_get(pj, "scopes");
        FUZZ_CHECK(json_is_array(sc) &&
                   json_array_size(sc) <= AUTH_JWT_MAX_SCOPES);
        for (size_t i = 0; i < json_array_size(sc); i++) {
            const json_t *s = json_array_get(sc, i);
            FUZZ_CHECK(json_is_string(s));
            if (json_string_length(s) > 0)
                FUZZ_CHECK(auth_jwt_grants(t, json_string_value(s),
                                           json_string_length(s)));
        }
        json_decref(pj);
        auth_jwt_free(t);
    } else {
        FUZZ_CHECK(t == NULL);
    }
    json_decref(hj);
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    switch (fuzz_u8(&in) % 3) {
    case 0:
        mode_raw(&in);
        break;
    case 1:
        mode_mint(&in);
        break;
    default:
        mode_signed(&in);
        break;
    }
    return 0;
}
