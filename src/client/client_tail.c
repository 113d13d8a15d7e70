/* client_tail: `livelog tail URL`. Prints a log to stdout, follows it
 * while live (-f), and after a lost connection or a server restart asks
 * for `Range: bytes=N-` where N is the absolute offset of the next byte
 * it has not printed, so no byte is printed twice or skipped. Runs on the
 * main thread of the process; the algorithm is in docs/CLIENTS.md. */
#include "client/client_tail.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_http.h"
#include "core/core_num.h"

#define TAIL_DEFAULT_RETRIES 30u
#define TAIL_HEAD_TIMEOUT_MS 30000L

static const char usage_text[] =
    "usage: livelog tail URL [-f] [-n LINES] [--token SECRET] [--retries N]\n"
    "                    [--verbose]\n"
    "Prints the log at URL (http://HOST:60023/v1/logs/NAME), resuming\n"
    "after failures without printing a byte twice or skipping one.\n"
    "  -f, --follow     keep following while the log is live; exit when "
    "it\n"
    "                   completes\n"
    "  -n LINES         start at the LINES-th last line\n"
    "  --token SECRET   read credential (env LIVELOG_TOKEN), sent as\n"
    "                   Authorization: Bearer\n"
    "  --retries N      give up after N failed attempts in a row (default "
    "30)\n"
    "  --verbose        print progress on stderr\n"
    "Exit status: 0 done, 1 failed, 2 usage error.\n";

/* What one request ended with. */
enum tail_outcome {
    TAIL_OK,    /* go on at once (more to read) */
    TAIL_DONE,  /* everything was printed (or stdout was closed) */
    TAIL_RETRY, /* a transient failure (t->why says which): back off */
    TAIL_FATAL, /* give up now; the message was printed */
};

/* Everything one run of the verb knows. */
struct tail {
    /* configuration */
    const char *url;  /* the read URL as given */
    char *auth;       /* "Authorization: Bearer ..." or NULL (owned) */
    bool follow;      /* -f */
    bool has_lines;   /* -n given */
    uint64_t lines;   /* its value */
    uint64_t retries; /* failed attempts in a row before giving up */
    bool verbose;     /* progress lines on stderr */
    /* where printing stands */
    bool started;   /* a 200/206 fixed the first byte to print */
    uint64_t next;  /* absolute offset of the next byte to print */
    bool end_known; /* without -f: where printing stops */
    uint64_t end;   /* that offset (exclusive) */
    /* the request in flight */
    bool positioned;   /* the answer's status was looked at */
    bool body_is_log;  /* the body is log bytes (200/206) */
    uint64_t resp_pos; /* absolute offset of the body's next byte */
    uint64_t printed;  /* bytes printed by this request */
    int out_err;       /* negative errno writing stdout, or 0 */
    bool proto_err;    /* the answer did not fit (t->why says how) */
    struct client_http_resp resp;
    /* retries */
    unsigned failures; /* failed attempts in a row */
    char why[512];     /* what the last failure was */
};

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    client_http_vsay("tail", fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void progress(const struct tail *t,
                                                           const char *fmt, ...)
{
    va_list ap;

    if (!t->verbose)
        return;
    va_start(ap, fmt);
    client_http_vsay("tail", fmt, ap);
    va_end(ap);
}

/* Looks at the answer's status and headers once, before its first body
 * byte (or after an empty body): where the body starts and whether it is
 * log bytes. Sets t->proto_err when it cannot be used without skipping
 * bytes. */
static void position(struct tail *t)
{
    struct client_http_resp *r = &t->resp;

    t->positioned = true;
    if (r->status == 200) {
        t->resp_pos = 0;
    } else if (r->status == 206 && r->has_range && r->range.satisfied) {
        t->resp_pos = r->range.first;
    } else if (r->status == 206) {
        snprintf(t->why, sizeof(t->why),
                 "206 answer without a usable Content-Range");
        t->proto_err = true;
        return;
    } else {
        return; /* not log bytes: an error message */
    }
    if (!t->started) {
        t->started = true;
        t->next = t->resp_pos;
    } else if (t->resp_pos > t->next) {
        snprintf(t->why, sizeof(t->why),
                 "the server answered from byte %" PRIu64 ", not %" PRIu64,
                 t->resp_pos, t->next);
        t->proto_err = true;
        return;
    }
    if (!t->follow && !t->end_known && r->has_length) {
        t->end_known = true;
        t->end = t->resp_pos + r->length;
    }
    t->body_is_log = true;
}

/* libcurl write callback: prints the part of the body that is new (at or
 * past t->next, before t->end), with full writes. Returning less than
 * given aborts the transfer. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct tail *t = userdata;
    size_t n = size * nmemb;
    uint64_t start, stop, lo, hi;
    int rc;

    if (!t->positioned)
        position(t);
    if (t->proto_err)
        return 0;
    if (!t->body_is_log) {
        client_http_resp_capture(&t->resp, ptr, n);
        return n;
    }
    start = t->resp_pos;
    stop = start + n;
    t->resp_pos = stop;
    lo = t->next;
    hi = stop;
    if (t->end_known && hi > t->end)
        hi = t->end;
    if (hi <= lo)
        return n; /* already printed, or past the end */
    rc = client_http_write_all(STDOUT_FILENO, ptr + (lo - start),
                               (size_t)(hi - lo));
    if (rc < 0) {
        t->out_err = rc;
        return 0;
    }
    t->next = hi;
    t->printed += hi - lo;
    return n;
}

