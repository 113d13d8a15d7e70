/* store_stream: one log on disk. An append-only data file plus the facts
 * every reader needs: how many bytes are committed (written to the file
 * and visible to pread), how many are durable (fsynced), and the stream's
 * state.
 *
 * Two kinds exist. A temporary stream (the drop-in's) is a single file
 * removed at exit. A directory stream (the service's) lives in its own
 * directory with three files: `data`, `index` (the line index,
 * store_index.h) and `meta` (name, state, times; store_meta.h), plus a
 * fourth, `wire` (store_wire.h), for a masked stream only. It
 * survives restarts: store_stream_open_dir recovers it, trusting the data
 * file's size as the committed length (every byte that reached write(2)
 * survives a crash of the process) and rebuilding the index's tail.
 *
 * One writer appends; any number of readers read at their own offsets
 * straight from the file, so a slow reader costs no memory. The committed
 * length only grows and is published with release/acquire atomics: a
 * reader that sees length L can pread every byte below L.
 *
 * Descriptors of directory streams are opened on first use and closed by
 * store_stream_close_fds when nobody uses the stream (the registry does
 * this for idle complete streams), so holding 100,000 streams does not
 * hold 200,000 descriptors.
 *
 * Thread-safety: store_stream_append is for the single writer (callers
 * serialise writers); state changes are serialised by the caller (the
 * stream layer); every other function is safe from any thread. */
#ifndef LIVELOG_STORE_STREAM_H
#define LIVELOG_STORE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum store_state {
    STORE_PENDING = 0, /* created, no writer has started yet           */
    STORE_LIVE,        /* a writer is (or may come back) appending      */
    STORE_COMPLETE,    /* the writer finished; the length is final      */
    STORE_INTERRUPTED, /* the writer went away before finishing         */
};

/* When bytes are forced to stable storage (docs/OPERATIONS.md). */
enum store_fsync {
    STORE_FSYNC_NEVER = 0, /* the kernel decides; survives kill -9 only  */
    STORE_FSYNC_INTERVAL,  /* the syncer thread, every interval           */
    STORE_FSYNC_ALWAYS,    /* before every acknowledgement to a writer    */
};

struct store_stream;

/* Sets the process-wide fsync mode (before any stream is created). */
void store_stream_set_fsync(enum store_fsync mode);
enum store_fsync store_stream_fsync_mode(void);

/* Creates an empty temporary stream in a new file "livelog-XXXXXX" (mode
 * 0600) in `dir`, removed again by store_stream_free when remove_on_free
 * is set. No index, no meta. Returns 0 or a negative errno; *ret set only
 * on success and owned by the caller. */
int store_stream_create_temp(const char *dir, int remove_on_free,
                             struct store_stream **ret);

/* Creates a directory stream `name` in the new directory `dir` (whose
 * parent must exist), state LIVE, created now. Returns 0, -EEXIST, or
 * another negative errno (nothing is left behind on failure). */
int store_stream_create_dir(const char *dir, const char *name, size_t len,
                            uint64_t now_ms, struct store_stream **ret);

/* Recovers the directory stream in `dir`: reads its meta, takes the data
 * file's size as the committed length, repairs the index; a stream that
 * was LIVE is now INTERRUPTED (its writer is gone). Returns 0 or a
 * negative errno (-EINVAL: damaged meta or wire record). Leaves
 * descriptors closed.
 *
 * A masked stream (one with a `wire` record, store_wire.h) is brought in
 * line with its record:
 *  - data longer than the record's out_len: the bytes past it were
 *    stored during a request that never ended (a crash); the data file is
 *    cut back to out_len. The writer resends them from the record's
 *    writer offset and masking is deterministic, so the same bytes come
 *    back. The index is rebuilt against the cut length when first used
 *    (records past it are dropped).
 *  - data shorter (a power loss without --fsync=always: in mode `always`
 *    the data is synced before every record): the data is kept as it is
 *    and the record is taken as out_len = data length, held bytes lost,
 *    in_len = data length + (in_len - out_len - held_len), i.e. only the
 *    shrinkage masking had caused is kept. An approximation: the writer
 *    may resend a little more or less than what was lost, but the stream
 *    was interrupted by the power loss anyway.
 * store_stream_wire returns the adjusted record; the file is rewritten at
 * the next store_stream_write_wire. */
int store_stream_open_dir(const char *dir, uint64_t now_ms,
                          struct store_stream **ret);

/* Appends len bytes and commits them (and indexes their lines). Returns
 * 0, or a negative errno (-ENOSPC, -EIO, ...) of the data's or the line
 * index's write, in which case nothing of this call is committed: a
 * partial write is cut back so the file ends at the committed length. */
int store_stream_append(struct store_stream *s, const void *buf, size_t len);

/* Copies up to len committed bytes from off into buf. Returns the number
 * copied (0 when off is at or past the committed length), -ESPIPE when off
 * is in the elided region (keep-tail), or a negative errno. */
ssize_t store_stream_read(struct store_stream *s, uint64_t off, void *buf,
                          size_t len);

/* --over-limit=keep-tail. set_keep (on a new, empty directory stream)
 * makes the stream keep its first `head` and last `tail` bytes once it
 * grows past head + tail: the middle is elided (punched out of the file,
 * in 64 KiB steps) as bytes arrive. Offsets stay those of the writer:
 * the committed length still counts every byte received. Reads of the
 * elided region [keep_head, elided_end) return -ESPIPE; a read never
 * returns bytes of it, even when it is elided during the read. */
int store_stream_set_keep(struct store_stream *s, uint64_t head, uint64_t tail);
bool store_stream_is_elided(const struct store_stream *s);
uint64_t store_stream_keep_head(const struct store_stream *s);
uint64_t store_stream_elided_end(const struct store_stream *s);

