/* client_spool: the input of `livelog put` and everything it has read so
 * far. Bytes are read once from stdin (or a FILE), hashed (SHA-256, for
 * the completing Repr-Digest) and kept: in an unlinked temp file for a
 * pipe or terminal, in the file itself for a regular FILE. Any suffix can
 * then be re-sent after the server reports where it stands. With --tee
 * every byte is also copied to a descriptor (stdout) as it is read. Used
 * on the main thread only (inside libcurl's read callback and between
 * attempts). */
#ifndef LIVELOG_CLIENT_SPOOL_H
#define LIVELOG_CLIENT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/crypto.h>

#define CLIENT_SPOOL_DIGEST_LEN 32u /* SHA-256 */

struct client_spool {
    int src_fd;            /* the input: 0 or the opened FILE */
    bool src_owned;        /* src_fd was opened here (closed by close) */
    bool src_is_store;     /* a regular FILE: stored bytes are read from it */
    bool src_pollable;     /* not a regular file: drain() may read ahead */
    int tmp_fd;            /* unlinked temp file with the bytes; -1 if none */
    uint64_t len;          /* bytes read from the input so far */
    bool eof;              /* the input has ended; digest is final */
    gnutls_hash_hd_t hash; /* running SHA-256 of bytes 0..len */
    bool hash_live;        /* hash is initialised and not yet output */
    uint8_t digest[CLIENT_SPOOL_DIGEST_LEN]; /* valid once eof */
    int tee_fd;  /* every byte read is copied here; -1 for none */
    int tee_err; /* negative errno that stopped the copy, or 0 */
};

/* Opens a spool over path, or over stdin when path is NULL. A FILE that
 * is not a regular file (a FIFO, /dev/stdin of a pipe) is spooled like
 * stdin. The temp file is created with mkstemp in $TMPDIR (default /tmp)
 * and unlinked at once. Returns 0 or a negative errno; on failure nothing
 * needs closing. */
int client_spool_open(struct client_spool *sp, const char *path);

/* Copies every byte read from now on to fd (full writes, blocking: a
 * slow reader of fd slows the reading of the input, as tee(1) does). The
 * first write error (EPIPE when the reader went away; SIGPIPE must be
 * ignored) stops the copy for good and is kept in sp->tee_err; reading,
 * keeping and hashing go on. Can't fail. */
void client_spool_tee(struct client_spool *sp, int fd);

/* Releases everything open() acquired. NULL and half-built spools are
 * fine. */
void client_spool_close(struct client_spool *sp);

/* Reads new input (blocking until some arrives) into buf, at most cap
 * bytes, keeps and hashes them. Returns 0 with *ret_n the count (0 means
 * end of input: sp->eof is set and sp->digest final), or a negative errno
 * for a read error of the input or a write error of the temp file. */
int client_spool_read_new(struct client_spool *sp, void *buf, size_t cap,
                          size_t *ret_n);

/* Copies stored bytes starting at off (off < sp->len) into buf, at most
 * cap and at most up to sp->len. Returns 0 with *ret_n > 0, -EINVAL when
 * off >= sp->len, another negative errno on a read error. */
int client_spool_pread(struct client_spool *sp, void *buf, size_t cap,
                       uint64_t off, size_t *ret_n);

/* Waits ms milliseconds; meanwhile, when the input is a pipe or terminal,
 * reads what arrives into the spool so the writing program is not held
 * up while the server is away. Returns 0 or a negative errno as
 * read_new(). */
int client_spool_drain(struct client_spool *sp, uint64_t ms);

/* Reads the input to its end without keeping or hashing what it reads
 * (the --tee copy is still made), for a writer that gave up: the program
 * writing into a pipe then never meets a closed one. sp->len and the
 * digest no longer matter; sp->eof is set. Returns 0 with *ret_n the
 * bytes read, or a negative errno for a read error of the input. */
int client_spool_read_rest(struct client_spool *sp, uint64_t *ret_n);

#endif
