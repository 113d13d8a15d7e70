/* harness: what every integration test of the drop-in mode shares.
 *
 * Starts the real `livelog` binary (fork/exec, a clean environment, both
 * ports 0), sends its stderr to a file and tails that file to find the
 * "listening" lines, polls GET /healthz until ready, stops it with SIGTERM
 * and reports the exit status, and validates the captured log with
 * scripts/check-server-log. Also: libcurl helpers for one-shot requests and
 * for streaming readers driven by a multi handle, a PRNG whose bytes at any
 * offset can be regenerated, writers (libcurl in a thread, or the real
 * `curl` command fed through a pipe), and check macros.
 *
 * Every wait is bounded in count and time. Single-threaded except for
 * hs_writer, which runs its own thread with its own easy handle. */
#ifndef LIVELOG_IT_HARNESS_H
#define LIVELOG_IT_HARNESS_H

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit status CTest treats as "skipped" (SKIP_RETURN_CODE). */
#define HS_SKIP 77

/* The "very large last-byte-pos" of draft-ietf-httpbis-rand-access-live:
 * 2^53 - 1. */
#define HS_LIVE_LAST "9007199254740991"

extern int hs_failures;

/* Records a failure (file:line and message) and goes on. */
#define HS_CHECK(cond, ...)                                                    \
    do {                                                                       \
        if (!(cond))                                                           \
            hs_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                   \
    } while (0)

/* Records a failure and ends the test (servers are killed, exit 1). */
#define HS_REQUIRE(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            hs_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                   \
            hs_abort();                                                        \
        }                                                                      \
    } while (0)

void hs_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void hs_abort(void);
void hs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses argv (argv[1] the livelog binary, argv[2] check-server-log),
 * initialises libcurl, ignores SIGPIPE, raises RLIMIT_NOFILE to its hard
 * limit. Exits 2 on usage errors. */
void hs_init(int argc, char **argv, const char *test_name);

/* 0 when every check passed, 1 otherwise; prints a summary. Removes the
 * scratch directories of servers when the test passed. */
int hs_finish(void);

/* True when LIVELOG_SANITIZED=1 (ASan/UBSan build): heavy sizes may shrink. */
bool hs_sanitized(void);

/* Monotonic milliseconds. */
int64_t hs_now_ms(void);
void hs_sleep_ms(long ms);

struct hs_opts {
    const char *token;       /* ACCESS_TOKEN; NULL leaves it unset */
    const char *const *env;  /* "NAME=VALUE" (override) or "NAME" (unset),
                                NULL-terminated; may be NULL */
    const char *const *args; /* extra argv, NULL-terminated; may be NULL */
    bool tls;                /* make a self-signed cert with `openssl` and
                                set SERVER_CRT_FILE and SERVER_KEY_FILE */
    const char *log_level;   /* LIVELOG_LOG_LEVEL; NULL means "debug" */
};

struct hs_server {
    pid_t pid; /* 0 once reaped */
    int put_port, get_port;
    bool tls;
    char token[1024]; /* drop-in: ACCESS_TOKEN; serve: a read-all JWT */
    char dir[512];    /* scratch: server.log, tmp/, cert.pem */
    char log_path[600];
    char ca_path[600];    /* cert.pem when tls */
    char read_base[128];  /* "http(s)://127.0.0.1:GETPORT" */
    char write_base[128]; /* "http://127.0.0.1:PUTPORT" */
    bool stopped;
    int wait_status;    /* from waitpid */
    int64_t stop_ms;    /* SIGTERM to exit, in ms */
    char data_dir[600]; /* `livelog serve --data-dir` (hs_serve_start) */
    char key_dir[600];  /* serve with keys: --key-dir, one key "test" */
    char key[64];       /* that key (a secret: check-server-log --secret) */
    char auth[1100];    /* "Authorization: Bearer <token>" */
};

/* Starts the server and waits until both listeners are logged and
 * GET /healthz answers 200. Fails the test (HS_REQUIRE) when it cannot. */
void hs_start(struct hs_server *s, const struct hs_opts *o);

