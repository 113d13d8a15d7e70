/* fake_runner: writes log pages the way a self-hosted GitHub Actions
 * runner does under _diag/pages: one page at a time, appended line by
 * line (a write per line, some long lines, some ANSI and UTF-8), closed
 * when full and, unless --keep, deleted shortly after (the runner
 * deletes a page once it has uploaded it). Every byte also goes to
 * EXPECT_DIR/<page> so a test can compare what a forwarder shipped.
 *
 *   fake_runner DIR EXPECT_DIR PAGES LINES [--keep] [--seed N]
 *               [--sleep-us N] [--delete-after-ms N] [--prefix P]
 *
 * Exit 0, or 1 when a write fails. Bounded: PAGES x LINES writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long rng = 88172645463325252ull;

static unsigned long long next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000,
                          .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One line into buf: its length, newline included. */
static size_t make_line(char *buf, size_t cap, unsigned long long page,
                        unsigned long long n)
{
    static const char *const kinds[] = {
        "plain",
        "\x1b[31merror\x1b[0m: something red",
        "caf\xc3\xa9 \xe2\x9c\x93 utf-8",
        "##[group]Run step",
        "##[endgroup]",
        "WARNING: a warning",
    };
    unsigned long long r = next_rand();
    int len = snprintf(buf, cap, "%llu:%llu %s ", page, n,
                       kinds[r % (sizeof(kinds) / sizeof(kinds[0]))]);
    size_t fill = (r >> 8) % 100 == 0 ? 5000 : (r >> 16) % 120;
    for (size_t i = 0; i < fill && (size_t)len + 2 < cap; i++)
        buf[len++] = (char)('a' + (next_rand() % 26));
    buf[len++] = '\n';
    return (size_t)len;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: fake_runner DIR EXPECT_DIR PAGES LINES "
                        "[--keep] [--seed N] [--sleep-us N] "
                        "[--delete-after-ms N] [--prefix P]\n");
        return 2;
    }
    const char *dir = argv[1], *expect = argv[2], *prefix = "page";
    long pages = strtol(argv[3], NULL, 10), lines = strtol(argv[4], NULL, 10);
    long pause = 1000, delete_after = 30;
    bool keep = false;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            rng ^= strtoull(argv[++i], NULL, 10) * 2654435761ull;
        else if (strcmp(argv[i], "--sleep-us") == 0 && i + 1 < argc)
            pause = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--delete-after-ms") == 0 && i + 1 < argc)
            delete_after = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
            prefix = argv[++i];
    }
    char path[4096], epath[4096], line[8192];
    for (long p = 0; p < pages; p++) {
        snprintf(path, sizeof(path), "%s/%s_%ld.log", dir, prefix, p);
        snprintf(epath, sizeof(epath), "%s/%s_%ld.log", expect, prefix, p);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int efd = open(epath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || efd < 0) {
            perror("fake_runner: open");
            return 1;
        }
        for (long n = 0; n < lines; n++) {
            size_t len = make_line(line, sizeof(line), (unsigned long long)p,
                                   (unsigned long long)n);
            if (write_all(fd, line, len) != 0 ||
                write_all(efd, line, len) != 0) {
                perror("fake_runner: write");
                return 1;
            }
            if (pause > 0)
                sleep_us(pause);
        }
        close(fd);
        close(efd);
        if (!keep) {
            sleep_us(delete_after * 1000);
            unlink(path);
        }
    }
    return 0;
}
