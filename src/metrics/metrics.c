/* metrics: the process-wide registry of counters, gauges, probes and the
 * HTTP request histograms, and its Prometheus text exposition (contract in
 * metrics.h). Every series is a slot of a static array of atomics, updated
 * with relaxed order from any thread; rendering (the /metrics scrape)
 * reads them one by one, so a scrape taken during traffic is a consistent
 * view of each series, not of the whole set. Probes are the only shared
 * state behind a lock, taken on the cold paths only (set and render). */
#include "metrics/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the fixed label sets ---- */

static const char *const listener_names[2] = {"write", "read"};

/* req->route values; the last one takes every string not listed. */
static const char *const route_names[] = {
    "healthz",  "not-found", "v1-log", "v1-read",  "v1-list", "v1-reload",
    "v1-stats", "metrics",   "log",    "log-read", "other",
};
#define ROUTE_COUNT ARRAY_LEN(route_names)
#define ROUTE_OTHER (ROUTE_COUNT - 1)

/* Status codes that keep their own label, then the classes. */
static const unsigned status_codes[] = {
    200, 201, 204, 206, 400, 401, 403, 404, 405, 409, 413, 416, 500, 503, 507,
};
#define STATUS_CODES ARRAY_LEN(status_codes)
static const char *const status_extra[] = {
    "1xx", "2xx", "3xx", "4xx", "5xx", "none", "other",
};
#define STATUS_CLASS(c) (STATUS_CODES + (size_t)(c)-1) /* c in 1..5 */
#define STATUS_NONE (STATUS_CODES + 5)
#define STATUS_OTHER (STATUS_CODES + 6)
#define STATUS_COUNT (STATUS_CODES + ARRAY_LEN(status_extra))

/* Upper bounds of the duration buckets in ns, and as `le` label values;
 * the last bucket (+Inf) has no bound. */
static const uint64_t bucket_ns[] = {
    500000,    1000000,    5000000,    10000000,    50000000,     100000000,
    500000000, 1000000000, 5000000000, 30000000000, 300000000000,
};
static const char *const bucket_le[] = {
    "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1",
    "0.5",    "1",     "5",     "30",   "300",  "+Inf",
};
#define BUCKET_COUNT ARRAY_LEN(bucket_le)
_Static_assert(ARRAY_LEN(bucket_ns) + 1 == BUCKET_COUNT, "bucket bounds");

static const char *const stream_state_names[METRICS_STREAM_STATE_COUNT] = {
    "pending",
    "live",
    "complete",
    "interrupted",
};

/* ---- the registry ---- */

static _Atomic uint64_t counters[METRICS_COUNTER_COUNT];
static _Atomic int64_t gauges[METRICS_GAUGE_COUNT];

/* Requests by listener, route and status label. */
static _Atomic uint64_t requests[2][ROUTE_COUNT][STATUS_COUNT];
/* Duration histograms by listener and route: per-bucket (not cumulative)
 * counts, and the sum in microseconds (ns would wrap after ~584 years of
 * summed request time, which 10,000 followers reach in three weeks). */
static _Atomic uint64_t buckets[2][ROUTE_COUNT][BUCKET_COUNT];
static _Atomic uint64_t sum_us[2][ROUTE_COUNT];

/* Probes, behind probe_lock (set and render only). */
struct probe {
    uint64_t (*fn)(void *cls);
    void *cls;
};
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct probe probes[METRICS_GAUGE_COUNT];
static void (*census_fn)(void *cls, struct metrics_census *ret);
static void *census_cls;

/* Constant series, written by metrics_init only. */
static char version[METRICS_VERSION_MAX + 1] = "unknown";
static uint64_t start_ns;

/* The length of the valid UTF-8 sequence at s[0..len), or 0. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
    size_t n;
    unsigned min;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1fu;
        min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0fu;
        min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0u) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Copies at most cap - 1 bytes of s into out as valid UTF-8 (each byte
 * that does not start a valid sequence becomes '?'; a sequence that does
 * not fit whole is dropped), NUL-terminated. */
