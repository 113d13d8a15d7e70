/* store_index: the on-disk line index of a stream (see store_index.h).
 * Written by the stream's writer thread; read by any read thread. */
#include "store/store_index.h"

#include "store/store_io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STARTS_LINE_BIT (UINT64_C(1) << 63)
#define SCAN_BLOCK (64 * 1024)

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void store_index_encode(const struct store_index_record *r,
                        unsigned char out[STORE_INDEX_RECORD])
{
    put_u64(out, r->offset);
    put_u64(out + 8, r->lines_before);
    uint64_t t = r->time_ms & ~STARTS_LINE_BIT;
    put_u64(out + 16, r->starts_line ? t | STARTS_LINE_BIT : t);
}

void store_index_decode(const unsigned char in[STORE_INDEX_RECORD],
                        struct store_index_record *r)
{
    r->offset = get_u64(in);
    r->lines_before = get_u64(in + 8);
    uint64_t t = get_u64(in + 16);
    r->starts_line = (t & STARTS_LINE_BIT) != 0;
    r->time_ms = t & ~STARTS_LINE_BIT;
}

static int read_record(int fd, uint64_t i, struct store_index_record *r)
{
    unsigned char buf[STORE_INDEX_RECORD];
    uint64_t at = i * STORE_INDEX_RECORD;
    ssize_t n = store_io_read(fd, buf, sizeof(buf), at, at + sizeof(buf));
    if (n < 0)
        return (int)n;
    if ((size_t)n != sizeof(buf))
        return -EIO;
    store_index_decode(buf, r);
    return 0;
}

static int write_record(struct store_index *ix,
                        const struct store_index_record *r)
{
    unsigned char buf[STORE_INDEX_RECORD];
    store_index_encode(r, buf);
    uint64_t n = atomic_load_explicit(&ix->records, memory_order_relaxed);
    size_t done = 0;
    while (done < sizeof(buf)) {
        ssize_t w = pwrite(ix->fd, buf + done, sizeof(buf) - done,
                           (off_t)(n * STORE_INDEX_RECORD + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        done += (size_t)w;
    }
    ix->last_offset = r->offset;
    ix->last_time_ms = r->time_ms;
    atomic_store_explicit(&ix->records, n + 1, memory_order_release);
    return 0;
}

int store_index_prepare(struct store_index *ix, uint64_t base, const char *buf,
                        size_t len, uint64_t now_ms,
                        struct store_index_step *ret)
{
    uint64_t lines = atomic_load_explicit(&ix->lines, memory_order_relaxed);
    ret->lines = lines;
    ret->at_line_start = ix->at_line_start;
    if (len == 0)
        return 0;
    uint64_t records = atomic_load_explicit(&ix->records, memory_order_relaxed);

    /* The first line start in this chunk, if any. */
    uint64_t first = UINT64_MAX;
    if (ix->at_line_start) {
        first = base;
    } else {
        const char *nl = memchr(buf, '\n', len);
        if (nl != NULL && (size_t)(nl - buf) + 1 < len)
            first = base + (uint64_t)(nl - buf) + 1;
    }
    /* Count the line starts: one per '\n' that is not the chunk's last
     * byte, plus one if the chunk itself starts a line. */
    uint64_t starts = ix->at_line_start ? 1 : 0;
    const char *p = buf, *end = buf + len - 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        starts++;
        p = nl + 1;
    }

    int rc = 0;
    bool new_ms = records == 0 || now_ms != ix->last_time_ms;
    if (first != UINT64_MAX && new_ms) {
        /* `first` is the chunk's first line start, so exactly `lines`
         * lines start before it. */
        const struct store_index_record r = {
            .offset = first,
            .lines_before = lines,
            .time_ms = now_ms,
            .starts_line = true,
        };
        rc = write_record(ix, &r);
    } else if (records == 0 || base - ix->last_offset >= STORE_INDEX_SPAN) {
        const struct store_index_record r = {
            .offset = base,
            .lines_before = lines,
            .time_ms = now_ms,
            .starts_line = ix->at_line_start,
        };
        rc = write_record(ix, &r);
    }
    if (rc != 0)
        return rc;
    ret->lines = lines + starts;
    ret->at_line_start = buf[len - 1] == '\n';
    return 0;
}

void store_index_publish(struct store_index *ix,
                         const struct store_index_step *step)
{
    ix->at_line_start = step->at_line_start;
    atomic_store_explicit(&ix->lines, step->lines, memory_order_release);
}

int store_index_append(struct store_index *ix, uint64_t base, const char *buf,
                       size_t len, uint64_t now_ms)
{
    struct store_index_step step;
    int rc = store_index_prepare(ix, base, buf, len, now_ms, &step);
    if (rc == 0)
        store_index_publish(ix, &step);
    return rc;
}

uint64_t store_index_lines(const struct store_index *ix)
{
    return atomic_load_explicit(&ix->lines, memory_order_acquire);
}

/* The last record with lines_before <= k (binary search) among the
 * first `records`. Returns 0, *ret and its number in *ret_i, or -ENOENT
 * when there is none. */
static int find_record_in(const struct store_index *ix, uint64_t records,
                          uint64_t k, struct store_index_record *ret,
                          uint64_t *ret_i)
{
    uint64_t lo = 0;
    uint64_t hi = records;
    bool found = false;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        struct store_index_record r;
        int rc = read_record(ix->fd, mid, &r);
        if (rc != 0)
            return rc;
        if (r.lines_before <= k) {
            *ret = r;
            *ret_i = mid;
            found = true;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return found ? 0 : -ENOENT;
}

static int find_record(const struct store_index *ix, uint64_t k,
                       struct store_index_record *ret)
{
    uint64_t i = 0;
    return find_record_in(
        ix, atomic_load_explicit(&ix->records, memory_order_acquire), k, ret,
        &i);
}

int store_index_line_offset(const struct store_index *ix, int data_fd,
                            uint64_t data_len, uint64_t k, uint64_t *ret)
{
    if (k >= store_index_lines(ix))
        return -ERANGE;
    struct store_index_record r = {.starts_line = true};
    int rc = find_record(ix, k, &r);
    if (rc != 0 && rc != -ENOENT)
        return rc;

    uint64_t cur = r.lines_before;
    if (r.starts_line) {
        if (cur == k) {
            *ret = r.offset;
            return 0;
        }
        cur++;
    }
    char buf[SCAN_BLOCK];
    uint64_t off = r.offset;
    while (off < data_len) {
        ssize_t n = store_io_read(data_fd, buf, sizeof(buf), off, data_len);
        if (n < 0)
            return (int)n;
        const char *p = buf, *end = buf + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL)
                break;
            uint64_t start = off + (uint64_t)(nl - buf) + 1;
            if (start >= data_len)
                return -ERANGE;
            if (cur == k) {
                *ret = start;
                return 0;
            }
            cur++;
            p = nl + 1;
        }
        off += (uint64_t)n;
    }
    return -ERANGE;
}

