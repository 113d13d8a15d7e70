/* forward_config: the table of `livelog forward` settings, its
 * configuration file and the table's read-only view for the man page and
 * the completion (see forward_config.h). */
#include "forward/forward_config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/core_num.h"
#include "forward/forward_name.h"

enum fopt_type {
    F_CONFIG,
    F_WATCH,
    F_TO,
    F_STRING,
    F_TEMPLATE,
    F_SIZE,
    F_MS,
    F_UINT,
    F_FLAG,
    F_LEVEL,
    F_FORMAT,
};

struct fopt {
    const char *flag; /* without the leading "--" */
    const char *env;  /* NULL: no variable */
    const char *def;  /* NULL: no default */
    enum fopt_type type;
    size_t offset;
    size_t cap;
    uint64_t min, max;
    const char *help;
};

#define STR(f)                                                                 \
    offsetof(struct forward_config, f), sizeof(((struct forward_config *)0)->f)
#define NUM(f) offsetof(struct forward_config, f), 0

static const struct fopt opts[] = {
    {"config", "LIVELOG_CONFIG", FORWARD_CONFIG_DEFAULT, F_CONFIG,
     STR(config_file), 0, 0,
     "configuration file of key = value lines (a missing default is fine)"},
    {"watch", NULL, NULL, F_WATCH, 0, 0, 0, 0,
     "PATH, directory or glob to follow (repeat for more)"},
    {"to", "LIVELOG_URL", NULL, F_TO, 0, 0, 0, 0,
     "sink: a livelog server's write URL, or stdout (repeat for both)"},
    {"name-template", "LIVELOG_NAME_TEMPLATE", FORWARD_NAME_DEFAULT_TEMPLATE,
     F_TEMPLATE, STR(name_template), 0, 0,
     "stream name of a file: {host} {file} {dir} {path} {ino} {gen}"},
    {"state-dir", "LIVELOG_STATE_DIR", "/var/lib/livelog-forward", F_STRING,
     STR(state_dir), 0, 0, "directory of the durable checkpoint"},
    {"token", "LIVELOG_TOKEN", "", F_STRING, STR(token), 0, 0,
     "bearer token with livelog:write:NAME (when the server needs one)"},
    {"cacert", "LIVELOG_CACERT", "", F_STRING, STR(cacert), 0, 0,
     "CA bundle to verify an https:// server with"},
    {"host", "LIVELOG_HOST", "", F_STRING, STR(host), 0, 0,
     "value of {host} (default: the machine's name)"},
    {"buffer-size", "LIVELOG_BUFFER_SIZE", "4M", F_SIZE, NUM(buffer_size),
     UINT64_C(1) << 18, UINT64_C(1) << 30,
     "bytes of file data held in memory at most"},
    {"max-lag", "LIVELOG_MAX_LAG", "0", F_SIZE, NUM(max_lag), 0, UINT64_MAX,
     "skip (with a marker line) what lags more than this; 0 never skips"},
    {"max-line", "LIVELOG_MAX_LINE", "64K", F_SIZE, NUM(max_line), 64,
     UINT64_C(1) << 20, "stdout records: longer lines are split"},
    {"parallel", "LIVELOG_PARALLEL", "8", F_UINT, NUM(parallel), 1, 256,
     "requests to the server in flight at most"},
    {"poll-interval", "LIVELOG_POLL_INTERVAL", "250", F_MS,
     NUM(poll_interval_ms), 10, 60000,
     "ms between scans (the only source of news with --poll)"},
    {"rotate-wait", "LIVELOG_ROTATE_WAIT", "5000", F_MS, NUM(rotate_wait_ms), 0,
     3600000,
     "ms a rotated or deleted file must stay quiet before its stream "
     "completes"},
    {"drain-timeout", "LIVELOG_DRAIN_TIMEOUT", "10000", F_MS,
     NUM(drain_timeout_ms), 0, 3600000,
     "ms to ship what is readable after SIGTERM"},
    {"checkpoint-interval", "LIVELOG_CHECKPOINT_INTERVAL", "200", F_MS,
     NUM(checkpoint_interval_ms), 0, 60000,
     "ms between checkpoint writes at most"},
    {"poll", NULL, NULL, F_FLAG, NUM(poll_only), 0, 0,
     "scan every --poll-interval instead of using inotify"},
    {"once", NULL, NULL, F_FLAG, NUM(once), 0, 0,
     "ship what exists, then exit"},
    {"complete-on-exit", NULL, NULL, F_FLAG, NUM(complete_on_exit), 0, 0,
     "complete every stream when exiting"},
    {"log-level", "LIVELOG_LOG_LEVEL", "info", F_LEVEL, NUM(log_level), 0, 0,
     "fatal, error, warning, info, debug or trace"},
    {"log-format", "LIVELOG_LOG_FORMAT", "json", F_FORMAT, NUM(log_format), 0,
     0, "json or console"},
};

