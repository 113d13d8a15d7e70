/* fault_selftest: pins fault_wrap (the wrappers of `livelog-faults`) and
 * its rules format: each system call fails with the rule's errno only on
 * a matching path (descriptors mapped to their paths, either path of a
 * rename), COUNT limits the failures, the first matching rule decides,
 * `*` matches any path, a changed file is read again (counts restored),
 * a removed file means no rules, bad lines are reported in the fault log
 * and ignored, and every injected failure is logged there. Linked with
 * the same --wrap options as livelog-faults, so the calls below go
 * through the wrappers. Exit 0 when every check passed. */
#include "fault_wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
static char dir[PATH_MAX];
static char rules_path[PATH_MAX + 32];
static char log_path[PATH_MAX + 32];

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,   \
                    #cond);                                                    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* dir/name into buf. */
static const char *at(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

/* Replaces the rules file atomically (the real calls, so that no rule
 * applies to it). */
static void set_rules(const char *text)
{
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof(tmp), "%s.tmp", rules_path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", tmp);
        exit(2);
    }
    if (__real_rename(tmp, rules_path) != 0) {
        fprintf(stderr, "cannot rename %s\n", tmp);
        exit(2);
    }
}

/* Opens dir/name for reading and writing (created). */
static int open_file(const char *name)
{
    char path[PATH_MAX + 64];
    return open(at(path, sizeof(path), name), O_RDWR | O_CREAT | O_CLOEXEC,
                0600);
}

/* The fault log's text (empty when missing). */
static const char *fault_log(void)
{
    static char text[8192];
    size_t len = 0;
    FILE *f = fopen(log_path, "r");
    if (f != NULL) {
        len = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
    }
    text[len] = '\0';
    return text;
}

static void check_no_rules_file(void)
{
    int fd = open_file("plain");
    CHECK(fd >= 0, "open without a rules file: %s", strerror(errno));
    CHECK(write(fd, "abc", 3) == 3, "write without a rules file");
    close(fd);
}

static void check_open_and_rename(void)
{
    int fd = open_file("sel-open-x");
    CHECK(fd < 0 && errno == EACCES, "open of a matching path: fd %d, %s", fd,
          strerror(errno));
    fd = open_file("other");
    CHECK(fd >= 0, "open of another path: %s", strerror(errno));
    close(fd);
    char a[PATH_MAX + 64], b[PATH_MAX + 64];
    CHECK(rename(at(a, sizeof(a), "other"), at(b, sizeof(b), "sel-ren")) != 0 &&
              errno == EXDEV,
          "rename to a matching path: %s", strerror(errno));
    CHECK(rename(at(a, sizeof(a), "plain"), at(b, sizeof(b), "plain2")) == 0,
          "rename of other paths: %s", strerror(errno));
}

static void check_fd_calls(void)
{
    int fd = open_file("sel-pw");
    CHECK(fd >= 0, "open sel-pw: %s", strerror(errno));
    for (int i = 0; i < 2; i++)
        CHECK(pwrite(fd, "x", 1, 0) < 0 && errno == ENOSPC,
              "pwrite %d of COUNT 2: %s", i, strerror(errno));
    CHECK(pwrite(fd, "x", 1, 0) == 1, "pwrite after COUNT 2 is spent: %s",
          strerror(errno));
    char c;
    CHECK(pread(fd, &c, 1, 0) == 1, "pread of a path with no pread rule");
    close(fd);
    fd = open_file("sel-sync");
    CHECK(fsync(fd) < 0 && errno == EIO, "fsync: %s", strerror(errno));
    CHECK(fdatasync(fd) < 0 && errno == EROFS, "fdatasync: %s",
          strerror(errno));
    CHECK(write(fd, "y", 1) == 1, "write of a path with no write rule");
    CHECK(pread(fd, &c, 1, 0) < 0 && errno == 5, "pread by number: %s",
          strerror(errno));
    close(fd);
    fd = open_file("sel-w");
    CHECK(write(fd, "y", 1) < 0 && errno == EIO, "write, first of COUNT 1");
    CHECK(write(fd, "y", 1) == 1, "write, second: %s", strerror(errno));
    close(fd);
}

