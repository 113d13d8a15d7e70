/* serve_archive: the archive (docs/SCALING.md, OPERATIONS.md "Archive")
 * on the real `livelog serve` against a real S3-compatible server
 * (s3rver from npm, scripts/s3rver), driven with libcurl:
 *
 *  - a small and a multipart log (5 MiB parts) are archived: the object's
 *    bytes and SHA-256 equal the stream's; the local copy goes; GET, Range
 *    GET and HEAD are then answered from the store, byte-exact, with the
 *    statuses of before and `Livelog-Archived: ?1`; no multipart upload is
 *    left incomplete in the store;
 *  - the store down when a log completes: the log stays local and
 *    readable, failures are counted, the store comes back on the same
 *    port, the object lands, and only then the local copy goes;
 *  - kill -9 of the server during a multipart upload: after the restart
 *    the upload is aborted and done again; the object is whole, once;
 *  - a private log keeps its access check when served from the store;
 *  - a second server with its own data directory and the same bucket
 *    (--archive-read-through) reads and lists a log the first archived;
 *  - with --archive-redirect-public a third answers a public archived log
 *    with a 307 to a presigned URL that the store verifies (s3rver checks
 *    the signature and the expiry) and that gives the log; a private log
 *    is never redirected.
 */
#include "harness.h"

#include <dirent.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#define BUCKET "livelog"
#define SEED_SMALL 11
#define SEED_BIG 12
#define SEED_DOWN 13
#define SEED_KILL 14
#define SEED_PRIV 15

static char s3_script[700], s3_dir[700], s3_endpoint[64];
static int s3_port;
static pid_t s3_pid;

static void s3_start(int port)
{
    char port_file[760], port_arg[16];
    snprintf(port_file, sizeof(port_file), "%s.port", s3_dir);
    unlink(port_file);
    snprintf(port_arg, sizeof(port_arg), "%d", port);
    char *argv[12];
    size_t n = 0;
    argv[n++] = "bash";
    argv[n++] = s3_script;
    argv[n++] = "-b";
    argv[n++] = BUCKET;
    argv[n++] = "--port-file";
    argv[n++] = port_file;
    if (port != 0) {
        argv[n++] = "-p";
        argv[n++] = port_arg;
    }
    argv[n++] = s3_dir;
    argv[n] = NULL;
    char err[760];
    snprintf(err, sizeof(err), "%s.err", s3_dir);
    s3_pid = hs_spawn(argv, NULL, NULL, NULL, err);
    for (int i = 0; i < 1000; i++) { /* up to 20 s */
        FILE *f = fopen(port_file, "r");
        if (f != NULL) {
            int p = 0;
            bool ok = fscanf(f, "%d", &p) == 1;
            fclose(f);
            if (ok && p > 0) {
                s3_port = p;
                snprintf(s3_endpoint, sizeof(s3_endpoint),
                         "http://127.0.0.1:%d", p);
                return;
            }
        }
        usleep(20 * 1000);
    }
    HS_REQUIRE(false, "s3rver did not start (see %s)", err);
}

static void s3_stop(void)
{
    if (s3_pid > 0) {
        int st;
        kill(s3_pid, SIGKILL);
        hs_wait_pid(s3_pid, 10000, &st);
        s3_pid = 0;
    }
}

static const char *const s3_env[] = {"AWS_ACCESS_KEY_ID=S3RVER",
                                     "AWS_SECRET_ACCESS_KEY=S3RVER", NULL};

static void serve_start(struct hs_server *s, const char *data_dir, bool keys,
                        bool redirect)
{
    static const char *args[20];
    size_t n = 0;
    args[n++] = "--archive";
    args[n++] = "s3://" BUCKET "/logs";
    args[n++] = "--archive-endpoint";
    args[n++] = s3_endpoint;
    args[n++] = "--archive-path-style";
    args[n++] = "on";
    args[n++] = "--archive-part-size";
    args[n++] = "5M";
    args[n++] = "--archive-local-retention";
    args[n++] = "0";
    args[n++] = "--archive-read-through";
    args[n++] = "on";
    args[n++] = "--writer-wait";
    args[n++] = "0";
    if (redirect) {
        args[n++] = "--archive-redirect-public";
        args[n++] = "on";
    }
    args[n] = NULL;
    struct hs_serve_opts o = {
        .data_dir = data_dir, .args = args, .env = s3_env, .keys = keys};
    hs_serve_start(s, &o);
}

