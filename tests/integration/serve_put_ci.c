/* serve_put_ci: `livelog put` as a CI job uses it (docs/CLIENTS.md,
 * docs/INTEGRATIONS.md "GitLab Runner or any CI"), against `livelog
 * serve`.
 *
 * A "secure" server: --write-credentials=required, HTTPS on the write
 * listener with a certificate this test makes with `openssl` (its own CA),
 * keys, --public-url. A "plain" server: no credentials, restarted on the
 * same ports to take it down for a while.
 *
 * token:   --token and LIVELOG_TOKEN (with LIVELOG_CACERT) are accepted and
 *          the log is exact; no token is 401 with a message naming --token
 *          and LIVELOG_TOKEN, exit 1, nothing created; a token for another
 *          name (403) and a malformed one (401) exit 1; no token ever shows
 *          in put's stderr (also with --verbose) or the server's log.
 * cacert:  without --cacert the TLS handshake fails at once (exit 1, a hint
 *          naming --cacert, no retries); with another CA's file too; an
 *          unreadable --cacert is named.
 * tee:     --tee's stdout is byte-exact (NUL, 0xff, invalid UTF-8, CR, ESC)
 *          and equals the stored log; while the server is down (kill -9,
 *          restarted 1.5 s later) the copy keeps growing, and both the copy
 *          and the log are exact; a closed stdout (`| head -c 1000`) stops
 *          the copy with one message and the upload completes (exit 0).
 * give up: with no server, put gives up and then reads its stdin to the end:
 *          8 MiB written after the give-up meet no EPIPE (measured: bytes,
 *          EPIPE count, time), --tee copies all of it, exit 1; in a bash
 *          pipeline `seq | livelog put` the producer exits 0, not 141.
 * URL:     --print-url and --url-file give a private log's signed read URL
 *          before its first byte (the log exists, live, 0 bytes); an
 *          anonymous `livelog tail` of the URL reads the live log, `tail
 *          -f` follows it to the end exactly, the bare name is 401; the file
 *          is mode 0600; a relative URL (no --public-url) is said to be
 *          relative, a private log on a server without keys gets a message
 *          and the upload still succeeds. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

static struct hs_server sec;   /* credentials + write TLS + keys */
static struct hs_server plain; /* no credentials, restartable */
static struct hs_server plain2;
static struct hs_server *pl = &plain;
static char sec_base[128];     /* https://127.0.0.1:W */
static char ca_path[700];      /* the secure server's certificate */
static char other_ca[700];     /* a certificate of another CA */
static char write_token[1024]; /* livelog:write:task/ci/... */
static char plain_data[700];   /* the plain server's data directory */
static int plain_wport, plain_rport;

/* ---- small helpers ------------------------------------------------------ */

static void scratch_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", hs_scratch(), name);
}

/* Reads a whole file (at most cap - 1 bytes) into buf, NUL-terminated.
 * Returns its length, or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL)
        return -1;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

static bool file_has(const char *path, const char *needle)
{
    static char buf[1 << 16];
    long n = slurp(path, buf, sizeof(buf));
    return n >= 0 && memmem(buf, (size_t)n, needle, strlen(needle)) != NULL;
}

static bool wait_text(const char *path, const char *needle, long ms)
{
    int64_t end = hs_now_ms() + ms;
    for (int i = 0; i < 100000 && hs_now_ms() < end; i++) {
        if (file_has(path, needle))
            return true;
        hs_sleep_ms(20);
    }
    return false;
}

/* `livelog put ARGS...` with env ("NAME=VALUE", may be NULL), stdin a
 * pipe (*ret_stdin), stdout and stderr to files. */
static pid_t spawn_put(const char *const *args, const char *const *env,
                       int *ret_stdin, const char *out, const char *err)
{
    char *argv[32];
    size_t n = 0;
    argv[n++] = (char *)hs_binary();
    argv[n++] = "put";
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    return hs_spawn(argv, env, ret_stdin, out, err);
}

/* `bash -c SCRIPT livelog ARG1 ARG2` (in the script: $0 the binary). */
static pid_t spawn_bash(const char *script, const char *arg1, const char *arg2,
                        int *ret_stdin, const char *out, const char *err)
{
    char *argv[] = {
        "bash",       "-c", (char *)script, (char *)hs_binary(), (char *)arg1,
        (char *)arg2, NULL};
    return hs_spawn(argv, NULL, ret_stdin, out, err);
}

