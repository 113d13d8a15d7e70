/*
 * livelog-loadgen: load generator for the livelog benchmarks (bench/run-all).
 *
 * Subcommands (one JSON line per scenario on stdout, a human summary on
 * stderr; exit status 0 only when the scenario ran and lost nothing):
 *   ingest   one PUT /log of --bytes bytes (chunked) as fast as possible.
 *   fanout   one writer PUTs fixed-size lines at --rate bytes/s for
 *            --duration s while --readers GET /log/TOKEN follow it (plus
 *            --slow-readers throttled to --slow-rate); every line carries a
 *            sequence number, a CLOCK_MONOTONIC timestamp and a padding
 *            pattern derived from the sequence number, so readers verify
 *            content and order and measure write-to-read latency.
 *   idle     --readers followers on a quiet stream for --duration s; reports
 *            the server's CPU% and RSS over that window.
 *   multi    `livelog serve`: --streams writers, each PUTting its own stream
 *            /v1/logs/PREFIX<i> (fanout's lines at --rate bytes/s each for
 *            --duration s, all paced by one epoll thread, deadlines spread
 *            over --tick-ms) and one follower per stream, checked as in
 *            fanout; reports aggregate ingest MB/s, loss and latency.
 *   puts     `livelog serve`: --streams small PUTs of --bytes each over
 *            --concurrency keep-alive connections; the last --live of them
 *            stay open mid-body (live) for --hold s once HEAD shows their
 *            bytes committed (data directories for recovery tests).
 *   waithealth  read the read port from a server log (--log), poll
 *            /healthz and report the ms since --since (epoch seconds).
 *   genfile  write the exact bytes `ingest` sends to a file (for nginx).
 *   freeport print a free TCP port on 127.0.0.1.
 * --name NAME points ingest and fanout at the serve stream /v1/logs/NAME
 * instead of the drop-in's /log and /log/TOKEN; --target PATH sends
 * ingest's PUT to any request target (nginx WebDAV, the peer).
 * With --server-pid the server's CPU (utime+stime) and memory (VmRSS,
 * VmHWM, Pss) are read from /proc and reported; --server-pgid sums them
 * over every process of a process group instead (a peer that forks a
 * process per follower), CPU including reaped children.
 * Peers of fanout (bench/run-all, the peers group): --tls makes the
 * readers speak HTTPS (GnuTLS, no certificate check: the bench's own
 * self-signed certificate); --raw makes them expect no HTTP response at
 * all, only the log's bytes until the writer's total has arrived (a
 * `tail -f` behind socat); --write-file PATH makes the writer append its
 * lines to a file instead of PUTting them (what `tail -f` follows).
 *
 * Design: raw non-blocking sockets, one epoll loop per reader thread and
 * hand-written HTTP/1.1 (chunked and Content-Length bodies). A reader costs
 * a few hundred bytes plus one line buffer, so 10,000 followers fit easily;
 * the writer is a separate thread with a blocking socket paced on absolute
 * CLOCK_MONOTONIC deadlines so reader work never delays it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 65536
#define HDR_MAX 8192
#define RECV_BUF (1024 * 1024)
#define HIST_SUB 64
#define HIST_BUCKETS (128 + 48 * HIST_SUB)

/* ------------------------------------------------------------------ */
/* options                                                             */

struct opts {
    const char *cmd;
    const char *host;
    const char *token;
    const char *label;
    const char *path;
    int write_port;
    int read_port;
    long server_pid;
    uint64_t bytes;
    uint64_t rate;
    double duration;
    int readers;
    int slow_readers;
    uint64_t slow_rate;
    double slow_for;
    size_t line;
    int threads;
    double drain_timeout;
    double tick_ms;
    size_t chunk;
    int max_pending;
    const char *name;   /* serve: one stream /v1/logs/NAME (ingest, fanout) */
    const char *prefix; /* serve: stream i is /v1/logs/PREFIX<i> (multi) */
    int streams;
    int first;
    int live;
    int concurrency;
    double hold;
    const char *logfile;
    double since;
    double timeout;
    const char *target;     /* ingest: explicit request target */
    long server_pgid;       /* sum /proc figures over a process group */
    bool tls;               /* readers speak HTTPS */
    bool raw;               /* readers get bare bytes, no HTTP response */
    const char *write_file; /* fanout: the writer appends to this file */
};

static struct opts O = {
    .host = "127.0.0.1",
    .token = "token",
    .label = NULL,
    .bytes = 1ULL << 30,
    .rate = 1000000,
    .duration = 5.0,
    .readers = 1,
    .slow_rate = 1000000,
    .slow_for = -1.0,
    .line = 512,
    .threads = 1,
    .drain_timeout = 30.0,
    .tick_ms = 1.0,
    .chunk = 1024 * 1024,
    .max_pending = 256,
    .streams = 1,
    .concurrency = 8,
    .hold = 60.0,
    .timeout = 30.0,
};

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void fail(const char *msg)
{
    fprintf(stderr, "loadgen: %s\n", msg);
    exit(2);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_until_ns(uint64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ULL),
                          .tv_nsec = (long)(t % 1000000000ULL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
           EINTR) {
    }
}

static uint64_t parse_u64(const char *s, const char *name)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s) {
        fprintf(stderr, "loadgen: bad number for %s: %s\n", name, s);
        exit(2);
    }
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ULL * 1024 * 1024;
    else if (*end != '\0') {
        fprintf(stderr, "loadgen: bad number for %s: %s\n", name, s);
        exit(2);
    }
    return (uint64_t)v * mult;
}

static double parse_double(const char *s, const char *name)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        fprintf(stderr, "loadgen: bad number for %s: %s\n", name, s);
        exit(2);
    }
    return v;
}

static int parse_int(const char *s, const char *name)
{
    uint64_t v = parse_u64(s, name);
    if (v > 1000000)
        fail("number out of range");
    return (int)v;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: livelog-loadgen CMD [options]\n"
            "  CMD: ingest | fanout | idle | multi | puts | waithealth |\n"
            "       genfile PATH | freeport\n"
            "  --host H --write-port P --read-port P --token T\n"
            "  --server-pid PID   read server CPU/RSS from /proc\n"
            "  --label NAME       scenario name in the JSON line\n"
            "  --bytes N[K|M|G]   ingest/genfile size (1G)\n"
            "  --rate N[K|M|G]    writer bytes per second (fanout)\n"
            "  --duration S       writing (fanout) or idle window (5)\n"
            "  --readers R        following readers (1)\n"
            "  --slow-readers S --slow-rate N --slow-for S\n"
            "  --line N           line size in bytes, >= 40 (512)\n"
            "  --threads N        reader threads (1)\n"
            "  --drain-timeout S  wait for readers after the writer (30)\n"
            "  --tick-ms MS       writer pacing tick (1)\n"
            "  --chunk N          ingest chunk size (1M)\n"
            "  --name NAME        livelog serve: ingest/fanout use the one\n"
            "                     stream /v1/logs/NAME instead of /log\n"
            "  --prefix P         multi/puts: stream i is /v1/logs/P<i>\n"
            "  --streams N        multi/puts: number of streams (1)\n"
            "  --first I          puts: names start at P<I> (0)\n"
            "  --live K           puts: the last K streams stay open\n"
            "                     mid-body (live) until --hold S ends\n"
            "  --concurrency C    puts: parallel connections (8)\n"
            "  --log FILE --since EPOCH --timeout S\n"
            "                     waithealth: read port from FILE's\n"
            "                     listening line, poll /healthz, report ms\n"
            "                     since EPOCH (s.us, e.g. $EPOCHREALTIME)\n"
            "  --target PATH      ingest: PUT to PATH (e.g. nginx WebDAV)\n"
            "  --server-pgid PG   sum CPU/RSS/Pss over process group PG\n"
            "  --tls 1            fanout: readers speak HTTPS (no cert check)\n"
            "  --raw 1            fanout: readers get the bare log bytes\n"
            "                     (no HTTP response), done at the total\n"
            "  --write-file PATH  fanout: append the lines to PATH instead\n"
            "                     of a PUT (the tail -f peer)\n");
    exit(2);
}

static void parse_args(int argc, char **argv)
{
    if (argc < 2)
        usage();
    O.cmd = argv[1];
    int i = 2;
    if (strcmp(O.cmd, "genfile") == 0) {
        if (argc < 3)
            usage();
        O.path = argv[2];
        i = 3;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (strcmp(a, "--host") == 0)
            O.host = v;
        else if (strcmp(a, "--token") == 0)
            O.token = v;
        else if (strcmp(a, "--label") == 0)
            O.label = v;
        else if (strcmp(a, "--write-port") == 0)
            O.write_port = parse_int(v, a);
        else if (strcmp(a, "--read-port") == 0)
            O.read_port = parse_int(v, a);
        else if (strcmp(a, "--server-pid") == 0)
            O.server_pid = (long)parse_u64(v, a);
        else if (strcmp(a, "--bytes") == 0)
            O.bytes = parse_u64(v, a);
        else if (strcmp(a, "--rate") == 0)
            O.rate = parse_u64(v, a);
        else if (strcmp(a, "--duration") == 0)
            O.duration = parse_double(v, a);
        else if (strcmp(a, "--readers") == 0)
            O.readers = parse_int(v, a);
        else if (strcmp(a, "--slow-readers") == 0)
            O.slow_readers = parse_int(v, a);
        else if (strcmp(a, "--slow-rate") == 0)
            O.slow_rate = parse_u64(v, a);
        else if (strcmp(a, "--slow-for") == 0)
            O.slow_for = parse_double(v, a);
        else if (strcmp(a, "--line") == 0)
            O.line = (size_t)parse_u64(v, a);
        else if (strcmp(a, "--threads") == 0)
            O.threads = parse_int(v, a);
        else if (strcmp(a, "--drain-timeout") == 0)
            O.drain_timeout = parse_double(v, a);
        else if (strcmp(a, "--tick-ms") == 0)
            O.tick_ms = parse_double(v, a);
        else if (strcmp(a, "--chunk") == 0)
            O.chunk = (size_t)parse_u64(v, a);
        else if (strcmp(a, "--name") == 0)
            O.name = v;
        else if (strcmp(a, "--prefix") == 0)
            O.prefix = v;
        else if (strcmp(a, "--streams") == 0)
            O.streams = parse_int(v, a);
        else if (strcmp(a, "--first") == 0)
            O.first = parse_int(v, a);
        else if (strcmp(a, "--live") == 0)
            O.live = parse_int(v, a);
        else if (strcmp(a, "--concurrency") == 0)
            O.concurrency = parse_int(v, a);
        else if (strcmp(a, "--hold") == 0)
            O.hold = parse_double(v, a);
        else if (strcmp(a, "--log") == 0)
            O.logfile = v;
        else if (strcmp(a, "--since") == 0)
            O.since = parse_double(v, a);
        else if (strcmp(a, "--timeout") == 0)
            O.timeout = parse_double(v, a);
        else if (strcmp(a, "--target") == 0)
            O.target = v;
        else if (strcmp(a, "--server-pgid") == 0)
            O.server_pgid = (long)parse_u64(v, a);
        else if (strcmp(a, "--tls") == 0)
            O.tls = parse_int(v, a) != 0;
        else if (strcmp(a, "--raw") == 0)
            O.raw = parse_int(v, a) != 0;
        else if (strcmp(a, "--write-file") == 0)
            O.write_file = v;
        else
            usage();
    }
    if (O.line < 40 || O.line > MAX_LINE)
        fail("--line must be between 40 and 65536");
    if (O.threads < 1 || O.threads > 64)
        fail("--threads must be between 1 and 64");
    if (O.chunk < 4096 || O.chunk > 64 * 1024 * 1024)
        fail("--chunk must be between 4K and 64M");
    if (O.tick_ms < 0.1)
        fail("--tick-ms must be >= 0.1");
    if (O.slow_for < 0)
        O.slow_for = O.duration;
    if (O.streams < 1)
        fail("--streams must be >= 1");
    if (O.live > O.streams)
        fail("--live must be <= --streams");
    if (O.concurrency < 1 || O.concurrency > 256)
        fail("--concurrency must be between 1 and 256");
    if (O.tls && O.slow_readers > 0)
        fail("--tls does not combine with --slow-readers");
    if (O.label == NULL)
        O.label = O.cmd;
}

