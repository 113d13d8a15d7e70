/* forward_file: one followed file (contract in forward_file.h). */
#include "forward/forward_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

/* SHA-256 of the first n bytes of fd into out. Returns 0, -ENODATA when
 * the file has fewer than n bytes, or a negative errno. */
static int fingerprint(int fd, uint32_t n, unsigned char out[32])
{
    unsigned char buf[FORWARD_CKPT_FP_MAX];
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ENODATA;
        got += (size_t)r;
    }
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, n, out) != 0)
        return -EIO;
    return 0;
}

int forward_file_open(struct forward_file *f, const char *path)
{
    struct stat st;
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    }
    f->rec.path = strdup(path);
    if (f->rec.path == NULL) {
        close(fd);
        return -ENOMEM;
    }
    f->fd = fd;
    f->rec.dev = (uint64_t)st.st_dev;
    f->rec.ino = (uint64_t)st.st_ino;
    f->size = (uint64_t)st.st_size;
    uint32_t n =
        f->size < FORWARD_CKPT_FP_MAX ? (uint32_t)f->size : FORWARD_CKPT_FP_MAX;
    if (fingerprint(fd, n, f->rec.fp) == 0)
        f->rec.fp_len = n;
    else
        fingerprint(fd, 0, f->rec.fp);
    return 0;
}

bool forward_file_matches(int fd, const struct forward_ckpt_rec *rec)
{
    struct stat st;
    unsigned char fp[32];
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_dev != rec->dev ||
        (uint64_t)st.st_ino != rec->ino)
        return false;
    return fingerprint(fd, rec->fp_len, fp) == 0 &&
           memcmp(fp, rec->fp, sizeof(fp)) == 0;
}

int forward_file_refresh(struct forward_file *f, uint64_t now_ms)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0)
        return -errno;
    uint64_t size = (uint64_t)st.st_size;
    if (size == f->size)
        return 0;
    if (size < f->size) {
        f->size = size;
        f->changed_ms = now_ms;
        f->rec.fp_len = 0;
        fingerprint(f->fd, 0, f->rec.fp);
        return -ESTALE;
    }
    f->size = size;
    f->changed_ms = now_ms;
    if (f->rec.fp_len < FORWARD_CKPT_FP_MAX) {
        uint32_t n =
            size < FORWARD_CKPT_FP_MAX ? (uint32_t)size : FORWARD_CKPT_FP_MAX;
        if (fingerprint(f->fd, n, f->rec.fp) == 0)
            f->rec.fp_len = n;
    }
    return 1;
}

bool forward_file_at_path(const struct forward_file *f)
{
    struct stat st;
    return stat(f->rec.path, &st) == 0 && (uint64_t)st.st_dev == f->rec.dev &&
           (uint64_t)st.st_ino == f->rec.ino;
}

ssize_t forward_file_pread(const struct forward_file *f, void *buf, size_t cap,
                           uint64_t off)
{
    for (;;) {
        ssize_t r = pread(f->fd, buf, cap, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -errno : r;
    }
}

void forward_file_close(struct forward_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    forward_ckpt_rec_free(&f->rec);
    free(f->req_marker);
    f->req_marker = NULL;
    free(f->url);
    f->url = NULL;
}
