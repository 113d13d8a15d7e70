/* serve_faults: every system call the store makes fails on demand, and
 * each failure gives the affected client a clear answer, the server's log
 * a WARNING (RFC-0003: the disk is the environment; never an ERROR), and
 * does no damage to other streams or to what was stored (issue #9, "Proof
 * under fire"; docs/TESTING.md, "Fault injection").
 *
 * The server is `livelog-faults serve --fsync always` (tests/fault/: the
 * livelog binary whose open, write, pwrite, pread, fsync, fdatasync and
 * rename go through wrappers that read the rules file LIVELOG_FAULT_RULES
 * and log each injected failure to LIVELOG_FAULT_LOG). Throughout, stream
 * B is written by a `livelog put` the test feeds through a pipe and
 * followed by a resuming reader. For each row of `scenarios` a new stream
 * A is written with libcurl PUT/PATCH requests (and followed), a rule
 * makes one call fail on one of A's files only (its directory is the
 * SHA-256 of its name), and the test checks:
 *   - A's client gets the row's status and a message naming the problem
 *     (never a 2xx for bytes not stored), or for a read a response that
 *     ends short (never wrong bytes);
 *   - the server's log has the row's WARNING with A's name and the errno;
 *   - the fault log shows the call really failed;
 *   - B's follower has every byte fed so far, and no WARNING names B;
 *   - with the rule removed: HEAD's Upload-Offset is what was
 *     acknowledged (with --fsync always after a failed fsync: the bytes
 *     received, now durable) and the stored bytes are exactly the input's
 *     prefix; A resumes at that offset and completes; its follower ends
 *     cleanly with every byte.
 * Then B completes (put exits 0), and after a SIGTERM and a restart on the
 * same data directory every stream reads back exactly, complete, with a
 * correct `?tail=3`. No ERROR or FATAL line anywhere. */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIB 1024u
#define A_FIRST (64 * KIB) /* A's PUT                          */
#define A_STEP (256 * KIB) /* a PATCH that meets the fault     */
#define A_TOTAL (512 * KIB)
#define B_STEP (32 * KIB) /* fed to B around each scenario   */
#define B_TOTAL (B_STEP * (2 * NSCEN + 2))
#define SEED_A 900
#define SEED_B 899
#define NAME_B "public/faults/b"
#define SECRET "fault-secret-that-random-bytes-never-hold"
#define TAIL_LINES 3
#define WAIT_MS 20000

/* How a scenario meets its fault. */
enum flow {
    FLOW_CREATE,   /* the PUT that creates A fails                       */
    FLOW_APPEND,   /* a PATCH's bytes cannot be stored                   */
    FLOW_SYNC,     /* a PATCH's bytes cannot be made durable (fsync)     */
    FLOW_COMPLETE, /* the completing PATCH cannot record completion      */
    FLOW_WIRE,     /* a masked PATCH cannot record its writer offset     */
    FLOW_FOLLOW,   /* a follower cannot read the bytes it is woken for   */
    FLOW_DIGEST,   /* the completing PATCH's Repr-Digest cannot be read  */
    FLOW_TAIL,     /* ?tail=N cannot read the line index                 */
    FLOW_OPEN_GET, /* a GET cannot open a descriptor for sendfile        */
    FLOW_RETRY,    /* EINTR only: retried, nobody notices                */
};

struct scenario {
    const char *id; /* A is public/faults/<id> */
    enum flow flow;
    const char *rules; /* the rules file; '@' stands for A's directory */
    const char *fired; /* a fault log line starts with this */
    long status;       /* A's client's answer (0: a read, cut short) */
    const char *text;  /* in that answer's body */
    const char *msg;   /* the WARNING (NULL: no WARNING at all) */
    int err;           /* its errno field */
    bool named;        /* it names A */
};

