/* serve: the `livelog serve` verb (contract in serve.h). The main thread
 * configures, starts everything, waits for a signal and stops everything
 * in order; the syncer thread below forces bytes to disk in
 * --fsync=interval mode. */
#include "serve.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "auth/auth_keys.h"
#include "config.h"
#include "core/core_clock.h"
#include "http/http_daemon.h"
#include "http/http_read.h"
#include "http/http_v1.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "process.h"
#include "archive/archive.h"
#include "stream/stream_archive.h"
#include "stream/stream_registry.h"
#include "stream/stream_severity.h"
#include "stream/stream_waker.h"

#define PROBE_INTERVAL_S 30
#define WRITE_CONN_MEMORY (64 * 1024)
#define READ_CONN_MEMORY (16 * 1024)

/* The syncer: every interval, every stream with bytes not yet durable is
 * fdatasync'ed (never on a listener thread). */
static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    bool running;
    uint64_t interval_ms;
    struct stream_registry *registry;
} syncer = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *syncer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&syncer.lock);
    while (!syncer.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns =
            (uint64_t)ts.tv_nsec + (syncer.interval_ms % 1000) * CORE_NS_PER_MS;
        ts.tv_sec += (time_t)(syncer.interval_ms / 1000 + ns / CORE_NS_PER_S);
        ts.tv_nsec = (long)(ns % CORE_NS_PER_S);
        pthread_cond_timedwait(&syncer.cond, &syncer.lock, &ts);
        pthread_mutex_unlock(&syncer.lock);
        stream_registry_sync_all(syncer.registry);
        pthread_mutex_lock(&syncer.lock);
    }
    pthread_mutex_unlock(&syncer.lock);
    return NULL;
}

static int syncer_start(struct stream_registry *r, uint64_t interval_ms)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&syncer.cond, &attr);
    pthread_condattr_destroy(&attr);
    syncer.registry = r;
    syncer.interval_ms = interval_ms;
    int rc = pthread_create(&syncer.thread, NULL, syncer_main, NULL);
    if (rc != 0)
        return -rc;
    syncer.running = true;
    return 0;
}

static void syncer_stop(void)
{
    if (!syncer.running)
        return;
    pthread_mutex_lock(&syncer.lock);
    syncer.stop = true;
    pthread_cond_signal(&syncer.cond);
    pthread_mutex_unlock(&syncer.lock);
    pthread_join(syncer.thread, NULL);
    stream_registry_sync_all(syncer.registry); /* a last round */
    syncer.running = false;
}

/* /metrics: the registry's census, and the followers connected. */
static void census_probe(void *cls, struct metrics_census *ret)
{
    struct stream_registry_census c;
    stream_registry_census(cls, &c);
    for (int i = 0; i < 4; i++) /* the order of enum store_state */
        ret->streams[i] = c.by_state[i];
    ret->writers = c.writers;
    ret->readers_suspended = c.parked;
}

static uint64_t followers_probe(void *cls)
{
    (void)cls;
    return http_read_followers();
}

static uint64_t archive_depth_probe(void *cls)
{
    (void)cls;
    return stream_archive_queue_depth();
}

/* Reads NAME=VALUE lines (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN) of the --archive-credentials file into the empty
 * ones of key, secret and token. Returns 0 or a negative errno. */
static int read_credentials(const char *path, char *key, char *secret,
                            char *token, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -errno;
    char line[2048];
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (eq == NULL || line[0] == '#')
            continue;
        *eq = '\0';
        char *dst = strcmp(line, "AWS_ACCESS_KEY_ID") == 0       ? key
                    : strcmp(line, "AWS_SECRET_ACCESS_KEY") == 0 ? secret
                    : strcmp(line, "AWS_SESSION_TOKEN") == 0     ? token
                                                                 : NULL;
        if (dst != NULL && dst[0] == '\0')
            snprintf(dst, cap, "%s", eq + 1);
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    return 0;
}

