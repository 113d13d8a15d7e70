/* fault_wrap: system-call fault injection for the test-only binary
 * `livelog-faults` (and the wrapper's own self-test). Nothing here is in
 * the `livelog` binary.
 *
 * tests/fault/CMakeLists.txt links the livelog library with
 * `-Wl,--wrap=open,--wrap=write,--wrap=pwrite,--wrap=pread,--wrap=fsync,
 * --wrap=fdatasync,--wrap=rename`: every call to one of those functions
 * in the linked objects (the store's, but also the logger's and the
 * clients') goes to the __wrap_ function below, which fails the call
 * with a rule's errno or calls the real function (__real_).
 *
 * Rules come at run time from the file named by LIVELOG_FAULT_RULES, one
 * per line (blank lines and lines starting with `#` are skipped):
 *
 *     SYSCALL PATH_SUBSTRING ERRNO [COUNT]
 *
 *   SYSCALL         open, write, pwrite, pread, fsync, fdatasync, rename
 *   PATH_SUBSTRING  the call fails when its path contains this (for the
 *                   calls on a descriptor, the path /proc/self/fd/N links
 *                   to; for rename, either path); `*` matches any path
 *   ERRNO           a name (EIO, ENOSPC, EMFILE, ...) or a number
 *   COUNT           how many matching calls fail (default: all of them)
 *
 * The first rule that matches a call decides. The file is read again
 * whenever it changes (inode, size, mtime or ctime), which also restores
 * the counts; a missing file means no rules. Replace it atomically (write
 * a temporary file, then rename it over the old one).
 *
 * When LIVELOG_FAULT_LOG names a file, every injected failure appends one
 * line to it: `SYSCALL ERRNO_NAME PATH` (both paths for a rename); a
 * rules line that cannot be parsed appends `bad rule LINE: ...`
 * and is ignored. Tests read it to prove that a fault really fired.
 *
 * Thread-safe (one mutex around the rules); without LIVELOG_FAULT_RULES
 * every call goes straight to the real function. */
#ifndef LIVELOG_FAULT_WRAP_H
#define LIVELOG_FAULT_WRAP_H

#include <sys/types.h>

int __wrap_open(const char *path, int flags, ...);
ssize_t __wrap_write(int fd, const void *buf, size_t len);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t len, off_t off);
int __wrap_fsync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_rename(const char *from, const char *to);

int __real_open(const char *path, int flags, ...);
ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __real_pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t __real_pread(int fd, void *buf, size_t len, off_t off);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_rename(const char *from, const char *to);

#endif
