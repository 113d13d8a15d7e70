/* stream: a stored log plus who is waiting for its next bytes.
 *
 * A follower that has read everything committed "parks" here: the HTTP
 * layer suspends its connection and hands us a waiter whose wake function
 * resumes it. When the writer commits bytes or the state changes, parked
 * waiters are woken in one batch (one lock, one list splice, then the
 * wake calls outside the lock). Nothing polls or spins while idle.
 *
 * Wake batching: waking costs work per waiter, so wake rounds of one
 * stream are spaced by at least `parked * 20 us` (capped at 40 ms):
 * with 10 followers a commit wakes them within ~0.2 ms, with 1,000
 * within ~20 ms, and the server's wake work stays a bounded
 * fraction of a core however fast the writer commits. A round that falls
 * inside the window is handed to the waker thread (stream_waker.c) for
 * the end of the window. State changes (complete, interrupted, closing)
 * always wake at once.
 *
 * Memory: a waiter is embedded in the caller's per-request state; the
 * stream allocates nothing per follower.
 *
 * Thread-safety: every function is safe from any thread, except that the
 * writer functions (stream_append, stream_set_state) are for the single
 * writer of the stream. */
#ifndef LIVELOG_STREAM_H
#define LIVELOG_STREAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_stream.h"

struct stream_waiter;
struct severity_tally;
struct stream_mask;

/* Called under the stream's lock when a waiter parks (the HTTP layer
 * suspends the connection here, so a wake can never overtake it). */
typedef void (*stream_park_fn)(struct stream_waiter *w);
/* Called without any stream lock to wake a parked waiter (the HTTP layer
 * resumes the connection). The waiter may be freed as soon as it runs. */
typedef void (*stream_wake_fn)(struct stream_waiter *w);

struct stream_waiter {
    struct stream_waiter *prev, *next; /* owned by the stream while parked */
    stream_wake_fn wake;
    void *cls;            /* the caller's context (its request state) */
    uint64_t deadline_ns; /* monotonic; 0: none. Woken when it passes  */
    bool parked;          /* under the stream's lock                   */
};

struct stream {
    struct store_stream *store; /* owned */
    _Atomic unsigned int refs;  /* stream_ref / stream_unref; freed at 0 */
    atomic_bool writer;         /* a request is appending (one at most) */
    struct stream *hash_next;   /* the registry's hash chain           */
    bool resumable; /* an interrupted writer may come back (serve); the
                       drop-in's interrupted stream is final             */
    pthread_mutex_t lock;
    struct stream_waiter *parked_head; /* parked waiters                */
    size_t parked;                     /* how many                      */
    size_t with_deadline;              /* parked waiters with a deadline */
    uint64_t last_wake_ns;             /* start of the last wake round  */
    uint64_t wake_due_ns;      /* a deferred round is due then; 0: none      */
    bool closing;              /* the server is stopping: nobody may park    */
    struct stream *sched_next; /* waker's list of streams with work     */
    bool in_sched;
    /* A cache the read side may attach once the stream is final (the
     * whole answer of a small complete log); freed with the stream. */
    _Atomic(void *) read_cache;
    void (*read_cache_free)(void *cache);
    /* Masking state (stream_mask.h); NULL: unmasked. Set once, by the
     * writer (or recovery), published with release order; used by the
     * writer only, except the writer offset it holds. Freed with the
     * stream (the secrets are zeroed). */
    _Atomic(struct stream_mask *) mask;
    /* The severity tally of the stored lines (stream_severity.h): kept
     * or not, queued for the severity worker, and the lock that orders
     * the worker's and the stats route's reads. */
    struct severity_tally *tally;
    atomic_bool tally_on;
    atomic_bool tally_queued;
    atomic_bool archive_queued; /* in stream_archive's queue */
    atomic_bool deleted;        /* DELETE or retention removed its files */
    pthread_mutex_t tally_lock;
};

/* True while all writers together append faster than STREAM_BUSY_BYTES_PER_S
 * (a burst; ordinary CI output is far below), measured over windows of
 * STREAM_BUSY_WINDOW_MS from the bytes-received counter of /metrics (a
 * verdict lasts until the next window ends). Background work (the
 * severity worker, archive uploads) waits while it is true. Any thread. */
#define STREAM_BUSY_BYTES_PER_S (64u * 1024 * 1024)
#define STREAM_BUSY_WINDOW_MS 50
bool stream_ingest_busy(void);

/* Takes ownership of `store`. The new stream holds one reference (the
 * caller's). Returns 0 or -ENOMEM; *ret set on success. */
int stream_create(struct store_stream *store, bool resumable,
                  struct stream **ret);

/* Reference counting: every request, response and the registry that use
 * a stream hold a reference; the last unref frees it and its store.
 * NULL: no-op. No waiter may be parked when the last reference goes. */
void stream_ref(struct stream *s);
void stream_unref(struct stream *s);

/* Frees at once, whatever the count (single-owner use, the drop-in). */
void stream_free(struct stream *s);

/* Claims the single writer slot; false when another writer holds it. */
bool stream_claim_writer(struct stream *s);
void stream_release_writer(struct stream *s);
bool stream_has_writer(struct stream *s);

/* Writer: appends and commits bytes, then wakes (or schedules a wake of)
 * the parked followers. Returns 0 or the store's negative errno. */
int stream_append(struct stream *s, const void *buf, size_t len);

/* Writer: changes the state and wakes every parked follower at once.
 * Returns 0 or the negative errno of the meta write (logged as a
 * WARNING; a completion that could not be recorded is not made,
 * store_stream_set_state). */
int stream_set_state(struct stream *s, enum store_state st);

/* True when no more bytes can ever arrive: complete, or interrupted on a
 * stream whose writer cannot resume. */
bool stream_is_final(const struct stream *s);

/* Parks w unless something changed since the caller looked: the committed
 * length is past `seen_len`, the state differs from `seen_state`, or the
 * stream is closing. When it parks, park_fn(w) runs under the lock and
 * the function returns true; otherwise it returns false and the caller
 * looks again. */
bool stream_park(struct stream *s, struct stream_waiter *w, uint64_t seen_len,
                 enum store_state seen_state, stream_park_fn park_fn);

/* Removes w if it is parked (a request that ends while parked). */
void stream_unpark(struct stream *s, struct stream_waiter *w);

/* Wakes every parked waiter now (idle probes). */
void stream_wake_all(struct stream *s);

/* Marks the stream closing and wakes everyone; later parks fail. */
void stream_close(struct stream *s);

bool stream_is_closing(struct stream *s);

/* Wakes parked waiters whose deadline has passed; returns the earliest
 * deadline still pending (0: none). Called by the waker thread. */
uint64_t stream_expire_deadlines(struct stream *s, uint64_t now_ns);

/* Runs a deferred wake round if it is due; returns when the next one is
 * due (0: none). Called by the waker thread. */
uint64_t stream_run_due_wake(struct stream *s, uint64_t now_ns);

#endif