/* The input of the tee tests: generated bytes with, every 4 KiB, NUL,
 * 0xff, 0xfe, an invalid UTF-8 pair, a lone continuation byte, CR LF and
 * an ANSI colour. */
static void make_input(unsigned char *buf, size_t len, uint64_t seed)
{
    static const unsigned char odd[] = {0x00, 0xff, 0xfe, 0xc3, 0x28,
                                        0x80, '\r', '\n', 0x1b, '[',
                                        '3',  '1',  'm',  0x00, '\n'};
    hs_gen(seed, 0, buf, len);
    for (size_t at = 0; at + sizeof(odd) <= len; at += 4 * KIB)
        memcpy(buf + at, odd, sizeof(odd));
}

/* The file equals want[0..len); a failure names the first difference. */
static void expect_file(const char *path, const unsigned char *want, size_t len,
                        const char *what)
{
    static char got[16 * MIB];
    long n = slurp(path, got, sizeof(got));
    size_t i = 0;
    HS_CHECK(n >= 0, "%s: cannot read %s", what, path);
    if (n < 0)
        return;
    while (i < (size_t)n && i < len && (unsigned char)got[i] == want[i])
        i++;
    HS_CHECK((size_t)n == len && i == len,
             "%s: %s has %ld bytes (want %zu), first difference at %zu", what,
             path, n, len, i);
}

/* The stored log equals want[0..len) (GET ?follow=0, SHA-256). */
static void expect_log(const struct hs_server *s, const char *name,
                       const char *auth, const unsigned char *want, size_t len,
                       const char *what)
{
    unsigned char got[32], sha[32];
    uint64_t glen = 0;
    long st = hs_v1_fetch(s, name, auth, got, &glen);
    gnutls_hash_fast(GNUTLS_DIG_SHA256, want, len, sha);
    HS_CHECK(st == 200 && glen == len && memcmp(got, sha, 32) == 0,
             "%s: GET %s: %ld, %" PRIu64 " bytes (want %zu)%s", what, name, st,
             glen, len, glen == len ? ", content differs" : "");
}

static void feed_buf(int fd, const unsigned char *buf, size_t len)
{
    HS_REQUIRE(hs_write_all(fd, buf, len), "write to livelog put: %s",
               strerror(errno));
}

/* ---- token -------------------------------------------------------------- */

static void mint(const char *scopes, char *out, size_t cap)
{
    const char *const args[] = {"--scopes", scopes, "--ttl", "3600", NULL};
    hs_mint(sec.key_dir, args, out, cap);
}

/* One put of len generated bytes to the secure server. */
static int put_secure(const char *name, const char *const *flags,
                      const char *const *env, uint64_t seed, size_t len,
                      const char *tag, char *err, size_t err_cap)
{
    const char *args[16];
    char out[800];
    size_t n = 0;
    int fd = -1;
    args[n++] = "--server";
    args[n++] = sec_base;
    for (size_t i = 0; flags[i] != NULL && n < 14; i++)
        args[n++] = flags[i];
    args[n++] = name;
    args[n] = NULL;
    snprintf(out, sizeof(out), "%s/%s.out", hs_scratch(), tag);
    snprintf(err, err_cap, "%s/%s.err", hs_scratch(), tag);
    pid_t pid = spawn_put(args, env, &fd, out, err);
    static unsigned char buf[256 * KIB];
    HS_REQUIRE(len <= sizeof(buf), "input too big");
    hs_gen(seed, 0, buf, len);
    feed_buf(fd, buf, len);
    close(fd);
    return hs_wait_client(pid, 60000, tag, err);
}

