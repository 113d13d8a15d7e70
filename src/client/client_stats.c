/* client_stats: `livelog stats [URL]` (contract in client_stats.h). One
 * GET of the server's /metrics with libcurl, a strict line parser of the
 * Prometheus text format that keeps the log record counts and the service
 * figures, and the table / JSON renderer. Runs on the main thread. */
#include "client/client_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_http.h"
#include "core/core_json.h"
#include "core/core_num.h"
#include "log/log.h"

#define STATS_TIMEOUT_MS 30000L

/* Label values longer than this are never one we look for. */
#define LABEL_VALUE_MAX 128u

static const char usage_text[] =
    "usage: livelog stats [URL] [--json] [--token SECRET]\n"
    "Prints how many log records each logger of a livelog server wrote at\n"
    "each level (Fuchsia RFC-0003's `cs --log-stats`), loggers with FATAL\n"
    "or ERROR records first, then the service's streams, readers, writers\n"
    "and bytes.\n"
    "  URL              the server's metrics (/metrics when it has no path)\n"
    "                   default: " CLIENT_STATS_DEFAULT_URL "\n"
    "  --json           print one JSON object instead of the table\n"
    "  --token SECRET   credential (env LIVELOG_TOKEN), sent as\n"
    "                   Authorization: Bearer\n"
    "Exit status: 0 printed, 1 the server could not be reached or did not\n"
    "answer valid metrics, 2 usage error.\n";

/* The level columns: header text and JSON key. */
static const char *const level_heads[CLIENT_STATS_LEVELS] = {
    "FATAL", "ERROR", "WARNING", "INFO", "DEBUG", "TRACE",
};
static const char *const level_keys[CLIENT_STATS_LEVELS] = {
    "fatal", "error", "warning", "info", "debug", "trace",
};

/* Unlabelled series that are figures. */
static const struct {
    const char *name;
    enum client_stats_figure fig;
} plain_figures[] = {
    {"livelog_readers_connected", CLIENT_STATS_READERS_CONNECTED},
    {"livelog_readers_suspended", CLIENT_STATS_READERS_SUSPENDED},
    {"livelog_readers_dropped_total", CLIENT_STATS_READERS_DROPPED},
    {"livelog_writers", CLIENT_STATS_WRITERS},
    {"livelog_bytes_received_total", CLIENT_STATS_BYTES_RECEIVED},
    {"livelog_bytes_sent_total", CLIENT_STATS_BYTES_SENT},
    {"livelog_bytes_lost_total", CLIENT_STATS_BYTES_LOST},
};

static const char *const stream_states[4] = {
    "pending",
    "live",
    "complete",
    "interrupted",
};

/* ---- the parser ---- */

/* One sample line, taken apart. Pointers are into the text. */
struct sample {
    const char *name;
    size_t name_len;
    /* the values of the labels we look for (unescaped, NUL-terminated),
     * and whether each was present / too long to be one we know */
    char logger[LABEL_VALUE_MAX + 1];
    char level[LABEL_VALUE_MAX + 1];
    char state[LABEL_VALUE_MAX + 1];
    bool has_logger, has_level, has_state;
    bool logger_long;
    unsigned nlabels;
    const char *value;
    size_t value_len;
};

/* The parse in progress. */
struct parser {
    struct client_stats *st;
    uint8_t seen[CLIENT_STATS_LOGGERS_MAX]; /* levels read, one bit each */
    bool seen_fig[CLIENT_STATS_FIGURE_COUNT];
    unsigned line;
    char *why;
    size_t why_cap;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p,
                                                      const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (p->why == NULL || p->why_cap == 0)
        return -EINVAL;
    if (p->line > 0)
        n = snprintf(p->why, p->why_cap, "line %u: ", p->line);
    if (n >= 0 && (size_t)n < p->why_cap) {
        va_start(ap, fmt);
        vsnprintf(p->why + n, p->why_cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
    while (i < len && is_blank(s[i]))
        i++;
    return i;
}

static bool equal_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);

    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* Whether s[0..len) is a float as Go's ParseFloat reads it in decimal,
 * or NaN / Inf / Infinity (any case, Inf with a sign). */
static bool valid_float(const char *s, size_t len)
{
    size_t i = 0, digits = 0;

    if (equal_nocase(s, len, "nan"))
        return true;
    if (len > 0 && (s[0] == '+' || s[0] == '-'))
        i++;
    if (equal_nocase(s + i, len - i, "inf") ||
        equal_nocase(s + i, len - i, "infinity"))
        return true;
    while (i < len && is_digit(s[i])) {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp = 0;

        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && is_digit(s[i])) {
            i++;
            exp++;
        }
        if (exp == 0)
            return false;
    }
    return i == len;
}

