/* config: the table of `livelog serve` settings, the configuration
 * file's reader and line parser, and the table's read-only view for the
 * man pages and the completion (see config.h). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_num.h"
#include "http/http_daemon.h"

enum opt_type {
    OPT_CONFIG,
    OPT_PATH,
    OPT_ADDR_WRITE,
    OPT_ADDR_READ,
    OPT_STRING,
    OPT_ORIGINS,
    OPT_URL,
    OPT_WRITE_CREDENTIALS,
    OPT_ON_OFF,
    OPT_ARCHIVE_URL,
    OPT_SECRET,
    OPT_LEVEL,
    OPT_FORMAT,
    OPT_FSYNC,
    OPT_OVER_LIMIT,
    OPT_UINT,
    OPT_SIZE,
};

struct opt {
    const char *flag; /* without the leading "--" */
    const char *env;
    const char *def;
    enum opt_type type;
    size_t offset; /* into struct serve_config */
    size_t cap;    /* for strings */
    uint64_t min, max;
    const char *help;
};

#define STR(f)                                                                 \
    offsetof(struct serve_config, f), sizeof(((struct serve_config *)0)->f)
#define NUM(f) offsetof(struct serve_config, f), 0

static const struct opt opts[] = {
    {"config", "LIVELOG_CONFIG", CONFIG_FILE_DEFAULT, OPT_CONFIG,
     STR(config_file), 0, 0,
     "configuration file of key = value lines (a missing default is fine)"},
    {"data-dir", "LIVELOG_DATA_DIR", "/var/lib/livelog", OPT_PATH,
     STR(data_dir), 0, 0, "where streams live"},
    {"write-addr", "LIVELOG_WRITE_ADDR", "127.0.0.1:60022", OPT_ADDR_WRITE,
     NUM(write_port), 0, 0, "write listener (PUT, PATCH, HEAD, DELETE)"},
    {"read-addr", "LIVELOG_READ_ADDR", "0.0.0.0:60023", OPT_ADDR_READ,
     NUM(read_port), 0, 0, "read listener (GET, HEAD, listing)"},
    {"tls-cert", "LIVELOG_TLS_CERT", "", OPT_PATH, STR(tls_cert), 0, 0,
     "PEM certificate: HTTPS on the read listener (reloaded on SIGHUP)"},
    {"tls-key", "LIVELOG_TLS_KEY", "", OPT_PATH, STR(tls_key), 0, 0,
     "PEM private key for --tls-cert"},
    {"write-tls-cert", "LIVELOG_WRITE_TLS_CERT", "", OPT_PATH,
     STR(write_tls_cert), 0, 0,
     "PEM certificate: HTTPS on the write listener (reloaded on SIGHUP)"},
    {"write-tls-key", "LIVELOG_WRITE_TLS_KEY", "", OPT_PATH, STR(write_tls_key),
     0, 0, "PEM private key for --write-tls-cert"},
    {"tls-priorities", "LIVELOG_TLS_PRIORITIES", HTTP_DAEMON_TLS_PRIORITIES,
     OPT_STRING, STR(tls_priorities), 0, 0,
     "GnuTLS priority string of both listeners (TLS 1.2 is the floor)"},
    {"key-dir", "LIVELOG_KEY_DIR", "", OPT_PATH, STR(key_dir), 0, 0,
     "directory of KID.key files: token and signed-URL keys (SIGHUP "
     "reloads)"},
    {"token-leeway", "LIVELOG_TOKEN_LEEWAY", "30", OPT_UINT,
     NUM(token_leeway_s), 0, 600, "s of clock skew allowed on exp and nbf"},
    {"write-credentials", "LIVELOG_WRITE_CREDENTIALS", "none",
     OPT_WRITE_CREDENTIALS, NUM(write_credentials), 0, 0,
     "none or required (livelog:write:NAME on the write listener)"},
    {"cors-origins", "LIVELOG_CORS_ORIGINS", "", OPT_ORIGINS, STR(cors_origins),
     0, 0, "comma-separated origins that may read private streams"},
    {"public-url", "LIVELOG_PUBLIC_URL", "", OPT_URL, STR(public_url), 0, 0,
     "base URL of the read listener as readers reach it"},
    {"read-url-ttl", "LIVELOG_READ_URL_TTL", "86400", OPT_UINT,
     NUM(read_url_ttl_s), 60, 31536000,
     "s a PUT's Livelog-Read-URL stays valid"},
    {"log-level", "LIVELOG_LOG_LEVEL", "info", OPT_LEVEL, NUM(log_level), 0, 0,
     "fatal, error, warning, info, debug or trace"},
    {"log-format", "LIVELOG_LOG_FORMAT", "json", OPT_FORMAT, NUM(log_format), 0,
     0, "json or console"},
    {"fsync", "LIVELOG_FSYNC", "interval", OPT_FSYNC, NUM(fsync), 0, 0,
     "always, interval or never (docs/OPERATIONS.md)"},
    {"fsync-interval", "LIVELOG_FSYNC_INTERVAL", "1000", OPT_UINT,
     NUM(fsync_interval_ms), 1, 3600000, "ms between syncs in interval mode"},
    {"writer-wait", "LIVELOG_WRITER_WAIT", "60", OPT_UINT, NUM(writer_wait_s),
     0, 86400, "s a GET of a missing name waits for its writer"},
    {"max-streams", "LIVELOG_MAX_STREAMS", "100000", OPT_UINT, NUM(max_streams),
     1, 100000000, "streams held at once"},
    {"max-stream-bytes", "LIVELOG_MAX_STREAM_BYTES", "4G", OPT_SIZE,
     NUM(max_stream_bytes), 1, UINT64_MAX, "bytes per stream (413 beyond)"},
    {"over-limit", "LIVELOG_OVER_LIMIT", "reject", OPT_OVER_LIMIT,
     NUM(over_limit_keep_tail), 0, 0,
     "reject (413) or keep-tail (keep head and tail, elide the middle)"},
    {"max-total-bytes", "LIVELOG_MAX_TOTAL_BYTES", "0", OPT_SIZE,
     NUM(max_total_bytes), 0, UINT64_MAX,
     "bytes of all streams (507 beyond); 0: only the disk"},
    {"retention", "LIVELOG_RETENTION", "604800", OPT_UINT, NUM(retention_s), 0,
     UINT64_MAX / 1000, "s completed streams are kept; 0: forever"},
    {"task-log-severity", "LIVELOG_TASK_LOG_SEVERITY", "on", OPT_ON_OFF,
     NUM(task_log_severity), 0, 0,
     "on or off: classify task-log lines (GET /v1/logs/NAME/stats)"},
    {"archive", "LIVELOG_ARCHIVE", "", OPT_ARCHIVE_URL, STR(archive), 0, 0,
     "file:///DIR or s3://BUCKET/PREFIX: where completed logs go"},
    {"archive-endpoint", "LIVELOG_ARCHIVE_ENDPOINT", "", OPT_URL,
     STR(archive_endpoint), 0, 0,
     "S3 endpoint (default: AWS's for the region), e.g. http://127.0.0.1:9000"},
    {"archive-region", "LIVELOG_ARCHIVE_REGION", "us-east-1", OPT_STRING,
     STR(archive_region), 0, 0, "S3 region (SigV4)"},
    {"archive-path-style", "LIVELOG_ARCHIVE_PATH_STYLE", "off", OPT_ON_OFF,
     NUM(archive_path_style), 0, 0,
     "on: http://host/BUCKET/key (MinIO, Ceph); off: virtual-host style"},
    {"archive-access-key-id", "LIVELOG_ARCHIVE_ACCESS_KEY_ID", "", OPT_SECRET,
     STR(archive_access_key), 0, 0,
     "S3 access key id (else AWS_ACCESS_KEY_ID or --archive-credentials)"},
    {"archive-secret-access-key", "LIVELOG_ARCHIVE_SECRET_ACCESS_KEY", "",
     OPT_SECRET, STR(archive_secret_key), 0, 0,
     "S3 secret key (else AWS_SECRET_ACCESS_KEY or --archive-credentials)"},
    {"archive-credentials", "LIVELOG_ARCHIVE_CREDENTIALS", "", OPT_PATH,
     STR(archive_credentials), 0, 0,
     "file of AWS_ACCESS_KEY_ID=, AWS_SECRET_ACCESS_KEY=, AWS_SESSION_TOKEN= "
     "lines"},
    {"archive-part-size", "LIVELOG_ARCHIVE_PART_SIZE", "8M", OPT_SIZE,
     NUM(archive_part_size), UINT64_C(5) << 20, UINT64_C(5) << 30,
     "S3 multipart part size (logs above it are uploaded in parts)"},
    {"archive-workers", "LIVELOG_ARCHIVE_WORKERS", "2", OPT_UINT,
     NUM(archive_workers), 1, 16, "upload threads"},
    {"archive-local-retention", "LIVELOG_ARCHIVE_LOCAL_RETENTION", "3600",
     OPT_UINT, NUM(archive_local_retention_s), 0, UINT64_MAX / 1000,
     "s an archived log also stays in --data-dir"},
    {"archive-read-through", "LIVELOG_ARCHIVE_READ_THROUGH", "off", OPT_ON_OFF,
     NUM(archive_read_through), 0, 0,
     "on: serve and list logs found only in the archive (other nodes')"},
    {"archive-redirect-public", "LIVELOG_ARCHIVE_REDIRECT_PUBLIC", "off",
     OPT_ON_OFF, NUM(archive_redirect_public), 0, 0,
     "on: answer reads of archived public logs with a 307 to a presigned "
     "store URL"},
    {"max-connections", "LIVELOG_MAX_CONNECTIONS", "32768", OPT_UINT,
     NUM(max_connections), 16, 1000000, "read listener connections"},
    {"read-timeout", "LIVELOG_READ_TIMEOUT", "60", OPT_UINT,
     NUM(read_timeout_s), 0, 86400,
     "s idle timeout of read connections (followers never time out)"},
};

