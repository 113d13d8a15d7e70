/* store_wire: a masked stream's writer offset, stored length and held
 * bytes on disk (see store_wire.h). Pure format and parse, plus the
 * atomic write and the read; called on the writer's thread and at
 * recovery. */
#include "store/store_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/core_num.h"
#include "store/store_io.h"

#define WIRE_HEADER "livelog-wire 1\n"
#define NUM_DIGITS_MAX 20 /* UINT64_MAX has 20 digits */

/* in >= out + held, without overflow. */
static bool wire_valid(uint64_t in, uint64_t out, uint64_t held)
{
    return held <= STORE_WIRE_HELD_MAX && in >= out && in - out >= held;
}

int store_wire_format(const struct store_wire *w, char *buf, size_t cap)
{
    if (!wire_valid(w->in_len, w->out_len, w->held_len))
        return -EINVAL;
    int n = snprintf(buf, cap,
                     WIRE_HEADER "in %" PRIu64 "\nout %" PRIu64 "\nheld %zu\n",
                     w->in_len, w->out_len, w->held_len);
    if (n < 0 || (size_t)n >= cap || cap - (size_t)n < w->held_len)
        return -ENOSPC;
    memcpy(buf + n, w->held, w->held_len);
    return n + (int)w->held_len;
}

/* Parses the line "<key> <canonical decimal>\n" at *pos. Returns 0 and
 * advances *pos, or -EINVAL. */
static int parse_line(const char *buf, size_t len, size_t *pos, const char *key,
                      uint64_t *ret)
{
    size_t klen = strlen(key);
    size_t p = *pos;
    if (len - p < klen + 1 || memcmp(buf + p, key, klen) != 0 ||
        buf[p + klen] != ' ')
        return -EINVAL;
    p += klen + 1;
    const char *val = buf + p;
    const char *nl = memchr(val, '\n', len - p);
    if (nl == NULL)
        return -EINVAL;
    size_t vlen = (size_t)(nl - val);
    if (vlen == 0 || vlen > NUM_DIGITS_MAX || (vlen > 1 && val[0] == '0'))
        return -EINVAL;
    if (core_num_parse_u64(val, vlen, ret) != 0)
        return -EINVAL;
    *pos = p + vlen + 1;
    return 0;
}

int store_wire_parse(const char *buf, size_t len, struct store_wire *ret)
{
    size_t hlen = sizeof(WIRE_HEADER) - 1;
    if (len < hlen || memcmp(buf, WIRE_HEADER, hlen) != 0)
        return -EINVAL;
    size_t pos = hlen;
    uint64_t in = 0, out = 0, held = 0;
    if (parse_line(buf, len, &pos, "in", &in) != 0 ||
        parse_line(buf, len, &pos, "out", &out) != 0 ||
        parse_line(buf, len, &pos, "held", &held) != 0)
        return -EINVAL;
    if (!wire_valid(in, out, held) || len - pos != held)
        return -EINVAL;
    ret->in_len = in;
    ret->out_len = out;
    ret->held_len = (size_t)held;
    memcpy(ret->held, buf + pos, (size_t)held);
    return 0;
}

int store_wire_write(const char *dir, const struct store_wire *w, bool sync)
{
    char text[STORE_WIRE_MAX];
    int len = store_wire_format(w, text, sizeof(text));
    if (len < 0)
        return len;
    return store_io_replace(dir, "wire", text, (size_t)len, sync);
}

int store_wire_read(const char *dir, struct store_wire *ret)
{
    /* One byte more than the largest record tells a too long file. */
    char text[STORE_WIRE_MAX + 1];
    ssize_t len = store_io_read_small(dir, "wire", text, sizeof(text));
    if (len < 0)
        return (int)len;
    return store_wire_parse(text, (size_t)len, ret);
}
