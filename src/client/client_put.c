/* client_put: `livelog put NAME [FILE]`. Streams stdin (or FILE) to
 * URL/v1/logs/NAME while it is being written, keeps every byte in a spool
 * (client_spool.c), and after any failure asks the server how much it has
 * (HEAD -> Upload-Offset) and re-sends from exactly there (PATCH), so the
 * server ends up with every byte once. At end of input a last PATCH
 * completes the stream with a Repr-Digest the server verifies. Runs on
 * the main thread of the process; the algorithm is in docs/CLIENTS.md. */
#include "client/client_put.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_http.h"
#include "client/client_spool.h"
#include "core/core_num.h"

#define PUT_DEFAULT_RETRIES 20u
#define PUT_HEAD_TIMEOUT_MS 30000L
/* the completing PATCH makes the server hash the whole stream */
#define PUT_FINISH_TIMEOUT_MS 600000L

static const char usage_text[] =
    "usage: livelog put NAME [FILE] [--server URL] [--retries N]\n"
    "                   [--no-complete] [--verbose]\n"
    "Streams stdin (or FILE) into the log NAME on a livelog server as it\n"
    "is written, resuming after failures without losing or doubling a "
    "byte.\n"
    "  --server URL   write URL of the server (env LIVELOG_URL, default\n"
    "                 " CLIENT_HTTP_DEFAULT_URL ")\n"
    "  --retries N    give up after N failed attempts in a row (default "
    "20)\n"
    "  --no-complete  leave the stream live at the end of input\n"
    "  --verbose      print progress on stderr\n"
    "Exit status: 0 done, 1 failed, 2 usage error.\n";

/* What one step of the upload ended with. */
enum put_outcome {
    PUT_OK,    /* progress: go on with the next step at once */
    PUT_DONE,  /* the whole job is done */
    PUT_RETRY, /* a transient failure (p->why says which): back off */
    PUT_FATAL, /* give up now; the message was printed */
};

/* The kinds of request the client sends. */
enum put_req {
    REQ_HEAD,   /* HEAD: where is the server? */
    REQ_CREATE, /* PUT from byte 0, Upload-Complete: ?0 */
    REQ_APPEND, /* PATCH from p->offset, Upload-Complete: ?0 */
    REQ_FINISH, /* PATCH, empty body, Upload-Complete: ?1, Repr-Digest */
};

/* Everything one run of the verb knows. */
struct put {
    /* configuration */
    const char *name; /* the log name as given */
    const char *path; /* FILE, or NULL for stdin */
    char *url;        /* BASE/v1/logs/ENCODED-NAME (owned) */
    uint64_t retries; /* failed attempts in a row before giving up */
    bool complete;    /* send the completing PATCH (not --no-complete) */
    bool verbose;     /* progress lines on stderr */
    bool plain_http;  /* http:// (no TLS records arrive unasked) */
    /* input */
    struct client_spool spool;
    /* what is known of the stream on the server */
    bool created;       /* it exists and is ours */
    bool maybe_created; /* a PUT of ours may have created it */
    bool offset_known;  /* offset below is current (from the last answer) */
    uint64_t offset;    /* the committed length the server reported */
    enum client_http_state state; /* the state the server reported */
    uint64_t best;                /* the highest committed length seen */
    /* the request in flight */
    curl_socket_t socks[4]; /* its sockets (happy eyeballs may try two) */
    unsigned nsocks;        /* entries in socks */
    uint64_t pos;           /* next byte the request body sends */
    int input_err;          /* negative errno from the input, or 0 */
    bool peer_gone;         /* the server hung up while the input was quiet */
    struct client_http_resp resp;
    /* retries */
    unsigned failures; /* failed attempts in a row */
    char why[512];     /* what the last failure was */
};

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    client_http_vsay("put", fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void progress(const struct put *p,
                                                           const char *fmt, ...)
{
    va_list ap;

    if (!p->verbose)
        return;
    va_start(ap, fmt);
    client_http_vsay("put", fmt, ap);
    va_end(ap);
}

/* Waits until the input (a pipe or terminal) has bytes or ends, watching
 * the connection meanwhile. Returns true when input is ready, false when
 * the server closed the connection first (it died, or answered early and
 * hung up) or, over plain HTTP, sent something (an early answer such as
 * 409: nothing else can arrive before the body ends, as Expect is off),
 * so that a quiet input hides neither a lost server nor a refusal. Over
 * TLS only a hang-up counts: TLS 1.3 sends session tickets unasked. */
static bool wait_input(struct put *p)
{
    curl_socket_t sock = CURL_SOCKET_BAD;
    struct pollfd pfd[2];

    /* the connected one of the request's sockets (CURLINFO_ACTIVESOCKET
     * is only set after a transfer in libcurl 7.88) */
    for (unsigned i = 0; i < p->nsocks; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);

        if (getpeername(p->socks[i], (struct sockaddr *)&ss, &sl) == 0)
            sock = p->socks[i];
    }
    if (!p->spool.src_pollable || sock == CURL_SOCKET_BAD)
        return true;
    pfd[0] = (struct pollfd){.fd = p->spool.src_fd, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = sock, .events = POLLRDHUP};
    if (p->plain_http)
        pfd[1].events |= POLLIN;
    for (;;) {
        int rc = poll(pfd, 2, -1);

        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || pfd[0].revents != 0)
            return true; /* read(2) reports the error or the bytes */
        if (pfd[1].revents != 0)
            return false;
    }
}

