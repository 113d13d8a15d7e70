/* fuzz_http_cache: the conditional request headers of a log read
 * (src/http/http_cache.c): HTTP-dates (If-Modified-Since), If-None-Match
 * lists and the decisions on them, called as the read path calls them
 * (NUL-terminated header values and their strlen). The input is the
 * clock (8 bytes), then three '\n'-separated values: If-None-Match,
 * If-Modified-Since, If-Range.
 *
 * Properties: the date parser returns 0 or -EINVAL, *ret untouched on
 * failure; an accepted date formats (years 0-9999) to an IMF-fixdate that
 * parses back to it, and an accepted IMF-fixdate is that text exactly;
 * the list matcher returns -EINVAL, 0 or 1, and 1 only for "*" or a list
 * that holds the tag's bytes; a valid list with the tag appended
 * matches; no 304 without validators or for the drop-in, a Range always
 * for the drop-in, and If-Range never with a weak tag. */
#include <errno.h>

#include "fuzz.h"
#include "http/http_cache.h"

#define TAG "\"i00a1b2c3d4e5f607-c\""

static void check_date(const char *s, size_t len, int64_t now)
{
    int64_t t = 77;
    int rc = http_cache_parse_date(s, len, now, &t);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(t == 77);
        return;
    }
    char buf[HTTP_CACHE_DATE_LEN + 1];
    size_t n = http_cache_format_date(t, buf, sizeof buf);
    if (n == 0) /* before year 0 or after 9999: only from rfc850 years */
        return;
    FUZZ_CHECK(n == HTTP_CACHE_DATE_LEN && buf[n] == '\0');
    int64_t back = 0;
    FUZZ_CHECK(http_cache_parse_date(buf, n, now, &back) == 0 && back == t);
    if (len == HTTP_CACHE_DATE_LEN && s[3] == ',') {
        /* an IMF-fixdate, unless a leap second (60) moved the minute */
        if (memcmp(s + 23, "60", 2) != 0)
            FUZZ_CHECK(memcmp(buf, s, len) == 0);
    }
}

static void check_inm(const char *s, size_t len)
{
    int rc = http_cache_inm_match(s, len, TAG);
    FUZZ_CHECK(rc == -EINVAL || rc == 0 || rc == 1);
    if (rc == 1)
        FUZZ_CHECK(memchr(s, '*', len) != NULL ||
                   memmem(s, len, TAG, strlen(TAG)) != NULL);
    if (rc == 0) {
        char *more = malloc(len + strlen(TAG) + 3);
        FUZZ_CHECK(more != NULL);
        memcpy(more, s, len);
        memcpy(more + len, ", " TAG, strlen(TAG) + 3);
        FUZZ_CHECK(http_cache_inm_match(more, len + 2 + strlen(TAG), TAG) == 1);
        free(more);
    }
}

static void check_decisions(char *const v[3], int64_t now)
{
    struct http_cache_entity e;
    memset(&e, 0, sizeof e);
    e.is_public = true;
    memcpy(e.etag, TAG, sizeof TAG);
    e.has_date = true;
    e.last_modified = 784111777;
    memcpy(e.date, "Sun, 06 Nov 1994 08:49:37 GMT", HTTP_CACHE_DATE_LEN + 1);
    e.strong_date = true;
    struct http_cache_conditions c;
    memset(&c, 0, sizeof c);
    c.if_none_match[0] = v[0];
    c.n_if_none_match = v[0][0] != '\0';
    c.if_modified_since = v[1];
    c.n_if_modified_since = 1;
    c.if_range = v[2];
    c.n_if_range = 1;
    bool nm = http_cache_not_modified(&e, &c, now);
    if (c.n_if_none_match == 1)
        FUZZ_CHECK(nm == (http_cache_inm_match(v[0], strlen(v[0]), TAG) == 1));
    bool ranged = http_cache_range_applies(&e, &c);
    if (v[2][0] == 'W')
        FUZZ_CHECK(!ranged);
    if (ranged)
        FUZZ_CHECK(strcmp(v[2], TAG) == 0 || strcmp(v[2], e.date) == 0);

    e.etag[0] = '\0'; /* live: no validators */
    e.has_date = false;
    FUZZ_CHECK(!http_cache_not_modified(&e, &c, now));
    FUZZ_CHECK(!http_cache_range_applies(&e, &c));
    e.legacy = true; /* the drop-in */
    FUZZ_CHECK(!http_cache_not_modified(&e, &c, now));
    FUZZ_CHECK(http_cache_range_applies(&e, &c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    /* a clock between 1970 and about 2500 */
    int64_t now = (int64_t)(fuzz_u64(&in) % 16725225600ULL);
    char *whole = fuzz_memdup(in.p, in.n);
    check_date(whole, in.n, now);
    check_inm(whole, in.n);
    free(whole);

    char *v[3];
    for (int i = 0; i < 3; i++) {
        size_t len;
        const uint8_t *p = fuzz_take_until(&in, '\n', &len);
        v[i] = fuzz_strndup(p, len);
        check_date(v[i], strlen(v[i]), now);
    }
    check_decisions(v, now);
    for (int i = 0; i < 3; i++)
        free(v[i]);
    return 0;
}