#define NOPTS (sizeof(opts) / sizeof(*opts))

static void usage(FILE *out)
{
    fprintf(out,
            "usage: livelog forward --watch PATH... --to URL|stdout... "
            "[options]\n"
            "Follows log files as other programs write them and ships every "
            "byte\nonce to a livelog server (one stream per file) and/or to "
            "stdout as\nJSON lines. Options (environment variable, "
            "default):\n");
    for (size_t i = 0; i < NOPTS; i++) {
        const struct fopt *o = &opts[i];
        fprintf(out, "  --%-20s %s", o->flag, o->help);
        if (o->env != NULL || (o->def != NULL && o->def[0] != '\0')) {
            fprintf(out, " (");
            if (o->env != NULL)
                fprintf(out, "%s", o->env);
            if (o->def != NULL && o->def[0] != '\0')
                fprintf(out, "%s%s", o->env != NULL ? ", " : "", o->def);
            fprintf(out, ")");
        }
        fprintf(out, "\n");
    }
    fprintf(out, "Exit status: 0 done, 1 failed, 2 usage error.\n"
                 "See docs/FORWARDING.md.\n");
}

/* Sets one option from text; src names where it came from. */
static int set(const struct fopt *o, const char *text, const char *src,
               struct forward_config *cfg, char *err, size_t cap)
{
    char *base = (char *)cfg;
    uint64_t v = 0;
    int rc = 0;
    switch (o->type) {
    case F_WATCH:
        if (text[0] == '\0') {
            snprintf(err, cap, "%s: the path is empty", src);
            return -EINVAL;
        }
        if (cfg->nwatch == FORWARD_MAX_WATCHES) {
            snprintf(err, cap, "%s: at most %d watches", src,
                     FORWARD_MAX_WATCHES);
            return -EINVAL;
        }
        cfg->watch[cfg->nwatch++] = text;
        return 0;
    case F_TO:
        if (strcmp(text, "stdout") == 0) {
            cfg->to_stdout = true;
            return 0;
        }
        if (strncmp(text, "http://", 7) != 0 &&
            strncmp(text, "https://", 8) != 0) {
            snprintf(err, cap,
                     "%s: %.200s is neither stdout nor an http:// or "
                     "https:// URL",
                     src, text);
            return -EINVAL;
        }
        if (cfg->server[0] != '\0' && strcmp(cfg->server, text) != 0) {
            snprintf(err, cap, "%s: one server only", src);
            return -EINVAL;
        }
        if (strlen(text) >= sizeof(cfg->server)) {
            snprintf(err, cap, "%s: the URL is too long", src);
            return -EINVAL;
        }
        memcpy(cfg->server, text, strlen(text) + 1);
        return 0;
    case F_TEMPLATE: {
        char why[256];
        if (forward_name_check_template(text, why, sizeof(why)) != 0) {
            snprintf(err, cap, "%s: %s", src, why);
            return -EINVAL;
        }
    }
        /* fall through */
    case F_CONFIG:
    case F_STRING:
        if (strlen(text) >= o->cap) {
            snprintf(err, cap, "%s: longer than %zu bytes", src, o->cap - 1);
            return -EINVAL;
        }
        memcpy(base + o->offset, text, strlen(text) + 1);
        return 0;
    case F_SIZE:
        rc = config_parse_size(text, &v);
        break;
    case F_MS:
    case F_UINT:
        rc = core_num_parse_u64(text, strlen(text), &v);
        break;
    case F_FLAG:
        *(bool *)(void *)(base + o->offset) = true;
        return 0;
    case F_LEVEL:
        if (log_level_parse(
                text, (enum log_level *)(void *)(base + o->offset)) != 0) {
            snprintf(err, cap,
                     "%s: %.64s is not fatal, error, warning, info, debug "
                     "or trace",
                     src, text);
            return -EINVAL;
        }
        return 0;
    case F_FORMAT:
        if (strcmp(text, "json") == 0 || strcmp(text, "console") == 0) {
            *(enum log_format *)(void *)(base + o->offset) =
                text[0] == 'j' ? LOG_FORMAT_JSON : LOG_FORMAT_CONSOLE;
            return 0;
        }
        snprintf(err, cap, "%s: %.64s is not json or console", src, text);
        return -EINVAL;
    }
    if (rc != 0 || v < o->min || v > o->max) {
        snprintf(err, cap,
                 "%s: %.64s is not %s between %" PRIu64 " and %" PRIu64, src,
                 text,
                 o->type == F_SIZE ? "a size (K, M, G suffixes)"
                 : o->type == F_MS ? "a number of milliseconds"
                                   : "a number",
                 o->min, o->max);
        return -EINVAL;
    }
    *(uint64_t *)(void *)(base + o->offset) = v;
    return 0;
}

