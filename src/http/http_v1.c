/* http_v1: the /v1 routes of `livelog serve` (contract in http_v1.h and
 * docs/API.md). One per-request struct (v1_req) hangs off http_request
 * for writers; readers need none. */
#include "http/http_v1.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_policy.h"
#include "auth/auth_sign.h"
#include "core/core_clock.h"
#include "core/core_json.h"
#include "core/core_num.h"
#include "http/http_archive.h"
#include "http/http_cache.h"
#include "http/http_daemon.h"
#include "http/http_headers.h"
#include "http/http_read.h"
#include "http/http_respond.h"
#include "http/http_search.h"
#include "http/http_view.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "store/store_name.h"
#include "stream/stream_mask.h"
#include "stream/stream_severity.h"

#define PREFIX "/v1/logs/"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define LIST_MAX 1000
/* Appends a string literal of JSON text (its length from sizeof). */
#define RAW(j, lit) core_json_raw((j), "" lit, sizeof(lit) - 1)
/* After a write is refused mid-body, this much more of the body is read
 * and discarded so the refusal can be answered (libmicrohttpd answers
 * only once the body is in); past it the connection is closed and the
 * writer learns the state from HEAD. */
#define DRAIN_MAX (16 * 1024 * 1024)
/* Livelog-Mask headers one request may carry (each one secret). */
#define MASKS_PER_REQUEST 64
#define SECRET_MIN 4
#define SECRET_MAX 1024
/* --archive-redirect-public: how long a presigned store URL is good for */
#define REDIRECT_TTL_S 300

/* Livelog-Mask: each header line is one secret, verbatim. */
struct masks {
    const char *secret[MASKS_PER_REQUEST];
    size_t n;
    bool bad; /* a secret out of bounds, or too many */
};

/* A writer's request (PUT or PATCH). */
struct v1_req {
    struct http_v1 *app;
    struct stream *stream; /* referenced                           */
    bool is_patch;
    bool complete_at_end; /* Upload-Complete absent or ?1          */
    bool has_digest;
    unsigned char digest[32];
    unsigned int error_status; /* set once an answer is decided      */
    const char *error_msg;
    uint64_t drained;   /* body bytes discarded after the refusal  */
    bool deferred;      /* refused before the body: answered at its end */
    bool mask_ended;    /* stream_mask_end ran for this request     */
    struct masks masks; /* its Livelog-Mask secrets                 */
    char msg_buf[192];
};

/* ---- small helpers -------------------------------------------------- */

size_t http_v1_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    size_t r = 0, w = 0;
    while (s[r] != '\0') {
        if (s[r] == '%' && core_num_hex_digit(s[r + 1]) >= 0 &&
            core_num_hex_digit(s[r + 2]) >= 0) {
            int v = core_num_hex_digit(s[r + 1]) * 16 +
                    core_num_hex_digit(s[r + 2]);
            if (v != 0) {
                s[w++] = (char)v;
                r += 3;
                continue;
            }
        }
        s[w++] = s[r++];
    }
    s[w] = '\0';
    return w;
}

static const char *header(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* The writer's position: for a masked stream the writer offset (input
 * accepted, stream_mask.h), which the wire record makes durable at the
 * end of each request; otherwise the committed or durable length. */
static void add_offset_headers(struct MHD_Response *resp, struct stream *s,
                               bool durable)
{
    uint64_t off = stream_is_masked(s) ? stream_writer_offset(s)
                   : durable           ? store_stream_durable(s->store)
                                       : store_stream_length(s->store);
    http_read_state_headers(resp, s, store_stream_state(s->store), off);
}

static enum MHD_Result respond_stream(struct http_request *req,
                                      unsigned int status, struct stream *s,
                                      const char *text, bool durable)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    http_respond_base_headers(resp);
    add_offset_headers(resp, s, durable);
    return http_respond_queue(req->conn, status, resp);
}

static enum MHD_Result bad_name_n(struct http_request *req, const char *name,
                                  size_t len)
{
    char msg[256];
    store_name_check(name, len, msg, sizeof(msg) - 1);
    size_t n = strlen(msg);
    msg[n] = '\n';
    msg[n + 1] = '\0';
    return http_respond_text(req->conn, MHD_HTTP_BAD_REQUEST, msg);
}

static enum MHD_Result bad_name(struct http_request *req, const char *name)
{
    return bad_name_n(req, name, strlen(name));
}

/* ---- access ------------------------------------------------------ */

static const char *query(struct http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static int64_t now_s(void)
{
    return (int64_t)(core_clock_real_ns() / CORE_NS_PER_S);
}

/* The request's Origin when it is one of --cors-origins, else "". */
static const char *allowed_origin(struct http_v1 *app, struct http_request *req)
{
    const char *origin = header(req, "Origin");
    if (origin == NULL)
        return "";
    size_t olen = strlen(origin);
    for (const char *p = app->cors_origins; *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == olen && memcmp(p, origin, n) == 0)
            return origin;
        p += n + (comma != NULL);
    }
    return "";
}

/* One audit line per access decision on a private stream (and on every
 * stream when writes need credentials). Never a credential: the reason
 * is a fixed word. */
static void audit(const char *action, const char *name, size_t len,
                  const struct auth_decision *d)
{
    bool ok = d->outcome == AUTH_GRANTED;
    log_info(LOGC_AUTH, ok ? "access granted" : "access denied",
             LF_BOOL("audit", true), LF_STR("action", action),
             LF_STRN("name", name, len),
             LF_STR("outcome", ok ? "granted" : "denied"),
             LF_STR("reason", d->reason));
}

/* 401 or 403 for a refused decision. The answer depends only on the
 * decision and the verb, not on the name (nor on whether the stream
 * exists), so that it says nothing about which private names exist. */
static enum MHD_Result refuse(struct http_request *req,
                              const struct auth_decision *d,
                              enum auth_verb verb)
{
    char msg[160];
    const char *www = "Bearer realm=\"livelog\"";
    const char *scope =
        verb == AUTH_VERB_READ ? "livelog:read" : "livelog:write";
    unsigned int status = MHD_HTTP_UNAUTHORIZED;
    switch (d->outcome) {
    case AUTH_NO_CREDENTIAL:
        snprintf(msg, sizeof(msg),
                 "this log needs a credential with %s:NAME: send "
                 "Authorization: Bearer <token> or use a signed URL\n",
                 scope);
        break;
    case AUTH_BAD_CREDENTIAL:
        snprintf(msg, sizeof(msg), "the credential was refused (%s)\n",
                 d->reason);
        www = "Bearer realm=\"livelog\", error=\"invalid_token\"";
        break;
    default:
        status = MHD_HTTP_FORBIDDEN;
        snprintf(msg, sizeof(msg),
                 "the credential does not grant %s for this log\n", scope);
        www = "Bearer realm=\"livelog\", error=\"insufficient_scope\"";
        break;
    }
    return http_respond_text_cors(req->conn, req->cors_origin, status, msg,
                                  MHD_HTTP_HEADER_WWW_AUTHENTICATE, www);
}

/* Decides (once per request) whether req may do verb on name. Returns
 * true when it may; otherwise false with the refusal queued in *ret. */
