/* test_client_stats: unit tests for src/client/client_stats.c. The pure
 * parts without a server: the exposition parser (a known answer, label
 * escapes, timestamps, what makes an answer invalid, the limits), the
 * table and JSON renderers against golden text (the JSON also parsed by
 * jansson), the URL defaults. Then client_stats_main end to end against a
 * one-shot HTTP server on a thread (stdout captured in a memfd): the
 * request it sends, exit codes 0, 1 and 2. Single-threaded cmocka tests,
 * except the server thread. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "client/client_stats.h"

/* A server's answer: every family a livelog server renders, counts with
 * FATAL and ERROR in a few loggers, a level this client does not know,
 * comments, a blank line, a timestamp. */
static const char known[] =
    "# HELP livelog_log_messages_total Log records by logger and level.\n"
    "# TYPE livelog_log_messages_total counter\n"
    "livelog_log_messages_total{logger=\"main\",level=\"fatal\"} 0\n"
    "livelog_log_messages_total{logger=\"main\",level=\"error\"} 0\n"
    "livelog_log_messages_total{logger=\"main\",level=\"warning\"} 0\n"
    "livelog_log_messages_total{logger=\"main\",level=\"info\"} 3\n"
    "livelog_log_messages_total{logger=\"main\",level=\"debug\"} 0\n"
    "livelog_log_messages_total{logger=\"main\",level=\"trace\"} 0\n"
    "livelog_log_messages_total{logger=\"http\",level=\"fatal\"} 0\n"
    "livelog_log_messages_total{logger=\"http\",level=\"error\"} 2\n"
    "livelog_log_messages_total{logger=\"http\",level=\"warning\"} 15\n"
    "livelog_log_messages_total{logger=\"http\",level=\"info\"} 120\n"
    "livelog_log_messages_total{logger=\"http\",level=\"debug\"} 7\n"
    "livelog_log_messages_total{logger=\"http\",level=\"trace\"} 123456\n"
    "livelog_log_messages_total{logger=\"store\",level=\"fatal\"} 1\n"
    "livelog_log_messages_total{logger=\"store\",level=\"error\"} 0\n"
    "livelog_log_messages_total{logger=\"store\",level=\"warning\"} 1\n"
    "livelog_log_messages_total{logger=\"store\",level=\"info\"} 7\n"
    "livelog_log_messages_total{logger=\"store\",level=\"debug\"} 0\n"
    "livelog_log_messages_total{logger=\"store\",level=\"trace\"} 0\n"
    "livelog_log_messages_total{level=\"error\",logger=\"stream\"} 2\n"
    "livelog_log_messages_total{logger=\"stream\",level=\"info\"} 40\n"
    "livelog_log_messages_total{logger=\"stream\",level=\"notice\"} 99\n"
    "livelog_log_messages_total{logger=\"auth\",level=\"warning\"} 4\n"
    "livelog_log_messages_total{logger=\"auth\",level=\"info\",} 2 "
    "1700000000000\n"
    "livelog_log_messages_total{logger=\"tls\",level=\"info\"} 0\n"
    "\n"
    "# a comment\n"
    "# HELP livelog_streams Streams by state.\n"
    "# TYPE livelog_streams gauge\n"
    "livelog_streams{state=\"pending\"} 1\n"
    "livelog_streams{state=\"live\"} 2\n"
    "livelog_streams{state=\"complete\"} 3\n"
    "livelog_streams{state=\"interrupted\"} 4\n"
    "# TYPE livelog_bytes_received_total counter\n"
    "livelog_bytes_received_total 1048576\n"
    "# TYPE livelog_bytes_sent_total counter\n"
    "livelog_bytes_sent_total 3145728\n"
    "# TYPE livelog_readers_connected gauge\n"
    "livelog_readers_connected 5\n"
    "# TYPE livelog_readers_suspended gauge\n"
    "livelog_readers_suspended 3\n"
    "# TYPE livelog_writers gauge\n"
    "livelog_writers 2\n"
    "# TYPE livelog_readers_dropped_total counter\n"
    "livelog_readers_dropped_total 0\n"
    "# TYPE livelog_bytes_lost_total counter\n"
    "livelog_bytes_lost_total 0\n"
    "# TYPE livelog_archive_queue_depth gauge\n"
    "livelog_archive_queue_depth 0\n"
    "# TYPE livelog_http_request_duration_seconds histogram\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"0.0005\"} 1\n"
    "livelog_http_request_duration_seconds_bucket{listener=\"read\","
    "route=\"v1-read\",le=\"+Inf\"} 2\n"
    "livelog_http_request_duration_seconds_sum{listener=\"read\","
    "route=\"v1-read\"} 400.0005\n"
    "livelog_http_request_duration_seconds_count{listener=\"read\","
    "route=\"v1-read\"} 2\n"
    "# TYPE livelog_start_time_seconds gauge\n"
    "livelog_start_time_seconds 1.7e+09\n"
    "# TYPE livelog_build_info gauge\n"
    "livelog_build_info{version=\"0.1.0 \\\"x\\\"\"} 1\n"
    "other_metric NaN\n"
    "other_metric2{a=\"b\"} -Inf\n";

