/* auth_compare: constant-time secret comparison (see auth_compare.h). */
#include "auth/auth_compare.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdint.h>

#define SHA256_LEN 32

bool auth_compare_secret(const void *given, size_t given_len,
                         const void *expected, size_t expected_len)
{
    uint8_t a[SHA256_LEN], b[SHA256_LEN];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, given, given_len, a) != 0)
        return false;
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, expected, expected_len, b) != 0)
        return false;
    volatile uint8_t diff = 0;
    for (size_t i = 0; i < SHA256_LEN; i++)
        diff = (uint8_t)(diff | (a[i] ^ b[i]));
    return diff == 0;
}
