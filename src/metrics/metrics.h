/* metrics: the service's counters and gauges, and their Prometheus text
 * exposition (format 0.0.4) for GET /metrics and `livelog stats`.
 *
 * One process-wide registry in static storage: every series is known at
 * compile time and lives in a fixed array of C11 atomics, so the hot path
 * (metrics_add, metrics_gauge_add, metrics_observe_request) is a few
 * relaxed atomic additions, with no lock and no allocation. Values the
 * owner computes better than it counts (streams by state, a queue depth)
 * are probes: functions called when the exposition is rendered.
 * The log record counts come from log_count() (src/log/log.h).
 *
 * metrics_init() runs once at start, before any thread uses the registry;
 * everything else is safe from any thread. */
#ifndef LIVELOG_METRICS_H
#define LIVELOG_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* The Content-Type of the exposition. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Longest build version kept for livelog_build_info (longer is cut). */
#define METRICS_VERSION_MAX 127u

/* Counters: only ever go up. */
enum metrics_counter {
    METRICS_BYTES_RECEIVED = 0, /* livelog_bytes_received_total: log bytes
                                   stored from writers */
    METRICS_BYTES_SENT,         /* livelog_bytes_sent_total: log bytes
                                   handed to readers */
    METRICS_READERS_DROPPED,    /* livelog_readers_dropped_total: a reader
                                   the server cut off (must stay 0) */
    METRICS_BYTES_LOST,         /* livelog_bytes_lost_total: bytes a
                                   reader never got (must stay 0) */
    METRICS_ARCHIVED,           /* livelog_archive_uploads_total: streams
                                   the store confirmed */
    METRICS_ARCHIVED_BYTES,     /* livelog_archive_bytes_total */
    METRICS_ARCHIVE_FAILURES,   /* livelog_archive_failures_total: upload
                                   attempts that failed (retried) */
    METRICS_COUNTER_COUNT
};

/* Gauges: go up and down (signed, so a bug shows as a negative value
 * rather than a wrap to 2^64). */
enum metrics_gauge {
    METRICS_READERS_CONNECTED = 0, /* livelog_readers_connected */
    METRICS_READERS_SUSPENDED,     /* livelog_readers_suspended */
    METRICS_WRITERS,               /* livelog_writers */
    METRICS_ARCHIVE_QUEUE_DEPTH,   /* livelog_archive_queue_depth */
    METRICS_GAUGE_COUNT
};

/* The label values of livelog_streams{state}, in this order. */
enum metrics_stream_state {
    METRICS_STREAM_PENDING = 0,
    METRICS_STREAM_LIVE,
    METRICS_STREAM_COMPLETE,
    METRICS_STREAM_INTERRUPTED,
    METRICS_STREAM_STATE_COUNT
};

/* The listeners of metrics_observe_request. */
#define METRICS_LISTENER_WRITE 0
#define METRICS_LISTENER_READ 1

/* Resets every counter, gauge, histogram and probe, and sets the
 * constant series: livelog_build_info{version} (version NULL: "unknown";
 * cut at METRICS_VERSION_MAX bytes; any bytes, escaped when rendered)
 * and livelog_start_time_seconds (start_real_ns: wall-clock ns since the
 * epoch, core_clock_real_ns() at start). Call once from the main thread
 * before other threads use the registry (tests call it between cases).
 * Can't fail. */
void metrics_init(const char *version, uint64_t start_real_ns);

/* Adds n to a counter. Out-of-range c: nothing. Any thread, lock-free.
 * Can't fail. */
void metrics_add(enum metrics_counter c, uint64_t n);

/* A counter's value now (0 for an out-of-range c). Any thread. */
uint64_t metrics_counter(enum metrics_counter c);

/* Adds d (negative to subtract) to a gauge / sets it. Out-of-range g:
 * nothing. Any thread, lock-free. Can't fail. */
void metrics_gauge_add(enum metrics_gauge g, int64_t d);
void metrics_gauge_set(enum metrics_gauge g, int64_t v);

/* Makes gauge g report fn(cls) when rendered instead of its running value
 * (fn NULL: back to the running value). fn is called on the scraping
 * thread, without any lock of the registry held; it must not call
 * metrics_set_probe. cls must stay valid until the probe is replaced or
 * metrics_init runs again. Any thread. Can't fail. */
void metrics_set_probe(enum metrics_gauge g, uint64_t (*fn)(void *cls),
                       void *cls);

/* What the owner of the streams counts when scraped, in one pass. */
struct metrics_census {
    /* livelog_streams{state}, indexed by enum metrics_stream_state */
    uint64_t streams[METRICS_STREAM_STATE_COUNT];
    uint64_t writers;           /* livelog_writers */
    uint64_t readers_suspended; /* livelog_readers_suspended */
};

/* Registers the census probe: fn(cls, ret) fills *ret (zeroed before the
 * call) once per render. While one is set, livelog_streams,
 * livelog_writers and livelog_readers_suspended come from it (the two
 * gauges' running values and probes are not used); without one (fn
 * NULL) the four stream series are 0 and the gauges report as usual.
 * Same rules as metrics_set_probe. */
void metrics_set_census_probe(void (*fn)(void *cls, struct metrics_census *ret),
                              void *cls);

/* Counts one finished request in livelog_http_requests_total and
 * livelog_http_request_duration_seconds. listener: METRICS_LISTENER_WRITE
 * or _READ (anything else counts as read). route: the HTTP layer's
 * req->route ("healthz", "not-found", "v1-log", "v1-read", "v1-list",
 * "v1-reload", "v1-stats", "metrics", "log", "log-read"; NULL or any
 * other string counts as "other"). status: the code sent; 0 when the
 * connection ended without a response ("none"); 200, 201, 204, 206, 400,
 * 401, 403, 404, 405, 409, 413, 416, 500, 503 and 507 keep their own
 * label, any other code in 100..599 counts as its class ("1xx".."5xx"),
 * anything else as "other". duration_ns: from arrival to completion.
 * Any thread, lock-free, no allocation. Can't fail. */
void metrics_observe_request(int listener, const char *route, unsigned status,
                             uint64_t duration_ns);

/* Renders the whole exposition (text format 0.0.4, every family with
 * # HELP and # TYPE; request series only once observed) into a malloc'ed,
 * NUL-terminated buffer the caller frees. Calls the probes. Returns 0
 * with *ret and *ret_len (without the NUL), or -ENOMEM (outputs
 * untouched). Any thread. */
int metrics_render(char **ret, size_t *ret_len);

#endif