static bool access_ok(struct http_v1 *app, struct http_request *req,
                      enum auth_verb verb, const char *action, const char *name,
                      size_t len, enum MHD_Result *ret)
{
    if (req->access_granted)
        return true;
    const struct auth_credentials c = {
        .authorization = header(req, MHD_HTTP_HEADER_AUTHORIZATION),
        .exp = query(req, "exp"),
        .nonce = query(req, "n"),
        .sig = query(req, "sig"),
    };
    struct auth_decision d;
    auth_policy_decide(&app->policy, verb, name, len, &c, now_s(), &d);
    audit(action, name, len, &d);
    if (d.outcome == AUTH_GRANTED) {
        req->access_granted = true;
        return true;
    }
    *ret = refuse(req, &d, verb);
    return false;
}

/* ---- writers ---------------------------------------------------------- */

static void writer_done(struct http_request *req,
                        enum MHD_RequestTerminationCode code)
{
    struct v1_req *w = req->app;
    if (w == NULL)
        return;
    struct stream *s = w->stream;
    if (s != NULL && req->writing != NULL) {
        int rc = w->mask_ended ? 0 : stream_mask_end(s, false);
        if (rc != 0)
            log_warning(LOGC_STORE,
                        "recording a masked stream's writer offset failed",
                        LF_I64("errno", -rc));
        if (!req->body_done && w->error_status == 0) {
            stream_set_state(s, STORE_INTERRUPTED);
            size_t len = 0;
            const char *name = store_stream_name(s->store, &len);
            log_warning(LOGC_HTTP,
                        "writer disconnected before the end of its body",
                        LF_STRN("name", name, len), LF_STR("action", "UPDATE"),
                        LF_U64("length", store_stream_length(s->store)),
                        LF_I64("termination", (int64_t)code));
        }
        stream_release_writer(s);
        stream_registry_writer_done(w->app->registry, s);
    }
    stream_unref(s);
    free(w);
    req->app = NULL;
}

/* Appends one call's data, within the limits. Returns 0 or sets
 * w->error_status (the caller answers). */
static void append_data(struct http_request *req, struct v1_req *w,
                        const char *data, size_t size)
{
    uint64_t room = 0;
    size_t take = size;
    /* Held bytes (a masked stream's possible secret start) are stored
     * later and count against the limits now. */
    size_t held = stream_mask_held(w->stream);
    int rc =
        stream_registry_admit(w->app->registry, w->stream, size + held, &room);
    const struct stream_registry_limits *lim =
        stream_registry_limits(w->app->registry);
    if (rc == -EFBIG) {
        take = room > held ? (size_t)(room - held) : 0;
        w->error_status = MHD_HTTP_CONTENT_TOO_LARGE;
        snprintf(w->msg_buf, sizeof(w->msg_buf),
                 "the log reached --max-stream-bytes (%" PRIu64
                 " bytes); the bytes before the limit are kept\n",
                 lim->max_stream_bytes);
        w->error_msg = w->msg_buf;
    } else if (rc == -ENOSPC) {
        take = 0;
        w->error_status = MHD_HTTP_INSUFFICIENT_STORAGE;
        snprintf(w->msg_buf, sizeof(w->msg_buf),
                 "the server reached --max-total-bytes (%" PRIu64
                 " bytes); nothing after the last acknowledged byte was "
                 "stored\n",
                 lim->max_total_bytes);
        w->error_msg = w->msg_buf;
    }
    if (take > 0) {
        uint64_t before = store_stream_length(w->stream->store);
        rc = stream_mask_append(w->stream, data, take);
        if (rc != 0) {
            w->error_status = http_respond_status_for_errno(rc, &w->error_msg);
            size_t nlen = 0;
            const char *name = store_stream_name(w->stream->store, &nlen);
            log_warning(LOGC_STORE, "appending to the log failed",
                        LF_STRN("name", name, nlen), LF_I64("errno", -rc),
                        LF_U64("bytes", take));
            return;
        }
        stream_registry_account(w->app->registry,
                                store_stream_length(w->stream->store) - before);
        metrics_add(METRICS_BYTES_RECEIVED, take);
        req->bytes_in += take;
    }
}

/* The URL a reader uses: --public-url (or nothing: a relative URL), the
 * path, and for a private stream a fresh signed query good for GET until
 * --read-url-ttl from now. Returns 0, or a negative errno when a private
 * stream's URL cannot be signed (no keys): then there is none. */
static int read_url(struct http_v1 *app, const char *name, size_t len,
                    char *out, size_t cap)
{
    int n =
        snprintf(out, cap, "%s" PREFIX "%.*s", app->public_url, (int)len, name);
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    if (store_name_is_public(name, len))
        return 0;
    if (app->policy.keys == NULL)
        return -ENOENT;
    out[n] = '?';
    int q = auth_sign_query(app->policy.keys, "GET", name, len,
                            now_s() + (int64_t)app->read_url_ttl_s, out + n + 1,
                            cap - (size_t)n - 1);
    return q < 0 ? q : 0;
}

/* The completion could not be recorded (the meta file): the stream is
 * interrupted with every byte kept; a PATCH at its Upload-Offset (an
 * empty body will do) completes it. */
static enum MHD_Result not_completed(struct http_request *req, struct v1_req *w,
                                     int err)
{
    const char *msg = NULL;
    unsigned int st = http_respond_status_for_errno(err, &msg);
    if (st == MHD_HTTP_INTERNAL_SERVER_ERROR)
        msg = "the server could not record that the log is complete (I/O "
              "error); every byte is kept: complete it again with a PATCH "
              "at Upload-Offset\n";
    stream_set_state(w->stream, STORE_INTERRUPTED);
    return respond_stream(req, st, w->stream, msg, w->app->sync_before_ack);
}

