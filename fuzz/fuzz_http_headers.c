/* fuzz_http_headers: the structured headers of the /v1 write routes
 * (src/http/http_headers.c): Upload-Complete and Repr-Digest, called as
 * the PUT and PATCH routes call them (a NUL-terminated header value).
 * Properties: Upload-Complete is accepted exactly for "?0" and "?1";
 * Repr-Digest returns 0 exactly when there is no "sha-256=:" member, its
 * output is written only with 1, and a digest it returns, written back in
 * the form `livelog put` sends (client_http_base64), parses to the same
 * 32 bytes; so does any 32 bytes the fuzzer picks (client and server
 * agree). Outputs untouched on failure. */
#include <errno.h>

#include "client/client_http.h"
#include "fuzz.h"
#include "http/http_headers.h"

/* The header `livelog put` sends for digest d, parsed by the server. */
static void check_client_form(const unsigned char d[32])
{
    char b64[64], hdr[96];
    size_t n = 0;
    FUZZ_CHECK(client_http_base64(d, 32, b64, sizeof b64, &n) == 0);
    FUZZ_CHECK(n == 44);
    snprintf(hdr, sizeof hdr, "sha-256=:%s:", b64);
    unsigned char back[32];
    FUZZ_CHECK(http_headers_parse_digest(hdr, back) == 1);
    FUZZ_CHECK(memcmp(back, d, 32) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = fuzz_strndup(data, size);

    bool complete = false;
    int rc = http_headers_parse_complete(v, &complete);
    if (strcmp(v, "?1") == 0 || strcmp(v, "?0") == 0) {
        FUZZ_CHECK(rc == 0 && complete == (v[1] == '1'));
    } else {
        FUZZ_CHECK(rc == -EINVAL && !complete);
    }
    complete = false;
    FUZZ_CHECK(http_headers_parse_complete(NULL, &complete) == 0 && complete);

    unsigned char out[32];
    memset(out, 0xa5, sizeof out);
    rc = http_headers_parse_digest(v, out);
    FUZZ_CHECK(rc == 1 || rc == 0 || rc == -EINVAL);
    FUZZ_CHECK((rc == 0) == (strstr(v, "sha-256=:") == NULL));
    if (rc == 1) {
        check_client_form(out);
    } else {
        for (size_t i = 0; i < sizeof out; i++)
            FUZZ_CHECK(out[i] == 0xa5);
    }
    FUZZ_CHECK(http_headers_parse_digest(NULL, out) == 0);

    if (size >= 32)
        check_client_form(data);
    free(v);
    return 0;
}
