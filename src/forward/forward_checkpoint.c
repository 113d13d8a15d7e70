/* forward_checkpoint: the durable state of `livelog forward` (contract in
 * forward_checkpoint.h). The document is small (one object per file being
 * followed) and rewritten whole; the forwarder batches its saves. */
#include "forward/forward_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "client/client_http.h"
#include "core/core_num.h"
#include "store/store_name.h"

/* a document larger than this is refused */
#define CKPT_MAX_BYTES (64u << 20)

void forward_ckpt_rec_free(struct forward_ckpt_rec *r)
{
    free(r->path);
    free(r->name);
    r->path = NULL;
    r->name = NULL;
}

void forward_ckpt_free(struct forward_ckpt *c)
{
    for (size_t i = 0; i < c->nrecs; i++)
        forward_ckpt_rec_free(&c->recs[i]);
    for (size_t i = 0; i < c->nnames; i++)
        free(c->names[i].name);
    free(c->recs);
    free(c->names);
    memset(c, 0, sizeof(*c));
}

static bool path_plain(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '%' && c != '"' && c != '\\';
}

char *forward_ckpt_encode_path(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path);
    char *out = malloc(3 * n + 1);
    if (out == NULL)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (path_plain(c)) {
            out[w++] = (char)c;
        } else {
            out[w++] = '%';
            out[w++] = hex[c >> 4];
            out[w++] = hex[c & 15];
        }
    }
    out[w] = '\0';
    return out;
}

char *forward_ckpt_decode_path(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] != '%') {
            out[w++] = text[i];
            continue;
        }
        int hi = i + 1 < n ? core_num_hex_digit(text[i + 1]) : -1;
        int lo = i + 2 < n ? core_num_hex_digit(text[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[w++] = (char)(hi << 4 | lo);
        i += 2;
    }
    out[w] = '\0';
    return out;
}

/* ---- parsing ---- */

struct perr {
    char *msg;
    size_t cap;
};

__attribute__((format(printf, 2, 3))) static int fail(struct perr *e,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, e->cap, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int get_u64(json_t *obj, const char *key, uint64_t *ret, bool required,
                   struct perr *e)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            return fail(e, "checkpoint: missing \"%s\"", key);
        *ret = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(e, "checkpoint: \"%s\" must be a non-negative integer",
                    key);
    *ret = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_bool(json_t *obj, const char *key, bool *ret, struct perr *e)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        *ret = false;
        return 0;
    }
    if (!json_is_boolean(v))
        return fail(e, "checkpoint: \"%s\" must be true or false", key);
    *ret = json_is_true(v);
    return 0;
}

/* Refuses keys of obj that are not in allowed (NULL-terminated). */
static int only_keys(json_t *obj, const char *const *allowed, const char *what,
                     struct perr *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL; i++)
            ok = ok || strcmp(key, allowed[i]) == 0;
        if (!ok)
            return fail(e, "checkpoint: unknown key \"%.64s\" in %s", key,
                        what);
    }
    return 0;
}

static int parse_fp(json_t *obj, struct forward_ckpt_rec *r, struct perr *e)
{
    uint64_t n = 0;
    if (get_u64(obj, "fp_len", &n, true, e) != 0)
        return -EINVAL;
    if (n > FORWARD_CKPT_FP_MAX)
        return fail(e, "checkpoint: \"fp_len\" over %u", FORWARD_CKPT_FP_MAX);
    r->fp_len = (uint32_t)n;
    json_t *v = json_object_get(obj, "fp");
    if (!json_is_string(v) || json_string_length(v) != 64)
        return fail(e, "checkpoint: \"fp\" must be 64 hex digits");
    if (core_num_parse_hex(json_string_value(v), 64, r->fp, 32) != 0)
        return fail(e, "checkpoint: \"fp\" must be 64 hex digits");
    return 0;
}

