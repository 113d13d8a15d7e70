/* token: the `livelog token` verb. Mints, from the server's key
 * directory (--key-dir, as `livelog serve` uses it), either a JWT with
 * the scopes given or a signed URL for one name. For operators and CI
 * workers; docs/SECURITY.md has the recipes. Main thread only. */
#ifndef LIVELOG_TOKEN_H
#define LIVELOG_TOKEN_H

enum token_exit {
    TOKEN_EXIT_OK = 0,
    TOKEN_EXIT_RUNTIME = 1, /* the key directory is unusable, no key     */
    TOKEN_EXIT_USAGE = 2,   /* bad or missing flags                       */
};

/* argv[0] is "token". Prints the credential on stdout, one line. Returns
 * an exit code. */
int token_main(int argc, char **argv);

#endif
