/* archive: the URL of an archive, the checks every call shares (names,
 * arguments) and the dispatch to the backend, archive_file.c or
 * archive_s3.c. Any thread (see archive.h). */
#include "archive/archive.h"

#include <errno.h>
#include <stdatomic.h>
#include <time.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "store/store_name.h"

#define THROTTLE_STEP_MS 50u
#define THROTTLE_MAX_MS 10000u /* per call: a transfer never stalls long */

/* archive_interrupt: every transfer in progress stops (a stop). */
static atomic_bool interrupted;

void archive_interrupt(void)
{
    atomic_store(&interrupted, true);
}

bool archive_is_interrupted(void)
{
    return atomic_load_explicit(&interrupted, memory_order_relaxed);
}

/* archive_set_throttle: the caller's "ingest is busy" test. */
static _Atomic(bool (*)(void)) throttle;

void archive_set_throttle(bool (*busy)(void))
{
    atomic_store(&throttle, busy);
}

void archive_throttle_wait(void)
{
    bool (*busy)(void) = atomic_load(&throttle);
    if (busy == NULL)
        return;
    const struct timespec step = {0, THROTTLE_STEP_MS * 1000000L};
    for (unsigned waited = 0;
         waited < THROTTLE_MAX_MS && busy() && !archive_is_interrupted();
         waited += THROTTLE_STEP_MS)
        nanosleep(&step, NULL);
}

struct archive {
    const struct archive_ops *ops; /* the backend's functions */
    void *impl;                    /* the backend's state */
    char *describe;                /* the normalised URL, for logs */
};

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_name_byte(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
           c == '-' || c == '/';
}

/* A bucket name by S3's rules for new buckets: 3-63 bytes of [a-z0-9.-],
 * starting and ending with a letter or digit, no "..". */
static bool bucket_ok(const char *b, size_t len)
{
    if (len < 3 || len > 63)
        return false;
    if (!is_lower_alnum(b[0]) || !is_lower_alnum(b[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_lower_alnum(b[i]) && b[i] != '.' && b[i] != '-')
            return false;
        if (b[i] == '.' && i + 1 < len && b[i + 1] == '.')
            return false;
    }
    return true;
}

/* A key prefix: segments that are valid in stream names, each followed by
 * '/' except maybe the last. */
static bool prefix_ok(const char *p, size_t len)
{
    size_t seg = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != '/') {
            if (!is_name_byte(p[i]))
                return false;
            continue;
        }
        size_t n = i - seg;
        if (n == 0 && i < len)
            return false; /* leading or doubled '/' */
        if ((n == 1 && p[seg] == '.') ||
            (n == 2 && p[seg] == '.' && p[seg + 1] == '.'))
            return false;
        seg = i + 1;
    }
    return true;
}

/* What a rejected URL may show in the log: never userinfo. */
static const char *shown_url(const char *url)
{
    return strchr(url, '@') != NULL ? "(withheld: it holds '@')" : url;
}

static int refuse(const char *url, const char *why)
{
    log_warning(LOGC_STORE, "archive URL refused",
                LF_STR("url", shown_url(url)), LF_STR("reason", why));
    return -EINVAL;
}

static int open_file(const char *url, struct archive *a)
{
    const char *path = url + strlen("file://");
    size_t len = strlen(path);

    if (path[0] != '/')
        return refuse(url, "file:// needs an absolute directory "
                           "(file:///abs/dir: no host, no relative path)");
    if (strchr(path, '%') != NULL || strchr(path, '?') != NULL ||
        strchr(path, '#') != NULL)
        return refuse(url, "file:// paths take no percent-escapes, query or "
                           "fragment");
    while (len > 1 && path[len - 1] == '/')
        len--;
    char *dir = strndup(path, len);
    if (dir == NULL)
        return -ENOMEM;
    size_t dlen = strlen("file://") + len + 1;
    a->describe = malloc(dlen);
    if (a->describe == NULL) {
        free(dir);
        return -ENOMEM;
    }
    snprintf(a->describe, dlen, "file://%s", dir);
    int r = archive_file_open(dir, &a->impl);
    if (r < 0)
        log_warning(LOGC_STORE, "archive directory unusable",
                    LF_STR("url", a->describe), LF_I64("errno", -r),
                    LF_STR("error", strerror(-r)));
    free(dir);
    a->ops = &archive_file_ops;
    return r;
}

static int open_s3(const char *url, const struct archive_options *opt,
                   struct archive *a)
{
    const char *b = url + strlen("s3://");
    const char *slash = strchr(b, '/');
    size_t blen = slash != NULL ? (size_t)(slash - b) : strlen(b);
    const char *p = slash != NULL ? slash + 1 : "";
    size_t plen = strlen(p);
    struct archive_options o = {0};