/* Reads the quoted label value at s[*i] (the opening quote) into out
 * (unescaped, NUL-terminated, *ret_long set when it did not fit), moving
 * *i past the closing quote. Returns 0 or -EINVAL. */
static int label_value(struct parser *p, const char *s, size_t len, size_t *i,
                       char *out, bool *ret_long)
{
    size_t j = *i + 1, o = 0;

    *ret_long = false;
    for (;;) {
        char c;

        if (j >= len)
            return fail(p, "label value not closed");
        c = s[j++];
        if (c == '"')
            break;
        if (c == '\\') {
            if (j >= len)
                return fail(p, "label value not closed");
            c = s[j++];
            if (c == 'n')
                c = '\n';
            else if (c != '\\' && c != '"')
                return fail(p, "invalid escape \\%c in a label value", c);
        }
        if (o < LABEL_VALUE_MAX)
            out[o++] = c;
        else
            *ret_long = true;
    }
    out[o] = '\0';
    *i = j;
    return 0;
}

/* Takes one sample line s[0..len) apart into *ret. Returns 0 or -EINVAL
 * (the reason in p->why). */
static int parse_sample(struct parser *p, const char *s, size_t len,
                        struct sample *ret)
{
    char scratch[LABEL_VALUE_MAX + 1];
    size_t i = skip_blanks(s, len, 0);
    size_t start;
    int rc;

    memset(ret, 0, sizeof(*ret));
    if (i >= len || !(is_alpha_(s[i]) || s[i] == ':'))
        return fail(p, "not a metric sample");
    start = i;
    while (i < len && (is_alpha_(s[i]) || is_digit(s[i]) || s[i] == ':'))
        i++;
    ret->name = s + start;
    ret->name_len = i - start;
    i = skip_blanks(s, len, i);
    if (i < len && s[i] == '{') {
        i = skip_blanks(s, len, i + 1);
        while (i < len && s[i] != '}') {
            size_t lstart = i, llen;
            char *out = scratch;
            bool is_long;

            if (!is_alpha_(s[i]))
                return fail(p, "invalid label name");
            while (i < len && (is_alpha_(s[i]) || is_digit(s[i])))
                i++;
            llen = i - lstart;
            i = skip_blanks(s, len, i);
            if (i >= len || s[i] != '=')
                return fail(p, "expected '=' after a label name");
            i = skip_blanks(s, len, i + 1);
            if (i >= len || s[i] != '"')
                return fail(p, "a label value must be quoted");
            if (llen == 6 && memcmp(s + lstart, "logger", 6) == 0) {
                out = ret->logger;
                ret->has_logger = true;
            } else if (llen == 5 && memcmp(s + lstart, "level", 5) == 0) {
                out = ret->level;
                ret->has_level = true;
            } else if (llen == 5 && memcmp(s + lstart, "state", 5) == 0) {
                out = ret->state;
                ret->has_state = true;
            }
            rc = label_value(p, s, len, &i, out, &is_long);
            if (rc < 0)
                return rc;
            if (out == ret->logger)
                ret->logger_long = is_long;
            if (is_long && (out == ret->level || out == ret->state))
                out[0] = '\0'; /* no level or state is that long */
            ret->nlabels++;
            i = skip_blanks(s, len, i);
            if (i < len && s[i] == ',')
                i = skip_blanks(s, len, i + 1);
            else if (i >= len || s[i] != '}')
                return fail(p, "expected ',' or '}' after a label");
        }
        if (i >= len)
            return fail(p, "labels not closed");
        i = skip_blanks(s, len, i + 1);
    } else if (i < len && i == start + ret->name_len) {
        return fail(p, "no blank between the name and the value");
    }
    start = i;
    while (i < len && !is_blank(s[i]))
        i++;
    ret->value = s + start;
    ret->value_len = i - start;
    if (ret->value_len == 0)
        return fail(p, "sample without a value");
    if (!valid_float(ret->value, ret->value_len))
        return fail(p, "value '%.*s' is not a number", (int)ret->value_len,
                    ret->value);
    i = skip_blanks(s, len, i);
    if (i < len) {
        start = i;
        if (s[i] == '-' || s[i] == '+')
            i++;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == start || !is_digit(s[i - 1]))
            return fail(p, "invalid timestamp");
        i = skip_blanks(s, len, i);
        if (i < len)
            return fail(p, "unexpected text after the value");
    }
    return 0;
}

