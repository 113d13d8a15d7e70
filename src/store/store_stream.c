/* store_stream: a log on disk with its committed length, durable length
 * and state (contract in store_stream.h). The writer appends on the write
 * listener's thread; readers call in from the read threads; the syncer
 * thread calls store_stream_sync. */
#include "store/store_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_clock.h"
#include "store/store_index.h"
#include "store/store_io.h"
#include "store/store_meta.h"
#include "store/store_wire.h"

#define HASH_BLOCK (256 * 1024)
/* keep-tail elision advances in steps of this size (fewer, larger holes). */
#define ELIDE_STEP (64 * 1024)
#define SCAN_BACK (16 * 1024)
/* Once a log holds RESERVE_FROM bytes, appends reserve the data file's
 * blocks ahead of the writer, as much as the log holds up to RESERVE_MAX:
 * on ext4 a buffered write into reserved blocks skips delayed
 * allocation's per-page bookkeeping, which took a sixth of the writer's
 * CPU (a 1 GiB PUT went from about 0.91 to 0.74 CPU seconds). Small logs,
 * most of them, reserve nothing. The reserve is given back when the
 * writer finishes, when the descriptors close and, after a crash, when
 * the stream is opened again. */
#define RESERVE_FROM (4 * 1024 * 1024)
#define RESERVE_MAX (8 * 1024 * 1024)
/* At start, a file with this many more bytes of blocks than of data holds
 * a reserve (less is metadata, such as extent tree blocks). */
#define RESERVE_SEEN (64 * 1024)

static _Atomic int fsync_mode = STORE_FSYNC_NEVER;

struct store_stream {
    _Atomic int fd;           /* data file, O_RDWR; -1 until first use   */
    char *path;               /* the data file's path                    */
    char *dir;                /* directory streams: their directory      */
    int remove_on_free;       /* temporary streams: unlink at free       */
    pthread_mutex_t lock;     /* opening descriptors, meta writes        */
    bool index_open;          /* directory streams: index loaded         */
    struct store_index index; /* directory streams only                  */
    struct store_meta meta;   /* directory streams only (name, times)    */
    _Atomic uint64_t length;  /* committed bytes                         */
    _Atomic uint64_t durable; /* bytes known to be on stable storage     */
    _Atomic int state;        /* enum store_state                        */
    _Atomic uint64_t completed_ms;
    /* --over-limit=keep-tail: bytes [keep_head, elided_end) of the data
     * are gone (punched out of the file); 0/0 when the stream keeps all. */
    _Atomic uint64_t elided_end;
    bool punch_failed; /* the file system cannot punch holes       */
    /* The data file's blocks are reserved up to here (writer's thread;
     * 0 once given back); reserve_off: the file system cannot. */
    _Atomic uint64_t reserved;
    bool reserve_off;
    atomic_bool evicted; /* archived; the data is only in the store now */
    /* Masked streams: the last wire record (read at open or written
     * since), under `lock`; NULL for every unmasked stream. */
    struct store_wire *wire;
};

/* Where the elided region ends for a log of `len` bytes that keeps `head`
 * bytes at its start and `tail` at its end (head when nothing is gone). */
static uint64_t elision_end(uint64_t head, uint64_t tail, uint64_t len)
{
    if (tail == 0 || len <= head + tail)
        return head;
    /* Rounded up, so that at most `tail` bytes are kept at the end; the
     * step is at most half the tail, so the newest bytes are never gone. */
    uint64_t step =
        tail / 2 < ELIDE_STEP ? (tail / 2 > 0 ? tail / 2 : 1) : ELIDE_STEP;
    return head + (len - tail - head + step - 1) / step * step;
}

void store_stream_set_fsync(enum store_fsync mode)
{
    atomic_store(&fsync_mode, (int)mode);
}

enum store_fsync store_stream_fsync_mode(void)
{
    return (enum store_fsync)atomic_load(&fsync_mode);
}

static struct store_stream *alloc_stream(void)
{
    struct store_stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    atomic_init(&s->fd, -1);
    s->index.fd = -1;
    return s;
}

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