/* ------------------------------------------------------------------ */
/* server process figures from /proc                                   */

struct proc_sample {
    bool ok;
    double cpu_s; /* utime + stime (+ reaped children with a pgid) */
    long rss_kb;  /* VmRSS */
    long hwm_kb;  /* VmHWM (peak RSS) */
    long pss_kb;  /* Pss of smaps_rollup (shared pages split) */
    long threads; /* Threads */
    long procs;   /* processes summed */
};

static bool read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0;
}

static long status_field(const char *status, const char *key)
{
    const char *p = strstr(status, key);
    if (p == NULL)
        return -1;
    p += strlen(key);
    while (*p == ' ' || *p == '\t')
        p++;
    return strtol(p, NULL, 10);
}

/* Adds process PID's figures to S; with WANT_PGID >= 0 only when the
 * process belongs to that process group (then reaped children's CPU
 * counts too: a forking peer's exited followers). */
static bool proc_add(struct proc_sample *s, long pid, long want_pgid)
{
    char path[64];
    char buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!read_file(path, buf, sizeof buf))
        return false;
    const char *p = strrchr(buf, ')');
    if (p == NULL)
        return false;
    p += 2; /* field 3: state */
    /* field 5 (pgrp), 14-17 (utime, stime, cutime, cstime) */
    unsigned long long f[18] = {0};
    for (int field = 3; field <= 17 && p != NULL; field++) {
        if (field >= 4)
            f[field] = strtoull(p, NULL, 10);
        p = strchr(p, ' ');
        if (p != NULL)
            p++;
    }
    if (want_pgid >= 0 && (long)f[5] != want_pgid)
        return false;
    unsigned long long ticks = f[14] + f[15];
    if (want_pgid >= 0)
        ticks += f[16] + f[17];
    long hz = sysconf(_SC_CLK_TCK);
    s->cpu_s += (double)ticks / (double)(hz > 0 ? hz : 100);
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    if (read_file(path, buf, sizeof buf)) {
        long v = status_field(buf, "VmRSS:");
        s->rss_kb += v > 0 ? v : 0;
        v = status_field(buf, "VmHWM:");
        s->hwm_kb += v > 0 ? v : 0;
        v = status_field(buf, "Threads:");
        s->threads += v > 0 ? v : 0;
    }
    snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pid);
    if (read_file(path, buf, sizeof buf)) {
        long v = status_field(buf, "Pss:");
        s->pss_kb += v > 0 ? v : 0;
    }
    s->procs++;
    return true;
}

static struct proc_sample proc_sample(void)
{
    struct proc_sample s = {.ok = false, .rss_kb = -1, .hwm_kb = -1};
    if (O.server_pid <= 0 && O.server_pgid <= 0)
        return s;
    struct proc_sample t = {.ok = true};
    if (O.server_pgid <= 0) {
        if (!proc_add(&t, O.server_pid, -1))
            return s;
        return t;
    }
    DIR *d = opendir("/proc");
    if (d == NULL)
        return s;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        proc_add(&t, strtol(e->d_name, NULL, 10), O.server_pgid);
    }
    closedir(d);
    return t.procs > 0 ? t : s;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------------ */
/* sockets                                                             */

static struct sockaddr_in server_addr(int port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, O.host, &sa.sin_addr) != 1)
        fail("--host must be an IPv4 address");
    return sa;
}

static int connect_blocking(int port, double timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {
        .tv_sec = (time_t)timeout_s,
        .tv_usec =
            (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = server_addr(port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect");
    return fd;
}

static bool send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool writev_all(int fd, struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t n = writev(fd, iov, cnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        size_t left = (size_t)n;
        while (cnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return true;
}

/* Reads a response head; returns the status code or -1. */
static int read_status(int fd)
{
    char buf[HDR_MAX];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL)
            break;
    }
    buf[len] = '\0';
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
        return -1;
    return (int)strtol(buf + 9, NULL, 10);
}

/* Request target of a PUT (write) or GET (read). --target wins; STREAM >= 0
 * with --prefix names /v1/logs/PREFIX<STREAM>; otherwise --name names
 * /v1/logs/NAME; the drop-in paths (/log, /log/TOKEN) are the default. */
static void req_path(char *buf, size_t cap, bool write, long stream)
{
    if (O.target != NULL)
        snprintf(buf, cap, "%s", O.target);
    else if (O.prefix != NULL && stream >= 0)
        snprintf(buf, cap, "/v1/logs/%s%ld", O.prefix, stream);
    else if (O.name != NULL)
        snprintf(buf, cap, "/v1/logs/%s", O.name);
    else if (write)
        snprintf(buf, cap, "/log");
    else
        snprintf(buf, cap, "/log/%s", O.token);
}

/* Head of a chunked PUT; returns its length. */
static size_t put_head(char *buf, size_t cap, long stream)
{
    char path[1200];
    req_path(path, sizeof path, true, stream);
    int n = snprintf(buf, cap,
                     "PUT %s HTTP/1.1\r\nHost: %s:%d\r\n"
                     "Transfer-Encoding: chunked\r\n"
                     "Content-Type: text/plain\r\n\r\n",
                     path, O.host, O.write_port);
    if (n < 0 || (size_t)n >= cap)
        fail("request head too long");
    return (size_t)n;
}

/* Head of a following GET; returns its length. */
static size_t get_head(char *buf, size_t cap, long stream)
{
    char path[1200];
    req_path(path, sizeof path, false, stream);
    int n = snprintf(buf, cap,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
                     "User-Agent: livelog-loadgen\r\n\r\n",
                     path, O.host, O.read_port);
    if (n < 0 || (size_t)n >= cap)
        fail("request head too long");
    return (size_t)n;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ------------------------------------------------------------------ */
/* line format: "SSSSSSSSSSSSSSSS TTTTTTTTTTTTTTTT pppp...p\n"          */
/* S = sequence number (hex), T = CLOCK_MONOTONIC ns (hex), p = padding */
/* pattern[(seq + i) % 26]; the line is exactly O.line bytes.           */

#define LINE_HDR 34

static char PATTERN[MAX_LINE + 32];

static void init_pattern(void)
{
    for (size_t i = 0; i < sizeof PATTERN; i++)
        PATTERN[i] = (char)('a' + (int)(i % 26));
}

static void put_hex16(char *p, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        p[i] = hex[v & 15];
        v >>= 4;
    }
}

static bool get_hex16(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        unsigned c = (unsigned char)p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return false;
        v = (v << 4) | d;
    }
    *out = v;
    return true;
}

static void make_line(char *p, uint64_t seq, uint64_t ts)
{
    size_t L = O.line;
    put_hex16(p, seq);
    p[16] = ' ';
    put_hex16(p + 17, ts);
    p[33] = ' ';
    memcpy(p + LINE_HDR, PATTERN + seq % 26, L - LINE_HDR - 1);
    p[L - 1] = '\n';
}

/* ------------------------------------------------------------------ */
/* latency histogram (microseconds, ~1.6% resolution)                  */

struct hist {
    uint64_t n[HIST_BUCKETS];
    uint64_t count;
    uint64_t max_ns;
};

static size_t hist_index(uint64_t us)
{
    if (us < 128)
        return (size_t)us;
    int e = 63 - __builtin_clzll(us);
    if (e > 7 + 47)
        return HIST_BUCKETS - 1;
    size_t sub = (size_t)((us >> (e - 6)) - HIST_SUB);
    return 128 + (size_t)(e - 7) * HIST_SUB + sub;
}

/* upper bound (us) of a bucket */
static double hist_value(size_t idx)
{
    if (idx < 128)
        return (double)idx + 1.0;
    size_t e = (idx - 128) / HIST_SUB + 7;
    size_t sub = (idx - 128) % HIST_SUB + HIST_SUB;
    return (double)((uint64_t)(sub + 1) << (e - 6));
}

static void hist_add(struct hist *h, uint64_t ns)
{
    h->n[hist_index(ns / 1000)]++;
    h->count++;
    if (ns > h->max_ns)
        h->max_ns = ns;
}

static double hist_pct(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0.0;
    uint64_t want = (uint64_t)((double)h->count * q);
    if (want >= h->count)
        want = h->count - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen > want)
            return hist_value(i);
    }
    return (double)h->max_ns / 1000.0;
}

/* ------------------------------------------------------------------ */
/* shared run state                                                    */

static atomic_int g_headers;           /* readers that got a response head  */
static atomic_int g_prelude;           /* readers that got line 0           */
static atomic_int g_done;              /* readers finished (any outcome)    */
static atomic_int g_phase;             /* 0 setup, 1 prelude, 2 run, 3 stop */
static atomic_uint_fast64_t g_written; /* body bytes the writer sent   */
static atomic_int g_writer_done;
static uint64_t g_go_ns; /* when paced writing started        */

/* --tls: one credentials object for every reader; the first handshake's
 * protocol and cipher are reported */
#define TLS_PRIORITY "NORMAL:-CIPHER-ALL:+AES-128-GCM"
static gnutls_certificate_credentials_t g_xcred;
static pthread_mutex_t g_tls_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_tls_desc[96];
static atomic_uint_fast64_t g_tls_errors;

/* ------------------------------------------------------------------ */
/* writer                                                              */

struct writer_result {
    bool ok;
    int status;
    uint64_t bytes;
    uint64_t lines;
    uint64_t max_lag_ns;
    double secs;
    char err[128];
};

