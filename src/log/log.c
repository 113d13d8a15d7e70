/* log: the structured logger. Owns the destination fd, the threshold, the
 * output format and the per-component, per-level counters. Called by every
 * module through the log_* macros, from any thread; log_init() runs once
 * in main() before threads start. No locks: the settings and counters are
 * relaxed atomics and each record is built on the caller's stack (one
 * LOG_LINE_MAX buffer) and written with one write(2).
 *
 * Key rules (ADR 6):
 *  - a record's keys are ts, level, logger, msg, caller, then the fields
 *    in the caller's order;
 *  - a field whose key is one of the record's own keys (ts, level, logger,
 *    msg, caller, truncated) is skipped, as is a field whose final key
 *    repeats an earlier field's key or is longer than FIELD_PREFIX_MAX;
 *  - a field whose key is one log collectors add (namespace_name,
 *    container_name, pod_name, container_image, pod_ip, host, hostname,
 *    namespace_labels, message, time) is renamed "field_<key>";
 *  - a record that does not fit in LOG_LINE_MAX - 1 bytes has its longest
 *    string values (msg, caller, string fields) cut to one common length,
 *    as long as possible, and ends with "truncated":true; fields that do
 *    not fit even with empty strings are left out (a field with an
 *    over-long key or an unknown type is left out the same way).
 * Console format (LOG_FORMAT_CONSOLE), one line for humans:
 *   2026-11-21T12:00:00.123Z info  http listening {"addr":"127.0.0.1:1"}
 * the level padded to 5 columns, msg escaped as in JSON but unquoted, no
 * caller, and the fields as one JSON object, left out when there are none.
 * log_emit() preserves errno, so callers may log before reporting it. */
#include "log/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "core/core_clock.h"
#include "core/core_json.h"

static _Atomic uint64_t counts[LOGC_COUNT][LOG_LEVEL_COUNT];
static _Atomic int threshold = LOG_INFO;
static _Atomic int out_fd = 2;
static _Atomic int out_format = LOG_FORMAT_JSON;

static const char *const level_names[LOG_LEVEL_COUNT] = {
    "fatal", "error", "warning", "info", "debug", "trace",
};

static const char *const component_names[LOGC_COUNT] = {
    "main", "config", "http", "store",   "stream",
    "mhd",  "tls",    "auth", "forward",
};

/* Keys the record writes itself: fields may not repeat them. */
static const char *const own_keys[] = {
    "ts", "level", "logger", "msg", "caller", "truncated",
};

/* Keys log collectors add to every line: fields are renamed. */
static const char *const collector_keys[] = {
    "namespace_name", "container_name", "pod_name", "container_image",
    "pod_ip",         "host",           "hostname", "namespace_labels",
    "message",        "time",
};

#define RENAME_PREFIX "field_"
#define FIELD_KEY_MAX 32     /* "field_" + the longest collector key */
#define FIELD_PREFIX_MAX 128 /* separator, quoted key, colon, number */
#define TAIL_FULL 2          /* "}\n" */
#define TAIL_CUT 20          /* ` {"truncated":true}\n` (console) */
#define LEVEL_WIDTH 5        /* console: "info  http" */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void log_init(int fd, enum log_level level, enum log_format format)
{
    atomic_store_explicit(&out_fd, fd, memory_order_relaxed);
    atomic_store_explicit(&out_format, (int)format, memory_order_relaxed);
    log_set_level(level);
}

/* Out-of-range values are ignored. */
void log_set_level(enum log_level level)
{
    if ((int)level < 0 || level >= LOG_LEVEL_COUNT)
        return;
    atomic_store_explicit(&threshold, (int)level, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load_explicit(&threshold,
                                                memory_order_relaxed);
}

void log_change_level(enum log_level to, const char *by)
{
    enum log_level from = log_get_level();
    if (to < from)
        log_info(LOGC_MAIN, "log level changed",
                 LF_STR("from", log_level_name(from)),
                 LF_STR("to", log_level_name(to)), LF_STR("by", by));
    log_set_level(to);
    if (to >= from)
        log_info(LOGC_MAIN, "log level changed",
                 LF_STR("from", log_level_name(from)),
                 LF_STR("to", log_level_name(to)), LF_STR("by", by));
}

bool log_enabled(enum log_level level)
{
    if ((int)level < 0 || level >= LOG_LEVEL_COUNT)
        return false;
    return (int)level <= atomic_load_explicit(&threshold, memory_order_relaxed);
}

static char ascii_lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c;
}

