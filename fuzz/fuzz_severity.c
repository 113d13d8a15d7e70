/* fuzz_severity: the task-log severity classifier (src/severity/severity.c)
 * as the stream's writer feeds it: the stored bytes, in the pieces the
 * writer appended (cut points from the input), then finished. Input: a
 * cut count, the cuts, then the log. Properties: every line's severity is
 * in the enum and depends only on its first SEVERITY_PREFIX_MAX bytes
 * (each line is classified from an exactly-sized copy, so a read past it
 * is caught); the tally fed in pieces equals the tally fed at once, and
 * both equal the per-line classification (counts by severity, bytes, the
 * first SEVERITY_FIRST_MAX ERROR/FATAL lines with their offsets and line
 * numbers); a skip (keep-tail's elision) makes line numbers unknown and
 * counts no line it dropped. */
#include "fuzz.h"
#include "severity/severity.h"

#define CUTS_MAX 7

struct expect {
    uint64_t by[SEVERITY_COUNT];
    uint64_t lines;
    size_t nhits;
    struct severity_hit hits[64]; /* the first ones, enough to compare */
};

static enum severity classify_copy(const uint8_t *line, size_t len)
{
    char *copy = fuzz_memdup(line, len);
    enum severity s = severity_classify(copy, len);
    FUZZ_CHECK(s >= SEVERITY_NONE && s < SEVERITY_COUNT);
    FUZZ_CHECK(severity_name(s)[0] != '?');
    if (len > SEVERITY_PREFIX_MAX)
        FUZZ_CHECK(severity_classify(copy, SEVERITY_PREFIX_MAX) == s);
    free(copy);
    return s;
}

/* Every line of d, classified one by one. */
static void expect_lines(const uint8_t *d, size_t len, struct expect *e)
{
    memset(e, 0, sizeof *e);
    size_t start = 0;
    uint64_t line = 1;
    while (start < len) {
        const uint8_t *nl = memchr(d + start, '\n', len - start);
        size_t end = nl != NULL ? (size_t)(nl - d) : len;
        enum severity s = classify_copy(d + start, end - start);
        e->by[s]++;
        e->lines++;
        if (s >= SEVERITY_ERROR && e->nhits < 64)
            e->hits[e->nhits++] =
                (struct severity_hit){.offset = start, .line = line, .sev = s};
        start = end + 1;
        line++;
    }
}

static void check_tally(const struct severity_tally *t, const struct expect *e,
                        size_t len)
{
    struct severity_counts c;
    severity_tally_counts(t, &c);
    FUZZ_CHECK(c.lines == e->lines && c.bytes == len);
    FUZZ_CHECK(c.hits_dropped == 0 && c.lines_known);
    for (int s = 0; s < SEVERITY_COUNT; s++)
        FUZZ_CHECK(c.by[s] == e->by[s]);
    uint64_t bad = e->by[SEVERITY_ERROR] + e->by[SEVERITY_FATAL];
    size_t kept = severity_tally_nhits(t);
    FUZZ_CHECK(kept == (bad < SEVERITY_FIRST_MAX ? bad : SEVERITY_FIRST_MAX));
    struct severity_hit h[64];
    size_t n = severity_tally_hits(t, 0, h, 64);
    FUZZ_CHECK(n == (e->nhits < kept ? e->nhits : kept));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(h[i].offset == e->hits[i].offset &&
                   h[i].line == e->hits[i].line && h[i].sev == e->hits[i].sev);
    FUZZ_CHECK(severity_tally_footprint(t) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    size_t ncuts = fuzz_u8(&in) % (CUTS_MAX + 1), cuts[CUTS_MAX + 1];
    for (size_t i = 0; i < ncuts; i++)
        cuts[i] = fuzz_u16(&in);
    size_t len = 0;
    const uint8_t *d0 = fuzz_take(&in, in.n, &len);
    uint8_t *d = fuzz_memdup(d0, len);

    struct expect e;
    expect_lines(d, len, &e);

    /* At once. */
    struct severity_tally *t = NULL;
    FUZZ_CHECK(severity_tally_new(&t) == 0);
    FUZZ_CHECK(severity_tally_feed(t, d, len) == 0);
    severity_tally_finish(t);
    severity_tally_finish(t); /* idempotent */
    check_tally(t, &e, len);
    severity_tally_free(t);

    /* In pieces, each piece an exactly-sized copy. */
    for (size_t i = 0; i < ncuts; i++)
        cuts[i] = len > 0 ? cuts[i] % (len + 1) : 0;
    for (size_t i = 1; i < ncuts; i++)
        for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t x = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = x;
        }
    cuts[ncuts] = len;
    FUZZ_CHECK(severity_tally_new(&t) == 0);
    size_t pos = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        uint8_t *piece = fuzz_memdup(d + pos, cuts[i] - pos);
        FUZZ_CHECK(severity_tally_feed(t, piece, cuts[i] - pos) == 0);
        free(piece);
        pos = cuts[i];
    }
    severity_tally_finish(t);
    check_tally(t, &e, len);

    /* A skip, then the log again: no more lines than it has, line
     * numbers unknown. */
    severity_tally_skip(t, 1 + (uint64_t)ncuts);
    FUZZ_CHECK(severity_tally_feed(t, d, len) == 0);
    severity_tally_finish(t);
    struct severity_counts c;
    severity_tally_counts(t, &c);
    FUZZ_CHECK(!c.lines_known && c.lines <= 2 * e.lines);
    FUZZ_CHECK(c.bytes == 2 * (uint64_t)len + 1 + ncuts);
    severity_tally_free(t);
    free(d);
    return 0;
}
