/* test_http_tls: TLS on an http_daemon listener, end to end: real
 * handshakes from libcurl on 127.0.0.1 (port 0), certificates made at run
 * time with the `openssl` command in a mkdtemp directory. Covers
 * src/http/http_tls.c (load, reload, key/certificate match, chains, what
 * is logged) and the TLS side of src/http/http_daemon.c (the certificate
 * callback, the TLS 1.2 floor, the priority string check, reload under
 * load). The log goes to a memfd that the tests read back; it is copied
 * to stderr at the end. cmocka; one thread except the client thread of
 * test_reload_under_load. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_daemon.h"
#include "log/log.h"

extern char **environ;

#define ORG_A "livelog-test-a"
#define ORG_B "livelog-test-b"
#define LOAD_REQUESTS 200
#define LOAD_RELOADS 50
#define TLS11_PRIORITIES "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1"
#define PATH_MAX_T 512

static char dir[256];
static int log_fd = -1;

/* The files: two self-signed pairs, the live pair the listener is
 * configured with, a bundle of both certificates, a three-level chain. */
static char a_crt[PATH_MAX_T], a_key[PATH_MAX_T];
static char b_crt[PATH_MAX_T], b_key[PATH_MAX_T];
static char live_crt[PATH_MAX_T], live_key[PATH_MAX_T];
static char bundle[PATH_MAX_T];
static char root_crt[PATH_MAX_T], chain_crt[PATH_MAX_T], leaf_key[PATH_MAX_T];

/* ---- files and the openssl command ------------------------------------ */

static void path_in(char *out, const char *name)
{
    int n = snprintf(out, PATH_MAX_T, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_MAX_T);
}

