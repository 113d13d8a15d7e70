/* test_metrics: unit tests for src/metrics/metrics.c. Renders the
 * exposition after scripted observations and checks exact text: every
 * logger x level of the log counts, the service series after the log
 * family (golden), histogram buckets (inclusive bounds, cumulative, +Inf
 * equal to _count, _sum), status and route label mapping, label
 * escaping, probes and the census, concurrent updates; and runs the
 * output (and a few broken expositions) through scripts/check-metrics,
 * found next to this file via __FILE__. Single-threaded cmocka tests,
 * except test_concurrent. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/log.h"
#include "metrics/metrics.h"

extern char **environ;

#define START_NS UINT64_C(1700000000123000000)

static int null_fd = -1;

static int setup(void **state)
{
    (void)state;
    null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd < 0)
        return -1;
    log_init(null_fd, LOG_FATAL, LOG_FORMAT_JSON);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_init(2, LOG_INFO, LOG_FORMAT_JSON);
    close(null_fd);
    return 0;
}

/* Renders into a malloc'ed string the caller frees. */
static char *render(void)
{
    char *text = NULL;
    size_t len = 0;

    assert_int_equal(metrics_render(&text, &len), 0);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_true(len > 0 && text[len - 1] == '\n');
    return text;
}

/* Asserts that `line` (without its '\n') is one whole line of text. */
static void assert_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return;
    }
    fail_msg("line not found: %s", line);
}

static void assert_no_line_with(const char *text, const char *part)
{
    if (strstr(text, part) != NULL)
        fail_msg("unexpected text found: %s", part);
}

static void census_probe(void *cls, struct metrics_census *ret)
{
    const struct metrics_census *c = cls;

    for (size_t i = 0; i < METRICS_STREAM_STATE_COUNT; i++)
        assert_true(ret->streams[i] == 0); /* zeroed before the call */
    assert_true(ret->writers == 0 && ret->readers_suspended == 0);
    *ret = *c;
}

static uint64_t queue_probe(void *cls)
{
    return *(const uint64_t *)cls;
}

