/* forward: `livelog forward`, the sidecar that follows log files as
 * other programs write them and ships every byte once to a livelog
 * server and/or stdout (docs/FORWARDING.md). */
#ifndef LIVELOG_FORWARD_H
#define LIVELOG_FORWARD_H

/* Runs the verb (argv[0] is "forward"). Returns the exit status: 0 done,
 * 1 failed, 2 usage error. */
int forward_main(int argc, char **argv);

#endif