/* Runs argv (openssl), its output appended to DIR/openssl.log. */
static bool run(const char *const argv[])
{
    char logp[PATH_MAX_T];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0;

    path_in(logp, "openssl.log");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, logp,
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc =
        posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return false;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static char *read_all(const char *path, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t len = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[len] = '\0';
    *ret_len = len;
    return buf;
}

/* Replaces path with data atomically (a temporary file and rename), as a
 * certificate manager would. */
static void write_file(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX_T + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static void copy_file(const char *from, const char *to)
{
    size_t len;
    char *data = read_all(from, &len);
    write_file(to, data, len);
    free(data);
}

/* Makes the live files the pair (crt, key). */
static void install(const char *crt, const char *key)
{
    copy_file(crt, live_crt);
    copy_file(key, live_key);
}

static bool self_signed(const char *org, const char *crt, const char *key)
{
    char subj[64];
    snprintf(subj, sizeof(subj), "/O=%s/CN=127.0.0.1", org);
    const char *const argv[] = {"openssl",
                                "req",
                                "-x509",
                                "-newkey",
                                "ec",
                                "-pkeyopt",
                                "ec_paramgen_curve:prime256v1",
                                "-nodes",
                                "-days",
                                "2",
                                "-subj",
                                subj,
                                "-addext",
                                "subjectAltName=IP:127.0.0.1",
                                "-keyout",
                                key,
                                "-out",
                                crt,
                                NULL};
    return run(argv);
}

/* root (self-signed CA) -> intermediate (CA) -> leaf for 127.0.0.1; the
 * chain file is the leaf then the intermediate; clients trust the root
 * only, so the handshake works only if the whole chain is sent. */
static bool make_chain(void)
{
    char root_key[PATH_MAX_T], int_key[PATH_MAX_T], int_csr[PATH_MAX_T];
    char int_crt[PATH_MAX_T], leaf_csr[PATH_MAX_T], leaf_crt[PATH_MAX_T];
    char int_ext[PATH_MAX_T], leaf_ext[PATH_MAX_T];
    path_in(root_key, "root.key");
    path_in(int_key, "int.key");
    path_in(int_csr, "int.csr");
    path_in(int_crt, "int.crt");
    path_in(leaf_csr, "leaf.csr");
    path_in(leaf_crt, "leaf.crt");
    path_in(int_ext, "int.ext");
    path_in(leaf_ext, "leaf.ext");
    static const char ca_ext[] = "basicConstraints=critical,CA:TRUE\n"
                                 "keyUsage=critical,keyCertSign,cRLSign\n";
    static const char server_ext[] = "basicConstraints=CA:FALSE\n"
                                     "subjectAltName=IP:127.0.0.1\n"
                                     "extendedKeyUsage=serverAuth\n";
    write_file(int_ext, ca_ext, sizeof(ca_ext) - 1);
    write_file(leaf_ext, server_ext, sizeof(server_ext) - 1);

    const char *const root[] = {"openssl",
                                "req",
                                "-x509",
                                "-newkey",
                                "ec",
                                "-pkeyopt",
                                "ec_paramgen_curve:prime256v1",
                                "-nodes",
                                "-days",
                                "2",
                                "-subj",
                                "/CN=livelog test root",
                                "-addext",
                                "basicConstraints=critical,CA:TRUE",
                                "-addext",
                                "keyUsage=critical,keyCertSign,cRLSign",
                                "-keyout",
                                root_key,
                                "-out",
                                root_crt,
                                NULL};
    const char *const icsr[] = {"openssl",
                                "req",
                                "-new",
                                "-newkey",
                                "ec",
                                "-pkeyopt",
                                "ec_paramgen_curve:prime256v1",
                                "-nodes",
                                "-subj",
                                "/CN=livelog test intermediate",
                                "-keyout",
                                int_key,
                                "-out",
                                int_csr,
                                NULL};
    const char *const isign[] = {
        "openssl", "x509",     "-req",   "-in",         int_csr, "-CA",
        root_crt,  "-CAkey",   root_key, "-set_serial", "2",     "-days",
        "2",       "-extfile", int_ext,  "-out",        int_crt, NULL};
    const char *const lcsr[] = {"openssl",
                                "req",
                                "-new",
                                "-newkey",
                                "ec",
                                "-pkeyopt",
                                "ec_paramgen_curve:prime256v1",
                                "-nodes",
                                "-subj",
                                "/CN=127.0.0.1",
                                "-keyout",
                                leaf_key,
                                "-out",
                                leaf_csr,
                                NULL};
    const char *const lsign[] = {
        "openssl", "x509",     "-req",   "-in",         leaf_csr, "-CA",
        int_crt,   "-CAkey",   int_key,  "-set_serial", "3",      "-days",
        "2",       "-extfile", leaf_ext, "-out",        leaf_crt, NULL};
    if (!run(root) || !run(icsr) || !run(isign) || !run(lcsr) || !run(lsign))
        return false;

    size_t l1, l2;
    char *leaf = read_all(leaf_crt, &l1);
    char *inter = read_all(int_crt, &l2);
    char *both = malloc(l1 + l2);
    assert_non_null(both);
    memcpy(both, leaf, l1);
    memcpy(both + l1, inter, l2);
    write_file(chain_crt, both, l1 + l2);
    free(both);
    free(leaf);
    free(inter);
    return true;
}

/* ---- the log ------------------------------------------------------------ */

/* Everything logged so far, NUL-terminated (the caller frees it). */
static char *log_text(void)
{
    off_t end = lseek(log_fd, 0, SEEK_END);
    assert_true(end >= 0);
    char *buf = malloc((size_t)end + 1);
    assert_non_null(buf);
    ssize_t n = pread(log_fd, buf, (size_t)end, 0);
    assert_int_equal(n, end);
    buf[end] = '\0';
    return buf;
}

/* The number of log lines that contain every one of the given strings
 * (a NULL-terminated list). */
static unsigned log_lines_with(const char *first, ...)
{
    char *text = log_text();
    unsigned hits = 0;
    for (char *line = text; *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        bool all = strstr(line, first) != NULL;
        va_list ap;
        va_start(ap, first);
        for (const char *s = va_arg(ap, const char *); all && s != NULL;
             s = va_arg(ap, const char *))
            all = strstr(line, s) != NULL;
        va_end(ap);
        hits += all;
        if (nl == NULL)
            break;
        line = nl + 1;
    }
    free(text);
    return hits;
}

/* No line of the log holds a piece of the key in `path` (the second line
 * of a PEM key is 64 characters of base64 key material). */
static void assert_key_not_logged(const char *path)
{
    size_t len;
    char *pem = read_all(path, &len);
    char *line2 = strchr(pem, '\n');
    assert_non_null(line2);
    line2++;
    char piece[33];
    memcpy(piece, line2, 32);
    piece[32] = '\0';
    char *text = log_text();
    assert_null(strstr(text, piece));
    free(text);
    free(pem);
}

/* ---- the listener --------------------------------------------------------
 */

static enum MHD_Result handler(void *cls, struct http_request *req,
                               const char *url, const char *method,
                               const char *upload_data,
                               size_t *upload_data_size)
{
    static char body[] = "ok\n";
    (void)cls;
    (void)url;
    (void)method;
    (void)upload_data;
    (void)upload_data_size;
    req->route = "test";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof(body) - 1, body, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static int start(const char *crt, const char *key, const char *priorities,
                 struct http_daemon **ret)
{
    const struct http_listener_config cfg = {
        .name = "read",
        .host = "127.0.0.1",
        .port = 0,
        .tls_cert = crt,
        .tls_key = key,
        .tls_priorities = priorities,
        .threads = 2,
        .max_connections = 64,
        .timeout_s = 10,
        .conn_memory = 16 * 1024,
        .handler = handler,
    };
    return http_daemon_start(&cfg, ret);
}

/* ---- the client ----------------------------------------------------------
 */

struct fetch {
    CURLcode rc;
    long status;
    char body[16];
    size_t body_len;
    bool saw_a, saw_b; /* which certificate the server presented */
    char err[CURL_ERROR_SIZE];
};

static size_t on_body(char *p, size_t size, size_t n, void *cls)
{
    struct fetch *f = cls;
    size_t len = size * n;
    size_t room = sizeof(f->body) - 1 - f->body_len;
    size_t take = len < room ? len : room;
    memcpy(f->body + f->body_len, p, take);
    f->body_len += take;
    f->body[f->body_len] = '\0';
    return len;
}

/* One GET https://127.0.0.1:port/ on a fresh handle (a full handshake),
 * trusting only cainfo; ssl_version: CURLOPT_SSLVERSION. Safe from any
 * thread (no cmocka assertion). */
static struct fetch fetch(uint16_t port, const char *cainfo, long ssl_version)
{
    struct fetch f = {.rc = CURLE_FAILED_INIT};
    char url[64];
    CURL *h = curl_easy_init();
    if (h == NULL)
        return f;
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned int)port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, cainfo);
    curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_SSLVERSION, ssl_version);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, f.err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
    f.rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f.status);
    struct curl_certinfo *ci = NULL;
    if (f.rc == CURLE_OK &&
        curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) == CURLE_OK &&
        ci != NULL && ci->num_of_certs > 0) {
        for (struct curl_slist *s = ci->certinfo[0]; s != NULL; s = s->next) {
            if (strncmp(s->data, "Subject:", 8) != 0)
                continue;
            f.saw_a = strstr(s->data, ORG_A) != NULL;
            f.saw_b = strstr(s->data, ORG_B) != NULL;
        }
    }
    curl_easy_cleanup(h);
    return f;
}