static const struct fopt *find(const char *flag, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].flag) == len &&
            strncmp(opts[i].flag, flag, len) == 0)
            return &opts[i];
    return NULL;
}

/* What the file's lines need to know: where flags and variables win. */
struct file_ctx {
    struct forward_config *cfg;
    struct forward_config *scratch; /* every line is checked here */
    const bool *given;              /* by a flag */
    bool *filed;                    /* by the file */
};

static int on_file_line(void *cls, const char *key, const char *value,
                        char *err, size_t cap)
{
    struct file_ctx *fc = cls;
    const struct fopt *o = find(key, strlen(key));
    if (o == NULL) {
        snprintf(err, cap,
                 "unknown key '%.64s' (the keys are the options of livelog "
                 "forward --help, without the dashes)",
                 key);
        return -EINVAL;
    }
    size_t i = (size_t)(o - opts);
    if (o->type == F_CONFIG) {
        snprintf(err, cap, "'config' cannot be set in a configuration file");
        return -EINVAL;
    }
    if (o->type == F_FLAG) {
        bool on = strcmp(value, "on") == 0;
        if (!on && strcmp(value, "off") != 0) {
            snprintf(err, cap, "%s wants on or off", o->flag);
            return -EINVAL;
        }
        if (!fc->given[i])
            *(bool *)(void *)((char *)fc->cfg + o->offset) = on;
        return 0;
    }
    if (set(o, value, o->flag, fc->scratch, err, cap) != 0)
        return -EINVAL;
    const char *env = o->env != NULL ? getenv(o->env) : NULL;
    if (fc->given[i] || (env != NULL && env[0] != '\0'))
        return 0; /* a flag or a variable wins */
    fc->filed[i] = true;
    return set(o, value, o->flag, fc->cfg, err, cap);
}

/* Reads and applies the configuration file (see forward_config_parse). */
static int read_file(struct forward_config *cfg, const bool *given, bool *filed,
                     char *err, size_t cap)
{
    const char *path = FORWARD_CONFIG_DEFAULT;
    bool explicit_path = true;
    const char *env = getenv("LIVELOG_CONFIG");
    if (given[0]) /* --config, the table's first row */
        path = cfg->config_file;
    else if (env != NULL && env[0] != '\0')
        path = env;
    else
        explicit_path = false;
    char file[sizeof(cfg->config_file)];
    if (strlen(path) >= sizeof(file)) {
        snprintf(err, cap, "--config: the path is too long");
        return -EINVAL;
    }
    memcpy(file, path, strlen(path) + 1);
    cfg->config_file[0] = '\0';
    if (config_file_read(file, !explicit_path, &cfg->config_text, err, cap) !=
        0)
        return -EINVAL;
    if (cfg->config_text == NULL)
        return 0;
    memcpy(cfg->config_file, file, strlen(file) + 1);
    struct forward_config *scratch = calloc(1, sizeof(*scratch));
    if (scratch == NULL) {
        snprintf(err, cap, "out of memory");
        return -ENOMEM;
    }
    struct file_ctx fc = {cfg, scratch, given, filed};
    int rc =
        config_file_parse(cfg->config_text, file, on_file_line, &fc, err, cap);
    free(scratch);
    return rc != 0 ? -EINVAL : 0;
}

