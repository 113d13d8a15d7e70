/* http_archive: GET and HEAD of a log whose bytes are only in the archive
 * store: a local stream whose copy was removed after it was archived, or,
 * with --archive-read-through, a log another node archived. The server
 * proxies the bytes (never a redirect, so a private read keeps its
 * credentials), with Range and ?tail=N as for a local complete log, and
 * says `Livelog-Archived: ?1`. Runs on the read listener's threads. */
#ifndef LIVELOG_HTTP_ARCHIVE_H
#define LIVELOG_HTTP_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "archive/archive.h"
#include "http/http_cache.h"
#include "http/http_read.h"
#include "http/http_request.h"

/* Answers the request for the archived log `name` of `size` bytes (opt:
 * range, from, head as for http_read_serve; follow is moot: the log is
 * complete), with the caching headers and conditions (If-None-Match,
 * If-Modified-Since, If-Range) of c (http_cache.h). a NULL: 503. */
enum MHD_Result http_archive_serve(struct http_request *req, struct archive *a,
                                   const char *name, size_t nlen, uint64_t size,
                                   const struct http_cache_entity *c,
                                   const struct http_read_options *opt);

/* The offset of the n-th last line of the archived log (?tail=N), read
 * backwards from the store. Returns 0 or a negative errno. */
int http_archive_tail_offset(struct archive *a, const char *name, size_t nlen,
                             uint64_t size, uint64_t n, uint64_t *ret);

#endif
