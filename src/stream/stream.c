/* stream: parked followers of one stored log and the batched wakes that
 * resume them (contract in stream.h). Called from the HTTP threads (park,
 * unpark), the writer's thread (append, set_state) and the waker thread
 * (deferred rounds, deadlines, probes). */
#include "stream/stream.h"

#include <errno.h>
#include <stdlib.h>

#include "core/core_clock.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "stream/stream_archive.h"
#include "stream/stream_mask.h"
#include "stream/stream_severity.h"
#include "stream/stream_waker.h"

/* Spacing of wake rounds per parked waiter, and its cap (stream.h). */
#define WAKE_NS_PER_WAITER UINT64_C(20000)       /* 20 us  */
#define WAKE_WINDOW_MAX_NS (40 * CORE_NS_PER_MS) /* 40 ms */

bool stream_ingest_busy(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t sample_ns, sample_bytes;
    static bool busy;
    pthread_mutex_lock(&lock);
    uint64_t now = core_clock_mono_ns();
    uint64_t window = now - sample_ns;
    if (window >= STREAM_BUSY_WINDOW_MS * CORE_NS_PER_MS) {
        uint64_t n = metrics_counter(METRICS_BYTES_RECEIVED);
        busy = (n - sample_bytes) * 1000 / (window / CORE_NS_PER_MS) >=
               STREAM_BUSY_BYTES_PER_S;
        sample_ns = now;
        sample_bytes = n;
    }
    bool b = busy;
    pthread_mutex_unlock(&lock);
    return b;
}

int stream_create(struct store_stream *store, bool resumable,
                  struct stream **ret)
{
    struct stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return -ENOMEM;
    }
    if (pthread_mutex_init(&s->tally_lock, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return -ENOMEM;
    }
    s->store = store;
    s->resumable = resumable;
    atomic_init(&s->refs, 1);
    atomic_init(&s->writer, false);
    *ret = s;
    return 0;
}

