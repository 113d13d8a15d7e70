/* http_write: request bodies into streams (contract in http_write.h). */
#include "http/http_write.h"

#include "metrics/metrics.h"
#include "log/log.h"
#include "stream/stream.h"

int http_write_consume(struct http_request *req, const char *data, size_t *size)
{
    if (req->calls == 0)
        return 0; /* headers only; the body (if any) follows */
    if (*size == 0) {
        req->body_done = true;
        return 1;
    }
    int rc = stream_append(req->writing, data, *size);
    if (rc != 0) {
        req->write_error = rc;
        log_warning(LOGC_STORE, "appending to the log failed",
                    LF_I64("errno", -rc), LF_U64("offset", req->bytes_in),
                    LF_U64("bytes", *size));
        *size = 0;
        return rc;
    }
    req->bytes_in += *size;
    metrics_add(METRICS_BYTES_RECEIVED, *size);
    *size = 0;
    return 0;
}