/* The service series after the log counts, for the script below. */
static const char golden_service[] =
    "# HELP livelog_streams Streams by state.\n"
    "# TYPE livelog_streams gauge\n"
    "livelog_streams{state=\"pending\"} 1\n"
    "livelog_streams{state=\"live\"} 2\n"
    "livelog_streams{state=\"complete\"} 3\n"
    "livelog_streams{state=\"interrupted\"} 0\n"
    "# HELP livelog_bytes_received_total Log bytes received from writers "
    "and stored.\n"
    "# TYPE livelog_bytes_received_total counter\n"
    "livelog_bytes_received_total 1024\n"
    "# HELP livelog_bytes_sent_total Log bytes sent to readers.\n"
    "# TYPE livelog_bytes_sent_total counter\n"
    "livelog_bytes_sent_total 4096\n"
    "# HELP livelog_readers_connected Readers connected (following or "
    "reading).\n"
    "# TYPE livelog_readers_connected gauge\n"
    "livelog_readers_connected 2\n"
    "# HELP livelog_readers_suspended Readers parked until new bytes "
    "arrive.\n"
    "# TYPE livelog_readers_suspended gauge\n"
    "livelog_readers_suspended 1\n"
    "# HELP livelog_writers Writers connected.\n"
    "# TYPE livelog_writers gauge\n"
    "livelog_writers 1\n"
    "# HELP livelog_readers_dropped_total Readers cut off by the server: "
    "always 0: livelog never drops a reader.\n"
    "# TYPE livelog_readers_dropped_total counter\n"
    "livelog_readers_dropped_total 0\n"
    "# HELP livelog_bytes_lost_total Log bytes a reader never got: always "
    "0: livelog never drops a reader.\n"
    "# TYPE livelog_bytes_lost_total counter\n"
    "livelog_bytes_lost_total 0\n"
    "# HELP livelog_archive_uploads_total Streams uploaded to the archive "
    "and confirmed by it.\n"
    "# TYPE livelog_archive_uploads_total counter\n"
    "livelog_archive_uploads_total 0\n"
    "# HELP livelog_archive_bytes_total Bytes uploaded to the archive and "
    "confirmed by it.\n"
    "# TYPE livelog_archive_bytes_total counter\n"
    "livelog_archive_bytes_total 0\n"
    "# HELP livelog_archive_failures_total Archive upload attempts that "
    "failed (each is retried).\n"
    "# TYPE livelog_archive_failures_total counter\n"
    "livelog_archive_failures_total 0\n"
    "# HELP livelog_archive_queue_depth Completed streams waiting to be "
    "archived (0 without an archive).\n"
    "# TYPE livelog_archive_queue_depth gauge\n"
    "livelog_archive_queue_depth 0\n"
    "# HELP livelog_http_requests_total HTTP requests by listener, route "
    "and status (\"none\": the connection ended without a response).\n"
    "# TYPE livelog_http_requests_total counter\n"
    "livelog_http_requests_total{listener=\"write\",route=\"v1-log\","
    "status=\"201\"} 1\n"
    "livelog_http_requests_total{listener=\"write\",route=\"v1-log\","
    "status=\"204\"} 1\n"
    "livelog_http_requests_total{listener=\"read\",route=\"healthz\","
    "status=\"200\"} 1\n"
    "livelog_http_requests_total{listener=\"read\",route=\"v1-read\","
    "status=\"200\"} 1\n"
    "livelog_http_requests_total{listener=\"read\",route=\"v1-read\","
    "status=\"none\"} 1\n"
    "livelog_http_requests_total{listener=\"read\",route=\"other\","
    "status=\"4xx\"} 1\n"
    "# HELP livelog_http_request_duration_seconds HTTP request durations "
    "from arrival to completion, by listener and route (a follower's "
    "request lasts as long as it follows).\n"
    "# TYPE livelog_http_request_duration_seconds histogram\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"0.0005\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"0.001\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"0.005\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"0.01\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"0.05\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"0.1\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"0.5\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"1\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"5\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"30\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"300\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"write\","
    "route=\"v1-log\",le=\"+Inf\"} 2\n"
    "livelog_http_request_duration_seconds_sum{listener=\"write\","
    "route=\"v1-log\"} 0.0023\n"
    "livelog_http_request_duration_seconds_count{listener=\"write\","
    "route=\"v1-log\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"0.0005\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"0.001\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"0.005\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"0.01\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"0.05\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"0.1\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"0.5\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"1\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"5\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"30\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"300\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"healthz\",le=\"+Inf\"} 1\n"
    "livelog_http_request_duration_seconds_sum{listener=\"read\","
    "route=\"healthz\"} 0.000001\n"
    "livelog_http_request_duration_seconds_count{listener=\"read\","
    "route=\"healthz\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.0005\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.001\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.005\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.01\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.05\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.1\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.5\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"1\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"5\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"30\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"300\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"+Inf\"} 2\n"
    "livelog_http_request_duration_seconds_sum{listener=\"read\","
    "route=\"v1-read\"} 400.0005\n"
    "livelog_http_request_duration_seconds_count{listener=\"read\","
    "route=\"v1-read\"} 2\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"0.0005\"} 0\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"0.001\"} 0\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"0.005\"} 0\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"0.01\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"0.05\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"0.1\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"0.5\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"1\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"5\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"30\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"300\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"other\",le=\"+Inf\"} 1\n"
    "livelog_http_request_duration_seconds_sum{listener=\"read\","
    "route=\"other\"} 0.007\n"
    "livelog_http_request_duration_seconds_count{listener=\"read\","
    "route=\"other\"} 1\n"
    "# HELP livelog_start_time_seconds Start time of the process since the "
    "Unix epoch.\n"
    "# TYPE livelog_start_time_seconds gauge\n"
    "livelog_start_time_seconds 1700000000.123\n"
    "# HELP livelog_build_info Always 1; the version of the running binary "
    "as a label.\n"
    "# TYPE livelog_build_info gauge\n"
    "livelog_build_info{version=\"1.2.3\"} 1\n";