#define NOPTS (sizeof(opts) / sizeof(*opts))

int config_parse_size(const char *text, uint64_t *ret)
{
    size_t len = strlen(text);
    uint64_t mult = 1;
    if (len > 0) {
        switch (text[len - 1]) {
        case 'K':
        case 'k':
            mult = UINT64_C(1) << 10;
            break;
        case 'M':
        case 'm':
            mult = UINT64_C(1) << 20;
            break;
        case 'G':
        case 'g':
            mult = UINT64_C(1) << 30;
            break;
        case 'T':
        case 't':
            mult = UINT64_C(1) << 40;
            break;
        default:
            break;
        }
    }
    if (mult != 1)
        len--;
    uint64_t v = 0;
    int rc = core_num_parse_u64(text, len, &v);
    if (rc != 0)
        return rc;
    if (v > UINT64_MAX / mult)
        return -ERANGE;
    *ret = v * mult;
    return 0;
}

int config_parse_addr(const char *text, char *host, size_t hcap,
                      uint16_t *ret_port)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text)
        return -EINVAL;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -EINVAL;
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= hcap)
        return -EINVAL;
    char lit[CONFIG_HOST_MAX];
    unsigned char bin[16];
    if (hlen >= sizeof(lit))
        return -EINVAL;
    memcpy(lit, h, hlen);
    lit[hlen] = '\0';
    bool v6 = text[0] == '[';
    if (inet_pton(v6 ? AF_INET6 : AF_INET, lit, bin) != 1)
        return -EINVAL;
    uint64_t port = 0;
    if (core_num_parse_u64(colon + 1, strlen(colon + 1), &port) != 0 ||
        port > 65535)
        return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *ret_port = (uint16_t)port;
    return 0;
}

