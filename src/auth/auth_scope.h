/* auth_scope: Taskcluster-style scope matching. A scope grants a wanted
 * scope when the two are equal, or when the scope ends in '*' and the
 * wanted scope starts with everything before that last '*'. A '*'
 * anywhere else is an ordinary character. Pure; used by auth_jwt (and so
 * by the HTTP handlers) on any thread. */
#ifndef LIVELOG_AUTH_SCOPE_H
#define LIVELOG_AUTH_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

/* True when `scope` (scope_len bytes) grants `want` (want_len bytes):
 * equal, or scope ends in '*' and want starts with scope minus that last
 * '*' (so "livelog:read:*" grants "livelog:read:a/b" and "livelog:read:",
 * and "*" grants everything). An empty scope grants nothing. Bytes are
 * compared exactly (case-sensitive). Can't fail. */
bool auth_scope_satisfies(const char *scope, size_t scope_len, const char *want,
                          size_t want_len);

#endif
