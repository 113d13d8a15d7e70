/* core_num: strict decimal and hexadecimal parsing of untrusted text
 * (ports, limits, HTTP header numbers, percent-escapes, digests) and
 * hexadecimal output. Called by configuration on the main thread and by the
 * HTTP handlers on any thread; pure functions, no shared state, no locale,
 * no errno side effects. */
#include "core/core_num.h"

#include <errno.h>
#include <stdbool.h>

/* Accumulates the digits of s[0..len) into *ret. Returns 0, -EINVAL when
 * empty or a byte is not a digit (checked over the whole text, so junk
 * wins over overflow), -ERANGE when the value exceeds UINT64_MAX. */
static int parse_digits(const char *s, size_t len, uint64_t *ret)
{
    uint64_t v = 0;
    bool overflow = false;

    if (s == NULL || len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        uint64_t d;

        if (c < '0' || c > '9')
            return -EINVAL;
        d = (uint64_t)(c - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (overflow)
        return -ERANGE;
    *ret = v;
    return 0;
}

int core_num_parse_u64(const char *s, size_t len, uint64_t *ret)
{
    uint64_t v;
    int rc = parse_digits(s, len, &v);

    if (rc < 0)
        return rc;
    *ret = v;
    return 0;
}

/* Go's strconv.Atoi on a 64-bit platform accepts [+-]digits whose value
 * fits in int64; anything else (including overflow, which Go reports as
 * a *NumError) is "not a number" for the drop-in, hence -EINVAL. */
int core_num_parse_port(const char *s, size_t len, uint16_t *ret)
{
    bool negative = false;
    uint64_t mag;
    int rc;

    if (s == NULL || len == 0)
        return -EINVAL;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        s++;
        len--;
    }
    rc = parse_digits(s, len, &mag);
    if (rc < 0)
        return -EINVAL;
    if (mag > (uint64_t)INT64_MAX + (negative ? 1 : 0))
        return -EINVAL;
    if (negative && mag != 0)
        return -ERANGE;
    if (mag > UINT16_MAX)
        return -ERANGE;
    *ret = (uint16_t)mag;
    return 0;
}

int core_num_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int core_num_parse_hex(const char *s, size_t len, unsigned char *out, size_t n)
{
    if (s == NULL || n > SIZE_MAX / 2 || len != 2 * n)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (core_num_hex_digit(s[i]) < 0)
            return -EINVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(core_num_hex_digit(s[2 * i]) << 4 |
                                 core_num_hex_digit(s[2 * i + 1]));
    return 0;
}

void core_num_format_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}