/* libcurl sockopt callback: remembers each socket of the request. */
static int on_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    struct put *p = clientp;

    if (purpose == CURLSOCKTYPE_IPCXN &&
        p->nsocks < sizeof(p->socks) / sizeof(p->socks[0]))
        p->socks[p->nsocks++] = fd;
    return CURL_SOCKOPT_OK;
}

/* libcurl close-socket callback: forgets and closes a socket. */
static int on_closesocket(void *clientp, curl_socket_t fd)
{
    struct put *p = clientp;

    for (unsigned i = 0; i < p->nsocks; i++) {
        if (p->socks[i] == fd) {
            p->socks[i] = p->socks[--p->nsocks];
            break;
        }
    }
    return close(fd);
}

/* libcurl read callback: first the stored bytes from p->pos, then new
 * input as read(2) returns it (blocking), so a line reaches the server as
 * soon as it is written. Returning 0 ends the body (end of input, or the
 * server hung up while the input was quiet). */
static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct put *p = userdata;
    size_t cap = size * nitems, n = 0;
    int rc;

    if (p->pos < p->spool.len) {
        rc = client_spool_pread(&p->spool, buf, cap, p->pos, &n);
        if (rc < 0) {
            p->input_err = rc;
            return CURL_READFUNC_ABORT;
        }
        p->pos += n;
        return n;
    }
    if (p->spool.eof)
        return 0;
    if (!wait_input(p)) {
        p->peer_gone = true;
        return 0;
    }
    rc = client_spool_read_new(&p->spool, buf, cap, &n);
    if (rc < 0) {
        p->input_err = rc;
        return CURL_READFUNC_ABORT;
    }
    if (n == 0)
        progress(p, "end of input after %" PRIu64 " bytes", p->spool.len);
    p->pos += n;
    return n;
}

/* libcurl write callback: keeps the start of the answer's body (the
 * server's message when something is wrong). */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct put *p = userdata;

    client_http_resp_capture(&p->resp, ptr, size * nmemb);
    return size * nmemb;
}

/* Appends a formatted header to *list. Returns 0 or -ENOMEM. */
__attribute__((format(printf, 2, 3))) static int
add_header(struct curl_slist **list, const char *fmt, ...)
{
    char line[256];
    struct curl_slist *l;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        return -ENOMEM;
    l = curl_slist_append(*list, line);
    if (l == NULL)
        return -ENOMEM;
    *list = l;
    return 0;
}

