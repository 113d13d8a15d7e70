/* stream_waker: the one background thread of the stream engine. It runs
 * deferred wake rounds when their batching window ends, wakes waiters
 * whose deadline passed (a GET waiting for a writer that never came), and
 * every probe interval wakes all idle followers so that the HTTP layer can
 * notice clients that hung up while suspended (libmicrohttpd does not see
 * a hang-up on a suspended connection).
 *
 * Lock order: waker lock, then a stream's lock. Streams call
 * stream_waker_schedule only after releasing their own lock. */
#ifndef LIVELOG_STREAM_WAKER_H
#define LIVELOG_STREAM_WAKER_H

#include <stdint.h>

struct stream;

/* Starts the thread. probe_interval_ns: how often idle followers are
 * woken (0: never). Returns 0 or a negative errno. Call once. */
int stream_waker_start(uint64_t probe_interval_ns);

/* Stops and joins the thread. Safe when not started. */
void stream_waker_stop(void);

/* Adds a stream to the probe rounds / removes it (also from the
 * schedule). stream_waker_forget blocks while the waker is working on
 * the stream, so the stream may be freed when it returns. */
void stream_waker_register(struct stream *s);
void stream_waker_forget(struct stream *s);

/* The number of idle-probe rounds run so far. A follower woken by a
 * round checks whether its client hung up; others need not. */
uint64_t stream_waker_probe_round(void);

/* Asks the waker to look at s: it asks the stream when its deferred wake
 * round or its earliest deadline is due. */
void stream_waker_schedule(struct stream *s);

#endif