#define TIMES_BLOCK 256 /* records read at once by line_times */

/* Adds (line, t) to the runs: a later record of the same line replaces
 * the earlier one's time; a run of the time before is not a new run.
 * Returns false when the runs are full. */
static bool add_run(struct store_index_time *out, size_t cap, size_t *n,
                    uint64_t line, uint64_t t)
{
    if (*n > 0 && out[*n - 1].line == line) {
        out[*n - 1].time_ms = t;
        if (*n > 1 && out[*n - 2].time_ms == t)
            (*n)--;
        return true;
    }
    if (*n > 0 && out[*n - 1].time_ms == t)
        return true;
    if (*n == cap)
        return false;
    out[*n].line = line;
    out[*n].time_ms = t;
    (*n)++;
    return true;
}

int store_index_line_times(const struct store_index *ix, uint64_t first,
                           uint64_t end, struct store_index_time *out,
                           size_t cap, size_t *ret_n, uint64_t *ret_end)
{
    *ret_n = 0;
    *ret_end = first;
    if (end > store_index_lines(ix))
        return -ERANGE;
    if (first >= end || cap == 0)
        return 0;
    /* Records published with the lines (release, acquire): every one
     * below `records` is whole on disk. */
    uint64_t records = atomic_load_explicit(&ix->records, memory_order_acquire);
    struct store_index_record r;
    uint64_t i = 0;
    int rc = find_record_in(ix, records, first, &r, &i);
    if (rc != 0)
        return rc == -ENOENT ? -EIO : rc; /* record 0 covers line 0 */
    size_t n = 0;
    add_run(out, cap, &n, first, r.time_ms);
    unsigned char buf[TIMES_BLOCK * STORE_INDEX_RECORD];
    for (i++; i < records;) {
        uint64_t want = records - i < TIMES_BLOCK ? records - i : TIMES_BLOCK;
        uint64_t at = i * STORE_INDEX_RECORD;
        ssize_t got =
            store_io_read(ix->fd, buf, (size_t)want * STORE_INDEX_RECORD, at,
                          at + want * STORE_INDEX_RECORD);
        if (got < 0)
            return (int)got;
        size_t whole = (size_t)got / STORE_INDEX_RECORD;
        if (whole == 0)
            return -EIO;
        for (size_t j = 0; j < whole; j++, i++) {
            store_index_decode(buf + j * STORE_INDEX_RECORD, &r);
            if (r.lines_before >= end) {
                *ret_n = n;
                *ret_end = end;
                return 0;
            }
            if (!add_run(out, cap, &n, r.lines_before, r.time_ms)) {
                *ret_n = n;
                *ret_end = r.lines_before;
                return 0;
            }
        }
    }
    *ret_n = n;
    *ret_end = end;
    return 0;
}