static int wait_phase(int want, double timeout_s)
{
    uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);
    while (atomic_load(&g_phase) < want && now_ns() < end)
        usleep(200);
    return atomic_load(&g_phase);
}

static bool send_chunk(int fd, const char *data, size_t len)
{
    char head[32];
    int hl = snprintf(head, sizeof head, "%zx\r\n", len);
    struct iovec iov[3] = {{head, (size_t)hl},
                           {(void *)(uintptr_t)data, len},
                           {(void *)(uintptr_t) "\r\n", 2}};
    return writev_all(fd, iov, 3);
}

/* --write-file: plain bytes appended to the file */
static bool write_file_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* one batch of lines: a chunk of the PUT, or an append to --write-file */
static bool emit(int fd, const char *data, size_t len)
{
    return O.write_file != NULL ? write_file_all(fd, data, len)
                                : send_chunk(fd, data, len);
}

static void *writer_main(void *arg)
{
    struct writer_result *r = arg;
    size_t L = O.line;
    int fd;
    if (O.write_file != NULL) {
        fd =
            open(O.write_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            die(O.write_file);
    } else {
        fd = connect_blocking(O.write_port, 30.0);
        char req[1400];
        size_t rl = put_head(req, sizeof req, -1);
        if (!send_all(fd, req, rl)) {
            snprintf(r->err, sizeof r->err, "send headers: %s",
                     strerror(errno));
            atomic_store(&g_writer_done, 1);
            close(fd);
            return NULL;
        }
    }
    /* cap one tick's batch; more due lines go out as several chunks */
    size_t cap_lines = (1024 * 1024) / L + 1;
    char *buf = malloc(cap_lines * L);
    if (buf == NULL)
        fail("out of memory");
    uint64_t seq = 0;
    wait_phase(1, 120.0);
    make_line(buf, seq, now_ns());
    seq++;
    bool ok = emit(fd, buf, L);
    r->bytes = L;
    atomic_store(&g_written, r->bytes);
    wait_phase(2, 120.0);
    uint64_t start = g_go_ns;
    uint64_t dur = (uint64_t)(O.duration * 1e9);
    uint64_t tick = (uint64_t)(O.tick_ms * 1e6);
    uint64_t total_lines = (uint64_t)((double)O.rate * O.duration) / L;
    uint64_t paced = 0;
    for (uint64_t k = 1; ok && paced < total_lines; k++) {
        uint64_t t = start + k * tick;
        if (t > start + dur)
            t = start + dur;
        sleep_until_ns(t);
        uint64_t now = now_ns();
        if (now > t && now - t > r->max_lag_ns)
            r->max_lag_ns = now - t;
        double el = (double)(t - start) / 1e9;
        uint64_t due = (uint64_t)((double)O.rate * el) / L;
        if (t >= start + dur || due > total_lines)
            due = total_lines;
        while (ok && paced < due) {
            uint64_t n = due - paced;
            if (n > cap_lines)
                n = cap_lines;
            uint64_t ts = now_ns();
            for (uint64_t i = 0; i < n; i++)
                make_line(buf + i * L, seq + i, ts);
            ok = emit(fd, buf, (size_t)n * L);
            if (ok) {
                seq += n;
                paced += n;
                r->bytes += n * L;
                atomic_store(&g_written, r->bytes);
            }
        }
        if (t >= start + dur && paced >= total_lines)
            break;
    }
    if (ok)
        sleep_until_ns(start + dur); /* idle: a quiet stream until then */
    r->lines = seq;
    if (!ok) {
        snprintf(r->err, sizeof r->err, "send body: %s", strerror(errno));
    } else if (O.write_file != NULL) {
        r->status = 0; /* a file has no answer */
    } else if (!send_all(fd, "0\r\n\r\n", 5)) {
        ok = false;
        snprintf(r->err, sizeof r->err, "send end: %s", strerror(errno));
    } else {
        r->status = read_status(fd);
        ok = r->status >= 200 && r->status < 300;
        if (!ok)
            snprintf(r->err, sizeof r->err, "PUT answered %d", r->status);
    }
    r->secs = (double)(now_ns() - start) / 1e9;
    r->ok = ok;
    free(buf);
    close(fd);
    atomic_store(&g_writer_done, 1);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* readers                                                             */

enum rstate {
    R_IDLE,
    R_CONNECTING,
    R_SENDING,
    R_HEAD,
    R_CHUNK_SIZE,
    R_CHUNK_EXT,
    R_CHUNK_DATA,
    R_CHUNK_CRLF,
    R_TRAILER,
    R_IDENTITY,
    R_RAW, /* --raw: every byte is the log's, no response head */
    R_DONE,
};

struct reader {
    int fd;
    enum rstate st;
    bool slow;       /* throttled right now */
    bool slow_class; /* a slow reader: its latency is not sampled */
    bool paused;
    bool counted_prelude;
    bool complete; /* clean end of body */
    bool chunked;
    int status;
    size_t sent;
    uint64_t remaining; /* chunk or Content-Length bytes left */
    uint64_t received;  /* body bytes */
    uint64_t next_seq;
    uint64_t errors;
    size_t linefill;
    char *linebuf;
    char *head; /* response head while in R_HEAD */
    size_t headlen;
    int trailer_col;          /* chars on the current trailer line */
    double tokens;            /* slow readers: bytes allowed */
    uint64_t throttled_bytes; /* slow readers: received while throttled */
    long stream;              /* multi: the stream it follows, else -1 */
    gnutls_session_t tls;     /* --tls: the session, else NULL */
    bool hs_done;             /* --tls: handshake finished */
};

struct rthread {
    pthread_t tid;
    int idx;
    int nreaders;
    struct reader *r;
    struct hist hist;
    uint64_t lines;
    uint64_t errors;
    uint64_t connect_errors;
    int ndone;
    int npending; /* connecting or waiting for the response head */
    char *rbuf;
};

static void reader_finish(struct rthread *t, struct reader *r, bool clean)
{
    if (r->st == R_DONE)
        return;
    if (r->st == R_SENDING || r->st == R_HEAD)
        t->npending--;
    t->ndone++;
    r->complete = clean;
    r->st = R_DONE;
    if (r->tls != NULL) {
        gnutls_deinit(r->tls);
        r->tls = NULL;
    }
    if (r->fd >= 0)
        close(r->fd); /* also removes it from epoll */
    r->fd = -1;
    free(r->head);
    r->head = NULL;
    free(r->linebuf);
    r->linebuf = NULL;
    t->errors += r->errors;
    atomic_fetch_add(&g_done, 1);
}

static void check_line(struct rthread *t, struct reader *r, const char *p,
                       uint64_t now)
{
    size_t L = O.line;
    uint64_t seq = 0;
    uint64_t ts = 0;
    if (!get_hex16(p, &seq) || p[16] != ' ' || !get_hex16(p + 17, &ts) ||
        p[33] != ' ' || p[L - 1] != '\n' ||
        memcmp(p + LINE_HDR, PATTERN + seq % 26, L - LINE_HDR - 1) != 0) {
        r->errors++;
        r->next_seq++;
        return;
    }
    if (seq != r->next_seq)
        r->errors++;
    r->next_seq = seq + 1;
    t->lines++;
    if (seq == 0) {
        if (!r->counted_prelude) {
            r->counted_prelude = true;
            atomic_fetch_add(&g_prelude, 1);
        }
        return; /* the prelude is sent before the clock starts */
    }
    if (now >= ts && !r->slow_class)
        hist_add(&t->hist, now - ts);
}

static void body_bytes(struct rthread *t, struct reader *r, const char *p,
                       size_t n, uint64_t now)
{
    size_t L = O.line;
    r->received += n;
    if (r->linefill > 0) {
        size_t take = L - r->linefill;
        if (take > n)
            take = n;
        memcpy(r->linebuf + r->linefill, p, take);
        r->linefill += take;
        p += take;
        n -= take;
        if (r->linefill < L)
            return;
        check_line(t, r, r->linebuf, now);
        r->linefill = 0;
    }
    while (n >= L) {
        check_line(t, r, p, now);
        p += L;
        n -= L;
    }
    if (n > 0) {
        memcpy(r->linebuf, p, n);
        r->linefill = n;
    }
}

static bool header_has(const char *head, const char *name, const char *val)
{
    /* case-insensitive search for "\r\nname:" then val in that line */
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p != NULL;
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            const char *e = strstr(v, "\r\n");
            size_t vl = e != NULL ? (size_t)(e - v) : strlen(v);
            if (val == NULL)
                return true;
            for (size_t i = 0; i + strlen(val) <= vl; i++)
                if (strncasecmp(v + i, val, strlen(val)) == 0)
                    return true;
        }
    }
    return false;
}

static uint64_t header_u64(const char *head, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p != NULL;
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':')
            return strtoull(p + 3 + nl, NULL, 10);
    }
    return UINT64_MAX;
}

/* Consumes the response head; returns bytes used or 0 if incomplete. */
static size_t parse_head(struct rthread *t, struct reader *r, const char *p,
                         size_t n)
{
    size_t room = HDR_MAX - 1 - r->headlen;
    size_t take = n < room ? n : room;
    memcpy(r->head + r->headlen, p, take);
    size_t old = r->headlen;
    r->headlen += take;
    r->head[r->headlen] = '\0';
    char *end = strstr(r->head, "\r\n\r\n");
    if (end == NULL) {
        if (r->headlen >= HDR_MAX - 1) {
            r->errors++;
            reader_finish(t, r, false);
        }
        return 0;
    }
    size_t used = (size_t)(end + 4 - r->head) - old;
    end[2] = '\0';
    if (strncmp(r->head, "HTTP/1.", 7) == 0)
        r->status = (int)strtol(r->head + 9, NULL, 10);
    atomic_fetch_add(&g_headers, 1);
    t->npending--;
    r->st = R_IDENTITY; /* no longer pending; set properly below */
    if (r->status != 200 && r->status != 206) {
        fprintf(stderr, "loadgen: reader got status %d\n", r->status);
        r->errors++;
        reader_finish(t, r, false);
        return used;
    }
    if (header_has(r->head, "Transfer-Encoding", "chunked")) {
        r->chunked = true;
        r->st = R_CHUNK_SIZE;
        r->remaining = 0;
    } else {
        r->remaining = header_u64(r->head, "Content-Length");
        r->st = R_IDENTITY;
    }
    free(r->head);
    r->head = NULL;
    if (r->st == R_IDENTITY && r->remaining == 0)
        reader_finish(t, r, true);
    return used;
}

