/* http_range: the Range request header (RFC 9110, section 14) for the one
 * unit we serve, bytes. A pure parser over (ptr, len) plus a resolver that
 * turns a parsed range into byte offsets once the length is known. Called
 * by the read handler on any thread; no state. */
#ifndef LIVELOG_HTTP_RANGE_H
#define LIVELOG_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* A single byte range as the client wrote it. */
enum http_range_kind {
    HTTP_RANGE_FROM,    /* bytes=a-   : first..end                  */
    HTTP_RANGE_BOUNDED, /* bytes=a-b  : first..last (inclusive)     */
    HTTP_RANGE_SUFFIX,  /* bytes=-n   : the last `suffix` bytes     */
};

struct http_range {
    enum http_range_kind kind;
    uint64_t first;  /* FROM, BOUNDED */
    uint64_t last;   /* BOUNDED, inclusive, >= first, < UINT64_MAX */
    uint64_t suffix; /* SUFFIX */
};

/* Parses a Range header value. Returns:
 *   0        one valid byte range, stored in *ret;
 *   -E2BIG   several ranges (valid syntax): the caller serves the whole
 *            representation with 200, as RFC 9110 allows;
 *   -EINVAL  anything else (other unit, junk, last < first, numbers that
 *            overflow 64 bits): RFC 9110 says to ignore the header.
 * Whitespace is allowed around commas and at both ends; the unit name is
 * case-insensitive. A last position of 2^64 - 1 is returned as 2^64 - 2
 * (the same bytes of any representation), so last + 1 never overflows;
 * "bytes=18446744073709551615-18446744073709551615" is then -EINVAL.
 * *ret is untouched on failure. */
int http_range_parse(const char *value, size_t len, struct http_range *ret);

/* Resolves a range against a representation of `length` bytes into the
 * half-open byte span [*ret_start, *ret_end). Returns 0, or -ERANGE when
 * the range is unsatisfiable (RFC 9110 14.1.1: first >= length, or a
 * suffix of 0 bytes, or an empty representation): the caller answers 416
 * with "Content-Range: bytes * /length" (no space). A last position past
 * the end is clipped to length - 1; a suffix longer than the
 * representation selects all of it. -EINVAL for a range the parser never
 * returns (NULL, unknown kind, last < first). Outputs untouched on
 * failure. */
int http_range_resolve(const struct http_range *r, uint64_t length,
                       uint64_t *ret_start, uint64_t *ret_end);

#endif
