/* serve_clients: the `livelog put` and `livelog tail` clients against
 * `livelog serve` (docs/CLIENTS.md, docs/API.md).
 *
 * put:  stdin streamed into a stream and completed (exit 0, exact bytes);
 *       the server killed (kill -9) and restarted on the same ports under a
 *       running `livelog put` fed from a pipe: the client resumes on its own
 *       and the stream is exact; the client SIGKILLed mid-stream leaves the
 *       stream interrupted with a prefix of its input, a second `livelog put`
 *       of the same NAME is refused (exit != 0, "exists" by design: a
 *       restarted client cannot know what its predecessor sent) and changes
 *       nothing, and a PATCH at HEAD's Upload-Offset finishes it exactly.
 * tail: -n LINES on a complete and on a live stream; following a live
 *       stream to its completion (exit 0, output identical to the stored
 *       log); resuming after the server is killed (kill -9) and after it is
 *       stopped (SIGTERM ends responses while the stream is still live), each
 *       restarted on the same ports: the output equals the stored log, no
 *       byte doubled or missing. */
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

static struct hs_server srv[8];
static int nsrv;
static int wport, rport;
static char data_dir[700];

static struct hs_server *start_server(void)
{
    struct hs_serve_opts o = {.data_dir = data_dir,
                              .write_port = wport,
                              .read_port = rport,
                              .log_level = "info"};
    struct hs_server *s;
    HS_REQUIRE(nsrv < 8, "too many restarts");
    s = &srv[nsrv++];
    hs_serve_start(s, &o);
    return s;
}

static void path_in_scratch(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", hs_scratch(), name);
}

/* Writes hs_gen(seed) [from, to) to fd. */
static void feed(int fd, uint64_t seed, uint64_t from, uint64_t to)
{
    static unsigned char buf[65536];
    while (from < to) {
        size_t n = to - from < sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
        hs_gen(seed, from, buf, n);
        HS_REQUIRE(hs_write_all(fd, buf, n), "write to the client: %s",
                   strerror(errno));
        from += n;
    }
}

static void put_simple(struct hs_server *s)
{
    const char *name = "public/clients/simple";
    char out[800], err[800];
    int fd = -1, code;
    pid_t pid;

    path_in_scratch(out, sizeof(out), "put-simple.out");
    path_in_scratch(err, sizeof(err), "put-simple.err");
    pid = hs_put_spawn(s->write_base, name, NULL, &fd, out, err);
    feed(fd, 1, 0, 2 * MIB);
    close(fd);
    code = hs_wait_client(pid, 30000, "livelog put (simple)", err);
    HS_CHECK(code == 0, "livelog put exited %d (stderr in %s)", code, err);
    hs_v1_expect_content(s, name, NULL, 1, 2 * MIB, "livelog put (simple)");
    {
        char state[32];
        hs_v1_head(s, false, name, NULL, NULL, state, sizeof(state));
        HS_CHECK(strcmp(state, "complete") == 0, "state %s after put", state);
    }
}

static struct hs_server *put_across_restart(struct hs_server *s)
{
    const char *name = "public/clients/restart";
    const uint64_t total = 3 * MIB;
    char out[800], err[800];
    int fd = -1, code;
    pid_t pid;

