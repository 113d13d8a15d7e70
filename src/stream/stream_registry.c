/* stream_registry: the table of streams of `livelog serve` (contract in
 * stream_registry.h). Lookups take the read lock; creation, deletion and
 * the janitor take the write lock. */
#include "stream/stream_registry.h"

#include <dirent.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/core_clock.h"
#include "log/log.h"
#include "store/store_name.h"
#include "stream/stream_archive.h"
#include "stream/stream_mask.h"
#include "stream/stream_severity.h"
#include "stream/stream_waker.h"

#define INITIAL_BUCKETS 1024
#define JANITOR_PERIOD_MS 60000 /* retention, idle descriptors        */
#define RELEASE_PERIOD_MS 1000  /* descriptors of finished writers     */
#define RELEASE_MAX 65536       /* streams queued for a descriptor check */

struct stream_registry {
    char *streams_dir; /* DATA/streams */
    struct stream_registry_limits limits;
    pthread_rwlock_t lock;
    struct stream **buckets;
    size_t nbuckets; /* a power of two */
    uint64_t count;
    _Atomic uint64_t bytes;
    struct stream *lobby;
    pthread_t janitor;
    bool janitor_running;
    pthread_mutex_t stop_lock; /* also guards the release queue */
    pthread_cond_t stop_cond;
    bool stopping;
    struct stream **release; /* referenced streams whose writer is done */
    size_t nrelease, caprelease;
};

static uint64_t hash_name(const char *name, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static bool same_name(struct stream *s, const char *name, size_t len)
{
    size_t slen = 0;
    const char *sname = store_stream_name(s->store, &slen);
    return slen == len && memcmp(sname, name, len) == 0;
}

/* Under the lock. */
static struct stream *find(struct stream_registry *r, const char *name,
                           size_t len)
{
    size_t b = hash_name(name, len) & (r->nbuckets - 1);
    for (struct stream *s = r->buckets[b]; s != NULL; s = s->hash_next)
        if (same_name(s, name, len))
            return s;
    return NULL;
}

static void insert(struct stream_registry *r, struct stream *s)
{
    size_t len = 0;
    const char *name = store_stream_name(s->store, &len);
    size_t b = hash_name(name, len) & (r->nbuckets - 1);
    s->hash_next = r->buckets[b];
    r->buckets[b] = s;
    r->count++;
}

/* Removes s from the table; false when it was not there. */
static bool unlink_stream(struct stream_registry *r, struct stream *s)
{
    size_t len = 0;
    const char *name = store_stream_name(s->store, &len);
    struct stream **pp = &r->buckets[hash_name(name, len) & (r->nbuckets - 1)];
    while (*pp != NULL && *pp != s)
        pp = &(*pp)->hash_next;
    if (*pp != s)
        return false;
    *pp = s->hash_next;
    s->hash_next = NULL;
    r->count--;
    return true;
}

/* Doubles the table when it is more than twice as full as it is wide. */
static void maybe_grow(struct stream_registry *r)
{
    if (r->count < r->nbuckets * 2)
        return;
    size_t n = r->nbuckets * 2;
    struct stream **nb = calloc(n, sizeof(*nb));
    if (nb == NULL)
        return; /* longer chains; still correct */
    for (size_t i = 0; i < r->nbuckets; i++) {
        struct stream *s = r->buckets[i];
        while (s != NULL) {
            struct stream *next = s->hash_next;
            size_t len = 0;
            const char *name = store_stream_name(s->store, &len);
            size_t b = hash_name(name, len) & (n - 1);
            s->hash_next = nb[b];
            nb[b] = s;
            s = next;
        }
    }
    free(r->buckets);
    r->buckets = nb;
    r->nbuckets = n;
}

/* DATA/streams/HH/<sha256 hex of name>; parent made if needed. */
static int stream_dir(struct stream_registry *r, const char *name, size_t len,
                      char *out, size_t cap)
{
    unsigned char d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, name, len, d) != 0)
        return -EIO;
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    snprintf(out, cap, "%s/%.2s", r->streams_dir, hex);
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return -errno;
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "/%s", hex);
    return 0;
}