/* Builds the header list of one request. Returns 0 or -ENOMEM (*ret_list
 * then holds what was built, for the caller to free). */
static int build_headers(struct put *p, enum put_req kind,
                         struct curl_slist **ret_list)
{
    char b64[64];
    size_t b64_len;
    int rc = 0;

    if (kind == REQ_HEAD)
        return 0;
    rc = add_header(ret_list, "Expect:");
    if (rc == 0 && kind == REQ_APPEND)
        rc = add_header(ret_list, "Upload-Offset: %" PRIu64, p->offset);
    if (rc == 0 && kind != REQ_FINISH) {
        rc = add_header(ret_list, "Upload-Complete: ?0");
        if (rc == 0)
            rc = add_header(ret_list, "Transfer-Encoding: chunked");
    }
    if (rc == 0 && kind == REQ_FINISH) {
        rc = add_header(ret_list, "Upload-Offset: %" PRIu64, p->spool.len);
        if (rc == 0)
            rc = add_header(ret_list, "Upload-Complete: ?1");
        if (rc == 0)
            rc = client_http_base64(p->spool.digest, sizeof(p->spool.digest),
                                    b64, sizeof(b64), &b64_len);
        if (rc == 0)
            rc = add_header(ret_list, "Repr-Digest: sha-256=:%s:", b64);
    }
    return rc;
}

/* Sends one request and waits for its answer (p->resp). Returns PUT_OK
 * when an answer below 500 arrived (the caller reads its status),
 * PUT_RETRY for a transport failure or a 5xx, PUT_FATAL for an input
 * error or a failure that retrying cannot fix. */
static enum put_outcome perform(struct put *p, enum put_req kind)
{
    static const char *const what[] = {"HEAD", "PUT", "PATCH",
                                       "completing PATCH"};
    struct curl_slist *hdrs = NULL;
    enum put_outcome o = PUT_OK;
    CURLcode cc;
    CURL *h;

    h = client_http_easy(p->url, &p->resp);
    if (h == NULL || build_headers(p, kind, &hdrs) < 0) {
        say("out of memory");
        o = PUT_FATAL;
        goto out;
    }
    p->nsocks = 0;
    p->input_err = 0;
    p->peer_gone = false;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, p);
    curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, p);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, on_closesocket);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, p);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (kind == REQ_HEAD) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, PUT_HEAD_TIMEOUT_MS);
    } else {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, p);
        if (kind != REQ_CREATE)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
    }
    if (kind == REQ_FINISH) {
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, PUT_FINISH_TIMEOUT_MS);
    }
    cc = curl_easy_perform(h);
    if (p->input_err < 0) {
        say("reading %s into the spool: %s",
            p->path != NULL ? p->path : "stdin", strerror(-p->input_err));
        o = PUT_FATAL;
    } else if (cc != CURLE_OK) {
        snprintf(p->why, sizeof(p->why), "%s failed: %s%s", what[kind],
                 client_http_error_text(cc, &p->resp),
                 p->peer_gone ? " (the server closed the connection)" : "");
        if (client_http_transient(cc)) {
            o = PUT_RETRY;
        } else {
            say("%s", p->why);
            o = PUT_FATAL;
        }
    } else if (p->resp.status >= 500) {
        snprintf(p->why, sizeof(p->why), "%s answered %ld: %s", what[kind],
                 p->resp.status, client_http_resp_message(&p->resp));
        o = PUT_RETRY;
    }
out:
    curl_slist_free_all(hdrs);
    if (h != NULL)
        curl_easy_cleanup(h);
    return o;
}

/* Records a committed length reported by the server. Progress (a length
 * beyond any seen before) clears the count of failures in a row. */
static void note_offset(struct put *p, uint64_t off, enum client_http_state st)
{
    p->offset_known = true;
    p->offset = off;
    if (st != CLIENT_HTTP_STATE_UNKNOWN)
        p->state = st;
    if (off > p->best) {
        p->best = off;
        p->failures = 0;
    }
}

