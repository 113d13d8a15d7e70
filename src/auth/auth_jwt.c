/* auth_jwt: HS256 JSON Web Tokens over the key ring (see auth_jwt.h).
 * JSON is parsed by jansson, strictly (duplicate keys refused, no NUL in
 * strings, nothing after the value). The header is read only for 'alg',
 * 'kid', 'typ' and 'crit'; the payload is not decoded until the
 * signature over the first two parts has been checked. Called on the
 * listener threads; no state. */
#include "auth/auth_jwt.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth_base64url.h"
#include "auth/auth_scope.h"

/* Decoded bytes of the longest part of the longest token. */
#define PART_MAX (AUTH_JWT_MAX_LEN / 4 * 3)
/* A base64url HMAC-SHA-256: 43 characters. */
#define SIG_B64_LEN 43

struct scope {
    const char *s; /* points into the same allocation, NUL-terminated */
    size_t len;
};

struct auth_jwt {
    int64_t exp;
    size_t n;
    struct scope scopes[]; /* n of them, then their bytes */
};

static const char *const result_names[] = {
    [AUTH_JWT_OK] = "ok",
    [AUTH_JWT_MALFORMED] = "malformed",
    [AUTH_JWT_BAD_ALG] = "bad_alg",
    [AUTH_JWT_UNKNOWN_KID] = "unknown_kid",
    [AUTH_JWT_BAD_SIGNATURE] = "bad_signature",
    [AUTH_JWT_EXPIRED] = "expired",
    [AUTH_JWT_NOT_YET_VALID] = "not_yet_valid",
};

const char *auth_jwt_result_name(enum auth_jwt_result r)
{
    if ((size_t)r >= sizeof result_names / sizeof result_names[0])
        return "unknown";
    return result_names[r];
}

/* True when the two MACs are equal; no branch on their bytes. */
static bool mac_equal(const unsigned char *a, const unsigned char *b)
{
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < AUTH_KEYS_HMAC_LEN; i++)
        diff = (unsigned char)(diff | (a[i] ^ b[i]));
    return diff == 0;
}

/* Decodes one base64url part and parses it as a JSON object. Returns the
 * object (the caller decrefs it) or NULL. */
static json_t *part_object(const char *part, size_t len, unsigned char *buf)
{
    size_t n;
    if (auth_base64url_decode(part, len, buf, PART_MAX, &n) != 0)
        return NULL;
    json_t *v = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static bool string_is(const json_t *v, const char *want)
{
    size_t len = strlen(want);
    return json_is_string(v) && json_string_length(v) == len &&
           memcmp(json_string_value(v), want, len) == 0;
}

/* Checks the header; on success copies its kid into kid. */
static enum auth_jwt_result check_header(const char *part, size_t len,
                                         unsigned char *buf,
                                         char kid[AUTH_KEYS_KID_MAX + 1])
{
    enum auth_jwt_result r = AUTH_JWT_MALFORMED;
    json_t *h = part_object(part, len, buf);
    if (h == NULL)
        return AUTH_JWT_MALFORMED;
    if (json_object_get(h, "crit") != NULL)
        goto out;
    const json_t *typ = json_object_get(h, "typ");
    if (typ != NULL && !(json_is_string(typ) && json_string_length(typ) == 3 &&
                         strncasecmp(json_string_value(typ), "JWT", 3) == 0))
        goto out;
    r = AUTH_JWT_BAD_ALG;
    if (!string_is(json_object_get(h, "alg"), "HS256"))
        goto out;
    r = AUTH_JWT_UNKNOWN_KID;
    const json_t *k = json_object_get(h, "kid");
    if (!json_is_string(k) || json_string_length(k) == 0 ||
        json_string_length(k) > AUTH_KEYS_KID_MAX)
        goto out;
    memcpy(kid, json_string_value(k), json_string_length(k) + 1);
    r = AUTH_JWT_OK;
out:
    json_decref(h);
    return r;
}

/* A JSON number as whole seconds (reals floored). False for anything
 * else, or a value outside int64_t. */
static bool seconds(const json_t *v, int64_t *ret)
{
    static_assert(sizeof(json_int_t) == sizeof(int64_t),
                  "json_int_t is long long");
    if (json_is_integer(v)) {
        *ret = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d >= -0x1p63 && d < 0x1p63))
            return false;
        int64_t i = (int64_t)d; /* toward zero; floor below */
        if ((double)i > d)
            i--;
        *ret = i;
        return true;
    }
    return false;
}

/* Builds the verified token from its scopes array. NULL when it does not
 * hold at most AUTH_JWT_MAX_SCOPES strings of at most AUTH_JWT_MAX_SCOPE
 * bytes, or on ENOMEM. */