#define ANY_TLS CURL_SSLVERSION_DEFAULT
#define ONLY_TLS11 (CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_1)
#define ONLY_TLS12 (CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2)
#define ONLY_TLS13 (CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3)

/* A request that must succeed with 200 "ok\n". */
static struct fetch expect_ok(uint16_t port, const char *cainfo, long version)
{
    struct fetch f = fetch(port, cainfo, version);
    if (f.rc != CURLE_OK)
        fail_msg("GET with CAINFO %s failed: %s (%s)", cainfo,
                 curl_easy_strerror(f.rc), f.err);
    assert_int_equal(f.status, 200);
    assert_string_equal(f.body, "ok\n");
    return f;
}

/* A request that must fail with `want`. */
static void expect_fail(uint16_t port, const char *cainfo, long version,
                        CURLcode want)
{
    struct fetch f = fetch(port, cainfo, version);
    if (f.rc != want)
        fail_msg("GET with CAINFO %s: want %s, got %s (%s)", cainfo,
                 curl_easy_strerror(want), curl_easy_strerror(f.rc), f.err);
}

/* The server presents A: clients trusting A get through, clients trusting
 * only B refuse it. */
static void expect_serving_a(uint16_t port)
{
    struct fetch f = expect_ok(port, a_crt, ANY_TLS);
    assert_true(f.saw_a && !f.saw_b);
    expect_fail(port, b_crt, ANY_TLS, CURLE_PEER_FAILED_VERIFICATION);
}

static void expect_serving_b(uint16_t port)
{
    struct fetch f = expect_ok(port, b_crt, ANY_TLS);
    assert_true(f.saw_b && !f.saw_a);
    expect_fail(port, a_crt, ANY_TLS, CURLE_PEER_FAILED_VERIFICATION);
}

