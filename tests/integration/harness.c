/* harness: starts, watches and stops the real livelog binary for the
 * integration tests, and gives them libcurl readers and writers. See
 * harness.h for the contract of each function. Failures are reported with
 * hs_fail() (file:line and a message) and counted in hs_failures. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MAX_SERVERS 64 /* serve_crashloop starts 51 */
#define BODY_CAP ((size_t)64 << 20)

extern char **environ;

int hs_failures;

static const char *binary_path;
static const char *checker_path;
static const char *test_name = "test";
static char scratch[512];
static struct hs_server *servers[MAX_SERVERS];
static size_t n_servers;
static int64_t t_start;

/* ---- reporting ------------------------------------------------------ */

void hs_log(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[%s +%.3fs] ", test_name,
            (double)(hs_now_ms() - t_start) / 1000.0);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void hs_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    hs_failures++;
    fprintf(stderr, "FAIL %s:%d: (%s) ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void dump_tail(const char *path, int max_lines)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    long pos[64];
    int n = 0;

    if (max_lines > 64)
        max_lines = 64;
    if (f == NULL)
        return;
    /* Remember the start of the last max_lines lines, then print them. */
    for (;;) {
        long at = ftell(f);
        if (fgets(line, sizeof(line), f) == NULL)
            break;
        pos[n % max_lines] = at;
        n++;
    }
    if (n > 0) {
        int first = n > max_lines ? n - max_lines : 0;
        fprintf(stderr, "---- last %d line(s) of %s ----\n", n - first, path);
        if (fseek(f, pos[first % max_lines], SEEK_SET) == 0) {
            while (fgets(line, sizeof(line), f) != NULL)
                fputs(line, stderr);
        }
        fprintf(stderr, "---- end of %s ----\n", path);
    }
    fclose(f);
}

_Noreturn void hs_abort(void)
{
    for (size_t i = 0; i < n_servers; i++) {
        if (servers[i]->pid > 0) {
            kill(servers[i]->pid, SIGKILL);
            waitpid(servers[i]->pid, NULL, 0);
            servers[i]->pid = 0;
        }
        dump_tail(servers[i]->log_path, 40);
    }
    fprintf(stderr, "[%s] aborted; scratch kept at %s\n", test_name, scratch);
    exit(1);
}

/* snprintf that fails the test instead of truncating. */
static void fmt(char *buf, size_t cap, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t cap, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vsnprintf(buf, cap, f, ap);
    va_end(ap);
    HS_REQUIRE(n >= 0 && (size_t)n < cap, "path or string too long: %s", f);
}

/* ---- time ----------------------------------------------------------- */

int64_t hs_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hs_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- setup ---------------------------------------------------------- */

bool hs_sanitized(void)
{
    const char *v = getenv("LIVELOG_SANITIZED");
    return v != NULL && strcmp(v, "1") == 0;
}

const char *hs_binary(void)
{
    return binary_path;
}

const char *hs_checker(void)
{
    return checker_path;
}

void hs_init(int argc, char **argv, const char *name)
{
    struct rlimit rl;
    const char *tmp = getenv("TMPDIR");

    t_start = hs_now_ms();
    test_name = name;
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIVELOG_BINARY CHECK_SERVER_LOG\n", argv[0]);
        exit(2);
    }
    binary_path = argv[1];
    checker_path = argv[2];
    if (access(binary_path, X_OK) != 0 || access(checker_path, X_OK) != 0) {
        fprintf(stderr, "%s: %s or %s is not executable\n", name, binary_path,
                checker_path);
        exit(2);
    }
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        fprintf(stderr, "%s: curl_global_init failed\n", name);
        exit(2);
    }
    if (gnutls_global_init() < 0) {
        fprintf(stderr, "%s: gnutls_global_init failed\n", name);
        exit(2);
    }
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    if (snprintf(scratch, sizeof(scratch), "%s/livelog-it-%s-XXXXXX", tmp,
                 name) >= (int)sizeof(scratch)) {
        fprintf(stderr, "%s: TMPDIR too long\n", name);
        exit(2);
    }
    if (mkdtemp(scratch) == NULL) {
        fprintf(stderr, "%s: mkdtemp %s: %s\n", name, scratch, strerror(errno));
        exit(2);
    }
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

int hs_finish(void)
{
    for (size_t i = 0; i < n_servers; i++) {
        if (servers[i]->pid > 0) {
            kill(servers[i]->pid, SIGKILL);
            waitpid(servers[i]->pid, NULL, 0);
            servers[i]->pid = 0;
        }
    }
    if (hs_failures > 0) {
        for (size_t i = 0; i < n_servers; i++)
            dump_tail(servers[i]->log_path, 30);
        fprintf(stderr, "[%s] %d failure(s); scratch kept at %s\n", test_name,
                hs_failures, scratch);
        return 1;
    }
    nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    hs_log("passed");
    return 0;
}

/* ---- child processes ------------------------------------------------ */

static int wait_bounded(pid_t pid, long timeout_ms, int *ret_status)
{
    int64_t deadline = hs_now_ms() + timeout_ms;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            *ret_status = st;
            return 0;
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (hs_now_ms() >= deadline)
            return -1;
        hs_sleep_ms(1);
    }
}

static void redirect(int fd, const char *path, int flags)
{
    int f = open(path, flags, 0644);
    if (f < 0)
        _exit(126);
    if (dup2(f, fd) < 0)
        _exit(126);
    close(f);
}

