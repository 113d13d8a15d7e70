/* serve_mask: secret masking (Livelog-Mask, docs/SECURITY.md) on the real
 * `livelog serve`, driven with libcurl.
 *
 * A log holds a secret that arrives split across two writes (a PUT with
 * Upload-Complete: ?0, then a completing PATCH), at every possible byte
 * boundary, and once more across a kill -9 of the server between the
 * two writes. For each: the whole GET, a Range, ?tail=1 and every file
 * under the data directory never hold the secret; the log reads exactly
 * as the input with `***` in place of each occurrence; the writer's
 * Upload-Offset counts the bytes it sent while the read side's counts
 * the bytes stored. The server's log never holds the secret either, and
 * a secret out of bounds is refused without being echoed. */
#include "harness.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "hunter2-S3cr3t-value"
#define HEAD_TEXT "line one\nthe password is "
#define TAIL_TEXT " (do not share)\nlast line " SECRET "\n"
#define MASK_HDR "Livelog-Mask: " SECRET

static const char input[] = HEAD_TEXT SECRET TAIL_TEXT;
static const char masked[] = HEAD_TEXT "***"
                                       " (do not share)\nlast line ***\n";

static struct hs_server srv;

/* PUT (complete "?0") or PATCH at off of bytes [from, to) of input. */
static long send_part(const char *method, const char *name, size_t from,
                      size_t to, const char *complete, uint64_t *ret_off)
{
    char path[256], off[64];
    const char *hdrs[5] = {MASK_HDR, NULL, NULL, NULL, NULL};
    size_t n = 1;
    snprintf(off, sizeof(off), "Upload-Offset: %zu", from);
    if (strcmp(method, "PATCH") == 0)
        hdrs[n++] = off;
    if (complete != NULL)
        hdrs[n++] = complete;
    hdrs[n++] = "Content-Type: application/octet-stream";
    snprintf(path, sizeof(path), "/v1/logs/%s", name);
    struct hs_resp r;
    hs_request(&srv, false, method, path, hdrs, input + from, to - from, 10000,
               &r);
    char v[64];
    *ret_off = hs_header(r.headers, "Upload-Offset", v, sizeof(v)) != NULL
                   ? strtoull(v, NULL, 10)
                   : UINT64_MAX;
    long st = r.status;
    hs_resp_free(&r);
    return st;
}

static void get(const char *path, const char *range, struct hs_resp *r)
{
    char hdr[64];
    const char *hdrs[2] = {NULL, NULL};
    if (range != NULL) {
        snprintf(hdr, sizeof(hdr), "Range: %s", range);
        hdrs[0] = hdr;
    }
    hs_request(&srv, true, "GET", path, hdrs, NULL, 0, 10000, r);
    HS_REQUIRE(r->result == CURLE_OK, "GET %s: transport error", path);
}

static void check_reads(const char *name, const char *what)
{
    char path[256], v[64];
    struct hs_resp r;
    size_t mlen = sizeof(masked) - 1;

    snprintf(path, sizeof(path), "/v1/logs/%s?follow=0", name);
    get(path, NULL, &r);
    HS_CHECK(r.status == 200 && r.len == mlen &&
                 memcmp(r.body, masked, mlen) == 0,
             "%s: GET gives %ld, %zu bytes: %s", what, r.status, r.len,
             r.body != NULL ? (char *)r.body : "");
    HS_CHECK(hs_header(r.headers, "Upload-Offset", v, sizeof(v)) != NULL &&
                 strtoull(v, NULL, 10) == mlen,
             "%s: the read side's Upload-Offset is %s, not the stored %zu",
             what, v, mlen);
    hs_resp_free(&r);
    get(path, "bytes=20-40", &r);
    HS_CHECK(r.status == 206 && r.len == 21 &&
                 memcmp(r.body, masked + 20, 21) == 0,
             "%s: Range gives %ld", what, r.status);
    hs_resp_free(&r);
    snprintf(path, sizeof(path), "/v1/logs/%s?follow=0&tail=1", name);
    get(path, NULL, &r);
    HS_CHECK(r.status == 206 && r.body != NULL &&
                 strcmp((char *)r.body, "last line ***\n") == 0,
             "%s: tail=1 gives %ld '%s'", what, r.status,
             r.body != NULL ? (char *)r.body : "");
    hs_resp_free(&r);
}

