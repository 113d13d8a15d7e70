/* http_range: parses the Range request header (RFC 9110, section 14.1)
 * for the bytes unit and resolves a range against a known length. Called
 * by the read handler (src/http/http_read.c) on any MHD thread; pure
 * functions over (ptr, len), no state, no allocation.
 *
 * Accepted: OWS "bytes" "=" range-spec *(OWS "," OWS range-spec) OWS with
 * the unit case-insensitive and range-spec one of a-b, a- or -n (digits
 * only: no signs, no spaces inside a spec). Empty list elements ("0-1, ,")
 * are ignored as RFC 9110 section 5.6.1 asks, but at least one spec must
 * be present. */
#include "http/http_range.h"

#include <errno.h>
#include <stdbool.h>

#include "core/core_num.h"

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses one trimmed, non-empty range-spec. Returns 0 or -EINVAL. */
static int parse_spec(const char *s, size_t len, struct http_range *ret)
{
    size_t dash = 0;
    uint64_t a, b;

    while (dash < len && s[dash] != '-')
        dash++;
    if (dash == len)
        return -EINVAL;
    if (dash == 0) {
        if (core_num_parse_u64(s + 1, len - 1, &a) < 0)
            return -EINVAL;
        *ret = (struct http_range){.kind = HTTP_RANGE_SUFFIX, .suffix = a};
        return 0;
    }
    if (core_num_parse_u64(s, dash, &a) < 0)
        return -EINVAL;
    if (dash + 1 == len) {
        *ret = (struct http_range){.kind = HTTP_RANGE_FROM, .first = a};
        return 0;
    }
    if (core_num_parse_u64(s + dash + 1, len - dash - 1, &b) < 0)
        return -EINVAL;
    /* No representation holds 2^64 bytes, so a last position of
     * 2^64 - 1 selects the same bytes as 2^64 - 2, and callers may then
     * compute last + 1 (the end of a live range) without overflow. */
    if (b == UINT64_MAX)
        b--;
    if (b < a)
        return -EINVAL;
    *ret =
        (struct http_range){.kind = HTTP_RANGE_BOUNDED, .first = a, .last = b};
    return 0;
}

int http_range_parse(const char *value, size_t len, struct http_range *ret)
{
    static const char unit[] = "bytes=";
    const size_t ulen = sizeof unit - 1;
    struct http_range first = {0};
    size_t count = 0;
    size_t i = 0;

    if (value == NULL)
        return -EINVAL;
    while (i < len && is_ows(value[i]))
        i++;
    if (len - i < ulen)
        return -EINVAL;
    for (size_t k = 0; k < ulen; k++) {
        char c = value[i + k];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != unit[k])
            return -EINVAL;
    }
    i += ulen;
    /* One list element per iteration: [start, end) trimmed of OWS. */
    while (i <= len) {
        size_t start = i, end;
        struct http_range r;

        while (i < len && value[i] != ',')
            i++;
        end = i;
        i++; /* past the comma, or past the end: the loop stops */
        while (start < end && is_ows(value[start]))
            start++;
        while (end > start && is_ows(value[end - 1]))
            end--;
        if (start == end)
            continue;
        if (parse_spec(value + start, end - start, &r) < 0)
            return -EINVAL;
        if (count == 0)
            first = r;
        count++;
    }
    if (count == 0)
        return -EINVAL;
    if (count > 1)
        return -E2BIG;
    *ret = first;
    return 0;
}

int http_range_resolve(const struct http_range *r, uint64_t length,
                       uint64_t *ret_start, uint64_t *ret_end)
{
    uint64_t start, end;

    if (r == NULL)
        return -EINVAL;
    if (length == 0)
        return -ERANGE;
    switch (r->kind) {
    case HTTP_RANGE_FROM:
        if (r->first >= length)
            return -ERANGE;
        start = r->first;
        end = length;
        break;
    case HTTP_RANGE_BOUNDED:
        if (r->last < r->first)
            return -EINVAL; /* not something the parser returns */
        if (r->first >= length)
            return -ERANGE;
        start = r->first;
        end = (r->last < length - 1 ? r->last : length - 1) + 1;
        break;
    case HTTP_RANGE_SUFFIX:
        if (r->suffix == 0)
            return -ERANGE;
        start = r->suffix >= length ? 0 : length - r->suffix;
        end = length;
        break;
    default:
        return -EINVAL;
    }
    *ret_start = start;
    *ret_end = end;
    return 0;
}
