/* severity: the severity of each line of a log, as the server ingests it,
 * for `GET /v1/logs/NAME/stats`: counts by severity and where the first
 * SEVERITY_FIRST_MAX ERROR and FATAL lines are (byte offset, line number),
 * live while the log grows.
 *
 * Pure: libc only, no I/O, no logging, no locks. severity_classify may be
 * called from any thread: its only state is a read-only 4 KiB index of the
 * rules, built by the first call (call_once). A struct severity_tally
 * belongs to one log and its caller serialises the calls on it (the log's
 * writer).
 *
 * Classification (severity_classify) looks at the first
 * SEVERITY_PREFIX_MAX bytes of a line, without its '\n' (one trailing '\r'
 * is ignored). The rules are the table `rules[]` in severity.c, one row per
 * pattern with the convention it comes from; the first rule that matches
 * decides:
 *
 *  1. JSON: a line whose message starts with '{'. The value of the first
 *     top-level key "level" or "severity" (key and value case-insensitive;
 *     a scan that skips strings and nested objects, not a parser):
 *     fatal, critical, crit, panic, emerg, emergency, alert -> FATAL;
 *     error, err, dpanic (zap), severe -> ERROR; warn, warning -> WARNING;
 *     info, information, notice -> INFO; debug -> DEBUG; trace, verbose ->
 *     TRACE. A number as "level" is bunyan's and pino's scale: >= 60
 *     FATAL, 50-59 ERROR, 40-49 WARNING, 30-39 INFO, 20-29 DEBUG, 10-19
 *     TRACE, below 10 nothing (syslog's and OpenTelemetry's numbers mean
 *     other things; a number as "severity" is ignored). A JSON line is
 *     decided by this rule alone: `{"level":"info","msg":"error"}` is INFO.
 *  2. CI commands at the message start: GitHub Actions `::error` and
 *     `::warning` and `::notice` followed by ' ' or ':', `::debug::`; the
 *     rendered `##[error]`, `##[warning]`, `##[notice]`, `##[debug]` (the
 *     Actions runner, Azure Pipelines); Azure's `##vso[task.logissue
 *     type=error` / `type=warning`.
 *  3. Mozilla harnesses: `TEST-UNEXPECTED-` (any outcome) and
 *     `PROCESS-CRASH` -> ERROR, but `TEST-UNEXPECTED-WARNING` -> WARNING
 *     (Treeherder leaves it out of error lines). Found at the message
 *     start (so also after mochitest's `596 INFO ` and `REFTEST `), and
 *     anywhere in the first SEVERITY_PREFIX_MAX bytes of a line that has a
 *     Taskcluster tag holding a year (`[task 2026-...]`) or a mozharness
 *     column (`INFO - `), unless its message is logcat's
 *     (`I/TestRunner: TEST-UNEXPECTED-FAIL` is INFO: Treeherder leaves
 *     those out too). Not anywhere in every line: that would scan every
 *     byte of every log. `TEST-PASS`, `TEST-KNOWN-FAIL` are nothing.
 *  4. Level prefixes at the message start:
 *     - specific lines: `Traceback (most recent call last):` (Python),
 *       `Exception in thread "` (JVM), `--- FAIL: ` (go test),
 *       `[  FAILED  ] ` (googletest), `error[E` (rustc), `npm ERR!`,
 *       `npm error ` -> ERROR; `npm WARN `, `npm warn ` -> WARNING;
 *       `fatal error: ` -> FATAL (the Go runtime's last words; a compiler's
 *       `file:1:2: fatal error:` is below);
 *     - Android logcat `F/Tag`, `E/`, `W/`, `I/`, `D/`, `V/`: the capital,
 *       '/', a tag, then '(' or ':' (after optional spaces); V is TRACE;
 *     - level words FATAL, CRITICAL, PANIC -> FATAL; SEVERE
 *       (java.util.logging), ERROR, ERR -> ERROR; WARNING, WARN -> WARNING;
 *       INFO; DEBUG; TRACE. In upper case followed by ' ', '\t', ':', ']'
 *       or the end of the line; in upper, lower or capitalised case
 *       followed by ':', or alone inside `[...]` or `<...>` (`[error]`,
 *       `[ WARN ]`, `<Warning>`), or after `name:` in brackets
 *       (`[taskcluster:error]`; `[taskcluster:exception]` is ERROR); in
 *       upper case followed by a blank inside brackets, also after a
 *       timestamp (`[2026-... ERROR target]`, Rust's env_logger). So
 *       `error: linker command failed` counts, `Error handling` does not.
 *       An upper-case word followed by a blank is a column (mozharness
 *       `INFO - `, mochitest `596 INFO `): the rest of the line is
 *       classified too (two columns deep) and the higher severity wins;
 *     - logfmt `level=error` / `lvl=warn` (values as in rule 1);
 *     - `make: *** ...` (any program name ending in make, with `[N]`);
 *     - a class name ending in Error, Exception or Warning followed by ':'
 *       (`ValueError: x`, `java.io.IOException: x`); its last dotted part
 *       starts with a capital, so `lastError: null` is nothing;
 *     - after a program or location prefix `TOKEN: ` (the first token, up
 *       to the first ' '; `foo.c:12:5: `, `collect2: `, `Foo.cs(1,2): `):
 *       `error`, `fatal error`, `runtime error` (UBSan) -> ERROR and
 *       `warning` -> WARNING, followed by ':' or by ' CODE:' (MSVC `C2065`,
 *       tsc `TS2322`); also a class name as above, or followed by the end
 *       of the line (pytest's `test_x.py:10: AssertionError`). gcc's and
 *       clang's `fatal error:` means this compilation stopped: the build
 *       step failed, the program writing the log did not crash, so ERROR.
 *  5. Anything else is SEVERITY_NONE.
 *
 * The message start is the first byte after leading blanks and up to 8 of
 * these decorations, in any order, each followed by blanks: an ISO-8601
 * date or date-time (`T` or ' ', fraction, zone; also `2026/01/02`, and
 * logcat's `01-02 03:04:05.678`), a time `12:00:01`, `0:01.23` (fraction
 * after '.' or ','), a `[bracketed tag]` of at most 80 bytes that is not
 * itself a level, sanitizers' `==1234==`, a counter `596 `, a logfmt
 * `time=...` or `ts=...` field and the key=value fields after it,
 * `REFTEST `. A message that starts with an ANSI escape (ESC '[' ... final
 * byte) is classified with its escape sequences removed.
 *
 * Word boundaries: a word is a run of ASCII letters; the byte after it must
 * not be a letter, digit or '_'. So `ERRORS`, `error_count=0`, `errors: 0`,
 * `ErrorProne`, `INFORMATION_SCHEMA`, `::errors` are nothing, and so is any
 * marker that is not at the message start (`no errors`, `0 errors`,
 * `Warnings are treated as errors`, a URL).
 *
 * Memory of a tally (x86-64, glibc): 112 bytes (128 with malloc's
 * overhead) while idle; plus SEVERITY_PREFIX_MAX bytes while a line is split
 * across feeds (freed when it is classified); plus the hits array once an
 * ERROR or FATAL line is seen: 24 bytes a hit, capacity 16, 32, ..., 512,
 * 1,000 (at most 24,000 bytes). 100,000 idle logs: ~12.2 MiB. */
