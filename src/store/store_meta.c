/* store_meta: stream metadata files (see store_meta.h). */
#include "store/store_meta.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/core_num.h"
#include "store/store_io.h"

#define META_HEADER "livelog-meta 1"

static const char *const state_names[] = {
    [STORE_PENDING] = "pending",
    [STORE_LIVE] = "live",
    [STORE_COMPLETE] = "complete",
    [STORE_INTERRUPTED] = "interrupted",
};

int store_meta_format(const struct store_meta *m, char *buf, size_t cap)
{
    if ((size_t)m->state >= sizeof(state_names) / sizeof(*state_names))
        return -EINVAL;
    int n =
        snprintf(buf, cap,
                 META_HEADER "\nname %.*s\nstate %s\ncreated_ms %" PRIu64
                             "\ncompleted_ms %" PRIu64 "\nkeep_head %" PRIu64
                             "\nkeep_tail %" PRIu64 "\n",
                 (int)m->name_len, m->name, state_names[m->state],
                 m->created_ms, m->completed_ms, m->keep_head, m->keep_tail);
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    /* The archive's keys only once they mean something. Each line must
     * fit before the next is written after it: a cut one would leave
     * `used` past cap. */
    size_t used = (size_t)n;
    int k = 0;
    if (m->incarnation != 0) {
        k = snprintf(buf + used, cap - used, "incarnation %016" PRIx64 "\n",
                     m->incarnation);
        if (k < 0 || (size_t)k >= cap - used)
            return -ENOSPC;
        used += (size_t)k;
    }
    if (m->archived_ms != 0) {
        k = snprintf(buf + used, cap - used, "archived_ms %" PRIu64 "\n",
                     m->archived_ms);
        if (k < 0 || (size_t)k >= cap - used)
            return -ENOSPC;
        used += (size_t)k;
    }
    if (m->evicted) {
        k = snprintf(buf + used, cap - used, "evicted_length %" PRIu64 "\n",
                     m->length);
        if (k < 0 || (size_t)k >= cap - used)
            return -ENOSPC;
        used += (size_t)k;
    }
    if (m->upload_id[0] != '\0') {
        k = snprintf(buf + used, cap - used, "upload_id %s\n", m->upload_id);
        if (k < 0 || (size_t)k >= cap - used)
            return -ENOSPC;
        used += (size_t)k;
    }
    return (int)used;
}

static bool key_is(const char *line, size_t klen, const char *key)
{
    return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

/* Exactly 16 lowercase hex digits, not all zero (0 means "none"). */
static int parse_incarnation(const char *val, size_t vlen, uint64_t *ret)
{
    uint64_t v = 0;
    if (vlen != 16)
        return -EINVAL;
    for (size_t i = 0; i < vlen; i++) {
        char c = val[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -EINVAL;
        v = v << 4 | d;
    }
    if (v == 0)
        return -EINVAL;
    *ret = v;
    return 0;
}

int store_meta_parse(const char *text, size_t len, struct store_meta *ret)
{
    struct store_meta m = {0};
    bool have_name = false, have_state = false, have_created = false;
    size_t hlen = sizeof(META_HEADER) - 1;
    if (len < hlen + 1 || memcmp(text, META_HEADER "\n", hlen + 1) != 0)
        return -EINVAL;

    size_t pos = hlen + 1;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        if (nl == NULL)
            return -EINVAL; /* a torn last line */
        size_t llen = (size_t)(nl - line);
        pos += llen + 1;
        const char *sp = memchr(line, ' ', llen);
        if (sp == NULL)
            return -EINVAL;
        size_t klen = (size_t)(sp - line);
        const char *val = sp + 1;
        size_t vlen = llen - klen - 1;

        if (key_is(line, klen, "name")) {
            if (store_name_check(val, vlen, NULL, 0) != 0)
                return -EINVAL;
            memcpy(m.name, val, vlen);
            m.name[vlen] = '\0';
            m.name_len = vlen;
            have_name = true;
        } else if (key_is(line, klen, "state")) {
            bool found = false;
            for (size_t i = 0; i < sizeof(state_names) / sizeof(*state_names);
                 i++) {
                if (strlen(state_names[i]) == vlen &&
                    memcmp(state_names[i], val, vlen) == 0) {
                    m.state = (enum store_state)i;
                    found = true;
                }
            }
            if (!found)
                return -EINVAL;
            have_state = true;
        } else if (key_is(line, klen, "created_ms")) {
            if (core_num_parse_u64(val, vlen, &m.created_ms) != 0)
                return -EINVAL;
            have_created = true;
        } else if (key_is(line, klen, "completed_ms")) {
            if (core_num_parse_u64(val, vlen, &m.completed_ms) != 0)
                return -EINVAL;
        } else if (key_is(line, klen, "keep_head")) {
            if (core_num_parse_u64(val, vlen, &m.keep_head) != 0)
                return -EINVAL;
        } else if (key_is(line, klen, "keep_tail")) {
            if (core_num_parse_u64(val, vlen, &m.keep_tail) != 0)
                return -EINVAL;
        } else if (key_is(line, klen, "incarnation")) {
            if (parse_incarnation(val, vlen, &m.incarnation) != 0)
                return -EINVAL;
        } else if (key_is(line, klen, "archived_ms")) {
            if (core_num_parse_u64(val, vlen, &m.archived_ms) != 0 ||
                m.archived_ms == 0)
                return -EINVAL;
        } else if (key_is(line, klen, "evicted_length")) {
            if (core_num_parse_u64(val, vlen, &m.length) != 0)
                return -EINVAL;
            m.evicted = true;
        } else if (key_is(line, klen, "upload_id")) {
            if (vlen == 0 || vlen >= sizeof(m.upload_id))
                return -EINVAL;
            for (size_t i = 0; i < vlen; i++)
                if ((unsigned char)val[i] <= ' ' || val[i] == 0x7f)
                    return -EINVAL;
            memcpy(m.upload_id, val, vlen);
            m.upload_id[vlen] = '\0';
        }
        /* Unknown keys are skipped: a newer livelog may add some. */
    }
    if (!have_name || !have_state || !have_created)
        return -EINVAL;
    if (m.evicted && (m.archived_ms == 0 || m.state != STORE_COMPLETE))
        return -EINVAL; /* only an archived, complete stream loses its data */
    *ret = m;
    return 0;
}

int store_meta_write(const char *dir, const struct store_meta *m, bool sync)
{
    char text[STORE_META_MAX];
    int len = store_meta_format(m, text, sizeof(text));
    if (len < 0)
        return len;
    return store_io_replace(dir, "meta", text, (size_t)len, sync);
}

int store_meta_read(const char *dir, struct store_meta *ret)
{
    char text[STORE_META_MAX];
    ssize_t len = store_io_read_small(dir, "meta", text, sizeof(text));
    if (len < 0)
        return (int)len;
    return store_meta_parse(text, (size_t)len, ret);
}
