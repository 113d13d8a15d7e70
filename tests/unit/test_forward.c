/* test_forward: unit tests for the pure parts of `livelog forward`:
 * stream names from --name-template (src/forward/forward_name.c), the
 * checkpoint document (forward_checkpoint.c: round trip, strict refusals,
 * atomic save and load), the stdout sink's records (forward_stdout.c)
 * and the settings (forward_config.c: flags, environment, the
 * configuration file with its repeatable `watch` and `to` lines, every
 * refusal with FILE:LINE, precedence flags > environment > file >
 * defaults). LIVELOG_CONFIG is /dev/null unless a test says otherwise.
 * Single-threaded cmocka tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "forward/forward_checkpoint.h"
#include "forward/forward_config.h"
#include "forward/forward_http.h"
#include "forward/forward_name.h"
#include "forward/forward_stdout.h"

/* ---- names ---- */

static void expand_ok(const char *tmpl, const char *path, uint64_t gen,
                      const char *want)
{
    char out[1100];
    struct forward_name_vars v = {
        .host = "ci-7", .path = path, .ino = 42, .gen = gen};
    char msg[256];
    assert_int_equal(forward_name_check_template(tmpl, msg, sizeof msg), 0);
    int rc = forward_name_expand(tmpl, &v, out, sizeof out);
    if (rc != 0)
        fail_msg("%s with %s: %d", tmpl, path, rc);
    if (strcmp(out, want) != 0)
        fail_msg("%s with %s: got \"%s\", want \"%s\"", tmpl, path, out, want);
}

static void test_name_expand(void **state)
{
    (void)state;
    expand_ok("runner/{host}/{file}", "/home/r/_diag/pages/a_1.log", 0,
              "runner/ci-7/a_1.log");
    expand_ok("{dir}/{file}", "/home/r/_diag/pages/a_1.log", 0,
              "pages/a_1.log");
    expand_ok("x/{path}", "/var/log/app/x.log", 0, "x/var/log/app/x.log");
    expand_ok("x/{file}", "/w/app.log", 2, "x/app.log~2");
    expand_ok("x/{gen}/{file}", "/w/app.log", 2, "x/2/app.log");
    expand_ok("x/{ino}", "/w/app.log", 3, "x/42");
    /* bytes a name may not hold become '_'; "." and ".." segments too */
    expand_ok("x/{file}", "/w/my log (1).txt", 0, "x/my_log__1_.txt");
    expand_ok("x/{file}", "/w/caf\xc3\xa9", 0, "x/caf__");
    expand_ok("x/{path}", "/a/../b/./c", 0, "x/a/_/b/_/c");
    expand_ok("{dir}/x", "/file-at-root", 0, "x");
}

static void test_name_refused(void **state)
{
    char msg[256], out[64];
    struct forward_name_vars v = {.host = "h", .path = "/w/f", .gen = 0};
    (void)state;
    assert_int_equal(forward_name_check_template("", msg, sizeof msg), -EINVAL);
    assert_int_equal(forward_name_check_template("a/{nope}", msg, sizeof msg),
                     -EINVAL);
    assert_non_null(strstr(msg, "unknown placeholder"));
    assert_int_equal(forward_name_check_template("a b", msg, sizeof msg),
                     -EINVAL);
    assert_non_null(strstr(msg, "0x20"));
    /* the result must be a valid log name */
    assert_int_equal(forward_name_expand("x/stats", &v, out, sizeof out),
                     -EINVAL);
    assert_int_equal(forward_name_expand("{dir}", &v, out, sizeof out), 0);
    assert_string_equal(out, "w");
    v.path = "/";
    assert_int_equal(forward_name_expand("{file}", &v, out, sizeof out),
                     -EINVAL);
    v.path = "/w/f";
    assert_int_equal(forward_name_expand("0123456789012345678901234567890123"
                                         "45678901234567890123456789/{file}",
                                         &v, out, 16),
                     -ENAMETOOLONG);
}

/* ---- checkpoint ---- */