int config_check_origin(const char *text, size_t len)
{
    size_t skip = 0;
    if (len > 7 && strncmp(text, "http://", 7) == 0)
        skip = 7;
    else if (len > 8 && strncmp(text, "https://", 8) == 0)
        skip = 8;
    else
        return -EINVAL;
    const char *p = text + skip, *end = text + len;
    if (*p == '[') { /* an IPv6 literal */
        p++;
        while (p < end && *p != ']' && strchr("0123456789abcdefABCDEF:.", *p))
            p++;
        if (p == end || *p != ']')
            return -EINVAL;
        p++;
    } else {
        const char *host = p;
        while (p < end &&
               (isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
            p++;
        if (p == host)
            return -EINVAL;
    }
    if (p < end && *p == ':') {
        uint64_t port = 0;
        if (core_num_parse_u64(p + 1, (size_t)(end - p - 1), &port) != 0 ||
            port == 0 || port > 65535)
            return -EINVAL;
        p = end;
    }
    return p == end ? 0 : -EINVAL;
}

int config_check_origins(const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (config_check_origin(p, n) != 0)
            return -EINVAL;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -EINVAL; /* a trailing comma */
    }
    return 0;
}

/* The public URL: an origin, optionally followed by a path prefix
 * (a reverse proxy's), without query, fragment or trailing '/'. */
static int check_public_url(const char *text)
{
    size_t len = strlen(text);
    const char *scheme_end = strstr(text, "://");
    if (scheme_end == NULL)
        return -EINVAL;
    const char *path = strchr(scheme_end + 3, '/');
    size_t origin_len = path != NULL ? (size_t)(path - text) : len;
    if (config_check_origin(text, origin_len) != 0)
        return -EINVAL;
    for (const char *p = text + origin_len; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && strchr("/-._~", *p) == NULL)
            return -EINVAL;
    return len > origin_len && text[len - 1] == '/' ? -EINVAL : 0;
}

static int set_string(struct serve_config *cfg, const struct opt *o,
                      const char *v)
{
    char *dst = (char *)cfg + o->offset;
    size_t n = strlen(v);
    if (n >= o->cap)
        return -EINVAL;
    memcpy(dst, v, n + 1);
    return 0;
}

static int apply(struct serve_config *cfg, const struct opt *o, const char *v)
{
    uint64_t u = 0;
    int rc = 0;
    switch (o->type) {
    case OPT_CONFIG:
        return set_string(cfg, o, v);
    case OPT_PATH:
        if (v[0] == '\0' && strcmp(o->flag, "data-dir") == 0)
            return -EINVAL;
        return set_string(cfg, o, v);
    case OPT_STRING:
        return v[0] == '\0' ? -EINVAL : set_string(cfg, o, v);
    case OPT_ORIGINS:
        if (config_check_origins(v) != 0)
            return -EINVAL;
        return set_string(cfg, o, v);
    case OPT_URL:
        if (v[0] != '\0' && check_public_url(v) != 0)
            return -EINVAL;
        return set_string(cfg, o, v);
    case OPT_SECRET:
        return set_string(cfg, o, v);
    case OPT_ARCHIVE_URL:
        if (v[0] != '\0' && strncmp(v, "file:///", 8) != 0 &&
            (strncmp(v, "s3://", 5) != 0 || v[5] == '\0' || v[5] == '/'))
            return -EINVAL;
        return set_string(cfg, o, v);
    case OPT_ON_OFF:
        if (strcmp(v, "on") == 0)
            *(uint64_t *)((char *)cfg + o->offset) = 1;
        else if (strcmp(v, "off") == 0)
            *(uint64_t *)((char *)cfg + o->offset) = 0;
        else
            return -EINVAL;
        return 0;
    case OPT_WRITE_CREDENTIALS:
        if (strcmp(v, "none") == 0)
            cfg->write_credentials = 0;
        else if (strcmp(v, "required") == 0)
            cfg->write_credentials = 1;
        else
            return -EINVAL;
        return 0;
    case OPT_ADDR_WRITE:
        return config_parse_addr(v, cfg->write_host, sizeof(cfg->write_host),
                                 &cfg->write_port);
    case OPT_ADDR_READ:
        return config_parse_addr(v, cfg->read_host, sizeof(cfg->read_host),
                                 &cfg->read_port);
    case OPT_LEVEL:
        return log_level_parse(v, &cfg->log_level);
    case OPT_FORMAT:
        if (strcmp(v, "json") == 0)
            cfg->log_format = LOG_FORMAT_JSON;
        else if (strcmp(v, "console") == 0)
            cfg->log_format = LOG_FORMAT_CONSOLE;
        else
            return -EINVAL;
        return 0;
    case OPT_FSYNC:
        if (strcmp(v, "always") == 0)
            cfg->fsync = STORE_FSYNC_ALWAYS;
        else if (strcmp(v, "interval") == 0)
            cfg->fsync = STORE_FSYNC_INTERVAL;
        else if (strcmp(v, "never") == 0)
            cfg->fsync = STORE_FSYNC_NEVER;
        else
            return -EINVAL;
        return 0;
    case OPT_OVER_LIMIT:
        if (strcmp(v, "reject") == 0)
            cfg->over_limit_keep_tail = 0;
        else if (strcmp(v, "keep-tail") == 0)
            cfg->over_limit_keep_tail = 1;
        else
            return -EINVAL;
        return 0;
    case OPT_UINT:
        rc = core_num_parse_u64(v, strlen(v), &u);
        break;
    case OPT_SIZE:
        rc = config_parse_size(v, &u);
        break;
    }
    if (rc != 0 || u < o->min || u > o->max)
        return -EINVAL;
    *(uint64_t *)((char *)cfg + o->offset) = u;
    return 0;
}

static const char *what_it_takes(const struct opt *o)
{
    switch (o->type) {
    case OPT_CONFIG:
    case OPT_PATH:
        return "a path";
    case OPT_STRING:
        return "a string of 1 to 1023 bytes";
    case OPT_ORIGINS:
        return "origins such as https://ui.example.com,http://localhost:3000";
    case OPT_URL:
        return "a base URL such as https://livelog.example.com:60023";
    case OPT_WRITE_CREDENTIALS:
        return "none or required";
    case OPT_ON_OFF:
        return "on or off";
    case OPT_ARCHIVE_URL:
        return "file:///ABSOLUTE/DIR or s3://BUCKET[/PREFIX]";
    case OPT_SECRET:
        return "a secret of at most 1023 bytes";
    case OPT_ADDR_WRITE:
    case OPT_ADDR_READ:
        return "HOST:PORT with an IPv4 or [IPv6] literal and a port 0-65535";
    case OPT_LEVEL:
        return "fatal, error, warning, info, debug or trace";
    case OPT_FORMAT:
        return "json or console";
    case OPT_FSYNC:
        return "always, interval or never";
    case OPT_OVER_LIMIT:
        return "reject or keep-tail";
    case OPT_UINT:
        return "a whole number in its range";
    case OPT_SIZE:
        return "a size such as 4096, 64K, 512M or 4G";
    }
    return "a valid value";
}

/* "NAME wants WHAT" (with the range for numbers) into err. */
static void describe(const struct opt *o, const char *dashes, const char *name,
                     char *err, size_t cap)
{
    if (o->type == OPT_UINT)
        snprintf(err, cap,
                 "%s%s wants a whole number from %" PRIu64 " to %" PRIu64,
                 dashes, name, o->min, o->max);
    else
        snprintf(err, cap, "%s%s wants %s", dashes, name, what_it_takes(o));
}

static void print_help(FILE *out)
{
    fputs("Usage: livelog serve [--FLAG VALUE]...\n\n"
          "The multi-stream live log service. Flags win over the "
          "environment,\nwhich wins over the configuration file (KEY = "
          "VALUE lines, the keys\nare the flags without the dashes), "
          "which wins over the defaults.\n\n",
          out);
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        fprintf(out, "  --%-17s %-25s %s (default: %s)\n", o->flag, o->env,
                o->help, o->def[0] == '\0' ? "none" : o->def);
    }
}

