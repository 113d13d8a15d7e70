/* client_put: `livelog put NAME [FILE]`. Creates URL/v1/logs/NAME with an
 * empty PUT (so its read URL is known at once), streams stdin (or FILE)
 * into it with PATCH while it is being written, keeps every byte in a
 * spool (client_spool.c), and after any failure asks the server how much
 * it has (HEAD -> Upload-Offset) and re-sends from exactly there (PATCH),
 * so the server ends up with every byte once. At end of input a last
 * PATCH completes the stream with a Repr-Digest the server verifies. For
 * CI jobs: a bearer token and a private CA on every request, a --tee copy
 * of the input on stdout, and after giving up the input is still read to
 * its end so its writer never meets a closed pipe. Runs on the main
 * thread of the process; the algorithm is in docs/CLIENTS.md. */
#include "client/client_put.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_http.h"
#include "client/client_spool.h"
#include "core/core_num.h"

#define PUT_DEFAULT_RETRIES 20u
/* HEAD and the creating PUT: requests without a body to wait for */
#define PUT_HEAD_TIMEOUT_MS 30000L
/* the completing PATCH makes the server hash the whole stream */
#define PUT_FINISH_TIMEOUT_MS 600000L

static const char usage_text[] =
    "usage: livelog put NAME [FILE] [--server URL] [--token SECRET]\n"
    "                   [--cacert FILE] [--tee] [--print-url]\n"
    "                   [--url-file FILE] [--retries N] [--no-complete]\n"
    "                   [--verbose]\n"
    "Streams stdin (or FILE) into the log NAME on a livelog server as it\n"
    "is written, resuming after failures without losing or doubling a "
    "byte.\n"
    "  --server URL     write URL of the server (env LIVELOG_URL, default\n"
    "                   " CLIENT_HTTP_DEFAULT_URL ")\n"
    "  --token SECRET   write credential (env LIVELOG_TOKEN), sent as\n"
    "                   Authorization: Bearer; never printed\n"
    "  --cacert FILE    PEM CA certificates to trust for an https:// "
    "server\n"
    "                   (env LIVELOG_CACERT)\n"
    "  --tee            copy the input to stdout as it is read\n"
    "  --print-url      print the log's read URL on stderr once the log\n"
    "                   exists (a private log's is a signed URL: a read\n"
    "                   credential)\n"
    "  --url-file FILE  write the read URL to FILE (one line, mode 0600)\n"
    "  --retries N      give up after N failed attempts in a row (default "
    "20)\n"
    "  --no-complete    leave the stream live at the end of input\n"
    "  --verbose        print progress on stderr\n"
    "Having given up, it still reads (and with --tee copies) its input to\n"
    "the end without sending it, so the writing program never meets a\n"
    "closed pipe; the exit status is 1 all the same.\n"
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
    REQ_CREATE, /* PUT, empty body, Upload-Complete: ?0 */
    REQ_APPEND, /* PATCH from p->offset, Upload-Complete: ?0 */
    REQ_FINISH, /* PATCH, empty body, Upload-Complete: ?1, Repr-Digest */
};

/* Everything one run of the verb knows. */
struct put {
    /* configuration */
    const char *name;     /* the log name as given */
    const char *server;   /* --server, or NULL */
    const char *token;    /* --token, or NULL (then LIVELOG_TOKEN) */
    const char *path;     /* FILE, or NULL for stdin */
    char *url;            /* BASE/v1/logs/ENCODED-NAME (owned) */
    uint64_t retries;     /* failed attempts in a row before giving up */
    bool complete;        /* send the completing PATCH (not --no-complete) */
    bool verbose;         /* progress lines on stderr */
    bool plain_http;      /* http:// (no TLS records arrive unasked) */
    char *auth;           /* "Authorization: Bearer ..." or NULL (owned) */
    const char *cacert;   /* --cacert / LIVELOG_CACERT, or NULL */
    bool tee;             /* --tee: input copied to stdout */
    bool print_url;       /* --print-url: read URL on stderr */
    const char *url_file; /* --url-file FILE, or NULL */
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
    bool input_failed;      /* reading the input failed: no drain */
    bool tee_reported;      /* the end of the --tee copy was told */
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

/* The input's name for messages. */
static const char *input_name(const struct put *p)
{
    return p->path != NULL ? p->path : "stdin";
}

/* Tells once that the --tee copy stopped (its reader went away, or
 * stdout failed); the upload goes on. */
static void note_tee(struct put *p)
{
    int err = p->spool.tee_err;

    if (err == 0 || p->tee_reported)
        return;
    p->tee_reported = true;
    if (err == -EPIPE)
        say("stdout was closed: no longer copying the input to it (--tee); "
            "the upload goes on");
    else
        say("writing stdout: %s: no longer copying the input to it (--tee); "
            "the upload goes on",
            strerror(-err));
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
    note_tee(p);
    if (rc < 0) {
        p->input_err = rc;
        return CURL_READFUNC_ABORT;
    }
    if (n == 0)
        progress(p, "end of input after %" PRIu64 " bytes", p->spool.len);
    p->pos += n;
    return n;
}

/* libcurl read callback of the requests without a body. */
static size_t on_read_nothing(char *buf, size_t size, size_t nitems,
                              void *userdata)
{
    (void)buf;
    (void)size;
    (void)nitems;
    (void)userdata;
    return 0;
}

/* libcurl write callback: keeps the start of the answer's body (the
 * server's message when something is wrong). */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct put *p = userdata;

