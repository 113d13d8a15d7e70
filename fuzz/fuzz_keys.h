/* fuzz_keys: the key ring the auth targets verify against, made once per
 * process: a fresh directory (under $TMPDIR, else /tmp) with two keys,
 * "k1" and "k2" (k2 signs), loaded with auth_keyring_open exactly as
 * `livelog serve --key-dir` loads it; removed at exit. The logger is set
 * to FATAL first so the ring's INFO lines do not flood a fuzzing run.
 * Header-only, for fuzz_auth_jwt.c and fuzz_auth_sign.c. */
#ifndef LIVELOG_FUZZ_KEYS_H
#define LIVELOG_FUZZ_KEYS_H

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "auth/auth_keys.h"
#include "fuzz.h"
#include "log/log.h"

#define FUZZ_KEY1 "k1-fuzz-key-0123456789abcdefghijklmnopqrstuvwxyz"
#define FUZZ_KEY2 "k2-fuzz-key-ABCDEFGHIJKLMNOPQRSTUVWXYZ-9876543210"

static char fuzz_keys_dir[PATH_MAX];

static void fuzz_keys_path(char *out, const char *file)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", fuzz_keys_dir, file);
    if (n < 0 || n >= PATH_MAX)
        fuzz_fail(__FILE__, __LINE__, "key path too long");
}

static void fuzz_keys_write(const char *file, const char *key)
{
    char path[PATH_MAX];
    fuzz_keys_path(path, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(key);
    if (fd < 0 || write(fd, key, len) != (ssize_t)len || close(fd) != 0)
        fuzz_fail(__FILE__, __LINE__, "cannot write a key file");
}

static void fuzz_keys_cleanup(void)
{
    char path[PATH_MAX];
    fuzz_keys_path(path, "k1.key");
    unlink(path);
    fuzz_keys_path(path, "k2.key");
    unlink(path);
    rmdir(fuzz_keys_dir);
}

/* The process's ring; aborts when it cannot be made. */
static struct auth_keyring *fuzz_keys_ring(void)
{
    static struct auth_keyring *ring;
    if (ring != NULL)
        return ring;
    log_init(2, LOG_FATAL, LOG_FORMAT_JSON);
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_keys_dir, sizeof fuzz_keys_dir, "%s/livelog-fuzz-keys-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(fuzz_keys_dir) == NULL)
        fuzz_fail(__FILE__, __LINE__, "mkdtemp");
    fuzz_keys_write("k1.key", FUZZ_KEY1 "\n");
    fuzz_keys_write("k2.key", FUZZ_KEY2 "\n");
    if (auth_keyring_open(fuzz_keys_dir, &ring) != 0 ||
        auth_keyring_count(ring) != 2)
        fuzz_fail(__FILE__, __LINE__, "auth_keyring_open");
    atexit(fuzz_keys_cleanup);
    return ring;
}

#endif
