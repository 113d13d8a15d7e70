/* http_headers: parsers of the structured request headers of the /v1
 * write routes. Every input is a header value exactly as the client sent
 * it (NUL-terminated by libmicrohttpd), or NULL when absent. */
#ifndef LIVELOG_HTTP_HEADERS_H
#define LIVELOG_HTTP_HEADERS_H

#include <stdbool.h>

/* Upload-Complete (RFC 8941 boolean): absent or "?1" -> *ret true, "?0"
 * -> false; 0, or -EINVAL for anything else. */
int http_headers_parse_complete(const char *v, bool *ret);

/* Repr-Digest (RFC 9530): finds the sha-256=:BASE64: member. Returns 1
 * with the 32-byte digest in out, 0 when there is no sha-256 member,
 * -EINVAL when the member is malformed. */
int http_headers_parse_digest(const char *v, unsigned char out[32]);

#endif