bool config_is_loopback(const char *host)
{
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The rules that tie settings together (docs/SECURITY.md). */
static int check_together(const struct serve_config *cfg, char *err, size_t cap)
{
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
        snprintf(err, cap, "--tls-cert and --tls-key go together");
        return -EINVAL;
    }
    if ((cfg->write_tls_cert[0] == '\0') != (cfg->write_tls_key[0] == '\0')) {
        snprintf(err, cap, "--write-tls-cert and --write-tls-key go together");
        return -EINVAL;
    }
    if (cfg->write_credentials && cfg->key_dir[0] == '\0') {
        snprintf(err, cap,
                 "--write-credentials=required needs --key-dir (the keys "
                 "that verify the writers' tokens)");
        return -EINVAL;
    }
    if (!config_is_loopback(cfg->write_host) &&
        (!cfg->write_credentials || cfg->write_tls_cert[0] == '\0')) {
        snprintf(err, cap,
                 "--write-addr %s is not a loopback address: writes from "
                 "the network need --write-credentials=required and "
                 "--write-tls-cert/--write-tls-key (docs/SECURITY.md)",
                 cfg->write_host);
        return -EINVAL;
    }
    return 0;
}

/* The value's placeholder in --help, the man page and the completion. */
static const char *placeholder(const struct opt *o)
{
    switch (o->type) {
    case OPT_CONFIG:
        return "FILE";
    case OPT_PATH:
        return strstr(o->flag, "dir") != NULL ? "DIR" : "FILE";
    case OPT_ADDR_WRITE:
    case OPT_ADDR_READ:
        return "HOST:PORT";
    case OPT_STRING:
        return "STRING";
    case OPT_ORIGINS:
        return "LIST";
    case OPT_URL:
    case OPT_ARCHIVE_URL:
        return "URL";
    case OPT_WRITE_CREDENTIALS:
        return "none|required";
    case OPT_ON_OFF:
        return "on|off";
    case OPT_SECRET:
        return "SECRET";
    case OPT_LEVEL:
        return "LEVEL";
    case OPT_FORMAT:
        return "json|console";
    case OPT_FSYNC:
        return "always|interval|never";
    case OPT_OVER_LIMIT:
        return "reject|keep-tail";
    case OPT_UINT:
        return "N";
    case OPT_SIZE:
        return "SIZE";
    }
    return "VALUE";
}