static const struct scenario scenarios[] = {
    {"open-create", FLOW_CREATE, "open @/data EMFILE\n", "open EMFILE", 503,
     "out of file descriptors", "creating a stream failed", EMFILE, true},
    {"write-create", FLOW_CREATE, "write @/meta.tmp ENOSPC\n", "write ENOSPC",
     507, "disk is full", "creating a stream failed", ENOSPC, true},
    {"pwrite-data", FLOW_APPEND, "pwrite @/data EIO\n", "pwrite EIO", 500,
     "I/O error", "appending to the log failed", EIO, true},
    {"pwrite-index", FLOW_APPEND, "pwrite @/index ENOSPC\n", "pwrite ENOSPC",
     507, "disk is full", "appending to the log failed", ENOSPC, true},
    {"fdatasync-data", FLOW_SYNC, "fdatasync @/data EIO\n", "fdatasync EIO",
     500, "I/O error", "fsync of a stream failed", EIO, true},
    {"fsync-meta", FLOW_COMPLETE, "fsync @/meta.tmp EIO\n", "fsync EIO", 500,
     "could not record that the log is complete",
     "writing the stream's metadata failed", EIO, true},
    {"rename-meta", FLOW_COMPLETE, "rename @/meta EIO\n", "rename EIO", 500,
     "could not record that the log is complete",
     "writing the stream's metadata failed", EIO, true},
    {"write-meta", FLOW_COMPLETE, "write @/meta.tmp ENOSPC\n", "write ENOSPC",
     507, "disk is full", "writing the stream's metadata failed", ENOSPC, true},
    {"rename-wire", FLOW_WIRE, "rename @/wire EIO\n", "rename EIO", 500,
     "I/O error", "ending a masked write failed", EIO, true},
    {"pread-follow", FLOW_FOLLOW, "pread @/data EIO\n", "pread EIO", 0, NULL,
     "reading the stored log failed", EIO, true},
    {"pread-digest", FLOW_DIGEST, "pread @/data EIO\n", "pread EIO", 500,
     "Repr-Digest", "reading the stored log failed", EIO, true},
    {"pread-index", FLOW_TAIL, "pread @/index EIO\n", "pread EIO", 500,
     "line index could not be read", "line lookup failed", EIO, true},
    {"open-read", FLOW_OPEN_GET, "open @/data EMFILE\n", "open EMFILE", 200,
     NULL, "opening the stored log failed", EMFILE, true},
    {"eintr", FLOW_RETRY,
     "pwrite @/data EINTR 3\npwrite @/index EINTR 3\n"
     "write @/meta.tmp EINTR 2\npread @/data EINTR 3\n",
     "pwrite EINTR", 204, NULL, NULL, 0, false},
};

#define NSCEN (sizeof(scenarios) / sizeof(*scenarios))

/* The test's state: the server, B's writer and follower, the current
 * scenario's stream A and its follower. */
struct ctx {
    struct hs_server srv;
    char rules_path[700];
    char faults_path[700];
    CURLM *multi;
    pid_t b_pid;
    int b_stdin;
    uint64_t b_fed;
    struct hs_follower b_follower;
    struct hs_follower a_followers[NSCEN];
    struct hs_follower *a_follower; /* the current one, or NULL */
    const struct scenario *sc;
    char a_name[128];
    char a_dir[65]; /* hex SHA-256 of a_name: its directory */
    uint64_t a_seed;
    long log_mark;    /* the server log's size when the scenario began */
    long faults_mark; /* the fault log's size then */
};

/* ---- files ------------------------------------------------------------ */

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The bytes of path from `from` on, NUL-terminated (malloc'd). */
static char *read_from(const char *path, long from)
{
    FILE *f = fopen(path, "r");
    long size = file_size(path);
    size_t len = size > from ? (size_t)(size - from) : 0;
    char *text = malloc(len + 1);
    HS_REQUIRE(text != NULL, "malloc");
    size_t got = 0;
    if (f != NULL) {
        if (fseek(f, from, SEEK_SET) == 0)
            got = fread(text, 1, len, f);
        fclose(f);
    }
    text[got] = '\0';
    return text;
}

/* Lines of text holding every one of the needles (NULL-terminated). */
static int count_lines(const char *text, const char *const *needles)
{
    int n = 0;
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        bool all = true;
        for (size_t i = 0; needles[i] != NULL && all; i++) {
            const char *hit = memmem(line, len, needles[i], strlen(needles[i]));
            all = hit != NULL;
        }
        n += all ? 1 : 0;
        line += len + (end != NULL ? 1 : 0);
    }
    return n;
}

/* Server log lines written since the scenario began with every needle. */
static int log_lines(const struct ctx *c, const char *const *needles)
{
    char *text = read_from(c->srv.log_path, c->log_mark);
    int n = count_lines(text, needles);
    free(text);
    return n;
}

/* ---- rules ------------------------------------------------------------ */

/* Writes the scenario's rules (with A's directory for '@') atomically. */
static void set_rules(struct ctx *c, const char *tmpl)
{
    char text[2048], tmp[720];
    size_t n = 0;
    for (const char *p = tmpl; *p != '\0' && n + 70 < sizeof(text); p++) {
        if (*p == '@')
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", c->a_dir);
        else
            text[n++] = *p;
    }
    text[n] = '\0';
    snprintf(tmp, sizeof(tmp), "%s.tmp", c->rules_path);
    FILE *f = fopen(tmp, "w");
    HS_REQUIRE(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0, "writing %s",
               tmp);
    HS_REQUIRE(rename(tmp, c->rules_path) == 0, "rename %s", tmp);
}