/* The body has ended cleanly: complete (after the digest check) or not. */
static enum MHD_Result finish_body(struct http_request *req, struct v1_req *w)
{
    struct stream *s = w->stream;
    size_t nlen = 0;
    const char *name = store_stream_name(s->store, &nlen);
    uint64_t before = store_stream_length(s->store);
    int mrc = stream_mask_end(s, w->complete_at_end);
    w->mask_ended = true;
    stream_registry_account(w->app->registry,
                            store_stream_length(s->store) - before);
    if (mrc != 0) {
        const char *msg = NULL;
        unsigned int st = http_respond_status_for_errno(mrc, &msg);
        stream_set_state(s, STORE_INTERRUPTED);
        log_warning(LOGC_STORE, "ending a masked write failed",
                    LF_STRN("name", name, nlen), LF_I64("errno", -mrc));
        return respond_stream(req, st, s, msg, false);
    }
    if (w->app->sync_before_ack) {
        int rc = store_stream_sync(s->store);
        if (rc != 0) {
            const char *msg = NULL;
            unsigned int st = http_respond_status_for_errno(rc, &msg);
            stream_set_state(s, STORE_INTERRUPTED);
            log_warning(LOGC_STORE, "fsync of a stream failed",
                        LF_STRN("name", name, nlen), LF_I64("errno", -rc));
            return respond_stream(req, st, s, msg, true);
        }
    }
    if (w->complete_at_end && w->has_digest) {
        unsigned char got[32];
        uint64_t len = store_stream_length(s->store);
        int rc = store_stream_sha256(s->store, len, got);
        if (rc != 0) {
            stream_set_state(s, STORE_INTERRUPTED);
            log_warning(LOGC_HTTP, "reading the stored log failed",
                        LF_STRN("name", name, nlen), LF_I64("errno", -rc));
            return respond_stream(req, MHD_HTTP_INTERNAL_SERVER_ERROR, s,
                                  "the server could not read the log back "
                                  "to check Repr-Digest (I/O error); it is "
                                  "not complete: complete it again\n",
                                  w->app->sync_before_ack);
        }
        if (memcmp(got, w->digest, 32) != 0) {
            stream_set_state(s, STORE_INTERRUPTED);
            log_warning(LOGC_HTTP, "Repr-Digest does not match the stream",
                        LF_STRN("name", name, nlen), LF_U64("length", len));
            return respond_stream(req, MHD_HTTP_BAD_REQUEST, s,
                                  "Repr-Digest does not match the SHA-256 "
                                  "of the stored log; it is not complete\n",
                                  w->app->sync_before_ack);
        }
    }
    if (w->complete_at_end) {
        int rc = stream_set_state(s, STORE_COMPLETE);
        if (rc != 0) /* not complete (logged): the writer completes again */
            return not_completed(req, w, rc);
        log_info(LOGC_HTTP, "stream complete", LF_STRN("name", name, nlen),
                 LF_STR("action", "UPDATE"),
                 LF_U64("length", store_stream_length(s->store)));
    }
    if (w->is_patch)
        return respond_stream(req, MHD_HTTP_NO_CONTENT, s, "",
                              w->app->sync_before_ack);
    char loc[STORE_NAME_MAX + PREFIX_LEN + 1];
    snprintf(loc, sizeof(loc), PREFIX "%.*s", (int)nlen, name);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    http_respond_base_headers(resp);
    add_offset_headers(resp, s, w->app->sync_before_ack);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc);
    char url[1024 + STORE_NAME_MAX + PREFIX_LEN + AUTH_SIGN_QUERY_MAX + 2];
    if (read_url(w->app, name, nlen, url, sizeof(url)) == 0)
        MHD_add_response_header(resp, "Livelog-Read-URL", url);
    return http_respond_queue(req->conn, MHD_HTTP_CREATED, resp);
}

/* Continues a writer's request (second and later calls). */
static enum MHD_Result continue_writer(struct http_request *req,
                                       const char *data, size_t *size)
{
    struct v1_req *w = req->app;
    if (*size > 0) {
        if (w->error_status == 0) {
            append_data(req, w, data, *size);
            if (w->error_status != 0)
                stream_set_state(w->stream, STORE_INTERRUPTED);
        } else {
            w->drained += *size;
        }
        *size = 0;
        /* libmicrohttpd 0.9.75 cannot answer in the middle of a body: a
         * refused write discards the rest (bounded) and is answered when
         * the body ends. */
        if (w->drained > DRAIN_MAX)
            return MHD_NO;
        return MHD_YES;
    }
    if (w->error_status != 0 && w->stream == NULL)
        return http_respond_text(req->conn, w->error_status, w->error_msg);
    if (w->error_status != 0)
        return respond_stream(req, w->error_status, w->stream, w->error_msg,
                              false);
    req->body_done = true;
    return finish_body(req, w);
}

static struct v1_req *writer_state(struct http_v1 *app,
                                   struct http_request *req, bool patch)
{
    struct v1_req *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->app = app;
    w->is_patch = patch;
    req->app = w;
    req->on_complete = writer_done;
    return w;
}

/* Parses the headers common to PUT and PATCH. Returns NULL or the
 * message of a 400. */
static enum MHD_Result collect_mask(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value)
{
    struct masks *m = cls;
    (void)kind;
    if (strcasecmp(key, "Livelog-Mask") != 0 || value == NULL)
        return MHD_YES;
    size_t len = strlen(value);
    if (len < SECRET_MIN || len > SECRET_MAX || m->n == MASKS_PER_REQUEST)
        m->bad = true;
    else
        m->secret[m->n++] = value;
    return MHD_YES;
}

/* Registers the request's secrets (collected by writer_headers) with its
 * stream, after the writer slot is claimed and before any byte of the
 * body is stored. Returns NULL or the message of a 400 (which never
 * repeats a secret). */
static const char *apply_masks(const struct masks *m, struct stream *s)
{
    for (size_t i = 0; i < m->n; i++) {
        int rc = stream_mask_add(s, m->secret[i], strlen(m->secret[i]));
        if (rc == -E2BIG)
            return "Livelog-Mask: at most 64 secrets per log\n";
        if (rc != 0)
            return "Livelog-Mask: the secret could not be registered\n";
    }
    return NULL;
}

static const char *writer_headers(struct http_request *req, struct v1_req *w)
{
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_mask,
                              &w->masks);
    if (w->masks.bad)
        return "Livelog-Mask: each secret must be 4 to 1024 bytes, at most "
               "64 per request\n";
    if (http_headers_parse_complete(header(req, "Upload-Complete"),
                                    &w->complete_at_end) != 0)
        return "Upload-Complete must be ?0 or ?1\n";
    int rc = http_headers_parse_digest(header(req, "Repr-Digest"), w->digest);
    if (rc < 0)
        return "Repr-Digest: the sha-256 member must be :BASE64: of 32 "
               "bytes\n";
    w->has_digest = rc == 1;
    return NULL;
}

/* True when the request's body is on its way: it has one, and the client
 * does not wait for 100 Continue before sending it. */
static bool body_in_flight(struct http_request *req)
{
    const char *expect = header(req, MHD_HTTP_HEADER_EXPECT);
    if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
        return false;
    const char *cl = header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL ||
           (cl != NULL && strcmp(cl, "0") != 0);
}

/* A writer's request refused before its body (status, msg; s may be NULL).
 * libmicrohttpd stops reading once an answer is queued and closes the
 * connection after it, so body bytes still in flight would reset the
 * connection and the client could lose the answer. Unless no body is on
 * its way, the body is read and discarded (up to DRAIN_MAX, as after a
 * refusal mid-body) and the answer goes out when it ends, with the
 * stream's state as it is then. */
static enum MHD_Result refuse_writer(struct http_request *req, struct v1_req *w,
                                     unsigned int status, struct stream *s,
                                     const char *msg)
{
    if (!body_in_flight(req))
        return s != NULL ? respond_stream(req, status, s, msg, false)
                         : http_respond_text(req->conn, status, msg);
    if (s != NULL && w->stream == NULL) {
        stream_ref(s);
        w->stream = s;
    }
    w->error_status = status;
    w->error_msg = msg;
    w->deferred = true;
    return MHD_YES;
}

