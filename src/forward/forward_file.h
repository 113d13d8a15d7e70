/* forward_file: one file `livelog forward` follows. Its identity is the
 * device and inode, checked against a fingerprint of its first bytes (an
 * inode number can be reused once a file is deleted); its descriptor
 * stays open from discovery to the end, so a file renamed or deleted
 * while open is still read to its last byte. Each sink keeps its own
 * position in the checkpoint record (forward_checkpoint.h); the file only
 * says how much there is to read and whether its path still leads to it.
 * Single-threaded: the forwarder's main loop owns every file. */
#ifndef LIVELOG_FORWARD_FILE_H
#define LIVELOG_FORWARD_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "client/client_http.h"
#include "forward/forward_checkpoint.h"

/* Where a file is with the livelog sink. */
enum forward_http_phase {
    FWD_HTTP_NEW = 0, /* the server's length is unknown: HEAD next    */
    FWD_HTTP_READY,   /* rec.http_stream is the server's length        */
    FWD_HTTP_BUSY,    /* a request is in flight                        */
    FWD_HTTP_BACKOFF, /* waiting until retry_at_ms after a failure     */
    FWD_HTTP_DONE,    /* complete on the server                        */
    FWD_HTTP_FAILED,  /* refused for good (logged); nothing more sent  */
};

struct forward_file {
    struct forward_ckpt_rec rec; /* identity, name, sink positions     */
    int fd;                      /* open from discovery to the end      */
    uint64_t size;               /* bytes in the file at the last look  */
    bool gone;            /* its path no longer leads to it (rotated/deleted) */
    bool seen;            /* found by the scan in progress                   */
    bool finished;        /* gone and quiet for --rotate-wait, or exiting     */
    uint64_t changed_ms;  /* last time its size changed (monotonic)    */
    uint64_t truncations; /* copytruncate events seen                  */
    bool out_waiting;     /* stdout: only an unfinished line is left */
    /* the livelog sink */
    enum forward_http_phase phase;
    bool exists;                  /* the server has the stream           */
    bool restart;                 /* truncated: new segment at next HEAD */
    char *url;                    /* BASE/v1/logs/NAME (owned)           */
    CURL *easy;                   /* the request in flight               */
    struct curl_slist *headers;   /* its headers                         */
    struct client_http_resp resp; /* its answer                         */
    int req_kind;                 /* forward_http.c's request kinds      */
    uint64_t req_file;            /* file offset the body starts at          */
    uint64_t req_len;             /* body bytes (file bytes after the marker) */
    uint64_t req_sent;            /* body bytes handed to libcurl so far      */
    char *req_marker;             /* marker bytes sent before the file bytes  */
    size_t req_marker_len;
    unsigned failures;    /* failed attempts in a row                 */
    uint64_t retry_at_ms; /* FWD_HTTP_BACKOFF: when to try again      */
    bool read_error;      /* the read callback could not read the file */
};

/* Opens path and fills f for a file seen for the first time (rec.path,
 * identity and fingerprint; positions 0). Returns 0, -EISDIR or -EINVAL
 * for something that is not a regular file, or a negative errno. */
int forward_file_open(struct forward_file *f, const char *path);

/* Whether the file open at fd is the one rec describes: same device and
 * inode, and its first rec->fp_len bytes hash to rec->fp. */
bool forward_file_matches(int fd, const struct forward_ckpt_rec *rec);

/* Refreshes f->size from the descriptor and the fingerprint while the
 * file is shorter than FORWARD_CKPT_FP_MAX. Returns 1 when the size
 * changed, 0 when not, -ESTALE when the file shrank (truncated: the
 * caller restarts its positions), or a negative errno. */
int forward_file_refresh(struct forward_file *f, uint64_t now_ms);

/* Whether f's recorded path still leads to it (same device and inode). */
bool forward_file_at_path(const struct forward_file *f);

/* Reads up to cap bytes at off. Returns the count (0 at the end) or a
 * negative errno. */
ssize_t forward_file_pread(const struct forward_file *f, void *buf, size_t cap,
                           uint64_t off);

/* Closes the descriptor and frees what f owns (not the request: the
 * livelog sink must have finished or cancelled it). */
void forward_file_close(struct forward_file *f);

#endif
