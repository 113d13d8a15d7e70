/* token: the `livelog token` verb (contract in token.h). Mints the two
 * credentials of private logs from the server's key directory: a JWT
 * with scopes, or a signed read URL. Runs on the main thread and exits. */
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_jwt.h"
#include "auth/auth_keys.h"
#include "auth/auth_sign.h"
#include "core/core_clock.h"
#include "core/core_num.h"
#include "log/log.h"
#include "store/store_name.h"

#define MAX_SCOPES 256
#define TTL_MAX UINT64_C(31536000) /* a year */

struct token_args {
    const char *key_dir;
    const char *kid;
    const char *scopes[MAX_SCOPES];
    size_t nscopes;
    const char *url_name;
    const char *method;
    const char *base;
    uint64_t ttl_s;
    bool ttl_set;
};

static void usage(FILE *out)
{
    fputs("Usage:\n"
          "  livelog token --key-dir DIR --scopes SCOPE [SCOPE...] --ttl S "
          "[--kid KID]\n"
          "      prints a JWT (HS256) granting the scopes for S seconds,\n"
          "      e.g. --scopes 'livelog:read:task/abc/*'\n"
          "  livelog token --key-dir DIR --url NAME --ttl S [--method "
          "GET|PUT|DELETE]\n"
          "                [--base URL]\n"
          "      prints a signed URL for NAME (GET by default), valid for S "
          "seconds,\n"
          "      prefixed with --base (the read listener as readers reach "
          "it)\n\n"
          "The key directory defaults to $LIVELOG_KEY_DIR and the base to\n"
          "$LIVELOG_PUBLIC_URL. The newest key (its name sorts last) signs.\n"
          "See docs/SECURITY.md.\n",
          out);
}

/* Parses argv into *a. Returns 0, 1 for --help, or -EINVAL with a
 * message on stderr. */
static int parse(int argc, char **argv, struct token_args *a)
{
    a->key_dir = getenv("LIVELOG_KEY_DIR");
    a->base = getenv("LIVELOG_PUBLIC_URL");
    a->method = "GET";
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0)
            return 1;
        if (v == NULL) {
            fprintf(stderr, "livelog token: %s needs a value (see --help)\n",
                    f);
            return -EINVAL;
        }
        i++;
        if (strcmp(f, "--key-dir") == 0) {
            a->key_dir = v;
        } else if (strcmp(f, "--kid") == 0) {
            a->kid = v;
        } else if (strcmp(f, "--url") == 0) {
            a->url_name = v;
        } else if (strcmp(f, "--method") == 0) {
            a->method = v;
        } else if (strcmp(f, "--base") == 0) {
            a->base = v;
        } else if (strcmp(f, "--ttl") == 0) {
            if (core_num_parse_u64(v, strlen(v), &a->ttl_s) != 0 ||
                a->ttl_s == 0 || a->ttl_s > TTL_MAX) {
                fprintf(stderr, "livelog token: --ttl wants seconds from 1 to "
                                "31536000\n");
                return -EINVAL;
            }
            a->ttl_set = true;
        } else if (strcmp(f, "--scopes") == 0) {
            /* every argument up to the next flag is a scope */
            for (i--; i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0; i++) {
                if (a->nscopes == MAX_SCOPES) {
                    fprintf(stderr, "livelog token: at most 256 scopes\n");
                    return -EINVAL;
                }
                a->scopes[a->nscopes++] = argv[i + 1];
            }
        } else {
            fprintf(stderr, "livelog token: unknown flag '%s' (see --help)\n",
                    f);
            return -EINVAL;
        }
    }
    if (a->key_dir == NULL || a->key_dir[0] == '\0') {
        fprintf(stderr, "livelog token: --key-dir (or LIVELOG_KEY_DIR) is "
                        "needed\n");
        return -EINVAL;
    }
    if (!a->ttl_set) {
        fprintf(stderr, "livelog token: --ttl SECONDS is needed\n");
        return -EINVAL;
    }
    if ((a->url_name != NULL) == (a->nscopes > 0)) {
        fprintf(stderr, "livelog token: give either --scopes (a token) or "
                        "--url NAME (a signed URL)\n");
        return -EINVAL;
    }
    if (a->url_name != NULL) {
        char msg[256];
        if (store_name_check(a->url_name, strlen(a->url_name), msg,
                             sizeof(msg)) != 0) {
            fprintf(stderr, "livelog token: %s\n", msg);
            return -EINVAL;
        }
        if (strcmp(a->method, "GET") != 0 && strcmp(a->method, "PUT") != 0 &&
            strcmp(a->method, "DELETE") != 0) {
            fprintf(stderr, "livelog token: --method is GET, PUT or DELETE\n");
            return -EINVAL;
        }
    }
    return 0;
}

static int print_url(struct auth_keyring *keys, const struct token_args *a,
                     int64_t now)
{
    char q[AUTH_SIGN_QUERY_MAX];
    size_t len = strlen(a->url_name);
    int rc = auth_sign_query(keys, a->method, a->url_name, len,
                             now + (int64_t)a->ttl_s, q, sizeof(q));
    if (rc < 0)
        return rc;
    const char *base = a->base != NULL ? a->base : "";
    size_t blen = strlen(base);
    if (blen > 0 && base[blen - 1] == '/')
        blen--;
    printf("%.*s/v1/logs/%s?%s\n", (int)blen, base, a->url_name, q);
    return 0;
}

int token_main(int argc, char **argv)
{
    struct token_args a = {.nscopes = 0};
    int rc = parse(argc, argv, &a);
    if (rc == 1) {
        usage(stdout);
        return TOKEN_EXIT_OK;
    }
    if (rc != 0)
        return TOKEN_EXIT_USAGE;
    /* Key loading reports refused files on stderr, in the console form. */
    log_init(2, LOG_WARNING, LOG_FORMAT_CONSOLE);
    struct auth_keyring *keys = NULL;
    rc = auth_keyring_open(a.key_dir, &keys);
    if (rc != 0) {
        fprintf(stderr, "livelog token: cannot read the key directory %s: %s\n",
                a.key_dir, strerror(-rc));
        return TOKEN_EXIT_RUNTIME;
    }
    int64_t now = (int64_t)(core_clock_real_ns() / CORE_NS_PER_S);
    if (a.url_name != NULL) {
        rc = print_url(keys, &a, now);
    } else {
        char *jwt = NULL;
        rc =
            auth_jwt_mint(keys, a.kid, a.scopes, a.nscopes, now, a.ttl_s, &jwt);
        if (rc == 0)
            printf("%s\n", jwt);
        free(jwt);
    }
    auth_keyring_free(keys);
    if (rc == -ENOENT) {
        fprintf(stderr,
                "livelog token: no usable key%s%s in %s (a key is a "
                "file KID.key of at least 32 bytes, mode 600)\n",
                a.kid != NULL ? " named " : "", a.kid != NULL ? a.kid : "",
                a.key_dir);
        return TOKEN_EXIT_RUNTIME;
    }
    if (rc != 0) {
        fprintf(stderr, "livelog token: signing failed: %s\n", strerror(-rc));
        return TOKEN_EXIT_RUNTIME;
    }
    return TOKEN_EXIT_OK;
}
