/* http_search: search over a whole stored log, streamed as NDJSON, and
 * line-to-offset lookups for the viewer (see http_search.h). A search is
 * one content reader: each libmicrohttpd callback scans at most
 * STEP_BYTES of the log (or stops earlier when its output buffer is
 * nearly full), so a 100 MB scan never holds a listener thread for long
 * and a slow client costs SEARCH_MEMORY bytes, not the matches. */
#include "http/http_search.h"

#include <errno.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_json.h"
#include "core/core_num.h"
#include "http/http_respond.h"
#include "log/log.h"
#include "severity/severity.h"
#include "store/store_index.h"
#include "store/store_stream.h"

#define IN_CAP (128 * 1024)  /* bytes read from the log at once       */
#define OUT_CAP (128 * 1024) /* NDJSON waiting for the client          */
#define STEP_BYTES (1 << 20) /* log bytes scanned per callback, at most */
#define SEARCHES_MAX 16      /* concurrent searches per process        */
#define RECORD_MAX (HTTP_SEARCH_TEXT_MAX * 6 + 160) /* one NDJSON line */
#define LINES_RETRIES 8
#define TIME_RUN_MAX 44 /* one [line,ms] of a /v1/lines answer, in JSON */

static atomic_uint searches;

struct search {
    struct stream *stream; /* referenced */
    enum severity sev;     /* severity=: the class matched; NONE: q */
    bool regex, icase;
    regex_t re; /* regex only */
    char needle[HTTP_SEARCH_QUERY_MAX + 1];
    size_t nlen;
    uint64_t off, end; /* next byte to read; where the scan stops */
    uint64_t line;     /* number of the current line, from 1 */
    uint64_t line_off; /* offset of its first byte */
    bool line_started;
    size_t line_len; /* bytes of it kept in linebuf */
    uint64_t matches;
    bool finished; /* the last record is in out */
    char in[IN_CAP];
    size_t in_len, in_pos;
    char linebuf[HTTP_SEARCH_LINE_MAX];
    char clean[HTTP_SEARCH_LINE_MAX + 1]; /* escapes removed, NUL-ended */
    char fold[HTTP_SEARCH_LINE_MAX + 1];  /* clean, lower-cased (icase) */
    char out[OUT_CAP];
    size_t out_len, out_pos;
};

#define RAW(j, lit) core_json_raw((j), "" lit, sizeof(lit) - 1)

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The line as a terminal shows its characters: escape sequences (CSI,
 * OSC up to BEL or ST, two-byte ESC x) removed, NUL bytes as spaces.
 * Carriage returns stay (the viewer collapses them). Returns the length
 * written to out (at most len). Pure. */
static size_t strip_escapes(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c != 0x1b) {
            out[o++] = c == '\0' ? ' ' : c;
            continue;
        }
        if (i + 1 >= len)
            break;
        char k = in[++i];
        if (k == '[') {
            while (i + 1 < len && !(in[i + 1] >= 0x40 && in[i + 1] <= 0x7e))
                i++;
            i++; /* the final byte */
        } else if (k == ']') {
            while (i + 1 < len && in[i + 1] != 0x07 &&
                   !(in[i + 1] == 0x1b && i + 2 < len && in[i + 2] == '\\'))
                i++;
            if (i + 1 < len)
                i += in[i + 1] == 0x07 ? 1 : 2;
        }
    }
    return o;
}

static void out_record(struct search *q, const char *text, size_t len)
{
    if (q->out_len + len <= OUT_CAP) {
        memcpy(q->out + q->out_len, text, len);
        q->out_len += len;
    }
}