    client_http_resp_capture(&p->resp, ptr, size * nmemb);
    return size * nmemb;
}

/* Appends one header line to *list. Returns 0 or -ENOMEM. */
static int add_line(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);

    if (l == NULL)
        return -ENOMEM;
    *list = l;
    return 0;
}

/* Appends a formatted header to *list. Returns 0 or -ENOMEM. */
__attribute__((format(printf, 2, 3))) static int
add_header(struct curl_slist **list, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        return -ENOMEM;
    return add_line(list, line);
}

/* The headers of the completing PATCH: offset, ?1 and the digest. */
static int finish_headers(const struct put *p, struct curl_slist **list)
{
    char b64[64];
    size_t b64_len;
    int rc = add_header(list, "Upload-Offset: %" PRIu64, p->spool.len);

    if (rc == 0)
        rc = add_header(list, "Upload-Complete: ?1");
    if (rc == 0)
        rc = client_http_base64(p->spool.digest, sizeof(p->spool.digest), b64,
                                sizeof(b64), &b64_len);
    if (rc == 0)
        rc = add_header(list, "Repr-Digest: sha-256=:%s:", b64);
    return rc;
}

/* Builds the header list of one request: the credential on every one,
 * then what the body is. Returns 0 or -ENOMEM (*ret_list then holds what
 * was built, for the caller to free). */
static int build_headers(const struct put *p, enum put_req kind,
                         struct curl_slist **ret_list)
{
    int rc = 0;

    if (p->auth != NULL)
        rc = add_line(ret_list, p->auth);
    if (rc < 0 || kind == REQ_HEAD)
        return rc;
    rc = add_header(ret_list, "Expect:");
    if (rc == 0 && kind == REQ_APPEND)
        rc = add_header(ret_list, "Upload-Offset: %" PRIu64, p->offset);
    if (rc == 0 && kind != REQ_FINISH)
        rc = add_header(ret_list, "Upload-Complete: ?0");
    if (rc == 0 && kind == REQ_APPEND)
        rc = add_header(ret_list, "Transfer-Encoding: chunked");
    if (rc == 0 && kind == REQ_FINISH)
        rc = finish_headers(p, ret_list);
    return rc;
}

/* Sets the method and body of one request on h: HEAD; PUT or the
 * completing PATCH with an empty body; PATCH with the body from on_read. */
static void set_method(CURL *h, struct put *p, enum put_req kind)
{
    if (kind == REQ_HEAD) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, PUT_HEAD_TIMEOUT_MS);
        return;
    }
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (kind != REQ_CREATE)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
    if (kind == REQ_APPEND) {
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, p);
        return;
    }
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read_nothing);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     kind == REQ_CREATE ? PUT_HEAD_TIMEOUT_MS
                                        : PUT_FINISH_TIMEOUT_MS);
}

/* Records why a transfer failed, with a hint when the server's
 * certificate was not trusted. */
