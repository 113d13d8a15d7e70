/* dropin: the Taskcluster livelog drop-in (contract in dropin.h). The
 * configuration is read on the main thread; the two handlers below run on
 * the listeners' threads and share only the stream and an atomic flag
 * that admits a single writer. */
#include "dropin.h"

#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_compare.h"
#include "core/core_clock.h"
#include "core/core_num.h"
#include "http/http_daemon.h"
#include "http/http_read.h"
#include "http/http_respond.h"
#include "http/http_write.h"
#include "log/log.h"
#include "process.h"
#include "stream/stream.h"
#include "stream/stream_waker.h"

#define DEFAULT_PUT_PORT 60022
#define DEFAULT_GET_PORT 60023
#define DEFAULT_WRITER_WAIT_S 60
#define MAX_WRITER_WAIT_S 86400
#define DEFAULT_MAX_CONNECTIONS 32768
#define READ_TIMEOUT_S 60
#define PROBE_INTERVAL_S 30
#define WRITE_CONN_MEMORY (256 * 1024)
#define READ_CONN_MEMORY (16 * 1024)

static const char usage[] =
    "livelog: live logs for CI (drop-in for Taskcluster's livelog)\n"
    "\n"
    "Usage: livelog [-h | --help | --version | --short-version]\n"
    "               [--writer-wait SECONDS]\n"
    "\n"
    "Environment:\n"
    "  ACCESS_TOKEN       secret in the read URL /log/<ACCESS_TOKEN> "
    "(required)\n"
    "  LIVELOG_PUT_PORT   port of the write listener on 127.0.0.1 "
    "(default 60022)\n"
    "  LIVELOG_GET_PORT   port of the read listener (default 60023)\n"
    "  SERVER_CRT_FILE    PEM certificate: serve reads over HTTPS\n"
    "  SERVER_KEY_FILE    PEM private key for SERVER_CRT_FILE\n"
    "  LIVELOG_TEMP_DIR   directory of the log file (default $TMPDIR or "
    "/tmp)\n"
    "  LIVELOG_WRITER_WAIT seconds a GET made before the PUT waits for it "
    "(default 60)\n"
    "  LIVELOG_LOG_LEVEL  fatal, error, warning, info, debug or trace "
    "(default info)\n"
    "  DEBUG              any value: log at debug level\n"
    "\n"
    "Write:  curl -T - http://127.0.0.1:60022/log\n"
    "Read:   curl http://HOST:60023/log/$ACCESS_TOKEN\n"
    "Port 0 picks a free port; the chosen ports are logged as "
    "\"listening\".\n";

struct dropin {
    const char *token;
    size_t token_len;
    struct stream *stream;
    atomic_bool writer_taken;
    uint64_t writer_wait_ns;
};

static bool is_method(const char *method, const char *want)
{
    return strcmp(method, want) == 0;
}

/* ---- write listener ---------------------------------------------------- */

static void writer_done(struct http_request *req,
                        enum MHD_RequestTerminationCode code)
{
    struct stream *s = req->writing;
    if (req->body_done || req->write_error != 0)
        return;
    stream_set_state(s, STORE_INTERRUPTED);
    log_warning(LOGC_HTTP, "writer disconnected before the end of its body",
                LF_STR("action", "UPDATE"), LF_U64("bytes", req->bytes_in),
                LF_I64("termination", (int64_t)code));
}

static enum MHD_Result finish_writer(struct http_request *req, int rc)
{
    struct stream *s = req->writing;
    if (rc < 0) {
        const char *msg = NULL;
        unsigned int status = http_respond_status_for_errno(rc, &msg);
        stream_set_state(s, STORE_INTERRUPTED);
        return http_respond_text(req->conn, status, msg);
    }
    stream_set_state(s, STORE_COMPLETE);
    log_info(LOGC_HTTP, "log complete", LF_STR("action", "UPDATE"),
             LF_U64("bytes", req->bytes_in));
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp != NULL)
        http_respond_base_headers(resp);
    return http_respond_queue(req->conn, MHD_HTTP_CREATED, resp);
}

