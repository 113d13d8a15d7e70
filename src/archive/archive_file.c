/* archive_file: the archive in a directory (file:///abs/dir). The object
 * NAME is the file DIR/NAME (directories made 0700 as needed, files 0600)
 * and its metadata the sidecar DIR/NAME@meta, a small text file (its
 * format: archive_file_meta_parse in archive.h). '@' is in no stream name, so
 * no object's file can be another's sidecar or temporary file. A put writes
 * NAME@tmp.XXXXXX while hashing, fsyncs it, and commits with renames: the old
 * sidecar goes first, then the data is renamed into place, then the new sidecar
 * (the commit point), then the directory is fsynced. An object exists only
 * while its sidecar does, so a crash at any point leaves the old object,
 * the new one, or none, never a mix; what it can leave behind are
 * NAME@tmp.* files and a data file without sidecar (skipped by every call,
 * replaced by the next put; safe to remove by hand). Unlike S3, NAME and
 * NAME/x cannot both be objects (a file is not a directory): the second
 * put fails with -ENOTDIR or -EISDIR. Empty directories go with the last
 * object in them. Any thread: no state but the directory's path. Called
 * through archive.c. */
#include "archive/archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "core/core_num.h"
#include "log/log.h"
#include "store/store_name.h"

/* One copy block: bounds a put's memory. */
#define COPY_BLOCK (128u * 1024u)
/* A sidecar is far smaller; anything this long is not one. */
#define META_MAX 512u
#define META_SUFFIX "@meta"
#define TMP_SUFFIX "@tmp.XXXXXX"
/* Tries of making the parent directories and the temporary file, which a
 * concurrent delete may remove between the two. */
#define MKDIR_TRIES 5

struct file_archive {
    char *dir;   /* absolute, no trailing '/' (except "/") */
    size_t dlen; /* strlen(dir) */
};

