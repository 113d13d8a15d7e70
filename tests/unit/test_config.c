/* test_config: unit tests for src/config.c. config_parse_size and
 * config_parse_addr on their own; config_parse_serve's defaults (the
 * table in docs/OPERATIONS.md, "livelog serve"), environment overrides,
 * flags over the environment, both flag forms, every error and its
 * message, and --help; the configuration file: its line syntax, every
 * setting from it, every refusal with FILE:LINE, and the precedence
 * flags > environment > file > defaults. Every LIVELOG_* variable is
 * saved, cleared for each test and restored at the end; LIVELOG_CONFIG is
 * /dev/null unless a test says otherwise, so the host's
 * /etc/livelog/livelog.conf never counts. Single-threaded cmocka
 * tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "http/http_daemon.h"

/* Every setting: its flag, its variable, a good value and a bad one with
 * the words its error message must carry. */
struct setting {
    const char *flag;
    const char *env;
    const char *good;
    const char *bad;
    const char *wants;
};

#define LONG_PATH "<4096 bytes>" /* stands for a path that does not fit */
#define LONG_SECRET "<1024 bytes>"

static const struct setting settings[] = {
    {"data-dir", "LIVELOG_DATA_DIR", "/srv/ll", LONG_PATH, "a path"},
    {"write-addr", "LIVELOG_WRITE_ADDR", "127.0.0.1:1", "nope",
     "HOST:PORT with an IPv4 or [IPv6] literal and a port 0-65535"},
    {"read-addr", "LIVELOG_READ_ADDR", "[::1]:2", "1.2.3.4:65536",
     "HOST:PORT with an IPv4 or [IPv6] literal and a port 0-65535"},
    {"tls-cert", "LIVELOG_TLS_CERT", "/c.pem", LONG_PATH, "a path"},
    {"tls-key", "LIVELOG_TLS_KEY", "/k.pem", LONG_PATH, "a path"},
    {"write-tls-cert", "LIVELOG_WRITE_TLS_CERT", "/wc.pem", LONG_PATH,
     "a path"},
    {"write-tls-key", "LIVELOG_WRITE_TLS_KEY", "/wk.pem", LONG_PATH, "a path"},
    {"tls-priorities", "LIVELOG_TLS_PRIORITIES", "SECURE256", LONG_SECRET,
     "a string of 1 to 1023 bytes"},
    {"key-dir", "LIVELOG_KEY_DIR", "/keys", LONG_PATH, "a path"},
    {"token-leeway", "LIVELOG_TOKEN_LEEWAY", "5", "601", "a whole number from"},
    {"write-credentials", "LIVELOG_WRITE_CREDENTIALS", "required", "maybe",
     "none or required"},
    {"cors-origins", "LIVELOG_CORS_ORIGINS",
     "https://ui.example.com,http://localhost:3000", "ftp://x",
     "origins such as"},
    {"public-url", "LIVELOG_PUBLIC_URL", "https://ll.example:8443/logs",
     "https://x/?q", "a base URL such as"},
    {"read-url-ttl", "LIVELOG_READ_URL_TTL", "3600", "59",
     "a whole number from"},
    {"log-level", "LIVELOG_LOG_LEVEL", "debug", "loud",
     "fatal, error, warning, info, debug or trace"},
    {"log-format", "LIVELOG_LOG_FORMAT", "console", "xml", "json or console"},
    {"fsync", "LIVELOG_FSYNC", "always", "sometimes",
     "always, interval or never"},
    {"fsync-interval", "LIVELOG_FSYNC_INTERVAL", "250", "0",
     "a whole number from"},
    {"writer-wait", "LIVELOG_WRITER_WAIT", "5", "86401", "a whole number from"},
    {"max-streams", "LIVELOG_MAX_STREAMS", "10", "0", "a whole number from"},
    {"max-stream-bytes", "LIVELOG_MAX_STREAM_BYTES", "64K", "4X",
     "a size such as 4096, 64K, 512M or 4G"},
    {"max-total-bytes", "LIVELOG_MAX_TOTAL_BYTES", "1T", "-1",
     "a size such as 4096, 64K, 512M or 4G"},
    {"over-limit", "LIVELOG_OVER_LIMIT", "keep-tail", "truncate",
     "reject or keep-tail"},
    {"retention", "LIVELOG_RETENTION", "0", "18446744073709552",
     "a whole number from"},
    {"task-log-severity", "LIVELOG_TASK_LOG_SEVERITY", "off", "yes",
     "on or off"},
    {"archive", "LIVELOG_ARCHIVE", "s3://bucket/logs", "ftp://x",
     "file:///ABSOLUTE/DIR or s3://BUCKET[/PREFIX]"},
    {"archive-endpoint", "LIVELOG_ARCHIVE_ENDPOINT", "http://127.0.0.1:9000",
     "nope", "a base URL such as"},
    {"archive-region", "LIVELOG_ARCHIVE_REGION", "eu-west-1", LONG_SECRET,
     "a string of 1 to 1023 bytes"},
    {"archive-path-style", "LIVELOG_ARCHIVE_PATH_STYLE", "on", "yes",
     "on or off"},
    {"archive-access-key-id", "LIVELOG_ARCHIVE_ACCESS_KEY_ID", "AKID",
     LONG_SECRET, "a secret of at most 1023 bytes"},
    {"archive-secret-access-key", "LIVELOG_ARCHIVE_SECRET_ACCESS_KEY", "sk",
     LONG_SECRET, "a secret of at most 1023 bytes"},
    {"archive-credentials", "LIVELOG_ARCHIVE_CREDENTIALS", "/creds", LONG_PATH,
     "a path"},
    {"archive-part-size", "LIVELOG_ARCHIVE_PART_SIZE", "16M", "1M",
     "a size such as 4096, 64K, 512M or 4G"},
    {"archive-workers", "LIVELOG_ARCHIVE_WORKERS", "4", "17",
     "a whole number from"},
    {"archive-local-retention", "LIVELOG_ARCHIVE_LOCAL_RETENTION", "0", "x",
     "a whole number from"},
    {"archive-read-through", "LIVELOG_ARCHIVE_READ_THROUGH", "on", "1",
     "on or off"},
    {"archive-redirect-public", "LIVELOG_ARCHIVE_REDIRECT_PUBLIC", "on", "no",
     "on or off"},
    {"max-connections", "LIVELOG_MAX_CONNECTIONS", "16", "15",
     "a whole number from"},
    {"read-timeout", "LIVELOG_READ_TIMEOUT", "1", "1h", "a whole number from"},
};
#define NSETTINGS (sizeof settings / sizeof *settings)

