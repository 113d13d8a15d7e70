/* fuzz_config: the configuration of `livelog serve` (src/config.c):
 * config_parse_serve over flags (and LIVELOG_* variables) as main() hands
 * them over, and the value parsers it uses. The first byte picks:
 *  0  argv: the rest, NUL-separated, after "serve"; an argument
 *     "ENV:NAME=VALUE" sets LIVELOG_NAME instead (unset afterwards; every
 *     LIVELOG_* variable of the fuzzing process is cleared at start).
 *     Properties: only 0, 1 (--help) or -EINVAL; a refusal says why in a
 *     NUL-terminated message that never holds the value of a secret flag
 *     (--archive-secret-access-key, --archive-access-key-id); an accepted
 *     configuration keeps every setting in its documented range, NUL-
 *     terminated, the TLS pairs together, a non-loopback write address
 *     only with credentials and TLS; parsing twice gives the same bytes.
 *  1  config_parse_size: equals digits times the suffix's power of 1024,
 *     -ERANGE only for a well-formed number too big, output untouched on
 *     failure.
 *  2  config_parse_addr: an accepted address has a host inet_pton takes
 *     and a port <= 65535, and printed back parses to the same.
 *  3  config_check_origins: accepted lists are origins joined by single
 *     commas, each accepted alone.
 *  4  the configuration file: the rest is written to a file read with
 *     --config. Properties: 0 or -EINVAL; a refusal of a line names the
 *     file and a line number the text has; an accepted file keeps every
 *     setting in range (as in 0) and gives exactly the configuration of
 *     the same `key = value` pairs passed as --key=value flags (the file
 *     and the flags can never disagree). */
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

#define ARGS_MAX 16

extern char **environ;

static FILE *devnull;