static void token_accepted(void)
{
    const char *const flags[] = {"--token", write_token, "--cacert", ca_path,
                                 NULL};
    char env_tok[1100], env_ca[800], err[800];
    int code = put_secure("task/ci/flag.log", flags, NULL, 11, 200 * KIB,
                          "tok-flag", err, sizeof(err));
    HS_CHECK(code == 0, "put --token --cacert exited %d (stderr %s)", code,
             err);
    hs_v1_expect_content(&sec, "task/ci/flag.log", sec.auth, 11, 200 * KIB,
                         "put --token over TLS");
    HS_CHECK(!file_has(err, write_token), "put's stderr holds the token");

    snprintf(env_tok, sizeof(env_tok), "LIVELOG_TOKEN=%s", write_token);
    snprintf(env_ca, sizeof(env_ca), "LIVELOG_CACERT=%s", ca_path);
    const char *const env[] = {env_tok, env_ca, NULL};
    const char *const verbose[] = {"--verbose", NULL};
    code = put_secure("task/ci/env.log", verbose, env, 12, 150 * KIB, "tok-env",
                      err, sizeof(err));
    HS_CHECK(code == 0,
             "put with LIVELOG_TOKEN/LIVELOG_CACERT exited %d "
             "(stderr %s)",
             code, err);
    hs_v1_expect_content(&sec, "task/ci/env.log", sec.auth, 12, 150 * KIB,
                         "put with LIVELOG_TOKEN");
    HS_CHECK(file_has(err, "complete"), "--verbose printed no progress (%s)",
             err);
    HS_CHECK(!file_has(err, write_token),
             "put --verbose's stderr holds the token (%s)", err);
}

/* A put the server refuses for its credential: exit 1, a message with
 * `want`, nothing created, the token nowhere in stderr. */
static void token_refused(const char *token, const char *tag, const char *want,
                          const char *name)
{
    const char *const with[] = {"--cacert", ca_path, "--token", token, NULL};
    const char *const without[] = {"--cacert", ca_path, NULL};
    char err[800];
    int code = put_secure(name, token != NULL ? with : without, NULL, 13,
                          10 * KIB, tag, err, sizeof(err));
    HS_CHECK(code == 1, "%s: put exited %d, want 1 (stderr %s)", tag, code,
             err);
    HS_CHECK(file_has(err, want), "%s: stderr lacks \"%s\" (%s)", tag, want,
             err);
    HS_CHECK(token == NULL || !file_has(err, token),
             "%s: put's stderr holds the token", tag);
    HS_CHECK(hs_v1_head(&sec, true, name, sec.auth, NULL, NULL, 0) == 404,
             "%s: the refused put created %s", tag, name);
}

static void token_matrix(void)
{
    char other[1024];
    mint("livelog:write:other/*", other, sizeof(other));
    token_refused(NULL, "tok-none",
                  "give a token with --token or LIVELOG_TOKEN",
                  "task/ci/none.log");
    token_refused(NULL, "tok-none-401", "(401)", "task/ci/none2.log");
    token_refused(other, "tok-scope", "(403)", "task/ci/scope.log");
    token_refused("not-a-jwt-SECRET-4711", "tok-bogus", "the token was refused",
                  "task/ci/bogus.log");
    char log[1 << 16];
    HS_CHECK(slurp(sec.log_path, log, sizeof(log)) >= 0 &&
                 strstr(log, write_token) == NULL &&
                 strstr(log, other) == NULL &&
                 strstr(log, "SECRET-4711") == NULL,
             "the server's log holds a write token");
}

/* ---- cacert ------------------------------------------------------------- */

static void cacert_required(void)
{
    const char *const none[] = {"--token", write_token, NULL};
    const char *const wrong[] = {"--token", write_token, "--cacert", other_ca,
                                 NULL};
    const char *const missing[] = {"--token", write_token, "--cacert",
                                   "/nonexistent/ca.pem", NULL};
    char err[800];
    int64_t t0 = hs_now_ms();
    int code = put_secure("task/ci/noca.log", none, NULL, 14, 4 * KIB,
                          "ca-none", err, sizeof(err));
    int64_t took = hs_now_ms() - t0;
    HS_CHECK(code == 1, "put without --cacert exited %d (stderr %s)", code,
             err);
    HS_CHECK(file_has(err, "--cacert"), "no hint naming --cacert (%s)", err);
    HS_CHECK(took < 15000,
             "put without --cacert took %" PRId64 " ms: "
             "a rejected certificate must not be retried",
             took);
    code = put_secure("task/ci/wrongca.log", wrong, NULL, 14, 4 * KIB,
                      "ca-wrong", err, sizeof(err));
    HS_CHECK(code == 1, "put with another CA exited %d (stderr %s)", code, err);
    HS_CHECK(file_has(err, "certificate"), "no certificate message (%s)", err);
    code = put_secure("task/ci/noca2.log", missing, NULL, 14, 4 * KIB,
                      "ca-missing", err, sizeof(err));
    HS_CHECK(code == 1 && file_has(err, "/nonexistent/ca.pem"),
             "an unreadable --cacert: exit %d, not named (stderr %s)", code,
             err);
    HS_CHECK(hs_v1_head(&sec, true, "task/ci/noca.log", sec.auth, NULL, NULL,
                        0) == 404,
             "put without --cacert created its log");
}

