/* store_name: stream name rules (see store_name.h). */
#include "store/store_name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool allowed_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
           c == '-';
}

static int refuse(char *msg, size_t cap, const char *text)
{
    if (msg != NULL && cap > 0)
        snprintf(msg, cap, "invalid log name: %s", text);
    return -EINVAL;
}

int store_name_check(const char *name, size_t len, char *ret_msg, size_t cap)
{
    if (len == 0)
        return refuse(ret_msg, cap, "the name is empty");
    if (len > STORE_NAME_MAX)
        return refuse(ret_msg, cap, "longer than 1024 bytes");

    size_t seg_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '/') {
            unsigned char c = (unsigned char)name[i];
            if (!allowed_byte(c)) {
                if (ret_msg != NULL && cap > 0)
                    snprintf(ret_msg, cap,
                             "invalid log name: byte 0x%02x at position %zu "
                             "is not allowed (use A-Z a-z 0-9 . _ ~ - and /)",
                             c, i);
                return -EINVAL;
            }
            continue;
        }
        size_t seg_len = i - seg_start;
        if (seg_len == 0)
            return refuse(ret_msg, cap,
                          "empty segment (leading, trailing or doubled '/')");
        const char *seg = name + seg_start;
        if ((seg_len == 1 && seg[0] == '.') ||
            (seg_len == 2 && seg[0] == '.' && seg[1] == '.'))
            return refuse(ret_msg, cap,
                          "'.' and '..' segments are not allowed");
        if (i == len && seg_len == 5 && memcmp(seg, "stats", 5) == 0)
            return refuse(ret_msg, cap,
                          "the last segment may not be 'stats' "
                          "(/v1/logs/NAME/stats is the severity summary of "
                          "NAME)");
        seg_start = i + 1;
    }
    return 0;
}

bool store_name_is_public(const char *name, size_t len)
{
    size_t seg_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '/')
            continue;
        bool is_public =
            i - seg_start == 6 && memcmp(name + seg_start, "public", 6) == 0;
        if (is_public && i < len)
            return true; /* a '/' and a non-empty segment follow */
        seg_start = i + 1;
    }
    return false;
}

bool store_name_has_prefix(const char *name, size_t len, const char *prefix,
                           size_t plen)
{
    return plen <= len && memcmp(name, prefix, plen) == 0;
}
