/* http_v1: the routes of `livelog serve` under /v1 (docs/API.md,
 * "Multi-stream surface"): PUT, PATCH, HEAD and DELETE on the write
 * listener; GET, HEAD, OPTIONS (CORS preflight) and the listing on the
 * read listener; POST /v1/reload on the write listener; /healthz on both.
 * Names are checked here; access decisions come from auth_policy and are
 * turned into 401/403 here, each one on a private stream an audit line;
 * secrets named by Livelog-Mask are handed to stream_mask before a byte
 * is stored. Bytes go out through http_read. Handlers run on the
 * listeners' threads. */
#ifndef LIVELOG_HTTP_V1_H
#define LIVELOG_HTTP_V1_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "archive/archive.h"
#include "auth/auth_policy.h"
#include "http/http_request.h"
#include "stream/stream_registry.h"

struct http_v1 {
    struct stream_registry *registry;
    struct auth_policy policy; /* keys NULL: private streams unreadable */
    bool write_credentials;    /* --write-credentials=required          */
    const char *cors_origins;  /* --cors-origins, comma-separated       */
    const char *public_url;    /* --public-url; "": relative read URLs  */
    uint64_t read_url_ttl_s;   /* --read-url-ttl                        */
    uint64_t writer_wait_ns;   /* GET of a missing name waits this long */
    bool sync_before_ack;      /* --fsync=always                        */
    /* POST /v1/reload: reloads keys and certificates (the same as
     * SIGHUP). Returns 0 or a negative errno; NULL: not offered. */
    int (*reload)(void *cls);
    void *reload_cls;
    struct archive *archive;      /* --archive: NULL none                   */
    bool archive_read_through;    /* serve/list logs found only in it       */
    bool archive_redirect_public; /* 307 to a presigned URL, public logs */
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
