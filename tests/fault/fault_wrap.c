/* fault_wrap: the rules file of LIVELOG_FAULT_RULES and the __wrap_
 * system calls of `livelog-faults` (contract and rules format in
 * fault_wrap.h). Test code only. */
#include "fault_wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RULES_MAX 64
#define RULE_PATH_MAX 512
#define RULES_FILE_MAX 16384

enum fault_call {
    CALL_OPEN,
    CALL_WRITE,
    CALL_PWRITE,
    CALL_PREAD,
    CALL_FSYNC,
    CALL_FDATASYNC,
    CALL_RENAME,
    CALL_COUNT,
};

static const char *const call_names[CALL_COUNT] = {
    "open", "write", "pwrite", "pread", "fsync", "fdatasync", "rename",
};

struct errno_name {
    const char *name;
    int value;
};

static const struct errno_name errno_names[] = {
    {"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT},
    {"EMFILE", EMFILE}, {"ENFILE", ENFILE}, {"EACCES", EACCES},
    {"EPERM", EPERM},   {"EROFS", EROFS},   {"EFBIG", EFBIG},
    {"ENOMEM", ENOMEM}, {"EINTR", EINTR},   {"EAGAIN", EAGAIN},
    {"ENOENT", ENOENT}, {"EBADF", EBADF},   {"EXDEV", EXDEV},
};

struct rule {
    enum fault_call call;
    char path[RULE_PATH_MAX];
    int err;
    long left; /* failures still to inject; -1: every matching call */
};

static struct {
    pthread_mutex_t lock;
    const char *rules_path; /* NULL: no injection at all */
    const char *log_path;
    struct stat seen; /* the rules file last read (st_ino 0: none) */
    struct rule rules[RULES_MAX];
    size_t n;
    bool wanted[CALL_COUNT]; /* some rule names this call */
} fw = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t fw_once = PTHREAD_ONCE_INIT;

static void fw_init(void)
{
    const char *p = getenv("LIVELOG_FAULT_RULES");
    fw.rules_path = p != NULL && p[0] != '\0' ? p : NULL;
    p = getenv("LIVELOG_FAULT_LOG");
    fw.log_path = p != NULL && p[0] != '\0' ? p : NULL;
}

static const char *errno_label(int err, char *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof(errno_names) / sizeof(*errno_names); i++)
        if (errno_names[i].value == err)
            return errno_names[i].name;
    snprintf(buf, cap, "%d", err);
    return buf;
}

/* Appends one line to LIVELOG_FAULT_LOG (with the real calls). */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    if (fw.log_path == NULL)
        return;
    char line[RULE_PATH_MAX + PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    int fd = __real_open(fw.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                         0600);
    if (fd < 0)
        return;
    if (__real_write(fd, line, len) < 0) {
        /* nothing to do: the test sees the line missing */
    }
    close(fd);
}

static bool parse_errno(const char *text, int *ret)
{
    for (size_t i = 0; i < sizeof(errno_names) / sizeof(*errno_names); i++) {
        if (strcmp(text, errno_names[i].name) == 0) {
            *ret = errno_names[i].value;
            return true;
        }
    }
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v <= 0 || v > 4095)
        return false;
    *ret = (int)v;
    return true;
}

static bool parse_call(const char *text, enum fault_call *ret)
{
    for (int c = 0; c < CALL_COUNT; c++) {
        if (strcmp(text, call_names[c]) == 0) {
            *ret = (enum fault_call)c;
            return true;
        }
    }
    return false;
}

/* Parses one non-empty line into *r. Returns NULL or what is wrong. */
static const char *parse_rule(char *line, struct rule *r)
{
    char *save = NULL;
    char *call = strtok_r(line, " \t\r", &save);
    char *path = strtok_r(NULL, " \t\r", &save);
    char *err = strtok_r(NULL, " \t\r", &save);
    char *count = strtok_r(NULL, " \t\r", &save);
    if (call == NULL || path == NULL || err == NULL)
        return "want SYSCALL PATH_SUBSTRING ERRNO [COUNT]";
    if (strtok_r(NULL, " \t\r", &save) != NULL)
        return "too many words";
    if (!parse_call(call, &r->call))
        return "unknown SYSCALL";
    if (strlen(path) >= sizeof(r->path))
        return "PATH_SUBSTRING too long";
    memcpy(r->path, path, strlen(path) + 1);
    if (!parse_errno(err, &r->err))
        return "unknown ERRNO";
    r->left = -1;
    if (count != NULL) {
        char *end = NULL;
        r->left = strtol(count, &end, 10);
        if (end == count || *end != '\0' || r->left < 1)
            return "COUNT must be a number >= 1";
    }
    return NULL;
}