/* The listing entry of name, or "" (from a listing of its prefix). */
static void entry(const struct hs_server *s, const char *name, const char *auth,
                  char *buf, size_t cap)
{
    char path[600], pat[600];
    const char *hdrs[] = {auth, NULL};
    struct hs_resp r;
    snprintf(path, sizeof(path), "/v1/logs?prefix=%s", name);
    hs_request(s, true, "GET", path, auth != NULL ? hdrs : NULL, NULL, 0, 10000,
               &r);
    snprintf(pat, sizeof(pat), "{\"name\":\"%s\"", name);
    const char *p = r.body != NULL ? strstr((char *)r.body, pat) : NULL;
    const char *e = p != NULL ? strchr(p, '}') : NULL;
    snprintf(buf, cap, "%.*s", p != NULL && e != NULL ? (int)(e - p + 1) : 0,
             p != NULL ? p : "");
    hs_resp_free(&r);
}

/* Waits (up to timeout_ms) for name to be archived and its local copy
 * gone. */
static bool wait_archived(const struct hs_server *s, const char *name,
                          const char *auth, long timeout_ms)
{
    char e[2048];
    for (long t = 0; t < timeout_ms; t += 50) {
        entry(s, name, auth, e, sizeof(e));
        if (strstr(e, "\"archived\":true") != NULL &&
            strstr(e, "\"local\":false") != NULL)
            return true;
        usleep(50 * 1000);
    }
    return false;
}

/* The store's object of name: the file s3rver keeps it in, hashed. */
static bool object_sha(const char *name, unsigned char sha[32], uint64_t *len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s/logs/%s._S3rver_object", s3_dir, BUCKET,
             name);
    return hs_sha256_file(path, sha, len);
}

/* No multipart upload left behind: s3rver keeps each upload in progress
 * in a directory under BUCKET/._S3rver_uploads until it is completed or
 * aborted. */
static void expect_no_pending_uploads(const char *what)
{
    char path[760];
    snprintf(path, sizeof(path), "%s/%s/._S3rver_uploads", s3_dir, BUCKET);
    DIR *d = opendir(path); /* made by the first multipart upload */
    HS_REQUIRE(d != NULL, "%s: no %s: was any upload multipart?", what, path);
    size_t n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    HS_CHECK(n == 0, "%s: %zu multipart upload(s) left in the store", what, n);
}

static void check_object(const char *name, uint64_t seed, uint64_t len,
                         const char *what)
{
    unsigned char want[32], got[32];
    uint64_t got_len = 0;
    hs_gen_sha256(seed, len, want);
    HS_CHECK(object_sha(name, got, &got_len) && got_len == len &&
                 memcmp(want, got, 32) == 0,
             "%s: the store's object is not the log (%" PRIu64 " bytes)", what,
             got_len);
}

