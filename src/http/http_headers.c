/* http_headers: parsers of the structured request headers of the /v1
 * write routes (Upload-Complete, Repr-Digest) and the framing rules every
 * request passes (Content-Length, Transfer-Encoding), apart from the
 * routes so that the fuzz targets and unit tests call exactly what the
 * server calls. Upload-Offset is a plain decimal (core_num_parse_u64). */
#include "http/http_headers.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>

/* Upload-Complete: absent -> true; "?1" -> true; "?0" -> false. */
int http_headers_parse_complete(const char *v, bool *ret)
{
    if (v == NULL || strcmp(v, "?1") == 0) {
        *ret = true;
        return 0;
    }
    if (strcmp(v, "?0") == 0) {
        *ret = false;
        return 0;
    }
    return -EINVAL;
}

/* Decodes the byte sequence ":BASE64:" at v (len bytes, parameters after
 * it ignored) into out. 1, or -EINVAL. */
static int decode_digest(const char *v, size_t len, unsigned char out[32])
{
    const char *end =
        len > 1 && v[0] == ':' ? memchr(v + 1, ':', len - 1) : NULL;
    if (end == NULL || (end + 1 < v + len && end[1] != ';'))
        return -EINVAL;
    gnutls_datum_t in = {.data = (unsigned char *)(uintptr_t)(v + 1),
                         .size = (unsigned int)(end - v - 1)};
    gnutls_datum_t dec = {0};
    if (gnutls_base64_decode2(&in, &dec) != 0)
        return -EINVAL;
    int rc = dec.size == 32 ? 1 : -EINVAL;
    if (rc == 1)
        memcpy(out, dec.data, 32);
    gnutls_free(dec.data);
    return rc;
}

/* Repr-Digest (RFC 9530): an RFC 8941 dictionary; the member whose key is
 * exactly "sha-256" (not a key that merely ends in it). Returns 1 with
 * the digest, 0 when there is no sha-256 member, -EINVAL when the
 * sha-256 member is malformed. */
int http_headers_parse_digest(const char *v, unsigned char out[32])
{
    static const char key[] = "sha-256=";
    for (const char *m = v; m != NULL && *m != '\0';) {
        while (*m == ' ' || *m == '\t')
            m++;
        const char *comma = strchr(m, ',');
        size_t len = comma != NULL ? (size_t)(comma - m) : strlen(m);
        while (len > 0 && (m[len - 1] == ' ' || m[len - 1] == '\t'))
            len--;
        if (len >= sizeof(key) - 1 && memcmp(m, key, sizeof(key) - 1) == 0)
            return decode_digest(m + sizeof(key) - 1, len - (sizeof(key) - 1),
                                 out);
        m = comma != NULL ? comma + 1 : NULL;
    }
    return 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* value without leading and trailing OWS: *ret_len bytes from the result. */
static const char *trim(const char *v, size_t *ret_len)
{
    while (is_ows(*v))
        v++;
    size_t len = strlen(v);
    while (len > 0 && is_ows(v[len - 1]))
        len--;
    *ret_len = len;
    return v;
}

void http_framing_add(struct http_framing *f, const char *name,
                      const char *value)
{
    if (name == NULL || name[0] == '\0' || strpbrk(name, " \t") != NULL) {
        f->name_has_space = true;
        return;
    }
    if (value == NULL)
        value = "";
    size_t len;
    const char *v = trim(value, &len);
    if (strcasecmp(name, "Transfer-Encoding") == 0) {
        f->transfer_codings++;
        if (len != 7 || strncasecmp(v, "chunked", 7) != 0)
            f->coding_not_chunked = true;
        return;
    }
    if (strcasecmp(name, "Content-Length") != 0)
        return;
    if (f->content_lengths++ == 0) {
        if (len >= sizeof(f->first_length))
            len = sizeof(f->first_length) - 1;
        memcpy(f->first_length, v, len);
        f->first_length[len] = '\0';
    } else if (strlen(f->first_length) != len ||
               memcmp(f->first_length, v, len) != 0) {
        f->lengths_differ = true;
    }
}

unsigned http_framing_verdict(const struct http_framing *f,
                              const char **ret_msg)
{
    if (f->name_has_space) {
        *ret_msg = "a header field name holds whitespace (RFC 9112 "
                   "section 5.1); the request was refused\n";
        return 400;
    }
    if (f->transfer_codings > 0 && f->content_lengths > 0) {
        *ret_msg = "the request has both Content-Length and "
                   "Transfer-Encoding; send one of them\n";
        return 400;
    }
    if (f->transfer_codings > 1) {
        *ret_msg = "the request has more than one Transfer-Encoding "
                   "field; send \"Transfer-Encoding: chunked\" once\n";
        return 400;
    }
    if (f->coding_not_chunked) {
        *ret_msg = "the only transfer coding this server implements is "
                   "chunked\n";
        return 501;
    }
    if (f->lengths_differ) {
        *ret_msg = "the request has Content-Length fields with different "
                   "values\n";
        return 400;
    }
    return 0;
}
