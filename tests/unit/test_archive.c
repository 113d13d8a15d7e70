/* test_archive: archive.h against both backends: file:// in a mkdtemp
 * directory, and s3:// against a real S3-compatible server (s3rver,
 * started with scripts/s3rver on an ephemeral loopback port, path-style,
 * credentials S3RVER/S3RVER, every request's SigV4 signature checked by
 * tools/s3rver/serve.js). Puts of 1 KiB and of 50 MiB (ten 5 MiB parts),
 * heads, ranged reads at edges and part boundaries, listings with limits
 * and truncation, deletes, checksum refusals, a frozen and a killed server,
 * interrupted multipart uploads (nothing left on s3rver's disk), bad URLs,
 * 4 threads on one archive, ListObjectsV2 continuation (keys that are not
 * stream names, stored with the curl command, fill the first page); the
 * pure parsers; and throughput figures
 * (printed, not asserted) of a 256 MiB put against `curl --aws-sigv4 -T`.
 * LIVELOG_SKIP_S3RVER=1 skips the s3 half (a note is printed);
 * LIVELOG_ARCHIVE_BENCH=0 skips the throughput figures (under valgrind
 * they take minutes); ARCHIVE_TEST_VERBOSE=1 shows the library's log. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>

#include <cmocka.h>
#include <gnutls/crypto.h>

#include "archive/archive.h"
#include "core/core_num.h"
#include "log/log.h"

#define SMALL_SIZE 1024u
#define BIG_SIZE (50u << 20)
#define PART_SIZE (5u << 20)
#define HUGE_SIZE (256u << 20)
#define BUCKET "test"
#define THREADS 4
#define PER_THREAD 32

static char g_root[PATH_MAX];    /* the repository */
static char g_tmp[256];          /* everything the test writes */
static char g_s3dir[PATH_MAX];   /* s3rver's data */
static char g_uploads[PATH_MAX]; /* s3rver's multipart uploads of BUCKET */
static char g_endpoint[64];
static pid_t g_s3pid = -1;
static int g_port;
static bool g_have_s3;

static char g_small[PATH_MAX], g_big[PATH_MAX];
static unsigned char g_small_sha[32], g_big_sha[32];

struct backend {
    const char *label;
    bool s3;
    char url[PATH_MAX];
    struct archive_options opt;
};

static struct backend g_file = {.label = "file"};
static struct backend g_s3 = {.label = "s3", .s3 = true};

/* ---- helpers ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Writes size deterministic bytes (xorshift64 from seed) into path and
 * returns their SHA-256. */
