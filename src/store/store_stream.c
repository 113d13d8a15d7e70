/* store_stream: an append-only log file with a committed length and a
 * state (see store_stream.h for the contract). The writer runs on the
 * write listener's thread; readers call in from any read thread. */
#include "store/store_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct store_stream {
    int fd;                  /* O_RDWR; the writer appends with pwrite  */
    char *path;              /* the file's path, for readers' opens      */
    int remove_on_free;      /* unlink the file in store_stream_free     */
    _Atomic uint64_t length; /* committed bytes                          */
    _Atomic int state;       /* enum store_state                         */
};

int store_stream_create_temp(const char *dir, int remove_on_free,
                             struct store_stream **ret)
{
    struct store_stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    size_t n = strlen(dir) + sizeof("/livelog-XXXXXX");
    s->path = malloc(n);
    if (s->path == NULL)
        goto fail_nomem;
    snprintf(s->path, n, "%s/livelog-XXXXXX", dir);
    s->fd = mkostemp(s->path, O_CLOEXEC);
    if (s->fd < 0) {
        int err = -errno;
        free(s->path);
        free(s);
        return err;
    }
    s->remove_on_free = remove_on_free;
    atomic_init(&s->length, 0);
    atomic_init(&s->state, STORE_PENDING);
    *ret = s;
    return 0;

fail_nomem:
    free(s);
    return -ENOMEM;
}

int store_stream_append(struct store_stream *s, const void *buf, size_t len)
{
    uint64_t base = atomic_load_explicit(&s->length, memory_order_relaxed);
    const char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = pwrite(s->fd, p + done, len - done, (off_t)(base + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? -errno : -EIO;
            /* Nothing of this call is committed: cut the file back so a
             * later append (after space is freed) continues exactly at the
             * committed length. */
            if (ftruncate(s->fd, (off_t)base) != 0) {
                /* The file keeps a tail beyond the committed length;
                 * readers never see it and the next pwrite overwrites. */
            }
            return err;
        }
        done += (size_t)n;
    }
    atomic_store_explicit(&s->length, base + len, memory_order_release);
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
    for (;;) {
        ssize_t n = pread(s->fd, buf, len, (off_t)off);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

uint64_t store_stream_length(const struct store_stream *s)
{
    return atomic_load_explicit(&s->length, memory_order_acquire);
}

void store_stream_set_state(struct store_stream *s, enum store_state st)
{
    atomic_store_explicit(&s->state, (int)st, memory_order_release);
}

enum store_state store_stream_state(const struct store_stream *s)
{
    return (enum store_state)atomic_load_explicit(&s->state,
                                                  memory_order_acquire);
}

int store_stream_is_final(const struct store_stream *s)
{
    enum store_state st = store_stream_state(s);
    return st == STORE_COMPLETE || st == STORE_INTERRUPTED;
}

int store_stream_open_reader(const struct store_stream *s)
{
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
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

void store_stream_free(struct store_stream *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    if (s->remove_on_free && s->path != NULL)
        unlink(s->path);
    free(s->path);
    free(s);
}