/* libcurl write callback of HEAD (no body expected). */
static size_t on_discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

/* Builds the GET URL: the given one plus follow=0 (without -f) and
 * tail=N (first request with -n). Returns a malloc'ed string or NULL. */
static char *get_url(const struct tail *t)
{
    size_t cap = strlen(t->url) + 64;
    char *u = malloc(cap);
    char sep = strchr(t->url, '?') != NULL ? '&' : '?';
    size_t len;
    int n;

    if (u == NULL)
        return NULL;
    len = strlen(t->url);
    memcpy(u, t->url, len + 1);
    if (!t->follow) {
        n = snprintf(u + len, cap - len, "%cfollow=0", sep);
        len += (size_t)n;
        sep = '&';
    }
    if (!t->started && t->has_lines)
        snprintf(u + len, cap - len, "%ctail=%" PRIu64, sep, t->lines);
    return u;
}

/* Prints the URL without its query (which may hold a signature). */
static void progress_url(const struct tail *t, const char *what,
                         const char *url)
{
    size_t q = strcspn(url, "?#");

    progress(t, "%s %.*s%s", what, (int)q, url, url[q] != '\0' ? "?..." : "");
}

/* Adds the headers of a request. Returns 0 or -ENOMEM. */
static int add_headers(const struct tail *t, bool ranged,
                       struct curl_slist **list)
{
    char range[96];
    struct curl_slist *l;

    if (t->auth != NULL) {
        l = curl_slist_append(*list, t->auth);
        if (l == NULL)
            return -ENOMEM;
        *list = l;
    }
    if (!ranged)
        return 0;
    if (t->end_known)
        snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-%" PRIu64,
                 t->next, t->end - 1);
    else
        snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-", t->next);
    l = curl_slist_append(*list, range);
    if (l == NULL)
        return -ENOMEM;
    *list = l;
    return 0;
}

/* HEAD of the log after a follow ended: complete (and all printed) means
 * done; complete with more bytes means read on; live or interrupted
 * means the writer may still add bytes: back off and look again. */
static enum tail_outcome check_state(struct tail *t)
{
    struct curl_slist *hdrs = NULL;
    enum tail_outcome o;
    CURLcode cc;
    CURL *h;

