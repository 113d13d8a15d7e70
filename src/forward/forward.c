/* forward: the main loop of `livelog forward`. Owns the followed files,
 * the checkpoint and the lifecycle: discovery (scans and inotify events
 * from forward_watch), growth, rotation, truncation and deletion of each
 * file (forward_file), the sinks (forward_http, forward_stdout), the
 * durable checkpoint (forward_checkpoint) written only after the sinks
 * acknowledged, and the exits: --once, SIGTERM/SIGINT with a bounded
 * drain. One thread; every wait is one poll over libcurl's sockets, the
 * inotify descriptor and a signal pipe. */
#include "forward/forward.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "client/client_http.h"
#include "core/core_clock.h"
#include "forward/forward_checkpoint.h"
#include "forward/forward_config.h"
#include "forward/forward_file.h"
#include "forward/forward_http.h"
#include "forward/forward_name.h"
#include "forward/forward_stdout.h"
#include "forward/forward_watch.h"
#include "log/log.h"
#include "store/store_name.h"

#define FWD_NAMES_MAX 10000    /* names remembered for {gen}          */
#define FWD_FULL_SCAN_MS 2000u /* directory scans with inotify working */

struct fwd {
    struct forward_config cfg;
    struct forward_watch *watch;
    struct forward_http *http;  /* NULL without a server */
    struct forward_stdout *out; /* NULL without stdout */
    struct forward_file **files;
    size_t nfiles, capfiles;
    struct forward_ckpt old; /* the loaded checkpoint's records      */
    bool *old_used;          /* ... matched to a file found again    */
    bool orphans_done;       /* unmatched records were handled       */
    struct forward_ckpt_name *names;
    size_t nnames;
    bool dirty;
    uint64_t saved_ms;
    uint64_t refresh_at_ms, scan_at_ms;
    bool stopping;
    uint64_t deadline_ms;
    uint64_t progress_ms; /* the last time a sink moved forward       */
    int exit_code;
    uint64_t followed, skipped_seen;
};

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char c = (unsigned char)sig;
    ssize_t rc = write(sig_pipe[1], &c, 1);
    (void)rc;
    errno = saved;
}

static uint64_t now_ms(void)
{
    return core_clock_mono_ns() / CORE_NS_PER_MS;
}

/* ---- names ---- */

static uint64_t *name_count(struct fwd *w, const char *base, bool add)
{
    for (size_t i = 0; i < w->nnames; i++)
        if (strcmp(w->names[i].name, base) == 0)
            return &w->names[i].count;
    if (!add)
        return NULL;
    if (w->nnames == FWD_NAMES_MAX) { /* forget the oldest */
        free(w->names[0].name);
        memmove(w->names, w->names + 1, (w->nnames - 1) * sizeof(*w->names));
        w->nnames--;
    }
    struct forward_ckpt_name *n =
        realloc(w->names, (w->nnames + 1) * sizeof(*w->names));
    if (n == NULL)
        return NULL;
    w->names = n;
    w->names[w->nnames].name = strdup(base);
    if (w->names[w->nnames].name == NULL)
        return NULL;
    w->names[w->nnames].count = 0;
    return &w->names[w->nnames++].count;
}

/* Gives a new file its stream name. Returns 0 or a negative errno. */
static int assign_name(struct fwd *w, struct forward_file *f)
{
    char base[STORE_NAME_MAX + 1], name[STORE_NAME_MAX + 1];
    struct forward_name_vars v = {
        .host = w->cfg.host, .path = f->rec.path, .ino = f->rec.ino, .gen = 0};
    int rc = forward_name_expand(w->cfg.name_template, &v, base, sizeof(base));
    if (rc != 0)
        return rc;
    uint64_t *count = name_count(w, base, true);
    if (count == NULL)
        return -ENOMEM;
    v.gen = *count;
    rc = forward_name_expand(w->cfg.name_template, &v, name, sizeof(name));
    if (rc != 0)
        return rc;
    f->rec.name = strdup(name);
    if (f->rec.name == NULL)
        return -ENOMEM;
    (*count)++;
    return 0;
}

/* ---- checkpoint ---- */