static const char golden_table[] =
    "logger  FATAL  ERROR  WARNING  INFO  DEBUG   TRACE   total\n"
    "store       1      0        1     7      0       0       9\n"
    "http        0      2       15   120      7  123456  123600\n"
    "stream      0      2        0    40      0       0      42\n"
    "auth        0      0        4     2      0       0       6\n"
    "main        0      0        0     3      0       0       3\n"
    "tls         0      0        0     0      0       0       0\n"
    "total       1      4       20   172      7  123456  123660\n"
    "\n"
    "streams  1 pending, 2 live, 3 complete, 4 interrupted\n"
    "readers  5 connected, 3 suspended, 0 dropped\n"
    "writers  2\n"
    "bytes    1048576 received, 3145728 sent, 0 lost\n";

static const char golden_json[] =
    "{\"loggers\":["
    "{\"logger\":\"store\",\"fatal\":1,\"error\":0,\"warning\":1,\"info\":7,"
    "\"debug\":0,\"trace\":0,\"total\":9},"
    "{\"logger\":\"http\",\"fatal\":0,\"error\":2,\"warning\":15,\"info\":120,"
    "\"debug\":7,\"trace\":123456,\"total\":123600},"
    "{\"logger\":\"stream\",\"fatal\":0,\"error\":2,\"warning\":0,\"info\":40,"
    "\"debug\":0,\"trace\":0,\"total\":42},"
    "{\"logger\":\"auth\",\"fatal\":0,\"error\":0,\"warning\":4,\"info\":2,"
    "\"debug\":0,\"trace\":0,\"total\":6},"
    "{\"logger\":\"main\",\"fatal\":0,\"error\":0,\"warning\":0,\"info\":3,"
    "\"debug\":0,\"trace\":0,\"total\":3},"
    "{\"logger\":\"tls\",\"fatal\":0,\"error\":0,\"warning\":0,\"info\":0,"
    "\"debug\":0,\"trace\":0,\"total\":0}],"
    "\"total\":{\"fatal\":1,\"error\":4,\"warning\":20,\"info\":172,"
    "\"debug\":7,\"trace\":123456,\"total\":123660},"
    "\"streams\":{\"pending\":1,\"live\":2,\"complete\":3,\"interrupted\":4},"
    "\"readers\":{\"connected\":5,\"suspended\":3,\"dropped\":0},"
    "\"writers\":2,"
    "\"bytes\":{\"received\":1048576,\"sent\":3145728,\"lost\":0}}\n";

static struct client_stats *parse_ok(const char *text)
{
    struct client_stats *s = malloc(sizeof(*s));
    char why[256] = "";

    assert_non_null(s);
    if (client_stats_parse(text, strlen(text), why, sizeof(why), s) != 0)
        fail_msg("parse failed: %s", why);
    return s;
}

/* noinline: inlined, gcc -O3 takes the result for a pointer to the local
 * and warns (-Wdangling-pointer) wherever it is searched. */