int store_stream_create_temp(const char *dir, int remove_on_free,
                             struct store_stream **ret)
{
    struct store_stream *s = alloc_stream();
    if (s == NULL)
        return -ENOMEM;
    s->path = join(dir, "livelog-XXXXXX");
    if (s->path == NULL) {
        store_stream_free(s);
        return -ENOMEM;
    }
    int fd = mkostemp(s->path, O_CLOEXEC);
    if (fd < 0) {
        int err = -errno;
        free(s->path);
        s->path = NULL;
        store_stream_free(s);
        return err;
    }
    atomic_store(&s->fd, fd);
    s->remove_on_free = remove_on_free;
    *ret = s;
    return 0;
}

/* Opens the data file and loads the index of a directory stream, once.
 * Returns the data fd or a negative errno. */
static int data_fd(struct store_stream *s)
{
    int fd = atomic_load_explicit(&s->fd, memory_order_acquire);
    if (fd >= 0)
        return fd;
    if (atomic_load(&s->evicted))
        return -ENODATA; /* in the archive: the caller reads it there */
    pthread_mutex_lock(&s->lock);
    fd = atomic_load(&s->fd);
    if (fd < 0) {
        fd = open(s->path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            fd = -errno;
        } else if (s->dir != NULL && !s->index_open) {
            char *ipath = join(s->dir, "index");
            int rc = ipath == NULL
                         ? -ENOMEM
                         : store_index_open(
                               &s->index, ipath, fd, store_stream_length(s),
                               core_clock_real_ns() / CORE_NS_PER_MS);
            free(ipath);
            if (rc != 0) {
                close(fd);
                fd = rc;
            } else {
                s->index_open = true;
            }
        }
        if (fd >= 0)
            atomic_store_explicit(&s->fd, fd, memory_order_release);
    }
    pthread_mutex_unlock(&s->lock);
    return fd;
}

static int write_meta(struct store_stream *s)
{
    bool sync = store_stream_fsync_mode() != STORE_FSYNC_NEVER;
    return store_meta_write(s->dir, &s->meta, sync);
}

/* A random non-zero number for a new stream's meta (store_meta.h). When
 * the generator fails, the clock and a counter stand in: what matters is
 * that a name created again gets another number. */
static uint64_t new_incarnation(uint64_t now_ms)
{
    static _Atomic uint64_t fallback;
    uint64_t v = 0;
    if (gnutls_rnd(GNUTLS_RND_NONCE, &v, sizeof(v)) != 0 || v == 0) {
        v = core_clock_mono_ns() ^ (now_ms << 20) ^
            atomic_fetch_add(&fallback, 0x9e3779b97f4a7c15ULL);
        v = v != 0 ? v : 1;
    }
    return v;
}

int store_stream_create_dir(const char *dir, const char *name, size_t len,
                            uint64_t now_ms, struct store_stream **ret)
{
    if (len > STORE_NAME_MAX)
        return -ENAMETOOLONG;
    if (mkdir(dir, 0700) != 0)
        return -errno;
    struct store_stream *s = alloc_stream();
    int rc = -ENOMEM;
    if (s == NULL)
        goto fail_dir;
    s->dir = strdup(dir);
    s->path = join(dir, "data");
    if (s->dir == NULL || s->path == NULL)
        goto fail;
    int fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    atomic_store(&s->fd, fd);
    char *ipath = join(dir, "index");
    rc = ipath == NULL ? -ENOMEM
                       : store_index_open(&s->index, ipath, fd, 0, now_ms);
    free(ipath);
    if (rc != 0)
        goto fail;
    s->index_open = true;
    memcpy(s->meta.name, name, len);
    s->meta.name[len] = '\0';
    s->meta.name_len = len;
    s->meta.state = STORE_LIVE;
    s->meta.created_ms = now_ms;
    s->meta.incarnation = new_incarnation(now_ms);
    atomic_store(&s->state, STORE_LIVE);
    rc = write_meta(s);
    if (rc != 0)
        goto fail;
    *ret = s;
    return 0;

fail:
    if (s->dir != NULL)
        store_stream_remove(s);
    else
        rmdir(dir);
    store_stream_free(s);
    return rc;
fail_dir:
    rmdir(dir);
    return rc;
}

