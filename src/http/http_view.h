/* http_view: the log viewer's pages on the read listener (GET / and
 * GET /view/NAME, and their scripts and styles under /assets/), served
 * from the files of web/ compiled into the binary (web/embed.cmake
 * generates http_view_assets). The pages hold no log data: they read the
 * log through the /v1 routes with the visitor's own credential, so they
 * are served to anyone, with a strict Content-Security-Policy. Called by
 * http_v1_on_read on the read listener's threads; no state, no locks. */
#ifndef LIVELOG_HTTP_VIEW_H
#define LIVELOG_HTTP_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_request.h"

/* One embedded file of web/; the table ends with a NULL name. */
struct http_view_asset {
    const char *name;          /* file name in web/, e.g. "viewer.js" */
    const char *type;          /* Content-Type                        */
    const unsigned char *data; /* the bytes (NUL-terminated copy)     */
    size_t len;                /* without that NUL                    */
};
extern const struct http_view_asset http_view_assets[];

/* The Content-Security-Policy of every page and asset. */
#define HTTP_VIEW_CSP                                                          \
    "default-src 'none'; script-src 'self'; style-src 'self'; "                \
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "              \
    "form-action 'none'; frame-ancestors 'none'"

/* The asset called name, or NULL. Pure. */
const struct http_view_asset *http_view_find(const char *name);

/* Answers url when it is a viewer route: GET or HEAD of "/", of
 * "/view/NAME" (NAME must be a valid name, else 400) and of
 * "/assets/FILE"; other methods there get 405. Returns true with the
 * answer queued in *ret, false (nothing queued) for any other url. */
bool http_view_route(struct http_request *req, const char *url,
                     const char *method, enum MHD_Result *ret);

#endif