int hs_run(char *const *argv, const char *out_path, const char *err_path,
           long timeout_ms)
{
    int st = 0;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    HS_REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        redirect(0, "/dev/null", O_RDONLY);
        if (out_path != NULL)
            redirect(1, out_path, O_WRONLY | O_CREAT | O_TRUNC);
        if (err_path != NULL)
            redirect(2, err_path, O_WRONLY | O_CREAT | O_TRUNC);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (wait_bounded(pid, timeout_ms, &st) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return st;
}

/* ---- environment for the server ------------------------------------- */

struct envv {
    char *v[128];
    size_t n;
};

/* The only variables of the test's environment a started process sees:
 * the sanitizers' options (ASan, UBSan, LSan, TSan) and where to look. */
static const char *const passed_env[] = {
    "PATH",         "HOME", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
    "TSAN_OPTIONS", NULL};

static void env_set(struct envv *e, const char *entry)
{
    const char *eq = strchr(entry, '=');
    size_t klen = eq != NULL ? (size_t)(eq - entry) : strlen(entry);

    for (size_t i = 0; i < e->n; i++) {
        if (strncmp(e->v[i], entry, klen) == 0 && e->v[i][klen] == '=') {
            free(e->v[i]);
            e->v[i] = e->v[--e->n];
            break;
        }
    }
    if (eq == NULL)
        return; /* "NAME": unset */
    HS_REQUIRE(e->n + 1 < sizeof(e->v) / sizeof(e->v[0]), "too many env");
    e->v[e->n] = strdup(entry);
    HS_REQUIRE(e->v[e->n] != NULL, "strdup");
    e->n++;
    e->v[e->n] = NULL;
}

static void env_setkv(struct envv *e, const char *k, const char *v)
{
    char buf[1200];
    fmt(buf, sizeof(buf), "%s=%s", k, v);
    env_set(e, buf);
}

static void env_free(struct envv *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    e->n = 0;
}

/* ---- log tailing ---------------------------------------------------- */

/* Copies the JSON string value of "key" in a compact JSON line. */
static bool json_str(const char *line, const char *key, char *buf, size_t cap)
{
    char pat[64];
    const char *p;
    size_t n = 0;

    fmt(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(line, pat);
    if (p == NULL)
        return false;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != '"')
        return false;
    p++;
    while (*p != '\0' && *p != '"' && n + 1 < cap)
        buf[n++] = *p++;
    buf[n] = '\0';
    return *p == '"';
}

static int port_of(const char *addr)
{
    const char *c = strrchr(addr, ':');
    char *end = NULL;
    unsigned long v;

    if (c == NULL)
        return -1;
    errno = 0;
    v = strtoul(c + 1, &end, 10);
    if (errno != 0 || end == c + 1 || *end != '\0' || v > 65535)
        return -1;
    return (int)v;
}

/* Scans the log for the two "listening" lines. */
static void scan_listening(struct hs_server *s)
{
    FILE *f = fopen(s->log_path, "r");
    char line[4096];

    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char msg[64], listener[32], addr[128];
        if (!json_str(line, "msg", msg, sizeof(msg)) ||
            strcmp(msg, "listening") != 0)
            continue;
        if (!json_str(line, "listener", listener, sizeof(listener)) ||
            !json_str(line, "addr", addr, sizeof(addr)))
            continue;
        if (strcmp(listener, "write") == 0) {
            s->put_port = port_of(addr);
            HS_CHECK(strncmp(addr, "127.0.0.1:", 10) == 0,
                     "write listener must be on 127.0.0.1, logged addr %s",
                     addr);
        } else if (strcmp(listener, "read") == 0) {
            s->get_port = port_of(addr);
        }
    }
    fclose(f);
}

static bool healthz_ok(struct hs_server *s)
{
    struct hs_resp r;
    bool ok;
    hs_request(s, true, "GET", "/healthz", NULL, NULL, 0, 1000, &r);
    ok = r.result == CURLE_OK && r.status == 200;
    hs_resp_free(&r);
    return ok;
}

/* ---- start and stop ------------------------------------------------- */

static void make_cert(struct hs_server *s)
{
    char key[600], subj[] = "/CN=localhost";
    char out[700], err[700];
    int st;

    fmt(key, sizeof(key), "%s/key.pem", s->dir);
    fmt(s->ca_path, sizeof(s->ca_path), "%s/cert.pem", s->dir);
    fmt(out, sizeof(out), "%s/openssl.out", s->dir);
    fmt(err, sizeof(err), "%s/openssl.err", s->dir);
    {
        char *argv[] = {"openssl",  "req",
                        "-x509",    "-newkey",
                        "rsa:2048", "-nodes",
                        "-keyout",  key,
                        "-out",     s->ca_path,
                        "-days",    "2",
                        "-subj",    subj,
                        "-addext",  "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        NULL};
        st = hs_run(argv, out, err, 30000);
    }
    if (st != 0)
        dump_tail(err, 20);
    HS_REQUIRE(st == 0, "openssl req failed (status %d)", st);
}

void hs_start(struct hs_server *s, const struct hs_opts *o)
{
    struct envv env = {.n = 0};
    char tmpdir[700], out[700];
    char *argv[32];
    size_t argc = 0;
    int64_t deadline;
    long ready_ms = hs_sanitized() ? 30000 : 10000;
    int lfd;

    memset(s, 0, sizeof(*s));
    s->put_port = s->get_port = -1;
    HS_REQUIRE(n_servers < MAX_SERVERS, "too many servers");
    fmt(s->dir, sizeof(s->dir), "%s/server%zu", scratch, n_servers);
    HS_REQUIRE(mkdir(s->dir, 0755) == 0, "mkdir %s: %s", s->dir,
               strerror(errno));
    fmt(tmpdir, sizeof(tmpdir), "%s/tmp", s->dir);
    HS_REQUIRE(mkdir(tmpdir, 0755) == 0, "mkdir %s", tmpdir);
    fmt(s->log_path, sizeof(s->log_path), "%s/server.log", s->dir);
    fmt(out, sizeof(out), "%s/stdout.txt", s->dir);
    servers[n_servers++] = s;

    env.v[0] = NULL;
    for (size_t i = 0; passed_env[i] != NULL; i++) {
        const char *v = getenv(passed_env[i]);
        if (v != NULL)
            env_setkv(&env, passed_env[i], v);
    }
    env_set(&env, "LIVELOG_PUT_PORT=0");
    env_set(&env, "LIVELOG_GET_PORT=0");
    env_setkv(&env, "LIVELOG_TEMP_DIR", tmpdir);
    env_setkv(&env, "LIVELOG_LOG_LEVEL",
              o->log_level != NULL ? o->log_level : "debug");
    if (o->token != NULL) {
        fmt(s->token, sizeof(s->token), "%s", o->token);
        env_setkv(&env, "ACCESS_TOKEN", o->token);
    }
    if (o->tls) {
        char key[600];
        make_cert(s);
        fmt(key, sizeof(key), "%s/key.pem", s->dir);
        env_setkv(&env, "SERVER_CRT_FILE", s->ca_path);
        env_setkv(&env, "SERVER_KEY_FILE", key);
        s->tls = true;
    }
    for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++)
        env_set(&env, o->env[i]);

    argv[argc++] = (char *)binary_path;
    for (size_t i = 0; o->args != NULL && o->args[i] != NULL && argc < 31; i++)
        argv[argc++] = (char *)o->args[i];
    argv[argc] = NULL;

    lfd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    HS_REQUIRE(lfd >= 0, "open %s", s->log_path);
    fflush(stdout);
    fflush(stderr);
    s->pid = fork();
    HS_REQUIRE(s->pid >= 0, "fork: %s", strerror(errno));
    if (s->pid == 0) {
        redirect(0, "/dev/null", O_RDONLY);
        redirect(1, out, O_WRONLY | O_CREAT | O_TRUNC);
        if (dup2(lfd, 2) < 0)
            _exit(126);
        close(lfd);
        execve(binary_path, argv, env.v);
        _exit(127);
    }
    close(lfd);
    env_free(&env);

    /* Wait for both "listening" lines, or the server's death. */
    deadline = hs_now_ms() + ready_ms;
    for (int i = 0; i < 100000; i++) {
        int st = 0;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            s->stopped = true;
            s->wait_status = st;
            dump_tail(s->log_path, 40);
            HS_REQUIRE(0, "server exited during startup (status 0x%x)", st);
        }
        scan_listening(s);
        if (s->put_port > 0 && s->get_port > 0)
            break;
        HS_REQUIRE(hs_now_ms() < deadline,
                   "no \"listening\" lines for both listeners within %ld ms "
                   "(write port %d, read port %d)",
                   ready_ms, s->put_port, s->get_port);
        hs_sleep_ms(5);
    }
    fmt(s->read_base, sizeof(s->read_base), "%s://127.0.0.1:%d",
        s->tls ? "https" : "http", s->get_port);
    fmt(s->write_base, sizeof(s->write_base), "http://127.0.0.1:%d",
        s->put_port);

    /* Poll /healthz until it answers 200. */
    deadline = hs_now_ms() + ready_ms;
    for (int i = 0; i < 100000; i++) {
        if (healthz_ok(s))
            break;
        HS_REQUIRE(hs_now_ms() < deadline,
                   "GET %s/healthz did not answer 200 within %ld ms",
                   s->read_base, ready_ms);
        hs_sleep_ms(10);
    }
    hs_log("server pid %d ready: write %s, read %s", (int)s->pid, s->write_base,
           s->read_base);
}