/* Loads the wire record of a masked stream, if there is one, and brings
 * the data's length *len in line with it (store_stream.h). Returns 0
 * (also when there is none) or a negative errno (-EINVAL: damaged). */
static int open_wire(struct store_stream *s, uint64_t *len)
{
    struct store_wire w;
    int rc = store_wire_read(s->dir, &w);
    if (rc == -ENOENT)
        return 0; /* unmasked */
    if (rc != 0)
        return rc;
    if (*len > w.out_len) {
        /* Bytes stored after the last record: a request that never
         * ended. Its writer resends them from w.in_len. If the cut fails
         * the bytes past the committed length are never read and the
         * next append overwrites them (as in store_stream_append). */
        if (truncate(s->path, (off_t)w.out_len) != 0) {
            /* keep going; see above */
        }
        *len = w.out_len;
    } else if (*len < w.out_len) {
        /* Power loss without --fsync=always: the tail of the data and
         * the held bytes are gone; only the shrinkage masking had caused
         * is kept (an approximation, store_stream.h). */
        w.in_len = *len + (w.in_len - w.out_len - w.held_len);
        w.out_len = *len;
        explicit_bzero(w.held, w.held_len);
        w.held_len = 0;
    }
    s->wire = malloc(sizeof(*s->wire));
    if (s->wire == NULL) {
        explicit_bzero(&w, sizeof(w));
        return -ENOMEM;
    }
    *s->wire = w;
    explicit_bzero(&w, sizeof(w));
    return 0;
}

int store_stream_open_dir(const char *dir, uint64_t now_ms,
                          struct store_stream **ret)
{
    struct store_meta meta;
    int rc = store_meta_read(dir, &meta);
    if (rc != 0)
        return rc;
    struct store_stream *s = alloc_stream();
    if (s == NULL)
        return -ENOMEM;
    s->dir = strdup(dir);
    s->path = join(dir, "data");
    if (s->dir == NULL || s->path == NULL) {
        store_stream_free(s);
        return -ENOMEM;
    }
    struct stat st;
    uint64_t length = 0;
    if (meta.evicted) { /* archived; its data file is gone (or going) */
        unlink(s->path);
        length = meta.length;
        atomic_store(&s->evicted, true);
    } else if (stat(s->path, &st) != 0) {
        rc = -errno;
        store_stream_free(s);
        return rc;
    } else {
        length = (uint64_t)st.st_size;
        /* Blocks reserved past the end before a crash go back now: the
         * file holds more blocks than bytes, or it is a keep-tail log
         * (holes hide a reserve) whose writer the crash cut off. */
        bool cut_off = meta.state == STORE_LIVE || meta.state == STORE_PENDING;
        if (((uint64_t)st.st_blocks * 512 > length + RESERVE_SEEN ||
             (cut_off && meta.keep_tail != 0)) &&
            truncate(s->path, st.st_size) != 0) {
            /* they stay until the stream is removed */
        }
        rc = open_wire(s, &length);
        if (rc != 0) {
            store_stream_free(s);
            return rc;
        }
    }
    s->meta = meta;
    atomic_store(&s->length, length);
    atomic_store(&s->durable, length);
    atomic_store(&s->completed_ms, meta.completed_ms);
    /* A stream that was live has lost its writer with the old process.
     * The meta file is not rewritten here (that would cost two fsyncs per
     * live stream before the server listens): "live" on disk after a
     * restart always reads as interrupted, and the next state change
     * writes the meta anyway. */
    enum store_state st_now = meta.state;
    if (st_now == STORE_LIVE || st_now == STORE_PENDING)
        st_now = STORE_INTERRUPTED;
    s->meta.state = st_now;
    atomic_store(&s->state, (int)st_now);
    atomic_store(&s->elided_end,
                 elision_end(meta.keep_head, meta.keep_tail, length));
    (void)now_ms; /* the index is repaired when first opened */
    *ret = s;
    return 0;
}

/* Reserves the blocks of [base, end + ahead) once end passes what is
 * reserved. A failure only costs the speed-up: the write that follows
 * finds out whether the space is really missing. */
