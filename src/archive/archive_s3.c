/* archive_s3: the archive in an S3-compatible bucket (s3://bucket/prefix/).
 * Every call is one or more HTTP requests through libcurl, signed with
 * AWS Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4
 * "aws:amz:REGION:s3"). Each request sets x-amz-content-sha256 to the
 * payload's SHA-256 (libcurl >= 7.87 then signs that value rather than
 * hashing a body it does not hold), and libcurl 7.88 signs the query as
 * given, so every query here is built already canonical: parameters in
 * byte order, each "key=value" with values percent-encoded as SigV4
 * wants. Object keys are the prefix and the stream name, sent as they
 * are (stream names are made of unreserved bytes and '/').
 *
 * An upload reads the file twice per part with pread: once to hash the
 * part (its x-amz-content-sha256, and the object's SHA-256 checked before
 * anything is committed), once while libcurl sends it, hashed again to
 * prove the bytes sent are the bytes hashed.
 *
 * Any thread: the options are read-only after open; idle libcurl handles
 * (which keep their connections alive) wait in a small pool under a
 * mutex; each request runs on its own handle. */
#include "archive/archive.h"

#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>

#include "client/client_http.h"
#include "core/core_clock.h"
#include "core/core_num.h"
#include "log/log.h"
#include "store/store_name.h"

/* Idle handles kept for their connections. */
#define POOL_MAX 16
/* What pass 1 reads at once. */
#define HASH_BLOCK (128u * 1024u)
/* libcurl's upload buffer (it reads the file into it). */
#define UPLOAD_BUFFER (256L * 1024L)
/* The most of an answer's body kept: error bodies, UploadId, Complete. */
#define ANSWER_MAX (64u * 1024u)
/* A ListObjectsV2 page of 1000 keys of up to 1 KiB, escaped: bounded. */
#define LIST_ANSWER_MAX (8u * 1024u * 1024u)
#define LIST_PAGE_MAX 1000u
#define PART_TRIES 3u
#define ETAG_MAX 256u
#define UPLOAD_ID_MAX 1024u
/* SHA-256 of the empty payload. */
#define EMPTY_SHA256                                                           \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3 {
    char *base;       /* "http://host:port/bucket/" or "https://bucket.host/" */
    char *key_prefix; /* "" or "prefix/" */
    size_t kplen;     /* strlen(key_prefix) */
    char *sigv4;      /* "aws:amz:REGION:s3" */
    char *access_key; /* NULL: unsigned requests */
    char *secret_key; /* with access_key */
    char *token_hdr;  /* "x-amz-security-token: ..." or NULL */
    uint64_t part_size;   /* >= ARCHIVE_PART_SIZE_MIN */
    long timeout_s;       /* connect and stall limit of each request */
    pthread_mutex_t lock; /* guards idle and nidle */
    CURL *idle[POOL_MAX];
    size_t nidle;
};

/* ---- a growing string with a cap ---- */

struct sbuf {
    char *p;
    size_t len, cap, max;
    bool failed; /* out of memory or over max: stays set */
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap == 0 ? 256 : b->cap;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        if (ncap > b->max + 1)
            ncap = b->max + 1;
        if (b->len + n + 1 > ncap) {
            b->failed = true;
            return;
        }
        char *np = realloc(b->p, ncap);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_u64(struct sbuf *b, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, v);

    sb_add(b, num, (size_t)n);
}

/* Appends s percent-encoded as SigV4 wants in a query: the unreserved
 * bytes A-Z a-z 0-9 - _ . ~ as they are, every other byte %XX. */
static void sb_query_enc(struct sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            sb_add(b, s + i, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_add(b, e, 3);
        }
    }
}

/* Appends s with &, < and > escaped (XML text). */
static void sb_xml_text(struct sbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '&')
            sb_str(b, "&amp;");
        else if (*s == '<')
            sb_str(b, "&lt;");
        else if (*s == '>')
            sb_str(b, "&gt;");
        else
            sb_add(b, s, 1);
    }
}

/* ---- XML (pure) ---- */

int archive_s3_xml_find(const char *s, size_t len, const char *tag, size_t *pos,
                        const char **ret_v, size_t *ret_vlen)
{
    size_t tl = strlen(tag);

    for (size_t i = *pos; i < len; i++) {
        if (s[i] != '<' || len - i < tl + 2 || memcmp(s + i + 1, tag, tl) != 0)
            continue;
        size_t j = i + 1 + tl;
        if (s[j] == '/' && j + 1 < len && s[j + 1] == '>') {
            *ret_v = s + j + 2;
            *ret_vlen = 0;
            *pos = j + 2;
            return 0;
        }
        if (s[j] != '>')
            continue; /* a longer tag name, or attributes */
        size_t vs = j + 1;
        /* the end tag: the first "</tag>" (S3's elements do not nest in
         * themselves) */
        for (size_t k = vs; k + tl + 3 <= len; k++) {
            if (s[k] == '<' && s[k + 1] == '/' &&
                memcmp(s + k + 2, tag, tl) == 0 && s[k + 2 + tl] == '>') {
                *ret_v = s + vs;
                *ret_vlen = k - vs;
                *pos = k + tl + 3;
                return 0;
            }
        }
        return -EINVAL;
    }
    return -ENOENT;
}

int archive_s3_xml_unescape(const char *s, size_t len, char *out, size_t cap,
                            size_t *ret_len)
{
    static const struct {
        const char *ent;
        char c;
    } named[] = {{"amp;", '&'},
                 {"lt;", '<'},
                 {"gt;", '>'},
                 {"quot;", '"'},
                 {"apos;", '\''}};
    size_t o = 0;

    for (size_t i = 0; i < len;) {
        char c = s[i];
        if (c == '<')
            return -EINVAL;
        if (c == '&') {
            size_t k, used = 0;
            for (k = 0; k < sizeof named / sizeof named[0]; k++) {
                size_t el = strlen(named[k].ent);
                if (len - i - 1 >= el &&
                    memcmp(s + i + 1, named[k].ent, el) == 0) {
                    c = named[k].c;
                    used = el + 1;
                    break;
                }
            }
            if (used == 0) {
                /* &#N; or &#xH; */
                size_t j = i + 1;
                bool hex = false;
                unsigned v = 0, digits = 0;
                if (j >= len || s[j] != '#')
                    return -EINVAL;
                j++;
                if (j < len && s[j] == 'x') {
                    hex = true;
                    j++;
                }
                for (; j < len && s[j] != ';' && digits < 4; j++, digits++) {
                    char d = s[j];
                    if (d >= '0' && d <= '9')
                        v = v * (hex ? 16u : 10u) + (unsigned)(d - '0');
                    else if (hex && d >= 'a' && d <= 'f')
                        v = v * 16u + (unsigned)(d - 'a' + 10);
                    else if (hex && d >= 'A' && d <= 'F')
                        v = v * 16u + (unsigned)(d - 'A' + 10);
                    else
                        return -EINVAL;
                }
                if (digits == 0 || j >= len || s[j] != ';' || v == 0 || v > 127)
                    return -EINVAL;
                c = (char)v;
                used = j + 1 - i;
            }
            i += used;
        } else {
            i++;
        }
        if (o + 1 >= cap)
            return -ENOSPC;
        out[o++] = c;
    }
    if (cap == 0)
        return -ENOSPC;
    out[o] = '\0';
    *ret_len = o;
    return 0;
}

