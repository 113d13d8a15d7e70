/* fuzz_client_http: what `livelog put` and `livelog tail` parse from a
 * server's answer (src/client/client_http.c): each header line libcurl
 * hands over is split by client_http_split_header and its value parsed
 * by the parser the header callback picks (Upload-Offset and
 * Content-Length: client_http_parse_offset; Content-Range:
 * client_http_parse_content_range; Livelog-State:
 * client_http_parse_state), plus the text the clients build from it
 * (client_http_encode_name, client_http_base64) and the backoff.
 * Properties: a split header's name is non-empty without blanks and both
 * parts lie inside the line, the value trimmed; each parser equals an
 * independent reading (a decimal between blanks; "bytes F-L/C" with
 * F <= L < C, "bytes F-L/" "*", "bytes " "*" "/C"), outputs untouched on
 * failure, a parsed Content-Range printed back parses the same; an
 * encoded name decodes to the same bytes and holds only unreserved
 * characters, '/' and %XX; base64 decodes (GnuTLS) to the input; a too
 * small buffer is -ENOSPC; every backoff lies in [d/2, d]. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>

#include "client/client_http.h"
#include "fuzz.h"

static bool ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static void check_offset(const char *v, size_t len)
{
    size_t a = 0, b = len;
    while (a < b && ows((uint8_t)v[a]))
        a++;
    while (b > a && ows((uint8_t)v[b - 1]))
        b--;
    bool digits = a < b;
    unsigned __int128 want = 0;
    for (size_t i = a; i < b && digits; i++) {
        if (v[i] < '0' || v[i] > '9')
            digits = false;
        else if (want <= UINT64_MAX)
            want = want * 10 + (unsigned)(v[i] - '0');
    }
    uint64_t got = 99;
    int rc = client_http_parse_offset(v, len, &got);
    if (!digits)
        FUZZ_CHECK(rc == -EINVAL && got == 99);
    else if (want > UINT64_MAX)
        FUZZ_CHECK(rc == -ERANGE && got == 99);
    else
        FUZZ_CHECK(rc == 0 && got == (uint64_t)want);
}

static void check_content_range(const char *v, size_t len)
{
    struct client_http_range r = {.first = 5, .last = 6}, back;
    int rc = client_http_parse_content_range(v, len, &r);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc != 0) {
        FUZZ_CHECK(r.first == 5 && r.last == 6 && !r.satisfied);
        return;
    }
    char text[80];
    if (r.satisfied) {
        FUZZ_CHECK(r.first <= r.last);
        if (r.complete_known) {
            FUZZ_CHECK(r.last < r.complete_len);
            snprintf(text, sizeof text,
                     "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r.first, r.last,
                     r.complete_len);
        } else {
            snprintf(text, sizeof text, "bytes %" PRIu64 "-%" PRIu64 "/*",
                     r.first, r.last);
        }
    } else {
        FUZZ_CHECK(r.complete_known);
        snprintf(text, sizeof text, "bytes */%" PRIu64, r.complete_len);
    }
    FUZZ_CHECK(client_http_parse_content_range(text, strlen(text), &back) == 0);
    FUZZ_CHECK(back.satisfied == r.satisfied &&
               back.complete_known == r.complete_known);
    FUZZ_CHECK(!r.satisfied || (back.first == r.first && back.last == r.last));
    FUZZ_CHECK(!r.complete_known || back.complete_len == r.complete_len);
}

static void check_state(const char *v, size_t len)
{
    enum client_http_state st = client_http_parse_state(v, len);
    size_t a = 0, b = len;
    while (a < b && ows((uint8_t)v[a]))
        a++;
    while (b > a && ows((uint8_t)v[b - 1]))
        b--;
    const char *name = client_http_state_name(st);
    if (st == CLIENT_HTTP_STATE_UNKNOWN)
        return;
    FUZZ_CHECK(strlen(name) == b - a && memcmp(name, v + a, b - a) == 0);
}