static enum MHD_Result start_put(struct http_v1 *app, struct http_request *req,
                                 const char *name)
{
    struct v1_req *w = writer_state(app, req, false);
    if (w == NULL)
        return MHD_NO;
    const char *err = writer_headers(req, w);
    if (err != NULL)
        return refuse_writer(req, w, MHD_HTTP_BAD_REQUEST, NULL, err);
    size_t len = strlen(name);
    struct stream *s = NULL;
    int rc = stream_registry_create(app->registry, name, len, &s);
    if (rc == -EEXIST) {
        enum MHD_Result r =
            refuse_writer(req, w, MHD_HTTP_CONFLICT, s,
                          store_stream_state(s->store) == STORE_COMPLETE
                              ? "this log exists and is complete\n"
                              : "this log exists: resume it with PATCH and the "
                                "Upload-Offset of a HEAD\n");
        stream_unref(s);
        return r;
    }
    if (rc == -EUSERS)
        return refuse_writer(req, w, MHD_HTTP_INSUFFICIENT_STORAGE, NULL,
                             "the server holds --max-streams logs "
                             "already\n");
    if (rc != 0) {
        const char *msg = NULL;
        unsigned int st = http_respond_status_for_errno(rc, &msg);
        log_warning(LOGC_STORE, "creating a stream failed",
                    LF_STRN("name", name, len), LF_I64("errno", -rc));
        return refuse_writer(req, w, st, NULL, msg);
    }
    w->stream = s;
    stream_claim_writer(s);
    log_info(LOGC_HTTP, "stream opened", LF_STRN("name", name, len),
             LF_STR("action", "ADD"),
             LF_BOOL("public", store_name_is_public(name, len)));
    err = apply_masks(&w->masks, s);
    if (err != NULL) {
        stream_release_writer(s);
        stream_set_state(s, STORE_INTERRUPTED);
        return refuse_writer(req, w, MHD_HTTP_BAD_REQUEST, s, err);
    }
    req->writing = s;
    return MHD_YES;
}

static enum MHD_Result start_patch(struct http_v1 *app,
                                   struct http_request *req, const char *name)
{
    struct v1_req *w = writer_state(app, req, true);
    if (w == NULL)
        return MHD_NO;
    const char *err = writer_headers(req, w);
    if (err != NULL)
        return refuse_writer(req, w, MHD_HTTP_BAD_REQUEST, NULL, err);
    const char *off_text = header(req, "Upload-Offset");
    uint64_t off = 0;
    if (off_text == NULL ||
        core_num_parse_u64(off_text, strlen(off_text), &off) != 0)
        return refuse_writer(req, w, MHD_HTTP_BAD_REQUEST, NULL,
                             "PATCH needs Upload-Offset: the committed "
                             "length (ask HEAD)\n");
    size_t len = strlen(name);
    struct stream *s = stream_registry_get(app->registry, name, len);
    if (s == NULL)
        return refuse_writer(req, w, MHD_HTTP_NOT_FOUND, NULL,
                             "no such log: create it with PUT\n");
    w->stream = s;
    if (store_stream_state(s->store) == STORE_COMPLETE)
        return refuse_writer(req, w, MHD_HTTP_CONFLICT, s,
                             "this log is complete\n");
    if (!stream_claim_writer(s))
        return refuse_writer(req, w, MHD_HTTP_CONFLICT, s,
                             "another writer is appending to this log\n");
    if (off != stream_writer_offset(s)) {
        stream_release_writer(s);
        return refuse_writer(req, w, MHD_HTTP_CONFLICT, s,
                             "Upload-Offset is not the committed length; "
                             "resume from the Upload-Offset of this "
                             "answer\n");
    }
    err = apply_masks(&w->masks, s);
    if (err != NULL) {
        stream_release_writer(s);
        return refuse_writer(req, w, MHD_HTTP_BAD_REQUEST, s, err);
    }
    req->writing = s;
    if (store_stream_state(s->store) != STORE_LIVE) {
        stream_set_state(s, STORE_LIVE);
        log_info(LOGC_HTTP, "writer resumed", LF_STRN("name", name, len),
                 LF_STR("action", "UPDATE"), LF_U64("offset", off));
    }
    return MHD_YES;
}

static enum MHD_Result do_delete(struct http_v1 *app, struct http_request *req,
                                 const char *name)
{
    size_t len = strlen(name);
    struct stream *s = stream_registry_get(app->registry, name, len);
    struct archive_meta remote;
    if (s == NULL && app->archive != NULL && app->archive_read_through &&
        archive_head(app->archive, name, len, &remote) == 0) {
        int arc = archive_delete(app->archive, name, len);
        if (arc != 0)
            return http_respond_text(req->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                                     "the archive store did not delete the "
                                     "log; retry later\n");
        log_info(LOGC_HTTP, "stream deleted", LF_STRN("name", name, len),
                 LF_STR("action", "DELETE"), LF_BOOL("archived", true));
        return http_respond_text(req->conn, MHD_HTTP_NO_CONTENT, "");
    }
    if (s == NULL)
        return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                                 "no such log\n");
    bool archived = store_stream_archived_ms(s->store) != 0;
    int rc = stream_registry_delete(app->registry, s);
    stream_unref(s);
    if (rc == 0 && archived && app->archive != NULL) {
        int arc = archive_delete(app->archive, name, len);
        if (arc != 0)
            log_warning(LOGC_STORE,
                        "the archive store did not delete a deleted log's "
                        "object",
                        LF_STRN("name", name, len), LF_I64("errno", -arc));
    }
    if (rc == -EBUSY)
        return http_respond_text(req->conn, MHD_HTTP_CONFLICT,
                                 "a writer is appending to this log; "
                                 "delete it when the writer is done\n");
    if (rc == -ENOENT)
        return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                                 "no such log\n");
    log_info(LOGC_HTTP, "stream deleted", LF_STRN("name", name, len),
             LF_STR("action", "DELETE"));
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp != NULL)
        http_respond_base_headers(resp);
    return http_respond_queue(req->conn, MHD_HTTP_NO_CONTENT, resp);
}

/* The administrative routes: when writes need credentials, so do they,
 * with their own scope (an audit line either way). Returns true when req
 * may go on; otherwise false with the refusal queued in *ret. */
static bool admin_ok(struct http_v1 *app, struct http_request *req,
                     const char *scope, enum MHD_Result *ret)
{
    if (!app->write_credentials)
        return true;
    struct auth_decision d;
    struct auth_jwt *t = auth_policy_token(
        &app->policy, header(req, MHD_HTTP_HEADER_AUTHORIZATION), now_s(), &d);
    bool ok = t != NULL && auth_jwt_grants(t, scope, strlen(scope));
    auth_jwt_free(t);
    if (t != NULL && !ok)
        d = (struct auth_decision){AUTH_FORBIDDEN, "scope"};
    audit("UPDATE", scope, strlen(scope), &d);
    if (d.outcome == AUTH_GRANTED)
        return true;
    char msg[128];
    snprintf(msg, sizeof(msg), "this needs a token with the scope %s\n", scope);
    *ret = http_respond_text_hdr(
        req->conn,
        d.outcome == AUTH_FORBIDDEN ? MHD_HTTP_FORBIDDEN
                                    : MHD_HTTP_UNAUTHORIZED,
        msg, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"livelog\"");
    return false;
}

/* POST /v1/reload: keys and certificates, as SIGHUP does (scope
 * livelog:reload when writes need credentials). */
