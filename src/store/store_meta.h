/* store_meta: a stream's metadata file ("meta" in its directory): its
 * name, state and times, the random number of its incarnation, and its
 * archive state. Small text, one "key value" per line, written whole to a
 * temporary file and renamed over the old one, so a crash leaves either
 * the old or the new file, never a mix. Parsing is a pure function over
 * (ptr, len): the file comes from disk and is treated as untrusted. Called by
 * the store on whichever thread changes a stream's state, and at recovery. */
#ifndef LIVELOG_STORE_META_H
#define LIVELOG_STORE_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_name.h"
#include "store/store_stream.h"

#define STORE_META_MAX 4096

struct store_meta {
    char name[STORE_NAME_MAX + 1];
    size_t name_len;
    enum store_state state;
    uint64_t created_ms;
    uint64_t completed_ms; /* 0 while not complete */
    uint64_t keep_head;    /* --over-limit=keep-tail: bytes kept at the */
    uint64_t keep_tail;    /* start and at the end; 0: no elision       */
    /* A random number drawn when the stream was created, so that a name
     * deleted and created again is told apart from its earlier stream
     * (the ETag of its bytes, http_cache.h). 0: none (a meta file written
     * before the key existed). Written as 16 lowercase hex digits. */
    uint64_t incarnation;
    /* The archive (stream_archive.h): when the store confirmed the
     * object (0: not yet), whether the local data is gone (then `length`
     * is the stream's length), and a multipart upload in progress (to
     * abort after a crash; "" none). */
    uint64_t archived_ms;
    bool evicted;
    uint64_t length;
    char upload_id[256];
};

/* Formats m into buf (at most cap bytes). Returns the length, or -ENOSPC
 * when it does not fit. */
int store_meta_format(const struct store_meta *m, char *buf, size_t cap);

/* Parses a meta file. Returns 0, or -EINVAL when it is not a valid meta
 * file (wrong header, unknown state, bad number, invalid name, missing
 * key). *ret is untouched on failure. */
int store_meta_parse(const char *text, size_t len, struct store_meta *ret);

/* Writes m to dir/meta atomically (dir/meta.tmp, then rename). With sync
 * set the file and the directory are fsynced before returning. Returns 0
 * or a negative errno. */
int store_meta_write(const char *dir, const struct store_meta *m, bool sync);

/* Reads and parses dir/meta. Returns 0 or a negative errno (-EINVAL for
 * a damaged file). */
int store_meta_read(const char *dir, struct store_meta *ret);

#endif
