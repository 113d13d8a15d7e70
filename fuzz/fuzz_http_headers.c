/* fuzz_http_headers: the request headers of src/http/http_headers.c:
 * Upload-Complete and Repr-Digest, called as the PUT and PATCH routes
 * call them (a NUL-terminated header value), and the framing check every
 * request passes, fed the same bytes read as "name:value" lines.
 * Properties: Upload-Complete is accepted exactly for "?0" and "?1";
 * Repr-Digest finds nothing without a "sha-256=:" in the value, its output
 * is written only with 1, and a digest it returns, written back in the
 * form `livelog put` sends (client_http_base64), parses to the same 32
 * bytes, also after a member whose key only ends in "sha-256"; so does any
 * 32 bytes the fuzzer picks (client and server agree). Outputs untouched
 * on failure. The framing verdict is 0, 400 or 501 with a message ending
 * in a newline, and 0 only for fields that frame the body one way: no
 * whitespace in a name, at most one Transfer-Encoding, exactly "chunked"
 * and never with a Content-Length, and Content-Length values all equal. */
#include <errno.h>
#include <strings.h>

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
    char dict[160];
    snprintf(dict, sizeof dict, "x-sha-256=:AAAA:, sha-256=:%s:;p=1", b64);
    memset(back, 0, sizeof back);
    FUZZ_CHECK(http_headers_parse_digest(dict, back) == 1);
    FUZZ_CHECK(memcmp(back, d, 32) == 0);
}

/* What a framing verdict of 0 promises, checked field by field. */
struct framing_seen {
    unsigned te;
    bool te_chunked, cl, cl_differ, space;
    char cl_first[64];
};

static void trim(char **s)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
    size_t n = strlen(*s);
    while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
        (*s)[--n] = '\0';
}

static void see_field(struct framing_seen *seen, const char *name, char *value)
{
    if (name[0] == '\0' || strpbrk(name, " \t") != NULL) {
        seen->space = true;
        return;
    }
    trim(&value);
    if (strcasecmp(name, "transfer-encoding") == 0) {
        seen->te++;
        seen->te_chunked = strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(name, "content-length") == 0) {
        if (!seen->cl)
            snprintf(seen->cl_first, sizeof seen->cl_first, "%s", value);
        else if (strcmp(seen->cl_first, value) != 0)
            seen->cl_differ = true;
        seen->cl = true;
    }
}

static void check_framing(const char *v)
{
    char *text = strdup(v);
    FUZZ_CHECK(text != NULL);
    struct http_framing f = {0};
    struct framing_seen seen = {0};
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        http_framing_add(&f, line, colon + 1);
        see_field(&seen, line, colon + 1);
    }
    const char *msg = NULL;
    unsigned status = http_framing_verdict(&f, &msg);
    FUZZ_CHECK(status == 0 || status == 400 || status == 501);
    if (status != 0)
        FUZZ_CHECK(msg != NULL && msg[0] != '\0' &&
                   msg[strlen(msg) - 1] == '\n');
    else
        FUZZ_CHECK(!seen.space && seen.te <= 1 &&
                   (seen.te == 0 || (seen.te_chunked && !seen.cl)) &&
                   !seen.cl_differ);
    free(text);
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
    if (strstr(v, "sha-256=") == NULL)
        FUZZ_CHECK(rc == 0);
    if (rc == 1) {
        check_client_form(out);
    } else {
        for (size_t i = 0; i < sizeof out; i++)
            FUZZ_CHECK(out[i] == 0xa5);
    }
    FUZZ_CHECK(http_headers_parse_digest(NULL, out) == 0);

    if (size >= 32)
        check_client_form(data);
    check_framing(v);
    free(v);
    return 0;
}
