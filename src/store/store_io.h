/* store_io: the one bounded read the store's scanners share (line index
 * lookups and rebuilds, SHA-256 of a stream, backward tail scans). Pure
 * system-call plumbing; any thread. */
#ifndef LIVELOG_STORE_IO_H
#define LIVELOG_STORE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads min(cap, end - off) bytes of fd at off into buf (off < end),
 * retrying on EINTR. Returns the number of bytes read (> 0), a negative
 * errno, or -EIO when the file ends before `end` (it is shorter than the
 * caller knows it to be). */
ssize_t store_io_read(int fd, void *buf, size_t cap, uint64_t off,
                      uint64_t end);

#endif
