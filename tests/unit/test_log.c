/* test_log: unit tests for src/log/log.c. Records are written to a memfd
 * (or a pipe for the concurrency test), read back and checked with the
 * strict JSON validator in json_check.c: key order, level and component
 * names, counting, threshold, reserved-key renaming, truncation of
 * oversized records, the console format. Single-threaded cmocka tests,
 * except test_threads. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core_clock.h"
#include "log/log.h"
#include "json_check.h"

#define OUT_MAX (1 << 20)
#define MEMBERS_MAX 1024

static int log_fd = -1;
static char out[OUT_MAX];

static int setup(void **state)
{
    (void)state;
    log_fd = memfd_create("test_log", 0);
    if (log_fd < 0)
        return -1;
    log_init(log_fd, LOG_TRACE, LOG_FORMAT_JSON);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_init(2, LOG_INFO, LOG_FORMAT_JSON);
    close(log_fd);
    return 0;
}

/* Reads everything logged since the last call into out (NUL-terminated)
 * and empties the memfd. Returns the length. */
static size_t take(void)
{
    ssize_t n = pread(log_fd, out, sizeof out - 1, 0);

    assert_true(n >= 0);
    out[n] = '\0';
    assert_int_equal(ftruncate(log_fd, 0), 0);
    assert_int_equal(lseek(log_fd, 0, SEEK_SET), 0);
    return (size_t)n;
}

/* One record: exactly one line, a valid JSON object, members returned. */
static size_t take_record(struct json_check_member *m, size_t *ret_n)
{
    size_t len = take();

    assert_true(len >= 3);
    assert_true(len < LOG_LINE_MAX);
    assert_int_equal(out[len - 1], '\n');
    assert_int_equal(out[len - 2], '}');
    assert_ptr_equal(memchr(out, '\n', len), out + len - 1);
    if (!json_check_object(out, len - 1, m, MEMBERS_MAX, ret_n))
        fail_msg("not a valid JSON object: %s", out);
    assert_true(*ret_n <= MEMBERS_MAX);
    return len;
}

static bool key_is(const struct json_check_member *m, const char *key)
{
    return m->key_len == strlen(key) && memcmp(m->key, key, m->key_len) == 0;
}

static const struct json_check_member *find(const struct json_check_member *m,
                                            size_t n, const char *key)
{
    const struct json_check_member *hit = NULL;

    for (size_t i = 0; i < n; i++) {
        if (key_is(&m[i], key)) {
            assert_null(hit); /* no key appears twice */
            hit = &m[i];
        }
    }
    return hit;
}

static void want_member(const struct json_check_member *m, size_t n,
                        const char *key, const char *raw)
{
    const struct json_check_member *hit = find(m, n, key);

    if (hit == NULL)
        fail_msg("key %s missing in %s", key, out);
    if (hit->value_len != strlen(raw) ||
        memcmp(hit->value, raw, hit->value_len) != 0)
        fail_msg("key %s: got %.*s, want %s", key, (int)hit->value_len,
                 hit->value, raw);
}

/* Decoded string value of key (in a static buffer). */
static const char *str_value(const struct json_check_member *m, size_t n,
                             const char *key, size_t *ret_len)
{
    static char dec[OUT_MAX];
    const struct json_check_member *hit = find(m, n, key);
    size_t len;

    assert_non_null(hit);
    len = json_check_decode(hit->value, hit->value_len, dec, sizeof dec);
    assert_true(len != (size_t)-1);
    if (ret_len != NULL)
        *ret_len = len;
    return dec;
}

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
    }
    return true;
}