bool config_serve_option(size_t i, struct config_option *ret)
{
    if (i >= NOPTS)
        return false;
    *ret = (struct config_option){
        .flag = opts[i].flag,
        .env = opts[i].env,
        .def = opts[i].def,
        .arg = placeholder(&opts[i]),
        .help = opts[i].help,
    };
    return true;
}

int config_file_read(const char *path, bool missing_ok, char **ret_text,
                     char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT && missing_ok)
            return 0;
        snprintf(err, cap, "cannot read the configuration file %s: %s", path,
                 strerror(e));
        return -e;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
        rc = -EINVAL;
    } else if (S_ISREG(st.st_mode) && st.st_size > CONFIG_FILE_MAX) {
        rc = -EFBIG;
    }
    char *text = rc == 0 ? malloc(CONFIG_FILE_MAX + 1) : NULL;
    if (rc == 0 && text == NULL)
        rc = -ENOMEM;
    size_t len = 0;
    while (rc == 0) {
        ssize_t n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = -errno;
        else if (n == 0)
            break;
        else if ((len += (size_t)n) > CONFIG_FILE_MAX)
            rc = -EFBIG;
    }
    close(fd);
    if (rc == 0 && memchr(text, '\0', len) != NULL)
        rc = -EINVAL;
    if (rc != 0) {
        snprintf(err, cap, "cannot read the configuration file %s: %s", path,
                 rc == -EFBIG    ? "larger than 1 MiB"
                 : rc == -EINVAL ? "not a text file"
                                 : strerror(-rc));
        free(text);
        return rc;
    }
    text[len] = '\0';
    *ret_text = text;
    return 0;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int config_file_parse(char *text, const char *path, config_file_fn fn,
                      void *cls, char *err, size_t cap)
{
    char why[512];
    unsigned line = 0;
    char *p = text;
    while (*p != '\0') {
        char *end = strchr(p, '\n');
        char *next = end != NULL ? end + 1 : p + strlen(p);
        if (end == NULL)
            end = next;
        line++;
        *end = '\0';
        while (end > p && blank(end[-1]))
            *--end = '\0';
        while (blank(*p))
            p++;
        if (*p == '\0' || *p == '#') {
            p = next;
            continue;
        }
        char *eq = strchr(p, '=');
        if (eq == NULL || eq == p) {
            snprintf(err, cap, "%s:%u: not a `key = value` line", path, line);
            return -EINVAL;
        }
        char *kend = eq;
        while (kend > p && blank(kend[-1]))
            kend--;
        *kend = '\0';
        char *value = eq + 1;
        while (blank(*value))
            value++;
        why[0] = '\0';
        if (fn(cls, p, value, why, sizeof(why)) != 0) {
            snprintf(err, cap, "%s:%u: %s", path, line, why);
            return -EINVAL;
        }
        p = next;
    }
    return 0;
}

