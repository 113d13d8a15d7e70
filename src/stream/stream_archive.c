/* stream_archive: the archive queue and its worker threads (contract in
 * stream_archive.h). */
#include "stream/stream_archive.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core_clock.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "stream/stream_severity.h"

#define BACKOFF_MIN_NS (1 * CORE_NS_PER_S)
#define BACKOFF_MAX_NS (300 * CORE_NS_PER_S)
#define WORKERS_MAX 16
#define WORKER_NICE 19

struct job {
    struct stream *s; /* referenced */
    uint64_t due_ns;  /* monotonic: not before */
    unsigned attempts;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t threads[WORKERS_MAX];
    unsigned nthreads;
    struct job *jobs;
    size_t count, cap;
    size_t in_flight;
    bool stop;
    struct archive *archive;
    uint64_t local_retention_ms;
    atomic_bool store_down; /* said once per outage */
} q = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct archive *stream_archive_store(void)
{
    pthread_mutex_lock(&q.lock);
    struct archive *a = q.nthreads > 0 ? q.archive : NULL;
    pthread_mutex_unlock(&q.lock);
    return a;
}

uint64_t stream_archive_queue_depth(void)
{
    pthread_mutex_lock(&q.lock);
    uint64_t n = q.count + q.in_flight;
    pthread_mutex_unlock(&q.lock);
    return n;
}

/* With q.lock held. Returns 0 or -ENOMEM. */
static int push(struct stream *s, uint64_t due_ns, unsigned attempts)
{
    if (q.count == q.cap) {
        size_t ncap = q.cap == 0 ? 64 : q.cap * 2;
        struct job *p = reallocarray(q.jobs, ncap, sizeof(*p));
        if (p == NULL)
            return -ENOMEM;
        q.jobs = p;
        q.cap = ncap;
    }
    q.jobs[q.count++] = (struct job){s, due_ns, attempts};
    pthread_cond_signal(&q.cond);
    return 0;
}

void stream_archive_enqueue(struct stream *s)
{
    if (!store_stream_is_dir(s->store) ||
        store_stream_state(s->store) != STORE_COMPLETE ||
        store_stream_archived_ms(s->store) != 0)
        return;
    pthread_mutex_lock(&q.lock);
    if (q.nthreads > 0 && !q.stop &&
        !atomic_exchange(&s->archive_queued, true)) {
        stream_ref(s);
        if (push(s, 0, 0) != 0) {
            atomic_store(&s->archive_queued, false);
            stream_unref(s);
            log_warning(LOGC_STORE, "a stream could not be queued for the "
                                    "archive (out of memory); it is queued "
                                    "again at the next start");
        }
    }
    pthread_mutex_unlock(&q.lock);
}

/* 1 s doubling to 5 min, times a random factor in [0.5, 1). */
static uint64_t backoff_ns(unsigned attempts)
{
    uint64_t ns = BACKOFF_MIN_NS;
    for (unsigned i = 1; i < attempts && ns < BACKOFF_MAX_NS; i++)
        ns *= 2;
    if (ns > BACKOFF_MAX_NS)
        ns = BACKOFF_MAX_NS;
    uint32_t r = 0;
    (void)gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r));
    return ns / 2 + (ns / 2) * (r >> 16) / 65536;
}

static void on_upload_id(void *cls, const char *id)
{
    struct stream *s = cls;
    int rc = store_stream_set_upload_id(s->store, id);
    if (rc != 0)
        log_warning(LOGC_STORE, "recording a multipart upload failed",
                    LF_I64("errno", -rc));
}

/* Uploads one stream. Returns 0 (archived, or nothing to do), -EAGAIN
 * and other negative errnos for a retry, -ESTALE when the stream went
 * away (deleted). */