static void fill(struct forward_ckpt_rec *r, const char *path, const char *name,
                 uint64_t k)
{
    memset(r, 0, sizeof(*r));
    r->dev = 2049 + k;
    r->ino = 1000 + k;
    r->fp_len = (uint32_t)(k * 10);
    for (size_t i = 0; i < 32; i++)
        r->fp[i] = (unsigned char)(i * 7 + k);
    r->path = strdup(path);
    r->name = strdup(name);
    r->http_stream = 100 * k;
    r->seg_file = 5 * k;
    r->seg_stream = 50 * k;
    r->marker_at = 40 * k;
    r->marker_skip = 3 * k;
    r->http_done = k % 2 == 1;
    r->out_file = 7 * k;
    r->out_done = k % 3 == 1;
    r->skipped = 11 * k;
}

static void same_rec(const struct forward_ckpt_rec *a,
                     const struct forward_ckpt_rec *b)
{
    assert_true(a->dev == b->dev && a->ino == b->ino);
    assert_int_equal(a->fp_len, b->fp_len);
    assert_memory_equal(a->fp, b->fp, 32);
    assert_string_equal(a->path, b->path);
    assert_string_equal(a->name, b->name);
    assert_true(a->http_stream == b->http_stream &&
                a->seg_file == b->seg_file && a->seg_stream == b->seg_stream &&
                a->marker_at == b->marker_at &&
                a->marker_skip == b->marker_skip &&
                a->http_done == b->http_done && a->out_file == b->out_file &&
                a->out_done == b->out_done && a->skipped == b->skipped);
}

static void test_ckpt_round_trip(void **state)
{
    struct forward_ckpt c = {0}, back;
    struct forward_ckpt_name names[2] = {{.name = "a/b", .count = 2},
                                         {.name = "c", .count = 1}};
    char *text = NULL, msg[256];
    (void)state;
    c.recs = calloc(3, sizeof(*c.recs));
    assert_non_null(c.recs);
    fill(&c.recs[0], "/w/plain.log", "f/plain.log", 1);
    fill(&c.recs[1], "/w/sp ace\n%\"\\\xff.log", "f/x~1", 2);
    fill(&c.recs[2], "/w/no-server.log", "", 3);
    c.nrecs = 3;
    c.names = names;
    c.nnames = 2;
    assert_int_equal(forward_ckpt_format(&c, &text), 0);
    assert_int_equal(
        forward_ckpt_parse(text, strlen(text), &back, msg, sizeof msg), 0);
    assert_int_equal(back.nrecs, 3);
    for (size_t i = 0; i < 3; i++)
        same_rec(&c.recs[i], &back.recs[i]);
    assert_int_equal(back.nnames, 2);
    /* the save/load pair, in a fresh directory */
    char dir[] = "/tmp/test_forward_XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(forward_ckpt_save(dir, &c), 0);
    struct forward_ckpt loaded;
    assert_int_equal(forward_ckpt_load(dir, &loaded, msg, sizeof msg), 0);
    assert_int_equal(loaded.nrecs, 3);
    same_rec(&c.recs[1], &loaded.recs[1]);
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, FORWARD_CKPT_FILE);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/%s.tmp", dir, FORWARD_CKPT_FILE);
    assert_int_not_equal(access(path, F_OK), 0); /* renamed, not left */
    snprintf(path, sizeof path, "%s/%s", dir, FORWARD_CKPT_FILE);
    unlink(path);
    rmdir(dir);
    /* no checkpoint at all: empty, not an error */
    struct forward_ckpt none;
    assert_int_equal(
        forward_ckpt_load("/nonexistent-dir-xyz", &none, msg, sizeof msg), 0);
    assert_int_equal(none.nrecs, 0);
    forward_ckpt_free(&loaded);
    forward_ckpt_free(&back);
    free(text);
    for (size_t i = 0; i < 3; i++)
        forward_ckpt_rec_free(&c.recs[i]);
    free(c.recs);
}

static void refused(const char *doc, const char *why)
{
    struct forward_ckpt c;
    char msg[256] = "";
    if (forward_ckpt_parse(doc, strlen(doc), &c, msg, sizeof msg) != -EINVAL)
        fail_msg("accepted: %s", doc);
    if (strstr(msg, why) == NULL)
        fail_msg("%s: message \"%s\" lacks \"%s\"", doc, msg, why);
    assert_int_equal(c.nrecs, 0);
    assert_null(c.recs);
}