/* Matches the line in linebuf and queues its record when it matches. */
static void match_line(struct search *q)
{
    size_t clen = strip_escapes(q->linebuf, q->line_len, q->clean);
    q->clean[clen] = '\0';
    bool hit;
    if (q->sev != SEVERITY_NONE) {
        /* as the stats' tally classifies it: the raw line's start;
         * severity=error is ERROR and FATAL (the stats' `first` list) */
        size_t n = q->line_len < SEVERITY_PREFIX_MAX ? q->line_len
                                                     : SEVERITY_PREFIX_MAX;
        enum severity v = severity_classify(q->linebuf, n);
        hit = q->sev == SEVERITY_ERROR
                  ? v == SEVERITY_ERROR || v == SEVERITY_FATAL
                  : v == q->sev;
    } else if (q->regex) {
        hit = regexec(&q->re, q->clean, 0, NULL, 0) == 0;
    } else if (q->icase) {
        for (size_t i = 0; i < clen; i++)
            q->fold[i] = lower(q->clean[i]);
        hit = memmem(q->fold, clen, q->needle, q->nlen) != NULL;
    } else {
        hit = memmem(q->clean, clen, q->needle, q->nlen) != NULL;
    }
    if (!hit)
        return;
    q->matches++;
    char rec[RECORD_MAX];
    struct core_json j;
    core_json_init(&j, rec, sizeof(rec));
    RAW(&j, "{\"line\":");
    core_json_u64(&j, q->line);
    RAW(&j, ",\"offset\":");
    core_json_u64(&j, q->line_off);
    RAW(&j, ",\"text\":");
    core_json_str(&j, q->clean,
                  clen < HTTP_SEARCH_TEXT_MAX ? clen : HTTP_SEARCH_TEXT_MAX, 4);
    RAW(&j, "}\n");
    out_record(q, rec, j.len);
}

static void finish(struct search *q, const char *error)
{
    char rec[256];
    struct core_json j;
    core_json_init(&j, rec, sizeof(rec));
    if (error != NULL) {
        RAW(&j, "{\"error\":");
        core_json_str(&j, error, strlen(error), 4);
        RAW(&j, "}\n");
    } else {
        RAW(&j, "{\"done\":true,\"matches\":");
        core_json_u64(&j, q->matches);
        RAW(&j, ",\"lines\":");
        core_json_u64(&j, q->line - 1);
        RAW(&j, ",\"bytes\":");
        core_json_u64(&j, q->end);
        RAW(&j, "}\n");
    }
    out_record(q, rec, j.len);
    q->finished = true;
}

/* One step of the scan: at most STEP_BYTES read, output below the high
 * mark; queues a progress record when it found nothing to say. */
static void step(struct search *q)
{
    size_t budget = STEP_BYTES;
    size_t start_len = q->out_len;
    while (q->out_len + RECORD_MAX <= OUT_CAP) {
        if (q->in_pos == q->in_len) {
            if (q->off >= q->end) {
                if (q->line_started) {
                    match_line(q);
                    q->line++;
                    q->line_started = false;
                }
                finish(q, NULL);
                return;
            }
            if (budget == 0)
                break;
            uint64_t want = q->end - q->off;
            size_t n = want < IN_CAP ? (size_t)want : IN_CAP;
            ssize_t r = store_stream_read(q->stream->store, q->off, q->in, n);
            if (r <= 0) {
                log_warning(LOGC_HTTP, "search could not read the log",
                            LF_I64("errno", r < 0 ? -(int64_t)r : 0));
                finish(q, "the log could not be read");
                return;
            }
            q->in_len = (size_t)r;
            q->in_pos = 0;
            q->off += (uint64_t)r;
            budget -= (size_t)r < budget ? (size_t)r : budget;
        }
        const char *p = q->in + q->in_pos;
        size_t avail = q->in_len - q->in_pos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl != NULL ? (size_t)(nl - p) : avail;
        if (!q->line_started) {
            q->line_started = true;
            q->line_off = q->off - q->in_len + q->in_pos;
            q->line_len = 0;
        }
        size_t room = HTTP_SEARCH_LINE_MAX - q->line_len;
        size_t keep = take < room ? take : room;
        memcpy(q->linebuf + q->line_len, p, keep);
        q->line_len += keep;
        q->in_pos += take;
        if (nl != NULL) {
            q->in_pos++;
            match_line(q);
            q->line++;
            q->line_started = false;
        }
    }
    if (q->out_len == start_len) {
        char rec[64];
        struct core_json j;
        core_json_init(&j, rec, sizeof(rec));
        RAW(&j, "{\"progress\":");
        core_json_u64(&j, q->off);
        RAW(&j, "}\n");
        out_record(q, rec, j.len);
    }
}

