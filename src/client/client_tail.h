/* client_tail: the `livelog tail URL` verb: prints a log, follows it
 * while live, and resumes from the next unprinted byte after a lost
 * connection or a server restart (docs/CLIENTS.md). */
#ifndef LIVELOG_CLIENT_TAIL_H
#define LIVELOG_CLIENT_TAIL_H

/* Runs the verb; argv[0] is "tail". Returns the process exit code: 0 done
 * (or stdout closed by its reader), 1 failed (a message was printed on
 * stderr), 2 usage error. Main thread; initialises libcurl globally and
 * ignores SIGPIPE for the process. */
int client_tail_main(int argc, char **argv);

#endif
