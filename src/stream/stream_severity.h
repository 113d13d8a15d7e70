/* stream_severity: the severity tally of one stream's lines (severity.h:
 * counts by severity, where the first ERROR and FATAL lines are), for
 * GET /v1/logs/NAME/stats, live while the stream grows.
 *
 * Off the writer's path: an append only marks the stream as having
 * unclassified bytes (one atomic exchange; the first mark queues it). The
 * severity worker, a thread at the lowest priority (nice 19; not
 * SCHED_IDLE, which could starve it while it holds a lock a writer
 * needs), reads those bytes back from the data file (the page cache) and feeds
 * the tally, so classifying costs ingest nothing while a core is free. A
 * snapshot (the stats route) first classifies whatever the worker has not
 * reached yet, so its answer always covers every committed byte. While
 * stream_ingest_busy() (a burst above 64 MB/s: no CI task makes one, a
 * benchmark does) the worker waits for the burst to end.
 *
 * A stream recovered after a restart starts with an empty tally that its
 * next append (through the worker) or first snapshot fills from the data
 * file. The elided
 * middle of a keep-tail log is skipped (if it went before the worker read
 * it, its lines are not counted and later line numbers are unknown).
 *
 * Thread-safety: stream_severity_notify is for the stream's writer; the
 * rest for any thread. A tally lock (not the stream's park lock) orders
 * the worker's and the snapshots' reads. */
#ifndef LIVELOG_STREAM_SEVERITY_H
#define LIVELOG_STREAM_SEVERITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "severity/severity.h"
#include "stream/stream.h"

/* Starts / stops the worker thread (serve's main thread, once). Without
 * a worker, snapshots still classify everything themselves. start
 * returns 0 or a negative errno; stop drops what is queued. */
int stream_severity_start(void);
void stream_severity_stop(void);

/* Turns the tally on for a stream. A recovered stream's stored bytes are
 * classified when it is next appended to or asked for (not all at start:
 * a restart does not read every stored log back). Returns 0 or -ENOMEM. */
int stream_severity_enable(struct stream *s, bool recovered);

/* Writer, after each append or state change: the stream has bytes or a
 * completion the tally has not seen. Cheap; never blocks on I/O. */
void stream_severity_notify(struct stream *s);

/* A copy of the tally after classifying every committed byte: counts,
 * and up to cap of the first ERROR/FATAL lines (*ret_n of them;
 * *ret_total how many the tally keeps). Returns 0, -ENOENT when the
 * stream keeps no tally, or a negative errno when its data cannot be
 * read. Any thread. */
int stream_severity_snapshot(struct stream *s, struct severity_counts *ret,
                             struct severity_hit *hits, size_t cap,
                             size_t *ret_n, size_t *ret_total);

/* True when the tally has seen every committed byte (or none is kept):
 * the archive waits for it before removing a stream's local copy, so that
 * the tally is not filled from the store. Any thread. */
bool stream_severity_caught_up(struct stream *s);

/* Frees the tally (stream_free calls it). */
void stream_severity_free(struct stream *s);

#endif
