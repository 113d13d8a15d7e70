/* http_v1: the routes of `livelog serve` under /v1 (docs/API.md,
 * "Multi-stream surface"): PUT, PATCH, HEAD and DELETE on the write
 * listener; GET, HEAD and the listing on the read listener; /healthz on
 * both. Names are checked here, access to private streams too; bytes go
 * through http_write and http_read. Handlers run on the listeners'
 * threads. */
#ifndef LIVELOG_HTTP_V1_H
#define LIVELOG_HTTP_V1_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_request.h"
#include "stream/stream_registry.h"

struct http_v1 {
    struct stream_registry *registry;
    const char *read_token; /* NULL: private streams cannot be read   */
    size_t read_token_len;
    uint64_t writer_wait_ns; /* GET of a missing name waits this long  */
    bool sync_before_ack;    /* --fsync=always                         */
};

/* libmicrohttpd unescaper for both listeners: decodes %XX once, except
 * %00 and malformed escapes, which stay as they are (and then break the
 * name rules). Returns the new length. */
size_t http_v1_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* The access handlers (http_handler_fn) of the two listeners; cls is a
 * struct http_v1. */
enum MHD_Result http_v1_on_write(void *cls, struct http_request *req,
                                 const char *url, const char *method,
                                 const char *data, size_t *size);
enum MHD_Result http_v1_on_read(void *cls, struct http_request *req,
                                const char *url, const char *method,
                                const char *data, size_t *size);

#endif