/* The unescaped text of the first <tag> in s[0..len) into out. Returns 0,
 * -ENOENT, -EINVAL, -ENOSPC. */
static int xml_text(const char *s, size_t len, const char *tag, char *out,
                    size_t cap)
{
    size_t pos = 0, vlen, olen;
    const char *v;
    int r = archive_s3_xml_find(s, len, tag, &pos, &v, &vlen);

    if (r < 0)
        return r;
    return archive_s3_xml_unescape(v, vlen, out, cap, &olen);
}

/* ---- one request ---- */

struct req {
    /* the request */
    const char *method; /* "GET", "HEAD", "PUT", "POST", "DELETE" */
    struct sbuf url;
    struct curl_slist *hdrs;
    int fd;            /* PUT body from a file: fd >= 0 */
    uint64_t body_off; /* its first byte in the file */
    uint64_t body_len;
    uint64_t body_pos;          /* bytes of the body handed to libcurl */
    uint64_t hashed;            /* bytes of the body hashed into body_hash */
    gnutls_hash_hd_t body_hash; /* NULL: not hashed */
    int body_err;               /* the file's read error */
    const char *mem;            /* POST body in memory */
    size_t mem_len;
    /* a ranged GET copies [want_off, want_off + want_len) into dst */
    unsigned char *dst;
    uint64_t want_off;
    size_t want_len;
    size_t got;       /* bytes copied into dst */
    bool rx_started;  /* the first body byte arrived */
    uint64_t rx_pos;  /* object offset of the next body byte */
    uint64_t rx_body; /* body bytes received */
    bool dst_done;    /* all wanted bytes arrived (transfer may be cut) */
    /* the answer */
    long status;
    bool has_length;
    uint64_t length;
    bool has_range;
    struct client_http_range range;
    char etag[ETAG_MAX];
    char meta_sha[65];
    uint64_t meta_created, meta_completed;
    struct sbuf body; /* the answer's body (errors, XML), capped */
    /* stall detection (libcurl's low-speed limit averages over 5 s) */
    uint64_t stall_ns; /* the longest time without a byte moving */
    uint64_t moved_ns; /* when a byte last moved */
    curl_off_t seen_dl, seen_ul;
    bool stalled;
    char err[CURL_ERROR_SIZE];
};

static void req_init(struct req *q, const char *method, size_t body_max)
{
    memset(q, 0, sizeof *q);
    q->method = method;
    q->fd = -1;
    q->url.max = 64u * 1024u;
    q->body.max = body_max;
}

static void req_done(struct req *q)
{
    free(q->url.p);
    free(q->body.p);
    curl_slist_free_all(q->hdrs);
    q->url.p = q->body.p = NULL;
    q->hdrs = NULL;
}

static void req_header(struct req *q, const char *h)
{
    struct curl_slist *n = curl_slist_append(q->hdrs, h);

    if (n == NULL)
        q->url.failed = true; /* reported as -ENOMEM by perform */
    else
        q->hdrs = n;
}

/* "url" = base + prefix + name [+ "?" + query, added by the caller] */
static void req_object_url(struct req *q, const struct s3 *s, const char *name,
                           size_t nlen)
{
    sb_str(&q->url, s->base);
    sb_add(&q->url, s->key_prefix, s->kplen);
    sb_add(&q->url, name, nlen);
}

static bool name_is(const char *n, size_t nlen, const char *lit)
{
    return nlen == strlen(lit) && strncasecmp(n, lit, nlen) == 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct req *q = ud;
    size_t len = size * nitems;
    const char *name, *v;
    size_t nl, vl;

    if (len > 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* a new answer (after 100 Continue): forget the last one */
        const char *sp = memchr(buf, ' ', len);
        uint64_t code = 0;
        q->status = 0;
        if (sp != NULL && (size_t)(buf + len - sp) > 4 &&
            core_num_parse_u64(sp + 1, 3, &code) == 0)
            q->status = (long)code;
        q->has_length = q->has_range = false;
        q->etag[0] = q->meta_sha[0] = '\0';
        q->meta_created = q->meta_completed = 0;
        return len;
    }
    if (client_http_split_header(buf, len, &name, &nl, &v, &vl) < 0)
        return len;
    if (name_is(name, nl, "Content-Length")) {
        q->has_length = core_num_parse_u64(v, vl, &q->length) == 0;
    } else if (name_is(name, nl, "Content-Range")) {
        q->has_range = client_http_parse_content_range(v, vl, &q->range) == 0;
    } else if (name_is(name, nl, "ETag")) {
        if (vl < sizeof q->etag) {
            memcpy(q->etag, v, vl);
            q->etag[vl] = '\0';
        }
    } else if (name_is(name, nl, "x-amz-meta-sha256")) {
        if (vl == 64) {
            memcpy(q->meta_sha, v, 64);
            q->meta_sha[64] = '\0';
        }
    } else if (name_is(name, nl, "x-amz-meta-created-ms")) {
        if (core_num_parse_u64(v, vl, &q->meta_created) < 0)
            q->meta_created = 0;
    } else if (name_is(name, nl, "x-amz-meta-completed-ms")) {
        if (core_num_parse_u64(v, vl, &q->meta_completed) < 0)
            q->meta_completed = 0;
    }
    return len;
}