    if (blen == 0)
        return refuse(url, "s3:// needs a bucket name (s3://bucket/prefix/)");
    if (!bucket_ok(b, blen))
        return refuse(url, "bad bucket name (3-63 bytes of a-z 0-9 . -, "
                           "starting and ending with a letter or digit)");
    if (!prefix_ok(p, plen))
        return refuse(url, "bad prefix (segments of A-Z a-z 0-9 . _ ~ - "
                           "separated by '/'; no '.' or '..' segment)");
    if (opt != NULL)
        o = *opt;
    if (o.region == NULL)
        o.region = "us-east-1";
    if (o.part_size == 0)
        o.part_size = ARCHIVE_PART_SIZE_DEFAULT;
    if (o.part_size < ARCHIVE_PART_SIZE_MIN)
        return refuse(url, "part size under 5 MiB (S3's minimum)");
    if (o.timeout_s <= 0)
        o.timeout_s = ARCHIVE_TIMEOUT_DEFAULT_S;

    bool add_slash = plen > 0 && p[plen - 1] != '/';
    char *bucket = strndup(b, blen);
    size_t xlen = plen + (add_slash ? 1 : 0) + 1;
    char *prefix = malloc(xlen);
    size_t dlen = strlen("s3://") + blen + 1 + xlen;
    a->describe = malloc(dlen);
    int r = -ENOMEM;
    if (bucket == NULL || prefix == NULL || a->describe == NULL)
        goto out;
    snprintf(prefix, xlen, "%s%s", p, add_slash ? "/" : "");
    snprintf(a->describe, dlen, "s3://%s/%s", bucket, prefix);
    a->ops = &archive_s3_ops;
    r = archive_s3_open(bucket, prefix, &o, &a->impl);
out:
    free(bucket);
    free(prefix);
    return r;
}

int archive_open(const char *url, const struct archive_options *opt,
                 struct archive **ret)
{
    if (url == NULL || ret == NULL)
        return -EINVAL;
    struct archive *a = calloc(1, sizeof *a);
    if (a == NULL)
        return -ENOMEM;
    int r;
    if (strncmp(url, "file://", strlen("file://")) == 0)
        r = open_file(url, a);
    else if (strncmp(url, "s3://", strlen("s3://")) == 0)
        r = open_s3(url, opt, a);
    else
        r = refuse(url, "unknown scheme (file:///abs/dir or "
                        "s3://bucket/prefix/)");
    if (r < 0) {
        if (a->impl != NULL)
            a->ops->free(a->impl);
        free(a->describe);
        free(a);
        return r;
    }
    *ret = a;
    return 0;
}

void archive_free(struct archive *a)
{
    if (a == NULL)
        return;
    if (a->impl != NULL)
        a->ops->free(a->impl);
    free(a->describe);
    free(a);
}

const char *archive_describe(const struct archive *a)
{
    return a->describe;
}

static bool name_ok(const char *name, size_t nlen)
{
    return name != NULL && store_name_check(name, nlen, NULL, 0) == 0;
}

int archive_put(struct archive *a, const char *name, size_t nlen, int fd,
                const struct archive_meta *meta,
                void (*upload_id_cb)(void *cls, const char *id), void *cls)
{
    if (!name_ok(name, nlen) || fd < 0 || meta == NULL || !meta->has_sha256)
        return -EINVAL;
    return a->ops->put(a->impl, name, nlen, fd, meta, upload_id_cb, cls);
}

int archive_abort(struct archive *a, const char *name, size_t nlen,
                  const char *upload_id)
{
    if (!name_ok(name, nlen) || upload_id == NULL || upload_id[0] == '\0')
        return -EINVAL;
    return a->ops->abort(a->impl, name, nlen, upload_id);
}

int archive_head(struct archive *a, const char *name, size_t nlen,
                 struct archive_meta *ret)
{
    if (!name_ok(name, nlen) || ret == NULL)
        return -EINVAL;
    return a->ops->head(a->impl, name, nlen, ret);
}

ssize_t archive_read(struct archive *a, const char *name, size_t nlen,
                     uint64_t off, void *buf, size_t len)
{
    if (!name_ok(name, nlen) || (buf == NULL && len > 0) ||
        len > (size_t)SSIZE_MAX)
        return -EINVAL;
    return a->ops->read(a->impl, name, nlen, off, buf, len);
}

int archive_list(struct archive *a, const char *prefix, size_t plen,
                 size_t limit,
                 void (*fn)(void *cls, const char *name, size_t len,
                            uint64_t size),
                 void *cls, bool *ret_truncated)
{
    bool truncated = false;

    if (fn == NULL || (prefix == NULL && plen > 0) || plen > STORE_NAME_MAX)
        return -EINVAL;
    for (size_t i = 0; i < plen; i++)
        if (!is_name_byte(prefix[i]))
            return -EINVAL;
    int r = a->ops->list(a->impl, plen > 0 ? prefix : "", plen, limit, fn, cls,
                         &truncated);
    if (r == 0 && ret_truncated != NULL)
        *ret_truncated = truncated;
    return r;
}

int archive_delete(struct archive *a, const char *name, size_t nlen)
{
    if (!name_ok(name, nlen))
        return -EINVAL;
    return a->ops->del(a->impl, name, nlen);
}

int archive_presign(struct archive *a, const char *name, size_t nlen,
                    uint64_t ttl_s, int64_t now_s, char **ret)
{
    if (!name_ok(name, nlen) || ttl_s == 0 || ttl_s > 604800 || now_s <= 0)
        return -EINVAL;
    if (a->ops->presign == NULL)
        return -ENOTSUP;
    return a->ops->presign(a->impl, name, nlen, ttl_s, now_s, ret);
}