static void save(struct fwd *w, uint64_t now)
{
    struct forward_ckpt c = {0};
    size_t n = w->nfiles;
    for (size_t i = 0; !w->orphans_done && i < w->old.nrecs; i++)
        n += !w->old_used[i];
    c.recs = n > 0 ? calloc(n, sizeof(*c.recs)) : NULL;
    if (n > 0 && c.recs == NULL) {
        log_error(LOGC_FORWARD, "cannot write the checkpoint",
                  LF_STR("error", strerror(ENOMEM)));
        return;
    }
    for (size_t i = 0; i < w->nfiles; i++)
        c.recs[c.nrecs++] = w->files[i]->rec; /* shallow: strings shared */
    for (size_t i = 0; !w->orphans_done && i < w->old.nrecs; i++)
        if (!w->old_used[i])
            c.recs[c.nrecs++] = w->old.recs[i];
    c.names = w->names;
    c.nnames = w->nnames;
    int rc = forward_ckpt_save(w->cfg.state_dir, &c);
    free(c.recs);
    if (rc != 0) {
        /* the sinks' positions stay right; only a restart would repeat
         * (stdout) or re-ask (server) */
        log_warning(LOGC_FORWARD, "cannot write the checkpoint: retrying",
                    LF_STR("dir", w->cfg.state_dir),
                    LF_STR("error", strerror(-rc)));
        return;
    }
    w->dirty = false;
    w->saved_ms = now;
}

/* ---- files ---- */

static struct forward_file *find_inode(struct fwd *w, uint64_t dev,
                                       uint64_t ino)
{
    for (size_t i = 0; i < w->nfiles; i++)
        if (w->files[i]->rec.dev == dev && w->files[i]->rec.ino == ino &&
            w->files[i]->fd >= 0)
            return w->files[i];
    return NULL;
}

static int add_file(struct fwd *w, struct forward_file *f)
{
    if (w->nfiles == w->capfiles) {
        size_t cap = w->capfiles ? 2 * w->capfiles : 64;
        struct forward_file **p = realloc(w->files, cap * sizeof(*p));
        if (p == NULL)
            return -ENOMEM;
        w->files = p;
        w->capfiles = cap;
    }
    w->files[w->nfiles++] = f;
    w->dirty = true;
    return 0;
}

static void drop_file(struct fwd *w, size_t i)
{
    struct forward_file *f = w->files[i];
    if (w->http != NULL)
        forward_http_cancel(w->http, f);
    forward_file_close(f);
    free(f);
    w->files[i] = w->files[--w->nfiles];
    w->dirty = true;
}

/* The file shrank: its content starts again at 0. */
static void truncated(struct fwd *w, struct forward_file *f)
{
    uint64_t shipped = f->rec.out_file;
    if (w->http != NULL)
        shipped = forward_http_file_pos(f);
    f->truncations++;
    log_warning(LOGC_FORWARD,
                "file truncated (copytruncate?): reading it again from its "
                "start, into the same stream",
                LF_STR("path", f->rec.path), LF_STR("name", f->rec.name),
                LF_U64("size", f->size), LF_U64("shipped", shipped));
    f->rec.out_file = 0;
    f->rec.out_done = false;
    if (w->http != NULL)
        forward_http_restart(w->http, f);
    w->dirty = true;
}

static void refresh(struct fwd *w, struct forward_file *f, uint64_t now)
{
    if (f->fd < 0)
        return;
    int rc = forward_file_refresh(f, now);
    if (rc == -ESTALE) {
        truncated(w, f);
    } else if (rc < 0) {
        log_warning(LOGC_FORWARD, "cannot stat a followed file",
                    LF_STR("path", f->rec.path),
                    LF_STR("error", strerror(-rc)));
    }
}

/* Tries the loaded checkpoint's records on a newly opened file. */
static bool adopt_record(struct fwd *w, struct forward_file *f,
                         const char *path)
{
    for (size_t i = 0; i < w->old.nrecs; i++) {
        struct forward_ckpt_rec *r = &w->old.recs[i];
        if (w->old_used[i] || !forward_file_matches(f->fd, r))
            continue;
        uint64_t size = f->size;
        unsigned char fp[32];
        uint32_t fp_len = f->rec.fp_len;
        memcpy(fp, f->rec.fp, sizeof(fp));
        forward_ckpt_rec_free(&f->rec);
        f->rec = *r; /* takes the strings */
        r->path = NULL;
        r->name = NULL;
        w->old_used[i] = true;
        f->rec.fp_len = fp_len;
        memcpy(f->rec.fp, fp, sizeof(fp));
        f->size = size;
        f->phase = f->rec.http_done ? FWD_HTTP_DONE : FWD_HTTP_NEW;
        f->exists = f->rec.http_stream > 0;
        if (strcmp(f->rec.path, path) != 0) {
            f->gone = true; /* rotated while we were stopped */
            f->changed_ms = now_ms();
        }
        log_info(LOGC_FORWARD, "following a file again", LF_STR("path", path),
                 LF_STR("name", f->rec.name), LF_U64("size", size),
                 LF_U64("server", f->rec.http_stream),
                 LF_U64("stdout", f->rec.out_file));
        uint64_t hpos = forward_http_file_pos(f);
        if ((w->out != NULL && f->rec.out_file > size) ||
            (w->http != NULL && hpos > size))
            truncated(w, f);
        return true;
    }
    return false;
}