static size_t on_write(char *buf, size_t size, size_t nitems, void *ud)
{
    struct req *q = ud;
    size_t len = size * nitems;

    if (q->dst != NULL && q->status / 100 == 2) {
        /* object bytes: a 206 starts where Content-Range says, a 200 at
         * 0; keep those in the wanted range. Either may start before it
         * (s3rver answers "bytes=0-0" with the whole object). */
        if (!q->rx_started) {
            q->rx_started = true;
            q->rx_pos = q->status == 206 && q->has_range && q->range.satisfied
                            ? q->range.first
                            : 0;
        }
        uint64_t want_end = q->want_off + q->want_len;
        uint64_t next = q->want_off + q->got; /* the next byte wanted */
        uint64_t to = q->rx_pos + len < want_end ? q->rx_pos + len : want_end;
        if (q->rx_pos <= next && next < to) {
            memcpy(q->dst + q->got, buf + (next - q->rx_pos),
                   (size_t)(to - next));
            q->got += (size_t)(to - next);
        }
        q->rx_pos += len;
        q->rx_body += len;
        if (q->got == q->want_len) {
            q->dst_done = true;
            /* more is coming that nobody wants: cut the transfer */
            if (!q->has_length || q->rx_body < q->length)
                return 0;
        }
        return len;
    }
    sb_add(&q->body, buf, len);
    return q->body.failed ? 0 : len;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct req *q = ud;
    size_t cap = size * nitems;
    uint64_t left = q->body_len - q->body_pos;
    ssize_t n;

    if (left == 0)
        return 0;
    archive_throttle_wait();
    q->moved_ns = core_clock_mono_ns(); /* a pause is not a stall */
    size_t want = left < cap ? (size_t)left : cap;
    do {
        n = pread(q->fd, buf, want, (off_t)(q->body_off + q->body_pos));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        q->body_err = n < 0 ? -errno : -EIO; /* 0: the file is short */
        return CURL_READFUNC_ABORT;
    }
    uint64_t end = q->body_pos + (uint64_t)n;
    if (q->body_hash != NULL && end > q->hashed && q->body_pos <= q->hashed) {
        /* bytes sent again after a rewind are not hashed twice */
        size_t skip = (size_t)(q->hashed - q->body_pos);
        gnutls_hash(q->body_hash, buf + skip, (size_t)n - skip);
        q->hashed = end;
    }
    q->body_pos = end;
    return (size_t)n;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    struct req *q = ud;

    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > q->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    q->body_pos = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    struct req *q = ud;
    uint64_t now = core_clock_mono_ns();

    (void)dltotal;
    (void)ultotal;
    if (archive_is_interrupted()) {
        q->stalled = true; /* reported as -EAGAIN: tried again later */
        return 1;
    }
    if (q->moved_ns == 0 || dlnow != q->seen_dl || ulnow != q->seen_ul) {
        q->seen_dl = dlnow;
        q->seen_ul = ulnow;
        q->moved_ns = now;
        return 0;
    }
    if (now - q->moved_ns < q->stall_ns)
        return 0;
    q->stalled = true;
    return 1; /* abort: CURLE_ABORTED_BY_CALLBACK */
}

static CURL *pool_get(struct s3 *s)
{
    CURL *h = NULL;

    pthread_mutex_lock(&s->lock);
    if (s->nidle > 0)
        h = s->idle[--s->nidle];
    pthread_mutex_unlock(&s->lock);
    if (h != NULL) {
        curl_easy_reset(h); /* keeps its connections */
        return h;
    }
    return curl_easy_init();
}

static void pool_put(struct s3 *s, CURL *h)
{
    pthread_mutex_lock(&s->lock);
    if (s->nidle < POOL_MAX) {
        s->idle[s->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (h != NULL)
        curl_easy_cleanup(h);
}

/* Runs q. Returns 0 when an answer came (q->status set, any status), or
 * a negative errno: the file's read error, -ENOMEM, -EAGAIN (could not
 * connect, timed out, connection lost), -EIO (an answer too large), or
 * -EACCES. Logs nothing. */
static int perform(struct s3 *s, struct req *q, const char *payload_sha)
{
    char hdr[128];

    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", payload_sha);
    req_header(q, hdr);
    if (s->token_hdr != NULL)
        req_header(q, s->token_hdr);
    /* No "Expect:" to turn 100-continue off: libcurl 7.88 would sign the
     * removed header as if it were sent (S3 then refuses the signature).
     * libcurl's own Expect: 100-continue (bodies over 1 MiB) is unsigned,
     * which S3 accepts, and it spares sending a body S3 refuses. */
    if (q->url.failed || q->url.p == NULL)
        return -ENOMEM;

    CURL *h = pool_get(s);
    if (h == NULL)
        return -ENOMEM;
    q->err[0] = '\0';
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->err);
    curl_easy_setopt(h, CURLOPT_URL, q->url.p);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->timeout_s);
    q->stall_ns = (uint64_t)s->timeout_s * CORE_NS_PER_S;
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, q);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "livelog/" LIVELOG_VERSION);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, q);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->hdrs);
    if (s->access_key != NULL) {
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
        curl_easy_setopt(h, CURLOPT_USERNAME, s->access_key);
        curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret_key);
    }
    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(q->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, q);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, q);
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, UPLOAD_BUFFER);
    } else if (strcmp(q->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->mem != NULL ? q->mem : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)q->mem_len);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }

    CURLcode cc = curl_easy_perform(h);
    pool_put(s, h);
    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && q->dst_done))
        return 0;
    if (q->body_err != 0)
        return q->body_err;
    if (q->stalled) {
        snprintf(q->err, sizeof q->err, "no byte moved for %ld s (timeout_s)",
                 s->timeout_s);
        return -EAGAIN;
    }
    if (cc == CURLE_WRITE_ERROR && q->body.failed)
        return -EIO;
    if (cc == CURLE_OUT_OF_MEMORY)
        return -ENOMEM;
    if (cc == CURLE_LOGIN_DENIED)
        return -EACCES;
    return client_http_transient(cc) ? -EAGAIN : -EIO;
}

/* S3's error codes that mean "try again" or "your credentials". */
static int code_errno(const char *code, int dflt)
{
    static const char *const again[] = {"RequestTimeout", "SlowDown",
                                        "InternalError", "ServiceUnavailable"};
    static const char *const denied[] = {
        "AccessDenied",  "InvalidAccessKeyId", "SignatureDoesNotMatch",
        "ExpiredToken",  "InvalidToken",       "TokenRefreshRequired",
        "AccountProblem"};

    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++)
        if (strcmp(code, again[i]) == 0)
            return -EAGAIN;
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
        if (strcmp(code, denied[i]) == 0)
            return -EACCES;
    return dflt;
}