static void test_record_shape(void **state)
{
    static struct json_check_member m[MEMBERS_MAX];
    static const char *const order[] = {
        "ts",       "level", "logger", "msg",   "caller", "addr",
        "listener", "n",     "delta",  "audit", "off",
    };
    size_t n;
    uint64_t before = core_clock_real_ns() / CORE_NS_PER_MS;
    char ts[CORE_CLOCK_ISO_LEN + 1], tsq[CORE_CLOCK_ISO_LEN + 3];
    const char *caller;

    (void)state;
    log_info(LOGC_HTTP, "listening", LF_STR("addr", "127.0.0.1:1234"),
             LF_STR("listener", "read"), LF_U64("n", 18446744073709551615u),
             LF_I64("delta", -42), LF_BOOL("audit", true),
             LF_BOOL("off", false));
    take_record(m, &n);
    assert_int_equal(n, sizeof order / sizeof order[0]);
    for (size_t i = 0; i < n; i++) {
        if (!key_is(&m[i], order[i]))
            fail_msg("key %zu is %.*s, want %s", i, (int)m[i].key_len, m[i].key,
                     order[i]);
    }
    want_member(m, n, "level", "\"info\"");
    want_member(m, n, "logger", "\"http\"");
    want_member(m, n, "msg", "\"listening\"");
    want_member(m, n, "addr", "\"127.0.0.1:1234\"");
    want_member(m, n, "listener", "\"read\"");
    want_member(m, n, "n", "18446744073709551615");
    want_member(m, n, "delta", "-42");
    want_member(m, n, "audit", "true");
    want_member(m, n, "off", "false");
    caller = str_value(m, n, "caller", NULL);
    assert_true(strncmp(caller, "test_log.c:", 11) == 0);
    assert_true(all_digits(caller + 11));

    /* ts: the current time, UTC, milliseconds, 'Z' */
    assert_int_equal(m[0].value_len, CORE_CLOCK_ISO_LEN + 2);
    core_clock_iso8601(before * CORE_NS_PER_MS, ts, sizeof ts);
    snprintf(tsq, sizeof tsq, "\"%s\"", ts);
    assert_int_equal(m[0].value[11], 'T');
    assert_int_equal(m[0].value[20], '.');
    assert_int_equal(m[0].value[24], 'Z');
    assert_true(memcmp(m[0].value, tsq, sizeof tsq - 1) >= 0);
}

static void test_names(void **state)
{
    static const char *const levels[] = {"fatal", "error", "warning",
                                         "info",  "debug", "trace"};
    static const char *const comps[] = {"main",  "config", "http",
                                        "store", "stream", "mhd",
                                        "tls",   "auth",   "forward"};
    static struct json_check_member m[MEMBERS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(LOG_LEVEL_COUNT, 6);
    assert_int_equal(LOGC_COUNT, 9);
    for (int l = 0; l < LOG_LEVEL_COUNT; l++) {
        char want[32];

        assert_string_equal(log_level_name((enum log_level)l), levels[l]);
        log_emit((enum log_level)l, LOGC_MAIN, "x.c:1", "m", NULL, 0);
        take_record(m, &n);
        assert_int_equal(n, 5);
        snprintf(want, sizeof want, "\"%s\"", levels[l]);
        want_member(m, n, "level", want);
        want_member(m, n, "caller", "\"x.c:1\"");
    }
    for (int c = 0; c < LOGC_COUNT; c++) {
        char want[32];

        assert_string_equal(log_component_name((enum log_component)c),
                            comps[c]);
        log_emit(LOG_INFO, (enum log_component)c, "x.c:1", "m", NULL, 0);
        take_record(m, &n);
        snprintf(want, sizeof want, "\"%s\"", comps[c]);
        want_member(m, n, "logger", want);
    }
    assert_string_equal(log_level_name(LOG_LEVEL_COUNT), "unknown");
    assert_string_equal(log_component_name(LOGC_COUNT), "unknown");
}

static void test_no_fields_no_caller(void **state)
{
    static struct json_check_member m[MEMBERS_MAX];
    size_t n;

    (void)state;
    log_info(LOGC_MAIN, "started");
    take_record(m, &n);
    assert_int_equal(n, 5);
    want_member(m, n, "msg", "\"started\"");
    log_emit(LOG_INFO, LOGC_MAIN, NULL, NULL, NULL, 3);
    take_record(m, &n);
    assert_int_equal(n, 4); /* no caller key */
    want_member(m, n, "msg", "\"\"");
    assert_null(find(m, n, "caller"));
}

static void test_level_parse(void **state)
{
    static const struct {
        const char *s;
        enum log_level l;
    } ok[] = {
        {"fatal", LOG_FATAL},  {"error", LOG_ERROR}, {"warning", LOG_WARNING},
        {"warn", LOG_WARNING}, {"info", LOG_INFO},   {"debug", LOG_DEBUG},
        {"trace", LOG_TRACE},  {"INFO", LOG_INFO},   {"Warn", LOG_WARNING},
        {"dEbUg", LOG_DEBUG},
    };
    static const char *const bad[] = {"",      "inf",   "infos",   "warnings",
                                      " info", "info ", "verbose", "0"};
    enum log_level l;

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        l = LOG_TRACE;
        assert_int_equal(log_level_parse(ok[i].s, &l), 0);
        assert_int_equal(l, ok[i].l);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l = LOG_TRACE;
        assert_int_equal(log_level_parse(bad[i], &l), -EINVAL);
        assert_int_equal(l, LOG_TRACE);
    }
    assert_int_equal(log_level_parse(NULL, &l), -EINVAL);
}

