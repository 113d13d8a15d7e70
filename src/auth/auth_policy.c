/* auth_policy: access decisions over tokens and signed URLs (see
 * auth_policy.h). */
#include "auth/auth_policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth_sign.h"

static const char *const verb_scope[] = {
    [AUTH_VERB_READ] = "livelog:read:",
    [AUTH_VERB_WRITE] = "livelog:write:",
    [AUTH_VERB_DELETE] = "livelog:write:",
};

static const char *const verb_method[] = {
    [AUTH_VERB_READ] = "GET",
    [AUTH_VERB_WRITE] = "PUT",
    [AUTH_VERB_DELETE] = "DELETE",
};

size_t auth_policy_scope(enum auth_verb verb, const char *name, size_t len,
                         char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%.*s", verb_scope[verb], (int)len, name);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

const char *auth_policy_sign_method(enum auth_verb verb)
{
    return verb_method[verb];
}

bool auth_policy_token_may(const struct auth_jwt *t, enum auth_verb verb,
                           const char *name, size_t len)
{
    char scope[AUTH_POLICY_SCOPE_MAX + 1];
    size_t n = auth_policy_scope(verb, name, len, scope, sizeof(scope));
    return auth_jwt_grants(t, scope, n);
}

/* The token68 of "Bearer <token>" (the scheme is case-insensitive, RFC
 * 9110 section 11.1), or NULL for another scheme. */
static const char *bearer(const char *authorization)
{
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *t = authorization + 7;
    while (*t == ' ')
        t++;
    return t;
}

static void decide(struct auth_decision *ret, enum auth_outcome o,
                   const char *reason)
{
    ret->outcome = o;
    ret->reason = reason;
}

struct auth_jwt *auth_policy_token(const struct auth_policy *p,
                                   const char *authorization, int64_t now_s,
                                   struct auth_decision *ret)
{
    if (authorization == NULL) {
        decide(ret, AUTH_NO_CREDENTIAL, "none");
        return NULL;
    }
    const char *t = bearer(authorization);
    if (t == NULL) {
        decide(ret, AUTH_BAD_CREDENTIAL, "unsupported_scheme");
        return NULL;
    }
    if (p->keys == NULL) {
        decide(ret, AUTH_BAD_CREDENTIAL, "no_keys");
        return NULL;
    }
    struct auth_jwt *jwt = NULL;
    enum auth_jwt_result r =
        auth_jwt_verify(p->keys, t, strlen(t), now_s, p->leeway_s, &jwt);
    if (r != AUTH_JWT_OK) {
        decide(ret, AUTH_BAD_CREDENTIAL, auth_jwt_result_name(r));
        return NULL;
    }
    decide(ret, AUTH_GRANTED, "token");
    return jwt;
}

void auth_policy_decide(const struct auth_policy *p, enum auth_verb verb,
                        const char *name, size_t len,
                        const struct auth_credentials *c, int64_t now_s,
                        struct auth_decision *ret)
{
    bool has_url = c->exp != NULL || c->nonce != NULL || c->sig != NULL;
    bool token_grants = false, url_grants = false;

    if (c->authorization == NULL && !has_url) {
        decide(ret, AUTH_NO_CREDENTIAL, "none");
        return;
    }
    if (c->authorization != NULL) {
        struct auth_jwt *jwt =
            auth_policy_token(p, c->authorization, now_s, ret);
        if (jwt == NULL)
            return; /* a bad token is refused, whatever else is there */
        token_grants = auth_policy_token_may(jwt, verb, name, len);
        auth_jwt_free(jwt);
    }
    if (has_url) {
        if (p->keys == NULL) {
            decide(ret, AUTH_BAD_CREDENTIAL, "no_keys");
            return;
        }
        enum auth_sign_result r =
            auth_sign_verify(p->keys, verb_method[verb], name, len, c->exp,
                             c->nonce, c->sig, now_s);
        if (r != AUTH_SIGN_OK) {
            decide(ret, AUTH_BAD_CREDENTIAL, auth_sign_result_name(r));
            return;
        }
        url_grants = true;
    }
    if (token_grants)
        decide(ret, AUTH_GRANTED, "token");
    else if (url_grants)
        decide(ret, AUTH_GRANTED, "signed_url");
    else
        decide(ret, AUTH_FORBIDDEN, "scope");
}
