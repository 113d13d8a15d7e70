/* fuzz: what every fuzz target shares. The libFuzzer entry point, a check
 * that aborts in every build (assert() is compiled out in release builds,
 * and a fuzz target's properties must hold in all of them), and a reader
 * that takes bytes, numbers and pieces from the front of an input so a
 * target can drive several calls from one input. Header-only; each
 * target is one file fuzz_<name>.c, built either against libFuzzer
 * (`make fuzz`) or against replay.c (the CTest cases `fuzz.<name>`). */
#ifndef LIVELOG_FUZZ_H
#define LIVELOG_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Called once per input by libFuzzer or by the replay driver. Returns 0;
 * a broken property aborts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the file, line and text of a failed check. */
__attribute__((noreturn)) static inline void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
    abort();
}

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            fuzz_fail(__FILE__, __LINE__, #cond);                              \
    } while (0)

/* The input not yet consumed. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

/* The next byte, or 0 when the input is used up. */
static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* The next two bytes as a little-endian number (0 past the end). */
static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (uint16_t)(fuzz_u8(in) << 8));
}

/* The next eight bytes as a little-endian number (0 past the end). */
static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)fuzz_u8(in) << (8 * i);
    return v;
}

/* Takes up to max bytes (fewer when the input is shorter): returns where
 * they start and their count in *ret_len. */
static inline const uint8_t *fuzz_take(struct fuzz_in *in, size_t max,
                                       size_t *ret_len)
{
    size_t k = max < in->n ? max : in->n;
    const uint8_t *p = in->p;
    in->p += k;
    in->n -= k;
    *ret_len = k;
    return p;
}

/* Takes the bytes up to the next `sep` byte (not included; the separator
 * is consumed) or to the end of the input. */
static inline const uint8_t *fuzz_take_until(struct fuzz_in *in, uint8_t sep,
                                             size_t *ret_len)
{
    const uint8_t *p = in->p;
    const uint8_t *hit = in->n > 0 ? memchr(p, sep, in->n) : NULL;
    size_t k = hit != NULL ? (size_t)(hit - p) : in->n;
    in->p += k;
    in->n -= k;
    if (hit != NULL) {
        in->p++;
        in->n--;
    }
    *ret_len = k;
    return p;
}

/* A malloc'd, NUL-terminated copy of len bytes (the shape of a header
 * value libmicrohttpd hands over: the copy ends exactly at its NUL, so
 * AddressSanitizer sees any read past it). Aborts when out of memory. */
static inline char *fuzz_strndup(const void *p, size_t len)
{
    char *s = malloc(len + 1);
    if (s == NULL)
        fuzz_fail(__FILE__, __LINE__, "out of memory");
    if (len > 0)
        memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

/* A malloc'd copy of exactly len bytes (at least one byte is allocated),
 * so a read past len is caught. */
static inline void *fuzz_memdup(const void *p, size_t len)
{
    void *s = malloc(len > 0 ? len : 1);
    if (s == NULL)
        fuzz_fail(__FILE__, __LINE__, "out of memory");
    if (len > 0)
        memcpy(s, p, len);
    return s;
}

#endif
