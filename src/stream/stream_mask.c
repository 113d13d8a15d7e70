/* stream_mask: a stream's masking state, its two offsets and its wire
 * record (contract in stream_mask.h). Called on the write listener's
 * thread (the stream's single writer) and by the registry at recovery;
 * stream_writer_offset and stream_is_masked from any thread. */
#include "stream/stream_mask.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mask/mask.h"
#include "store/store_wire.h"

_Static_assert(MASK_MAX_LEN - 1 == STORE_WIRE_HELD_MAX,
               "a wire record holds every byte a mask may hold");

#define OUT_MIN 4096 /* the output buffer's first size */

struct stream_mask {
    struct mask *mask;       /* secrets and held bytes; NULL once complete */
    _Atomic uint64_t in_len; /* the writer offset                          */
    bool recorded;           /* a wire record of rec_in/rec_out is on disk */
    uint64_t rec_in;         /* the writer offset it records               */
    uint64_t rec_out;        /* the stored length it records               */
    unsigned char *out;      /* output of mask_feed/flush, grown as needed */
    size_t out_cap;
    unsigned char snap[STORE_WIRE_HELD_MAX]; /* held bytes before a feed */
};

static struct stream_mask *state(const struct stream *s)
{
    return atomic_load_explicit(&s->mask, memory_order_acquire);
}

/* Creates the state of s (no secrets): from the store's wire record when
 * there is one, else at the stored length with nothing held. Publishes it
 * in s->mask. Returns 0 or -ENOMEM. */
static int create_state(struct stream *s, struct stream_mask **ret)
{
    struct stream_mask *sm = calloc(1, sizeof(*sm));
    if (sm == NULL)
        return -ENOMEM;
    if (mask_new(&sm->mask) != 0) {
        free(sm);
        return -ENOMEM;
    }
    struct store_wire w;
    uint64_t in = store_stream_length(s->store);
    if (store_stream_wire(s->store, &w)) {
        in = w.in_len;
        /* Can't fail: held_len <= STORE_WIRE_HELD_MAX (parsed so). */
        mask_restore(sm->mask, w.held, w.held_len);
        sm->recorded = true;
        sm->rec_in = w.in_len;
        sm->rec_out = w.out_len;
        explicit_bzero(w.held, w.held_len);
    }
    atomic_init(&sm->in_len, in);
    atomic_store_explicit(&s->mask, sm, memory_order_release);
    *ret = sm;
    return 0;
}

/* Makes the output buffer hold at least need bytes. Returns 0 or
 * -ENOMEM (the old buffer stays). */
static int reserve(struct stream_mask *sm, size_t need)
{
    if (need <= sm->out_cap)
        return 0;
    size_t cap = sm->out_cap < OUT_MIN ? OUT_MIN : sm->out_cap;
    while (cap < need)
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
    unsigned char *p = malloc(cap);
    if (p == NULL)
        return -ENOMEM;
    free(sm->out);
    sm->out = p;
    sm->out_cap = cap;
    return 0;
}

/* Persists the writer offset, the stored length and the held bytes in
 * the store's wire record, unless that record says the same already (the
 * held bytes only change with one of the two offsets). Temporary streams
 * keep none. Returns 0 or a negative errno. */
static int write_record(struct stream *s, struct stream_mask *sm)
{
    if (!store_stream_is_dir(s->store))
        return 0;
    uint64_t in = atomic_load_explicit(&sm->in_len, memory_order_relaxed);
    uint64_t out = store_stream_length(s->store);
    if (sm->recorded && sm->rec_in == in && sm->rec_out == out)
        return 0;
    struct store_wire w;
    w.in_len = in;
    w.out_len = out;
    w.held_len = 0;
    if (sm->mask != NULL) {
        const void *held = mask_held(sm->mask, &w.held_len);
        memcpy(w.held, held, w.held_len);
    }
    int rc = store_stream_write_wire(s->store, &w);
    explicit_bzero(w.held, w.held_len);
    if (rc != 0)
        return rc;
    sm->recorded = true;
    sm->rec_in = in;
    sm->rec_out = out;
    return 0;
}

