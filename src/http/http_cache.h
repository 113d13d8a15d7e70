/* http_cache: what a cache or a browser may do with a log answer of
 * `livelog serve` (RFC 9110 section 13, RFC 9111), and the conditional
 * requests on it.
 *
 * Only a complete log has validators: its bytes never change again. Its
 * strong ETag names this incarnation of the stream (a name deleted and
 * created again gets another one) and its length:
 *   "i<16 hex: the meta's random incarnation>-<hex length>"
 *   "t<hex created_ms>.<hex completed_ms>-<hex length>"  (an older meta)
 *   "s<32 hex: half the SHA-256>-<hex length>"  (a log only the archive
 *                                                store has)
 * and its Last-Modified is the completion time. A live or interrupted log
 * has none and never answers 304.
 *
 * Cache-Control: a complete public log is HTTP_CACHE_PUBLIC (kept briefly,
 * then revalidated with If-None-Match: a 304); everything else
 * "no-store", and "private, no-store" for every answer about a private
 * log. Answers that must not be stored also say "X-Accel-Buffering: no",
 * so a proxy (nginx) passes them at the client's pace instead of reading
 * ahead. The drop-in's log keeps its plain "no-store" (legacy).
 *
 * Conditions, for GET and HEAD of a log with validators:
 *  - If-None-Match: "*" or a list of entity tags, weak comparison; a
 *    match is 304. A malformed value matches nothing. When it is present
 *    If-Modified-Since is not looked at.
 *  - If-Modified-Since (one HTTP-date, any of the three forms): 304 when
 *    the log completed at or before it. Only when the date is a strong
 *    validator: the stream was created in an earlier second than it
 *    completed (else a name deleted and created again within that second
 *    could carry the same date).
 *  - If-Range with a Range: the Range is applied only when the value is
 *    the strong ETag, or exactly the Last-Modified text and that date is
 *    strong; otherwise (also on a log without validators) the whole log.
 *
 * The parsers are pure functions over (ptr, len): request headers are
 * network input. Any thread. */
#ifndef LIVELOG_HTTP_CACHE_H
#define LIVELOG_HTTP_CACHE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive/archive.h"
#include "store/store_stream.h"

/* Cache-Control of a complete public log: any cache may keep it for 10
 * seconds, then must ask again (a 304 when unchanged), and must not serve
 * it stale: a DELETE or --retention removes a log, and a name can be
 * created again. */
#define HTTP_CACHE_PUBLIC "public, max-age=10, must-revalidate"
#define HTTP_CACHE_PRIVATE "private, no-store"

#define HTTP_CACHE_ETAG_MAX 80
/* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTP_CACHE_DATE_LEN 29
/* If-None-Match field lines looked at; more make the header malformed. */
#define HTTP_CACHE_INM_LINES 8

/* What the headers of one answer say about caching it. */
struct http_cache_entity {
    bool legacy;    /* the drop-in: "no-store", nothing else         */
    bool is_public; /* a public name                                 */
    char etag[HTTP_CACHE_ETAG_MAX]; /* quoted; "" while the bytes may
                                       still change                  */
    bool has_date;                  /* last_modified and date are set         */
    int64_t last_modified;          /* completion, s since the epoch          */
    char date[HTTP_CACHE_DATE_LEN + 1]; /* its IMF-fixdate (Last-Modified) */
    bool strong_date; /* created in an earlier second than completed */
};

/* The entity of a stream in state st whose committed length is len.
 * Directory streams (livelog serve) get validators when complete; a
 * temporary stream (the drop-in) is legacy. */
void http_cache_entity_stream(struct http_cache_entity *e,
                              const struct store_stream *s, enum store_state st,
                              uint64_t len);

/* The entity of a log only the archive store has: validators from its
 * SHA-256 (none when the store does not know it) and times. */
void http_cache_entity_archive(struct http_cache_entity *e, const char *name,
                               size_t nlen, const struct archive_meta *m);

/* Adds Cache-Control and, as the entity says, ETag, Last-Modified and
 * X-Accel-Buffering. */
void http_cache_headers(struct MHD_Response *resp,
                        const struct http_cache_entity *e);

/* The conditional headers of a request (pointers into libmicrohttpd's
 * copies, valid during the request). Counts are of field lines. */
struct http_cache_conditions {
    const char *if_none_match[HTTP_CACHE_INM_LINES];
    size_t n_if_none_match; /* may exceed HTTP_CACHE_INM_LINES */
    const char *if_modified_since;
    size_t n_if_modified_since;
    const char *if_range;
    size_t n_if_range;
};

void http_cache_conditions_read(struct MHD_Connection *conn,
                                struct http_cache_conditions *c);

/* True when the answer is 304 Not Modified (GET and HEAD). now: seconds
 * since the epoch (for the two-digit years of rfc850 dates). */
bool http_cache_not_modified(const struct http_cache_entity *e,
                             const struct http_cache_conditions *c,
                             int64_t now);

/* True when a Range of the request is to be honoured: no If-Range, or an
 * If-Range that holds (see above). */
bool http_cache_range_applies(const struct http_cache_entity *e,
                              const struct http_cache_conditions *c);

/* The body of a 304: none, announced as the length of the 200 it stands
 * for (RFC 9110 8.6: a Content-Length on a 304 must be that one;
 * libmicrohttpd sends no body for a 304 and takes Content-Length from the
 * response's size). Its content reader fails if it is ever called. NULL
 * when out of memory. */
struct MHD_Response *http_cache_304(uint64_t length);

/* ---- the parsers (pure) ---------------------------------------------- */

/* Whether the If-None-Match value s[0..len) matches etag (a quoted strong
 * tag) with the weak comparison: 1 (also "*"), 0, or -EINVAL when the value
 * is not "*" or a list of entity tags (RFC 9110 8.8.3 and 5.6.1: elements
 * separated by commas and optional spaces or tabs, empty elements
 * allowed, W/ in upper case, no control bytes). */
int http_cache_inm_match(const char *s, size_t len, const char *etag);

/* Parses an HTTP-date (RFC 9110 5.6.7): IMF-fixdate "Sun, 06 Nov 1994
 * 08:49:37 GMT", rfc850 "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year
 * more than 50 years after now's year is of the century before) or
 * asctime "Sun Nov  6 08:49:37 1994". Names are case-sensitive, the
 * weekday must be that of the date, the day must exist, hours 00-23,
 * minutes 00-59, seconds 00-60. Returns 0 with *ret (seconds since the
 * epoch, UTC), or -EINVAL (*ret untouched). */
int http_cache_parse_date(const char *s, size_t len, int64_t now, int64_t *ret);

/* Formats t (years 0 to 9999) as an IMF-fixdate into buf (at least
 * HTTP_CACHE_DATE_LEN + 1 bytes, NUL-terminated). Returns the length, or
 * 0 when the year is out of range. */
size_t http_cache_format_date(int64_t t, char *buf, size_t cap);

#endif