/* The committed length (acquire). Can't fail. */
uint64_t store_stream_length(const struct store_stream *s);

/* The durable length: bytes known to be on stable storage. Equals the
 * committed length in fsync mode `never` (nothing better is promised). */
uint64_t store_stream_durable(const struct store_stream *s);

/* Forces committed bytes to stable storage and advances the durable
 * length. Returns 0 or a negative errno. Any thread. */
int store_stream_sync(struct store_stream *s);

/* Changes the state (PENDING -> LIVE -> COMPLETE | INTERRUPTED, and
 * INTERRUPTED -> LIVE when a writer resumes). Directory streams persist
 * it in their meta file (fsynced unless the mode is `never`). The state
 * is published after every byte appended before it. Returns 0 or the
 * negative errno of the meta write: then the state is changed in memory
 * anyway, except COMPLETE, which is not made at all (the stream must not
 * read as complete while its meta file says otherwise: after a restart
 * it would be interrupted; its writer is told and completes it again). */
int store_stream_set_state(struct store_stream *s, enum store_state st);
enum store_state store_stream_state(const struct store_stream *s);
const char *store_stream_state_name(enum store_state st);

/* The stream's name (directory streams; "" for temporary ones) and
 * times in ms since the epoch (completed: 0 until complete). */
const char *store_stream_name(const struct store_stream *s, size_t *ret_len);
uint64_t store_stream_created_ms(const struct store_stream *s);
uint64_t store_stream_completed_ms(const struct store_stream *s);

/* The random number drawn when the directory stream was created
 * (store_meta.h): another one for a name deleted and created again. 0 for
 * a temporary stream and for one whose meta file predates it. */
uint64_t store_stream_incarnation(const struct store_stream *s);

/* Lines started so far (temporary streams have no index: 0), and the
 * offset where the n-th last line starts (0 when the log has at most n
 * lines). tail_offset returns 0 or a negative errno. */
uint64_t store_stream_lines(const struct store_stream *s);
int store_stream_tail_offset(struct store_stream *s, uint64_t n, uint64_t *ret);

struct store_index_time; /* store_index.h */

/* The receive times of lines [first, end) from the line index
 * (store_index_line_times; end is capped at the lines started so far).
 * Returns 0, -ENODATA for a stream without a line index (temporary, or
 * only in the archive), or another negative errno. */
int store_stream_line_times(struct store_stream *s, uint64_t first,
                            uint64_t end, struct store_index_time *out,
                            size_t cap, size_t *ret_n, uint64_t *ret_end);

/* SHA-256 of the first `len` committed bytes. Returns 0 or a negative
 * errno. Reads the file; any thread. */
int store_stream_sha256(struct store_stream *s, uint64_t len,
                        unsigned char out[32]);

/* Opens a new read-only descriptor on the data file (for sendfile
 * responses); the caller closes it. Returns the fd or a negative errno. */
int store_stream_open_reader(const struct store_stream *s);

/* Closes the stream's descriptors (they reopen on next use). Only when no
 * other thread uses the stream. */
void store_stream_close_fds(struct store_stream *s);

/* True for a directory stream, false for a temporary one. */
bool store_stream_is_dir(const struct store_stream *s);

/* Masked streams (store_wire.h). store_stream_wire returns true and a copy
 * of the stream's wire record in *ret when one was loaded at open (as
 * adjusted there) or written since; false (*ret untouched) for an
 * unmasked stream. Any thread, but its record is only consistent with the
 * committed length between the writer's calls.
 *
 * store_stream_write_wire writes dir/wire atomically (fsynced with its
 * directory unless the fsync mode is `never`; in mode `always` the data
 * is synced first, so the record never points past durable bytes) and
 * remembers it. For the writer. Returns 0, -EINVAL (a temporary stream,
 * or an invalid record), or another negative errno (the old record, on
 * disk and in memory, stays). */
struct store_wire;
bool store_stream_wire(const struct store_stream *s, struct store_wire *ret);
int store_stream_write_wire(struct store_stream *s, const struct store_wire *w);

/* The archive (stream_archive.h). set_archived records (in the meta,
 * synced) that the store confirmed the object of this complete stream;
 * archived_ms tells when (0: not yet). set_upload_id records a multipart
 * upload in progress (NULL: none), so that a restart aborts it. evict
 * removes the local data (and index) of an archived stream, keeping its
 * meta with the length: afterwards reads of it return -ENODATA (the bytes
 * are in the archive) and is_evicted is true; readers that have the data
 * file open go on with it. Return 0 or a negative errno (-EINVAL: not
 * archived, not complete, or already evicted). */
int store_stream_set_archived(struct store_stream *s, uint64_t now_ms);
uint64_t store_stream_archived_ms(const struct store_stream *s);
int store_stream_set_upload_id(struct store_stream *s, const char *id);
void store_stream_upload_id(const struct store_stream *s, char *buf,
                            size_t cap);
int store_stream_evict(struct store_stream *s);
bool store_stream_is_evicted(const struct store_stream *s);

/* Removes a directory stream's files and directory (DELETE, retention).
 * The object stays valid until freed. Returns 0 or a negative errno. */
int store_stream_remove(struct store_stream *s);

/* Removes the stream directory `dir` when it has no meta file: what a
 * crash leaves of a creation (between the mkdir and the meta's rename) or
 * of a deletion (after the meta's unlink); nothing in it was ever
 * acknowledged. Returns 0, -EEXIST when it has a meta file (it is left
 * alone), or another negative errno. */
int store_stream_remove_leftover(const char *dir);

/* Closes the stream (and removes a temporary one when asked at creation).
 * NULL is a no-op. No reader may use the stream afterwards. */
void store_stream_free(struct store_stream *s);

#endif
