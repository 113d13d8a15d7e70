/* http_daemon: libmicrohttpd listeners (contract in http_daemon.h).
 * The access-handler trampoline, the completion, connection and
 * certificate callbacks and the log hooks run on libmicrohttpd's threads;
 * start/stop on the main thread, reload on any.
 *
 * TLS: libmicrohttpd only takes the certificate as PEM in memory at start
 * (MHD_OPTION_HTTPS_MEM_CERT/KEY), so a listener with TLS gives it a
 * GnuTLS retrieve callback instead (MHD_OPTION_HTTPS_CERT_CALLBACK) that
 * hands out the current pair of the listener's http_tls. GnuTLS's
 * callback carries no user pointer, so it finds the listener through the
 * connection: libmicrohttpd sets each TLS session's user pointer
 * (gnutls_session_get_ptr) to its MHD_Connection, and our connection
 * callback (MHD_OPTION_NOTIFY_CONNECTION, run when the socket is
 * accepted, before any byte of the handshake is read) stores the
 * http_daemon as the connection's socket context, read back with
 * MHD_CONNECTION_INFO_SOCKET_CONTEXT. No process-wide table, no race
 * with the listener's start, and one listener per MHD daemon. */
#include "http/http_daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core_clock.h"
#include "http/http_headers.h"
#include "http/http_respond.h"
#include "http/http_tls.h"
#include "log/log.h"
#include "metrics/metrics.h"

struct http_daemon {
    struct MHD_Daemon *mhd;
    char name[16];
    uint16_t port;
    http_handler_fn handler;
    void *handler_cls;
    struct http_tls *tls; /* certificate and key; NULL: plain HTTP      */
    char *priorities;     /* the GnuTLS priority string given to MHD    */
    /* The listening socket MHD_quiesce_daemon handed back: shut down at
     * once, closed only after MHD_stop_daemon (libmicrohttpd's threads
     * may still use the descriptor until then). */
    MHD_socket quiesced;
};

/* Copies a libmicrohttpd message into out, without the request target:
 * libmicrohttpd quotes URLs as `...' and a URL may hold a secret (the
 * drop-in's /log/<ACCESS_TOKEN>), so every quoted span and every path
 * that starts with /log/ becomes "<redacted>". */
static void redact(const char *in, char *out, size_t cap)
{
    static const char mark[] = "<redacted>";
    size_t o = 0;
    for (size_t i = 0; in[i] != '\0' && o + sizeof(mark) < cap;) {
        bool quoted = in[i] == '`';
        bool path = strncmp(in + i, "/log/", 5) == 0;
        if (!quoted && !path) {
            out[o++] = in[i++];
            continue;
        }
        if (quoted) {
            out[o++] = in[i++];
            while (in[i] != '\0' && in[i] != '\'')
                i++;
        } else {
            while (in[i] != '\0' && in[i] != ' ' && in[i] != '\'')
                i++;
        }
        memcpy(out + o, mark, sizeof(mark) - 1);
        o += sizeof(mark) - 1;
    }
    while (o > 0 && (out[o - 1] == '\n' || out[o - 1] == '\r'))
        o--;
    out[o] = '\0';
}

/* libmicrohttpd's messages: client misbehaviour and socket trouble are
 * environmental, so WARNING (RFC-0003). */
/* libmicrohttpd's messages about one client's ordinary behaviour (it
 * hung up, reset, timed out, failed its TLS handshake): DEBUG, since no
 * operator acts on them (RFC-0003). Everything else it reports (limits,
 * threads, sockets of the listener) stays a WARNING. */
