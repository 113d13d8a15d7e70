/* process: the process-wide set-up both server verbs share. Signals are
 * taken on the main thread only (every thread started afterwards inherits
 * the blocked mask), SIGPIPE is ignored (sockets report EPIPE instead),
 * and the open-file limit is raised so that tens of thousands of readers
 * fit. Main thread only. */
#ifndef LIVELOG_PROCESS_H
#define LIVELOG_PROCESS_H

#include "log/log.h"

/* Blocks SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2, ignores SIGPIPE, raises
 * the open-file soft limit to the hard limit (a WARNING when that fails). Call
 * before starting any thread. Can't fail. */
void process_setup(void);

/* Waits for SIGTERM or SIGINT and returns the signal number. Every
 * SIGHUP meanwhile calls on_reload(cls) on this thread (NULL: SIGHUP is
 * logged and otherwise ignored); SIGUSR1 makes the log one level more
 * verbose, SIGUSR2 one level quieter. */
int process_wait_for_stop(void (*on_reload)(void *cls), void *cls);

/* Moves the threshold `step` levels (+1 more verbose), between error and
 * trace. Returns the new level. Any thread. */
enum log_level process_step_log_level(int step, const char *how);

#endif