void stream_ref(struct stream *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void stream_unref(struct stream *s)
{
    if (s == NULL)
        return;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        stream_free(s);
}

bool stream_claim_writer(struct stream *s)
{
    bool expected = false;
    return atomic_compare_exchange_strong(&s->writer, &expected, true);
}

void stream_release_writer(struct stream *s)
{
    atomic_store(&s->writer, false);
}

bool stream_has_writer(struct stream *s)
{
    return atomic_load(&s->writer);
}

void stream_free(struct stream *s)
{
    if (s == NULL)
        return;
    stream_waker_forget(s);
    void *cache = atomic_load(&s->read_cache);
    if (cache != NULL && s->read_cache_free != NULL)
        s->read_cache_free(cache);
    stream_mask_free(atomic_load(&s->mask));
    stream_severity_free(s);
    store_stream_free(s->store);
    pthread_mutex_destroy(&s->tally_lock);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static void list_remove(struct stream *s, struct stream_waiter *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        s->parked_head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    w->prev = NULL;
    w->next = NULL;
    w->parked = false;
    s->parked--;
    if (w->deadline_ns != 0)
        s->with_deadline--;
}

/* Detaches every parked waiter (under the lock) and returns the list. */
static struct stream_waiter *take_all(struct stream *s, uint64_t now_ns)
{
    struct stream_waiter *head = s->parked_head;
    for (struct stream_waiter *w = head; w != NULL; w = w->next)
        w->parked = false;
    s->parked_head = NULL;
    s->parked = 0;
    s->with_deadline = 0;
    s->last_wake_ns = now_ns;
    s->wake_due_ns = 0;
    return head;
}

/* Wakes a detached list, outside the lock. A waiter may be freed by its
 * wake function, so the next pointer is read first. */
static void wake_list(struct stream_waiter *w)
{
    while (w != NULL) {
        struct stream_waiter *next = w->next;
        w->next = NULL;
        w->prev = NULL;
        w->wake(w);
        w = next;
    }
}

static uint64_t wake_window(size_t parked)
{
    uint64_t ns = (uint64_t)parked * WAKE_NS_PER_WAITER;
    return ns < WAKE_WINDOW_MAX_NS ? ns : WAKE_WINDOW_MAX_NS;
}

/* A commit happened: wake now, or defer to the end of the window. */
static void notify_commit(struct stream *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->parked_head == NULL) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    uint64_t now = core_clock_mono_ns();
    uint64_t due = s->last_wake_ns + wake_window(s->parked);
    if (now >= due) {
        struct stream_waiter *list = take_all(s, now);
        pthread_mutex_unlock(&s->lock);
        wake_list(list);
        return;
    }
    bool schedule = s->wake_due_ns == 0;
    if (schedule)
        s->wake_due_ns = due;
    pthread_mutex_unlock(&s->lock);
    if (schedule)
        stream_waker_schedule(s);
}

int stream_append(struct stream *s, const void *buf, size_t len)
{
    int rc = store_stream_append(s->store, buf, len);
    if (rc != 0)
        return rc;
    stream_severity_notify(s);
    notify_commit(s);
    return 0;
}

void stream_wake_all(struct stream *s)
{
    pthread_mutex_lock(&s->lock);
    struct stream_waiter *list = take_all(s, core_clock_mono_ns());
    pthread_mutex_unlock(&s->lock);
    wake_list(list);
}

int stream_set_state(struct stream *s, enum store_state st)
{
    int rc = store_stream_set_state(s->store, st);
    if (rc != 0) {
        size_t len = 0;
        const char *name = store_stream_name(s->store, &len);
        log_warning(LOGC_STORE, "writing the stream's metadata failed",
                    LF_STRN("name", name, len),
                    LF_STR("state", store_stream_state_name(st)),
                    LF_I64("errno", -rc));
    }
    if (st == STORE_COMPLETE && rc == 0) {
        stream_severity_notify(s); /* the tally ends the last line */
        stream_archive_enqueue(s);
    }
    stream_wake_all(s);
    return rc;
}

bool stream_is_final(const struct stream *s)
{
    enum store_state st = store_stream_state(s->store);
    if (st == STORE_COMPLETE)
        return true;
    return st == STORE_INTERRUPTED && !s->resumable;
}

bool stream_park(struct stream *s, struct stream_waiter *w, uint64_t seen_len,
                 enum store_state seen_state, stream_park_fn park_fn)
{
    pthread_mutex_lock(&s->lock);
    bool changed = s->closing || store_stream_length(s->store) != seen_len ||
                   store_stream_state(s->store) != seen_state;
    if (changed) {
        pthread_mutex_unlock(&s->lock);
        return false;
    }
    park_fn(w);
    w->prev = NULL;
    w->next = s->parked_head;
    if (s->parked_head != NULL)
        s->parked_head->prev = w;
    s->parked_head = w;
    w->parked = true;
    s->parked++;
    uint64_t deadline = w->deadline_ns;
    if (deadline != 0)
        s->with_deadline++;
    pthread_mutex_unlock(&s->lock);
    if (deadline != 0)
        stream_waker_schedule(s);
    return true;
}

void stream_unpark(struct stream *s, struct stream_waiter *w)
{
    pthread_mutex_lock(&s->lock);
    if (w->parked)
        list_remove(s, w);
    pthread_mutex_unlock(&s->lock);
}

void stream_close(struct stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    struct stream_waiter *list = take_all(s, core_clock_mono_ns());
    pthread_mutex_unlock(&s->lock);
    wake_list(list);
}

bool stream_is_closing(struct stream *s)
{
    pthread_mutex_lock(&s->lock);
    bool closing = s->closing;
    pthread_mutex_unlock(&s->lock);
    return closing;
}

uint64_t stream_expire_deadlines(struct stream *s, uint64_t now_ns)
{
    struct stream_waiter *expired = NULL;
    uint64_t next = 0;

    pthread_mutex_lock(&s->lock);
    if (s->with_deadline > 0) {
        struct stream_waiter *w = s->parked_head;
        while (w != NULL) {
            struct stream_waiter *n = w->next;
            if (w->deadline_ns != 0 && w->deadline_ns <= now_ns) {
                list_remove(s, w);
                w->next = expired;
                expired = w;
            } else if (w->deadline_ns != 0 &&
                       (next == 0 || w->deadline_ns < next)) {
                next = w->deadline_ns;
            }
            w = n;
        }
    }
    pthread_mutex_unlock(&s->lock);
    wake_list(expired);
    return next;
}

uint64_t stream_run_due_wake(struct stream *s, uint64_t now_ns)
{
    pthread_mutex_lock(&s->lock);
    uint64_t due = s->wake_due_ns;
    if (due == 0 || due > now_ns) {
        pthread_mutex_unlock(&s->lock);
        return due;
    }
    struct stream_waiter *list = take_all(s, now_ns);
    pthread_mutex_unlock(&s->lock);
    wake_list(list);
    return 0;
}