int hs_stop(struct hs_server *s, long timeout_ms)
{
    int64_t t0;
    int st = 0;

    if (s->pid <= 0)
        return s->stopped ? s->wait_status : -1;
    t0 = hs_now_ms();
    kill(s->pid, SIGTERM);
    if (wait_bounded(s->pid, timeout_ms, &st) != 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
        s->stopped = true;
        s->wait_status = -1;
        s->stop_ms = hs_now_ms() - t0;
        return -1;
    }
    s->stop_ms = hs_now_ms() - t0;
    s->pid = 0;
    s->stopped = true;
    s->wait_status = st;
    return st;
}

static void describe_status(int st, char *buf, size_t cap)
{
    if (st == -1)
        fmt(buf, cap, "did not exit in time (SIGKILLed)");
    else if (WIFEXITED(st))
        fmt(buf, cap, "exit code %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        fmt(buf, cap, "killed by signal %d", WTERMSIG(st));
    else
        fmt(buf, cap, "status 0x%x", st);
}

void hs_stop_and_check(struct hs_server *s, const char *const *expect)
{
    int st = hs_stop(s, hs_sanitized() ? 10000 : 5000);
    char d[64];

    describe_status(st, d, sizeof(d));
    HS_CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "SIGTERM: server should exit with code 0, got %s (after %lld "
             "ms)",
             d, (long long)s->stop_ms);
    HS_CHECK(hs_check_log(s, expect) == 0,
             "server log %s fails check-server-log", s->log_path);
}