#ifndef LIVELOG_SEVERITY_H
#define LIVELOG_SEVERITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEVERITY_PREFIX_MAX 512 /* bytes of a line the rules look at */
#define SEVERITY_FIRST_MAX 1000 /* ERROR/FATAL lines whose position is kept */

enum severity {
    SEVERITY_NONE = 0,
    SEVERITY_TRACE,
    SEVERITY_DEBUG,
    SEVERITY_INFO,
    SEVERITY_WARNING,
    SEVERITY_ERROR,
    SEVERITY_FATAL,
    SEVERITY_COUNT
};

/* "none", "trace", "debug", "info", "warning", "error", "fatal"; "?" for a
 * value outside the enum. A static string; can't fail. */
const char *severity_name(enum severity sev);

/* The severity of one line: len bytes at line, without the '\n' (a
 * trailing '\r' is ignored); only the first SEVERITY_PREFIX_MAX bytes are
 * read. line may be NULL when len is 0. Can't fail. */
enum severity severity_classify(const char *line, size_t len);

/* An ERROR or FATAL line: offset of its first byte in the log, its line
 * number (1-based; 0 once a skip made line numbers unknown). */
struct severity_hit {
    uint64_t offset;
    uint64_t line;
    enum severity sev;
};

/* The severity state of one log (opaque). */
struct severity_tally;