/* nftw: no stored file holds the whole secret. */
static const char *found_in;
static int scan_file(const char *path, const struct stat *st, int type,
                     struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F || st->st_size == 0)
        return 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    char *buf = malloc((size_t)st->st_size);
    size_t n = buf != NULL ? fread(buf, 1, (size_t)st->st_size, f) : 0;
    fclose(f);
    if (n > 0 && memmem(buf, n, SECRET, strlen(SECRET)) != NULL) {
        static char where[600];
        snprintf(where, sizeof(where), "%s", path);
        found_in = where;
    }
    free(buf);
    return 0;
}

static void check_disk(const char *what)
{
    found_in = NULL;
    nftw(srv.data_dir, scan_file, 16, FTW_PHYS);
    HS_CHECK(found_in == NULL, "%s: the secret is stored in %s", what,
             found_in);
}

static void split_at(size_t cut)
{
    char name[64], what[64];
    uint64_t off = 0;
    snprintf(name, sizeof(name), "mask/public/split%zu", cut);
    snprintf(what, sizeof(what), "split at %zu", cut);
    long st = send_part("PUT", name, 0, cut, "Upload-Complete: ?0", &off);
    HS_CHECK(st == 201 && off == cut, "%s: PUT %ld, writer offset %" PRIu64,
             what, st, off);
    st = send_part("PATCH", name, cut, sizeof(input) - 1, NULL, &off);
    HS_CHECK(st == 204 && off == sizeof(input) - 1,
             "%s: PATCH %ld, writer offset %" PRIu64 " (sent %zu)", what, st,
             off, sizeof(input) - 1);
    check_reads(name, what);
}

/* The held start of a secret survives a crash between the two writes. */
static void split_across_crash(void)
{
    const char *name = "mask/public/crash";
    size_t cut = strlen(HEAD_TEXT) + 7; /* inside the secret */
    uint64_t off = 0;
    long st = send_part("PUT", name, 0, cut, "Upload-Complete: ?0", &off);
    HS_REQUIRE(st == 201 && off == cut, "PUT before the crash: %ld", st);
    hs_kill9(&srv);
    const char *const args[] = {"--writer-wait", "1", NULL};
    struct hs_serve_opts o = {.data_dir = srv.data_dir, .args = args};
    char data_dir[600];
    snprintf(data_dir, sizeof(data_dir), "%s", srv.data_dir);
    o.data_dir = data_dir;
    hs_serve_start(&srv, &o);
    uint64_t head = 0;
    st = hs_v1_head(&srv, false, name, NULL, &head, NULL, 0);
    HS_CHECK(st == 200 && head == cut,
             "after the crash HEAD says %" PRIu64 ", the writer sent %zu", head,
             cut);
    st = send_part("PATCH", name, cut, sizeof(input) - 1, NULL, &off);
    HS_CHECK(st == 204 && off == sizeof(input) - 1,
             "PATCH after the crash: %ld, offset %" PRIu64, st, off);
    check_reads(name, "across a crash");
}

static void refusals(void)
{
    struct hs_resp r;
    const char *short_secret[] = {"Livelog-Mask: abc", NULL};
    hs_request(&srv, false, "PUT", "/v1/logs/mask/public/bad", short_secret,
               "x", 1, 10000, &r);
    HS_CHECK(r.status == 400 && r.body != NULL &&
                 strstr((char *)r.body, "4 to 1024 bytes") != NULL &&
                 strstr((char *)r.body, "abc") == NULL,
             "a 3-byte secret: %ld %s", r.status,
             r.body != NULL ? (char *)r.body : "");
    hs_resp_free(&r);
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "serve_mask");
    const char *const args[] = {"--writer-wait", "1", NULL};
    struct hs_serve_opts o = {.args = args};
    hs_serve_start(&srv, &o);
    size_t start = strlen(HEAD_TEXT);
    /* every boundary from just before the secret to just after it */
    for (size_t cut = start - 1; cut <= start + strlen(SECRET) + 1; cut++)
        split_at(cut);
    refusals();
    check_disk("after the splits");
    split_across_crash();
    check_disk("after the crash");
    hs_stop_and_check(&srv, NULL);
    FILE *f = fopen(srv.log_path, "r");
    HS_REQUIRE(f != NULL, "open %s", srv.log_path);
    static char log[4 << 20];
    size_t n = fread(log, 1, sizeof(log) - 1, f);
    fclose(f);
    HS_CHECK(memmem(log, n, SECRET, strlen(SECRET)) == NULL,
             "the server's log holds the secret");
    return hs_finish();
}