static void make_file(const char *path, uint64_t size, uint64_t seed,
                      unsigned char sha[32])
{
    enum { CHUNK = 1 << 20 };
    uint64_t *buf = malloc(CHUNK);
    gnutls_hash_hd_t h;
    uint64_t x = seed | 1, done = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    assert_non_null(buf);
    assert_true(fd >= 0);
    assert_int_equal(gnutls_hash_init(&h, GNUTLS_DIG_SHA256), 0);
    while (done < size) {
        for (size_t i = 0; i < CHUNK / 8; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = x;
        }
        size_t n = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
        assert_int_equal(write(fd, buf, n), (ssize_t)n);
        gnutls_hash(h, buf, n);
        done += n;
    }
    gnutls_hash_deinit(h, sha);
    close(fd);
    free(buf);
}

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Entries of dir (0 when it does not exist). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Starts scripts/s3rver on port (0: any) and waits for the port line. */
static pid_t s3rver_start(int port, int *ret_port)
{
    char script[PATH_MAX + 32], portarg[16], line[32];
    int p[2];
    size_t len = 0;

    snprintf(script, sizeof script, "%s/scripts/s3rver", g_root);
    snprintf(portarg, sizeof portarg, "%d", port);
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(p[1], 1);
        execl(script, script, "-b", BUCKET, "-p", portarg, g_s3dir,
              (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    uint64_t deadline = now_ms() + 30000;
    while (len < sizeof line - 1 && memchr(line, '\n', len) == NULL) {
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        uint64_t now = now_ms();
        if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) <= 0)
            break;
        ssize_t n = read(p[0], line + len, sizeof line - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(p[0]);
    line[len] = '\0';
    char *end;
    long got = strtol(line, &end, 10);
    if (end == line || *end != '\n' || got <= 0 || got > 65535) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    *ret_port = (int)got;
    return pid;
}

static void s3rver_stop(void)
{
    if (g_s3pid > 0) {
        kill(g_s3pid, SIGCONT);
        kill(g_s3pid, SIGKILL);
        waitpid(g_s3pid, NULL, 0);
        g_s3pid = -1;
    }
}

/* Restarts s3rver on the same port and directory. */
static void s3rver_restart(void)
{
    int port = 0;

    s3rver_stop();
    g_s3pid = s3rver_start(g_port, &port);
    assert_true(g_s3pid > 0);
    assert_int_equal(port, g_port);
}

static struct archive *open_backend(const struct backend *b)
{
    struct archive *a = NULL;

    assert_int_equal(archive_open(b->url, &b->opt, &a), 0);
    assert_non_null(a);
    return a;
}

static int put_path(struct archive *a, const char *name, const char *path,
                    const struct archive_meta *meta,
                    void (*cb)(void *cls, const char *id), void *cls)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    int r = archive_put(a, name, strlen(name), fd, meta, cb, cls);
    close(fd);
    return r;
}

static struct archive_meta meta_of(uint64_t size, const unsigned char *sha)
{
    struct archive_meta m = {.size = size,
                             .has_sha256 = true,
                             .created_ms = 1700000000123u,
                             .completed_ms = 1700000009876u};

    memcpy(m.sha256, sha, 32);
    return m;
}

/* What upload_id_cb saw. */
struct ids {
    pthread_mutex_t lock;
    int calls;
    int nulls;
    char last[256]; /* the last id given */
};

static void on_id(void *cls, const char *id)
{
    struct ids *ids = cls;

    pthread_mutex_lock(&ids->lock);
    ids->calls++;
    if (id == NULL)
        ids->nulls++;
    else
        snprintf(ids->last, sizeof ids->last, "%s", id);
    pthread_mutex_unlock(&ids->lock);
}

/* Reads [off, off + len) of the archived name and of the local file and
 * compares; returns the archive's count. */
static ssize_t check_read(struct archive *a, const char *name, const char *path,
                          uint64_t off, size_t len)
{
    unsigned char *got = malloc(len + 1), *want = malloc(len + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    assert_non_null(got);
    assert_non_null(want);
    assert_true(fd >= 0);
    ssize_t n = archive_read(a, name, strlen(name), off, got, len);
    ssize_t w = pread(fd, want, len, (off_t)off);
    close(fd);
    assert_true(w >= 0);
    assert_int_equal(n, w);
    if (n > 0)
        assert_memory_equal(got, want, (size_t)n);
    free(got);
    free(want);
    return n;
}

/* PUTs the file path as KEY of the bucket with the curl command (SigV4,
 * the file's SHA-256 as x-amz-content-sha256). Returns the ms it took. */
static uint64_t curl_put(const char *key, const char *path,
                         const unsigned char sha[32])
{
    char hdr[128], url[512], hex[65];

    core_num_format_hex(sha, 32, hex);
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", hex);
    snprintf(url, sizeof url, "%s/%s/%s", g_endpoint, BUCKET, key);
    uint64_t t0 = now_ms();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execlp("curl", "curl", "-sSf", "-o", "/dev/null", "--aws-sigv4",
               "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER", "-H", hdr,
               "-T", path, url, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return now_ms() - t0;
}

/* ---- setup ---- */

static int group_setup(void **state)
{
    (void)state;
    const char *verbose = getenv("ARCHIVE_TEST_VERBOSE");
    log_init(2, verbose != NULL ? LOG_DEBUG : LOG_ERROR, LOG_FORMAT_CONSOLE);
    signal(SIGPIPE, SIG_IGN);

    /* the repository: this file is tests/unit/test_archive.c */
    const char *f = __FILE__;
    char here[PATH_MAX / 2];
    if (f[0] != '/') {
        if (getcwd(here, sizeof here) == NULL)
            return -1;
        snprintf(g_root, sizeof g_root, "%s/%s", here, f);
    } else {
        snprintf(g_root, sizeof g_root, "%s", f);
    }
    char *cut = strstr(g_root, "/tests/unit/test_archive.c");
    if (cut == NULL)
        return -1;
    *cut = '\0';

    snprintf(g_tmp, sizeof g_tmp, "%s/livelog-archive-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(g_tmp) == NULL)
        return -1;
    snprintf(g_s3dir, sizeof g_s3dir, "%s/s3rver", g_tmp);
    snprintf(g_uploads, sizeof g_uploads, "%s/s3rver/%s/._S3rver_uploads",
             g_tmp, BUCKET);
    snprintf(g_small, sizeof g_small, "%s/small", g_tmp);
    snprintf(g_big, sizeof g_big, "%s/big", g_tmp);
    make_file(g_small, SMALL_SIZE, 1, g_small_sha);
    make_file(g_big, BIG_SIZE, 2, g_big_sha);

    snprintf(g_file.url, sizeof g_file.url, "file://%s/archive/", g_tmp);

    const char *skip = getenv("LIVELOG_SKIP_S3RVER");
    if (skip != NULL && strcmp(skip, "1") == 0) {
        fprintf(stderr, "test_archive: LIVELOG_SKIP_S3RVER=1: the s3 tests "
                        "are skipped\n");
        return 0;
    }
    g_s3pid = s3rver_start(0, &g_port);
    if (g_s3pid < 0) {
        fprintf(stderr, "test_archive: scripts/s3rver did not start (run "
                        "scripts/install-deps; LIVELOG_SKIP_S3RVER=1 skips "
                        "the s3 tests)\n");
        return -1;
    }
    g_have_s3 = true;
    snprintf(g_endpoint, sizeof g_endpoint, "http://127.0.0.1:%d", g_port);
    snprintf(g_s3.url, sizeof g_s3.url, "s3://%s/pre/fix/", BUCKET);
    g_s3.opt = (struct archive_options){.endpoint = g_endpoint,
                                        .region = "us-east-1",
                                        .path_style = true,
                                        .access_key = "S3RVER",
                                        .secret_key = "S3RVER",
                                        .part_size = PART_SIZE,
                                        .timeout_s = 30};
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    s3rver_stop();
    if (g_tmp[0] != '\0')
        nftw(g_tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* Backend tests skip the s3 half when s3rver is not there. */
static struct backend *backend_of(void **state)
{
    struct backend *b = *state;

    if (b->s3 && !g_have_s3)
        skip();
    return b;
}

/* ---- pure functions ---- */

static void test_meta_parse(void **state)
{
    (void)state;
    static const char good[] =
        "livelog-archive-meta 1\nsize 1024\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "created-ms 17\ncompleted-ms 18446744073709551615\n";
    struct archive_meta m;

    assert_int_equal(archive_file_meta_parse(good, strlen(good), &m), 0);
    assert_int_equal(m.size, 1024);
    assert_true(m.has_sha256);
    assert_int_equal(m.sha256[0], 0xe3);
    assert_int_equal(m.created_ms, 17);
    assert_true(m.completed_ms == UINT64_MAX);

    /* every cut of the text is refused */
    for (size_t i = 0; i < strlen(good); i++) {
        memset(&m, 0x33, sizeof m);
        assert_int_equal(archive_file_meta_parse(good, i, &m), -EINVAL);
        assert_int_equal(m.size, 0x3333333333333333u);
    }
    static const char *const bad[] = {
        "livelog-archive-meta 2\nsize 1\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "created-ms 1\ncompleted-ms 1\n",
        "livelog-archive-meta 1\nsize -1\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "created-ms 1\ncompleted-ms 1\n",
        "livelog-archive-meta 1\nsize 1\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\n"
        "created-ms 1\ncompleted-ms 1\n",
        "livelog-archive-meta 1\nsize 1\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "completed-ms 1\ncreated-ms 1\n",
        "livelog-archive-meta 1\nsize 18446744073709551616\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "created-ms 1\ncompleted-ms 1\n",
        "livelog-archive-meta 1\nsize 1\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "created-ms 1\ncompleted-ms 1\nextra 1\n",
        "livelog-archive-meta 1\nsize  1\nsha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "created-ms 1\ncompleted-ms 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(archive_file_meta_parse(bad[i], strlen(bad[i]), &m),
                         -EINVAL);
}

static void test_xml(void **state)
{
    (void)state;
    static const char x[] =
        "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"x\">"
        "<IsTruncated>true</IsTruncated><Contents><Key>a&amp;b&lt;&#47;"
        "&#x41;</Key><Size>12</Size></Contents><Contents><Key>c</Key>"
        "<Size>0</Size></Contents><KeyCount>2</KeyCount><Empty/>"
        "</ListBucketResult>";
    size_t pos = 0, vlen, olen;
    const char *v;
    char out[64];

    assert_int_equal(
        archive_s3_xml_find(x, strlen(x), "IsTruncated", &pos, &v, &vlen), 0);
    assert_int_equal(vlen, 4);
    assert_memory_equal(v, "true", 4);
    /* Contents one after the other; Key inside, not KeyCount */
    const char *c;
    size_t clen, p2 = 0;
    assert_int_equal(
        archive_s3_xml_find(x, strlen(x), "Contents", &pos, &c, &clen), 0);
    assert_int_equal(archive_s3_xml_find(c, clen, "Key", &p2, &v, &vlen), 0);
    assert_int_equal(archive_s3_xml_unescape(v, vlen, out, sizeof out, &olen),
                     0);
    assert_string_equal(out, "a&b</A");
    assert_int_equal(olen, 6);
    assert_int_equal(
        archive_s3_xml_find(x, strlen(x), "Contents", &pos, &c, &clen), 0);
    p2 = 0;
    assert_int_equal(archive_s3_xml_find(c, clen, "Key", &p2, &v, &vlen), 0);
    assert_int_equal(vlen, 1);
    assert_int_equal(
        archive_s3_xml_find(x, strlen(x), "Contents", &pos, &c, &clen),
        -ENOENT);
    pos = 0;
    assert_int_equal(
        archive_s3_xml_find(x, strlen(x), "Empty", &pos, &v, &vlen), 0);
    assert_int_equal(vlen, 0);
    pos = 0;
    assert_int_equal(
        archive_s3_xml_find(x, strlen(x), "Missing", &pos, &v, &vlen), -ENOENT);
    /* a start tag without its end */
    pos = 0;
    assert_int_equal(archive_s3_xml_find("<A>xx</B>", 9, "A", &pos, &v, &vlen),
                     -EINVAL);
    /* every cut of the document either finds it or says so */
    for (size_t i = 0; i < strlen(x); i++) {
        pos = 0;
        int r = archive_s3_xml_find(x, i, "Size", &pos, &v, &vlen);
        assert_true(r == 0 || r == -ENOENT || r == -EINVAL);
        if (r == 0)
            assert_true(v + vlen <= x + i);
    }
    /* unescape refusals */
    static const char *const bad[] = {"&",    "&amp",   "&foo;", "&#;",
                                      "&#0;", "&#128;", "&#x;",  "&#12345;",
                                      "a<b",  "&#xzz;"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(archive_s3_xml_unescape(bad[i], strlen(bad[i]), out,
                                                 sizeof out, &olen),
                         -EINVAL);
    assert_int_equal(archive_s3_xml_unescape("abc", 3, out, 3, &olen), -ENOSPC);
    assert_int_equal(archive_s3_xml_unescape("abc", 3, out, 4, &olen), 0);
}

/* ---- open ---- */

static void test_open_urls(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "/abs/dir",
        "archive",
        "file:relative",
        "file://relative/dir",
        "file://host/abs",
        "file:///a%20b",
        "s3://",
        "s3:///prefix/",
        "s3://UPPER/",
        "s3://ab/",
        "s3://-bucket/",
        "s3://bu..cket/",
        "s3://bucket//x",
        "s3://bucket/a/../b/",
        "s3://bucket/a b/",
        "s3://user:secret@bucket/",
        "http://127.0.0.1/bucket",
        "S3://bucket/",
    };
    struct archive *a = NULL;
    struct archive_options o = {.endpoint = "http://127.0.0.1:1"};
    char url[PATH_MAX + 16];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t before = log_count(LOGC_STORE, LOG_WARNING);
        assert_int_equal(archive_open(bad[i], &o, &a), -EINVAL);
        assert_null(a);
        assert_true(log_count(LOGC_STORE, LOG_WARNING) > before);
    }
    assert_int_equal(archive_open("s3://bucket", NULL, &a), 0);
    assert_string_equal(archive_describe(a), "s3://bucket/");
    archive_free(a);
    assert_int_equal(archive_open("s3://my.bucket-1/logs", &o, &a), 0);
    assert_string_equal(archive_describe(a), "s3://my.bucket-1/logs/");
    archive_free(a);
    snprintf(url, sizeof url, "file://%s/open-test//", g_tmp);
    assert_int_equal(archive_open(url, NULL, &a), 0);
    snprintf(url, sizeof url, "file://%s/open-test", g_tmp);
    assert_string_equal(archive_describe(a), url);
    archive_free(a);
    struct stat st;
    snprintf(url, sizeof url, "%s/open-test", g_tmp);
    assert_int_equal(stat(url, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* options */
    struct archive_options small = {.part_size = (5u << 20) - 1};
    assert_int_equal(archive_open("s3://bucket/", &small, &a), -EINVAL);
    struct archive_options half = {.access_key = "A"};
    assert_int_equal(archive_open("s3://bucket/", &half, &a), -EINVAL);
    static const char *const endpoints[] = {"ftp://h",       "http://",
                                            "http://h/path", "http://u:p@h",
                                            "h:80",          "http://h?x"};
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        struct archive_options e = {.endpoint = endpoints[i]};
        assert_int_equal(archive_open("s3://bucket/", &e, &a), -EINVAL);
    }
    struct archive_options r = {.region = "US_EAST"};
    assert_int_equal(archive_open("s3://bucket/", &r, &a), -EINVAL);
    archive_free(NULL);
}

/* ---- both backends ---- */

static void test_put_head_read(void **state)
{
    struct backend *b = backend_of(state);
    struct archive *a = open_backend(b);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    struct archive_meta big = meta_of(BIG_SIZE, g_big_sha);
    struct archive_meta got;
    struct ids ids = {.lock = PTHREAD_MUTEX_INITIALIZER};

    assert_int_equal(put_path(a, "t/small.log", g_small, &small, on_id, &ids),
                     0);
    assert_int_equal(ids.calls, 0); /* one PUT: no upload id */
    assert_int_equal(archive_head(a, "t/small.log", 11, &got), 0);
    assert_int_equal(got.size, SMALL_SIZE);
    assert_true(got.has_sha256);
    assert_memory_equal(got.sha256, g_small_sha, 32);
    assert_true(got.created_ms == small.created_ms);
    assert_true(got.completed_ms == small.completed_ms);

    uint64_t t0 = now_ms();
    assert_int_equal(put_path(a, "t/big.log", g_big, &big, on_id, &ids), 0);
    printf("[ %s ] put of 50 MiB: %" PRIu64 " ms\n", b->label, now_ms() - t0);
    if (b->s3) {
        /* the id once it existed, NULL once completed */
        assert_int_equal(ids.calls, 2);
        assert_int_equal(ids.nulls, 1);
        assert_true(strlen(ids.last) > 0);
        assert_int_equal(count_entries(g_uploads), 0);
    } else {
        assert_int_equal(ids.calls, 0);
    }
    assert_int_equal(archive_head(a, "t/big.log", 9, &got), 0);
    assert_int_equal(got.size, BIG_SIZE);
    assert_memory_equal(got.sha256, g_big_sha, 32);

    /* ranges: start, one byte, middle, across part boundaries, the end,
     * past the end */
    assert_int_equal(check_read(a, "t/big.log", g_big, 0, 1000), 1000);
    assert_int_equal(check_read(a, "t/big.log", g_big, 0, 1), 1);
    assert_int_equal(check_read(a, "t/big.log", g_big, 1, 1), 1);
    assert_int_equal(
        check_read(a, "t/big.log", g_big, BIG_SIZE / 2 + 123, 65536), 65536);
    assert_int_equal(check_read(a, "t/big.log", g_big, PART_SIZE - 100, 200),
                     200);
    assert_int_equal(
        check_read(a, "t/big.log", g_big, 3 * (uint64_t)PART_SIZE - 1, 2), 2);
    assert_int_equal(
        check_read(a, "t/big.log", g_big, PART_SIZE - 1000, 3u << 20),
        3u << 20);
    assert_int_equal(check_read(a, "t/big.log", g_big, BIG_SIZE - 100, 100),
                     100);
    assert_int_equal(check_read(a, "t/big.log", g_big, BIG_SIZE - 50, 100), 50);
    assert_int_equal(check_read(a, "t/big.log", g_big, BIG_SIZE, 100), 0);
    assert_int_equal(check_read(a, "t/big.log", g_big, BIG_SIZE + 5, 10), 0);
    assert_int_equal(check_read(a, "t/small.log", g_small, 0, 4096),
                     SMALL_SIZE);
    char byte;
    assert_int_equal(archive_read(a, "t/small.log", 11, 0, &byte, 0), 0);
    assert_int_equal(archive_read(a, "t/none.log", 10, 0, &byte, 1), -ENOENT);
    assert_int_equal(archive_read(a, "t/none.log", 10, 0, &byte, 0), -ENOENT);
    assert_int_equal(archive_head(a, "t/none.log", 10, &got), -ENOENT);

    /* a second put replaces */
    assert_int_equal(put_path(a, "t/small.log", g_small, &small, NULL, NULL),
                     0);
    assert_int_equal(check_read(a, "t/small.log", g_small, 100, 100), 100);

    /* an empty object */
    int fd = open(g_small, O_RDONLY | O_CLOEXEC);
    unsigned char empty_sha[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, "", 0, empty_sha);
    struct archive_meta empty = meta_of(0, empty_sha);
    assert_int_equal(archive_put(a, "t/empty", 7, fd, &empty, NULL, NULL), 0);
    close(fd);
    assert_int_equal(archive_head(a, "t/empty", 7, &got), 0);
    assert_int_equal(got.size, 0);
    assert_int_equal(archive_read(a, "t/empty", 7, 0, &byte, 1), 0);

    /* bad names and arguments */
    assert_int_equal(put_path(a, "../x", g_small, &small, NULL, NULL), -EINVAL);
    assert_int_equal(put_path(a, "a//b", g_small, &small, NULL, NULL), -EINVAL);
    assert_int_equal(put_path(a, "a b", g_small, &small, NULL, NULL), -EINVAL);
    struct archive_meta nosha = small;
    nosha.has_sha256 = false;
    assert_int_equal(put_path(a, "t/x", g_small, &nosha, NULL, NULL), -EINVAL);
    assert_int_equal(archive_head(a, "", 0, &got), -EINVAL);
    assert_int_equal(archive_delete(a, "t/.", 3), -EINVAL);
    archive_free(a);
}

struct listed {
    char names[16][64];
    uint64_t sizes[16];
    size_t n;
};

static void on_list(void *cls, const char *name, size_t len, uint64_t size)
{
    struct listed *l = cls;

    assert_true(l->n < 16 && len < 64);
    memcpy(l->names[l->n], name, len);
    l->names[l->n][len] = '\0';
    l->sizes[l->n] = size;
    l->n++;
}

static void list_expect(struct archive *a, const char *prefix, size_t limit,
                        bool truncated, const char *const *want, size_t n)
{
    struct listed l = {.n = 0};
    bool t = !truncated;

    assert_int_equal(
        archive_list(a, prefix, strlen(prefix), limit, on_list, &l, &t), 0);
    assert_int_equal(l.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(l.names[i], want[i]);
        assert_int_equal(l.sizes[i], SMALL_SIZE);
    }
    assert_int_equal(t, truncated);
}

static void test_list(void **state)
{
    struct backend *b = backend_of(state);
    struct archive *a = open_backend(b);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    static const char *const names[] = {"l/c",     "l/b/c", "l/a",      "l/b.d",
                                        "l/b/a/z", "m/x",   "l/stats/x"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(put_path(a, names[i], g_small, &small, NULL, NULL), 0);
    /* byte order: '.' (0x2e) sorts before '/' (0x2f) */
    static const char *const all_l[] = {"l/a",   "l/b.d", "l/b/a/z",
                                        "l/b/c", "l/c",   "l/stats/x"};
    list_expect(a, "l/", 10, false, all_l, 6);
    list_expect(a, "l/", 6, false, all_l, 6);
    list_expect(a, "l/", 5, true, all_l, 5);
    list_expect(a, "l/", 2, true, all_l, 2);
    list_expect(a, "l/", 0, true, all_l, 0);
    list_expect(a, "l/b", 10, false, all_l + 1, 3);
    list_expect(a, "l/b/", 10, false, all_l + 2, 2);
    list_expect(a, "l/b/c", 10, false, all_l + 3, 1);
    list_expect(a, "l/b/c/", 10, false, NULL, 0);
    list_expect(a, "zz", 10, false, NULL, 0);
    list_expect(a, "m", 10, false, (const char *const[]){"m/x"}, 1);
    list_expect(a, "m/x", 10, false, (const char *const[]){"m/x"}, 1);
    struct listed l = {.n = 0};
    assert_int_equal(archive_list(a, "a b", 3, 10, on_list, &l, NULL), -EINVAL);
    archive_free(a);
}

static void test_delete(void **state)
{
    struct backend *b = backend_of(state);
    struct archive *a = open_backend(b);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    struct archive_meta got;
    char byte;

    assert_int_equal(put_path(a, "d/one/two", g_small, &small, NULL, NULL), 0);
    assert_int_equal(archive_head(a, "d/one/two", 9, &got), 0);
    assert_int_equal(archive_delete(a, "d/one/two", 9), 0);
    assert_int_equal(archive_head(a, "d/one/two", 9, &got), -ENOENT);
    assert_int_equal(archive_read(a, "d/one/two", 9, 0, &byte, 1), -ENOENT);
    assert_int_equal(archive_delete(a, "d/one/two", 9), 0); /* absent */
    assert_int_equal(archive_delete(a, "d/never", 7), 0);
    list_expect(a, "d/", 10, false, NULL, 0);
    if (!b->s3) {
        /* empty directories go with the object */
        char p[PATH_MAX + 16];
        struct stat st;
        snprintf(p, sizeof p, "%s/archive/d", g_tmp);
        assert_int_equal(stat(p, &st), -1);
    }
    archive_free(a);
}

static void test_bad_sha(void **state)
{
    struct backend *b = backend_of(state);
    struct archive *a = open_backend(b);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    struct archive_meta big = meta_of(BIG_SIZE, g_big_sha);
    struct archive_meta got;
    struct ids ids = {.lock = PTHREAD_MUTEX_INITIALIZER};

    small.sha256[7] ^= 1;
    big.sha256[31] ^= 0x80;
    uint64_t before = log_count(LOGC_STORE, LOG_WARNING);
    assert_int_equal(put_path(a, "x/small", g_small, &small, NULL, NULL), -EIO);
    assert_true(log_count(LOGC_STORE, LOG_WARNING) > before);
    assert_int_equal(archive_head(a, "x/small", 7, &got), -ENOENT);
    assert_int_equal(put_path(a, "x/big", g_big, &big, on_id, &ids), -EIO);
    assert_int_equal(archive_head(a, "x/big", 5, &got), -ENOENT);
    if (b->s3) {
        assert_int_equal(ids.calls, 2); /* the id, then NULL: aborted */
        assert_int_equal(ids.nulls, 1);
        assert_int_equal(count_entries(g_uploads), 0);
        /* aborting it again is fine: it no longer exists */
        assert_int_equal(archive_abort(a, "x/big", 5, ids.last), 0);
    }
    /* a wrong size: the file is shorter than meta says */
    struct archive_meta longer = meta_of(SMALL_SIZE + 1, g_small_sha);
    assert_int_equal(put_path(a, "x/small", g_small, &longer, NULL, NULL),
                     -EIO);
    assert_int_equal(archive_head(a, "x/small", 7, &got), -ENOENT);
    /* a failed put leaves the old object as it was */
    struct archive_meta good = meta_of(SMALL_SIZE, g_small_sha);
    assert_int_equal(put_path(a, "x/keep", g_small, &good, NULL, NULL), 0);
    assert_int_equal(put_path(a, "x/keep", g_small, &small, NULL, NULL), -EIO);
    assert_int_equal(archive_head(a, "x/keep", 6, &got), 0);
    assert_memory_equal(got.sha256, g_small_sha, 32);
    list_expect(a, "x/", 10, false, (const char *const[]){"x/keep"}, 1);
    archive_free(a);
}

/* file:// only: NAME and NAME/x cannot both be files; the failed put
 * leaves nothing behind. */
static void test_file_conflicts(void **state)
{
    (void)state;
    struct archive *a = open_backend(&g_file);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    struct archive_meta got;
    char dir[PATH_MAX + 16];

    assert_int_equal(put_path(a, "f/x/y", g_small, &small, NULL, NULL), 0);
    assert_int_equal(put_path(a, "f/x", g_small, &small, NULL, NULL), -EISDIR);
    assert_int_equal(put_path(a, "f/x/y/z", g_small, &small, NULL, NULL),
                     -ENOTDIR);
    assert_int_equal(archive_head(a, "f/x", 3, &got), -ENOENT);
    assert_int_equal(archive_head(a, "f/x/y/z", 7, &got), -ENOENT);
    assert_int_equal(archive_head(a, "f/x/y", 5, &got), 0);
    snprintf(dir, sizeof dir, "%s/archive/f/x", g_tmp);
    assert_int_equal(count_entries(dir), 2); /* y and y@meta */
    list_expect(a, "f/", 10, false, (const char *const[]){"f/x/y"}, 1);
    assert_int_equal(archive_delete(a, "f/x/y", 5), 0);
    archive_free(a);
}

/* 4 threads on one archive: puts, heads and reads of their own objects,
 * then one listing of all of them (more than one S3 page of 1000). */
struct worker {
    struct archive *a;
    int id;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    int fd = open(g_small, O_RDONLY | O_CLOEXEC);
    char name[64], buf[SMALL_SIZE];

    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(name, sizeof name, "many/t%d-%04d", w->id, i);
        struct archive_meta got;
        if (archive_put(w->a, name, strlen(name), fd, &small, NULL, NULL) !=
                0 ||
            archive_head(w->a, name, strlen(name), &got) != 0 ||
            got.size != SMALL_SIZE ||
            archive_read(w->a, name, strlen(name), 0, buf, sizeof buf) !=
                (ssize_t)sizeof buf)
            w->failures++;
    }
    close(fd);
    return NULL;
}

struct counted {
    size_t n;
    char last[64];
    bool ordered;
};

static void on_count(void *cls, const char *name, size_t len, uint64_t size)
{
    struct counted *c = cls;
    char cur[64];

    (void)size;
    snprintf(cur, sizeof cur, "%.*s", (int)len, name);
    if (c->n > 0 && strcmp(c->last, cur) >= 0)
        c->ordered = false;
    memcpy(c->last, cur, sizeof cur);
    c->n++;
}

static void test_threads(void **state)
{
    struct backend *b = backend_of(state);
    struct archive *a = open_backend(b);
    pthread_t t[THREADS];
    struct worker w[THREADS];

    uint64_t t0 = now_ms();
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.a = a, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    printf("[ %s ] %d threads put+head+read %d objects: %" PRIu64 " ms\n",
           b->label, THREADS, THREADS * PER_THREAD, now_ms() - t0);
    struct counted c = {.ordered = true};
    bool trunc = true;
    assert_int_equal(archive_list(a, "many/", 5, 5000, on_count, &c, &trunc),
                     0);
    assert_int_equal(c.n, THREADS * PER_THREAD);
    assert_true(c.ordered);
    assert_false(trunc);
    c = (struct counted){.ordered = true};
    assert_int_equal(archive_list(a, "many/", 5, THREADS * PER_THREAD - 1,
                                  on_count, &c, &trunc),
                     0);
    assert_int_equal(c.n, THREADS * PER_THREAD - 1);
    assert_true(trunc);
    archive_free(a);
}

/* ---- s3 only ---- */

static void test_s3_unreachable(void **state)
{
    (void)state;
    if (!g_have_s3)
        skip();
    struct backend quick = g_s3;
    quick.opt.timeout_s = 2;
    struct archive *a = open_backend(&quick);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    struct archive_meta got;

    /* frozen: connections are accepted, nothing answers */
    kill(g_s3pid, SIGSTOP);
    uint64_t t0 = now_ms();
    assert_int_equal(put_path(a, "u/frozen", g_small, &small, NULL, NULL),
                     -EAGAIN);
    uint64_t took = now_ms() - t0;
    printf("[ s3 ] put to a frozen server: -EAGAIN after %" PRIu64
           " ms (timeout_s 2)\n",
           took);
    assert_true(took < 20000);
    assert_int_equal(archive_head(a, "u/frozen", 8, &got), -EAGAIN);
    kill(g_s3pid, SIGCONT);

    /* killed: refused at once */
    kill(g_s3pid, SIGKILL);
    waitpid(g_s3pid, NULL, 0);
    g_s3pid = -1;
    assert_int_equal(put_path(a, "u/killed", g_small, &small, NULL, NULL),
                     -EAGAIN);
    char byte;
    assert_int_equal(archive_read(a, "u/killed", 8, 0, &byte, 1), -EAGAIN);
    struct listed l = {.n = 0};
    bool t;
    assert_int_equal(archive_list(a, "u/", 2, 10, on_list, &l, &t), -EAGAIN);
    assert_int_equal(archive_delete(a, "u/killed", 8), -EAGAIN);

    /* back on the same port and directory */
    s3rver_restart();
    assert_int_equal(put_path(a, "u/killed", g_small, &small, NULL, NULL), 0);
    assert_int_equal(archive_head(a, "u/killed", 8, &got), 0);
    /* what was there before is still there */
    assert_int_equal(archive_head(a, "t/big.log", 9, &got), 0);
    assert_int_equal(got.size, BIG_SIZE);
    archive_free(a);
}

/* Kills s3rver once the upload it watches has its third part. */
struct killer {
    struct ids *ids;
    atomic_bool stop;
    bool killed;
};

static void *killer_main(void *arg)
{
    struct killer *k = arg;
    uint64_t deadline = now_ms() + 60000;

    while (!atomic_load(&k->stop) && now_ms() < deadline) {
        char id[256] = "", p[PATH_MAX + 300];
        struct stat st;
        pthread_mutex_lock(&k->ids->lock);
        snprintf(id, sizeof id, "%s", k->ids->last);
        pthread_mutex_unlock(&k->ids->lock);
        snprintf(p, sizeof p, "%s/%s/3.md5", g_uploads, id);
        if (id[0] != '\0' && stat(p, &st) == 0) {
            kill(g_s3pid, SIGKILL);
            k->killed = true;
            return NULL;
        }
        struct timespec ts = {.tv_nsec = 2 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling s3rver's disk */
    }
    return NULL;
}

static void test_s3_interrupted(void **state)
{
    (void)state;
    if (!g_have_s3)
        skip();
    struct archive *a = open_backend(&g_s3);
    struct archive_meta got;
    struct ids ids = {.lock = PTHREAD_MUTEX_INITIALIZER};

    /* the file ends before meta->size: the upload is aborted */
    struct archive_meta longer = meta_of(BIG_SIZE + PART_SIZE, g_big_sha);
    assert_int_equal(put_path(a, "i/short", g_big, &longer, on_id, &ids), -EIO);
    assert_int_equal(ids.calls, 2);
    assert_int_equal(ids.nulls, 1);
    assert_int_equal(count_entries(g_uploads), 0);
    assert_int_equal(archive_head(a, "i/short", 7, &got), -ENOENT);

    /* the server dies after part 3: the abort cannot happen, so the id
     * stays with the caller (no NULL call) */
    struct ids ids2 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct killer k = {.ids = &ids2};
    pthread_t t;
    struct archive_meta big = meta_of(BIG_SIZE, g_big_sha);
    assert_int_equal(pthread_create(&t, NULL, killer_main, &k), 0);
    int r = put_path(a, "i/killed", g_big, &big, on_id, &ids2);
    atomic_store(&k.stop, true);
    pthread_join(t, NULL);
    assert_true(k.killed);
    assert_int_equal(r, -EAGAIN);
    assert_int_equal(ids2.calls, 1);
    assert_int_equal(ids2.nulls, 0);
    waitpid(g_s3pid, NULL, 0);
    g_s3pid = -1;
    s3rver_restart();
    assert_int_equal(count_entries(g_uploads), 1); /* the orphan */
    assert_int_equal(archive_abort(a, "i/killed", 8, ids2.last), 0);
    assert_int_equal(count_entries(g_uploads), 0);
    assert_int_equal(archive_abort(a, "i/killed", 8, ids2.last), 0);
    assert_int_equal(archive_abort(a, "i/killed", 8, "no-such-upload"), 0);
    assert_int_equal(archive_head(a, "i/killed", 8, &got), -ENOENT);
    /* and the put goes through now */
    assert_int_equal(put_path(a, "i/killed", g_big, &big, NULL, NULL), 0);
    archive_free(a);
}

static void test_s3_credentials(void **state)
{
    (void)state;
    if (!g_have_s3)
        skip();
    struct backend wrong = g_s3;
    struct archive_meta got;
    struct archive *a;

    wrong.opt.access_key = "NOBODY";
    a = open_backend(&wrong);
    assert_int_equal(archive_head(a, "t/small.log", 11, &got), -EACCES);
    archive_free(a);
    wrong.opt.access_key = "S3RVER";
    wrong.opt.secret_key = "not-the-secret";
    a = open_backend(&wrong);
    assert_int_equal(archive_head(a, "t/small.log", 11, &got), -EACCES);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);
    assert_int_equal(put_path(a, "c/x", g_small, &small, NULL, NULL), -EACCES);
    archive_free(a);
    /* a session token is sent (and signed) */
    struct backend tok = g_s3;
    tok.opt.session_token = "FQoGZXIvYXdzEBYaDE+token/with=chars";
    a = open_backend(&tok);
    assert_int_equal(archive_head(a, "t/small.log", 11, &got), 0);
    archive_free(a);
    /* an empty prefix */
    struct backend root = g_s3;
    snprintf(root.url, sizeof root.url, "s3://%s", BUCKET);
    a = open_backend(&root);
    assert_int_equal(archive_head(a, "pre/fix/t/small.log", 19, &got), 0);
    archive_free(a);
    /* a bucket that does not exist */
    struct backend nob = g_s3;
    snprintf(nob.url, sizeof nob.url, "s3://no-such-bucket/");
    a = open_backend(&nob);
    assert_int_equal(put_path(a, "n/x", g_small, &small, NULL, NULL), -EIO);
    struct listed l = {.n = 0};
    bool t;
    assert_int_equal(archive_list(a, "", 0, 10, on_list, &l, &t), -EIO);
    assert_int_equal(archive_head(a, "n/x", 3, &got), -ENOENT);
    archive_free(a);
}

/* ---- throughput (printed) ---- */

static void test_s3_throughput(void **state)
{
    (void)state;
    const char *bench = getenv("LIVELOG_ARCHIVE_BENCH");
    if (!g_have_s3 || (bench != NULL && strcmp(bench, "0") == 0))
        skip();
    char huge[PATH_MAX + 16];
    unsigned char sha[32];

    snprintf(huge, sizeof huge, "%s/huge", g_tmp);
    make_file(huge, HUGE_SIZE, 3, sha);
    struct backend def = g_s3;
    def.opt.part_size = 0; /* the default, 8 MiB */
    def.opt.timeout_s = 0; /* the default, 60 s: s3rver joins 256 MiB of
                              parts without a sign of life */
    struct archive *a = open_backend(&def);
    struct archive_meta m = meta_of(HUGE_SIZE, sha);
    double mib = (double)HUGE_SIZE / (1024.0 * 1024.0);

    uint64_t t0 = now_ms();
    assert_int_equal(put_path(a, "bench/huge", huge, &m, NULL, NULL), 0);
    uint64_t multi = now_ms() - t0;
    archive_free(a);
    def.opt.part_size = 2ull * HUGE_SIZE; /* one PUT */
    a = open_backend(&def);
    t0 = now_ms();
    assert_int_equal(put_path(a, "bench/single", huge, &m, NULL, NULL), 0);
    uint64_t single = now_ms() - t0;
    uint64_t theirs = curl_put("bench/curl", huge, sha);

    printf(
        "[ s3 ] 256 MiB to s3rver: archive_put %" PRIu64
        " ms (%.0f MiB/s; 32 parts of 8 MiB), archive_put as one PUT %" PRIu64
        " ms (%.0f MiB/s), curl --aws-sigv4 -T %" PRIu64
        " ms (%.0f MiB/s, one PUT)\n",
        multi, mib * 1000.0 / (double)(multi ? multi : 1), single,
        mib * 1000.0 / (double)(single ? single : 1), theirs,
        mib * 1000.0 / (double)(theirs ? theirs : 1));
    struct archive_meta got;
    assert_int_equal(archive_head(a, "bench/huge", 10, &got), 0);
    assert_int_equal(got.size, HUGE_SIZE);
    assert_memory_equal(got.sha256, sha, 32);
    assert_int_equal(archive_delete(a, "bench/huge", 10), 0);
    assert_int_equal(archive_delete(a, "bench/single", 12), 0);
    assert_int_equal(archive_delete(a, "bench/curl", 10), 0);
    archive_free(a);

    /* the file backend, for scale */
    a = open_backend(&g_file);
    t0 = now_ms();
    assert_int_equal(put_path(a, "bench/huge", huge, &m, NULL, NULL), 0);
    uint64_t file = now_ms() - t0;
    printf("[ file ] 256 MiB: archive_put %" PRIu64 " ms (%.0f MiB/s)\n", file,
           mib * 1000.0 / (double)(file ? file : 1));
    assert_int_equal(archive_delete(a, "bench/huge", 10), 0);
    archive_free(a);
    unlink(huge);
}

/* Keys that are not stream names fill the first ListObjectsV2 page; the
 * listing goes on with the continuation token. */
static void test_s3_continuation(void **state)
{
    (void)state;
    if (!g_have_s3)
        skip();
    struct archive *a = open_backend(&g_s3);
    struct archive_meta small = meta_of(SMALL_SIZE, g_small_sha);

    assert_int_equal(put_path(a, "k/a", g_small, &small, NULL, NULL), 0);
    curl_put("pre/fix/k/b/stats", g_small, g_small_sha);
    curl_put("pre/fix/k/c/stats", g_small, g_small_sha);
    curl_put("pre/fix/k/c/x%20y", g_small, g_small_sha);
    assert_int_equal(put_path(a, "k/d", g_small, &small, NULL, NULL), 0);
    assert_int_equal(put_path(a, "k/e", g_small, &small, NULL, NULL), 0);
    static const char *const want[] = {"k/a", "k/d", "k/e"};
    /* limit 2: a page of 3 holds one name, the next page two */
    list_expect(a, "k/", 2, true, want, 2);
    list_expect(a, "k/", 3, false, want, 3);
    list_expect(a, "k/", 1, true, want, 1);
    archive_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_parse),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_open_urls),
        cmocka_unit_test_prestate(test_put_head_read, &g_file),
        cmocka_unit_test_prestate(test_put_head_read, &g_s3),
        cmocka_unit_test_prestate(test_list, &g_file),
        cmocka_unit_test_prestate(test_list, &g_s3),
        cmocka_unit_test_prestate(test_delete, &g_file),
        cmocka_unit_test_prestate(test_delete, &g_s3),
        cmocka_unit_test_prestate(test_bad_sha, &g_file),
        cmocka_unit_test_prestate(test_bad_sha, &g_s3),
        cmocka_unit_test(test_file_conflicts),
        cmocka_unit_test_prestate(test_threads, &g_file),
        cmocka_unit_test_prestate(test_threads, &g_s3),
        cmocka_unit_test(test_s3_unreachable),
        cmocka_unit_test(test_s3_interrupted),
        cmocka_unit_test(test_s3_credentials),
        cmocka_unit_test(test_s3_continuation),
        cmocka_unit_test(test_s3_throughput),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
