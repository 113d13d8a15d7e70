/* forward_http: the livelog sink (contract in forward_http.h). One state
 * machine per file: NEW -> HEAD -> READY -> (PUT | PATCH)* -> completing
 * PATCH -> DONE, with BACKOFF after failures and FAILED when the server
 * refuses the file for good. */
#include "forward/forward_http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

enum req_kind { REQ_HEAD, REQ_CREATE, REQ_APPEND, REQ_COMPLETE };

static const char *const req_names[] = {"HEAD", "PUT", "PATCH",
                                        "completing PATCH"};

struct forward_http {
    CURLM *multi;
    char *base; /* the server's write URL */
    char *auth; /* "Authorization: Bearer ..." or NULL */
    const char *cacert;
    size_t parallel, busy, next;
    uint64_t max_lag;
    bool down;
    uint64_t down_since_ms, down_failures;
};

int forward_http_new(const struct forward_config *cfg, size_t parallel,
                     struct forward_http **ret)
{
    struct forward_http *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    int rc =
        client_http_bearer(cfg->token[0] != '\0' ? cfg->token : NULL, &h->auth);
    if (rc != 0) {
        free(h);
        return rc;
    }
    h->base = strdup(cfg->server);
    h->multi = curl_multi_init();
    if (h->base == NULL || h->multi == NULL) {
        forward_http_free(h);
        return -ENOMEM;
    }
    h->cacert = cfg->cacert[0] != '\0' ? cfg->cacert : NULL;
    h->parallel = parallel;
    h->max_lag = cfg->max_lag;
    curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)parallel);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)parallel);
    *ret = h;
    return 0;
}

void forward_http_free(struct forward_http *h)
{
    if (h == NULL)
        return;
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    free(h->base);
    free(h->auth);
    free(h);
}

bool forward_http_down(const struct forward_http *h)
{
    return h->down;
}

size_t forward_http_busy(const struct forward_http *h)
{
    return h->busy;
}

size_t forward_http_marker(uint64_t skipped, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "[livelog forward: %" PRIu64
                     " bytes skipped here: the server fell more than "
                     "--max-lag behind]\n",
                     skipped);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

uint64_t forward_http_file_pos(const struct forward_file *f)
{
    const struct forward_ckpt_rec *r = &f->rec;
    return r->seg_file + (r->http_stream > r->seg_stream
                              ? r->http_stream - r->seg_stream
                              : 0);
}

static bool marker_pending(const struct forward_file *f)
{
    return f->rec.http_stream < f->rec.seg_stream;
}

static uint64_t avail(const struct forward_file *f)
{
    if (f->fd < 0)
        return 0; /* an orphan: the file is gone */
    if (marker_pending(f))
        return f->size > f->rec.seg_file ? f->size - f->rec.seg_file : 0;
    uint64_t pos = forward_http_file_pos(f);
    return f->size > pos ? f->size - pos : 0;
}

bool forward_http_drained(const struct forward_file *f)
{
    if (f->phase == FWD_HTTP_DONE || f->phase == FWD_HTTP_FAILED)
        return true;
    if (f->phase != FWD_HTTP_READY || !f->exists || marker_pending(f) ||
        avail(f) > 0)
        return false;
    return !f->finished;
}

uint64_t forward_http_next_retry(struct forward_file **files, size_t n)
{
    uint64_t t = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (files[i]->phase == FWD_HTTP_BACKOFF && files[i]->retry_at_ms < t)
            t = files[i]->retry_at_ms;
    return t;
}

/* ---- requests ---- */

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct forward_file *f = userdata;
    size_t cap = size * nitems, n = 0;
    if (f->req_sent < f->req_marker_len) {
        size_t m = f->req_marker_len - (size_t)f->req_sent;
        if (m > cap)
            m = cap;
        memcpy(buf, f->req_marker + f->req_sent, m);
        n = m;
        f->req_sent += m;
    }
    uint64_t done = f->req_sent - f->req_marker_len;
    if (n < cap && done < f->req_len) {
        uint64_t want = f->req_len - done;
        if (want > cap - n)
            want = cap - n;
        ssize_t r =
            forward_file_pread(f, buf + n, (size_t)want, f->req_file + done);
        if (r <= 0) {
            f->read_error = true; /* truncated, or an I/O error */
            return CURL_READFUNC_ABORT;
        }
        n += (size_t)r;
        f->req_sent += (uint64_t)r;
    }
    return n;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct forward_file *f = userdata;
    client_http_resp_capture(&f->resp, ptr, size * nmemb);
    return size * nmemb;
}