static void note_transfer_error(struct put *p, const char *what, CURLcode cc)
{
    bool tls = cc == CURLE_PEER_FAILED_VERIFICATION;

    snprintf(p->why, sizeof(p->why), "%s failed: %s%s%s", what,
             client_http_error_text(cc, &p->resp),
             p->peer_gone ? " (the server closed the connection)" : "",
             tls && p->cacert == NULL
                 ? " (a server with a private CA needs --cacert or "
                   "LIVELOG_CACERT)"
                 : "");
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
    if (p->cacert != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, p->cacert);
    set_method(h, p, kind);
    cc = curl_easy_perform(h);
    if (p->input_err < 0) {
        say("reading %s into the spool: %s", input_name(p),
            strerror(-p->input_err));
        p->input_failed = true;
        o = PUT_FATAL;
    } else if (cc != CURLE_OK) {
        note_transfer_error(p, what[kind], cc);
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

/* Prints why the server refused a request for good, with what to do
 * about a refused credential (never the credential itself). */
static enum put_outcome refused(struct put *p, const char *what)
{
    const char *hint = client_http_auth_hint(p->resp.status, p->auth != NULL);

    say("the server refused %s of log %s (%ld): %s%s%s", what, p->name,
        p->resp.status, client_http_resp_message(&p->resp),
        hint != NULL ? "; " : "", hint != NULL ? hint : "");
    return PUT_FATAL;
}

/* Writes "URL\n" to path with flags (open(2)), mode 0600: a private
 * log's URL is a read credential. Returns 0 or a negative errno. */
static int write_url_to(const char *path, int flags, const char *url)
{
    int fd = open(path, flags | O_WRONLY | O_CLOEXEC, 0600);
    int rc;

    if (fd < 0)
        return -errno;
    rc = client_http_write_all(fd, url, strlen(url));
    if (rc == 0)
        rc = client_http_write_all(fd, "\n", 1);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* --url-file: a regular file (or a new one) is written whole under a
 * temporary name and renamed over path, so that a reader never sees half
 * of it; anything else (a FIFO, /dev/stderr) is written directly.
 * Returns 0 or a negative errno. */
static int write_url_file(const char *path, const char *url)
{
    char tmp[4096];
    struct stat st;
    int n, rc;

    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return write_url_to(path, O_APPEND, url);
    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    rc = write_url_to(tmp, O_CREAT | O_EXCL, url);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* --print-url and --url-file: tells where readers follow the log, from
 * the creating PUT's Livelog-Read-URL. A failure is told and the upload
 * goes on. */
static void publish_read_url(struct put *p)
{
    const char *url = p->resp.read_url;
    int rc;

    if (!p->print_url && p->url_file == NULL)
        return;
    if (!p->resp.has_read_url) {
        say("the server sent no usable Livelog-Read-URL for log %s (a "
            "private log on a server without --key-dir?)",
            p->name);
        return;
    }
    if (p->print_url)
        say("read URL: %s", url);
    if (url[0] == '/')
        say("the read URL is relative: the server has no --public-url");
    if (p->url_file == NULL)
        return;
    rc = write_url_file(p->url_file, url);
    if (rc < 0)
        say("cannot write the read URL to %s: %s", p->url_file, strerror(-rc));
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
    if (p->resp.status != 200)
        return refused(p, "HEAD");
    if (!p->resp.has_offset) {
        snprintf(p->why, sizeof(p->why),
                 "HEAD answer without a valid Upload-Offset");
        return PUT_RETRY;
    }
    if (!p->created) {
        progress(p,
                 "log %s exists after an interrupted first attempt of "
                 "ours: resuming it",
                 p->name);
        if (p->print_url || p->url_file != NULL)
            say("the answer of the PUT that created log %s was lost, and "
                "with it the read URL",
                p->name);
    }
    p->created = true;
    note_offset(p, p->resp.offset, p->resp.state);
    progress(p, "server has %" PRIu64 " bytes, state %s", p->offset,
             client_http_state_name(p->state));
    return PUT_OK;
}

/* PUT with an empty body and Upload-Complete: ?0: creates the stream,
 * live, so that its read URL is known before the first byte arrives (the
 * bytes follow with PATCH). */
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
    publish_read_url(p);
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
            note_tee(p);
            if (rc < 0) {
                say("reading %s: %s", input_name(p), strerror(-rc));
                p->input_failed = true;
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

/* The value of an option that takes one: not missing, not empty. */
static int need_value(const char *flag, const char *v, const char **ret)
{
    if (v == NULL || v[0] == '\0')
        return usage_error("%s needs a value", flag);
    *ret = v;
    return -1;
}

/* Takes argv[*i] when it is an option with a value (moving *i past the
 * value). Returns -ENOENT when it is not one, -1 when it was taken, or
 * an exit code after a usage error. */
static int value_option(int argc, char **argv, int *i, struct put *p)
{
    const char *v = NULL;

    if (client_http_flag_value(argc, argv, i, "--server", &v) == 0)
        return need_value("--server", v, &p->server);
    if (client_http_flag_value(argc, argv, i, "--cacert", &v) == 0)
        return need_value("--cacert", v, &p->cacert);
    if (client_http_flag_value(argc, argv, i, "--url-file", &v) == 0)
        return need_value("--url-file", v, &p->url_file);
    if (client_http_flag_value(argc, argv, i, "--token", &v) == 0) {
        if (v == NULL)
            return usage_error("%s needs a value", "--token");
        p->token = v; /* "" sends none, whatever LIVELOG_TOKEN says */
        return -1;
    }
    if (client_http_flag_value(argc, argv, i, "--retries", &v) == 0) {
        if (v == NULL || core_num_parse_u64(v, strlen(v), &p->retries) < 0 ||
            p->retries > 1000000)
            return usage_error("--retries needs a number, not '%s'",
                               v != NULL ? v : "");
        return -1;
    }
    return -ENOENT;
}

/* Takes argv[i] when it is an option without a value. Returns true when
 * it was one. */
static bool switch_option(const char *a, struct put *p)
{
    if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
        p->verbose = true;
    else if (strcmp(a, "--no-complete") == 0)
        p->complete = false;
    else if (strcmp(a, "--tee") == 0)
        p->tee = true;
    else if (strcmp(a, "--print-url") == 0)
        p->print_url = true;
    else
        return false;
    return true;
}

/* Parses the command line into p. Returns -1 to go on, or an exit code
 * (0 for --help, 2 for a usage error). */
static int parse_args(int argc, char **argv, struct put *p)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0, rc;
    bool opts = true;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (opts && strcmp(a, "--") == 0) {
            opts = false;
        } else if (opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(usage_text, stdout);
            return 0;
        } else if (opts && switch_option(a, p)) {
            continue;
        } else if (opts && (rc = value_option(argc, argv, &i, p)) != -ENOENT) {
            if (rc >= 0)
                return rc;
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

/* What the environment fills in: the server URL, the credential (built
 * into p->auth), the CA file. Returns -1 to go on, or an exit code. */
static int configure(struct put *p)
{
    const char *server = p->server;
    int rc;

    if (server == NULL)
        server = getenv("LIVELOG_URL");
    if (server == NULL || server[0] == '\0')
        server = CLIENT_HTTP_DEFAULT_URL;
    p->plain_http = strncasecmp(server, "http://", 7) == 0;
    if (p->cacert == NULL)
        p->cacert = getenv("LIVELOG_CACERT");
    if (p->cacert != NULL && p->cacert[0] == '\0')
        p->cacert = NULL;
    rc = client_http_bearer(p->token, &p->auth);
    if (rc == -EINVAL)
        return usage_error("%s", "the token holds a line break");
    p->url = client_http_log_url(server, p->name);
    if (rc < 0 || p->url == NULL) {
        say("out of memory");
        return 1;
    }
    return -1;
}

/* A CA file that cannot be read is told at once, by name (libcurl would
 * only fail at the first request, and not at all over http://). Returns
 * 0 or -1. */
static int check_cacert(const struct put *p)
{
    int fd;

    if (p->cacert == NULL)
        return 0;
    fd = open(p->cacert, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        say("cannot read the CA file %s: %s", p->cacert, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

/* Having failed, reads the rest of the input without sending it (and
 * with --tee copies it), so that the program writing into the pipe is
 * never stopped by a closed one (SIGPIPE, EPIPE). Not after an input
 * error, not from a terminal (a person would have to type ^D), and not a
 * regular FILE without --tee (no writer to spare, nothing to copy). */
static void read_rest(struct put *p)
{
    struct client_spool *sp = &p->spool;
    uint64_t n = 0;
    int rc;

    if (p->input_failed || sp->eof || isatty(sp->src_fd))
        return;
    if (!sp->src_pollable && !p->tee)
        return;
    say("reading %s to its end without sending it, so that its writer is "
        "not stopped",
        input_name(p));
    rc = client_spool_read_rest(sp, &n);
    note_tee(p);
    if (rc < 0)
        say("reading %s: %s", input_name(p), strerror(-rc));
    else
        say("%" PRIu64 " more bytes of %s were read and not sent", n,
            input_name(p));
}

/* Runs the upload over an open spool; after a failure, reads the rest of
 * the input. Returns the exit code. */
static int upload(struct put *p)
{
    int code;

    if (p->tee)
        client_spool_tee(&p->spool, STDOUT_FILENO);
    code = check_cacert(p) == 0 ? run(p) : 1;
    if (code != 0)
        read_rest(p);
    note_tee(p);
    return code;
}

int client_put_main(int argc, char **argv)
{
    struct put *p = calloc(1, sizeof(*p));
    int rc, code = 1;

    if (p == NULL) {
        say("out of memory");
        return 1;
    }
    p->retries = PUT_DEFAULT_RETRIES;
    p->complete = true;
    p->spool.tmp_fd = -1;
    code = parse_args(argc, argv, p);
    if (code < 0)
        code = configure(p);
    if (code >= 0)
        goto out;
    code = 1;
    signal(SIGPIPE, SIG_IGN); /* --tee learns of a closed stdout by EPIPE */
    if (client_http_global_init() < 0) {
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
    code = upload(p);
    client_spool_close(&p->spool);
out_curl:
    curl_global_cleanup();
out:
    if (p->auth != NULL) {
        explicit_bzero(p->auth, strlen(p->auth));
        free(p->auth);
    }
    free(p->url);
    free(p);
    return code;
}