/* A path was found by a scan or named by an event. */
static void on_path(void *ctx, const char *path)
{
    struct fwd *w = ctx;
    struct forward_file probe;
    uint64_t now = now_ms();
    int rc = forward_file_open(&probe, path);
    if (rc != 0) {
        if (rc != -ENOENT && rc != -EISDIR && rc != -EINVAL)
            log_warning(LOGC_FORWARD, "cannot open a file to follow",
                        LF_STR("path", path), LF_STR("error", strerror(-rc)));
        return;
    }
    struct forward_file *known = find_inode(w, probe.rec.dev, probe.rec.ino);
    if (known != NULL) {
        forward_file_close(&probe);
        known->seen = true;
        refresh(w, known, now);
        return;
    }
    if (w->stopping) {
        forward_file_close(&probe);
        return;
    }
    struct forward_file *f = malloc(sizeof(*f));
    if (f == NULL) {
        forward_file_close(&probe);
        return;
    }
    *f = probe;
    f->seen = true;
    f->changed_ms = now;
    if (!adopt_record(w, f, path)) {
        rc = w->http != NULL ? assign_name(w, f) : 0;
        if (rc == 0 && f->rec.name == NULL)
            f->rec.name = strdup("");
        if (rc != 0 || f->rec.name == NULL) {
            log_warning(LOGC_FORWARD,
                        "no valid log name for a file: not followed (see "
                        "--name-template)",
                        LF_STR("path", path),
                        LF_STR("error", strerror(rc != 0 ? -rc : ENOMEM)));
            forward_file_close(f);
            free(f);
            return;
        }
        log_info(LOGC_FORWARD, "following a file", LF_STR("path", path),
                 LF_STR("name", f->rec.name), LF_U64("size", f->size));
    }
    if (add_file(w, f) != 0) {
        forward_file_close(f);
        free(f);
        return;
    }
    w->followed++;
}

/* Records of the checkpoint whose file was not found again: the file
 * went while the forwarder was stopped. Their streams are completed with
 * what the server has. */
static void handle_orphans(struct fwd *w)
{
    for (size_t i = 0; i < w->old.nrecs; i++) {
        struct forward_ckpt_rec *r = &w->old.recs[i];
        if (w->old_used[i])
            continue;
        w->old_used[i] = true;
        bool open_stream = w->http != NULL && !r->http_done &&
                           r->name != NULL && r->name[0] != '\0';
        if (!open_stream)
            continue;
        struct forward_file *f = calloc(1, sizeof(*f));
        if (f == NULL)
            continue;
        f->fd = -1;
        f->rec = *r;
        r->path = NULL;
        r->name = NULL;
        f->finished = true;
        f->gone = true;
        f->phase = FWD_HTTP_NEW;
        f->exists = true;
        log_warning(LOGC_FORWARD,
                    "a followed file went away while the forwarder was "
                    "stopped: its stream is completed with what the server "
                    "has",
                    LF_STR("path", f->rec.path), LF_STR("name", f->rec.name),
                    LF_U64("acknowledged", f->rec.http_stream));
        if (add_file(w, f) != 0) {
            forward_file_close(f);
            free(f);
        }
    }
    w->orphans_done = true;
    w->dirty = true;
}

static bool file_done(const struct fwd *w, const struct forward_file *f)
{
    bool h = w->http == NULL || f->phase == FWD_HTTP_DONE ||
             f->phase == FWD_HTTP_FAILED;
    bool o = w->out == NULL || f->rec.out_done || f->fd < 0;
    return h && o;
}