/* dir + "/" + name + suffix into out. Returns 0 or -ENAMETOOLONG. */
static int build_path(const struct file_archive *fa, const char *name,
                      size_t nlen, const char *suffix, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s%.*s%s", fa->dir, fa->dlen > 1 ? "/" : "",
                     (int)nlen, name, suffix);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int archive_file_open(const char *dir, void **ret_impl)
{
    struct stat st;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    if (stat(dir, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    struct file_archive *fa = calloc(1, sizeof *fa);
    if (fa == NULL)
        return -ENOMEM;
    fa->dir = strdup(dir);
    if (fa->dir == NULL) {
        free(fa);
        return -ENOMEM;
    }
    fa->dlen = strlen(dir);
    *ret_impl = fa;
    return 0;
}

static void file_free(void *impl)
{
    struct file_archive *fa = impl;

    free(fa->dir);
    free(fa);
}

/* ---- the sidecar ---- */

/* Writes the sidecar text of m into out (cap >= META_MAX). Returns its
 * length. Can't fail. */
static size_t meta_format(const struct archive_meta *m, char *out, size_t cap)
{
    char hex[65];

    core_num_format_hex(m->sha256, 32, hex);
    int n = snprintf(out, cap,
                     "livelog-archive-meta 1\nsize %llu\nsha256 %s\n"
                     "created-ms %llu\ncompleted-ms %llu\n",
                     (unsigned long long)m->size, hex,
                     (unsigned long long)m->created_ms,
                     (unsigned long long)m->completed_ms);
    return n < 0 ? 0 : (size_t)n;
}

/* Takes the line "KEY VALUE\n" at *p; returns the value's span. */
static int meta_line(const char **p, const char *end, const char *key,
                     const char **ret_v, size_t *ret_vlen)
{
    size_t klen = strlen(key);
    const char *s = *p;

    if ((size_t)(end - s) < klen + 1 || memcmp(s, key, klen) != 0 ||
        s[klen] != ' ')
        return -EINVAL;
    s += klen + 1;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    if (nl == NULL)
        return -EINVAL;
    *ret_v = s;
    *ret_vlen = (size_t)(nl - s);
    *p = nl + 1;
    return 0;
}

int archive_file_meta_parse(const char *s, size_t len, struct archive_meta *ret)
{
    static const char magic[] = "livelog-archive-meta 1\n";
    const char *p = s, *end = s + len, *v;
    size_t vlen;
    struct archive_meta m = {.has_sha256 = true};

    if (len < sizeof magic - 1 || memcmp(s, magic, sizeof magic - 1) != 0)
        return -EINVAL;
    p += sizeof magic - 1;
    if (meta_line(&p, end, "size", &v, &vlen) < 0 ||
        core_num_parse_u64(v, vlen, &m.size) < 0)
        return -EINVAL;
    if (meta_line(&p, end, "sha256", &v, &vlen) < 0 ||
        core_num_parse_hex(v, vlen, m.sha256, 32) < 0)
        return -EINVAL;
    if (meta_line(&p, end, "created-ms", &v, &vlen) < 0 ||
        core_num_parse_u64(v, vlen, &m.created_ms) < 0)
        return -EINVAL;
    if (meta_line(&p, end, "completed-ms", &v, &vlen) < 0 ||
        core_num_parse_u64(v, vlen, &m.completed_ms) < 0)
        return -EINVAL;
    if (p != end)
        return -EINVAL;
    *ret = m;
    return 0;
}

/* Reads and parses the sidecar at path. Returns 0, -ENOENT, -EIO for a
 * damaged one (logged), or another negative errno. */
static int meta_read(const char *path, struct archive_meta *ret)
{
    char buf[META_MAX];
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        if (n == 0 || (len += (size_t)n) == sizeof buf)
            break;
    }
    close(fd);
    if (len == sizeof buf || archive_file_meta_parse(buf, len, ret) < 0) {
        log_warning(LOGC_STORE, "archive sidecar damaged",
                    LF_STR("path", path));
        return -EIO;
    }
    return 0;
}

/* ---- put ---- */

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Creates the parent directories of path (the part after dir) 0700.
 * Returns how many it created, or a negative errno. */
static int make_parents(const struct file_archive *fa, char *path)
{
    int made = 0;

    for (char *s = path + fa->dlen + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        int r = 0;
        if (mkdir(path, 0700) == 0)
            made++;
        else if (errno != EEXIST)
            r = -errno;
        *s = '/';
        if (r < 0)
            return r;
    }
    return made;
}

/* Creates the temporary file from template tmp (ending in XXXXXX),
 * parents included (*made set when a directory was created). Returns the
 * descriptor or a negative errno. */
static int make_temp(const struct file_archive *fa, char *tmp, bool *made)
{
    size_t tlen = strlen(tmp);

    for (int i = 0; i < MKDIR_TRIES; i++) {
        int r = make_parents(fa, tmp);
        if (r < 0)
            return r;
        if (r > 0)
            *made = true;
        memcpy(tmp + tlen - 6, "XXXXXX", 6);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != ENOENT)
            return -errno;
    }
    return -ENOENT;
}

