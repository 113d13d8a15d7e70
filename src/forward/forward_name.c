/* forward_name: the stream name of a forwarded file, from the
 * --name-template of `livelog forward`. The template is checked once at
 * start-up; each new file's name is expanded from it, sanitising the
 * values (a file name may hold any byte but '/' and NUL; a stream name
 * may not). */
#include "forward/forward_name.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/store_name.h"

static bool name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
           c == '-';
}

enum var { V_HOST, V_FILE, V_DIR, V_PATH, V_INO, V_GEN, V_NONE };

static const char *const var_names[] = {"host", "file", "dir",
                                        "path", "ino",  "gen"};

/* The placeholder at p ("{...}"), with its length in *ret_len. */
static enum var placeholder(const char *p, size_t *ret_len)
{
    for (size_t v = 0; v < sizeof(var_names) / sizeof(var_names[0]); v++) {
        size_t n = strlen(var_names[v]);
        if (p[0] == '{' && strncmp(p + 1, var_names[v], n) == 0 &&
            p[n + 1] == '}') {
            *ret_len = n + 2;
            return (enum var)v;
        }
    }
    return V_NONE;
}

int forward_name_check_template(const char *tmpl, char *msg, size_t cap)
{
    if (tmpl[0] == '\0') {
        snprintf(msg, cap, "the name template is empty");
        return -EINVAL;
    }
    for (size_t i = 0; tmpl[i] != '\0';) {
        size_t n = 0;
        if (tmpl[i] == '{') {
            if (placeholder(tmpl + i, &n) == V_NONE) {
                snprintf(msg, cap,
                         "unknown placeholder at position %zu of the name "
                         "template (use {host} {file} {dir} {path} {ino} "
                         "{gen})",
                         i);
                return -EINVAL;
            }
            i += n;
            continue;
        }
        if (tmpl[i] != '/' && !name_byte((unsigned char)tmpl[i])) {
            snprintf(msg, cap,
                     "byte 0x%02x at position %zu of the name template is "
                     "not allowed in a log name (A-Z a-z 0-9 . _ ~ - /)",
                     (unsigned char)tmpl[i], i);
            return -EINVAL;
        }
        i++;
    }
    return 0;
}

/* The output under construction. */
struct out {
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 >= o->cap) {
        o->overflow = true;
        return;
    }
    o->buf[o->len++] = c;
}

/* Appends a value: '/' kept only when slashes is true (for {path}),
 * every byte a name may not hold becomes '_'. */
static void put_value(struct out *o, const char *s, size_t n, bool slashes)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/' && slashes)
            put(o, '/');
        else
            put(o, name_byte(c) ? (char)c : '_');
    }
}

static void put_u64(struct out *o, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRIu64, v);
    put_value(o, num, (size_t)n, false);
}

/* Rewrites buf[0..len) in place: no empty segments, "." and ".." become
 * "_". Returns the new length. */
static size_t tidy_segments(char *buf, size_t len)
{
    size_t w = 0, i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && buf[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg > 0) {
            if (w > 0)
                buf[w++] = '/';
            if ((seg == 1 && buf[i] == '.') ||
                (seg == 2 && buf[i] == '.' && buf[i + 1] == '.')) {
                buf[w++] = '_';
            } else {
                memmove(buf + w, buf + i, seg);
                w += seg;
            }
        }
        i = j + 1;
    }
    return w;
}

int forward_name_expand(const char *tmpl, const struct forward_name_vars *vars,
                        char *out, size_t cap)
{
    if (cap == 0)
        return -ENAMETOOLONG;
    const char *path = vars->path;
    while (*path == '/')
        path++;
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    const char *file = path + plen;
    while (file > path && file[-1] != '/')
        file--;
    const char *dir = file;
    size_t dlen = 0;
    if (dir > path) {
        const char *dend = dir - 1; /* the '/' before the file */
        dir = dend;
        while (dir > path && dir[-1] != '/')
            dir--;
        dlen = (size_t)(dend - dir);
    }
    struct out o = {.buf = out, .cap = cap};
    bool has_gen = false;
    for (size_t i = 0; tmpl[i] != '\0';) {
        size_t n = 0;
        enum var v = tmpl[i] == '{' ? placeholder(tmpl + i, &n) : V_NONE;
        if (v == V_NONE) {
            put(&o, tmpl[i++]);
            continue;
        }
        i += n;
        switch (v) {
        case V_HOST:
            put_value(&o, vars->host, strlen(vars->host), false);
            break;
        case V_FILE:
            put_value(&o, file, (size_t)(path + plen - file), false);
            break;
        case V_DIR:
            put_value(&o, dir, dlen, false);
            break;
        case V_PATH:
            put_value(&o, path, plen, true);
            break;
        case V_INO:
            put_u64(&o, vars->ino);
            has_gen = true;
            break;
        case V_GEN:
            put_u64(&o, vars->gen);
            has_gen = true;
            break;
        case V_NONE:
            break;
        }
    }
    if (vars->gen > 0 && !has_gen) {
        put(&o, '~');
        put_u64(&o, vars->gen);
    }
    if (o.overflow)
        return -ENAMETOOLONG;
    o.len = tidy_segments(out, o.len);
    out[o.len] = '\0';
    if (o.len > STORE_NAME_MAX)
        return -ENAMETOOLONG;
    if (store_name_check(out, o.len, NULL, 0) != 0)
        return -EINVAL;
    return 0;
}
