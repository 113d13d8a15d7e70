/* store_io: the file plumbing the store's modules share: the one bounded
 * read of the scanners (line index lookups and rebuilds, SHA-256 of a
 * stream, backward tail scans), and the atomic replace and whole read of
 * a stream's small files (`meta`, `wire`). Pure system-call plumbing; any
 * thread. */
#ifndef LIVELOG_STORE_IO_H
#define LIVELOG_STORE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads min(cap, end - off) bytes of fd at off into buf (off < end),
 * retrying on EINTR. Returns the number of bytes read (> 0), a negative
 * errno, or -EIO when the file ends before `end` (it is shorter than the
 * caller knows it to be). */
ssize_t store_io_read(int fd, void *buf, size_t cap, uint64_t off,
                      uint64_t end);

/* Replaces dir/name with len bytes of buf atomically: written to
 * dir/name.tmp (mode 0600) and renamed over it, so a crash leaves the old
 * or the new file, never a mix. With sync the file and then the
 * directory are fsynced before returning. Returns 0 or a negative errno
 * (the temporary file is removed on failure). */
int store_io_replace(const char *dir, const char *name, const void *buf,
                     size_t len, bool sync);

/* Reads all of dir/name into buf. Returns its length, a negative errno,
 * or -EINVAL when the file holds cap bytes or more (larger than any valid
 * file of its kind). */
ssize_t store_io_read_small(const char *dir, const char *name, char *buf,
                            size_t cap);

#endif