static void clear_rules(struct ctx *c)
{
    HS_REQUIRE(unlink(c->rules_path) == 0 || errno == ENOENT, "unlink %s",
               c->rules_path);
}

/* ---- followers and B -------------------------------------------------- */

/* Runs the followers (B's, and A's when there is one) for about ms. */
static void pump(struct ctx *c, long ms)
{
    int64_t end = hs_now_ms() + ms;
    do {
        hs_followers_step(c->multi, &c->b_follower, 1, 0);
        if (c->a_follower != NULL)
            hs_followers_step(c->multi, c->a_follower, 1, 0);
        hs_followers_step(c->multi, NULL, 0, 5);
    } while (hs_now_ms() < end);
}

/* Pumps until *got reaches want (bounded). True when it did. */
static bool pump_until(struct ctx *c, const uint64_t *got, uint64_t want)
{
    int64_t end = hs_now_ms() + WAIT_MS;
    while (*got < want && hs_now_ms() < end)
        pump(c, 10);
    return *got >= want;
}

/* Feeds B's writer n more bytes of its input. */
static void feed_b(struct ctx *c, uint64_t n)
{
    unsigned char *buf = malloc((size_t)n);
    HS_REQUIRE(buf != NULL, "malloc");
    hs_gen(SEED_B, c->b_fed, buf, (size_t)n);
    HS_REQUIRE(hs_write_all(c->b_stdin, buf, (size_t)n), "feeding B's put");
    free(buf);
    c->b_fed += n;
}

/* B goes on: its follower has every byte fed so far, exact. */
static void check_b_undisturbed(struct ctx *c, const char *when)
{
    feed_b(c, B_STEP);
    HS_CHECK(pump_until(c, &c->b_follower.got, c->b_fed),
             "%s: B's follower has %" PRIu64 " of the %" PRIu64
             " bytes fed to B",
             when, c->b_follower.got, c->b_fed);
    HS_CHECK(c->b_follower.mismatch_at == UINT64_MAX && !c->b_follower.failed,
             "%s: B's follower got a wrong byte at %" PRIu64 " (failed %d)",
             when, c->b_follower.mismatch_at, c->b_follower.failed);
    const char *named_b[] = {"\"level\":\"warning\"", "\"" NAME_B "\"", NULL};
    HS_CHECK(log_lines(c, named_b) == 0, "%s: a WARNING names B", when);
}

static void start_b(struct ctx *c)
{
    char out[700], err[700], url[300];
    snprintf(out, sizeof(out), "%s/put-b.out", hs_scratch());
    snprintf(err, sizeof(err), "%s/put-b.err", hs_scratch());
    c->b_pid =
        hs_put_spawn(c->srv.write_base, NAME_B, NULL, &c->b_stdin, out, err);
    snprintf(url, sizeof(url), "%s/v1/logs/" NAME_B, c->srv.read_base);
    hs_follower_init(&c->b_follower, url, SEED_B, B_TOTAL);
    feed_b(c, B_STEP);
    HS_REQUIRE(pump_until(c, &c->b_follower.got, c->b_fed),
               "B's follower never got B's first bytes");
}

/* The last bytes, then the end of input: put completes B and exits 0. */
static void finish_b(struct ctx *c)
{
    int status = 0;
    feed_b(c, B_TOTAL - c->b_fed);
    close(c->b_stdin);
    HS_CHECK(hs_wait_pid(c->b_pid, WAIT_MS, &status) && WIFEXITED(status) &&
                 WEXITSTATUS(status) == 0,
             "B's livelog put did not exit 0 (status %d)", status);
    int64_t end = hs_now_ms() + WAIT_MS;
    while (!c->b_follower.done && !c->b_follower.failed && hs_now_ms() < end)
        pump(c, 10);
    HS_CHECK(c->b_follower.done && c->b_follower.mismatch_at == UINT64_MAX,
             "B's follower: done %d, %" PRIu64 " bytes, mismatch at %" PRIu64,
             c->b_follower.done, c->b_follower.got, c->b_follower.mismatch_at);
    hs_v1_expect_content(&c->srv, NAME_B, NULL, SEED_B, c->b_fed, "B");
}

/* ---- stream A --------------------------------------------------------- */

static void name_a(struct ctx *c, size_t i)
{
    unsigned char d[32];
    c->sc = &scenarios[i];
    c->a_seed = SEED_A + i;
    snprintf(c->a_name, sizeof(c->a_name), "public/faults/%s", c->sc->id);
    HS_REQUIRE(gnutls_hash_fast(GNUTLS_DIG_SHA256, c->a_name, strlen(c->a_name),
                                d) == 0,
               "sha256");
    hs_hex32(d, c->a_dir);
}