static const struct metrics_census census = {
    .streams = {1, 2, 3, 0},
    .writers = 1,
    .readers_suspended = 1,
};

/* The scripted observations behind golden_service. */
static void script(void)
{
    metrics_init("1.2.3", START_NS);
    metrics_set_census_probe(census_probe, (void *)&census);
    metrics_add(METRICS_BYTES_RECEIVED, 1000);
    metrics_add(METRICS_BYTES_RECEIVED, 24);
    metrics_add(METRICS_BYTES_SENT, 4096);
    metrics_gauge_add(METRICS_READERS_CONNECTED, 3);
    metrics_gauge_add(METRICS_READERS_CONNECTED, -1);
    /* the census, not these, gives writers and suspended readers */
    metrics_gauge_add(METRICS_READERS_SUSPENDED, 7);
    metrics_gauge_set(METRICS_WRITERS, 8);
    metrics_observe_request(METRICS_LISTENER_WRITE, "v1-log", 201, 300000);
    metrics_observe_request(METRICS_LISTENER_WRITE, "v1-log", 204, 2000000);
    /* a bound is inclusive: exactly 0.5 ms is in le="0.0005" */
    metrics_observe_request(METRICS_LISTENER_READ, "v1-read", 200, 500000);
    /* a follower that hung up after 400 s: only +Inf, status "none" */
    metrics_observe_request(METRICS_LISTENER_READ, "v1-read", 0,
                            UINT64_C(400000000000));
    metrics_observe_request(METRICS_LISTENER_READ, "healthz", 200, 1000);
    metrics_observe_request(METRICS_LISTENER_READ, "no-such-route", 418,
                            7000000);
}

static void test_golden(void **state)
{
    const char *part;
    char *text;

    (void)state;
    script();
    text = render();
    part = strstr(text, "# HELP livelog_streams ");
    assert_non_null(part);
    assert_string_equal(part, golden_service);
    /* the log family comes first and is followed directly by the rest */
    assert_true(strncmp(text, "# HELP livelog_log_messages_total ", 34) == 0);
    free(text);
}

static void test_log_counts(void **state)
{
    char line[256];
    char *text;

    (void)state;
    metrics_init("x", 0);
    log_error(LOGC_HTTP, "test error", LF_NONE);
    log_error(LOGC_HTTP, "test error", LF_NONE);
    log_trace(LOGC_AUTH, "test trace", LF_NONE);
    text = render();
    assert_line(text, "# TYPE livelog_log_messages_total counter");
    for (int c = 0; c < LOGC_COUNT; c++) {
        for (int l = 0; l < LOG_LEVEL_COUNT; l++) {
            snprintf(line, sizeof(line),
                     "livelog_log_messages_total{logger=\"%s\",level=\"%s\"} "
                     "%llu",
                     log_component_name((enum log_component)c),
                     log_level_name((enum log_level)l),
                     (unsigned long long)log_count((enum log_component)c,
                                                   (enum log_level)l));
            assert_line(text, line);
        }
    }
    assert_true(log_count(LOGC_HTTP, LOG_ERROR) >= 2);
    assert_line(text, "livelog_log_messages_total{logger=\"main\","
                      "level=\"fatal\"} 0");
    free(text);
}

