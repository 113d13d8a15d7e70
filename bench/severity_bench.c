/* severity_bench: what severity classification costs on the ingest path.
 * Generates ~64 MiB of CI-like output in memory (compiler and test output,
 * timestamps on some lines, ~1% warnings, ~0.2% errors, mixed lengths),
 * then times, best of 5 (CLOCK_MONOTONIC):
 *   (a) memcpy of the log into a 256 KiB ring, 64 KiB at a time (the floor
 *       of any ingest),
 *   (b) memchr line splitting alone, 64 KiB at a time,
 *   (c) severity_tally_feed, 64 KiB at a time,
 * and prints MB/s (10^6 bytes) for each and what (c) costs over (b).
 * Standalone: cc -O2 -Isrc bench/severity_bench.c src/severity/severity.c */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "severity/severity.h"

#define LOG_SIZE (64u << 20)
#define RING_SIZE (256u << 10)
#define CHUNK (64u << 10)
#define ROUNDS 5

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static const char *const words[] = {
    "src",    "lib",    "core",   "util",     "http",  "parser", "store",
    "stream", "config", "client", "server",   "test",  "build",  "index",
    "cache",  "auth",   "token",  "registry", "crate", "module",
};
#define NWORDS (sizeof words / sizeof words[0])

static const char *word(void)
{
    return words[rnd(NWORDS)];
}

/* Ordinary lines: what most of a CI log is. */
static int plain_line(char *out, size_t cap)
{
    switch (rnd(12)) {
    case 0:
        return snprintf(out, cap, "   Compiling %s-%s v%u.%u.%u", word(),
                        word(), rnd(3), rnd(40), rnd(20));
    case 1:
        return snprintf(out, cap,
                        "gcc -O2 -g -Wall -Wextra -Werror -std=c17 "
                        "-D_GNU_SOURCE -Isrc -Iinclude -I/usr/include/%s "
                        "-fPIC -MD -MT build/%s/%s.o -MF build/%s/%s.o.d "
                        "-c src/%s/%s_%s.c -o build/%s/%s.o",
                        word(), word(), word(), word(), word(), word(), word(),
                        word(), word(), word());
    case 2:
        return snprintf(out, cap, "test %s::tests::%s_%s ... ok", word(),
                        word(), word());
    case 3:
        return snprintf(out, cap,
                        "[%3u%%] Building C object %s/CMakeFiles/"
                        "%s.dir/%s.c.o",
                        rnd(101), word(), word(), word());
    case 4:
        return snprintf(out, cap, "checking for %s_%s... yes", word(), word());
    case 5:
        return snprintf(out, cap,
                        "Downloading https://registry.example.com/%s/%s-%u."
                        "%u.%u.tgz (%u kB)",
                        word(), word(), rnd(9), rnd(30), rnd(9), rnd(900));
    case 6:
        return snprintf(out, cap, "  %s/%s.py::test_%s_%s PASSED [%3u%%]",
                        word(), word(), word(), word(), rnd(101));
    case 7: /* an empty line */
        out[0] = '\0';
        return 0;
    case 8:
        return snprintf(out, cap, "INFO  %s: started %s in %u ms", word(),
                        word(), rnd(5000));
    case 9:
        return snprintf(out, cap, "    at %s.%s.%s(%s.java:%u)", word(), word(),
                        word(), word(), rnd(900));
    case 10: {
        /* a long line: a base64 blob, or a dump of words */
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                  "opqrstuvwxyz0123456789+/";
        bool blob = rnd(2) == 0;
        int len = 300 + (int)rnd(1800);
        if ((size_t)len >= cap)
            len = (int)cap - 1;
        for (int i = 0; i < len; i++)
            out[i] = blob || rnd(7) != 0 ? b64[rnd(64)] : ' ';
        out[len] = '\0';
        return len;
    }
    default:
        return snprintf(out, cap,
                        "added %u packages, and audited %u "
                        "packages in %us",
                        rnd(900), rnd(1500), rnd(60));
    }
}

static int warning_line(char *out, size_t cap)
{
    switch (rnd(4)) {
    case 0:
        return snprintf(out, cap,
                        "src/%s/%s.c:%u:%u: warning: unused variable '%s' "
                        "[-Wunused-variable]",
                        word(), word(), rnd(900), rnd(80), word());
    case 1:
        return snprintf(out, cap, "warning: unused import: `%s::%s`", word(),
                        word());
    case 2:
        return snprintf(out, cap, "npm WARN deprecated %s@%u.%u.%u: use %s",
                        word(), rnd(9), rnd(9), rnd(9), word());
    default:
        return snprintf(out, cap, "WARNING: %s is deprecated", word());
    }
}

