/* mask: secret masking of a log's bytes (see mask.h for the rules). Called
 * by the writer of a log, one thread at a time per mask; no locks, no I/O.
 *
 * The scan skips positions that start no secret with a 65,536-bit map of
 * a hash of the first four bytes of every secret (eight positions per
 * branch), or, within three bytes of the end, a 256-entry table of first
 * bytes. At a hit it compares the secrets that start with that byte,
 * longest first, by their first four bytes and then memcmp. Held bytes are
 * scanned again, with the start of the new input copied behind them into the
 * stitch buffer, so a secret split across two feeds is seen whole. */
#include "mask/mask.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HELD_MAX (MASK_MAX_LEN - 1)
#define REPL_LEN (sizeof MASK_REPLACEMENT - 1)
#define HOLD SIZE_MAX /* match_at: hold from here */

struct secret {
    unsigned char *bytes; /* owned copy, zeroed before it is freed */
    size_t len;           /* MASK_MIN_LEN .. MASK_MAX_LEN */
    uint32_t head;        /* the first 4 bytes, as memcpy loads them */
};

struct mask {
    struct secret secrets[MASK_MAX_SECRETS]; /* in the order added */
    size_t count;                            /* secrets in use */
    /* Indices into secrets sorted by first byte, then longest first: the
     * secrets starting with byte b are order[start[b] .. start[b] + n[b]).
     * n[b] == 0: no secret starts with b (the skip table). */
    uint8_t order[MASK_MAX_SECRETS];
    uint8_t start[256];
    uint8_t n[256];
    /* Bit quad_hash(first 4 bytes) set for every secret. */
    uint64_t quads[65536 / 64];
    size_t held_len;                    /* 0 .. HELD_MAX */
    unsigned char held[HELD_MAX];       /* input not yet final */
    unsigned char stitch[2 * HELD_MAX]; /* held bytes + start of the input */
};

/* Where the output goes; emit() never writes past cap. */
struct out {
    unsigned char *p;
    size_t len;
    size_t cap;
};

static void emit(struct out *o, const void *src, size_t len)
{
    if (len == 0)
        return;
    assert(len <= o->cap - o->len);
    memcpy(o->p + o->len, src, len);
    o->len += len;
}

/* 16 bits of the four bytes at p (Fibonacci hashing). */
static unsigned quad_hash(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return (v * UINT32_C(0x9e3779b1)) >> 16;
}

/* Non-zero when some secret may start with the four bytes at p. */
static uint64_t quad_bits(const struct mask *m, const unsigned char *p)
{
    unsigned h = quad_hash(p);

    return m->quads[h >> 6] & UINT64_C(1) << (h & 63);
}

/* Rebuilds order, start, n and quads from the secrets. Can't fail. */
static void index_rebuild(struct mask *m)
{
    memset(m->n, 0, sizeof m->n);
    memset(m->start, 0, sizeof m->start);
    memset(m->quads, 0, sizeof m->quads);
    for (size_t i = 0; i < m->count; i++) {
        const struct secret *s = &m->secrets[i];
        size_t j = i;

        /* insertion sort: first byte ascending, then length descending */
        while (j > 0) {
            const struct secret *t = &m->secrets[m->order[j - 1]];
            if (t->bytes[0] < s->bytes[0] ||
                (t->bytes[0] == s->bytes[0] && t->len >= s->len))
                break;
            m->order[j] = m->order[j - 1];
            j--;
        }
        m->order[j] = (uint8_t)i;

        unsigned h = quad_hash(s->bytes);
        m->quads[h >> 6] |= UINT64_C(1) << (h & 63);
    }
    for (size_t i = m->count; i-- > 0;) {
        unsigned char b = m->secrets[m->order[i]].bytes[0];
        m->start[b] = (uint8_t)i;
        m->n[b]++;
    }
}

/* Decides position q of buf[0..n), where some secret may start.
 * Returns the length of the longest secret matching at q, 0 for none, or
 * HOLD when !final and buf[q..n) is a proper prefix of some secret (more
 * bytes could still make or lengthen a match). */
static size_t match_at(const struct mask *m, const unsigned char *buf, size_t n,
                       size_t q, bool final)
{
    const unsigned char *p = buf + q;
    size_t avail = n - q;
    uint32_t head = 0;

    if (avail >= 4)
        memcpy(&head, p, 4);
    const uint8_t *idx = m->order + m->start[p[0]];
    for (size_t k = 0; k < m->n[p[0]]; k++) {
        const struct secret *s = &m->secrets[idx[k]];

        if (s->len > avail) {
            /* longer ones come first: any hold is seen before a match */
            if (!final && memcmp(p, s->bytes, avail) == 0)
                return HOLD;
            continue;
        }
        if (s->head == head && memcmp(p + 4, s->bytes + 4, s->len - 4) == 0)
            return s->len;
    }
    return 0;
}

/* Scans the positions [from, stop) of buf[0..n) and writes what they give
 * to o. Returns where scanning stopped: >= stop (a match may end past it;
 * never past n), or a position < stop with *ret_hold set when the bytes
 * from there on must be held; nothing from there on was written. */