static void test_threshold_and_counts(void **state)
{
    uint64_t before[LOGC_COUNT][LOG_LEVEL_COUNT];

    (void)state;
    for (int c = 0; c < LOGC_COUNT; c++) {
        for (int l = 0; l < LOG_LEVEL_COUNT; l++)
            before[c][l] = log_count((enum log_component)c, (enum log_level)l);
    }
    log_set_level(LOG_WARNING);
    assert_int_equal(log_get_level(), LOG_WARNING);
    assert_true(log_enabled(LOG_FATAL));
    assert_true(log_enabled(LOG_ERROR));
    assert_true(log_enabled(LOG_WARNING));
    assert_false(log_enabled(LOG_INFO));
    assert_false(log_enabled(LOG_DEBUG));
    assert_false(log_enabled(LOG_TRACE));
    assert_false(log_enabled(LOG_LEVEL_COUNT));

    log_info(LOGC_STORE, "below", LF_U64("n", 1));
    log_debug(LOGC_STORE, "below");
    log_trace(LOGC_STORE, "below");
    assert_int_equal(take(), 0); /* nothing written ... */
    /* ... but everything counted */
    assert_true(log_count(LOGC_STORE, LOG_INFO) ==
                before[LOGC_STORE][LOG_INFO] + 1);
    assert_true(log_count(LOGC_STORE, LOG_DEBUG) ==
                before[LOGC_STORE][LOG_DEBUG] + 1);
    assert_true(log_count(LOGC_STORE, LOG_TRACE) ==
                before[LOGC_STORE][LOG_TRACE] + 1);

    log_warning(LOGC_TLS, "w1");
    log_warning(LOGC_TLS, "w2");
    log_error(LOGC_STREAM, "e");
    log_fatal(LOGC_CONFIG, "f");
    {
        size_t len = take();
        size_t lines = 0;

        for (size_t i = 0; i < len; i++)
            lines += out[i] == '\n';
        assert_int_equal(lines, 4);
        assert_non_null(strstr(out, "\"msg\":\"w2\""));
    }
    assert_true(log_count(LOGC_TLS, LOG_WARNING) ==
                before[LOGC_TLS][LOG_WARNING] + 2);
    assert_true(log_count(LOGC_STREAM, LOG_ERROR) ==
                before[LOGC_STREAM][LOG_ERROR] + 1);
    assert_true(log_count(LOGC_CONFIG, LOG_FATAL) ==
                before[LOGC_CONFIG][LOG_FATAL] + 1);
    /* nothing else moved */
    for (int c = 0; c < LOGC_COUNT; c++) {
        for (int l = 0; l < LOG_LEVEL_COUNT; l++) {
            uint64_t d = log_count((enum log_component)c, (enum log_level)l) -
                         before[c][l];
            bool touched = (c == LOGC_STORE && l >= LOG_INFO) ||
                           (c == LOGC_TLS && l == LOG_WARNING) ||
                           (c == LOGC_STREAM && l == LOG_ERROR) ||
                           (c == LOGC_CONFIG && l == LOG_FATAL);

            if (!touched)
                assert_true(d == 0);
        }
    }
    assert_true(log_count(LOGC_COUNT, LOG_INFO) == 0);
    assert_true(log_count(LOGC_MAIN, LOG_LEVEL_COUNT) == 0);

    log_set_level(LOG_LEVEL_COUNT); /* ignored */
    assert_int_equal(log_get_level(), LOG_WARNING);
    log_set_level(LOG_TRACE);
    log_trace(LOGC_MAIN, "now visible");
    assert_true(take() > 0);
}