/* Prints why the server refused a request for good. */
static enum put_outcome refused(struct put *p, const char *what)
{
    say("the server refused %s of log %s (%ld): %s", what, p->name,
        p->resp.status, client_http_resp_message(&p->resp));
    return PUT_FATAL;
}

/* HEAD: learns the committed length and the state. A 404 is fine before
 * the stream is ours (it was never created); afterwards it means someone
 * deleted it. */
static enum put_outcome head(struct put *p)
{
    enum put_outcome o = perform(p, REQ_HEAD);

    if (o != PUT_OK)
        return o;
    if (p->resp.status == 404 && !p->created) {
        p->maybe_created = false;
        return PUT_OK;
    }
    if (p->resp.status == 404) {
        say("log %s disappeared from the server (deleted?) after %" PRIu64
            " bytes were committed",
            p->name, p->best);
        return PUT_FATAL;
    }
    if (p->resp.status != 200) {
        say("HEAD of log %s: the server answered %ld", p->name, p->resp.status);
        return PUT_FATAL;
    }
    if (!p->resp.has_offset) {
        snprintf(p->why, sizeof(p->why),
                 "HEAD answer without a valid Upload-Offset");
        return PUT_RETRY;
    }
    if (!p->created)
        progress(p,
                 "log %s exists after an interrupted first attempt of "
                 "ours: resuming it",
                 p->name);
    p->created = true;
    note_offset(p, p->resp.offset, p->resp.state);
    progress(p, "server has %" PRIu64 " bytes, state %s", p->offset,
             client_http_state_name(p->state));
    return PUT_OK;
}

/* PUT: creates the stream and streams the input from byte 0. */
static enum put_outcome create(struct put *p)
{
    enum put_outcome o;

    progress(p, "PUT %s", p->url);
    p->pos = 0;
    o = perform(p, REQ_CREATE);
    if (o == PUT_RETRY && p->resp.status != 409)
        p->maybe_created = true; /* the server may have created it */
    if (o == PUT_FATAL || (o == PUT_RETRY && p->resp.status != 409))
        return o;
    if (p->resp.status == 409) { /* even if the connection broke after */
        say("log %s already exists on the server (%" PRIu64
            " bytes, %s); pick another name",
            p->name, p->resp.has_offset ? p->resp.offset : 0,
            client_http_state_name(p->resp.state));
        return PUT_FATAL;
    }
    if (p->resp.status < 200 || p->resp.status > 299)
        return refused(p, "the creation");
    p->created = true;
    p->maybe_created = false;
    p->offset_known = false;
    if (p->resp.has_offset)
        note_offset(p, p->resp.offset, p->resp.state);
    if (p->offset_known && p->offset < p->pos) {
        snprintf(p->why, sizeof(p->why),
                 "the server acknowledged %" PRIu64 " of %" PRIu64 " bytes",
                 p->offset, p->pos);
        return PUT_RETRY;
    }
    return PUT_OK;
}

/* PATCH: re-sends the stored bytes from the server's length, then goes
 * on with new input until its end. */
static enum put_outcome append(struct put *p)
{
    enum put_outcome o;