static const char *const routine_mhd[] = {
    "closed by remote side",
    "Connection reset",
    "handshake",
    "Failed to receive data",
    "Failed to send data",
    "has been disconnected",
    "timed out",
};

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    struct http_daemon *d = cls;
    char raw[512], msg[512];
    if (vsnprintf(raw, sizeof(raw), fmt, ap) < 0)
        return;
    redact(raw, msg, sizeof(msg));
    for (size_t i = 0; i < sizeof(routine_mhd) / sizeof(*routine_mhd); i++) {
        if (strstr(msg, routine_mhd[i]) != NULL) {
            log_debug(LOGC_MHD, "libmicrohttpd: a client's connection ended",
                      LF_STR("listener", d->name), LF_STR("detail", msg));
            return;
        }
    }
    log_warning(LOGC_MHD, "libmicrohttpd reported a problem",
                LF_STR("listener", d->name), LF_STR("detail", msg));
}

static void tls_logger(int level, const char *text)
{
    char msg[512];
    size_t len = strnlen(text, sizeof(msg) - 1);
    memcpy(msg, text, len);
    msg[len] = '\0';
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    log_debug(LOGC_TLS, "gnutls", LF_I64("gnutls_level", level),
              LF_STR("detail", msg));
}

void http_daemon_init_tls_logging(void)
{
    gnutls_global_set_log_function(tls_logger);
    gnutls_global_set_log_level(log_enabled(LOG_TRACE) ? 3 : 0);
}

static enum MHD_Result add_framing_field(void *cls, enum MHD_ValueKind kind,
                                         const char *key, const char *value)
{
    (void)kind;
    http_framing_add(cls, key, value);
    return MHD_YES;
}

/* RFC 9112 framing, checked before the handler sees the request and before
 * any body byte is read (docs/SECURITY.md, "Request framing"): a request
 * whose body could be delimited two ways is answered 400 (501 for an
 * unknown transfer coding) and its connection closed. Returns MHD_YES
 * with *ret_refused false when the request may go on. */
static enum MHD_Result check_framing(struct http_request *req,
                                     bool *ret_refused)
{
    struct http_framing f = {0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_framing_field,
                              &f);
    const char *msg;
    unsigned status = http_framing_verdict(&f, &msg);
    *ret_refused = status != 0;
    if (status == 0)
        return MHD_YES;
    req->route = "refused";
    log_info(LOGC_HTTP, "request refused: ambiguous framing",
             LF_STR("listener", req->daemon->name),
             LF_STR("method", req->method), LF_U64("status", status),
             LF_STRN("reason", msg, strlen(msg) - 1));
    return http_respond_text_hdr(req->conn, status, msg, "Connection", "close");
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct http_daemon *d = cls;
    struct http_request *req = *con_cls;
    (void)version;

    if (req == NULL) {
        req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        req->daemon = d;
        req->conn = conn;
        req->start_ns = core_clock_mono_ns();
        req->waiter.cls = req;
        req->method = method;
        req->route = "unknown";
        *con_cls = req;
        enum MHD_Result rc = check_framing(req, &req->refused);
        if (req->refused)
            return rc;
    }
    if (req->refused) {
        *upload_data_size = 0; /* a refused body is read, not kept */
        return MHD_YES;
    }
    enum MHD_Result rc = d->handler(d->handler_cls, req, url, method,
                                    upload_data, upload_data_size);
    req->calls++;
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct http_request *req = *con_cls;
    (void)cls;
    if (req == NULL)
        return;
    if (req->parked_on != NULL) {
        stream_unpark(req->parked_on, &req->waiter);
        stream_unref(req->parked_on);
    }
    if (req->on_complete != NULL)
        req->on_complete(req, code);
    uint64_t ns = core_clock_mono_ns() - req->start_ns;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
    unsigned status = ci != NULL ? ci->http_status : 0;
    metrics_observe_request(strcmp(req->daemon->name, "write") == 0
                                ? METRICS_LISTENER_WRITE
                                : METRICS_LISTENER_READ,
                            req->route, status, ns);
    log_debug(LOGC_HTTP, "request done", LF_STR("listener", req->daemon->name),
              LF_STR("method", req->method), LF_STR("route", req->route),
              LF_U64("status", status), LF_I64("termination", (int64_t)code),
              LF_U64("duration_us", ns / 1000),
              LF_U64("bytes_in", req->bytes_in));
    free(req);
    *con_cls = NULL;
}