__attribute__((noinline)) static char *format(const struct client_stats *s,
                                              bool json)
{
    char *text = NULL;
    size_t len = 0;

    assert_int_equal(client_stats_format(s, json, &text, &len), 0);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void test_parse_known(void **state)
{
    struct client_stats *s;

    (void)state;
    s = parse_ok(known);
    assert_int_equal(s->nloggers, 6); /* in the order first seen */
    assert_string_equal(s->loggers[0].name, "main");
    assert_string_equal(s->loggers[3].name, "stream");
    assert_true(s->loggers[3].counts[1] == 2);
    assert_true(s->loggers[3].counts[3] == 40);
    assert_string_equal(s->loggers[4].name, "auth");
    assert_true(s->loggers[4].counts[3] == 2); /* the timestamped one */
    for (int f = 0; f < CLIENT_STATS_FIGURE_COUNT; f++)
        assert_true(s->has[f]);
    assert_true(s->figures[CLIENT_STATS_STREAMS_INTERRUPTED] == 4);
    assert_true(s->figures[CLIENT_STATS_BYTES_SENT] == 3145728);
    free(s);
}

static void test_table_golden(void **state)
{
    struct client_stats *s;
    char *text;

    (void)state;
    s = parse_ok(known);
    text = format(s, false);
    assert_string_equal(text, golden_table);
    free(text);
    free(s);
}

static void test_json_golden(void **state)
{
    struct client_stats *s;
    json_error_t err;
    json_t *root;
    char *text;

    (void)state;
    s = parse_ok(known);
    text = format(s, true);
    assert_string_equal(text, golden_json);
    root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL)
        fail_msg("invalid JSON: %s", err.text);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(root, "total"), "total")),
                     123660);
    json_decref(root);
    free(text);
    free(s);
}

/* Only the log family, one odd logger name; no figures at all. */
static void test_escapes_and_missing_figures(void **state)
{
    static const char text[] =
        "livelog_log_messages_total{logger=\"we\\\"ird\\\\na\\nme\","
        "level=\"error\"} 1\n"
        "livelog_log_messages_total { logger = \"a\" , level = \"trace\" } "
        "18446744073709551615\n"
        "livelog_writers{extra=\"label\"} 7\n" /* not the plain series */
        "livelog_streams{state=\"gone\"} 7\n"
        "livelog_log_messages_total{logger=\"b\",level=\"info\"} +5";
    static const char table[] =
        "logger        FATAL  ERROR  WARNING  INFO  DEBUG"
        "                 TRACE                 total\n"
        "we\"ird\\na?me      0      1        0     0      0"
        "                     0                     1\n"
        "a                 0      0        0     0      0"
        "  18446744073709551615  18446744073709551615\n"
        "b                 0      0        0     5      0"
        "                     0                     5\n"
        "total             0      1        0     5      0"
        "  18446744073709551615  18446744073709551615\n"
        "\n"
        "streams  - pending, - live, - complete, - interrupted\n"
        "readers  - connected, - suspended, - dropped\n"
        "writers  -\n"
        "bytes    - received, - sent, - lost\n";
    struct client_stats *s;
    json_error_t err;
    json_t *root, *first;
    char *out;

    (void)state;
    s = parse_ok(text);
    assert_int_equal(s->nloggers, 3);
    assert_string_equal(s->loggers[0].name, "we\"ird\\na\nme");
    for (int f = 0; f < CLIENT_STATS_FIGURE_COUNT; f++)
        assert_false(s->has[f]);
    out = format(s, false);
    assert_string_equal(out, table);
    free(out);

    out = format(s, true);
    /* jansson's integers stop at INT64_MAX: read them as reals */
    root =
        json_loads(out, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
    if (root == NULL)
        fail_msg("invalid JSON: %s in %s", err.text, out);
    first = json_array_get(json_object_get(root, "loggers"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "logger")),
                        "we\"ird\\na\nme");
    assert_true(json_is_null(json_object_get(root, "writers")));
    assert_true(
        json_is_null(json_object_get(json_object_get(root, "bytes"), "lost")));
    assert_non_null(strstr(out, "\"trace\":18446744073709551615,"));
    json_decref(root);
    free(out);
    free(s);
}

