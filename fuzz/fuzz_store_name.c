/* fuzz_store_name: the stream name rules (src/store/store_name.c), called
 * as the /v1 routes call them. Properties: the verdict equals an
 * independent reading of docs/API.md "Names"; a refusal's message is
 * NUL-terminated inside its buffer, whatever its size, and starts with
 * "invalid log name: "; an accepted name round-trips through the path the
 * client builds (client_http_encode_name) and the server's unescaping of
 * it (http_v1_unescape, libmicrohttpd's unescape callback), and through a
 * meta file (store_meta_format, store_meta_parse);
 * store_name_is_public agrees with its rule. */
#include <errno.h>

#include "client/client_http.h"
#include "fuzz.h"
#include "http/http_v1.h"
#include "store/store_meta.h"
#include "store/store_name.h"

static bool allowed(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
           c == '-';
}

/* docs/API.md "Names", read independently of store_name.c. */
static bool reference_ok(const uint8_t *s, size_t len)
{
    if (len == 0 || len > STORE_NAME_MAX)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '/') {
            if (!allowed(s[i]))
                return false;
            continue;
        }
        size_t seg = i - start;
        if (seg == 0)
            return false;
        if (seg <= 2 && s[start] == '.' && (seg == 1 || s[start + 1] == '.'))
            return false;
        if (i == len && seg == 5 && memcmp(s + start, "stats", 5) == 0)
            return false;
        start = i + 1;
    }
    return true;
}

/* A segment "public" followed by another segment. */
static bool reference_public(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i + 7 < len + 1; i++) {
        bool at_start = i == 0 || s[i - 1] == '/';
        if (at_start && i + 7 <= len && memcmp(s + i, "public/", 7) == 0 &&
            i + 7 < len)
            return true;
    }
    return false;
}

static void check_roundtrips(const char *name, size_t len)
{
    /* The client's path, unescaped as the server does. */
    size_t cap = 3 * len + 1;
    char *enc = malloc(cap);
    size_t elen = 0;
    FUZZ_CHECK(enc != NULL);
    FUZZ_CHECK(client_http_encode_name(name, len, enc, cap, &elen) == 0);
    FUZZ_CHECK(elen == strlen(enc));
    size_t dlen = http_v1_unescape(NULL, NULL, enc);
    FUZZ_CHECK(dlen == len && memcmp(enc, name, len) == 0);
    free(enc);

    /* A meta file. */
    struct store_meta m = {.state = STORE_LIVE, .created_ms = 1};
    memcpy(m.name, name, len);
    m.name[len] = '\0';
    m.name_len = len;
    char text[STORE_META_MAX];
    int n = store_meta_format(&m, text, sizeof text);
    FUZZ_CHECK(n > 0);
    struct store_meta back;
    FUZZ_CHECK(store_meta_parse(text, (size_t)n, &back) == 0);
    FUZZ_CHECK(back.name_len == len && memcmp(back.name, name, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_memdup(data, size);
    bool want = reference_ok(data, size);

    int rc = store_name_check(name, size, NULL, 0);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    FUZZ_CHECK((rc == 0) == want);

    /* The message, into buffers too small for it, cut inside the prefix
     * and after it, and a roomy one. */
    static const size_t caps[] = {0, 1, 2, 18, 19, 40, 300};
    char msg[300];
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        size_t cap = caps[c];
        memset(msg, 'Z', sizeof msg);
        FUZZ_CHECK(store_name_check(name, size, msg, cap) == rc);
        if (rc == 0 || cap == 0) {
            FUZZ_CHECK(msg[0] == 'Z');
            continue;
        }
        FUZZ_CHECK(memchr(msg, '\0', cap) != NULL);
        for (size_t i = cap; i < sizeof msg; i++)
            FUZZ_CHECK(msg[i] == 'Z');
        if (cap > 18)
            FUZZ_CHECK(memcmp(msg, "invalid log name: ", 18) == 0);
    }

    if (rc == 0) {
        FUZZ_CHECK(store_name_is_public(name, size) ==
                   reference_public(data, size));
        check_roundtrips(name, size);
        /* Every prefix is a byte prefix. */
        FUZZ_CHECK(store_name_has_prefix(name, size, name, size / 2));
    }
    free(name);
    return 0;
}
