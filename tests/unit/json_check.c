/* json_check: the strict JSON validator and string decoder the unit tests
 * use to prove that what livelog writes is valid JSON and valid UTF-8.
 * A recursive-descent parser over (ptr, len); single-threaded test code. */
#include "json_check.h"

#include <stdint.h>
#include <string.h>

struct parser {
    const unsigned char *s;
    size_t len;
    size_t pos;
    int depth;
};

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7), or
 * 0 when there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    if (c == 0xed)
        hi = 0x9f;
    if (c == 0xf0)
        lo = 0x90;
    if (c == 0xf4)
        hi = 0x8f;
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return need;
}

bool json_check_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_len(p + i, len - i);

        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at p->pos. Returns the code unit or
 * -1. */
static long read_u4(struct parser *p)
{
    long v = 0;

    if (p->len - p->pos < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + (size_t)i]);

        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    p->pos += 4;
    return v;
}

static void put_utf8(unsigned char *out, size_t *n, uint32_t cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (unsigned char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (unsigned char)(0xc0 | (cp >> 6));
        out[(*n)++] = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*n)++] = (unsigned char)(0xe0 | (cp >> 12));
        out[(*n)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        out[(*n)++] = (unsigned char)(0xf0 | (cp >> 18));
        out[(*n)++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*n)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (unsigned char)(0x80 | (cp & 0x3f));
    }
}

/* Parses a string token at p->pos. When out is not NULL the decoded bytes
 * are appended there (cap bytes); *out_len receives their count. */
static bool parse_string(struct parser *p, unsigned char *out, size_t cap,
                         size_t *out_len)
{
    size_t n = 0;

    if (p->pos >= p->len || p->s[p->pos] != '"')
        return false;
    p->pos++;
    for (;;) {
        unsigned char tmp[4];
        size_t tn = 0;
        unsigned char c;

        if (p->pos >= p->len)
            return false;
        c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            long u;

            if (p->pos + 1 >= p->len)
                return false;
            c = p->s[p->pos + 1];
            p->pos += 2;
            switch (c) {
            case '"':
            case '\\':
            case '/':
                tmp[tn++] = c;
                break;
            case 'b':
                tmp[tn++] = '\b';
                break;
            case 'f':
                tmp[tn++] = '\f';
                break;
            case 'n':
                tmp[tn++] = '\n';
                break;
            case 'r':
                tmp[tn++] = '\r';
                break;
            case 't':
                tmp[tn++] = '\t';
                break;
            case 'u':
                u = read_u4(p);
                if (u < 0 || (u >= 0xdc00 && u <= 0xdfff))
                    return false;
                if (u >= 0xd800 && u <= 0xdbff) {
                    long lo;

                    if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
                        p->s[p->pos + 1] != 'u')
                        return false;
                    p->pos += 2;
                    lo = read_u4(p);
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return false;
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                }
                put_utf8(tmp, &tn, (uint32_t)u);
                break;
            default:
                return false;
            }
        } else {
            size_t sl = utf8_len(p->s + p->pos, p->len - p->pos);

            if (sl == 0)
                return false;
            memcpy(tmp, p->s + p->pos, sl);
            tn = sl;
            p->pos += sl;
        }
        if (out != NULL) {
            if (n + tn >= cap)
                return false;
            memcpy(out + n, tmp, tn);
        }
        n += tn;
    }
    if (out != NULL)
        out[n] = '\0';
    if (out_len != NULL)
        *out_len = n;
    return true;
}

static bool parse_value(struct parser *p);

static bool parse_digits(struct parser *p)
{
    size_t start = p->pos;

    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    return p->pos > start;
}

static bool parse_number(struct parser *p)
{
    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '0')
        p->pos++;
    else if (!parse_digits(p))
        return false;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (!parse_digits(p))
            return false;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (!parse_digits(p))
            return false;
    }
    return true;
}

static bool parse_literal(struct parser *p, const char *lit)
{
    size_t n = strlen(lit);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
        return false;
    p->pos += n;
    return true;
}

/* Parses an object at p->pos; records members when m is not NULL. */
static bool parse_object(struct parser *p, struct json_check_member *m,
                         size_t max, size_t *ret_n)
{
    size_t n = 0;

    p->pos++; /* '{' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        goto done;
    }
    for (;;) {
        size_t kstart, vstart;

        skip_ws(p);
        kstart = p->pos;
        if (!parse_string(p, NULL, 0, NULL))
            return false;
        if (m != NULL && n < max) {
            m[n].key = (const char *)p->s + kstart + 1;
            m[n].key_len = p->pos - kstart - 2;
        }
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
            return false;
        p->pos++;
        skip_ws(p);
        vstart = p->pos;
        if (!parse_value(p))
            return false;
        if (m != NULL && n < max) {
            m[n].value = (const char *)p->s + vstart;
            m[n].value_len = p->pos - vstart;
        }
        n++;
        skip_ws(p);
        if (p->pos >= p->len)
            return false;
        if (p->s[p->pos] == '}') {
            p->pos++;
            break;
        }
        if (p->s[p->pos] != ',')
            return false;
        p->pos++;
    }
done:
    if (ret_n != NULL)
        *ret_n = n;
    return true;
}

static bool parse_array(struct parser *p)
{
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (!parse_value(p))
            return false;
        skip_ws(p);
        if (p->pos >= p->len)
            return false;
        if (p->s[p->pos] == ']') {
            p->pos++;
            return true;
        }
        if (p->s[p->pos] != ',')
            return false;
        p->pos++;
    }
}

static bool parse_value(struct parser *p)
{
    bool ok;

    if (p->pos >= p->len || p->depth > 64)
        return false;
    p->depth++;
    switch (p->s[p->pos]) {
    case '{':
        ok = parse_object(p, NULL, 0, NULL);
        break;
    case '[':
        ok = parse_array(p);
        break;
    case '"':
        ok = parse_string(p, NULL, 0, NULL);
        break;
    case 't':
        ok = parse_literal(p, "true");
        break;
    case 'f':
        ok = parse_literal(p, "false");
        break;
    case 'n':
        ok = parse_literal(p, "null");
        break;
    default:
        ok = parse_number(p);
        break;
    }
    p->depth--;
    return ok;
}

bool json_check_string(const char *s, size_t len)
{
    struct parser p = {(const unsigned char *)s, len, 0, 0};

    return parse_string(&p, NULL, 0, NULL) && p.pos == len;
}

bool json_check_value(const char *s, size_t len)
{
    struct parser p = {(const unsigned char *)s, len, 0, 0};

    if (!json_check_utf8(s, len))
        return false;
    skip_ws(&p);
    if (!parse_value(&p))
        return false;
    skip_ws(&p);
    return p.pos == len;
}

bool json_check_object(const char *s, size_t len,
                       struct json_check_member *ret_members, size_t max,
                       size_t *ret_n)
{
    struct parser p = {(const unsigned char *)s, len, 0, 0};

    if (!json_check_utf8(s, len))
        return false;
    skip_ws(&p);
    if (p.pos >= len || p.s[p.pos] != '{')
        return false;
    if (!parse_object(&p, ret_members, max, ret_n))
        return false;
    skip_ws(&p);
    return p.pos == len;
}

size_t json_check_decode(const char *tok, size_t len, char *out, size_t cap)
{
    struct parser p = {(const unsigned char *)tok, len, 0, 0};
    size_t n;

    if (cap == 0 || !parse_string(&p, (unsigned char *)out, cap, &n) ||
        p.pos != len)
        return (size_t)-1;
    return n;
}