static const char *placeholder(const struct fopt *o)
{
    switch (o->type) {
    case F_CONFIG:
        return "FILE";
    case F_WATCH:
        return "PATH";
    case F_TO:
        return "URL|stdout";
    case F_STRING:
        return strcmp(o->flag, "state-dir") == 0 ? "DIR"
               : strcmp(o->flag, "cacert") == 0  ? "FILE"
               : strcmp(o->flag, "host") == 0    ? "NAME"
                                                 : "TOKEN";
    case F_TEMPLATE:
        return "TEMPLATE";
    case F_SIZE:
        return "SIZE";
    case F_MS:
        return "MS";
    case F_UINT:
        return "N";
    case F_FLAG:
        return NULL;
    case F_LEVEL:
        return "LEVEL";
    case F_FORMAT:
        return "json|console";
    }
    return "VALUE";
}

bool forward_config_option(size_t i, struct config_option *ret)
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

void forward_config_free(struct forward_config *cfg)
{
    free(cfg->config_text);
    cfg->config_text = NULL;
}

int forward_config_parse(int argc, char **argv, struct forward_config *cfg,
                         FILE *out, char *err, size_t cap)
{
    bool given[NOPTS] = {false};
    bool filed[NOPTS] = {false};
    char src[160];
    memset(cfg, 0, sizeof(*cfg));
    /* flags first, so that a flag overrides a bad variable */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(out);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, cap,
                     "unexpected argument %.200s (files are given with "
                     "--watch)",
                     a);
            return -EINVAL;
        }
        const char *eq = strchr(a + 2, '=');
        size_t flen = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct fopt *o = find(a + 2, flen);
        if (o == NULL) {
            snprintf(err, cap, "unknown option %.200s (see --help)", a);
            return -EINVAL;
        }
        const char *val = NULL;
        if (o->type == F_FLAG) {
            if (eq != NULL) {
                snprintf(err, cap, "--%s takes no value", o->flag);
                return -EINVAL;
            }
        } else if (eq != NULL) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, cap, "--%s needs a value", o->flag);
            return -EINVAL;
        }
        snprintf(src, sizeof(src), "--%s", o->flag);
        if (set(o, val, src, cfg, err, cap) != 0)
            return -EINVAL;
        given[o - opts] = true;
    }
    /* then the file, for what no flag (nor variable) gives */
    if (read_file(cfg, given, filed, err, cap) != 0)
        return -EINVAL;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct fopt *o = &opts[i];
        if (given[i] || o->type == F_FLAG || o->type == F_WATCH ||
            o->type == F_CONFIG)
            continue;
        const char *v = o->env != NULL ? getenv(o->env) : NULL;
        if (v != NULL && v[0] != '\0') {
            snprintf(src, sizeof(src), "%s", o->env);
            if (set(o, v, src, cfg, err, cap) != 0)
                return -EINVAL;
        } else if (o->def != NULL && !filed[i]) {
            snprintf(src, sizeof(src), "the default of --%s", o->flag);
            if (set(o, o->def, src, cfg, err, cap) != 0)
                return -EINVAL;
        }
    }
    if (cfg->nwatch == 0) {
        snprintf(err, cap, "nothing to follow: give --watch PATH");
        return -EINVAL;
    }
    if (cfg->server[0] == '\0' && !cfg->to_stdout) {
        snprintf(err, cap,
                 "nowhere to ship: give --to URL (a livelog server) and/or "
                 "--to stdout");
        return -EINVAL;
    }
    if (cfg->host[0] == '\0' &&
        gethostname(cfg->host, sizeof(cfg->host) - 1) != 0)
        memcpy(cfg->host, "localhost", sizeof("localhost"));
    return 0;
}