static enum MHD_Result do_reload(struct http_v1 *app, struct http_request *req,
                                 const char *method)
{
    enum MHD_Result refused;
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "reload with POST\n",
                                     MHD_HTTP_HEADER_ALLOW, "POST");
    if (!admin_ok(app, req, "livelog:reload", &refused))
        return refused;
    if (app->reload == NULL)
        return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                                 "this server has nothing to reload\n");
    int rc = app->reload(app->reload_cls);
    if (rc != 0)
        return http_respond_text(req->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 "reload failed: the old keys and "
                                 "certificates stay in use; see the "
                                 "server's log\n");
    return http_respond_text(req->conn, MHD_HTTP_OK, "reloaded\n");
}

/* GET /metrics: the Prometheus exposition (scope livelog:metrics when
 * writes need credentials). On the write listener only: the figures of
 * every stream, private ones included, are the operator's. */
static enum MHD_Result do_metrics(struct http_v1 *app, struct http_request *req,
                                  const char *method)
{
    enum MHD_Result refused;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "read the metrics with GET\n",
                                     MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (!admin_ok(app, req, "livelog:metrics", &refused))
        return refused;
    char *text = NULL;
    size_t len = 0;
    if (metrics_render(&text, &len) != 0)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            METRICS_CONTENT_TYPE);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return http_respond_queue(req->conn, MHD_HTTP_OK, resp);
}

/* GET /v1/log-level: the threshold; POST /v1/log-level?level=L sets it
 * (scope livelog:log-level when writes need credentials), as SIGUSR1 and
 * SIGUSR2 step it. */
static enum MHD_Result
do_log_level(struct http_v1 *app, struct http_request *req, const char *method)
{
    char msg[96];
    enum MHD_Result refused;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
        return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "read the level with GET, set it with "
                                     "POST ?level=LEVEL\n",
                                     MHD_HTTP_HEADER_ALLOW, "GET, POST");
    if (post) {
        enum log_level to;
        const char *want = query(req, "level");
        if (want == NULL || log_level_parse(want, &to) != 0)
            return http_respond_text(req->conn, MHD_HTTP_BAD_REQUEST,
                                     "level must be fatal, error, warning, "
                                     "info, debug or trace\n");
        if (!admin_ok(app, req, "livelog:log-level", &refused))
            return refused;
        log_change_level(to, "http");
    }
    snprintf(msg, sizeof(msg), "%s\n", log_level_name(log_get_level()));
    return http_respond_text(req->conn, MHD_HTTP_OK, msg);
}

static enum MHD_Result do_head_write(struct http_v1 *app,
                                     struct http_request *req, const char *name)
{
    struct stream *s = stream_registry_get(app->registry, name, strlen(name));
    if (s == NULL)
        return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                                 "no such log\n");
    /* --fsync=always answers with the durable length: make the bytes a
     * request left unsynced (a broken body, a failed fsync) durable now,
     * so that HEAD gives the offset a PATCH must use. */
    int rc = app->sync_before_ack && !stream_is_masked(s)
                 ? store_stream_sync(s->store)
                 : 0;
    if (rc != 0)
        log_warning(LOGC_STORE, "fsync of a stream failed",
                    LF_STR("name", name), LF_I64("errno", -rc));
    enum MHD_Result r =
        respond_stream(req, MHD_HTTP_OK, s, "", app->sync_before_ack);
    stream_unref(s);
    return r;
}

enum MHD_Result http_v1_on_write(void *cls, struct http_request *req,
                                 const char *url, const char *method,
                                 const char *data, size_t *size)
{
    struct http_v1 *app = cls;
    if (req->app != NULL &&
        (req->writing != NULL || ((struct v1_req *)req->app)->deferred))
        return continue_writer(req, data, size);
    if (req->app != NULL) {
        *size = 0; /* an answer is queued; the rest is not read */
        return MHD_YES;
    }

    bool put = strcmp(method, MHD_HTTP_METHOD_PUT) == 0;
    bool patch = strcmp(method, MHD_HTTP_METHOD_PATCH) == 0;
    if (!put && !patch && req->calls == 0)
        return MHD_YES;
    if (strcmp(url, "/healthz") == 0) {
        req->route = "healthz";
        return http_respond_text(req->conn, MHD_HTTP_OK, "ok\n");
    }
    if (strcmp(url, "/v1/reload") == 0) {
        req->route = "v1-reload";
        return do_reload(app, req, method);
    }
    if (strcmp(url, "/metrics") == 0) {
        req->route = "metrics";
        return do_metrics(app, req, method);
    }
    if (strcmp(url, "/v1/log-level") == 0) {
        req->route = "v1-log-level";
        return do_log_level(app, req, method);
    }
    if (strncmp(url, PREFIX, PREFIX_LEN) != 0) {
        req->route = "not-found";
        return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                                 "not found: logs are written at "
                                 "/v1/logs/NAME\n");
    }
    const char *name = url + PREFIX_LEN;
    size_t len = strlen(name);
    req->route = "v1-log";
    if (store_name_check(name, len, NULL, 0) != 0)
        return bad_name(req, name);
    bool del = strcmp(method, MHD_HTTP_METHOD_DELETE) == 0;
    enum MHD_Result refused;
    if (!app->write_credentials && del && !store_name_is_public(name, len))
        audit("DELETE", name, len,
              &(struct auth_decision){AUTH_GRANTED, "open"});
    if (app->write_credentials &&
        !access_ok(app, req, del ? AUTH_VERB_DELETE : AUTH_VERB_WRITE,
                   put     ? "ADD"
                   : patch ? "UPDATE"
                   : del   ? "DELETE"
                           : "VIEW",
                   name, len, &refused))
        return refused;
    if (put)
        return start_put(app, req, name);
    if (patch)
        return start_patch(app, req, name);
    if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
        return do_delete(app, req, name);
    if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        return do_head_write(app, req, name);
    return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                 "the write listener takes PUT, PATCH, "
                                 "HEAD and DELETE; read on the read "
                                 "listener\n",
                                 MHD_HTTP_HEADER_ALLOW,
                                 "PUT, PATCH, HEAD, DELETE");
}

/* ---- readers ---------------------------------------------------------- */

/* 200 with a JSON body (buf, malloc'd, is taken over), never cached,
 * with the request's CORS. */
static enum MHD_Result respond_json(struct http_request *req, char *buf,
                                    size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(buf);
        return MHD_NO;
    }
    http_respond_base_headers(resp);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    http_respond_cors(resp, req->cors_origin);
    return http_respond_queue(req->conn, MHD_HTTP_OK, resp);
}

/* --archive-read-through: an object of the store, for the listing. */
struct remote_entry {
    char *name;
    size_t len;
    uint64_t size;
};

struct list_ctx {
    struct core_json j;
    const struct auth_jwt *token; /* NULL: public streams only */
    uint64_t private_shown;
    bool first;
    size_t shown, limit;
    bool truncated;
    struct remote_entry *remote; /* the store's, sorted; NULL: none */
    size_t nremote, next_remote;
};

static bool may_list(struct list_ctx *c, const char *name, size_t len)
{
    if (store_name_is_public(name, len))
        return true;
    if (c->token == NULL ||
        !auth_policy_token_may(c->token, AUTH_VERB_READ, name, len))
        return false;
    c->private_shown++;
    return true;
}

