/* severity: the severity of log lines and its running tally per log (see
 * severity.h for the rules and their decisions). Called by a log's writer
 * on the ingest path, for every line of every log: no locks, no I/O.
 *
 * Speed. rules[] is the one description of the rules; the first call
 * indexes it by the first two bytes of a message (start_rows,
 * second_rows), so a line is only compared with the rows that can start
 * like it, in table order. A line whose first word starts no row and no
 * decoration (most lines) then costs one more check: whether its first
 * token, up to the first ' ', ends in ':' (`file.c:1:2: error:`), found
 * eight bytes at a time. Other lines go through message(): decorations
 * (timestamps, tags) are parsed once, then the byte class dispatches. No
 * rule scans a line except JSON (rule 1) and the Mozilla markers in a
 * Taskcluster or mozharness line (rule 3), within SEVERITY_PREFIX_MAX
 * bytes. Measured (callgrind): ~150-200 instructions for a plain line,
 * ~500 with an ISO timestamp, ~1,000-1,400 for a `[task ...]` line.
 *
 * The tally splits lines with memchr and classifies each line in the
 * caller's buffer; it copies only the start of a line split across feeds. */
#include "severity/severity.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* How a row of rules[] is matched at the message start (see severity.h for
 * the message start, the decorations and the word boundaries). */
enum match {
    M_JSON_KEY, /* '{': the first top-level key named pat; its value is
                 * looked up in values[] (a number as "level": bunyan) */
    M_COMMAND,  /* pat, then ' ' or ':' */
    M_AT_START, /* pat, byte for byte */
    M_MARKER,   /* pat at the message start, or anywhere in a line with a
                 * Taskcluster tag or a mozharness column */
    M_LOGCAT,   /* the capital pat, '/', a tag, blanks, '(' or ':' */
    M_WORD,     /* the level word pat: upper case then ' ', '\t', ':', ']'
                 * or the end; any case then ':'; any case alone in [ ] or
                 * < >, or as `[name:word]` */
    M_LOGFMT,   /* the key pat, '=', a value looked up in values[] */
    M_MAKE,     /* a first token ending in pat (then [N]) and ':', " ***" */
    M_CLASS,    /* a class name ending in pat, then ':' */
    M_DIAG,     /* after a first token ending in ':': pat, then ':' or a
                 * code like C2065 and ':' */
    M_TAGGED,   /* `[name:pat]` */
};

struct rule {
    unsigned char kind; /* enum match */
    unsigned char sev;  /* enum severity; 0: from values[] */
    unsigned char len;  /* strlen(pat) */
    const char *pat;
};

#define ROW(kind, pat, sev)                                                    \
    {                                                                          \
        (kind), (sev), sizeof(pat) - 1, (pat)                                  \
    }

/* Rows in the order they apply. Each dispatch path below walks a range of
 * them, so rows of one kind stay together. */
enum rule_id {
    R_JSON_LEVEL,
    R_JSON_SEVERITY,
    R_GH_ERROR,
    R_GH_WARNING,
    R_GH_NOTICE,
    R_GH_DEBUG,
    R_RUNNER_ERROR,
    R_RUNNER_WARNING,
    R_RUNNER_NOTICE,
    R_RUNNER_DEBUG,
    R_AZURE_ERROR,
    R_AZURE_WARNING,
    R_MOZ_UNEXPECTED_WARNING,
    R_MOZ_UNEXPECTED,
    R_MOZ_CRASH,
    R_GO_TEST_FAIL,
    R_GTEST_FAILED,
    R_PY_TRACEBACK,
    R_JVM_UNCAUGHT,
    R_GO_FATAL,
    R_RUST_ERROR,
    R_NPM_ERR,
    R_NPM_ERROR,
    R_NPM_WARN,
    R_NPM_WARN_LOWER,
    R_LOGCAT_F,
    R_LOGCAT_E,
    R_LOGCAT_W,
    R_LOGCAT_I,
    R_LOGCAT_D,
    R_LOGCAT_V,
    R_WORD_FATAL,
    R_WORD_CRITICAL,
    R_WORD_PANIC,
    R_WORD_SEVERE,
    R_WORD_ERROR,
    R_WORD_ERR,
    R_WORD_WARNING,
    R_WORD_WARN,
    R_WORD_INFO,
    R_WORD_DEBUG,
    R_WORD_TRACE,
    R_TAGGED_EXCEPTION,
    R_LOGFMT_LEVEL,
    R_LOGFMT_LVL,
    R_MAKE,
    R_CLASS_ERROR,
    R_CLASS_EXCEPTION,
    R_CLASS_WARNING,
    R_DIAG_FATAL_ERROR,
    R_DIAG_RUNTIME_ERROR,
    R_DIAG_ERROR,
    R_DIAG_WARNING,
    R_COUNT
};

