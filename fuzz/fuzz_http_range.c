/* fuzz_http_range: the Range header parser and resolver
 * (src/http/http_range.c), called as the read handler calls them: the
 * header value as a NUL-terminated string and its strlen, then resolved
 * against stored lengths. Properties: only the documented results, the
 * output untouched on failure, a parsed range re-rendered in canonical
 * form parses to the same range, a bounded range's last + 1 does not
 * overflow (the live read path computes it), and every resolved span
 * lies inside the representation and is exactly what RFC 9110 selects. */
#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "http/http_range.h"

static bool same(const struct http_range *a, const struct http_range *b)
{
    return a->kind == b->kind && a->first == b->first && a->last == b->last &&
           a->suffix == b->suffix;
}

/* resolve() against `length`, checked against RFC 9110 14.1.2. */
static void check_resolve(const struct http_range *r, uint64_t length)
{
    uint64_t start = 7, end = 9;
    int rc = http_range_resolve(r, length, &start, &end);
    bool unsatisfiable =
        length == 0 ||
        (r->kind == HTTP_RANGE_SUFFIX ? r->suffix == 0 : r->first >= length);
    if (unsatisfiable) {
        FUZZ_CHECK(rc == -ERANGE);
        FUZZ_CHECK(start == 7 && end == 9);
        return;
    }
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(start < end && end <= length);
    switch (r->kind) {
    case HTTP_RANGE_FROM:
        FUZZ_CHECK(start == r->first && end == length);
        break;
    case HTTP_RANGE_BOUNDED:
        FUZZ_CHECK(start == r->first);
        FUZZ_CHECK(end - 1 == (r->last < length - 1 ? r->last : length - 1));
        break;
    case HTTP_RANGE_SUFFIX:
        FUZZ_CHECK(end == length);
        FUZZ_CHECK(end - start == (r->suffix < length ? r->suffix : length));
        break;
    }
}

/* Parses value (its strlen bytes) and checks everything above. */
static void check_value(const char *value, size_t len)
{
    const struct http_range sentinel = {
        .kind = HTTP_RANGE_BOUNDED, .first = 11, .last = 13, .suffix = 17};
    struct http_range r = sentinel;
    int rc = http_range_parse(value, len, &r);
    FUZZ_CHECK(rc == 0 || rc == -E2BIG || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(same(&r, &sentinel));
        return;
    }
    FUZZ_CHECK(r.kind == HTTP_RANGE_FROM || r.kind == HTTP_RANGE_BOUNDED ||
               r.kind == HTTP_RANGE_SUFFIX);
    /* Callers compute last + 1 (http_read.c, a live bounded range). */
    if (r.kind == HTTP_RANGE_BOUNDED)
        FUZZ_CHECK(r.last >= r.first && r.last < UINT64_MAX);

    /* The canonical text of the range parses to the same range. */
    char canon[64];
    switch (r.kind) {
    case HTTP_RANGE_FROM:
        snprintf(canon, sizeof canon, "bytes=%" PRIu64 "-", r.first);
        break;
    case HTTP_RANGE_BOUNDED:
        snprintf(canon, sizeof canon, "bytes=%" PRIu64 "-%" PRIu64, r.first,
                 r.last);
        break;
    case HTTP_RANGE_SUFFIX:
        snprintf(canon, sizeof canon, "bytes=-%" PRIu64, r.suffix);
        break;
    }
    struct http_range again = sentinel;
    FUZZ_CHECK(http_range_parse(canon, strlen(canon), &again) == 0);
    FUZZ_CHECK(same(&r, &again));

    /* Lengths around every number the range holds, and the extremes. */
    const uint64_t pts[] = {r.first, r.last, r.suffix};
    check_resolve(&r, 0);
    check_resolve(&r, 1);
    check_resolve(&r, UINT64_MAX);
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        check_resolve(&r, pts[i]);
        if (pts[i] > 0)
            check_resolve(&r, pts[i] - 1);
        if (pts[i] < UINT64_MAX)
            check_resolve(&r, pts[i] + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As the server calls it: the value up to its NUL, with strlen. */
    char *value = fuzz_strndup(data, size);
    check_value(value, strlen(value));
    free(value);
    /* The (ptr, len) contract: every byte, NULs included, nothing past
     * len read. */
    char *raw = fuzz_memdup(data, size);
    check_value(raw, size);
    free(raw);
    return 0;
}
