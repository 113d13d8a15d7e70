/* store_io: bounded reads for the store's scanners (see store_io.h). */
#include "store/store_io.h"

#include <errno.h>
#include <unistd.h>

ssize_t store_io_read(int fd, void *buf, size_t cap, uint64_t off, uint64_t end)
{
    size_t want = end - off < cap ? (size_t)(end - off) : cap;
    for (;;) {
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        return n == 0 ? -EIO : n;
    }
}
