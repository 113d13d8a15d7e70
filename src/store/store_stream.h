/* store_stream: one log on disk. An append-only file plus the two facts
 * every reader needs: how many bytes are committed (written to the file
 * and visible to pread) and the stream's state.
 *
 * One writer appends; any number of readers read at their own offsets
 * straight from the file, so a slow reader costs the server no memory.
 * The committed length only grows and is published with release/acquire
 * atomics: a reader that sees length L can pread every byte below L.
 * Bytes reach the kernel's page cache with write(2) before they count as
 * committed, so they survive a crash of this process (kill -9); what
 * survives power loss is the business of the fsync policy.
 *
 * Thread-safety: store_stream_append and store_stream_set_state are for
 * the single writer (the caller serialises writers); every other function
 * is safe from any thread. */
#ifndef LIVELOG_STORE_STREAM_H
#define LIVELOG_STORE_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum store_state {
    STORE_PENDING = 0, /* created, no writer has started yet           */
    STORE_LIVE,        /* a writer is appending                        */
    STORE_COMPLETE,    /* the writer finished; the length is final     */
    STORE_INTERRUPTED, /* the writer went away before finishing        */
};

struct store_stream;

/* Creates an empty stream in a new, uniquely named file in `dir`
 * ("livelog-XXXXXX", mode 0600). The file is removed again by
 * store_stream_free when `remove_on_free` is set. Returns 0 or a negative
 * errno (the directory is missing or not writable); *ret is set only on
 * success and owned by the caller. */
int store_stream_create_temp(const char *dir, int remove_on_free,
                             struct store_stream **ret);

/* Appends len bytes and commits them. Returns 0, or a negative errno
 * (-ENOSPC, -EIO, ...) in which case nothing of this call is committed:
 * a partial write is cut back so the file ends at the committed length. */
int store_stream_append(struct store_stream *s, const void *buf, size_t len);

/* Copies up to len committed bytes starting at off into buf. Returns the
 * number of bytes copied (0 when off is at or past the committed length)
 * or a negative errno. */
ssize_t store_stream_read(struct store_stream *s, uint64_t off, void *buf,
                          size_t len);

/* The committed length (acquire). Can't fail. */
uint64_t store_stream_length(const struct store_stream *s);

/* State changes go PENDING -> LIVE -> COMPLETE | INTERRUPTED. The state
 * is published after every byte appended before it. */
void store_stream_set_state(struct store_stream *s, enum store_state st);
enum store_state store_stream_state(const struct store_stream *s);

/* True for COMPLETE and INTERRUPTED when no writer can come back
 * (the drop-in's single stream): the length is final. */
int store_stream_is_final(const struct store_stream *s);

/* Opens a new read-only descriptor on the stream's file (for sendfile
 * responses). The caller owns and closes it. Returns the fd or a negative
 * errno. */
int store_stream_open_reader(const struct store_stream *s);

const char *store_stream_state_name(enum store_state st);

/* Closes the file (and removes it when asked at creation). NULL is a
 * no-op. No reader may use the stream afterwards. */
void store_stream_free(struct store_stream *s);

#endif
