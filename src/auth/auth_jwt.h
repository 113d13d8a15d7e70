/* auth_jwt: JSON Web Tokens (RFC 7519) in the compact JWS form (RFC
 * 7515), HS256 only, keyed by the kid of the header in the key ring
 * (auth_keys.h). Verification decides the algorithm by an allowlist of
 * one ("HS256", exactly), never by what the token asks for, and reads
 * nothing of the payload before its signature is checked. Minting is
 * for operators and tests (tokens are normally minted by another
 * service sharing the key). Called by the HTTP handlers on the listener
 * threads and by serve.c; no state of its own. Tokens, keys and
 * signatures are never logged. */
#ifndef LIVELOG_AUTH_JWT_H
#define LIVELOG_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth_keys.h"

#define AUTH_JWT_MAX_LEN 8192   /* bytes in a token */
#define AUTH_JWT_MAX_SCOPES 256 /* scopes in a token */
#define AUTH_JWT_MAX_SCOPE 1024 /* bytes in one scope */

enum auth_jwt_result {
    AUTH_JWT_OK = 0,
    /* not three non-empty base64url parts, bad JSON (duplicate keys
     * included), wrong types, longer than AUTH_JWT_MAX_LEN, 'crit'
     * present, 'typ' other than "JWT", exp or scopes missing */
    AUTH_JWT_MALFORMED,
    /* alg missing or anything but exactly "HS256" */
    AUTH_JWT_BAD_ALG,
    /* kid missing, not a string, or not in the ring */
    AUTH_JWT_UNKNOWN_KID,
    AUTH_JWT_BAD_SIGNATURE,
    /* now > exp + leeway */
    AUTH_JWT_EXPIRED,
    /* nbf present and now + leeway < nbf */
    AUTH_JWT_NOT_YET_VALID,
};

/* Short stable names for logs: "ok", "malformed", "bad_alg",
 * "unknown_kid", "bad_signature", "expired", "not_yet_valid"; "unknown"
 * for a value outside the enum. Static strings. */
const char *auth_jwt_result_name(enum auth_jwt_result r);

/* A verified token: its scopes and its expiry. */
struct auth_jwt;

/* Verifies the len bytes of token (not necessarily NUL-terminated) at
 * time now_s (seconds since the epoch), allowing leeway_s seconds of
 * clock skew on exp and nbf. In order: split into three parts; decode and
 * parse the header (a JSON object without duplicate keys; 'crit' absent;
 * 'typ', if present, "JWT" in any case); alg exactly "HS256"; kid a
 * string naming a key of kr; HMAC-SHA-256 of "header.payload" compared
 * in constant time with the third part (32 bytes); only then decode and
 * parse the payload: exp (required, a JSON number; reals are floored),
 * nbf (optional, a number), scopes (required, an array of at most 256
 * strings of at most 1024 bytes each; may be empty); then exp and nbf
 * against now. Returns AUTH_JWT_OK and a token in *ret, owned by the
 * caller (auth_jwt_free); any other result leaves *ret untouched. An
 * allocation failure is reported as AUTH_JWT_MALFORMED (deny). Any
 * thread. */
enum auth_jwt_result auth_jwt_verify(struct auth_keyring *kr, const char *token,
                                     size_t len, int64_t now_s,
                                     uint64_t leeway_s, struct auth_jwt **ret);

/* True when one of the token's scopes satisfies `want` (want_len bytes)
 * by auth_scope_satisfies. Can't fail. */
bool auth_jwt_grants(const struct auth_jwt *t, const char *want,
                     size_t want_len);

/* The token's exp, in seconds since the epoch (floored). */
int64_t auth_jwt_expires(const struct auth_jwt *t);

/* NULL: no-op. */
void auth_jwt_free(struct auth_jwt *t);

/* Mints the HS256 token
 *   {"alg":"HS256","typ":"JWT","kid":KID} .
 *   {"scopes":[...],"iat":now,"nbf":now,"exp":now+ttl}
 * signed with key `kid` (NULL: the ring's signing key). scopes are n
 * NUL-terminated UTF-8 strings. Returns 0 and a malloc'd NUL-terminated
 * token in *ret (the caller frees it); -ENOENT when there is no such key
 * (or no key at all); -EINVAL for bad arguments (NULL kr or ret, n > 256,
 * a NULL scope or one longer than 1024 bytes or not UTF-8, ttl 0,
 * now + ttl past INT64_MAX, a token that would exceed AUTH_JWT_MAX_LEN);
 * -ENOMEM; -EIO when GnuTLS fails. *ret untouched on failure. Any
 * thread. */
int auth_jwt_mint(struct auth_keyring *kr, const char *kid,
                  const char *const *scopes, size_t n, int64_t now_s,
                  uint64_t ttl_s, char **ret);

#endif