static enum MHD_Result start_writer(struct dropin *app,
                                    struct http_request *req)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&app->writer_taken, &expected, true)) {
        log_warning(LOGC_HTTP, "second writer refused",
                    LF_STR("action", "ADD"));
        if (store_stream_state(app->stream->store) == STORE_LIVE)
            return http_respond_text(
                req->conn, MHD_HTTP_BAD_REQUEST,
                "This endpoint can only process one http PUT at a time");
        return http_respond_text(
            req->conn, MHD_HTTP_BAD_REQUEST,
            "This livelog has already received its log; start a new "
            "livelog process for a new log");
    }
    req->writing = app->stream;
    req->on_complete = writer_done;
    stream_set_state(app->stream, STORE_LIVE);
    log_info(LOGC_HTTP, "writer started", LF_STR("action", "ADD"));
    return MHD_YES;
}

static enum MHD_Result on_write(void *cls, struct http_request *req,
                                const char *url, const char *method,
                                const char *data, size_t *size)
{
    struct dropin *app = cls;

    if (req->writing != NULL) {
        int rc = http_write_consume(req, data, size);
        if (rc == 0)
            return MHD_YES;
        return finish_writer(req, rc);
    }
    if (strcmp(url, "/log") == 0) {
        req->route = "log";
        if (!is_method(method, MHD_HTTP_METHOD_PUT))
            return http_respond_text(
                req->conn, MHD_HTTP_BAD_REQUEST,
                "This endpoint can only handle PUT requests");
        return start_writer(app, req);
    }
    if (req->calls == 0)
        return MHD_YES;
    if (strcmp(url, "/healthz") == 0) {
        req->route = "healthz";
        return http_respond_text(req->conn, MHD_HTTP_OK, "ok\n");
    }
    req->route = "not-found";
    return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                             "not found: the write endpoint is PUT /log\n");
}

/* ---- read listener ----------------------------------------------------- */

static enum MHD_Result on_read(void *cls, struct http_request *req,
                               const char *url, const char *method,
                               const char *data, size_t *size)
{
    struct dropin *app = cls;
    (void)data;
    (void)size;

    /* Answering on the first call would make libmicrohttpd close the
     * connection after the response; wait for the second. */
    if (req->calls == 0)
        return MHD_YES;
    bool get = is_method(method, MHD_HTTP_METHOD_GET);
    bool head = is_method(method, MHD_HTTP_METHOD_HEAD);

    if (strcmp(url, "/healthz") == 0) {
        req->route = "healthz";
        return http_respond_text(req->conn, MHD_HTTP_OK, "ok\n");
    }
    req->route = "not-found";
    if (strncmp(url, "/log/", 5) != 0)
        return http_respond_text(req->conn, MHD_HTTP_NOT_FOUND,
                                 "not found: logs are read at "
                                 "/log/<ACCESS_TOKEN>\n");
    const char *token = url + 5;
    req->route = "log-read";
    if (!auth_compare_secret(token, strlen(token), app->token,
                             app->token_len)) {
        if (req->calls == 1)
            log_info(LOGC_HTTP, "read refused: wrong access token",
                     LF_STR("action", "VIEW"), LF_BOOL("audit", true));
        return http_respond_text(req->conn, MHD_HTTP_UNAUTHORIZED,
                                 "Access denied");
    }
    if (!get && !head)
        return http_respond_text_hdr(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "only GET and HEAD read a log\n",
                                     MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    const struct http_read_options opt = {
        .follow = true,
        .head = head,
        .range = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                             MHD_HTTP_HEADER_RANGE),
        .writer_wait_ns = app->writer_wait_ns,
    };
    return http_read_serve(req, app->stream, &opt);
}

/* ---- configuration ----------------------------------------------------- */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : fallback;
}

/* Parses a port variable with Taskcluster livelog's exit codes. Returns
 * 0 or the exit code. */
static int parse_port_env(const char *name, uint16_t fallback, int nan_exit,
                          int range_exit, uint16_t *ret)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        *ret = fallback;
        return 0;
    }
    int rc = core_num_parse_port(v, strlen(v), ret);
    if (rc == -ERANGE) {
        log_fatal(LOGC_CONFIG, "port is not between 0 and 65535",
                  LF_STR("variable", name), LF_STR("value", v));
        return range_exit;
    }
    if (rc != 0) {
        log_fatal(LOGC_CONFIG, "port is not a number", LF_STR("variable", name),
                  LF_STR("value", v));
        return nan_exit;
    }
    return 0;
}