/* The errno of an answer: 0 for 2xx. code gets S3's error code (or ""). */
static int status_errno(const struct req *q, char *code, size_t cap)
{
    int dflt;

    code[0] = '\0';
    if (q->body.p != NULL &&
        xml_text(q->body.p, q->body.len, "Code", code, cap) < 0)
        code[0] = '\0';
    if (q->status / 100 == 2)
        return 0;
    if (q->status == 401 || q->status == 403)
        dflt = -EACCES;
    else if (q->status == 404)
        dflt = -ENOENT;
    else if (q->status == 408 || q->status == 429 || q->status / 100 == 5)
        dflt = -EAGAIN;
    else
        dflt = -EIO;
    return code[0] != '\0' ? code_errno(code, dflt) : dflt;
}

/* Logs a failed operation at WARNING: what, which object, how. */
static void warn_failed(const char *op, const char *name, size_t nlen,
                        const struct req *q, const char *code, int r)
{
    char msg[256] = "";

    if (q->body.p != NULL &&
        xml_text(q->body.p, q->body.len, "Message", msg, sizeof msg) < 0)
        msg[0] = '\0';
    log_warning(LOGC_STORE, "archive request failed", LF_STR("op", op),
                LF_STRN("name", name, nlen), LF_I64("status", q->status),
                LF_STR("code", code), LF_STR("message", msg),
                LF_STR("curl", q->err), LF_STR("error", strerror(-r)));
}

/* perform + status_errno + the warning. Returns 0 for a 2xx answer. */
static int run(struct s3 *s, struct req *q, const char *payload_sha,
               const char *op, const char *name, size_t nlen, bool quiet_404)
{
    char code[64];
    int r = perform(s, q, payload_sha);

    if (r == 0)
        r = status_errno(q, code, sizeof code);
    else
        code[0] = '\0';
    if (r < 0 && !(quiet_404 && r == -ENOENT))
        warn_failed(op, name, nlen, q, code, r);
    return r;
}

/* ---- head, read, delete, abort ---- */

static int s3_head(void *impl, const char *name, size_t nlen,
                   struct archive_meta *ret)
{
    struct s3 *s = impl;
    struct req q;
    int r;

    req_init(&q, "HEAD", ANSWER_MAX);
    req_object_url(&q, s, name, nlen);
    r = run(s, &q, EMPTY_SHA256, "head", name, nlen, true);
    if (r == 0 && !q.has_length) {
        warn_failed("head", name, nlen, &q, "no Content-Length", -EIO);
        r = -EIO;
    }
    if (r == 0) {
        struct archive_meta m = {.size = q.length,
                                 .created_ms = q.meta_created,
                                 .completed_ms = q.meta_completed};
        m.has_sha256 = core_num_parse_hex(q.meta_sha, strlen(q.meta_sha),
                                          m.sha256, 32) == 0;
        *ret = m;
    }
    req_done(&q);
    return r;
}

static ssize_t s3_read(void *impl, const char *name, size_t nlen, uint64_t off,
                       void *buf, size_t len)
{
    struct s3 *s = impl;
    struct req q;
    char range[64];
    int r;

    if (len == 0) {
        struct archive_meta m;
        r = s3_head(impl, name, nlen, &m);
        return r < 0 ? r : 0;
    }
    if (off > UINT64_MAX - len)
        return 0;
    req_init(&q, "GET", ANSWER_MAX);
    req_object_url(&q, s, name, nlen);
    snprintf(range, sizeof range, "Range: bytes=%" PRIu64 "-%" PRIu64, off,
             off + len - 1);
    req_header(&q, range);
    q.dst = buf;
    q.want_off = off;
    q.want_len = len;
    r = perform(s, &q, EMPTY_SHA256);
    if (r < 0) {
        warn_failed("read", name, nlen, &q, "", r);
    } else if (q.status == 416) {
        r = 0; /* at or past the end */
    } else if (q.status / 100 != 2) {
        char code[64];
        r = status_errno(&q, code, sizeof code);
        if (r != -ENOENT)
            warn_failed("read", name, nlen, &q, code, r);
    } else if ((q.status == 206 && (!q.has_range || !q.range.satisfied)) ||
               (q.got == 0 && q.rx_started && !q.dst_done &&
                q.rx_pos - q.rx_body > off)) {
        /* a range without Content-Range, or one starting after off */
        warn_failed("read", name, nlen, &q, "bad Content-Range", -EIO);
        r = -EIO;
    }
    size_t got = q.got;
    req_done(&q);
    return r < 0 ? r : (ssize_t)got;
}

static int s3_del(void *impl, const char *name, size_t nlen)
{
    struct s3 *s = impl;
    struct req q;

    req_init(&q, "DELETE", ANSWER_MAX);
    req_object_url(&q, s, name, nlen);
    int r = run(s, &q, EMPTY_SHA256, "delete", name, nlen, true);
    req_done(&q);
    return r == -ENOENT ? 0 : r;
}

static int s3_abort(void *impl, const char *name, size_t nlen,
                    const char *upload_id)
{
    struct s3 *s = impl;
    struct req q;

    req_init(&q, "DELETE", ANSWER_MAX);
    req_object_url(&q, s, name, nlen);
    sb_str(&q.url, "?uploadId=");
    sb_query_enc(&q.url, upload_id, strlen(upload_id));
    int r = run(s, &q, EMPTY_SHA256, "abort", name, nlen, true);
    req_done(&q);
    return r == -ENOENT ? 0 : r;
}

/* ---- put ---- */

/* Hashes [off, off + len) of fd into each non-NULL hash. Returns 0, the
 * read error, or -EIO when the file ends first. */
