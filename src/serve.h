/* serve: `livelog serve`, the multi-stream service. Reads the
 * configuration table (config.h), recovers the data directory, starts the
 * waker, the syncer and both listeners, and runs on the main thread until
 * SIGTERM or SIGINT. */
#ifndef LIVELOG_SERVE_H
#define LIVELOG_SERVE_H

/* Exit codes (docs/OPERATIONS.md). */
enum serve_exit {
    SERVE_EXIT_OK = 0,
    SERVE_EXIT_RUNTIME = 1, /* cannot bind, data dir unusable, ...      */
    SERVE_EXIT_USAGE = 2,   /* bad flag or environment value            */
};

/* Runs `livelog serve`; argv[0] is "serve". Returns the exit code. */
int serve_main(int argc, char **argv);

#endif