    if (p->offset < p->spool.len)
        progress(p,
                 "resuming at byte %" PRIu64 " (%" PRIu64
                 " stored bytes to re-send)",
                 p->offset, p->spool.len - p->offset);
    else
        progress(p, "appending at byte %" PRIu64, p->offset);
    p->pos = p->offset;
    p->offset_known = false;
    o = perform(p, REQ_APPEND);
    if (o != PUT_OK)
        return o;
    if (p->resp.status == 409) {
        snprintf(p->why, sizeof(p->why),
                 "PATCH at %" PRIu64 " conflicts: the server is at %" PRIu64
                 " (%s)",
                 p->pos, p->resp.offset, client_http_state_name(p->resp.state));
        return PUT_RETRY;
    }
    if (p->resp.status == 404) {
        say("log %s disappeared from the server (deleted?) after %" PRIu64
            " bytes were committed",
            p->name, p->best);
        return PUT_FATAL;
    }
    if (p->resp.status < 200 || p->resp.status > 299)
        return refused(p, "the bytes");
    if (!p->resp.has_offset) {
        snprintf(p->why, sizeof(p->why),
                 "PATCH answer without a valid Upload-Offset");
        return PUT_RETRY;
    }
    note_offset(p, p->resp.offset, p->resp.state);
    if (p->offset < p->pos) {
        snprintf(p->why, sizeof(p->why),
                 "the server acknowledged %" PRIu64 " of %" PRIu64 " bytes",
                 p->offset, p->pos);
        return PUT_RETRY;
    }
    if (!p->complete && p->spool.eof && p->offset == p->spool.len) {
        progress(p, "left live at %" PRIu64 " bytes (--no-complete)",
                 p->offset);
        return PUT_DONE;
    }
    return PUT_OK;
}

/* The completing PATCH with the digest of all input. */
static enum put_outcome finish(struct put *p)
{
    enum put_outcome o;

    progress(p, "completing at %" PRIu64 " bytes", p->spool.len);
    p->offset_known = false;
    o = perform(p, REQ_FINISH);
    if (o != PUT_OK)
        return o;
    if (p->resp.status == 409) {
        snprintf(p->why, sizeof(p->why),
                 "completing PATCH conflicts: the server is at %" PRIu64
                 " (%s)",
                 p->resp.offset, client_http_state_name(p->resp.state));
        return PUT_RETRY;
    }
    if (p->resp.status < 200 || p->resp.status > 299)
        return refused(p, "the completion");
    progress(p, "log %s complete: %" PRIu64 " bytes, digest verified", p->name,
             p->spool.len);
    return PUT_DONE;
}

/* Decides the next request from what the server last said. */
static enum put_outcome advance(struct put *p)
{
    struct client_spool *sp = &p->spool;

    if (p->state == CLIENT_HTTP_STATE_COMPLETE) {
        if (p->complete && sp->eof && p->offset == sp->len) {
            progress(p, "log %s complete: %" PRIu64 " bytes", p->name,
                     p->offset);
            return PUT_DONE;
        }
        say("log %s was completed on the server at %" PRIu64
            " bytes, but this writer has %s%" PRIu64 " bytes",
            p->name, p->offset, sp->eof ? "" : "at least ", sp->len);
        return PUT_FATAL;
    }
    if (p->offset > sp->len) {
        say("the server has %" PRIu64 " bytes of log %s but this writer "
            "only read %" PRIu64 ": another writer is using the name",
            p->offset, p->name, sp->len);
        return PUT_FATAL;
    }
    if (p->offset < sp->len || !sp->eof)
        return append(p);
    if (!p->complete) {
        if (p->state == CLIENT_HTTP_STATE_LIVE) {
            progress(p, "left live at %" PRIu64 " bytes (--no-complete)",
                     p->offset);
            return PUT_DONE;
        }
        return append(p); /* empty PATCH: makes the stream live again */
    }
    return finish(p);
}

/* One step: learn where the server is if needed, then act. */
static enum put_outcome step(struct put *p)
{
    enum put_outcome o;

    if (!p->created && p->maybe_created) {
        o = head(p);
        if (o != PUT_OK)
            return o;
    }
    if (!p->created)
        return create(p);
    if (!p->offset_known) {
        o = head(p);
        if (o != PUT_OK)
            return o;
    }
    return advance(p);
}

static int give_up(const struct put *p)
{
    if (p->best > 0 || p->created)
        say("giving up on log %s after %u failed attempt%s in a row (%s); "
            "at its last answer the server had %" PRIu64 " of the %" PRIu64
            " bytes read",
            p->name, p->failures, p->failures == 1 ? "" : "s", p->why, p->best,
            p->spool.len);
    else
        say("giving up on log %s after %u failed attempt%s in a row (%s); "
            "the server has no bytes of it",
            p->name, p->failures, p->failures == 1 ? "" : "s", p->why);
    return 1;
}