/* Copies [0, size) of src into dst, hashing what it read. */
static int copy_hashed(int src, int dst, uint64_t size, unsigned char *buf,
                       unsigned char ret_sha[32])
{
    gnutls_hash_hd_t h;
    uint64_t off = 0;
    int r = 0;

    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
        return -ENOMEM;
    while (off < size) {
        archive_throttle_wait();
        if (archive_is_interrupted()) {
            r = -EAGAIN; /* the server is stopping: done again later */
            break;
        }
        size_t want =
            size - off < COPY_BLOCK ? (size_t)(size - off) : COPY_BLOCK;
        ssize_t n = pread(src, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = -EIO; /* a read error, or the file is shorter than size */
            break;
        }
        gnutls_hash(h, buf, (size_t)n);
        r = write_all(dst, buf, (size_t)n);
        if (r < 0)
            break;
        off += (uint64_t)n;
    }
    gnutls_hash_deinit(h, ret_sha);
    return r;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

/* fsyncs path's directory and, when all is true, every directory above
 * it up to the archive's root (new directories' entries). */
static int fsync_parents(const struct file_archive *fa, char *path, bool all)
{
    /* the '/' that ends the root ("/" itself: the first byte) */
    char *root_end = fa->dlen == 1 ? path : path + fa->dlen;
    char *end = path + strlen(path);
    int r = 0;

    for (;;) {
        char *slash = end;
        while (slash > path && *--slash != '/')
            ;
        if (slash < root_end || *slash != '/')
            break;
        *slash = '\0';
        r = fsync_dir(slash == path ? "/" : path);
        *slash = '/';
        if (r < 0 || !all || slash == root_end)
            break;
        end = slash;
    }
    return r;
}

/* Removes the empty directories between path's parent and the archive's
 * root (a concurrent put may refill one: then rmdir fails, which is
 * fine). */
static void prune_parents(const struct file_archive *fa, char *path)
{
    char *root_end = path + fa->dlen;

    for (;;) {
        char *slash = strrchr(path, '/');
        if (slash == NULL || slash <= root_end)
            return;
        *slash = '\0';
        if (rmdir(path) < 0)
            return;
    }
}

static int file_del(void *impl, const char *name, size_t nlen);

static int file_put(void *impl, const char *name, size_t nlen, int fd,
                    const struct archive_meta *meta,
                    void (*upload_id_cb)(void *cls, const char *id), void *cls)
{
    struct file_archive *fa = impl;
    char path[PATH_MAX], side[PATH_MAX], tmp[PATH_MAX], mtmp[PATH_MAX];
    char text[META_MAX];
    unsigned char sha[32];
    unsigned char *buf = NULL;
    int tfd = -1, mfd = -1, r;

    (void)upload_id_cb; /* no multipart uploads here */
    (void)cls;
    tmp[0] = mtmp[0] = '\0';
    if ((r = build_path(fa, name, nlen, "", path, sizeof path)) < 0 ||
        (r = build_path(fa, name, nlen, META_SUFFIX, side, sizeof side)) < 0 ||
        (r = build_path(fa, name, nlen, TMP_SUFFIX, tmp, sizeof tmp)) < 0 ||
        (r = build_path(fa, name, nlen, META_SUFFIX TMP_SUFFIX, mtmp,
                        sizeof mtmp)) < 0)
        return r;
    buf = malloc(COPY_BLOCK);
    if (buf == NULL)
        return -ENOMEM;
    bool made = false;
    const char *what = "creating the temporary file";
    tfd = make_temp(fa, tmp, &made);
    if (tfd < 0) {
        r = tfd;
        tmp[0] = '\0';
        goto fail;
    }
    what = "copying the file";
    r = copy_hashed(fd, tfd, meta->size, buf, sha);
    if (r < 0)
        goto fail;
    if (memcmp(sha, meta->sha256, sizeof sha) != 0) {
        what = "the bytes do not match their sha256";
        r = -EIO;
        goto fail;
    }
    struct stat st;
    what = "syncing the file";
    if (fsync(tfd) < 0 || fstat(tfd, &st) < 0) {
        r = -errno;
        goto fail;
    }
    if ((uint64_t)st.st_size != meta->size) {
        r = -EIO;
        goto fail;
    }
    what = "writing the sidecar";
    mfd = make_temp(fa, mtmp, &made);
    if (mfd < 0) {
        r = mfd;
        mtmp[0] = '\0';
        goto fail;
    }
    size_t tlen = meta_format(meta, text, sizeof text);
    if ((r = write_all(mfd, text, tlen)) < 0)
        goto fail;
    if (fsync(mfd) < 0) {
        r = -errno;
        goto fail;
    }
    /* uncommit the old object, move the data in, commit */
    what = "renaming into place";
    if (unlink(side) < 0 && errno != ENOENT) {
        r = -errno;
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        r = -errno;
        goto fail;
    }
    tmp[0] = '\0';
    if (rename(mtmp, side) < 0) {
        r = -errno;
        goto fail;
    }
    mtmp[0] = '\0';
    what = "syncing the directory";
    if ((r = fsync_parents(fa, path, made)) < 0)
        goto fail;
    close(tfd);
    close(mfd);
    free(buf);

    /* read back what a reader will see */
    struct archive_meta back;
    r = meta_read(side, &back);
    if (r == 0 && (stat(path, &st) < 0 || (uint64_t)st.st_size != back.size ||
                   back.size != meta->size ||
                   memcmp(back.sha256, meta->sha256, 32) != 0)) {
        log_warning(LOGC_STORE, "archive put: stored object differs",
                    LF_STRN("name", name, nlen));
        r = -EIO;
    }
    if (r < 0)
        file_del(impl, name, nlen);
    return r;
fail:
    log_warning(LOGC_STORE, "archive put failed", LF_STRN("name", name, nlen),
                LF_U64("size", meta->size), LF_STR("step", what),
                LF_STR("error", strerror(-r)));
    if (tfd >= 0)
        close(tfd);
    if (mfd >= 0)
        close(mfd);
    if (tmp[0] != '\0')
        unlink(tmp);
    if (mtmp[0] != '\0')
        unlink(mtmp);
    free(buf);
    prune_parents(fa, path);
    return r;
}

static int file_abort(void *impl, const char *name, size_t nlen,
                      const char *upload_id)
{
    (void)impl;
    (void)name;
    (void)nlen;
    (void)upload_id;
    return 0;
}

static int file_head(void *impl, const char *name, size_t nlen,
                     struct archive_meta *ret)
{
    struct file_archive *fa = impl;
    char path[PATH_MAX], side[PATH_MAX];
    struct archive_meta m;
    struct stat st;
    int r;

    if ((r = build_path(fa, name, nlen, "", path, sizeof path)) < 0 ||
        (r = build_path(fa, name, nlen, META_SUFFIX, side, sizeof side)) < 0)
        return r;
    if ((r = meta_read(side, &m)) < 0)
        return r;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != m.size) {
        log_warning(LOGC_STORE, "archive object differs from its sidecar",
                    LF_STRN("name", name, nlen), LF_U64("size", m.size),
                    LF_I64("file_size", st.st_size));
        return -EIO;
    }
    *ret = m;
    return 0;
}