int hs_check_log(const struct hs_server *s, const char *const *expect)
{
    char *argv[16];
    size_t n = 0;
    int st;

    char token_arg[sizeof(s->token) + 16], key_arg[sizeof(s->key) + 16];
    argv[n++] = (char *)checker_path;
    /* "--secret=X": a secret may start with '-' */
    if (s->token[0] != '\0') {
        fmt(token_arg, sizeof(token_arg), "--secret=%s", s->token);
        argv[n++] = token_arg;
    }
    if (s->key[0] != '\0') {
        fmt(key_arg, sizeof(key_arg), "--secret=%s", s->key);
        argv[n++] = key_arg;
    }
    for (size_t i = 0; expect != NULL && expect[i] != NULL && n < 12; i++) {
        argv[n++] = "--expect";
        argv[n++] = (char *)expect[i];
    }
    argv[n++] = (char *)s->log_path;
    argv[n] = NULL;
    st = hs_run(argv, NULL, NULL, 60000);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* ---- one-shot requests ---------------------------------------------- */

struct membuf {
    unsigned char *p;
    size_t len, cap;
};

static size_t body_cb(char *data, size_t size, size_t n, void *ud)
{
    struct hs_resp *r = ud;
    size_t len = size * n;

    if (r->len + len > BODY_CAP)
        return 0;
    {
        unsigned char *p = realloc(r->body, r->len + len + 1);
        if (p == NULL)
            return 0;
        r->body = p;
    }
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

/* Keeps the header block of the last response (a new status line resets
 * it, so "100 Continue" blocks are dropped). */
static void header_append(char *block, size_t *hlen, size_t cap,
                          const char *data, size_t len)
{
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
        *hlen = 0;
    if (*hlen + len + 1 > cap)
        return;
    memcpy(block + *hlen, data, len);
    *hlen += len;
    block[*hlen] = '\0';
}

static size_t resp_header_cb(char *data, size_t size, size_t n, void *ud)
{
    struct hs_resp *r = ud;
    header_append(r->headers, &r->hlen, sizeof(r->headers), data, size * n);
    return size * n;
}

const char *hs_header(const char *block, const char *name, char *buf,
                      size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = block;

    while (p != NULL && *p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t linelen = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (linelen > nlen && strncasecmp(p, name, nlen) == 0 &&
            p[nlen] == ':') {
            const char *v = p + nlen + 1;
            const char *end = p + linelen;
            size_t vlen;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v &&
                   (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            vlen = (size_t)(end - v);
            if (vlen + 1 > cap)
                vlen = cap - 1;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            return buf;
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
    return NULL;
}

CURLcode hs_request(const struct hs_server *s, bool read_port,
                    const char *method, const char *path,
                    const char *const *hdrs, const void *body, size_t len,
                    long timeout_ms, struct hs_resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *sl = NULL;
    char url[1024];

    memset(r, 0, sizeof(*r));
    HS_REQUIRE(c != NULL, "curl_easy_init");
    fmt(url, sizeof(url), "%s%s", read_port ? s->read_base : s->write_base,
        path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, resp_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (read_port && s->tls)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_path);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        sl = curl_slist_append(sl, "Expect:");
        sl = curl_slist_append(sl, "Content-Type:");
    }
    for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL; i++)
        sl = curl_slist_append(sl, hdrs[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    r->result = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->body == NULL) {
        r->body = calloc(1, 1);
        HS_REQUIRE(r->body != NULL, "calloc");
    }
    curl_slist_free_all(sl);
    curl_easy_cleanup(c);
    return r->result;
}

void hs_resp_free(struct hs_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

void hs_log_path(const struct hs_server *s, char *buf, size_t cap)
{
    fmt(buf, cap, "/log/%s", s->token);
}

bool hs_wait_log_len(const struct hs_server *s, uint64_t len, long timeout_ms)
{
    struct hs_reader r;
    char path[400];

    hs_log_path(s, path, sizeof(path));
    hs_reader_init(&r, s, path, NULL);
    r.abort_after = len;
    curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    r.result = curl_easy_perform(r.easy);
    hs_reader_cleanup(&r);
    return r.got >= len;
}

/* ---- deterministic data --------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t word_at(uint64_t seed, uint64_t i)
{
    return mix64(seed ^ (i * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL));
}

void hs_gen(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
    size_t k = 0;

    /* Unaligned head. */
    while (k < len && (off + k) % 8 != 0) {
        uint64_t o = off + k;
        buf[k++] = (unsigned char)(word_at(seed, o / 8) >> (8 * (o % 8)));
    }
    /* Whole words. */
    while (len - k >= 8) {
        uint64_t w = word_at(seed, (off + k) / 8);
        for (int b = 0; b < 8; b++)
            buf[k + (size_t)b] = (unsigned char)(w >> (8 * b));
        k += 8;
    }
    /* Tail. */
    while (k < len) {
        uint64_t o = off + k;
        buf[k++] = (unsigned char)(word_at(seed, o / 8) >> (8 * (o % 8)));
    }
}

void hs_gen_sha256(uint64_t seed, uint64_t total, unsigned char out[32])
{
    static unsigned char buf[1 << 16];
    gnutls_hash_hd_t h;
    uint64_t off = 0;

    HS_REQUIRE(gnutls_hash_init(&h, GNUTLS_DIG_SHA256) == 0, "hash_init");
    while (off < total) {
        size_t n =
            total - off < sizeof(buf) ? (size_t)(total - off) : sizeof(buf);
        hs_gen(seed, off, buf, n);
        gnutls_hash(h, buf, n);
        off += n;
    }
    gnutls_hash_deinit(h, out);
}

void hs_hex32(const unsigned char d[32], char buf[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        buf[2 * i] = hex[d[i] >> 4];
        buf[2 * i + 1] = hex[d[i] & 15];
    }
    buf[64] = '\0';
}

/* ---- streaming readers ---------------------------------------------- */

static size_t reader_body_cb(char *data, size_t size, size_t n, void *ud)
{
    struct hs_reader *r = ud;
    size_t len = size * n;

    if (r->verify && r->mismatch_at == UINT64_MAX) {
        unsigned char exp[4096];
        size_t k = 0;
        while (k < len) {
            size_t m = len - k < sizeof(exp) ? len - k : sizeof(exp);
            hs_gen(r->seed, r->start + r->got + k, exp, m);
            if (memcmp(exp, data + k, m) != 0) {
                for (size_t j = 0; j < m; j++) {
                    if (exp[j] != (unsigned char)data[k + j]) {
                        r->mismatch_at = r->start + r->got + k + j;
                        break;
                    }
                }
                break;
            }
            k += m;
        }
    }
    gnutls_hash(r->sha, data, len);
    if (r->keep && r->body == NULL) {
        r->body = calloc(1, r->keep_cap + 1);
        if (r->body == NULL)
            return 0;
    }
    if (r->keep && r->got < r->keep_cap) {
        size_t m = r->keep_cap - (size_t)r->got < len
                       ? r->keep_cap - (size_t)r->got
                       : len;
        memcpy(r->body + r->got, data, m);
    }
    r->got += len;
    if (r->abort_after > 0 && r->got >= r->abort_after)
        return 0;
    return len;
}

static size_t reader_header_cb(char *data, size_t size, size_t n, void *ud)
{
    struct hs_reader *r = ud;
    header_append(r->hblock, &r->hlen, sizeof(r->hblock), data, size * n);
    return size * n;
}

void hs_reader_init(struct hs_reader *r, const struct hs_server *s,
                    const char *path, const char *range)
{
    memset(r, 0, sizeof(*r));
    r->mismatch_at = UINT64_MAX;
    r->easy = curl_easy_init();
    HS_REQUIRE(r->easy != NULL, "curl_easy_init");
    HS_REQUIRE(gnutls_hash_init(&r->sha, GNUTLS_DIG_SHA256) == 0, "hash");
    fmt(r->url, sizeof(r->url), "%s%s", s->read_base, path);
    curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, 180000L);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, reader_body_cb);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, reader_header_cb);
    curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(r->easy, CURLOPT_BUFFERSIZE, 256L * 1024);
    if (s->tls)
        curl_easy_setopt(r->easy, CURLOPT_CAINFO, s->ca_path);
    if (range != NULL) {
        char h[256];
        fmt(h, sizeof(h), "Range: %s", range);
        r->hdrs = curl_slist_append(NULL, h);
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
    }
}

void hs_reader_sha256(struct hs_reader *r, unsigned char out[32])
{
    gnutls_hash_output(r->sha, out);
}

void hs_reader_cleanup(struct hs_reader *r)
{
    if (r->easy != NULL)
        curl_easy_cleanup(r->easy);
    r->easy = NULL;
    curl_slist_free_all(r->hdrs);
    r->hdrs = NULL;
    if (r->sha != NULL)
        gnutls_hash_deinit(r->sha, NULL);
    r->sha = NULL;
    free(r->body);
    r->body = NULL;
}

const char *hs_reader_header(const struct hs_reader *r, const char *name,
                             char *buf, size_t cap)
{
    return hs_header(r->hblock, name, buf, cap);
}

void hs_multi_step(CURLM *m, int wait_ms)
{
    int running = 0, left = 0;
    CURLMsg *msg;

    curl_multi_perform(m, &running);
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        struct hs_reader *r = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r == NULL)
            continue;
        r->done = true;
        r->result = msg->data.result;
        r->done_ms = hs_now_ms();
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
    }
    if (wait_ms > 0)
        curl_multi_poll(m, NULL, 0, wait_ms, NULL);
}

bool hs_multi_wait_all(CURLM *m, struct hs_reader *const *rs, size_t n,
                       long timeout_ms)
{
    int64_t deadline = hs_now_ms() + timeout_ms;
    for (long i = 0; i < 10000000; i++) {
        bool all = true;
        hs_multi_step(m, 20);
        for (size_t k = 0; k < n && all; k++)
            all = rs[k]->done;
        if (all)
            return true;
        if (hs_now_ms() >= deadline)
            return false;
    }
    return false;
}

/* ---- writers -------------------------------------------------------- */