/* Opens the archive store of --archive (NULL when there is none).
 * Credentials: the flags, then AWS_* in the environment, then the file.
 * Returns 0 or a negative errno (logged FATAL by the caller). */
static int open_archive(const struct serve_config *cfg, struct archive **ret)
{
    static char key[1024], secret[1024], token[1024];
    *ret = NULL;
    if (cfg->archive[0] == '\0')
        return 0;
    snprintf(key, sizeof(key), "%s", cfg->archive_access_key);
    snprintf(secret, sizeof(secret), "%s", cfg->archive_secret_key);
    const char *env_key = getenv("AWS_ACCESS_KEY_ID");
    const char *env_secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *env_token = getenv("AWS_SESSION_TOKEN");
    if (key[0] == '\0' && env_key != NULL)
        snprintf(key, sizeof(key), "%s", env_key);
    if (secret[0] == '\0' && env_secret != NULL)
        snprintf(secret, sizeof(secret), "%s", env_secret);
    if (env_token != NULL)
        snprintf(token, sizeof(token), "%s", env_token);
    if (cfg->archive_credentials[0] != '\0') {
        int rc = read_credentials(cfg->archive_credentials, key, secret, token,
                                  sizeof(key));
        if (rc != 0)
            return rc;
    }
    const struct archive_options opt = {
        .endpoint =
            cfg->archive_endpoint[0] != '\0' ? cfg->archive_endpoint : NULL,
        .region = cfg->archive_region,
        .path_style = cfg->archive_path_style != 0,
        .access_key = key,
        .secret_key = secret,
        .session_token = token[0] != '\0' ? token : NULL,
        .part_size = cfg->archive_part_size,
        .timeout_s = 60,
    };
    return archive_open(cfg->archive, &opt, ret);
}

/* What SIGHUP and POST /v1/reload reload. */
struct reloadable {
    struct auth_keyring *keys;
    struct http_daemon *write, *read;
};

/* Reloads the keys and both listeners' certificates; a part that fails
 * keeps its old material (and says so in the log). Returns 0 or the
 * first negative errno. */
static int reload_all(void *cls)
{
    struct reloadable *r = cls;
    int rc = 0;
    if (r->keys != NULL)
        rc = auth_keyring_reload(r->keys);
    int w = r->write != NULL ? http_daemon_reload_tls(r->write) : 0;
    int d = r->read != NULL ? http_daemon_reload_tls(r->read) : 0;
    return rc != 0 ? rc : w != 0 ? w : d;
}

/* SIGHUP (systemd's ExecReload=): RELOADING=1 and READY=1 around it. */
static void on_sighup(void *cls)
{
    sd_notify(0, "RELOADING=1");
    (void)reload_all(cls);
    sd_notify(0, "READY=1");
}

