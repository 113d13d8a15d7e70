/* auth_scope: Taskcluster-style scope matching (see auth_scope.h). */
#include "auth/auth_scope.h"

#include <string.h>

bool auth_scope_satisfies(const char *scope, size_t scope_len, const char *want,
                          size_t want_len)
{
    if (scope_len == 0)
        return false;
    if (scope[scope_len - 1] == '*') {
        size_t prefix = scope_len - 1;
        return want_len >= prefix &&
               (prefix == 0 || memcmp(scope, want, prefix) == 0);
    }
    return scope_len == want_len && memcmp(scope, want, scope_len) == 0;
}
