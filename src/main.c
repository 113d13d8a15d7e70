/* main: the `livelog` binary. Picks the verb: no verb (or only flags) is
 * the Taskcluster drop-in; `serve`, `put` and `tail` are the service and
 * its clients; `token` mints credentials for private logs; `stats`
 * prints a server's log statistics; `forward` ships log files that other
 * programs write (the sidecar). Exit codes are
 * documented in docs/OPERATIONS.md. */
#include <string.h>

#include "client/client_put.h"
#include "client/client_stats.h"
#include "client/client_tail.h"
#include "dropin.h"
#include "forward/forward.h"
#include "serve.h"
#include "token.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return serve_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "put") == 0)
        return client_put_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "tail") == 0)
        return client_tail_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "token") == 0)
        return token_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "stats") == 0)
        return client_stats_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "forward") == 0)
        return forward_main(argc - 1, argv + 1);
    return dropin_main(argc, argv);
}