static bool name_is(const struct sample *sm, const char *name)
{
    return sm->name_len == strlen(name) &&
           memcmp(sm->name, name, sm->name_len) == 0;
}

/* The sample's value as an integer (a leading '-' allowed when
 * negative_ok). Returns 0 or -EINVAL. */
static int int_value(struct parser *p, const struct sample *sm,
                     bool negative_ok, int64_t *ret_i, uint64_t *ret_u)
{
    const char *v = sm->value;
    size_t len = sm->value_len;
    bool neg = false;
    uint64_t u;

    if (len > 0 && v[0] == '+') {
        v++;
        len--;
    } else if (len > 0 && v[0] == '-' && negative_ok) {
        neg = true;
        v++;
        len--;
    }
    if (core_num_parse_u64(v, len, &u) < 0 ||
        (ret_i != NULL && u > (uint64_t)INT64_MAX))
        return fail(p, "%.*s: value '%.*s' is not a%s integer",
                    (int)sm->name_len, sm->name, (int)sm->value_len, sm->value,
                    negative_ok ? "n" : " non-negative");
    if (ret_i != NULL)
        *ret_i = neg ? -(int64_t)u : (int64_t)u;
    if (ret_u != NULL)
        *ret_u = u;
    return 0;
}

static int take_log_count(struct parser *p, const struct sample *sm)
{
    struct client_stats *st = p->st;
    size_t row, lv;
    uint64_t v = 0;
    int rc;

    if (!sm->has_logger || !sm->has_level)
        return fail(p, "livelog_log_messages_total without logger and "
                       "level labels");
    for (lv = 0; lv < CLIENT_STATS_LEVELS; lv++) {
        if (strcmp(sm->level, level_keys[lv]) == 0)
            break;
    }
    if (lv == CLIENT_STATS_LEVELS)
        return 0; /* a level this client does not know */
    if (sm->logger_long || strlen(sm->logger) > CLIENT_STATS_NAME_MAX)
        return fail(p, "logger name longer than %u bytes",
                    CLIENT_STATS_NAME_MAX);
    rc = int_value(p, sm, false, NULL, &v);
    if (rc < 0)
        return rc;
    for (row = 0; row < st->nloggers; row++) {
        if (strcmp(st->loggers[row].name, sm->logger) == 0)
            break;
    }
    if (row == st->nloggers) {
        if (row == CLIENT_STATS_LOGGERS_MAX)
            return fail(p, "more than %u loggers", CLIENT_STATS_LOGGERS_MAX);
        memcpy(st->loggers[row].name, sm->logger, strlen(sm->logger) + 1);
        st->nloggers++;
    }
    if (p->seen[row] & (1u << lv))
        return fail(p,
                    "second livelog_log_messages_total for logger \"%s\" "
                    "level \"%s\"",
                    sm->logger, sm->level);
    p->seen[row] = (uint8_t)(p->seen[row] | (1u << lv));
    st->loggers[row].counts[lv] = v;
    return 0;
}