static int parse_rec(json_t *obj, struct forward_ckpt_rec *r, struct perr *e)
{
    static const char *const keys[] = {
        "dev",        "ino",       "fp",          "fp_len",
        "path",       "name",      "http_stream", "seg_file",
        "seg_stream", "marker_at", "marker_skip", "http_done",
        "out_file",   "out_done",  "skipped",     NULL};
    if (!json_is_object(obj))
        return fail(e, "checkpoint: each file must be an object");
    if (only_keys(obj, keys, "a file", e) != 0 ||
        get_u64(obj, "dev", &r->dev, true, e) != 0 ||
        get_u64(obj, "ino", &r->ino, true, e) != 0 || parse_fp(obj, r, e) ||
        get_u64(obj, "http_stream", &r->http_stream, false, e) != 0 ||
        get_u64(obj, "seg_file", &r->seg_file, false, e) != 0 ||
        get_u64(obj, "seg_stream", &r->seg_stream, false, e) != 0 ||
        get_u64(obj, "marker_at", &r->marker_at, false, e) != 0 ||
        get_u64(obj, "marker_skip", &r->marker_skip, false, e) != 0 ||
        get_u64(obj, "out_file", &r->out_file, false, e) != 0 ||
        get_u64(obj, "skipped", &r->skipped, false, e) != 0 ||
        get_bool(obj, "http_done", &r->http_done, e) != 0 ||
        get_bool(obj, "out_done", &r->out_done, e) != 0)
        return -EINVAL;
    if (r->marker_at > r->seg_stream)
        return fail(e, "checkpoint: \"marker_at\" after \"seg_stream\"");
    json_t *p = json_object_get(obj, "path");
    json_t *n = json_object_get(obj, "name");
    if (!json_is_string(p) || json_string_length(p) == 0 ||
        json_string_length(p) > 3 * 4096)
        return fail(e, "checkpoint: \"path\" must be a non-empty string");
    if (!json_is_string(n))
        return fail(e, "checkpoint: \"name\" must be a string");
    size_t nlen = json_string_length(n);
    if (nlen > 0 &&
        (strlen(json_string_value(n)) != nlen ||
         store_name_check(json_string_value(n), nlen, NULL, 0) != 0))
        return fail(e, "checkpoint: \"name\" is not a valid log name");
    r->path = forward_ckpt_decode_path(json_string_value(p));
    if (r->path == NULL)
        return fail(e, "checkpoint: \"path\" is malformed");
    r->name = strdup(json_string_value(n));
    if (r->name == NULL)
        return fail(e, "checkpoint: out of memory");
    return 0;
}