static struct auth_jwt *token_new(const json_t *scopes, int64_t exp)
{
    size_t n = json_array_size(scopes);
    size_t bytes = 0;
    if (n > AUTH_JWT_MAX_SCOPES)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(scopes, i);
        if (!json_is_string(s) || json_string_length(s) > AUTH_JWT_MAX_SCOPE)
            return NULL;
        bytes += json_string_length(s) + 1;
    }
    struct auth_jwt *t = malloc(sizeof *t + n * sizeof t->scopes[0] + bytes);
    if (t == NULL)
        return NULL;
    t->exp = exp;
    t->n = n;
    char *p = (char *)&t->scopes[n];
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(scopes, i);
        size_t len = json_string_length(s);
        memcpy(p, json_string_value(s), len);
        p[len] = '\0';
        t->scopes[i].s = p;
        t->scopes[i].len = len;
        p += len + 1;
    }
    return t;
}

enum auth_jwt_result auth_jwt_verify(struct auth_keyring *kr, const char *token,
                                     size_t len, int64_t now_s,
                                     uint64_t leeway_s, struct auth_jwt **ret)
{
    unsigned char buf[PART_MAX];
    unsigned char sig[AUTH_KEYS_HMAC_LEN + 3], mac[AUTH_KEYS_HMAC_LEN];
    char kid[AUTH_KEYS_KID_MAX + 1];
    enum auth_jwt_result r;
    size_t n = 0;

    if (kr == NULL || token == NULL || ret == NULL || len == 0 ||
        len > AUTH_JWT_MAX_LEN)
        return AUTH_JWT_MALFORMED;
    const char *end = token + len;
    const char *d1 = memchr(token, '.', len);
    if (d1 == NULL)
        return AUTH_JWT_MALFORMED;
    const char *d2 = memchr(d1 + 1, '.', (size_t)(end - d1 - 1));
    if (d2 == NULL || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)) != NULL)
        return AUTH_JWT_MALFORMED;
    const char *payload = d1 + 1, *sig_b64 = d2 + 1;
    size_t hlen = (size_t)(d1 - token), plen = (size_t)(d2 - payload),
           slen = (size_t)(end - sig_b64);
    if (hlen == 0 || plen == 0 || slen == 0)
        return AUTH_JWT_MALFORMED;

    r = check_header(token, hlen, buf, kid);
    if (r != AUTH_JWT_OK)
        return r;
    if (!auth_keyring_has(kr, kid))
        return AUTH_JWT_UNKNOWN_KID;

    if (auth_base64url_decode(sig_b64, slen, sig, sizeof sig, &n) == -EINVAL)
        return AUTH_JWT_MALFORMED;
    if (slen != SIG_B64_LEN || n != AUTH_KEYS_HMAC_LEN)
        return AUTH_JWT_BAD_SIGNATURE;
    int rc = auth_keyring_hmac(kr, kid, token, (size_t)(d2 - token), mac, NULL);
    if (rc == -ENOENT)
        return AUTH_JWT_UNKNOWN_KID; /* removed by a reload meanwhile */
    if (rc != 0 || !mac_equal(mac, sig))
        return AUTH_JWT_BAD_SIGNATURE;

    /* Authentic: now the claims. */
    json_t *p = part_object(payload, plen, buf);
    if (p == NULL)
        return AUTH_JWT_MALFORMED;
    int64_t exp, nbf = 0;
    const json_t *jnbf = json_object_get(p, "nbf");
    const json_t *scopes = json_object_get(p, "scopes");
    struct auth_jwt *t = NULL;
    r = AUTH_JWT_MALFORMED;
    if (!seconds(json_object_get(p, "exp"), &exp) ||
        (jnbf != NULL && !seconds(jnbf, &nbf)) || !json_is_array(scopes))
        goto out;
    t = token_new(scopes, exp);
    if (t == NULL)
        goto out;
    /* now > exp + leeway, and now + leeway < nbf, without overflow: the
     * unsigned difference of two int64_t is exact when it is positive. */
    if (now_s > exp && (uint64_t)now_s - (uint64_t)exp > leeway_s) {
        r = AUTH_JWT_EXPIRED;
        goto out;
    }
    if (jnbf != NULL && nbf > now_s &&
        (uint64_t)nbf - (uint64_t)now_s > leeway_s) {
        r = AUTH_JWT_NOT_YET_VALID;
        goto out;
    }
    *ret = t;
    t = NULL;
    r = AUTH_JWT_OK;
out:
    auth_jwt_free(t);
    json_decref(p);
    return r;
}

