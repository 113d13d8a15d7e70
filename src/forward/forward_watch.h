/* forward_watch: where `livelog forward` looks for files. Each --watch is
 * a file, a directory (the files directly in it) or a glob; the watch
 * lists what matches now (a scan) and, through inotify on the
 * directories involved, says which paths changed since (events), so new
 * files are opened as soon as they appear and growth is seen at once.
 * Where inotify is missing, refused, or cannot see changes (network and
 * FUSE file systems), the forwarder relies on scans alone. Single-
 * threaded: the forwarder's main loop owns the watch. */
#ifndef LIVELOG_FORWARD_WATCH_H
#define LIVELOG_FORWARD_WATCH_H

#include <stdbool.h>
#include <stddef.h>

struct forward_watch;

/* Called with each path found or changed. */
typedef void forward_watch_fn(void *ctx, const char *path);

/* Builds a watch over specs (strings outlive the watch). poll_only: no
 * inotify at all. Returns 0 or -ENOMEM. */
int forward_watch_new(const char *const *specs, size_t n, bool poll_only,
                      struct forward_watch **ret);
void forward_watch_free(struct forward_watch *w);

/* The inotify descriptor to wait on, or -1 when scans are all there is. */
int forward_watch_fd(const struct forward_watch *w);

/* Whether every spec is covered by inotify (else scans must be
 * frequent). */
bool forward_watch_complete(const struct forward_watch *w);

/* Calls fn for every regular file matching a spec now, and (re)adds the
 * inotify watches of directories that appeared. Can't fail: what cannot
 * be read is skipped (logged at DEBUG). */
void forward_watch_scan(struct forward_watch *w, forward_watch_fn *fn,
                        void *ctx);

/* Reads the pending inotify events without blocking and calls fn with
 * each matching path created, written, moved or deleted. Returns true
 * when events were lost (queue overflow) or a watched directory went
 * away, so the caller should scan. */
bool forward_watch_events(struct forward_watch *w, forward_watch_fn *fn,
                          void *ctx);

/* Whether path matches one of the specs (used for paths of events). */
bool forward_watch_matches(const struct forward_watch *w, const char *path);

#endif