static const struct rule rules[R_COUNT] = {
    /* 1. JSON lines. zap, logrus (JSONFormatter), pino, bunyan, Go's
     * log/slog, structlog, winston all write "level". */
    [R_JSON_LEVEL] = ROW(M_JSON_KEY, "level", SEVERITY_NONE),
    /* Google Cloud Logging's structured payloads (GKE, Cloud Run). */
    [R_JSON_SEVERITY] = ROW(M_JSON_KEY, "severity", SEVERITY_NONE),

    /* 2. GitHub Actions workflow commands, as a step prints them:
     * `::error file=a.c,line=1::msg`, `::error::msg`. */
    [R_GH_ERROR] = ROW(M_COMMAND, "::error", SEVERITY_ERROR),
    [R_GH_WARNING] = ROW(M_COMMAND, "::warning", SEVERITY_WARNING),
    [R_GH_NOTICE] = ROW(M_COMMAND, "::notice", SEVERITY_INFO),
    [R_GH_DEBUG] = ROW(M_AT_START, "::debug::", SEVERITY_DEBUG),
    /* The same as the Actions runner writes them into a job's log, and
     * Azure Pipelines' logging format. */
    [R_RUNNER_ERROR] = ROW(M_AT_START, "##[error]", SEVERITY_ERROR),
    [R_RUNNER_WARNING] = ROW(M_AT_START, "##[warning]", SEVERITY_WARNING),
    [R_RUNNER_NOTICE] = ROW(M_AT_START, "##[notice]", SEVERITY_INFO),
    [R_RUNNER_DEBUG] = ROW(M_AT_START, "##[debug]", SEVERITY_DEBUG),
    /* Azure Pipelines logging commands. */
    [R_AZURE_ERROR] =
        ROW(M_AT_START, "##vso[task.logissue type=error", SEVERITY_ERROR),
    [R_AZURE_WARNING] =
        ROW(M_AT_START, "##vso[task.logissue type=warning", SEVERITY_WARNING),

    /* 3. Mozilla's harnesses (mozlog's tbpl format, mozcrash), as
     * Treeherder's error-line parser finds them; it leaves
     * TEST-UNEXPECTED-WARNING out of error lines. Longest first. */
    [R_MOZ_UNEXPECTED_WARNING] =
        ROW(M_MARKER, "TEST-UNEXPECTED-WARNING", SEVERITY_WARNING),
    [R_MOZ_UNEXPECTED] = ROW(M_MARKER, "TEST-UNEXPECTED-", SEVERITY_ERROR),
    [R_MOZ_CRASH] = ROW(M_MARKER, "PROCESS-CRASH", SEVERITY_ERROR),

    /* 4. Level prefixes. First, whole lines some tools print: */
    /* go test -v: a failed test. */
    [R_GO_TEST_FAIL] = ROW(M_AT_START, "--- FAIL: ", SEVERITY_ERROR),
    /* googletest: a failed test (Treeherder too). */
    [R_GTEST_FAILED] = ROW(M_AT_START, "[  FAILED  ] ", SEVERITY_ERROR),
    /* CPython: an uncaught exception (its last line is a class below). */
    [R_PY_TRACEBACK] =
        ROW(M_AT_START, "Traceback (most recent call last):", SEVERITY_ERROR),
    /* The JVM's default uncaught-exception handler: the thread died, and
     * with "main" the program exits with status 1, like Python's
     * Traceback: an error, not a crash of the runtime. */
    [R_JVM_UNCAUGHT] =
        ROW(M_AT_START, "Exception in thread \"", SEVERITY_ERROR),
    /* The Go runtime's throw (`fatal error: all goroutines are asleep`):
     * the process dies. A compiler's is ERROR (M_DIAG below). */
    [R_GO_FATAL] = ROW(M_AT_START, "fatal error: ", SEVERITY_FATAL),
    /* rustc and cargo: `error[E0308]: mismatched types`. */
    [R_RUST_ERROR] = ROW(M_AT_START, "error[E", SEVERITY_ERROR),
    /* npm up to 9 (`npm ERR! code ELIFECYCLE`), npm 10 (`npm error`). */
    [R_NPM_ERR] = ROW(M_AT_START, "npm ERR!", SEVERITY_ERROR),
    [R_NPM_ERROR] = ROW(M_AT_START, "npm error ", SEVERITY_ERROR),
    [R_NPM_WARN] = ROW(M_AT_START, "npm WARN ", SEVERITY_WARNING),
    [R_NPM_WARN_LOWER] = ROW(M_AT_START, "npm warn ", SEVERITY_WARNING),

    /* Android logcat's brief and tag formats: `E/Tag( 1234): msg`. */
    [R_LOGCAT_F] = ROW(M_LOGCAT, "F", SEVERITY_FATAL),
    [R_LOGCAT_E] = ROW(M_LOGCAT, "E", SEVERITY_ERROR),
    [R_LOGCAT_W] = ROW(M_LOGCAT, "W", SEVERITY_WARNING),
    [R_LOGCAT_I] = ROW(M_LOGCAT, "I", SEVERITY_INFO),
    [R_LOGCAT_D] = ROW(M_LOGCAT, "D", SEVERITY_DEBUG),
    [R_LOGCAT_V] = ROW(M_LOGCAT, "V", SEVERITY_TRACE),

    /* Level words: log4j/logback, Python logging (`ERROR:root:msg`,
     * CRITICAL), mozharness columns, Maven and sbt `[ERROR]` `[error]`,
     * compilers' `error:`, git's `fatal:`, Go's `panic:`, PostgreSQL's
     * PANIC, syslog's ERR. */
    [R_WORD_FATAL] = ROW(M_WORD, "FATAL", SEVERITY_FATAL),
    [R_WORD_CRITICAL] = ROW(M_WORD, "CRITICAL", SEVERITY_FATAL),
    [R_WORD_PANIC] = ROW(M_WORD, "PANIC", SEVERITY_FATAL),
    /* java.util.logging's highest level. */
    [R_WORD_SEVERE] = ROW(M_WORD, "SEVERE", SEVERITY_ERROR),
    [R_WORD_ERROR] = ROW(M_WORD, "ERROR", SEVERITY_ERROR),
    [R_WORD_ERR] = ROW(M_WORD, "ERR", SEVERITY_ERROR),
    [R_WORD_WARNING] = ROW(M_WORD, "WARNING", SEVERITY_WARNING),
    [R_WORD_WARN] = ROW(M_WORD, "WARN", SEVERITY_WARNING),
    [R_WORD_INFO] = ROW(M_WORD, "INFO", SEVERITY_INFO),
    [R_WORD_DEBUG] = ROW(M_WORD, "DEBUG", SEVERITY_DEBUG),
    [R_WORD_TRACE] = ROW(M_WORD, "TRACE", SEVERITY_TRACE),
    /* Taskcluster workers: `[taskcluster:exception]` (Treeherder);
     * `[taskcluster:error]` is a level word. */
    [R_TAGGED_EXCEPTION] = ROW(M_TAGGED, "exception", SEVERITY_ERROR),

    /* logfmt: logrus's text formatter, go-kit, Heroku. */
    [R_LOGFMT_LEVEL] = ROW(M_LOGFMT, "level", SEVERITY_NONE),
    [R_LOGFMT_LVL] = ROW(M_LOGFMT, "lvl", SEVERITY_NONE),

    /* GNU make: `make: *** [all] Error 2`, `make[1]: ***`, gmake,
     * mozmake (Treeherder). */
    [R_MAKE] = ROW(M_MAKE, "make", SEVERITY_ERROR),

    /* An exception's last line: Python (`ValueError: x`), Node
     * (`TypeError: x`), the JVM (`java.io.IOException: x`), Python's
     * warnings module (`DeprecationWarning: x`) (Treeherder). */
    [R_CLASS_ERROR] = ROW(M_CLASS, "Error", SEVERITY_ERROR),
    [R_CLASS_EXCEPTION] = ROW(M_CLASS, "Exception", SEVERITY_ERROR),
    [R_CLASS_WARNING] = ROW(M_CLASS, "Warning", SEVERITY_WARNING),

    /* Compiler and linker diagnostics after a location or program
     * prefix: gcc, clang, ld, collect2, javac, rustc notes, MSVC
     * (`error C2065:`), tsc (`error TS2322:`), C# (`error CS0103:`).
     * `fatal error` (gcc, clang, MSVC C1083): this compilation stopped;
     * the build step failed, nothing crashed: ERROR. UBSan's `runtime
     * error` too. */
    [R_DIAG_FATAL_ERROR] = ROW(M_DIAG, "fatal error", SEVERITY_ERROR),
    [R_DIAG_RUNTIME_ERROR] = ROW(M_DIAG, "runtime error", SEVERITY_ERROR),
    [R_DIAG_ERROR] = ROW(M_DIAG, "error", SEVERITY_ERROR),
    [R_DIAG_WARNING] = ROW(M_DIAG, "warning", SEVERITY_WARNING),
};

