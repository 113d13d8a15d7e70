/* config: the one configuration table of `livelog serve`. Every setting
 * has a flag, an environment variable, a default and a help line, and is
 * parsed and validated here and nowhere else. Precedence: flags, then the
 * environment, then the configuration file (--config, `key = value`
 * lines), then the defaults. Also owns the configuration file's reader
 * and line parser (shared with forward_config.c) and the read-only view
 * of the table that the man pages and the bash completion are generated
 * from (man/livelog_man.c). Called from main() before any thread
 * starts. */
#ifndef LIVELOG_CONFIG_H
#define LIVELOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/log.h"
#include "store/store_stream.h"

#define CONFIG_HOST_MAX 64
#define CONFIG_FILE_DEFAULT "/etc/livelog/livelog.conf"
#define CONFIG_FILE_MAX (1024 * 1024) /* bytes of a configuration file */

struct serve_config {
    char config_file[4096]; /* --config: the file read; "" none */
    char data_dir[4096];
    char write_host[CONFIG_HOST_MAX];
    uint16_t write_port;
    char read_host[CONFIG_HOST_MAX];
    uint16_t read_port;
    char tls_cert[4096];
    char tls_key[4096];
    char write_tls_cert[4096]; /* "": plain HTTP on the write listener */
    char write_tls_key[4096];
    char tls_priorities[1024]; /* GnuTLS priority string, both listeners */
    char key_dir[4096];        /* "": no keys, private streams unreadable */
    uint64_t token_leeway_s;   /* clock skew allowed on exp and nbf      */
    int write_credentials;     /* 1: livelog:write:NAME is required      */
    char cors_origins[4096];   /* comma-separated; "" none               */
    char public_url[1024];     /* base of Livelog-Read-URL; "" relative  */
    uint64_t read_url_ttl_s;   /* validity of a PUT's Livelog-Read-URL   */
    enum log_level log_level;
    enum log_format log_format;
    enum store_fsync fsync;
    uint64_t fsync_interval_ms;
    uint64_t writer_wait_s;
    uint64_t max_streams;
    uint64_t max_stream_bytes;
    uint64_t max_total_bytes;
    int over_limit_keep_tail; /* --over-limit: 0 reject, 1 keep-tail */
    uint64_t retention_s;
    uint64_t task_log_severity;  /* 1: classify lines (stats route)    */
    char archive[1024];          /* "": no archive                      */
    char archive_endpoint[1024]; /* "": AWS's                           */
    char archive_region[1024];
    uint64_t archive_path_style;   /* 1: path-style addressing            */
    char archive_access_key[1024]; /* "": AWS_ACCESS_KEY_ID or the file */
    char archive_secret_key[1024];
    char archive_credentials[4096];
    uint64_t archive_part_size;
    uint64_t archive_workers;
    uint64_t archive_local_retention_s;
    uint64_t archive_read_through;
    uint64_t archive_redirect_public; /* 307 to the store for public logs */
    uint64_t max_connections;
    uint64_t read_timeout_s;
};

/* Fills *cfg from the defaults, the configuration file (--config FILE,
 * else LIVELOG_CONFIG, else CONFIG_FILE_DEFAULT if it exists), the
 * environment and argv (argv[0] is the verb, "serve"). Returns 0; 1 when --help
 * was given (the help is printed on out); -EINVAL with a one-line message in
 * err naming the flag or variable (or FILE:LINE and the key) and what it
 * accepts. */
int config_parse_serve(int argc, char **argv, struct serve_config *cfg,
                       FILE *out, char *err, size_t cap);

/* One row of a verb's option table, as --help, the man pages and the
 * completion show it. */
struct config_option {
    const char *flag; /* without the leading "--" */
    const char *env;  /* NULL: no variable */
    const char *def;  /* NULL or "": no default */
    const char *arg;  /* the value's placeholder; NULL: a switch */
    const char *help;
};

/* The i-th row of `livelog serve`'s table into *ret; false past the end.
 * Static strings; any thread. */
bool config_serve_option(size_t i, struct config_option *ret);

/* Called for each `key = value` line of a configuration file; key and
 * value are NUL-terminated inside the text (the value may be ""). Returns
 * 0, or -EINVAL with a message in err (config_file_parse prefixes it with
 * FILE:LINE). */
typedef int (*config_file_fn)(void *cls, const char *key, const char *value,
                              char *err, size_t cap);

/* Reads the configuration file path (a regular file, or a character
 * device such as /dev/null) into a NUL-terminated buffer the caller frees.
 * When missing_ok and the file does not exist, returns 0 with *ret_text
 * NULL. Errors: -errno, -EFBIG (over CONFIG_FILE_MAX), -EINVAL (a NUL
 * byte, a directory, a FIFO), each with a message naming the file in err;
 * *ret_text untouched. */
int config_file_read(const char *path, bool missing_ok, char **ret_text,
                     char *err, size_t cap);

/* Parses text (from config_file_read; split in place) line by line:
 * blank lines and lines whose first non-blank is '#' are skipped; every
 * other line is `key = value` (blanks around both trimmed; the value runs
 * to the end of the line, '#' included) and goes to fn. Returns 0, or
 * -EINVAL with "PATH:LINE: why" in err at the first bad line. Pure. */
int config_file_parse(char *text, const char *path, config_file_fn fn,
                      void *cls, char *err, size_t cap);

/* Parses "HOST:PORT" ("[v6]:PORT" for IPv6). Returns 0 or -EINVAL. */
int config_parse_addr(const char *text, char *host, size_t hcap,
                      uint16_t *ret_port);

/* True when host (an IP literal) is a loopback address (127.0.0.0/8,
 * ::1). */
bool config_is_loopback(const char *host);

/* Checks one origin ("http(s)://host[:port]", host a name or an IP
 * literal, nothing after it) of len bytes, or a comma-separated list of
 * them. Return 0 or -EINVAL. */
int config_check_origin(const char *text, size_t len);
int config_check_origins(const char *text);

/* Parses a size with an optional K, M, G or T suffix (powers of 1024).
 * Returns 0, -EINVAL or -ERANGE. */
int config_parse_size(const char *text, uint64_t *ret);

#endif
