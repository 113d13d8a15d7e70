/* http_write: feeds a request body into a stream as it arrives. Each
 * access-handler call's upload data is appended and committed at once
 * (so followers see it within the wake window); nothing is buffered in
 * between. The caller owns the protocol (which stream, which status); this
 * module owns the appending. Runs on the write listener's threads. */
#ifndef LIVELOG_HTTP_WRITE_H
#define LIVELOG_HTTP_WRITE_H

#include <stddef.h>

#include "http/http_request.h"

/* Consumes one access-handler call of a writing request (req->writing
 * set). Returns:
 *   0  data appended (or none yet): the caller returns MHD_YES;
 *   1  the body has ended (req->body_done set): the caller finishes the
 *      stream and queues its answer;
 *   <0 a negative errno from the store (req->write_error set): the caller
 *      answers with http_respond_status_for_errno; nothing of this call
 *      was committed. */
int http_write_consume(struct http_request *req, const char *data,
                       size_t *size);

#endif