static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l == NULL)
        return -ENOMEM;
    *list = l;
    return 0;
}

/* Starts a request of kind for f. Returns 0 or -ENOMEM. */
static int start(struct forward_http *h, struct forward_file *f,
                 enum req_kind kind)
{
    char line[96];
    int rc = 0;
    if (f->url == NULL)
        f->url = client_http_log_url(h->base, f->rec.name);
    CURL *e = f->url != NULL ? client_http_easy(f->url, &f->resp) : NULL;
    if (e == NULL)
        return -ENOMEM;
    f->req_kind = (int)kind;
    f->req_sent = 0;
    f->req_len = 0;
    f->req_marker_len = 0;
    f->read_error = false;
    free(f->req_marker);
    f->req_marker = NULL;
    if (h->auth != NULL)
        rc = add_header(&f->headers, h->auth);
    if (rc == 0 && kind != REQ_HEAD)
        rc = add_header(&f->headers, "Expect:");
    if (kind == REQ_CREATE || kind == REQ_APPEND) {
        if (marker_pending(f)) {
            char m[256];
            size_t mlen = forward_http_marker(f->rec.marker_skip, m, sizeof(m));
            uint64_t from = f->rec.http_stream - f->rec.marker_at;
            if (f->rec.marker_at + mlen != f->rec.seg_stream || from > mlen) {
                curl_easy_cleanup(e);
                curl_slist_free_all(f->headers);
                f->headers = NULL;
                return -EINVAL;
            }
            f->req_marker_len = mlen - (size_t)from;
            f->req_marker = malloc(f->req_marker_len + 1);
            if (f->req_marker == NULL)
                rc = -ENOMEM;
            else
                memcpy(f->req_marker, m + from, f->req_marker_len);
            f->req_file = f->rec.seg_file;
        } else {
            f->req_file = forward_http_file_pos(f);
        }
        uint64_t a = avail(f);
        f->req_len =
            a < FORWARD_HTTP_REQUEST_MAX ? a : FORWARD_HTTP_REQUEST_MAX;
        if (rc == 0 && kind == REQ_APPEND) {
            snprintf(line, sizeof(line), "Upload-Offset: %" PRIu64,
                     f->rec.http_stream);
            rc = add_header(&f->headers, line);
        }
        if (rc == 0)
            rc = add_header(&f->headers, "Upload-Complete: ?0");
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, f);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)(f->req_marker_len + f->req_len));
        curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE,
                         (long)FORWARD_HTTP_UPLOAD_BUFFER);
        if (kind == REQ_APPEND)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
    } else if (kind == REQ_COMPLETE) {
        snprintf(line, sizeof(line), "Upload-Offset: %" PRIu64,
                 f->rec.http_stream);
        rc = add_header(&f->headers, line);
        if (rc == 0)
            rc = add_header(&f->headers, "Upload-Complete: ?1");
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, f);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
    } else {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    }
    if (rc != 0) {
        curl_easy_cleanup(e);
        curl_slist_free_all(f->headers);
        f->headers = NULL;
        return rc;
    }
    if (h->cacert != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->cacert);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(e, CURLOPT_PRIVATE, f);
    /* a server that stops answering is noticed: under 1 KB/s for 60 s */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        curl_slist_free_all(f->headers);
        f->headers = NULL;
        return -ENOMEM;
    }
    f->easy = e;
    f->phase = FWD_HTTP_BUSY;
    h->busy++;
    return 0;
}

/* Plans a skip of what lags more than --max-lag: the record gets the
 * marker's place and the new segment. */
static void plan_skip(struct forward_http *h, struct forward_file *f)
{
    char m[256];
    uint64_t pos = forward_http_file_pos(f);
    uint64_t skip = avail(f) - h->max_lag;
    size_t mlen = forward_http_marker(skip, m, sizeof(m));
    f->rec.marker_at = f->rec.http_stream;
    f->rec.marker_skip = skip;
    f->rec.seg_stream = f->rec.http_stream + mlen;
    f->rec.seg_file = pos + skip;
    f->rec.skipped += skip;
    log_warning(LOGC_FORWARD,
                "the server fell more than --max-lag behind: bytes skipped, "
                "a marker line says where",
                LF_STR("name", f->rec.name), LF_STR("path", f->rec.path),
                LF_U64("skipped", skip), LF_U64("from", pos),
                LF_U64("max_lag", h->max_lag));
}

