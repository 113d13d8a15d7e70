/* fuzz_auth_scope: Taskcluster scope matching (src/auth/auth_scope.c), as
 * auth_jwt_grants calls it for each scope of a verified token. Input:
 * scope, a NUL byte, the wanted scope. Properties: the verdict equals the
 * rule read independently (equal, or a trailing '*' whose prefix starts
 * the wanted scope; empty grants nothing); every scope grants itself; "*"
 * grants everything; a scope ending in '*' grants its own prefix; a
 * scope without a trailing '*' grants nothing longer or shorter than
 * itself; no byte is read past either length. */
#include "auth/auth_scope.h"
#include "fuzz.h"

static bool reference(const uint8_t *s, size_t sl, const uint8_t *w, size_t wl)
{
    if (sl == 0)
        return false;
    if (s[sl - 1] == '*')
        return wl >= sl - 1 && memcmp(s, w, sl - 1) == 0;
    return sl == wl && memcmp(s, w, sl) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    size_t sl = 0, wl = 0;
    const uint8_t *s0 = fuzz_take_until(&in, 0, &sl);
    const uint8_t *w0 = fuzz_take(&in, in.n, &wl);
    char *s = fuzz_memdup(s0, sl);
    char *w = fuzz_memdup(w0, wl);

    bool got = auth_scope_satisfies(s, sl, w, wl);
    FUZZ_CHECK(got == reference(s0, sl, w0, wl));
    FUZZ_CHECK(auth_scope_satisfies(s, sl, s, sl) == (sl > 0));
    FUZZ_CHECK(auth_scope_satisfies("*", 1, w, wl));
    FUZZ_CHECK(!auth_scope_satisfies(w, 0, s, sl));
    if (sl > 0 && s[sl - 1] == '*') {
        FUZZ_CHECK(auth_scope_satisfies(s, sl, s, sl - 1));
    } else if (got) {
        FUZZ_CHECK(wl == sl);
    }
    free(s);
    free(w);
    return 0;
}
