/* auth_base64url: strict unpadded base64url (see auth_base64url.h). */
#include "auth/auth_base64url.h"

#include <errno.h>
#include <stdint.h>

static const char alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of c, or -1 when c is not in the alphabet. */
static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

size_t auth_base64url_encoded_len(size_t n)
{
    static const size_t tail[3] = {0, 2, 3};
    return n / 3 * 4 + tail[n % 3];
}

size_t auth_base64url_encode(const void *in, size_t n, char *out, size_t cap)
{
    const uint8_t *p = in;
    size_t o = 0;

    if (n > SIZE_MAX / 2 || cap <= auth_base64url_encoded_len(n)) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

int auth_base64url_decode(const char *in, size_t n, void *out, size_t cap,
                          size_t *ret_len)
{
    static const size_t tail[4] = {0, 0, 1, 2};
    uint8_t *q = out;

    if (n % 4 == 1)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (value_of(in[i]) < 0)
            return -EINVAL;
    }
    /* The bits of the last character that carry no byte must be zero:
     * 4 of them after 2 characters, 2 after 3. */
    if (n % 4 == 2 && (value_of(in[n - 1]) & 0x0f) != 0)
        return -EINVAL;
    if (n % 4 == 3 && (value_of(in[n - 1]) & 0x03) != 0)
        return -EINVAL;
    size_t len = n / 4 * 3 + tail[n % 4];
    if (len > cap)
        return -ENOSPC;

    size_t o = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = (uint32_t)value_of(in[i]) << 18 |
                     (uint32_t)value_of(in[i + 1]) << 12 |
                     (uint32_t)value_of(in[i + 2]) << 6 |
                     (uint32_t)value_of(in[i + 3]);
        q[o++] = (uint8_t)(v >> 16);
        q[o++] = (uint8_t)(v >> 8);
        q[o++] = (uint8_t)v;
    }
    if (n - i >= 2) {
        uint32_t v = (uint32_t)value_of(in[i]) << 18 |
                     (uint32_t)value_of(in[i + 1]) << 12;
        if (n - i == 3)
            v |= (uint32_t)value_of(in[i + 2]) << 6;
        q[o++] = (uint8_t)(v >> 16);
        if (n - i == 3)
            q[o++] = (uint8_t)(v >> 8);
    }
    *ret_len = o;
    return 0;
}