/* Whether every sink has everything of f that there is now. */
static bool file_drained(const struct fwd *w, const struct forward_file *f)
{
    if (w->http != NULL && !forward_http_drained(f))
        return false;
    if (w->out != NULL && f->fd >= 0 && !f->rec.out_done) {
        if (f->finished)
            return false;
        /* only an unfinished last line may wait for its newline */
        if (f->rec.out_file < f->size && !f->out_waiting)
            return false;
    }
    return true;
}

static bool all_drained(const struct fwd *w)
{
    for (size_t i = 0; i < w->nfiles; i++)
        if (!file_drained(w, w->files[i]))
            return false;
    return true;
}

/* Periodic look at every file: growth (also of deleted files, which
 * inotify no longer reports), its path, the end of a rotated file. */
static void refresh_all(struct fwd *w, uint64_t now)
{
    for (size_t i = 0; i < w->nfiles; i++) {
        struct forward_file *f = w->files[i];
        if (f->fd < 0)
            continue;
        refresh(w, f, now);
        if (!f->gone && !forward_file_at_path(f)) {
            f->gone = true;
            f->changed_ms = now;
            log_info(LOGC_FORWARD,
                     "a followed file was renamed or deleted: reading it to "
                     "its end",
                     LF_STR("path", f->rec.path), LF_STR("name", f->rec.name));
        }
        if (f->gone && !f->finished &&
            now - f->changed_ms >= w->cfg.rotate_wait_ms) {
            f->finished = true;
            w->dirty = true;
        }
    }
}

/* A full scan: new files, and files gone from every watched path. */
static void full_scan(struct fwd *w)
{
    for (size_t i = 0; i < w->nfiles; i++)
        w->files[i]->seen = false;
    forward_watch_scan(w->watch, on_path, w);
    for (size_t i = 0; i < w->nfiles;) {
        struct forward_file *f = w->files[i];
        if (file_done(w, f) && (!f->seen || f->fd < 0) &&
            (f->gone || f->fd < 0))
            drop_file(w, i);
        else
            i++;
    }
}

/* The stdout sink's turn: a chunk of each file that has more. Returns
 * true when there is more to write right away. */
static bool pump_stdout(struct fwd *w)
{
    bool more = false;
    for (size_t i = 0; i < w->nfiles; i++) {
        struct forward_file *f = w->files[i];
        if (f->fd < 0)
            continue;
        int rc = forward_stdout_pump(w->out, f);
        if (rc > 0) {
            w->dirty = true;
            w->progress_ms = now_ms();
            if (f->rec.out_file < f->size)
                more = true;
        } else if (rc == -EPIPE) {
            log_error(LOGC_FORWARD, "stdout is closed: stopping",
                      LF_STR("error", strerror(EPIPE)));
            w->exit_code = 1;
            w->stopping = true;
            w->deadline_ms = 0;
            return false;
        } else if (rc < 0) {
            log_warning(LOGC_FORWARD, "cannot read a followed file",
                        LF_STR("path", f->rec.path),
                        LF_STR("error", strerror(-rc)));
        }
    }
    return more;
}

static void begin_stop(struct fwd *w, const char *why)
{
    if (w->stopping)
        return;
    w->stopping = true;
    sd_notify(0, "STOPPING=1");
    w->deadline_ms = now_ms() + w->cfg.drain_timeout_ms;
    log_info(LOGC_FORWARD, "stopping: shipping what is readable",
             LF_STR("reason", why),
             LF_U64("drain_timeout_ms", w->cfg.drain_timeout_ms));
    if (w->cfg.complete_on_exit)
        for (size_t i = 0; i < w->nfiles; i++)
            w->files[i]->finished = true;
}

static void drain_signals(struct fwd *w)
{
    unsigned char c;
    while (read(sig_pipe[0], &c, 1) == 1)
        begin_stop(w, c == SIGINT ? "SIGINT" : "SIGTERM");
}