static int parse_seconds(const char *text, uint64_t max, uint64_t *ret)
{
    uint64_t v = 0;
    int rc = core_num_parse_u64(text, strlen(text), &v);
    if (rc != 0 || v > max)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* Parses argv. Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, uint64_t *writer_wait_s)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return DROPIN_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            puts("livelog " LIVELOG_VERSION);
            return DROPIN_EXIT_OK;
        }
        if (strcmp(a, "--short-version") == 0) {
            puts(LIVELOG_VERSION);
            return DROPIN_EXIT_OK;
        }
        const char *val = NULL;
        if (strcmp(a, "--writer-wait") == 0 && i + 1 < argc)
            val = argv[++i];
        else if (strncmp(a, "--writer-wait=", 14) == 0)
            val = a + 14;
        if (val != NULL) {
            if (parse_seconds(val, MAX_WRITER_WAIT_S, writer_wait_s) != 0) {
                fprintf(stderr,
                        "livelog: --writer-wait wants whole seconds "
                        "between 0 and %d, got '%s'\n",
                        MAX_WRITER_WAIT_S, val);
                return DROPIN_EXIT_USAGE;
            }
            continue;
        }
        fprintf(stderr, "livelog: unknown argument '%s'\n\n%s", a, usage);
        return DROPIN_EXIT_USAGE;
    }
    return -1;
}

static enum log_level initial_level(void)
{
    enum log_level level = LOG_INFO;
    const char *debug = getenv("DEBUG");
    if (debug != NULL && debug[0] != '\0')
        level = LOG_DEBUG;
    const char *named = getenv("LIVELOG_LOG_LEVEL");
    if (named != NULL && named[0] != '\0' &&
        log_level_parse(named, &level) != 0)
        fprintf(stderr, "livelog: ignoring LIVELOG_LOG_LEVEL='%s'\n", named);
    return level;
}

/* SIGHUP: the read port's certificate and key are read again. */
static void reload_tls(void *cls)
{
    (void)http_daemon_reload_tls(cls);
}

/* ---- run --------------------------------------------------------------- */

static int run(struct dropin *app, uint16_t put_port, uint16_t get_port)
{
    int exit_code = DROPIN_EXIT_OK;
    struct http_daemon *wd = NULL, *rd = NULL;
    const char *crt = getenv("SERVER_CRT_FILE");
    const char *key = getenv("SERVER_KEY_FILE");
    bool tls = crt != NULL && crt[0] != '\0' && key != NULL && key[0] != '\0';

    int rc = stream_waker_start((uint64_t)PROBE_INTERVAL_S * CORE_NS_PER_S);
    if (rc != 0) {
        log_fatal(LOGC_MAIN, "cannot start the waker thread",
                  LF_I64("errno", -rc));
        return DROPIN_EXIT_RUNTIME;
    }
    stream_waker_register(app->stream);

    const struct http_listener_config wcfg = {
        .name = "write",
        .host = "127.0.0.1",
        .port = put_port,
        .threads = 1,
        .max_connections = 64,
        .timeout_s = 0, /* a task may print nothing for hours */
        .conn_memory = WRITE_CONN_MEMORY,
        .handler = on_write,
        .handler_cls = app,
    };
    rc = http_daemon_start(&wcfg, &wd);
    if (rc != 0) {
        log_fatal(LOGC_MAIN,
                  "cannot listen on the write port; is another livelog "
                  "running? set LIVELOG_PUT_PORT",
                  LF_U64("port", put_port), LF_I64("errno", -rc));
        exit_code = DROPIN_EXIT_RUNTIME;
        goto out;
    }
    const struct http_listener_config rcfg = {
        .name = "read",
        .host = "0.0.0.0",
        .port = get_port,
        .tls_cert = tls ? crt : NULL,
        .tls_key = tls ? key : NULL,
        .threads = 0,
        .max_connections = DEFAULT_MAX_CONNECTIONS,
        .timeout_s = READ_TIMEOUT_S,
        .conn_memory = READ_CONN_MEMORY,
        .handler = on_read,
        .handler_cls = app,
    };
    rc = http_daemon_start(&rcfg, &rd);
    if (rc != 0) {
        log_fatal(LOGC_MAIN,
                  tls ? "cannot serve HTTPS on the read port: check "
                        "SERVER_CRT_FILE and SERVER_KEY_FILE, and the port"
                      : "cannot listen on the read port; set "
                        "LIVELOG_GET_PORT",
                  LF_U64("port", get_port), LF_I64("errno", -rc));
        exit_code = DROPIN_EXIT_RUNTIME;
        goto out;
    }

    int sig = process_wait_for_stop(reload_tls, rd);
    log_info(LOGC_MAIN, "shutting down", LF_STR("signal", strsignal(sig)),
             LF_U64("followers", http_read_followers()));
out:
    http_daemon_quiesce(wd);
    http_daemon_quiesce(rd);
    stream_close(app->stream);
    http_daemon_stop(wd);
    http_daemon_stop(rd);
    stream_waker_stop();
    return exit_code;
}