    path_in_scratch(out, sizeof(out), "put-restart.out");
    path_in_scratch(err, sizeof(err), "put-restart.err");
    pid = hs_put_spawn(s->write_base, name, NULL, &fd, out, err);
    feed(fd, 2, 0, 1 * MIB);
    HS_CHECK(hs_wait_v1_len(s, name, 1 * MIB, 20000),
             "the server never held the first MiB from livelog put");
    hs_log("kill -9 of the server under livelog put");
    hs_kill9(s);
    HS_CHECK(hs_check_log(s, NULL) == 0, "killed server's log");
    /* Keep feeding while the server is down, without blocking forever:
     * whatever the pipe and the client take. */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    {
        static unsigned char buf[16384];
        uint64_t off = 1 * MIB;
        int64_t end = hs_now_ms() + 1000;
        for (int i = 0; i < 10000 && hs_now_ms() < end && off < total; i++) {
            ssize_t n;
            size_t want = sizeof(buf);
            if (total - off < want)
                want = (size_t)(total - off);
            hs_gen(2, off, buf, want);
            n = write(fd, buf, want);
            if (n > 0)
                off += (uint64_t)n;
            else
                hs_sleep_ms(10);
        }
        fcntl(fd, F_SETFL, 0);
        s = start_server();
        feed(fd, 2, off, total);
    }
    close(fd);
    code = hs_wait_client(pid, 60000, "livelog put (server restarted)", err);
    HS_CHECK(code == 0, "livelog put across a restart exited %d (stderr %s)",
             code, err);
    hs_v1_expect_content(s, name, NULL, 2, total,
                         "livelog put across a server restart");
    return s;
}

static void put_killed(struct hs_server *s)
{
    const char *name = "public/clients/killed";
    char out[800], err[800], state[32];
    int fd = -1, code;
    uint64_t off = UINT64_MAX, off2 = UINT64_MAX, got = 0;
    pid_t pid;
    long st;

    path_in_scratch(out, sizeof(out), "put-killed.out");
    path_in_scratch(err, sizeof(err), "put-killed.err");
    pid = hs_put_spawn(s->write_base, name, NULL, &fd, out, err);
    feed(fd, 3, 0, 1 * MIB);
    HS_CHECK(hs_wait_v1_len(s, name, 1 * MIB, 20000),
             "the server never held the first MiB");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fd);
    for (int i = 0; i < 500; i++) {
        hs_v1_head(s, false, name, NULL, &off, state, sizeof(state));
        if (strcmp(state, "interrupted") == 0)
            break;
        hs_sleep_ms(10);
    }
    HS_CHECK(strcmp(state, "interrupted") == 0,
             "after SIGKILL of livelog put: state %s, want interrupted", state);
    HS_CHECK(off == 1 * MIB, "after SIGKILL: Upload-Offset %" PRIu64, off);
    hs_v1_expect_content(s, name, NULL, 3, off, "killed put's prefix");

    /* A new client with the same NAME: refused, nothing changes. */
    path_in_scratch(err, sizeof(err), "put-killed-2.err");
    pid = hs_put_spawn(s->write_base, name, NULL, &fd, out, err);
    feed(fd, 33, 0, 1000);
    close(fd);
    code =
        hs_wait_client(pid, 30000, "second livelog put of the same NAME", err);
    HS_CHECK(code != 0, "a second livelog put of an existing NAME should "
                        "fail (409), exited 0");
    hs_v1_head(s, false, name, NULL, &off2, state, sizeof(state));
    HS_CHECK(off2 == off,
             "the refused put changed the stream: %" PRIu64 " -> %" PRIu64, off,
             off2);
    /* PATCH at HEAD's offset finishes it. */
    st = hs_v1_send(s, "PATCH", name, 3, off, 2 * MIB - off, NULL, NULL, &got,
                    NULL);
    HS_CHECK(st == 204 && got == 2 * MIB, "PATCH at HEAD's offset: %ld", st);
    hs_v1_expect_content(s, name, NULL, 3, 2 * MIB, "killed put, finished");
}

/* Text lines "line N of NAME\n" for N in [from, to). */
static size_t lines(char *buf, size_t cap, int from, int to, const char *tag)
{
    size_t n = 0;
    for (int i = from; i < to; i++) {
        int k = snprintf(buf + n, cap - n, "line %d of %s\n", i, tag);
        HS_REQUIRE(k > 0 && (size_t)k < cap - n, "lines buffer");
        n += (size_t)k;
    }
    return n;
}