static int start_listeners(const struct serve_config *cfg, struct http_v1 *app,
                           struct http_daemon **wd, struct http_daemon **rd)
{
    bool wtls = cfg->write_tls_cert[0] != '\0';
    const struct http_listener_config wcfg = {
        .name = "write",
        .host = cfg->write_host,
        .port = cfg->write_port,
        .tls_cert = wtls ? cfg->write_tls_cert : NULL,
        .tls_key = wtls ? cfg->write_tls_key : NULL,
        .tls_priorities = cfg->tls_priorities,
        .threads = 1,
        .max_connections = 4096,
        .timeout_s = 0, /* a task may print nothing for hours */
        .conn_memory = WRITE_CONN_MEMORY,
        .handler = http_v1_on_write,
        .handler_cls = app,
        .unescape = http_v1_unescape,
    };
    int rc = http_daemon_start(&wcfg, wd);
    if (rc != 0) {
        log_fatal(LOGC_MAIN,
                  wtls ? "cannot serve HTTPS on the write address: check "
                         "--write-tls-cert, --write-tls-key, "
                         "--tls-priorities and --write-addr"
                       : "cannot listen on the write address: is it in "
                         "use, or not an address of this host? set "
                         "--write-addr",
                  LF_STR("host", cfg->write_host),
                  LF_U64("port", cfg->write_port), LF_I64("errno", -rc));
        return rc;
    }
    bool tls = cfg->tls_cert[0] != '\0';
    const struct http_listener_config rcfg = {
        .name = "read",
        .host = cfg->read_host,
        .port = cfg->read_port,
        .tls_cert = tls ? cfg->tls_cert : NULL,
        .tls_key = tls ? cfg->tls_key : NULL,
        .tls_priorities = cfg->tls_priorities,
        .threads = 0,
        .max_connections = (unsigned int)cfg->max_connections,
        .timeout_s = (unsigned int)cfg->read_timeout_s,
        .conn_memory = READ_CONN_MEMORY,
        .handler = http_v1_on_read,
        .handler_cls = app,
        .unescape = http_v1_unescape,
    };
    rc = http_daemon_start(&rcfg, rd);
    if (rc != 0)
        log_fatal(LOGC_MAIN,
                  tls ? "cannot serve HTTPS on the read address: check "
                        "--tls-cert, --tls-key, --tls-priorities and "
                        "--read-addr"
                      : "cannot listen on the read address; set "
                        "--read-addr",
                  LF_STR("host", cfg->read_host),
                  LF_U64("port", cfg->read_port), LF_I64("errno", -rc));
    return rc;
}

