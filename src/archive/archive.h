/* archive: completed streams copied to a long-term store, a directory
 * (file:///abs/dir, archive_file.c) or an S3-compatible bucket
 * (s3://bucket/prefix/, archive_s3.c, through libcurl with AWS Signature
 * Version 4). archive.c parses the URL and dispatches; every object is
 * written once from a file descriptor, its SHA-256 checked end to end, and
 * read back by ranges. Any thread: every function may be called
 * concurrently on one archive (each call uses its own descriptors and
 * libcurl handle); only archive_free must not race with the others.
 *
 * Objects are named by livelog stream names (store_name_check: segments of
 * [A-Za-z0-9._~-], at most 1024 bytes); any other name is -EINVAL.
 *
 * Errors, for every call: -EINVAL (a bad name or argument), -ENOMEM, and
 * those listed per call. The S3 mapping: connection failures, timeouts,
 * 408, 429, 5xx and S3's RequestTimeout/SlowDown/InternalError are -EAGAIN
 * (retryable); 401/403 (and S3's InvalidAccessKeyId, ExpiredToken, ...)
 * are -EACCES; 404 is -ENOENT for head and read, 0 for delete and abort,
 * -EIO for put and list (NoSuchBucket); any other answer is -EIO. Each
 * failure is logged once at WARNING (logger "store") with the object's
 * name and S3's error code and message, never credentials or signatures;
 * a head or read of an absent object is not logged. */
#ifndef LIVELOG_ARCHIVE_H
#define LIVELOG_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* part_size: the default, and S3's minimum part size. */
#define ARCHIVE_PART_SIZE_DEFAULT (8u << 20)
#define ARCHIVE_PART_SIZE_MIN (5u << 20)
/* S3 allows at most this many parts: larger objects get larger parts. */
#define ARCHIVE_PARTS_MAX 10000u
#define ARCHIVE_TIMEOUT_DEFAULT_S 60L

struct archive_options {
    /* s3: scheme://host[:port] of the service, e.g.
     * "http://127.0.0.1:4568"; NULL: https://s3.REGION.amazonaws.com */
    const char *endpoint;
    const char *region; /* s3: NULL for "us-east-1" */
    /* s3: path-style (http://host/bucket/key) rather than virtual-host
     * style (http://bucket.host/key) */
    bool path_style;
    /* s3 credentials (the caller resolves flags, environment, files);
     * copied. access_key NULL: anonymous, unsigned requests. */
    const char *access_key, *secret_key, *session_token;
    /* s3: objects larger than this go up in parts of this size (raised so
     * that no object needs more than ARCHIVE_PARTS_MAX parts); 0 for
     * ARCHIVE_PART_SIZE_DEFAULT; less than ARCHIVE_PART_SIZE_MIN is
     * -EINVAL */
    uint64_t part_size;
    /* s3: seconds a request may take to connect, and may stall (no byte
     * moving either way) once connected; 0 for ARCHIVE_TIMEOUT_DEFAULT_S */
    long timeout_s;
};

struct archive;

/* Opens the archive at url: "file:///abs/dir" (an absolute directory,
 * created 0700 when missing; no percent-escapes, no host) or
 * "s3://bucket/prefix/" (a DNS-style bucket name; the prefix, possibly
 * empty, of [A-Za-z0-9._~-/] segments, a missing trailing '/' added).
 * opt may be NULL (defaults); the file backend ignores it. No request is
 * made: a bucket that is unreachable or refuses us shows at the first
 * call. Returns 0 with *ret (free with archive_free), -EINVAL for a bad
 * URL or option (the reason logged at WARNING), -ENOMEM, or the error of
 * creating the directory. */
int archive_open(const char *url, const struct archive_options *opt,
                 struct archive **ret);

/* Frees a (NULL is a no-op). No call may be running on it. */
void archive_free(struct archive *a);

/* The URL, normalised and without credentials, for logs ("s3://b/p/",
 * "file:///d"). Owned by a. Can't fail. */
const char *archive_describe(const struct archive *a);

struct archive_meta {
    uint64_t size;
    unsigned char sha256[32];
    bool has_sha256; /* false for an object some other tool stored */
    uint64_t created_ms, completed_ms; /* Unix epoch ms; 0 when unknown */
};