static int setup_signals(void)
{
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -errno;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* mkdir -p of the state directory (mode 700), then its lock. Returns
 * the lock's descriptor or a negative errno. */
static int open_state_dir(const char *dir)
{
    char path[4096 + 16];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -errno;
    snprintf(path, sizeof(path), "%s/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno == EWOULDBLOCK ? -EBUSY : -errno;
        close(fd);
        return err;
    }
    return fd;
}

static int wait_timeout(struct fwd *w, uint64_t now, bool busy)
{
    if (busy)
        return 0;
    uint64_t t = w->refresh_at_ms;
    if (w->dirty) {
        uint64_t c = w->saved_ms + w->cfg.checkpoint_interval_ms;
        t = c < t ? c : t;
    }
    if (w->http != NULL) {
        uint64_t r = forward_http_next_retry(w->files, w->nfiles);
        t = r < t ? r : t;
    }
    if (w->stopping && w->deadline_ms < t)
        t = w->deadline_ms;
    if (t <= now)
        return 0;
    return t - now > 1000 ? 1000 : (int)(t - now);
}

static void wait_events(struct fwd *w, int timeout_ms)
{
    struct curl_waitfd fds[2];
    unsigned n = 0;
    int ifd = forward_watch_fd(w->watch);
    fds[n++] =
        (struct curl_waitfd){.fd = sig_pipe[0], .events = CURL_WAIT_POLLIN};
    if (ifd >= 0)
        fds[n++] = (struct curl_waitfd){.fd = ifd, .events = CURL_WAIT_POLLIN};
    if (w->http != NULL) {
        forward_http_wait(w->http, fds, n, timeout_ms);
        return;
    }
    struct pollfd p[2];
    for (unsigned i = 0; i < n; i++)
        p[i] = (struct pollfd){.fd = fds[i].fd, .events = POLLIN};
    poll(p, n, timeout_ms);
}

static void run(struct fwd *w)
{
    bool busy = false;
    full_scan(w);
    handle_orphans(w);
    /* systemd's Type=notify: ready after the first scan (a no-op without
     * NOTIFY_SOCKET). */
    sd_notify(0, "READY=1\nSTATUS=following");
    w->scan_at_ms =
        now_ms() + (forward_watch_complete(w->watch) ? FWD_FULL_SCAN_MS
                                                     : w->cfg.poll_interval_ms);
    w->progress_ms = now_ms();
    for (;;) {
        wait_events(w, wait_timeout(w, now_ms(), busy));
        uint64_t now = now_ms();
        drain_signals(w);
        if (forward_watch_events(w->watch, on_path, w))
            w->scan_at_ms = now;
        if (now >= w->refresh_at_ms) {
            refresh_all(w, now);
            w->refresh_at_ms = now + w->cfg.poll_interval_ms;
        }
        if (now >= w->scan_at_ms) {
            full_scan(w);
            w->scan_at_ms = now + (forward_watch_complete(w->watch)
                                       ? FWD_FULL_SCAN_MS
                                       : w->cfg.poll_interval_ms);
        }
        busy = w->out != NULL && pump_stdout(w);
        if (w->http != NULL) {
            if (forward_http_start(w->http, w->files, w->nfiles, now)) {
                save(w, now); /* a skip: its marker's place is durable */
                forward_http_start(w->http, w->files, w->nfiles, now);
            }
            if (forward_http_perform(w->http, now)) {
                w->dirty = true;
                w->progress_ms = now;
                forward_http_start(w->http, w->files, w->nfiles, now);
            }
        }
        if (w->dirty && now - w->saved_ms >= w->cfg.checkpoint_interval_ms)
            save(w, now);
        if (w->cfg.once && !w->stopping && all_drained(w)) {
            begin_stop(w, "--once: everything was shipped");
            continue; /* --complete-on-exit has more to send */
        }
        if (w->stopping && all_drained(w))
            break;
        if (w->stopping && now >= w->deadline_ms) {
            log_warning(LOGC_FORWARD,
                        "drain timeout: what was not shipped stays in the "
                        "checkpoint for the next run",
                        LF_U64("drain_timeout_ms", w->cfg.drain_timeout_ms));
            if (w->cfg.once)
                w->exit_code = 1;
            break;
        }
        if (w->cfg.once && !w->stopping &&
            now - w->progress_ms > w->cfg.drain_timeout_ms &&
            w->cfg.drain_timeout_ms > 0 && w->http != NULL &&
            forward_http_down(w->http)) {
            log_warning(LOGC_FORWARD,
                        "--once: the server stayed unreachable for "
                        "--drain-timeout; giving up",
                        LF_U64("drain_timeout_ms", w->cfg.drain_timeout_ms));
            w->exit_code = 1;
            break;
        }
    }
    save(w, now_ms());
}

static void cleanup(struct fwd *w)
{
    for (size_t i = 0; i < w->nfiles; i++) {
        if (w->http != NULL)
            forward_http_cancel(w->http, w->files[i]);
        forward_file_close(w->files[i]);
        free(w->files[i]);
    }
    free(w->files);
    forward_http_free(w->http);
    forward_stdout_free(w->out);
    forward_watch_free(w->watch);
    forward_ckpt_free(&w->old);
    free(w->old_used);
    for (size_t i = 0; i < w->nnames; i++)
        free(w->names[i].name);
    free(w->names);
    forward_config_free(&w->cfg); /* after the watches: they point in */
}

int forward_main(int argc, char **argv)
{
    static struct fwd w; /* large; one per process */
    char err[512];
    int rc = forward_config_parse(argc, argv, &w.cfg, stdout, err, sizeof(err));
    if (rc != 0)
        forward_config_free(&w.cfg);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "livelog forward: %s\n", err);
        return 2;
    }
    log_init(2, w.cfg.log_level, w.cfg.log_format);
    raise_fd_limit();
    if (setup_signals() != 0 || client_http_global_init() != 0) {
        log_fatal(LOGC_FORWARD, "cannot start",
                  LF_STR("error", strerror(errno)));
        return 1;
    }
    int lock = open_state_dir(w.cfg.state_dir);
    if (lock < 0) {
        log_fatal(LOGC_FORWARD,
                  lock == -EBUSY ? "another forwarder uses this --state-dir"
                                 : "cannot use the --state-dir",
                  LF_STR("dir", w.cfg.state_dir),
                  LF_STR("error", strerror(-lock)));
        return 1;
    }
    rc = forward_ckpt_load(w.cfg.state_dir, &w.old, err, sizeof(err));
    if (rc != 0) {
        log_fatal(LOGC_FORWARD,
                  "the checkpoint is unreadable: repair or remove it",
                  LF_STR("dir", w.cfg.state_dir), LF_STR("error", err));
        close(lock);
        return 1;
    }
    w.names = w.old.names; /* the names move over */
    w.nnames = w.old.nnames;
    w.old.names = NULL;
    w.old.nnames = 0;
    w.old_used = calloc(w.old.nrecs + 1, sizeof(bool));
    size_t read_cap = (size_t)w.cfg.buffer_size / 2;
    size_t parallel =
        (size_t)(w.cfg.buffer_size / 2) / FORWARD_HTTP_UPLOAD_BUFFER;
    if (parallel > w.cfg.parallel)
        parallel = (size_t)w.cfg.parallel;
    if (parallel == 0)
        parallel = 1;
    rc = w.old_used == NULL ? -ENOMEM : 0;
    if (rc == 0)
        rc = forward_watch_new(w.cfg.watch, w.cfg.nwatch, w.cfg.poll_only,
                               &w.watch);
    if (rc == 0 && w.cfg.server[0] != '\0')
        rc = forward_http_new(&w.cfg, parallel, &w.http);
    if (rc == 0 && w.cfg.to_stdout)
        rc = forward_stdout_new(1, read_cap, (size_t)w.cfg.max_line, &w.out);
    if (rc != 0) {
        log_fatal(LOGC_FORWARD, "cannot start", LF_STR("error", strerror(-rc)));
        cleanup(&w);
        close(lock);
        return 1;
    }
    log_info(LOGC_FORWARD, "forwarder started",
             LF_STR("server", w.cfg.server[0] != '\0' ? w.cfg.server : "-"),
             LF_BOOL("stdout", w.cfg.to_stdout),
             LF_U64("watches", w.cfg.nwatch),
             LF_BOOL("inotify", forward_watch_fd(w.watch) >= 0),
             LF_U64("files_in_checkpoint", w.old.nrecs),
             LF_STR("state_dir", w.cfg.state_dir),
             LF_STR("version", LIVELOG_VERSION));
    run(&w);
    uint64_t skipped = 0, truncations = 0;
    for (size_t i = 0; i < w.nfiles; i++) {
        skipped += w.files[i]->rec.skipped;
        truncations += w.files[i]->truncations;
    }
    log_info(LOGC_FORWARD, "forwarder stopped",
             LF_U64("files_followed", w.followed),
             LF_U64("files_open", w.nfiles), LF_U64("skipped_bytes", skipped),
             LF_U64("truncations", truncations), LF_I64("exit", w.exit_code));
    int code = w.exit_code;
    cleanup(&w);
    close(lock);
    return code;
}
