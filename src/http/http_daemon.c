/* http_daemon: libmicrohttpd listeners (contract in http_daemon.h).
 * The access-handler trampoline, the completion callback and the log
 * hooks run on libmicrohttpd's threads; start/stop on the main thread. */
#include "http/http_daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_clock.h"
#include "log/log.h"

#define PEM_MAX (1024 * 1024)

struct http_daemon {
    struct MHD_Daemon *mhd;
    char name[16];
    uint16_t port;
    http_handler_fn handler;
    void *handler_cls;
    char *cert_pem;
    char *key_pem;
};

/* Reads a whole PEM file into a NUL-terminated buffer. */
static int read_pem(const char *path, char **ret)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char *buf = malloc(PEM_MAX + 1);
    if (buf == NULL) {
        close(fd);
        return -ENOMEM;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, PEM_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = -errno;
            close(fd);
            free(buf);
            return err;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == PEM_MAX) {
            close(fd);
            free(buf);
            return -EFBIG;
        }
    }
    close(fd);
    buf[len] = '\0';
    *ret = buf;
    return 0;
}

static void free_pem(char *pem)
{
    if (pem == NULL)
        return;
    explicit_bzero(pem, strlen(pem));
    free(pem);
}

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
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    struct http_daemon *d = cls;
    char raw[512], msg[512];
    if (vsnprintf(raw, sizeof(raw), fmt, ap) < 0)
        return;
    redact(raw, msg, sizeof(msg));
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
    (void)conn;
    if (req == NULL)
        return;
    if (req->parked_on != NULL) {
        stream_unpark(req->parked_on, &req->waiter);
        stream_unref(req->parked_on);
    }
    if (req->on_complete != NULL)
        req->on_complete(req, code);
    uint64_t us = (core_clock_mono_ns() - req->start_ns) / 1000;
    log_debug(LOGC_HTTP, "request done", LF_STR("listener", req->daemon->name),
              LF_STR("method", req->method), LF_STR("route", req->route),
              LF_I64("termination", (int64_t)code), LF_U64("duration_us", us),
              LF_U64("bytes_in", req->bytes_in));
    free(req);
    *con_cls = NULL;
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
    snprintf(d->name, sizeof(d->name), "%s", cfg->name);
    d->handler = cfg->handler;
    d->handler_cls = cfg->handler_cls;

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (cfg->tls_cert != NULL) {
        rc = read_pem(cfg->tls_cert, &d->cert_pem);
        if (rc == 0)
            rc = read_pem(cfg->tls_key, &d->key_pem);
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
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, d->cert_pem};
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, d->key_pem};
        const char *prio = cfg->tls_priorities != NULL
                               ? cfg->tls_priorities
                               : HTTP_DAEMON_TLS_PRIORITIES;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                            (void *)prio};
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
    free_pem(d->cert_pem);
    free_pem(d->key_pem);
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
    MHD_socket s = MHD_quiesce_daemon(d->mhd);
    if (s != MHD_INVALID_SOCKET)
        close(s);
}

void http_daemon_stop(struct http_daemon *d)
{
    if (d == NULL)
        return;
    if (d->mhd != NULL)
        MHD_stop_daemon(d->mhd);
    free_pem(d->cert_pem);
    free_pem(d->key_pem);
    free(d);
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