static size_t writer_read_cb(char *buf, size_t size, size_t n, void *ud)
{
    struct hs_writer *w = ud;
    uint64_t sent = atomic_load(&w->sent);
    size_t want = w->chunk;
    size_t cap = size * n;

    if (sent >= w->total)
        return 0;
    if (w->jitter) {
        uint64_t k = sent / (w->chunk > 0 ? w->chunk : 1);
        want = w->chunk - (size_t)(k % 101);
    }
    if (want > cap)
        want = cap;
    if (want > w->total - sent)
        want = (size_t)(w->total - sent);
    if (w->delay_us > 0 && sent > 0) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = w->delay_us * 1000};
        nanosleep(&ts, NULL);
    }
    hs_gen(w->seed, w->gen_offset + sent, (unsigned char *)buf, want);
    atomic_store(&w->sent, sent + want);
    return want;
}

static size_t discard_cb(char *data, size_t size, size_t n, void *ud)
{
    (void)data;
    (void)ud;
    return size * n;
}

static size_t writer_header_cb(char *data, size_t size, size_t n, void *ud)
{
    struct hs_writer *w = ud;
    header_append(w->resp_headers, &w->resp_hlen, sizeof(w->resp_headers), data,
                  size * n);
    return size * n;
}

static void *writer_main(void *arg)
{
    struct hs_writer *w = arg;
    CURL *c = curl_easy_init();
    char url[2048];
    struct curl_slist *sl = NULL;
    int64_t t0 = hs_now_ms();

    if (c == NULL) {
        w->result = CURLE_OUT_OF_MEMORY;
        atomic_store(&w->finished, true);
        return NULL;
    }
    fmt(url, sizeof(url), "%s%s", w->srv->write_base,
        w->path != NULL ? w->path : "/log");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    if (w->method != NULL && strcmp(w->method, "PUT") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, w->method);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, writer_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
    for (size_t i = 0; w->hdrs != NULL && w->hdrs[i] != NULL; i++)
        sl = curl_slist_append(sl, w->hdrs[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, writer_read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, w);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, w->errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, w->timeout_ms);
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    if (w->content_length)
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)w->total);
    if (w->max_speed > 0)
        curl_easy_setopt(c, CURLOPT_MAX_SEND_SPEED_LARGE, w->max_speed);
    w->result = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &w->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(sl);
    w->elapsed_ms = hs_now_ms() - t0;
    atomic_store(&w->finished, true);
    return NULL;
}

void hs_writer_start(struct hs_writer *w)
{
    if (w->chunk == 0)
        w->chunk = 64 * 1024;
    if (w->timeout_ms == 0)
        w->timeout_ms = 120000;
    atomic_store(&w->sent, 0);
    atomic_store(&w->finished, false);
    HS_REQUIRE(pthread_create(&w->thread, NULL, writer_main, w) == 0,
               "pthread_create");
}

void hs_writer_join(struct hs_writer *w)
{
    pthread_join(w->thread, NULL);
}

void hs_curl_writer_start(struct hs_curl_writer *cw, const struct hs_server *s)
{
    static int seq;
    int p[2];
    char url[256];

    fmt(url, sizeof(url), "%s/log", s->write_base);
    fmt(cw->out_path, sizeof(cw->out_path), "%s/curl-writer-%d.out", s->dir,
        seq++);
    HS_REQUIRE(pipe(p) == 0, "pipe");
    fflush(stdout);
    fflush(stderr);
    cw->pid = fork();
    HS_REQUIRE(cw->pid >= 0, "fork");
    if (cw->pid == 0) {
        char *argv[] = {"curl",         "-sS", "-o", "/dev/null", "-w",
                        "%{http_code}", "-T",  "-",  url,         NULL};
        if (dup2(p[0], 0) < 0)
            _exit(126);
        close(p[0]);
        close(p[1]);
        redirect(1, cw->out_path, O_WRONLY | O_CREAT | O_TRUNC);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[0]);
    cw->fd = p[1];
    fcntl(cw->fd, F_SETFD, FD_CLOEXEC);
}

bool hs_curl_writer_write(struct hs_curl_writer *cw, const void *buf,
                          size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(cw->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

long hs_curl_writer_finish(struct hs_curl_writer *cw, int *ret_exit)
{
    int st = 0;
    char buf[32] = {0};
    FILE *f;
    long code = 0;

    if (cw->fd >= 0)
        close(cw->fd);
    cw->fd = -1;
    if (wait_bounded(cw->pid, 20000, &st) != 0) {
        kill(cw->pid, SIGKILL);
        waitpid(cw->pid, NULL, 0);
        st = -1;
    }
    cw->pid = 0;
    if (ret_exit != NULL)
        *ret_exit = st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    f = fopen(cw->out_path, "r");
    if (f != NULL) {
        if (fgets(buf, sizeof(buf), f) != NULL) {
            char *end = NULL;
            code = strtol(buf, &end, 10);
        }
        fclose(f);
    }
    return code;
}

void hs_curl_writer_kill(struct hs_curl_writer *cw)
{
    if (cw->pid > 0) {
        kill(cw->pid, SIGKILL);
        waitpid(cw->pid, NULL, 0);
    }
    cw->pid = 0;
    if (cw->fd >= 0)
        close(cw->fd);
    cw->fd = -1;
}

long hs_rss_anon_kib(pid_t pid)
{
    char path[64], line[256];
    FILE *f;
    long v = -1;

    fmt(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "RssAnon:", 8) == 0) {
            char *end = NULL;
            errno = 0;
            v = strtol(line + 8, &end, 10);
            if (errno != 0 || end == line + 8)
                v = -1;
            break;
        }
    }
    fclose(f);
    return v;
}

/* ---- livelog serve -------------------------------------------------- */

const char *hs_scratch(void)
{
    return scratch;
}