static int parse_doc(json_t *root, struct forward_ckpt *c, struct perr *e)
{
    static const char *const keys[] = {"version", "files", "names", NULL};
    uint64_t version = 0;
    if (!json_is_object(root))
        return fail(e, "checkpoint: the document must be an object");
    if (only_keys(root, keys, "the document", e) != 0 ||
        get_u64(root, "version", &version, true, e) != 0)
        return -EINVAL;
    if (version != FORWARD_CKPT_VERSION)
        return fail(e, "checkpoint: version %llu is not %d",
                    (unsigned long long)version, FORWARD_CKPT_VERSION);
    json_t *files = json_object_get(root, "files");
    json_t *names = json_object_get(root, "names");
    if (!json_is_array(files) || !json_is_object(names))
        return fail(e, "checkpoint: \"files\" must be an array and \"names\" "
                       "an object");
    size_t n = json_array_size(files);
    if (n > 0) {
        c->recs = calloc(n, sizeof(*c->recs));
        if (c->recs == NULL)
            return fail(e, "checkpoint: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        c->nrecs = i + 1;
        if (parse_rec(json_array_get(files, i), &c->recs[i], e) != 0)
            return -EINVAL;
    }
    size_t m = json_object_size(names);
    if (m > 0) {
        c->names = calloc(m, sizeof(*c->names));
        if (c->names == NULL)
            return fail(e, "checkpoint: out of memory");
    }
    const char *key;
    json_t *v;
    json_object_foreach(names, key, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return fail(e, "checkpoint: a name's count must be a positive "
                           "integer");
        if (store_name_check(key, strlen(key), NULL, 0) != 0)
            return fail(e, "checkpoint: \"names\" holds an invalid log name");
        c->names[c->nnames].name = strdup(key);
        if (c->names[c->nnames].name == NULL)
            return fail(e, "checkpoint: out of memory");
        c->names[c->nnames++].count = (uint64_t)json_integer_value(v);
    }
    return 0;
}

int forward_ckpt_parse(const char *text, size_t len, struct forward_ckpt *ret,
                       char *msg, size_t cap)
{
    struct perr e = {.msg = msg, .cap = cap};
    json_error_t jerr;
    memset(ret, 0, sizeof(*ret));
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return fail(&e, "checkpoint: not JSON (line %d: %.80s)", jerr.line,
                    jerr.text);
    int rc = parse_doc(root, ret, &e);
    json_decref(root);
    if (rc != 0)
        forward_ckpt_free(ret);
    return rc;
}

/* ---- formatting ---- */

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *format_rec(const struct forward_ckpt_rec *r)
{
    char fp[65];
    core_num_format_hex(r->fp, 32, fp);
    char *path = forward_ckpt_encode_path(r->path);
    if (path == NULL)
        return NULL;
    json_t *o = json_pack(
        "{s:o, s:o, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:o, "
        "s:b, s:o}",
        "dev", u64(r->dev), "ino", u64(r->ino), "fp", fp, "fp_len",
        u64(r->fp_len), "path", path, "name", r->name != NULL ? r->name : "",
        "http_stream", u64(r->http_stream), "seg_file", u64(r->seg_file),
        "seg_stream", u64(r->seg_stream), "marker_at", u64(r->marker_at),
        "marker_skip", u64(r->marker_skip), "http_done", (int)r->http_done,
        "out_file", u64(r->out_file), "out_done", (int)r->out_done, "skipped",
        u64(r->skipped));
    free(path);
    return o;
}

int forward_ckpt_format(const struct forward_ckpt *c, char **ret)
{
    json_t *files = json_array();
    json_t *names = json_object();
    json_t *root = NULL;
    int rc = -ENOMEM;
    *ret = NULL;
    if (files == NULL || names == NULL)
        goto out;
    for (size_t i = 0; i < c->nrecs; i++) {
        json_t *r = format_rec(&c->recs[i]);
        if (r == NULL || json_array_append_new(files, r) != 0)
            goto out;
    }
    for (size_t i = 0; i < c->nnames; i++)
        if (json_object_set_new(names, c->names[i].name,
                                u64(c->names[i].count)) != 0)
            goto out;
    root = json_pack("{s:i, s:O, s:O}", "version", FORWARD_CKPT_VERSION,
                     "files", files, "names", names);
    if (root == NULL)
        goto out;
    *ret = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    if (*ret != NULL)
        rc = 0;
out:
    json_decref(root);
    json_decref(files);
    json_decref(names);
    return rc;
}

/* ---- files ---- */

int forward_ckpt_load(const char *dir, struct forward_ckpt *ret, char *msg,
                      size_t cap)
{
    char path[4096 + 32];
    memset(ret, 0, sizeof(*ret));
    snprintf(path, sizeof(path), "%s/%s", dir, FORWARD_CKPT_FILE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        int err = errno;
        snprintf(msg, cap, "checkpoint: cannot open %s: %s", path,
                 strerror(err));
        return -err;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size > (off_t)CKPT_MAX_BYTES) {
        close(fd);
        snprintf(msg, cap, "checkpoint: %s is unreadable or too large", path);
        return -EINVAL;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        return -ENOMEM;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    int rc = forward_ckpt_parse(buf, got, ret, msg, cap);
    free(buf);
    return rc;
}

int forward_ckpt_save(const char *dir, const struct forward_ckpt *c)
{
    char path[4096 + 32], tmp[4096 + 40];
    char *text = NULL;
    int rc = forward_ckpt_format(c, &text);
    if (rc != 0)
        return rc;
    snprintf(path, sizeof(path), "%s/%s", dir, FORWARD_CKPT_FILE);
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, FORWARD_CKPT_FILE);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        free(text);
        return rc;
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps' NUL becomes the final newline */
    rc = client_http_write_all(fd, text, n + 1);
    free(text);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return -errno;
        if (fsync(dfd) != 0)
            rc = -errno;
        close(dfd);
    }
    if (rc != 0)
        unlink(tmp);
    return rc;
}
