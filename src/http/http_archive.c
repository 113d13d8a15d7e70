/* http_archive: GET and HEAD of a log whose bytes are only in the archive
 * store (contract in http_archive.h). The server proxies: a content
 * reader pulls the answer from the store with ranged GETs of 256 KiB
 * doubling to 8 MiB as the reader goes on, so a reader costs at most one
 * block of memory (8 MiB), and a private log is never answered with a
 * redirect. Runs on the read listener's threads (a block's GET blocks
 * that thread for its round trip). */
#include "http/http_archive.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_clock.h"
#include "http/http_cache.h"
#include "http/http_range.h"
#include "http/http_respond.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "store/store_name.h"

/* A reader's ranged GETs start at BLOCK_MIN and double up to BLOCK_MAX as
 * it reads on: a quick first byte, then few requests per byte. */
#define BLOCK_MIN (256 * 1024)
#define BLOCK_MAX (8 * 1024 * 1024)
#define TAIL_BLOCK (64 * 1024)

struct remote {
    struct archive *archive;
    char name[STORE_NAME_MAX + 1];
    size_t nlen;
    uint64_t start, end; /* the answer: bytes [start, end) */
    uint64_t buf_off;    /* buf holds [buf_off, buf_off + have) */
    size_t have;
    size_t block; /* the next GET's size; buf holds that much */
    char *buf;
};

static void remote_free(void *cls)
{
    struct remote *r = cls;
    free(r->buf);
    free(r);
}

static ssize_t remote_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct remote *r = cls;
    uint64_t off = r->start + pos;
    if (off >= r->end)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (off < r->buf_off || off >= r->buf_off + r->have) {
        if (r->have > 0 && r->block < BLOCK_MAX) { /* reading on: grow */
            char *nb = realloc(r->buf, r->block * 2);
            if (nb != NULL) {
                r->buf = nb;
                r->block *= 2;
            }
        }
        uint64_t want = r->end - off < r->block ? r->end - off : r->block;
        ssize_t n = archive_read(r->archive, r->name, r->nlen, off, r->buf,
                                 (size_t)want);
        if (n <= 0) {
            log_warning(LOGC_HTTP, "reading an archived log failed",
                        LF_STRN("name", r->name, r->nlen),
                        LF_U64("offset", off), LF_I64("errno", n < 0 ? -n : 0));
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        r->buf_off = off;
        r->have = (size_t)n;
    }
    size_t n = (size_t)(r->buf_off + r->have - off);
    if (n > max)
        n = max;
    memcpy(out, r->buf + (off - r->buf_off), n);
    metrics_add(METRICS_BYTES_SENT, n);
    return (ssize_t)n;
}

static struct MHD_Response *remote_response(struct archive *a, const char *name,
                                            size_t nlen, uint64_t start,
                                            uint64_t end)
{
    struct remote *r = malloc(sizeof(*r));
    if (r == NULL)
        return NULL;
    r->block = BLOCK_MIN;
    r->buf = malloc(BLOCK_MIN);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    r->archive = a;
    memcpy(r->name, name, nlen);
    r->name[nlen] = '\0';
    r->nlen = nlen;
    r->start = start;
    r->end = end;
    r->buf_off = 0;
    r->have = 0;
    struct MHD_Response *resp = MHD_create_response_from_callback(
        end - start, 64 * 1024, remote_read, r, remote_free);
    if (resp == NULL)
        remote_free(r);
    return resp;
}

static enum MHD_Result answer(struct http_request *req, unsigned status,
                              struct MHD_Response *resp, uint64_t size,
                              const char *content_range,
                              const struct http_cache_entity *c)
{
    char len[32];
    if (resp == NULL)
        return MHD_NO;
    http_respond_base_headers(resp);
    snprintf(len, sizeof(len), "%" PRIu64, size);
    MHD_add_response_header(resp, "Upload-Offset", len);
    MHD_add_response_header(resp, "Livelog-State", "complete");
    MHD_add_response_header(resp, "Livelog-Archived", "?1");
    http_cache_headers(resp, c);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "Content-Range, Accept-Ranges, Livelog-State, "
                            "Upload-Offset, Livelog-Archived, ETag");
    if (content_range != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
                                content_range);
    http_respond_cors(resp, req->cors_origin);
    return http_respond_queue(req->conn, status, resp);
}

/* No body: 304, or 416 (with its Content-Range). */
static struct MHD_Response *empty(void)
{
    return MHD_create_response_from_buffer(0, (void *)"",
                                           MHD_RESPMEM_PERSISTENT);
}

enum MHD_Result http_archive_serve(struct http_request *req, struct archive *a,
                                   const char *name, size_t nlen, uint64_t size,
                                   const struct http_cache_entity *c,
                                   const struct http_read_options *opt)
{
    char cr[96];
    if (a == NULL)
        return http_respond_text_cors(req->conn, req->cors_origin,
                                      MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "this log is archived and the server "
                                      "runs without --archive\n",
                                      NULL, NULL);
    struct http_cache_conditions cond;
    http_cache_conditions_read(req->conn, &cond);
    int64_t now = (int64_t)(core_clock_real_ns() / 1000000000u);
    if (http_cache_not_modified(c, &cond, now))
        return answer(req, MHD_HTTP_NOT_MODIFIED, http_cache_304(size), size,
                      NULL, c);
    struct http_range parsed;
    const struct http_range *range = NULL;
    if (opt->range != NULL &&
        http_range_parse(opt->range, strlen(opt->range), &parsed) == 0 &&
        http_cache_range_applies(c, &cond))
        range = &parsed;
    if (range == NULL && opt->from_set) {
        parsed =
            (struct http_range){.kind = HTTP_RANGE_FROM, .first = opt->from};
        range = &parsed;
    }
    if (range == NULL)
        return answer(req, MHD_HTTP_OK, remote_response(a, name, nlen, 0, size),
                      size, NULL, c);
    uint64_t start, end;
    if (http_range_resolve(range, size, &start, &end) != 0) {
        snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
        return answer(req, MHD_HTTP_RANGE_NOT_SATISFIABLE, empty(), size, cr,
                      c);
    }
    snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
             end - 1, size);
    return answer(req, MHD_HTTP_PARTIAL_CONTENT,
                  remote_response(a, name, nlen, start, end), size, cr, c);
}

int http_archive_tail_offset(struct archive *a, const char *name, size_t nlen,
                             uint64_t size, uint64_t n, uint64_t *ret)
{
    if (n == 0) {
        *ret = size;
        return 0;
    }
    char *buf = malloc(TAIL_BLOCK);
    if (buf == NULL)
        return -ENOMEM;
    /* A last line without '\n' counts as a line; its '\n' does not. */
    uint64_t seen = 0, end = size;
    int rc = 0;
    *ret = 0;
    while (end > 0) {
        uint64_t off = end > TAIL_BLOCK ? end - TAIL_BLOCK : 0;
        ssize_t got =
            archive_read(a, name, nlen, off, buf, (size_t)(end - off));
        if (got != (ssize_t)(end - off)) {
            rc = got < 0 ? (int)got : -EIO;
            break;
        }
        for (uint64_t i = end - off; i > 0; i--) {
            uint64_t at = off + i - 1;
            if (buf[i - 1] != '\n' || at == size - 1)
                continue;
            if (++seen == n) {
                *ret = at + 1;
                free(buf);
                return 0;
            }
        }
        end = off;
    }
    free(buf);
    return rc;
}
