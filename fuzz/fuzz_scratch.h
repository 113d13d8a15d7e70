/* fuzz_scratch: one scratch directory per fuzzing process for the targets
 * that need real files (the line index, directory streams): under
 * /dev/shm when it exists (a fuzzing run writes these files millions of
 * times), else $TMPDIR or /tmp; removed at exit (best effort: the targets
 * remove what they create in it). Header-only. */
#ifndef LIVELOG_FUZZ_SCRATCH_H
#define LIVELOG_FUZZ_SCRATCH_H

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char fuzz_scratch_dir[PATH_MAX];

static void fuzz_scratch_cleanup(void)
{
    rmdir(fuzz_scratch_dir);
}

/* The directory, made on first use; aborts when it cannot be. */
static const char *fuzz_scratch(void)
{
    if (fuzz_scratch_dir[0] != '\0')
        return fuzz_scratch_dir;
    struct stat st;
    const char *tmp = getenv("TMPDIR");
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
                               access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                       : tmp != NULL && tmp[0] != '\0' ? tmp
                                                       : "/tmp";
    snprintf(fuzz_scratch_dir, sizeof fuzz_scratch_dir,
             "%s/livelog-fuzz-XXXXXX", base);
    if (mkdtemp(fuzz_scratch_dir) == NULL)
        fuzz_fail(__FILE__, __LINE__, "mkdtemp");
    atexit(fuzz_scratch_cleanup);
    return fuzz_scratch_dir;
}

/* dir/file into out (PATH_MAX bytes); aborts when too long. */
static void fuzz_scratch_path(char *out, const char *dir, const char *file)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, file);
    if (n < 0 || n >= PATH_MAX)
        fuzz_fail(__FILE__, __LINE__, "path too long");
}

#endif
