/* http_respond: the one place where outcomes become HTTP answers. Every
 * response carries the same base headers (content type, CORS for public
 * reads, nosniff); errors are short text bodies that say what to fix.
 * Any libmicrohttpd thread. */
#ifndef LIVELOG_HTTP_RESPOND_H
#define LIVELOG_HTTP_RESPOND_H

#include <microhttpd.h>

/* Headers every livelog response carries. */
void http_respond_base_headers(struct MHD_Response *resp);

/* Queues `status` with a text/plain body (copied) and the base headers.
 * Returns libmicrohttpd's result (MHD_NO closes the connection). */
enum MHD_Result http_respond_text(struct MHD_Connection *conn,
                                  unsigned int status, const char *text);

/* Same, plus one extra header (name/value, e.g. Allow or Retry-After). */
enum MHD_Result http_respond_text_hdr(struct MHD_Connection *conn,
                                      unsigned int status, const char *text,
                                      const char *hname, const char *hvalue);

/* Private answers: replaces the base headers' "Access-Control-Allow-Origin:
 * *" with `origin` (the request's Origin when it is one of
 * --cors-origins; "" when it is not: then no such header) and adds
 * "Vary: Origin". origin NULL: a public answer, left as it is. */
void http_respond_cors(struct MHD_Response *resp, const char *origin);

/* http_respond_text_hdr for an answer about a stream that may be private:
 * http_respond_cors(resp, origin) is applied. */
enum MHD_Result http_respond_text_cors(struct MHD_Connection *conn,
                                       const char *origin, unsigned int status,
                                       const char *text, const char *hname,
                                       const char *hvalue);

/* Queues resp with status and drops our reference. NULL resp (out of
 * memory) closes the connection. */
enum MHD_Result http_respond_queue(struct MHD_Connection *conn,
                                   unsigned int status,
                                   struct MHD_Response *resp);

/* Maps a negative errno from the store to a status and a message:
 * -ENOSPC/-EDQUOT -> 507, -EFBIG -> 413, -EMFILE/-ENFILE (out of
 * descriptors) -> 503, anything else -> 500. */
unsigned int http_respond_status_for_errno(int err, const char **ret_msg);

#endif