/* ---- tee ---------------------------------------------------------------- */

static struct hs_server *start_plain(struct hs_server *s)
{
    struct hs_serve_opts o = {.data_dir = plain_data,
                              .write_port = plain_wport,
                              .read_port = plain_rport,
                              .log_level = "info"};
    hs_serve_start(s, &o);
    return s;
}

static void tee_exact(void)
{
    static unsigned char in[1 * MIB + 123];
    const char *name = "public/ci/tee.log";
    const char *const args[] = {"--server", pl->write_base, "--tee", name,
                                NULL};
    char out[800], err[800];
    int fd = -1;
    make_input(in, sizeof(in), 21);
    scratch_path(out, sizeof(out), "tee.out");
    scratch_path(err, sizeof(err), "tee.err");
    pid_t pid = spawn_put(args, NULL, &fd, out, err);
    feed_buf(fd, in, 1000); /* a first piece reaches stdout at once */
    HS_CHECK(hs_wait_file_size(out, 1000, 10000),
             "--tee: the first 1000 bytes did "
             "not reach stdout at once");
    feed_buf(fd, in + 1000, sizeof(in) - 1000);
    close(fd);
    int code = hs_wait_client(pid, 60000, "put --tee", err);
    HS_CHECK(code == 0, "put --tee exited %d (stderr %s)", code, err);
    expect_file(out, in, sizeof(in), "--tee's stdout");
    expect_log(pl, name, NULL, in, sizeof(in), "put --tee's log");
}

/* --tee while the server is down: the copy keeps growing and both the
 * copy and the log end exact. */
static void tee_server_down(void)
{
    static unsigned char in[2 * MIB];
    const char *name = "public/ci/tee-down.log";
    const char *const args[] = {"--server", pl->write_base, "--tee", name,
                                NULL};
    char out[800], err[800];
    int fd = -1;
    make_input(in, sizeof(in), 22);
    scratch_path(out, sizeof(out), "tee-down.out");
    scratch_path(err, sizeof(err), "tee-down.err");
    pid_t pid = spawn_put(args, NULL, &fd, out, err);
    feed_buf(fd, in, 512 * KIB);
    HS_CHECK(hs_wait_file_size(out, 512 * KIB, 20000),
             "--tee copied %" PRIu64 " of the first 512 KiB",
             hs_file_size(out));
    HS_CHECK(hs_wait_v1_len(pl, name, 512 * KIB, 20000),
             "the server never held the first 512 KiB");
    hs_log("kill -9 of the plain server under livelog put --tee");
    hs_kill9(pl);
    HS_CHECK(hs_check_log(pl, NULL) == 0, "killed server's log");
    int64_t down = hs_now_ms();
    feed_buf(fd, in + 512 * KIB, 512 * KIB); /* read during the backoff */
    HS_CHECK(hs_wait_file_size(out, 1 * MIB, 20000),
             "--tee copied %" PRIu64 " of 1 MiB while the server was down",
             hs_file_size(out));
    hs_log("--tee copied 1 MiB %" PRId64 " ms into the outage",
           hs_now_ms() - down);
    hs_sleep_ms(1500);
    pl = start_plain(pl == &plain ? &plain2 : &plain);
    feed_buf(fd, in + 1 * MIB, sizeof(in) - 1 * MIB);
    close(fd);
    int code = hs_wait_client(pid, 90000, "put --tee across an outage", err);
    HS_CHECK(code == 0, "put --tee across an outage exited %d (stderr %s)",
             code, err);
    expect_file(out, in, sizeof(in), "--tee's stdout across an outage");
    expect_log(pl, name, NULL, in, sizeof(in), "the log across an outage");
}