static bool equal_nocase(const char *a, const char *b)
{
    while (*a != '\0' && ascii_lower(*a) == *b) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

int log_level_parse(const char *s, enum log_level *ret)
{
    if (s == NULL)
        return -EINVAL;
    if (equal_nocase(s, "warn")) {
        *ret = LOG_WARNING;
        return 0;
    }
    for (int i = 0; i < LOG_LEVEL_COUNT; i++) {
        if (equal_nocase(s, level_names[i])) {
            *ret = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* Returns "unknown" for an out-of-range level. */
const char *log_level_name(enum log_level level)
{
    if ((int)level < 0 || level >= LOG_LEVEL_COUNT)
        return "unknown";
    return level_names[level];
}

/* Returns "unknown" for an out-of-range component. */
const char *log_component_name(enum log_component c)
{
    if ((int)c < 0 || c >= LOGC_COUNT)
        return "unknown";
    return component_names[c];
}

/* Returns 0 for out-of-range arguments. */
uint64_t log_count(enum log_component c, enum log_level level)
{
    if ((int)c < 0 || c >= LOGC_COUNT || (int)level < 0 ||
        level >= LOG_LEVEL_COUNT)
        return 0;
    return atomic_load_explicit(&counts[c][level], memory_order_relaxed);
}

static bool in_list(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, list[i]) == 0)
            return true;
    }
    return false;
}

/* The key field f is written under: NULL to skip it, buf (which holds
 * FIELD_KEY_MAX bytes) for a renamed collector key, else f->key. */
static const char *final_key(const struct log_field *f, char *buf)
{
    size_t n;

    if (f->key == NULL || in_list(f->key, own_keys, ARRAY_LEN(own_keys)))
        return NULL;
    if (!in_list(f->key, collector_keys, ARRAY_LEN(collector_keys)))
        return f->key;
    n = strlen(f->key);
    memcpy(buf, RENAME_PREFIX, sizeof RENAME_PREFIX - 1);
    memcpy(buf + sizeof RENAME_PREFIX - 1, f->key, n + 1);
    return buf;
}

/* True when an earlier field is written under the same key. */
static bool repeats_earlier(const struct log_field *fields, size_t i,
                            const char *key)
{
    char buf[FIELD_KEY_MAX];

    for (size_t k = 0; k < i; k++) {
        const char *other = final_key(&fields[k], buf);

        if (other != NULL && strcmp(other, key) == 0)
            return true;
    }
    return false;
}

struct record {
    char ts[CORE_CLOCK_ISO_LEN + 1];
    enum log_level level;
    enum log_component comp;
    const char *caller;
    const char *msg;
    const struct log_field *fields;
    size_t nfields;
    bool console;
};

/* One rendering attempt of a record into the line buffer. */
struct render {
    struct core_json j;
    size_t strcap; /* most bytes one string value may take, quotes
                      included; SIZE_MAX for no limit */
    size_t tail;   /* bytes kept free for the end of the record */
    bool console;  /* LOG_FORMAT_CONSOLE */
    bool opened;   /* console: the " {" of the fields has been written */
    bool dropped;  /* a field did not fit; later fields were left out */
    bool skipped;  /* a field with an over-long key was left out */
};

static size_t room(const struct core_json *j)
{
    return j->cap - 1 - j->len;
}

static void put_raw(struct render *rd, const char *s)
{
    core_json_raw(&rd->j, s, strlen(s));
}

/* A string value, cut to rd->strcap and to what leaves rd->tail free.
 * len is SIZE_MAX for a NUL-terminated s. Every input byte yields at least
 * one output byte, so no more than LOG_LINE_MAX input bytes are looked at:
 * a huge value costs no more than a short one. */
static void put_str(struct render *rd, const char *s, size_t len)
{
    size_t avail = room(&rd->j);
    size_t reserve = rd->tail;

    if (s != NULL && len == SIZE_MAX)
        len = strnlen(s, LOG_LINE_MAX);
    else if (len > LOG_LINE_MAX)
        len = LOG_LINE_MAX;
    if (rd->strcap != SIZE_MAX && avail > rd->strcap + rd->tail)
        reserve = avail - rd->strcap;
    core_json_str(&rd->j, s, len, reserve);
}

/* Writes one field whole (a string value may be cut). Returns false when
 * it did not fit: the caller writes no further fields. */
static bool put_field(struct render *rd, const char *key,
                      const struct log_field *f)
{
    char pre[FIELD_PREFIX_MAX];
    struct core_json p;
    size_t need;

    core_json_init(&p, pre, sizeof pre);
    if (rd->console && !rd->opened)
        core_json_raw(&p, " {", 2);
    else
        core_json_raw(&p, ",", 1);
    core_json_str(&p, key, strlen(key), 0);
    core_json_raw(&p, ":", 1);
    switch (f->type) {
    case LOG_F_U64:
        core_json_u64(&p, f->v.u);
        break;
    case LOG_F_I64:
        core_json_i64(&p, f->v.i);
        break;
    case LOG_F_BOOL:
        core_json_raw(&p, f->v.b ? "true" : "false", f->v.b ? 4 : 5);
        break;
    case LOG_F_STR:
        break;
    default:
        rd->skipped = true; /* unknown type: skip this field only */
        return true;
    }
    if (p.truncated) {
        rd->skipped = true; /* absurdly long key: skip this field only */
        return true;
    }
    need = p.len + (f->type == LOG_F_STR ? 2 : 0);
    if (room(&rd->j) < need + rd->tail) {
        rd->dropped = true;
        return false;
    }
    core_json_raw(&rd->j, pre, p.len);
    rd->opened = true;
    if (f->type == LOG_F_STR)
        put_str(rd, f->v.s, f->slen);
    return true;
}

static void put_fields(struct render *rd, const struct record *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        char buf[FIELD_KEY_MAX];
        const char *key = final_key(&r->fields[i], buf);

        if (key == NULL || repeats_earlier(r->fields, i, key))
            continue;
        if (!put_field(rd, key, &r->fields[i]))
            break;
    }
}

