/* forward_http: the livelog sink of `livelog forward`. Each file is one
 * stream (PUT to create, PATCH with Upload-Offset to append, an empty
 * PATCH with Upload-Complete: ?1 to complete), the request bodies read
 * straight from the file as libcurl sends them, so memory does not grow
 * with the backlog. The server's Upload-Offset is the arbiter: after any
 * failure, and at start, a HEAD says where the stream is, and sending
 * resumes from exactly there, so nothing is lost or sent twice even when
 * the checkpoint is behind. Failures back off with jitter; the first of
 * an outage is one WARNING, the recovery one INFO. Requests run in
 * parallel (one per file at most) on one libcurl multi handle.
 * Single-threaded: the forwarder's main loop calls it. */
#ifndef LIVELOG_FORWARD_HTTP_H
#define LIVELOG_FORWARD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "forward/forward_config.h"
#include "forward/forward_file.h"

#define FORWARD_HTTP_UPLOAD_BUFFER (128u * 1024u) /* per request in flight */
#define FORWARD_HTTP_REQUEST_MAX (64u << 20)      /* file bytes per request */

struct forward_http;

/* What the main loop must do after the sink looked at a file. */
enum forward_http_event {
    FORWARD_HTTP_NOTHING = 0,
    FORWARD_HTTP_PROGRESS,   /* positions moved: the checkpoint is dirty  */
    FORWARD_HTTP_SAVE_FIRST, /* a skip was planned: save the checkpoint
                                before the next request of this file      */
};

/* A sink for cfg->server with at most `parallel` requests in flight.
 * Returns 0, -ENOMEM, or -EINVAL (a token with CR/LF). */
int forward_http_new(const struct forward_config *cfg, size_t parallel,
                     struct forward_http **ret);
void forward_http_free(struct forward_http *h);

/* Starts the requests files need (HEAD, create, append, complete) while
 * fewer than `parallel` are in flight, round robin from where the last
 * call stopped. Returns true when a skip (--max-lag) changed a file's
 * record and the checkpoint must be saved now (the request that sends
 * the marker starts only on the next call). */
bool forward_http_start(struct forward_http *h, struct forward_file **files,
                        size_t n, uint64_t now_ms);

/* Lets libcurl move data and finishes the requests that ended, updating
 * their files. Returns true when some file's positions moved. */
bool forward_http_perform(struct forward_http *h, uint64_t now_ms);

/* Waits up to timeout_ms for libcurl's sockets or the extra descriptors
 * (curl_multi_poll). */
void forward_http_wait(struct forward_http *h, struct curl_waitfd *extra,
                       unsigned nextra, int timeout_ms);

/* Aborts f's request, if any (the file was truncated or is dropped):
 * the next contact starts with a HEAD. */
void forward_http_cancel(struct forward_http *h, struct forward_file *f);

/* f was truncated: cancels its request and, at the next HEAD, starts a
 * new segment (file byte 0 is the stream's next byte). */
void forward_http_restart(struct forward_http *h, struct forward_file *f);

/* The earliest backoff deadline among files (UINT64_MAX: none). */
uint64_t forward_http_next_retry(struct forward_file **files, size_t n);

/* Whether f has nothing left to send to the server now: done, failed,
 * or all of its bytes acknowledged and (when finished) completed. */
bool forward_http_drained(const struct forward_file *f);

/* The marker line for `skipped` bytes skipped by --max-lag. Returns its
 * length (written into buf, cap bytes). */
size_t forward_http_marker(uint64_t skipped, char *buf, size_t cap);

/* The file offset the stream's next byte comes from: what the server
 * has acknowledged, mapped through the current segment (a pending
 * marker counts as nothing of the file yet). */
uint64_t forward_http_file_pos(const struct forward_file *f);

/* Whether the server was unreachable at the last attempt. */
bool forward_http_down(const struct forward_http *h);

/* Requests in flight. */
size_t forward_http_busy(const struct forward_http *h);

#endif