/* Sends SIGTERM and waits up to timeout_ms for the exit; SIGKILLs after
 * that. Returns the waitpid status (or -1 on timeout); also kept in *s. */
int hs_stop(struct hs_server *s, long timeout_ms);

/* Stops (if running), checks exit status 0 and runs check-server-log with
 * --secret <token> and the given --expect levels ("error", "fatal";
 * NULL-terminated, may be NULL). */
void hs_stop_and_check(struct hs_server *s, const char *const *expect);

/* Runs check-server-log on the server's log. Returns its exit status. */
int hs_check_log(const struct hs_server *s, const char *const *expect);

/* ---- one-shot requests ---------------------------------------------- */

struct hs_resp {
    CURLcode result;
    long status;
    unsigned char *body; /* malloc'd, NUL-terminated (not counted in len) */
    size_t len;
    char headers[16384]; /* header block of the final response */
    size_t hlen;
};

/* One request to the read (read_port true) or write port. `path` starts
 * with '/'. `hdrs` are "Name: value" (NULL-terminated, may be NULL).
 * A body (may be NULL) is sent with Content-Length. Returns r->result. */
CURLcode hs_request(const struct hs_server *s, bool read_port,
                    const char *method, const char *path,
                    const char *const *hdrs, const void *body, size_t len,
                    long timeout_ms, struct hs_resp *r);
void hs_resp_free(struct hs_resp *r);

/* Value of header `name` (case-insensitive) in a header block, trimmed,
 * copied to buf; NULL when absent. */
const char *hs_header(const char *block, const char *name, char *buf,
                      size_t cap);

/* Log path "/log/<token>". */
void hs_log_path(const struct hs_server *s, char *buf, size_t cap);

/* Polls (GET, follow) until the server has at least `len` bytes of the
 * log, bounded by timeout_ms. Returns true when it has. */
bool hs_wait_log_len(const struct hs_server *s, uint64_t len, long timeout_ms);

/* ---- deterministic data --------------------------------------------- */

/* Fills buf with the bytes at [off, off+len) of the stream named by seed. */
void hs_gen(uint64_t seed, uint64_t off, unsigned char *buf, size_t len);

/* SHA-256 of the first `total` bytes of stream `seed`. */
void hs_gen_sha256(uint64_t seed, uint64_t total, unsigned char out[32]);

/* ---- streaming readers (libcurl multi) ------------------------------ */

struct hs_reader {
    CURL *easy;
    struct curl_slist *hdrs;
    gnutls_hash_hd_t sha;
    char url[512];
    char errbuf[CURL_ERROR_SIZE];
    /* what to check */
    bool verify; /* compare against hs_gen(seed, start + got) */
    uint64_t seed;
    uint64_t start;       /* offset of the first body byte */
    uint64_t abort_after; /* return 0 from the write callback after this
                             many bytes (0 = never) */
    bool keep;            /* keep a copy of the body (up to keep_cap) */
    size_t keep_cap;
    /* what happened */
    uint64_t got;
    uint64_t mismatch_at; /* first differing offset, UINT64_MAX if none */
    unsigned char *body;
    long status;
    char hblock[8192]; /* header block of the final response */
    size_t hlen;
    bool done;
    CURLcode result;
    int64_t done_ms;
};

/* Prepares a GET of `path` on the read port with an optional Range value
 * (e.g. "bytes=0-9"; NULL for none), CURLOPT_TIMEOUT_MS 180 s (override
 * with curl_easy_setopt). Not added to any multi. */
void hs_reader_init(struct hs_reader *r, const struct hs_server *s,
                    const char *path, const char *range);
void hs_reader_sha256(struct hs_reader *r, unsigned char out[32]);
void hs_reader_cleanup(struct hs_reader *r);
const char *hs_reader_header(const struct hs_reader *r, const char *name,
                             char *buf, size_t cap);

/* Runs the multi for up to wait_ms and marks finished readers (the
 * CURLOPT_PRIVATE of every easy handle must be its hs_reader). */
void hs_multi_step(CURLM *m, int wait_ms);

/* Steps until every reader in rs is done or timeout_ms passed. Returns
 * true when all are done. */