static int run(struct put *p)
{
    for (;;) {
        enum put_outcome o;

        if (p->failures > 0) {
            uint64_t ms;
            int rc;

            if (p->failures > p->retries)
                return give_up(p);
            ms = client_http_backoff_ms(p->failures, client_http_random());
            progress(p, "%s; retry %u of %" PRIu64 " in %" PRIu64 " ms", p->why,
                     p->failures, p->retries, ms);
            rc = client_spool_drain(&p->spool, ms);
            if (rc < 0) {
                say("reading %s: %s", p->path != NULL ? p->path : "stdin",
                    strerror(-rc));
                return 1;
            }
        }
        o = step(p);
        if (o == PUT_DONE)
            return 0;
        if (o == PUT_FATAL)
            return 1;
        if (o == PUT_RETRY)
            p->failures++;
    }
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
    va_list ap;

    fputs("livelog put: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'livelog put --help'.\n", stderr);
    return 2;
}

/* Parses the command line into p (server URL into *ret_server). Returns
 * -1 to go on, or an exit code (0 for --help, 2 for a usage error). */
static int parse_args(int argc, char **argv, struct put *p,
                      const char **ret_server)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    bool opts = true;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;

        if (opts && strcmp(a, "--") == 0) {
            opts = false;
        } else if (opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(usage_text, stdout);
            return 0;
        } else if (opts &&
                   (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)) {
            p->verbose = true;
        } else if (opts && strcmp(a, "--no-complete") == 0) {
            p->complete = false;
        } else if (opts && client_http_flag_value(argc, argv, &i, "--server",
                                                  &v) == 0) {
            if (v == NULL || v[0] == '\0')
                return usage_error("%s needs a URL", "--server");
            *ret_server = v;
        } else if (opts && client_http_flag_value(argc, argv, &i, "--retries",
                                                  &v) == 0) {
            if (v == NULL ||
                core_num_parse_u64(v, strlen(v), &p->retries) < 0 ||
                p->retries > 1000000)
                return usage_error("--retries needs a number, not '%s'",
                                   v != NULL ? v : "");
        } else if (opts && a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (pos[0] == NULL || pos[0][0] == '\0')
        return usage_error("%s", "missing NAME");
    p->name = pos[0];
    p->path = pos[1];
    if (p->path != NULL && strcmp(p->path, "-") == 0)
        p->path = NULL;
    return -1;
}

int client_put_main(int argc, char **argv)
{
    struct put *p = calloc(1, sizeof(*p));
    const char *server = NULL;
    int rc, code = 1;

    if (p == NULL) {
        say("out of memory");
        return 1;
    }
    p->retries = PUT_DEFAULT_RETRIES;
    p->complete = true;
    p->spool.tmp_fd = -1;
    code = parse_args(argc, argv, p, &server);
    if (code >= 0)
        goto out;
    code = 1;
    if (server == NULL)
        server = getenv("LIVELOG_URL");
    if (server == NULL || server[0] == '\0')
        server = CLIENT_HTTP_DEFAULT_URL;
    p->url = client_http_log_url(server, p->name);
    p->plain_http = strncasecmp(server, "http://", 7) == 0;
    if (p->url == NULL || client_http_global_init() < 0) {
        say("out of memory");
        goto out;
    }
    rc = client_spool_open(&p->spool, p->path);
    if (rc < 0) {
        if (p->path != NULL)
            say("cannot open %s: %s", p->path, strerror(-rc));
        else
            say("cannot create the spool file in $TMPDIR: %s", strerror(-rc));
        goto out_curl;
    }
    code = run(p);
    client_spool_close(&p->spool);
out_curl:
    curl_global_cleanup();
out:
    free(p->url);
    free(p);
    return code;
}