/* Level names as values: JSON (rule 1) and logfmt. syslog's names, zap's
 * dpanic (a panic in development, an error in production), .NET's
 * Information, Serilog's Verbose, java.util.logging's SEVERE. Compared
 * without regard to case. */
static const struct {
    const char *name;
    unsigned char len;
    unsigned char sev;
} values[] = {
#define VAL(name, sev)                                                         \
    {                                                                          \
        (name), sizeof(name) - 1, (sev)                                        \
    }
    VAL("fatal", SEVERITY_FATAL),      VAL("critical", SEVERITY_FATAL),
    VAL("crit", SEVERITY_FATAL),       VAL("panic", SEVERITY_FATAL),
    VAL("emerg", SEVERITY_FATAL),      VAL("emergency", SEVERITY_FATAL),
    VAL("alert", SEVERITY_FATAL),      VAL("error", SEVERITY_ERROR),
    VAL("err", SEVERITY_ERROR),        VAL("dpanic", SEVERITY_ERROR),
    VAL("severe", SEVERITY_ERROR),     VAL("warn", SEVERITY_WARNING),
    VAL("warning", SEVERITY_WARNING),  VAL("info", SEVERITY_INFO),
    VAL("information", SEVERITY_INFO), VAL("notice", SEVERITY_INFO),
    VAL("debug", SEVERITY_DEBUG),      VAL("trace", SEVERITY_TRACE),
    VAL("verbose", SEVERITY_TRACE),
#undef VAL
};

/* What the first byte of a message can start, besides the rows that
 * start_rows indexes. */
enum cls {
    C_NONE = 0, /* nothing (or only indexed rows) */
    C_BLANK,    /* ' ', '\t' */
    C_ALPHA,    /* a word, a logfmt field, a token */
    C_DIGIT,    /* a timestamp, a counter, a token */
    C_PATH,     /* a token: `./a.c:1:2: error:` */
    C_BRACE,    /* JSON */
    C_BRACKET,  /* `[ERROR]`, a tag */
    C_ANGLE,    /* `<error>` */
    C_EQUALS,   /* `==1234==` */
    C_ESC,      /* an ANSI escape sequence */
};

#define X10(c, v)                                                              \
    [(c)] = (v), [(c) + 1] = (v), [(c) + 2] = (v), [(c) + 3] = (v),            \
    [(c) + 4] = (v), [(c) + 5] = (v), [(c) + 6] = (v), [(c) + 7] = (v),        \
    [(c) + 8] = (v), [(c) + 9] = (v)
#define X26(c, v)                                                              \
    X10((c), (v)), X10((c) + 10, (v)),                                         \
        [(c) + 20] = (v), [(c) + 21] = (v), [(c) + 22] = (v),                  \
               [(c) + 23] = (v), [(c) + 24] = (v), [(c) + 25] = (v)

static const unsigned char byte_class[256] = {
    [' '] = C_BLANK,   ['\t'] = C_BLANK, X26('A', C_ALPHA), X26('a', C_ALPHA),
    X10('0', C_DIGIT), ['.'] = C_PATH,   ['/'] = C_PATH,    ['_'] = C_PATH,
    ['~'] = C_PATH,    ['\\'] = C_PATH,  ['{'] = C_BRACE,   ['['] = C_BRACKET,
    ['<'] = C_ANGLE,   ['='] = C_EQUALS, [0x1b] = C_ESC,
};

/* The index, built once from rules[] (build_index). The rows matched at
 * the message start (M_COMMAND, M_AT_START, M_MARKER, M_LOGCAT, M_WORD in
 * both cases, M_LOGFMT), as bits in table order: start_rows[b], those
 * whose first byte is b; second_rows[b], those whose second byte is b
 * ('/' for logcat). A message starting with bytes b1 b2 can only match
 * the rows of start_rows[b1] & second_rows[b2]. For the markers: where
 * their '-' is and which bytes follow it. */
_Static_assert(R_COUNT <= 64, "the index holds a row in a bit");
static uint64_t start_rows[256];
static uint64_t second_rows[256];
static size_t marker_dash[R_COUNT];       /* index of the '-' in pat */
static unsigned char after_dash[R_COUNT]; /* bytes after a marker's '-' */
static int n_after_dash;
static once_flag index_once = ONCE_FLAG_INIT;
static atomic_bool index_ready;

/* Flags a line collects on the way to its message. */
#define F_MOZ                                                                  \
    1u                /* a Taskcluster tag or a mozharness column: rule 3      \
                       * looks anywhere */
#define F_LOGCAT 2u   /* the message is logcat's (rule 3 stays out) */
#define F_STRIPPED 4u /* ANSI escapes are gone */
#define F_LOGFMT 8u   /* a logfmt time= field: key=value fields go by */

#define DECORATIONS_MAX 8 /* decorations before the message start */
#define WORD_MAX 16       /* letters looked at: longer words match no row */
#define TAG_MAX 80        /* bytes of a [tag] */
#define COLUMNS_MAX 2     /* level columns classified through */

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alpha(unsigned char c)
{
    return byte_class[c] == C_ALPHA;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

/* A byte that continues an identifier: no word boundary before it. */
static bool is_ident(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

static unsigned char lower(unsigned char c)
{
    return is_upper(c) ? (unsigned char)(c | 0x20) : c;
}

static enum severity max_sev(enum severity a, enum severity b)
{
    return a > b ? a : b;
}

static size_t skip_blanks(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && is_blank(s[i]))
        i++;
    return i;
}

static size_t skip_digits(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && is_digit(s[i]))
        i++;
    return i;
}

static size_t skip_letters(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && is_alpha(s[i]))
        i++;
    return i;
}

/* Whether s[i..n) starts with the len bytes of pat (len > 0). */
static bool has(const unsigned char *s, size_t n, size_t i, const char *pat,
                size_t len)
{
    return len <= n - i && s[i] == (unsigned char)pat[0] &&
           memcmp(s + i + 1, pat + 1, len - 1) == 0;
}

static bool has_row(const unsigned char *s, size_t n, size_t i, enum rule_id r)
{
    return has(s, n, i, rules[r].pat, rules[r].len);
}

/* Whether the len bytes at s equal pat but for the case of letters. */
static bool equal_fold(const unsigned char *s, const char *pat, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (lower(s[k]) != lower((unsigned char)pat[k]))
            return false;
    return true;
}

/* The letters s[a..b) are in upper case, lower case or capitalised: the
 * case forms a level word may take. *ret_upper: in upper case. */
