/* stream_registry: every stream of `livelog serve`, by name. It owns the
 * data directory layout (DATA/streams/HH/SHA256-OF-NAME/{meta,data,index}),
 * recovers every stream from it at start, enforces the stream-count and
 * total-size limits, lists streams by prefix, keeps the "lobby" where a
 * GET of a name that does not exist yet waits for its writer, and runs
 * retention (completed streams deleted after a while) on its janitor
 * thread, which also closes the descriptors of idle complete streams.
 *
 * Every stream handed out carries a reference the caller drops with
 * stream_unref. Thread-safe (a read-write lock around the table). */
#ifndef LIVELOG_STREAM_REGISTRY_H
#define LIVELOG_STREAM_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream/stream.h"

struct stream_registry_limits {
    uint64_t max_streams;      /* streams held at once                 */
    uint64_t max_stream_bytes; /* bytes per stream                    */
    uint64_t max_total_bytes;  /* 0: no limit but the disk             */
    uint64_t retention_ms;     /* 0: keep completed streams forever    */
    bool keep_tail; /* over max_stream_bytes: keep head and tail, elide
                       the middle (instead of refusing with 413)      */
    bool severity;  /* keep each stream's severity tally (stats route) */
};

struct stream_registry;

/* Opens DATA (creating DATA/streams), recovers every stream in it and
 * starts the janitor. Logs one INFO line with the count and the time it
 * took. Returns 0 or a negative errno (the data dir is unusable). */
int stream_registry_open(const char *data_dir,
                         const struct stream_registry_limits *limits,
                         struct stream_registry **ret);

/* The stream called name, with a reference; NULL when there is none. */
struct stream *stream_registry_get(struct stream_registry *r, const char *name,
                                   size_t len);

/* Creates a stream (state LIVE) and returns it with a reference.
 * Returns 0, -EEXIST (*ret then holds the existing stream, referenced),
 * -EUSERS (max streams reached), or another negative errno. */
int stream_registry_create(struct stream_registry *r, const char *name,
                           size_t len, struct stream **ret);

/* Removes a stream: its files go, its followers' responses end. Returns
 * 0, -EBUSY while a writer is appending, or -ENOENT when it was already
 * removed. */
int stream_registry_delete(struct stream_registry *r, struct stream *s);

/* The lobby: GETs of names that do not exist park here (with a deadline)
 * and are woken whenever a stream is created. Its committed length counts
 * the streams created so far (one byte each), so a reader compares it
 * before and after a lookup. Not referenced (it lives as long as the
 * registry). */
struct stream *stream_registry_lobby(struct stream_registry *r);

/* Checks whether `more` bytes may be appended to s. Returns 0, -EFBIG
 * (over the per-stream limit; *ret_room says how many still fit) or
 * -ENOSPC (over the total limit). */
int stream_registry_admit(struct stream_registry *r, struct stream *s,
                          uint64_t more, uint64_t *ret_room);

/* The limits the registry was opened with. */
const struct stream_registry_limits *
stream_registry_limits(const struct stream_registry *r);

/* Accounts `n` appended bytes to the total. */
void stream_registry_account(struct stream_registry *r, uint64_t n);

/* Calls fn for every stream whose name starts with prefix, in name
 * order, at most `limit` of them; *ret_truncated tells whether more
 * matched. fn gets a referenced stream it must not keep. */
typedef void (*stream_registry_each_fn)(void *cls, struct stream *s);
int stream_registry_list(struct stream_registry *r, const char *prefix,
                         size_t plen, size_t limit, stream_registry_each_fn fn,
                         void *cls, bool *ret_truncated);

/* Tells the registry that a writer is done with s: once nobody else
 * holds it, its descriptors are closed (by the janitor, within a second),
 * so that thousands of finished streams do not hold descriptors. */
void stream_registry_writer_done(struct stream_registry *r, struct stream *s);

/* What /metrics reports of the streams: how many in each state
 * (indexed by enum store_state), with a writer, and followers parked
 * (suspended) on them. One pass under the registry's read lock. */
struct stream_registry_census {
    uint64_t by_state[4];
    uint64_t writers;
    uint64_t parked;
};
void stream_registry_census(struct stream_registry *r,
                            struct stream_registry_census *ret);

/* Streams held, and bytes in all of them. */
uint64_t stream_registry_count(struct stream_registry *r);
uint64_t stream_registry_bytes(struct stream_registry *r);

/* Runs one janitor pass now (retention, idle descriptors). Tests and the
 * janitor thread call it. Returns how many streams were deleted. */
size_t stream_registry_sweep(struct stream_registry *r, uint64_t now_ms);

/* Forces every stream's committed bytes to stable storage (the syncer's
 * round in --fsync=interval). Returns how many streams were synced. */
size_t stream_registry_sync_all(struct stream_registry *r);

/* Marks every stream closing (followers end); for shutdown. */
void stream_registry_close_all(struct stream_registry *r);

/* Stops the janitor and drops every stream. NULL: no-op. */
void stream_registry_free(struct stream_registry *r);

#endif
