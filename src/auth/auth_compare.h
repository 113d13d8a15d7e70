/* auth_compare: comparing a presented secret with the expected one in
 * time that depends on neither's content nor on where they differ. Both
 * are hashed with SHA-256 (GnuTLS) and the digests compared with a
 * branch-free loop, so even the lengths do not leak through timing.
 * Any thread; no state. */
#ifndef LIVELOG_AUTH_COMPARE_H
#define LIVELOG_AUTH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

/* True when the two byte strings are equal. Can't fail: if hashing were
 * to fail the answer is false (deny). */
bool auth_compare_secret(const void *given, size_t given_len,
                         const void *expected, size_t expected_len);

#endif