#define FP                                                                     \
    "\"fp\":\""                                                                \
    "00000000000000000000000000000000"                                         \
    "00000000000000000000000000000000\""

static void test_ckpt_refusals(void **state)
{
    (void)state;
    refused("", "not JSON");
    refused("[]", "must be an object");
    refused("{\"version\":2,\"files\":[],\"names\":{}}", "version 2");
    refused("{\"version\":1,\"files\":[],\"names\":{},\"x\":1}", "unknown key");
    refused("{\"version\":1,\"version\":1,\"files\":[],\"names\":{}}",
            "not JSON"); /* duplicate keys */
    refused("{\"version\":1,\"files\":{},\"names\":{}}", "must be an array");
    refused("{\"version\":1,\"files\":[{\"dev\":1}],\"names\":{}}",
            "missing \"ino\"");
    refused("{\"version\":1,\"files\":[{\"dev\":-1,\"ino\":1," FP
            ",\"fp_len\":0,\"path\":\"/a\",\"name\":\"\"}],\"names\":{}}",
            "non-negative");
    refused("{\"version\":1,\"files\":[{\"dev\":1,\"ino\":1," FP
            ",\"fp_len\":2000,\"path\":\"/a\",\"name\":\"\"}],\"names\":{}}",
            "fp_len");
    refused("{\"version\":1,\"files\":[{\"dev\":1,\"ino\":1,\"fp\":\"zz\","
            "\"fp_len\":0,\"path\":\"/a\",\"name\":\"\"}],\"names\":{}}",
            "64 hex");
    refused("{\"version\":1,\"files\":[{\"dev\":1,\"ino\":1," FP
            ",\"fp_len\":0,\"path\":\"/a\",\"name\":\"a//b\"}],\"names\":{}}",
            "not a valid log name");
    refused("{\"version\":1,\"files\":[{\"dev\":1,\"ino\":1," FP
            ",\"fp_len\":0,\"path\":\"/a%zz\",\"name\":\"\"}],\"names\":{}}",
            "malformed");
    refused("{\"version\":1,\"files\":[{\"dev\":1,\"ino\":1," FP
            ",\"fp_len\":0,\"path\":\"/a%00\",\"name\":\"\"}],\"names\":{}}",
            "malformed");
    refused("{\"version\":1,\"files\":[{\"dev\":1,\"ino\":1," FP
            ",\"fp_len\":0,\"path\":\"/a\",\"name\":\"\",\"marker_at\":5,"
            "\"seg_stream\":4}],\"names\":{}}",
            "marker_at");
    refused("{\"version\":1,\"files\":[],\"names\":{\"a\":0}}", "positive");
    refused("{\"version\":1,\"files\":[],\"names\":{\"a/../b\":1}}",
            "invalid log name");
}

/* ---- the stdout sink's records ---- */

static void test_stdout_format(void **state)
{
    char buf[1024];
    (void)state;
    size_t n = forward_stdout_format(buf, sizeof buf, 1763726400123000000ull,
                                     "ERROR: x \"q\"\t\x01", 14, false,
                                     "/w/a.log", 77);
    assert_true(n > 0 && buf[n - 1] == '\n');
    buf[n] = '\0';
    json_error_t e;
    json_t *o = json_loads(buf, JSON_REJECT_DUPLICATES, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "ts")),
                        "2025-11-21T12:00:00.123Z");
    assert_string_equal(json_string_value(json_object_get(o, "level")),
                        "error");
    assert_string_equal(json_string_value(json_object_get(o, "logger")),
                        "forward");
    assert_string_equal(json_string_value(json_object_get(o, "msg")),
                        "ERROR: x \"q\"\t\x01");
    assert_string_equal(json_string_value(json_object_get(o, "file")),
                        "/w/a.log");
    assert_int_equal(json_integer_value(json_object_get(o, "offset")), 77);
    assert_null(json_object_get(o, "partial"));
    json_decref(o);
    /* a partial record says so; a plain line is info */
    n = forward_stdout_format(buf, sizeof buf, 0, "abc", 3, true, "/f", 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\"level\":\"info\""));
    assert_non_null(strstr(buf, "\"partial\":true}"));
    /* too small: nothing */
    assert_int_equal(
        forward_stdout_format(buf, 20, 0, "abc", 3, false, "/f", 0), 0);
    assert_true(forward_stdout_record_max(100, 10) >= 6 * 110);
}

