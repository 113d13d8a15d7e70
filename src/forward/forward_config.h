/* forward_config: the settings of `livelog forward`, one table (flag,
 * environment variable, default, help) parsed and validated here and
 * nowhere else, as config.c does for `livelog serve`. Precedence: flags,
 * then the environment, then the configuration file (--config, `key =
 * value` lines; `watch` and `to` may repeat), then the defaults. Called
 * from main() before anything starts. */
#ifndef LIVELOG_FORWARD_CONFIG_H
#define LIVELOG_FORWARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/log.h"

#define FORWARD_MAX_WATCHES 64
#define FORWARD_CONFIG_DEFAULT "/etc/livelog/forward.conf"

struct forward_config {
    const char *watch[FORWARD_MAX_WATCHES]; /* --watch PATH|DIR|GLOB (argv
                                               or config_text) */
    size_t nwatch;
    char server[2048];         /* --to URL: "" without the livelog sink    */
    bool to_stdout;            /* --to stdout                              */
    char name_template[1024];  /* --name-template                          */
    char state_dir[4096];      /* --state-dir                              */
    char token[4096];          /* --token ("" -> LIVELOG_TOKEN)            */
    char cacert[4096];         /* --cacert: CA bundle for https:// servers */
    char host[256];            /* {host}: --host, else gethostname()       */
    uint64_t buffer_size;      /* --buffer-size: file bytes held in memory */
    uint64_t max_lag;          /* --max-lag: 0 never skip                  */
    uint64_t max_line;         /* --max-line: stdout records split past it */
    uint64_t parallel;         /* --parallel: requests in flight at most   */
    uint64_t poll_interval_ms; /* --poll-interval                         */
    uint64_t rotate_wait_ms;   /* --rotate-wait                           */
    uint64_t drain_timeout_ms; /* --drain-timeout                         */
    uint64_t checkpoint_interval_ms; /* --checkpoint-interval             */
    bool poll_only;        /* --poll: no inotify                      */
    bool once;             /* --once                                  */
    bool complete_on_exit; /* --complete-on-exit                      */
    enum log_level log_level;
    enum log_format log_format;
    char config_file[4096]; /* --config: the file read; "" none */
    char *config_text;      /* its bytes, owned; `watch` lines point in */
};

/* Fills *cfg from the defaults, the configuration file (--config FILE,
 * else LIVELOG_CONFIG, else FORWARD_CONFIG_DEFAULT if it exists), the
 * environment and argv (argv[0] is the verb, "forward"; --watch values
 * point into argv). `watch` and `to` lines of the file count only when no
 * flag (nor, for `to`, LIVELOG_URL) gives them. Returns 0; 1 when --help
 * was given (printed on out); -EINVAL with a one-line message in err
 * naming the flag, the variable or FILE:LINE and what it accepts. Call
 * forward_config_free afterwards, whatever it returned. */
int forward_config_parse(int argc, char **argv, struct forward_config *cfg,
                         FILE *out, char *err, size_t cap);

/* Frees what forward_config_parse allocated (the file's text). cfg may be
 * zeroed or half-filled. */
void forward_config_free(struct forward_config *cfg);

/* The i-th row of the option table into *ret; false past the end.
 * Static strings; any thread. */
struct config_option;
bool forward_config_option(size_t i, struct config_option *ret);

#endif
