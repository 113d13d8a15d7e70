/* log: the structured logger every line the process writes goes through.
 *
 * One record is one line on stderr: a JSON object with the ADR 6 keys
 * (ts, level, logger, msg, caller, and the caller's fields such as name,
 * action, audit) whose levels mean what Fuchsia RFC-0003 says:
 *   fatal    the process cannot do its job; it logs and exits non-zero
 *   error    a bug in livelog (one distinct ERROR per bug)
 *   warning  an environmental surprise: bad input, a client vanished
 *   info     a state change (listening, stream opened, completed)
 *   debug    detail for engineers; trace: per-request / per-chunk detail
 * Each record is written with a single write(2) so lines from different
 * threads never interleave. Records are counted per component and level
 * with relaxed atomics (no lock on any path). Secrets are never passed to
 * the logger: callers log names and sizes, never tokens or bodies.
 *
 * Thread-safe; log_init() must run before any thread starts. */
#ifndef LIVELOG_LOG_H
#define LIVELOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
    LOG_FATAL = 0,
    LOG_ERROR,
    LOG_WARNING,
    LOG_INFO,
    LOG_DEBUG,
    LOG_TRACE,
    LOG_LEVEL_COUNT
};

/* The components ("logger" key). A fixed table so counting is an array
 * index and a typo is a compile error. */
enum log_component {
    LOGC_MAIN = 0, /* "main"   process start, signals, shutdown   */
    LOGC_CONFIG,   /* "config" environment and flags               */
    LOGC_HTTP,     /* "http"   listeners and requests              */
    LOGC_STORE,    /* "store"  stream files on disk                */
    LOGC_STREAM,   /* "stream" followers, suspend and resume       */
    LOGC_MHD,      /* "mhd"    libmicrohttpd's own messages        */
    LOGC_TLS,      /* "tls"    GnuTLS's own messages               */
    LOGC_AUTH,     /* "auth"   keys, tokens, access decisions       */
    LOGC_FORWARD,  /* "forward" the forwarder: files and sinks      */
    LOGC_COUNT
};

enum log_format { LOG_FORMAT_JSON = 0, LOG_FORMAT_CONSOLE };

enum log_field_type { LOG_F_STR, LOG_F_U64, LOG_F_I64, LOG_F_BOOL };

/* One extra key/value of a record. Build them with the LF_* macros. */
struct log_field {
    const char *key;
    enum log_field_type type;
    union {
        const char *s;
        uint64_t u;
        int64_t i;
        bool b;
    } v;
    size_t slen; /* LOG_F_STR: length, or SIZE_MAX for NUL-terminated */
};

#define LF_STR(k, val)                                                         \
    ((struct log_field){                                                       \
        .key = (k), .type = LOG_F_STR, .v.s = (val), .slen = SIZE_MAX})
#define LF_STRN(k, val, n)                                                     \
    ((struct log_field){                                                       \
        .key = (k), .type = LOG_F_STR, .v.s = (val), .slen = (n)})
#define LF_U64(k, val)                                                         \
    ((struct log_field){.key = (k), .type = LOG_F_U64, .v.u = (uint64_t)(val)})
#define LF_I64(k, val)                                                         \
    ((struct log_field){.key = (k), .type = LOG_F_I64, .v.i = (int64_t)(val)})
#define LF_BOOL(k, val)                                                        \
    ((struct log_field){.key = (k), .type = LOG_F_BOOL, .v.b = (val)})
#define LF_NONE ((struct log_field){.key = NULL})

/* Sets the destination fd (normally 2), the threshold and the format.
 * Call once from main() before threads start. Can't fail. */
void log_init(int fd, enum log_level threshold, enum log_format format);

/* Changes the threshold at run time (any thread). */
void log_set_level(enum log_level threshold);
enum log_level log_get_level(void);

/* log_set_level at run time, said at INFO ("log level changed", from,
 * to, by) by whichever of the two levels writes INFO. Any thread. */
void log_change_level(enum log_level to, const char *by);

/* True when records at `level` are written. Cheap: one relaxed load. */
bool log_enabled(enum log_level level);

/* Parses "fatal", "error", "warning" (or "warn"), "info", "debug",
 * "trace", case-insensitive. Returns 0 or -EINVAL; *ret untouched on
 * failure. */
int log_level_parse(const char *s, enum log_level *ret);
const char *log_level_name(enum log_level level);
const char *log_component_name(enum log_component c);

/* Writes one record. `caller` is "file.c:line". Fields with a NULL key
 * are skipped. Use the log_* macros rather than calling this directly.
 * Every call is counted, so the counts reflect what happened; only
 * records at or above the threshold are written. A line is at most
 * LOG_LINE_MAX - 1 bytes, newline included; a longer record has its
 * longest string values cut and carries "truncated": true. Field keys
 * that log collectors add (host, message, time, ...) are written as
 * "field_<key>"; fields repeating ts, level, logger, msg, caller,
 * truncated or an earlier field's key are skipped. Out-of-range level or
 * component: nothing is counted or written. Preserves errno. Can't fail
 * (a failed write is dropped). */
#define LOG_LINE_MAX 4096
void log_emit(enum log_level level, enum log_component c, const char *caller,
              const char *msg, const struct log_field *fields, size_t nfields);

/* Counts records by component and level since start (any thread). */
uint64_t log_count(enum log_component c, enum log_level level);

#define LOG_STR2_(x) #x
#define LOG_STR_(x) LOG_STR2_(x)
#ifdef __FILE_NAME__
#define LOG_CALLER_ __FILE_NAME__ ":" LOG_STR_(__LINE__)
#else
#define LOG_CALLER_ __FILE__ ":" LOG_STR_(__LINE__)
#endif

/* LOG(level, component, msg, fields...): fields are LF_* values. The
 * field expressions are always evaluated (they only build a small array of
 * pointers and numbers); log_emit counts the record and then, below the
 * threshold, returns before any formatting. Guard an expensive argument
 * with log_enabled(). */
#define LOG(level, comp, msg, ...)                                             \
    do {                                                                       \
        const struct log_field log_f_[] = {LF_NONE, __VA_ARGS__};              \
        log_emit((level), (comp), LOG_CALLER_, (msg), log_f_ + 1,              \
                 sizeof log_f_ / sizeof log_f_[0] - 1);                        \
    } while (0)

#define log_fatal(comp, msg, ...) LOG(LOG_FATAL, comp, msg, __VA_ARGS__)
#define log_error(comp, msg, ...) LOG(LOG_ERROR, comp, msg, __VA_ARGS__)
#define log_warning(comp, msg, ...) LOG(LOG_WARNING, comp, msg, __VA_ARGS__)
#define log_info(comp, msg, ...) LOG(LOG_INFO, comp, msg, __VA_ARGS__)
#define log_debug(comp, msg, ...) LOG(LOG_DEBUG, comp, msg, __VA_ARGS__)
#define log_trace(comp, msg, ...) LOG(LOG_TRACE, comp, msg, __VA_ARGS__)

#endif