static void init(void)
{
    if (devnull != NULL)
        return;
    log_init(2, LOG_FATAL, LOG_FORMAT_JSON);
    devnull = fopen("/dev/null", "w");
    FUZZ_CHECK(devnull != NULL);
    /* Only what the input sets. */
    for (bool again = true; again;) {
        again = false;
        for (char **e = environ; *e != NULL; e++) {
            if (strncmp(*e, "LIVELOG_", 8) != 0)
                continue;
            char name[256];
            size_t n = strcspn(*e, "=");
            if (n >= sizeof name)
                continue;
            memcpy(name, *e, n);
            name[n] = '\0';
            unsetenv(name);
            again = true;
            break;
        }
    }
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_config(const struct serve_config *c)
{
    FUZZ_CHECK(terminated(c->data_dir, sizeof c->data_dir) &&
               c->data_dir[0] != '\0');
    FUZZ_CHECK(terminated(c->write_host, sizeof c->write_host));
    FUZZ_CHECK(terminated(c->read_host, sizeof c->read_host));
    FUZZ_CHECK(terminated(c->tls_priorities, sizeof c->tls_priorities) &&
               c->tls_priorities[0] != '\0');
    FUZZ_CHECK(terminated(c->cors_origins, sizeof c->cors_origins));
    FUZZ_CHECK(terminated(c->public_url, sizeof c->public_url));
    FUZZ_CHECK(terminated(c->archive, sizeof c->archive));
    FUZZ_CHECK(terminated(c->archive_secret_key, sizeof c->archive_secret_key));
    FUZZ_CHECK((c->tls_cert[0] == '\0') == (c->tls_key[0] == '\0'));
    FUZZ_CHECK((c->write_tls_cert[0] == '\0') == (c->write_tls_key[0] == '\0'));
    FUZZ_CHECK(!c->write_credentials || c->key_dir[0] != '\0');
    FUZZ_CHECK(config_is_loopback(c->write_host) ||
               (c->write_credentials && c->write_tls_cert[0] != '\0'));
    FUZZ_CHECK(c->token_leeway_s <= 600);
    FUZZ_CHECK(c->read_url_ttl_s >= 60 && c->read_url_ttl_s <= 31536000);
    FUZZ_CHECK(c->fsync_interval_ms >= 1 && c->fsync_interval_ms <= 3600000);
    FUZZ_CHECK(c->writer_wait_s <= 86400);
    FUZZ_CHECK(c->max_streams >= 1 && c->max_streams <= 100000000);
    FUZZ_CHECK(c->max_stream_bytes >= 1);
    FUZZ_CHECK(c->archive_part_size >= (UINT64_C(5) << 20) &&
               c->archive_part_size <= (UINT64_C(5) << 30));
    FUZZ_CHECK(c->archive_workers >= 1 && c->archive_workers <= 16);
    FUZZ_CHECK(c->max_connections >= 16 && c->max_connections <= 1000000);
    FUZZ_CHECK(c->read_timeout_s <= 86400);
    FUZZ_CHECK(c->task_log_severity <= 1 && c->archive_path_style <= 1 &&
               c->archive_read_through <= 1 && c->archive_redirect_public <= 1);
    FUZZ_CHECK(c->cors_origins[0] == '\0' ||
               config_check_origins(c->cors_origins) == 0);
}

/* True when secret value v is made only of bytes no message template
 * has (non-ASCII) and no other argument contains it, so finding it in a
 * message can only mean the value itself was echoed (a value with ASCII
 * in it could be spelled by a template next to an echoed argument). */
static bool telltale(char **argv, int argc, const char *v)
{
    for (const char *p = v; *p != '\0'; p++)
        if ((unsigned char)*p < 0x80)
            return false;
    for (int i = 1; i < argc; i++)
        if (argv[i] != v && strstr(argv[i], v) != NULL &&
            argv[i] + strlen(argv[i]) - strlen(v) != v)
            return false;
    return true;
}

/* Walks argv as config_parse_serve does (a flag without '=' takes the
 * next argument as its value) and checks that no telltale value of a
 * secret flag is in err. */
static void check_no_secret(char **argv, int argc, const char *err)
{
    static const char *const secrets[] = {"archive-secret-access-key",
                                          "archive-access-key-id"};
    for (int a = 1; a < argc; a++) {
        if (strncmp(argv[a], "--", 2) != 0)
            return; /* the parser stops here */
        const char *name = argv[a] + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const char *v = eq != NULL ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
        for (size_t i = 0; i < 2 && v != NULL; i++)
            if (strlen(secrets[i]) == nlen &&
                memcmp(secrets[i], name, nlen) == 0 && v[0] != '\0' &&
                telltale(argv, argc, v))
                FUZZ_CHECK(strstr(err, v) == NULL);
    }
}

static void mode_argv(struct fuzz_in *in)
{
    char *argv[ARGS_MAX + 2];
    char *envs[ARGS_MAX];
    int argc = 0, nenv = 0;
    argv[argc++] = fuzz_strndup("serve", 5);
    while (in->n > 0 && argc <= ARGS_MAX && nenv < ARGS_MAX) {
        size_t len = 0;
        const uint8_t *p = fuzz_take_until(in, 0, &len);
        char *s = fuzz_strndup(p, len);
        char *eq = strchr(s, '=');
        if (strncmp(s, "ENV:", 4) == 0 && eq != NULL && eq > s + 4) {
            char name[300];
            snprintf(name, sizeof name, "LIVELOG_%.*s", (int)(eq - s - 4),
                     s + 4);
            setenv(name, eq + 1, 1);
            envs[nenv++] = fuzz_strndup(name, strlen(name));
            free(s);
            continue;
        }
        argv[argc++] = s;
    }
    argv[argc] = NULL;

    struct serve_config *c1 = malloc(sizeof *c1), *c2 = malloc(sizeof *c2);
    FUZZ_CHECK(c1 != NULL && c2 != NULL);
    char err[512];
    memset(err, 'Z', sizeof err);
    int rc = config_parse_serve(argc, argv, c1, devnull, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == -EINVAL);
    if (rc == -EINVAL) {
        FUZZ_CHECK(terminated(err, sizeof err) && err[0] != '\0' &&
                   err[0] != 'Z');
        check_no_secret(argv, argc, err);
    } else if (rc == 0) {
        check_config(c1);
        char err2[512];
        FUZZ_CHECK(config_parse_serve(argc, argv, c2, devnull, err2,
                                      sizeof err2) == 0);
        FUZZ_CHECK(memcmp(c1, c2, sizeof *c1) == 0);
    }
    free(c1);
    free(c2);
    for (int i = 0; i < nenv; i++) {
        unsetenv(envs[i]);
        free(envs[i]);
    }
    for (int i = 0; i < argc; i++)
        free(argv[i]);
}

static void mode_size(const char *s)
{
    uint64_t v = 77;
    int rc = config_parse_size(s, &v);
    size_t len = strlen(s);
    unsigned shift = 0;
    if (len > 0) {
        const char *suf = strchr("KkMmGgTt", s[len - 1]);
        if (suf != NULL && s[len - 1] != '\0') {
            shift = 10 * (1 + (unsigned)(suf - "KkMmGgTt") / 2);
            len--;
        }
    }
    bool digits = len > 0;
    unsigned __int128 want = 0;
    for (size_t i = 0; i < len && digits; i++) {
        if (s[i] < '0' || s[i] > '9')
            digits = false;
        else if (want <= UINT64_MAX)
            want = want * 10 + (unsigned)(s[i] - '0');
    }
    if (!digits) {
        FUZZ_CHECK(rc == -EINVAL && v == 77);
        return;
    }
    want <<= shift;
    if (want > UINT64_MAX) {
        FUZZ_CHECK(rc == -ERANGE && v == 77);
        return;
    }
    FUZZ_CHECK(rc == 0 && v == (uint64_t)want);
}

static void mode_addr(const char *s)
{
    char host[CONFIG_HOST_MAX];
    uint16_t port = 7;
    memset(host, 'Z', sizeof host);
    int rc = config_parse_addr(s, host, sizeof host, &port);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(port == 7 && host[0] == 'Z');
        return;
    }
    FUZZ_CHECK(terminated(host, sizeof host));
    bool v6 = strchr(host, ':') != NULL;
    char again[CONFIG_HOST_MAX + 16];
    snprintf(again, sizeof again, v6 ? "[%s]:%u" : "%s:%u", host,
             (unsigned)port);
    char host2[CONFIG_HOST_MAX];
    uint16_t port2 = 0;
    FUZZ_CHECK(config_parse_addr(again, host2, sizeof host2, &port2) == 0);
    FUZZ_CHECK(strcmp(host, host2) == 0 && port == port2);
    (void)config_is_loopback(host);
}