static bool plain_case(const unsigned char *s, size_t a, size_t b,
                       bool *ret_upper)
{
    bool up = true, low = true;

    for (size_t k = a + 1; k < b; k++) {
        if (is_upper(s[k]))
            low = false;
        else
            up = false;
    }
    *ret_upper = up && is_upper(s[a]);
    return up ? is_upper(s[a]) || b - a == 1 : low;
}

/* The M_WORD row spelt by the letters s[a..b) in a plain case, or
 * R_COUNT. */
static enum rule_id level_word(const unsigned char *s, size_t a, size_t b,
                               bool *ret_upper)
{
    size_t len = b - a;

    if (len < 3 || len > 8 || !plain_case(s, a, b, ret_upper))
        return R_COUNT;
    for (int r = R_WORD_FATAL; r <= R_WORD_TRACE; r++)
        if (rules[r].len == len && equal_fold(s + a, rules[r].pat, len))
            return (enum rule_id)r;
    return R_COUNT;
}

/* A level name as a value (JSON, logfmt), or SEVERITY_NONE. */
static enum severity value_level(const unsigned char *s, size_t len)
{
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
        if (values[k].len == len && equal_fold(s, values[k].name, len))
            return (enum severity)values[k].sev;
    return SEVERITY_NONE;
}

static void build_index(void)
{
    for (int r = 0; r < R_COUNT; r++) {
        const struct rule *w = &rules[r];
        unsigned char c = (unsigned char)w->pat[0];
        unsigned char c2 = w->len > 1 ? (unsigned char)w->pat[1] : '/';
        uint64_t bit = (uint64_t)1 << r;
        switch ((enum match)w->kind) {
        case M_WORD:
            start_rows[lower(c)] |= bit;
            second_rows[lower(c2)] |= bit;
            /* fall through */
        case M_COMMAND:
        case M_AT_START:
        case M_LOGCAT:
        case M_LOGFMT:
            start_rows[c] |= bit;
            second_rows[c2] |= bit;
            break;
        case M_MARKER: {
            const char *dash = memchr(w->pat, '-', w->len);
            start_rows[c] |= bit;
            second_rows[c2] |= bit;
            marker_dash[r] = (size_t)(dash - w->pat);
            if (memchr(after_dash, dash[1], (size_t)n_after_dash) == NULL)
                after_dash[n_after_dash++] = (unsigned char)dash[1];
            break;
        }
        case M_JSON_KEY:
        case M_MAKE:
        case M_CLASS:
        case M_DIAG:
        case M_TAGGED:
            break; /* matched where their context is found */
        }
    }
    atomic_store_explicit(&index_ready, true, memory_order_release);
}

static void need_index(void)
{
    if (!atomic_load_explicit(&index_ready, memory_order_acquire))
        call_once(&index_once, build_index);
}

static int lowest_bit(uint64_t m)
{
#if defined(__GNUC__)
    return __builtin_ctzll(m);
#else
    int k = 0;
    while (!(m & 1)) {
        m >>= 1;
        k++;
    }
    return k;
#endif
}

#define ONES 0x0101010101010101u
#define LOW7 0x7f7f7f7f7f7f7f7fu

/* 0x80 in each byte of v that is 0, and 0 in the others. */
static uint64_t zero_bytes(uint64_t v)
{
    return ~(((v & LOW7) + LOW7) | v | LOW7);
}

