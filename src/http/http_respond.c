/* http_respond: building and queueing responses (see http_respond.h). */
#include "http/http_respond.h"

#include <errno.h>
#include <string.h>

void http_respond_base_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

enum MHD_Result http_respond_queue(struct MHD_Connection *conn,
                                   unsigned int status,
                                   struct MHD_Response *resp)
{
    if (resp == NULL)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

void http_respond_cors(struct MHD_Response *resp, const char *origin)
{
    if (origin == NULL)
        return;
    MHD_del_response_header(resp, "Access-Control-Allow-Origin", "*");
    if (origin[0] != '\0')
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(resp, "Vary", "Origin");
}

enum MHD_Result http_respond_text_cors(struct MHD_Connection *conn,
                                       const char *origin, unsigned int status,
                                       const char *text, const char *hname,
                                       const char *hvalue)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    http_respond_base_headers(resp);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (hname != NULL)
        MHD_add_response_header(resp, hname, hvalue);
    http_respond_cors(resp, origin);
    return http_respond_queue(conn, status, resp);
}

enum MHD_Result http_respond_text_hdr(struct MHD_Connection *conn,
                                      unsigned int status, const char *text,
                                      const char *hname, const char *hvalue)
{
    return http_respond_text_cors(conn, NULL, status, text, hname, hvalue);
}

enum MHD_Result http_respond_text(struct MHD_Connection *conn,
                                  unsigned int status, const char *text)
{
    return http_respond_text_hdr(conn, status, text, NULL, NULL);
}

unsigned int http_respond_status_for_errno(int err, const char **ret_msg)
{
    switch (err) {
    case -ENOSPC:
    case -EDQUOT:
        *ret_msg = "the server's disk is full; nothing after the last "
                   "acknowledged byte was stored\n";
        return MHD_HTTP_INSUFFICIENT_STORAGE;
    case -EFBIG:
        *ret_msg = "the log is larger than the server accepts\n";
        return MHD_HTTP_CONTENT_TOO_LARGE;
    case -EMFILE:
    case -ENFILE:
        *ret_msg = "the server is out of file descriptors; nothing after "
                   "the last acknowledged byte was stored: retry later\n";
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    default:
        *ret_msg = "the server could not store the log (I/O error); "
                   "see the server's log\n";
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}