bool auth_jwt_grants(const struct auth_jwt *t, const char *want,
                     size_t want_len)
{
    for (size_t i = 0; i < t->n; i++) {
        if (auth_scope_satisfies(t->scopes[i].s, t->scopes[i].len, want,
                                 want_len))
            return true;
    }
    return false;
}

int64_t auth_jwt_expires(const struct auth_jwt *t)
{
    return t->exp;
}

void auth_jwt_free(struct auth_jwt *t)
{
    free(t);
}

/* The claims of a minted token, or NULL (-EINVAL in *rc for a bad scope,
 * -ENOMEM). */
static json_t *mint_claims(const char *const *scopes, size_t n, int64_t now,
                           int64_t exp, int *rc)
{
    json_t *arr = json_array();
    json_t *c = json_object();
    *rc = -ENOMEM;
    if (arr == NULL || c == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (scopes[i] == NULL ||
            strnlen(scopes[i], AUTH_JWT_MAX_SCOPE + 1) > AUTH_JWT_MAX_SCOPE) {
            *rc = -EINVAL;
            goto fail;
        }
        json_t *s = json_string(scopes[i]);
        if (s == NULL) {
            *rc = -EINVAL; /* not UTF-8 */
            goto fail;
        }
        if (json_array_append_new(arr, s) != 0)
            goto fail;
    }
    if (json_object_set_new(c, "scopes", arr) != 0) {
        arr = NULL; /* set_new consumed it even on failure */
        goto fail;
    }
    arr = NULL;
    if (json_object_set_new(c, "iat", json_integer(now)) != 0 ||
        json_object_set_new(c, "nbf", json_integer(now)) != 0 ||
        json_object_set_new(c, "exp", json_integer(exp)) != 0)
        goto fail;
    *rc = 0;
    return c;
fail:
    json_decref(arr);
    json_decref(c);
    return NULL;
}

int auth_jwt_mint(struct auth_keyring *kr, const char *kid,
                  const char *const *scopes, size_t n, int64_t now_s,
                  uint64_t ttl_s, char **ret)
{
    char used[AUTH_KEYS_KID_MAX + 1];
    unsigned char mac[AUTH_KEYS_HMAC_LEN];
    json_t *h = NULL, *c = NULL;
    char *hs = NULL, *cs = NULL, *tok = NULL;
    int rc;

    if (kr == NULL || ret == NULL || n > AUTH_JWT_MAX_SCOPES ||
        (n > 0 && scopes == NULL) || ttl_s == 0 || ttl_s > INT64_MAX ||
        now_s > INT64_MAX - (int64_t)ttl_s)
        return -EINVAL;
    if (kid == NULL) {
        /* learn the signing key's kid: it goes into the header */
        rc = auth_keyring_hmac(kr, NULL, "", 0, mac, used);
        if (rc < 0)
            return rc;
    } else {
        if (strnlen(kid, AUTH_KEYS_KID_MAX + 1) > AUTH_KEYS_KID_MAX ||
            !auth_keyring_has(kr, kid))
            return -ENOENT;
        memcpy(used, kid, strlen(kid) + 1);
    }

    c = mint_claims(scopes, n, now_s, now_s + (int64_t)ttl_s, &rc);
    if (c == NULL)
        goto fail;
    rc = -ENOMEM;
    h = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "typ", "JWT", "kid", used);
    if (h == NULL)
        goto fail;
    hs = json_dumps(h, JSON_COMPACT);
    cs = json_dumps(c, JSON_COMPACT);
    if (hs == NULL || cs == NULL)
        goto fail;
    size_t hl = strlen(hs), cl = strlen(cs);
    size_t he = auth_base64url_encoded_len(hl);
    size_t ce = auth_base64url_encoded_len(cl);
    size_t total = he + 1 + ce + 1 + SIG_B64_LEN;
    if (total > AUTH_JWT_MAX_LEN) {
        rc = -EINVAL;
        goto fail;
    }
    tok = malloc(total + 1);
    if (tok == NULL)
        goto fail;
    size_t pos = auth_base64url_encode(hs, hl, tok, total + 1);
    tok[pos++] = '.';
    pos += auth_base64url_encode(cs, cl, tok + pos, total + 1 - pos);
    rc = auth_keyring_hmac(kr, used, tok, pos, mac, NULL);
    if (rc < 0)
        goto fail;
    tok[pos++] = '.';
    auth_base64url_encode(mac, sizeof mac, tok + pos, total + 1 - pos);
    free(hs);
    free(cs);
    json_decref(h);
    json_decref(c);
    *ret = tok;
    return 0;
fail:
    free(tok);
    free(hs);
    free(cs);
    json_decref(h);
    json_decref(c);
    return rc;
}
