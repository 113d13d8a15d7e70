/* http_headers: parsers of the structured request headers of the /v1
 * write routes. Every input is a header value exactly as the client sent
 * it (NUL-terminated by libmicrohttpd), or NULL when absent. */
#ifndef LIVELOG_HTTP_HEADERS_H
#define LIVELOG_HTTP_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

/* Upload-Complete (RFC 8941 boolean): absent or "?1" -> *ret true, "?0"
 * -> false; 0, or -EINVAL for anything else. */
int http_headers_parse_complete(const char *v, bool *ret);

/* Repr-Digest (RFC 9530): finds the sha-256=:BASE64: member. Returns 1
 * with the 32-byte digest in out, 0 when there is no sha-256 member,
 * -EINVAL when the member is malformed. */
int http_headers_parse_digest(const char *v, unsigned char out[32]);

/* RFC 9112 message framing of a request, judged from its header fields
 * before any body byte is read, so that no two parsers (a proxy in front
 * and this server) can disagree on where the body ends (request
 * smuggling). Feed every field with http_framing_add, then ask
 * http_framing_verdict. */
struct http_framing {
    unsigned content_lengths;  /* Content-Length fields seen           */
    unsigned transfer_codings; /* Transfer-Encoding fields seen        */
    bool lengths_differ;       /* two Content-Length values disagree   */
    bool coding_not_chunked;   /* a Transfer-Encoding other than chunked */
    bool name_has_space;       /* whitespace in or around a field name */
    char first_length[24];     /* the first Content-Length, trimmed    */
};

void http_framing_add(struct http_framing *f, const char *name,
                      const char *value);

/* 0 when the framing is unambiguous; otherwise the status to answer with
 * the connection closed (400, or 501 for a transfer coding other than
 * chunked) and *ret_msg, a sentence for the client ending in a newline. */
unsigned http_framing_verdict(const struct http_framing *f,
                              const char **ret_msg);

#endif