static uint64_t load8(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* The index of the first ' ' in s[i..n), or n: eight bytes at a time over
 * the first 32 bytes (a first token is short), then memchr. */
static size_t first_space(const unsigned char *s, size_t n, size_t i)
{
    size_t near = n - i > 32 ? i + 32 : n;

    while (near - i >= 8 && zero_bytes(load8(s + i) ^ (ONES * ' ')) == 0)
        i += 8;
    for (; i < near; i++)
        if (s[i] == ' ')
            return i;
    const unsigned char *sp = i < n ? memchr(s + i, ' ', n - i) : NULL;
    return sp != NULL ? (size_t)(sp - s) : n;
}

/* --- Decorations ------------------------------------------------------ */
/* A time at s[i..]: H:MM or HH:MM, then :SS, a fraction after '.' or ',',
 * a zone (Z, +01, +0100, +01:00). Returns where it ends, or i. */
static size_t clock_time(const unsigned char *s, size_t n, size_t i)
{
    size_t j = skip_digits(s, n, i);

    if (j == i || j - i > 2 || j + 3 > n || s[j] != ':' ||
        !is_digit(s[j + 1]) || !is_digit(s[j + 2]))
        return i;
    j += 3;
    if (j + 3 <= n && s[j] == ':' && is_digit(s[j + 1]) && is_digit(s[j + 2]))
        j += 3;
    if (j + 1 < n && (s[j] == '.' || s[j] == ',') && is_digit(s[j + 1]))
        j = skip_digits(s, n, j + 1);
    if (j < n && s[j] == 'Z') {
        j++;
    } else if (j + 3 <= n && (s[j] == '+' || s[j] == '-') &&
               is_digit(s[j + 1]) && is_digit(s[j + 2])) {
        j += 3;
        if (j < n && s[j] == ':')
            j++;
        if (j + 2 <= n && is_digit(s[j]) && is_digit(s[j + 1]))
            j += 2;
    }
    return j;
}

/* An ISO-8601 date, 2026-01-02 or 2026/01/02, and a time after 'T' or ' ';
 * or logcat's `01-02 03:04:05.678`. Returns where it ends, or i. */
static size_t date_time(const unsigned char *s, size_t n, size_t i)
{
    const unsigned char *d = s + i;

    if (n - i >= 6 && is_digit(d[0]) && is_digit(d[1]) && d[2] == '-' &&
        is_digit(d[3]) && is_digit(d[4]) && d[5] == ' ') {
        size_t t = clock_time(s, n, i + 6);
        return t > i + 6 ? t : i;
    }
    if (n - i < 10)
        return i;
    unsigned char sep = d[4];
    if (!is_digit(d[0]) || !is_digit(d[1]) || !is_digit(d[2]) ||
        !is_digit(d[3]) || (sep != '-' && sep != '/') || !is_digit(d[5]) ||
        !is_digit(d[6]) || d[7] != sep || !is_digit(d[8]) || !is_digit(d[9]))
        return i;
    size_t j = i + 10;
    if (j < n && (s[j] == 'T' || s[j] == ' ')) {
        size_t t = clock_time(s, n, j + 1);
        if (t > j + 1)
            return t;
    }
    return j;
}

/* A decoration starting with a digit: a date-time, a time or a counter,
 * followed by a blank or the end. Returns where it ends, or i. */
static size_t stamp(const unsigned char *s, size_t n, size_t i)
{
    size_t j = date_time(s, n, i);

    if (j == i)
        j = clock_time(s, n, i);
    if (j == i) {
        j = skip_digits(s, n, i);
        if (j == n) /* a number alone is the message */
            return i;
    }
    return j == n || is_blank(s[j]) ? j : i;
}

/* `==1234==` (AddressSanitizer, Valgrind). Returns where it ends, or i. */
static size_t sanitizer_pid(const unsigned char *s, size_t n, size_t i)
{
    if (!has(s, n, i, "==", 2))
        return i;
    size_t j = skip_digits(s, n, i + 2);
    return j > i + 2 && has(s, n, j, "==", 2) ? j + 2 : i;
}

/* A logfmt value at s[i..]: "quoted" or up to a blank. Returns where it
 * ends, and its bytes in *ret_a..*ret_b. */
static size_t logfmt_value(const unsigned char *s, size_t n, size_t i,
                           size_t *ret_a, size_t *ret_b)
{
    size_t j = i;

    if (j < n && s[j] == '"') {
        const unsigned char *q = memchr(s + j + 1, '"', n - j - 1);
        *ret_a = j + 1;
        *ret_b = q != NULL ? (size_t)(q - s) : n;
        return q != NULL ? *ret_b + 1 : n;
    }
    while (j < n && !is_blank(s[j]))
        j++;
    *ret_a = i;
    *ret_b = j;
    return j;
}

/* --- Rule 3 anywhere -------------------------------------------------- */

/* The marker whose '-' is at s[k], or SEVERITY_NONE. */
static enum severity marker_dash_at(const unsigned char *s, size_t n, size_t k)
{
    for (int r = R_MOZ_UNEXPECTED_WARNING; r <= R_MOZ_CRASH; r++) {
        size_t lead = marker_dash[r];
        if (k >= lead && has_row(s, n, k - lead, (enum rule_id)r))
            return (enum severity)rules[r].sev;
    }
    return SEVERITY_NONE;
}

/* The highest marker anywhere in s[0..n). Every marker's first word ends
 * in '-' (TEST-, PROCESS-): eight positions at a time are passed unless
 * one holds a '-' followed by a byte that follows the '-' of a marker. */
static enum severity marker_anywhere(const unsigned char *s, size_t n)
{
    enum severity best = SEVERITY_NONE;
    size_t k = 0;

    for (; k + 9 <= n; k += 8) {
        uint64_t dash = zero_bytes(load8(s + k) ^ (ONES * '-'));
        if (dash == 0)
            continue;
        uint64_t y = load8(s + k + 1), next = 0;
        for (int a = 0; a < n_after_dash; a++)
            next |= zero_bytes(y ^ (ONES * after_dash[a]));
        if ((dash & next) == 0)
            continue;
        for (size_t j = k; j < k + 8; j++)
            best = max_sev(best, marker_dash_at(s, n, j));
        if (best == SEVERITY_ERROR)
            return best;
    }
    for (; k < n; k++)
        if (s[k] == '-')
            best = max_sev(best, marker_dash_at(s, n, k));
    return best;
}

/* --- Rule 1: JSON ----------------------------------------------------- */

/* The index of the '"' that closes the string starting at s[i], or n. */
static size_t string_end(const unsigned char *s, size_t n, size_t i)
{
    while (i < n) {
        if (s[i] == '\\')
            i += 2;
        else if (s[i] == '"')
            return i;
        else
            i++;
    }
    return n;
}

static enum severity json_value(const unsigned char *s, size_t n, size_t i,
                                enum rule_id key)
{
    if (i >= n)
        return SEVERITY_NONE;
    if (s[i] == '"') {
        size_t e = string_end(s, n, i + 1);
        return e < n ? value_level(s + i + 1, e - i - 1) : SEVERITY_NONE;
    }
    if (key != R_JSON_LEVEL || !is_digit(s[i]))
        return SEVERITY_NONE;
    unsigned v = 0;
    for (size_t j = i; j < n && j < i + 4 && is_digit(s[j]); j++)
        v = v * 10 + (unsigned)(s[j] - '0');
    if (v >= 60)
        return SEVERITY_FATAL;
    if (v >= 10)
        return (enum severity)(SEVERITY_TRACE + (v - 10) / 10);
    return SEVERITY_NONE;
}

/* Rule 1 on the object starting at s[i] == '{'. */
static enum severity json(const unsigned char *s, size_t n, size_t i)
{
    int depth = 0;

    while (i < n) {
        unsigned char c = s[i];
        if (c == '"') {
            size_t e = string_end(s, n, i + 1);
            if (e >= n)
                return SEVERITY_NONE;
            size_t k = skip_blanks(s, n, e + 1);
            if (depth == 1 && k < n && s[k] == ':') {
                for (int r = R_JSON_LEVEL; r <= R_JSON_SEVERITY; r++)
                    if (e - i - 1 == rules[r].len &&
                        equal_fold(s + i + 1, rules[r].pat, rules[r].len))
                        return json_value(s, n, skip_blanks(s, n, k + 1),
                                          (enum rule_id)r);
            }
            i = e + 1;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth <= 0)
            return SEVERITY_NONE;
        i++;
    }
    return SEVERITY_NONE;
}

/* --- Rule 4 in context ------------------------------------------------ */

/* Logcat's tag at s[k..] (after "X/"): tag bytes, blanks, '(' or ':'. */
static bool logcat_tag(const unsigned char *s, size_t n, size_t k)
{
    size_t t = k;

    while (t < n && t - k < TAG_MAX && s[t] != '(' && s[t] != ':' &&
           !is_blank(s[t]))
        t++;
    if (t == k || !(is_ident(s[k]) || s[k] == '.'))
        return false;
    t = skip_blanks(s, n, t);
    return t < n && (s[t] == '(' || s[t] == ':');
}

/* A class name s[a..b): dotted parts of identifier bytes, the last one
 * starting with a capital and ending in an M_CLASS pattern. */
static enum severity class_name(const unsigned char *s, size_t a, size_t b)
{
    size_t last = a;

    for (size_t k = a; k < b; k++) {
        if (s[k] == '.')
            last = k + 1;
        else if (!is_ident(s[k]) && s[k] != '$')
            return SEVERITY_NONE;
    }
    if (last >= b || !is_upper(s[last]))
        return SEVERITY_NONE;
    for (int r = R_CLASS_ERROR; r <= R_CLASS_WARNING; r++) {
        size_t len = rules[r].len;
        if (b - last >= len && memcmp(s + b - len, rules[r].pat, len) == 0)
            return (enum severity)rules[r].sev;
    }
    return SEVERITY_NONE;
}

/* make's name s[a..b): a name ending in "make", then [N], maybe ".exe". */
static bool make_name(const unsigned char *s, size_t a, size_t b)
{
    if (b > a && s[b - 1] == ']') {
        size_t k = b - 1;
        while (k > a && is_digit(s[k - 1]))
            k--;
        if (k == b - 1 || k == a || s[k - 1] != '[')
            return false;
        b = k - 1;
    }
    if (b - a > 4 && equal_fold(s + b - 4, ".exe", 4))
        b -= 4;
    size_t len = rules[R_MAKE].len;
    return b - a >= len && memcmp(s + b - len, rules[R_MAKE].pat, len) == 0;
}

/* A diagnostic's code: 1-4 capitals and 1-6 digits (C2065, TS2322). */
static size_t diag_code(const unsigned char *s, size_t n, size_t i)
{
    size_t j = i;

    while (j < n && j - i < 4 && is_upper(s[j]))
        j++;
    size_t d = skip_digits(s, n, j);
    return j > i && d > j && d - j <= 6 ? d : i;
}

/* What follows a first token ending in ':' (at s[i], after blanks). */
static enum severity diagnostic(const unsigned char *s, size_t n, size_t i)
{
    if (i >= n)
        return SEVERITY_NONE;
    for (int r = R_DIAG_FATAL_ERROR; r <= R_DIAG_WARNING; r++) {
        size_t len = rules[r].len;
        bool upper;
        if (lower(s[i]) != (unsigned char)rules[r].pat[0] || len > n - i ||
            !equal_fold(s + i, rules[r].pat, len) ||
            !plain_case(s, i, skip_letters(s, n, i), &upper))
            continue;
        size_t j = i + len;
        if (j < n && s[j] == ':')
            return (enum severity)rules[r].sev;
        if (j < n && s[j] == ' ') {
            size_t e = diag_code(s, n, j + 1);
            if (e > j + 1 && e < n && s[e] == ':')
                return (enum severity)rules[r].sev;
        }
    }
    /* `file.py:12: DeprecationWarning: x`, `test_x.py:10: AssertionError` */
    if (!is_alpha(s[i]))
        return SEVERITY_NONE;
    size_t e = i;
    while (e < n && !is_blank(s[e]))
        e++;
    if (s[e - 1] == ':')
        return class_name(s, i, e - 1);
    return e == n ? class_name(s, i, e) : SEVERITY_NONE;
}

/* A first token at s[i..] (up to the first ' ') that ends in ':': a class
 * name, make, or a location or program before a diagnostic. */
static enum severity token(const unsigned char *s, size_t n, size_t i)
{
    size_t j = first_space(s, n, i);

    if (j == n || s[j - 1] != ':')
        return SEVERITY_NONE;
    enum severity sev = class_name(s, i, j - 1);
    if (sev != SEVERITY_NONE)
        return sev;
    size_t k = skip_blanks(s, n, j);
    if (make_name(s, i, j - 1))
        return has(s, n, k, "***", 3) ? (enum severity)rules[R_MAKE].sev
                                      : SEVERITY_NONE;
    return diagnostic(s, n, k);
}

/* `[...]` at s[i]: a level (`[ERROR]`, `[warn ]`, `[2026-... ERROR x]`,
 * `[taskcluster:error]`), or else a tag to skip: then *ret_next is after
 * it (or i: not a tag) and F_MOZ is set when it holds a year "20NN-"
 * (Taskcluster, run-task: `[task 2026-...]`). */
static enum severity bracket(const unsigned char *s, size_t n, size_t i,
                             size_t *ret_next, unsigned *flags)
{
    size_t room = n - i - 1 < TAG_MAX ? n - i - 1 : TAG_MAX;
    const unsigned char *close = memchr(s + i + 1, ']', room);

    *ret_next = i;
    if (close == NULL)
        return SEVERITY_NONE;
    size_t c = (size_t)(close - s);
    bool upper;

    /* [name:word] */
    size_t k = i + 1;
    while (k < c && (is_ident(s[k]) || s[k] == '.' || s[k] == '-'))
        k++;
    if (k > i + 1 && k < c && s[k] == ':') {
        size_t e = skip_letters(s, c, k + 1);
        enum rule_id w = e == c ? level_word(s, k + 1, e, &upper) : R_COUNT;
        if (w != R_COUNT)
            return (enum severity)rules[w].sev;
        const struct rule *x = &rules[R_TAGGED_EXCEPTION];
        if (e == c && e - k - 1 == x->len &&
            equal_fold(s + k + 1, x->pat, x->len))
            return (enum severity)x->sev;
    }

    /* [ level ] or [timestamp LEVEL ...] */
    k = skip_blanks(s, c, i + 1);
    size_t t = date_time(s, c, k);
    if (t == k)
        t = clock_time(s, c, k);
    k = skip_blanks(s, c, t);
    size_t e = skip_letters(s, c, k);
    enum rule_id w = level_word(s, k, e, &upper);
    if (w != R_COUNT &&
        (skip_blanks(s, c, e) == c || (upper && is_blank(s[e]))))
        return (enum severity)rules[w].sev; /* a tag */
    for (const unsigned char *d = s + i + 1;
         (d = memchr(d, '-', (size_t)(close - d))) != NULL; d++) {
        if ((size_t)(d - s) >= i + 5 && d[-4] == '2' && d[-3] == '0' &&
            is_digit(d[-2]) && is_digit(d[-1])) {
            *flags |= F_MOZ;
            break;
        }
    }
    *ret_next = c + 1;
    return SEVERITY_NONE;
}

/* `<error>`: a level word alone in angle brackets. */
static enum severity angle(const unsigned char *s, size_t n, size_t i)
{
    size_t e = skip_letters(s, n, i + 1);
    bool upper;
    enum rule_id w = level_word(s, i + 1, e, &upper);

    return w != R_COUNT && e < n && s[e] == '>' ? (enum severity)rules[w].sev
                                                : SEVERITY_NONE;
}

/* --- The message ------------------------------------------------------ */

static enum severity message(const unsigned char *s, size_t n, size_t i,
                             int columns, unsigned *flags);

/* Whether row r matches at s[i] (its first byte matched the index); the
 * severity in *ret. */
static bool row_at(const unsigned char *s, size_t n, size_t i, enum rule_id r,
                   int columns, unsigned *flags, enum severity *ret)
{
    const struct rule *w = &rules[r];
    size_t e = i + w->len;
    bool upper;

    if (w->len > n - i)
        return false;
    *ret = (enum severity)w->sev;
    switch ((enum match)w->kind) {
    case M_COMMAND:
        return has_row(s, n, i, r) && e < n && (s[e] == ' ' || s[e] == ':');
    case M_AT_START:
    case M_MARKER:
        return has_row(s, n, i, r);
    case M_LOGCAT:
        if (e >= n || s[e] != '/' || !logcat_tag(s, n, e + 1))
            return false;
        *flags |= F_LOGCAT;
        return true;
    case M_LOGFMT: {
        if (!has_row(s, n, i, r) || e >= n || s[e] != '=')
            return false;
        size_t a, b;
        logfmt_value(s, n, e + 1, &a, &b);
        *ret = value_level(s + a, b - a);
        return true;
    }
    case M_WORD: {
        if (!equal_fold(s + i, w->pat, w->len) || (e < n && is_ident(s[e])) ||
            !plain_case(s, i, e, &upper))
            return false;
        unsigned char next = e < n ? s[e] : 0;
        if (next == ':')
            return true;
        if (!upper || (e < n && next != ']' && !is_blank(next)))
            return false;
        if (e == n || next == ']' || columns >= COLUMNS_MAX)
            return true;
        /* A column: mozharness `INFO - msg`, mochitest `1 INFO msg`. */
        size_t k = skip_blanks(s, n, e);
        if (k + 1 < n && s[k] == '-' && is_blank(s[k + 1])) {
            *flags |= F_MOZ;
            k++;
        }
        *ret = max_sev(*ret, message(s, n, k, columns + 1, flags));
        return true;
    }
    case M_JSON_KEY:
    case M_MAKE:
    case M_CLASS:
    case M_DIAG:
    case M_TAGGED:
        break;
    }
    return false;
}

/* Whether s[i..] starts a decoration that alpha() skips. */
static bool alpha_decoration(const unsigned char *s, size_t n, size_t i)
{
    return has(s, n, i, "REFTEST ", 8) || has(s, n, i, "time=", 5) ||
           has(s, n, i, "ts=", 3);
}

/* The rows that may match at s[i] (i < n). */
static uint64_t rows_at(const unsigned char *s, size_t n, size_t i)
{
    return start_rows[s[i]] & second_rows[i + 1 < n ? s[i + 1] : 0];
}
/* A message starting with a letter that no indexed row matched. A
 * decoration (REFTEST, a logfmt time= or ts= field and the fields after
 * it) sets *ret_next past it. */
static enum severity alpha(const unsigned char *s, size_t n, size_t i,
                           unsigned *flags, size_t *ret_next)
{
    if (has(s, n, i, "REFTEST ", 8)) {
        *ret_next = i + 7;
        return SEVERITY_NONE;
    }
    if (*flags & F_LOGFMT || has(s, n, i, "time=", 5) ||
        has(s, n, i, "ts=", 3)) {
        size_t e = skip_letters(s, n - i > WORD_MAX ? i + WORD_MAX : n, i);
        if (e < n && s[e] == '=') {
            size_t a, b;
            *flags |= F_LOGFMT;
            *ret_next = logfmt_value(s, n, e + 1, &a, &b);
            return SEVERITY_NONE;
        }
    }
    return token(s, n, i);
}

/* Removes ANSI escape sequences (ESC '[' ... final byte; ESC and one
 * byte) from s[i..n) into out (n - i bytes at most); returns the length. */
static size_t strip_escapes(const unsigned char *s, size_t n, size_t i,
                            unsigned char *out)
{
    size_t m = 0;

    while (i < n) {
        if (s[i] != 0x1b) {
            out[m++] = s[i++];
            continue;
        }
        if (i + 1 < n && s[i + 1] == '[') {
            i += 2;
            while (i < n && (s[i] < 0x40 || s[i] > 0x7e))
                i++;
        } else {
            i++;
        }
        if (i < n)
            i++;
    }
    return m;
}

/* The message at s[i], an ANSI escape, classified without escapes (out of
 * line: message() keeps a small frame). */
static enum severity stripped(const unsigned char *s, size_t n, size_t i,
                              int columns, unsigned *flags)
{
    unsigned char buf[SEVERITY_PREFIX_MAX];
    size_t len = strip_escapes(s, n, i, buf);

    *flags |= F_STRIPPED;
    return message(buf, len, 0, columns, flags);
}

/* The severity of the message at or after s[i] (decorations first). */
static enum severity message(const unsigned char *s, size_t n, size_t i,
                             int columns, unsigned *flags)
{
    for (int round = 0; round <= DECORATIONS_MAX; round++) {
        i = skip_blanks(s, n, i);
        if (i >= n)
            return SEVERITY_NONE;
        enum severity sev = SEVERITY_NONE;
        for (uint64_t m = rows_at(s, n, i); m != 0; m &= m - 1)
            if (row_at(s, n, i, (enum rule_id)lowest_bit(m), columns, flags,
                       &sev))
                return sev;
        size_t next = i;
        switch ((enum cls)byte_class[s[i]]) {
        case C_ALPHA:
            sev = alpha(s, n, i, flags, &next);
            break;
        case C_DIGIT:
            next = stamp(s, n, i);
            if (next == i)
                return token(s, n, i);
            break;
        case C_BRACKET:
            sev = bracket(s, n, i, &next, flags);
            break;
        case C_EQUALS:
            next = sanitizer_pid(s, n, i);
            break;
        case C_PATH:
            return token(s, n, i);
        case C_BRACE:
            return json(s, n, i);
        case C_ANGLE:
            return angle(s, n, i);
        case C_ESC:
            return *flags & F_STRIPPED ? SEVERITY_NONE
                                       : stripped(s, n, i, columns, flags);
        case C_BLANK:
        case C_NONE:
            return SEVERITY_NONE;
        }
        if (sev != SEVERITY_NONE || next == i)
            return sev;
        i = next;
    }
    return SEVERITY_NONE;
}

/* severity_classify without the index check. */
static enum severity classify(const unsigned char *s, size_t len)
{
    size_t n = len < SEVERITY_PREFIX_MAX ? len : SEVERITY_PREFIX_MAX;
    unsigned flags = 0;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    size_t i = skip_blanks(s, n, 0);
    if (i == n)
        return SEVERITY_NONE;
    /* Most lines: a word that starts no row and no decoration; only a
     * first token ending in ':' can still match. */
    if (byte_class[s[i]] == C_ALPHA && rows_at(s, n, i) == 0 &&
        !alpha_decoration(s, n, i))
        return token(s, n, i);
    enum severity sev = message(s, n, i, 0, &flags);
    if ((flags & (F_MOZ | F_LOGCAT)) == F_MOZ && sev < SEVERITY_ERROR)
        sev = max_sev(sev, marker_anywhere(s, n));
    return sev;
}

enum severity severity_classify(const char *line, size_t len)
{
    need_index();
    return classify((const unsigned char *)line, len);
}

const char *severity_name(enum severity sev)
{
    static const char *const names[SEVERITY_COUNT] = {
        "none", "trace", "debug", "info", "warning", "error", "fatal",
    };

    return (unsigned)sev < SEVERITY_COUNT ? names[sev] : "?";
}

/* --- The tally -------------------------------------------------------- */

#define HITS_FIRST 16

enum line_state {
    AT_START,  /* no byte of the current line yet */
    IN_PART,   /* the line's first part_len bytes are in part */
    SKIP_REST, /* the line is counted (or dropped): wait for its '\n' */
};

struct severity_tally {
    uint64_t by[SEVERITY_COUNT]; /* lines classified, by severity      */
    uint64_t offset;             /* bytes fed and skipped               */
    uint64_t line_offset;        /* offset of the current line's start  */
    uint64_t line;               /* its number (1-based); 0: unknown    */
    uint64_t hits_dropped;       /* hits lost to -ENOMEM                */
    struct severity_hit *hits;   /* the first ERROR/FATAL lines, or NULL */
    unsigned char *part;         /* a split line's start, or NULL       */
    uint16_t nhits;              /* hits in use                         */
    uint16_t hits_cap;           /* hits allocated                      */
    uint16_t part_len;           /* bytes in part                       */
    uint8_t state;               /* enum line_state                     */
};

int severity_tally_new(struct severity_tally **ret)
{
    struct severity_tally *t = calloc(1, sizeof *t);

    if (t == NULL)
        return -ENOMEM;
    t->line = 1;
    *ret = t;
    return 0;
}

void severity_tally_free(struct severity_tally *t)
{
    if (t == NULL)
        return;
    free(t->hits);
    free(t->part);
    free(t);
}

/* Counts the current line as sev. Returns 0, or -ENOMEM when its hit was
 * dropped. */
static int count(struct severity_tally *t, enum severity sev)
{
    t->by[sev]++;
    if (sev < SEVERITY_ERROR || t->nhits >= SEVERITY_FIRST_MAX)
        return 0;
    if (t->nhits == t->hits_cap) {
        size_t cap = t->hits_cap == 0 ? HITS_FIRST : 2u * t->hits_cap;
        if (cap > SEVERITY_FIRST_MAX)
            cap = SEVERITY_FIRST_MAX;
        struct severity_hit *h = realloc(t->hits, cap * sizeof *h);
        if (h == NULL) {
            t->hits_dropped++;
            return -ENOMEM;
        }
        t->hits = h;
        t->hits_cap = (uint16_t)cap;
    }
    t->hits[t->nhits++] = (struct severity_hit){
        .offset = t->line_offset, .line = t->line, .sev = sev};
    return 0;
}

/* The current line ended at offset `next` (just after its '\n'). */
static void next_line(struct severity_tally *t, uint64_t next)
{
    t->line_offset = next;
    if (t->line != 0)
        t->line++;
    t->state = AT_START;
}

static void drop_part(struct severity_tally *t)
{
    free(t->part);
    t->part = NULL;
    t->part_len = 0;
}

int severity_tally_feed(struct severity_tally *t, const void *buf, size_t len)
{
    const unsigned char *p = buf, *end = p + len;
    uint64_t base = t->offset; /* the log offset of buf[0] */
    int rc = 0;

    if (len == 0)
        return 0;
    need_index();
    t->offset += len;
    while (p < end) {
        if (t->state == SKIP_REST) {
            const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL)
                break;
            p = nl + 1;
            next_line(t, base + (uint64_t)(p - (const unsigned char *)buf));
            continue;
        }
        if (t->state == IN_PART) {
            size_t room = SEVERITY_PREFIX_MAX - t->part_len;
            size_t avail = (size_t)(end - p);
            size_t take = avail < room ? avail : room;
            const unsigned char *nl = memchr(p, '\n', take);
            if (nl != NULL)
                take = (size_t)(nl - p);
            memcpy(t->part + t->part_len, p, take);
            t->part_len = (uint16_t)(t->part_len + take);
            p += take;
            if (nl == NULL && t->part_len < SEVERITY_PREFIX_MAX)
                break; /* still incomplete: p == end */
            if (count(t, classify(t->part, t->part_len)) != 0)
                rc = -ENOMEM;
            drop_part(t);
            if (nl == NULL) {
                t->state = SKIP_REST;
                continue;
            }
            p = nl + 1;
            next_line(t, base + (uint64_t)(p - (const unsigned char *)buf));
            continue;
        }
        /* AT_START: whole lines in place. */
        const unsigned char *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            size_t ll = (size_t)(nl - p);
            if (count(t, classify(p, ll)) != 0)
                rc = -ENOMEM;
            p = nl + 1;
            next_line(t, base + (uint64_t)(p - (const unsigned char *)buf));
        }
        size_t avail = (size_t)(end - p);
        if (avail == 0)
            break;
        if (avail >= SEVERITY_PREFIX_MAX) {
            if (count(t, classify(p, avail)) != 0)
                rc = -ENOMEM;
            t->state = SKIP_REST;
            break;
        }
        t->part = malloc(SEVERITY_PREFIX_MAX);
        if (t->part == NULL) {
            /* Classify on what is here; the rest of the line is skipped. */
            (void)count(t, classify(p, avail));
            rc = -ENOMEM;
            t->state = SKIP_REST;
            break;
        }
        memcpy(t->part, p, avail);
        t->part_len = (uint16_t)avail;
        t->state = IN_PART;
        break;
    }
    return rc;
}