static void start_a_follower(struct ctx *c, size_t i)
{
    char url[300];
    snprintf(url, sizeof(url), "%s/v1/logs/%s", c->srv.read_base, c->a_name);
    c->a_follower = &c->a_followers[i];
    hs_follower_init(c->a_follower, url, c->a_seed, A_TOTAL);
}

/* A request on A: PUT (off 0) or PATCH of hs_gen bytes [off, off+len).
 * Returns the status; *ack gets Upload-Offset (UINT64_MAX: none), and
 * the body is checked to contain `text` when that is not NULL. */
static long send_a(struct ctx *c, uint64_t off, uint64_t len,
                   const char *complete, const char *const *extra,
                   uint64_t *ack, const char *text)
{
    struct hs_resp r;
    long st = hs_v1_send(&c->srv, off == 0 ? "PUT" : "PATCH", c->a_name,
                         c->a_seed, off, len, complete, extra, ack, &r);
    if (text != NULL)
        HS_CHECK(r.body != NULL && strstr((char *)r.body, text) != NULL,
                 "%s: the %ld answer says \"%s\", want it to say \"%s\"",
                 c->sc->id, st, r.body != NULL ? (char *)r.body : "", text);
    hs_resp_free(&r);
    return st;
}

/* HEAD on the write listener: the offset, and the state into state. */
static uint64_t head_a(struct ctx *c, char *state, size_t cap)
{
    uint64_t off = UINT64_MAX;
    long st = hs_v1_head(&c->srv, false, c->a_name, NULL, &off, state, cap);
    HS_CHECK(st == 200, "%s: HEAD: %ld", c->sc->id, st);
    return off;
}

/* A exists, live, with A_FIRST acknowledged bytes (and a follower). */
static void open_a(struct ctx *c, size_t i, const char *const *extra)
{
    uint64_t ack = UINT64_MAX;
    long st = send_a(c, 0, A_FIRST, "?0", extra, &ack, NULL);
    HS_REQUIRE(st == 201 && ack == A_FIRST, "%s: PUT: %ld, Upload-Offset %llu",
               c->sc->id, st, (unsigned long long)ack);
    start_a_follower(c, i);
    HS_CHECK(pump_until(c, &c->a_follower->got, A_FIRST),
             "%s: A's follower got %" PRIu64 " bytes", c->sc->id,
             c->a_follower->got);
}

/* After a refusal: HEAD says `ack` (and state), the stored bytes are the
 * input's first `ack`. */
static void check_kept(struct ctx *c, uint64_t ack, const char *state)
{
    char st[32];
    uint64_t head = head_a(c, st, sizeof(st));
    HS_CHECK(head == ack && strcmp(st, state) == 0,
             "%s: HEAD says %" PRIu64 " (%s), acknowledged %" PRIu64 " (%s)",
             c->sc->id, head, st, ack, state);
    hs_v1_expect_content(&c->srv, c->a_name, NULL, c->a_seed, ack, c->sc->id);
}

/* Sends A's remaining bytes from `from` and completes it. */
static void complete_a(struct ctx *c, uint64_t from, const char *const *extra)
{
    uint64_t ack = UINT64_MAX;
    long st = send_a(c, from, A_TOTAL - from, NULL, extra, &ack, NULL);
    HS_CHECK((st == 204 || (from == 0 && st == 201)) && ack == A_TOTAL,
             "%s: completing from %" PRIu64 ": %ld, Upload-Offset %" PRIu64,
             c->sc->id, from, st, ack);
}

/* The Repr-Digest header of A's whole input into buf. */
static const char *digest_header(const struct ctx *c, char *buf, size_t cap)
{
    unsigned char d[32];
    gnutls_datum_t in = {d, 32}, out = {NULL, 0};
    hs_gen_sha256(c->a_seed, A_TOTAL, d);
    HS_REQUIRE(gnutls_base64_encode2(&in, &out) == 0, "base64");
    snprintf(buf, cap, "Repr-Digest: sha-256=:%.*s:", (int)out.size, out.data);
    gnutls_free(out.data);
    return buf;
}

/* The row's WARNING, with its errno and A's name, is in the server's log
 * since the scenario began. Flows call it as soon as the fault was met,
 * before any other request that could log the same message. */