static int add_recovered(struct stream_registry *r, const char *dir,
                         uint64_t now_ms)
{
    struct store_stream *store = NULL;
    int rc = store_stream_open_dir(dir, now_ms, &store);
    if (rc != 0)
        return rc;
    struct stream *s = NULL;
    rc = stream_create(store, true, &s);
    if (rc != 0) {
        store_stream_free(store);
        return rc;
    }
    rc = stream_mask_recover(s);
    if (rc != 0) {
        stream_unref(s);
        return rc;
    }
    if (r->limits.severity && stream_severity_enable(s, true) != 0) {
        stream_unref(s);
        return -ENOMEM;
    }
    stream_archive_enqueue(s); /* complete and not archived yet: waits */
    size_t len = 0;
    const char *name = store_stream_name(store, &len);
    if (find(r, name, len) != NULL) {
        stream_unref(s);
        return -EEXIST;
    }
    insert(r, s);
    maybe_grow(r);
    atomic_fetch_add(&r->bytes, store_stream_length(store));
    stream_waker_register(s);
    return 0;
}

static int recover(struct stream_registry *r)
{
    uint64_t now_ms = core_clock_real_ns() / CORE_NS_PER_MS;
    DIR *top = opendir(r->streams_dir);
    if (top == NULL)
        return -errno;
    struct dirent *e;
    while ((e = readdir(top)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[PATH_MAX];
        int n = snprintf(sub, sizeof(sub), "%s/%s", r->streams_dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(sub))
            continue;
        DIR *d = opendir(sub);
        if (d == NULL)
            continue;
        struct dirent *f;
        while ((f = readdir(d)) != NULL) {
            if (f->d_name[0] == '.')
                continue;
            char path[PATH_MAX + 256];
            snprintf(path, sizeof(path), "%s/%s", sub, f->d_name);
            int rc = add_recovered(r, path, now_ms);
            if (rc != 0)
                log_warning(LOGC_STORE,
                            "skipping a stream directory that cannot be "
                            "recovered",
                            LF_STR("dir", path), LF_I64("errno", -rc));
        }
        closedir(d);
    }
    closedir(top);
    return 0;
}

/* Closes the descriptors of queued streams that nobody but the table
 * holds (their writer is done). Runs on the janitor thread. */
static void release_queued(struct stream_registry *r)
{
    pthread_mutex_lock(&r->stop_lock);
    struct stream **q = r->release;
    size_t n = r->nrelease;
    r->release = NULL;
    r->nrelease = 0;
    r->caprelease = 0;
    pthread_mutex_unlock(&r->stop_lock);
    if (n == 0)
        return;
    /* Under the write lock no lookup can take a new reference, so a
     * count of 2 (the table's and the queue's) means nobody else uses
     * the stream. */
    pthread_rwlock_wrlock(&r->lock);
    for (size_t i = 0; i < n; i++) {
        struct stream *s = q[i];
        if (atomic_load(&s->refs) == 2 && !stream_has_writer(s))
            store_stream_close_fds(s->store);
    }
    pthread_rwlock_unlock(&r->lock);
    for (size_t i = 0; i < n; i++)
        stream_unref(q[i]);
    free(q);
}

/* How often retention runs: every minute, or a quarter of the retention
 * when that is shorter (at least every second), so a stream is deleted
 * at most a quarter of its retention late. */
static uint64_t sweep_period_ns(const struct stream_registry *r)
{
    uint64_t ms = JANITOR_PERIOD_MS;
    uint64_t keep = r->limits.retention_ms;
    if (keep != 0 && keep / 4 < ms)
        ms = keep / 4 < RELEASE_PERIOD_MS ? RELEASE_PERIOD_MS : keep / 4;
    return ms * 1000000ull;
}

static void *janitor_main(void *arg)
{
    struct stream_registry *r = arg;
    uint64_t next_sweep = core_clock_mono_ns() + sweep_period_ns(r);
    pthread_mutex_lock(&r->stop_lock);
    while (!r->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += RELEASE_PERIOD_MS / 1000;
        pthread_cond_timedwait(&r->stop_cond, &r->stop_lock, &ts);
        if (r->stopping)
            break;
        pthread_mutex_unlock(&r->stop_lock);
        release_queued(r);
        if (core_clock_mono_ns() >= next_sweep) {
            stream_registry_sweep(r, core_clock_real_ns() / CORE_NS_PER_MS);
            next_sweep = core_clock_mono_ns() + sweep_period_ns(r);
        }
        pthread_mutex_lock(&r->stop_lock);
    }
    pthread_mutex_unlock(&r->stop_lock);
    return NULL;
}

void stream_registry_writer_done(struct stream_registry *r, struct stream *s)
{
    pthread_mutex_lock(&r->stop_lock);
    if (r->nrelease == r->caprelease && r->caprelease < RELEASE_MAX) {
        size_t cap = r->caprelease == 0 ? 64 : r->caprelease * 2;
        struct stream **p = reallocarray(r->release, cap, sizeof(*p));
        if (p != NULL) {
            r->release = p;
            r->caprelease = cap;
        }
    }
    if (r->nrelease < r->caprelease) {
        stream_ref(s);
        r->release[r->nrelease++] = s;
    }
    pthread_mutex_unlock(&r->stop_lock);
}

int stream_registry_open(const char *data_dir,
                         const struct stream_registry_limits *limits,
                         struct stream_registry **ret)
{
    uint64_t t0 = core_clock_mono_ns();
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    struct stream_registry *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -ENOMEM;
    r->limits = *limits;
    pthread_rwlock_init(&r->lock, NULL);
    pthread_mutex_init(&r->stop_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->stop_cond, &attr);
    pthread_condattr_destroy(&attr);

    int rc = -ENOMEM;
    size_t n = strlen(data_dir) + sizeof("/streams");
    r->streams_dir = malloc(n);
    r->nbuckets = INITIAL_BUCKETS;
    r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
    if (r->streams_dir == NULL || r->buckets == NULL)
        goto fail;
    snprintf(r->streams_dir, n, "%s/streams", data_dir);
    if (mkdir(r->streams_dir, 0700) != 0 && errno != EEXIST) {
        rc = -errno;
        goto fail;
    }
    struct store_stream *lobby_store = NULL;
    rc = store_stream_create_temp(data_dir, 1, &lobby_store);
    if (rc == 0)
        rc = stream_create(lobby_store, false, &r->lobby);
    if (rc != 0) {
        store_stream_free(lobby_store);
        goto fail;
    }
    stream_waker_register(r->lobby);
    rc = recover(r);
    if (rc != 0)
        goto fail;
    if (pthread_create(&r->janitor, NULL, janitor_main, r) == 0)
        r->janitor_running = true;
    log_info(LOGC_STORE, "data directory recovered", LF_STR("dir", data_dir),
             LF_U64("streams", r->count),
             LF_U64("bytes", atomic_load(&r->bytes)),
             LF_U64("duration_ms", (core_clock_mono_ns() - t0) / 1000000));
    *ret = r;
    return 0;

fail:
    stream_registry_free(r);
    return rc;
}

struct stream *stream_registry_get(struct stream_registry *r, const char *name,
                                   size_t len)
{
    pthread_rwlock_rdlock(&r->lock);
    struct stream *s = find(r, name, len);
    if (s != NULL)
        stream_ref(s);
    pthread_rwlock_unlock(&r->lock);
    return s;
}

/* Creates the store of a new stream in `dir`. The name is not in the
 * table, so a directory already there was skipped at recovery: without a
 * meta file it is what a crash left of a creation or a deletion, removed
 * and made anew; with one it is damaged and stays for an operator. Never
 * -EEXIST (the caller reads that as "the stream exists"): -EIO instead. */
static int create_store(const char *dir, const char *name, size_t len,
                        struct store_stream **ret)
{
    uint64_t now_ms = core_clock_real_ns() / CORE_NS_PER_MS;
    int rc = store_stream_create_dir(dir, name, len, now_ms, ret);
    if (rc == -EEXIST) {
        rc = store_stream_remove_leftover(dir);
        if (rc == 0)
            rc = store_stream_create_dir(dir, name, len, now_ms, ret);
    }
    return rc == -EEXIST ? -EIO : rc;
}

int stream_registry_create(struct stream_registry *r, const char *name,
                           size_t len, struct stream **ret)
{
    char dir[PATH_MAX];
    int rc = 0;
    pthread_rwlock_wrlock(&r->lock);
    struct stream *s = find(r, name, len);
    if (s != NULL) {
        stream_ref(s);
        *ret = s;
        rc = -EEXIST;
        goto out;
    }
    if (r->count >= r->limits.max_streams) {
        rc = -EUSERS; /* not -EMFILE: an open(2) can fail with that */
        goto out;
    }
    rc = stream_dir(r, name, len, dir, sizeof(dir));
    struct store_stream *store = NULL;
    if (rc == 0)
        rc = create_store(dir, name, len, &store);
    if (rc == 0 && r->limits.keep_tail) {
        uint64_t head = r->limits.max_stream_bytes / 2;
        rc = store_stream_set_keep(store, head,
                                   r->limits.max_stream_bytes - head);
        if (rc != 0) {
            store_stream_remove(store);
            store_stream_free(store);
        }
    }
    if (rc == 0) {
        rc = stream_create(store, true, &s);
        if (rc != 0) {
            store_stream_remove(store);
            store_stream_free(store);
        }
    }
    if (rc == 0 && r->limits.severity) {
        rc = stream_severity_enable(s, false);
        if (rc != 0) {
            store_stream_remove(s->store);
            stream_unref(s);
        }
    }
    if (rc != 0)
        goto out;
    insert(r, s);
    maybe_grow(r);
    stream_waker_register(s);
    stream_ref(s); /* the caller's; the table keeps the first */
    *ret = s;
out:
    pthread_rwlock_unlock(&r->lock);
    /* One byte in the lobby per creation: its length counts creations,
     * so a GET that looked the name up before this cannot miss it. */
    if (rc == 0 && stream_append(r->lobby, "\n", 1) != 0)
        stream_wake_all(r->lobby);
    return rc;
}

int stream_registry_delete(struct stream_registry *r, struct stream *s)
{
    pthread_rwlock_wrlock(&r->lock);
    if (stream_has_writer(s)) {
        pthread_rwlock_unlock(&r->lock);
        return -EBUSY;
    }
    bool found = unlink_stream(r, s);
    pthread_rwlock_unlock(&r->lock);
    if (!found)
        return -ENOENT; /* deleted meanwhile */
    uint64_t len = store_stream_length(s->store);
    atomic_fetch_sub(&r->bytes, len);
    atomic_store(&s->deleted, true); /* an upload of it stops (archive) */
    int rc = store_stream_remove(s->store);
    if (rc != 0)
        log_warning(LOGC_STORE, "removing a stream's files failed",
                    LF_I64("errno", -rc));
    stream_close(s);
    stream_unref(s); /* the table's reference */
    return 0;
}

struct stream *stream_registry_lobby(struct stream_registry *r)
{
    return r->lobby;
}

int stream_registry_admit(struct stream_registry *r, struct stream *s,
                          uint64_t more, uint64_t *ret_room)
{
    uint64_t len = store_stream_length(s->store);
    uint64_t max = r->limits.max_stream_bytes;
    if (max != 0 && len + more > max && !r->limits.keep_tail) {
        *ret_room = len < max ? max - len : 0;
        return -EFBIG;
    }
    uint64_t total = r->limits.max_total_bytes;
    if (total != 0 && atomic_load(&r->bytes) + more > total)
        return -ENOSPC;
    return 0;
}

const struct stream_registry_limits *
stream_registry_limits(const struct stream_registry *r)
{
    return &r->limits;
}

void stream_registry_account(struct stream_registry *r, uint64_t n)
{
    atomic_fetch_add_explicit(&r->bytes, n, memory_order_relaxed);
}

static int by_name(const void *a, const void *b)
{
    struct stream *sa = *(struct stream *const *)a;
    struct stream *sb = *(struct stream *const *)b;
    size_t la = 0, lb = 0;
    const char *na = store_stream_name(sa->store, &la);
    const char *nb = store_stream_name(sb->store, &lb);
    int c = memcmp(na, nb, la < lb ? la : lb);
    if (c != 0)
        return c;
    return la < lb ? -1 : la > lb;
}

int stream_registry_list(struct stream_registry *r, const char *prefix,
                         size_t plen, size_t limit, stream_registry_each_fn fn,
                         void *cls, bool *ret_truncated)
{
    pthread_rwlock_rdlock(&r->lock);
    size_t cap = r->count, n = 0;
    struct stream **all = calloc(cap > 0 ? cap : 1, sizeof(*all));
    if (all == NULL) {
        pthread_rwlock_unlock(&r->lock);
        return -ENOMEM;
    }
    for (size_t b = 0; b < r->nbuckets; b++) {
        for (struct stream *s = r->buckets[b]; s != NULL; s = s->hash_next) {
            size_t len = 0;
            const char *name = store_stream_name(s->store, &len);
            if (n < cap && store_name_has_prefix(name, len, prefix, plen)) {
                stream_ref(s);
                all[n++] = s;
            }
        }
    }
    pthread_rwlock_unlock(&r->lock);
    qsort(all, n, sizeof(*all), by_name);
    for (size_t i = 0; i < n; i++) {
        if (i < limit)
            fn(cls, all[i]);
        stream_unref(all[i]);
    }
    *ret_truncated = n > limit;
    free(all);
    return 0;
}

uint64_t stream_registry_count(struct stream_registry *r)
{
    pthread_rwlock_rdlock(&r->lock);
    uint64_t n = r->count;
    pthread_rwlock_unlock(&r->lock);
    return n;
}

void stream_registry_census(struct stream_registry *r,
                            struct stream_registry_census *ret)
{
    memset(ret, 0, sizeof(*ret));
    pthread_rwlock_rdlock(&r->lock);
    for (size_t b = 0; b < r->nbuckets; b++) {
        for (struct stream *s = r->buckets[b]; s != NULL; s = s->hash_next) {
            enum store_state st = store_stream_state(s->store);
            if ((unsigned)st < 4)
                ret->by_state[st]++;
            if (stream_has_writer(s))
                ret->writers++;
            pthread_mutex_lock(&s->lock);
            ret->parked += s->parked;
            pthread_mutex_unlock(&s->lock);
        }
    }
    pthread_rwlock_unlock(&r->lock);
}

uint64_t stream_registry_bytes(struct stream_registry *r)
{
    return atomic_load(&r->bytes);
}

size_t stream_registry_sweep(struct stream_registry *r, uint64_t now_ms)
{
    size_t deleted = 0;
    uint64_t keep = r->limits.retention_ms;
    for (;;) {
        struct stream *victim = NULL;
        pthread_rwlock_wrlock(&r->lock);
        for (size_t b = 0; b < r->nbuckets && victim == NULL; b++) {
            for (struct stream *s = r->buckets[b]; s != NULL;
                 s = s->hash_next) {
                if (store_stream_state(s->store) != STORE_COMPLETE)
                    continue;
                /* With an archive, nothing goes before the store has it. */
                bool archiving = stream_archive_store() != NULL;
                if (archiving && store_stream_archived_ms(s->store) == 0)
                    continue;
                if (archiving)
                    (void)stream_archive_evict_due(s, now_ms);
                uint64_t done = store_stream_completed_ms(s->store);
                if (keep != 0 && done + keep <= now_ms) {
                    stream_ref(s);
                    victim = s;
                    break;
                }
                /* Nobody but the table holds it: its descriptors can go
                 * (new references come only through this locked table). */
                if (atomic_load(&s->refs) == 1)
                    store_stream_close_fds(s->store);
            }
        }
        pthread_rwlock_unlock(&r->lock);
        if (victim == NULL)
            break;
        size_t len = 0;
        const char *name = store_stream_name(victim->store, &len);
        log_info(LOGC_STORE, "stream deleted after its retention",
                 LF_STRN("name", name, len), LF_STR("action", "DELETE"));
        if (stream_registry_delete(r, victim) == 0)
            deleted++;
        stream_unref(victim);
    }
    return deleted;
}

size_t stream_registry_sync_all(struct stream_registry *r)
{
    size_t cap = 0, n = 0;
    struct stream **dirty = NULL;
    pthread_rwlock_rdlock(&r->lock);
    for (size_t b = 0; b < r->nbuckets; b++) {
        for (struct stream *s = r->buckets[b]; s != NULL; s = s->hash_next) {
            if (store_stream_durable(s->store) >= store_stream_length(s->store))
                continue;
            if (n == cap) {
                size_t ncap = cap == 0 ? 64 : cap * 2;
                struct stream **p = reallocarray(dirty, ncap, sizeof(*p));
                if (p == NULL)
                    break;
                dirty = p;
                cap = ncap;
            }
            stream_ref(s);
            dirty[n++] = s;
        }
    }
    pthread_rwlock_unlock(&r->lock);
    for (size_t i = 0; i < n; i++) {
        int rc = store_stream_sync(dirty[i]->store);
        size_t len = 0;
        const char *name = store_stream_name(dirty[i]->store, &len);
        if (rc != 0)
            log_warning(LOGC_STORE, "fsync of a stream failed",
                        LF_STRN("name", name, len), LF_I64("errno", -rc));
        stream_unref(dirty[i]);
    }
    free(dirty);
    return n;
}

void stream_registry_close_all(struct stream_registry *r)
{
    pthread_rwlock_rdlock(&r->lock);
    for (size_t b = 0; b < r->nbuckets; b++)
        for (struct stream *s = r->buckets[b]; s != NULL; s = s->hash_next)
            stream_close(s);
    pthread_rwlock_unlock(&r->lock);
    if (r->lobby != NULL)
        stream_close(r->lobby);
}

void stream_registry_free(struct stream_registry *r)
{
    if (r == NULL)
        return;
    if (r->janitor_running) {
        pthread_mutex_lock(&r->stop_lock);
        r->stopping = true;
        pthread_cond_signal(&r->stop_cond);
        pthread_mutex_unlock(&r->stop_lock);
        pthread_join(r->janitor, NULL);
    }
    for (size_t i = 0; i < r->nrelease; i++)
        stream_unref(r->release[i]);
    free(r->release);
    if (r->buckets != NULL) {
        for (size_t b = 0; b < r->nbuckets; b++) {
            struct stream *s = r->buckets[b];
            while (s != NULL) {
                struct stream *next = s->hash_next;
                stream_unref(s);
                s = next;
            }
        }
    }
    stream_free(r->lobby);
    free(r->buckets);
    free(r->streams_dir);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->stop_lock);
    pthread_cond_destroy(&r->stop_cond);
    free(r);
}
