/* stream_severity: a stream's severity tally, filled from the data file
 * by the lowest-priority worker and by snapshots (contract in
 * stream_severity.h). */
#include "stream/stream_severity.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_clock.h"
#include "log/log.h"
#include "stream/stream_archive.h"

#define CHUNK (256 * 1024) /* bytes read and classified at a time */

/* The worker: a queue of streams with unclassified bytes, each holding a
 * reference and queued at most once (s->tally_queued). */
static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct stream **queue;
    size_t head, count, cap;
    bool running, stop;
    char *buf; /* CHUNK bytes, the worker's only */
} worker = {.lock = PTHREAD_MUTEX_INITIALIZER}; /* cond: in start */

int stream_severity_enable(struct stream *s, bool recovered)
{
    struct severity_tally *t = NULL;
    int rc = severity_tally_new(&t);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&s->tally_lock);
    s->tally = t;
    atomic_store(&s->tally_on, true);
    pthread_mutex_unlock(&s->tally_lock);
    (void)recovered; /* its stored bytes wait for an append or a snapshot */
    return 0;
}

/* Under the tally lock: classifies committed bytes the tally has not seen,
 * at most `budget` of them (UINT64_MAX: all), with buf (CHUNK bytes).
 * Completes the tally once a complete stream is read to its end. Returns
 * 1 when bytes remain, 0 when caught up, or a negative errno. */
static int catch_up(struct stream *s, char *buf, uint64_t budget)
{
    struct severity_counts c;
    severity_tally_counts(s->tally, &c);
    uint64_t off = c.bytes;
    /* The state first: a complete state seen here means the length read
     * next is final (both are release-published, bytes first). */
    enum store_state st = store_stream_state(s->store);
    uint64_t len = store_stream_length(s->store);
    while (off < len && budget > 0) {
        size_t want = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
        ssize_t n = store_stream_read(s->store, off, buf, want);
        if (n == -ENODATA) { /* archived and evicted: read the store */
            struct archive *a = stream_archive_store();
            size_t nlen = 0;
            const char *name = store_stream_name(s->store, &nlen);
            n = a != NULL ? archive_read(a, name, nlen, off, buf, want)
                          : -ENODATA;
        }
        if (n == -ESPIPE) { /* the elided middle of a keep-tail log */
            uint64_t end = store_stream_elided_end(s->store);
            severity_tally_skip(s->tally, end - off);
            off = end;
            continue;
        }
        if (n <= 0)
            return n < 0 ? (int)n : -EIO;
        (void)severity_tally_feed(s->tally, buf, (size_t)n);
        off += (uint64_t)n;
        budget = (uint64_t)n < budget ? budget - (uint64_t)n : 0;
    }
    if (off < len)
        return 1;
    if (st == STORE_COMPLETE)
        severity_tally_finish(s->tally);
    return 0;
}

static void enqueue(struct stream *s)
{
    pthread_mutex_lock(&worker.lock);
    if (!worker.running || worker.stop) {
        pthread_mutex_unlock(&worker.lock);
        atomic_store(&s->tally_queued, false); /* snapshots catch up */
        return;
    }
    if (worker.count == worker.cap) {
        size_t ncap = worker.cap == 0 ? 64 : worker.cap * 2;
        struct stream **q = calloc(ncap, sizeof(*q));
        if (q == NULL) {
            pthread_mutex_unlock(&worker.lock);
            atomic_store(&s->tally_queued, false);
            return;
        }
        for (size_t i = 0; i < worker.count; i++)
            q[i] = worker.queue[(worker.head + i) % worker.cap];
        free(worker.queue);
        worker.queue = q;
        worker.head = 0;
        worker.cap = ncap;
    }
    stream_ref(s);
    worker.queue[(worker.head + worker.count) % worker.cap] = s;
    worker.count++;
    pthread_cond_signal(&worker.cond);
    pthread_mutex_unlock(&worker.lock);
}

void stream_severity_notify(struct stream *s)
{
    if (!atomic_load_explicit(&s->tally_on, memory_order_relaxed))
        return;
    if (!atomic_exchange(&s->tally_queued, true))
        enqueue(s);
}

/* With worker.lock held: waits in steps of STREAM_BUSY_WINDOW_MS while
 * stream_ingest_busy() (or until asked to stop), so that classifying
 * takes nothing from a burst of ingest; the worker catches up when the
 * burst ends, and a snapshot never waits for it. */
static void wait_for_a_lull(void)
{
    while (!worker.stop && stream_ingest_busy()) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns =
            (uint64_t)ts.tv_nsec + STREAM_BUSY_WINDOW_MS * CORE_NS_PER_MS;
        ts.tv_sec += (time_t)(ns / CORE_NS_PER_S);
        ts.tv_nsec = (long)(ns % CORE_NS_PER_S);
        pthread_cond_timedwait(&worker.cond, &worker.lock, &ts);
    }
}