static int upload(struct stream *s)
{
    struct store_stream *st = s->store;
    size_t nlen = 0;
    const char *name = store_stream_name(st, &nlen);
    if (store_stream_archived_ms(st) != 0)
        return 0;
    if (atomic_load(&s->deleted))
        return -ESTALE;
    char id[256];
    store_stream_upload_id(st, id, sizeof(id));
    if (id[0] != '\0') { /* cut short by a crash or a stop */
        int rc = archive_abort(q.archive, name, nlen, id);
        if (rc != 0)
            return rc;
        (void)store_stream_set_upload_id(st, NULL);
    }
    archive_throttle_wait(); /* the hash reads the whole log */
    uint64_t t0 = core_clock_mono_ns();
    struct archive_meta meta = {
        .size = store_stream_length(st),
        .has_sha256 = true,
        .created_ms = store_stream_created_ms(st),
        .completed_ms = store_stream_completed_ms(st),
    };
    int rc = store_stream_sha256(st, meta.size, meta.sha256);
    if (rc != 0)
        return rc == -ENOENT ? -ESTALE : rc;
    int fd = store_stream_open_reader(st);
    if (fd < 0)
        return fd == -ENOENT ? -ESTALE : fd;
    rc = archive_put(q.archive, name, nlen, fd, &meta, on_upload_id, s);
    close(fd);
    if (rc != 0)
        return rc;
    if (atomic_load(&s->deleted)) { /* deleted during the upload */
        (void)archive_delete(q.archive, name, nlen);
        return -ESTALE;
    }
    uint64_t now_ms = core_clock_real_ns() / CORE_NS_PER_MS;
    rc = store_stream_set_archived(st, now_ms);
    if (rc != 0)
        return rc; /* uploaded again next time: the same object */
    metrics_add(METRICS_ARCHIVED, 1);
    metrics_add(METRICS_ARCHIVED_BYTES, meta.size);
    log_info(
        LOGC_STORE, "stream archived", LF_STRN("name", name, nlen),
        LF_STR("action", "UPDATE"), LF_U64("bytes", meta.size),
        LF_U64("duration_ms", (core_clock_mono_ns() - t0) / CORE_NS_PER_MS));
    if (q.local_retention_ms == 0)
        (void)stream_archive_evict_due(s, now_ms);
    return 0;
}

static void note_outcome(struct stream *s, int rc, unsigned attempts,
                         uint64_t retry_ns)
{
    size_t nlen = 0;
    const char *name = store_stream_name(s->store, &nlen);
    if (rc == 0) {
        if (atomic_exchange(&q.store_down, false))
            log_info(LOGC_STORE, "the archive store is reachable again",
                     LF_STR("store", archive_describe(q.archive)));
        return;
    }
    metrics_add(METRICS_ARCHIVE_FAILURES, 1);
    if (rc == -EAGAIN) { /* the store is down or slow: once per outage */
        if (!atomic_exchange(&q.store_down, true))
            log_warning(LOGC_STORE,
                        "the archive store is unreachable; completed "
                        "streams stay local and are retried",
                        LF_STR("store", archive_describe(q.archive)));
        return;
    }
    log_warning(LOGC_STORE, "archiving a stream failed; it is retried",
                LF_STRN("name", name, nlen), LF_I64("errno", -rc),
                LF_U64("attempts", attempts),
                LF_U64("retry_in_ms", retry_ns / CORE_NS_PER_MS));
}

/* With q.lock held: the index of the job due first, or SIZE_MAX. */
static size_t first_due(void)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < q.count; i++)
        if (best == SIZE_MAX || q.jobs[i].due_ns < q.jobs[best].due_ns)
            best = i;
    return best;
}

/* Archiving is background work: below the listeners and the writers
 * (nice WORKER_NICE for this thread), and it pauses during ingest bursts
 * (archive_set_throttle). Not SCHED_IDLE: a starved worker holding q.lock
 * would starve the writer that completes a stream (priority inversion). */
static void lower_priority(void)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (setpriority(PRIO_PROCESS, (id_t)tid, WORKER_NICE) != 0)
        log_debug(LOGC_STORE, "the archive worker runs at normal priority",
                  LF_I64("errno", errno));
}

