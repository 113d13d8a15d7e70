/* auth_policy: who may do what to which stream (docs/SECURITY.md).
 *
 * A request carries at most two credentials: a bearer token (a JWT,
 * auth_jwt.h) in its Authorization header and a signed URL (auth_sign.h)
 * in its query. This module turns them into one decision:
 *
 *   granted        a credential grants the scope the verb needs
 *   no credential  none was given                       (HTTP 401)
 *   bad credential one was given and is not valid       (HTTP 401)
 *   forbidden      a valid credential lacks the scope   (HTTP 403)
 *
 * The decision never depends on whether the stream exists, so an answer
 * cannot tell a caller which private names exist. Any credential that is
 * present must be valid: a bad token next to a good signed URL is
 * refused, so a client learns its token is broken.
 *
 * Scopes: reading needs `livelog:read:NAME`, writing (PUT, PATCH, HEAD on
 * the write listener) and DELETE need `livelog:write:NAME`. A signed URL
 * grants the one name and method it was signed for (GET also covers
 * HEAD; PUT also covers PATCH and the write listener's HEAD).
 *
 * Pure over its inputs (plus the key ring); any thread. */
#ifndef LIVELOG_AUTH_POLICY_H
#define LIVELOG_AUTH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth_jwt.h"
#include "auth/auth_keys.h"

enum auth_verb {
    AUTH_VERB_READ = 0, /* GET, HEAD on the read listener               */
    AUTH_VERB_WRITE,    /* PUT, PATCH, HEAD on the write listener        */
    AUTH_VERB_DELETE,
};

enum auth_outcome {
    AUTH_GRANTED = 0,
    AUTH_NO_CREDENTIAL,
    AUTH_BAD_CREDENTIAL,
    AUTH_FORBIDDEN,
};

/* What a request presented; every member may be NULL. */
struct auth_credentials {
    const char *authorization;     /* the Authorization header             */
    const char *exp, *nonce, *sig; /* signed-URL query: exp, n, sig    */
};

struct auth_decision {
    enum auth_outcome outcome;
    /* How it was granted ("token", "signed_url") or why not ("none",
     * "unsupported_scheme", a result name of auth_jwt or auth_sign, or
     * "scope"). A static string; safe to log. */
    const char *reason;
};

struct auth_policy {
    struct auth_keyring *keys; /* NULL: no keys, nothing is ever granted */
    uint64_t leeway_s;         /* clock skew allowed on exp and nbf      */
};

/* The longest scope string: "livelog:write:" and a name. */
#define AUTH_POLICY_SCOPE_MAX (16 + 1024)

/* Decides whether the credentials allow `verb` on the stream `name`.
 * Can't fail. */
void auth_policy_decide(const struct auth_policy *p, enum auth_verb verb,
                        const char *name, size_t len,
                        const struct auth_credentials *c, int64_t now_s,
                        struct auth_decision *ret);

/* For the listing: verifies the bearer token alone. Returns the token
 * (caller frees with auth_jwt_free) and sets *ret to granted, or NULL
 * with *ret saying why (no credential is not an error for a listing: it
 * shows public streams only). */
struct auth_jwt *auth_policy_token(const struct auth_policy *p,
                                   const char *authorization, int64_t now_s,
                                   struct auth_decision *ret);

/* True when the verified token t grants verb on name. */
bool auth_policy_token_may(const struct auth_jwt *t, enum auth_verb verb,
                           const char *name, size_t len);

/* The scope a verb needs on name, written into out (NUL-terminated; cap
 * of AUTH_POLICY_SCOPE_MAX + 1 always suffices). Returns its length. */
size_t auth_policy_scope(enum auth_verb verb, const char *name, size_t len,
                         char *out, size_t cap);

/* The method string a signed URL carries for verb ("GET", "PUT",
 * "DELETE"). */
const char *auth_policy_sign_method(enum auth_verb verb);

#endif