/* ---- tests ---------------------------------------------------------------
 */

static void test_reload(void **state)
{
    struct http_daemon *d = NULL;
    (void)state;
    install(a_crt, a_key);
    uint64_t warnings = log_count(LOGC_HTTP, LOG_WARNING);
    assert_int_equal(start(live_crt, live_key, NULL, &d), 0);
    uint16_t port = http_daemon_port(d);
    assert_true(port != 0);
    assert_true(log_lines_with("\"tls certificate loaded\"", live_crt,
                               "\"expires\":\"20", NULL) >= 1);
    expect_serving_a(port);

    /* B replaces A without a restart. */
    unsigned reloaded = log_lines_with("\"tls reloaded\"", NULL);
    install(b_crt, b_key);
    assert_int_equal(http_daemon_reload_tls(d), 0);
    expect_serving_b(port);
    assert_int_equal(log_lines_with("\"tls reloaded\"", "\"listener\":\"read\"",
                                    "\"changed\":true", "\"expires\":\"20",
                                    NULL),
                     reloaded + 1);

    /* The same files again: nothing changes, still fine. */
    assert_int_equal(http_daemon_reload_tls(d), 0);
    assert_true(log_lines_with("\"tls reloaded\"", "\"changed\":false", NULL) >=
                1);
    expect_serving_b(port);
    assert_int_equal(log_count(LOGC_HTTP, LOG_WARNING), warnings);

    /* Garbage instead of the certificate: refused, B still served. */
    static const char garbage[] = "-----BEGIN CERTIFICATE-----\n"
                                  "bm90IGEgY2VydGlmaWNhdGU=\n"
                                  "-----END CERTIFICATE-----\n";
    write_file(live_crt, garbage, sizeof(garbage) - 1);
    assert_int_equal(http_daemon_reload_tls(d), -EIO);
    expect_serving_b(port);
    assert_int_equal(log_count(LOGC_HTTP, LOG_WARNING), warnings + 1);
    assert_int_equal(
        log_lines_with("\"level\":\"warning\"", "\"tls reload failed\"",
                       live_crt,
                       "\"reason\":\"not a usable PEM certificate chain", NULL),
        1);

    /* Not PEM at all, and an empty file. */
    write_file(live_crt, "hello\n", 6);
    assert_int_equal(http_daemon_reload_tls(d), -EIO);
    write_file(live_crt, "", 0);
    assert_int_equal(http_daemon_reload_tls(d), -EIO);
    expect_serving_b(port);

    /* The certificate is B's but the key is A's: refused. */
    install(b_crt, a_key);
    assert_int_equal(http_daemon_reload_tls(d), -EIO);
    expect_serving_b(port);
    assert_int_equal(log_lines_with("\"tls reload failed\"", live_key,
                                    "does not match the certificate", NULL),
                     1);

    /* Garbage key, then a missing file. */
    install(b_crt, b_key);
    write_file(live_key, garbage, sizeof(garbage) - 1);
    assert_int_equal(http_daemon_reload_tls(d), -EIO);
    assert_int_equal(unlink(live_key), 0);
    assert_int_equal(http_daemon_reload_tls(d), -ENOENT);
    assert_int_equal(
        log_lines_with("\"tls reload failed\"", live_key, "\"errno\":2", NULL),
        1);
    expect_serving_b(port);

    /* Fixed files: back to A. */
    install(a_crt, a_key);
    assert_int_equal(http_daemon_reload_tls(d), 0);
    expect_serving_a(port);

    assert_key_not_logged(a_key);
    assert_key_not_logged(b_key);
    http_daemon_stop(d);
}

static void test_start_errors(void **state)
{
    struct http_daemon *d = NULL;
    char missing[PATH_MAX_T], junk[PATH_MAX_T];
    (void)state;
    path_in(missing, "missing.pem");
    path_in(junk, "junk.pem");
    write_file(junk, "junk\n", 5);

    assert_int_equal(start(missing, a_key, NULL, &d), -ENOENT);
    assert_int_equal(start(a_crt, missing, NULL, &d), -ENOENT);
    assert_int_equal(start(junk, a_key, NULL, &d), -EIO);
    assert_int_equal(start(a_crt, junk, NULL, &d), -EIO);
    assert_int_equal(start(a_crt, b_key, NULL, &d), -EIO);
    assert_null(d);
    assert_int_equal(log_lines_with("\"cannot load the tls certificate\"",
                                    missing, "\"errno\":2", NULL),
                     2);
    assert_int_equal(log_lines_with("\"cannot load the tls certificate\"",
                                    b_key, "does not match", NULL),
                     1);

    /* Reloading a listener without TLS, or none at all, is a no-op. */
    assert_int_equal(start(NULL, NULL, NULL, &d), 0);
    assert_int_equal(http_daemon_reload_tls(d), 0);
    http_daemon_stop(d);
    assert_int_equal(http_daemon_reload_tls(NULL), 0);
}