static void expect_warning(const struct ctx *c)
{
    const struct scenario *sc = c->sc;
    char msg[128], name[160], err[32];
    snprintf(msg, sizeof(msg), "\"msg\":\"%s\"", sc->msg);
    snprintf(name, sizeof(name), "\"name\":\"%s\"", c->a_name);
    snprintf(err, sizeof(err), "\"errno\":%d", sc->err);
    const char *warning[] = {"\"level\":\"warning\"", msg, err,
                             sc->named ? name : NULL, NULL};
    HS_CHECK(log_lines(c, warning) >= 1,
             "%s: no WARNING %s with %s %s in the server's log", sc->id, msg,
             err, sc->named ? name : "");
}

/* ---- the flows -------------------------------------------------------- */

/* Each flow: A meets its fault with the rules set, the rules go, A
 * resumes and completes. They check the client's side; run_scenario
 * checks the log and what was stored. */

static void flow_create(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    uint64_t ack = 0;
    set_rules(c, sc->rules);
    long st = send_a(c, 0, A_FIRST, "?0", NULL, &ack, sc->text);
    HS_CHECK(st == sc->status && ack == UINT64_MAX,
             "%s: PUT: %ld (want %ld), Upload-Offset %" PRIu64, sc->id, st,
             sc->status, ack);
    expect_warning(c);
    st = hs_v1_head(&c->srv, false, c->a_name, NULL, NULL, NULL, 0);
    HS_CHECK(st == 404, "%s: HEAD after the failed PUT: %ld, want 404", sc->id,
             st);
    clear_rules(c);
    open_a(c, i, NULL);
    complete_a(c, A_FIRST, NULL);
}

static void flow_append(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    uint64_t ack = 0;
    open_a(c, i, NULL);
    set_rules(c, sc->rules);
    hs_sleep_ms(5); /* a new millisecond: the append writes an index record */
    long st = send_a(c, A_FIRST, A_STEP, "?0", NULL, &ack, sc->text);
    /* The PATCH's body reaches the server in pieces; those before the
     * first one that needs the failing call are stored (an index record
     * is only written for a piece that starts a line). */
    HS_CHECK(st == sc->status && ack >= A_FIRST && ack < A_FIRST + A_STEP,
             "%s: PATCH: %ld (want %ld), Upload-Offset %" PRIu64
             " (want %u up to the refused piece)",
             sc->id, st, sc->status, ack, A_FIRST);
    expect_warning(c);
    clear_rules(c);
    check_kept(c, ack, "interrupted");
    complete_a(c, ack, NULL);
}

static void flow_sync(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    uint64_t ack = 0;
    char state[32];
    open_a(c, i, NULL);
    set_rules(c, sc->rules);
    long st = send_a(c, A_FIRST, A_STEP, "?0", NULL, &ack, sc->text);
    HS_CHECK(st == sc->status && ack == A_FIRST,
             "%s: PATCH: %ld (want %ld), Upload-Offset %" PRIu64
             " (want the durable %u)",
             sc->id, st, sc->status, ack, A_FIRST);
    expect_warning(c); /* before HEAD, which logs it too */
    uint64_t head = head_a(c, state, sizeof(state));
    HS_CHECK(head == A_FIRST, "%s: HEAD while fsync fails: %" PRIu64, sc->id,
             head);
    clear_rules(c);
    /* The bytes received are made durable by HEAD now. */
    check_kept(c, A_FIRST + A_STEP, "interrupted");
    complete_a(c, A_FIRST + A_STEP, NULL);
}

static void flow_complete(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    uint64_t ack = 0;
    open_a(c, i, NULL);
    set_rules(c, sc->rules);
    long st = send_a(c, A_FIRST, A_TOTAL - A_FIRST, NULL, NULL, &ack, sc->text);
    HS_CHECK(st == sc->status && ack == A_TOTAL,
             "%s: completing PATCH: %ld (want %ld), Upload-Offset %" PRIu64,
             sc->id, st, sc->status, ack);
    expect_warning(c);
    pump_until(c, &c->a_follower->got, A_TOTAL);
    pump(c, 100);
    HS_CHECK(!c->a_follower->done && c->a_follower->got == A_TOTAL,
             "%s: A's follower ended (%d) or lacks bytes (%" PRIu64
             ") although A is not complete",
             sc->id, c->a_follower->done, c->a_follower->got);
    clear_rules(c);
    check_kept(c, A_TOTAL, "interrupted");
    complete_a(c, A_TOTAL, NULL); /* an empty PATCH completes it */
}