bool hs_multi_wait_all(CURLM *m, struct hs_reader *const *rs, size_t n,
                       long timeout_ms);

/* ---- writers -------------------------------------------------------- */

/* A PUT /log of hs_gen(seed) bytes from its own thread (libcurl easy,
 * chunked unless content_length). */
struct hs_writer {
    const struct hs_server *srv;
    uint64_t seed;
    uint64_t total;
    size_t chunk;         /* bytes per read callback (default 64 KiB) */
    bool jitter;          /* chunk k is chunk - (k % 101) bytes */
    long delay_us;        /* sleep before each chunk after the first */
    curl_off_t max_speed; /* CURLOPT_MAX_SEND_SPEED_LARGE, 0 = none */
    bool content_length;  /* send Content-Length instead of chunked */
    long timeout_ms;      /* whole transfer (default 120 s) */
    /* livelog serve: where and how (NULL/0: PUT /log, bytes from 0) */
    const char *path;        /* e.g. "/v1/logs/NAME" */
    const char *method;      /* "PUT" (default) or "PATCH" */
    const char *const *hdrs; /* extra request headers, NULL-terminated */
    uint64_t gen_offset;     /* first byte sent is hs_gen(seed, gen_offset) */
    /* results */
    _Atomic uint64_t sent;
    long status;
    CURLcode result;
    char errbuf[CURL_ERROR_SIZE];
    atomic_bool finished;
    int64_t elapsed_ms;
    pthread_t thread;
    char resp_headers[4096]; /* header block of the final response */
    size_t resp_hlen;
};

void hs_writer_start(struct hs_writer *w);
void hs_writer_join(struct hs_writer *w);

/* The real `curl -T -` writer: its stdin is a pipe this process writes. */
struct hs_curl_writer {
    pid_t pid;
    int fd;             /* write end of curl's stdin, -1 once closed */
    char out_path[600]; /* curl -w '%{http_code}' output */
};

void hs_curl_writer_start(struct hs_curl_writer *cw, const struct hs_server *s);
/* Writes all of buf to curl's stdin. Returns false on error. */
bool hs_curl_writer_write(struct hs_curl_writer *cw, const void *buf,
                          size_t len);
/* Closes stdin and waits (bounded) for curl; returns the HTTP status curl
 * reported (0 if none) and stores curl's exit code. */
long hs_curl_writer_finish(struct hs_curl_writer *cw, int *ret_exit);
/* SIGKILLs curl and reaps it. */
void hs_curl_writer_kill(struct hs_curl_writer *cw);

/* ---- child processes ------------------------------------------------ */

/* Runs argv (execvp) with stdout/stderr to files (NULL: inherited), waits
 * up to timeout_ms. Returns the waitpid status or -1 on timeout (the child
 * is killed). */
int hs_run(char *const *argv, const char *out_path, const char *err_path,
           long timeout_ms);

/* Paths the tests were given. */
const char *hs_binary(void);
const char *hs_checker(void);

/* Hex of a 32-byte digest into buf (65 bytes). */
void hs_hex32(const unsigned char d[32], char buf[65]);

/* Anonymous RSS of a process in KiB (from /proc), -1 if unknown. */
long hs_rss_anon_kib(pid_t pid);

/* ---- livelog serve (the multi-stream service) ----------------------- */

struct hs_serve_opts {
    const char *data_dir;    /* --data-dir; NULL: a new directory in the
                                scratch dir (its path ends in s->data_dir) */
    int write_port;          /* 0: let the server pick */
    int read_port;           /* 0: let the server pick */
    bool keys;               /* --key-dir with one new key; s->token is a
                                JWT granting livelog:read:* (both are
                                check-server-log --secret) */
    const char *const *args; /* extra flags, NULL-terminated; may be NULL */
    const char *const *env;  /* as hs_opts.env */
    const char *log_level;   /* --log-level; NULL means "debug" */
};