/* GET, Range GET and HEAD of an archived, evicted log. */
static void check_reads(const struct hs_server *s, const char *name,
                        uint64_t seed, uint64_t len, const char *auth,
                        const char *what)
{
    char path[600], v[96], want_cr[96];
    hs_v1_expect_content(s, name, auth, seed, len, what);
    struct hs_reader r;
    snprintf(path, sizeof(path), "/v1/logs/%s", name);
    hs_reader_init(&r, s, path, "bytes=1000-5999");
    if (auth != NULL)
        hs_reader_add_header(&r, auth);
    r.verify = true;
    r.seed = seed;
    r.start = 1000;
    hs_reader_perform(&r);
    snprintf(want_cr, sizeof(want_cr), "bytes 1000-5999/%" PRIu64, len);
    hs_reader_expect(&r, what, 206, want_cr, 5000, 5000);
    hs_reader_cleanup(&r);
    const char *hdrs[] = {auth, NULL};
    struct hs_resp h;
    hs_request(s, true, "HEAD", path, auth != NULL ? hdrs : NULL, NULL, 0,
               10000, &h);
    char want_len[32];
    snprintf(want_len, sizeof(want_len), "%" PRIu64, len);
    HS_CHECK(h.status == 200 &&
                 hs_header(h.headers, "Upload-Offset", v, sizeof(v)) != NULL &&
                 strcmp(v, want_len) == 0 &&
                 hs_header(h.headers, "Livelog-Archived", v, sizeof(v)) != NULL,
             "%s: HEAD %ld", what, h.status);
    hs_resp_free(&h);
}

/* nftw: a meta file of the stream `wanted` that records an upload id. */
static const char *wanted;
static bool upload_seen;
static int find_upload(const char *path, const struct stat *st, int type,
                       struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 5 || strcmp(path + n - 5, "/meta") != 0)
        return 0;
    char text[4096], line[600];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t got = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[got] = '\0';
    snprintf(line, sizeof(line), "\nname %s\n", wanted);
    if (strstr(text, line) != NULL && strstr(text, "\nupload_id ") != NULL)
        upload_seen = true;
    return upload_seen ? 1 : 0;
}

/* Waits until the meta of `name` in data_dir records a multipart upload
 * in progress. */
static bool wait_upload_recorded(const char *data_dir, const char *name,
                                 long timeout_ms)
{
    wanted = name;
    upload_seen = false;
    for (long t = 0; t < timeout_ms && !upload_seen; t += 2) {
        nftw(data_dir, find_upload, 16, FTW_PHYS);
        if (!upload_seen)
            usleep(2000);
    }
    return upload_seen;
}

static size_t to_sha(char *p, size_t size, size_t n, void *cls)
{
    gnutls_hash(*(gnutls_hash_hd_t *)cls, p, size * n);
    return size * n;
}

/* --archive-redirect-public: a public archived log is a 307 to a URL the
 * store verifies (s3rver checks the presigned signature); following it
 * gives the log. A private one is still proxied. */
static void check_redirect(const struct hs_server *s, const char *name,
                           uint64_t seed, uint64_t len)
{
    char path[600], where[4096];
    struct hs_resp r;
    snprintf(path, sizeof(path), "/v1/logs/%s?follow=0", name);
    hs_request(s, true, "GET", path, NULL, NULL, 0, 10000, &r);
    bool found = hs_header(r.headers, "Location", where, sizeof(where));
    HS_CHECK(r.status == 307 && found &&
                 strstr(where, "X-Amz-Signature=") != NULL &&
                 strncmp(where, s3_endpoint, strlen(s3_endpoint)) == 0,
             "redirect of %s: %ld, Location %s", name, r.status,
             found ? where : "(none)");
    hs_resp_free(&r);
    if (!found)
        return;
    unsigned char want[32], got[32];
    gnutls_hash_hd_t h;
    HS_REQUIRE(gnutls_hash_init(&h, GNUTLS_DIG_SHA256) == 0, "hash");
    CURL *c = curl_easy_init();
    HS_REQUIRE(c != NULL, "curl_easy_init");
    curl_easy_setopt(c, CURLOPT_URL, where);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_sha);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    gnutls_hash_deinit(h, got);
    hs_gen_sha256(seed, len, want);
    HS_CHECK(rc == CURLE_OK && status == 200 && memcmp(want, got, 32) == 0,
             "the presigned URL of %s: curl %d, status %ld, bytes %s", name,
             (int)rc, status, memcmp(want, got, 32) == 0 ? "equal" : "differ");
    /* the store does check it: one hex digit changed is refused */
    size_t wl = strlen(where);
    where[wl - 1] = where[wl - 1] == '0' ? '1' : '0';
    c = curl_easy_init();
    HS_REQUIRE(c != NULL, "curl_easy_init");
    curl_easy_setopt(c, CURLOPT_URL, where);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    HS_CHECK(rc == CURLE_OK && status == 403,
             "a tampered presigned URL: curl %d, status %ld", (int)rc, status);
}