static void flow_wire(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    const char *mask[] = {"Livelog-Mask: " SECRET, NULL};
    uint64_t ack = 0;
    char state[32];
    open_a(c, i, mask);
    set_rules(c, sc->rules);
    long st = send_a(c, A_FIRST, A_STEP, "?0", NULL, &ack, sc->text);
    HS_CHECK(st == sc->status && ack == A_FIRST + A_STEP,
             "%s: PATCH: %ld (want %ld), Upload-Offset %" PRIu64, sc->id, st,
             sc->status, ack);
    expect_warning(c);
    clear_rules(c);
    uint64_t head = head_a(c, state, sizeof(state));
    HS_CHECK(head == ack && strcmp(state, "interrupted") == 0,
             "%s: HEAD %" PRIu64 " (%s), acknowledged %" PRIu64, sc->id, head,
             state, ack);
    complete_a(c, A_FIRST + A_STEP, NULL);
}

/* Pumps until A's follower has made `requests` requests and is waiting
 * to ask again (its last answer has ended). True when it did. */
static bool follower_between(struct ctx *c, int requests)
{
    struct hs_follower *f = c->a_follower;
    int64_t end = hs_now_ms() + WAIT_MS;
    while ((f->requests < requests || f->easy != NULL) && hs_now_ms() < end)
        pump(c, 2);
    return f->requests >= requests && f->easy == NULL;
}

static void flow_follow(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    struct hs_follower *f = NULL;
    uint64_t ack = 0;
    open_a(c, i, NULL);
    f = c->a_follower;
    int before = f->requests;
    set_rules(c, sc->rules);
    long st = send_a(c, A_FIRST, A_STEP, "?0", NULL, &ack, NULL);
    HS_CHECK(st == 204 && ack == A_FIRST + A_STEP,
             "%s: a PATCH while reads fail: %ld, %" PRIu64, sc->id, st, ack);
    /* Woken for the new bytes, the follower's answer (200, every byte
     * before them) ends short. */
    HS_CHECK(follower_between(c, before) && f->last_status == 200 &&
                 f->last_result != CURLE_OK && f->got == A_FIRST,
             "%s: A's follower should be cut after %u bytes: status %ld, "
             "curl %d, %" PRIu64 " bytes",
             sc->id, A_FIRST, f->last_status, (int)f->last_result, f->got);
    /* It asks again (Range) while reads still fail: cut again. */
    HS_CHECK(follower_between(c, before + 1) && f->last_result != CURLE_OK &&
                 f->got == A_FIRST && f->mismatch_at == UINT64_MAX &&
                 !f->done && !f->failed,
             "%s: A's follower's retry: %d requests, curl %d, %" PRIu64
             " bytes, done %d, failed %d",
             sc->id, f->requests, (int)f->last_result, f->got, f->done,
             f->failed);
    expect_warning(c);
    clear_rules(c);
    HS_CHECK(pump_until(c, &f->got, A_FIRST + A_STEP),
             "%s: the follower did not resume: %" PRIu64, sc->id, f->got);
    complete_a(c, A_FIRST + A_STEP, NULL);
}

static void flow_digest(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    char h[128];
    const char *extra[] = {digest_header(c, h, sizeof(h)), NULL};
    uint64_t ack = 0;
    open_a(c, i, NULL);
    set_rules(c, sc->rules);
    long st =
        send_a(c, A_FIRST, A_TOTAL - A_FIRST, NULL, extra, &ack, sc->text);
    HS_CHECK(st == sc->status && ack == A_TOTAL,
             "%s: completing PATCH: %ld (want %ld), Upload-Offset %" PRIu64,
             sc->id, st, sc->status, ack);
    expect_warning(c);
    clear_rules(c);
    check_kept(c, A_TOTAL, "interrupted");
    complete_a(c, A_TOTAL, extra);
}

/* Where the last `n` lines of hs_gen(seed)[0, len) start (a last line
 * without its newline counts), as the server's ?tail=n computes it. */
static uint64_t tail_start(uint64_t seed, uint64_t len, uint64_t n)
{
    unsigned char *buf = malloc((size_t)len);
    HS_REQUIRE(buf != NULL, "malloc");
    hs_gen(seed, 0, buf, (size_t)len);
    uint64_t found = 0, start = 0;
    for (uint64_t i = len; i > 0 && found < n; i--) {
        if (buf[i - 1] == '\n' && i != len && ++found == n)
            start = i;
    }
    free(buf);
    return start;
}

/* GET ?tail=n&follow=0 of stream `name` (hs_gen(seed), len bytes):
 * 206 and exactly the last n lines. */
