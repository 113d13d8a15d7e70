/* fuzz_store_wire: a masked stream's wire record (src/store/store_wire.c),
 * parsed as recovery parses it (store_wire_read hands at most
 * STORE_WIRE_MAX + 1 bytes of the file to store_wire_parse). Properties:
 * only 0 or -EINVAL, *ret untouched on failure; an accepted record has
 * in >= out + held and held <= STORE_WIRE_HELD_MAX; the format is
 * canonical, so formatting an accepted record gives back exactly the
 * input bytes; formatting into an exactly-sized buffer one byte too small
 * is -ENOSPC without writing past it. */
#include <errno.h>

#include "fuzz.h"
#include "store/store_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_memdup(data, size);
    struct store_wire w, sentinel;
    memset(&sentinel, 0x5a, sizeof sentinel);
    w = sentinel;
    int rc = store_wire_parse(buf, size, &w);
    free(buf);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(memcmp(&w, &sentinel, sizeof w) == 0);
        return 0;
    }
    FUZZ_CHECK(size <= STORE_WIRE_MAX);
    FUZZ_CHECK(w.held_len <= STORE_WIRE_HELD_MAX);
    FUZZ_CHECK(w.in_len >= w.out_len && w.in_len - w.out_len >= w.held_len);

    /* Canonical: formatting gives back the very bytes. */
    char out[STORE_WIRE_MAX];
    int n = store_wire_format(&w, out, sizeof out);
    FUZZ_CHECK(n >= 0 && (size_t)n == size && memcmp(out, data, size) == 0);

    /* Exactly one byte short (the text part wants room for its NUL). */
    for (size_t cap = size > 2 ? size - 2 : 0; cap < size; cap++) {
        char *small = malloc(cap > 0 ? cap : 1);
        FUZZ_CHECK(small != NULL);
        int r = store_wire_format(&w, small, cap);
        FUZZ_CHECK(r == -ENOSPC || (r >= 0 && (size_t)r == size));
        free(small);
    }

    /* A record that breaks in >= out + held is refused by format. */
    if (w.out_len > 0 || w.held_len > 0) {
        struct store_wire bad = w;
        bad.in_len = w.out_len + w.held_len - 1;
        if (bad.in_len < w.in_len)
            FUZZ_CHECK(store_wire_format(&bad, out, sizeof out) == -EINVAL);
    }
    return 0;
}