static void *worker_main(void *arg)
{
    (void)arg;
    lower_priority();
    pthread_mutex_lock(&q.lock);
    while (!q.stop) {
        size_t i = first_due();
        if (i == SIZE_MAX) {
            pthread_cond_wait(&q.cond, &q.lock);
            continue;
        }
        uint64_t now = core_clock_mono_ns();
        if (q.jobs[i].due_ns > now) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t wait = q.jobs[i].due_ns - now;
            uint64_t ns = (uint64_t)ts.tv_nsec + wait % CORE_NS_PER_S;
            ts.tv_sec += (time_t)(wait / CORE_NS_PER_S + ns / CORE_NS_PER_S);
            ts.tv_nsec = (long)(ns % CORE_NS_PER_S);
            pthread_cond_timedwait(&q.cond, &q.lock, &ts);
            continue;
        }
        struct job j = q.jobs[i];
        q.jobs[i] = q.jobs[--q.count];
        q.in_flight++;
        pthread_mutex_unlock(&q.lock);

        int rc = upload(j.s);
        uint64_t retry = backoff_ns(j.attempts + 1);
        if (rc != -ESTALE)
            note_outcome(j.s, rc, j.attempts + 1, retry);

        pthread_mutex_lock(&q.lock);
        q.in_flight--;
        if (rc == 0 || rc == -ESTALE || q.stop ||
            push(j.s, core_clock_mono_ns() + retry, j.attempts + 1) != 0) {
            atomic_store(&j.s->archive_queued, false);
            stream_unref(j.s);
        }
    }
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

int stream_archive_start(const struct stream_archive_config *cfg)
{
    archive_set_throttle(stream_ingest_busy);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q.cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_lock(&q.lock);
    q.archive = cfg->archive;
    q.local_retention_ms = cfg->local_retention_ms;
    q.stop = false;
    unsigned n = cfg->workers == 0            ? 1
                 : cfg->workers > WORKERS_MAX ? WORKERS_MAX
                                              : cfg->workers;
    int rc = 0;
    for (q.nthreads = 0; q.nthreads < n; q.nthreads++) {
        rc = -pthread_create(&q.threads[q.nthreads], NULL, worker_main, NULL);
        if (rc != 0)
            break;
    }
    pthread_mutex_unlock(&q.lock);
    if (rc != 0)
        stream_archive_stop();
    return rc;
}

void stream_archive_stop(void)
{
    pthread_mutex_lock(&q.lock);
    if (q.nthreads == 0) {
        pthread_mutex_unlock(&q.lock);
        return;
    }
    q.stop = true;
    pthread_cond_broadcast(&q.cond);
    archive_interrupt(); /* uploads in progress stop, done again later */
    unsigned n = q.nthreads;
    pthread_mutex_unlock(&q.lock);
    for (unsigned i = 0; i < n; i++)
        pthread_join(q.threads[i], NULL);
    pthread_mutex_lock(&q.lock);
    for (size_t i = 0; i < q.count; i++) {
        atomic_store(&q.jobs[i].s->archive_queued, false);
        stream_unref(q.jobs[i].s);
    }
    free(q.jobs);
    q.jobs = NULL;
    q.count = q.cap = 0;
    q.nthreads = 0;
    q.archive = NULL;
    pthread_mutex_unlock(&q.lock);
    pthread_cond_destroy(&q.cond);
}

bool stream_archive_evict_due(struct stream *s, uint64_t now_ms)
{
    uint64_t at = store_stream_archived_ms(s->store);
    if (at == 0 || store_stream_is_evicted(s->store) ||
        now_ms < at + q.local_retention_ms)
        return false;
    if (!stream_severity_caught_up(s)) {
        stream_severity_notify(s); /* the janitor tries again later */
        return false;
    }
    int rc = store_stream_evict(s->store);
    size_t nlen = 0;
    const char *name = store_stream_name(s->store, &nlen);
    if (rc != 0) {
        log_warning(LOGC_STORE,
                    "removing an archived stream's local copy "
                    "failed",
                    LF_STRN("name", name, nlen), LF_I64("errno", -rc));
        return false;
    }
    log_info(LOGC_STORE, "archived stream's local copy removed",
             LF_STRN("name", name, nlen), LF_STR("action", "DELETE"));
    return true;
}