/* The configuration file's path: --config (the last one), else
 * LIVELOG_CONFIG, else the default (which may be missing). */
static const char *config_path(int argc, char **argv, bool *ret_explicit)
{
    const char *path = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
            path = argv[++a];
        else if (strncmp(argv[a], "--config=", 9) == 0)
            path = argv[a] + 9;
    }
    if (path == NULL) {
        const char *v = getenv("LIVELOG_CONFIG");
        if (v != NULL && v[0] != '\0')
            path = v;
    }
    *ret_explicit = path != NULL;
    return path != NULL ? path : CONFIG_FILE_DEFAULT;
}

static const struct opt *find_opt(const char *name, size_t nlen)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].flag) == nlen &&
            strncmp(opts[i].flag, name, nlen) == 0)
            return &opts[i];
    return NULL;
}

/* One line of the file into cfg (later flags and variables overwrite). */
static int on_file_line(void *cls, const char *key, const char *value,
                        char *err, size_t cap)
{
    struct serve_config *cfg = cls;
    const struct opt *o = find_opt(key, strlen(key));
    if (o == NULL) {
        snprintf(err, cap,
                 "unknown key '%.64s' (the keys are the flags of livelog "
                 "serve --help, without the dashes)",
                 key);
        return -EINVAL;
    }
    if (o->type == OPT_CONFIG) {
        snprintf(err, cap, "'config' cannot be set in a configuration file");
        return -EINVAL;
    }
    if (apply(cfg, o, value) != 0) {
        describe(o, "", o->flag, err, cap);
        return -EINVAL;
    }
    return 0;
}

