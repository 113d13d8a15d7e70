/* http_request: the state of one HTTP request, created by http_daemon on
 * libmicrohttpd's first callback for the request and freed in its
 * completion callback (the journal-gatewayd pattern). Handlers keep
 * whatever they need for the request here; nothing about a request lives
 * anywhere else. Only code under src/http/ sees this struct. */
#ifndef LIVELOG_HTTP_REQUEST_H
#define LIVELOG_HTTP_REQUEST_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "stream/stream.h"

struct http_daemon;

struct http_request {
    struct http_daemon *daemon; /* the listener it arrived on            */
    struct MHD_Connection *conn;
    unsigned calls;     /* access-handler calls so far (0: first) */
    const char *method; /* libmicrohttpd's, valid for the request */
    const char *route;  /* set by the handler: what was asked for; logged
                           instead of the URL, which may hold a secret */
    uint64_t start_ns;  /* monotonic arrival time                 */
    bool refused;       /* answered by the framing check (the handler
                           never sees it)                         */

    /* Access to a private stream, decided once per request (a parked
     * request re-enters the handler on every resume). */
    bool access_granted;
    /* CORS of the answer: NULL for a public one (any origin); for a
     * private one the Origin to echo, "" when it is not allowed. */
    const char *cors_origin;

    /* A request parked before its response exists (a GET waiting for a
     * writer or for bytes past the end of a live log). */
    struct stream *parked_on;
    struct stream_waiter waiter;
    uint64_t wait_deadline_ns;

    /* The writer side (PUT): set once this request owns a stream. */
    struct stream *writing;
    uint64_t bytes_in;
    int write_error; /* negative errno of a failed append; 0: none     */
    bool body_done;  /* the body ended cleanly                          */

    /* Called from the completion callback, before the state is freed. */
    void (*on_complete)(struct http_request *req,
                        enum MHD_RequestTerminationCode code);
    void *app; /* the application's per-request data (not owned)       */
};

#endif