static ssize_t file_read(void *impl, const char *name, size_t nlen,
                         uint64_t off, void *buf, size_t len)
{
    struct file_archive *fa = impl;
    char path[PATH_MAX], side[PATH_MAX];
    struct stat st;
    size_t got = 0;
    int r;

    if ((r = build_path(fa, name, nlen, "", path, sizeof path)) < 0 ||
        (r = build_path(fa, name, nlen, META_SUFFIX, side, sizeof side)) < 0)
        return r;
    if (lstat(side, &st) < 0) /* no sidecar: no object */
        return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    if (off > (uint64_t)INT64_MAX) {
        close(fd);
        return 0;
    }
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            close(fd);
            return r;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

static int file_del(void *impl, const char *name, size_t nlen)
{
    struct file_archive *fa = impl;
    char path[PATH_MAX], side[PATH_MAX];
    int r;

    if ((r = build_path(fa, name, nlen, "", path, sizeof path)) < 0 ||
        (r = build_path(fa, name, nlen, META_SUFFIX, side, sizeof side)) < 0)
        return r;
    if (unlink(side) < 0 && errno != ENOENT && errno != ENOTDIR)
        return -errno;
    if (unlink(path) < 0 && errno != ENOENT && errno != ENOTDIR)
        return -errno;
    prune_parents(fa, path);
    return 0;
}

/* ---- list ---- */

struct walk {
    const char *prefix; /* what names must start with */
    size_t plen;
    size_t limit; /* calls of fn allowed */
    size_t count; /* calls made */
    bool truncated;
    void (*fn)(void *cls, const char *name, size_t len, uint64_t size);
    void *cls;
    char name[STORE_NAME_MAX + 2]; /* the name walked so far */
};

struct entry {
    char *key; /* the entry's name, with '/' appended for a directory */
    bool dir;
};

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key,
                  ((const struct entry *)b)->key);
}

/* Whether the name so far (w->name[0..len)) can still lead to one that
 * starts with the prefix: one of the two starts with the other. */
static bool may_match(const struct walk *w, size_t len)
{
    size_t n = len < w->plen ? len : w->plen;

    return memcmp(w->name, w->prefix, n) == 0;
}

static bool seg_byte_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
           c == '-';
}

static void entries_free(struct entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
}

/* Reads the entries of directory d worth walking (names of stream-name
 * bytes, regular files and directories, those that may match the
 * prefix), sorted as names sort: a directory by its name and '/'. */
