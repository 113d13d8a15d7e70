/* json_check: a small, strict JSON validator for the unit tests (RFC 8259
 * grammar, plus: the whole text must be valid UTF-8 and \u escapes must
 * not leave a lone surrogate). Used by test_core_json and test_log; not
 * part of livelog. Single-threaded test code. */
#ifndef LIVELOG_TEST_JSON_CHECK_H
#define LIVELOG_TEST_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* One top-level member of an object: the key's text between its quotes
 * (still escaped) and the value's raw text. */
struct json_check_member {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
};

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool json_check_utf8(const char *s, size_t len);

/* True when s[0..len) is exactly one JSON string token, quotes included. */
bool json_check_string(const char *s, size_t len);

/* True when s[0..len) is exactly one JSON value, optionally surrounded by
 * whitespace. */
bool json_check_value(const char *s, size_t len);

/* True when s[0..len) is exactly one JSON object (optionally surrounded
 * by whitespace). Its first `max` top-level members are stored in
 * ret_members and their total number in *ret_n. */
bool json_check_object(const char *s, size_t len,
                       struct json_check_member *ret_members, size_t max,
                       size_t *ret_n);

/* Decodes a valid JSON string token into UTF-8 bytes in out (cap bytes,
 * NUL-terminated). Returns the decoded length, or (size_t)-1 when the
 * token is invalid or does not fit. */
size_t json_check_decode(const char *tok, size_t len, char *out, size_t cap);

#endif
