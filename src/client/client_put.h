/* client_put: the `livelog put NAME [FILE]` verb: streams stdin or a file
 * into a livelog server as it arrives and resumes, exactly once, after a
 * lost connection or a server restart (docs/CLIENTS.md). */
#ifndef LIVELOG_CLIENT_PUT_H
#define LIVELOG_CLIENT_PUT_H

/* Runs the verb; argv[0] is "put". Returns the process exit code: 0 done,
 * 1 failed (a message was printed on stderr), 2 usage error. Main thread;
 * initialises libcurl globally. */
int client_put_main(int argc, char **argv);

#endif
