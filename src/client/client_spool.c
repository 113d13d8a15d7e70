/* client_spool: every byte `livelog put` has read, kept so that any
 * suffix can be re-sent, its running SHA-256 (GnuTLS), and the --tee
 * copy of the input. Main thread only. See client_spool.h for the
 * contract. */
#include "client/client_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_http.h"
#include "core/core_clock.h"

/* Creates the unlinked temp file in $TMPDIR (or /tmp). Returns an fd or
 * a negative errno. */
static int temp_open(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int n, fd, saved;

    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    n = snprintf(path, sizeof(path), "%s/livelog-put.XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    fd = mkstemp(path);
    if (fd < 0)
        return -errno;
    if (unlink(path) < 0) {
        saved = errno;
        close(fd);
        return -saved;
    }
    return fd;
}

int client_spool_open(struct client_spool *sp, const char *path)
{
    struct stat st;
    int rc;

    memset(sp, 0, sizeof(*sp));
    sp->tmp_fd = -1;
    sp->tee_fd = -1;
    sp->src_fd = 0;
    if (path != NULL) {
        sp->src_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (sp->src_fd < 0)
            return -errno;
        sp->src_owned = true;
    }
    if (fstat(sp->src_fd, &st) < 0) {
        rc = -errno;
        goto fail;
    }
    sp->src_is_store = path != NULL && S_ISREG(st.st_mode);
    sp->src_pollable = !S_ISREG(st.st_mode);
    if (!sp->src_is_store) {
        sp->tmp_fd = temp_open();
        if (sp->tmp_fd < 0) {
            rc = sp->tmp_fd;
            sp->tmp_fd = -1;
            goto fail;
        }
    }
    if (gnutls_hash_init(&sp->hash, GNUTLS_DIG_SHA256) < 0) {
        rc = -ENOMEM;
        goto fail;
    }
    sp->hash_live = true;
    return 0;
fail:
    client_spool_close(sp);
    return rc;
}

void client_spool_tee(struct client_spool *sp, int fd)
{
    sp->tee_fd = fd;
    sp->tee_err = 0;
}

/* Copies n fresh bytes to the tee descriptor; the first error stops the
 * copy for good. */
static void tee_copy(struct client_spool *sp, const void *buf, size_t n)
{
    int rc;

    if (sp->tee_fd < 0 || n == 0)
        return;
    rc = client_http_write_all(sp->tee_fd, buf, n);
    if (rc < 0) {
        sp->tee_err = rc;
        sp->tee_fd = -1;
    }
}

void client_spool_close(struct client_spool *sp)
{
    if (sp == NULL)
        return;
    if (sp->hash_live) {
        gnutls_hash_deinit(sp->hash, NULL);
        sp->hash_live = false;
    }
    if (sp->tmp_fd >= 0) {
        close(sp->tmp_fd);
        sp->tmp_fd = -1;
    }
    if (sp->src_owned && sp->src_fd >= 0) {
        close(sp->src_fd);
        sp->src_fd = -1;
        sp->src_owned = false;
    }
}

/* Writes buf fully to the temp file at off. Returns 0 or -errno. */
static int store_append(struct client_spool *sp, const void *buf, size_t n)
{
    const char *p = buf;
    uint64_t off = sp->len;

    while (n > 0) {
        ssize_t w = pwrite(sp->tmp_fd, p, n, (off_t)off);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Marks the end of input and finalises the digest. */
static void finish(struct client_spool *sp)
{
    sp->eof = true;
    if (sp->hash_live) {
        gnutls_hash_deinit(sp->hash, sp->digest);
        sp->hash_live = false;
    }
}

/* Keeps and hashes n fresh bytes of input. Returns 0 or -errno. */
static int take(struct client_spool *sp, const void *buf, size_t n)
{
    int rc;

    if (!sp->src_is_store) {
        rc = store_append(sp, buf, n);
        if (rc < 0)
            return rc;
    }
    if (gnutls_hash(sp->hash, buf, n) < 0)
        return -EIO;
    sp->len += n;
    return 0;
}

/* One read(2) of the input, or pread(2) at off of a regular FILE.
 * Returns 0 with *ret_n, or -errno. */
static int read_input(struct client_spool *sp, void *buf, size_t cap,
                      uint64_t off, size_t *ret_n)
{
    for (;;) {
        ssize_t n;

        if (sp->src_is_store)
            n = pread(sp->src_fd, buf, cap, (off_t)off);
        else
            n = read(sp->src_fd, buf, cap);
        if (n >= 0) {
            *ret_n = (size_t)n;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* a non-blocking stdin: wait for it */
            struct pollfd pfd = {.fd = sp->src_fd, .events = POLLIN};

            if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                return -errno;
            continue;
        }
        return -errno;
    }
}

int client_spool_read_new(struct client_spool *sp, void *buf, size_t cap,
                          size_t *ret_n)
{
    size_t n = 0;
    int rc;

    if (sp->eof || cap == 0) {
        *ret_n = 0;
        return 0;
    }
    rc = read_input(sp, buf, cap, sp->len, &n);
    if (rc < 0)
        return rc;
    if (n == 0) {
        finish(sp);
        *ret_n = 0;
        return 0;
    }
    rc = take(sp, buf, n);
    if (rc < 0)
        return rc;
    tee_copy(sp, buf, n);
    *ret_n = n;
    return 0;
}

int client_spool_pread(struct client_spool *sp, void *buf, size_t cap,
                       uint64_t off, size_t *ret_n)
{
    int fd = sp->src_is_store ? sp->src_fd : sp->tmp_fd;
    uint64_t avail;

    if (off >= sp->len || cap == 0)
        return -EINVAL;
    avail = sp->len - off;
    if (cap > avail)
        cap = (size_t)avail;
    for (;;) {
        ssize_t n = pread(fd, buf, cap, (off_t)off);

        if (n > 0) {
            *ret_n = (size_t)n;
            return 0;
        }
        if (n == 0)
            return -EIO; /* the stored bytes vanished (FILE truncated) */
        if (errno != EINTR)
            return -errno;
    }
}

int client_spool_drain(struct client_spool *sp, uint64_t ms)
{
    uint64_t deadline = core_clock_mono_ns() + ms * CORE_NS_PER_MS;
    char buf[65536];

    if (!sp->src_pollable || sp->eof) {
        client_http_sleep_ms(ms);
        return 0;
    }
    for (;;) {
        uint64_t now = core_clock_mono_ns();
        struct pollfd pfd = {.fd = sp->src_fd, .events = POLLIN};
        size_t n = 0;
        int rc, left;

        if (now >= deadline || sp->eof)
            break;
        left = (int)((deadline - now + CORE_NS_PER_MS - 1) / CORE_NS_PER_MS);
        rc = poll(&pfd, 1, left);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (rc == 0)
            break;
        rc = client_spool_read_new(sp, buf, sizeof(buf), &n);
        if (rc < 0)
            return rc;
    }
    if (sp->eof) {
        uint64_t now = core_clock_mono_ns();

        if (now < deadline)
            client_http_sleep_ms((deadline - now) / CORE_NS_PER_MS);
    }
    return 0;
}

int client_spool_read_rest(struct client_spool *sp, uint64_t *ret_n)
{
    char buf[65536];
    uint64_t off = sp->len, total = 0;

    while (!sp->eof) {
        size_t n = 0;
        int rc = read_input(sp, buf, sizeof(buf), off, &n);

        if (rc < 0)
            return rc;
        if (n == 0) {
            finish(sp);
            break;
        }
        tee_copy(sp, buf, n);
        off += n;
        total += n;
    }
    *ret_n = total;
    return 0;
}
