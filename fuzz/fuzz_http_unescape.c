/* fuzz_http_unescape: the server's percent-decoding of request paths and
 * query values (http_v1_unescape in src/http/http_v1.c, libmicrohttpd's
 * unescape callback on both listeners): the bytes of a URL as
 * libmicrohttpd hands them over (NUL-terminated, decoded in place), then
 * the name rules over the result, as the /v1 routes apply them.
 * Properties: the result equals a one-pass decoding written here (each
 * %XX with two hex digits becomes its byte, except %00; everything else
 * is kept); the returned length is the new strlen and never grows; no
 * NUL is ever produced; a decoded name the rules accept holds no '%', no
 * empty, "." or ".." segment (so %2e%2e, //, %2f%2f and NUL tricks never
 * reach the data directory); encoding an accepted name the way the
 * client does and decoding it again gives it back. */
#include "client/client_http.h"
#include "fuzz.h"
#include "http/http_v1.h"
#include "store/store_name.h"

static int hex(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t reference(const uint8_t *s, size_t len, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '%' && i + 2 < len && hex(s[i + 1]) >= 0 &&
            hex(s[i + 2]) >= 0 && hex(s[i + 1]) * 16 + hex(s[i + 2]) != 0) {
            out[o++] = (uint8_t)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 3;
        } else {
            out[o++] = s[i++];
        }
    }
    return o;
}

static void check_name(const char *name, size_t len)
{
    if (store_name_check(name, len, NULL, 0) != 0)
        return;
    FUZZ_CHECK(memchr(name, '%', len) == NULL);
    FUZZ_CHECK(name[0] != '/' && name[len - 1] != '/');
    for (size_t i = 0; i < len; i++) {
        bool seg_start = i == 0 || name[i - 1] == '/';
        if (!seg_start)
            continue;
        FUZZ_CHECK(name[i] != '/');
        size_t end = i;
        while (end < len && name[end] != '/')
            end++;
        FUZZ_CHECK(!(end - i == 1 && name[i] == '.'));
        FUZZ_CHECK(!(end - i == 2 && name[i] == '.' && name[i + 1] == '.'));
    }
    size_t cap = 3 * len + 1, elen = 0;
    char *enc = malloc(cap);
    FUZZ_CHECK(enc != NULL);
    FUZZ_CHECK(client_http_encode_name(name, len, enc, cap, &elen) == 0);
    FUZZ_CHECK(http_v1_unescape(NULL, NULL, enc) == len);
    FUZZ_CHECK(memcmp(enc, name, len) == 0);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libmicrohttpd's URL: up to the first NUL (it never has one). */
    char *s = fuzz_strndup(data, size);
    size_t len = strlen(s);
    uint8_t *want = malloc(len + 1);
    FUZZ_CHECK(want != NULL);
    size_t wlen = reference((const uint8_t *)s, len, want);

    size_t n = http_v1_unescape(NULL, NULL, s);
    FUZZ_CHECK(n <= len && n == strlen(s));
    FUZZ_CHECK(n == wlen && memcmp(s, want, n) == 0);
    check_name(s, n);
    /* The route takes the name after "/v1/logs/". */
    if (n > 9 && memcmp(s, "/v1/logs/", 9) == 0)
        check_name(s + 9, n - 9);
    free(want);
    free(s);
    return 0;
}
