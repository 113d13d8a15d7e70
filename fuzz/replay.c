/* replay: the main() that turns a fuzz target into an ordinary program,
 * for CTest (`fuzz.<target>`, built with the normal compiler, with or
 * without ASan/UBSan, no libFuzzer). Each argument is a file or a
 * directory (its regular files are run in name order, not recursively);
 * every file is read into a buffer of exactly its size and handed to
 * LLVMFuzzerTestOneInput once. A broken property aborts, so the test
 * fails and the last "replay:" line on stderr names the input. Exits 0
 * when every file ran, 1 when an argument could not be read, or none was
 * given, or no file was found. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads the whole file into a malloc'd buffer of exactly its size.
 * Returns 0, or -1 with a message on stderr. */
static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fprintf(stderr, "replay: %s: out of memory\n", path);
            fclose(f);
            return -1;
        }
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        cap *= 2;
        uint8_t *bigger = realloc(buf, cap);
        if (bigger == NULL)
            free(buf);
        buf = bigger;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(buf);
        return -1;
    }
    /* Exactly len bytes, so that a read past the input is caught. */
    uint8_t *exact = malloc(len > 0 ? len : 1);
    if (exact == NULL) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    *ret = exact;
    *ret_len = len;
    return 0;
}

static int run_file(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (read_file(path, &data, &len) != 0)
        return -1;
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int only_files(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Runs every regular file of dir. Returns the count, or -1. */
static int run_dir(const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, only_files, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int ran = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        int w = snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (rc == 0 && w > 0 && (size_t)w < sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) != 0)
                rc = -1;
            else
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return rc != 0 ? -1 : ran;
}

int main(int argc, char **argv)
{
    int ran = 0;
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[a], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            int n = run_dir(argv[a]);
            if (n < 0)
                return 1;
            ran += n;
        } else {
            if (run_file(argv[a]) != 0)
                return 1;
            ran++;
        }
    }
    if (ran == 0) {
        fprintf(stderr, "usage: %s FILE-OR-DIR... (no input was run)\n",
                argv[0]);
        return 1;
    }
    fprintf(stderr, "replay: %d inputs, every property held\n", ran);
    return 0;
}