static int error_line(char *out, size_t cap)
{
    switch (rnd(4)) {
    case 0:
        return snprintf(out, cap,
                        "src/%s/%s.c:%u:%u: error: '%s' undeclared (first "
                        "use in this function)",
                        word(), word(), rnd(900), rnd(80), word());
    case 1:
        return snprintf(out, cap, "error[E0308]: mismatched types");
    case 2:
        return snprintf(out, cap, "make: *** [Makefile:%u: all] Error 2",
                        rnd(300));
    default:
        return snprintf(out, cap,
                        "TEST-UNEXPECTED-FAIL | %s/%s.html | assertion "
                        "failed",
                        word(), word());
    }
}

/* Fills buf with whole lines up to about size bytes; returns the length. */
static size_t generate(char *buf, size_t size)
{
    char line[4096];
    size_t len = 0;

    while (len + 2 * sizeof line < size) {
        uint32_t dice = rnd(1000);
        uint32_t deco = rnd(10);
        if (deco < 3)
            len += (size_t)snprintf(buf + len, size - len,
                                    "2026-01-02T03:%02u:%02u.%07uZ ", rnd(60),
                                    rnd(60), rnd(10000000));
        else if (deco == 3)
            len += (size_t)snprintf(buf + len, size - len,
                                    "[task 2026-01-02T03:%02u:%02u.%03uZ] ",
                                    rnd(60), rnd(60), rnd(1000));
        int n = dice < 2    ? error_line(line, sizeof line)
                : dice < 12 ? warning_line(line, sizeof line)
                            : plain_line(line, sizeof line);
        memcpy(buf + len, line, (size_t)n);
        len += (size_t)n;
        buf[len++] = '\n';
    }
    return len;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

static void run_memcpy(const char *log, size_t len, char *ring)
{
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        memcpy(ring + off % RING_SIZE, log + off, n);
    }
    sink += (unsigned char)ring[len % RING_SIZE];
}

static void run_split(const char *log, size_t len)
{
    uint64_t lines = 0;

    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        const char *p = log + off, *end = p + n, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            p = nl + 1;
        }
    }
    sink += lines;
}

static void run_tally(const char *log, size_t len, struct severity_counts *c)
{
    struct severity_tally *t;

    if (severity_tally_new(&t) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        if (severity_tally_feed(t, log + off, n) != 0) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    severity_tally_finish(t);
    severity_tally_counts(t, c);
    severity_tally_free(t);
}

enum which { MEMCPY, SPLIT, TALLY };

static double best_of(enum which w, const char *log, size_t len, char *ring,
                      struct severity_counts *c)
{
    double best = 1e9;

    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        if (w == MEMCPY)
            run_memcpy(log, len, ring);
        else if (w == SPLIT)
            run_split(log, len);
        else
            run_tally(log, len, c);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    return best;
}

int main(void)
{
    char *log = malloc(LOG_SIZE);
    char *ring = malloc(RING_SIZE);
    struct severity_counts c;

    if (log == NULL || ring == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    size_t len = generate(log, LOG_SIZE);
    double mb = (double)len / 1e6;

    double ta = best_of(MEMCPY, log, len, ring, &c);
    double tb = best_of(SPLIT, log, len, ring, &c);
    double tc = best_of(TALLY, log, len, ring, &c);

    printf("log: %zu bytes, %llu lines (%.1f bytes/line)\n", len,
           (unsigned long long)c.lines, (double)len / (double)c.lines);
    printf("severities:");
    for (int s = 0; s < SEVERITY_COUNT; s++)
        printf(" %s %.3f%%", severity_name((enum severity)s),
               100.0 * (double)c.by[s] / (double)c.lines);
    printf("\n");
    printf("(a) memcpy into a 256 KiB ring: %8.0f MB/s\n", mb / ta);
    printf("(b) memchr line splitting:      %8.0f MB/s\n", mb / tb);
    printf("(c) severity_tally_feed:        %8.0f MB/s\n", mb / tc);
    printf("(c)/(b): %.2fx, overhead of classification over splitting "
           "%.0f%%, %.1f ns a line\n",
           tc / tb, 100.0 * (tc - tb) / tb, 1e9 * (tc - tb) / (double)c.lines);
    printf("classification (c)-(b) as a share of (a)+(c): %.1f%%\n",
           100.0 * (tc - tb) / (ta + tc));
    free(ring);
    free(log);
    return 0;
}
