/* fuzz_core_num: strict decimal parsing (src/core/core_num.c), the parser
 * of Upload-Offset, ?tail=N, ?limit=N, signed-URL expiries, meta and wire
 * numbers and numeric flags. Called as the PATCH route calls it (the
 * header value and its strlen) and over raw (ptr, len). Properties: the
 * result equals an independent reading of the text (digits only, -ERANGE
 * past 2^64-1, -EINVAL for anything else, junk over overflow), the output
 * is untouched on failure, and a parsed value printed back equals the
 * text without its leading zeros. core_num_parse_port against Go's
 * strconv.Atoi plus the range check. core_num_parse_hex (the archive's
 * and the checkpoint's digests) against sscanf's %2hhx byte by byte, the
 * output untouched on failure, and formatting what it parsed gives the
 * text back in lowercase. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>

#include "core/core_num.h"
#include "fuzz.h"

/* -EINVAL, -ERANGE or 0 with *ret, read independently. */
static int reference_u64(const uint8_t *s, size_t len, uint64_t *ret)
{
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
    unsigned __int128 v = 0;
    for (size_t i = 0; i < len; i++) {
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > UINT64_MAX)
            return -ERANGE;
    }
    *ret = (uint64_t)v;
    return 0;
}

static void check_u64(const char *s, size_t len)
{
    uint64_t want = 0, got = 0x5a5a5a5a5a5a5a5a;
    int wrc = reference_u64((const uint8_t *)s, len, &want);
    int rc = core_num_parse_u64(s, len, &got);
    FUZZ_CHECK(rc == wrc);
    if (rc != 0) {
        FUZZ_CHECK(got == 0x5a5a5a5a5a5a5a5a);
        return;
    }
    FUZZ_CHECK(got == want);
    char back[24];
    int n = snprintf(back, sizeof back, "%" PRIu64, got);
    size_t z = 0;
    while (z + 1 < len && s[z] == '0')
        z++;
    FUZZ_CHECK((size_t)n == len - z && memcmp(back, s + z, len - z) == 0);
}

static void check_port(const char *s, size_t len)
{
    /* Go: [+-]digits whose value fits int64, else not a number. */
    int want;
    uint64_t mag = 0;
    size_t k = len > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    bool neg = k == 1 && s[0] == '-';
    int r = reference_u64((const uint8_t *)s + k, len - k, &mag);
    if (r != 0 || mag > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        want = -EINVAL;
    else if ((neg && mag != 0) || mag > 65535)
        want = -ERANGE;
    else
        want = 0;
    uint16_t port = 4242;
    int rc = core_num_parse_port(s, len, &port);
    FUZZ_CHECK(rc == want);
    FUZZ_CHECK(rc == 0 ? port == mag : port == 4242);
}

static void check_hex(const char *s, size_t len)
{
    unsigned char got[64], want[64];
    size_t n = len / 2;
    bool ok = len % 2 == 0 && n <= sizeof got;
    for (size_t i = 0; ok && i < len; i++)
        ok = isxdigit((unsigned char)s[i]) != 0;
    for (size_t i = 0; ok && i < n; i++) {
        char two[3] = {s[2 * i], s[2 * i + 1], '\0'};
        ok = sscanf(two, "%2hhx", &want[i]) == 1;
    }
    memset(got, 0x5a, sizeof got);
    int rc = core_num_parse_hex(s, len, got, n <= sizeof got ? n : 0);
    if (!ok) {
        FUZZ_CHECK(rc == -EINVAL);
        for (size_t i = 0; i < sizeof got; i++)
            FUZZ_CHECK(got[i] == 0x5a);
        return;
    }
    FUZZ_CHECK(rc == 0 && memcmp(got, want, n) == 0);
    char back[2 * sizeof got + 1];
    core_num_format_hex(got, n, back);
    FUZZ_CHECK(strlen(back) == len);
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK(back[i] == tolower((unsigned char)s[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_strndup(data, size);
    check_u64(value, strlen(value));
    check_port(value, strlen(value));
    free(value);
    char *raw = fuzz_memdup(data, size);
    check_u64(raw, size);
    check_port(raw, size);
    check_hex(raw, size);
    free(raw);
    return 0;
}
