/* http_read: GET and HEAD of a stream (contract in http_read.h). Runs on
 * the read listener's threads; the content reader below runs on the
 * thread that owns the connection, the wake function on whichever thread
 * committed the bytes. */
#include "http/http_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core_clock.h"
#include "http/http_archive.h"
#include "http/http_cache.h"
#include "http/http_daemon.h"
#include "http/http_range.h"
#include "http/http_respond.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "stream/stream_waker.h"

/* libmicrohttpd copies chunked bodies through the connection's own
 * buffer; this block is only used for HTTP/1.0 clients and known-size
 * live ranges, so it stays small (it is allocated per follower). */
#define FOLLOW_BLOCK 2048
#define RANGE_BLOCK (16 * 1024)
/* Stored bytes over TLS cannot go by sendfile, and libmicrohttpd 0.9.75
 * reads a file response 4 KiB at a time, which makes one 4 KiB TLS record
 * per read: a 1 GiB download then costs two syscalls and a record per
 * 4 KiB. The content reader with this block reads 64 KiB at once, which
 * GnuTLS sends as full 16 KiB records. Allocated per such download. */
#define TLS_FILE_BLOCK (64 * 1024)
/* Complete logs up to this size are answered from one shared response
 * held in memory (reference counted by libmicrohttpd), not from the file
 * for every request. */
#define CACHE_MAX (64 * 1024)

/* The headers a browser's script may read (the drop-in's list is
 * unchanged). */
#define EXPOSE                                                                 \
    "Transfer-Encoding, Content-Range, Accept-Ranges, Livelog-State, "         \
    "Upload-Offset, Livelog-Elided, Livelog-Archived"

static _Atomic uint64_t followers;

/* One live response: the reader's position lives in libmicrohttpd (pos),
 * the rest here. Freed by libmicrohttpd through reader_free. */
#define MARKER_MAX 200

/* One live response: libmicrohttpd counts the bytes it was given (pos);
 * the log offset is pos + shift (the shift changes when a keep-tail
 * marker stands in for elided bytes). Holds a reference on its stream.
 * Freed by libmicrohttpd through reader_free. */
struct reader {
    struct stream *stream;
    struct MHD_Connection *conn;
    int64_t shift;           /* log offset = pos + shift                      */
    uint64_t end;            /* log end (exclusive); UINT64_MAX: follow       */
    bool known_size;         /* a Content-Length was sent: no marker allowed  */
    uint64_t sent;           /* bytes handed to libmicrohttpd so far          */
    uint64_t probe;          /* the idle-probe round this reader last checked */
    char marker[MARKER_MAX]; /* a keep-tail marker being sent         */
    size_t marker_len, marker_pos;
    uint64_t marker_to; /* the log offset after the marker            */
    struct stream_waiter waiter;
};

/* The line that stands for the elided middle of a keep-tail log; it
 * names the elided byte range, so a client knows where the log resumes. */