/* stdout closed by its reader: one message, the upload completes. */
static void tee_closed_stdout(void)
{
    static unsigned char in[2 * MIB];
    const char *name = "public/ci/tee-head.log";
    const char *script = "\"$0\" put --tee --server \"$1\" \"$2\" | "
                         "head -c 1000 >/dev/null; echo \"${PIPESTATUS[*]}\"";
    char out[800], err[800], status[64] = "";
    int fd = -1;
    make_input(in, sizeof(in), 23);
    scratch_path(out, sizeof(out), "tee-head.out");
    scratch_path(err, sizeof(err), "tee-head.err");
    pid_t pid = spawn_bash(script, pl->write_base, name, &fd, out, err);
    feed_buf(fd, in, sizeof(in));
    close(fd);
    int code = hs_wait_client(pid, 60000, "put --tee | head", err);
    HS_CHECK(code == 0, "bash exited %d", code);
    slurp(out, status, sizeof(status));
    HS_CHECK(strcmp(status, "0 0\n") == 0,
             "put --tee | head -c 1000: statuses '%s', want '0 0'", status);
    HS_CHECK(file_has(err, "stdout was closed"),
             "no message about the closed stdout (%s)", err);
    expect_log(pl, name, NULL, in, sizeof(in), "put --tee | head: the log");
}

/* ---- giving up ---------------------------------------------------------- */

/* No server at all: put gives up, then drains stdin (measured). */
static void give_up_drains(void)
{
    static unsigned char in[8 * MIB + 64 * KIB];
    char base[64], out[800], err[800];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", hs_free_port());
    const char *const args[] = {"--server", base,    "--retries",
                                "2",        "--tee", "public/ci/gaveup.log",
                                NULL};
    int fd = -1;
    make_input(in, sizeof(in), 24);
    scratch_path(out, sizeof(out), "gaveup.out");
    scratch_path(err, sizeof(err), "gaveup.err");
    pid_t pid = spawn_put(args, NULL, &fd, out, err);
    feed_buf(fd, in, 64 * KIB);
    HS_CHECK(wait_text(err, "giving up", 30000), "put did not give up (%s)",
             err);
    /* write 8 MiB more, 64 KiB at a time: every write must succeed */
    int64_t t0 = hs_now_ms();
    size_t off = 64 * KIB, epipe = 0, failed = 0;
    for (int i = 0; i < 100000 && off < sizeof(in); i++) {
        size_t want = sizeof(in) - off < 64 * KIB ? sizeof(in) - off : 64 * KIB;
        ssize_t n = write(fd, in + off, want);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            epipe++;
        else
            failed++;
        break;
    }
    int64_t took = hs_now_ms() - t0;
    close(fd);
    hs_log("after giving up, put took %zu more bytes in %" PRId64
           " ms; the writer saw %zu EPIPE, %zu other errors",
           off - 64 * KIB, took, epipe, failed);
    HS_CHECK(epipe == 0 && failed == 0 && off == sizeof(in),
             "the writer saw %zu EPIPE and %zu errors after %zu bytes", epipe,
             failed, off);
    HS_CHECK(took < 30000, "8 MiB into a put that gave up took %" PRId64 " ms",
             took);
    int code = hs_wait_client(pid, 30000, "put that gave up", err);
    HS_CHECK(code == 1, "a put that gave up exited %d, want 1", code);
    HS_CHECK(file_has(err, "were read and not sent"),
             "no message about the unsent rest (%s)", err);
    expect_file(out, in, sizeof(in), "--tee's stdout after giving up");
}

/* The CI shape: `seq | livelog put` with no server: seq exits 0, not 141
 * (SIGPIPE), and put 1. */
static void give_up_pipeline(void)
{
    char base[64], out[800], err[800], status[64] = "";
    const char *script =
        "seq 1 3000000 | \"$0\" put --retries 1 --server \"$1\" \"$2\"; "
        "echo \"${PIPESTATUS[*]}\"";
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", hs_free_port());
    scratch_path(out, sizeof(out), "gaveup-seq.out");
    scratch_path(err, sizeof(err), "gaveup-seq.err");
    int64_t t0 = hs_now_ms();
    pid_t pid =
        spawn_bash(script, base, "public/ci/gaveup-seq.log", NULL, out, err);
    int code = hs_wait_client(pid, 60000, "seq | livelog put", err);
    hs_log("seq 1 3000000 (20.9 MB) | livelog put with no server: %" PRId64
           " ms",
           hs_now_ms() - t0);
    HS_CHECK(code == 0, "bash exited %d", code);
    slurp(out, status, sizeof(status));
    HS_CHECK(strcmp(status, "0 1\n") == 0,
             "seq | livelog put (gives up): statuses '%s', want '0 1' (141 "
             "would be SIGPIPE)",
             status);
}

/* ---- the read URL ------------------------------------------------------- */