    h = client_http_easy(t->url, &t->resp);
    if (h == NULL || add_headers(t, false, &hdrs) < 0) {
        say("out of memory");
        o = TAIL_FATAL;
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TAIL_HEAD_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_discard);
    cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        snprintf(t->why, sizeof(t->why), "HEAD failed: %s",
                 client_http_error_text(cc, &t->resp));
        o = client_http_transient(cc) ? TAIL_RETRY : TAIL_FATAL;
        if (o == TAIL_FATAL)
            say("%s", t->why);
        goto out;
    }
    if (t->resp.status != 200) {
        snprintf(t->why, sizeof(t->why), "HEAD answered %ld", t->resp.status);
        o = t->resp.status >= 500 ? TAIL_RETRY : TAIL_FATAL;
        if (o == TAIL_FATAL)
            say("%s", t->why);
        goto out;
    }
    if (!t->resp.has_offset) {
        snprintf(t->why, sizeof(t->why), "HEAD answer without Upload-Offset");
        o = TAIL_RETRY;
        goto out;
    }
    if (t->resp.offset < t->next) {
        say("the log has %" PRIu64 " bytes, fewer than the %" PRIu64
            " already printed",
            t->resp.offset, t->next);
        o = TAIL_FATAL;
    } else if (t->resp.offset > t->next) {
        o = TAIL_OK; /* more bytes: read on at once */
    } else if (t->resp.state == CLIENT_HTTP_STATE_COMPLETE) {
        progress(t, "log complete at %" PRIu64 " bytes", t->next);
        o = TAIL_DONE;
    } else {
        snprintf(t->why, sizeof(t->why), "the log is %s at %" PRIu64 " bytes",
                 client_http_state_name(t->resp.state), t->next);
        o = TAIL_RETRY;
    }
out:
    curl_slist_free_all(hdrs);
    if (h != NULL)
        curl_easy_cleanup(h);
    return o;
}

/* Classifies a finished GET with a status (cc == CURLE_OK). */
static enum tail_outcome answered(struct tail *t)
{
    struct client_http_resp *r = &t->resp;
    long st = r->status;

    if (st == 200 || st == 206) {
        if (!t->follow)
            return TAIL_DONE;
        if (r->state == CLIENT_HTTP_STATE_COMPLETE && r->has_length)
            return TAIL_DONE; /* the rest of a complete log, all of it */
        return check_state(t);
    }
    if (st == 416 && r->has_range && !r->range.satisfied &&
        r->range.complete_len == t->next) {
        if (r->state == CLIENT_HTTP_STATE_COMPLETE)
            return TAIL_DONE;
        return check_state(t);
    }
    if (st == 416) {
        say("the server cannot serve from byte %" PRIu64 " (416): %s", t->next,
            client_http_resp_message(r));
        return TAIL_FATAL;
    }
    if (st >= 500) {
        snprintf(t->why, sizeof(t->why), "GET answered %ld: %s", st,
                 client_http_resp_message(r));
        return TAIL_RETRY;
    }
    say("%s (%ld)", client_http_resp_message(r), st);
    return TAIL_FATAL;
}

/* One GET from where printing stands. */
static enum tail_outcome fetch(struct tail *t)
{
    struct curl_slist *hdrs = NULL;
    enum tail_outcome o = TAIL_FATAL;
    char *url = NULL;
    CURLcode cc;
    CURL *h = NULL;

    if (!t->follow && t->end_known && t->next >= t->end)
        return TAIL_DONE;
    url = get_url(t);
    if (url != NULL)
        h = client_http_easy(url, &t->resp);
    if (h == NULL || add_headers(t, t->started, &hdrs) < 0) {
        say("out of memory");
        goto out;
    }
    if (t->started)
        progress(t, "reading from byte %" PRIu64, t->next);
    progress_url(t, "GET", url);
    t->positioned = false;
    t->body_is_log = false;
    t->proto_err = false;
    t->printed = 0;
    t->out_err = 0;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    cc = curl_easy_perform(h);
    if (t->printed > 0)
        t->failures = 0; /* progress */
    if (t->out_err == -EPIPE) {
        o = TAIL_DONE; /* the reader of stdout is gone: quietly */
    } else if (t->out_err < 0) {
        say("writing stdout: %s", strerror(-t->out_err));
    } else if (t->proto_err) {
        o = TAIL_RETRY;
    } else if (cc != CURLE_OK) {
        snprintf(t->why, sizeof(t->why), "GET failed: %s",
                 client_http_error_text(cc, &t->resp));
        o = client_http_transient(cc) ? TAIL_RETRY : TAIL_FATAL;
        if (o == TAIL_FATAL)
            say("%s", t->why);
    } else {
        if (!t->positioned)
            position(t); /* empty body */
        o = t->proto_err ? TAIL_RETRY : answered(t);
    }
out:
    curl_slist_free_all(hdrs);
    if (h != NULL)
        curl_easy_cleanup(h);
    free(url);
    return o;
}

