/* client_stats: `livelog stats [URL]`, Fuchsia RFC-0003's `cs --log-stats`
 * for livelog. Fetches the server's /metrics, reads the log record counts
 * (livelog_log_messages_total{logger,level}) and a few service figures,
 * and prints them as a per-logger table or one JSON object. The parser
 * and the renderer are pure functions, exposed for the unit test.
 * Runs on the main thread of the process. */
#ifndef LIVELOG_CLIENT_STATS_H
#define LIVELOG_CLIENT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What `livelog stats` fetches without a URL. */
#define CLIENT_STATS_DEFAULT_URL "http://127.0.0.1:60022/metrics"

/* Limits of the parsed answer: loggers (rows), bytes of a logger name,
 * bytes of the whole exposition. */
#define CLIENT_STATS_LOGGERS_MAX 64u
#define CLIENT_STATS_NAME_MAX 63u
#define CLIENT_STATS_BODY_MAX (8u << 20)

/* The RFC-0003 levels, the table's columns in this order. */
#define CLIENT_STATS_LEVELS 6u

/* The service figures under the table. */
enum client_stats_figure {
    CLIENT_STATS_STREAMS_PENDING = 0, /* livelog_streams{state="pending"} */
    CLIENT_STATS_STREAMS_LIVE,        /* ...{state="live"} */
    CLIENT_STATS_STREAMS_COMPLETE,    /* ...{state="complete"} */
    CLIENT_STATS_STREAMS_INTERRUPTED, /* ...{state="interrupted"} */
    CLIENT_STATS_READERS_CONNECTED,   /* livelog_readers_connected */
    CLIENT_STATS_READERS_SUSPENDED,   /* livelog_readers_suspended */
    CLIENT_STATS_READERS_DROPPED,     /* livelog_readers_dropped_total */
    CLIENT_STATS_WRITERS,             /* livelog_writers */
    CLIENT_STATS_BYTES_RECEIVED,      /* livelog_bytes_received_total */
    CLIENT_STATS_BYTES_SENT,          /* livelog_bytes_sent_total */
    CLIENT_STATS_BYTES_LOST,          /* livelog_bytes_lost_total */
    CLIENT_STATS_FIGURE_COUNT
};

/* One logger's record counts, indexed like enum log_level (fatal first). */
struct client_stats_logger {
    char name[CLIENT_STATS_NAME_MAX + 1]; /* NUL-terminated, any bytes */
    uint64_t counts[CLIENT_STATS_LEVELS];
};

/* What the exposition says. */
struct client_stats {
    size_t nloggers; /* rows used, in the order first seen */
    struct client_stats_logger loggers[CLIENT_STATS_LOGGERS_MAX];
    bool has[CLIENT_STATS_FIGURE_COUNT]; /* the figure was in the answer */
    int64_t figures[CLIENT_STATS_FIGURE_COUNT];
};

/* Parses a Prometheus text exposition (format 0.0.4) from text[0..len).
 * Every sample line is checked (metric and label names, quoted label
 * values with the \\ \" \n escapes, a numeric value, an optional integer
 * timestamp); comment lines are skipped. The series above are read: their
 * values must be integers (counts non-negative); levels other than the
 * six RFC-0003 ones and other metrics are ignored. Returns 0 with *ret
 * filled; -EINVAL when the text is not valid metrics or holds no
 * livelog_log_messages_total series, with a one-line reason ("line 3:
 * ...") in why[0..why_cap) (why may be NULL); -ENOMEM. *ret is untouched
 * on failure. Pure (allocates scratch memory only). */
int client_stats_parse(const char *text, size_t len, char *why, size_t why_cap,
                       struct client_stats *ret);

/* Renders s as the table (json false) or as one JSON object with a
 * trailing newline (json true). Table: one row per logger with columns
 * FATAL ERROR WARNING INFO DEBUG TRACE total, sorted by fatal count
 * descending, then error count descending, then name (so the rows with
 * FATAL or ERROR come first); a "total" row; a blank line; then streams,
 * readers, writers and bytes ("-" / null for a figure the answer
 * lacked). Returns 0 with a malloc'ed, NUL-terminated text in *ret (the
 * caller frees it) and its length in *ret_len, or -ENOMEM (outputs
 * untouched). Pure. */
int client_stats_format(const struct client_stats *s, bool json, char **ret,
                        size_t *ret_len);

/* The URL to fetch for a URL given by the user: "http://" added when it
 * has no scheme, "/metrics" when it has no path (or just "/"). Returns 0
 * with a malloc'ed string in *ret, -EINVAL for an empty URL, -ENOMEM.
 * Pure. */
int client_stats_metrics_url(const char *url, char **ret);

/* `livelog stats [URL] [--json] [--token T]`; argv[0] is "stats". Token
 * from --token or the environment (LIVELOG_TOKEN), sent as
 * Authorization: Bearer. Exit status: 0 printed, 1 the server could not
 * be reached or did not answer valid metrics (one line on stderr says
 * which), 2 usage error. */
int client_stats_main(int argc, char **argv);

#endif