static char *saved_env[NSETTINGS];
static char long_path[4097];
static char long_secret[1025];

static const char *expand(const char *v)
{
    if (strcmp(v, LONG_PATH) == 0)
        return long_path;
    if (strcmp(v, LONG_SECRET) == 0)
        return long_secret;
    return v;
}

static void clear_env(void)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        assert_int_equal(unsetenv(settings[i].env), 0);
    assert_int_equal(setenv("LIVELOG_CONFIG", "/dev/null", 1), 0);
}

static int group_setup(void **state)
{
    (void)state;
    memset(long_path, 'p', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    memset(long_secret, 's', sizeof long_secret - 1);
    long_secret[sizeof long_secret - 1] = '\0';
    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        saved_env[i] = NULL;
        if (v != NULL) {
            size_t n = strlen(v) + 1;
            saved_env[i] = malloc(n);
            if (saved_env[i] == NULL)
                return -1;
            memcpy(saved_env[i], v, n);
        }
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (saved_env[i] != NULL)
            setenv(settings[i].env, saved_env[i], 1);
        else
            unsetenv(settings[i].env);
        free(saved_env[i]);
        saved_env[i] = NULL;
    }
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

#define MAX_ARGS 16

/* Runs config_parse_serve on "serve" plus the NULL-terminated args. */
static int run(struct serve_config *cfg, char *err, size_t cap, FILE *out,
               const char *const *args)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;

    argv[argc++] = strdup("serve");
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(argc < MAX_ARGS);
        argv[argc] = strdup(args[i]);
        assert_non_null(argv[argc]);
        argc++;
    }
    argv[argc] = NULL;
    int rc = config_parse_serve(argc, argv, cfg, out, err, cap);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOARGS ((const char *const[]){NULL})

static void expect_ok(struct serve_config *cfg, const char *const *args)
{
    char err[512] = "";

    if (run(cfg, err, sizeof err, stdout, args) != 0)
        fail_msg("refused: %s", err);
}

/* Refused with -EINVAL and a message containing each of the words. */
static void expect_error(const char *const *args, const char *w1,
                         const char *w2)
{
    struct serve_config cfg;
    char err[512];

    memset(err, 0, sizeof err);
    assert_int_equal(run(&cfg, err, sizeof err, stdout, args), -EINVAL);
    if (strstr(err, w1) == NULL || (w2 != NULL && strstr(err, w2) == NULL))
        fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", err, w1,
                 w2 != NULL ? w2 : "");
    assert_null(strchr(err, '\n'));
}

/* ---- config_parse_size ---- */

static void expect_size(const char *s, uint64_t want)
{
    uint64_t v = 12345;

    if (config_parse_size(s, &v) != 0 || v != want)
        fail_msg("\"%s\": got %llu, want %llu", s, (unsigned long long)v,
                 (unsigned long long)want);
}

static void expect_size_err(const char *s, int want)
{
    uint64_t v = 12345;

    if (config_parse_size(s, &v) != want)
        fail_msg("\"%s\": want %d", s, want);
    assert_true(v == 12345);
}

static void test_size(void **state)
{
    (void)state;
    expect_size("0", 0);
    expect_size("1", 1);
    expect_size("4096", 4096);
    expect_size("007", 7);
    expect_size("1K", 1024);
    expect_size("1k", 1024);
    expect_size("64K", 65536);
    expect_size("512M", UINT64_C(512) << 20);
    expect_size("512m", UINT64_C(512) << 20);
    expect_size("4G", UINT64_C(4) << 30);
    expect_size("4g", UINT64_C(4) << 30);
    expect_size("1T", UINT64_C(1) << 40);
    expect_size("3t", UINT64_C(3) << 40);
    expect_size("0G", 0);
    expect_size("18446744073709551615", UINT64_MAX);
    /* the largest of each suffix, and one more */
    expect_size("18014398509481983K", UINT64_MAX >> 10 << 10);
    expect_size_err("18014398509481984K", -ERANGE);
    expect_size("17592186044415M", UINT64_MAX >> 20 << 20);
    expect_size_err("17592186044416M", -ERANGE);
    expect_size("17179869183G", UINT64_MAX >> 30 << 30);
    expect_size_err("17179869184G", -ERANGE);
    expect_size("16777215T", UINT64_MAX >> 40 << 40);
    expect_size_err("16777216T", -ERANGE);
    expect_size_err("18446744073709551616", -ERANGE);
    expect_size_err("99999999999999999999999T", -ERANGE);

    expect_size_err("", -EINVAL);
    expect_size_err("K", -EINVAL);
    expect_size_err("G", -EINVAL);
    expect_size_err("4KB", -EINVAL);
    expect_size_err("4KK", -EINVAL);
    expect_size_err("4 K", -EINVAL);
    expect_size_err(" 4", -EINVAL);
    expect_size_err("4 ", -EINVAL);
    expect_size_err("-1", -EINVAL);
    expect_size_err("+1", -EINVAL);
    expect_size_err("1.5G", -EINVAL);
    expect_size_err("0x10", -EINVAL);
    expect_size_err("4E", -EINVAL);
    expect_size_err("4P", -EINVAL);
    expect_size_err("4b", -EINVAL);
    expect_size_err("four", -EINVAL);
    expect_size_err("1e9", -EINVAL);
}

/* ---- config_parse_addr ---- */

static void expect_addr(const char *s, const char *host, uint16_t port)
{
    char h[CONFIG_HOST_MAX];
    uint16_t p = 1;

    memset(h, 'x', sizeof h);
    if (config_parse_addr(s, h, sizeof h, &p) != 0)
        fail_msg("\"%s\" refused", s);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
}

static void expect_addr_bad(const char *s)
{
    char h[CONFIG_HOST_MAX];
    uint16_t p = 4321;

    memcpy(h, "unchanged", 10);
    if (config_parse_addr(s, h, sizeof h, &p) != -EINVAL)
        fail_msg("\"%s\" accepted", s);
    assert_string_equal(h, "unchanged");
    assert_int_equal(p, 4321);
}