static void test_status_and_routes(void **state)
{
    static const struct {
        unsigned status;
        const char *label;
    } cases[] = {
        {200, "200"},   {201, "201"},     {204, "204"},  {206, "206"},
        {400, "400"},   {401, "401"},     {403, "403"},  {404, "404"},
        {405, "405"},   {409, "409"},     {413, "413"},  {416, "416"},
        {500, "500"},   {503, "503"},     {507, "507"},  {100, "1xx"},
        {101, "1xx"},   {202, "2xx"},     {302, "3xx"},  {418, "4xx"},
        {599, "5xx"},   {0, "none"},      {99, "other"}, {600, "other"},
        {999, "other"}, {70000, "other"},
    };
    static const char *const routes[] = {
        "healthz",   "not-found", "v1-log",  "v1-read", "v1-list",
        "v1-reload", "v1-stats",  "metrics", "log",     "log-read",
    };
    char line[256];
    char *text;

    (void)state;
    metrics_init("x", 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        metrics_observe_request(METRICS_LISTENER_WRITE, "v1-log",
                                cases[i].status, 1);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        metrics_observe_request(METRICS_LISTENER_READ, routes[i], 200, 1);
    metrics_observe_request(METRICS_LISTENER_READ, "unknown", 200, 1);
    metrics_observe_request(METRICS_LISTENER_READ, NULL, 200, 1);
    metrics_observe_request(7, "Healthz", 200, 1); /* odd listener: read */
    text = render();
    assert_line(text, "livelog_http_requests_total{listener=\"write\","
                      "route=\"v1-log\",status=\"1xx\"} 2");
    assert_line(text, "livelog_http_requests_total{listener=\"write\","
                      "route=\"v1-log\",status=\"other\"} 4");
    assert_line(text, "livelog_http_requests_total{listener=\"write\","
                      "route=\"v1-log\",status=\"none\"} 1");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].status == 100 || cases[i].status == 101 ||
            strcmp(cases[i].label, "other") == 0)
            continue;
        snprintf(line, sizeof(line),
                 "livelog_http_requests_total{listener=\"write\","
                 "route=\"v1-log\",status=\"%s\"} 1",
                 cases[i].label);
        assert_line(text, line);
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        snprintf(line, sizeof(line),
                 "livelog_http_requests_total{listener=\"read\","
                 "route=\"%s\",status=\"200\"} 1",
                 routes[i]);
        assert_line(text, line);
        snprintf(line, sizeof(line),
                 "livelog_http_request_duration_seconds_count{listener="
                 "\"read\",route=\"%s\"} 1",
                 routes[i]);
        assert_line(text, line);
    }
    assert_line(text, "livelog_http_requests_total{listener=\"read\","
                      "route=\"other\",status=\"200\"} 3");
    assert_no_line_with(text, "route=\"unknown\"");
    assert_no_line_with(text, "route=\"Healthz\"");
    free(text);
}

static void test_histogram_buckets(void **state)
{
    static const uint64_t bounds[] = {
        500000,    1000000,    5000000,    10000000,    50000000,     100000000,
        500000000, 1000000000, 5000000000, 30000000000, 300000000000,
    };
    static const char *const le[] = {
        "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1",
        "0.5",    "1",     "5",     "30",   "300",  "+Inf",
    };
    char line[256];
    char *text;

    (void)state;
    metrics_init("x", 0);
    /* one at each bound (inclusive) and one just above it: bucket i gets
     * 2 observations, but bucket 0 also gets the 0 ns one */
    metrics_observe_request(METRICS_LISTENER_READ, "metrics", 200, 0);
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        metrics_observe_request(METRICS_LISTENER_READ, "metrics", 200,
                                bounds[i]);
        metrics_observe_request(METRICS_LISTENER_READ, "metrics", 200,
                                bounds[i] + 1);
    }
    metrics_observe_request(METRICS_LISTENER_READ, "metrics", 200,
                            UINT64_MAX / 4); /* far past +Inf's bound */
    text = render();
    for (size_t i = 0; i < 12; i++) {
        /* cumulative: 1 (0 ns) + at bound i: 1 + 2 * i (below i) + 1 */
        unsigned long long want = i < 11 ? 2 * i + 2 : 24;

        snprintf(line, sizeof(line),
                 "livelog_http_request_duration_seconds_bucket{listener="
                 "\"read\",route=\"metrics\",le=\"%s\"} %llu",
                 le[i], want);
        assert_line(text, line);
    }
    assert_line(text, "livelog_http_request_duration_seconds_count{listener="
                      "\"read\",route=\"metrics\"} 24");
    /* sum in whole microseconds, rounded: the bounds twice (the +1 ns
     * rounds away) plus UINT64_MAX / 4 ns = 4611686018427387.904 us */
    {
        uint64_t us = 0;

        for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
            us += 2 * (bounds[i] / 1000);
        us += (UINT64_MAX / 4 + 500) / 1000;
        snprintf(line, sizeof(line),
                 "livelog_http_request_duration_seconds_sum{listener="
                 "\"read\",route=\"metrics\"} %llu.%06llu",
                 (unsigned long long)(us / 1000000),
                 (unsigned long long)(us % 1000000));
        while (line[strlen(line) - 1] == '0')
            line[strlen(line) - 1] = '\0';
        if (line[strlen(line) - 1] == '.')
            line[strlen(line) - 1] = '\0';
        assert_line(text, line);
    }
    /* routes never observed have no series */
    assert_no_line_with(text, "route=\"healthz\"");
    free(text);
}