static void copy_utf8(const char *s, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0, o = 0;

    while (i < len) {
        size_t n = utf8_len(u + i, len - i);

        if (n == 0) {
            if (o + 1 >= cap)
                break;
            out[o++] = '?';
            i++;
            continue;
        }
        if (o + n >= cap)
            break;
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
}

void metrics_init(const char *ver, uint64_t start_real_ns)
{
    for (size_t i = 0; i < METRICS_COUNTER_COUNT; i++)
        atomic_store_explicit(&counters[i], 0, memory_order_relaxed);
    for (size_t i = 0; i < METRICS_GAUGE_COUNT; i++)
        atomic_store_explicit(&gauges[i], 0, memory_order_relaxed);
    for (size_t l = 0; l < 2; l++) {
        for (size_t r = 0; r < ROUTE_COUNT; r++) {
            for (size_t s = 0; s < STATUS_COUNT; s++)
                atomic_store_explicit(&requests[l][r][s], 0,
                                      memory_order_relaxed);
            for (size_t b = 0; b < BUCKET_COUNT; b++)
                atomic_store_explicit(&buckets[l][r][b], 0,
                                      memory_order_relaxed);
            atomic_store_explicit(&sum_us[l][r], 0, memory_order_relaxed);
        }
    }
    pthread_mutex_lock(&probe_lock);
    memset(probes, 0, sizeof(probes));
    census_fn = NULL;
    census_cls = NULL;
    copy_utf8(ver != NULL ? ver : "unknown", version, sizeof(version));
    start_ns = start_real_ns;
    pthread_mutex_unlock(&probe_lock);
}

void metrics_add(enum metrics_counter c, uint64_t n)
{
    if ((int)c < 0 || c >= METRICS_COUNTER_COUNT)
        return;
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

uint64_t metrics_counter(enum metrics_counter c)
{
    if ((int)c < 0 || c >= METRICS_COUNTER_COUNT)
        return 0;
    return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

void metrics_gauge_add(enum metrics_gauge g, int64_t d)
{
    if ((int)g < 0 || g >= METRICS_GAUGE_COUNT)
        return;
    atomic_fetch_add_explicit(&gauges[g], d, memory_order_relaxed);
}

void metrics_gauge_set(enum metrics_gauge g, int64_t v)
{
    if ((int)g < 0 || g >= METRICS_GAUGE_COUNT)
        return;
    atomic_store_explicit(&gauges[g], v, memory_order_relaxed);
}

void metrics_set_probe(enum metrics_gauge g, uint64_t (*fn)(void *cls),
                       void *cls)
{
    if ((int)g < 0 || g >= METRICS_GAUGE_COUNT)
        return;
    pthread_mutex_lock(&probe_lock);
    probes[g].fn = fn;
    probes[g].cls = fn != NULL ? cls : NULL;
    pthread_mutex_unlock(&probe_lock);
}

void metrics_set_census_probe(void (*fn)(void *cls, struct metrics_census *ret),
                              void *cls)
{
    pthread_mutex_lock(&probe_lock);
    census_fn = fn;
    census_cls = fn != NULL ? cls : NULL;
    pthread_mutex_unlock(&probe_lock);
}

/* The route index of a req->route string. */
static size_t route_index(const char *route)
{
    if (route == NULL)
        return ROUTE_OTHER;
    for (size_t i = 0; i < ROUTE_OTHER; i++) {
        if (strcmp(route, route_names[i]) == 0)
            return i;
    }
    return ROUTE_OTHER;
}

/* The status label index of a status code. */
static size_t status_index(unsigned status)
{
    if (status == 0)
        return STATUS_NONE;
    for (size_t i = 0; i < STATUS_CODES; i++) {
        if (status == status_codes[i])
            return i;
    }
    if (status >= 100 && status <= 599)
        return STATUS_CLASS(status / 100);
    return STATUS_OTHER;
}

void metrics_observe_request(int listener, const char *route, unsigned status,
                             uint64_t duration_ns)
{
    size_t l = listener == METRICS_LISTENER_WRITE ? 0 : 1;
    size_t r = route_index(route);
    size_t b = 0;

    while (b < ARRAY_LEN(bucket_ns) && duration_ns > bucket_ns[b])
        b++;
    atomic_fetch_add_explicit(&requests[l][r][status_index(status)], 1,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&buckets[l][r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sum_us[l][r], (duration_ns + 500) / 1000,
                              memory_order_relaxed);
}

/* ---- rendering ---- */

/* A growing output buffer; after a failed allocation it stops and
 * remembers. */
struct out {
    char *buf;
    size_t len;
    size_t cap;
    bool oom;
};

static void out_reserve(struct out *o, size_t more)
{
    size_t cap;
    char *p;

    if (o->oom || o->len + more < o->cap)
        return;
    cap = o->cap != 0 ? o->cap : 16384;
    while (cap <= o->len + more)
        cap *= 2;
    p = realloc(o->buf, cap);
    if (p == NULL) {
        o->oom = true;
        return;
    }
    o->buf = p;
    o->cap = cap;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
    out_reserve(o, n);
    if (o->oom)
        return;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void out_fmt(struct out *o,
                                                          const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->oom = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        out_mem(o, small, (size_t)n);
        return;
    }
    out_reserve(o, (size_t)n + 1);
    if (o->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* Appends s escaped as a label value (backslash, double quote and line
 * feed; quote true) or as HELP text (backslash and line feed only). */
static void out_escaped(struct out *o, const char *s, bool quote)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            out_mem(o, "\\\\", 2);
        else if (*s == '\n')
            out_mem(o, "\\n", 2);
        else if (*s == '"' && quote)
            out_mem(o, "\\\"", 2);
        else
            out_mem(o, s, 1);
    }
}

/* Appends v / 10^digits as a decimal with trailing zeros of the fraction
 * dropped ("1.5", "2"). */
static void out_fixed(struct out *o, uint64_t v, unsigned digits)
{
    uint64_t scale = 1;
    char frac[24];
    uint64_t rem;
    int n;

    for (unsigned i = 0; i < digits; i++)
        scale *= 10;
    rem = v % scale;
    out_fmt(o, "%" PRIu64, v / scale);
    if (rem == 0)
        return;
    n = snprintf(frac, sizeof(frac), "%0*" PRIu64, (int)digits, rem);
    while (n > 0 && frac[n - 1] == '0')
        n--;
    out_mem(o, ".", 1);
    out_mem(o, frac, (size_t)n);
}

static void out_family(struct out *o, const char *name, const char *type,
                       const char *help)
{
    out_fmt(o, "# HELP %s ", name);
    out_escaped(o, help, false);
    out_fmt(o, "\n# TYPE %s %s\n", name, type);
}

static void render_log_counts(struct out *o)
{
    out_family(o, "livelog_log_messages_total", "counter",
               "Log records by logger and level (Fuchsia RFC-0003 levels), "
               "counted below the threshold too.");
    for (int c = 0; c < LOGC_COUNT; c++) {
        for (int l = 0; l < LOG_LEVEL_COUNT; l++) {
            out_str(o, "livelog_log_messages_total{logger=\"");
            out_escaped(o, log_component_name((enum log_component)c), true);
            out_str(o, "\",level=\"");
            out_escaped(o, log_level_name((enum log_level)l), true);
            out_fmt(o, "\"} %" PRIu64 "\n",
                    log_count((enum log_component)c, (enum log_level)l));
        }
    }
}

/* Takes the census when a probe is set. Returns whether it did. */
static bool take_census(struct metrics_census *ret)
{
    void (*fn)(void *, struct metrics_census *);
    void *cls;

    pthread_mutex_lock(&probe_lock);
    fn = census_fn;
    cls = census_cls;
    pthread_mutex_unlock(&probe_lock);
    memset(ret, 0, sizeof(*ret));
    if (fn == NULL)
        return false;
    fn(cls, ret);
    return true;
}

static void render_streams(struct out *o, const struct metrics_census *c)
{
    out_family(o, "livelog_streams", "gauge", "Streams by state.");
    for (size_t s = 0; s < METRICS_STREAM_STATE_COUNT; s++)
        out_fmt(o, "livelog_streams{state=\"%s\"} %" PRIu64 "\n",
                stream_state_names[s], c->streams[s]);
}

static void render_counter(struct out *o, const char *name, const char *help,
                           enum metrics_counter c)
{
    out_family(o, name, "counter", help);
    out_fmt(o, "%s %" PRIu64 "\n", name,
            atomic_load_explicit(&counters[c], memory_order_relaxed));
}

/* A gauge: from the census when `census` is not NULL, else from its
 * probe or its running value. */
static void render_gauge(struct out *o, const char *name, const char *help,
                         enum metrics_gauge g, const uint64_t *census)
{
    struct probe p;

    pthread_mutex_lock(&probe_lock);
    p = probes[g];
    pthread_mutex_unlock(&probe_lock);
    out_family(o, name, "gauge", help);
    if (census != NULL)
        out_fmt(o, "%s %" PRIu64 "\n", name, *census);
    else if (p.fn != NULL)
        out_fmt(o, "%s %" PRIu64 "\n", name, p.fn(p.cls));
    else
        out_fmt(o, "%s %" PRId64 "\n", name,
                atomic_load_explicit(&gauges[g], memory_order_relaxed));
}

/* The label text of a status index ("200", "4xx", "none"). */
static void status_label(size_t s, char *buf, size_t cap)
{
    if (s < STATUS_CODES)
        snprintf(buf, cap, "%u", status_codes[s]);
    else
        snprintf(buf, cap, "%s", status_extra[s - STATUS_CODES]);
}

static void render_requests(struct out *o)
{
    char st[16];

    out_family(o, "livelog_http_requests_total", "counter",
               "HTTP requests by listener, route and status (\"none\": the "
               "connection ended without a response).");
    for (size_t l = 0; l < 2; l++) {
        for (size_t r = 0; r < ROUTE_COUNT; r++) {
            for (size_t s = 0; s < STATUS_COUNT; s++) {
                uint64_t v = atomic_load_explicit(&requests[l][r][s],
                                                  memory_order_relaxed);
                if (v == 0)
                    continue;
                status_label(s, st, sizeof(st));
                out_fmt(o,
                        "livelog_http_requests_total{listener=\"%s\","
                        "route=\"%s\",status=\"%s\"} %" PRIu64 "\n",
                        listener_names[l], route_names[r], st, v);
            }
        }
    }
}

static void render_durations(struct out *o)
{
    static const char name[] = "livelog_http_request_duration_seconds";

    out_family(o, name, "histogram",
               "HTTP request durations from arrival to completion, by "
               "listener and route (a follower's request lasts as long as "
               "it follows).");
    for (size_t l = 0; l < 2; l++) {
        for (size_t r = 0; r < ROUTE_COUNT; r++) {
            uint64_t cum = 0, v[BUCKET_COUNT];

            for (size_t b = 0; b < BUCKET_COUNT; b++) {
                v[b] = atomic_load_explicit(&buckets[l][r][b],
                                            memory_order_relaxed);
                cum += v[b];
            }
            if (cum == 0)
                continue;
            cum = 0;
            for (size_t b = 0; b < BUCKET_COUNT; b++) {
                cum += v[b];
                out_fmt(o,
                        "%s_bucket{listener=\"%s\",route=\"%s\",le=\"%s\"} "
                        "%" PRIu64 "\n",
                        name, listener_names[l], route_names[r], bucket_le[b],
                        cum);
            }
            out_fmt(o, "%s_sum{listener=\"%s\",route=\"%s\"} ", name,
                    listener_names[l], route_names[r]);
            out_fixed(o,
                      atomic_load_explicit(&sum_us[l][r], memory_order_relaxed),
                      6);
            out_fmt(o, "\n%s_count{listener=\"%s\",route=\"%s\"} %" PRIu64 "\n",
                    name, listener_names[l], route_names[r], cum);
        }
    }
}

int metrics_render(char **ret, size_t *ret_len)
{
    char ver[sizeof(version)];
    struct metrics_census census;
    struct out o = {0};
    bool counted;
    uint64_t start;

    pthread_mutex_lock(&probe_lock);
    memcpy(ver, version, sizeof(ver));
    start = start_ns;
    pthread_mutex_unlock(&probe_lock);

    counted = take_census(&census);
    render_log_counts(&o);
    render_streams(&o, &census);
    render_counter(&o, "livelog_bytes_received_total",
                   "Log bytes received from writers and stored.",
                   METRICS_BYTES_RECEIVED);
    render_counter(&o, "livelog_bytes_sent_total", "Log bytes sent to readers.",
                   METRICS_BYTES_SENT);
    render_gauge(&o, "livelog_readers_connected",
                 "Readers connected (following or reading).",
                 METRICS_READERS_CONNECTED, NULL);
    render_gauge(&o, "livelog_readers_suspended",
                 "Readers parked until new bytes arrive.",
                 METRICS_READERS_SUSPENDED,
                 counted ? &census.readers_suspended : NULL);
    render_gauge(&o, "livelog_writers", "Writers connected.", METRICS_WRITERS,
                 counted ? &census.writers : NULL);
    render_counter(&o, "livelog_readers_dropped_total",
                   "Readers cut off by the server: always 0: livelog never "
                   "drops a reader.",
                   METRICS_READERS_DROPPED);
    render_counter(&o, "livelog_bytes_lost_total",
                   "Log bytes a reader never got: always 0: livelog never "
                   "drops a reader.",
                   METRICS_BYTES_LOST);
    render_counter(&o, "livelog_archive_uploads_total",
                   "Streams uploaded to the archive and confirmed by it.",
                   METRICS_ARCHIVED);
    render_counter(&o, "livelog_archive_bytes_total",
                   "Bytes uploaded to the archive and confirmed by it.",
                   METRICS_ARCHIVED_BYTES);
    render_counter(&o, "livelog_archive_failures_total",
                   "Archive upload attempts that failed (each is retried).",
                   METRICS_ARCHIVE_FAILURES);
    render_gauge(&o, "livelog_archive_queue_depth",
                 "Completed streams waiting to be archived (0 without an "
                 "archive).",
                 METRICS_ARCHIVE_QUEUE_DEPTH, NULL);
    render_requests(&o);
    render_durations(&o);
    out_family(&o, "livelog_start_time_seconds", "gauge",
               "Start time of the process since the Unix epoch.");
    out_str(&o, "livelog_start_time_seconds ");
    out_fixed(&o, start, 9);
    out_str(&o, "\n");
    out_family(&o, "livelog_build_info", "gauge",
               "Always 1; the version of the running binary as a label.");
    out_str(&o, "livelog_build_info{version=\"");
    out_escaped(&o, ver, true);
    out_str(&o, "\"} 1\n");

    if (o.oom) {
        free(o.buf);
        return -ENOMEM;
    }
    *ret = o.buf;
    *ret_len = o.len;
    return 0;
}
