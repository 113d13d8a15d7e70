/* core_json: writes JSON text into a caller-owned, fixed-size buffer.
 * Never allocates, never overflows: when the buffer is full the writer
 * stops and remembers that it truncated. Strings are escaped so that the
 * output is always valid JSON and valid UTF-8 whatever bytes come in:
 * quotes and backslashes escaped, control bytes as \u00XX, invalid UTF-8
 * sequences replaced by U+FFFD. Any thread; no shared state. */
#ifndef LIVELOG_CORE_JSON_H
#define LIVELOG_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct core_json {
    char *buf;      /* caller's buffer */
    size_t cap;     /* its size in bytes */
    size_t len;     /* bytes written so far, always < cap */
    bool truncated; /* set when something did not fit */
};

/* Starts writing into buf[0..cap). cap must be at least 1; the text is
 * kept NUL-terminated. */
void core_json_init(struct core_json *j, char *buf, size_t cap);

/* Appends raw, already-valid JSON text (punctuation, literals). All or
 * nothing: text that does not fit whole is dropped and truncated set. */
void core_json_raw(struct core_json *j, const char *text, size_t len);

/* Appends a quoted, escaped JSON string made from len arbitrary bytes
 * (s may be NULL: an empty string). If it does not fit whole, as much as
 * fits is written (never splitting an escape or a UTF-8 sequence), the
 * string is closed and truncated set. The reserve bytes at the end of the
 * buffer are left free for the caller's closing punctuation; when not
 * even "" fits before them nothing is written and truncated is set.
 * Invalid UTF-8 becomes the escape \ufffd, one per byte that does not
 * start a well-formed sequence. */
void core_json_str(struct core_json *j, const char *s, size_t len,
                   size_t reserve);

/* Appends an unsigned / signed decimal number. */
void core_json_u64(struct core_json *j, uint64_t v);
void core_json_i64(struct core_json *j, int64_t v);

#endif