static void test_escaping(void **state)
{
    char long_version[300];
    char *text;

    (void)state;
    metrics_init("a\"b\\c\nd", 0);
    text = render();
    assert_line(text, "livelog_build_info{version=\"a\\\"b\\\\c\\nd\"} 1");
    assert_line(text, "livelog_start_time_seconds 0");
    free(text);

    metrics_init("\xff\xc3(\xe2\x82\xac ok", 0); /* invalid bytes: '?' */
    text = render();
    assert_line(text, "livelog_build_info{version=\"?\?(\xe2\x82\xac ok\"} 1");
    free(text);

    memset(long_version, 'v', sizeof(long_version) - 1);
    long_version[sizeof(long_version) - 1] = '\0';
    long_version[126] = '\xe2'; /* a sequence cut at the limit is dropped */
    long_version[127] = '\x82';
    long_version[128] = '\xac';
    metrics_init(long_version, 0);
    text = render();
    long_version[126] = '\0';
    {
        char line[512];

        snprintf(line, sizeof(line), "livelog_build_info{version=\"%s\"} 1",
                 long_version);
        assert_line(text, line);
    }
    free(text);

    metrics_init(NULL, UINT64_C(5000000001));
    text = render();
    assert_line(text, "livelog_build_info{version=\"unknown\"} 1");
    assert_line(text, "livelog_start_time_seconds 5.000000001");
    free(text);
}