static void reserve_ahead(struct store_stream *s, int fd, uint64_t base,
                          uint64_t end)
{
    if (s->reserve_off || end < RESERVE_FROM ||
        end <= atomic_load(&s->reserved))
        return;
    uint64_t ahead = end > RESERVE_MAX ? RESERVE_MAX : end;
    if (end + ahead > (uint64_t)INT64_MAX)
        return;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)base,
                  (off_t)(end + ahead - base)) != 0 &&
        (errno == EOPNOTSUPP || errno == ENOSYS))
        s->reserve_off = true;
    /* Also after ENOSPC and the like: not again before the next step. */
    atomic_store(&s->reserved, end + ahead);
}

/* Gives the blocks reserved past the end of the file back: truncating a
 * file to its own size frees them (ext4, XFS, tmpfs); the data and the
 * size do not change. Only when no append is under way. */
static void release_reserve(struct store_stream *s, int fd)
{
    if (atomic_exchange(&s->reserved, 0) == 0 || fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) == 0 && ftruncate(fd, st.st_size) != 0) {
        /* the blocks stay until the file is removed */
    }
}

/* keep-tail: publishes the new end of the elided region first (so no
 * reader starts a read there), then frees the bytes on disk. */
static void elide(struct store_stream *s, int fd, uint64_t len)
{
    uint64_t old = atomic_load(&s->elided_end);
    uint64_t end = elision_end(s->meta.keep_head, s->meta.keep_tail, len);
    if (end <= old)
        return;
    atomic_store_explicit(&s->elided_end, end, memory_order_release);
    if (s->punch_failed)
        return;
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)old,
                  (off_t)(end - old)) != 0)
        s->punch_failed = true; /* readers still skip it; disk not freed */
}

/* Nothing of a failed append is committed: the file is cut back so a
 * later append continues exactly at the committed length. If even that
 * fails, the tail beyond the committed length is never read and the next
 * pwrite overwrites it. Returns err. */
static int refuse_append(struct store_stream *s, int fd, uint64_t base, int err)
{
    if (ftruncate(fd, (off_t)base) != 0) {
        /* keep the append's own error; see above */
    }
    atomic_store(&s->reserved, 0); /* the cut gave the reserve back */
    return err;
}