static void test_reserved_keys(void **state)
{
    static const char *const collector[] = {
        "namespace_name", "container_name", "pod_name", "container_image",
        "pod_ip",         "host",           "hostname", "namespace_labels",
        "message",        "time",
    };
    static struct json_check_member m[MEMBERS_MAX];
    struct log_field f[32];
    size_t nf = 0, n;

    (void)state;
    for (size_t i = 0; i < sizeof collector / sizeof collector[0]; i++)
        f[nf++] = LF_STR(collector[i], collector[i]);
    f[nf++] = LF_STR("ts", "fake");
    f[nf++] = LF_STR("level", "fake");
    f[nf++] = LF_STR("logger", "fake");
    f[nf++] = LF_STR("msg", "fake");
    f[nf++] = LF_STR("caller", "fake");
    f[nf++] = LF_BOOL("truncated", true);
    f[nf++] = LF_NONE; /* NULL key: skipped */
    f[nf++] = LF_STR("name", "first");
    f[nf++] = LF_STR("name", "second");    /* duplicate: skipped */
    f[nf++] = LF_STR("field_host", "dup"); /* same as renamed host */
    f[nf++] = LF_STR("action", "VIEW");
    log_emit(LOG_INFO, LOGC_HTTP, "f.c:9", "real", f, nf);
    take_record(m, &n);
    assert_int_equal(n, 5 + 10 + 2);
    want_member(m, n, "msg", "\"real\"");
    want_member(m, n, "caller", "\"f.c:9\"");
    want_member(m, n, "level", "\"info\"");
    want_member(m, n, "logger", "\"http\"");
    assert_null(find(m, n, "truncated"));
    for (size_t i = 0; i < sizeof collector / sizeof collector[0]; i++) {
        char key[64], want[64];

        assert_null(find(m, n, collector[i]));
        snprintf(key, sizeof key, "field_%s", collector[i]);
        snprintf(want, sizeof want, "\"%s\"", collector[i]);
        want_member(m, n, key, want);
        assert_true(key_is(&m[5 + i], key)); /* order kept */
    }
    want_member(m, n, "name", "\"first\"");
    want_member(m, n, "action", "\"VIEW\"");
}

static void test_string_fields(void **state)
{
    static struct json_check_member m[MEMBERS_MAX];
    size_t n, len;
    const char *v;

    (void)state;
    log_warning(LOGC_STORE, "odd \"bytes\"\n",
                LF_STRN("raw", "a\0b\xff\"\n", 6), LF_STR("nul", NULL),
                LF_STRN("cut", "abcdef", 3));
    take_record(m, &n);
    want_member(m, n, "msg", "\"odd \\\"bytes\\\"\\n\"");
    want_member(m, n, "raw", "\"a\\u0000b\\ufffd\\\"\\n\"");
    want_member(m, n, "nul", "\"\"");
    want_member(m, n, "cut", "\"abc\"");
    v = str_value(m, n, "raw", &len);
    assert_int_equal(len, 8);
    assert_memory_equal(v, "a\0b\xef\xbf\xbd\"\n", 8);
}

static void check_cut_record(size_t nfields_min)
{
    static struct json_check_member m[MEMBERS_MAX];
    size_t n;
    size_t len = take_record(m, &n);

    assert_true(len <= LOG_LINE_MAX - 1);
    assert_true(n >= 5 + nfields_min + 1);
    assert_true(key_is(&m[n - 1], "truncated"));
    want_member(m, n, "truncated", "true");
}

static void test_huge_msg(void **state)
{
    static struct json_check_member m[MEMBERS_MAX];
    size_t big = 1 << 20;
    char *msg = malloc(big + 1);
    size_t n, dlen;
    const char *dec;

    (void)state;
    assert_non_null(msg);
    for (size_t i = 0; i < big; i++)
        msg[i] = (char)('a' + i % 26);
    msg[big] = '\0';
    log_error(LOGC_STORE, msg, LF_STR("name", "public/logs/live.log"),
              LF_U64("size", big), LF_BOOL("audit", false));
    take_record(m, &n);
    assert_int_equal(n, 5 + 3 + 1);
    want_member(m, n, "name", "\"public/logs/live.log\"");
    want_member(m, n, "size", "1048576");
    want_member(m, n, "audit", "false");
    want_member(m, n, "truncated", "true");
    assert_true(key_is(&m[n - 1], "truncated"));
    dec = str_value(m, n, "msg", &dlen);
    assert_true(dlen > LOG_LINE_MAX - 300); /* used the room it had */
    assert_memory_equal(dec, msg, dlen);    /* a prefix of msg */

    /* the same with bytes that expand to six each, and invalid UTF-8 */
    memset(msg, 0xff, big);
    log_info(LOGC_STORE, msg, LF_STR("k", "v"));
    check_cut_record(1);
    memset(msg, 0x01, big);
    log_info(LOGC_STORE, msg, LF_STR("k", "v"));
    check_cut_record(1);
    for (size_t i = 0; i + 4 <= big; i += 4)
        memcpy(msg + i, "\xf0\x9f\x98\x80", 4);
    log_info(LOGC_STORE, msg, LF_STR("k", "v"));
    check_cut_record(1);
    free(msg);
}

