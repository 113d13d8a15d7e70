/* http_headers: parsers of the structured request headers of the /v1
 * write routes (Upload-Complete, Repr-Digest), apart from the routes so
 * that the fuzz targets and unit tests call exactly what the server
 * calls. Upload-Offset is a plain decimal (core_num_parse_u64). */
#include "http/http_headers.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

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

/* Repr-Digest (RFC 9530): finds sha-256=:BASE64: in a dictionary.
 * Returns 1 with the digest, 0 when no sha-256 member, -EINVAL when the
 * sha-256 member is malformed. */
int http_headers_parse_digest(const char *v, unsigned char out[32])
{
    if (v == NULL)
        return 0;
    const char *p = strstr(v, "sha-256=:");
    if (p == NULL)
        return 0;
    p += 9;
    const char *end = strchr(p, ':');
    if (end == NULL)
        return -EINVAL;
    gnutls_datum_t in = {.data = (unsigned char *)(uintptr_t)p,
                         .size = (unsigned int)(end - p)};
    gnutls_datum_t dec = {0};
    if (gnutls_base64_decode2(&in, &dec) != 0)
        return -EINVAL;
    int rc = dec.size == 32 ? 1 : -EINVAL;
    if (rc == 1)
        memcpy(out, dec.data, 32);
    gnutls_free(dec.data);
    return rc;
}