/* Returns 0 and a new, empty tally in *ret (the caller frees it with
 * severity_tally_free), or -ENOMEM with *ret untouched. */
int severity_tally_new(struct severity_tally **ret);

/* Frees t and what it holds. NULL is a no-op. */
void severity_tally_free(struct severity_tally *t);

/* Feeds the next len bytes of the log (buf may be NULL when len is 0): the
 * caller feeds every byte once, in order, the first call at offset 0.
 * Lines end at '\n'. A line is classified, and counted, once: when its
 * '\n' arrives, or as soon as its first SEVERITY_PREFIX_MAX bytes have
 * arrived (a longer line is classified on those), or at
 * severity_tally_finish. A line whole inside buf is classified in place;
 * only the start (at most SEVERITY_PREFIX_MAX bytes) of a line split
 * across calls is copied.
 * Returns 0, or -ENOMEM when memory ran out; the bytes were still taken
 * and the counts stay right: a hit that could not be stored is dropped
 * (counted in hits_dropped); a split line whose start could not be kept
 * is classified on the bytes that had arrived. */
int severity_tally_feed(struct severity_tally *t, const void *buf, size_t len);

/* The log is final: classifies and counts a last line that has no '\n'.
 * Idempotent. Bytes fed afterwards start a new line. */
void severity_tally_finish(struct severity_tally *t);

/* Skips len bytes that cannot be read (the elided middle of a keep-tail
 * log). The line in progress is dropped unclassified and uncounted; the
 * offset advances by len; the bytes after the gap, up to the next '\n',
 * are the end of a line whose start is gone and are dropped too. Line
 * numbers are unknown from then on: later hits carry line 0 and
 * lines_known is false. len 0 is a no-op. */
void severity_tally_skip(struct severity_tally *t, uint64_t len);

struct severity_counts {
    uint64_t lines;              /* lines classified: the sum of by[] */
    uint64_t by[SEVERITY_COUNT]; /* lines by severity (by[0]: none)  */
    uint64_t bytes;              /* bytes fed and skipped            */
    uint64_t hits_dropped;       /* hits lost to -ENOMEM             */
    bool lines_known;            /* false once severity_tally_skip   */
};

/* The counts so far into *ret. Can't fail. */
void severity_tally_counts(const struct severity_tally *t,
                           struct severity_counts *ret);

/* Copies up to cap hits, from index `from` on (oldest first), into out and
 * returns how many. At most SEVERITY_FIRST_MAX hits are kept: later ERROR
 * and FATAL lines are counted but not listed. Can't fail. */
size_t severity_tally_hits(const struct severity_tally *t, size_t from,
                           struct severity_hit *out, size_t cap);

/* The number of hits kept (at most SEVERITY_FIRST_MAX). Can't fail. */
size_t severity_tally_nhits(const struct severity_tally *t);

/* Bytes of heap that t holds (the struct, a split line's buffer, the hits
 * array), for memory accounting. Can't fail. */
size_t severity_tally_footprint(const struct severity_tally *t);

#endif