static int run(struct tail *t)
{
    for (;;) {
        enum tail_outcome o;

        if (t->failures > 0) {
            uint64_t ms;

            if (t->failures > t->retries) {
                say("giving up after %u failed attempt%s in a row (%s); "
                    "printed up to byte %" PRIu64,
                    t->failures, t->failures == 1 ? "" : "s", t->why, t->next);
                return 1;
            }
            ms = client_http_backoff_ms(t->failures, client_http_random());
            progress(t, "%s; retry %u of %" PRIu64 " in %" PRIu64 " ms", t->why,
                     t->failures, t->retries, ms);
            client_http_sleep_ms(ms);
        }
        o = fetch(t);
        if (o == TAIL_DONE)
            return 0;
        if (o == TAIL_FATAL)
            return 1;
        if (o == TAIL_RETRY)
            t->failures++;
    }
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
    va_list ap;

    fputs("livelog tail: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'livelog tail --help'.\n", stderr);
    return 2;
}

/* Parses the command line into t (token into *ret_token). Returns -1 to
 * go on, or an exit code (0 for --help, 2 for a usage error). */
static int parse_args(int argc, char **argv, struct tail *t,
                      const char **ret_token)
{
    bool opts = true;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;

        if (opts && strcmp(a, "--") == 0) {
            opts = false;
        } else if (opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(usage_text, stdout);
            return 0;
        } else if (opts &&
                   (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0)) {
            t->follow = true;
        } else if (opts &&
                   (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)) {
            t->verbose = true;
        } else if (opts &&
                   (client_http_flag_value(argc, argv, &i, "-n", &v) == 0 ||
                    client_http_flag_value(argc, argv, &i, "--lines", &v) ==
                        0)) {
            if (v == NULL || core_num_parse_u64(v, strlen(v), &t->lines) < 0)
                return usage_error("-n needs a number of lines, not '%s'",
                                   v != NULL ? v : "");
            t->has_lines = true;
        } else if (opts &&
                   client_http_flag_value(argc, argv, &i, "--token", &v) == 0) {
            if (v == NULL)
                return usage_error("%s needs a value", "--token");
            *ret_token = v;
        } else if (opts && client_http_flag_value(argc, argv, &i, "--retries",
                                                  &v) == 0) {
            if (v == NULL ||
                core_num_parse_u64(v, strlen(v), &t->retries) < 0 ||
                t->retries > 1000000)
                return usage_error("--retries needs a number, not '%s'",
                                   v != NULL ? v : "");
        } else if (opts && a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (t->url == NULL) {
            t->url = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (t->url == NULL || t->url[0] == '\0')
        return usage_error("%s", "missing URL");
    return -1;
}

int client_tail_main(int argc, char **argv)
{
    struct tail *t = calloc(1, sizeof(*t));
    const char *token = NULL;
    int rc, code;

    if (t == NULL) {
        say("out of memory");
        return 1;
    }
    t->retries = TAIL_DEFAULT_RETRIES;
    code = parse_args(argc, argv, t, &token);
    if (code >= 0)
        goto out;
    rc = client_http_bearer(token, &t->auth);
    if (rc == -EINVAL) {
        code = usage_error("%s", "the token holds a line break");
        goto out;
    }
    if (rc < 0) {
        say("out of memory");
        code = 1;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    if (client_http_global_init() < 0) {
        say("out of memory");
        code = 1;
        goto out;
    }
    code = run(t);
    curl_global_cleanup();
out:
    if (t->auth != NULL) {
        explicit_bzero(t->auth, strlen(t->auth));
        free(t->auth);
    }
    free(t);
    return code;
}