static void test_bad_priorities(void **state)
{
    static const char *const bad[] = {
        "NORMAL:+NO-SUCH-THING",
        "",
        "NORMAL:-VERS-ALL:+VERS-TLS1.1", /* nothing left above the floor */
        "NORMAL:-VERS-TLS-ALL:+VERS-DTLS1.2",
    };
    struct http_daemon *d = NULL;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t warnings = log_count(LOGC_HTTP, LOG_WARNING);
        assert_int_equal(start(a_crt, a_key, bad[i], &d), -EINVAL);
        assert_null(d);
        assert_int_equal(log_count(LOGC_HTTP, LOG_WARNING), warnings + 1);
    }
    assert_int_equal(
        log_lines_with("\"invalid tls priority string\"",
                       "\"priorities\":\"NORMAL:+NO-SUCH-THING:-VERS-SSL3.0",
                       NULL),
        1);
}

/* A plain libmicrohttpd daemon with TLS 1.0 and 1.1 enabled, to prove
 * that the TLS 1.1 client below can connect when nothing stops it. */
static enum MHD_Result control_access(void *cls, struct MHD_Connection *c,
                                      const char *url, const char *method,
                                      const char *version,
                                      const char *upload_data,
                                      size_t *upload_data_size, void **ctx)
{
    static char body[] = "ok\n";
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)ctx;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof(body) - 1, body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static void test_floor_configured(void **state)
{
    struct http_daemon *d = NULL;
    (void)state;

    size_t crt_len, key_len;
    char *crt = read_all(a_crt, &crt_len);
    char *key = read_all(a_key, &key_len);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *control = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
        control_access, NULL, MHD_OPTION_SOCK_ADDR, &sin,
        MHD_OPTION_HTTPS_MEM_CERT, crt, MHD_OPTION_HTTPS_MEM_KEY, key,
        MHD_OPTION_HTTPS_PRIORITIES, TLS11_PRIORITIES, MHD_OPTION_END);
    assert_non_null(control);
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(control, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    expect_ok(info->port, a_crt, ONLY_TLS11);
    MHD_stop_daemon(control);
    free(crt);
    free(key);

    /* The same priority string on our listener: the floor wins. */
    assert_int_equal(start(a_crt, a_key, TLS11_PRIORITIES, &d), 0);
    uint16_t port = http_daemon_port(d);
    expect_fail(port, a_crt, ONLY_TLS11, CURLE_SSL_CONNECT_ERROR);
    expect_ok(port, a_crt, ONLY_TLS12);
    expect_ok(port, a_crt, ONLY_TLS13);
    http_daemon_stop(d);
}

static void test_floor_default(void **state)
{
    struct http_daemon *d = NULL;
    (void)state;
    assert_int_equal(start(a_crt, a_key, NULL, &d), 0);
    uint16_t port = http_daemon_port(d);
    expect_fail(port, a_crt, ONLY_TLS11, CURLE_SSL_CONNECT_ERROR);
    expect_ok(port, a_crt, ONLY_TLS12);
    expect_ok(port, a_crt, ONLY_TLS13);
    http_daemon_stop(d);
}

static void test_chain(void **state)
{
    struct http_daemon *d = NULL;
    (void)state;
    assert_int_equal(start(chain_crt, leaf_key, NULL, &d), 0);
    assert_true(log_lines_with("\"tls certificate loaded\"", chain_crt,
                               "\"chain\":2", NULL) >= 1);
    expect_ok(http_daemon_port(d), root_crt, ONLY_TLS12);
    expect_ok(http_daemon_port(d), root_crt, ONLY_TLS13);
    http_daemon_stop(d);
}

struct load {
    uint16_t port;
    atomic_uint done; /* requests finished */
    unsigned ok, saw_a, saw_b;
    bool failed;
    struct fetch first_bad;
};