/* Whether record b agrees with the data after record a, the one before
 * it: b counts the line starts in data[a.offset, b.offset) on top of
 * a's, and its starts_line bit says whether data[b.offset - 1] is '\n'.
 * Recovery checks the last record this way because a record torn by a
 * power loss (its last bytes left as zeros) can still look consistent.
 * Returns 1 (agrees), 0, or a negative errno. */
static int record_agrees(int data_fd, const struct store_index_record *a,
                         const struct store_index_record *b)
{
    char buf[SCAN_BLOCK];
    uint64_t newlines = 0;
    bool last_nl = false;
    uint64_t off = a->offset;
    while (off < b->offset) {
        ssize_t n = store_io_read(data_fd, buf, sizeof(buf), off, b->offset);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -EIO;
        const char *p = buf, *end = buf + n;
        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            newlines++;
            p++;
        }
        last_nl = buf[n - 1] == '\n';
        off += (uint64_t)n;
    }
    /* A '\n' before b.offset - 1 starts a line inside the span; the one
     * at b.offset - 1 starts b's. */
    uint64_t starts = (a->starts_line ? 1 : 0) + newlines - (last_nl ? 1 : 0);
    return a->lines_before + starts == b->lines_before &&
           b->starts_line == last_nl;
}

/* Rescans data[from, data_len) into the index (recovery). */
static int rescan(struct store_index *ix, int data_fd, uint64_t from,
                  uint64_t data_len, uint64_t now_ms)
{
    char buf[SCAN_BLOCK];
    uint64_t off = from;
    while (off < data_len) {
        ssize_t n = store_io_read(data_fd, buf, sizeof(buf), off, data_len);
        if (n < 0)
            return (int)n;
        int rc = store_index_append(ix, off, buf, (size_t)n, now_ms);
        if (rc != 0)
            return rc;
        off += (uint64_t)n;
    }
    return 0;
}

int store_index_open(struct store_index *ix, const char *path, int data_fd,
                     uint64_t data_len, uint64_t now_ms)
{
    int rc = 0;
    memset(ix, 0, sizeof(*ix));
    ix->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (ix->fd < 0)
        return -errno;
    struct stat st;
    if (fstat(ix->fd, &st) != 0)
        goto fail_errno;

    /* Keep the longest prefix of whole, consistent records. */
    uint64_t n = (uint64_t)st.st_size / STORE_INDEX_RECORD;
    uint64_t good = 0;
    struct store_index_record before = {0}, prev = {0}, r = {0};
    for (uint64_t i = 0; i < n; i++) {
        if (read_record(ix->fd, i, &r) != 0)
            break;
        /* The first record is always written by the first append, at
         * offset 0 with no line before it; no record can count more
         * lines than bytes before it. */
        bool ok = r.offset < data_len && r.lines_before <= r.offset &&
                  (i == 0 ? r.offset == 0 && r.starts_line
                          : r.offset > prev.offset &&
                                r.lines_before >= prev.lines_before);
        if (!ok)
            break;
        before = prev;
        prev = r;
        good = i + 1;
    }
    /* The first record is exact when it is consistent (offset 0, no line
     * before it); a later last one is checked against the data. */
    if (good >= 2) {
        rc = record_agrees(data_fd, &before, &prev);
        if (rc < 0)
            goto fail;
        if (rc == 0) {
            good--;
            prev = before;
        }
        rc = 0;
    }
    if (ftruncate(ix->fd, (off_t)(good * STORE_INDEX_RECORD)) != 0)
        goto fail_errno;
    atomic_store(&ix->records, good);

    /* Restore the running state from the last good record, then rescan
     * the data after it (at most one span plus one append). */
    uint64_t from = 0;
    if (good > 0) {
        ix->last_offset = prev.offset;
        ix->last_time_ms = prev.time_ms;
        atomic_store(&ix->lines, prev.lines_before);
        ix->at_line_start = prev.starts_line;
        from = prev.offset;
        /* Re-feed from the record's offset without writing a duplicate:
         * the record is in the same millisecond unless time moved. */
        ix->last_time_ms = now_ms;
    } else {
        atomic_store(&ix->lines, 0);
        ix->at_line_start = true;
    }
    rc = rescan(ix, data_fd, from, data_len, now_ms);
    if (rc != 0)
        goto fail;
    /* The rescan wrote no record: the last one is still prev, and the
     * next append must compare its time with prev's, not with now_ms
     * (else an append in the millisecond of this open, typically the one
     * that opened it, writes no record and its lines get prev's time). */
    if (good > 0 && atomic_load(&ix->records) == good)
        ix->last_time_ms = prev.time_ms;
    return 0;

fail_errno:
    rc = -errno;
fail:
    close(ix->fd);
    ix->fd = -1;
    return rc;
}

void store_index_close(struct store_index *ix)
{
    if (ix->fd >= 0)
        close(ix->fd);
    ix->fd = -1;
}