static void test_addr(void **state)
{
    char text[CONFIG_HOST_MAX + 16];
    char host[CONFIG_HOST_MAX + 1];

    (void)state;
    expect_addr("127.0.0.1:0", "127.0.0.1", 0);
    expect_addr("0.0.0.0:65535", "0.0.0.0", 65535);
    expect_addr("127.0.0.1:60022", "127.0.0.1", 60022);
    expect_addr("[::1]:80", "::1", 80);
    expect_addr("[::]:0", "::", 0);
    expect_addr("[fe80::1:2]:443", "fe80::1:2", 443);
    expect_addr("10.0.0.1:080", "10.0.0.1", 80);

    expect_addr_bad("");
    expect_addr_bad("127.0.0.1");  /* no port */
    expect_addr_bad("127.0.0.1:"); /* empty port */
    expect_addr_bad("host:");      /* empty port */
    expect_addr_bad(":80");        /* no host */
    expect_addr_bad("[::1]");      /* v6 without port */
    expect_addr_bad("[::1]:");     /* v6 with an empty port */
    expect_addr_bad("[]:80");      /* empty v6 */
    expect_addr_bad("[::1:80");    /* unclosed bracket */
    expect_addr_bad("127.0.0.1:65536");
    expect_addr_bad("127.0.0.1:99999999999999999999999");
    expect_addr_bad("127.0.0.1:-1");
    expect_addr_bad("127.0.0.1:+80");
    expect_addr_bad("127.0.0.1: 80");
    expect_addr_bad("127.0.0.1:80 ");
    expect_addr_bad("127.0.0.1:http");
    expect_addr_bad("127.0.0.1:0x50");

    /* only IP literals: names are refused (the listener binds exactly
     * what it is given), as are v6 literals without brackets */
    expect_addr_bad("localhost:80");
    expect_addr_bad("::1:80");
    expect_addr_bad("1.2.3.4]:80");
    expect_addr_bad("256.0.0.1:80");

    /* a host longer than the buffer is refused, never cut */
    memset(host, 'h', CONFIG_HOST_MAX - 1);
    host[CONFIG_HOST_MAX - 1] = '\0';
    snprintf(text, sizeof text, "%s:1", host);
    expect_addr_bad(text);
    snprintf(text, sizeof text, "[%s]:1", host);
    expect_addr_bad(text);
    memset(host, 'h', CONFIG_HOST_MAX);
    host[CONFIG_HOST_MAX] = '\0';
    snprintf(text, sizeof text, "%s:1", host);
    expect_addr_bad(text);
    snprintf(text, sizeof text, "[%s]:1", host);
    expect_addr_bad(text);
}

/* ---- config_parse_serve ---- */

/* The defaults of docs/OPERATIONS.md, "livelog serve". */
static void assert_defaults(const struct serve_config *c)
{
    assert_string_equal(c->data_dir, "/var/lib/livelog");
    assert_string_equal(c->write_host, "127.0.0.1");
    assert_int_equal(c->write_port, 60022);
    assert_string_equal(c->read_host, "0.0.0.0");
    assert_int_equal(c->read_port, 60023);
    assert_string_equal(c->tls_cert, "");
    assert_string_equal(c->tls_key, "");
    assert_string_equal(c->write_tls_cert, "");
    assert_string_equal(c->write_tls_key, "");
    assert_string_equal(c->tls_priorities, HTTP_DAEMON_TLS_PRIORITIES);
    assert_string_equal(c->key_dir, "");
    assert_true(c->token_leeway_s == 30);
    assert_int_equal(c->write_credentials, 0);
    assert_string_equal(c->cors_origins, "");
    assert_string_equal(c->public_url, "");
    assert_true(c->read_url_ttl_s == 86400);
    assert_int_equal(c->log_level, LOG_INFO);
    assert_int_equal(c->log_format, LOG_FORMAT_JSON);
    assert_int_equal(c->fsync, STORE_FSYNC_INTERVAL);
    assert_true(c->fsync_interval_ms == 1000);
    assert_true(c->writer_wait_s == 60);
    assert_true(c->max_streams == 100000);
    assert_true(c->max_stream_bytes == UINT64_C(4) << 30);
    assert_true(c->max_total_bytes == 0);
    assert_int_equal(c->over_limit_keep_tail, 0);
    assert_true(c->retention_s == 604800);
    assert_true(c->task_log_severity == 1);
    assert_string_equal(c->archive, "");
    assert_string_equal(c->archive_endpoint, "");
    assert_string_equal(c->archive_region, "us-east-1");
    assert_true(c->archive_path_style == 0);
    assert_string_equal(c->archive_access_key, "");
    assert_string_equal(c->archive_secret_key, "");
    assert_string_equal(c->archive_credentials, "");
    assert_true(c->archive_part_size == UINT64_C(8) << 20);
    assert_true(c->archive_workers == 2);
    assert_true(c->archive_local_retention_s == 3600);
    assert_true(c->archive_read_through == 0);
    assert_true(c->archive_redirect_public == 0);
    assert_true(c->max_connections == 32768);
    assert_true(c->read_timeout_s == 60);
}

/* The values of settings[].good, as parsed. */
static void assert_goods(const struct serve_config *c)
{
    assert_string_equal(c->data_dir, "/srv/ll");
    assert_string_equal(c->write_host, "127.0.0.1");
    assert_int_equal(c->write_port, 1);
    assert_string_equal(c->read_host, "::1");
    assert_int_equal(c->read_port, 2);
    assert_string_equal(c->tls_cert, "/c.pem");
    assert_string_equal(c->tls_key, "/k.pem");
    assert_string_equal(c->write_tls_cert, "/wc.pem");
    assert_string_equal(c->write_tls_key, "/wk.pem");
    assert_string_equal(c->tls_priorities, "SECURE256");
    assert_string_equal(c->key_dir, "/keys");
    assert_true(c->token_leeway_s == 5);
    assert_int_equal(c->write_credentials, 1);
    assert_string_equal(c->cors_origins,
                        "https://ui.example.com,http://localhost:3000");
    assert_string_equal(c->public_url, "https://ll.example:8443/logs");
    assert_true(c->read_url_ttl_s == 3600);
    assert_int_equal(c->log_level, LOG_DEBUG);
    assert_int_equal(c->log_format, LOG_FORMAT_CONSOLE);
    assert_int_equal(c->fsync, STORE_FSYNC_ALWAYS);
    assert_true(c->fsync_interval_ms == 250);
    assert_true(c->writer_wait_s == 5);
    assert_true(c->max_streams == 10);
    assert_true(c->max_stream_bytes == 65536);
    assert_true(c->max_total_bytes == UINT64_C(1) << 40);
    assert_int_equal(c->over_limit_keep_tail, 1);
    assert_true(c->retention_s == 0);
    assert_true(c->task_log_severity == 0);
    assert_string_equal(c->archive, "s3://bucket/logs");
    assert_string_equal(c->archive_endpoint, "http://127.0.0.1:9000");
    assert_string_equal(c->archive_region, "eu-west-1");
    assert_true(c->archive_path_style == 1);
    assert_string_equal(c->archive_access_key, "AKID");
    assert_string_equal(c->archive_secret_key, "sk");
    assert_string_equal(c->archive_credentials, "/creds");
    assert_true(c->archive_part_size == UINT64_C(16) << 20);
    assert_true(c->archive_workers == 4);
    assert_true(c->archive_local_retention_s == 0);
    assert_true(c->archive_read_through == 1);
    assert_true(c->archive_redirect_public == 1);
    assert_true(c->max_connections == 16);
    assert_true(c->read_timeout_s == 1);
}