static void test_probes_and_gauges(void **state)
{
    uint64_t depth = 17;
    char *text;

    (void)state;
    metrics_init("x", 0);
    metrics_gauge_add(METRICS_READERS_CONNECTED, -2);
    metrics_gauge_add(METRICS_ARCHIVE_QUEUE_DEPTH, 5);
    metrics_add(METRICS_COUNTER_COUNT, 5);                       /* ignored */
    metrics_gauge_add(METRICS_GAUGE_COUNT, 5);                   /* ignored */
    metrics_set_probe(METRICS_GAUGE_COUNT, queue_probe, &depth); /* same */
    text = render();
    assert_line(text, "livelog_readers_connected -2");
    assert_line(text, "livelog_archive_queue_depth 5");
    assert_line(text, "livelog_streams{state=\"live\"} 0");
    free(text);

    metrics_set_probe(METRICS_ARCHIVE_QUEUE_DEPTH, queue_probe, &depth);
    text = render();
    assert_line(text, "livelog_archive_queue_depth 17");
    free(text);

    metrics_set_probe(METRICS_ARCHIVE_QUEUE_DEPTH, NULL, &depth);
    text = render();
    assert_line(text, "livelog_archive_queue_depth 5");
    free(text);

    /* the census replaces the two gauges it counts, and only those */
    metrics_gauge_set(METRICS_WRITERS, 4);
    metrics_set_probe(METRICS_READERS_SUSPENDED, queue_probe, &depth);
    metrics_set_census_probe(census_probe, (void *)&census);
    text = render();
    assert_line(text, "livelog_streams{state=\"complete\"} 3");
    assert_line(text, "livelog_writers 1");
    assert_line(text, "livelog_readers_suspended 1");
    assert_line(text, "livelog_readers_connected -2");
    free(text);
    metrics_set_census_probe(NULL, (void *)&census);
    text = render();
    assert_line(text, "livelog_streams{state=\"complete\"} 0");
    assert_line(text, "livelog_writers 4");
    assert_line(text, "livelog_readers_suspended 17");
    free(text);

    metrics_set_probe(METRICS_ARCHIVE_QUEUE_DEPTH, queue_probe, &depth);
    metrics_set_census_probe(census_probe, (void *)&census);
    metrics_init("x", 0); /* forgets probes and values */
    text = render();
    assert_line(text, "livelog_archive_queue_depth 0");
    assert_line(text, "livelog_readers_connected 0");
    assert_line(text, "livelog_writers 0");
    assert_line(text, "livelog_streams{state=\"pending\"} 0");
    free(text);
}

#define THREADS 4
#define PER_THREAD 50000