static void test_parse_invalid(void **state)
{
    static const struct {
        const char *text;
        const char *why;
    } cases[] = {
        {"", "empty answer"},
        {"<html><body>Not Found</body></html>\n",
         "line 1: not a metric sample"},
        {"# only comments\n\n",
         "no livelog_log_messages_total series (not a livelog server's "
         "metrics?)"},
        {"up 1\n", "no livelog_log_messages_total series"},
        {"# x\nlivelog_log_messages_total{logger=\"a\",level=\"info\"} x\n",
         "line 2: value 'x' is not a number"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"}\n",
         "line 1: sample without a value"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} -1\n",
         "line 1: livelog_log_messages_total: value '-1' is not a "
         "non-negative integer"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1.5\n",
         "is not a non-negative integer"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} "
         "18446744073709551616\n",
         "is not a non-negative integer"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "livelog_log_messages_total{level=\"info\",logger=\"a\"} 2\n",
         "line 2: second livelog_log_messages_total for logger \"a\" level "
         "\"info\""},
        {"livelog_log_messages_total{logger=\"a\"} 1\n",
         "without logger and level labels"},
        {"livelog_log_messages_total{logger=\"a\\t\",level=\"info\"} 1\n",
         "line 1: invalid escape \\t in a label value"},
        {"livelog_log_messages_total{logger=\"a,level=\"info\"} 1\n",
         "line 1: expected ',' or '}' after a label"},
        {"livelog_log_messages_total{logger=a,level=\"info\"} 1\n",
         "a label value must be quoted"},
        {"livelog_log_messages_total{logger=\"a\" level=\"info\"} 1\n",
         "expected ',' or '}'"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1 2 3\n",
         "unexpected text after the value"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1 x\n",
         "invalid timestamp"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\r\n",
         "carriage return"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "livelog_writers 1\nlivelog_writers 2\n",
         "line 3: second sample of livelog_writers"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "livelog_writers 1e3\n",
         "livelog_writers: value '1e3' is not an integer"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "livelog_writers1\n",
         "line 2: sample without a value"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "9lives 1\n",
         "line 2: not a metric sample"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "x{1a=\"b\"} 1\n",
         "line 2: invalid label name"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "x{a=\"b",
         "line 2: label value not closed"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "x{a=\"b\" 1\n",
         "line 2: expected ',' or '}'"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "x 1e\n",
         "value '1e' is not a number"},
        {"livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
         "x .\n",
         "value '.' is not a number"},
    };
    struct client_stats *s = malloc(sizeof(*s));
    struct client_stats copy;
    char why[256];

    (void)state;
    assert_non_null(s);
    memset(s, 0x5a, sizeof(*s));
    copy = *s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = client_stats_parse(cases[i].text, strlen(cases[i].text), why,
                                    sizeof(why), s);

        if (rc != -EINVAL || strstr(why, cases[i].why) == NULL)
            fail_msg("case %zu: rc %d, why '%s', want '%s'", i, rc, why,
                     cases[i].why);
        assert_memory_equal(s, &copy, sizeof(*s)); /* untouched */
    }
    /* why may be NULL; a small buffer is cut, not overrun */
    assert_int_equal(client_stats_parse("x\n", 2, NULL, 0, s), -EINVAL);
    assert_int_equal(client_stats_parse("<html>\n", 7, why, 8, s), -EINVAL);
    assert_string_equal(why, "line 1:");
    assert_int_equal(client_stats_parse(NULL, 0, why, sizeof(why), s), -EINVAL);
    free(s);
}

static void test_parse_values(void **state)
{
    static const char text[] =
        "x 1\nx 1.5\nx -2.5e-3\nx .5\nx 5.\nx 1E+09\nx +Inf\nx -inf\n"
        "x Infinity\nx NaN\nx nan\nx 0 -5\nx 0 +5\n\t x 1 \t\n"
        "livelog_log_messages_total{logger=\"a\",level=\"info\"} 1\n"
        "livelog_readers_connected -3\n";
    struct client_stats *s;

    (void)state;
    s = parse_ok(text);
    assert_true(s->figures[CLIENT_STATS_READERS_CONNECTED] == -3);
    free(s);
}