static void test_defaults(void **state)
{
    struct serve_config cfg;

    (void)state;
    memset(&cfg, 0x5c, sizeof cfg);
    expect_ok(&cfg, NOARGS);
    assert_defaults(&cfg);
    /* an empty variable counts as unset */
    for (size_t i = 0; i < NSETTINGS; i++)
        assert_int_equal(setenv(settings[i].env, "", 1), 0);
    memset(&cfg, 0x5c, sizeof cfg);
    expect_ok(&cfg, NOARGS);
    assert_defaults(&cfg);
}

static void test_env(void **state)
{
    struct serve_config cfg;

    (void)state;
    for (size_t i = 0; i < NSETTINGS; i++)
        assert_int_equal(setenv(settings[i].env, settings[i].good, 1), 0);
    expect_ok(&cfg, NOARGS);
    assert_goods(&cfg);

    /* one at a time: only that setting moves */
    clear_env();
    assert_int_equal(setenv("LIVELOG_WRITER_WAIT", "0", 1), 0);
    expect_ok(&cfg, NOARGS);
    assert_true(cfg.writer_wait_s == 0);
    cfg.writer_wait_s = 60;
    assert_defaults(&cfg);
    clear_env();
    assert_int_equal(setenv("LIVELOG_LOG_LEVEL", "WARN", 1), 0);
    expect_ok(&cfg, NOARGS);
    assert_int_equal(cfg.log_level, LOG_WARNING);
}

static void test_flags(void **state)
{
    struct serve_config cfg;
    const char *eq[NSETTINGS + 1];
    char eqbuf[NSETTINGS][128];

    (void)state;
    for (size_t i = 0; i < NSETTINGS; i++) {
        snprintf(eqbuf[i], sizeof eqbuf[i], "--%s=%s", settings[i].flag,
                 settings[i].good);
        eq[i] = eqbuf[i];
    }
    eq[NSETTINGS] = NULL;

    /* "--flag=value", all at once (in a bigger argv than MAX_ARGS) */
    {
        char *argv[NSETTINGS + 2];
        char err[256] = "";

        argv[0] = strdup("serve");
        for (size_t i = 0; i < NSETTINGS; i++)
            argv[i + 1] = strdup(eq[i]);
        argv[NSETTINGS + 1] = NULL;
        assert_int_equal(config_parse_serve((int)NSETTINGS + 1, argv, &cfg,
                                            stdout, err, sizeof err),
                         0);
        assert_goods(&cfg);
        for (size_t i = 0; i < NSETTINGS + 1; i++)
            free(argv[i]);
    }
    /* "--flag value", all at once */
    {
        char *argv[2 * NSETTINGS + 2];
        char err[256] = "";
        char flag[64];

        argv[0] = strdup("serve");
        for (size_t i = 0; i < NSETTINGS; i++) {
            snprintf(flag, sizeof flag, "--%s", settings[i].flag);
            argv[2 * i + 1] = strdup(flag);
            argv[2 * i + 2] = strdup(settings[i].good);
        }
        argv[2 * NSETTINGS + 1] = NULL;
        assert_int_equal(config_parse_serve((int)(2 * NSETTINGS + 1), argv,
                                            &cfg, stdout, err, sizeof err),
                         0);
        assert_goods(&cfg);
        for (size_t i = 0; i < 2 * NSETTINGS + 1; i++)
            free(argv[i]);
    }

    /* one flag at a time, each form: only that setting moves */
    expect_ok(&cfg, ARGS("--writer-wait", "7"));
    assert_true(cfg.writer_wait_s == 7);
    expect_ok(&cfg, ARGS("--writer-wait=8"));
    assert_true(cfg.writer_wait_s == 8);
    cfg.writer_wait_s = 60;
    assert_defaults(&cfg);

    /* the last of a repeated flag wins */
    expect_ok(&cfg, ARGS("--writer-wait=1", "--writer-wait", "2"));
    assert_true(cfg.writer_wait_s == 2);
    /* a value may hold '=' and may look like a flag */
    expect_ok(&cfg, ARGS("--tls-priorities=a=b"));
    assert_string_equal(cfg.tls_priorities, "a=b");
    expect_ok(&cfg, ARGS("--tls-priorities", "--fsync"));
    assert_string_equal(cfg.tls_priorities, "--fsync");
    /* limits of the ranges, inclusive */
    expect_ok(&cfg, ARGS("--fsync-interval=1", "--writer-wait=86400",
                         "--max-connections=1000000", "--read-timeout=0",
                         "--max-streams=100000000"));
    assert_true(cfg.fsync_interval_ms == 1);
    assert_true(cfg.writer_wait_s == 86400);
    assert_true(cfg.max_connections == 1000000);
    assert_true(cfg.read_timeout_s == 0);
    assert_true(cfg.max_streams == 100000000);
    expect_ok(&cfg,
              ARGS("--fsync-interval=3600000", "--retention=18446744073709551",
                   "--max-stream-bytes=1", "--fsync=never",
                   "--log-level=trace"));
    assert_true(cfg.fsync_interval_ms == 3600000);
    assert_true(cfg.retention_s == UINT64_MAX / 1000);
    assert_true(cfg.max_stream_bytes == 1);
    assert_int_equal(cfg.fsync, STORE_FSYNC_NEVER);
    assert_int_equal(cfg.log_level, LOG_TRACE);
    /* a string of 1023 bytes fits */
    long_secret[1023] = '\0';
    expect_ok(&cfg, ARGS("--tls-priorities", long_secret));
    assert_int_equal(strlen(cfg.tls_priorities), 1023);
    long_secret[1023] = 's';
}

