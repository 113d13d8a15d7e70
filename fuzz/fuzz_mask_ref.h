/* fuzz_mask_ref: the reference masker the masking targets (fuzz_mask,
 * fuzz_stream_mask) compare against: one leftmost-longest pass over the
 * whole input, written independently of src/mask/mask.c. Header-only,
 * like the rest of fuzz/'s shared pieces. */
#ifndef LIVELOG_FUZZ_MASK_REF_H
#define LIVELOG_FUZZ_MASK_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mask/mask.h"

struct secret {
    const uint8_t *p;
    size_t len;
};

/* The one-shot result of masking in[0..n) with secrets s[0..ns) into out
 * (room for 3 * n bytes); returns its length. */
static inline size_t reference(const struct secret *s, size_t ns,
                               const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        size_t best = 0;
        for (size_t k = 0; k < ns; k++)
            if (s[k].len <= n - i && s[k].len > best &&
                memcmp(in + i, s[k].p, s[k].len) == 0)
                best = s[k].len;
        if (best > 0) {
            memcpy(out + o, MASK_REPLACEMENT, 3);
            o += 3;
            i += best;
        } else {
            out[o++] = in[i++];
        }
    }
    return o;
}

#endif