static int hash_range(int fd, uint64_t off, uint64_t len, unsigned char *buf,
                      gnutls_hash_hd_t h1, gnutls_hash_hd_t h2)
{
    while (len > 0) {
        size_t want = len < HASH_BLOCK ? (size_t)len : HASH_BLOCK;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        if (h1 != NULL)
            gnutls_hash(h1, buf, (size_t)n);
        if (h2 != NULL)
            gnutls_hash(h2, buf, (size_t)n);
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

/* The metadata headers of an object. */
static void meta_headers(struct req *q, const struct archive_meta *m)
{
    char hex[65], h[128];

    core_num_format_hex(m->sha256, 32, hex);
    snprintf(h, sizeof h, "x-amz-meta-sha256: %s", hex);
    req_header(q, h);
    snprintf(h, sizeof h, "x-amz-meta-created-ms: %" PRIu64, m->created_ms);
    req_header(q, h);
    snprintf(h, sizeof h, "x-amz-meta-completed-ms: %" PRIu64, m->completed_ms);
    req_header(q, h);
    req_header(q, "Content-Type: application/octet-stream");
}

/* PUTs [off, off + len) of fd whose SHA-256 is sha (from pass 1) to the
 * URL the caller put in q, hashing what is sent. Returns 0 (the ETag in
 * q->etag), -EIO when the bytes sent hash differently, or run's error. */
static int put_body(struct s3 *s, struct req *q, int fd, uint64_t off,
                    uint64_t len, const unsigned char sha[32], const char *op,
                    const char *name, size_t nlen, bool *ret_stored_wrong)
{
    char hex[65];
    unsigned char sent[32];
    gnutls_hash_hd_t h;

    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
        return -ENOMEM;
    q->fd = fd;
    q->body_off = off;
    q->body_len = len;
    q->body_hash = h;
    core_num_format_hex(sha, 32, hex);
    int r = run(s, q, hex, op, name, nlen, false);
    gnutls_hash_deinit(h, sent);
    q->body_hash = NULL;
    if (r == 0 && (q->hashed != len || memcmp(sent, sha, 32) != 0)) {
        log_warning(LOGC_STORE,
                    "archive put: the file changed while it was sent",
                    LF_STRN("name", name, nlen));
        *ret_stored_wrong = true;
        r = -EIO;
    }
    return r;
}

static int put_single(struct s3 *s, const char *name, size_t nlen, int fd,
                      const struct archive_meta *meta, unsigned char *buf)
{
    unsigned char sha[32];
    gnutls_hash_hd_t h;
    struct req q;

    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
        return -ENOMEM;
    int r = hash_range(fd, 0, meta->size, buf, h, NULL);
    gnutls_hash_deinit(h, sha);
    if (r < 0) {
        log_warning(LOGC_STORE, "archive put: reading the file failed",
                    LF_STRN("name", name, nlen), LF_STR("error", strerror(-r)));
        return -EIO;
    }
    if (memcmp(sha, meta->sha256, 32) != 0) {
        log_warning(LOGC_STORE, "archive put: bytes do not match their sha256",
                    LF_STRN("name", name, nlen), LF_U64("size", meta->size));
        return -EIO;
    }
    req_init(&q, "PUT", ANSWER_MAX);
    req_object_url(&q, s, name, nlen);
    meta_headers(&q, meta);
    bool wrong = false;
    r = put_body(s, &q, fd, 0, meta->size, sha, "put", name, nlen, &wrong);
    req_done(&q);
    if (wrong)
        s3_del(s, name, nlen); /* what was stored is not the object */
    return r;
}

static int initiate(struct s3 *s, const char *name, size_t nlen,
                    const struct archive_meta *meta, char *id, size_t cap)
{
    struct req q;

    req_init(&q, "POST", ANSWER_MAX);
    req_object_url(&q, s, name, nlen);
    sb_str(&q.url, "?uploads=");
    meta_headers(&q, meta);
    int r = run(s, &q, EMPTY_SHA256, "initiate", name, nlen, false);
    if (r == 0 && (q.body.p == NULL ||
                   xml_text(q.body.p, q.body.len, "UploadId", id, cap) < 0 ||
                   id[0] == '\0')) {
        warn_failed("initiate", name, nlen, &q, "no UploadId", -EIO);
        r = -EIO;
    }
    req_done(&q);
    return r;
}

/* Uploads part number pn, [off, off + len) of fd, trying PART_TRIES
 * times; appends its <Part> to done. */
static int put_part(struct s3 *s, const char *name, size_t nlen, int fd,
                    const char *id, unsigned pn, uint64_t off, uint64_t len,
                    const unsigned char sha[32], struct sbuf *done)
{
    int r = -EAGAIN;

    for (unsigned attempt = 0; attempt < PART_TRIES && r == -EAGAIN;
         attempt++) {
        struct req q;
        if (attempt > 0)
            client_http_sleep_ms(
                client_http_backoff_ms(attempt, client_http_random()));
        req_init(&q, "PUT", ANSWER_MAX);
        req_object_url(&q, s, name, nlen);
        sb_str(&q.url, "?partNumber=");
        sb_u64(&q.url, pn);
        sb_str(&q.url, "&uploadId=");
        sb_query_enc(&q.url, id, strlen(id));
        bool wrong = false; /* the upload is aborted anyway */
        r = put_body(s, &q, fd, off, len, sha, "part", name, nlen, &wrong);
        if (r == 0 && q.etag[0] == '\0') {
            warn_failed("part", name, nlen, &q, "no ETag", -EIO);
            r = -EIO;
        }
        if (r == 0) {
            sb_str(done, "<Part><PartNumber>");
            sb_u64(done, pn);
            sb_str(done, "</PartNumber><ETag>");
            sb_xml_text(done, q.etag);
            sb_str(done, "</ETag></Part>");
            if (done->failed)
                r = -ENOMEM;
        }
        req_done(&q);
    }
    return r;
}

static int complete(struct s3 *s, const char *name, size_t nlen, const char *id,
                    const struct sbuf *parts)
{
    unsigned char sha[32];
    char hex[65];
    struct req q;

    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, parts->p, parts->len, sha) < 0)
        return -ENOMEM;
    core_num_format_hex(sha, 32, hex);
    req_init(&q, "POST", ANSWER_MAX);
    req_object_url(&q, s, name, nlen);
    sb_str(&q.url, "?uploadId=");
    sb_query_enc(&q.url, id, strlen(id));
    req_header(&q, "Content-Type: application/xml");
    q.mem = parts->p;
    q.mem_len = parts->len;
    int r = run(s, &q, hex, "complete", name, nlen, false);
    if (r == 0) {
        /* S3 may answer 200 and then report an error in the body */
        size_t pos = 0, vlen;
        const char *v;
        char code[64];
        if (q.body.p == NULL ||
            archive_s3_xml_find(q.body.p, q.body.len,
                                "CompleteMultipartUploadResult", &pos, &v,
                                &vlen) < 0) {
            if (q.body.p == NULL ||
                xml_text(q.body.p, q.body.len, "Code", code, sizeof code) < 0)
                snprintf(code, sizeof code, "no result");
            r = code_errno(code, -EIO);
            warn_failed("complete", name, nlen, &q, code, r);
        }
    }
    req_done(&q);
    return r;
}