static void test_limits(void **state)
{
    size_t cap = 80 * 100 + 1, len = 0;
    char *text = malloc(cap);
    struct client_stats *s = malloc(sizeof(*s));
    char why[256], name[80];

    (void)state;
    assert_non_null(text);
    assert_non_null(s);
    /* 64 loggers fit, the 65th does not */
    for (unsigned i = 0; i < CLIENT_STATS_LOGGERS_MAX; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "livelog_log_messages_total{logger=\"l%02u\","
                                "level=\"debug\"} %u\n",
                                i, i);
    assert_int_equal(client_stats_parse(text, len, why, sizeof(why), s), 0);
    assert_int_equal(s->nloggers, CLIENT_STATS_LOGGERS_MAX);
    snprintf(text + len, cap - len,
             "livelog_log_messages_total{logger=\"l64\",level=\"debug\"} 1\n");
    assert_int_equal(
        client_stats_parse(text, strlen(text), why, sizeof(why), s), -EINVAL);
    assert_string_equal(why, "line 65: more than 64 loggers");

    /* a name of CLIENT_STATS_NAME_MAX bytes fits, one more does not */
    memset(name, 'n', sizeof(name));
    name[CLIENT_STATS_NAME_MAX] = '\0';
    snprintf(text, cap,
             "livelog_log_messages_total{logger=\"%s\",level=\"debug\"} 1\n",
             name);
    assert_int_equal(
        client_stats_parse(text, strlen(text), why, sizeof(why), s), 0);
    assert_string_equal(s->loggers[0].name, name);
    name[CLIENT_STATS_NAME_MAX] = 'n';
    name[CLIENT_STATS_NAME_MAX + 1] = '\0';
    snprintf(text, cap,
             "livelog_log_messages_total{logger=\"%s\",level=\"debug\"} 1\n",
             name);
    assert_int_equal(
        client_stats_parse(text, strlen(text), why, sizeof(why), s), -EINVAL);
    assert_string_equal(why, "line 1: logger name longer than 63 bytes");
    free(text);
    free(s);
}

static void test_sorting(void **state)
{
    static const char text[] =
        "livelog_log_messages_total{logger=\"d\",level=\"error\"} 5\n"
        "livelog_log_messages_total{logger=\"c\",level=\"info\"} 500\n"
        "livelog_log_messages_total{logger=\"b\",level=\"fatal\"} 1\n"
        "livelog_log_messages_total{logger=\"a\",level=\"warning\"} 9\n"
        "livelog_log_messages_total{logger=\"e\",level=\"error\"} 5\n"
        "livelog_log_messages_total{logger=\"f\",level=\"fatal\"} 1\n"
        "livelog_log_messages_total{logger=\"f\",level=\"error\"} 1\n";
    static const char *const rows[] = {"\nf ", "\nb ", "\nd ",    "\ne ",
                                       "\na ", "\nc ", "\ntotal "};
    struct client_stats *s;
    size_t prev = 0;
    char *out;

    (void)state;
    s = parse_ok(text);
    out = format(s, false);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *p = strstr(out, rows[i]);
        size_t at = p != NULL ? (size_t)(p - out) : 0;

        if (p == NULL || at < prev)
            fail_msg("row %s out of order in:\n%s", rows[i] + 1, out);
        prev = at;
    }
    free(out);
    free(s);
}

static void test_metrics_url(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"http://127.0.0.1:60022", "http://127.0.0.1:60022/metrics"},
        {"http://127.0.0.1:60022/", "http://127.0.0.1:60022/metrics"},
        {"https://h.example/", "https://h.example/metrics"},
        {"http://h/custom/path", "http://h/custom/path"},
        {"http://h/metrics", "http://h/metrics"},
        {"http://h?x=1", "http://h/metrics?x=1"},
        {"http://h/?x=1", "http://h/metrics?x=1"},
        {"http://h#f", "http://h/metrics#f"},
        {"localhost:60022", "http://localhost:60022/metrics"},
        {"h/m", "http://h/m"},
        {"h/a://b", "http://h/a://b"},
        {"[::1]:60022", "http://[::1]:60022/metrics"},
    };
    char *u = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(client_stats_metrics_url(cases[i].in, &u), 0);
        assert_string_equal(u, cases[i].out);
        free(u);
    }
    u = (char *)"untouched";
    assert_int_equal(client_stats_metrics_url("", &u), -EINVAL);
    assert_int_equal(client_stats_metrics_url(NULL, &u), -EINVAL);
    assert_string_equal(u, "untouched");
}