int stream_mask_add(struct stream *s, const void *secret, size_t len)
{
    if (len < MASK_MIN_LEN || len > MASK_MAX_LEN)
        return -EINVAL;
    struct stream_mask *sm = state(s);
    if (sm == NULL) {
        int rc = create_state(s, &sm);
        if (rc != 0)
            return rc;
    }
    if (sm->mask == NULL && mask_new(&sm->mask) != 0)
        return -ENOMEM; /* complete before: nothing is held */
    return mask_add(sm->mask, secret, len);
}

bool stream_is_masked(const struct stream *s)
{
    return state(s) != NULL;
}

int stream_mask_append(struct stream *s, const void *buf, size_t len)
{
    struct stream_mask *sm = state(s);
    if (sm == NULL)
        return stream_append(s, buf, len);
    if (len == 0)
        return 0;
    /* The first masked byte stored needs a record to cut back to. */
    int rc = sm->recorded ? 0 : write_record(s, sm);
    if (rc != 0)
        return rc;
    uint64_t in = atomic_load_explicit(&sm->in_len, memory_order_relaxed);
    if (sm->mask == NULL) {
        rc = stream_append(s, buf, len); /* complete already; no secrets */
    } else {
        size_t held = mask_held_len(sm->mask);
        if (len > SIZE_MAX - held)
            return -ENOMEM;
        rc = reserve(sm, held + len);
        if (rc != 0)
            return rc;
        memcpy(sm->snap, mask_held(sm->mask, NULL), held);
        size_t n = mask_feed(sm->mask, buf, len, sm->out, sm->out_cap);
        rc = n > 0 ? stream_append(s, sm->out, n) : 0;
        if (rc != 0)
            mask_restore(sm->mask, sm->snap, held); /* can't fail */
    }
    if (rc != 0)
        return rc;
    atomic_store_explicit(&sm->in_len, in + len, memory_order_release);
    return 0;
}

int stream_mask_end(struct stream *s, bool complete)
{
    struct stream_mask *sm = state(s);
    if (sm == NULL)
        return 0;
    size_t held = sm->mask != NULL ? mask_held_len(sm->mask) : 0;
    if (complete && held > 0) {
        int rc = reserve(sm, held);
        if (rc != 0)
            return rc;
        memcpy(sm->snap, mask_held(sm->mask, NULL), held);
        size_t n = mask_flush(sm->mask, sm->out, sm->out_cap);
        rc = n > 0 ? stream_append(s, sm->out, n) : 0;
        if (rc != 0) {
            mask_restore(sm->mask, sm->snap, held); /* can't fail */
            return rc;
        }
    }
    int rc = write_record(s, sm);
    if (rc != 0)
        return rc;
    if (complete) {
        /* No more input: the secrets and buffers go, the offset stays. */
        mask_free(sm->mask);
        sm->mask = NULL;
        free(sm->out);
        sm->out = NULL;
        sm->out_cap = 0;
        explicit_bzero(sm->snap, sizeof(sm->snap));
    }
    return 0;
}

uint64_t stream_writer_offset(const struct stream *s)
{
    struct stream_mask *sm = state(s);
    if (sm == NULL)
        return store_stream_length(s->store);
    return atomic_load_explicit(&sm->in_len, memory_order_acquire);
}

size_t stream_mask_held(const struct stream *s)
{
    struct stream_mask *sm = state(s);
    return sm != NULL && sm->mask != NULL ? mask_held_len(sm->mask) : 0;
}

int stream_mask_recover(struct stream *s)
{
    struct store_wire w;
    if (state(s) != NULL || !store_stream_wire(s->store, &w))
        return 0;
    explicit_bzero(w.held, w.held_len);
    struct stream_mask *sm = NULL;
    return create_state(s, &sm);
}

void stream_mask_free(struct stream_mask *m)
{
    if (m == NULL)
        return;
    mask_free(m->mask);
    free(m->out); /* masked output only: what the data file holds */
    explicit_bzero(m->snap, sizeof(m->snap));
    free(m);
}
