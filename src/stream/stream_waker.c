/* stream_waker: the engine's background thread (contract in
 * stream_waker.h). It sleeps on a condition variable until the earliest
 * scheduled time: the end of a wake-batching window, a waiter's deadline
 * or the next idle probe. */
#include "stream/stream_waker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/core_clock.h"
#include "log/log.h"
#include "stream/stream.h"

/* Every registered stream is in a growable array (the drop-in has one,
 * the service thousands); streams with a due time form a list threaded
 * through struct stream. */
#define MAX_TRACKED (1u << 20)

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started;
    bool stopping;
    uint64_t probe_interval_ns;
    uint64_t next_probe_ns;
    struct stream *sched_head;  /* streams with a due time          */
    struct stream **registered; /* every stream, for idle probes    */
    size_t nregistered;
    size_t capregistered;
} W = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

static void sched_remove(struct stream *s)
{
    struct stream **pp = &W.sched_head;
    while (*pp != NULL && *pp != s)
        pp = &(*pp)->sched_next;
    if (*pp == s)
        *pp = s->sched_next;
    s->sched_next = NULL;
    s->in_sched = false;
}

static uint64_t min_due(uint64_t a, uint64_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return a < b ? a : b;
}

/* One pass over the scheduled streams; returns the next due time. */
static uint64_t run_schedule(uint64_t now)
{
    uint64_t next = 0;
    struct stream **pp = &W.sched_head;
    while (*pp != NULL) {
        struct stream *s = *pp;
        uint64_t due = stream_run_due_wake(s, now);
        due = min_due(due, stream_expire_deadlines(s, now));
        if (due == 0) {
            *pp = s->sched_next;
            s->sched_next = NULL;
            s->in_sched = false;
            continue;
        }
        next = min_due(next, due);
        pp = &s->sched_next;
    }
    return next;
}

static _Atomic uint64_t probe_rounds;

uint64_t stream_waker_probe_round(void)
{
    return atomic_load_explicit(&probe_rounds, memory_order_acquire);
}

static void run_probe(uint64_t now)
{
    atomic_fetch_add_explicit(&probe_rounds, 1, memory_order_release);
    for (size_t i = 0; i < W.nregistered; i++)
        stream_wake_all(W.registered[i]);
    W.next_probe_ns = now + W.probe_interval_ns;
}

static void *waker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.lock);
    while (!W.stopping) {
        uint64_t now = core_clock_mono_ns();
        uint64_t next = run_schedule(now);
        if (W.probe_interval_ns != 0) {
            if (now >= W.next_probe_ns)
                run_probe(now);
            next = min_due(next, W.next_probe_ns);
        }
        if (W.stopping)
            break;
        if (next == 0) {
            pthread_cond_wait(&W.cond, &W.lock);
            continue;
        }
        now = core_clock_mono_ns();
        if (next <= now)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t wait = next - now;
        uint64_t ns = (uint64_t)ts.tv_nsec + wait % CORE_NS_PER_S;
        ts.tv_sec += (time_t)(wait / CORE_NS_PER_S + ns / CORE_NS_PER_S);
        ts.tv_nsec = (long)(ns % CORE_NS_PER_S);
        pthread_cond_timedwait(&W.cond, &W.lock, &ts);
    }
    pthread_mutex_unlock(&W.lock);
    return NULL;
}

int stream_waker_start(uint64_t probe_interval_ns)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -ENOMEM;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&W.cond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -rc;
    W.probe_interval_ns = probe_interval_ns;
    W.next_probe_ns = core_clock_mono_ns() + probe_interval_ns;
    W.stopping = false;
    rc = pthread_create(&W.thread, NULL, waker_main, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&W.cond);
        return -rc;
    }
    W.started = true;
    return 0;
}

void stream_waker_stop(void)
{
    if (!W.started)
        return;
    pthread_mutex_lock(&W.lock);
    W.stopping = true;
    pthread_cond_signal(&W.cond);
    pthread_mutex_unlock(&W.lock);
    pthread_join(W.thread, NULL);
    pthread_cond_destroy(&W.cond);
    W.started = false;
}

void stream_waker_register(struct stream *s)
{
    pthread_mutex_lock(&W.lock);
    if (W.nregistered == W.capregistered && W.capregistered < MAX_TRACKED) {
        size_t cap = W.capregistered == 0 ? 16 : W.capregistered * 2;
        struct stream **p = reallocarray(W.registered, cap, sizeof(*p));
        if (p != NULL) {
            W.registered = p;
            W.capregistered = cap;
        }
    }
    if (W.nregistered < W.capregistered)
        W.registered[W.nregistered++] = s;
    else
        log_warning(LOGC_STREAM, "stream not registered for idle probes",
                    LF_U64("registered", W.nregistered));
    pthread_mutex_unlock(&W.lock);
}

void stream_waker_forget(struct stream *s)
{
    pthread_mutex_lock(&W.lock);
    for (size_t i = 0; i < W.nregistered; i++) {
        if (W.registered[i] == s) {
            W.registered[i] = W.registered[--W.nregistered];
            break;
        }
    }
    if (W.nregistered == 0) {
        free(W.registered);
        W.registered = NULL;
        W.capregistered = 0;
    }
    if (s->in_sched)
        sched_remove(s);
    pthread_mutex_unlock(&W.lock);
}

void stream_waker_schedule(struct stream *s)
{
    pthread_mutex_lock(&W.lock);
    if (!s->in_sched) {
        s->in_sched = true;
        s->sched_next = W.sched_head;
        W.sched_head = s;
    }
    pthread_cond_signal(&W.cond);
    pthread_mutex_unlock(&W.lock);
}
