/* config: the one configuration table of `livelog serve`. Every setting
 * has a flag, an environment variable, a default and a help line, and is
 * parsed and validated here and nowhere else. Precedence: flags, then the
 * environment, then the defaults. Called from main() before any thread
 * starts. */
#ifndef LIVELOG_CONFIG_H
#define LIVELOG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/log.h"
#include "store/store_stream.h"

#define CONFIG_HOST_MAX 64

struct serve_config {
    char data_dir[4096];
    char write_host[CONFIG_HOST_MAX];
    uint16_t write_port;
    char read_host[CONFIG_HOST_MAX];
    uint16_t read_port;
    char tls_cert[4096];
    char tls_key[4096];
    char read_token[1024]; /* "" when not set                       */
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
    uint64_t max_connections;
    uint64_t read_timeout_s;
};

/* Fills *cfg from the defaults, the environment and argv (argv[0] is the
 * verb, "serve"). Returns 0; 1 when --help was given (the help is printed
 * on out); -EINVAL with a one-line message in err naming the flag or
 * variable and what it accepts. */
int config_parse_serve(int argc, char **argv, struct serve_config *cfg,
                       FILE *out, char *err, size_t cap);

/* Parses "HOST:PORT" ("[v6]:PORT" for IPv6). Returns 0 or -EINVAL. */
int config_parse_addr(const char *text, char *host, size_t hcap,
                      uint16_t *ret_port);

/* Parses a size with an optional K, M, G or T suffix (powers of 1024).
 * Returns 0, -EINVAL or -ERANGE. */
int config_parse_size(const char *text, uint64_t *ret);

#endif