int store_stream_append(struct store_stream *s, const void *buf, size_t len)
{
    int fd = data_fd(s);
    if (fd < 0)
        return fd;
    uint64_t base = atomic_load_explicit(&s->length, memory_order_relaxed);
    const char *p = buf;
    size_t done = 0;

    reserve_ahead(s, fd, base, base + len);
    while (done < len) {
        ssize_t n = pwrite(fd, p + done, len - done, (off_t)(base + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return refuse_append(s, fd, base, n < 0 ? -errno : -EIO);
        done += (size_t)n;
    }
    /* The line index's record is part of the append: when it cannot be
     * written the append is refused as a whole, like a failed data write
     * (its lines become visible only after the committed length). */
    struct store_index_step step = {0};
    if (s->index_open) {
        int rc =
            store_index_prepare(&s->index, base, buf, len,
                                core_clock_real_ns() / CORE_NS_PER_MS, &step);
        if (rc != 0)
            return refuse_append(s, fd, base, rc);
    }
    atomic_store_explicit(&s->length, base + len, memory_order_release);
    if (s->meta.keep_tail != 0)
        elide(s, fd, base + len);
    if (store_stream_fsync_mode() == STORE_FSYNC_NEVER)
        atomic_store_explicit(&s->durable, base + len, memory_order_release);
    if (s->index_open)
        store_index_publish(&s->index, &step);
    return 0;
}

ssize_t store_stream_read(struct store_stream *s, uint64_t off, void *buf,
                          size_t len)
{
    uint64_t committed = store_stream_length(s);
    if (off >= committed)
        return 0;
    if (len > committed - off)
        len = (size_t)(committed - off);
    uint64_t head = s->meta.keep_head;
    if (atomic_load_explicit(&s->elided_end, memory_order_acquire) > head) {
        if (off >= head && off < store_stream_elided_end(s))
            return -ESPIPE;
        if (off < head && len > head - off)
            len = (size_t)(head - off);
    }
    int fd = data_fd(s);
    if (fd < 0)
        return fd;
    for (;;) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        /* The region may have been elided (and punched) while we read. */
        if (off >= head && off < store_stream_elided_end(s))
            return -ESPIPE;
        return n;
    }
}

uint64_t store_stream_elided_end(const struct store_stream *s)
{
    return atomic_load_explicit(&s->elided_end, memory_order_acquire);
}

uint64_t store_stream_keep_head(const struct store_stream *s)
{
    return s->meta.keep_head;
}

bool store_stream_is_elided(const struct store_stream *s)
{
    return s->meta.keep_tail != 0 &&
           store_stream_elided_end(s) > s->meta.keep_head;
}

int store_stream_set_keep(struct store_stream *s, uint64_t head, uint64_t tail)
{
    if (s->dir == NULL || store_stream_length(s) != 0)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    s->meta.keep_head = head;
    s->meta.keep_tail = tail;
    atomic_store(&s->elided_end, head);
    int rc = write_meta(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

uint64_t store_stream_length(const struct store_stream *s)
{
    return atomic_load_explicit(&s->length, memory_order_acquire);
}

uint64_t store_stream_durable(const struct store_stream *s)
{
    return atomic_load_explicit(&s->durable, memory_order_acquire);
}

int store_stream_sync(struct store_stream *s)
{
    uint64_t len = store_stream_length(s);
    if (store_stream_durable(s) >= len)
        return 0;
    int fd = data_fd(s);
    if (fd < 0)
        return fd;
    if (fdatasync(fd) != 0)
        return -errno;
    /* Another sync may have advanced it further meanwhile. */
    uint64_t cur = store_stream_durable(s);
    while (cur < len && !atomic_compare_exchange_weak(&s->durable, &cur, len))
        ;
    return 0;
}

int store_stream_set_state(struct store_stream *s, enum store_state st)
{
    int rc = 0;
    uint64_t done_ms = st == STORE_COMPLETE
                           ? core_clock_real_ns() / CORE_NS_PER_MS
                           : atomic_load(&s->completed_ms);
    if (s->dir != NULL) {
        pthread_mutex_lock(&s->lock);
        enum store_state was = s->meta.state;
        uint64_t was_ms = s->meta.completed_ms;
        s->meta.state = st;
        s->meta.completed_ms = done_ms;
        rc = write_meta(s);
        if (rc != 0 && st == STORE_COMPLETE) {
            s->meta.state = was; /* not complete: see store_stream.h */
            s->meta.completed_ms = was_ms;
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (st == STORE_COMPLETE || st == STORE_INTERRUPTED)
        release_reserve(s, atomic_load(&s->fd)); /* the writer is done */
    if (rc != 0 && st == STORE_COMPLETE)
        return rc;
    atomic_store(&s->completed_ms, done_ms);
    atomic_store_explicit(&s->state, (int)st, memory_order_release);
    return rc;
}

enum store_state store_stream_state(const struct store_stream *s)
{
    return (enum store_state)atomic_load_explicit(&s->state,
                                                  memory_order_acquire);
}

const char *store_stream_state_name(enum store_state st)
{
    switch (st) {
    case STORE_PENDING:
        return "pending";
    case STORE_LIVE:
        return "live";
    case STORE_COMPLETE:
        return "complete";
    case STORE_INTERRUPTED:
        return "interrupted";
    }
    return "unknown";
}

const char *store_stream_name(const struct store_stream *s, size_t *ret_len)
{
    if (ret_len != NULL)
        *ret_len = s->meta.name_len;
    return s->meta.name;
}

uint64_t store_stream_created_ms(const struct store_stream *s)
{
    return s->meta.created_ms;
}

uint64_t store_stream_completed_ms(const struct store_stream *s)
{
    return atomic_load(&s->completed_ms);
}

uint64_t store_stream_incarnation(const struct store_stream *s)
{
    return s->dir != NULL ? s->meta.incarnation : 0;
}

uint64_t store_stream_lines(const struct store_stream *s)
{
    return s->index_open ? store_index_lines(&s->index) : 0;
}

/* The start of the n-th last line (n >= 1), scanning backwards from the
 * end but never before `floor` (keep-tail: elided bytes cannot be read);
 * `floor` when there are fewer lines after it. A last line without its
 * newline counts as a line. */
static int tail_backwards(int fd, uint64_t len, uint64_t floor, uint64_t n,
                          uint64_t *ret)
{
    char buf[SCAN_BACK];
    uint64_t found = 0, end = len;
    while (end > floor) {
        size_t want =
            end - floor < SCAN_BACK ? (size_t)(end - floor) : SCAN_BACK;
        uint64_t at = end - want;
        ssize_t got = store_io_read(fd, buf, want, at, end);
        if (got != (ssize_t)want)
            return got < 0 ? (int)got : -EIO;
        for (size_t i = want; i > 0; i--) {
            uint64_t start = at + i; /* a line starts after this newline */
            if (buf[i - 1] != '\n' || start == len)
                continue;
            if (++found == n) {
                *ret = start;
                return 0;
            }
        }
        end = at;
    }
    *ret = floor;
    return 0;
}

int store_stream_tail_offset(struct store_stream *s, uint64_t n, uint64_t *ret)
{
    int fd = data_fd(s);
    if (fd < 0)
        return fd;
    if (n == 0) {
        *ret = store_stream_length(s); /* no line: from the end */
        return 0;
    }
    if (store_stream_is_elided(s))
        return tail_backwards(fd, store_stream_length(s),
                              store_stream_elided_end(s), n, ret);
    uint64_t lines = store_stream_lines(s);
    if (n >= lines) {
        *ret = 0;
        return 0;
    }
    return store_index_line_offset(&s->index, fd, store_stream_length(s),
                                   lines - n, ret);
}

int store_stream_line_times(struct store_stream *s, uint64_t first,
                            uint64_t end, struct store_index_time *out,
                            size_t cap, size_t *ret_n, uint64_t *ret_end)
{
    *ret_n = 0;
    *ret_end = first;
    int fd = data_fd(s); /* loads the index */
    if (fd < 0)
        return fd;
    if (!s->index_open)
        return -ENODATA;
    uint64_t lines = store_index_lines(&s->index);
    if (end > lines)
        end = lines;
    return store_index_line_times(&s->index, first, end, out, cap, ret_n,
                                  ret_end);
}

int store_stream_sha256(struct store_stream *s, uint64_t len,
                        unsigned char out[32])
{
    int fd = data_fd(s);
    if (fd < 0)
        return fd;
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) != 0)
        return -ENOMEM;
    char *buf = malloc(HASH_BLOCK);
    int rc = buf == NULL ? -ENOMEM : 0;
    uint64_t off = 0;
    while (rc == 0 && off < len) {
        ssize_t n = store_io_read(fd, buf, HASH_BLOCK, off, len);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        gnutls_hash(h, buf, (size_t)n);
        off += (uint64_t)n;
    }
    gnutls_hash_deinit(h, out);
    free(buf);
    return rc;
}

int store_stream_open_reader(const struct store_stream *s)
{
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void store_stream_close_fds(struct store_stream *s)
{
    pthread_mutex_lock(&s->lock);
    int fd = atomic_exchange(&s->fd, -1);
    release_reserve(s, fd);
    if (fd >= 0)
        close(fd);
    if (s->index_open)
        store_index_close(&s->index);
    s->index_open = false;
    pthread_mutex_unlock(&s->lock);
}

bool store_stream_is_dir(const struct store_stream *s)
{
    return s->dir != NULL;
}

bool store_stream_wire(const struct store_stream *s, struct store_wire *ret)
{
    struct store_stream *m = (struct store_stream *)s; /* the lock only */
    pthread_mutex_lock(&m->lock);
    bool have = s->wire != NULL;
    if (have)
        *ret = *s->wire;
    pthread_mutex_unlock(&m->lock);
    return have;
}

int store_stream_write_wire(struct store_stream *s, const struct store_wire *w)
{
    if (s->dir == NULL)
        return -EINVAL;
    /* Only the writer sets s->wire, so it may look without the lock. */
    struct store_wire *fresh = NULL;
    if (s->wire == NULL) {
        fresh = malloc(sizeof(*fresh));
        if (fresh == NULL)
            return -ENOMEM;
    }
    enum store_fsync mode = store_stream_fsync_mode();
    /* In mode `always` the record never points past durable bytes, so
     * only a power loss in the other modes finds the data shorter. */
    int rc = mode == STORE_FSYNC_ALWAYS ? store_stream_sync(s) : 0;
    if (rc == 0)
        rc = store_wire_write(s->dir, w, mode != STORE_FSYNC_NEVER);
    if (rc != 0) {
        free(fresh);
        return rc;
    }
    pthread_mutex_lock(&s->lock);
    if (fresh != NULL)
        s->wire = fresh;
    *s->wire = *w;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Changes the meta under the lock and writes it (synced unless the
 * fsync mode is never). */
static int update_meta(struct store_stream *s, uint64_t archived_ms,
                       const char *upload_id, bool evict)
{
    if (s->dir == NULL)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    if (archived_ms != 0)
        s->meta.archived_ms = archived_ms;
    if (upload_id != NULL)
        snprintf(s->meta.upload_id, sizeof(s->meta.upload_id), "%s", upload_id);
    if (evict) {
        s->meta.evicted = true;
        s->meta.length = store_stream_length(s);
    }
    int rc = write_meta(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int store_stream_set_archived(struct store_stream *s, uint64_t now_ms)
{
    if (now_ms == 0 || store_stream_state(s) != STORE_COMPLETE)
        return -EINVAL;
    return update_meta(s, now_ms, "", false);
}

uint64_t store_stream_archived_ms(const struct store_stream *s)
{
    struct store_stream *m = (struct store_stream *)s; /* the lock only */
    pthread_mutex_lock(&m->lock);
    uint64_t ms = m->meta.archived_ms;
    pthread_mutex_unlock(&m->lock);
    return ms;
}

int store_stream_set_upload_id(struct store_stream *s, const char *id)
{
    if (id != NULL &&
        (id[0] == '\0' || strlen(id) >= sizeof(s->meta.upload_id)))
        return -EINVAL;
    return update_meta(s, 0, id != NULL ? id : "", false);
}

void store_stream_upload_id(const struct store_stream *s, char *buf, size_t cap)
{
    struct store_stream *m = (struct store_stream *)s; /* the lock only */
    pthread_mutex_lock(&m->lock);
    snprintf(buf, cap, "%s", m->meta.upload_id);
    pthread_mutex_unlock(&m->lock);
}

int store_stream_evict(struct store_stream *s)
{
    if (store_stream_archived_ms(s) == 0 || atomic_load(&s->evicted))
        return -EINVAL;
    /* The meta first: a crash after it leaves a data file that the next
     * start removes; a crash before it, an archived stream kept local. */
    int rc = update_meta(s, 0, NULL, true);
    if (rc != 0)
        return rc;
    atomic_store(&s->evicted, true);
    static const char *const files[] = {"data", "index", "wire"};
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", s->dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT && rc == 0)
            rc = -errno;
    }
    store_stream_close_fds(s); /* open readers keep their own fds */
    return rc;
}

bool store_stream_is_evicted(const struct store_stream *s)
{
    return atomic_load(&((struct store_stream *)s)->evicted);
}

/* Removes the files a directory stream may hold, then the directory. */
static int remove_dir_files(const char *dir)
{
    static const char *const files[] = {"meta",     "meta.tmp", "wire",
                                        "wire.tmp", "index",    "data"};
    int rc = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT && rc == 0)
            rc = -errno;
    }
    if (rmdir(dir) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

int store_stream_remove(struct store_stream *s)
{
    if (s->dir == NULL)
        return -EINVAL;
    return remove_dir_files(s->dir);
}

int store_stream_remove_leftover(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/meta", dir);
    if (lstat(path, &st) == 0)
        return -EEXIST;
    if (errno != ENOENT)
        return -errno;
    return remove_dir_files(dir);
}

void store_stream_free(struct store_stream *s)
{
    if (s == NULL)
        return;
    int fd = atomic_load(&s->fd);
    if (!s->remove_on_free)
        release_reserve(s, fd);
    if (fd >= 0)
        close(fd);
    if (s->index_open)
        store_index_close(&s->index);
    if (s->remove_on_free && s->path != NULL)
        unlink(s->path);
    /* The held bytes may be the start of a secret. */
    if (s->wire != NULL)
        explicit_bzero(s->wire, sizeof(*s->wire));
    free(s->wire);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s->dir);
    free(s);
}
