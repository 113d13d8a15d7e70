/* forward_watch: the specs, their inotify watches and scans (contract in
 * forward_watch.h). */
#include "forward/forward_watch.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log/log.h"

enum spec_kind { SPEC_FILE, SPEC_DIR, SPEC_GLOB };

struct spec {
    const char *text;
    enum spec_kind kind;
    char dir[PATH_MAX];    /* the directory inotify watches ("" for none)  */
    char prefix[PATH_MAX]; /* what precedes a name in this spec's paths */
    const char *base;      /* FILE: the name; GLOB: the pattern of names   */
    int wd;                /* its inotify watch, or -1                     */
    bool no_inotify;       /* the directory's file system cannot notify    */
};

struct forward_watch {
    struct spec *specs;
    size_t n;
    int ifd; /* inotify, or -1 */
};

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* File systems whose changes made elsewhere inotify never reports. */
static bool fs_without_inotify(const char *dir)
{
    struct statfs sf;
    if (statfs(dir, &sf) != 0)
        return false;
    switch ((uint64_t)sf.f_type) {
    case 0x6969:     /* NFS */
    case 0xFF534D42: /* CIFS */
    case 0xFE534D42: /* SMB2 */
    case 0x517B:     /* SMB */
    case 0x65735546: /* FUSE */
    case 0x01021997: /* 9P */
    case 0x6E667364: /* NFSD */
        return true;
    default:
        return false;
    }
}

static void classify(struct spec *s)
{
    struct stat st;
    size_t len = strlen(s->text);
    const char *slash = strrchr(s->text, '/');
    s->wd = -1;
    if ((stat(s->text, &st) == 0 && S_ISDIR(st.st_mode)) ||
        (len > 0 && s->text[len - 1] == '/')) {
        s->kind = SPEC_DIR;
        snprintf(s->dir, sizeof(s->dir), "%s", s->text);
        size_t dl = strlen(s->dir);
        while (dl > 1 && s->dir[dl - 1] == '/')
            s->dir[--dl] = '\0';
        snprintf(s->prefix, sizeof(s->prefix), "%s%s", s->dir,
                 strcmp(s->dir, "/") == 0 ? "" : "/");
        s->base = NULL;
        return;
    }
    s->kind = has_glob(s->text) ? SPEC_GLOB : SPEC_FILE;
    s->base = slash != NULL ? slash + 1 : s->text;
    snprintf(s->prefix, sizeof(s->prefix), "%.*s", (int)(s->base - s->text),
             s->text);
    if (slash == NULL)
        snprintf(s->dir, sizeof(s->dir), ".");
    else if (slash == s->text)
        snprintf(s->dir, sizeof(s->dir), "/");
    else
        snprintf(s->dir, sizeof(s->dir), "%.*s", (int)(slash - s->text),
                 s->text);
    if (has_glob(s->dir))
        s->dir[0] = '\0'; /* a pattern in a directory: scans only */
}

int forward_watch_new(const char *const *specs, size_t n, bool poll_only,
                      struct forward_watch **ret)
{
    struct forward_watch *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    w->specs = calloc(n, sizeof(*w->specs));
    if (w->specs == NULL) {
        free(w);
        return -ENOMEM;
    }
    w->n = n;
    w->ifd = -1;
    for (size_t i = 0; i < n; i++) {
        w->specs[i].text = specs[i];
        classify(&w->specs[i]);
    }
    if (!poll_only) {
        w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->ifd < 0)
            log_warning(LOGC_FORWARD,
                        "inotify is unavailable: scanning every "
                        "--poll-interval instead",
                        LF_STR("error", strerror(errno)));
    }
    *ret = w;
    return 0;
}

void forward_watch_free(struct forward_watch *w)
{
    if (w == NULL)
        return;
    if (w->ifd >= 0)
        close(w->ifd);
    free(w->specs);
    free(w);
}

int forward_watch_fd(const struct forward_watch *w)
{
    return w->ifd;
}