/* Several long values: all keys kept, long values cut to one length,
 * short values intact. */
static void test_many_long_values(void **state)
{
    static struct json_check_member m[MEMBERS_MAX];
    static char a[3000], b[5000], c[100];
    size_t n, la, lb, lm;

    (void)state;
    memset(a, 'a', sizeof a - 1);
    memset(b, 'b', sizeof b - 1);
    memset(c, 'c', sizeof c - 1);
    log_info(LOGC_HTTP, a, LF_STR("b", b), LF_STR("c", c), LF_STR("b2", b),
             LF_U64("z", 7));
    take_record(m, &n);
    assert_int_equal(n, 5 + 4 + 1);
    str_value(m, n, "msg", &lm);
    str_value(m, n, "b", &la);
    str_value(m, n, "b2", &lb);
    assert_int_equal(lm, la);
    assert_int_equal(la, lb);
    assert_true(lm > 1000);
    want_member(m, n, "z", "7");
    str_value(m, n, "c", &la);
    assert_int_equal(la, sizeof c - 1);
}

/* More fields than fit even when empty: the line stays valid. */
static void test_too_many_fields(void **state)
{
    static struct json_check_member m[MEMBERS_MAX];
    static struct log_field f[1000];
    static char keys[1000][16];
    size_t n;

    (void)state;
    for (size_t i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%zu", i);
        f[i] =
            i % 2 == 0 ? LF_U64(keys[i], UINT64_MAX) : LF_STR(keys[i], "value");
    }
    log_emit(LOG_INFO, LOGC_MAIN, "x.c:1", "many", f, 1000);
    take_record(m, &n);
    assert_true(n > 100 && n < 1000);
    assert_true(key_is(&m[n - 1], "truncated"));
    assert_true(key_is(&m[5], "k0"));
    assert_true(key_is(&m[n - 2], keys[n - 2 - 5]));
    /* an absurdly long key is left out, the record says so */
    {
        static char longkey[300];

        memset(longkey, 'k', sizeof longkey - 1);
        log_info(LOGC_MAIN, "long key", LF_U64(longkey, 1), LF_U64("ok", 2));
        take_record(m, &n);
        assert_int_equal(n, 5 + 1 + 1);
        want_member(m, n, "ok", "2");
        want_member(m, n, "truncated", "true");
    }
}

/* Every message size around the limit, with escape-heavy content: always
 * one valid line, truncated exactly when the full record is too long. */
static void test_every_size(void **state)
{
    static struct json_check_member m[MEMBERS_MAX];
    static char msg[LOG_LINE_MAX + 64];
    static const char pattern[] = "x\"\xc3\xa9\n\xe2\x82\xac\x01\xff";

    (void)state;
    for (size_t size = 3800; size < sizeof msg - 1; size++) {
        size_t n, len;

        for (size_t i = 0; i < size; i++)
            msg[i] = pattern[i % (sizeof pattern - 1)];
        msg[size] = '\0';
        log_info(LOGC_HTTP, msg, LF_STR("name", "a/b"), LF_U64("n", size));
        len = take_record(m, &n);
        want_member(m, n, "name", "\"a/b\"");
        if (find(m, n, "truncated") != NULL) {
            assert_true(key_is(&m[n - 1], "truncated"));
            assert_true(len > LOG_LINE_MAX - 64);
        } else {
            size_t dlen;
            const char *d = str_value(m, n, "msg", &dlen);

            assert_true(dlen >= size); /* 0xff became three bytes */
            assert_true(d[0] == 'x');
        }
    }
}

