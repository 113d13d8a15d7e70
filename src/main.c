/* main: the `livelog` binary. Picks the verb; today the only one is the
 * Taskcluster drop-in (no verb). Exit codes are listed in dropin.h and
 * docs/OPERATIONS.md. */
#include "dropin.h"

int main(int argc, char **argv)
{
    return dropin_main(argc, argv);
}