bool forward_watch_complete(const struct forward_watch *w)
{
    if (w->ifd < 0)
        return false;
    for (size_t i = 0; i < w->n; i++)
        if (w->specs[i].wd < 0)
            return false;
    return true;
}

/* Adds the inotify watch of s's directory when it is missing. */
static void add_watch(struct forward_watch *w, struct spec *s)
{
    if (w->ifd < 0 || s->wd >= 0 || s->dir[0] == '\0' || s->no_inotify)
        return;
    if (fs_without_inotify(s->dir)) {
        s->no_inotify = true;
        log_info(LOGC_FORWARD,
                 "this file system does not report changes to inotify: "
                 "scanning it every --poll-interval",
                 LF_STR("dir", s->dir));
        return;
    }
    uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE |
                    IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
                    IN_MOVE_SELF | IN_ONLYDIR;
    s->wd = inotify_add_watch(w->ifd, s->dir, mask);
    if (s->wd < 0 && errno != ENOENT && errno != ENOTDIR)
        log_warning(LOGC_FORWARD,
                    "cannot watch a directory with inotify: scanning it "
                    "every --poll-interval",
                    LF_STR("dir", s->dir), LF_STR("error", strerror(errno)));
}

static void scan_dir(const char *dir, const char *prefix, forward_watch_fn *fn,
                     void *ctx)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        log_debug(LOGC_FORWARD, "cannot read a watched directory",
                  LF_STR("dir", dir), LF_STR("error", strerror(errno)));
        return;
    }
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN &&
            e->d_type != DT_LNK)
            continue;
        int n = snprintf(path, sizeof(path), "%s%s", prefix, e->d_name);
        if (n > 0 && (size_t)n < sizeof(path))
            fn(ctx, path);
    }
    closedir(d);
}

void forward_watch_scan(struct forward_watch *w, forward_watch_fn *fn,
                        void *ctx)
{
    for (size_t i = 0; i < w->n; i++) {
        struct spec *s = &w->specs[i];
        add_watch(w, s);
        if (s->kind == SPEC_DIR) {
            scan_dir(s->dir, s->prefix, fn, ctx);
        } else if (s->kind == SPEC_FILE) {
            fn(ctx, s->text);
        } else {
            glob_t g;
            if (glob(s->text, GLOB_NOSORT, NULL, &g) == 0)
                for (size_t j = 0; j < g.gl_pathc; j++)
                    fn(ctx, g.gl_pathv[j]);
            globfree(&g);
        }
    }
}

static bool spec_matches(const struct spec *s, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash != NULL ? (size_t)(slash - path) : 0;
    switch (s->kind) {
    case SPEC_DIR: {
        size_t pl = strlen(s->prefix);
        return slash != NULL && dlen + 1 == pl &&
               strncmp(path, s->prefix, pl) == 0;
    }
    case SPEC_FILE:
        return strcmp(path, s->text) == 0;
    case SPEC_GLOB:
        return fnmatch(s->text, path, FNM_PATHNAME) == 0;
    }
    return false;
}

bool forward_watch_matches(const struct forward_watch *w, const char *path)
{
    for (size_t i = 0; i < w->n; i++)
        if (spec_matches(&w->specs[i], path))
            return true;
    return false;
}

bool forward_watch_events(struct forward_watch *w, forward_watch_fn *fn,
                          void *ctx)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    char path[PATH_MAX];
    bool rescan = false;
    if (w->ifd < 0)
        return false;
    for (;;) {
        ssize_t n = read(w->ifd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const void *)p;
            p += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                rescan = true;
                continue;
            }
            for (size_t i = 0; i < w->n; i++) {
                struct spec *s = &w->specs[i];
                if (s->wd != ev->wd)
                    continue;
                if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                    if (ev->mask & IN_IGNORED)
                        s->wd = -1;
                    rescan = true;
                    continue;
                }
                if (ev->len == 0)
                    continue;
                int k =
                    snprintf(path, sizeof(path), "%s%s", s->prefix, ev->name);
                if (k > 0 && (size_t)k < sizeof(path) && spec_matches(s, path))
                    fn(ctx, path);
            }
        }
    }
    return rescan;
}