static void *worker_main(void *arg)
{
    (void)arg;
    /* Below everything else (nice 19), but not SCHED_IDLE: a thread that
     * may hold worker.lock or a tally lock must not be starved, or the
     * writers waiting for that lock would be (priority inversion). */
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (setpriority(PRIO_PROCESS, (id_t)tid, 19) != 0)
        log_debug(LOGC_STREAM, "the severity worker runs at normal priority");
    pthread_mutex_lock(&worker.lock);
    for (;;) {
        while (worker.count == 0 && !worker.stop)
            pthread_cond_wait(&worker.cond, &worker.lock);
        if (!worker.stop)
            wait_for_a_lull();
        if (worker.stop)
            break;
        struct stream *s = worker.queue[worker.head];
        worker.head = (worker.head + 1) % worker.cap;
        worker.count--;
        pthread_mutex_unlock(&worker.lock);

        /* Cleared before reading, so that bytes appended meanwhile
         * queue the stream again. */
        atomic_store(&s->tally_queued, false);
        pthread_mutex_lock(&s->tally_lock);
        int rc = catch_up(s, worker.buf, 16 * CHUNK);
        pthread_mutex_unlock(&s->tally_lock);
        if (rc == 1) /* more to do: behind the others in the queue */
            stream_severity_notify(s);
        else if (rc == 0) /* an archived stream may now leave the disk */
            (void)stream_archive_evict_due(s, core_clock_real_ns() /
                                                  CORE_NS_PER_MS);
        else if (rc < 0)
            log_debug(LOGC_STREAM, "classifying a stream's lines failed",
                      LF_I64("errno", -rc));
        stream_unref(s);
        pthread_mutex_lock(&worker.lock);
    }
    pthread_mutex_unlock(&worker.lock);
    return NULL;
}

int stream_severity_start(void)
{
    worker.buf = malloc(CHUNK);
    if (worker.buf == NULL)
        return -ENOMEM;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* wait_for_a_lull */
    pthread_cond_init(&worker.cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_lock(&worker.lock);
    worker.stop = false;
    worker.running = true;
    pthread_mutex_unlock(&worker.lock);
    int rc = pthread_create(&worker.thread, NULL, worker_main, NULL);
    if (rc != 0) {
        worker.running = false;
        free(worker.buf);
        worker.buf = NULL;
        pthread_cond_destroy(&worker.cond);
        return -rc;
    }
    return 0;
}

void stream_severity_stop(void)
{
    pthread_mutex_lock(&worker.lock);
    if (!worker.running) {
        pthread_mutex_unlock(&worker.lock);
        return;
    }
    worker.stop = true;
    pthread_cond_signal(&worker.cond);
    pthread_mutex_unlock(&worker.lock);
    pthread_join(worker.thread, NULL);
    pthread_mutex_lock(&worker.lock);
    while (worker.count > 0) {
        struct stream *s = worker.queue[worker.head];
        worker.head = (worker.head + 1) % worker.cap;
        worker.count--;
        atomic_store(&s->tally_queued, false);
        stream_unref(s);
    }
    free(worker.queue);
    worker.queue = NULL;
    worker.head = worker.cap = 0;
    worker.running = false;
    pthread_mutex_unlock(&worker.lock);
    free(worker.buf);
    worker.buf = NULL;
    pthread_cond_destroy(&worker.cond);
}

int stream_severity_snapshot(struct stream *s, struct severity_counts *ret,
                             struct severity_hit *hits, size_t cap,
                             size_t *ret_n, size_t *ret_total)
{
    if (!atomic_load(&s->tally_on))
        return -ENOENT;
    char *buf = malloc(CHUNK);
    if (buf == NULL)
        return -ENOMEM;
    pthread_mutex_lock(&s->tally_lock);
    int rc = catch_up(s, buf, UINT64_MAX);
    if (rc == 0) {
        severity_tally_counts(s->tally, ret);
        *ret_total = severity_tally_nhits(s->tally);
        *ret_n = severity_tally_hits(s->tally, 0, hits, cap);
    }
    pthread_mutex_unlock(&s->tally_lock);
    free(buf);
    return rc;
}

bool stream_severity_caught_up(struct stream *s)
{
    if (!atomic_load(&s->tally_on))
        return true;
    struct severity_counts c;
    pthread_mutex_lock(&s->tally_lock);
    severity_tally_counts(s->tally, &c);
    pthread_mutex_unlock(&s->tally_lock);
    return c.bytes >= store_stream_length(s->store);
}

void stream_severity_free(struct stream *s)
{
    severity_tally_free(s->tally);
    s->tally = NULL;
    atomic_store(&s->tally_on, false);
}