int hs_free_port(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port;

    HS_REQUIRE(fd >= 0, "socket: %s", strerror(errno));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    HS_REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: %s",
               strerror(errno));
    HS_REQUIRE(getsockname(fd, (struct sockaddr *)&a, &alen) == 0,
               "getsockname: %s", strerror(errno));
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void hs_serve_start(struct hs_server *s, const struct hs_serve_opts *o)
{
    static unsigned data_seq;
    char data_dir[600], waddr[64], raddr[64];
    const char *argv[40];
    size_t n = 0;
    struct hs_opts ho = {.env = o->env,
                         .args = argv,
                         .log_level =
                             o->log_level != NULL ? o->log_level : "debug"};

    static int has_serve = -1;
    if (has_serve < 0)
        has_serve = hs_has_verb("serve") ? 1 : 0;
    HS_REQUIRE(has_serve == 1,
               "`%s serve --help` does not exit 0: `livelog serve` is not "
               "built yet (this test needs it)",
               binary_path);
    if (o->data_dir != NULL) {
        fmt(data_dir, sizeof(data_dir), "%s", o->data_dir);
    } else {
        fmt(data_dir, sizeof(data_dir), "%s/data%u", scratch, data_seq++);
        HS_REQUIRE(mkdir(data_dir, 0755) == 0 || errno == EEXIST,
                   "mkdir %s: %s", data_dir, strerror(errno));
    }
    fmt(waddr, sizeof(waddr), "127.0.0.1:%d", o->write_port);
    fmt(raddr, sizeof(raddr), "127.0.0.1:%d", o->read_port);
    argv[n++] = "serve";
    argv[n++] = "--data-dir";
    argv[n++] = data_dir;
    argv[n++] = "--write-addr";
    argv[n++] = waddr;
    argv[n++] = "--read-addr";
    argv[n++] = raddr;
    argv[n++] = "--log-level";
    argv[n++] = ho.log_level;
    char key_dir[620], key[64];
    if (o->keys) {
        fmt(key_dir, sizeof(key_dir), "%s.keys", data_dir);
        hs_make_key_dir(key_dir, "test", key, sizeof(key));
        argv[n++] = "--key-dir";
        argv[n++] = key_dir;
    }
    for (size_t i = 0; o->args != NULL && o->args[i] != NULL; i++) {
        HS_REQUIRE(n + 2 < 31, "too many serve flags");
        argv[n++] = o->args[i];
    }
    argv[n] = NULL;
    hs_start(s, &ho);
    fmt(s->data_dir, sizeof(s->data_dir), "%s", data_dir);
    if (o->keys) {
        fmt(s->key, sizeof(s->key), "%s", key);
        fmt(s->key_dir, sizeof(s->key_dir), "%s", key_dir);
        const char *const mint[] = {"--scopes", "livelog:read:*", "--ttl",
                                    "3600", NULL};
        hs_mint(key_dir, mint, s->token, sizeof(s->token));
        fmt(s->auth, sizeof(s->auth), "Authorization: Bearer %s", s->token);
    }
    HS_CHECK(o->write_port == 0 || s->put_port == o->write_port,
             "write listener on port %d, asked for %d", s->put_port,
             o->write_port);
    HS_CHECK(o->read_port == 0 || s->get_port == o->read_port,
             "read listener on port %d, asked for %d", s->get_port,
             o->read_port);
}

void hs_make_key_dir(const char *dir, const char *kid, char *key, size_t cap)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[43];
    char path[700];
    HS_REQUIRE(cap >= sizeof(raw) + 1, "key buffer too small");
    HS_REQUIRE(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", dir,
               strerror(errno));
    HS_REQUIRE(gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) == 0, "gnutls_rnd");
    for (size_t i = 0; i < sizeof(raw); i++)
        key[i] = b64[raw[i] % 64];
    key[sizeof(raw)] = '\0';
    fmt(path, sizeof(path), "%s/%s.key", dir, kid);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    HS_REQUIRE(fd >= 0, "open %s: %s", path, strerror(errno));
    HS_REQUIRE(write(fd, key, sizeof(raw)) == (ssize_t)sizeof(raw), "write %s",
               path);
    close(fd);
}

void hs_mint(const char *key_dir, const char *const *args, char *out,
             size_t cap)
{
    char *argv[24];
    char out_path[600], err_path[600];
    size_t n = 0;
    static unsigned seq;
    argv[n++] = (char *)binary_path;
    argv[n++] = "token";
    argv[n++] = "--key-dir";
    argv[n++] = (char *)key_dir;
    for (size_t i = 0; args[i] != NULL && n < 22; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    fmt(out_path, sizeof(out_path), "%s/mint%u.out", scratch, seq);
    fmt(err_path, sizeof(err_path), "%s/mint%u.err", scratch, seq++);
    int st = hs_run(argv, out_path, err_path, 30000);
    HS_REQUIRE(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
               "livelog token failed (see %s)", err_path);
    FILE *f = fopen(out_path, "r");
    HS_REQUIRE(f != NULL, "open %s", out_path);
    HS_REQUIRE(fgets(out, (int)cap, f) != NULL,
               "livelog token printed nothing");
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

void hs_kill9(struct hs_server *s)
{
    int st = 0;
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    s->stopped = true;
    s->wait_status = st;
}

void hs_reader_add_header(struct hs_reader *r, const char *header)
{
    struct curl_slist *l = curl_slist_append(r->hdrs, header);
    HS_REQUIRE(l != NULL, "curl_slist_append");
    r->hdrs = l;
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
}

pid_t hs_spawn(char *const *argv, const char *const *env, int *ret_stdin,
               const char *out_path, const char *err_path)
{
    struct envv e = {.n = 0};
    int p[2] = {-1, -1};
    pid_t pid;

    e.v[0] = NULL;
    for (size_t i = 0; passed_env[i] != NULL; i++) {
        const char *v = getenv(passed_env[i]);
        if (v != NULL)
            env_setkv(&e, passed_env[i], v);
    }
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        env_set(&e, env[i]);
    if (ret_stdin != NULL)
        HS_REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    HS_REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (ret_stdin != NULL) {
            if (dup2(p[0], 0) < 0)
                _exit(126);
        } else {
            redirect(0, "/dev/null", O_RDONLY);
        }
        redirect(1, out_path != NULL ? out_path : "/dev/null",
                 O_WRONLY | O_CREAT | O_TRUNC);
        redirect(2, err_path != NULL ? err_path : "/dev/null",
                 O_WRONLY | O_CREAT | O_TRUNC);
        execvpe(argv[0], argv, e.v);
        _exit(127);
    }
    env_free(&e);
    if (ret_stdin != NULL) {
        close(p[0]);
        *ret_stdin = p[1];
    }
    return pid;
}

bool hs_wait_pid(pid_t pid, long timeout_ms, int *ret_status)
{
    return wait_bounded(pid, timeout_ms, ret_status) == 0;
}

bool hs_sha256_file(const char *path, unsigned char out[32], uint64_t *ret_len)
{
    static unsigned char buf[1 << 16];
    gnutls_hash_hd_t h;
    uint64_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    HS_REQUIRE(gnutls_hash_init(&h, GNUTLS_DIG_SHA256) == 0, "hash_init");
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            gnutls_hash_deinit(h, out);
            return false;
        }
        if (n == 0)
            break;
        gnutls_hash(h, buf, (size_t)n);
        len += (uint64_t)n;
    }
    close(fd);
    gnutls_hash_deinit(h, out);
    if (ret_len != NULL)
        *ret_len = len;
    return true;
}

bool hs_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* ---- /v1 requests --------------------------------------------------- */

static uint64_t header_u64(const char *block, const char *name)
{
    char v[64], *end = NULL;
    unsigned long long x;

    if (hs_header(block, name, v, sizeof(v)) == NULL || v[0] < '0' ||
        v[0] > '9')
        return UINT64_MAX;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return UINT64_MAX;
    return (uint64_t)x;
}