/* ---- client_stats_main against a one-shot server ---- */

struct server {
    int fd;               /* listening socket */
    uint16_t port;        /* its port */
    const char *response; /* sent whole, then the socket is closed */
    char request[4096];   /* what the client sent (headers) */
};

static void *serve_once(void *arg)
{
    struct server *sv = arg;
    size_t len = 0;
    int c = accept(sv->fd, NULL, NULL);

    if (c < 0)
        return NULL;
    while (len < sizeof(sv->request) - 1) {
        ssize_t n = read(c, sv->request + len, sizeof(sv->request) - 1 - len);

        if (n <= 0)
            break;
        len += (size_t)n;
        sv->request[len] = '\0';
        if (strstr(sv->request, "\r\n\r\n") != NULL)
            break;
    }
    for (size_t off = 0, total = strlen(sv->response); off < total;) {
        ssize_t n = write(c, sv->response + off, total - off);

        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(c);
    return NULL;
}

static void server_start(struct server *sv, pthread_t *th)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(sv->fd >= 0);
    assert_int_equal(bind(sv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(sv->fd, 4), 0);
    assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&a, &alen), 0);
    sv->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(th, NULL, serve_once, sv), 0);
}

/* Runs client_stats_main with stdout and stderr in memfds; returns the
 * exit code, the captured texts in out / err (NUL-terminated). */
static int run_main(int argc, char **argv, char *out, size_t out_cap, char *err,
                    size_t err_cap)
{
    int ofd = memfd_create("stats_out", 0), efd = memfd_create("stats_err", 0);
    int saved_out = dup(1), saved_err = dup(2);
    ssize_t n;
    int code;

    assert_true(ofd >= 0 && efd >= 0 && saved_out >= 0 && saved_err >= 0);
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(ofd, 1) == 1);
    assert_true(dup2(efd, 2) == 2);
    code = client_stats_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(saved_out, 1) == 1);
    assert_true(dup2(saved_err, 2) == 2);
    close(saved_out);
    close(saved_err);
    n = pread(ofd, out, out_cap - 1, 0);
    assert_true(n >= 0);
    out[n] = '\0';
    n = pread(efd, err, err_cap - 1, 0);
    assert_true(n >= 0);
    err[n] = '\0';
    close(ofd);
    close(efd);
    return code;
}

static char answer[sizeof(known) + 256];

static void test_main_table(void **state)
{
    struct server sv = {.response = answer};
    char url[64], out[4096], err[1024];
    char *argv[] = {(char *)"stats", url, (char *)"--token", (char *)"t0k",
                    NULL};
    pthread_t th;

    (void)state;
    snprintf(answer, sizeof(answer),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(known), known);
    server_start(&sv, &th);
    snprintf(url, sizeof(url), "127.0.0.1:%u", (unsigned)sv.port);
    assert_int_equal(run_main(4, argv, out, sizeof(out), err, sizeof(err)), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    close(sv.fd);
    assert_string_equal(out, golden_table);
    assert_string_equal(err, "");
    assert_true(strncmp(sv.request, "GET /metrics HTTP/1.1\r\n", 23) == 0);
    assert_non_null(strstr(sv.request, "\r\nAuthorization: Bearer t0k\r\n"));
}

static void test_main_json_env_token(void **state)
{
    struct server sv = {.response = answer};
    char url[64], out[4096], err[1024];
    char *argv[] = {(char *)"stats", (char *)"--json", url, NULL};
    pthread_t th;

    (void)state;
    snprintf(answer, sizeof(answer),
             "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n%s",
             strlen(known), known);
    server_start(&sv, &th);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)sv.port);
    setenv("LIVELOG_TOKEN", "envtok", 1);
    assert_int_equal(run_main(3, argv, out, sizeof(out), err, sizeof(err)), 0);
    unsetenv("LIVELOG_TOKEN");
    assert_int_equal(pthread_join(th, NULL), 0);
    close(sv.fd);
    assert_string_equal(out, golden_json);
    assert_non_null(strstr(sv.request, "GET /metrics HTTP/1.1\r\n"));
    assert_non_null(strstr(sv.request, "\r\nAuthorization: Bearer envtok\r\n"));
}