static size_t marker_text(char *buf, size_t cap, uint64_t head, uint64_t end)
{
    int n = snprintf(buf, cap,
                     "\n[livelog: bytes %" PRIu64 "-%" PRIu64
                     " elided (%" PRIu64 " bytes): the log went over "
                     "--max-stream-bytes and keeps its start and its end]\n",
                     head, end - 1, end - head);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

uint64_t http_read_followers(void)
{
    return atomic_load_explicit(&followers, memory_order_relaxed);
}

static void reader_park(struct stream_waiter *w)
{
    struct reader *r = w->cls;
    MHD_suspend_connection(r->conn);
}

static void reader_wake(struct stream_waiter *w)
{
    struct reader *r = w->cls;
    MHD_resume_connection(r->conn);
}

/* True when the client has closed its side: libmicrohttpd does not watch
 * a suspended connection, so a reader woken by an idle-probe round checks
 * before parking again (one recv per follower per round, not per park). */
static bool peer_gone(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci == NULL)
        return false;
    char c;
    ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

static bool state_is_final(const struct stream *s, enum store_state st)
{
    return st == STORE_COMPLETE || (st == STORE_INTERRUPTED && !s->resumable);
}

static ssize_t reader_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct reader *r = cls;
    struct store_stream *store = r->stream->store;

    if (r->marker_pos < r->marker_len) {
        size_t n = r->marker_len - r->marker_pos;
        if (n > max)
            n = max;
        memcpy(buf, r->marker + r->marker_pos, n);
        r->marker_pos += n;
        if (r->marker_pos == r->marker_len)
            r->shift = (int64_t)r->marker_to - (int64_t)(pos + n);
        r->sent += n;
        return (ssize_t)n;
    }
    uint64_t off = (uint64_t)((int64_t)pos + r->shift);

    for (;;) {
        if (off >= r->end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        /* State first, then length: a final state seen here means the
         * length read next is final too (both are release-published). */
        enum store_state st = store_stream_state(store);
        uint64_t len = store_stream_length(store);
        if (off < len) {
            uint64_t want = len - off;
            if (want > r->end - off)
                want = r->end - off;
            if (want > max)
                want = max;
            ssize_t n = store_stream_read(store, off, buf, (size_t)want);
            if (n > 0) {
                r->sent += (uint64_t)n;
                metrics_add(METRICS_BYTES_SENT, (uint64_t)n);
                return n;
            }
            if (n == -ESPIPE) {
                /* keep-tail elided these bytes: a marker line stands in
                 * for them, then the log goes on where the elision ends.
                 * A response with a Content-Length cannot grow a marker. */
                if (r->known_size)
                    return MHD_CONTENT_READER_END_WITH_ERROR;
                r->marker_to = store_stream_elided_end(store);
                r->marker_len =
                    marker_text(r->marker, sizeof(r->marker),
                                store_stream_keep_head(store), r->marker_to);
                r->marker_pos = 0;
                return reader_read(cls, pos, buf, max);
            }
            size_t nlen = 0;
            const char *name = store_stream_name(store, &nlen);
            log_warning(LOGC_HTTP, "reading the stored log failed",
                        nlen > 0 ? LF_STRN("name", name, nlen) : LF_NONE,
                        LF_I64("errno", n < 0 ? -n : EIO),
                        LF_U64("offset", off));
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (state_is_final(r->stream, st)) {
            /* A known-size range that the final log cannot fill ends
             * with an error so the client sees a short body. */
            return r->known_size ? MHD_CONTENT_READER_END_WITH_ERROR
                                 : MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (stream_is_closing(r->stream))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        uint64_t round = stream_waker_probe_round();
        if (round != r->probe) {
            r->probe = round;
            if (peer_gone(r->conn))
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (stream_park(r->stream, &r->waiter, len, st, reader_park))
            return 0;
    }
}

static void reader_free(void *cls)
{
    struct reader *r = cls;
    stream_unpark(r->stream, &r->waiter);
    stream_unref(r->stream);
    atomic_fetch_sub_explicit(&followers, 1, memory_order_relaxed);
    /* libmicrohttpd's position is the bytes sent, so the log offset the
     * follower reached is sent + shift. */
    log_debug(LOGC_HTTP, "follower detached",
              LF_U64("offset", (uint64_t)((int64_t)r->sent + r->shift)),
              LF_U64("bytes", r->sent));
    free(r);
}

/* A response served by the content reader from `start`: following until
 * the log completes (end UINT64_MAX), or up to `end`; with known_size the
 * length end - start is announced. */
static struct MHD_Response *reader_response(struct http_request *req,
                                            struct stream *s, uint64_t start,
                                            uint64_t end, bool known_size,
                                            size_t block)
{
    struct reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->stream = s;
    r->conn = req->conn;
    r->shift = (int64_t)start;
    r->end = end;
    r->known_size = known_size;
    r->waiter.cls = r;
    r->waiter.wake = reader_wake;
    r->probe = stream_waker_probe_round();
    uint64_t size = known_size ? end - start : MHD_SIZE_UNKNOWN;
    struct MHD_Response *resp = MHD_create_response_from_callback(
        size, block, reader_read, r, reader_free);
    if (resp == NULL) {
        free(r);
        return NULL;
    }
    stream_ref(s);
    atomic_fetch_add_explicit(&followers, 1, memory_order_relaxed);
    log_debug(LOGC_HTTP, "follower attached", LF_U64("offset", start),
              LF_BOOL("bounded", end != UINT64_MAX));
    return resp;
}

static struct MHD_Response *live_response(struct http_request *req,
                                          struct stream *s, uint64_t start,
                                          uint64_t end, bool known_size)
{
    return reader_response(req, s, start, end, known_size,
                           known_size ? RANGE_BLOCK : FOLLOW_BLOCK);
}

/* A complete keep-tail log, as readers see it: its first bytes, one
 * marker line, its last bytes. `start` is an offset in that view. */
struct view {
    struct stream *stream; /* referenced */
    uint64_t start, head, elided_end, len;
    char marker[MARKER_MAX];
    size_t mlen;
};

static uint64_t view_length(const struct view *v)
{
    return v->head + v->mlen + (v->len - v->elided_end);
}

static ssize_t view_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct view *v = cls;
    uint64_t p = v->start + pos;
    if (p >= view_length(v))
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (p >= v->head && p < v->head + v->mlen) {
        size_t n = (size_t)(v->head + v->mlen - p);
        if (n > max)
            n = max;
        memcpy(buf, v->marker + (p - v->head), n);
        return (ssize_t)n;
    }
    uint64_t off = p < v->head ? p : v->elided_end + (p - v->head - v->mlen);
    uint64_t stop = p < v->head ? v->head : v->len;
    size_t want = stop - off < max ? (size_t)(stop - off) : max;
    ssize_t n = store_stream_read(v->stream->store, off, buf, want);
    if (n <= 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    metrics_add(METRICS_BYTES_SENT, (uint64_t)n);
    return n;
}

static void view_free(void *cls)
{
    struct view *v = cls;
    stream_unref(v->stream);
    free(v);
}

static struct view *view_new(struct stream *s, uint64_t len)
{
    struct view *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    v->stream = s;
    v->head = store_stream_keep_head(s->store);
    v->elided_end = store_stream_elided_end(s->store);
    v->len = len;
    v->mlen = marker_text(v->marker, sizeof(v->marker), v->head, v->elided_end);
    stream_ref(s);
    return v;
}

static struct MHD_Response *view_response(struct view *v, uint64_t start,
                                          uint64_t end)
{
    v->start = start;
    struct MHD_Response *resp = MHD_create_response_from_callback(
        end - start, RANGE_BLOCK, view_read, v, view_free);
    if (resp == NULL)
        view_free(v);
    return resp;
}

/* Bytes [start, end) that are all committed already: sendfile. Over TLS,
 * and when no descriptor can be opened for it (out of descriptors, say),
 * the content reader serves them through the stream's own descriptor
 * instead. */
static struct MHD_Response *stored_response(struct http_request *req,
                                            struct stream *s, uint64_t start,
                                            uint64_t end)
{
    if (end == start)
        return MHD_create_response_from_buffer(0, (void *)"",
                                               MHD_RESPMEM_PERSISTENT);
    const union MHD_ConnectionInfo *tls =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (tls != NULL && tls->tls_session != NULL)
        return reader_response(req, s, start, end, true, TLS_FILE_BLOCK);
    int fd = store_stream_open_reader(s->store);
    if (fd < 0) {
        size_t nlen = 0;
        const char *name = store_stream_name(s->store, &nlen);
        log_warning(LOGC_HTTP, "opening the stored log failed",
                    nlen > 0 ? LF_STRN("name", name, nlen) : LF_NONE,
                    LF_I64("errno", -fd));
        return live_response(req, s, start, end, true);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_fd_at_offset64(end - start, fd, start);
    if (resp == NULL)
        close(fd);
    else /* sendfile: counted when the answer is made */
        metrics_add(METRICS_BYTES_SENT, end - start);
    return resp;
}

static void request_park(struct stream_waiter *w)
{
    http_daemon_suspend(w->cls);
}

static void request_wake(struct stream_waiter *w)
{
    http_daemon_resume(w->cls);
}

/* Parks the request itself (no response yet) until the stream moves past
 * (len, st) or the deadline passes. True when parked. */
static bool park_request(struct http_request *req, struct stream *s,
                         uint64_t len, enum store_state st,
                         uint64_t deadline_ns)
{
    http_daemon_park_on(req, s);
    req->waiter.cls = req;
    req->waiter.wake = request_wake;
    req->waiter.deadline_ns = deadline_ns;
    return stream_park(s, &req->waiter, len, st, request_park);
}

/* Upload-Offset, Livelog-State, Livelog-Archived, Livelog-Elided. */
static void position_headers(struct MHD_Response *resp, struct stream *s,
                             enum store_state st, uint64_t offset)
{
    char len[24];
    snprintf(len, sizeof(len), "%" PRIu64, offset);
    MHD_add_response_header(resp, "Upload-Offset", len);
    MHD_add_response_header(resp, "Livelog-State", store_stream_state_name(st));
    if (st == STORE_COMPLETE && store_stream_archived_ms(s->store) != 0)
        MHD_add_response_header(resp, "Livelog-Archived", "?1");
    if (store_stream_is_elided(s->store)) {
        char el[64];
        snprintf(el, sizeof(el), "bytes %" PRIu64 "-%" PRIu64,
                 store_stream_keep_head(s->store),
                 store_stream_elided_end(s->store) - 1);
        MHD_add_response_header(resp, "Livelog-Elided", el);
    }
}

void http_read_state_headers(struct MHD_Response *resp, struct stream *s,
                             enum store_state st, uint64_t offset)
{
    position_headers(resp, s, st, offset);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* The headers of every answer of the read path; c says what caches may
 * do with it (http_cache.h). */
static void add_read_headers(struct MHD_Response *resp, struct stream *s,
                             enum store_state st,
                             const struct http_cache_entity *c)
{
    http_respond_base_headers(resp);
    position_headers(resp, s, st, store_stream_length(s->store));
    http_cache_headers(resp, c);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            c->legacy ? EXPOSE : EXPOSE ", ETag");
}

static enum MHD_Result answer(struct http_request *req, struct stream *s,
                              unsigned int status, struct MHD_Response *resp,
                              enum store_state st, const char *content_range,
                              const struct http_cache_entity *c)
{
    if (resp == NULL)
        return MHD_NO;
    add_read_headers(resp, s, st, c);
    http_respond_cors(resp, req->cors_origin);
    if (content_range != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
                                content_range);
    return http_respond_queue(req->conn, status, resp);
}

static void cache_free(void *cache)
{
    MHD_destroy_response(cache);
}

/* The shared whole-log answer of a small complete stream, built on first
 * use. Returns NULL when the log is too big or cannot be read (the caller
 * then answers from the file). */
static struct MHD_Response *cached_whole(struct stream *s, enum store_state st,
                                         uint64_t len,
                                         const struct http_cache_entity *c)
{
    struct MHD_Response *resp = atomic_load(&s->read_cache);
    if (resp != NULL || len > CACHE_MAX || st != STORE_COMPLETE)
        return resp;
    char *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL)
        return NULL;
    ssize_t n = len > 0 ? store_stream_read(s->store, 0, buf, (size_t)len) : 0;
    if (n != (ssize_t)len) {
        free(buf);
        return NULL;
    }
    resp = MHD_create_response_from_buffer((size_t)len, buf,
                                           MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(buf);
        return NULL;
    }
    add_read_headers(resp, s, st, c);
    void *expected = NULL;
    s->read_cache_free = cache_free;
    if (!atomic_compare_exchange_strong(&s->read_cache, &expected, resp)) {
        MHD_destroy_response(resp); /* another thread built it first */
        resp = expected;
    }
    return resp;
}

/* A finished keep-tail log whose middle was elided: served as its view
 * (first bytes, one marker line, last bytes), Range included. */
static enum MHD_Result serve_view(struct http_request *req, struct stream *s,
                                  enum store_state st, uint64_t len,
                                  const struct http_range *range,
                                  uint64_t from_log,
                                  const struct http_cache_entity *c)
{
    char cr[96];
    struct view *v = view_new(s, len);
    if (v == NULL)
        return MHD_NO;
    uint64_t vlen = view_length(v);
    uint64_t start = 0, end = vlen;
    unsigned int status = MHD_HTTP_OK;
    struct http_range from_range;
    if (range != NULL && range->kind == HTTP_RANGE_FROM &&
        from_log != UINT64_MAX) {
        /* ?tail=N gave a log offset: where is it in the view? */
        uint64_t at = from_log < v->head ? from_log
                      : from_log < v->elided_end
                          ? v->head
                          : v->head + v->mlen + (from_log - v->elided_end);
        from_range = (struct http_range){.kind = HTTP_RANGE_FROM, .first = at};
        range = &from_range;
    }
    if (range != NULL) {
        if (http_range_resolve(range, vlen, &start, &end) != 0) {
            view_free(v);
            snprintf(cr, sizeof(cr), "bytes */%" PRIu64, vlen);
            struct MHD_Response *resp = MHD_create_response_from_buffer(
                0, (void *)"", MHD_RESPMEM_PERSISTENT);
            return answer(req, s, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, st, cr,
                          c);
        }
        status = MHD_HTTP_PARTIAL_CONTENT;
        snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
                 start, end - 1, vlen);
    }
    return answer(req, s, status, view_response(v, start, end), st,
                  status == MHD_HTTP_OK ? NULL : cr, c);
}

/* A finished log: its length is final. */
static enum MHD_Result serve_final(struct http_request *req, struct stream *s,
                                   enum store_state st, uint64_t len,
                                   const struct http_range *range,
                                   uint64_t from_log,
                                   const struct http_cache_entity *c)
{
    char cr[96];
    if (store_stream_is_elided(s->store))
        return serve_view(req, s, st, len, range, from_log, c);
    if (range == NULL) {
        /* The shared answer carries the public CORS header. */
        struct MHD_Response *cached =
            req->cors_origin == NULL ? cached_whole(s, st, len, c) : NULL;
        if (cached != NULL) {
            metrics_add(METRICS_BYTES_SENT, len);
            return MHD_queue_response(req->conn, MHD_HTTP_OK, cached);
        }
        return answer(req, s, MHD_HTTP_OK, stored_response(req, s, 0, len), st,
                      NULL, c);
    }

    uint64_t start, end;
    if (http_range_resolve(range, len, &start, &end) != 0) {
        snprintf(cr, sizeof(cr), "bytes */%" PRIu64, len);
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            0, (void *)"", MHD_RESPMEM_PERSISTENT);
        return answer(req, s, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, st, cr, c);
    }
    snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
             end - 1, len);
    return answer(req, s, MHD_HTTP_PARTIAL_CONTENT,
                  stored_response(req, s, start, end), st, cr, c);
}

/* Bytes [start, end) of a live log as one known-size answer: straight
 * from the file (sendfile) unless keep-tail elided some of them, which
 * a known-size answer cannot show: NULL then (the caller says 416). */
static struct MHD_Response *span_response(struct http_request *req,
                                          struct stream *s, uint64_t start,
                                          uint64_t end, uint64_t len)
{
    if (store_stream_is_elided(s->store) &&
        start < store_stream_elided_end(s->store) &&
        end > store_stream_keep_head(s->store))
        return NULL;
    return end <= len ? stored_response(req, s, start, end)
                      : live_response(req, s, start, end, true);
}

static enum MHD_Result elided_416(struct http_request *req)
{
    return http_respond_text_cors(req->conn, req->cors_origin,
                                  MHD_HTTP_RANGE_NOT_SATISFIABLE,
                                  "those bytes were elided: the log went over "
                                  "--max-stream-bytes "
                                  "(--over-limit=keep-tail)\n",
                                  NULL, NULL);
}

/* A live log: the complete length is unknown ("*"). */
static enum MHD_Result serve_live(struct http_request *req, struct stream *s,
                                  enum store_state st, uint64_t len,
                                  const struct http_range *range, bool follow,
                                  const struct http_cache_entity *c)
{
    char cr[96];
    uint64_t start = 0;
    bool elided = store_stream_is_elided(s->store);

    if (range == NULL) {
        if (!follow && !elided)
            return answer(req, s, MHD_HTTP_OK, stored_response(req, s, 0, len),
                          st, NULL, c);
        /* Following, or a one-shot read that may need a marker line. */
        return answer(
            req, s, MHD_HTTP_OK,
            live_response(req, s, 0, follow ? UINT64_MAX : len, false), st,
            NULL, c);
    }
    if (range->kind == HTTP_RANGE_BOUNDED) {
        uint64_t end = range->last + 1;
        snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/*",
                 range->first, range->last);
        struct MHD_Response *resp =
            span_response(req, s, range->first, end, len);
        if (resp == NULL)
            return elided_416(req);
        return answer(req, s, MHD_HTTP_PARTIAL_CONTENT, resp, st, cr, c);
    }
    if (range->kind == HTTP_RANGE_FROM)
        start = range->first;
    else
        start = range->suffix < len ? len - range->suffix : 0;
    if (elided && start >= store_stream_keep_head(s->store) &&
        start < store_stream_elided_end(s->store))
        start = store_stream_elided_end(s->store); /* past the elision */

    if (follow) {
        /* The announced last byte is never before the first one, even for
         * a log past 2^53 bytes. */
        uint64_t last =
            start <= HTTP_READ_LIVE_LAST ? HTTP_READ_LIVE_LAST : UINT64_MAX - 1;
        snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/*", start,
                 last);
        return answer(req, s, MHD_HTTP_PARTIAL_CONTENT,
                      live_response(req, s, start, UINT64_MAX, false), st, cr,
                      c);
    }
    /* Not following: what is there now (start < len is guaranteed by
     * the caller, which waits for the bytes otherwise). */
    snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/*", start, len - 1);
    struct MHD_Response *resp = span_response(req, s, start, len, len);
    if (resp == NULL)
        return elided_416(req);
    return answer(req, s, MHD_HTTP_PARTIAL_CONTENT, resp, st, cr, c);
}

/* 304 Not Modified: the answer's headers, no body; Content-Length is that
 * of the whole log as a 200 would send it (a keep-tail log's view). */
static enum MHD_Result not_modified(struct http_request *req, struct stream *s,
                                    enum store_state st, uint64_t len,
                                    const struct http_cache_entity *c)
{
    uint64_t size = len;
    if (store_stream_is_elided(s->store)) {
        char marker[MARKER_MAX];
        uint64_t head = store_stream_keep_head(s->store);
        uint64_t end = store_stream_elided_end(s->store);
        size =
            head + marker_text(marker, sizeof(marker), head, end) + (len - end);
    }
    return answer(req, s, MHD_HTTP_NOT_MODIFIED, http_cache_304(size), st, NULL,
                  c);
}

/* A log whose bytes are only in the archive store now: its own
 * validators (this incarnation's) go with the store's bytes. */
static enum MHD_Result serve_evicted(struct http_request *req, struct stream *s,
                                     const struct http_read_options *opt)
{
    size_t nlen = 0;
    const char *name = store_stream_name(s->store, &nlen);
    uint64_t len = store_stream_length(s->store);
    struct http_cache_entity c;
    http_cache_entity_stream(&c, s->store, store_stream_state(s->store), len);
    return http_archive_serve(req, opt->archive, name, nlen, len, &c, opt);
}

enum MHD_Result http_read_serve(struct http_request *req, struct stream *s,
                                const struct http_read_options *opt)
{
    if (store_stream_is_evicted(s->store)) /* only in the archive now */
        return serve_evicted(req, s, opt);
    struct http_range asked, from;
    bool has_asked = false;
    if (opt->range != NULL) {
        size_t n = 0;
        while (opt->range[n] != '\0')
            n++;
        has_asked = http_range_parse(opt->range, n, &asked) == 0;
    }
    from = (struct http_range){.kind = HTTP_RANGE_FROM, .first = opt->from};
    struct http_cache_conditions cond;
    http_cache_conditions_read(req->conn, &cond);

    for (;;) {
        enum store_state st = store_stream_state(s->store);
        uint64_t len = store_stream_length(s->store);
        struct http_cache_entity c;
        http_cache_entity_stream(&c, s->store, st, len);
        /* The Range header, unless an If-Range says the client holds
         * other bytes; else ?tail=N's offset. */
        const struct http_range *range =
            has_asked && http_cache_range_applies(&c, &cond) ? &asked
            : opt->from_set                                  ? &from
                                                             : NULL;
        if (state_is_final(s, st)) {
            int64_t now = (int64_t)(core_clock_real_ns() / 1000000000u);
            if (http_cache_not_modified(&c, &cond, now))
                return not_modified(req, s, st, len, &c);
            return serve_final(req, s, st, len, range,
                               range == &from ? opt->from : UINT64_MAX, &c);
        }
        if (stream_is_closing(s))
            return http_respond_text_cors(
                req->conn, req->cors_origin, MHD_HTTP_SERVICE_UNAVAILABLE,
                "the server is shutting down\n", NULL, NULL);

        /* Reasons to wait before answering: no writer yet, or a
         * one-shot read of bytes that are not there yet. */
        uint64_t deadline = 0;
        bool wait = false;
        if (st == STORE_PENDING) {
            uint64_t now = core_clock_mono_ns();
            if (req->wait_deadline_ns == 0)
                req->wait_deadline_ns = now + opt->writer_wait_ns;
            if (now >= req->wait_deadline_ns)
                return http_respond_text_cors(
                    req->conn, req->cors_origin, MHD_HTTP_SERVICE_UNAVAILABLE,
                    "no writer has started this log yet; retry later\n",
                    MHD_HTTP_HEADER_RETRY_AFTER, "5");
            deadline = req->wait_deadline_ns;
            wait = true;
        } else if (!opt->follow && !opt->head && range != NULL &&
                   range->kind == HTTP_RANGE_FROM && range->first >= len) {
            wait = true;
        }
        if (!wait)
            return serve_live(req, s, st, len, range, opt->follow, &c);
        if (park_request(req, s, len, st, deadline))
            return MHD_YES;
    }
}