static void feed(struct rthread *t, struct reader *r, const char *p, size_t n,
                 uint64_t now)
{
    while (n > 0 && r->st != R_DONE) {
        switch (r->st) {
        case R_HEAD: {
            size_t used = parse_head(t, r, p, n);
            if (used == 0)
                return;
            p += used;
            n -= used;
            break;
        }
        case R_CHUNK_SIZE: {
            char c = *p++;
            n--;
            int d = -1;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            if (d >= 0) {
                r->remaining = (r->remaining << 4) | (uint64_t)d;
            } else if (c == '\n') {
                if (r->remaining == 0) {
                    r->st = R_TRAILER;
                    r->trailer_col = 0;
                } else {
                    r->st = R_CHUNK_DATA;
                }
            } else {
                r->st = R_CHUNK_EXT; /* ';' extensions or '\r' */
            }
            break;
        }
        case R_CHUNK_EXT: {
            char c = *p++;
            n--;
            if (c == '\n') {
                if (r->remaining == 0) {
                    r->st = R_TRAILER;
                    r->trailer_col = 0;
                } else {
                    r->st = R_CHUNK_DATA;
                }
            }
            break;
        }
        case R_CHUNK_DATA: {
            size_t take = n;
            if (take > r->remaining)
                take = (size_t)r->remaining;
            body_bytes(t, r, p, take, now);
            p += take;
            n -= take;
            r->remaining -= take;
            if (r->remaining == 0)
                r->st = R_CHUNK_CRLF;
            break;
        }
        case R_CHUNK_CRLF: {
            char c = *p++;
            n--;
            if (c == '\n') {
                r->st = R_CHUNK_SIZE;
                r->remaining = 0;
            } else if (c != '\r') {
                r->errors++;
                reader_finish(t, r, false);
            }
            break;
        }
        case R_TRAILER: {
            char c = *p++;
            n--;
            if (c == '\n') {
                if (r->trailer_col == 0) {
                    reader_finish(t, r, true);
                    return;
                }
                r->trailer_col = 0;
            } else if (c != '\r') {
                r->trailer_col++;
            }
            break;
        }
        case R_RAW:
            body_bytes(t, r, p, n, now);
            n = 0;
            if (atomic_load(&g_writer_done) &&
                r->received >= atomic_load(&g_written))
                reader_finish(t, r, true);
            break;
        case R_IDENTITY: {
            size_t take = n;
            if (take > r->remaining)
                take = (size_t)r->remaining;
            body_bytes(t, r, p, take, now);
            p += take;
            n -= take;
            if (r->remaining != UINT64_MAX) {
                r->remaining -= take;
                if (r->remaining == 0)
                    reader_finish(t, r, true);
            }
            break;
        }
        default:
            return;
        }
    }
}

static bool reader_connect(struct rthread *t, int ep, struct reader *r,
                           size_t idx)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        t->connect_errors++;
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (r->slow) {
        int sz = 64 * 1024; /* a small window so the server feels the pace */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    }
    struct sockaddr_in sa = server_addr(O.read_port);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc != 0 && errno != EINPROGRESS) {
        t->connect_errors++;
        close(fd);
        return false;
    }
    r->fd = fd;
    r->st = R_SENDING;
    t->npending++;
    if (O.tls) {
        /* one cipher for every peer, whatever each server prefers */
        if (gnutls_init(&r->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
            gnutls_priority_set_direct(r->tls, TLS_PRIORITY, NULL) < 0 ||
            gnutls_credentials_set(r->tls, GNUTLS_CRD_CERTIFICATE, g_xcred) < 0)
            fail("gnutls session setup");
        gnutls_transport_set_int(r->tls, fd);
    }
    r->head = malloc(HDR_MAX);
    r->linebuf = malloc(O.line);
    if (r->head == NULL || r->linebuf == NULL)
        fail("out of memory");
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = idx};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        die("epoll_ctl");
    return true;
}

static void reader_set(int ep, struct reader *r, size_t idx, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.u64 = idx};
    epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &ev);
}

/* Drives a reader's TLS handshake; true once it is done. */
static bool tls_handshake(struct rthread *t, int ep, struct reader *r,
                          size_t idx)
{
    int rc = gnutls_handshake(r->tls);
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
        reader_set(ep, r, idx,
                   gnutls_record_get_direction(r->tls) ? EPOLLOUT : EPOLLIN);
        return false;
    }
    if (rc < 0) {
        if (atomic_fetch_add(&g_tls_errors, 1) == 0)
            fprintf(stderr, "loadgen: TLS handshake: %s\n",
                    gnutls_strerror(rc));
        t->connect_errors++;
        r->errors++;
        reader_finish(t, r, false);
        return false;
    }
    r->hs_done = true;
    pthread_mutex_lock(&g_tls_mu);
    if (g_tls_desc[0] == '\0') {
        const char *pr =
            gnutls_protocol_get_name(gnutls_protocol_get_version(r->tls));
        const char *ci = gnutls_cipher_get_name(gnutls_cipher_get(r->tls));
        snprintf(g_tls_desc, sizeof g_tls_desc, "%s %s", pr ? pr : "?",
                 ci ? ci : "?");
    }
    pthread_mutex_unlock(&g_tls_mu);
    return true;
}

static void reader_event(struct rthread *t, int ep, size_t idx, uint32_t evs)
{
    struct reader *r = &t->r[idx];
    if (r->st == R_DONE)
        return;
    if (r->st == R_SENDING) {
        if (evs & (EPOLLERR | EPOLLHUP)) {
            t->connect_errors++;
            r->errors++;
            reader_finish(t, r, false);
            return;
        }
        if (r->tls != NULL && !r->hs_done && !tls_handshake(t, ep, r, idx))
            return;
        char req[1400];
        size_t reqlen = get_head(req, sizeof req, r->stream);
        ssize_t n;
        if (r->tls != NULL) {
            /* after GNUTLS_E_AGAIN the same bytes are offered again */
            n = gnutls_record_send(r->tls, req + r->sent, reqlen - r->sent);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
                reader_set(ep, r, idx, EPOLLOUT);
                return;
            }
            if (n < 0)
                errno = EPROTO;
        } else {
            n = send(r->fd, req + r->sent, reqlen - r->sent, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            t->connect_errors++;
            r->errors++;
            reader_finish(t, r, false);
            return;
        }
        r->sent += (size_t)n;
        if (r->sent == reqlen) {
            if (O.raw) { /* no response head: the bytes start at once */
                r->st = R_RAW;
                t->npending--;
                atomic_fetch_add(&g_headers, 1);
                free(r->head);
                r->head = NULL;
            } else {
                r->st = R_HEAD;
            }
            reader_set(ep, r, idx, EPOLLIN | EPOLLRDHUP);
        }
        return;
    }
    /* readable: drain a bounded amount for fairness (a TLS session until
     * the socket is empty: what GnuTLS has buffered raises no event) */
    for (int round = 0; (r->tls != NULL || round < 4) && r->st != R_DONE;
         round++) {
        size_t want = RECV_BUF;
        if (r->slow && !r->paused) {
            if (r->tokens < 1.0) {
                r->paused = true;
                reader_set(ep, r, idx, 0);
                return;
            }
            if ((double)want > r->tokens)
                want = (size_t)r->tokens;
        } else if (r->slow) {
            return;
        }
        ssize_t n;
        if (r->tls != NULL) {
            n = gnutls_record_recv(r->tls, t->rbuf, want);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                return;
            if (n == GNUTLS_E_PREMATURE_TERMINATION)
                n = 0; /* closed without close_notify: an EOF here */
            if (n < 0) {
                atomic_fetch_add(&g_tls_errors, 1);
                r->errors++;
                reader_finish(t, r, false);
                return;
            }
        } else {
            n = recv(r->fd, t->rbuf, want, 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return;
                r->errors++;
                reader_finish(t, r, false);
                return;
            }
        }
        if (n == 0) {
            /* close-delimited body ends here; anything else is cut short */
            bool clean = r->st == R_IDENTITY && r->remaining == UINT64_MAX;
            if (r->st == R_RAW)
                clean = atomic_load(&g_writer_done) &&
                        r->received == atomic_load(&g_written);
            reader_finish(t, r, clean);
            return;
        }
        if (r->slow)
            r->tokens -= (double)n;
        feed(t, r, t->rbuf, (size_t)n, now_ns());
        if (r->tls == NULL && (size_t)n < want)
            return;
    }
}

static void *reader_main(void *arg)
{
    struct rthread *t = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    t->rbuf = malloc(RECV_BUF);
    if (t->rbuf == NULL)
        fail("out of memory");
    enum { MAXEV = 512 };
    struct epoll_event evs[MAXEV];
    int next = 0; /* next reader to connect */
    int pending_cap = O.max_pending / O.threads + 1;
    uint64_t last_tick = now_ns();
    uint64_t hard_end = 0;
    for (;;) {
        /* ramp connections: at most pending_cap without a head yet */
        while (next < t->nreaders && t->npending < pending_cap) {
            if (!reader_connect(t, ep, &t->r[next], (size_t)next)) {
                t->r[next].st = R_DONE;
                t->r[next].complete = false;
                t->ndone++;
                atomic_fetch_add(&g_done, 1);
            }
            next++;
        }
        if (t->ndone == t->nreaders)
            break;
        int phase = atomic_load(&g_phase);
        if (phase >= 3) {
            if (hard_end == 0)
                hard_end = now_ns() + (uint64_t)(O.drain_timeout * 1e9);
            if (now_ns() > hard_end)
                break;
        }
        int n = epoll_wait(ep, evs, MAXEV, 1);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++)
            reader_event(t, ep, (size_t)evs[i].data.u64, evs[i].events);
        /* --raw: a reader is done once it has every byte written (it
         * may have had them before the writer finished) */
        if (O.raw && atomic_load(&g_writer_done)) {
            uint64_t total = atomic_load(&g_written);
            for (int i = 0; i < t->nreaders; i++)
                if (t->r[i].st == R_RAW && t->r[i].received >= total)
                    reader_finish(t, &t->r[i], true);
        }
        /* slow readers: refill tokens every tick, unthrottle after */
        uint64_t now = now_ns();
        double dt = (double)(now - last_tick) / 1e9;
        if (dt >= 0.001 && O.slow_readers > 0) {
            last_tick = now;
            bool throttled =
                phase < 2 || (double)(now - g_go_ns) / 1e9 < O.slow_for;
            for (int i = 0; i < t->nreaders; i++) {
                struct reader *r = &t->r[i];
                if (!r->slow || r->st == R_DONE)
                    continue;
                if (!throttled) {
                    r->slow = false;
                    r->throttled_bytes = r->received;
                    if (r->paused)
                        reader_set(ep, r, (size_t)i, EPOLLIN | EPOLLRDHUP);
                    r->paused = false;
                    continue;
                }
                r->tokens += dt * (double)O.slow_rate;
                double cap = (double)O.slow_rate * 0.01 + 4096.0;
                if (r->tokens > cap)
                    r->tokens = cap;
                if (r->paused && r->tokens >= 1.0) {
                    r->paused = false;
                    reader_set(ep, r, (size_t)i, EPOLLIN | EPOLLRDHUP);
                }
            }
        }
    }
    for (int i = 0; i < t->nreaders; i++)
        if (t->r[i].st != R_DONE)
            reader_finish(t, &t->r[i], false);
    free(t->rbuf);
    close(ep);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* JSON + human output                                                 */