/* Builds the listener's priority string: base (or the default) with
 * HTTP_DAEMON_TLS_FLOOR appended, checked by GnuTLS and required to leave
 * TLS 1.2 or 1.3 enabled. Returns 0, -EINVAL (logged at ERROR with the
 * string) or -ENOMEM; *ret (the caller frees it) set on success only. */
static int make_priorities(const char *listener, const char *base, char **ret)
{
    if (base == NULL)
        base = HTTP_DAEMON_TLS_PRIORITIES;
    size_t len = strlen(base) + sizeof(HTTP_DAEMON_TLS_FLOOR);
    char *prio = malloc(len);
    if (prio == NULL)
        return -ENOMEM;
    snprintf(prio, len, "%s%s", base, HTTP_DAEMON_TLS_FLOOR);

    gnutls_priority_t cache;
    const char *err_pos = NULL;
    int grc = gnutls_priority_init(&cache, prio, &err_pos);
    const char *reason = NULL;
    if (grc < 0) {
        reason = gnutls_strerror(grc);
    } else {
        err_pos = NULL;
        const unsigned int *versions = NULL;
        int n = gnutls_priority_protocol_list(cache, &versions);
        reason = "enables neither TLS 1.2 nor TLS 1.3";
        for (int i = 0; i < n; i++)
            if (versions[i] == GNUTLS_TLS1_2 || versions[i] == GNUTLS_TLS1_3)
                reason = NULL;
        gnutls_priority_deinit(cache);
    }
    if (reason != NULL) {
        log_warning(LOGC_HTTP, "invalid tls priority string",
                    LF_STR("listener", listener), LF_STR("priorities", prio),
                    err_pos != NULL ? LF_STR("at", err_pos) : LF_NONE,
                    LF_STR("reason", reason));
        free(prio);
        return -EINVAL;
    }
    *ret = prio;
    return 0;
}

/* MHD_OPTION_NOTIFY_CONNECTION: marks every accepted connection with its
 * listener, for on_certificate. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        *socket_context = cls;
}

/* The GnuTLS certificate callback (MHD_OPTION_HTTPS_CERT_CALLBACK), run
 * on a worker thread at each full handshake: the listener's current
 * chain and key. The session's user pointer is libmicrohttpd's
 * connection (it sets it when it creates the session); checked against
 * the connection's own session before use. */
static gnutls_certificate_retrieve_function2 on_certificate;
static int on_certificate(gnutls_session_t session,
                          const gnutls_datum_t *req_ca_rdn, int nreqs,
                          const gnutls_pk_algorithm_t *pk_algos,
                          int pk_algos_length, gnutls_pcert_st **ret_chain,
                          unsigned int *ret_len, gnutls_privkey_t *ret_key)
{
    (void)req_ca_rdn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct MHD_Connection *conn = gnutls_session_get_ptr(session);
    const union MHD_ConnectionInfo *own =
        conn == NULL
            ? NULL
            : MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    const union MHD_ConnectionInfo *ctx =
        own == NULL || own->tls_session != (void *)session
            ? NULL
            : MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct http_daemon *d = ctx == NULL ? NULL : ctx->socket_context;
    if (d == NULL || d->tls == NULL) {
        log_error(LOGC_HTTP, "tls handshake without its listener",
                  LF_STR("detail", "libmicrohttpd's session pointer is not "
                                   "the connection"));
        return -1;
    }
    http_tls_select(d->tls, ret_chain, ret_len, ret_key);
    return 0;
}

static int make_addr(const char *host, uint16_t port,
                     struct sockaddr_storage *ss, bool *ret_v6)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *ret_v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *ret_v6 = true;
        return 0;
    }
    return -EINVAL;
}