static void put_text(const struct hs_server *s, const char *method,
                     const char *name, uint64_t off, const char *text,
                     const char *complete)
{
    char path[600], offh[64];
    const char *hdrs[3] = {NULL, NULL, NULL};
    char uch[64];
    struct hs_resp r;
    int n = 0;
    snprintf(path, sizeof(path), "/v1/logs/%s", name);
    if (strcmp(method, "PATCH") == 0) {
        snprintf(offh, sizeof(offh), "Upload-Offset: %" PRIu64, off);
        hdrs[n++] = offh;
    }
    if (complete != NULL) {
        snprintf(uch, sizeof(uch), "Upload-Complete: %s", complete);
        hdrs[n++] = uch;
    }
    hs_request(s, false, method, path, hdrs, text, strlen(text), 10000, &r);
    HS_CHECK(r.status == 201 || r.status == 204, "%s %s: %ld", method, name,
             r.status);
    hs_resp_free(&r);
}

static bool file_equals(const char *path, const char *want)
{
    FILE *f = fopen(path, "rb");
    static char buf[1 << 20];
    size_t n;
    if (f == NULL)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n == strlen(want) && memcmp(buf, want, n) == 0;
}

static void tail_lines(const struct hs_server *s)
{
    static char text[65536], want[65536], more[4096];
    char url[800], out[800], err[800];
    const char *n5[] = {"-n", "5", NULL};
    const char *n3[] = {"-f", "-n", "3", NULL};
    size_t len;
    int code;
    pid_t pid;

    len = lines(text, sizeof(text), 1, 101, "done");
    put_text(s, "PUT", "public/tail/done", 0, text, NULL);
    snprintf(url, sizeof(url), "%s/v1/logs/public/tail/done", s->read_base);
    path_in_scratch(out, sizeof(out), "tail-n5.out");
    path_in_scratch(err, sizeof(err), "tail-n5.err");
    pid = hs_tail_spawn(url, n5, out, err);
    code = hs_wait_client(pid, 20000, "livelog tail -n 5 (complete)", err);
    HS_CHECK(code == 0, "livelog tail -n 5 exited %d (stderr %s)", code, err);
    lines(want, sizeof(want), 96, 101, "done");
    HS_CHECK(file_equals(out, want),
             "livelog tail -n 5: output %s is not the "
             "last 5 lines",
             out);

    /* Live: -n 3, then more lines, then completion. */
    len = lines(text, sizeof(text), 1, 51, "live");
    put_text(s, "PUT", "public/tail/live", 0, text, "?0");
    snprintf(url, sizeof(url), "%s/v1/logs/public/tail/live", s->read_base);
    path_in_scratch(out, sizeof(out), "tail-n3.out");
    path_in_scratch(err, sizeof(err), "tail-n3.err");
    pid = hs_tail_spawn(url, n3, out, err);
    lines(want, sizeof(want), 48, 51, "live");
    HS_CHECK(hs_wait_file_size(out, strlen(want), 10000),
             "livelog tail -n 3 printed nothing of the live stream");
    lines(more, sizeof(more), 51, 61, "live");
    put_text(s, "PATCH", "public/tail/live", len, more, "?0");
    len += strlen(more);
    lines(more, sizeof(more), 61, 71, "live");
    put_text(s, "PATCH", "public/tail/live", len, more, NULL);
    code =
        hs_wait_client(pid, 10000, "livelog tail -n 3 (live, completed)", err);
    HS_CHECK(code == 0,
             "livelog tail -n 3 of a live stream exited %d after "
             "it completed",
             code);
    lines(want, sizeof(want), 48, 71, "live");
    HS_CHECK(file_equals(out, want),
             "livelog tail -n 3 (live): output %s is "
             "not lines 48..70",
             out);
}

/* tail follows a live stream through a server restart (kill -9 or
 * SIGTERM), and its output is exactly the stored log. */