/* Starts one entry of the listing, unless the limit is reached. */
static bool list_entry(struct list_ctx *c)
{
    if (c->shown == c->limit) {
        c->truncated = true;
        return false;
    }
    c->shown++;
    if (!c->first)
        RAW(&c->j, ",");
    c->first = false;
    return true;
}

static int by_entry_name(const char *a, size_t alen, const char *b, size_t blen)
{
    int d = memcmp(a, b, alen < blen ? alen : blen);
    return d != 0 ? d : alen < blen ? -1 : alen > blen;
}

/* The store's entries that sort before `name` (all of them: NULL), but
 * those the node holds itself (equal names). */
static void list_remote_until(struct list_ctx *c, const char *name, size_t len)
{
    while (c->next_remote < c->nremote) {
        struct remote_entry *e = &c->remote[c->next_remote];
        int d = name == NULL ? -1 : by_entry_name(e->name, e->len, name, len);
        if (d > 0)
            return;
        c->next_remote++;
        if (d == 0 || !may_list(c, e->name, e->len) || !list_entry(c))
            continue;
        RAW(&c->j, "{\"name\":");
        core_json_str(&c->j, e->name, e->len, 64);
        RAW(&c->j, ",\"state\":\"complete\",\"length\":");
        core_json_u64(&c->j, e->size);
        if (store_name_is_public(e->name, e->len))
            RAW(&c->j, ",\"public\":true");
        else
            RAW(&c->j, ",\"public\":false");
        RAW(&c->j, ",\"created\":null,\"completed\":null,\"elided\":null,"
                   "\"archived\":true,\"local\":false}");
    }
}

static void remote_one(void *cls, const char *name, size_t len, uint64_t size)
{
    struct list_ctx *c = cls;
    if (c->nremote == LIST_MAX)
        return;
    char *copy = malloc(len);
    if (copy == NULL)
        return;
    memcpy(copy, name, len);
    c->remote[c->nremote++] = (struct remote_entry){copy, len, size};
}

static void list_one(void *cls, struct stream *s)
{
    struct list_ctx *c = cls;
    size_t len = 0;
    const char *name = store_stream_name(s->store, &len);
    list_remote_until(c, name, len);
    bool pub = store_name_is_public(name, len);
    if (!may_list(c, name, len) || !list_entry(c))
        return;
    char ts[CORE_CLOCK_ISO_LEN + 1];
    RAW(&c->j, "{\"name\":");
    core_json_str(&c->j, name, len, 64);
    RAW(&c->j, ",\"state\":\"");
    const char *st = store_stream_state_name(store_stream_state(s->store));
    core_json_raw(&c->j, st, strlen(st));
    RAW(&c->j, "\",\"length\":");
    core_json_u64(&c->j, store_stream_length(s->store));
    if (pub)
        RAW(&c->j, ",\"public\":true");
    else
        RAW(&c->j, ",\"public\":false");
    core_clock_iso8601(store_stream_created_ms(s->store) * CORE_NS_PER_MS, ts,
                       sizeof(ts));
    RAW(&c->j, ",\"created\":\"");
    core_json_raw(&c->j, ts, strlen(ts));
    uint64_t done = store_stream_completed_ms(s->store);
    if (done == 0) {
        RAW(&c->j, "\",\"completed\":null");
    } else {
        core_clock_iso8601(done * CORE_NS_PER_MS, ts, sizeof(ts));
        RAW(&c->j, "\",\"completed\":\"");
        core_json_raw(&c->j, ts, strlen(ts));
        RAW(&c->j, "\"");
    }
    if (store_stream_is_elided(s->store)) {
        RAW(&c->j, ",\"elided\":{\"from\":");
        core_json_u64(&c->j, store_stream_keep_head(s->store));
        RAW(&c->j, ",\"to\":");
        core_json_u64(&c->j, store_stream_elided_end(s->store));
        RAW(&c->j, "}");
    } else {
        RAW(&c->j, ",\"elided\":null");
    }
    if (store_stream_archived_ms(s->store) != 0)
        RAW(&c->j, ",\"archived\":true");
    else
        RAW(&c->j, ",\"archived\":false");
    if (store_stream_is_evicted(s->store))
        RAW(&c->j, ",\"local\":false}");
    else
        RAW(&c->j, ",\"local\":true}");
}

static enum MHD_Result do_list(struct http_v1 *app, struct http_request *req)
{
    const char *prefix =
        MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "prefix");
    const char *limit_text =
        MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "limit");
    uint64_t limit = LIST_MAX;
    if (limit_text != NULL &&
        (core_num_parse_u64(limit_text, strlen(limit_text), &limit) != 0 ||
         limit == 0 || limit > LIST_MAX))
        return http_respond_text(req->conn, MHD_HTTP_BAD_REQUEST,
                                 "limit must be a number from 1 to 1000\n");
    if (prefix == NULL)
        prefix = "";
    /* No credential: public streams only. A credential must be valid,
     * and then shows the private streams it may read. */
    const char *authorization = header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    struct auth_decision d = {AUTH_NO_CREDENTIAL, "none"};
    struct auth_jwt *token = NULL;
    if (authorization != NULL) {
        req->cors_origin = allowed_origin(app, req);
        token = auth_policy_token(&app->policy, authorization, now_s(), &d);
        if (token == NULL) {
            log_info(LOGC_AUTH, "listing denied", LF_BOOL("audit", true),
                     LF_STR("action", "VIEW"), LF_STR("prefix", prefix),
                     LF_STR("outcome", "denied"), LF_STR("reason", d.reason));
            return refuse(req, &d, AUTH_VERB_READ);
        }
    }
    size_t cap = 256 + (size_t)limit * (STORE_NAME_MAX * 6 + 160);
    char *buf = malloc(cap);
    if (buf == NULL) {
        auth_jwt_free(token);
        return MHD_NO;
    }
    struct list_ctx c = {.token = token, .first = true, .limit = limit};
    core_json_init(&c.j, buf, cap);
    RAW(&c.j, "{\"logs\":[");
    bool truncated = false, remote_truncated = false;
    if (app->archive != NULL && app->archive_read_through) {
        c.remote = calloc(LIST_MAX, sizeof(*c.remote));
        if (c.remote != NULL &&
            archive_list(app->archive, prefix, strlen(prefix), (size_t)limit,
                         remote_one, &c, &remote_truncated) != 0)
            log_warning(LOGC_STORE, "listing the archive store failed; the "
                                    "listing shows this node's logs only");
    }
    stream_registry_list(app->registry, prefix, strlen(prefix), (size_t)limit,
                         list_one, &c, &truncated);
    list_remote_until(&c, NULL, 0);
    for (size_t i = 0; i < c.nremote; i++)
        free(c.remote[i].name);
    free(c.remote);
    truncated = truncated || remote_truncated || c.truncated;
    if (truncated)
        RAW(&c.j, "],\"truncated\":true}\n");
    else
        RAW(&c.j, "],\"truncated\":false}\n");
    if (token != NULL)
        log_info(LOGC_AUTH, "listing granted", LF_BOOL("audit", true),
                 LF_STR("action", "VIEW"), LF_STR("prefix", prefix),
                 LF_STR("outcome", "granted"), LF_STR("reason", d.reason),
                 LF_U64("private_shown", c.private_shown));
    auth_jwt_free(token);
    return respond_json(req, buf, c.j.len);
}