static void *client(void *arg)
{
    struct load *l = arg;
    for (unsigned i = 0; i < LOAD_REQUESTS; i++) {
        struct fetch f = fetch(l->port, bundle, ANY_TLS);
        bool good =
            f.rc == CURLE_OK && f.status == 200 && strcmp(f.body, "ok\n") == 0;
        if (good) {
            l->ok++;
            l->saw_a += f.saw_a;
            l->saw_b += f.saw_b;
        } else if (!l->failed) {
            l->failed = true;
            l->first_bad = f;
        }
        atomic_store(&l->done, i + 1);
    }
    return NULL;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits (polling) until the client has finished at least n requests. */
static void wait_done(struct load *l, unsigned n)
{
    uint64_t deadline = now_ms() + 120000;
    while (atomic_load(&l->done) < n) {
        assert_true(now_ms() < deadline);
        struct timespec ts = {.tv_nsec = 1000000};
        nanosleep(&ts, NULL);
    }
}

static void test_reload_under_load(void **state)
{
    struct http_daemon *d = NULL;
    struct load l = {.failed = false};
    pthread_t th;
    (void)state;
    install(a_crt, a_key);
    assert_int_equal(start(live_crt, live_key, NULL, &d), 0);
    l.port = http_daemon_port(d);
    atomic_init(&l.done, 0);
    assert_int_equal(pthread_create(&th, NULL, client, &l), 0);
    for (unsigned r = 0; r < LOAD_RELOADS; r++) {
        /* Spread the reloads over the requests. */
        wait_done(&l, r * (LOAD_REQUESTS / LOAD_RELOADS));
        if (r % 2 == 0)
            install(b_crt, b_key);
        else
            install(a_crt, a_key);
        assert_int_equal(http_daemon_reload_tls(d), 0);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    if (l.ok != LOAD_REQUESTS)
        fail_msg("%u of %u requests succeeded; first failure: %s (%s) "
                 "status %ld",
                 l.ok, LOAD_REQUESTS, curl_easy_strerror(l.first_bad.rc),
                 l.first_bad.err, l.first_bad.status);
    /* Both certificates were really served. */
    assert_true(l.saw_a > 0 && l.saw_b > 0);
    assert_int_equal(l.saw_a + l.saw_b, LOAD_REQUESTS);
    http_daemon_stop(d);
}

/* ---- set-up --------------------------------------------------------------
 */

static int setup(void **state)
{
    enum log_level level = LOG_INFO;
    const char *named = getenv("LIVELOG_LOG_LEVEL");
    const char *tmp = getenv("TMPDIR");
    (void)state;

    if (named != NULL && named[0] != '\0')
        (void)log_level_parse(named, &level);
    log_fd = memfd_create("test_http_tls", 0);
    if (log_fd < 0)
        return -1;
    log_init(log_fd, level, LOG_FORMAT_JSON);
    http_daemon_init_tls_logging();
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
        return -1;

    snprintf(dir, sizeof(dir), "%s/test_http_tls-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    path_in(a_crt, "a.crt");
    path_in(a_key, "a.key");
    path_in(b_crt, "b.crt");
    path_in(b_key, "b.key");
    path_in(live_crt, "live.crt");
    path_in(live_key, "live.key");
    path_in(bundle, "bundle.crt");
    path_in(root_crt, "root.crt");
    path_in(chain_crt, "chain.crt");
    path_in(leaf_key, "leaf.key");
    if (!self_signed(ORG_A, a_crt, a_key) ||
        !self_signed(ORG_B, b_crt, b_key) || !make_chain()) {
        fprintf(stderr, "test_http_tls: openssl failed, see %s/openssl.log\n",
                dir);
        return -1;
    }
    size_t la, lb;
    char *ca = read_all(a_crt, &la);
    char *cb = read_all(b_crt, &lb);
    char *both = malloc(la + lb);
    if (both == NULL)
        return -1;
    memcpy(both, ca, la);
    memcpy(both + la, cb, lb);
    write_file(bundle, both, la + lb);
    free(both);
    free(ca);
    free(cb);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (log_fd >= 0) {
        char *text = log_text();
        fputs(text, stderr);
        free(text);
    }
    curl_global_cleanup();
    if (dir[0] != '\0') {
        const char *const argv[] = {"rm", "-rf", dir, NULL};
        (void)run(argv);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_bad_priorities),
        cmocka_unit_test(test_floor_configured),
        cmocka_unit_test(test_floor_default),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_reload_under_load),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
