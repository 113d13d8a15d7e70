/* forward_checkpoint: the durable state of `livelog forward` in
 * --state-dir: per file, its identity (device, inode, a fingerprint of
 * its first bytes), where it was found, its stream name and how far each
 * sink has acknowledged it; per name, how many files have had it.
 * A JSON document (docs/FORWARDING.md, "The checkpoint") parsed strictly
 * and written atomically (write, fsync, rename, fsync of the directory).
 * Single-threaded: the forwarder's main loop owns it. */
#ifndef LIVELOG_FORWARD_CHECKPOINT_H
#define LIVELOG_FORWARD_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORWARD_CKPT_VERSION 1
#define FORWARD_CKPT_FP_MAX 1024 /* bytes of a file's start fingerprinted */
#define FORWARD_CKPT_FILE "checkpoint.json"

/* One file's record. Offsets of the file count from its start (after a
 * truncation: from the start of the new content). */
struct forward_ckpt_rec {
    uint64_t dev, ino;
    uint32_t fp_len;      /* bytes of the file hashed into fp (<= FP_MAX) */
    unsigned char fp[32]; /* SHA-256 of the first fp_len bytes            */
    char *path;           /* where it was last seen (owned)               */
    char *name;           /* its stream name (owned; "" without a server) */
    /* the livelog sink: stream byte seg_stream is file byte seg_file;
     * a marker for marker_skip skipped bytes (--max-lag) occupies the
     * stream bytes [marker_at, seg_stream) */
    uint64_t http_stream; /* stream length the server acknowledged     */
    uint64_t seg_file, seg_stream;
    uint64_t marker_at, marker_skip;
    bool http_done;    /* the stream is complete on the server       */
    uint64_t out_file; /* the stdout sink: file bytes written out    */
    bool out_done;     /* the stdout sink has written all of it     */
    uint64_t skipped;  /* bytes skipped by --max-lag, all sinks      */
};

/* A name and the number of files that had it (the next file's {gen}). */
struct forward_ckpt_name {
    char *name;
    uint64_t count;
};

struct forward_ckpt {
    struct forward_ckpt_rec *recs;
    size_t nrecs;
    struct forward_ckpt_name *names;
    size_t nnames;
};

/* Parses a checkpoint document (len bytes, not NUL-terminated). Every
 * field is checked (types, ranges, offsets consistent, names valid);
 * unknown keys are refused. Returns 0 with *ret filled (free with
 * forward_ckpt_free), or -EINVAL with a one-line reason in msg. */
int forward_ckpt_parse(const char *text, size_t len, struct forward_ckpt *ret,
                       char *msg, size_t cap);

/* Serialises recs and names into a new NUL-terminated string (*ret, the
 * caller frees it). Returns 0 or -ENOMEM. */
int forward_ckpt_format(const struct forward_ckpt *c, char **ret);

/* Reads DIR/checkpoint.json. Returns 0 with *ret filled, 0 with an empty
 * *ret when there is none, or a negative errno (-EINVAL: unreadable
 * document, reason in msg). */
int forward_ckpt_load(const char *dir, struct forward_ckpt *ret, char *msg,
                      size_t cap);

/* Writes c to DIR/checkpoint.json atomically: a temporary file written
 * and fsync'ed, renamed over the old one, then the directory fsync'ed.
 * Returns 0 or a negative errno. */
int forward_ckpt_save(const char *dir, const struct forward_ckpt *c);

/* Frees what c owns and zeroes it. */
void forward_ckpt_free(struct forward_ckpt *c);
void forward_ckpt_rec_free(struct forward_ckpt_rec *r);

/* Percent-encodes a path for the document (bytes outside printable
 * ASCII, '%' and '"' and '\\' become %XX) into a new string; NULL when
 * out of memory. */
char *forward_ckpt_encode_path(const char *path);

/* The reverse; NULL when malformed or out of memory. */
char *forward_ckpt_decode_path(const char *text);

#endif