static int put_multipart(struct s3 *s, const char *name, size_t nlen, int fd,
                         const struct archive_meta *meta, unsigned char *buf,
                         void (*upload_id_cb)(void *cls, const char *id),
                         void *cls)
{
    char id[UPLOAD_ID_MAX];
    unsigned char part_sha[32], whole_sha[32];
    struct sbuf parts = {.max = (size_t)ARCHIVE_PARTS_MAX * 512u};
    gnutls_hash_hd_t whole;
    uint64_t part = s->part_size;

    /* at most ARCHIVE_PARTS_MAX parts: larger parts, whole MiBs */
    if (meta->size / part + (meta->size % part != 0) > ARCHIVE_PARTS_MAX) {
        part = (meta->size + ARCHIVE_PARTS_MAX - 1) / ARCHIVE_PARTS_MAX;
        part = (part + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
    }
    if (gnutls_hash_init(&whole, GNUTLS_DIG_SHA256) < 0)
        return -ENOMEM;
    int r = initiate(s, name, nlen, meta, id, sizeof id);
    if (r < 0) {
        gnutls_hash_deinit(whole, NULL);
        return r;
    }
    if (upload_id_cb != NULL)
        upload_id_cb(cls, id);
    uint64_t t_start = core_clock_mono_ns();
    log_debug(LOGC_STORE, "archive multipart upload started",
              LF_STRN("name", name, nlen), LF_U64("size", meta->size),
              LF_U64("part_size", part));
    sb_str(&parts, "<CompleteMultipartUpload>");
    unsigned pn = 1;
    for (uint64_t off = 0; off < meta->size && r == 0; off += part, pn++) {
        uint64_t len = meta->size - off < part ? meta->size - off : part;
        gnutls_hash_hd_t ph;
        if (gnutls_hash_init(&ph, GNUTLS_DIG_SHA256) < 0) {
            r = -ENOMEM;
            break;
        }
        r = hash_range(fd, off, len, buf, ph, whole);
        gnutls_hash_deinit(ph, part_sha);
        if (r < 0) {
            log_warning(LOGC_STORE, "archive put: reading the file failed",
                        LF_STRN("name", name, nlen), LF_U64("offset", off),
                        LF_STR("error", strerror(-r)));
            r = -EIO;
            break;
        }
        r = put_part(s, name, nlen, fd, id, pn, off, len, part_sha, &parts);
    }
    gnutls_hash_deinit(whole, whole_sha);
    if (r == 0 && memcmp(whole_sha, meta->sha256, 32) != 0) {
        log_warning(LOGC_STORE, "archive put: bytes do not match their sha256",
                    LF_STRN("name", name, nlen), LF_U64("size", meta->size));
        r = -EIO;
    }
    uint64_t t_parts = core_clock_mono_ns();
    if (r == 0) {
        sb_str(&parts, "</CompleteMultipartUpload>");
        r = parts.failed ? -ENOMEM : complete(s, name, nlen, id, &parts);
    }
    free(parts.p);
    if (r == 0) {
        uint64_t t_done = core_clock_mono_ns();
        log_debug(LOGC_STORE, "archive multipart upload completed",
                  LF_STRN("name", name, nlen), LF_U64("size", meta->size),
                  LF_U64("parts", pn - 1),
                  LF_U64("parts_ms", (t_parts - t_start) / CORE_NS_PER_MS),
                  LF_U64("complete_ms", (t_done - t_parts) / CORE_NS_PER_MS));
        if (upload_id_cb != NULL)
            upload_id_cb(cls, NULL);
        return 0;
    }
    int a = s3_abort(s, name, nlen, id);
    if (a == 0) {
        if (upload_id_cb != NULL)
            upload_id_cb(cls, NULL);
    } else {
        log_warning(LOGC_STORE,
                    "archive put: the failed upload could not be aborted; "
                    "its id stays with the caller",
                    LF_STRN("name", name, nlen), LF_STR("upload_id", id));
    }
    return r;
}

static int s3_put(void *impl, const char *name, size_t nlen, int fd,
                  const struct archive_meta *meta,
                  void (*upload_id_cb)(void *cls, const char *id), void *cls)
{
    struct s3 *s = impl;
    unsigned char *buf = malloc(HASH_BLOCK);
    struct archive_meta back;
    int r;

    if (buf == NULL)
        return -ENOMEM;
    if (meta->size <= s->part_size)
        r = put_single(s, name, nlen, fd, meta, buf);
    else
        r = put_multipart(s, name, nlen, fd, meta, buf, upload_id_cb, cls);
    free(buf);
    if (r == -ENOENT)
        return -EIO; /* NoSuchBucket: a mistake, not a missing object */
    if (r < 0)
        return r;
    /* read back what a reader will see */
    r = s3_head(s, name, nlen, &back);
    if (r == -ENOENT)
        r = -EAGAIN; /* not visible yet */
    if (r == 0 && (back.size != meta->size || !back.has_sha256 ||
                   memcmp(back.sha256, meta->sha256, 32) != 0)) {
        log_warning(LOGC_STORE, "archive put: stored object differs",
                    LF_STRN("name", name, nlen), LF_U64("size", meta->size),
                    LF_U64("stored_size", back.size),
                    LF_BOOL("stored_sha256", back.has_sha256));
        s3_del(s, name, nlen);
        r = -EIO;
    }
    return r;
}

/* ---- list ---- */

struct list_state {
    struct s3 *s;
    size_t limit, count;
    bool truncated;
    void (*fn)(void *cls, const char *name, size_t len, uint64_t size);
    void *cls;
};

/* Reports the <Contents> of one page. Returns 0, 1 when the listing is
 * complete (limit reached and one more seen), -EIO for a bad page. */
static int list_page(struct list_state *ls, const char *x, size_t xlen)
{
    char key[3 * STORE_NAME_MAX];
    size_t pos = 0;
    const char *c;
    size_t clen;

    while (archive_s3_xml_find(x, xlen, "Contents", &pos, &c, &clen) == 0) {
        char num[32];
        size_t klen = 0;
        uint64_t size;
        size_t p2 = 0, vlen;
        const char *v;
        int r = archive_s3_xml_find(c, clen, "Key", &p2, &v, &vlen);
        if (r == 0)
            r = archive_s3_xml_unescape(v, vlen, key, sizeof key, &klen);
        if (r == -ENOSPC)
            continue; /* longer than any of our keys */
        if (r < 0 || xml_text(c, clen, "Size", num, sizeof num) < 0 ||
            core_num_parse_u64(num, strlen(num), &size) < 0)
            return -EIO;
        const struct s3 *s = ls->s;
        if (klen < s->kplen || memcmp(key, s->key_prefix, s->kplen) != 0)
            return -EIO; /* S3 returned a key outside the prefix */
        const char *name = key + s->kplen;
        size_t nlen = klen - s->kplen;
        if (store_name_check(name, nlen, NULL, 0) < 0)
            continue; /* not one of ours */
        if (ls->count == ls->limit) {
            ls->truncated = true;
            return 1;
        }
        ls->count++;
        ls->fn(ls->cls, name, nlen, size);
    }
    return 0;
}

static int s3_list(void *impl, const char *prefix, size_t plen, size_t limit,
                   void (*fn)(void *cls, const char *name, size_t len,
                              uint64_t size),
                   void *cls, bool *ret_truncated)
{
    struct s3 *s = impl;
    struct list_state ls = {.s = s, .limit = limit, .fn = fn, .cls = cls};
    char *token = NULL;
    int r = 0;

    for (;;) {
        struct req q;
        size_t left = ls.limit - ls.count;
        size_t max = left >= LIST_PAGE_MAX ? LIST_PAGE_MAX : left + 1;
        req_init(&q, "GET", LIST_ANSWER_MAX);
        sb_str(&q.url, s->base);
        sb_str(&q.url, "?");
        if (token != NULL) {
            sb_str(&q.url, "continuation-token=");
            sb_query_enc(&q.url, token, strlen(token));
            sb_str(&q.url, "&");
        }
        sb_str(&q.url, "list-type=2&max-keys=");
        sb_u64(&q.url, max);
        sb_str(&q.url, "&prefix=");
        sb_query_enc(&q.url, s->key_prefix, s->kplen);
        sb_query_enc(&q.url, prefix, plen);
        r = run(s, &q, EMPTY_SHA256, "list", prefix, plen, false);
        if (r == 0 && q.body.p == NULL)
            r = -EIO;
        if (r == 0)
            r = list_page(&ls, q.body.p, q.body.len);
        char trunc[8] = "";
        if (r == 0 && xml_text(q.body.p, q.body.len, "IsTruncated", trunc,
                               sizeof trunc) < 0)
            r = -EIO;
        if (r == 0 && strcmp(trunc, "true") == 0) {
            char *next = malloc(4096);
            if (next == NULL)
                r = -ENOMEM;
            else if (xml_text(q.body.p, q.body.len, "NextContinuationToken",
                              next, 4096) < 0 ||
                     next[0] == '\0')
                r = -EIO;
            free(token);
            token = next;
        } else if (r == 0) {
            r = 1; /* the last page */
        }
        if (r == -EIO)
            warn_failed("list", prefix, plen, &q, "bad ListObjectsV2 answer",
                        r);
        req_done(&q);
        if (r != 0)
            break;
    }
    free(token);
    if (r == -ENOENT)
        return -EIO; /* NoSuchBucket */
    if (r < 0)
        return r;
    *ret_truncated = ls.truncated;
    return 0;
}

/* ---- open, free ---- */

static void s3_free(void *impl)
{
    struct s3 *s = impl;

    for (size_t i = 0; i < s->nidle; i++)
        curl_easy_cleanup(s->idle[i]);
    pthread_mutex_destroy(&s->lock);
    free(s->base);
    free(s->key_prefix);
    free(s->sigv4);
    free(s->access_key);
    if (s->secret_key != NULL) {
        explicit_bzero(s->secret_key, strlen(s->secret_key));
        free(s->secret_key);
    }
    if (s->token_hdr != NULL) {
        explicit_bzero(s->token_hdr, strlen(s->token_hdr));
        free(s->token_hdr);
    }
    free(s);
    curl_global_cleanup();
}

static bool region_ok(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') ||
              r[i] == '-'))
            return false;
    return true;
}

