/* http_view: the viewer's pages and assets (see http_view.h). Every
 * answer is a persistent buffer of the embedded files, with the page
 * security headers and a strong ETag (FNV-1a of the bytes), so a reload
 * costs a 304. */
#include "http/http_view.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http/http_respond.h"
#include "store/store_name.h"

#define VIEW_PREFIX "/view/"
#define ASSET_PREFIX "/assets/"

const struct http_view_asset *http_view_find(const char *name)
{
    for (const struct http_view_asset *a = http_view_assets; a->name != NULL;
         a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static uint64_t fnv1a(const unsigned char *p, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", HTTP_VIEW_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    /* A signed URL in the page's address must not leave in a Referer. */
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
}

/* 200 with the asset (or 304 when If-None-Match names its ETag). */
static enum MHD_Result serve_asset(struct http_request *req,
                                   const struct http_view_asset *a, bool head)
{
    char etag[24];
    snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"", fnv1a(a->data, a->len));
    const char *inm = MHD_lookup_connection_value(
        req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool fresh = inm != NULL && strstr(inm, etag) != NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        fresh ? 0 : a->len, (void *)(uintptr_t)a->data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    (void)head; /* libmicrohttpd sends no body for HEAD by itself */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    security_headers(resp);
    return http_respond_queue(
        req->conn, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
}

static enum MHD_Result page_error(struct http_request *req, unsigned int status,
                                  const char *text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    http_respond_base_headers(resp);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    security_headers(resp);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    return http_respond_queue(req->conn, status, resp);
}

bool http_view_route(struct http_request *req, const char *url,
                     const char *method, enum MHD_Result *ret)
{
    const char *file = NULL;
    const struct http_view_asset *a = NULL;
    if (strcmp(url, "/") == 0) {
        req->route = "view-list";
        file = "index.html";
    } else if (strncmp(url, VIEW_PREFIX, strlen(VIEW_PREFIX)) == 0) {
        req->route = "view";
        file = "view.html";
    } else if (strncmp(url, ASSET_PREFIX, strlen(ASSET_PREFIX)) == 0) {
        req->route = "view-asset";
        a = http_view_find(url + strlen(ASSET_PREFIX));
        /* the pages are served at their own URLs only */
        if (a == NULL || strstr(a->name, ".html") != NULL) {
            *ret = page_error(req, MHD_HTTP_NOT_FOUND, "no such asset\n");
            return true;
        }
    } else {
        return false;
    }
    bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
        *ret = page_error(req, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "the viewer's pages take GET and HEAD\n");
        return true;
    }
    if (file != NULL && strcmp(file, "view.html") == 0) {
        const char *name = url + strlen(VIEW_PREFIX);
        char msg[256];
        if (store_name_check(name, strlen(name), msg, sizeof(msg) - 1) != 0) {
            size_t n = strlen(msg);
            msg[n] = '\n';
            msg[n + 1] = '\0';
            *ret = page_error(req, MHD_HTTP_BAD_REQUEST, msg);
            return true;
        }
    }
    if (file != NULL)
        a = http_view_find(file);
    if (a == NULL) {
        *ret = page_error(req, MHD_HTTP_NOT_FOUND, "no such page\n");
        return true;
    }
    *ret = serve_asset(req, a, head);
    return true;
}