/* The lobby: a GET of a name that does not exist yet waits for it. */
static void lobby_park(struct stream_waiter *w)
{
    struct http_request *req = w->cls;
    MHD_suspend_connection(req->conn);
}

static void lobby_wake(struct stream_waiter *w)
{
    struct http_request *req = w->cls;
    MHD_resume_connection(req->conn);
}

/* Parks req in the lobby unless a stream was created since the lobby
 * showed `seen` (the registry appends one byte to the lobby per created
 * stream, so its length counts creations). Returns 1 when parked, 0 when
 * the caller should look the name up again, -1 when the wait is over. */
static int wait_in_lobby(struct http_v1 *app, struct http_request *req,
                         uint64_t seen)
{
    struct stream *lobby = stream_registry_lobby(app->registry);
    uint64_t now = core_clock_mono_ns();
    if (req->wait_deadline_ns == 0)
        req->wait_deadline_ns = now + app->writer_wait_ns;
    if (now >= req->wait_deadline_ns || stream_is_closing(lobby))
        return -1;
    http_daemon_park_on(req, lobby);
    req->waiter.cls = req;
    req->waiter.wake = lobby_wake;
    req->waiter.deadline_ns = req->wait_deadline_ns;
    return stream_park(lobby, &req->waiter, seen, STORE_PENDING, lobby_park)
               ? 1
               : 0;
}

/* OPTIONS: a CORS preflight (Origin and Access-Control-Request-Method)
 * or a plain question about the methods. A public name or the listing
 * without credentials answers any origin; a private name (or a listing
 * that will carry Authorization) only the --cors-origins. The answer
 * never depends on whether the stream exists. */
static enum MHD_Result do_options(struct http_v1 *app, struct http_request *req,
                                  bool public)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    http_respond_base_headers(resp);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, OPTIONS");
    const char *origin = header(req, "Origin");
    const char *want = header(req, "Access-Control-Request-Method");
    if (origin != NULL && want != NULL) {
        if (!public)
            http_respond_cors(resp, allowed_origin(app, req));
        MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                "GET, HEAD");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Authorization, Range");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
    return http_respond_queue(req->conn, MHD_HTTP_NO_CONTENT, resp);
}

/* --archive-redirect-public: a 307 to a presigned URL of the store, valid
 * for REDIRECT_TTL_S, so the store sends the bytes instead of this node.
 * Public logs only: the URL grants the object to whoever holds it.
 * Returns MHD_NO when the store cannot presign (file://): the caller
 * proxies. */
static enum MHD_Result redirect_to_store(struct http_v1 *app,
                                         struct http_request *req,
                                         const char *name, size_t len)
{
    char *url = NULL;
    if (archive_presign(app->archive, name, len, REDIRECT_TTL_S, now_s(),
                        &url) != 0)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(url);
        return MHD_NO;
    }
    http_respond_base_headers(resp);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, url);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "Livelog-Archived", "?1");
    free(url);
    return http_respond_queue(req->conn, MHD_HTTP_TEMPORARY_REDIRECT, resp);
}

/* GET /v1/logs/NAME/stats: the severity tally of NAME's lines. */
static enum MHD_Result do_stats(struct http_v1 *app, struct http_request *req,
                                const char *name, size_t len)
{
    static const char *const keys[SEVERITY_COUNT] = {
        "none", "trace", "debug", "info", "warning", "error", "fatal"};
    struct stream *s = stream_registry_get(app->registry, name, len);
    if (s == NULL)
        return http_respond_text_cors(req->conn, req->cors_origin,
                                      MHD_HTTP_NOT_FOUND, "no such log\n", NULL,
                                      NULL);
    struct severity_counts c;
    size_t n = 0, total = 0;
    struct severity_hit *hits = malloc(SEVERITY_FIRST_MAX * sizeof(*hits));
    int rc = hits == NULL ? -ENOMEM
                          : stream_severity_snapshot(
                                s, &c, hits, SEVERITY_FIRST_MAX, &n, &total);
    if (rc != 0) {
        free(hits);
        stream_unref(s);
        return http_respond_text_cors(
            req->conn, req->cors_origin,
            rc == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
            rc == -ENOENT ? "this server does not classify task-log lines "
                            "(--task-log-severity=off)\n"
                          : "the log could not be read; see the server's "
                            "log\n",
            NULL, NULL);
    }
    size_t cap = 512 + STORE_NAME_MAX * 6 + n * 96;
    char *buf = malloc(cap);
    if (buf == NULL) {
        free(hits);
        stream_unref(s);
        return MHD_NO;
    }
    struct core_json j;
    core_json_init(&j, buf, cap);
    RAW(&j, "{\"name\":");
    core_json_str(&j, name, len, 64);
    RAW(&j, ",\"state\":\"");
    const char *st = store_stream_state_name(store_stream_state(s->store));
    core_json_raw(&j, st, strlen(st));
    RAW(&j, "\",\"bytes\":");
    core_json_u64(&j, c.bytes);
    RAW(&j, ",\"lines\":");
    core_json_u64(&j, c.lines);
    if (c.lines_known)
        RAW(&j, ",\"lines_known\":true");
    else
        RAW(&j, ",\"lines_known\":false");
    RAW(&j, ",\"severity\":{");
    for (int i = SEVERITY_COUNT - 1; i >= 0; i--) {
        RAW(&j, "\"");
        core_json_raw(&j, keys[i], strlen(keys[i]));
        RAW(&j, "\":");
        core_json_u64(&j, c.by[i]);
        if (i > 0)
            RAW(&j, ",");
    }
    RAW(&j, "},\"first\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            RAW(&j, ",");
        RAW(&j, "{\"severity\":\"");
        const char *sev = severity_name(hits[i].sev);
        core_json_raw(&j, sev, strlen(sev));
        RAW(&j, "\",\"line\":");
        core_json_u64(&j, hits[i].line);
        RAW(&j, ",\"offset\":");
        core_json_u64(&j, hits[i].offset);
        RAW(&j, "}");
    }
    RAW(&j, "],\"first_max\":");
    core_json_u64(&j, SEVERITY_FIRST_MAX);
    RAW(&j, ",\"first_complete\":");
    /* every ERROR/FATAL line is listed */
    bool all = c.by[SEVERITY_ERROR] + c.by[SEVERITY_FATAL] == total &&
               c.hits_dropped == 0;
    if (all)
        RAW(&j, "true}\n");
    else
        RAW(&j, "false}\n");
    free(hits);
    stream_unref(s);
    return respond_json(req, buf, j.len);
}

/* What every read route checks after its method: a valid name, a CORS
 * preflight (answered here), and for a private log the reader's
 * credentials. Returns true when it answered the request, with the
 * result in *ret. */