/* ---- markers and settings ---- */

static void test_marker(void **state)
{
    char m[256];
    (void)state;
    size_t n = forward_http_marker(4006, m, sizeof m);
    assert_int_equal(n, strlen(m));
    assert_string_equal(m, "[livelog forward: 4006 bytes skipped here: the "
                           "server fell more than --max-lag behind]\n");
}

static int parse(const char *const *args, int n, struct forward_config *c,
                 char *err)
{
    char *argv[16];
    for (int i = 0; i < n; i++)
        argv[i] = (char *)(uintptr_t)args[i];
    FILE *out = fopen("/dev/null", "w");
    forward_config_free(c); /* the previous run's file text */
    int rc = forward_config_parse(n, argv, c, out, err, 256);
    fclose(out);
    return rc;
}

static void test_config(void **state)
{
    static struct forward_config c;
    char err[256];
    (void)state;
    unsetenv("LIVELOG_URL");
    unsetenv("LIVELOG_MAX_LAG");
    setenv("LIVELOG_CONFIG", "/dev/null", 1);
    const char *ok[] = {"forward",   "--watch", "/a",     "--watch=/b/*",
                        "--to",      "stdout",  "--to",   "http://h:1",
                        "--max-lag", "2M",      "--once", "--host",
                        "n1"};
    assert_int_equal(parse(ok, 13, &c, err), 0);
    assert_int_equal(c.nwatch, 2);
    assert_string_equal(c.watch[1], "/b/*");
    assert_true(c.to_stdout);
    assert_string_equal(c.server, "http://h:1");
    assert_int_equal(c.max_lag, 2u << 20);
    assert_true(c.once && !c.complete_on_exit);
    assert_string_equal(c.host, "n1");
    assert_string_equal(c.name_template, FORWARD_NAME_DEFAULT_TEMPLATE);
    assert_int_equal(c.buffer_size, 4u << 20);
    /* the environment, and flags over it */
    setenv("LIVELOG_MAX_LAG", "bogus", 1);
    const char *env[] = {"forward", "--watch",   "/a", "--to",
                         "stdout",  "--max-lag", "1K"};
    assert_int_equal(parse(env, 7, &c, err), 0);
    assert_int_equal(c.max_lag, 1024);
    assert_int_equal(parse(env, 5, &c, err), -EINVAL);
    assert_non_null(strstr(err, "LIVELOG_MAX_LAG"));
    unsetenv("LIVELOG_MAX_LAG");
    const char *nowatch[] = {"forward", "--to", "stdout"};
    assert_int_equal(parse(nowatch, 3, &c, err), -EINVAL);
    assert_non_null(strstr(err, "--watch"));
    const char *nosink[] = {"forward", "--watch", "/a"};
    assert_int_equal(parse(nosink, 3, &c, err), -EINVAL);
    assert_non_null(strstr(err, "--to"));
    const char *badto[] = {"forward", "--watch", "/a", "--to", "ftp://x"};
    assert_int_equal(parse(badto, 5, &c, err), -EINVAL);
    const char *two[] = {"forward",  "--watch", "/a",      "--to",
                         "http://a", "--to",    "http://b"};
    assert_int_equal(parse(two, 7, &c, err), -EINVAL);
    assert_non_null(strstr(err, "one server"));
    const char *small[] = {"forward", "--watch",       "/a", "--to",
                           "stdout",  "--buffer-size", "1K"};
    assert_int_equal(parse(small, 7, &c, err), -EINVAL);
    assert_non_null(strstr(err, "--buffer-size"));
    const char *flagval[] = {"forward", "--watch", "/a",
                             "--to",    "stdout",  "--once=yes"};
    assert_int_equal(parse(flagval, 6, &c, err), -EINVAL);
    const char *unknown[] = {"forward", "--watch", "/a", "--bogus"};
    assert_int_equal(parse(unknown, 4, &c, err), -EINVAL);
    assert_non_null(strstr(err, "unknown option"));
    const char *help[] = {"forward", "--help"};
    assert_int_equal(parse(help, 2, &c, err), 1);
    forward_config_free(&c);
}