static size_t scan(const struct mask *m, const unsigned char *buf, size_t n,
                   size_t from, size_t stop, bool final, struct out *o,
                   bool *ret_hold)
{
    size_t q = from;
    size_t lit = from; /* start of the bytes kept as they are */

    *ret_hold = false;
    if (from >= stop)
        return from;
    /* the positions before last have four bytes: the hash bitmap skips
     * them; the last three of buf have only the first-byte table */
    size_t last = n < 3 ? 0 : n - 3;

    if (last > stop)
        last = stop;
    for (;;) {
        while (q + 8 <= last) { /* 8 at a time: hits are rare */
            uint64_t hit = 0;

            for (size_t j = 0; j < 8; j++)
                hit |= quad_bits(m, buf + q + j);
            if (hit != 0)
                break;
            q += 8;
        }
        while (q < last && quad_bits(m, buf + q) == 0)
            q++;
        if (q >= stop)
            break;
        if (q >= last && m->n[buf[q]] == 0) {
            q++;
            continue;
        }
        size_t len = match_at(m, buf, n, q, final);
        if (len == 0) {
            q++;
            continue;
        }
        emit(o, buf + lit, q - lit);
        if (len == HOLD) {
            *ret_hold = true;
            return q;
        }
        emit(o, MASK_REPLACEMENT, REPL_LEN);
        q += len;
        lit = q;
    }
    emit(o, buf + lit, q - lit);
    return q;
}

/* Makes buf[0..len) the held bytes (buf may point into them) and zeroes
 * what is left of the old ones. */
static void set_held(struct mask *m, const unsigned char *buf, size_t len)
{
    assert(len <= HELD_MAX);
    if (len > 0)
        memmove(m->held, buf, len);
    if (m->held_len > len)
        explicit_bzero(m->held + len, m->held_len - len);
    m->held_len = len;
}

int mask_new(struct mask **ret)
{
    struct mask *m = calloc(1, sizeof *m);

    if (m == NULL)
        return -ENOMEM;
    *ret = m;
    return 0;
}

int mask_add(struct mask *m, const void *secret, size_t len)
{
    if (len < MASK_MIN_LEN || len > MASK_MAX_LEN)
        return -EINVAL;
    for (size_t i = 0; i < m->count; i++) {
        if (m->secrets[i].len == len &&
            memcmp(m->secrets[i].bytes, secret, len) == 0)
            return 0;
    }
    if (m->count == MASK_MAX_SECRETS)
        return -E2BIG;

    unsigned char *copy = malloc(len);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, secret, len);

    struct secret *s = &m->secrets[m->count++];
    s->bytes = copy;
    s->len = len;
    memcpy(&s->head, copy, 4);
    index_rebuild(m);
    return 0;
}

size_t mask_count(const struct mask *m)
{
    return m->count;
}

size_t mask_feed(struct mask *m, const void *in, size_t len, void *out,
                 size_t cap)
{
    const unsigned char *src = in;
    struct out o = {out, 0, cap};
    size_t h = m->held_len;
    size_t i = 0; /* where the scan goes on in src */
    bool hold;

    assert(len == 0 || in != NULL);
    assert(cap >= h + len);
    if (m->count == 0) {
        emit(&o, m->held, h);
        emit(&o, src, len);
        set_held(m, NULL, 0);
        return o.len;
    }

    if (h > 0) {
        /* Enough input behind the held bytes that every secret starting
         * in them is either whole in the stitch or cut by the real end. */
        size_t take = len < HELD_MAX ? len : HELD_MAX;
        size_t n = h + take;

        memcpy(m->stitch, m->held, h);
        if (take > 0)
            memcpy(m->stitch + h, src, take);
        size_t q = scan(m, m->stitch, n, 0, h, false, &o, &hold);
        if (hold) {
            assert(take == len); /* the stitch holds all of in */
            set_held(m, m->stitch + q, n - q);
            explicit_bzero(m->stitch, n);
            return o.len;
        }
        explicit_bzero(m->stitch, n);
        i = q - h;
    }

    size_t q = scan(m, src, len, i, len, false, &o, &hold);
    if (hold)
        set_held(m, src + q, len - q);
    else
        set_held(m, NULL, 0);
    return o.len;
}

size_t mask_flush(struct mask *m, void *out, size_t cap)
{
    struct out o = {out, 0, cap};
    size_t h = m->held_len;
    bool hold;

    assert(cap >= h);
    scan(m, m->held, h, 0, h, true, &o, &hold);
    set_held(m, NULL, 0);
    return o.len;
}

size_t mask_held_len(const struct mask *m)
{
    return m->held_len;
}

const void *mask_held(const struct mask *m, size_t *ret_len)
{
    if (ret_len != NULL)
        *ret_len = m->held_len;
    return m->held;
}

int mask_restore(struct mask *m, const void *buf, size_t len)
{
    if (len > HELD_MAX)
        return -EINVAL;
    set_held(m, buf, len);
    return 0;
}

void mask_free(struct mask *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->count; i++) {
        explicit_bzero(m->secrets[i].bytes, m->secrets[i].len);
        free(m->secrets[i].bytes);
    }
    explicit_bzero(m, sizeof *m);
    free(m);
}