static void test_main_failures(void **state)
{
    static const struct {
        const char *response;
        const char *err;
    } cases[] = {
        {"HTTP/1.1 401 Unauthorized\r\nContent-Length: 13\r\n"
         "Connection: close\r\n\r\nno token, no.",
         " answered 401: no token, no.\n"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
         "<html>hello</html>\n\n",
         "/metrics did not answer valid metrics: line 1: not a metric "
         "sample\n"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
         "up 1\n",
         "did not answer valid metrics: no livelog_log_messages_total "
         "series"},
    };
    char url[64], out[4096], err[1024];
    char *argv[] = {(char *)"stats", url, NULL};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct server sv = {.response = cases[i].response};
        pthread_t th;

        server_start(&sv, &th);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)sv.port);
        assert_int_equal(run_main(2, argv, out, sizeof(out), err, sizeof(err)),
                         1);
        assert_int_equal(pthread_join(th, NULL), 0);
        close(sv.fd);
        assert_string_equal(out, "");
        if (strncmp(err, "livelog stats: ", 15) != 0 ||
            strstr(err, cases[i].err) == NULL ||
            strchr(err, '\n') != err + strlen(err) - 1)
            fail_msg("case %zu: stderr '%s'", i, err);
    }

    /* nobody listening: bind a port, close it, ask it */
    {
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t alen = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
        close(fd);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics?sig=secret",
                 (unsigned)ntohs(a.sin_port));
        assert_int_equal(run_main(2, argv, out, sizeof(out), err, sizeof(err)),
                         1);
        assert_true(strncmp(err, "livelog stats: cannot reach http://", 35) ==
                    0);
        assert_null(strstr(err, "secret"));
    }
}

static void test_main_usage(void **state)
{
    char out[4096], err[1024];
    char *help[] = {(char *)"stats", (char *)"--help", NULL};
    char *unknown[] = {(char *)"stats", (char *)"--bogus", NULL};
    char *two[] = {(char *)"stats", (char *)"a", (char *)"b", NULL};
    char *notoken[] = {(char *)"stats", (char *)"--token", NULL};
    char *empty[] = {(char *)"stats", (char *)"", NULL};
    char *crlf[] = {(char *)"stats", (char *)"--token=a\nb", NULL};

    (void)state;
    assert_int_equal(run_main(2, help, out, sizeof(out), err, sizeof(err)), 0);
    assert_true(strncmp(out, "usage: livelog stats", 20) == 0);
    assert_int_equal(run_main(2, unknown, out, sizeof(out), err, sizeof(err)),
                     2);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    assert_int_equal(run_main(3, two, out, sizeof(out), err, sizeof(err)), 2);
    assert_int_equal(run_main(2, notoken, out, sizeof(out), err, sizeof(err)),
                     2);
    assert_int_equal(run_main(2, empty, out, sizeof(out), err, sizeof(err)), 2);
    assert_int_equal(run_main(2, crlf, out, sizeof(out), err, sizeof(err)), 2);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_known),
        cmocka_unit_test(test_table_golden),
        cmocka_unit_test(test_json_golden),
        cmocka_unit_test(test_escapes_and_missing_figures),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_values),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_sorting),
        cmocka_unit_test(test_metrics_url),
        cmocka_unit_test(test_main_table),
        cmocka_unit_test(test_main_json_env_token),
        cmocka_unit_test(test_main_failures),
        cmocka_unit_test(test_main_usage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