/* ---- the configuration file ---- */

static char cdir[64];

static const char *conf(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", cdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Refused, and the message holds want. */
static void conf_refused(const char *const *args, int n, const char *want)
{
    static struct forward_config c;
    char err[256] = "";
    assert_int_equal(parse(args, n, &c, err), -EINVAL);
    if (strstr(err, want) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
    forward_config_free(&c);
}

static void test_config_file(void **state)
{
    static struct forward_config c;
    char err[256], want[200];
    (void)state;
    snprintf(cdir, sizeof cdir, "/tmp/test_forward.XXXXXX");
    assert_non_null(mkdtemp(cdir));
    unsetenv("LIVELOG_URL");
    unsetenv("LIVELOG_MAX_LAG");
    unsetenv("LIVELOG_STATE_DIR");
    setenv("LIVELOG_CONFIG", "/dev/null", 1);
    const char *p = conf("f.conf", "# the runner's logs\n"
                                   "watch = /runner/_diag/pages\n"
                                   "\n"
                                   "watch = /runner/_diag/*.log\n"
                                   "to = http://127.0.0.1:60022\n"
                                   "  to = stdout\n"
                                   "name-template = runner/{host}/{file}\n"
                                   "max-lag = 2M\n"
                                   "state-dir = /srv/fwd\n"
                                   "once = on\n"
                                   "poll = off\n");
    const char *only[] = {"forward", "--config", p};
    assert_int_equal(parse(only, 3, &c, err), 0);
    assert_int_equal(c.nwatch, 2);
    assert_string_equal(c.watch[0], "/runner/_diag/pages");
    assert_string_equal(c.watch[1], "/runner/_diag/*.log");
    assert_string_equal(c.server, "http://127.0.0.1:60022");
    assert_true(c.to_stdout);
    assert_string_equal(c.name_template, "runner/{host}/{file}");
    assert_int_equal(c.max_lag, 2u << 20);
    assert_string_equal(c.state_dir, "/srv/fwd");
    assert_true(c.once && !c.poll_only);
    assert_string_equal(c.config_file, p);
    assert_int_equal(c.buffer_size, 4u << 20); /* the default */
    /* LIVELOG_CONFIG names it too */
    setenv("LIVELOG_CONFIG", p, 1);
    const char *none[] = {"forward"};
    assert_int_equal(parse(none, 1, &c, err), 0);
    assert_int_equal(c.nwatch, 2);
    /* flags replace the file's watches and sinks as a whole */
    const char *flags[] = {"forward", "--watch",   "/x", "--to",
                           "stdout",  "--max-lag", "1K"};
    assert_int_equal(parse(flags, 7, &c, err), 0);
    assert_int_equal(c.nwatch, 1);
    assert_string_equal(c.watch[0], "/x");
    assert_string_equal(c.server, "");
    assert_true(c.to_stdout);
    assert_int_equal(c.max_lag, 1024);
    assert_string_equal(c.state_dir, "/srv/fwd"); /* from the file */
    /* the environment over the file, flags over the environment */
    setenv("LIVELOG_URL", "http://10.0.0.1:1", 1);
    setenv("LIVELOG_MAX_LAG", "3K", 1);
    setenv("LIVELOG_STATE_DIR", "/env/fwd", 1);
    const char *st[] = {"forward", "--state-dir", "/flag/fwd"};
    assert_int_equal(parse(st, 3, &c, err), 0);
    assert_string_equal(c.server, "http://10.0.0.1:1");
    assert_false(c.to_stdout); /* LIVELOG_URL replaced the file's sinks */
    assert_int_equal(c.max_lag, 3072);
    assert_string_equal(c.state_dir, "/flag/fwd");
    assert_int_equal(c.nwatch, 2);
    unsetenv("LIVELOG_URL");
    unsetenv("LIVELOG_MAX_LAG");
    unsetenv("LIVELOG_STATE_DIR");
    /* --config wins over LIVELOG_CONFIG */
    setenv("LIVELOG_CONFIG", "/nonexistent/f.conf", 1);
    assert_int_equal(parse(only, 3, &c, err), 0);
    setenv("LIVELOG_CONFIG", "/dev/null", 1);
    forward_config_free(&c);

    /* refusals: FILE:LINE and why */
    p = conf("bad.conf", "watch = /a\nto = stdout\n# x\nbogus = 1\n");
    const char *bad[] = {"forward", "--config", p};
    snprintf(want, sizeof want, "%s:4: unknown key 'bogus'", p);
    conf_refused(bad, 3, want);
    p = conf("bad.conf", "watch = /a\nbuffer-size = 1K\n");
    snprintf(want, sizeof want, "%s:2: buffer-size: 1K is not a size", p);
    conf_refused(bad, 3, want);
    /* refused even when a flag overrides it */
    const char *over[] = {"forward", "--config", p,       "--buffer-size",
                          "8M",      "--to",     "stdout"};
    conf_refused(over, 7, want);
    p = conf("bad.conf", "once = yes\n");
    conf_refused(bad, 3, ":1: once wants on or off");
    p = conf("bad.conf", "to = ftp://x\n");
    conf_refused(bad, 3, ":1: to: ftp://x is neither stdout");
    p = conf("bad.conf", "to = http://a\nto = http://b\n");
    conf_refused(bad, 3, ":2: to: one server only");
    p = conf("bad.conf", "watch =\n");
    conf_refused(bad, 3, ":1: watch: the path is empty");
    p = conf("bad.conf", "log-level = loud\n");
    conf_refused(bad, 3, ":1: log-level: loud is not fatal");
    p = conf("bad.conf", "config = /x\n");
    conf_refused(bad, 3, ":1: 'config' cannot be set");
    p = conf("bad.conf", "watch /a\n");
    conf_refused(bad, 3, ":1: not a `key = value` line");
    p = conf("bad.conf", "--watch = /a\n");
    conf_refused(bad, 3, ":1: unknown key '--watch'");
    const char *missing[] = {"forward", "--config", "/nonexistent/f.conf"};
    conf_refused(missing, 3,
                 "cannot read the configuration file "
                 "/nonexistent/f.conf");
    setenv("LIVELOG_CONFIG", "/nonexistent/g.conf", 1);
    conf_refused(none, 1, "/nonexistent/g.conf");
    setenv("LIVELOG_CONFIG", "/dev/null", 1);
    /* the file's watches count toward the limit */
    char many[4096] = "to = stdout\n";
    for (int i = 0; i <= FORWARD_MAX_WATCHES; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many),
                 "watch = /w%d\n", i);
    p = conf("bad.conf", many);
    conf_refused(bad, 3, ":66: watch: at most 64 watches");
    snprintf(want, sizeof want, "%s/f.conf", cdir);
    unlink(want);
    snprintf(want, sizeof want, "%s/bad.conf", cdir);
    unlink(want);
    rmdir(cdir);
}

/* Every row of the table is in --help, and the view says the same. */
static void test_config_view(void **state)
{
    struct config_option o;
    char *text = NULL;
    size_t size = 0, n = 0;
    char needle[64];
    static struct forward_config c;
    (void)state;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    char *argv[] = {"forward", "--help", NULL};
    assert_int_equal(forward_config_parse(2, argv, &c, out, needle, 64), 1);
    assert_int_equal(fclose(out), 0);
    while (forward_config_option(n, &o)) {
        snprintf(needle, sizeof needle, "  --%s ", o.flag);
        if (strstr(text, needle) == NULL)
            fail_msg("--help lacks %s", needle);
        if (o.env != NULL && strstr(text, o.env) == NULL)
            fail_msg("--help lacks %s", o.env);
        assert_true((o.arg == NULL) ==
                    (strcmp(o.flag, "poll") == 0 ||
                     strcmp(o.flag, "once") == 0 ||
                     strcmp(o.flag, "complete-on-exit") == 0));
        n++;
    }
    assert_true(n >= 21);
    assert_true(forward_config_option(0, &o));
    assert_string_equal(o.flag, "config");
    assert_string_equal(o.def, FORWARD_CONFIG_DEFAULT);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_expand),
        cmocka_unit_test(test_name_refused),
        cmocka_unit_test(test_ckpt_round_trip),
        cmocka_unit_test(test_ckpt_refusals),
        cmocka_unit_test(test_stdout_format),
        cmocka_unit_test(test_marker),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_config_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