static void json_str(FILE *f, const char *key, const char *v)
{
    fprintf(f, "\"%s\":\"", key);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            fprintf(f, "\\u%04x", (unsigned)*p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_proc(FILE *f, struct proc_sample a, struct proc_sample b,
                      double window_s)
{
    if (!b.ok) {
        fprintf(f, ",\"server_cpu_s\":null,\"server_rss_kib\":null,"
                   "\"server_peak_rss_kib\":null");
        return;
    }
    double cpu = a.ok ? b.cpu_s - a.cpu_s : b.cpu_s;
    fprintf(f,
            ",\"server_cpu_s\":%.3f,\"server_cpu_pct\":%.3f,"
            "\"server_rss_kib\":%ld,\"server_peak_rss_kib\":%ld,"
            "\"server_pss_kib\":%ld,\"server_threads\":%ld,"
            "\"server_procs\":%ld",
            cpu, window_s > 0 ? 100.0 * cpu / window_s : 0.0, b.rss_kb,
            b.hwm_kb, b.pss_kb, b.threads, b.procs);
}

/* ------------------------------------------------------------------ */
/* subcommands                                                         */

static char *ingest_block(size_t *len)
{
    /* 1 MiB of 128-byte lines, repeated for the whole body */
    size_t saved = O.line;
    O.line = 128;
    size_t n = 1024 * 1024;
    char *b = malloc(n);
    if (b == NULL)
        fail("out of memory");
    for (size_t i = 0; i < n / O.line; i++)
        make_line(b + i * O.line, i, 0);
    O.line = saved;
    *len = n;
    return b;
}

static int cmd_genfile(void)
{
    size_t blen = 0;
    char *b = ingest_block(&blen);
    FILE *f = fopen(O.path, "wb");
    if (f == NULL)
        die(O.path);
    uint64_t left = O.bytes;
    while (left > 0) {
        size_t n = left < blen ? (size_t)left : blen;
        if (fwrite(b, 1, n, f) != n)
            die("fwrite");
        left -= n;
    }
    if (fclose(f) != 0)
        die("fclose");
    free(b);
    return 0;
}

static int cmd_freeport(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("bind");
    socklen_t sl = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        die("getsockname");
    printf("%d\n", ntohs(sa.sin_port));
    close(fd);
    return 0;
}

static int cmd_ingest(void)
{
    if (O.write_port <= 0)
        fail("ingest needs --write-port");
    size_t blen = 0;
    char *b = ingest_block(&blen);
    size_t chunk = O.chunk < blen ? O.chunk : blen;
    struct proc_sample p0 = proc_sample();
    double c0 = self_cpu_s();
    uint64_t t0 = now_ns();
    int fd = connect_blocking(O.write_port, 30.0);
    char req[1400];
    size_t rl = put_head(req, sizeof req, -1);
    bool ok = send_all(fd, req, rl);
    uint64_t left = O.bytes;
    size_t off = 0;
    while (ok && left > 0) {
        size_t n = left < chunk ? (size_t)left : chunk;
        if (off + n > blen)
            n = blen - off;
        ok = send_chunk(fd, b + off, n);
        off = (off + n) % blen;
        left -= n;
    }
    int status = -1;
    if (ok && send_all(fd, "0\r\n\r\n", 5))
        status = read_status(fd);
    uint64_t t1 = now_ns();
    close(fd);
    free(b);
    struct proc_sample p1 = proc_sample();
    double secs = (double)(t1 - t0) / 1e9;
    uint64_t sent = O.bytes - left;
    double mbps = (double)sent / secs / 1e6;
    bool pass = ok && status >= 200 && status < 300 && left == 0;
    printf("{");
    json_str(stdout, "scenario", O.label);
    printf(",\"mode\":\"ingest\",\"bytes\":%" PRIu64
           ",\"seconds\":%.3f,\"mb_per_s\":%.1f,\"status\":%d,"
           "\"chunk\":%zu,\"ok\":%s,\"loadgen_cpu_s\":%.3f",
           sent, secs, mbps, status, chunk, pass ? "true" : "false",
           self_cpu_s() - c0);
    json_proc(stdout, p0, p1, secs);
    printf("}\n");
    fflush(stdout);
    fprintf(stderr,
            "%s: PUT %" PRIu64 " bytes in %.3f s = %.1f MB/s, status %d%s\n",
            O.label, sent, secs, mbps, status, pass ? "" : "  FAILED");
    if (p1.ok)
        fprintf(stderr, "  server cpu %.2f s, peak RSS %ld KiB\n",
                p1.cpu_s - (p0.ok ? p0.cpu_s : 0), p1.hwm_kb);
    return pass ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* multi: N writers (one stream each) paced on one epoll thread        */

enum wstate { W_CONNECTING, W_BODY, W_ENDING, W_DONE };

struct mwriter {
    int fd;
    enum wstate st;
    bool ok;
    bool want_out; /* EPOLLOUT registered */
    int status;
    char *out; /* bytes queued for the socket */
    size_t out_len;
    size_t out_off;
    uint64_t bytes;   /* body bytes queued (what its follower must get) */
    uint64_t seq;     /* next line's sequence number */
    uint64_t paced;   /* lines after the prelude */
    uint64_t next_ns; /* next pacing deadline */
    uint64_t done_ns;
    char resp[1024];
    size_t resplen;
};

struct mwctx {
    struct mwriter *w;
    int n;
    size_t cap_lines; /* lines per chunk at most */
    int failed;
    int ndone;
    uint64_t max_lag_ns;
    uint64_t last_done_ns;
    uint64_t paced_bytes; /* queued when the paced window ended */
    uint64_t paced_end_ns;
    char err[160];
};

static void mw_fail(struct mwctx *c, struct mwriter *w, const char *what,
                    int err)
{
    if (w->st == W_DONE)
        return;
    if (c->err[0] == '\0')
        snprintf(c->err, sizeof c->err, "stream %ld: %s%s%s", (long)(w - c->w),
                 what, err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->st = W_DONE;
    w->ok = false;
    w->done_ns = now_ns();
    c->failed++;
    c->ndone++;
}

static void mw_events(int ep, struct mwriter *w, size_t idx, uint32_t evs)
{
    struct epoll_event ev = {.events = evs, .data.u64 = idx};
    epoll_ctl(ep, EPOLL_CTL_MOD, w->fd, &ev);
}

/* Sends what is queued; registers EPOLLOUT while the socket is full. */
static void mw_flush(struct mwctx *c, int ep, struct mwriter *w, size_t idx)
{
    while (w->out_off < w->out_len) {
        ssize_t n = send(w->fd, w->out + w->out_off, w->out_len - w->out_off,
                         MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (!w->want_out) {
                    w->want_out = true;
                    mw_events(ep, w, idx, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
                }
                return;
            }
            mw_fail(c, w, "send", errno);
            return;
        }
        w->out_off += (size_t)n;
    }
    w->out_off = w->out_len = 0;
    if (w->want_out) {
        w->want_out = false;
        mw_events(ep, w, idx, EPOLLIN | EPOLLRDHUP);
    }
}

/* Queues one chunk of N lines stamped now. */
static void mw_queue_lines(struct mwriter *w, uint64_t n)
{
    size_t L = O.line;
    uint64_t ts = now_ns();
    char *p = w->out + w->out_len;
    int hl = snprintf(p, 32, "%zx\r\n", (size_t)n * L);
    p += hl;
    for (uint64_t i = 0; i < n; i++)
        make_line(p + i * L, w->seq + i, ts);
    p += n * L;
    memcpy(p, "\r\n", 2);
    w->out_len += (size_t)hl + (size_t)n * L + 2;
    w->seq += n;
    w->bytes += n * L;
}

static bool mw_connect(int ep, struct mwriter *w, size_t idx)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = server_addr(O.write_port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return false;
    }
    w->fd = fd;
    w->st = W_CONNECTING;
    /* the request head and the prelude (line 0) go out on connect */
    w->out_len = put_head(w->out, 1400, (long)idx);
    w->out_off = 0;
    w->seq = 0;
    w->bytes = 0;
    mw_queue_lines(w, 1);
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = idx};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        die("epoll_ctl");
    return true;
}

static void mw_readable(struct mwctx *c, struct mwriter *w)
{
    for (;;) {
        size_t room = sizeof w->resp - 1 - w->resplen;
        if (room == 0) {
            mw_fail(c, w, "response head too long", 0);
            return;
        }
        ssize_t n = recv(w->fd, w->resp + w->resplen, room, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                mw_fail(c, w, "recv", errno);
            return;
        }
        if (n == 0) {
            mw_fail(c, w, "server closed the PUT", 0);
            return;
        }
        w->resplen += (size_t)n;
        w->resp[w->resplen] = '\0';
        if (strstr(w->resp, "\r\n\r\n") == NULL)
            continue;
        if (strncmp(w->resp, "HTTP/1.", 7) == 0)
            w->status = (int)strtol(w->resp + 9, NULL, 10);
        if (w->st != W_ENDING || w->status < 200 || w->status >= 300) {
            char msg[64];
            snprintf(msg, sizeof msg, "PUT answered %d%s", w->status,
                     w->st != W_ENDING ? " before the body ended" : "");
            mw_fail(c, w, msg, 0);
            return;
        }
        close(w->fd);
        w->fd = -1;
        w->st = W_DONE;
        w->ok = true;
        w->done_ns = now_ns();
        if (w->done_ns > c->last_done_ns)
            c->last_done_ns = w->done_ns;
        c->ndone++;
        return;
    }
}

/* One pacing step of a writer with an empty queue. */
static void mw_pace(struct mwctx *c, int ep, struct mwriter *w, size_t idx,
                    uint64_t now, uint64_t total_lines, uint64_t tick)
{
    uint64_t dur = (uint64_t)(O.duration * 1e9);
    bool over = now >= g_go_ns + dur;
    if (over && w->paced >= total_lines) {
        memcpy(w->out, "0\r\n\r\n", 5);
        w->out_len = 5;
        w->out_off = 0;
        w->st = W_ENDING;
        mw_flush(c, ep, w, idx);
        return;
    }
    if (now < w->next_ns)
        return;
    uint64_t due = total_lines;
    if (!over)
        due =
            (uint64_t)((double)O.rate * (double)(now - g_go_ns) / 1e9) / O.line;
    if (due > total_lines)
        due = total_lines;
    if (due > w->paced) {
        uint64_t n = due - w->paced;
        if (n > c->cap_lines)
            n = c->cap_lines;
        if (now - w->next_ns > c->max_lag_ns)
            c->max_lag_ns = now - w->next_ns;
        mw_queue_lines(w, n);
        w->paced += n;
        mw_flush(c, ep, w, idx);
        if (w->paced < due)
            return; /* more due: again on the next loop */
    }
    while (w->next_ns <= now)
        w->next_ns += tick;
}

static void *multi_writer_main(void *arg)
{
    struct mwctx *c = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    enum { MAXEV = 512 };
    struct epoll_event evs[MAXEV];
    uint64_t tick = (uint64_t)(O.tick_ms * 1e6);
    uint64_t total_lines =
        (uint64_t)((double)O.rate * O.duration) / (uint64_t)O.line;
    int next = 0;
    int connecting = 0;
    bool paced_init = false;
    uint64_t hard_end = 0;
    while (c->ndone < c->n) {
        while (next < c->n && connecting < 128) {
            struct mwriter *w = &c->w[next];
            if (mw_connect(ep, w, (size_t)next))
                connecting++;
            else
                mw_fail(c, w, "connect", errno);
            next++;
        }
        int phase = atomic_load(&g_phase);
        uint64_t now = now_ns();
        if (phase >= 2) {
            if (!paced_init) {
                paced_init = true;
                for (int i = 0; i < c->n; i++) /* staggered deadlines */
                    c->w[i].next_ns =
                        g_go_ns + tick * (uint64_t)i / (uint64_t)c->n;
                hard_end = g_go_ns + (uint64_t)(O.duration * 1e9) +
                           (uint64_t)(O.drain_timeout * 1e9);
            }
            if (c->paced_end_ns == 0 &&
                now >= g_go_ns + (uint64_t)(O.duration * 1e9)) {
                c->paced_end_ns = now;
                for (int i = 0; i < c->n; i++)
                    c->paced_bytes += c->w[i].bytes;
            }
            for (int i = 0; i < c->n; i++) {
                struct mwriter *w = &c->w[i];
                if (w->st == W_BODY && w->out_len == 0)
                    mw_pace(c, ep, w, (size_t)i, now, total_lines, tick);
            }
            if (now > hard_end) {
                for (int i = 0; i < c->n; i++)
                    mw_fail(c, &c->w[i], "timed out", 0);
                break;
            }
        }
        int n = epoll_wait(ep, evs, MAXEV, 1);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            size_t idx = (size_t)evs[i].data.u64;
            struct mwriter *w = &c->w[idx];
            uint32_t e = evs[i].events;
            if (w->st == W_DONE)
                continue;
            if (w->st == W_CONNECTING) {
                int err = 0;
                socklen_t sl = sizeof err;
                getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
                connecting--;
                if (err != 0 || (e & (EPOLLERR | EPOLLHUP))) {
                    mw_fail(c, w, "connect", err);
                    continue;
                }
                w->st = W_BODY;
                w->want_out = true; /* registered for EPOLLOUT now */
                mw_flush(c, ep, w, idx);
                continue;
            }
            if (e & EPOLLOUT)
                mw_flush(c, ep, w, idx);
            if (w->st != W_DONE &&
                (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                mw_readable(c, w);
        }
    }
    for (int i = 0; i < c->n; i++)
        if (c->w[i].st != W_DONE)
            mw_fail(c, &c->w[i], "unfinished", 0);
    close(ep);
    atomic_store(&g_writer_done, 1);
    return NULL;
}

/* Starts the reader threads over RS[0..TOTAL); returns the thread count. */
static int start_readers(struct reader *rs, int total, struct rthread **out)
{
    int nt = O.threads < total ? O.threads : total;
    struct rthread *th = calloc((size_t)nt, sizeof *th);
    if (th == NULL)
        fail("out of memory");
    int per = total / nt;
    int extra = total % nt;
    int at = 0;
    for (int i = 0; i < nt; i++) {
        th[i].idx = i;
        th[i].nreaders = per + (i < extra ? 1 : 0);
        th[i].r = rs + at;
        at += th[i].nreaders;
        if (pthread_create(&th[i].tid, NULL, reader_main, &th[i]) != 0)
            fail("pthread_create");
    }
    *out = th;
    return nt;
}

static int cmd_multi(void)
{
    if (O.write_port <= 0 || O.read_port <= 0 || O.prefix == NULL)
        fail("multi needs --write-port, --read-port and --prefix");
    raise_nofile();
    int N = O.streams;
    struct mwctx c;
    memset(&c, 0, sizeof c);
    c.n = N;
    c.w = calloc((size_t)N, sizeof *c.w);
    struct reader *rs = calloc((size_t)N, sizeof *rs);
    if (c.w == NULL || rs == NULL)
        fail("out of memory");
    /* a chunk carries at most 50 ms of lines (at least 4) */
    c.cap_lines = (size_t)((double)O.rate * 0.05) / O.line;
    if (c.cap_lines < 4)
        c.cap_lines = 4;
    for (int i = 0; i < N; i++) {
        c.w[i].fd = -1;
        c.w[i].out = malloc(1400 + 64 + c.cap_lines * O.line);
        if (c.w[i].out == NULL)
            fail("out of memory");
        rs[i].fd = -1;
        rs[i].st = R_IDLE;
        rs[i].stream = i;
    }
    struct proc_sample p0 = proc_sample();
    double c0 = self_cpu_s();
    pthread_t wt;
    if (pthread_create(&wt, NULL, multi_writer_main, &c) != 0)
        fail("pthread_create");
    usleep(20000); /* let the PUTs start before the GETs */
    struct rthread *th = NULL;
    uint64_t t_setup = now_ns();
    int nt = start_readers(rs, N, &th);
    /* every follower must have line 0 of its stream (or have failed) */
    uint64_t lim = t_setup + 60ULL * 1000000000ULL;
    while (atomic_load(&g_prelude) + atomic_load(&g_done) < N && now_ns() < lim)
        usleep(1000);
    double setup_s = (double)(now_ns() - t_setup) / 1e9;
    int got_headers = atomic_load(&g_headers);
    int got_prelude = atomic_load(&g_prelude);
    struct proc_sample pw0 = proc_sample();
    g_go_ns = now_ns();
    atomic_store(&g_phase, 2);
    pthread_join(wt, NULL);
    uint64_t t_written = now_ns();
    struct proc_sample pw1 = proc_sample();
    double window = (double)(t_written - g_go_ns) / 1e9;
    atomic_store(&g_phase, 3);
    for (int i = 0; i < nt; i++)
        pthread_join(th[i].tid, NULL);
    double drain_s = (double)(now_ns() - t_written) / 1e9;
    struct proc_sample p1 = proc_sample();

    struct hist *h = calloc(1, sizeof *h);
    if (h == NULL)
        fail("out of memory");
    uint64_t lines = 0, errors = 0, conn_err = 0, lost = 0, excess = 0;
    uint64_t written = 0, received = 0;
    int complete = 0, wok = 0;
    for (int i = 0; i < nt; i++) {
        for (size_t b = 0; b < HIST_BUCKETS; b++)
            h->n[b] += th[i].hist.n[b];
        h->count += th[i].hist.count;
        if (th[i].hist.max_ns > h->max_ns)
            h->max_ns = th[i].hist.max_ns;
        lines += th[i].lines;
        errors += th[i].errors;
        conn_err += th[i].connect_errors;
    }
    for (int i = 0; i < N; i++) {
        uint64_t want = c.w[i].bytes;
        written += want;
        received += rs[i].received;
        if (c.w[i].ok)
            wok++;
        if (rs[i].complete)
            complete++;
        if (rs[i].received < want)
            lost += want - rs[i].received;
        else
            excess += rs[i].received - want;
    }
    /* ingest: body bytes over go .. the last 201 (the prelude is tiny) */
    double ingest_s = c.last_done_ns > g_go_ns
                          ? (double)(c.last_done_ns - g_go_ns) / 1e9
                          : window;
    double ingest_mbps = ingest_s > 0 ? (double)written / ingest_s / 1e6 : 0;
    /* during the paced window only, and the tail from its end to the
     * last 201 (the rest of the lines, the ends, the completions) */
    double paced_mbps =
        O.duration > 0 ? (double)c.paced_bytes / O.duration / 1e6 : 0;
    double tail_s = c.last_done_ns > c.paced_end_ns && c.paced_end_ns > 0
                        ? (double)(c.last_done_ns - c.paced_end_ns) / 1e9
                        : 0;
    bool pass =
        wok == N && lost == 0 && excess == 0 && errors == 0 && complete == N;
    printf("{");
    json_str(stdout, "scenario", O.label);
    printf(",\"mode\":\"multi\",\"streams\":%d,\"rate_bps_per_stream\":%" PRIu64
           ",\"offered_mb_per_s\":%.1f,\"duration_s\":%.3f,\"line\":%zu"
           ",\"tick_ms\":%.1f,\"written_bytes\":%" PRIu64
           ",\"received_bytes\":%" PRIu64 ",\"ingest_mb_per_s\":%.1f"
           ",\"paced_mb_per_s\":%.1f,\"end_to_last_201_s\":%.3f"
           ",\"bytes_lost\":%" PRIu64 ",\"bytes_excess\":%" PRIu64
           ",\"content_errors\":%" PRIu64 ",\"writers_ok\":%d"
           ",\"readers_complete\":%d,\"readers_headers\":%d"
           ",\"readers_prelude\":%d,\"connect_errors\":%" PRIu64
           ",\"lines_checked\":%" PRIu64
           ",\"lat_p50_us\":%.0f,\"lat_p99_us\":%.0f,\"lat_p999_us\":%.0f"
           ",\"lat_max_us\":%.0f,\"writer_max_lag_us\":%.0f"
           ",\"setup_s\":%.3f,\"drain_s\":%.3f,\"ok\":%s"
           ",\"loadgen_cpu_s\":%.3f",
           N, O.rate, (double)O.rate * N / 1e6, window, O.line, O.tick_ms,
           written, received, ingest_mbps, paced_mbps, tail_s, lost, excess,
           errors, wok, complete, got_headers, got_prelude, conn_err, lines,
           hist_pct(h, 0.50), hist_pct(h, 0.99), hist_pct(h, 0.999),
           (double)h->max_ns / 1000.0, (double)c.max_lag_ns / 1000.0, setup_s,
           drain_s, pass ? "true" : "false", self_cpu_s() - c0);
    json_proc(stdout, pw0, pw1, window);
    if (p1.ok)
        printf(",\"server_cpu_total_s\":%.3f,\"server_peak_rss_end_kib\":%ld",
               p1.cpu_s - (p0.ok ? p0.cpu_s : 0), p1.hwm_kb);
    if (c.err[0] != '\0') {
        printf(",");
        json_str(stdout, "writer_error", c.err);
    }
    printf("}\n");
    fflush(stdout);
    fprintf(stderr,
            "%s: %d writers x %.1f KB/s (%.1f MB/s offered) for %.1f s, "
            "%d-byte lines, one follower each\n",
            O.label, N, (double)O.rate / 1e3, (double)O.rate * N / 1e6, window,
            (int)O.line);
    fprintf(stderr,
            "  written %" PRIu64 " B (%.1f MB/s), lost %" PRIu64
            " B, excess %" PRIu64 " B, content errors %" PRIu64
            ", writers ok %d/%d, followers complete %d/%d (setup %.2f s)\n",
            written, ingest_mbps, lost, excess, errors, wok, N, complete, N,
            setup_s);
    fprintf(stderr,
            "  latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us "
            "(%" PRIu64 " samples); writer max lag %.0f us\n",
            hist_pct(h, 0.5), hist_pct(h, 0.99), hist_pct(h, 0.999),
            (double)h->max_ns / 1000.0, h->count,
            (double)c.max_lag_ns / 1000.0);
    if (pw1.ok)
        fprintf(stderr,
                "  server cpu %.2f s over %.1f s, RSS %ld KiB, peak %ld KiB\n",
                pw1.cpu_s - pw0.cpu_s, window, pw1.rss_kb, p1.hwm_kb);
    if (c.err[0] != '\0')
        fprintf(stderr, "  first writer error: %s\n", c.err);
    fprintf(stderr, "  %s\n", pass ? "OK" : "FAILED");
    for (int i = 0; i < N; i++)
        free(c.w[i].out);
    free(c.w);
    free(h);
    free(rs);
    free(th);
    return pass ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* puts: many small streams (data directories for recovery)            */

static int try_connect(int port, double timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {
        .tv_sec = (time_t)timeout_s,
        .tv_usec =
            (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = server_addr(port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response (head, and its Content-Length body unless HEAD);
 * returns the status or -1; *keep is false when the connection must not
 * be reused; *offset gets Upload-Offset (UINT64_MAX when absent). */
static int read_response(int fd, bool head_only, bool *keep, uint64_t *offset)
{
    char buf[HDR_MAX];
    size_t len = 0;
    char *end = NULL;
    *keep = false;
    while (len < sizeof buf - 1) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL)
            break;
    }
    if (end == NULL || strncmp(buf, "HTTP/1.", 7) != 0)
        return -1;
    int status = (int)strtol(buf + 9, NULL, 10);
    end[2] = '\0';
    if (offset != NULL)
        *offset = header_u64(buf, "Upload-Offset");
    uint64_t cl = header_u64(buf, "Content-Length");
    if (head_only || cl == UINT64_MAX)
        cl = 0;
    size_t have = len - (size_t)(end + 4 - buf);
    while (have < cl) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return status;
        have += (size_t)n;
    }
    *keep = have == cl && !header_has(buf, "Connection", "close");
    return status;
}

struct pthread_ctx {
    pthread_t tid;
    int idx;
    const char *body;
    int done;
    int failed;
    int live_ok;
    int *live_fds;
    int first_bad;
    int live_closed;     /* live writers the server answered or closed */
    int live_bad_status; /* last HEAD answer of a live stream not seen */
    uint64_t live_bad_offset;
};

static void *puts_main(void *arg)
{
    struct pthread_ctx *t = arg;
    int N = O.streams;
    int first_live = N - O.live;
    size_t blen = (size_t)O.bytes;
    int fd = -1;
    char head[1600];
    char path[1200];
    for (int i = t->idx; i < N; i += O.concurrency) {
        req_path(path, sizeof path, true, O.first + i);
        if (i >= first_live) {
            /* live: a chunked PUT with one chunk, left open */
            int lfd = try_connect(O.write_port, 10.0);
            size_t hl = lfd >= 0 ? put_head(head, sizeof head, O.first + i) : 0;
            if (lfd < 0 || !send_all(lfd, head, hl) ||
                !send_chunk(lfd, t->body, blen)) {
                if (lfd >= 0)
                    close(lfd);
                t->failed++;
                continue;
            }
            t->live_fds[i - first_live] = lfd;
            t->done++;
            continue;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            if (fd < 0)
                fd = try_connect(O.write_port, 10.0);
            if (fd < 0)
                break;
            int hl = snprintf(head, sizeof head,
                              "PUT %s HTTP/1.1\r\nHost: %s:%d\r\n"
                              "Content-Type: text/plain\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              path, O.host, O.write_port, blen);
            bool keep = false;
            int st = -1;
            if (send_all(fd, head, (size_t)hl) && send_all(fd, t->body, blen))
                st = read_response(fd, false, &keep, NULL);
            if (!keep) {
                close(fd);
                fd = -1;
            }
            if (st == 201) {
                t->done++;
                break;
            }
            if (st > 0 || attempt == 1) {
                if (t->first_bad == 0)
                    t->first_bad = st;
                t->failed++;
                break;
            }
        }
    }
    /* live streams: wait (15 s in all) until HEAD reports every byte
     * committed; a writer connection the server closed is a failure */
    uint64_t until = now_ns() + 15ULL * 1000000000ULL;
    for (int i = first_live + t->idx; i < N; i += O.concurrency) {
        int lfd = t->live_fds[i - first_live];
        if (lfd < 0)
            continue;
        req_path(path, sizeof path, true, O.first + i);
        while (now_ns() < until) {
            char c;
            if (recv(lfd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0) {
                t->live_closed++; /* an answer or EOF mid-body */
                break;
            }
            if (fd < 0)
                fd = try_connect(O.write_port, 10.0);
            if (fd < 0)
                break;
            int hl = snprintf(head, sizeof head,
                              "HEAD %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", path,
                              O.host, O.write_port);
            bool keep = false;
            uint64_t off = UINT64_MAX;
            int st = -1;
            if (send_all(fd, head, (size_t)hl))
                st = read_response(fd, true, &keep, &off);
            if (!keep) {
                close(fd);
                fd = -1;
            }
            if (st == 200 && off == blen) {
                t->live_ok++;
                break;
            }
            t->live_bad_status = st;
            t->live_bad_offset = off;
            usleep(2000);
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmd_puts(void)
{
    if (O.write_port <= 0 || O.prefix == NULL)
        fail("puts needs --write-port and --prefix");
    if (O.bytes > 1024 * 1024)
        fail("puts: --bytes at most 1M");
    raise_nofile();
    size_t blen = 0;
    char *block = ingest_block(&blen);
    int nc = O.concurrency;
    struct pthread_ctx *th = calloc((size_t)nc, sizeof *th);
    int *live_fds = malloc(sizeof(int) * (size_t)(O.live + 1));
    if (th == NULL || live_fds == NULL)
        fail("out of memory");
    for (int i = 0; i < O.live; i++)
        live_fds[i] = -1;
    struct proc_sample p0 = proc_sample();
    uint64_t t0 = now_ns();
    for (int i = 0; i < nc; i++) {
        th[i].idx = i;
        th[i].body = block;
        th[i].live_fds = live_fds;
        if (pthread_create(&th[i].tid, NULL, puts_main, &th[i]) != 0)
            fail("pthread_create");
    }
    int done = 0, failed = 0, live_ok = 0, first_bad = 0, lbs = 0;
    int live_closed = 0;
    uint64_t lbo = 0;
    for (int i = 0; i < nc; i++) {
        pthread_join(th[i].tid, NULL);
        done += th[i].done;
        failed += th[i].failed;
        live_ok += th[i].live_ok;
        live_closed += th[i].live_closed;
        if (first_bad == 0)
            first_bad = th[i].first_bad;
        if (th[i].live_bad_status != 0) {
            lbs = th[i].live_bad_status;
            lbo = th[i].live_bad_offset;
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    struct proc_sample p1 = proc_sample();
    bool pass = failed == 0 && done == O.streams && live_ok == O.live;
    printf("{");
    json_str(stdout, "scenario", O.label);
    printf(",\"mode\":\"puts\",\"streams\":%d,\"bytes_each\":%" PRIu64
           ",\"first\":%d,\"live\":%d,\"live_committed\":%d"
           ",\"live_closed_by_server\":%d,\"created\":%d,\"failed\":%d"
           ",\"first_bad_status\":%d,\"seconds\":%.3f,\"streams_per_s\":%.0f"
           ",\"concurrency\":%d,\"live_head_status\":%d"
           ",\"live_head_offset\":%" PRId64 ",\"ok\":%s",
           O.streams, O.bytes, O.first, O.live, live_ok, live_closed, done,
           failed, first_bad, secs, secs > 0 ? (double)done / secs : 0.0, nc,
           lbs, lbo == UINT64_MAX ? (int64_t)-1 : (int64_t)lbo,
           pass ? "true" : "false");
    json_proc(stdout, p0, p1, secs);
    printf("}\n");
    fflush(stdout);
    fprintf(stderr,
            "%s: %d streams of %" PRIu64 " B (%d left live, %d of them "
            "committed) in %.2f s, %d failed%s\n",
            O.label, done, O.bytes, O.live, live_ok, secs, failed,
            pass ? "" : "  FAILED");
    if (O.live > 0 && pass) {
        /* hold the live writers open (killing us or the server ends it) */
        sleep_until_ns(now_ns() + (uint64_t)(O.hold * 1e9));
    }
    for (int i = 0; i < O.live; i++)
        if (live_fds[i] >= 0)
            close(live_fds[i]);
    free(live_fds);
    free(th);
    free(block);
    return pass ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* waithealth: time from a given instant to the first 200 of /healthz  */

static double epoch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The read listener's port from the server's JSON log, or 0. */
static int log_read_port(const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int port = 0;
    while (port == 0 && fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "\"listening\"") == NULL ||
            (strstr(line, "\"listener\":\"read\"") == NULL &&
             strstr(line, "\"listener\": \"read\"") == NULL))
            continue;
        const char *p = strstr(line, "\"addr\"");
        const char *q = p != NULL ? strchr(p + 6, '"') : NULL;
        const char *e = q != NULL ? strchr(q + 1, '"') : NULL;
        if (e == NULL)
            continue;
        for (const char *c = e - 1; c > q; c--) {
            if (*c == ':') {
                port = (int)strtol(c + 1, NULL, 10);
                break;
            }
        }
    }
    fclose(f);
    return port;
}

static int cmd_waithealth(void)
{
    if (O.logfile == NULL || O.since <= 0)
        fail("waithealth needs --log FILE and --since EPOCH");
    double deadline = epoch_now() + O.timeout;
    int port = 0;
    double port_at = 0;
    double ready_at = 0;
    int polls = 0;
    while (epoch_now() < deadline) {
        if (port == 0) {
            port = log_read_port(O.logfile);
            if (port == 0) {
                usleep(500);
                continue;
            }
            port_at = epoch_now();
        }
        polls++;
        int fd = try_connect(port, 1.0);
        if (fd >= 0) {
            char req[256];
            int n = snprintf(req, sizeof req,
                             "GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n"
                             "Connection: close\r\n\r\n",
                             O.host, port);
            int st = send_all(fd, req, (size_t)n) ? read_status(fd) : -1;
            close(fd);
            if (st == 200) {
                ready_at = epoch_now();
                break;
            }
        }
        usleep(500);
    }
    bool ok = ready_at > 0;
    printf("{");
    json_str(stdout, "scenario", O.label);
    printf(",\"mode\":\"waithealth\",\"read_port\":%d,\"listening_ms\":%.1f"
           ",\"healthz_ms\":%.1f,\"polls\":%d,\"ok\":%s}\n",
           port, port_at > 0 ? (port_at - O.since) * 1e3 : -1.0,
           ok ? (ready_at - O.since) * 1e3 : -1.0, polls,
           ok ? "true" : "false");
    fflush(stdout);
    return ok ? 0 : 1;
}

/* fanout and idle share everything; idle is fanout at rate 0 */
static int cmd_follow(bool idle)
{
    if ((O.write_port <= 0 && O.write_file == NULL) || O.read_port <= 0)
        fail("fanout/idle need --write-port (or --write-file) and "
             "--read-port");
    if (idle)
        O.rate = 0;
    raise_nofile();
    if (O.tls) {
        if (gnutls_global_init() < 0 ||
            gnutls_certificate_allocate_credentials(&g_xcred) < 0)
            fail("gnutls init");
    }
    int total = O.readers + O.slow_readers;
    if (total < 1)
        fail("need at least one reader");
    int nt = O.threads < total ? O.threads : total;
    struct rthread *th = calloc((size_t)nt, sizeof *th);
    struct reader *rs = calloc((size_t)total, sizeof *rs);
    if (th == NULL || rs == NULL)
        fail("out of memory");
    /* readers are split in contiguous slices; slow ones are the last */
    for (int i = 0; i < total; i++) {
        rs[i].fd = -1;
        rs[i].st = R_IDLE;
        rs[i].slow = i >= O.readers;
        rs[i].slow_class = rs[i].slow;
        rs[i].stream = -1;
    }
    int per = total / nt;
    int extra = total % nt;
    int at = 0;
    for (int i = 0; i < nt; i++) {
        th[i].idx = i;
        th[i].nreaders = per + (i < extra ? 1 : 0);
        th[i].r = rs + at;
        at += th[i].nreaders;
    }
    struct proc_sample p0 = proc_sample();
    double c0 = self_cpu_s();
    struct writer_result wr;
    memset(&wr, 0, sizeof wr);
    pthread_t wt;
    if (pthread_create(&wt, NULL, writer_main, &wr) != 0)
        fail("pthread_create");
    usleep(20000); /* let the PUT start before the GETs */
    for (int i = 0; i < nt; i++)
        if (pthread_create(&th[i].tid, NULL, reader_main, &th[i]) != 0)
            fail("pthread_create");
    /* wait for every reader to get a head (or for 30 s) */
    uint64_t t_setup = now_ns();
    uint64_t lim = t_setup + 30ULL * 1000000000ULL;
    while (atomic_load(&g_headers) + atomic_load(&g_done) < total &&
           now_ns() < lim)
        usleep(1000);
    double setup_s = (double)(now_ns() - t_setup) / 1e9;
    int got_headers = atomic_load(&g_headers);
    atomic_store(&g_phase, 1);
    lim = now_ns() + 30ULL * 1000000000ULL;
    while (atomic_load(&g_prelude) + atomic_load(&g_done) < total &&
           now_ns() < lim && !atomic_load(&g_writer_done))
        usleep(1000);
    int got_prelude = atomic_load(&g_prelude);
    struct proc_sample pw0 = proc_sample();
    g_go_ns = now_ns();
    atomic_store(&g_phase, 2);
    pthread_join(wt, NULL);
    uint64_t t_written = now_ns();
    struct proc_sample pw1 = proc_sample();
    double window = (double)(t_written - g_go_ns) / 1e9;
    atomic_store(&g_phase, 3);
    for (int i = 0; i < nt; i++)
        pthread_join(th[i].tid, NULL);
    double drain_s = (double)(now_ns() - t_written) / 1e9;
    struct proc_sample p1 = proc_sample();

    /* tally */
    struct hist *h = calloc(1, sizeof *h);
    if (h == NULL)
        fail("out of memory");
    uint64_t lines = 0, errors = 0, conn_err = 0, lost = 0, excess = 0;
    uint64_t slow_recv = 0;
    int complete = 0;
    for (int i = 0; i < nt; i++) {
        for (size_t b = 0; b < HIST_BUCKETS; b++)
            h->n[b] += th[i].hist.n[b];
        h->count += th[i].hist.count;
        if (th[i].hist.max_ns > h->max_ns)
            h->max_ns = th[i].hist.max_ns;
        lines += th[i].lines;
        errors += th[i].errors;
        conn_err += th[i].connect_errors;
    }
    for (int i = 0; i < total; i++) {
        if (rs[i].complete)
            complete++;
        if (rs[i].received < wr.bytes)
            lost += wr.bytes - rs[i].received;
        else
            excess += rs[i].received - wr.bytes;
        if (i >= O.readers)
            slow_recv += rs[i].slow ? rs[i].received : rs[i].throttled_bytes;
    }
    bool pass =
        wr.ok && lost == 0 && excess == 0 && errors == 0 && complete == total;
    const char *mode = idle ? "idle" : "fanout";
    printf("{");
    json_str(stdout, "scenario", O.label);
    printf(",\"mode\":\"%s\",\"readers\":%d,\"slow_readers\":%d,"
           "\"rate_bps\":%" PRIu64 ",\"duration_s\":%.3f,\"line\":%zu,"
           "\"written_bytes\":%" PRIu64 ",\"expected_bytes\":%" PRIu64
           ",\"bytes_lost\":%" PRIu64 ",\"bytes_excess\":%" PRIu64
           ",\"content_errors\":%" PRIu64 ",\"readers_complete\":%d"
           ",\"readers_headers\":%d,\"readers_prelude\":%d"
           ",\"connect_errors\":%" PRIu64 ",\"lines_checked\":%" PRIu64
           ",\"lat_p50_us\":%.0f,\"lat_p99_us\":%.0f,\"lat_p999_us\":%.0f"
           ",\"lat_max_us\":%.0f,\"writer_status\":%d,\"writer_ok\":%s"
           ",\"writer_max_lag_us\":%.0f,\"setup_s\":%.3f,\"drain_s\":%.3f"
           ",\"slow_throttled_bytes\":%" PRIu64
           ",\"ok\":%s,\"loadgen_cpu_s\":%.3f,\"raw\":%s,\"tls\":%s"
           ",\"tls_errors\":%" PRIu64,
           mode, O.readers, O.slow_readers, O.rate, window, O.line, wr.bytes,
           wr.bytes * (uint64_t)total, lost, excess, errors, complete,
           got_headers, got_prelude, conn_err, lines, hist_pct(h, 0.50),
           hist_pct(h, 0.99), hist_pct(h, 0.999), (double)h->max_ns / 1000.0,
           wr.status, wr.ok ? "true" : "false", (double)wr.max_lag_ns / 1000.0,
           setup_s, drain_s, slow_recv, pass ? "true" : "false",
           self_cpu_s() - c0, O.raw ? "true" : "false",
           O.tls ? "true" : "false", (uint64_t)atomic_load(&g_tls_errors));
    if (O.tls) {
        printf(",");
        json_str(stdout, "tls_session", g_tls_desc);
    }
    /* CPU%: over the writing/idle window; totals over the whole run */
    json_proc(stdout, pw0, pw1, window);
    if (p1.ok)
        printf(",\"server_cpu_total_s\":%.3f,\"server_peak_rss_end_kib\":%ld",
               p1.cpu_s - (p0.ok ? p0.cpu_s : 0), p1.hwm_kb);
    printf("}\n");
    fflush(stdout);

    fprintf(stderr,
            "%s: %d readers (+%d slow) %s %.1f MB/s for %.1f s, "
            "%d-byte lines\n",
            O.label, O.readers, O.slow_readers, idle ? "idle" : "at",
            (double)O.rate / 1e6, window, (int)O.line);
    fprintf(stderr,
            "  written %" PRIu64 " B, lost %" PRIu64 " B, excess %" PRIu64
            " B, content errors %" PRIu64 ", complete %d/%d, heads %d "
            "(setup %.2f s)\n",
            wr.bytes, lost, excess, errors, complete, total, got_headers,
            setup_s);
    if (!idle)
        fprintf(stderr,
                "  latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f "
                "us (%" PRIu64 " samples); writer max lag %.0f us\n",
                hist_pct(h, 0.5), hist_pct(h, 0.99), hist_pct(h, 0.999),
                (double)h->max_ns / 1000.0, h->count,
                (double)wr.max_lag_ns / 1000.0);
    if (O.slow_readers > 0)
        fprintf(stderr,
                "  slow readers received %" PRIu64
                " B while throttled (%.1f s at %.2f MB/s), the rest after\n",
                slow_recv, O.slow_for, (double)O.slow_rate / 1e6);
    if (pw1.ok)
        fprintf(stderr,
                "  server cpu %.2f s over %.1f s (%.2f%%), RSS %ld KiB, "
                "peak %ld KiB, threads %ld\n",
                pw1.cpu_s - pw0.cpu_s, window,
                window > 0 ? 100.0 * (pw1.cpu_s - pw0.cpu_s) / window : 0.0,
                pw1.rss_kb, p1.hwm_kb, pw1.threads);
    if (!wr.ok)
        fprintf(stderr, "  writer failed: %s\n", wr.err);
    if (O.tls)
        fprintf(stderr, "  TLS: %s, %" PRIu64 " TLS errors\n", g_tls_desc,
                (uint64_t)atomic_load(&g_tls_errors));
    fprintf(stderr, "  %s\n", pass ? "OK" : "FAILED");
    free(h);
    free(rs);
    free(th);
    if (O.tls) {
        gnutls_certificate_free_credentials(g_xcred);
        gnutls_global_deinit();
    }
    return pass ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    parse_args(argc, argv);
    init_pattern();
    if (strcmp(O.cmd, "ingest") == 0)
        return cmd_ingest();
    if (strcmp(O.cmd, "fanout") == 0)
        return cmd_follow(false);
    if (strcmp(O.cmd, "idle") == 0)
        return cmd_follow(true);
    if (strcmp(O.cmd, "multi") == 0)
        return cmd_multi();
    if (strcmp(O.cmd, "puts") == 0)
        return cmd_puts();
    if (strcmp(O.cmd, "waithealth") == 0)
        return cmd_waithealth();
    if (strcmp(O.cmd, "genfile") == 0)
        return cmd_genfile();
    if (strcmp(O.cmd, "freeport") == 0)
        return cmd_freeport();
    usage();
    return 2;
}