/* Reads the URL file (waiting for it) into url. */
static bool read_url_file(const char *path, char *url, size_t cap, long ms)
{
    if (!wait_text(path, "\n", ms))
        return false;
    slurp(path, url, cap);
    url[strcspn(url, "\n")] = '\0';
    return url[0] != '\0';
}

static void url_private_live(void)
{
    const char *name = "task/ci/private/live.log";
    char ufile[800], out[800], err[800], url[4200], want_prefix[256];
    char state[32] = "", tout[800], terr[800], fout[800], ferr[800];
    const char *const follow[] = {"-f", NULL};
    static char text[64 * KIB];
    uint64_t off = UINT64_MAX;
    size_t len = 0;
    int fd = -1;
    scratch_path(ufile, sizeof(ufile), "url.txt");
    scratch_path(out, sizeof(out), "url-put.out");
    scratch_path(err, sizeof(err), "url-put.err");
    const char *const args[] = {"--server",    sec_base,     "--cacert",
                                ca_path,       "--token",    write_token,
                                "--print-url", "--url-file", ufile,
                                name,          NULL};
    pid_t pid = spawn_put(args, NULL, &fd, out, err);
    /* before any input: the log exists and its URL is out */
    HS_CHECK(read_url_file(ufile, url, sizeof(url), 20000),
             "no URL in %s before the first byte (stderr %s)", ufile, err);
    HS_CHECK(hs_v1_head(&sec, true, name, sec.auth, &off, state,
                        sizeof(state)) == 200 &&
                 off == 0 && strcmp(state, "live") == 0,
             "before the first byte: Upload-Offset %" PRIu64 ", state %s", off,
             state);
    snprintf(want_prefix, sizeof(want_prefix), "%s/v1/logs/%s?", sec.read_base,
             name);
    HS_CHECK(strncmp(url, want_prefix, strlen(want_prefix)) == 0 &&
                 strstr(url, "sig=") != NULL,
             "the read URL %s is not a signed URL of %s", url, name);
    struct stat st;
    HS_CHECK(stat(ufile, &st) == 0 && (st.st_mode & 0777) == 0600,
             "--url-file mode %o, want 600", (unsigned)(st.st_mode & 0777));
    char said[4300];
    snprintf(said, sizeof(said), "read URL: %s\n", url);
    HS_CHECK(file_has(err, said), "--print-url: stderr lacks the URL (%s)",
             err);
    /* the bare name is private */
    char path[300];
    struct hs_resp r;
    snprintf(path, sizeof(path), "/v1/logs/%s?follow=0", name);
    hs_request(&sec, true, "GET", path, NULL, NULL, 0, 10000, &r);
    HS_CHECK(r.status == 401, "anonymous GET of the bare name: %ld", r.status);
    hs_resp_free(&r);
    /* live: the URL reads what is there, a follower follows it */
    for (int i = 0; i < 200; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "line %d of the private job log\n", i);
    feed_buf(fd, (const unsigned char *)text, len / 2);
    scratch_path(tout, sizeof(tout), "url-tail.out");
    scratch_path(terr, sizeof(terr), "url-tail.err");
    scratch_path(fout, sizeof(fout), "url-follow.out");
    scratch_path(ferr, sizeof(ferr), "url-follow.err");
    pid_t fpid = hs_tail_spawn(url, follow, fout, ferr);
    HS_CHECK(hs_wait_file_size(fout, len / 2, 20000),
             "tail -f of the read URL printed %" PRIu64 " of %zu bytes "
             "(stderr %s)",
             hs_file_size(fout), len / 2, ferr);
    pid_t tpid = hs_tail_spawn(url, NULL, tout, terr);
    int code = hs_wait_client(tpid, 20000, "tail of the read URL", terr);
    HS_CHECK(code == 0 && hs_file_size(tout) == len / 2,
             "tail of the live log's read URL: exit %d, %" PRIu64
             " bytes (want %zu)",
             code, hs_file_size(tout), len / 2);
    HS_CHECK(hs_v1_head(&sec, true, name, sec.auth, NULL, state,
                        sizeof(state)) == 200 &&
                 strcmp(state, "live") == 0,
             "the log read through its URL is %s, want live", state);
    feed_buf(fd, (const unsigned char *)text + len / 2, len - len / 2);
    close(fd);
    code = hs_wait_client(pid, 30000, "put --print-url", err);
    HS_CHECK(code == 0, "put --print-url exited %d (stderr %s)", code, err);
    code = hs_wait_client(fpid, 20000, "tail -f of the read URL", ferr);
    HS_CHECK(code == 0, "tail -f of the read URL exited %d", code);
    expect_file(fout, (const unsigned char *)text, len,
                "tail -f of the read URL");
    HS_CHECK(!file_has(err, write_token), "put's stderr holds the token");
}

