/* store_index: the line index of a stream, kept on disk beside the data
 * as the writer appends. It answers "where does line k start" (for
 * `?tail=N`) and keeps per-line receive times (for the viewer), without
 * holding anything per line in memory.
 *
 * The index file is a sequence of 24-byte little-endian records, each a
 * snapshot of the line count at some offset of the data:
 *   offset       u64  a data offset (there was a byte there when written)
 *   lines_before u64  how many lines start before `offset`
 *   time_ms      u64  receive time (ms since the epoch); bit 63 set when
 *                     a line starts exactly at `offset`
 * A record is written when an append starts at least one line and the
 * previous record is from an earlier millisecond, or when 1 MiB of data
 * passed without one. Finding line k is a binary search over records and
 * a scan of the data from the record found (bounded by 1 MiB plus one
 * append); a stream of N lines written one line per write costs 24 bytes
 * per line, a bulk writer far less.
 *
 * The index can always be rebuilt from the data: on recovery a torn or
 * inconsistent tail is cut and the data past the last good record is
 * rescanned. Thread-safety: the writer calls append; readers may call
 * line_offset concurrently (pread only, plus an atomic record count). */
#ifndef LIVELOG_STORE_INDEX_H
#define LIVELOG_STORE_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_INDEX_RECORD 24
#define STORE_INDEX_SPAN (1024 * 1024) /* max data between records */

struct store_index_record {
    uint64_t offset;
    uint64_t lines_before;
    uint64_t time_ms;
    bool starts_line;
};

struct store_index {
    int fd;                   /* the index file                         */
    _Atomic uint64_t records; /* records on disk (published, release)   */
    _Atomic uint64_t lines;   /* line starts in the committed data      */
    bool at_line_start;       /* the next byte appended starts a line   */
    uint64_t last_offset;     /* offset of the last record              */
    uint64_t last_time_ms;    /* its time                               */
};

/* Encodes / decodes one record (pure; decode validates nothing). */
void store_index_encode(const struct store_index_record *r,
                        unsigned char out[STORE_INDEX_RECORD]);
void store_index_decode(const unsigned char in[STORE_INDEX_RECORD],
                        struct store_index_record *r);

/* Opens (creating if needed) the index file at path and brings it in line
 * with the first data_len bytes of data_fd: cuts a torn or inconsistent
 * tail, then rescans data after the last good record. Returns 0 or a
 * negative errno. */
int store_index_open(struct store_index *ix, const char *path, int data_fd,
                     uint64_t data_len, uint64_t now_ms);

/* What an append changes in the index once its bytes are committed. */
struct store_index_step {
    uint64_t lines;     /* line starts after the append      */
    bool at_line_start; /* the byte after the append starts one */
};

/* Records the line starts of buf, appended at data offset base, in two
 * steps, so that a writer can refuse an append whose record could not be
 * written: prepare writes the record the append needs (if any) and
 * returns 0, filling *ret, or a negative errno (nothing changed; a record
 * never counts more lines than the committed data has, so readers may see
 * it at once); publish then makes the append's lines visible (after the
 * data's committed length). append is the two at once (recovery). */
int store_index_prepare(struct store_index *ix, uint64_t base, const char *buf,
                        size_t len, uint64_t now_ms,
                        struct store_index_step *ret);
void store_index_publish(struct store_index *ix,
                         const struct store_index_step *step);
int store_index_append(struct store_index *ix, uint64_t base, const char *buf,
                       size_t len, uint64_t now_ms);

/* Number of lines that have started in the committed data. */
uint64_t store_index_lines(const struct store_index *ix);

/* Finds the data offset where line k (0-based) starts, k < lines, reading
 * data_fd up to data_len. Returns 0 or -ERANGE (no such line) or a
 * negative errno. */
int store_index_line_offset(const struct store_index *ix, int data_fd,
                            uint64_t data_len, uint64_t k, uint64_t *ret);

/* A run of lines received together: line `line` (0-based) and the ones
 * after it up to the next run's line were received at time_ms. */
struct store_index_time {
    uint64_t line;
    uint64_t time_ms;
};

/* The receive times of lines [first, end) (first < end <= lines). A
 * line's time is that of the last record with lines_before <= the line:
 * the time of the append that held the line's start (lines rescanned at
 * recovery have the time of the record before them or of the recovery).
 * Fills out with at most cap runs, in order, the first at `first`,
 * neighbours of equal time merged; *ret_n is their count and *ret_end the
 * line up to which they hold (end, or less when cap runs were too few).
 * Reads the index only (no data). Returns 0 or a negative errno. */
int store_index_line_times(const struct store_index *ix, uint64_t first,
                           uint64_t end, struct store_index_time *out,
                           size_t cap, size_t *ret_n, uint64_t *ret_end);

void store_index_close(struct store_index *ix);

#endif
