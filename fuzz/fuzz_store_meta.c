/* fuzz_store_meta: a stream's meta file (src/store/store_meta.c), parsed
 * as recovery parses it (store_meta_read hands the file's bytes to
 * store_meta_parse). Properties: only 0 or -EINVAL, *ret untouched on
 * failure; an accepted file holds a valid name, a known state, an
 * `evicted` only on an archived complete stream and a printable upload
 * id, and its incarnation is written back (only when not 0) as 16
 * lowercase hex digits; formatting what was parsed and parsing that again gives
 * the same record; formatting into a buffer of exactly `cap` bytes, for caps
 * around every line end, either fits or returns -ENOSPC without writing
 * past cap. */
#include <errno.h>

#include "fuzz.h"
#include "store/store_meta.h"

static bool same(const struct store_meta *a, const struct store_meta *b)
{
    return a->name_len == b->name_len &&
           memcmp(a->name, b->name, a->name_len) == 0 && a->state == b->state &&
           a->created_ms == b->created_ms &&
           a->completed_ms == b->completed_ms &&
           a->incarnation == b->incarnation && a->keep_head == b->keep_head &&
           a->keep_tail == b->keep_tail && a->archived_ms == b->archived_ms &&
           a->evicted == b->evicted &&
           (!a->evicted || a->length == b->length) &&
           strcmp(a->upload_id, b->upload_id) == 0;
}

/* Formats into a malloc'd buffer of exactly cap bytes. */
static void check_cap(const struct store_meta *m, const char *full,
                      size_t full_len, size_t cap)
{
    char *buf = malloc(cap > 0 ? cap : 1);
    FUZZ_CHECK(buf != NULL);
    int n = store_meta_format(m, buf, cap);
    if (cap > full_len) {
        FUZZ_CHECK(n == (int)full_len && memcmp(buf, full, full_len) == 0);
    } else {
        FUZZ_CHECK(n == -ENOSPC);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_memdup(data, size);
    struct store_meta m, sentinel;
    memset(&sentinel, 0x5a, sizeof sentinel);
    m = sentinel;
    int rc = store_meta_parse(text, size, &m);
    free(text);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(memcmp(&m, &sentinel, sizeof m) == 0);
        return 0;
    }
    FUZZ_CHECK(m.name_len <= STORE_NAME_MAX && m.name[m.name_len] == '\0');
    FUZZ_CHECK(store_name_check(m.name, m.name_len, NULL, 0) == 0);
    FUZZ_CHECK(m.state == STORE_PENDING || m.state == STORE_LIVE ||
               m.state == STORE_COMPLETE || m.state == STORE_INTERRUPTED);
    if (m.evicted)
        FUZZ_CHECK(m.archived_ms != 0 && m.state == STORE_COMPLETE);
    size_t ul = strnlen(m.upload_id, sizeof m.upload_id);
    FUZZ_CHECK(ul < sizeof m.upload_id);
    for (size_t i = 0; i < ul; i++)
        FUZZ_CHECK((unsigned char)m.upload_id[i] > ' ' &&
                   m.upload_id[i] != 0x7f);

    /* Format, parse again: the same record. */
    char out[STORE_META_MAX];
    int n = store_meta_format(&m, out, sizeof out);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof out);
    const char *inc = memmem(out, (size_t)n, "\nincarnation ", 13);
    FUZZ_CHECK((inc != NULL) == (m.incarnation != 0));
    if (inc != NULL) {
        FUZZ_CHECK(out + n - inc >= 13 + 17 && inc[13 + 16] == '\n');
        for (size_t i = 0; i < 16; i++)
            FUZZ_CHECK((inc[13 + i] >= '0' && inc[13 + i] <= '9') ||
                       (inc[13 + i] >= 'a' && inc[13 + i] <= 'f'));
    }
    struct store_meta back = sentinel;
    FUZZ_CHECK(store_meta_parse(out, (size_t)n, &back) == 0);
    FUZZ_CHECK(same(&m, &back));

    /* Too-small buffers, around every line end. */
    check_cap(&m, out, (size_t)n, 0);
    for (size_t i = 0; i < (size_t)n; i++) {
        if (out[i] != '\n')
            continue;
        for (size_t d = 0; d < 3; d++) {
            if (i + d >= 2)
                check_cap(&m, out, (size_t)n, i + d - 2);
            check_cap(&m, out, (size_t)n, i + d + 1);
        }
    }
    return 0;
}
