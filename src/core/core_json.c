/* core_json: a bounded JSON text writer over a caller-owned buffer, used
 * by the logger and by the HTTP handlers that answer in JSON (listings,
 * errors). Any thread; the writer is owned by its caller, no shared state.
 *
 * Guarantees: the text stays NUL-terminated and len < cap; strings come
 * out as valid JSON and valid UTF-8 whatever bytes go in:
 *   '"' and '\\'        -> \" and \\ ;
 *   \b \f \n \r \t      -> their short escapes;
 *   other bytes < 0x20  -> \u00XX, and 0x7f (DEL) -> \u007f;
 *   well-formed UTF-8   -> copied as is (Unicode 15, table 3-7: no
 *                          overlongs, no surrogates D800-DFFF, nothing
 *                          above U+10FFFF);
 *   anything else       -> the six characters \ufffd, one per byte that
 *                          does not start a well-formed sequence (a bad
 *                          lead byte, a truncated sequence's lead and each
 *                          stray continuation byte are each replaced).
 * Each of these output units is written whole or not at all, so cutting
 * a string never splits an escape or a UTF-8 sequence. */
#include "core/core_json.h"

#include <string.h>

/* Bytes still free for text, keeping one for the NUL. */
static size_t room(const struct core_json *j)
{
    return j->cap - 1 - j->len;
}

static void put(struct core_json *j, const char *p, size_t n)
{
    memcpy(j->buf + j->len, p, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

void core_json_init(struct core_json *j, char *buf, size_t cap)
{
    j->buf = buf;
    j->cap = cap;
    j->len = 0;
    j->truncated = false;
    if (cap > 0)
        buf[0] = '\0';
}

/* All or nothing: text that does not fit whole is dropped and truncated
 * set, so raw punctuation is never cut in half. */
void core_json_raw(struct core_json *j, const char *text, size_t len)
{
    if (j->cap == 0 || len > room(j)) {
        j->truncated = true;
        return;
    }
    put(j, text, len);
}

/* Length of the well-formed UTF-8 sequence starting at s[0] (s[0] >=
 * 0x80), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;

    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlongs */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90; /* no overlongs */
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0; /* 80..C1 (continuation, overlong lead), F5..FF */
    }
    if (n < need)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return need;
}

/* Escapes the unit starting at s[0] into out (at least 6 bytes). Returns
 * the output length and sets *consumed to the input bytes it covers. */
static size_t escape_unit(const unsigned char *s, size_t n, char *out,
                          size_t *consumed)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = s[0];
    size_t seq;

    *consumed = 1;
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out[0] = (char)c;
        return 1;
    }
    switch (c) {
    case '"':
        memcpy(out, "\\\"", 2);
        return 2;
    case '\\':
        memcpy(out, "\\\\", 2);
        return 2;
    case '\b':
        memcpy(out, "\\b", 2);
        return 2;
    case '\f':
        memcpy(out, "\\f", 2);
        return 2;
    case '\n':
        memcpy(out, "\\n", 2);
        return 2;
    case '\r':
        memcpy(out, "\\r", 2);
        return 2;
    case '\t':
        memcpy(out, "\\t", 2);
        return 2;
    default:
        break;
    }
    if (c < 0x80) { /* remaining control bytes and DEL */
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 0xf];
        return 6;
    }
    seq = utf8_seq(s, n);
    if (seq == 0) {
        memcpy(out, "\\ufffd", 6);
        return 6;
    }
    memcpy(out, s, seq);
    *consumed = seq;
    return seq;
}

void core_json_str(struct core_json *j, const char *s, size_t len,
                   size_t reserve)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t avail;

    if (p == NULL)
        len = 0;
    /* Room for both quotes, the reserve and the NUL, or nothing at all. */
    if (j->cap == 0 || room(j) < reserve || room(j) - reserve < 2) {
        j->truncated = true;
        return;
    }
    avail = room(j) - reserve - 2; /* for the string's contents */
    put(j, "\"", 1);
    while (len > 0) {
        char out[6];
        size_t used;
        size_t n = escape_unit(p, len, out, &used);

        if (n > avail) {
            j->truncated = true;
            break;
        }
        put(j, out, n);
        avail -= n;
        p += used;
        len -= used;
    }
    put(j, "\"", 1);
}

void core_json_u64(struct core_json *j, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    core_json_raw(j, tmp + i, sizeof tmp - i);
}

void core_json_i64(struct core_json *j, int64_t v)
{
    char tmp[21];
    size_t i = sizeof tmp;
    /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do {
        tmp[--i] = (char)('0' + m % 10);
        m /= 10;
    } while (m != 0);
    if (v < 0)
        tmp[--i] = '-';
    core_json_raw(j, tmp + i, sizeof tmp - i);
}