int serve_main(int argc, char **argv)
{
    static struct serve_config cfg;
    char err[512];
    int rc = config_parse_serve(argc, argv, &cfg, stdout, err, sizeof(err));
    if (rc == 1)
        return SERVE_EXIT_OK;
    if (rc != 0) {
        log_init(2, LOG_INFO, LOG_FORMAT_JSON);
        log_fatal(LOGC_CONFIG, "invalid configuration", LF_STR("error", err));
        return SERVE_EXIT_USAGE;
    }
    log_init(2, cfg.log_level, cfg.log_format);
    http_daemon_init_tls_logging();
    store_stream_set_fsync(cfg.fsync);

    process_setup();

    int exit_code = SERVE_EXIT_OK;
    struct stream_registry *reg = NULL;
    struct http_daemon *wd = NULL, *rd = NULL;
    struct reloadable reloadable = {NULL, NULL, NULL};
    struct archive *archive = NULL;
    rc = stream_waker_start((uint64_t)PROBE_INTERVAL_S * CORE_NS_PER_S);
    if (rc != 0) {
        log_fatal(LOGC_MAIN, "cannot start the waker thread",
                  LF_I64("errno", -rc));
        return SERVE_EXIT_RUNTIME;
    }
    rc = open_archive(&cfg, &archive);
    if (rc != 0) {
        log_fatal(LOGC_STORE,
                  "the archive cannot be used: check --archive, its "
                  "endpoint and credentials",
                  LF_STR("error", strerror(-rc)));
        exit_code = SERVE_EXIT_RUNTIME;
        goto out;
    }
    if (archive != NULL) {
        const struct stream_archive_config acfg = {
            .archive = archive,
            .workers = (unsigned)cfg.archive_workers,
            .local_retention_ms = cfg.archive_local_retention_s * 1000,
        };
        if (stream_archive_start(&acfg) != 0) {
            log_fatal(LOGC_MAIN, "cannot start the archive threads");
            exit_code = SERVE_EXIT_RUNTIME;
            goto out;
        }
    }
    if (cfg.task_log_severity && stream_severity_start() != 0) {
        log_fatal(LOGC_MAIN, "cannot start the severity worker thread");
        exit_code = SERVE_EXIT_RUNTIME;
        goto out;
    }
    const struct stream_registry_limits limits = {
        .max_streams = cfg.max_streams,
        .max_stream_bytes = cfg.max_stream_bytes,
        .max_total_bytes = cfg.max_total_bytes,
        .retention_ms = cfg.retention_s * 1000,
        .keep_tail = cfg.over_limit_keep_tail != 0,
        .severity = cfg.task_log_severity != 0,
    };
    rc = stream_registry_open(cfg.data_dir, &limits, &reg);
    if (rc != 0) {
        log_fatal(LOGC_STORE,
                  "the data directory is unusable: check --data-dir, its "
                  "permissions and free space",
                  LF_STR("dir", cfg.data_dir), LF_STR("error", strerror(-rc)));
        exit_code = SERVE_EXIT_RUNTIME;
        goto out;
    }
    if (cfg.fsync == STORE_FSYNC_INTERVAL &&
        syncer_start(reg, cfg.fsync_interval_ms) != 0) {
        log_fatal(LOGC_MAIN, "cannot start the syncer thread");
        exit_code = SERVE_EXIT_RUNTIME;
        goto out;
    }
    metrics_init(LIVELOG_VERSION, core_clock_real_ns());
    metrics_set_census_probe(census_probe, reg);
    metrics_set_probe(METRICS_READERS_CONNECTED, followers_probe, NULL);
    metrics_set_probe(METRICS_ARCHIVE_QUEUE_DEPTH, archive_depth_probe, NULL);
    if (cfg.key_dir[0] != '\0') {
        rc = auth_keyring_open(cfg.key_dir, &reloadable.keys);
        if (rc != 0) {
            log_fatal(LOGC_AUTH,
                      "the key directory is unusable: check --key-dir and "
                      "its permissions",
                      LF_STR("dir", cfg.key_dir),
                      LF_STR("error", strerror(-rc)));
            exit_code = SERVE_EXIT_RUNTIME;
            goto out;
        }
    }
    struct http_v1 app = {
        .registry = reg,
        .policy = {.keys = reloadable.keys, .leeway_s = cfg.token_leeway_s},
        .write_credentials = cfg.write_credentials != 0,
        .cors_origins = cfg.cors_origins,
        .public_url = cfg.public_url,
        .read_url_ttl_s = cfg.read_url_ttl_s,
        .writer_wait_ns = cfg.writer_wait_s * CORE_NS_PER_S,
        .sync_before_ack = cfg.fsync == STORE_FSYNC_ALWAYS,
        .reload = reload_all,
        .reload_cls = &reloadable,
        .archive = archive,
        .archive_read_through = cfg.archive_read_through != 0,
        .archive_redirect_public = cfg.archive_redirect_public != 0,
    };
    if (start_listeners(&cfg, &app, &wd, &rd) != 0) {
        exit_code = SERVE_EXIT_RUNTIME;
        goto out;
    }
    reloadable.write = wd;
    reloadable.read = rd;
    log_info(LOGC_MAIN, "started", LF_STR("version", LIVELOG_VERSION),
             LF_STR("mode", "serve"), LF_STR("data_dir", cfg.data_dir),
             LF_BOOL("private_reads", reloadable.keys != NULL),
             LF_BOOL("write_credentials", app.write_credentials));

    /* systemd's Type=notify: dependants start once both listeners are up
     * (a no-op without NOTIFY_SOCKET). */
    sd_notify(0, "READY=1\nSTATUS=listening");
    int sig = process_wait_for_stop(on_sighup, &reloadable);
    sd_notify(0, "STOPPING=1");
    log_info(LOGC_MAIN, "shutting down", LF_STR("signal", strsignal(sig)),
             LF_U64("followers", http_read_followers()));
out:
    http_daemon_quiesce(wd);
    http_daemon_quiesce(rd);
    stream_archive_stop(); /* uploads in progress stop; done again later */
    if (reg != NULL)
        stream_registry_close_all(reg);
    http_daemon_stop(wd);
    http_daemon_stop(rd);
    metrics_set_census_probe(NULL, NULL);
    syncer_stop();
    stream_severity_stop();
    stream_registry_free(reg);
    archive_free(archive);
    auth_keyring_free(reloadable.keys);
    stream_waker_stop();
    log_info(LOGC_MAIN, "stopped", LF_I64("exit_code", exit_code));
    return exit_code;
}