/* One header line, as the header callback treats it. */
static void check_line(const char *line, size_t len)
{
    const char *name = NULL, *value = NULL;
    size_t nl = 0, vl = 0;
    int rc = client_http_split_header(line, len, &name, &nl, &value, &vl);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(name == NULL && value == NULL);
        return;
    }
    FUZZ_CHECK(name == line && nl > 0 && nl < len && line[nl] == ':');
    for (size_t i = 0; i < nl; i++)
        FUZZ_CHECK(!ows((uint8_t)name[i]) && name[i] != '\r' &&
                   name[i] != '\n');
    FUZZ_CHECK(value >= line + nl + 1 && value + vl <= line + len);
    if (vl > 0) {
        FUZZ_CHECK(!ows((uint8_t)value[0]));
        FUZZ_CHECK(!ows((uint8_t)value[vl - 1]) && value[vl - 1] != '\r' &&
                   value[vl - 1] != '\n');
    }
    /* Every parser sees every value: which one the name picks is a
     * strcasecmp, and each must hold on any bytes. */
    check_offset(value, vl);
    check_content_range(value, vl);
    check_state(value, vl);
}

static int unhex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void check_encode(const uint8_t *name, size_t len)
{
    size_t cap = 3 * len + 1, n = 0;
    char *out = malloc(cap);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(client_http_encode_name((const char *)name, len, out, cap, &n) ==
               0);
    FUZZ_CHECK(n < cap && out[n] == '\0');
    size_t j = 0;
    for (size_t i = 0; i < n; j++) {
        uint8_t c;
        if (out[i] == '%') {
            FUZZ_CHECK(i + 2 < n + 1 && unhex(out[i + 1]) >= 0 &&
                       unhex(out[i + 2]) >= 0);
            c = (uint8_t)(unhex(out[i + 1]) * 16 + unhex(out[i + 2]));
            i += 3;
        } else {
            c = (uint8_t)out[i++];
            FUZZ_CHECK(c == '/' || c == '.' || c == '_' || c == '~' ||
                       c == '-' || (c >= '0' && c <= '9') ||
                       (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
        }
        FUZZ_CHECK(j < len && c == name[j]);
    }
    FUZZ_CHECK(j == len);
    /* Exactly one byte short. */
    char *small = malloc(n > 0 ? n : 1);
    size_t m = 0;
    FUZZ_CHECK(small != NULL);
    FUZZ_CHECK(client_http_encode_name((const char *)name, len, small, n, &m) ==
               -ENOSPC);
    free(small);
    free(out);
}

static void check_base64(const uint8_t *in, size_t len)
{
    size_t need = (len + 2) / 3 * 4 + 1, n = 0;
    char *out = malloc(need);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(client_http_base64(in, len, out, need, &n) == 0);
    FUZZ_CHECK(n == need - 1 && out[n] == '\0');
    gnutls_datum_t enc = {.data = (unsigned char *)out, .size = (unsigned)n};
    gnutls_datum_t dec = {0};
    FUZZ_CHECK(gnutls_base64_decode2(&enc, &dec) == 0);
    FUZZ_CHECK(dec.size == len && (len == 0 || memcmp(dec.data, in, len) == 0));
    gnutls_free(dec.data);
    FUZZ_CHECK(client_http_base64(in, len, out, need - 1, &n) == -ENOSPC);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    unsigned attempt = fuzz_u8(&in);
    uint32_t rnd = (uint32_t)fuzz_u16(&in) << 16 | fuzz_u16(&in);
    uint64_t d = CLIENT_HTTP_BACKOFF_BASE_MS;
    for (unsigned i = 1; i < (attempt ? attempt : 1) && d < 5000; i++)
        d *= 2;
    d = d < CLIENT_HTTP_BACKOFF_CAP_MS ? d : CLIENT_HTTP_BACKOFF_CAP_MS;
    uint64_t b = client_http_backoff_ms(attempt, rnd);
    FUZZ_CHECK(b >= d / 2 && b <= d);

    /* The rest: header lines, as libcurl delivers them (CRLF kept). */
    char *copy = fuzz_memdup(in.p, in.n);
    size_t pos = 0;
    while (pos < in.n) {
        const char *nl = memchr(copy + pos, '\n', in.n - pos);
        size_t end = nl != NULL ? (size_t)(nl - copy) + 1 : in.n;
        char *line = fuzz_memdup(copy + pos, end - pos);
        check_line(line, end - pos);
        free(line);
        pos = end;
    }
    check_encode(in.p, in.n);
    check_base64(in.p, in.n);
    free(copy);
    return 0;
}