/* Replaces the rules with those of text (NUL-terminated). fw.lock held. */
static void load_rules(char *text)
{
    fw.n = 0;
    memset(fw.wanted, 0, sizeof(fw.wanted));
    int lineno = 0;
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '#' || *line == '\r')
            continue;
        struct rule r;
        const char *why = fw.n == RULES_MAX ? "too many rules" : NULL;
        if (why == NULL)
            why = parse_rule(line, &r);
        if (why != NULL) {
            note("bad rule %d: %s", lineno, why);
            continue;
        }
        fw.rules[fw.n++] = r;
        fw.wanted[r.call] = true;
    }
}

/* Reads the rules file again when it changed. fw.lock held. */
static void refresh(void)
{
    struct stat st;
    if (stat(fw.rules_path, &st) != 0) {
        if (fw.seen.st_ino != 0 || fw.n != 0) {
            memset(&fw.seen, 0, sizeof(fw.seen));
            fw.n = 0;
            memset(fw.wanted, 0, sizeof(fw.wanted));
        }
        return;
    }
    if (st.st_ino == fw.seen.st_ino && st.st_size == fw.seen.st_size &&
        st.st_mtim.tv_sec == fw.seen.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == fw.seen.st_mtim.tv_nsec &&
        st.st_ctim.tv_sec == fw.seen.st_ctim.tv_sec &&
        st.st_ctim.tv_nsec == fw.seen.st_ctim.tv_nsec)
        return;
    static char text[RULES_FILE_MAX];
    size_t len = 0;
    int fd = __real_open(fw.rules_path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got;
        while (len < sizeof(text) - 1 &&
               (got = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
            len += (size_t)got;
        close(fd);
    }
    text[len] = '\0';
    fw.seen = st;
    load_rules(text);
}

static bool rule_matches(const struct rule *r, enum fault_call call,
                         const char *path, const char *path2)
{
    if (r->call != call || r->left == 0)
        return false;
    if (strcmp(r->path, "*") == 0)
        return true;
    return (path != NULL && strstr(path, r->path) != NULL) ||
           (path2 != NULL && strstr(path2, r->path) != NULL);
}

/* Whether this call wants a rule's path at all (cheap: no readlink when
 * no rule names the call). */
static bool call_wanted(enum fault_call call)
{
    pthread_once(&fw_once, fw_init);
    if (fw.rules_path == NULL)
        return false;
    pthread_mutex_lock(&fw.lock);
    refresh();
    bool wanted = fw.wanted[call];
    pthread_mutex_unlock(&fw.lock);
    return wanted;
}

/* The errno to fail this call with, or 0 to call the real function. */
static int decide(enum fault_call call, const char *path, const char *path2)
{
    int err = 0;
    pthread_mutex_lock(&fw.lock);
    for (size_t i = 0; i < fw.n; i++) {
        struct rule *r = &fw.rules[i];
        if (!rule_matches(r, call, path, path2))
            continue;
        if (r->left > 0)
            r->left--;
        err = r->err;
        break;
    }
    pthread_mutex_unlock(&fw.lock);
    if (err != 0) {
        char num[16];
        note("%s %s %s%s%s", call_names[call],
             errno_label(err, num, sizeof(num)), path != NULL ? path : "?",
             path2 != NULL ? " " : "", path2 != NULL ? path2 : "");
    }
    return err;
}

static int decide_path(enum fault_call call, const char *path,
                       const char *path2)
{
    return call_wanted(call) ? decide(call, path, path2) : 0;
}

static int decide_fd(enum fault_call call, int fd)
{
    if (!call_wanted(call))
        return 0;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n < 0)
        return 0;
    path[n] = '\0';
    return decide(call, path, NULL);
}

int __wrap_open(const char *path, int flags, ...)
{
    int mode = 0;
    if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    int err = decide_path(CALL_OPEN, path, NULL);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return __real_open(path, flags, mode);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
    int err = decide_fd(CALL_WRITE, fd);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return __real_write(fd, buf, len);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    int err = decide_fd(CALL_PWRITE, fd);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return __real_pwrite(fd, buf, len, off);
}

ssize_t __wrap_pread(int fd, void *buf, size_t len, off_t off)
{
    int err = decide_fd(CALL_PREAD, fd);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return __real_pread(fd, buf, len, off);
}

int __wrap_fsync(int fd)
{
    int err = decide_fd(CALL_FSYNC, fd);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return __real_fsync(fd);
}

int __wrap_fdatasync(int fd)
{
    int err = decide_fd(CALL_FDATASYNC, fd);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return __real_fdatasync(fd);
}

int __wrap_rename(const char *from, const char *to)
{
    int err = decide_path(CALL_RENAME, from, to);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return __real_rename(from, to);
}