long hs_v1_send(const struct hs_server *s, const char *method, const char *name,
                uint64_t seed, uint64_t off, uint64_t len, const char *complete,
                const char *const *extra, uint64_t *ret_offset,
                struct hs_resp *ret_resp)
{
    const char *hdrs[24];
    char offh[64], uch[64], path[2200];
    size_t n = 0;
    unsigned char *body = malloc(len > 0 ? (size_t)len : 1);
    struct hs_resp r;
    long st;

    HS_REQUIRE(body != NULL, "malloc %llu", (unsigned long long)len);
    hs_gen(seed, off, body, (size_t)len);
    fmt(path, sizeof(path), "/v1/logs/%s", name);
    if (strcmp(method, "PATCH") == 0) {
        fmt(offh, sizeof(offh), "Upload-Offset: %llu", (unsigned long long)off);
        hdrs[n++] = offh;
    }
    if (complete != NULL) {
        fmt(uch, sizeof(uch), "Upload-Complete: %s", complete);
        hdrs[n++] = uch;
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 22; i++)
        hdrs[n++] = extra[i];
    hdrs[n] = NULL;
    hs_request(s, false, method, path, hdrs, body, (size_t)len, 60000, &r);
    free(body);
    /* An early answer (413, 507, 409) may come with a send error when the
     * server closes before taking the whole body: the status counts. */
    st = r.status;
    if (ret_offset != NULL)
        *ret_offset = header_u64(r.headers, "Upload-Offset");
    if (ret_resp != NULL)
        *ret_resp = r;
    else
        hs_resp_free(&r);
    return st;
}

long hs_v1_head(const struct hs_server *s, bool read_port, const char *name,
                const char *auth, uint64_t *ret_offset, char *state,
                size_t state_cap)
{
    const char *hdrs[2] = {auth, NULL};
    char path[2200];
    struct hs_resp r;
    long st;

    fmt(path, sizeof(path), "/v1/logs/%s", name);
    hs_request(s, read_port, "HEAD", path, hdrs, NULL, 0, 20000, &r);
    st = r.result == CURLE_OK ? r.status : 0;
    if (ret_offset != NULL)
        *ret_offset = header_u64(r.headers, "Upload-Offset");
    if (state != NULL && state_cap > 0 &&
        hs_header(r.headers, "Livelog-State", state, state_cap) == NULL)
        state[0] = '\0';
    hs_resp_free(&r);
    return st;
}

long hs_v1_fetch(const struct hs_server *s, const char *name, const char *auth,
                 unsigned char sha[32], uint64_t *ret_len)
{
    struct hs_reader r;
    char path[2200];

    fmt(path, sizeof(path), "/v1/logs/%s?follow=0", name);
    hs_reader_init(&r, s, path, NULL);
    if (auth != NULL)
        hs_reader_add_header(&r, auth);
    curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, 60000L);
    r.result = curl_easy_perform(r.easy);
    curl_easy_getinfo(r.easy, CURLINFO_RESPONSE_CODE, &r.status);
    hs_reader_sha256(&r, sha);
    *ret_len = r.got;
    hs_reader_cleanup(&r);
    return r.result == CURLE_OK ? r.status : 0;
}

void hs_v1_expect_content(const struct hs_server *s, const char *name,
                          const char *auth, uint64_t seed, uint64_t len,
                          const char *what)
{
    unsigned char got[32], want[32];
    char hg[65], hw[65];
    uint64_t glen = 0;
    long st = hs_v1_fetch(s, name, auth, got, &glen);

    hs_gen_sha256(seed, len, want);
    hs_hex32(got, hg);
    hs_hex32(want, hw);
    HS_CHECK(st == 200, "%s: GET %s?follow=0: status %ld, want 200", what, name,
             st);
    HS_CHECK(glen == len && memcmp(got, want, 32) == 0,
             "%s: %s holds %llu bytes, SHA-256 %s; want %llu bytes, %s", what,
             name, (unsigned long long)glen, hg, (unsigned long long)len, hw);
}

/* ---- the livelog clients -------------------------------------------- */

pid_t hs_put_spawn(const char *write_base, const char *name,
                   const char *const *extra, int *ret_stdin,
                   const char *out_path, const char *err_path)
{
    char *argv[24];
    size_t n = 0;

    argv[n++] = (char *)binary_path;
    argv[n++] = "put";
    argv[n++] = "--server";
    argv[n++] = (char *)write_base;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 21; i++)
        argv[n++] = (char *)extra[i];
    argv[n++] = (char *)name;
    argv[n] = NULL;
    return hs_spawn(argv, NULL, ret_stdin, out_path, err_path);
}

pid_t hs_tail_spawn(const char *url, const char *const *extra,
                    const char *out_path, const char *err_path)
{
    char *argv[24];
    size_t n = 0;

    argv[n++] = (char *)binary_path;
    argv[n++] = "tail";
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 21; i++)
        argv[n++] = (char *)extra[i];
    argv[n++] = (char *)url;
    argv[n] = NULL;
    return hs_spawn(argv, NULL, NULL, out_path, err_path);
}

bool hs_has_verb(const char *verb)
{
    char *argv[] = {(char *)binary_path, (char *)verb, "--help", NULL};
    char out[700];
    int st;

    fmt(out, sizeof(out), "%s/%s-help.txt", scratch, verb);
    /* 60 s: under valgrind on a loaded machine start-up alone can take
     * more than 10. */
    st = hs_run(argv, out, out, 60000);
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- resuming followers --------------------------------------------- */

static size_t follower_body_cb(char *data, size_t size, size_t n, void *ud)
{
    struct hs_follower *f = ud;
    size_t len = size * n;
    size_t k = 0;
    unsigned char exp[4096];

    if (f->last_status == 0)
        curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->last_status);
    if (f->last_status != 200 && f->last_status != 206)
        return len; /* an error body: not log bytes */
    while (k < len && f->mismatch_at == UINT64_MAX) {
        size_t m = len - k < sizeof(exp) ? len - k : sizeof(exp);
        hs_gen(f->seed, f->got + k, exp, m);
        if (memcmp(exp, data + k, m) != 0) {
            for (size_t j = 0; j < m; j++) {
                if (exp[j] != (unsigned char)data[k + j]) {
                    f->mismatch_at = f->got + k + j;
                    break;
                }
            }
        }
        k += m;
    }
    f->got += len;
    return len;
}

void hs_follower_init(struct hs_follower *f, const char *url, uint64_t seed,
                      uint64_t total)
{
    memset(f, 0, sizeof(*f));
    fmt(f->url, sizeof(f->url), "%s", url);
    f->seed = seed;
    f->total = total;
    f->retry_ms = 100;
    f->mismatch_at = UINT64_MAX;
}