bool forward_http_start(struct forward_http *h, struct forward_file **files,
                        size_t n, uint64_t now_ms)
{
    bool save = false;
    if (n == 0)
        return false;
    for (size_t k = 0; k < n && h->busy < h->parallel; k++) {
        size_t i = (h->next + k) % n;
        struct forward_file *f = files[i];
        int rc = 0;
        if (f->phase == FWD_HTTP_BACKOFF && now_ms >= f->retry_at_ms)
            f->phase = FWD_HTTP_NEW;
        if (f->phase == FWD_HTTP_NEW) {
            rc = start(h, f, REQ_HEAD);
        } else if (f->phase == FWD_HTTP_READY) {
            if (!f->exists) {
                rc = start(h, f, REQ_CREATE);
            } else if (marker_pending(f)) {
                rc = start(h, f, REQ_APPEND);
            } else if (avail(f) > 0) {
                if (h->max_lag > 0 && avail(f) > h->max_lag) {
                    plan_skip(h, f);
                    save = true;
                    continue;
                }
                rc = start(h, f, REQ_APPEND);
            } else if (f->finished) {
                rc = start(h, f, REQ_COMPLETE);
            }
        }
        if (rc != 0) {
            log_error(LOGC_FORWARD, "cannot start a request",
                      LF_STR("name", f->rec.name),
                      LF_STR("error", strerror(-rc)));
            f->phase = FWD_HTTP_FAILED;
        }
        if (f->phase == FWD_HTTP_BUSY)
            h->next = i + 1;
    }
    return save;
}

static void detach(struct forward_http *h, struct forward_file *f)
{
    curl_multi_remove_handle(h->multi, f->easy);
    curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    f->easy = NULL;
    f->headers = NULL;
    h->busy--;
}

void forward_http_restart(struct forward_http *h, struct forward_file *f)
{
    forward_http_cancel(h, f);
    if (f->phase == FWD_HTTP_NEW || f->phase == FWD_HTTP_BACKOFF)
        f->restart = true;
}

void forward_http_cancel(struct forward_http *h, struct forward_file *f)
{
    if (f->easy != NULL)
        detach(h, f);
    if (f->phase == FWD_HTTP_BUSY || f->phase == FWD_HTTP_READY ||
        f->phase == FWD_HTTP_BACKOFF)
        f->phase = FWD_HTTP_NEW;
}

/* A failure worth retrying: back off, and tell of the outage once. */
static void failed(struct forward_http *h, struct forward_file *f,
                   uint64_t now_ms, const char *why)
{
    f->failures++;
    f->phase = FWD_HTTP_BACKOFF;
    f->retry_at_ms =
        now_ms + client_http_backoff_ms(f->failures, client_http_random());
    h->down_failures++;
    if (!h->down) {
        h->down = true;
        h->down_since_ms = now_ms;
        h->down_failures = 1;
        log_warning(LOGC_FORWARD,
                    "the livelog server is unreachable or refusing: "
                    "retrying with backoff, reading no further ahead",
                    LF_STR("server", h->base), LF_STR("name", f->rec.name),
                    LF_STR("error", why));
    }
}

static void recovered(struct forward_http *h, struct forward_file *f,
                      uint64_t now_ms)
{
    f->failures = 0;
    if (!h->down)
        return;
    h->down = false;
    log_info(LOGC_FORWARD, "the livelog server answers again",
             LF_STR("server", h->base),
             LF_U64("outage_ms", now_ms - h->down_since_ms),
             LF_U64("failures", h->down_failures));
}

/* The server refused the file for good. */
static void refused(struct forward_file *f, const char *what)
{
    log_warning(LOGC_FORWARD,
                "the server refused a file's stream: nothing more of it is "
                "sent",
                LF_STR("name", f->rec.name), LF_STR("path", f->rec.path),
                LF_STR("request", what), LF_I64("status", f->resp.status),
                LF_STR("reason", client_http_resp_message(&f->resp)));
    f->phase = FWD_HTTP_FAILED;
}

static void done(struct forward_file *f)
{
    f->phase = FWD_HTTP_DONE;
    f->rec.http_done = true;
}

/* Takes the server's length from an answer; false when it is not
 * consistent with what this file can be. */
static bool adopt_offset(struct forward_file *f, uint64_t off)
{
    if (off < f->rec.marker_at ||
        (f->fd >= 0 && off >= f->rec.seg_stream &&
         f->rec.seg_file + (off - f->rec.seg_stream) > f->size)) {
        log_warning(LOGC_FORWARD,
                    "the stream on the server does not fit the file (another "
                    "file had its name?): nothing more of it is sent",
                    LF_STR("name", f->rec.name), LF_STR("path", f->rec.path),
                    LF_U64("server_length", off), LF_U64("file_size", f->size));
        f->phase = FWD_HTTP_FAILED;
        return false;
    }
    f->rec.http_stream = off;
    return true;
}

