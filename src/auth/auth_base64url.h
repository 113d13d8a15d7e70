/* auth_base64url: base64url without padding (RFC 4648 section 5), the
 * encoding of JWT parts (RFC 7515) and of signed-URL nonces and
 * signatures. Pure functions over (ptr, len); decoding is strict so that
 * every byte string has exactly one accepted encoding. Called by
 * auth_jwt and auth_sign on any thread; no state. */
#ifndef LIVELOG_AUTH_BASE64URL_H
#define LIVELOG_AUTH_BASE64URL_H

#include <stddef.h>

/* Characters needed to encode n bytes (no padding), not counting the NUL.
 * Can't fail (n is at most SIZE_MAX / 2 in any real use). */
size_t auth_base64url_encoded_len(size_t n);

/* Encodes n bytes of in into out and NUL-terminates it; cap must be at
 * least auth_base64url_encoded_len(n) + 1. Returns the length written
 * (without the NUL). Can't fail when cap suffices; when it does not,
 * returns 0 and writes "" (when cap > 0). The caller owns both buffers. */
size_t auth_base64url_encode(const void *in, size_t n, char *out, size_t cap);

/* Decodes n characters of in into out. Returns 0 and the decoded length
 * in *ret_len; -EINVAL for '=' padding, any character outside
 * [A-Za-z0-9_-], a length of 4k+1, or non-zero unused trailing bits (a
 * non-canonical encoding); -ENOSPC when cap is smaller than the decoded
 * length. Validity is checked before the capacity. out and *ret_len are
 * untouched on failure. */
int auth_base64url_decode(const char *in, size_t n, void *out, size_t cap,
                          size_t *ret_len);

#endif