static void test_flags_win(void **state)
{
    struct serve_config cfg;

    (void)state;
    assert_int_equal(setenv("LIVELOG_WRITER_WAIT", "5", 1), 0);
    assert_int_equal(setenv("LIVELOG_FSYNC", "never", 1), 0);
    assert_int_equal(setenv("LIVELOG_READ_ADDR", "127.0.0.2:9", 1), 0);
    expect_ok(&cfg, ARGS("--writer-wait", "7", "--read-addr=[::]:10"));
    assert_true(cfg.writer_wait_s == 7);
    assert_string_equal(cfg.read_host, "::");
    assert_int_equal(cfg.read_port, 10);
    assert_int_equal(cfg.fsync, STORE_FSYNC_NEVER); /* env, no flag */

    /* every setting: env says good, the flag says the default back */
    static const char *const defaults[NSETTINGS] = {
        "/var/lib/livelog",
        "127.0.0.1:60022",
        "0.0.0.0:60023",
        "",
        "",
        "",
        "",
        HTTP_DAEMON_TLS_PRIORITIES,
        "",
        "30",
        "none",
        "",
        "",
        "86400",
        "info",
        "json",
        "interval",
        "1000",
        "60",
        "100000",
        "4G",
        "0",
        "reject",
        "604800",
        "on",
        "",
        "",
        "us-east-1",
        "off",
        "",
        "",
        "",
        "8M",
        "2",
        "3600",
        "off",
        "off",
        "32768",
        "60",
    };
    clear_env();
    for (size_t i = 0; i < NSETTINGS; i++)
        assert_int_equal(setenv(settings[i].env, settings[i].good, 1), 0);
    {
        char *argv[NSETTINGS + 2];
        char flag[256];
        char err[256] = "";

        argv[0] = strdup("serve");
        for (size_t i = 0; i < NSETTINGS; i++) {
            snprintf(flag, sizeof flag, "--%s=%s", settings[i].flag,
                     defaults[i]);
            argv[i + 1] = strdup(flag);
        }
        argv[NSETTINGS + 1] = NULL;
        int rc = config_parse_serve((int)NSETTINGS + 1, argv, &cfg, stdout, err,
                                    sizeof err);
        if (rc != 0)
            fail_msg("refused: %s", err);
        assert_defaults(&cfg);
        for (size_t i = 0; i < NSETTINGS + 1; i++)
            free(argv[i]);
    }
}

static void test_bad_values(void **state)
{
    char flag[64], eqflag[4200];

    (void)state;
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        const char *bad = expand(s->bad);

        snprintf(flag, sizeof flag, "--%s", s->flag);
        snprintf(eqflag, sizeof eqflag, "--%s=%s", s->flag, bad);
        /* the message: "--flag wants <what>" */
        char want[64];
        snprintf(want, sizeof want, "--%s wants ", s->flag);
        expect_error(ARGS(flag, bad), want, s->wants);
        expect_error(ARGS(eqflag), want, s->wants);
        /* an empty value is refused for every kind but paths and the
         * secret (where it means "none") */
        snprintf(eqflag, sizeof eqflag, "--%s=", s->flag);
        if (strcmp(s->wants, "a path") != 0 &&
            strcmp(s->flag, "cors-origins") != 0 &&
            strcmp(s->flag, "public-url") != 0 &&
            strcmp(s->flag, "archive") != 0 &&
            strcmp(s->flag, "archive-endpoint") != 0 &&
            strncmp(s->flag, "archive-access", 14) != 0 &&
            strncmp(s->flag, "archive-secret", 14) != 0)
            expect_error(ARGS(eqflag), want, s->wants);
        /* the same value from the environment names the variable */
        clear_env();
        assert_int_equal(setenv(s->env, bad, 1), 0);
        snprintf(want, sizeof want, "%s wants ", s->env);
        expect_error(NOARGS, want, s->wants);
        clear_env();
    }
    /* more bad values per kind */
    expect_error(ARGS("--fsync-interval=3600001"), "--fsync-interval", NULL);
    expect_error(ARGS("--writer-wait=-1"), "--writer-wait", NULL);
    expect_error(ARGS("--max-streams=100000001"), "--max-streams", NULL);
    expect_error(ARGS("--max-connections=1000001"), "--max-connections", NULL);
    expect_error(ARGS("--read-timeout=99999999999999999999999"),
                 "--read-timeout", NULL);
    expect_error(ARGS("--max-stream-bytes=0"), "--max-stream-bytes", NULL);
    expect_error(ARGS("--max-stream-bytes=16777216T"), "--max-stream-bytes",
                 NULL);
    expect_error(ARGS("--write-addr=:80"), "--write-addr", NULL);
    expect_error(ARGS("--write-addr=[::1]"), "--write-addr", NULL);
    expect_error(ARGS("--log-format=JSON"), "--log-format", NULL);
    expect_error(ARGS("--fsync=Always"), "--fsync", NULL);
    expect_error(ARGS("--log-level="), "--log-level", NULL);
}