int config_parse_serve(int argc, char **argv, struct serve_config *cfg,
                       FILE *out, char *err, size_t cap)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NOPTS; i++) {
        if (apply(cfg, &opts[i], opts[i].def) != 0) {
            snprintf(err, cap, "bad built-in default for --%s", opts[i].flag);
            return -EINVAL;
        }
    }
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            print_help(out);
            return 1;
        }
    }
    /* The file first; then flags, which win; then the environment for
     * what no flag set. Every line of the file is checked, even one that
     * a flag or a variable overrides. */
    bool explicit_path = false;
    const char *path = config_path(argc, argv, &explicit_path);
    char *text = NULL;
    int rc = config_file_read(path, !explicit_path, &text, err, cap);
    if (rc != 0)
        return -EINVAL;
    if (text != NULL) {
        rc = config_file_parse(text, path, on_file_line, cfg, err, cap);
        free(text);
        if (rc != 0)
            return -EINVAL;
        if (apply(cfg, &opts[0], path) != 0) {
            snprintf(err, cap, "--config: the path is too long");
            return -EINVAL;
        }
    } else {
        cfg->config_file[0] = '\0';
    }
    bool flagged[NOPTS] = {false};
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, cap, "unexpected argument '%s' (see --help)", arg);
            return -EINVAL;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find_opt(name, nlen);
        if (o == NULL) {
            snprintf(err, cap, "unknown flag '%.*s' (see --help)",
                     (int)(nlen + 2), arg);
            return -EINVAL;
        }
        const char *v = eq != NULL ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
        if (v == NULL) {
            snprintf(err, cap, "--%s needs a value: %s", o->flag,
                     what_it_takes(o));
            return -EINVAL;
        }
        if (o->type == OPT_CONFIG)
            continue; /* read above */
        if (apply(cfg, o, v) != 0) {
            describe(o, "--", o->flag, err, cap);
            return -EINVAL;
        }
        flagged[o - opts] = true;
    }
    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = getenv(opts[i].env);
        if (flagged[i] || opts[i].type == OPT_CONFIG || v == NULL ||
            v[0] == '\0')
            continue;
        if (apply(cfg, &opts[i], v) != 0) {
            describe(&opts[i], "", opts[i].env, err, cap);
            return -EINVAL;
        }
    }
    return check_together(cfg, err, cap);
}
