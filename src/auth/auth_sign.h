/* auth_sign: signed URLs, which let whoever holds one read (or delete) one
 * log until a time, without a token. A signed URL is
 *   /v1/logs/NAME?exp=EXP&n=NONCE&sig=SIG
 * EXP   decimal seconds since the epoch after which it is refused;
 * NONCE 22 base64url characters (16 random bytes from GnuTLS), so that no
 *       two minted URLs are the same;
 * SIG   base64url (43 characters) of HMAC-SHA-256 over
 *       METHOD "\n" NAME "\n" EXP "\n" NONCE
 *       with the ring's signing key (auth_keys.h).
 * METHOD is the HTTP method the URL is good for: one signed for "GET" is
 * not valid for "DELETE" and vice versa (HEAD callers pass "GET").
 * Verification tries every key of the ring, so URLs survive a key
 * rotation until the key that signed them is removed. Called by the HTTP
 * handlers on the listener threads; no state. Signatures are never
 * logged. */
#ifndef LIVELOG_AUTH_SIGN_H
#define LIVELOG_AUTH_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth_keys.h"

/* Always enough for the query string and its NUL ("exp=" 19 digits "&n="
 * 22 "&sig=" 43 is 96 characters). */
#define AUTH_SIGN_QUERY_MAX 128

enum auth_sign_result {
    AUTH_SIGN_OK = 0,
    AUTH_SIGN_MALFORMED, /* a value missing or not in its exact syntax */
    AUTH_SIGN_EXPIRED,   /* authentic, but now > exp */
    AUTH_SIGN_BAD_SIGNATURE,
};

/* "ok", "malformed", "expired", "bad_signature"; "unknown" for a value
 * outside the enum. Static strings. */
const char *auth_sign_result_name(enum auth_sign_result r);

/* Writes the query string "exp=EXP&n=NONCE&sig=SIG" (NUL-terminated) for
 * a `method` request (non-empty, no newline) of the log `name` (name_len
 * bytes) until `exp` (seconds since the epoch, >= 0) into out. Returns
 * its length (without the NUL); -ENOSPC when cap is too small
 * (AUTH_SIGN_QUERY_MAX always suffices; out is "" when cap > 0); -ENOENT
 * when the ring has no key; -EINVAL for a NULL or bad argument; -ENOMEM;
 * -EIO when GnuTLS fails. The caller owns out. Any thread. */
int auth_sign_query(struct auth_keyring *kr, const char *method,
                    const char *name, size_t name_len, int64_t exp, char *out,
                    size_t cap);

/* Checks the three query values, NUL-terminated strings as the query
 * string carried them (already percent-decoded; any may be NULL, which
 * is MALFORMED), for a `method` request of `name` at time now_s. In
 * order: syntax (exp a canonical decimal: digits only, no leading zero,
 * at most 19 digits, at most INT64_MAX; nonce exactly 22 and sig exactly
 * 43 canonical base64url characters), then the signature against every
 * key of the ring (constant time), then the expiry (now_s > exp is
 * EXPIRED). A failed allocation is BAD_SIGNATURE (deny). Any thread. */
enum auth_sign_result auth_sign_verify(struct auth_keyring *kr,
                                       const char *method, const char *name,
                                       size_t name_len, const char *exp,
                                       const char *nonce, const char *sig,
                                       int64_t now_s);

#endif