static void test_arg_errors(void **state)
{
    struct serve_config cfg;
    char err[256];

    (void)state;
    expect_error(ARGS("--bogus"), "unknown flag '--bogus'", NULL);
    expect_error(ARGS("--bogus", "1"), "unknown flag '--bogus'", NULL);
    expect_error(ARGS("--writer-wait=1", "--Writer-Wait=1"),
                 "unknown flag '--Writer-Wait'", NULL);
    expect_error(ARGS("--writer"), "unknown flag '--writer'", NULL);
    expect_error(ARGS("--writer-wait-s=1"), "unknown flag '--writer-wait-s'",
                 NULL);
    expect_error(ARGS("--=1"), "unknown flag '--'", NULL);
    expect_error(ARGS("--"), "unknown flag '--'", NULL);
    /* a mistyped secret flag does not echo the secret */
    memset(err, 0, sizeof err);
    assert_int_equal(
        run(&cfg, err, sizeof err, stdout, ARGS("--read-tokn=hunter2")),
        -EINVAL);
    assert_non_null(strstr(err, "unknown flag '--read-tokn'"));
    assert_null(strstr(err, "hunter2"));
    /* nor does a secret that is too long */
    memset(err, 0, sizeof err);
    assert_int_equal(run(&cfg, err, sizeof err, stdout,
                         ARGS("--tls-priorities", long_secret)),
                     -EINVAL);
    assert_null(strstr(err, "sssssssss"));

    /* not a flag */
    expect_error(ARGS("extra"), "unexpected argument 'extra'", NULL);
    expect_error(ARGS("-x"), "unexpected argument '-x'", NULL);
    expect_error(ARGS("--writer-wait=1", "serve"),
                 "unexpected argument 'serve'", NULL);

    /* a value missing at the end */
    expect_error(ARGS("--writer-wait"), "--writer-wait needs a value",
                 "a whole number");
    expect_error(ARGS("--fsync=never", "--data-dir"),
                 "--data-dir needs a value", "a path");
    expect_error(ARGS("--write-addr"), "--write-addr needs a value",
                 "HOST:PORT");

    /* the error message is cut to the buffer and NUL-terminated */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    assert_int_equal(run(&cfg, tiny, sizeof tiny, stdout, ARGS("--bogus")),
                     -EINVAL);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_tls_pair(void **state)
{
    struct serve_config cfg;

    (void)state;
    expect_error(ARGS("--tls-cert", "/c.pem"), "--tls-cert", "--tls-key");
    expect_error(ARGS("--tls-key=/k.pem"), "--tls-cert", "--tls-key");
    assert_int_equal(setenv("LIVELOG_TLS_CERT", "/c.pem", 1), 0);
    expect_error(NOARGS, "--tls-cert", "--tls-key");
    /* env and flag together make a pair */
    expect_ok(&cfg, ARGS("--tls-key=/k.pem"));
    assert_string_equal(cfg.tls_cert, "/c.pem");
    assert_string_equal(cfg.tls_key, "/k.pem");
    /* a flag can switch TLS off again ("--flag=" is empty) */
    expect_ok(&cfg, ARGS("--tls-cert="));
    assert_string_equal(cfg.tls_cert, "");
    assert_string_equal(cfg.tls_key, "");
    clear_env();
    expect_ok(&cfg, ARGS("--tls-cert=/c.pem", "--tls-key", "/k.pem"));
    assert_string_equal(cfg.tls_cert, "/c.pem");
    assert_string_equal(cfg.tls_key, "/k.pem");
}

/* Runs with --help (or -h) into a memory stream; returns the text. */
static char *help_text(const char *const *args)
{
    struct serve_config cfg;
    char err[256] = "untouched";
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    assert_non_null(out);
    assert_int_equal(run(&cfg, err, sizeof err, out, args), 1);
    assert_int_equal(fclose(out), 0);
    assert_non_null(text);
    assert_string_equal(err, "untouched");
    return text;
}

static void test_help(void **state)
{
    char needle[64];

    (void)state;
    assert_int_equal(setenv("LIVELOG_TLS_PRIORITIES", "hunter2", 1), 0);
    char *text = help_text(ARGS("--help"));
    assert_non_null(strstr(text, "Usage: livelog serve"));
    for (size_t i = 0; i < NSETTINGS; i++) {
        snprintf(needle, sizeof needle, "--%s ", settings[i].flag);
        if (strstr(text, needle) == NULL)
            fail_msg("--help lacks %s", needle);
        if (strstr(text, settings[i].env) == NULL)
            fail_msg("--help lacks %s", settings[i].env);
    }
    /* the documented defaults are shown */
    static const char *const shown[] = {
        "(default: /var/lib/livelog)",
        "(default: 127.0.0.1:60022)",
        "(default: 0.0.0.0:60023)",
        "(default: info)",
        "(default: json)",
        "(default: interval)",
        "(default: 1000)",
        "(default: 100000)",
        "(default: 4G)",
        "(default: reject)",
        "(default: 604800)",
        "(default: 32768)",
    };
    for (size_t i = 0; i < sizeof shown / sizeof *shown; i++)
        if (strstr(text, shown[i]) == NULL)
            fail_msg("--help lacks %s", shown[i]);
    /* one line per flag, and never the secret */
    size_t lines = 0;
    for (const char *p = text; (p = strstr(p, "\n  --")) != NULL; p++)
        lines++;
    assert_int_equal(lines, NSETTINGS + 1); /* and --config */
    assert_non_null(strstr(text, "--config "));
    assert_non_null(strstr(text, "LIVELOG_CONFIG"));
    assert_non_null(strstr(text, "(default: /etc/livelog/livelog.conf)"));
    assert_null(strstr(text, "hunter2"));
    free(text);

    /* -h, and --help after other flags */
    text = help_text(ARGS("-h"));
    assert_non_null(strstr(text, "--max-total-bytes"));
    free(text);
    text = help_text(ARGS("--writer-wait=1", "--help", "--bogus"));
    assert_non_null(strstr(text, "--read-timeout"));
    free(text);
}

/* The rules that tie settings together (docs/SECURITY.md). */
static void test_security_rules(void **state)
{
    struct serve_config cfg;

    (void)state;
    /* writes from the network need credentials and TLS */
    expect_error(ARGS("--write-addr=0.0.0.0:1"), "not a loopback address",
                 "--write-credentials=required");
    expect_error(ARGS("--write-addr=10.0.0.1:1", "--key-dir=/k",
                      "--write-credentials=required"),
                 "not a loopback address", "--write-tls-cert");
    expect_error(ARGS("--write-addr=[::]:1", "--write-tls-cert=/c",
                      "--write-tls-key=/k"),
                 "not a loopback address", NULL);
    expect_ok(&cfg, ARGS("--write-addr=0.0.0.0:1", "--key-dir=/k",
                         "--write-credentials=required", "--write-tls-cert=/c",
                         "--write-tls-key=/k"));
    /* loopback in all its forms needs nothing */
    expect_ok(&cfg, ARGS("--write-addr=127.0.0.2:1"));
    expect_ok(&cfg, ARGS("--write-addr=[::1]:1"));
    /* credentials need keys; certificates need keys */
    expect_error(ARGS("--write-credentials=required"), "needs --key-dir", NULL);
    expect_error(ARGS("--write-tls-cert=/c"),
                 "--write-tls-cert and --write-tls-key go together", NULL);
    /* origins: scheme, host, optional port, nothing more */
    assert_int_equal(config_check_origins("https://a.b"), 0);
    assert_int_equal(config_check_origins("http://[::1]:8080,https://x-y.z"),
                     0);
    assert_int_equal(config_check_origins(""), 0);
    assert_int_equal(config_check_origins("https://a.b/"), -EINVAL);
    assert_int_equal(config_check_origins("https://a.b,"), -EINVAL);
    assert_int_equal(config_check_origins("https://a.b:0"), -EINVAL);
    assert_int_equal(config_check_origins("https://a.b:65536"), -EINVAL);
    assert_int_equal(config_check_origins("*"), -EINVAL);
    assert_int_equal(config_check_origins("https://"), -EINVAL);
    assert_int_equal(config_check_origins("https://[::1"), -EINVAL);
    assert_int_equal(config_check_origins("javascript:alert(1)"), -EINVAL);
    assert_true(config_is_loopback("127.0.0.1"));
    assert_true(config_is_loopback("127.255.0.9"));
    assert_true(config_is_loopback("::1"));
    assert_false(config_is_loopback("0.0.0.0"));
    assert_false(config_is_loopback("::"));
    assert_false(config_is_loopback("128.0.0.1"));
}

/* ---- the configuration file ---- */

static char tmpdir[64];

/* Writes text into tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

struct seen {
    char keys[8][32];
    char values[8][64];
    size_t n;
    const char *refuse; /* a key to refuse */
};