static long metric(const struct hs_server *s, const char *name)
{
    struct hs_resp r;
    hs_request(s, false, "GET", "/metrics", NULL, NULL, 0, 10000, &r);
    char sample[128];
    snprintf(sample, sizeof(sample), "\n%s ", name); /* not # HELP */
    const char *p = r.body != NULL ? strstr((char *)r.body, sample) : NULL;
    long v = p != NULL ? strtol(p + strlen(sample), NULL, 10) : -1;
    hs_resp_free(&r);
    return v;
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "serve_archive");
    /* scripts/s3rver sits next to scripts/check-server-log (argv[2]) */
    snprintf(s3_script, sizeof(s3_script), "%s", argv[2]);
    char *slash = strrchr(s3_script, '/');
    HS_REQUIRE(slash != NULL, "check-server-log path without a directory");
    snprintf(slash + 1, sizeof(s3_script) - (size_t)(slash + 1 - s3_script),
             "s3rver");
    snprintf(s3_dir, sizeof(s3_dir), "%s/s3", hs_scratch());
    s3_start(0);

    bool small = hs_sanitized();
    uint64_t big = small ? UINT64_C(12) << 20 : UINT64_C(50) << 20;
    struct hs_server a;
    char data_a[700];
    snprintf(data_a, sizeof(data_a), "%s/data-a", hs_scratch());
    HS_REQUIRE(mkdir(data_a, 0700) == 0, "mkdir %s", data_a);
    serve_start(&a, data_a, true, false);

    /* small and multipart */
    long st = hs_v1_send(&a, "PUT", "job/public/small", SEED_SMALL, 0, 10000,
                         NULL, NULL, NULL, NULL);
    HS_REQUIRE(st == 201, "PUT small: %ld", st);
    st = hs_v1_send(&a, "PUT", "job/public/big", SEED_BIG, 0, big, NULL, NULL,
                    NULL, NULL);
    HS_REQUIRE(st == 201, "PUT big: %ld", st);
    HS_CHECK(wait_archived(&a, "job/public/small", NULL, 30000),
             "the small log was not archived within 30 s");
    HS_CHECK(wait_archived(&a, "job/public/big", NULL, 60000),
             "the multipart log was not archived within 60 s");
    check_object("job/public/small", SEED_SMALL, 10000, "small");
    check_object("job/public/big", SEED_BIG, big, "multipart");
    check_reads(&a, "job/public/small", SEED_SMALL, 10000, NULL,
                "small, from the store");
    check_reads(&a, "job/public/big", SEED_BIG, big, NULL,
                "multipart, from the store");
    expect_no_pending_uploads("after the first archives");

    /* a private log: the same access check from the store */
    st = hs_v1_send(&a, "PUT", "job/secret.log", SEED_PRIV, 0, 20000, NULL,
                    NULL, NULL, NULL);
    HS_REQUIRE(st == 201, "PUT private: %ld", st);
    HS_CHECK(wait_archived(&a, "job/secret.log", a.auth, 30000),
             "the private log was not archived");
    struct hs_resp r;
    hs_request(&a, true, "GET", "/v1/logs/job/secret.log?follow=0", NULL, NULL,
               0, 10000, &r);
    HS_CHECK(r.status == 401, "archived private log without a token: %ld",
             r.status);
    hs_resp_free(&r);
    check_reads(&a, "job/secret.log", SEED_PRIV, 20000, a.auth,
                "private, from the store");

    /* the store down when a log completes */
    s3_stop();
    st = hs_v1_send(&a, "PUT", "job/public/down", SEED_DOWN, 0, 30000, NULL,
                    NULL, NULL, NULL);
    HS_REQUIRE(st == 201, "PUT while the store is down: %ld", st);
    long failures = 0;
    for (int i = 0; i < 200 && failures <= 0; i++) {
        failures = metric(&a, "livelog_archive_failures_total");
        usleep(50 * 1000);
    }
    HS_CHECK(failures > 0, "no failed upload counted while the store is down");
    char e[2048];
    entry(&a, "job/public/down", NULL, e, sizeof(e));
    HS_CHECK(strstr(e, "\"archived\":false") != NULL &&
                 strstr(e, "\"local\":true") != NULL,
             "a log archived while the store is down: %s", e);
    hs_v1_expect_content(&a, "job/public/down", NULL, SEED_DOWN, 30000,
                         "local while the store is down");
    s3_start(s3_port); /* the same port and data */
    HS_CHECK(wait_archived(&a, "job/public/down", NULL, 60000),
             "not archived within 60 s of the store coming back");
    check_object("job/public/down", SEED_DOWN, 30000, "after the outage");
    check_reads(&a, "job/public/down", SEED_DOWN, 30000, NULL,
                "after the outage, from the store");

    /* kill -9 during a multipart upload */
    st = hs_v1_send(&a, "PUT", "job/public/killed", SEED_KILL, 0, big, NULL,
                    NULL, NULL, NULL);
    HS_REQUIRE(st == 201, "PUT before the kill: %ld", st);
    HS_REQUIRE(wait_upload_recorded(data_a, "job/public/killed", 30000),
               "no multipart upload of the log recorded within 30 s");
    hs_kill9(&a); /* in the middle of the multipart upload */
    HS_CHECK(hs_check_log(&a, NULL) == 0, "the killed server's log");
    serve_start(&a, data_a, true, false);
    HS_CHECK(wait_archived(&a, "job/public/killed", NULL, 60000),
             "not archived within 60 s of the restart");
    check_object("job/public/killed", SEED_KILL, big, "after kill -9");
    check_reads(&a, "job/public/killed", SEED_KILL, big, NULL,
                "after kill -9, from the store");
    expect_no_pending_uploads("after kill -9 and restart");

    /* a second node: its own data directory, the same bucket */
    struct hs_server b;
    char data_b[700];
    snprintf(data_b, sizeof(data_b), "%s/data-b", hs_scratch());
    HS_REQUIRE(mkdir(data_b, 0700) == 0, "mkdir %s", data_b);
    serve_start(&b, data_b, false, false);
    check_reads(&b, "job/public/big", SEED_BIG, big, NULL,
                "node B reads node A's log");
    entry(&b, "job/public/small", NULL, e, sizeof(e));
    HS_CHECK(strstr(e, "\"archived\":true") != NULL,
             "node B's listing lacks node A's log: %s", e);
    hs_request(&b, true, "GET", "/v1/logs/job/secret.log?follow=0", NULL, NULL,
               0, 10000, &r);
    HS_CHECK(r.status == 401, "node B: A's private log without a token: %ld",
             r.status);
    hs_resp_free(&r);

    /* a third node that redirects reads of public archived logs */
    struct hs_server c;
    char data_c[700];
    snprintf(data_c, sizeof(data_c), "%s/data-c", hs_scratch());
    HS_REQUIRE(mkdir(data_c, 0700) == 0, "mkdir %s", data_c);
    serve_start(&c, data_c, false, true);
    check_redirect(&c, "job/public/big", SEED_BIG, big);
    hs_request(&c, true, "GET", "/v1/logs/job/secret.log?follow=0", NULL, NULL,
               0, 10000, &r);
    HS_CHECK(r.status == 401, "node C: a private log is not redirected: %ld",
             r.status);
    hs_resp_free(&r);
    hs_stop_and_check(&c, NULL);

    hs_stop_and_check(&b, NULL);
    hs_stop_and_check(&a, NULL);
    s3_stop();
    return hs_finish();
}