static ssize_t search_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct search *q = cls;
    (void)pos;
    if (q->out_pos == q->out_len) {
        if (q->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        q->out_pos = q->out_len = 0;
        step(q);
    }
    size_t n = q->out_len - q->out_pos;
    if (n > max)
        n = max;
    memcpy(buf, q->out + q->out_pos, n);
    q->out_pos += n;
    return (ssize_t)n;
}

static void search_free(void *cls)
{
    struct search *q = cls;
    if (q->regex)
        regfree(&q->re);
    stream_unref(q->stream);
    free(q);
    atomic_fetch_sub_explicit(&searches, 1, memory_order_relaxed);
}

static const char *arg(struct http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static bool flag(struct http_request *req, const char *key)
{
    const char *v = arg(req, key);
    return v != NULL && strcmp(v, "1") == 0;
}

/* 409 when the bytes of s cannot be scanned or counted on this node. */
static const char *unsupported(struct stream *s)
{
    if (store_stream_is_evicted(s->store))
        return "the log's bytes are only in the archive store: read it "
               "from /v1/logs/NAME\n";
    if (store_stream_is_elided(s->store))
        return "the log's middle was elided (--over-limit=keep-tail): "
               "its lines are not numbered\n";
    return NULL;
}

static int line_offset(struct stream *s, uint64_t k, uint64_t *ret_off,
                       uint64_t *ret_lines);
static int number(struct http_request *req, const char *key, uint64_t *ret);

enum MHD_Result http_search_serve(struct http_request *req, struct stream *s,
                                  const char *cors_origin)
{
    const char *text = arg(req, "q");
    const char *level = arg(req, "severity");
    enum severity sev = SEVERITY_NONE;
    if (level != NULL && strcmp(level, "warning") == 0)
        sev = SEVERITY_WARNING;
    else if (level != NULL && strcmp(level, "error") == 0)
        sev = SEVERITY_ERROR;
    uint64_t from = 1;
    int has_from = number(req, "from", &from);
    if (level != NULL && (sev == SEVERITY_NONE || text != NULL))
        return http_respond_text_cors(
            req->conn, cors_origin, MHD_HTTP_BAD_REQUEST,
            "give q or severity=warning or severity=error\n", NULL, NULL);
    if (sev == SEVERITY_NONE && (text == NULL || text[0] == '\0' ||
                                 strlen(text) > HTTP_SEARCH_QUERY_MAX))
        return http_respond_text_cors(
            req->conn, cors_origin, MHD_HTTP_BAD_REQUEST,
            "q must be 1 to 1024 bytes\n", NULL, NULL);
    if (has_from < 0 || from == 0)
        return http_respond_text_cors(
            req->conn, cors_origin, MHD_HTTP_BAD_REQUEST,
            "from is a line number, from 1\n", NULL, NULL);
    const char *why = unsupported(s);
    if (why != NULL)
        return http_respond_text_cors(req->conn, cors_origin, MHD_HTTP_CONFLICT,
                                      why, NULL, NULL);
    if (atomic_fetch_add_explicit(&searches, 1, memory_order_relaxed) >=
        SEARCHES_MAX) {
        atomic_fetch_sub_explicit(&searches, 1, memory_order_relaxed);
        return http_respond_text_cors(req->conn, cors_origin,
                                      MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "too many searches at once; try again\n",
                                      MHD_HTTP_HEADER_RETRY_AFTER, "1");
    }
    struct search *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        atomic_fetch_sub_explicit(&searches, 1, memory_order_relaxed);
        return MHD_NO;
    }
    q->sev = sev;
    q->regex = sev == SEVERITY_NONE && flag(req, "regex");
    q->icase = !flag(req, "case");
    q->line = 1;
    if (from > 1) {
        /* the scan starts at line `from` (the end when there is none) */
        uint64_t off = 0, lines = 0;
        /* opens the line index if it is not yet (http_search_lines) */
        int rc = store_stream_tail_offset(s->store, UINT64_MAX, &off);
        if (rc == 0)
            rc = line_offset(s, from - 1, &off, &lines);
        if (rc != 0) {
            free(q);
            atomic_fetch_sub_explicit(&searches, 1, memory_order_relaxed);
            log_warning(LOGC_HTTP, "line lookup failed",
                        LF_I64("errno", -(int64_t)rc));
            return http_respond_text_cors(
                req->conn, cors_origin, MHD_HTTP_INTERNAL_SERVER_ERROR,
                "the line index could not be read\n", NULL, NULL);
        }
        q->off = off;
        q->line = from - 1 < lines ? from : lines + 1;
    }
    q->end = store_stream_length(s->store); /* after off: never before it */
    if (q->sev != SEVERITY_NONE) {
        /* no pattern */
    } else if (q->regex) {
        int flags = REG_EXTENDED | REG_NOSUB | (q->icase ? REG_ICASE : 0);
        if (regcomp(&q->re, text, flags) != 0) {
            free(q);
            atomic_fetch_sub_explicit(&searches, 1, memory_order_relaxed);
            return http_respond_text_cors(
                req->conn, cors_origin, MHD_HTTP_BAD_REQUEST,
                "q is not a valid POSIX extended regular expression\n", NULL,
                NULL);
        }
    } else {
        q->nlen = strlen(text);
        for (size_t i = 0; i < q->nlen; i++)
            q->needle[i] = q->icase ? lower(text[i]) : text[i];
    }
    stream_ref(s);
    q->stream = s;
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 64 * 1024, search_read, q, search_free);
    if (resp == NULL) {
        search_free(q);
        return MHD_NO;
    }
    http_respond_base_headers(resp);
    MHD_del_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/x-ndjson");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    http_respond_cors(resp, cors_origin);
    return http_respond_queue(req->conn, MHD_HTTP_OK, resp);
}