static void check_tail(const struct hs_server *s, const char *name,
                       uint64_t seed, uint64_t len, const char *what)
{
    char path[300];
    struct hs_resp r;
    snprintf(path, sizeof(path), "/v1/logs/%s?tail=%d&follow=0", name,
             TAIL_LINES);
    hs_request(s, true, "GET", path, NULL, NULL, 0, WAIT_MS, &r);
    uint64_t start = tail_start(seed, len, TAIL_LINES);
    unsigned char *want = malloc((size_t)(len - start) + 1);
    HS_REQUIRE(want != NULL, "malloc");
    hs_gen(seed, start, want, (size_t)(len - start));
    HS_CHECK(r.status == 206 && r.len == len - start &&
                 memcmp(r.body, want, r.len) == 0,
             "%s: ?tail=%d of %s: %ld, %zu bytes; want 206, %" PRIu64
             " bytes from %" PRIu64,
             what, TAIL_LINES, name, r.status, r.len, len - start, start);
    free(want);
    hs_resp_free(&r);
}

static void flow_tail(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    char path[300];
    struct hs_resp r;
    open_a(c, i, NULL);
    set_rules(c, sc->rules);
    snprintf(path, sizeof(path), "/v1/logs/%s?tail=%d&follow=0", c->a_name,
             TAIL_LINES);
    hs_request(&c->srv, true, "GET", path, NULL, NULL, 0, WAIT_MS, &r);
    HS_CHECK(r.status == sc->status && r.body != NULL &&
                 strstr((char *)r.body, sc->text) != NULL,
             "%s: ?tail=%d while the index cannot be read: %ld \"%s\"", sc->id,
             TAIL_LINES, r.status, r.body != NULL ? (char *)r.body : "");
    hs_resp_free(&r);
    expect_warning(c);
    clear_rules(c);
    check_tail(&c->srv, c->a_name, c->a_seed, A_FIRST, sc->id);
    complete_a(c, A_FIRST, NULL);
}

static void flow_open_get(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    uint64_t ack = 0;
    open_a(c, i, NULL);
    /* With the follower attached, this append leaves A's descriptor
     * open (the follower's reference keeps the janitor from closing it). */
    long st = send_a(c, A_FIRST, A_STEP, "?0", NULL, &ack, NULL);
    HS_REQUIRE(st == 204, "%s: PATCH: %ld", sc->id, st);
    set_rules(c, sc->rules);
    /* No new descriptor for sendfile: the bytes still come, through the
     * stream's own descriptor. */
    hs_v1_expect_content(&c->srv, c->a_name, NULL, c->a_seed, ack, sc->id);
    expect_warning(c);
    clear_rules(c);
    complete_a(c, ack, NULL);
}

static void flow_retry(struct ctx *c, size_t i)
{
    const struct scenario *sc = c->sc;
    open_a(c, i, NULL);
    set_rules(c, sc->rules);
    hs_sleep_ms(5); /* a new millisecond: an index record is written */
    complete_a(c, A_FIRST, NULL);
    clear_rules(c);
}

/* ---- one scenario ----------------------------------------------------- */

static void run_flow(struct ctx *c, size_t i)
{
    switch (c->sc->flow) {
    case FLOW_CREATE:
        flow_create(c, i);
        break;
    case FLOW_APPEND:
        flow_append(c, i);
        break;
    case FLOW_SYNC:
        flow_sync(c, i);
        break;
    case FLOW_COMPLETE:
        flow_complete(c, i);
        break;
    case FLOW_WIRE:
        flow_wire(c, i);
        break;
    case FLOW_FOLLOW:
        flow_follow(c, i);
        break;
    case FLOW_DIGEST:
        flow_digest(c, i);
        break;
    case FLOW_TAIL:
        flow_tail(c, i);
        break;
    case FLOW_OPEN_GET:
        flow_open_get(c, i);
        break;
    case FLOW_RETRY:
        flow_retry(c, i);
        break;
    }
}

/* Without a WARNING in the row, none at all in the server's log; never
 * an ERROR; and the fault log shows the call failed on A's file. */
static void check_logs(struct ctx *c)
{
    const struct scenario *sc = c->sc;
    const char *any_warning[] = {"\"level\":\"warning\"", NULL};
    if (sc->msg == NULL)
        HS_CHECK(log_lines(c, any_warning) == 0,
                 "%s: a WARNING although every call succeeded in the end",
                 sc->id);
    const char *not_error[] = {"\"level\":\"error\"", NULL};
    HS_CHECK(log_lines(c, not_error) == 0, "%s: an ERROR in the server's log",
             sc->id);
    char *faults = read_from(c->faults_path, c->faults_mark);
    const char *fired[] = {sc->fired, c->a_dir, NULL};
    HS_CHECK(count_lines(faults, fired) >= 1,
             "%s: the fault log has no \"%s\" on A's files:\n%s", sc->id,
             sc->fired, faults);
    const char *bad[] = {"bad rule", NULL};
    HS_CHECK(count_lines(faults, bad) == 0, "%s: a bad rule:\n%s", sc->id,
             faults);
    free(faults);
}