static struct hs_server *tail_restart(struct hs_server *s, bool hard)
{
    const char *follow[] = {"-f", NULL};
    const char *name = hard ? "public/tail/kill9" : "public/tail/sigterm";
    const uint64_t seed = hard ? 71 : 72;
    const uint64_t total = 2 * MIB;
    char url[800], out[800], err[800];
    unsigned char got[32], want[32];
    uint64_t glen = 0;
    int code;
    long st;
    pid_t pid;

    st = hs_v1_send(s, "PUT", name, seed, 0, 500 * KIB, "?0", NULL, NULL, NULL);
    HS_REQUIRE(st == 201, "PUT %s: %ld", name, st);
    snprintf(url, sizeof(url), "%s/v1/logs/%s", s->read_base, name);
    path_in_scratch(out, sizeof(out), hard ? "tail-k9.out" : "tail-term.out");
    path_in_scratch(err, sizeof(err), hard ? "tail-k9.err" : "tail-term.err");
    pid = hs_tail_spawn(url, follow, out, err);
    HS_CHECK(hs_wait_file_size(out, 500 * KIB, 20000),
             "livelog tail printed %" PRIu64 " of 500 KiB", hs_file_size(out));
    if (hard) {
        hs_log("kill -9 of the server under livelog tail");
        hs_kill9(s);
        HS_CHECK(hs_check_log(s, NULL) == 0, "killed server's log");
    } else {
        hs_log("SIGTERM of the server under livelog tail");
        hs_stop_and_check(s, NULL);
    }
    hs_sleep_ms(300); /* the client retries meanwhile */
    s = start_server();
    st = hs_v1_send(s, "PATCH", name, seed, 500 * KIB, 1 * MIB, "?0", NULL,
                    NULL, NULL);
    HS_CHECK(st == 204, "PATCH after the restart: %ld", st);
    const uint64_t mid = 500 * KIB + 1 * MIB; /* what the two writes hold */
    HS_CHECK(hs_wait_file_size(out, mid, 20000),
             "livelog tail did not resume after the restart: %" PRIu64
             " bytes printed",
             hs_file_size(out));
    st = hs_v1_send(s, "PATCH", name, seed, mid, total - mid, NULL, NULL, NULL,
                    NULL);
    HS_CHECK(st == 204, "completing PATCH: %ld", st);
    code = hs_wait_client(pid, 20000, "livelog tail across a restart", err);
    HS_CHECK(code == 0, "livelog tail across a restart exited %d (stderr %s)",
             code, err);
    hs_gen_sha256(seed, total, want);
    HS_CHECK(hs_sha256_file(out, got, &glen), "read %s", out);
    HS_CHECK(glen == total && memcmp(got, want, 32) == 0,
             "livelog tail across a %s restart printed %" PRIu64
             " bytes (want %" PRIu64 "), %s",
             hard ? "kill -9" : "SIGTERM", glen, total,
             glen == total ? "content differs" : "bytes missing or doubled");
    hs_v1_expect_content(s, name, NULL, seed, total, "stored log");
    return s;
}

int main(int argc, char **argv)
{
    struct hs_server *s;

    hs_init(argc, argv, "serve_clients");
    HS_REQUIRE(hs_has_verb("serve"), "`livelog serve --help` does not exit "
                                     "0: the server is not built yet");
    HS_REQUIRE(hs_has_verb("put"), "`livelog put --help` does not exit 0: "
                                   "the put client is not built yet");
    HS_REQUIRE(hs_has_verb("tail"), "`livelog tail --help` does not exit 0: "
                                    "the tail client is not built yet");
    snprintf(data_dir, sizeof(data_dir), "%s/data", hs_scratch());
    HS_REQUIRE(mkdir(data_dir, 0755) == 0, "mkdir");
    wport = hs_free_port();
    rport = hs_free_port();
    s = start_server();
    put_simple(s);
    put_killed(s);
    tail_lines(s);
    s = put_across_restart(s);
    s = tail_restart(s, true);
    s = tail_restart(s, false);
    hs_stop_and_check(s, NULL);
    return hs_finish();
}