/* console: "ts level logger msg {fields}" with msg escaped but unquoted. */
static void put_console_head(struct render *rd, const struct record *r)
{
    const char *level = level_names[r->level];
    size_t mark;

    put_raw(rd, r->ts);
    put_raw(rd, " ");
    put_raw(rd, level);
    for (size_t n = strlen(level); n < LEVEL_WIDTH; n++)
        put_raw(rd, " ");
    put_raw(rd, " ");
    put_raw(rd, component_names[r->comp]);
    put_raw(rd, " ");
    mark = rd->j.len;
    put_str(rd, r->msg, SIZE_MAX);
    if (rd->j.len >= mark + 2) {
        char *q = rd->j.buf + mark;

        memmove(q, q + 1, rd->j.len - mark - 2);
        rd->j.len -= 2;
        rd->j.buf[rd->j.len] = '\0';
    }
}

static void put_json_head(struct render *rd, const struct record *r)
{
    put_raw(rd, "{\"ts\":\"");
    put_raw(rd, r->ts);
    put_raw(rd, "\",\"level\":\"");
    put_raw(rd, level_names[r->level]);
    put_raw(rd, "\",\"logger\":\"");
    put_raw(rd, component_names[r->comp]);
    put_raw(rd, "\",\"msg\":");
    put_str(rd, r->msg, SIZE_MAX);
    if (r->caller != NULL) {
        put_raw(rd, ",\"caller\":");
        put_str(rd, r->caller, SIZE_MAX);
    }
}

/* Renders the record into buf. Returns true when nothing was cut or left
 * out; the end of the record is written either way when cut is true,
 * only on success otherwise. */
static bool render(struct render *rd, const struct record *r, char *buf,
                   size_t strcap, bool cut)
{
    *rd = (struct render){
        .strcap = strcap,
        .tail = cut ? TAIL_CUT : TAIL_FULL,
        .console = r->console,
    };
    core_json_init(&rd->j, buf, LOG_LINE_MAX);
    if (r->console)
        put_console_head(rd, r);
    else
        put_json_head(rd, r);
    put_fields(rd, r);
    if (!cut && (rd->j.truncated || rd->dropped || rd->skipped))
        return false;
    if (cut && !r->console)
        put_raw(rd, ",\"truncated\":true");
    else if (cut)
        put_raw(rd,
                rd->opened ? ",\"truncated\":true" : " {\"truncated\":true");
    if (!r->console || rd->opened || cut)
        put_raw(rd, "}");
    put_raw(rd, "\n");
    return !rd->j.truncated && !rd->dropped && !rd->skipped;
}

/* Finds the largest common cap on string values with which every field
 * still fits, and renders with it. Runs only for oversized records:
 * about a dozen renders of at most LOG_LINE_MAX bytes each. */
static void render_cut(struct render *rd, const struct record *r, char *buf)
{
    size_t lo = 2, hi = LOG_LINE_MAX;

    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;

        render(rd, r, buf, mid, true);
        if (rd->dropped)
            hi = mid - 1;
        else
            lo = mid;
    }
    render(rd, r, buf, lo, true);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to report it: the record is dropped */
        p += w;
        n -= (size_t)w;
    }
}

void log_emit(enum log_level level, enum log_component c, const char *caller,
              const char *msg, const struct log_field *fields, size_t nfields)
{
    char buf[LOG_LINE_MAX];
    struct record r;
    struct render rd;
    int saved_errno = errno;

    if ((int)level < 0 || level >= LOG_LEVEL_COUNT || (int)c < 0 ||
        c >= LOGC_COUNT)
        return; /* a programming error the compiler did not catch */
    atomic_fetch_add_explicit(&counts[c][level], 1, memory_order_relaxed);
    if (!log_enabled(level))
        return;
    r = (struct record){
        .level = level,
        .comp = c,
        .caller = caller,
        .msg = msg,
        .fields = fields,
        .nfields = fields == NULL ? 0 : nfields,
        .console = atomic_load_explicit(&out_format, memory_order_relaxed) ==
                   LOG_FORMAT_CONSOLE,
    };
    core_clock_iso8601(core_clock_real_ns(), r.ts, sizeof r.ts);
    if (!render(&rd, &r, buf, SIZE_MAX, false))
        render_cut(&rd, &r, buf);
    write_all(atomic_load_explicit(&out_fd, memory_order_relaxed), buf,
              rd.j.len);
    errno = saved_errno;
}