/* A in the end: complete, every byte exact, its follower ended cleanly. */
static void check_a_final(struct ctx *c)
{
    char state[32];
    uint64_t head = head_a(c, state, sizeof(state));
    HS_CHECK(head == A_TOTAL && strcmp(state, "complete") == 0,
             "%s: in the end HEAD says %" PRIu64 " (%s)", c->sc->id, head,
             state);
    hs_v1_expect_content(&c->srv, c->a_name, NULL, c->a_seed, A_TOTAL,
                         c->sc->id);
    struct hs_follower *f = c->a_follower;
    int64_t end = hs_now_ms() + WAIT_MS;
    while (f != NULL && !f->done && !f->failed && hs_now_ms() < end)
        pump(c, 10);
    HS_CHECK(f != NULL && f->done && f->mismatch_at == UINT64_MAX,
             "%s: A's follower: done %d, %" PRIu64
             " bytes, mismatch at %" PRIu64,
             c->sc->id, f != NULL && f->done, f != NULL ? f->got : 0,
             f != NULL ? f->mismatch_at : 0);
}

static void run_scenario(struct ctx *c, size_t i)
{
    name_a(c, i);
    hs_log("scenario %s: %s", c->sc->id, c->sc->rules);
    c->log_mark = file_size(c->srv.log_path);
    c->faults_mark = file_size(c->faults_path);
    c->a_follower = NULL;
    feed_b(c, B_STEP / 2); /* B writes while A meets its fault */
    run_flow(c, i);
    clear_rules(c);
    check_logs(c);
    check_a_final(c);
    check_b_undisturbed(c, c->sc->id);
    hs_follower_cleanup(c->multi, c->a_follower);
    c->a_follower = NULL;
}

/* ---- the server ------------------------------------------------------- */

static void start_server(struct ctx *c, const char *data_dir)
{
    static char rules_env[760], faults_env[760];
    snprintf(rules_env, sizeof(rules_env), "LIVELOG_FAULT_RULES=%s",
             c->rules_path);
    snprintf(faults_env, sizeof(faults_env), "LIVELOG_FAULT_LOG=%s",
             c->faults_path);
    const char *env[] = {rules_env, faults_env, NULL};
    const char *args[] = {"--fsync", "always", NULL};
    struct hs_serve_opts o = {.data_dir = data_dir, .env = env, .args = args};
    hs_serve_start(&c->srv, &o);
}

/* After a restart: every stream complete and exact, ?tail right. */
static void check_after_restart(struct ctx *c)
{
    char state[32];
    for (size_t i = 0; i < NSCEN; i++) {
        name_a(c, i);
        uint64_t head = head_a(c, state, sizeof(state));
        HS_CHECK(head == A_TOTAL && strcmp(state, "complete") == 0,
                 "%s after the restart: %" PRIu64 " (%s)", c->sc->id, head,
                 state);
        hs_v1_expect_content(&c->srv, c->a_name, NULL, c->a_seed, A_TOTAL,
                             c->sc->id);
        check_tail(&c->srv, c->a_name, c->a_seed, A_TOTAL, c->sc->id);
    }
    hs_v1_expect_content(&c->srv, NAME_B, NULL, SEED_B, c->b_fed,
                         "B after the restart");
    check_tail(&c->srv, NAME_B, SEED_B, c->b_fed, "B after the restart");
}

int main(int argc, char **argv)
{
    static struct ctx c;
    char data_dir[700];

    hs_init(argc, argv, "serve_faults");
    snprintf(c.rules_path, sizeof(c.rules_path), "%s/fault.rules",
             hs_scratch());
    snprintf(c.faults_path, sizeof(c.faults_path), "%s/faults.log",
             hs_scratch());
    c.multi = curl_multi_init();
    HS_REQUIRE(c.multi != NULL, "curl_multi_init");
    start_server(&c, NULL);
    snprintf(data_dir, sizeof(data_dir), "%s", c.srv.data_dir);
    start_b(&c);
    for (size_t i = 0; i < NSCEN; i++)
        run_scenario(&c, i);
    finish_b(&c);
    hs_follower_cleanup(c.multi, &c.b_follower);
    hs_stop_and_check(&c.srv, NULL);

    start_server(&c, data_dir);
    check_after_restart(&c);
    hs_stop_and_check(&c.srv, NULL);
    curl_multi_cleanup(c.multi);
    return hs_finish();
}
