/* auth_sign: minting and checking signed-URL query strings (see
 * auth_sign.h). Called on the listener threads; no state. */
#include "auth/auth_sign.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_base64url.h"
#include "core/core_num.h"

#define NONCE_BYTES 16
#define NONCE_B64_LEN 22
#define SIG_B64_LEN 43
#define EXP_DIGITS_MAX 19

static const char *const result_names[] = {
    [AUTH_SIGN_OK] = "ok",
    [AUTH_SIGN_MALFORMED] = "malformed",
    [AUTH_SIGN_EXPIRED] = "expired",
    [AUTH_SIGN_BAD_SIGNATURE] = "bad_signature",
};

const char *auth_sign_result_name(enum auth_sign_result r)
{
    if ((size_t)r >= sizeof result_names / sizeof result_names[0])
        return "unknown";
    return result_names[r];
}

/* The signed message METHOD "\n" NAME "\n" EXP "\n" NONCE in a malloc'd
 * buffer (the caller frees it), its length in *ret_len; NULL on ENOMEM
 * or a length that would overflow. */
static char *message(const char *method, const char *name, size_t name_len,
                     const char *exp, const char *nonce, size_t *ret_len)
{
    size_t ml = strlen(method), el = strlen(exp), nl = strlen(nonce);
    if (name_len > SIZE_MAX - ml - el - nl - 3)
        return NULL;
    size_t len = ml + 1 + name_len + 1 + el + 1 + nl;
    char *m = malloc(len);
    if (m == NULL)
        return NULL;
    size_t pos = 0;
    memcpy(m + pos, method, ml);
    pos += ml;
    m[pos++] = '\n';
    if (name_len > 0)
        memcpy(m + pos, name, name_len);
    pos += name_len;
    m[pos++] = '\n';
    memcpy(m + pos, exp, el);
    pos += el;
    m[pos++] = '\n';
    memcpy(m + pos, nonce, nl);
    *ret_len = len;
    return m;
}

static bool method_ok(const char *method)
{
    return method != NULL && method[0] != '\0' && strchr(method, '\n') == NULL;
}

int auth_sign_query(struct auth_keyring *kr, const char *method,
                    const char *name, size_t name_len, int64_t exp, char *out,
                    size_t cap)
{
    unsigned char raw[NONCE_BYTES], mac[AUTH_KEYS_HMAC_LEN];
    char nonce[NONCE_B64_LEN + 1], sig[SIG_B64_LEN + 1], exps[24];
    size_t len;

    if (cap > 0)
        out[0] = '\0';
    if (kr == NULL || !method_ok(method) || (name == NULL && name_len > 0) ||
        exp < 0 || out == NULL)
        return -EINVAL;
    if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof raw) != 0)
        return -EIO;
    auth_base64url_encode(raw, sizeof raw, nonce, sizeof nonce);
    snprintf(exps, sizeof exps, "%" PRId64, exp);

    char *m = message(method, name, name_len, exps, nonce, &len);
    if (m == NULL)
        return -ENOMEM;
    int rc = auth_keyring_hmac(kr, NULL, m, len, mac, NULL);
    free(m);
    if (rc < 0)
        return rc;
    auth_base64url_encode(mac, sizeof mac, sig, sizeof sig);

    int n = snprintf(out, cap, "exp=%s&n=%s&sig=%s", exps, nonce, sig);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return -ENOSPC;
    }
    return n;
}

/* True when s is exactly want_len canonical base64url characters
 * decoding to want_len * 3 / 4 bytes, written into buf. */
static bool b64_exact(const char *s, size_t want_len, unsigned char *buf,
                      size_t cap)
{
    size_t n;
    size_t len = strnlen(s, want_len + 1);
    return len == want_len && auth_base64url_decode(s, len, buf, cap, &n) == 0;
}

enum auth_sign_result auth_sign_verify(struct auth_keyring *kr,
                                       const char *method, const char *name,
                                       size_t name_len, const char *exp,
                                       const char *nonce, const char *sig,
                                       int64_t now_s)
{
    unsigned char raw[NONCE_BYTES], mac[AUTH_KEYS_HMAC_LEN];
    uint64_t e;
    size_t len;

    if (kr == NULL || !method_ok(method) || (name == NULL && name_len > 0) ||
        exp == NULL || nonce == NULL || sig == NULL)
        return AUTH_SIGN_MALFORMED;
    size_t el = strnlen(exp, EXP_DIGITS_MAX + 1);
    if (el == 0 || el > EXP_DIGITS_MAX || (exp[0] == '0' && el > 1) ||
        core_num_parse_u64(exp, el, &e) != 0 || e > INT64_MAX)
        return AUTH_SIGN_MALFORMED;
    if (!b64_exact(nonce, NONCE_B64_LEN, raw, sizeof raw) ||
        !b64_exact(sig, SIG_B64_LEN, mac, sizeof mac))
        return AUTH_SIGN_MALFORMED;

    char *m = message(method, name, name_len, exp, nonce, &len);
    if (m == NULL)
        return AUTH_SIGN_BAD_SIGNATURE;
    bool ok = auth_keyring_verify(kr, NULL, m, len, mac);
    free(m);
    if (!ok)
        return AUTH_SIGN_BAD_SIGNATURE;
    if (now_s > (int64_t)e)
        return AUTH_SIGN_EXPIRED;
    return AUTH_SIGN_OK;
}
