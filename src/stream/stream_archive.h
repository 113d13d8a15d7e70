/* stream_archive: completed streams into the archive store (archive.h),
 * and out of the data directory once the store holds them.
 *
 * The queue is durable by construction: a stream is waiting for the
 * archive exactly when it is complete and its meta has no `archived_ms`
 * yet, so a restart finds every waiting stream again (the registry
 * re-queues them at recovery). A multipart upload in progress is recorded
 * in the meta as soon as the store names it, so the upload that a crash
 * cut short is aborted before the stream is uploaded again: nothing is
 * left half-stored, nothing is stored twice.
 *
 * Worker threads (--archive-workers) take streams from the queue: SHA-256
 * of the stored bytes, upload (multipart above the part size), the
 * store's confirmation of size and checksum, then `archived_ms` in the
 * meta. A store that is down or slow is retried with exponential backoff
 * and jitter (1 s doubling to 5 min), per stream, without blocking ingest
 * or reads (the workers read the data file like any reader). The local
 * copy is removed only once archived and --archive-local-retention has
 * passed (the registry's janitor asks stream_archive_evict_due).
 *
 * Threads: enqueue from any thread; start/stop from the main thread. */
#ifndef LIVELOG_STREAM_ARCHIVE_H
#define LIVELOG_STREAM_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "archive/archive.h"
#include "stream/stream.h"

struct stream_archive_config {
    struct archive *archive;     /* the store (not owned)                */
    unsigned workers;            /* upload threads (at least 1)          */
    uint64_t local_retention_ms; /* keep the local copy this long after  */
};

/* Starts the workers. Returns 0 or a negative errno. */
int stream_archive_start(const struct stream_archive_config *cfg);

/* Stops the workers (an upload in progress is abandoned; its stream is
 * still waiting and its multipart upload recorded) and drops the queue. */
void stream_archive_stop(void);

/* The store, or NULL when archiving is off. Any thread. */
struct archive *stream_archive_store(void);

/* Queues a complete directory stream that is not archived yet; no-op when
 * archiving is off, for other streams, or when it is queued already. */
void stream_archive_enqueue(struct stream *s);

/* Streams waiting for the archive (queued or in upload). */
uint64_t stream_archive_queue_depth(void);

/* Janitor: removes the local copy of an archived stream once the local
 * retention has passed. Returns true when it did. */
bool stream_archive_evict_due(struct stream *s, uint64_t now_ms);

#endif