static bool finish_head(struct forward_file *f)
{
    long st = f->resp.status;
    if (f->restart && st == 200 && f->resp.has_offset) {
        /* the file was truncated: its new content goes on from here */
        f->rec.seg_file = 0;
        f->rec.seg_stream = f->rec.marker_at = f->resp.offset;
        f->rec.marker_skip = 0;
        f->restart = false;
    }
    if (st == 404) {
        if (f->rec.http_stream > 0 || f->rec.http_done) {
            refused(f, "HEAD (the stream was deleted)");
            return true;
        }
        f->exists = false;
        f->phase = FWD_HTTP_READY;
        return false;
    }
    if (st != 200 || !f->resp.has_offset) {
        refused(f, "HEAD");
        return true;
    }
    f->exists = true;
    if (!adopt_offset(f, f->resp.offset))
        return true;
    if (f->resp.state == CLIENT_HTTP_STATE_COMPLETE) {
        if (avail(f) > 0 || marker_pending(f))
            log_warning(LOGC_FORWARD,
                        "the stream is already complete on the server: the "
                        "rest of the file is not sent",
                        LF_STR("name", f->rec.name),
                        LF_U64("server_length", f->rec.http_stream));
        done(f);
        return true;
    }
    f->phase = FWD_HTTP_READY;
    return true;
}

static bool finish_write(struct forward_http *h, struct forward_file *f,
                         enum req_kind kind, uint64_t now_ms)
{
    long st = f->resp.status;
    if (st >= 200 && st < 300) {
        f->exists = true;
        if (kind == REQ_COMPLETE) {
            done(f);
            log_info(LOGC_FORWARD, "stream complete",
                     LF_STR("name", f->rec.name), LF_STR("path", f->rec.path),
                     LF_U64("length", f->rec.http_stream));
            return true;
        }
        uint64_t off = f->resp.has_offset ? f->resp.offset
                                          : f->rec.http_stream + f->req_sent;
        f->phase = FWD_HTTP_READY;
        adopt_offset(f, off);
        return true;
    }
    if (st == 409 && f->resp.has_offset) {
        f->exists = true;
        if (f->resp.state == CLIENT_HTTP_STATE_COMPLETE) {
            if (adopt_offset(f, f->resp.offset))
                done(f);
            return true;
        }
        if (f->resp.offset == f->rec.http_stream) {
            /* another writer holds the stream: wait for it */
            failed(h, f, now_ms, client_http_resp_message(&f->resp));
            return false;
        }
        f->phase = FWD_HTTP_READY;
        return adopt_offset(f, f->resp.offset);
    }
    refused(f, req_names[kind]);
    return true;
}

bool forward_http_perform(struct forward_http *h, uint64_t now_ms)
{
    int running = 0, left = 0;
    bool moved = false;
    CURLMsg *msg;
    curl_multi_perform(h->multi, &running);
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct forward_file *f = NULL;
        CURLcode cc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        if (f == NULL)
            continue;
        enum req_kind kind = (enum req_kind)f->req_kind;
        detach(h, f);
        long st = f->resp.status;
        char why[512];
        if (f->read_error) {
            /* the file shrank under the request: HEAD, then the main
             * loop's truncation handling */
            f->phase = FWD_HTTP_NEW;
            moved = true;
            continue;
        }
        if (cc != CURLE_OK || st >= 500 || st == 401 || st == 403 ||
            st == 429 || st == 0) {
            if (cc != CURLE_OK)
                snprintf(why, sizeof(why), "%s failed: %s", req_names[kind],
                         client_http_error_text(cc, &f->resp));
            else
                snprintf(why, sizeof(why), "%s answered %ld: %s",
                         req_names[kind], st,
                         client_http_resp_message(&f->resp));
            failed(h, f, now_ms, why);
            continue;
        }
        recovered(h, f, now_ms);
        moved |= kind == REQ_HEAD ? finish_head(f)
                                  : finish_write(h, f, kind, now_ms);
    }
    return moved;
}

void forward_http_wait(struct forward_http *h, struct curl_waitfd *extra,
                       unsigned nextra, int timeout_ms)
{
    int numfds = 0;
    curl_multi_poll(h->multi, extra, nextra, timeout_ms, &numfds);
}