/* "http[s]://host[:port][/]": host and port, no user, path or query.
 * Returns the length of "scheme://" (0 when refused) and *ret_hlen the
 * length of host[:port]. */
static size_t endpoint_split(const char *e, size_t *ret_hlen)
{
    size_t sl;

    if (strncmp(e, "http://", 7) == 0)
        sl = 7;
    else if (strncmp(e, "https://", 8) == 0)
        sl = 8;
    else
        return 0;
    size_t hl = strcspn(e + sl, "/");
    if (hl == 0 || strcspn(e + sl, "@?#% \t\r\n") < hl)
        return 0;
    const char *rest = e + sl + hl;
    if (rest[0] != '\0' && strcmp(rest, "/") != 0)
        return 0;
    *ret_hlen = hl;
    return sl;
}

static bool creds_ok(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int archive_s3_open(const char *bucket, const char *prefix,
                    const struct archive_options *opt, void **ret_impl)
{
    char def[128];
    const char *e = opt->endpoint;
    size_t hl = 0, sl;

    if (!region_ok(opt->region)) {
        log_warning(LOGC_STORE, "archive: bad region",
                    LF_STR("region", opt->region));
        return -EINVAL;
    }
    if (e == NULL) {
        snprintf(def, sizeof def, "https://s3.%s.amazonaws.com", opt->region);
        e = def;
    }
    sl = endpoint_split(e, &hl);
    if (sl == 0) {
        log_warning(
            LOGC_STORE,
            "archive: bad endpoint (http[s]://host[:port], no path)",
            LF_STR("endpoint", strchr(e, '@') != NULL ? "(withheld)" : e));
        return -EINVAL;
    }
    if ((opt->access_key != NULL) != (opt->secret_key != NULL) ||
        (opt->access_key != NULL &&
         (!creds_ok(opt->access_key) || !creds_ok(opt->secret_key))) ||
        (opt->session_token != NULL && !creds_ok(opt->session_token))) {
        log_warning(LOGC_STORE,
                    "archive: incomplete or malformed "
                    "credentials (values not shown)",
                    LF_NONE);
        return -EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -ENOMEM;
    struct s3 *s = calloc(1, sizeof *s);
    if (s == NULL) {
        curl_global_cleanup();
        return -ENOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    struct sbuf base = {.max = 4096}, sig = {.max = 256};
    if (opt->path_style) {
        sb_add(&base, e, sl + hl);
        sb_str(&base, "/");
        sb_str(&base, bucket);
        sb_str(&base, "/");
    } else {
        sb_add(&base, e, sl);
        sb_str(&base, bucket);
        sb_str(&base, ".");
        sb_add(&base, e + sl, hl);
        sb_str(&base, "/");
    }
    sb_str(&sig, "aws:amz:");
    sb_str(&sig, opt->region);
    sb_str(&sig, ":s3");
    s->base = base.p;
    s->sigv4 = sig.p;
    s->key_prefix = strdup(prefix);
    s->kplen = strlen(prefix);
    s->part_size = opt->part_size;
    s->timeout_s = opt->timeout_s;
    bool oom = base.failed || sig.failed || s->key_prefix == NULL;
    if (opt->access_key != NULL) {
        s->access_key = strdup(opt->access_key);
        s->secret_key = strdup(opt->secret_key);
        oom = oom || s->access_key == NULL || s->secret_key == NULL;
    }
    if (opt->session_token != NULL) {
        struct sbuf t = {.max = 64u * 1024u};
        sb_str(&t, "x-amz-security-token: ");
        sb_str(&t, opt->session_token);
        s->token_hdr = t.p;
        oom = oom || t.failed;
    }
    if (oom) {
        s3_free(s);
        return -ENOMEM;
    }
    *ret_impl = s;
    return 0;
}

/* ---- presigned GET URLs (SigV4, query-string authentication) ---- */

/* RFC 3986 percent-encoding as SigV4 wants it: all but unreserved. */
static void uri_encode(struct sbuf *b, const char *v, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            sb_add(b, (const char *)&v[i], 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_add(b, e, 3);
        }
    }
}

static void hmac(const void *key, size_t klen, const char *msg,
                 unsigned char out[32])
{
    (void)gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, klen, msg, strlen(msg), out);
}

static int s3_presign(void *impl, const char *name, size_t nlen, uint64_t ttl_s,
                      int64_t now_s, char **ret)
{
    const struct s3 *s = impl;
    if (s->access_key == NULL || s->secret_key == NULL)
        return -ENOTSUP;
    /* "aws:amz:REGION:s3" */
    const char *region = s->sigv4 + 8;
    size_t rlen = strlen(region) - 3;
    char date[9], stamp[17];
    time_t t = (time_t)now_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    /* host and path of the object's URL */
    const char *hs = strstr(s->base, "://");
    if (hs == NULL)
        return -EINVAL;
    hs += 3;
    const char *path = strchr(hs, '/');
    if (path == NULL)
        return -EINVAL;
    char scope[160];
    snprintf(scope, sizeof(scope), "%s/%.*s/s3/aws4_request", date, (int)rlen,
             region);
    struct sbuf cred = {.max = 4096}, query = {.max = 8192},
                canon = {.max = 16384}, url = {.max = 16384};
    sb_str(&cred, s->access_key);
    sb_str(&cred, "/");
    sb_str(&cred, scope);
    char num[32];
    snprintf(num, sizeof(num), "%" PRIu64, ttl_s);
    /* the query, its parameters in byte order */
    sb_str(&query, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
    uri_encode(&query, cred.p != NULL ? cred.p : "", cred.len);
    sb_str(&query, "&X-Amz-Date=");
    sb_str(&query, stamp);
    sb_str(&query, "&X-Amz-Expires=");
    sb_str(&query, num);
    if (s->token_hdr != NULL) {
        const char *tok = strchr(s->token_hdr, ':') + 2;
        sb_str(&query, "&X-Amz-Security-Token=");
        uri_encode(&query, tok, strlen(tok));
    }
    sb_str(&query, "&X-Amz-SignedHeaders=host");
    /* the canonical request */
    sb_str(&canon, "GET\n");
    sb_str(&canon, path);
    sb_add(&canon, s->key_prefix, s->kplen);
    sb_add(&canon, name, nlen); /* names are URL-safe already */
    sb_str(&canon, "\n");
    sb_add(&canon, query.p, query.len);
    sb_str(&canon, "\nhost:");
    sb_add(&canon, hs, (size_t)(path - hs));
    sb_str(&canon, "\n\nhost\nUNSIGNED-PAYLOAD");
    int rc = 0;
    if (cred.failed || query.failed || canon.failed) {
        rc = -ENOMEM;
        goto out;
    }
    unsigned char h[32], k[32];
    char hexed[65], to_sign[512], sig[65];
    (void)gnutls_hash_fast(GNUTLS_DIG_SHA256, canon.p, canon.len, h);
    core_num_format_hex(h, 32, hexed);
    snprintf(to_sign, sizeof(to_sign), "AWS4-HMAC-SHA256\n%s\n%s\n%s", stamp,
             scope, hexed);
    char first[1100];
    snprintf(first, sizeof(first), "AWS4%s", s->secret_key);
    hmac(first, strlen(first), date, k);
    explicit_bzero(first, sizeof(first));
    char region_z[64];
    snprintf(region_z, sizeof(region_z), "%.*s", (int)rlen, region);
    hmac(k, 32, region_z, k);
    hmac(k, 32, "s3", k);
    hmac(k, 32, "aws4_request", k);
    hmac(k, 32, to_sign, h);
    explicit_bzero(k, sizeof(k));
    core_num_format_hex(h, 32, sig);
    sb_str(&url, s->base);
    sb_add(&url, s->key_prefix, s->kplen);
    sb_add(&url, name, nlen);
    sb_str(&url, "?");
    sb_add(&url, query.p, query.len);
    sb_str(&url, "&X-Amz-Signature=");
    sb_str(&url, sig);
    if (url.failed) {
        rc = -ENOMEM;
        goto out;
    }
    *ret = url.p;
    url.p = NULL;
out:
    free(cred.p);
    free(query.p);
    free(canon.p);
    free(url.p);
    return rc;
}

const struct archive_ops archive_s3_ops = {
    .presign = s3_presign,
    .free = s3_free,
    .put = s3_put,
    .abort = s3_abort,
    .head = s3_head,
    .read = s3_read,
    .list = s3_list,
    .del = s3_del,
};