static int read_entries(struct walk *w, size_t len, DIR *d, struct entry **ret,
                        size_t *ret_n)
{
    struct entry *v = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            r = errno != 0 ? -errno : 0;
            break;
        }
        const char *s = de->d_name;
        size_t sl = strlen(s);
        bool ok = sl > 0 && !(sl == 1 && s[0] == '.') &&
                  !(sl == 2 && s[0] == '.' && s[1] == '.');
        for (size_t i = 0; ok && i < sl; i++)
            ok = seg_byte_ok(s[i]); /* skips the @meta and @tmp files */
        if (!ok || len + sl + 1 > STORE_NAME_MAX)
            continue;
        bool dir;
        if (de->d_type == DT_DIR || de->d_type == DT_REG) {
            dir = de->d_type == DT_DIR;
        } else {
            struct stat st;
            if (de->d_type != DT_UNKNOWN ||
                fstatat(dirfd(d), s, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
                continue; /* symbolic links, devices, ... */
            dir = S_ISDIR(st.st_mode);
        }
        memcpy(w->name + len, s, sl);
        w->name[len + sl] = '/';
        if (!may_match(w, len + sl + (dir ? 1 : 0)) ||
            (!dir && len + sl < w->plen))
            continue;
        if (n == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            struct entry *nv = realloc(v, ncap * sizeof *nv);
            if (nv == NULL) {
                r = -ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        v[n].key = malloc(sl + 2);
        if (v[n].key == NULL) {
            r = -ENOMEM;
            break;
        }
        memcpy(v[n].key, s, sl);
        v[n].key[sl] = dir ? '/' : '\0';
        v[n].key[sl + 1] = '\0';
        v[n].dir = dir;
        n++;
    }
    if (r < 0) {
        entries_free(v, n);
        return r;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, entry_cmp);
    *ret = v;
    *ret_n = n;
    return 0;
}

/* One object of the walk: reported when committed (its sidecar exists)
 * and its name is a stream name. Returns 0, or 1 when the limit was
 * already reached (the listing is truncated and complete). */
static int walk_file(struct walk *w, size_t len, DIR *d, const char *key)
{
    char side[NAME_MAX + 1];
    struct stat st;
    size_t kl = strlen(key);

    if (kl + sizeof META_SUFFIX > sizeof side)
        return 0;
    memcpy(side, key, kl);
    memcpy(side + kl, META_SUFFIX, sizeof META_SUFFIX);
    if (fstatat(dirfd(d), side, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        fstatat(dirfd(d), key, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(st.st_mode))
        return 0; /* not committed, or removed meanwhile */
    memcpy(w->name + len, key, kl);
    if (store_name_check(w->name, len + kl, NULL, 0) < 0)
        return 0;
    if (w->count == w->limit) {
        w->truncated = true;
        return 1;
    }
    w->count++;
    w->fn(w->cls, w->name, len + kl, (uint64_t)st.st_size);
    return 0;
}

/* Walks directory dfd (taken), whose objects' names start with
 * w->name[0..len). Returns 0, 1 once the listing is complete, or a
 * negative errno. */
static int walk_dir(struct walk *w, size_t len, int dfd)
{
    DIR *d = fdopendir(dfd);
    struct entry *v = NULL;
    size_t n = 0;
    int r;

    if (d == NULL) {
        r = -errno;
        close(dfd);
        return r;
    }
    r = read_entries(w, len, d, &v, &n);
    for (size_t i = 0; i < n && r == 0; i++) {
        if (!v[i].dir) {
            r = walk_file(w, len, d, v[i].key);
            continue;
        }
        size_t kl = strlen(v[i].key); /* with its '/' */
        v[i].key[kl - 1] = '\0';
        int sub = openat(dirfd(d), v[i].key,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            if (errno != ENOENT) /* removed meanwhile */
                r = -errno;
            continue;
        }
        memcpy(w->name + len, v[i].key, kl - 1);
        w->name[len + kl - 1] = '/';
        r = walk_dir(w, len + kl, sub);
    }
    entries_free(v, n);
    closedir(d);
    return r;
}

static int file_list(void *impl, const char *prefix, size_t plen, size_t limit,
                     void (*fn)(void *cls, const char *name, size_t len,
                                uint64_t size),
                     void *cls, bool *ret_truncated)
{
    struct file_archive *fa = impl;
    struct walk *w = calloc(1, sizeof *w);

    if (w == NULL)
        return -ENOMEM;
    w->prefix = prefix;
    w->plen = plen;
    w->limit = limit;
    w->fn = fn;
    w->cls = cls;
    int dfd = open(fa->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = dfd < 0 ? -errno : walk_dir(w, 0, dfd);
    if (r >= 0)
        *ret_truncated = w->truncated;
    free(w);
    return r < 0 ? r : 0;
}

const struct archive_ops archive_file_ops = {
    .free = file_free,
    .put = file_put,
    .abort = file_abort,
    .head = file_head,
    .read = file_read,
    .list = file_list,
    .del = file_del,
};
