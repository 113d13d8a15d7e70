/* store_name: the rules for stream names (docs/API.md, "Names"), as a pure
 * validator over (ptr, len), and the public/private rule of RFC 159.
 * Called by the HTTP routes on any thread; no state. */
#ifndef LIVELOG_STORE_NAME_H
#define LIVELOG_STORE_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define STORE_NAME_MAX 1024

/* Checks a stream name. Returns 0 when valid; otherwise -EINVAL and, when
 * ret_msg is not NULL, writes a one-line message naming the broken rule
 * (NUL-terminated, at most cap bytes) for the client's 400. */
int store_name_check(const char *name, size_t len, char *ret_msg, size_t cap);

/* True when a segment "public" is followed by at least one more segment.
 * The name must be valid. */
bool store_name_is_public(const char *name, size_t len);

/* True when name starts with prefix (plain byte prefix). */
bool store_name_has_prefix(const char *name, size_t len, const char *prefix,
                           size_t plen);

#endif
