/* dropin: `livelog` run with no verb, the exact drop-in for Taskcluster's
 * Go livelog. One stream per process, configured from the environment
 * (ACCESS_TOKEN, LIVELOG_PUT_PORT, LIVELOG_GET_PORT, SERVER_CRT_FILE,
 * SERVER_KEY_FILE, LIVELOG_TEMP_DIR, DEBUG), `PUT /log` on the loopback
 * write port, `GET /log/<ACCESS_TOKEN>` on the read port. Runs on the
 * main thread until SIGTERM or SIGINT. */
#ifndef LIVELOG_DROPIN_H
#define LIVELOG_DROPIN_H

/* Exit codes (documented in docs/OPERATIONS.md). 64-67 are Taskcluster
 * livelog's own. */
enum dropin_exit {
    DROPIN_EXIT_OK = 0,
    DROPIN_EXIT_RUNTIME = 1,    /* cannot bind, cannot create the log */
    DROPIN_EXIT_USAGE = 2,      /* bad flag, missing ACCESS_TOKEN     */
    DROPIN_EXIT_PUT_NAN = 64,   /* LIVELOG_PUT_PORT is not a number   */
    DROPIN_EXIT_PUT_RANGE = 65, /* ... is outside [0, 65535]          */
    DROPIN_EXIT_GET_NAN = 66,   /* LIVELOG_GET_PORT is not a number   */
    DROPIN_EXIT_GET_RANGE = 67, /* ... is outside [0, 65535]          */
};

/* Runs the drop-in; returns the process exit code. */
int dropin_main(int argc, char **argv);

#endif