/* Stores the object NAME with the bytes [0, meta->size) of fd (read with
 * pread, so fd's offset is untouched) and meta as its metadata
 * (meta->has_sha256 must be true). An existing object of that name is
 * replaced.
 *
 * Checked end to end: the bytes read from fd must hash to meta->sha256
 * (-EIO, nothing stored: the hash is complete before the object is
 * committed), and afterwards the object's size and stored SHA-256 are read
 * back (S3: a HEAD) and compared (-EIO, the object deleted). fd shorter
 * than meta->size is -EIO.
 *
 * s3: one PUT up to part_size, a multipart upload above it (each part's
 * x-amz-content-sha256 is its own SHA-256, each part tried up to 3 times).
 * Any failure after the upload started aborts it. upload_id_cb (may be
 * NULL) is called with the upload id once it exists, and with NULL once
 * the upload is completed or aborted; if the abort itself fails the NULL
 * call does not come, so the caller keeps the id and calls archive_abort
 * later (the same after a crash).
 *
 * Memory per call: file ~128 KiB; s3 ~0.5 MiB (one 128 KiB read buffer,
 * libcurl's 256 KiB upload and 16 KiB receive buffers, a 64 KiB bounded
 * answer) plus ~100 bytes per part (10,000 parts: ~1 MiB). Never the
 * object.
 *
 * Returns 0, -EAGAIN (unreachable, timeout, 5xx: retry later), -EIO
 * (checksum or size mismatch, a read error of fd, an unexpected answer),
 * -EACCES (401/403), -ENOSPC and other errnos of the file backend. */
int archive_put(struct archive *a, const char *name, size_t nlen, int fd,
                const struct archive_meta *meta,
                void (*upload_id_cb)(void *cls, const char *id), void *cls);

/* Aborts the multipart upload upload_id of NAME (an id from
 * upload_id_cb, e.g. left by a crash). Returns 0, also when the upload no
 * longer exists; -EAGAIN, -EACCES, -EIO. The file backend has no uploads:
 * 0. */
int archive_abort(struct archive *a, const char *name, size_t nlen,
                  const char *upload_id);

/* Fills *ret with the object's metadata (size, sha256, times). Returns 0,
 * -ENOENT when absent, -EAGAIN, -EACCES, -EIO. *ret untouched on
 * failure. */
int archive_head(struct archive *a, const char *name, size_t nlen,
                 struct archive_meta *ret);

/* Reads up to len bytes at off into buf (S3: a ranged GET). Returns the
 * count read: len, less when the object ends first, 0 at or past the end;
 * or -ENOENT, -EAGAIN, -EACCES, -EIO. */
ssize_t archive_read(struct archive *a, const char *name, size_t nlen,
                     uint64_t off, void *buf, size_t len);

/* Calls fn(cls, name, len, size) for the objects whose name starts with
 * prefix (plen 0: all), in byte order of names, at most limit times;
 * *ret_truncated (may be NULL) tells whether more objects matched. name
 * is valid during the call only. Objects whose names are not stream names
 * (put there by other tools) are skipped. s3: ListObjectsV2 pages of up
 * to 1000 keys, followed by continuation tokens (memory: one page's
 * answer, ~250 KiB for 1000 short keys, refused over 8 MiB); file: a walk
 * of the directory (memory: the entries of the directories on the path).
 * Returns 0; or -EAGAIN, -EACCES, -EIO, -EINVAL (a prefix with bytes no
 * name has), in which case fn may already have been called for some. */
int archive_list(struct archive *a, const char *prefix, size_t plen,
                 size_t limit,
                 void (*fn)(void *cls, const char *name, size_t len,
                            uint64_t size),
                 void *cls, bool *ret_truncated);

/* Deletes the object and its metadata. Returns 0, also when it was
 * absent; -EAGAIN, -EACCES, -EIO. */
int archive_delete(struct archive *a, const char *name, size_t nlen);

/* A presigned GET URL of the object NAME (SigV4 in the query string,
 * X-Amz-Expires = ttl_s, 1 to 604800), for a client to fetch it from the
 * store itself; *ret is malloc'd (the caller frees it). It grants anyone
 * who has it the object until it expires: only for public logs. Returns
 * 0, -ENOTSUP (file://, or no credentials), -EINVAL, -ENOMEM. */