/* Offset of line k (0-based) of s against a line count that did not move
 * while it was looked up. Returns 0 or a negative errno. */
static int line_offset(struct stream *s, uint64_t k, uint64_t *ret_off,
                       uint64_t *ret_lines)
{
    for (int i = 0; i < LINES_RETRIES; i++) {
        uint64_t lines = store_stream_lines(s->store);
        uint64_t len = store_stream_length(s->store);
        uint64_t off = 0;
        if (k >= lines) {
            off = len;
        } else if (k > 0) {
            int rc = store_stream_tail_offset(s->store, lines - k, &off);
            if (rc != 0)
                return rc;
        }
        if (store_stream_lines(s->store) == lines) {
            *ret_off = off;
            *ret_lines = lines;
            return 0;
        }
    }
    return -EAGAIN;
}

static int number(struct http_request *req, const char *key, uint64_t *ret)
{
    const char *v = arg(req, key);
    if (v == NULL)
        return 0;
    return core_num_parse_u64(v, strlen(v), ret) == 0 ? 1 : -EINVAL;
}

enum MHD_Result http_search_lines(struct http_request *req, struct stream *s,
                                  const char *cors_origin)
{
    uint64_t tail = 0, line = 0, count = 0;
    int has_tail = number(req, "tail", &tail);
    int has_line = number(req, "line", &line);
    int has_count = number(req, "count", &count);
    bool times = flag(req, "times");
    if (has_tail < 0 || has_line < 0 || has_count < 0 ||
        has_tail + has_line != 1 || (has_line && line == 0))
        return http_respond_text_cors(
            req->conn, cors_origin, MHD_HTTP_BAD_REQUEST,
            "give either line=K (from 1) or tail=N, and optionally count=C\n",
            NULL, NULL);
    if (times && count > HTTP_LINES_TIMES_MAX)
        return http_respond_text_cors(
            req->conn, cors_origin, MHD_HTTP_BAD_REQUEST,
            "with times=1, count is at most 10000\n", NULL, NULL);
    const char *why = unsupported(s);
    if (why != NULL)
        return http_respond_text_cors(req->conn, cors_origin, MHD_HTTP_CONFLICT,
                                      why, NULL, NULL);
    /* The line index is opened with the data file, on first use: until
     * then store_stream_lines is 0. tail_offset opens both (and answers
     * at once for a count past the end). */
    uint64_t unused = 0;
    int rc = store_stream_tail_offset(s->store, UINT64_MAX, &unused);
    uint64_t lines = store_stream_lines(s->store);
    uint64_t k = has_tail ? (lines > tail ? lines - tail : 0) : line - 1;
    uint64_t off = 0, end = 0, lines_now = 0, k_end = k;
    if (rc == 0)
        rc = line_offset(s, k, &off, &lines_now);
    if (rc == 0 && has_tail && lines_now != lines) {
        /* lines arrived: count the tail from the newer end */
        lines = lines_now;
        k = lines > tail ? lines - tail : 0;
        rc = line_offset(s, k, &off, &lines_now);
    }
    if (rc == 0) {
        k_end = count > UINT64_MAX - k ? UINT64_MAX : k + count;
        rc = line_offset(s, k_end, &end, &lines_now);
    }
    if (rc != 0) {
        log_warning(LOGC_HTTP, "line lookup failed",
                    LF_I64("errno", -(int64_t)rc));
        return http_respond_text_cors(
            req->conn, cors_origin, MHD_HTTP_INTERNAL_SERVER_ERROR,
            "the line index could not be read\n", NULL, NULL);
    }
    if (k > lines_now)
        return http_respond_text_cors(
            req->conn, cors_origin, MHD_HTTP_RANGE_NOT_SATISFIABLE,
            "line is past the end of the log\n", NULL, NULL);
    if (k_end > lines_now)
        k_end = lines_now;
    /* The receive times of lines [k, k_end): runs of [line, ms]. */
    struct store_index_time *runs = NULL;
    size_t nruns = 0;
    uint64_t times_end = k;
    if (times && k_end > k) {
        runs = calloc((size_t)(k_end - k), sizeof(*runs));
        if (runs == NULL)
            return MHD_NO;
        rc = store_stream_line_times(s->store, k, k_end, runs,
                                     (size_t)(k_end - k), &nruns, &times_end);
        if (rc != 0) {
            free(runs);
            log_warning(LOGC_HTTP, "line times lookup failed",
                        LF_I64("errno", -(int64_t)rc));
            return http_respond_text_cors(
                req->conn, cors_origin, MHD_HTTP_INTERNAL_SERVER_ERROR,
                "the line index could not be read\n", NULL, NULL);
        }
    }
    size_t cap = 512 + nruns * TIME_RUN_MAX;
    char *buf = malloc(cap);
    if (buf == NULL) {
        free(runs);
        return MHD_NO;
    }
    struct core_json j;
    core_json_init(&j, buf, cap);
    RAW(&j, "{\"line\":");
    core_json_u64(&j, k + 1);
    RAW(&j, ",\"offset\":");
    core_json_u64(&j, off);
    RAW(&j, ",\"end_line\":");
    core_json_u64(&j, k_end + 1);
    RAW(&j, ",\"end\":");
    core_json_u64(&j, end);
    RAW(&j, ",\"lines\":");
    core_json_u64(&j, lines_now);
    RAW(&j, ",\"length\":");
    core_json_u64(&j, store_stream_length(s->store));
    RAW(&j, ",\"state\":\"");
    const char *st = store_stream_state_name(store_stream_state(s->store));
    core_json_raw(&j, st, strlen(st));
    RAW(&j, "\"");
    if (times) {
        RAW(&j, ",\"times_end\":");
        core_json_u64(&j, times_end + 1);
        RAW(&j, ",\"times\":[");
        for (size_t i = 0; i < nruns; i++) {
            RAW(&j, "[");
            core_json_u64(&j, runs[i].line + 1);
            RAW(&j, ",");
            core_json_u64(&j, runs[i].time_ms);
            RAW(&j, "]");
            if (i + 1 < nruns)
                RAW(&j, ",");
        }
        RAW(&j, "]");
    }
    free(runs);
    RAW(&j, "}\n");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(j.len, buf, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(buf);
        return MHD_NO;
    }
    http_respond_base_headers(resp);
    MHD_del_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    http_respond_cors(resp, cors_origin);
    return http_respond_queue(req->conn, MHD_HTTP_OK, resp);
}
