/* fuzz_store_index: the line index read at recovery
 * (src/store/store_index.c): store_index_open over an index file and a
 * data file, then line lookups, as store_stream.c does when a stream is
 * first read after a restart. Real files in a scratch directory. The
 * first byte picks:
 *  0  any index bytes over any data (both from the input, NUL-separated):
 *     the index is cut to whole records, the line count never exceeds
 *     the data length, every lookup answers an offset inside the data or
 *     -ERANGE, lookups past the count are -ERANGE, offsets grow with k;
 *  1  exact recovery: the data is appended in pieces (sizes and clock
 *     steps from the input) through store_index_append, then the index
 *     is cut at any byte, optionally followed by zero bytes (a torn
 *     write), and the data optionally cut; after store_index_open the
 *     line count and where lines start (every line up to 64, a sample
 *     of ~72 beyond) equal a brute-force scan. */
#include <errno.h>
#include <fcntl.h>

#include "fuzz.h"
#include "fuzz_scratch.h"
#include "store/store_index.h"

#define DATA_MAX 4096

/* Lines that start in buf[0, len): the first byte, and after every '\n'
 * that is not the last byte. */
static uint64_t count_lines(const uint8_t *buf, size_t len)
{
    uint64_t n = len > 0 ? 1 : 0;
    for (size_t i = 0; i + 1 < len; i++)
        n += buf[i] == '\n';
    return n;
}

static int open_trunc(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0);
    return fd;
}

static void write_all(int fd, const void *p, size_t len, uint64_t at)
{
    FUZZ_CHECK(pwrite(fd, p, len, (off_t)at) == (ssize_t)len);
}

/* Checks the line count and lookups against the data (a brute-force
 * scan): every line of a stream of up to CHECK_ALL lines; of a longer one
 * the first and last CHECK_ENDS lines and about CHECK_ENDS more spread
 * between them (each lookup rescans from its record, so checking every
 * line of a 4 KiB stream of short lines costs most of the run's time and
 * finds nothing the sample does not). */
#define CHECK_ALL 64
#define CHECK_ENDS 24

static void check_exact(const struct store_index *ix, int dfd, const uint8_t *d,
                        size_t len)
{
    uint64_t lines = count_lines(d, len);
    FUZZ_CHECK(store_index_lines(ix) == lines);
    uint64_t stride = lines <= CHECK_ALL ? 1 : lines / CHECK_ENDS;
    uint64_t k = 0, off = 0;
    for (size_t i = 0; i < len; i++) {
        if (i != 0 && d[i - 1] != '\n')
            continue;
        if (k < CHECK_ENDS || k + CHECK_ENDS >= lines || k % stride == 0) {
            FUZZ_CHECK(store_index_line_offset(ix, dfd, len, k, &off) == 0);
            FUZZ_CHECK(off == i);
        }
        k++;
    }
    FUZZ_CHECK(store_index_line_offset(ix, dfd, len, k, &off) == -ERANGE);
}

static void mode_any(struct fuzz_in *in, const char *ipath, int dfd)
{
    size_t ilen = 0, dlen = 0;
    const uint8_t *idx = fuzz_take_until(in, 0, &ilen);
    const uint8_t *d = fuzz_take(in, DATA_MAX, &dlen);
    int ifd = open_trunc(ipath);
    write_all(ifd, idx, ilen, 0);
    close(ifd);
    write_all(dfd, d, dlen, 0);

    struct store_index ix;
    FUZZ_CHECK(store_index_open(&ix, ipath, dfd, dlen, 1000) == 0);
    struct stat st;
    FUZZ_CHECK(fstat(ix.fd, &st) == 0);
    FUZZ_CHECK((uint64_t)st.st_size % STORE_INDEX_RECORD == 0);
    uint64_t lines = store_index_lines(&ix);
    FUZZ_CHECK(lines <= dlen);
    uint64_t prev = 0, off = 0;
    for (uint64_t k = 0; k < lines && k < 64; k++) {
        int rc = store_index_line_offset(&ix, dfd, dlen, k, &off);
        FUZZ_CHECK(rc == 0 || rc == -ERANGE);
        if (rc == 0) {
            FUZZ_CHECK(off < dlen);
            FUZZ_CHECK(k == 0 || off > prev);
            prev = off;
        }
    }
    FUZZ_CHECK(store_index_line_offset(&ix, dfd, dlen, lines, &off) == -ERANGE);
    store_index_close(&ix);
}

static void mode_exact(struct fuzz_in *in, const char *ipath, int dfd)
{
    uint8_t flags = fuzz_u8(in);
    uint16_t icut = fuzz_u16(in);
    uint16_t dcut = fuzz_u16(in);
    uint8_t zeros = fuzz_u8(in);
    uint8_t steps[16];
    size_t nsteps = 0;
    const uint8_t *sp = fuzz_take(in, 1 + fuzz_u8(in) % 16, &nsteps);
    memcpy(steps, sp, nsteps);
    size_t len = 0;
    const uint8_t *d = fuzz_take(in, DATA_MAX, &len);

    struct store_index ix;
    int ifd = open_trunc(ipath);
    close(ifd);
    FUZZ_CHECK(store_index_open(&ix, ipath, dfd, 0, 1000) == 0);
    uint64_t now = 1000, pos = 0;
    for (size_t s = 0; pos < len; s++) {
        uint8_t st = nsteps > 0 ? steps[s % nsteps] : 0;
        size_t piece = 1 + st % 61;
        if (piece > len - pos)
            piece = (size_t)(len - pos);
        now += st >> 6; /* 0 to 3 ms later */
        write_all(dfd, d + pos, piece, pos);
        FUZZ_CHECK(store_index_append(&ix, pos, (const char *)d + pos, piece,
                                      now) == 0);
        pos += piece;
    }
    check_exact(&ix, dfd, d, len);
    store_index_close(&ix);

    /* The damage a crash can do: a torn index, zeros after it, data cut
     * back (the wire record of a masked stream, or a lost page). */
    struct stat st;
    FUZZ_CHECK(stat(ipath, &st) == 0);
    uint64_t isize = (uint64_t)st.st_size;
    ifd = open(ipath, O_RDWR | O_CLOEXEC);
    FUZZ_CHECK(ifd >= 0);
    FUZZ_CHECK(ftruncate(ifd, (off_t)(icut % (isize + 1))) == 0);
    if (flags & 1) {
        uint8_t z[256] = {0};
        write_all(ifd, z, zeros, icut % (isize + 1));
    }
    close(ifd);
    size_t dlen = flags & 2 ? dcut % (len + 1) : len;
    FUZZ_CHECK(ftruncate(dfd, (off_t)dlen) == 0);

    FUZZ_CHECK(store_index_open(&ix, ipath, dfd, dlen, now + (flags >> 2)) ==
               0);
    check_exact(&ix, dfd, d, dlen);
    store_index_close(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ipath[PATH_MAX], dpath[PATH_MAX];
    const char *dir = fuzz_scratch();
    fuzz_scratch_path(ipath, dir, "index");
    fuzz_scratch_path(dpath, dir, "data");
    int dfd = open_trunc(dpath);
    struct fuzz_in in = {data, size};
    if (fuzz_u8(&in) % 2 == 0)
        mode_any(&in, ipath, dfd);
    else
        mode_exact(&in, ipath, dfd);
    close(dfd);
    unlink(ipath);
    unlink(dpath);
    return 0;
}