int dropin_main(int argc, char **argv)
{
    uint64_t writer_wait_s = DEFAULT_WRITER_WAIT_S;
    const char *wait_env = getenv("LIVELOG_WRITER_WAIT");
    if (wait_env != NULL && wait_env[0] != '\0' &&
        parse_seconds(wait_env, MAX_WRITER_WAIT_S, &writer_wait_s) != 0) {
        fprintf(stderr,
                "livelog: LIVELOG_WRITER_WAIT wants whole seconds between "
                "0 and %d, got '%s'\n",
                MAX_WRITER_WAIT_S, wait_env);
        return DROPIN_EXIT_USAGE;
    }
    int rc = parse_args(argc, argv, &writer_wait_s);
    if (rc >= 0)
        return rc;

    log_init(2, initial_level(), LOG_FORMAT_JSON);
    http_daemon_init_tls_logging();

    uint16_t put_port = 0, get_port = 0;
    rc = parse_port_env("LIVELOG_PUT_PORT", DEFAULT_PUT_PORT,
                        DROPIN_EXIT_PUT_NAN, DROPIN_EXIT_PUT_RANGE, &put_port);
    if (rc != 0)
        return rc;
    rc = parse_port_env("LIVELOG_GET_PORT", DEFAULT_GET_PORT,
                        DROPIN_EXIT_GET_NAN, DROPIN_EXIT_GET_RANGE, &get_port);
    if (rc != 0)
        return rc;

    struct dropin app = {.writer_wait_ns = writer_wait_s * CORE_NS_PER_S};
    app.token = getenv("ACCESS_TOKEN");
    if (app.token == NULL || app.token[0] == '\0') {
        log_fatal(LOGC_CONFIG,
                  "ACCESS_TOKEN is required: set it to the secret that "
                  "readers put in /log/<ACCESS_TOKEN>");
        return DROPIN_EXIT_USAGE;
    }
    app.token_len = strlen(app.token);
    atomic_init(&app.writer_taken, false);

    process_setup(); /* before any thread: they inherit the signal mask */

    const char *dir = env_or("LIVELOG_TEMP_DIR", env_or("TMPDIR", "/tmp"));
    struct store_stream *store = NULL;
    rc = store_stream_create_temp(dir, 1, &store);
    if (rc == 0)
        rc = stream_create(store, false, &app.stream);
    if (rc != 0) {
        store_stream_free(store);
        log_fatal(LOGC_STORE,
                  "cannot create the log file: check LIVELOG_TEMP_DIR",
                  LF_STR("dir", dir), LF_STR("error", strerror(-rc)));
        return DROPIN_EXIT_RUNTIME;
    }
    log_info(LOGC_MAIN, "started", LF_STR("version", LIVELOG_VERSION),
             LF_STR("mode", "drop-in"));

    int code = run(&app, put_port, get_port);
    stream_free(app.stream);
    log_info(LOGC_MAIN, "stopped", LF_I64("exit_code", code));
    return code;
}