static int collect(void *cls, const char *key, const char *value, char *err,
                   size_t cap)
{
    struct seen *s = cls;
    if (s->refuse != NULL && strcmp(key, s->refuse) == 0) {
        snprintf(err, cap, "no %s", key);
        return -EINVAL;
    }
    assert_true(s->n < 8);
    snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
    snprintf(s->values[s->n], sizeof s->values[0], "%s", value);
    s->n++;
    return 0;
}

static void test_file_syntax(void **state)
{
    char err[256];
    struct seen s;

    (void)state;
    char text[] = "# a comment\n"
                  "\n"
                  "   \t\n"
                  "  # an indented comment\n"
                  "a = 1\n"
                  "b=2\r\n"
                  "\tc   =   x y #not a comment  \n"
                  "d =\n"
                  "e = a=b";
    memset(&s, 0, sizeof s);
    assert_int_equal(config_file_parse(text, "F", collect, &s, err, sizeof err),
                     0);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.keys[0], "a");
    assert_string_equal(s.values[0], "1");
    assert_string_equal(s.keys[1], "b");
    assert_string_equal(s.values[1], "2");
    assert_string_equal(s.keys[2], "c");
    assert_string_equal(s.values[2], "x y #not a comment");
    assert_string_equal(s.keys[3], "d");
    assert_string_equal(s.values[3], "");
    assert_string_equal(s.keys[4], "e");
    assert_string_equal(s.values[4], "a=b");

    /* not key = value: the line number */
    char bad1[] = "a = 1\n\n# x\njust words\n";
    memset(&s, 0, sizeof s);
    assert_int_equal(
        config_file_parse(bad1, "/etc/x.conf", collect, &s, err, sizeof err),
        -EINVAL);
    assert_string_equal(err, "/etc/x.conf:4: not a `key = value` line");
    char bad2[] = "a = 1\n = 2\n";
    assert_int_equal(config_file_parse(bad2, "F", collect, &s, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "F:2: "));
    /* the callback's refusal, prefixed */
    char bad3[] = "a = 1\nb = 2\nc = 3\n";
    memset(&s, 0, sizeof s);
    s.refuse = "c";
    assert_int_equal(config_file_parse(bad3, "F", collect, &s, err, sizeof err),
                     -EINVAL);
    assert_string_equal(err, "F:3: no c");
    /* empty text */
    char empty[] = "";
    memset(&s, 0, sizeof s);
    assert_int_equal(
        config_file_parse(empty, "F", collect, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 0);
}