static void test_console(void **state)
{
    size_t len;
    const char *p;

    (void)state;
    log_init(log_fd, LOG_TRACE, LOG_FORMAT_CONSOLE);
    log_info(LOGC_HTTP, "listening", LF_STR("addr", "127.0.0.1:1234"),
             LF_STR("host", "h"));
    len = take();
    assert_int_equal(len, CORE_CLOCK_ISO_LEN + strlen(" info  http listening "
                                                      "{\"addr\":\"127.0.0.1:"
                                                      "1234\",\"field_host\":"
                                                      "\"h\"}\n"));
    assert_int_equal(out[CORE_CLOCK_ISO_LEN - 1], 'Z');
    assert_string_equal(out + CORE_CLOCK_ISO_LEN,
                        " info  http listening {\"addr\":\"127.0.0.1:1234\","
                        "\"field_host\":\"h\"}\n");
    assert_true(json_check_value(strchr(out, '{'),
                                 len - 1 - (size_t)(strchr(out, '{') - out)));

    log_warning(LOGC_STREAM, "two\nlines \"q\"");
    take();
    assert_string_equal(out + CORE_CLOCK_ISO_LEN,
                        " warning stream two\\nlines \\\"q\\\"\n");

    log_error(LOGC_MAIN, "");
    take();
    assert_string_equal(out + CORE_CLOCK_ISO_LEN, " error main \n");

    {
        static char big[10000];

        memset(big, 'm', sizeof big - 1);
        log_info(LOGC_HTTP, big);
        len = take();
        assert_true(len < LOG_LINE_MAX);
        assert_ptr_equal(memchr(out, '\n', len), out + len - 1);
        p = strstr(out, " {\"truncated\":true}\n");
        assert_non_null(p);
        assert_int_equal((size_t)(p - out) + 20, len);

        log_info(LOGC_HTTP, big, LF_U64("n", 1));
        len = take();
        assert_true(len < LOG_LINE_MAX);
        p = strstr(out, " {\"n\":1,\"truncated\":true}\n");
        assert_non_null(p);
        assert_int_equal((size_t)(p - out) + 26, len);
    }
    log_init(log_fd, LOG_TRACE, LOG_FORMAT_JSON);
}

static void test_errno_preserved(void **state)
{
    (void)state;
    errno = EAGAIN;
    log_info(LOGC_MAIN, "keeps errno");
    assert_int_equal(errno, EAGAIN);
    take();
}

/* Records from several threads never interleave: each is one write(2)
 * of at most LOG_LINE_MAX - 1 < PIPE_BUF bytes. */
#define THREADS 4
#define PER_THREAD 300

static void *writer(void *arg)
{
    static char filler[6000];
    uintptr_t id = (uintptr_t)arg;

    memset(filler, 'f', sizeof filler - 1);
    for (int i = 0; i < PER_THREAD; i++) {
        log_info(LOGC_STREAM, i % 10 == 0 ? filler : "tick",
                 LF_U64("thread", id), LF_I64("i", i));
    }
    return NULL;
}

static void test_threads(void **state)
{
    static char all[THREADS * PER_THREAD * LOG_LINE_MAX];
    static struct json_check_member m[MEMBERS_MAX];
    pthread_t t[THREADS];
    int p[2];
    size_t got = 0, lines = 0, start = 0;
    uint64_t before = log_count(LOGC_STREAM, LOG_INFO);

    (void)state;
    assert_int_equal(pipe(p), 0);
    log_init(p[1], LOG_TRACE, LOG_FORMAT_JSON);
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    while (lines < THREADS * PER_THREAD) {
        ssize_t r = read(p[0], all + got, sizeof all - got);

        assert_true(r > 0);
        for (size_t i = got; i < got + (size_t)r; i++) {
            size_t n;

            if (all[i] != '\n')
                continue;
            if (!json_check_object(all + start, i - start, m, MEMBERS_MAX, &n))
                fail_msg("line %zu is not valid JSON", lines);
            start = i + 1;
            lines++;
        }
        got += (size_t)r;
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(start, got);
    assert_true(log_count(LOGC_STREAM, LOG_INFO) ==
                before + THREADS * PER_THREAD);
    log_init(log_fd, LOG_TRACE, LOG_FORMAT_JSON);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_shape),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_no_fields_no_caller),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test(test_threshold_and_counts),
        cmocka_unit_test(test_reserved_keys),
        cmocka_unit_test(test_string_fields),
        cmocka_unit_test(test_huge_msg),
        cmocka_unit_test(test_many_long_values),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_every_size),
        cmocka_unit_test(test_console),
        cmocka_unit_test(test_errno_preserved),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
