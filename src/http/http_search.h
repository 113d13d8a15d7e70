/* http_search: the viewer's server-side helpers over a stream's stored
 * bytes, on the read listener (docs/API.md, "Viewer routes"):
 *  - GET /v1/search/NAME?q=... (or ?severity=warning|error, the task-log
 *    classifier's WARNING lines, or its ERROR and FATAL lines: those
 *    /v1/logs/NAME/stats lists in `first`, without its 1,000 limit):
 *    every line of the log that matches, from line `from` on, as NDJSON
 *    streamed while the log is scanned in bounded steps (no cap on
 *    matches, bounded memory, never more than one step of work per
 *    libmicrohttpd callback);
 *  - GET /v1/lines/NAME?line=K&count=C or ?tail=N: where lines start
 *    (from the line index), so a client fetches any part of a big log
 *    by bytes with Range; with times=1 also when those lines were
 *    received (the index's record times).
 * The caller (http_v1) has checked the name and the access; the stream is
 * referenced by the caller and these functions take their own reference
 * when they need one. Read listener threads. */
#ifndef LIVELOG_HTTP_SEARCH_H
#define LIVELOG_HTTP_SEARCH_H

#include <microhttpd.h>

#include "http/http_request.h"
#include "stream/stream.h"

/* Longest search pattern, in bytes. */
#define HTTP_SEARCH_QUERY_MAX 1024
/* Bytes of one line that are matched and sent back (the rest of a longer
 * line is skipped). */
#define HTTP_SEARCH_LINE_MAX (64 * 1024)
/* Bytes of a matching line's text in an answer. */
#define HTTP_SEARCH_TEXT_MAX 512
/* Most lines whose receive times one /v1/lines answer gives. */
#define HTTP_LINES_TIMES_MAX 10000

/* Starts the NDJSON answer of a search of s (query arguments q or
 * severity, regex, case, from read from the request). 400 for a bad
 * query, 409 when the bytes are not on this node or the middle is
 * elided. */
enum MHD_Result http_search_serve(struct http_request *req, struct stream *s,
                                  const char *cors_origin);

/* The JSON answer of GET /v1/lines/NAME (with times=1: the receive times
 * of lines [K, K+C), C at most HTTP_LINES_TIMES_MAX). 400 for bad
 * arguments, 409 when the log has no usable line index (elided middle,
 * bytes only in the archive). */
enum MHD_Result http_search_lines(struct http_request *req, struct stream *s,
                                  const char *cors_origin);

#endif