void severity_tally_finish(struct severity_tally *t)
{
    if (t->state == AT_START)
        return;
    need_index();
    if (t->state == IN_PART) {
        (void)count(t, classify(t->part, t->part_len));
        drop_part(t);
    }
    next_line(t, t->offset);
}

void severity_tally_skip(struct severity_tally *t, uint64_t len)
{
    if (len == 0)
        return;
    drop_part(t);
    t->offset += len;
    t->line = 0;
    t->state = SKIP_REST;
}

void severity_tally_counts(const struct severity_tally *t,
                           struct severity_counts *ret)
{
    memset(ret, 0, sizeof *ret);
    for (int s = 0; s < SEVERITY_COUNT; s++) {
        ret->by[s] = t->by[s];
        ret->lines += t->by[s];
    }
    ret->bytes = t->offset;
    ret->hits_dropped = t->hits_dropped;
    ret->lines_known = t->line != 0;
}

size_t severity_tally_hits(const struct severity_tally *t, size_t from,
                           struct severity_hit *out, size_t cap)
{
    if (from >= t->nhits)
        return 0;
    size_t n = t->nhits - from < cap ? t->nhits - from : cap;
    if (n > 0)
        memcpy(out, t->hits + from, n * sizeof *out);
    return n;
}

size_t severity_tally_nhits(const struct severity_tally *t)
{
    return t->nhits;
}

size_t severity_tally_footprint(const struct severity_tally *t)
{
    return sizeof *t + (t->part != NULL ? SEVERITY_PREFIX_MAX : 0) +
           (size_t)t->hits_cap * sizeof *t->hits;
}