static void mode_origins(const char *s)
{
    int rc = config_check_origins(s);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0)
        return;
    size_t len = strlen(s);
    FUZZ_CHECK(len == 0 || (s[0] != ',' && s[len - 1] != ','));
    const char *p = s;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        FUZZ_CHECK(n > 0 && config_check_origin(p, n) == 0);
        p += n;
        if (*p == ',')
            p++;
    }
}

#define FILE_PAIRS_MAX 64

struct file_pairs {
    char *argv[FILE_PAIRS_MAX + 3];
    int argc;
};

/* config_file_fn: each accepted line becomes the flag --key=value. */
static int collect_pair(void *cls, const char *key, const char *value,
                        char *err, size_t cap)
{
    struct file_pairs *fp = cls;
    if (fp->argc >= FILE_PAIRS_MAX + 2) {
        snprintf(err, cap, "too many lines for the fuzz target");
        return -EINVAL;
    }
    size_t len = strlen(key) + strlen(value) + 4;
    char *flag = malloc(len);
    FUZZ_CHECK(flag != NULL);
    snprintf(flag, len, "--%s=%s", key, value);
    fp->argv[fp->argc++] = flag;
    return 0;
}

/* The configuration the flags in fp give, with an empty file. */
static int parse_as_flags(struct file_pairs *fp, struct serve_config *c)
{
    char err[512];
    fp->argv[fp->argc] = NULL;
    return config_parse_serve(fp->argc, fp->argv, c, devnull, err, sizeof err);
}

static unsigned count_lines(const uint8_t *p, size_t n)
{
    unsigned lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += p[i] == '\n';
    return lines;
}

/* A refusal that names the file must name a line the text has. */
static void check_line_number(const char *err, const char *path,
                              const struct fuzz_in *in)
{
    size_t plen = strlen(path);
    if (strncmp(err, path, plen) != 0 || err[plen] != ':')
        return;
    char *end = NULL;
    unsigned long line = strtoul(err + plen + 1, &end, 10);
    FUZZ_CHECK(end != NULL && *end == ':');
    FUZZ_CHECK(line >= 1 && line <= count_lines(in->p, in->n));
}

static char file_path[64];

static void remove_file(void)
{
    unlink(file_path);
}

static void mode_file(const struct fuzz_in *in)
{
    const char *path = file_path;
    if (file_path[0] == '\0') {
        snprintf(file_path, sizeof file_path,
                 "/tmp/livelog-fuzz-config-%ld.conf", (long)getpid());
        atexit(remove_file);
    }
    FILE *f = fopen(path, "w");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(in->p, 1, in->n, f) == in->n && fclose(f) == 0);
    char arg[96];
    snprintf(arg, sizeof arg, "--config=%s", path);
    char *argv[] = {"serve", arg, NULL};
    struct serve_config *c1 = malloc(sizeof *c1), *c2 = malloc(sizeof *c2);
    FUZZ_CHECK(c1 != NULL && c2 != NULL);
    char err[512];
    memset(err, 'Z', sizeof err);
    int rc = config_parse_serve(2, argv, c1, devnull, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(terminated(err, sizeof err) && err[0] != 'Z');
        check_line_number(err, path, in);
    } else {
        check_config(c1);
        char *text = fuzz_strndup(in->p, in->n);
        struct file_pairs fp = {.argv = {"serve", "--config=/dev/null"},
                                .argc = 2};
        if (config_file_parse(text, path, collect_pair, &fp, err, sizeof err) ==
            0) {
            FUZZ_CHECK(parse_as_flags(&fp, c2) == 0);
            memset(c1->config_file, 0, sizeof c1->config_file);
            memset(c2->config_file, 0, sizeof c2->config_file);
            FUZZ_CHECK(memcmp(c1, c2, sizeof *c1) == 0);
        }
        for (int i = 2; i < fp.argc; i++)
            free(fp.argv[i]);
        free(text);
    }
    free(c1);
    free(c2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    struct fuzz_in in = {data, size};
    uint8_t mode = fuzz_u8(&in) % 5;
    if (mode == 0) {
        mode_argv(&in);
        return 0;
    }
    if (mode == 4) {
        mode_file(&in);
        return 0;
    }
    char *s = fuzz_strndup(in.p, in.n);
    if (mode == 1)
        mode_size(s);
    else if (mode == 2)
        mode_addr(s);
    else
        mode_origins(s);
    free(s);
    return 0;
}
