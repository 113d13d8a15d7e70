/* forward_stdout: the stdout sink of `livelog forward`. Every line of a
 * followed file becomes one ADR-6 JSON record on stdout (ts, level,
 * logger "forward", msg = the line without its newline, file, offset of
 * the line's first byte; "partial": true when the record does not end a
 * line: a line longer than --max-line, or the last bytes of a finished
 * file without a newline), so a cluster's own collector takes the logs.
 * level is the line's severity (src/severity), "info" when it has none.
 * The file is the buffer: only whole lines are read and written, and
 * the sink's position (rec.out_file) is always a line boundary.
 * Single-threaded: the forwarder's main loop calls it. */
#ifndef LIVELOG_FORWARD_STDOUT_H
#define LIVELOG_FORWARD_STDOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forward/forward_file.h"

struct forward_stdout;

/* A sink writing to fd (1), reading at most read_cap bytes of a file at
 * a time, splitting lines longer than max_line (<= read_cap). Returns 0
 * or -ENOMEM. */
int forward_stdout_new(int fd, size_t read_cap, size_t max_line,
                       struct forward_stdout **ret);
void forward_stdout_free(struct forward_stdout *s);

/* Writes out what f has beyond rec.out_file, whole lines only (and a
 * last partial line once f->finished). Returns 1 when it wrote
 * something, 0 when there was nothing to write, or a negative errno
 * (-EPIPE: stdout is closed; reading the file failed: -EIO and kin). */
int forward_stdout_pump(struct forward_stdout *s, struct forward_file *f);

/* Formats one record (newline included) into buf. Returns its length,
 * or 0 when it does not fit in cap. Pure; for the pump and the tests. */
size_t forward_stdout_format(char *buf, size_t cap, uint64_t real_ns,
                             const char *line, size_t len, bool partial,
                             const char *path, uint64_t offset);

/* The bytes of one record at most for a line of max_line bytes and a
 * path of path_len bytes. */
size_t forward_stdout_record_max(size_t max_line, size_t path_len);

#endif