static void check_log(void)
{
    char want[2 * PATH_MAX + 128];
    const char *log = fault_log();
    snprintf(want, sizeof(want), "open EACCES %s/sel-open-x\n", dir);
    CHECK(strstr(log, want) != NULL, "the fault log names the open: %s", log);
    snprintf(want, sizeof(want), "pwrite ENOSPC %s/sel-pw\n", dir);
    CHECK(strstr(log, want) != NULL, "the fault log names the pwrite: %s", log);
    CHECK(strstr(log, "bad rule 9: unknown SYSCALL\n") != NULL &&
              strstr(log, "bad rule 10: unknown ERRNO\n") != NULL &&
              strstr(log, "bad rule 11: COUNT must be a number >= 1\n") !=
                  NULL &&
              strstr(log, "bad rule 12: want SYSCALL") != NULL,
          "bad rules are reported: %s", log);
    snprintf(want, sizeof(want), "rename EXDEV %s/other %s/sel-ren\n", dir,
             dir);
    CHECK(strstr(log, want) != NULL, "the fault log names the rename: %s", log);
    CHECK(strstr(log, "plain") == NULL,
          "calls that did not fail are not logged: %s", log);
}

static void check_reload(void)
{
    set_rules("# first rule wins; * is any path\n"
              "pwrite sel-pw EFBIG 1\n"
              "pwrite * EDQUOT\n");
    int fd = open_file("sel-pw");
    CHECK(pwrite(fd, "x", 1, 0) < 0 && errno == EFBIG,
          "a rewritten file is read again: %s", strerror(errno));
    CHECK(pwrite(fd, "x", 1, 0) < 0 && errno == EDQUOT,
          "then the next matching rule: %s", strerror(errno));
    close(fd);
    fd = open_file("sel-open-x");
    CHECK(fd >= 0, "the old open rule is gone: %s", strerror(errno));
    set_rules("pwrite sel-pw EFBIG 1\npwrite * EDQUOT\n");
    CHECK(pwrite(fd, "x", 1, 0) < 0 && errno == EDQUOT,
          "another file's descriptor matches *");
    close(fd);
    fd = open_file("sel-pw");
    CHECK(pwrite(fd, "x", 1, 0) < 0 && errno == EFBIG,
          "a replaced file restores the counts: %s", strerror(errno));
    CHECK(unlink(rules_path) == 0, "unlink the rules");
    CHECK(pwrite(fd, "x", 1, 0) == 1, "no rules file, no faults: %s",
          strerror(errno));
    close(fd);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "%s/livelog-fault-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(rules_path, sizeof(rules_path), "%s/rules", dir);
    snprintf(log_path, sizeof(log_path), "%s/faults.log", dir);
    setenv("LIVELOG_FAULT_RULES", rules_path, 1);
    setenv("LIVELOG_FAULT_LOG", log_path, 1);

    check_no_rules_file();
    set_rules("open sel-open EACCES\n"
              "rename sel-ren EXDEV\n"
              "\n"
              "pwrite sel-pw ENOSPC 2\n"
              "fsync sel-sync EIO\n"
              "  fdatasync sel-sync EROFS\n"
              "pread sel-sync 5\n"
              "write sel-w EIO 1\n"
              "openat sel EIO\n"
              "open sel EWHAT\n"
              "open sel EIO 0\n"
              "open sel\n");
    check_open_and_rename();
    check_fd_calls();
    check_log();
    check_reload();

    if (failures == 0) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    printf("fault_selftest: %s (%d failed checks)\n",
           failures == 0 ? "ok" : "FAILED", failures);
    return failures == 0 ? 0 : 1;
}