/* Starts `livelog serve --data-dir D --write-addr 127.0.0.1:W --read-addr
 * 127.0.0.1:R --log-level L [--key-dir K] ARGS...` with hs_start (clean
 * environment, waits for both "listening" lines and /healthz). With keys,
 * s->token is a JWT minted by `livelog token` that reads every stream;
 * hs_check_log passes it and the key as --secret.
 * Fails the test (HS_REQUIRE) when the server does not come up. */
void hs_serve_start(struct hs_server *s, const struct hs_serve_opts *o);

/* Makes dir (mode 700) with one key file "KID.key" (mode 600) holding a
 * new random key, copied into key (cap >= 44). */
void hs_make_key_dir(const char *dir, const char *kid, char *key, size_t cap);

/* Runs `livelog token --key-dir DIR ARGS...` and copies its one line of
 * output (no newline) into out. Fails the test when it does not exit 0. */
void hs_mint(const char *key_dir, const char *const *args, char *out,
             size_t cap);

/* SIGKILLs the server and reaps it (s->stopped, wait_status set). */
void hs_kill9(struct hs_server *s);

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
 * released), for restarting a server on the same ports. */
int hs_free_port(void);

/* The test's scratch directory (kept when the test fails). */
const char *hs_scratch(void);

/* Adds a request header ("Name: value") to a reader not yet started. */
void hs_reader_add_header(struct hs_reader *r, const char *header);

/* Starts argv (execvp) with a clean environment (PATH, HOME, the sanitizer
 * options, then env: "NAME=VALUE", NULL-terminated, may be NULL), stdin a
 * pipe whose write end is returned in *ret_stdin (or /dev/null when
 * ret_stdin is NULL), stdout and stderr to files (NULL: /dev/null).
 * Returns the pid. Fails the test when fork fails. */
pid_t hs_spawn(char *const *argv, const char *const *env, int *ret_stdin,
               const char *out_path, const char *err_path);

/* Waits up to timeout_ms for pid. Returns true and the waitpid status in
 * *ret_status when it exited; false on timeout (the child is left alone). */
bool hs_wait_pid(pid_t pid, long timeout_ms, int *ret_status);

/* SHA-256 and length of a file; false when it cannot be read. */
bool hs_sha256_file(const char *path, unsigned char out[32], uint64_t *ret_len);

/* Writes all of buf to fd (blocking); false on error. */
bool hs_write_all(int fd, const void *buf, size_t len);

/* ---- /v1 requests (livelog serve) ----------------------------------- */

/* PUT (off must be 0) or PATCH (Upload-Offset: off) of /v1/logs/NAME on
 * the write listener with hs_gen(seed) bytes [off, off+len) as a
 * Content-Length body. complete: NULL sends no Upload-Complete, else its
 * value ("?0", "?1"). extra: more headers, may be NULL. Returns the status
 * (0 on a transport error); *ret_offset (may be NULL) gets Upload-Offset,
 * UINT64_MAX when absent; the response is kept in *ret_resp when not NULL
 * (the caller frees it). */
long hs_v1_send(const struct hs_server *s, const char *method, const char *name,
                uint64_t seed, uint64_t off, uint64_t len, const char *complete,
                const char *const *extra, uint64_t *ret_offset,
                struct hs_resp *ret_resp);

/* HEAD /v1/logs/NAME on the write (read_port false) or read listener;
 * auth is an "Authorization: ..." header or NULL. Returns the status;
 * *ret_offset gets Upload-Offset (UINT64_MAX when absent), state (may be
 * NULL) the Livelog-State value ("" when absent). */
long hs_v1_head(const struct hs_server *s, bool read_port, const char *name,
                const char *auth, uint64_t *ret_offset, char *state,
                size_t state_cap);

/* GET /v1/logs/NAME?follow=0 on the read listener, hashed as it arrives.
 * Returns the status; *ret_len and sha get what was received. */
long hs_v1_fetch(const struct hs_server *s, const char *name, const char *auth,
                 unsigned char sha[32], uint64_t *ret_len);

/* GET ?follow=0 and compare with hs_gen(seed) [0, len): records a failure
 * naming `what` when the status is not 200 or a byte differs. */