int archive_presign(struct archive *a, const char *name, size_t nlen,
                    uint64_t ttl_s, int64_t now_s, char **ret);

/* Makes every transfer in progress, and every later one, fail soon
 * (-EAGAIN) instead of running to its end: the server is stopping. A
 * multipart upload cut this way keeps its id with the caller (the
 * upload_id_cb is not called with NULL), to be aborted at the next start.
 * Any thread; for the rest of the process. */
void archive_interrupt(void);

/* Lets transfers give way to ingest: while busy() is true, uploads pause
 * between blocks (50 ms at a time, at most 10 s per block, so that no
 * transfer stalls into the store's or our own timeouts). NULL: never.
 * Any thread. */
void archive_set_throttle(bool (*busy)(void));

/* ---- the backends: archive.c's dispatch only ---- */

/* Waits while the throttle says ingest is busy (see above). */
void archive_throttle_wait(void);

/* True once archive_interrupt was called (the backends' loops check it). */
bool archive_is_interrupted(void);

/* A backend behind struct archive. Each op gets the backend's own state
 * and a name already checked. */
struct archive_ops {
    void (*free)(void *impl);
    int (*put)(void *impl, const char *name, size_t nlen, int fd,
               const struct archive_meta *meta,
               void (*upload_id_cb)(void *cls, const char *id), void *cls);
    int (*abort)(void *impl, const char *name, size_t nlen,
                 const char *upload_id);
    int (*head)(void *impl, const char *name, size_t nlen,
                struct archive_meta *ret);
    ssize_t (*read)(void *impl, const char *name, size_t nlen, uint64_t off,
                    void *buf, size_t len);
    int (*list)(void *impl, const char *prefix, size_t plen, size_t limit,
                void (*fn)(void *cls, const char *name, size_t len,
                           uint64_t size),
                void *cls, bool *ret_truncated);
    int (*del)(void *impl, const char *name, size_t nlen);
    /* NULL: the backend has no URLs of its own (file://). */
    int (*presign)(void *impl, const char *name, size_t nlen, uint64_t ttl_s,
                   int64_t now_s, char **ret);
};

/* archive_file.c: opens the directory dir (absolute, NUL-terminated).
 * Returns 0 with *ret_impl, or a negative errno. */
int archive_file_open(const char *dir, void **ret_impl);
extern const struct archive_ops archive_file_ops;

/* archive_s3.c: bucket (valid), prefix ("" or ending in '/'), opt with
 * defaults applied. Returns 0 with *ret_impl, -EINVAL (logged), -ENOMEM. */
int archive_s3_open(const char *bucket, const char *prefix,
                    const struct archive_options *opt, void **ret_impl);
extern const struct archive_ops archive_s3_ops;

/* archive_file.c's sidecar "NAME@meta", parsed strictly as untrusted:
 * "livelog-archive-meta 1\n" then the lines "size N", "sha256 HEX",
 * "created-ms N", "completed-ms N", each ended by '\n', nothing else.
 * Returns 0 with *ret (has_sha256 true), -EINVAL; *ret untouched on
 * failure. Pure. */
int archive_file_meta_parse(const char *s, size_t len,
                            struct archive_meta *ret);

/* archive_s3.c's XML extractor for S3's answers, pure over (s, len):
 * finds the next element <tag>VALUE</tag> (or <tag/>) at or after *pos
 * and sets *ret_v and *ret_vlen to VALUE (still escaped) and *pos past the
 * end tag. Only exact tags match (no attributes, no namespace prefix);
 * VALUE may hold child elements. Returns 0, -ENOENT when there is no
 * such element, -EINVAL when a start tag has no end tag. Outputs
 * untouched on failure. */
int archive_s3_xml_find(const char *s, size_t len, const char *tag, size_t *pos,
                        const char **ret_v, size_t *ret_vlen);

/* Decodes XML character references in s[0..len): &amp; &lt; &gt; &quot;
 * &apos; and &#N; / &#xH; of ASCII (1-127) into out (cap bytes, NUL
 * added). Returns 0 with *ret_len, -EINVAL for any other '&' or a '<',
 * -ENOSPC when out is too small. */
int archive_s3_xml_unescape(const char *s, size_t len, char *out, size_t cap,
                            size_t *ret_len);

#endif