static void *hammer(void *arg)
{
    int id = (int)(intptr_t)arg;

    for (int i = 0; i < PER_THREAD; i++) {
        metrics_add(METRICS_BYTES_SENT, 3);
        metrics_gauge_add(METRICS_READERS_CONNECTED, (i & 1) ? -1 : 1);
        metrics_observe_request(id & 1, "v1-read", 200,
                                (uint64_t)(i % 4) * 1000000);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    pthread_t th[THREADS];
    char line[256];
    char *text;

    (void)state;
    metrics_init("x", 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(
            pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 20; i++)
        free(render()); /* scrapes while the counts move */
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    text = render();
    snprintf(line, sizeof(line), "livelog_bytes_sent_total %d",
             3 * THREADS * PER_THREAD);
    assert_line(text, line);
    assert_line(text, "livelog_readers_connected 0");
    snprintf(line, sizeof(line),
             "livelog_http_requests_total{listener=\"read\",route="
             "\"v1-read\",status=\"200\"} %d",
             THREADS / 2 * PER_THREAD);
    assert_line(text, line);
    /* durations 0, 1, 2, 3 ms in turn: 1/4 at le 0.0005, 1/2 at 0.001 */
    snprintf(line, sizeof(line),
             "livelog_http_request_duration_seconds_bucket{listener="
             "\"write\",route=\"v1-read\",le=\"0.001\"} %d",
             THREADS / 2 * PER_THREAD / 2);
    assert_line(text, line);
    snprintf(line, sizeof(line),
             "livelog_http_request_duration_seconds_sum{listener="
             "\"write\",route=\"v1-read\"} %d",
             THREADS / 2 * PER_THREAD / 4 * 6 / 1000);
    assert_line(text, line);
    free(text);
}

/* ---- scripts/check-metrics ---- */

/* The repository root from this file's path (absolute in CMake builds),
 * or NULL when it cannot be told. */
static char *repo_root(void)
{
    static const char tail[] = "/tests/unit/test_metrics.c";
    const char *f = __FILE__;
    size_t len = strlen(f);
    char *root;

    if (f[0] != '/' || len < sizeof(tail) ||
        strcmp(f + len - (sizeof(tail) - 1), tail) != 0)
        return NULL;
    root = strndup(f, len - (sizeof(tail) - 1));
    assert_non_null(root);
    return root;
}

/* Runs `python3 ROOT/scripts/check-metrics --no-promtool FILE` over text
 * (promtool, when installed, is run once on the real exposition in
 * test_check_metrics_accepts). Returns its exit status, or -1 when
 * python3 is missing. */
static int check_metrics(const char *text, size_t len, bool promtool)
{
    char path[] = "/tmp/test_metrics.XXXXXX";
    char script[4096];
    char *root = repo_root();
    char *argv[6];
    int argc = 0;
    pid_t pid;
    int fd, st, rc;

    if (root == NULL)
        return -1;
    snprintf(script, sizeof(script), "%s/scripts/check-metrics", root);
    free(root);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_true(write(fd, text, len) == (ssize_t)len);
    close(fd);
    argv[argc++] = (char *)"python3";
    argv[argc++] = script;
    if (!promtool)
        argv[argc++] = (char *)"--no-promtool";
    argv[argc++] = path;
    argv[argc] = NULL;
    rc = posix_spawnp(&pid, "python3", NULL, NULL, argv, environ);
    if (rc != 0) {
        unlink(path);
        return -1;
    }
    assert_true(waitpid(pid, &st, 0) == pid);
    unlink(path);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 127)
        return -1;
    return WEXITSTATUS(st);
}

static void test_check_metrics_accepts(void **state)
{
    char *text;
    int rc;

    (void)state;
    metrics_init("weird \"version\"\\\n", START_NS);
    log_warning(LOGC_STORE, "test warning", LF_NONE);
    metrics_observe_request(METRICS_LISTENER_READ, "v1-read", 0, 5);
    metrics_observe_request(METRICS_LISTENER_WRITE, "log", 507, 1);
    text = render();
    rc = check_metrics(text, strlen(text), true);
    free(text);
    if (rc < 0)
        skip();
    assert_int_equal(rc, 0);

    script();
    text = render();
    assert_int_equal(check_metrics(text, strlen(text), true), 0);
    free(text);
}

static void test_check_metrics_rejects(void **state)
{
    static const char head[] = "# HELP h d\n# TYPE h histogram\n"
                               "h_bucket{le=\"1\"} 1\n";
    static const char *const bad[] = {
        /* not cumulative */
        "h_bucket{le=\"2\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
        "h_count 1\n",
        /* _count != +Inf */
        "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
        /* no +Inf */
        "h_bucket{le=\"2\"} 2\nh_sum 1\nh_count 2\n",
        /* le not ascending */
        "h_bucket{le=\"0.5\"} 2\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n"
        "h_count 2\n",
        /* no _sum */
        "h_bucket{le=\"+Inf\"} 2\nh_count 2\n",
        /* bad escape */
        "h_bucket{le=\"+Inf\",x=\"\\t\"} 2\nh_sum 1\nh_count 2\n",
        /* no final line feed */
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1",
        /* duplicate series */
        "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
        "h_count 1\n",
        /* negative counter, TYPE once */
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# HELP c d\n"
        "# TYPE c counter\nc -1\n",
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# TYPE h gauge\n",
        /* not contiguous */
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\n# HELP g d\n# TYPE g gauge\n"
        "g 1\nh_count 1\n",
        /* bad names and values */
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# HELP 1g d\n",
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# HELP g d\n"
        "# TYPE g gauge\ng{1a=\"x\"} 1\n",
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# HELP g d\n"
        "# TYPE g gauge\ng one\n",
    };
    char text[1024];
    int rc;

    (void)state;
    snprintf(text, sizeof(text), "%s%s", head,
             "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n");
    rc = check_metrics(text, strlen(text), false);
    if (rc < 0)
        skip();
    assert_int_equal(rc, 0); /* the base case is valid */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "%s%s", head, bad[i]);
        rc = check_metrics(text, strlen(text), false);
        if (rc != 1)
            fail_msg("case %zu: exit %d for:\n%s", i, rc, text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_log_counts),
        cmocka_unit_test(test_status_and_routes),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_probes_and_gauges),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_check_metrics_accepts),
        cmocka_unit_test(test_check_metrics_rejects),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