static bool read_gate(struct http_v1 *app, struct http_request *req,
                      const char *name, size_t len, bool options,
                      enum MHD_Result *ret)
{
    if (store_name_check(name, len, NULL, 0) != 0) {
        *ret = bad_name_n(req, name, len);
        return true;
    }
    bool public = store_name_is_public(name, len);
    if (options) {
        *ret = do_options(app, req, public);
        return true;
    }
    if (!public) {
        req->cors_origin = allowed_origin(app, req);
        if (!access_ok(app, req, AUTH_VERB_READ, "VIEW", name, len, ret))
            return true;
    }
    return false;
}

/* GET /v1/search/NAME and GET /v1/lines/NAME (http_search.h): the
 * viewer's scans and line lookups, with the access check of the log
 * itself. A missing log is a 404 at once (no waiting for a writer). */
static enum MHD_Result do_viewer_aux(struct http_v1 *app,
                                     struct http_request *req, const char *name,
                                     bool search, bool get, bool options)
{
    size_t len = strlen(name);
    req->route = search ? "v1-search" : "v1-lines";
    if (!get && !options)
        return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "this route takes GET and OPTIONS\n",
                                     MHD_HTTP_HEADER_ALLOW, "GET, OPTIONS");
    enum MHD_Result answered;
    if (read_gate(app, req, name, len, options, &answered))
        return answered;
    struct stream *s = stream_registry_get(app->registry, name, len);
    if (s == NULL)
        return http_respond_text_cors(req->conn, req->cors_origin,
                                      MHD_HTTP_NOT_FOUND, "no such log\n", NULL,
                                      NULL);
    enum MHD_Result r = search ? http_search_serve(req, s, req->cors_origin)
                               : http_search_lines(req, s, req->cors_origin);
    stream_unref(s);
    return r;
}

enum MHD_Result http_v1_on_read(void *cls, struct http_request *req,
                                const char *url, const char *method,
                                const char *data, size_t *size)
{
    struct http_v1 *app = cls;
    (void)data;
    (void)size;
    if (req->calls == 0)
        return MHD_YES;
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool options = strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0;

    if (strcmp(url, "/healthz") == 0) {
        req->route = "healthz";
        return http_respond_text(req->conn, MHD_HTTP_OK, "ok\n");
    }
    if (strcmp(url, "/v1/logs") == 0 || strcmp(url, "/v1/logs/") == 0) {
        req->route = "v1-list";
        if (options) {
            const char *ask = header(req, "Access-Control-Request-Headers");
            return do_options(app, req,
                              ask == NULL ||
                                  strcasestr(ask, "authorization") == NULL);
        }
        if (!get)
            return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                         "the listing is read with GET\n",
                                         MHD_HTTP_HEADER_ALLOW, "GET, OPTIONS");
        return do_list(app, req);
    }
    enum MHD_Result viewed;
    if (http_view_route(req, url, method, &viewed))
        return viewed;
    if (strncmp(url, "/v1/search/", 11) == 0)
        return do_viewer_aux(app, req, url + 11, true, get, options);
    if (strncmp(url, "/v1/lines/", 10) == 0)
        return do_viewer_aux(app, req, url + 10, false, get, options);
    if (strncmp(url, PREFIX, PREFIX_LEN) != 0) {
        req->route = "not-found";
        return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                                 "not found: logs are read at "
                                 "/v1/logs/NAME\n");
    }
    const char *name = url + PREFIX_LEN;
    size_t len = strlen(name);
    req->route = "v1-read";
    bool stats = len > 6 && strcmp(name + len - 6, "/stats") == 0;
    if (stats) {
        req->route = "v1-stats";
        len -= 6;
    }
    if (!get && !head && !options)
        return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "the read listener takes GET, HEAD "
                                     "and OPTIONS\n",
                                     MHD_HTTP_HEADER_ALLOW,
                                     "GET, HEAD, OPTIONS");
    enum MHD_Result answered;
    if (read_gate(app, req, name, len, options, &answered))
        return answered;
    bool public = store_name_is_public(name, len);
    if (stats)
        return do_stats(app, req, name, len);
    struct stream *lobby = stream_registry_lobby(app->registry);
    uint64_t seen = store_stream_length(lobby->store);
    struct stream *s = stream_registry_get(app->registry, name, len);
    /* --archive-read-through: a log only the store has (another node's,
     * or past this node's retention); asked once, before any waiting. */
    struct archive_meta remote = {0};
    bool in_store = s == NULL && req->calls == 1 && app->archive != NULL &&
                    app->archive_read_through &&
                    archive_head(app->archive, name, len, &remote) == 0;
    while (s == NULL && !in_store) {
        int w = wait_in_lobby(app, req, seen);
        if (w > 0)
            return MHD_YES; /* suspended until a stream is created */
        if (w < 0)
            return http_respond_text_cors(req->conn, req->cors_origin,
                                          MHD_HTTP_NOT_FOUND,
                                          "no such log (no writer created it "
                                          "within --writer-wait)\n",
                                          NULL, NULL);
        seen = store_stream_length(lobby->store);
        s = stream_registry_get(app->registry, name, len);
    }

    struct http_read_options opt = {
        .follow = true,
        .head = head,
        .range = header(req, MHD_HTTP_HEADER_RANGE),
        .writer_wait_ns = app->writer_wait_ns,
        .archive = app->archive,
    };
    const char *follow =
        MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "follow");
    if (follow != NULL && strcmp(follow, "0") == 0)
        opt.follow = false;
    bool remote_bytes = in_store || store_stream_is_evicted(s->store);
    uint64_t log_size = in_store ? remote.size : store_stream_length(s->store);
    const char *tail =
        MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "tail");
    if (tail != NULL) {
        uint64_t n = 0;
        if (core_num_parse_u64(tail, strlen(tail), &n) != 0) {
            stream_unref(s);
            return http_respond_text_cors(
                req->conn, req->cors_origin, MHD_HTTP_BAD_REQUEST,
                "tail must be a number of lines\n", NULL, NULL);
        }
        uint64_t from = 0;
        int rc = remote_bytes ? http_archive_tail_offset(
                                    app->archive, name, len, log_size, n, &from)
                              : store_stream_tail_offset(s->store, n, &from);
        if (rc != 0) {
            log_warning(LOGC_HTTP, "line lookup failed",
                        LF_STRN("name", name, len), LF_I64("errno", -rc));
            stream_unref(s);
            return http_respond_text_cors(
                req->conn, req->cors_origin, MHD_HTTP_INTERNAL_SERVER_ERROR,
                "the line index could not be read\n", NULL, NULL);
        }
        opt.from_set = true;
        opt.from = from;
    }
    if (remote_bytes && public && tail == NULL &&
        app->archive_redirect_public && app->archive != NULL) {
        enum MHD_Result r = redirect_to_store(app, req, name, len);
        if (r != MHD_NO) { /* MHD_NO: no URL (file://); proxy instead */
            stream_unref(s);
            return r;
        }
    }
    if (in_store) {
        struct http_cache_entity c;
        http_cache_entity_archive(&c, name, len, &remote);
        return http_archive_serve(req, app->archive, name, len, log_size, &c,
                                  &opt);
    }
    enum MHD_Result r = http_read_serve(req, s, &opt);
    stream_unref(s);
    return r;
}