/* put --print-url of one line to the plain server; stderr in err. */
static void put_print_url(const char *name, const char *tag, char *err,
                          size_t err_cap)
{
    const char *const args[] = {"--server", pl->write_base, "--print-url", name,
                                NULL};
    char out[800];
    int fd = -1;
    snprintf(out, sizeof(out), "%s/%s.out", hs_scratch(), tag);
    snprintf(err, err_cap, "%s/%s.err", hs_scratch(), tag);
    pid_t pid = spawn_put(args, NULL, &fd, out, err);
    feed_buf(fd, (const unsigned char *)"one line\n", 9);
    close(fd);
    int code = hs_wait_client(pid, 30000, tag, err);
    HS_CHECK(code == 0, "%s: put exited %d (stderr %s)", tag, code, err);
}

/* No --public-url: a relative URL, said so; a private log on a server
 * without keys: no URL, a message, and the upload still succeeds. */
static void url_relative_and_absent(void)
{
    char err[800];
    put_print_url("public/ci/rel.log", "url-rel", err, sizeof(err));
    HS_CHECK(file_has(err, "read URL: /v1/logs/public/ci/rel.log\n") &&
                 file_has(err, "relative"),
             "a relative read URL is not printed as such (%s)", err);
    put_print_url("ci/nokeys.log", "url-none", err, sizeof(err));
    HS_CHECK(file_has(err, "no usable Livelog-Read-URL"),
             "no message about the missing read URL (%s)", err);
}

/* ---- setup -------------------------------------------------------------- */

static void make_cert(const char *stem, char *crt, size_t cap)
{
    char key[800], out[800], subj[] = "/CN=localhost";
    snprintf(crt, cap, "%s/%s.crt", hs_scratch(), stem);
    snprintf(key, sizeof(key), "%s/%s.key", hs_scratch(), stem);
    snprintf(out, sizeof(out), "%s/%s.openssl", hs_scratch(), stem);
    char *argv[] = {"openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key,
                    "-out",
                    crt,
                    "-days",
                    "2",
                    "-subj",
                    subj,
                    "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    NULL};
    int st = hs_run(argv, out, out, 30000);
    HS_REQUIRE(st == 0, "openssl req failed (see %s)", out);
}

static void start_secure(void)
{
    char key[800], public_url[64];
    int read_port = hs_free_port();
    make_cert("write", ca_path, sizeof(ca_path));
    make_cert("other", other_ca, sizeof(other_ca));
    snprintf(key, sizeof(key), "%s/write.key", hs_scratch());
    snprintf(public_url, sizeof(public_url), "http://127.0.0.1:%d", read_port);
    const char *const args[] = {"--write-credentials",
                                "required",
                                "--write-tls-cert",
                                ca_path,
                                "--write-tls-key",
                                key,
                                "--public-url",
                                public_url,
                                "--writer-wait",
                                "0",
                                NULL};
    struct hs_serve_opts o = {.keys = true,
                              .read_port = read_port,
                              .args = args,
                              .log_level = "info"};
    hs_serve_start(&sec, &o);
    snprintf(sec_base, sizeof(sec_base), "https://127.0.0.1:%d", sec.put_port);
    mint("livelog:write:task/ci/*", write_token, sizeof(write_token));
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "serve_put_ci");
    HS_REQUIRE(hs_has_verb("put") && hs_has_verb("tail"),
               "`livelog put` / `livelog tail` are not built yet");
    start_secure();
    snprintf(plain_data, sizeof(plain_data), "%s/plain-data", hs_scratch());
    HS_REQUIRE(mkdir(plain_data, 0755) == 0, "mkdir %s", plain_data);
    plain_wport = hs_free_port();
    plain_rport = hs_free_port();
    start_plain(&plain);

    token_accepted();
    token_matrix();
    cacert_required();
    url_private_live();
    tee_exact();
    tee_closed_stdout();
    url_relative_and_absent();
    give_up_drains();
    give_up_pipeline();
    tee_server_down();

    hs_stop_and_check(&sec, NULL);
    hs_stop_and_check(pl, NULL);
    return hs_finish();
}