static int take_figure(struct parser *p, const struct sample *sm,
                       enum client_stats_figure fig)
{
    int64_t v = 0;
    int rc;

    if (p->seen_fig[fig])
        return fail(p, "second sample of %.*s", (int)sm->name_len, sm->name);
    rc = int_value(p, sm, true, &v, NULL);
    if (rc < 0)
        return rc;
    p->seen_fig[fig] = true;
    p->st->has[fig] = true;
    p->st->figures[fig] = v;
    return 0;
}

/* Keeps what a sample says about the series we read. */
static int take(struct parser *p, const struct sample *sm)
{
    if (name_is(sm, "livelog_log_messages_total"))
        return take_log_count(p, sm);
    if (name_is(sm, "livelog_streams")) {
        for (size_t i = 0; i < 4; i++) {
            if (sm->has_state && strcmp(sm->state, stream_states[i]) == 0)
                return take_figure(p, sm,
                                   (enum client_stats_figure)(
                                       CLIENT_STATS_STREAMS_PENDING + i));
        }
        return 0;
    }
    if (sm->nlabels != 0)
        return 0;
    for (size_t i = 0; i < sizeof(plain_figures) / sizeof(plain_figures[0]);
         i++) {
        if (name_is(sm, plain_figures[i].name))
            return take_figure(p, sm, plain_figures[i].fig);
    }
    return 0;
}

int client_stats_parse(const char *text, size_t len, char *why, size_t why_cap,
                       struct client_stats *ret)
{
    struct parser p = {.why = why, .why_cap = why_cap};
    struct sample *sm = NULL;
    size_t pos = 0;
    int rc = 0;

    if (why != NULL && why_cap > 0)
        why[0] = '\0';
    p.st = calloc(1, sizeof(*p.st));
    sm = malloc(sizeof(*sm));
    if (p.st == NULL || sm == NULL) {
        rc = -ENOMEM;
        if (why != NULL && why_cap > 0)
            snprintf(why, why_cap, "out of memory");
        goto out;
    }
    if (text == NULL || len == 0) {
        rc = fail(&p, "empty answer");
        goto out;
    }
    while (pos < len && rc == 0) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        size_t i = skip_blanks(s, n, 0);

        p.line++;
        pos = end + 1;
        if (memchr(s, '\0', n) != NULL || memchr(s, '\r', n) != NULL) {
            rc = fail(&p, "NUL or carriage return in the line");
            break;
        }
        if (i == n || s[i] == '#')
            continue; /* empty line, comment, HELP or TYPE */
        rc = parse_sample(&p, s, n, sm);
        if (rc == 0)
            rc = take(&p, sm);
    }
    if (rc == 0 && p.st->nloggers == 0) {
        p.line = 0;
        rc = fail(&p, "no livelog_log_messages_total series (not a livelog "
                      "server's metrics?)");
    }
    if (rc == 0)
        *ret = *p.st;
out:
    free(sm);
    free(p.st);
    return rc;
}

/* ---- the renderer ---- */

/* A growing output buffer; after a failed allocation it stops and
 * remembers. */
struct out {
    char *buf;
    size_t len;
    size_t cap;
    bool oom;
};