static void test_file_read(void **state)
{
    char err[256];
    char *text = NULL;

    (void)state;
    /* missing: fine only when allowed */
    assert_int_equal(
        config_file_read("/nonexistent/x.conf", true, &text, err, sizeof err),
        0);
    assert_null(text);
    assert_int_equal(
        config_file_read("/nonexistent/x.conf", false, &text, err, sizeof err),
        -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.conf"));
    assert_null(text);
    /* /dev/null is an empty file */
    assert_int_equal(
        config_file_read("/dev/null", false, &text, err, sizeof err), 0);
    assert_string_equal(text, "");
    free(text);
    text = NULL;
    /* a directory, a NUL byte, more than 1 MiB */
    assert_int_equal(config_file_read(tmpdir, false, &text, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "not a text file"));
    const char *p = write_file("nul.conf", "a = 1\n");
    FILE *f = fopen(p, "a");
    assert_non_null(f);
    assert_int_equal(fputc('\0', f), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(config_file_read(p, false, &text, err, sizeof err),
                     -EINVAL);
    p = write_file("big.conf", "");
    assert_int_equal(truncate(p, CONFIG_FILE_MAX + 1), 0);
    assert_int_equal(config_file_read(p, false, &text, err, sizeof err),
                     -EFBIG);
    assert_non_null(strstr(err, "larger than 1 MiB"));
    assert_null(text);
}

/* Every setting from the file gives what its variable gives; every bad
 * value is refused with FILE:LINE and what it wants. */
static void test_file_settings(void **state)
{
    struct serve_config cfg;
    char text[16384] = "# every setting\n";
    char line[4300];

    (void)state;
    for (size_t i = 0; i < NSETTINGS; i++) {
        snprintf(line, sizeof line, "%s = %s\n", settings[i].flag,
                 settings[i].good);
        strncat(text, line, sizeof text - strlen(text) - 1);
    }
    const char *p = write_file("all.conf", text);
    assert_int_equal(setenv("LIVELOG_CONFIG", p, 1), 0);
    expect_ok(&cfg, NOARGS);
    assert_goods(&cfg);
    assert_string_equal(cfg.config_file, p);
    /* the same through --config */
    clear_env();
    expect_ok(&cfg, ARGS("--config", p));
    assert_goods(&cfg);
    expect_ok(&cfg, ARGS("--config=/dev/null", "--config", p));
    assert_goods(&cfg);

    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        snprintf(line, sizeof line, "# a bad one on line 3\n\n  %s = %s\n",
                 s->flag, expand(s->bad));
        p = write_file("bad.conf", line);
        char want[160];
        snprintf(want, sizeof want, "%s:3: %s wants ", p, s->flag);
        expect_error(ARGS("--config", p), want, s->wants);
        /* refused even when a flag overrides it */
        char flag[4200];
        snprintf(flag, sizeof flag, "--%s=%s", s->flag, s->good);
        expect_error(ARGS("--config", p, flag), want, s->wants);
    }
}

static void test_file_refusals(void **state)
{
    char want[160];

    (void)state;
    const char *p = write_file("unknown.conf", "max-streams = 5\nbogus = 1\n");
    snprintf(want, sizeof want, "%s:2: unknown key 'bogus'", p);
    expect_error(ARGS("--config", p), want, NULL);
    p = write_file("dashes.conf", "--max-streams = 5\n");
    snprintf(want, sizeof want, "%s:1: unknown key '--max-streams'", p);
    expect_error(ARGS("--config", p), want, NULL);
    p = write_file("case.conf", "Max-Streams = 5\n");
    expect_error(ARGS("--config", p), "unknown key 'Max-Streams'", NULL);
    p = write_file("noeq.conf", "\n\nmax-streams 5\n");
    snprintf(want, sizeof want, "%s:3: not a `key = value` line", p);
    expect_error(ARGS("--config", p), want, NULL);
    p = write_file("config.conf", "config = /etc/other.conf\n");
    expect_error(ARGS("--config", p), ":1: 'config' cannot be set", NULL);
    p = write_file("empty.conf", "max-streams =\n");
    expect_error(ARGS("--config", p), ":1: max-streams wants", NULL);
    /* the rules that tie settings together hold for the file too */
    p = write_file("pair.conf", "tls-cert = /c.pem\n");
    expect_error(ARGS("--config", p), "--tls-cert and --tls-key", NULL);
    /* an explicit file must exist: flag or variable */
    expect_error(ARGS("--config", "/nonexistent/livelog.conf"),
                 "cannot read the configuration file "
                 "/nonexistent/livelog.conf",
                 "No such file");
    assert_int_equal(setenv("LIVELOG_CONFIG", "/nonexistent/l.conf", 1), 0);
    expect_error(NOARGS, "/nonexistent/l.conf", NULL);
    expect_error(ARGS("--config", tmpdir), "not a text file", NULL);
    clear_env();
    expect_error(ARGS("--config"), "--config needs a value", "a path");
}

/* flags > environment > file > defaults, setting by setting. */
static void test_file_precedence(void **state)
{
    struct serve_config cfg;

    (void)state;
    const char *p = write_file("prec.conf", "max-streams = 7\n"
                                            "writer-wait = 8\n"
                                            "retention = 9\n"
                                            "log-level = debug\n");
    assert_int_equal(setenv("LIVELOG_CONFIG", p, 1), 0);
    assert_int_equal(setenv("LIVELOG_WRITER_WAIT", "18", 1), 0);
    assert_int_equal(setenv("LIVELOG_RETENTION", "19", 1), 0);
    expect_ok(&cfg, ARGS("--retention=29"));
    assert_true(cfg.max_streams == 7);    /* file over the default */
    assert_true(cfg.writer_wait_s == 18); /* variable over the file */
    assert_true(cfg.retention_s == 29);   /* flag over both */
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_true(cfg.read_timeout_s == 60); /* the default */
    /* a later line of the file wins over an earlier one */
    p = write_file("twice.conf", "max-streams = 7\nmax-streams = 70\n");
    expect_ok(&cfg, ARGS("--config", p));
    assert_true(cfg.max_streams == 70);
    /* --config wins over LIVELOG_CONFIG */
    clear_env();
    assert_int_equal(setenv("LIVELOG_CONFIG", "/nonexistent/x", 1), 0);
    expect_ok(&cfg, ARGS("--config", p));
    assert_true(cfg.max_streams == 70);
    /* no file at all: the defaults (the default path may be missing) */
    clear_env();
    assert_int_equal(unsetenv("LIVELOG_CONFIG"), 0);
    if (access(CONFIG_FILE_DEFAULT, F_OK) != 0) {
        expect_ok(&cfg, NOARGS);
        assert_defaults(&cfg);
        assert_string_equal(cfg.config_file, "");
    }
    clear_env();
}

/* The table as the man pages and the completion see it. */
static void test_options_view(void **state)
{
    struct config_option o;
    size_t n = 0;

    (void)state;
    while (config_serve_option(n, &o)) {
        assert_non_null(o.flag);
        assert_non_null(o.help);
        assert_non_null(o.arg);
        bool known = n == 0;
        for (size_t i = 0; i < NSETTINGS && !known; i++)
            known = strcmp(o.flag, settings[i].flag) == 0;
        if (!known)
            fail_msg("--%s is not in the test's table", o.flag);
        n++;
    }
    assert_int_equal(n, NSETTINGS + 1);
    assert_true(config_serve_option(0, &o));
    assert_string_equal(o.flag, "config");
    assert_string_equal(o.def, CONFIG_FILE_DEFAULT);
}

static int file_group_setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_config.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    return group_setup(state);
}

static int file_group_teardown(void **state)
{
    static const char *const names[] = {
        "nul.conf",    "big.conf",  "all.conf",  "bad.conf",    "unknown.conf",
        "dashes.conf", "case.conf", "noeq.conf", "config.conf", "empty.conf",
        "pair.conf",   "prec.conf", "twice.conf"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    unsetenv("LIVELOG_CONFIG");
    return group_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_size, test_setup),
        cmocka_unit_test_setup(test_addr, test_setup),
        cmocka_unit_test_setup(test_defaults, test_setup),
        cmocka_unit_test_setup(test_env, test_setup),
        cmocka_unit_test_setup(test_flags, test_setup),
        cmocka_unit_test_setup(test_flags_win, test_setup),
        cmocka_unit_test_setup(test_bad_values, test_setup),
        cmocka_unit_test_setup(test_arg_errors, test_setup),
        cmocka_unit_test_setup(test_tls_pair, test_setup),
        cmocka_unit_test_setup(test_help, test_setup),
        cmocka_unit_test_setup(test_security_rules, test_setup),
        cmocka_unit_test_setup(test_file_syntax, test_setup),
        cmocka_unit_test_setup(test_file_read, test_setup),
        cmocka_unit_test_setup(test_file_settings, test_setup),
        cmocka_unit_test_setup(test_file_refusals, test_setup),
        cmocka_unit_test_setup(test_file_precedence, test_setup),
        cmocka_unit_test_setup(test_options_view, test_setup),
    };

    return cmocka_run_group_tests(tests, file_group_setup, file_group_teardown);
}
