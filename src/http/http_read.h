/* http_read: answers GET and HEAD of a stream: the whole log, a byte
 * range (RFC 9110), and live follow. Bytes that are already committed
 * when the request arrives on a finished log go out with sendfile; a live
 * log is served by a content reader that reads from the stored file at
 * the reader's own offset and, when it has caught up, parks the suspended
 * connection on the stream until the writer commits more. A slow reader
 * therefore costs one connection's buffers and nothing else, and is never
 * dropped.
 *
 * Range on a live log (complete length "*"): `bytes=a-b` waits for byte b;
 * `bytes=a-` and `bytes=-n` follow the log from a (or length - n) and are
 * answered with "Content-Range: bytes a-9007199254740991/(star)", the "very
 * large last-byte-pos" convention of draft-ietf-httpbis-rand-access-live,
 * since RFC 9110 has no open-ended Content-Range. Several ranges: the
 * whole log with 200 (RFC 9110 lets a server ignore Range).
 *
 * Runs on the read listener's threads. */
#ifndef LIVELOG_HTTP_READ_H
#define LIVELOG_HTTP_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "archive/archive.h"
#include "http/http_request.h"
#include "stream/stream.h"

/* The last-byte-pos announced for an open-ended range on a live log. */
#define HTTP_READ_LIVE_LAST UINT64_C(9007199254740991)

struct http_read_options {
    bool follow;       /* keep the response open while live        */
    bool head;         /* HEAD: headers only                       */
    const char *range; /* the Range header value, or NULL          */
    bool from_set;     /* start at `from` (?tail=N) unless Range   */
    uint64_t from;
    uint64_t writer_wait_ns; /* how long a GET waits for a first writer  */
    struct archive *archive; /* where an evicted stream's bytes are       */
};

/* Answers the request for stream s. May park the request (returns
 * MHD_YES with the connection suspended; libmicrohttpd calls the handler
 * again once it is resumed, and the handler calls this again). */
enum MHD_Result http_read_serve(struct http_request *req, struct stream *s,
                                const struct http_read_options *opt);

/* Adds the headers that describe a stream's position and state to any
 * answer about it: Upload-Offset (the given length), Livelog-State,
 * Livelog-Elided (keep-tail logs whose middle is gone) and
 * Cache-Control: no-store. */
void http_read_state_headers(struct MHD_Response *resp, struct stream *s,
                             enum store_state st, uint64_t offset);

/* Followers currently connected (logged at shutdown). */
uint64_t http_read_followers(void);

#endif