void hs_follower_cleanup(CURLM *m, struct hs_follower *f)
{
    if (f->easy != NULL) {
        if (m != NULL)
            curl_multi_remove_handle(m, f->easy);
        curl_easy_cleanup(f->easy);
        f->easy = NULL;
    }
    curl_slist_free_all(f->hdrs);
    f->hdrs = NULL;
}

static void follower_start(CURLM *m, struct hs_follower *f)
{
    char range[64];

    f->easy = curl_easy_init();
    HS_REQUIRE(f->easy != NULL, "curl_easy_init");
    f->last_status = 0;
    curl_easy_setopt(f->easy, CURLOPT_URL, f->url);
    curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, 300000L);
    curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, follower_body_cb);
    curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(f->easy, CURLOPT_PRIVATE, f);
    curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->errbuf);
    if (f->got > 0) {
        fmt(range, sizeof(range), "Range: bytes=%llu-",
            (unsigned long long)f->got);
        f->hdrs = curl_slist_append(f->hdrs, range);
    }
    if (f->auth != NULL)
        f->hdrs = curl_slist_append(f->hdrs, f->auth);
    if (f->hdrs != NULL)
        curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->hdrs);
    f->requests++;
    curl_multi_add_handle(m, f->easy);
}

size_t hs_followers_step(CURLM *m, struct hs_follower *fs, size_t n,
                         int wait_ms)
{
    int running = 0, left = 0;
    CURLMsg *msg;
    size_t finished = 0;
    int64_t now;

    curl_multi_perform(m, &running);
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        struct hs_follower *f = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        if (f == NULL)
            continue;
        f->last_result = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                          &f->last_status);
        hs_follower_cleanup(m, f);
        if (f->last_result == CURLE_OK && f->last_status != 200 &&
            f->last_status != 206) {
            f->failed = true;
        } else if (f->last_result == CURLE_OK && f->got == f->total) {
            f->done = true;
        } else if (f->got > f->total || f->mismatch_at != UINT64_MAX) {
            f->failed = true;
        } else {
            f->retry_at = hs_now_ms() + f->retry_ms;
        }
    }
    now = hs_now_ms();
    for (size_t i = 0; i < n; i++) {
        struct hs_follower *f = &fs[i];
        if (f->done || f->failed) {
            finished++;
            continue;
        }
        if (f->easy == NULL && now >= f->retry_at)
            follower_start(m, f);
    }
    if (wait_ms > 0)
        curl_multi_poll(m, NULL, 0, wait_ms, NULL);
    return finished;
}

/* ---- one request, checked (range tests) ----------------------------- */

void hs_reader_perform(struct hs_reader *r)
{
    r->result = curl_easy_perform(r->easy);
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    r->done = true;
}

void hs_reader_expect(const struct hs_reader *r, const char *what, long status,
                      const char *content_range, long long content_length,
                      uint64_t len)
{
    char v[256];
    const char *cr = hs_reader_header(r, "Content-Range", v, sizeof(v));

    HS_CHECK(r->done, "%s: response did not complete", what);
    HS_CHECK(r->result == CURLE_OK, "%s: transfer failed: %s (%s)", what,
             curl_easy_strerror(r->result), r->errbuf);
    HS_CHECK(r->status == status, "%s: status %ld, want %ld", what, r->status,
             status);
    if (content_range == NULL)
        HS_CHECK(cr == NULL, "%s: unexpected Content-Range \"%s\"", what,
                 cr != NULL ? cr : "");
    else
        HS_CHECK(cr != NULL && strcmp(cr, content_range) == 0,
                 "%s: Content-Range \"%s\", want \"%s\"", what,
                 cr != NULL ? cr : "(none)", content_range);
    if (content_length >= 0) {
        char want[32];
        const char *cl = hs_reader_header(r, "Content-Length", v, sizeof(v));
        snprintf(want, sizeof(want), "%lld", content_length);
        HS_CHECK(cl != NULL && strcmp(cl, want) == 0,
                 "%s: Content-Length %s, want %s", what,
                 cl != NULL ? cl : "(none)", want);
    }
    if (r->verify) {
        HS_CHECK(r->got == len, "%s: %" PRIu64 " body bytes, want %" PRIu64,
                 what, r->got, len);
        HS_CHECK(r->mismatch_at == UINT64_MAX,
                 "%s: body differs from the log at offset %" PRIu64, what,
                 r->mismatch_at);
    }
    if (status == 206 || status == 200)
        HS_CHECK(hs_reader_header(r, "Accept-Ranges", v, sizeof(v)) != NULL &&
                     strcmp(v, "bytes") == 0,
                 "%s: Accept-Ranges should be bytes", what);
}

/* ---- header numbers -------------------------------------------------- */

uint64_t hs_header_u64(const char *block, const char *name)
{
    return header_u64(block, name);
}

uint64_t hs_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

bool hs_wait_file_size(const char *path, uint64_t len, long ms)
{
    int64_t end = hs_now_ms() + ms;
    for (int i = 0; i < 100000 && hs_now_ms() < end; i++) {
        if (hs_file_size(path) >= len)
            return true;
        hs_sleep_ms(20);
    }
    return false;
}

bool hs_wait_v1_len(const struct hs_server *s, const char *name, uint64_t len,
                    long ms)
{
    int64_t end = hs_now_ms() + ms;
    for (int i = 0; i < 100000 && hs_now_ms() < end; i++) {
        uint64_t off = 0;
        if (hs_v1_head(s, false, name, NULL, &off, NULL, 0) == 200 &&
            off != UINT64_MAX && off >= len)
            return true;
        hs_sleep_ms(20);
    }
    return false;
}

void hs_without_date(const char *block, char *out, size_t cap)
{
    size_t w = 0;
    for (const char *p = block; *p != '\0';) {
        const char *eol = strchr(p, '\n');
        size_t n = eol != NULL ? (size_t)(eol - p + 1) : strlen(p);
        if (strncasecmp(p, "Date:", 5) != 0 && w + n < cap) {
            memcpy(out + w, p, n);
            w += n;
        }
        p += n;
    }
    out[w] = '\0';
}

int hs_wait_client(pid_t pid, long ms, const char *what, const char *err)
{
    int st = 0;
    if (!hs_wait_pid(pid, ms, &st)) {
        HS_CHECK(0, "%s did not exit within %ld ms (stderr in %s)", what, ms,
                 err);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    if (!WIFEXITED(st)) {
        HS_CHECK(0, "%s died of signal %d (stderr in %s)", what,
                 WIFSIGNALED(st) ? WTERMSIG(st) : -1, err);
        return -1;
    }
    return WEXITSTATUS(st);
}