static void out_mem(struct out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n >= o->cap) {
        size_t cap = o->cap != 0 ? o->cap : 1024;
        char *b;

        while (cap <= o->len + n)
            cap *= 2;
        b = realloc(o->buf, cap);
        if (b == NULL) {
            o->oom = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void out_fmt(struct out *o,
                                                          const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        o->oom = true; /* never: every caller's text is short */
        return;
    }
    out_mem(o, tmp, (size_t)n);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t row_total(const struct client_stats_logger *l)
{
    uint64_t t = 0;

    for (size_t i = 0; i < CLIENT_STATS_LEVELS; i++)
        t = add_sat(t, l->counts[i]);
    return t;
}

static int by_severity(const void *a, const void *b)
{
    const struct client_stats_logger *x = a, *y = b;

    if (x->counts[0] != y->counts[0])
        return x->counts[0] > y->counts[0] ? -1 : 1;
    if (x->counts[1] != y->counts[1])
        return x->counts[1] > y->counts[1] ? -1 : 1;
    return strcmp(x->name, y->name);
}

static size_t ndigits(uint64_t v)
{
    size_t n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* The logger name for the table: control bytes shown as '?'. */
static void printable(const char *name, char *out)
{
    size_t i = 0;

    for (; name[i] != '\0'; i++) {
        unsigned char c = (unsigned char)name[i];

        out[i] = c < 0x20 || c == 0x7f ? '?' : name[i];
    }
    out[i] = '\0';
}

/* One figure as text: the number, or "-" when the answer lacked it. */
static const char *fig_text(const struct client_stats *s,
                            enum client_stats_figure f, char *buf, size_t cap)
{
    if (!s->has[f])
        return "-";
    snprintf(buf, cap, "%" PRId64, s->figures[f]);
    return buf;
}

static void format_table(const struct client_stats *s,
                         const struct client_stats_logger *rows,
                         const struct client_stats_logger *total, struct out *o)
{
    size_t wname = strlen("logger"), w[CLIENT_STATS_LEVELS + 1];
    char name[CLIENT_STATS_NAME_MAX + 1];
    char b[4][24];

    if (wname < strlen("total"))
        wname = strlen("total");
    for (size_t r = 0; r < s->nloggers; r++) {
        if (strlen(rows[r].name) > wname)
            wname = strlen(rows[r].name);
    }
    for (size_t c = 0; c <= CLIENT_STATS_LEVELS; c++) {
        /* the total row holds the widest number of each column */
        uint64_t v =
            c < CLIENT_STATS_LEVELS ? total->counts[c] : row_total(total);

        w[c] = c < CLIENT_STATS_LEVELS ? strlen(level_heads[c]) : 5;
        if (ndigits(v) > w[c])
            w[c] = ndigits(v);
    }
    out_fmt(o, "%-*s", (int)wname, "logger");
    for (size_t c = 0; c < CLIENT_STATS_LEVELS; c++)
        out_fmt(o, "  %*s", (int)w[c], level_heads[c]);
    out_fmt(o, "  %*s\n", (int)w[CLIENT_STATS_LEVELS], "total");
    for (size_t r = 0; r <= s->nloggers; r++) {
        const struct client_stats_logger *l =
            r < s->nloggers ? &rows[r] : total;

        printable(r < s->nloggers ? l->name : "total", name);
        out_fmt(o, "%-*s", (int)wname, name);
        for (size_t c = 0; c < CLIENT_STATS_LEVELS; c++)
            out_fmt(o, "  %*" PRIu64, (int)w[c], l->counts[c]);
        out_fmt(o, "  %*" PRIu64 "\n", (int)w[CLIENT_STATS_LEVELS],
                row_total(l));
    }
    out_fmt(o, "\nstreams  %s pending, %s live, %s complete, %s interrupted\n",
            fig_text(s, CLIENT_STATS_STREAMS_PENDING, b[0], sizeof(b[0])),
            fig_text(s, CLIENT_STATS_STREAMS_LIVE, b[1], sizeof(b[1])),
            fig_text(s, CLIENT_STATS_STREAMS_COMPLETE, b[2], sizeof(b[2])),
            fig_text(s, CLIENT_STATS_STREAMS_INTERRUPTED, b[3], sizeof(b[3])));
    out_fmt(o, "readers  %s connected, %s suspended, %s dropped\n",
            fig_text(s, CLIENT_STATS_READERS_CONNECTED, b[0], sizeof(b[0])),
            fig_text(s, CLIENT_STATS_READERS_SUSPENDED, b[1], sizeof(b[1])),
            fig_text(s, CLIENT_STATS_READERS_DROPPED, b[2], sizeof(b[2])));
    out_fmt(o, "writers  %s\n",
            fig_text(s, CLIENT_STATS_WRITERS, b[0], sizeof(b[0])));
    out_fmt(o, "bytes    %s received, %s sent, %s lost\n",
            fig_text(s, CLIENT_STATS_BYTES_RECEIVED, b[0], sizeof(b[0])),
            fig_text(s, CLIENT_STATS_BYTES_SENT, b[1], sizeof(b[1])),
            fig_text(s, CLIENT_STATS_BYTES_LOST, b[2], sizeof(b[2])));
}

/* "key":value of a figure, null when the answer lacked it. */
static void json_fig(struct out *o, const struct client_stats *s,
                     const char *key, enum client_stats_figure f, bool last)
{
    char b[24];

    out_fmt(o, "\"%s\":%s%s", key,
            s->has[f] ? fig_text(s, f, b, sizeof(b)) : "null", last ? "" : ",");
}

static void json_counts(struct out *o, const struct client_stats_logger *l)
{
    for (size_t c = 0; c < CLIENT_STATS_LEVELS; c++)
        out_fmt(o, "\"%s\":%" PRIu64 ",", level_keys[c], l->counts[c]);
    out_fmt(o, "\"total\":%" PRIu64, row_total(l));
}

static void format_json(const struct client_stats *s,
                        const struct client_stats_logger *rows,
                        const struct client_stats_logger *total, struct out *o)
{
    /* a name escapes to at most 6 bytes per byte (\u00XX), plus quotes */
    char buf[CLIENT_STATS_NAME_MAX * 6 + 3];
    struct core_json j;

    out_fmt(o, "{\"loggers\":[");
    for (size_t r = 0; r < s->nloggers; r++) {
        core_json_init(&j, buf, sizeof(buf));
        core_json_str(&j, rows[r].name, strlen(rows[r].name), 0);
        out_fmt(o, "%s{\"logger\":", r > 0 ? "," : "");
        out_mem(o, j.buf, j.len);
        out_mem(o, ",", 1);
        json_counts(o, &rows[r]);
        out_mem(o, "}", 1);
    }
    out_fmt(o, "],\"total\":{");
    json_counts(o, total);
    out_fmt(o, "},\"streams\":{");
    json_fig(o, s, "pending", CLIENT_STATS_STREAMS_PENDING, false);
    json_fig(o, s, "live", CLIENT_STATS_STREAMS_LIVE, false);
    json_fig(o, s, "complete", CLIENT_STATS_STREAMS_COMPLETE, false);
    json_fig(o, s, "interrupted", CLIENT_STATS_STREAMS_INTERRUPTED, true);
    out_fmt(o, "},\"readers\":{");
    json_fig(o, s, "connected", CLIENT_STATS_READERS_CONNECTED, false);
    json_fig(o, s, "suspended", CLIENT_STATS_READERS_SUSPENDED, false);
    json_fig(o, s, "dropped", CLIENT_STATS_READERS_DROPPED, true);
    out_fmt(o, "},");
    json_fig(o, s, "writers", CLIENT_STATS_WRITERS, false);
    out_fmt(o, "\"bytes\":{");
    json_fig(o, s, "received", CLIENT_STATS_BYTES_RECEIVED, false);
    json_fig(o, s, "sent", CLIENT_STATS_BYTES_SENT, false);
    json_fig(o, s, "lost", CLIENT_STATS_BYTES_LOST, true);
    out_fmt(o, "}}\n");
}

int client_stats_format(const struct client_stats *s, bool json, char **ret,
                        size_t *ret_len)
{
    struct client_stats_logger *rows;
    struct client_stats_logger total = {.name = "total"};
    struct out o = {0};
    size_t n = s->nloggers;

    if (n > CLIENT_STATS_LOGGERS_MAX)
        n = CLIENT_STATS_LOGGERS_MAX;
    rows = malloc(sizeof(*rows) * (n > 0 ? n : 1));
    if (rows == NULL)
        return -ENOMEM;
    if (n > 0)
        memcpy(rows, s->loggers, sizeof(*rows) * n);
    for (size_t r = 0; r < n; r++) {
        rows[r].name[CLIENT_STATS_NAME_MAX] = '\0';
        for (size_t c = 0; c < CLIENT_STATS_LEVELS; c++)
            total.counts[c] = add_sat(total.counts[c], rows[r].counts[c]);
    }
    qsort(rows, n, sizeof(*rows), by_severity);
    {
        struct client_stats view = *s;

        view.nloggers = n;
        if (json)
            format_json(&view, rows, &total, &o);
        else
            format_table(&view, rows, &total, &o);
    }
    free(rows);
    if (o.oom || o.buf == NULL) {
        free(o.buf);
        return -ENOMEM;
    }
    *ret = o.buf;
    *ret_len = o.len;
    return 0;
}

/* ---- the URL ---- */

int client_stats_metrics_url(const char *url, char **ret)
{
    static const char scheme[] = "http://", path[] = "/metrics";
    const char *sep, *auth, *rest;
    size_t prefix, head, cap;
    bool bare_slash;
    char *u;

    if (url == NULL || url[0] == '\0')
        return -EINVAL;
    sep = strstr(url, "://");
    prefix = sep != NULL && (size_t)(sep - url) < strcspn(url, "/?#")
                 ? 0
                 : sizeof(scheme) - 1;
    auth = prefix == 0 ? sep + 3 : url;
    rest = auth + strcspn(auth, "/?#");
    bare_slash =
        rest[0] == '/' && (rest[1] == '\0' || rest[1] == '?' || rest[1] == '#');
    cap = prefix + strlen(url) + sizeof(path);
    u = malloc(cap);
    if (u == NULL)
        return -ENOMEM;
    head = (size_t)(rest - url);
    memcpy(u, scheme, prefix);
    memcpy(u + prefix, url, head);
    if (rest[0] != '/' || bare_slash) {
        memcpy(u + prefix + head, path, sizeof(path) - 1);
        head += sizeof(path) - 1;
        if (bare_slash)
            rest++;
    }
    memcpy(u + prefix + head, rest, strlen(rest) + 1);
    *ret = u;
    return 0;
}

/* ---- the verb ---- */

/* One run of the verb. */
struct stats {
    const char *given; /* the URL as given (or the default) */
    char *url;         /* the URL fetched (owned) */
    char *auth;        /* "Authorization: Bearer ..." or NULL (owned) */
    bool json;         /* --json */
    char *body;        /* the answer (owned), NUL-terminated */
    size_t body_len;
    bool too_big; /* the answer passed CLIENT_STATS_BODY_MAX */
    struct client_http_resp resp;
};

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    client_http_vsay("stats", fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
    va_list ap;

    fputs("livelog stats: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'livelog stats --help'.\n", stderr);
    return 2;
}

/* libcurl write callback: keeps a 200 answer's body (up to the cap), the
 * start of any other for the message. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct stats *st = userdata;
    size_t n = size * nmemb;
    char *b;

    if (st->resp.status != 200) {
        client_http_resp_capture(&st->resp, ptr, n);
        return n;
    }
    if (n > CLIENT_STATS_BODY_MAX - st->body_len) {
        st->too_big = true;
        return 0;
    }
    b = realloc(st->body, st->body_len + n + 1);
    if (b == NULL)
        return 0;
    st->body = b;
    memcpy(st->body + st->body_len, ptr, n);
    st->body_len += n;
    st->body[st->body_len] = '\0';
    return n;
}

/* The URL without its query (which may hold a credential), for
 * messages; written into buf. */
static const char *shown_url(const char *url, char *buf, size_t cap)
{
    size_t q = strcspn(url, "?#");

    snprintf(buf, cap, "%.*s%s", (int)q, url, url[q] != '\0' ? "?..." : "");
    return buf;
}

/* GETs st->url into st->body. Returns 0, or 1 after saying why. */
static int fetch(struct stats *st)
{
    struct curl_slist *hdrs = NULL, *l;
    char shown[512];
    CURLcode cc;
    CURL *h;
    int code = 1;

    shown_url(st->url, shown, sizeof(shown));
    h = client_http_easy(st->url, &st->resp);
    if (h == NULL) {
        say("cannot fetch %s: out of memory or a URL libcurl refuses", shown);
        return 1;
    }
    l = curl_slist_append(hdrs, "Accept: text/plain");
    if (l != NULL)
        hdrs = l;
    if (l != NULL && st->auth != NULL) {
        l = curl_slist_append(hdrs, st->auth);
        if (l != NULL)
            hdrs = l;
    }
    if (l == NULL) {
        say("out of memory");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, STATS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, st);
    cc = curl_easy_perform(h);
    if (st->too_big) {
        say("%s: the answer is larger than %u bytes", shown,
            CLIENT_STATS_BODY_MAX);
    } else if (cc != CURLE_OK) {
        say("cannot reach %s: %s", shown,
            client_http_error_text(cc, &st->resp));
    } else if (st->resp.status != 200) {
        say("%s answered %ld: %s", shown, st->resp.status,
            client_http_resp_message(&st->resp));
    } else {
        code = 0;
    }
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return code;
}

/* Parses the command line into st (token into *ret_token). Returns -1 to
 * go on, or an exit code (0 for --help, 2 for a usage error). */
static int parse_args(int argc, char **argv, struct stats *st,
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
        } else if (opts && strcmp(a, "--json") == 0) {
            st->json = true;
        } else if (opts &&
                   client_http_flag_value(argc, argv, &i, "--token", &v) == 0) {
            if (v == NULL)
                return usage_error("%s needs a value", "--token");
            *ret_token = v;
        } else if (opts && a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (st->given == NULL) {
            if (a[0] == '\0')
                return usage_error("%s", "empty URL");
            st->given = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (st->given == NULL)
        st->given = CLIENT_STATS_DEFAULT_URL;
    return -1;
}

/* Parses the answer and prints it. Returns the exit code. */
static int report(struct stats *st)
{
    struct client_stats *cs = malloc(sizeof(*cs));
    char why[256], shown[512];
    char *text = NULL;
    size_t len = 0;
    int rc, code = 1;

    if (cs == NULL) {
        say("out of memory");
        return 1;
    }
    rc = client_stats_parse(st->body, st->body_len, why, sizeof(why), cs);
    if (rc < 0) {
        say("%s did not answer valid metrics: %s",
            shown_url(st->url, shown, sizeof(shown)), why);
        goto out;
    }
    if (client_stats_format(cs, st->json, &text, &len) < 0) {
        say("out of memory");
        goto out;
    }
    rc = client_http_write_all(STDOUT_FILENO, text, len);
    if (rc < 0 && rc != -EPIPE) {
        say("writing stdout: %s", strerror(-rc));
        goto out;
    }
    code = 0;
out:
    free(text);
    free(cs);
    return code;
}

int client_stats_main(int argc, char **argv)
{
    struct stats *st = calloc(1, sizeof(*st));
    const char *token = NULL;
    int rc, code;

    if (st == NULL) {
        say("out of memory");
        return 1;
    }
    code = parse_args(argc, argv, st, &token);
    if (code >= 0)
        goto out;
    rc = client_http_bearer(token, &st->auth);
    if (rc == -EINVAL) {
        code = usage_error("%s", "the token holds a line break");
        goto out;
    }
    if (rc < 0) {
        say("out of memory");
        code = 1;
        goto out;
    }
    if (client_stats_metrics_url(st->given, &st->url) < 0) {
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
    code = fetch(st);
    if (code == 0)
        code = report(st);
    curl_global_cleanup();
out:
    if (st->auth != NULL) {
        explicit_bzero(st->auth, strlen(st->auth));
        free(st->auth);
    }
    free(st->url);
    free(st->body);
    free(st);
    return code;
}
