/* http_daemon: one listener (the write or the read side) on top of
 * libmicrohttpd: epoll, an internal thread pool, suspend/resume, TLS from
 * PEM files (TLS 1.2 at least, certificate and key reloadable, see
 * http_tls.h), connection limits and timeouts, and libmicrohttpd's and
 * GnuTLS's own messages routed into the logger. Per-request state
 * (http_request.h) is created here and handed to the application's
 * handler on every access-handler call.
 *
 * Started, reloaded and stopped from the main thread; the handler runs on
 * the listener's worker threads. */
#ifndef LIVELOG_HTTP_DAEMON_H
#define LIVELOG_HTTP_DAEMON_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_request.h"

/* The application's access handler. Called for every libmicrohttpd
 * access-handler call of a request, first with req->calls == 0. */
typedef enum MHD_Result (*http_handler_fn)(void *cls, struct http_request *req,
                                           const char *url, const char *method,
                                           const char *upload_data,
                                           size_t *upload_data_size);

struct http_listener_config {
    const char *name;           /* "write" or "read": logged as `listener`    */
    const char *host;           /* IPv4 or IPv6 literal, e.g. "127.0.0.1"     */
    uint16_t port;              /* 0: pick a free port                        */
    const char *tls_cert;       /* PEM file path, or NULL for plain HTTP      */
    const char *tls_key;        /* PEM file path, required with tls_cert      */
    const char *tls_priorities; /* GnuTLS priority string; NULL: default  */
    unsigned int threads;       /* worker threads (0: one per core)           */
    unsigned int max_connections;
    unsigned int timeout_s; /* idle timeout of a connection; 0: none      */
    size_t conn_memory;     /* per-connection buffer memory, bytes        */
    http_handler_fn handler;
    void *handler_cls;
    /* Decoder of %XX in URLs and arguments; NULL: libmicrohttpd's own. */
    size_t (*unescape)(void *cls, struct MHD_Connection *c, char *s);
};

/* The GnuTLS priority string used when none is configured: TLS 1.3 and
 * 1.2 only, and in 1.2 only forward-secret key exchange (ECDHE, DHE; no
 * static RSA) with AEAD ciphers (AES-GCM, ChaCha20-Poly1305; no CBC, no
 * SHA-1 MACs), in the server's order: Mozilla's "intermediate" profile,
 * spoken by every client since about 2014 (OpenSSL 1.0.1, Java 8,
 * Android 4.4, any browser of that age or later). */
#define HTTP_DAEMON_TLS_PRIORITIES                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-CIPHER-ALL:"             \
    "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:%SERVER_PRECEDENCE"

/* Appended to every priority string, the default or a configured one:
 * whatever the operator writes, nothing older than TLS 1.2 is spoken. */
#define HTTP_DAEMON_TLS_FLOOR ":-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"

struct http_daemon;

/* Binds and starts a listener. Logs `listening` at INFO with the bound
 * address. With tls_cert, the priority string (tls_priorities or
 * HTTP_DAEMON_TLS_PRIORITIES) gets HTTP_DAEMON_TLS_FLOOR appended and
 * must then be valid and leave TLS 1.2 or 1.3 enabled: otherwise ERROR
 * `invalid tls priority string` is logged with the string and -EINVAL
 * returned before anything is loaded or bound. Returns 0, -EADDRINUSE /
 * -EACCES / -EINVAL (bad host or priority string) / -ENOENT (TLS file
 * missing) / -EIO (TLS material unusable, key not matching the
 * certificate, or the daemon failed); *ret set on success. */
int http_daemon_start(const struct http_listener_config *cfg,
                      struct http_daemon **ret);

/* Reads the listener's certificate and key files again and serves them to
 * every handshake from now on (http_tls_reload): 0 when it did, or when
 * the listener has no TLS; a negative errno when the files are missing,
 * unreadable, not PEM or do not match, in which case the previous
 * certificate is still served and ERROR `tls reload failed` says why.
 * Any thread (the main thread on SIGHUP), while the workers serve; not
 * concurrently with http_daemon_stop. NULL: 0. */
int http_daemon_reload_tls(struct http_daemon *d);

/* The bound port (useful when the configured port was 0). */
uint16_t http_daemon_port(const struct http_daemon *d);

/* Stops accepting new connections (existing ones go on). */
void http_daemon_quiesce(struct http_daemon *d);

/* Stops the listener and closes every connection. Every suspended
 * connection must have been resumed first. NULL: no-op. */
void http_daemon_stop(struct http_daemon *d);

/* Records that req parks on s (before stream_park), holding a reference
 * on s until the request ends, so that a stream deleted meanwhile stays
 * valid for the request. Idempotent for the same stream. */
void http_daemon_park_on(struct http_request *req, struct stream *s);

/* Suspends / resumes a request's connection (stream park/wake hooks). */
void http_daemon_suspend(struct http_request *req);
void http_daemon_resume(struct http_request *req);

/* Routes GnuTLS's global log into the logger (call once at start). */
void http_daemon_init_tls_logging(void);

#endif
