/* fuzz_mask: the streaming secret masker (src/mask/mask.c) as the write
 * path drives it (stream_mask.c): secrets registered from Livelog-Mask
 * headers, the body fed in arbitrary pieces, the held bytes saved and
 * restored across a simulated restart, flushed at the end. Input: a
 * secret count, each secret's length and bytes, up to four cut points, a
 * restart point, then the log bytes. Properties: whatever the cuts and
 * the restart, the output equals one leftmost-longest pass written here
 * (each match replaced by "***"); every piece of output is final (a
 * prefix of that result); one feed writes at most the held bytes plus the
 * new ones; at most MASK_MAX_LEN - 1 bytes are ever held. */
#include <errno.h>

#include "fuzz.h"
#include "fuzz_mask_ref.h"
#include "mask/mask.h"

#define SECRETS_MAX 5

static struct mask *new_mask(const struct secret *s, size_t ns)
{
    struct mask *m = NULL;
    FUZZ_CHECK(mask_new(&m) == 0);
    for (size_t k = 0; k < ns; k++)
        FUZZ_CHECK(mask_add(m, s[k].p, s[k].len) == 0);
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct secret sec[SECRETS_MAX];
    size_t ns = 0, want = fuzz_u8(&in) % (SECRETS_MAX + 1);
    while (ns < want) {
        uint8_t l = fuzz_u8(&in);
        size_t len = l & 0x80 ? (size_t)MASK_MIN_LEN + (size_t)(l & 0x7f) * 8
                              : MASK_MIN_LEN + (size_t)(l % 29);
        const uint8_t *p = fuzz_take(&in, len, &len);
        if (len < MASK_MIN_LEN)
            break;
        sec[ns++] = (struct secret){p, len};
    }
    size_t ncuts = fuzz_u8(&in) % 5, cuts[5];
    for (size_t i = 0; i < ncuts; i++)
        cuts[i] = fuzz_u16(&in);
    size_t restart_at = fuzz_u8(&in); /* index of the cut, if any */
    size_t n = 0;
    const uint8_t *body0 = fuzz_take(&in, in.n, &n);
    uint8_t *body = fuzz_memdup(body0, n);

    /* Refused secrets. */
    struct mask *m = new_mask(sec, ns);
    FUZZ_CHECK(mask_count(m) <= ns);
    FUZZ_CHECK(mask_add(m, body, MASK_MIN_LEN - 1) == -EINVAL);
    FUZZ_CHECK(mask_add(m, body, MASK_MAX_LEN + 1) == -EINVAL);

    uint8_t *want_out = malloc(n + 1);
    uint8_t *got = malloc(n + MASK_MAX_LEN);
    FUZZ_CHECK(want_out != NULL && got != NULL);
    size_t wlen = reference(sec, ns, body, n, want_out);

    /* Cuts in increasing order, inside the body. */
    for (size_t i = 0; i < ncuts; i++)
        cuts[i] = n > 0 ? cuts[i] % (n + 1) : 0;
    for (size_t i = 1; i < ncuts; i++)
        for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    cuts[ncuts] = n;

    size_t pos = 0, glen = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t len = cuts[c] - pos;
        size_t held = mask_held_len(m);
        size_t cap = held + len;
        size_t w = mask_feed(m, body + pos, len, got + glen, cap);
        FUZZ_CHECK(w <= cap);
        glen += w;
        pos = cuts[c];
        FUZZ_CHECK(mask_held_len(m) <= MASK_MAX_LEN - 1);
        FUZZ_CHECK(glen <= wlen && memcmp(got, want_out, glen) == 0);
        if (c == restart_at % (ncuts + 1) && c < ncuts) {
            /* A restart: the held bytes go to disk and come back. */
            size_t hl = 0;
            const void *h = mask_held(m, &hl);
            FUZZ_CHECK(hl == mask_held_len(m));
            uint8_t saved[MASK_MAX_LEN];
            memcpy(saved, h, hl);
            mask_free(m);
            m = new_mask(sec, ns);
            FUZZ_CHECK(mask_restore(m, saved, hl) == 0);
            FUZZ_CHECK(mask_held_len(m) == hl);
        }
    }
    size_t held = mask_held_len(m);
    size_t w = mask_flush(m, got + glen, held);
    FUZZ_CHECK(w <= held);
    glen += w;
    FUZZ_CHECK(mask_held_len(m) == 0);
    FUZZ_CHECK(glen == wlen && memcmp(got, want_out, wlen) == 0);

    uint8_t big[MASK_MAX_LEN + 1] = {0};
    FUZZ_CHECK(mask_restore(m, big, MASK_MAX_LEN) == -EINVAL);
    FUZZ_CHECK(mask_held_len(m) == 0);
    mask_free(m);
    free(want_out);
    free(got);
    free(body);
    return 0;
}