void hs_v1_expect_content(const struct hs_server *s, const char *name,
                          const char *auth, uint64_t seed, uint64_t len,
                          const char *what);

/* ---- resuming followers (libcurl multi) ------------------------------ */

/* A reader that follows one stream to its completion across server
 * restarts: whenever its response ends before `total` bytes (connection
 * refused, reset, or a clean end while the stream is still live), it asks
 * again with "Range: bytes=GOT-" after retry_ms. Every byte is compared with
 * hs_gen(seed) at its offset. Followers of one multi must all be
 * hs_follower (CURLOPT_PRIVATE). */
struct hs_follower {
    char url[1200];
    const char *auth; /* "Authorization: ..." or NULL */
    uint64_t seed, total;
    long retry_ms; /* default 100 */
    /* state */
    CURL *easy;
    struct curl_slist *hdrs;
    uint64_t got;
    uint64_t mismatch_at; /* UINT64_MAX if none */
    bool done;            /* got == total after a clean end */
    bool failed;          /* an answer that is not 200/206 (e.g. 416) */
    int requests;         /* how many GETs it made */
    int64_t retry_at;
    long last_status;
    CURLcode last_result;
    char errbuf[CURL_ERROR_SIZE];
};

/* url: full URL of the stream. Does not start it (hs_followers_step does). */
void hs_follower_init(struct hs_follower *f, const char *url, uint64_t seed,
                      uint64_t total);
void hs_follower_cleanup(CURLM *m, struct hs_follower *f);

/* Runs the multi once (waiting up to wait_ms), handles finished transfers
 * and (re)starts the followers that are due. Returns how many are done or
 * failed. */
size_t hs_followers_step(CURLM *m, struct hs_follower *fs, size_t n,
                         int wait_ms);

/* ---- the livelog clients (docs/CLIENTS.md) -------------------------- */

/* `livelog put --server WRITE_BASE NAME` with stdin a pipe (*ret_stdin),
 * stdout/stderr to files. extra: more flags before NAME, may be NULL. */
pid_t hs_put_spawn(const char *write_base, const char *name,
                   const char *const *extra, int *ret_stdin,
                   const char *out_path, const char *err_path);

/* `livelog tail [extra...] URL`, stdout/stderr to files. */
pid_t hs_tail_spawn(const char *url, const char *const *extra,
                    const char *out_path, const char *err_path);

/* True when the binary knows the verb (`livelog VERB --help` exits 0). */
bool hs_has_verb(const char *verb);

/* Runs the reader's request to its end on this thread. */
void hs_reader_perform(struct hs_reader *r);

/* Checks a finished reader: status, Content-Range (NULL: must be absent),
 * Content-Length (-1: not checked), Accept-Ranges on 200/206, and, when
 * r->verify is set, that the body is `len` bytes of the generated log
 * from r's start offset. Each failure is an HS_CHECK naming `what`. */
void hs_reader_expect(const struct hs_reader *r, const char *what, long status,
                      const char *content_range, long long content_length,
                      uint64_t len);

/* The decimal value of header `name` in a header block (e.g.
 * Upload-Offset); UINT64_MAX when absent or not a number. */
uint64_t hs_header_u64(const char *block, const char *name);

/* Size of the file at path; 0 when it cannot be stat'ed. */
uint64_t hs_file_size(const char *path);

/* Polls until the file at path holds at least len bytes; false after ms. */
bool hs_wait_file_size(const char *path, uint64_t len, long ms);

/* Polls HEAD on the write listener until the stream holds at least len
 * bytes; false after ms. */
bool hs_wait_v1_len(const struct hs_server *s, const char *name, uint64_t len,
                    long ms);

/* Copies a response's header block without its Date line (for answers
 * that must be byte-identical but for the time). */
void hs_without_date(const char *block, char *out, size_t cap);

/* Waits up to ms for a client process (`livelog put`, `tail`) to exit
 * and returns its exit code; -1 (a failed check naming what and its stderr
 * file err) when it died of a signal or did not exit in time, then it is
 * SIGKILLed. */
int hs_wait_client(pid_t pid, long ms, const char *what, const char *err);

#endif