int http_daemon_start(const struct http_listener_config *cfg,
                      struct http_daemon **ret)
{
    struct sockaddr_storage ss;
    bool v6 = false;
    int rc = make_addr(cfg->host, cfg->port, &ss, &v6);
    if (rc != 0)
        return rc;

    struct http_daemon *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return -ENOMEM;
    d->quiesced = MHD_INVALID_SOCKET;
    snprintf(d->name, sizeof(d->name), "%s", cfg->name);
    d->handler = cfg->handler;
    d->handler_cls = cfg->handler_cls;

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (cfg->tls_cert != NULL) {
        rc = make_priorities(d->name, cfg->tls_priorities, &d->priorities);
        if (rc == 0)
            rc = http_tls_load(d->name, cfg->tls_cert, cfg->tls_key, &d->tls);
        if (rc != 0)
            goto fail;
        flags |= MHD_USE_TLS;
    }
    unsigned int threads = cfg->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned int)n : 1;
    }

    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                        (intptr_t)on_completed, d};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                        (intptr_t)cfg->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        (intptr_t)cfg->timeout_s, NULL};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096, NULL};
    if (cfg->unescape != NULL)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK,
                                            (intptr_t)cfg->unescape, NULL};
    if (threads > 1)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                            (intptr_t)threads, NULL};
    if (cfg->tls_cert != NULL) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                            (intptr_t)on_connection, d};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
                                            (void *)on_certificate};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                            d->priorities};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    /* The logger goes first so that every message of the start-up is
     * routed (libmicrohttpd warns otherwise). */
    d->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, d, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_logger, d, MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->conn_memory,
        MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (d->mhd == NULL) {
        rc = cfg->tls_cert != NULL ? -EIO : -EADDRINUSE;
        goto fail;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    d->port = info != NULL ? info->port : cfg->port;

    char addr[INET6_ADDRSTRLEN + 16];
    snprintf(addr, sizeof(addr), v6 ? "[%s]:%u" : "%s:%u", cfg->host,
             (unsigned int)d->port);
    log_info(LOGC_HTTP, "listening", LF_STR("listener", d->name),
             LF_STR("addr", addr), LF_BOOL("tls", cfg->tls_cert != NULL),
             LF_U64("threads", threads));
    *ret = d;
    return 0;

fail:
    http_tls_free(d->tls);
    free(d->priorities);
    free(d);
    return rc;
}

uint16_t http_daemon_port(const struct http_daemon *d)
{
    return d->port;
}

void http_daemon_quiesce(struct http_daemon *d)
{
    if (d == NULL || d->mhd == NULL)
        return;
    if (d->quiesced != MHD_INVALID_SOCKET)
        return;
    d->quiesced = MHD_quiesce_daemon(d->mhd);
    /* New connections are refused from now on; closing the descriptor
     * here would race a worker thread still using it. */
    if (d->quiesced != MHD_INVALID_SOCKET)
        (void)shutdown(d->quiesced, SHUT_RDWR);
}

void http_daemon_stop(struct http_daemon *d)
{
    if (d == NULL)
        return;
    if (d->mhd != NULL)
        MHD_stop_daemon(d->mhd);
    if (d->quiesced != MHD_INVALID_SOCKET)
        close(d->quiesced);
    http_tls_free(d->tls);
    free(d->priorities);
    free(d);
}

int http_daemon_reload_tls(struct http_daemon *d)
{
    if (d == NULL || d->tls == NULL)
        return 0;
    return http_tls_reload(d->tls);
}

void http_daemon_park_on(struct http_request *req, struct stream *s)
{
    if (req->parked_on == s)
        return;
    stream_ref(s);
    if (req->parked_on != NULL) {
        stream_unpark(req->parked_on, &req->waiter);
        stream_unref(req->parked_on);
    }
    req->parked_on = s;
}

void http_daemon_suspend(struct http_request *req)
{
    MHD_suspend_connection(req->conn);
}

void http_daemon_resume(struct http_request *req)
{
    MHD_resume_connection(req->conn);
}
