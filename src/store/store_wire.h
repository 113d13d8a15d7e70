/* store_wire: a masked stream's writer-side record ("wire" in its
 * directory). Masking (src/mask/mask.h) shrinks the bytes, so a masked
 * stream has two offsets: the writer offset `in` (input bytes accepted
 * from the writer, what PATCH resumes from) and the stored length `out`
 * (bytes in the data file). The record ties them together and keeps the
 * held bytes (input the masker holds back because it may begin a secret),
 * so that a restarted server resumes exactly where the writer stands.
 *
 * Format: the text header "livelog-wire 1\nin N\nout N\nheld N\n" (these
 * keys, in this order, canonical decimals) followed by exactly N raw
 * bytes (any bytes). Written whole to wire.tmp and renamed, so a crash
 * leaves the old or the new record, never a mix. Parsing is a pure
 * function over (ptr, len): the file comes from disk and is untrusted.
 *
 * Note that the held bytes may be a prefix of a secret (up to all of it
 * but its last byte): the file is created 0600 in the stream's 0700
 * directory, like the data.
 *
 * Called by the store (store_stream.c) on the stream's writer thread and
 * at recovery; no state, no locks. */
#ifndef LIVELOG_STORE_WIRE_H
#define LIVELOG_STORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_WIRE_HELD_MAX 1023
/* The largest wire file: the header with 20-digit numbers, then the held
 * bytes. */
#define STORE_WIRE_MAX (128 + STORE_WIRE_HELD_MAX)

struct store_wire {
    uint64_t in_len;  /* writer offset: input bytes accepted           */
    uint64_t out_len; /* stored length those bytes produced            */
    size_t held_len;  /* input bytes held back (in the record below)   */
    unsigned char held[STORE_WIRE_HELD_MAX];
};

/* Formats w into buf (at most cap bytes; the held bytes are raw, buf is
 * not NUL-terminated). Returns the length, -EINVAL when w is not a valid
 * record (held_len > STORE_WIRE_HELD_MAX or in_len < out_len + held_len),
 * or -ENOSPC when it does not fit. */
int store_wire_format(const struct store_wire *w, char *buf, size_t cap);

/* Parses a wire file. Returns 0, or -EINVAL when it is not a valid record:
 * wrong header, a missing, unknown or misplaced key, a number that is not
 * canonical decimal (digits only, no leading zero) or out of range,
 * held > STORE_WIRE_HELD_MAX, a held count that differs from the bytes
 * left, or in < out + held. *ret is untouched on failure. */
int store_wire_parse(const char *buf, size_t len, struct store_wire *ret);

/* Writes w to dir/wire atomically (dir/wire.tmp, mode 0600, then rename).
 * With sync set the file and the directory are fsynced before returning.
 * Returns 0 or a negative errno (-EINVAL: w is not a valid record; the
 * old record stays in place on any failure). */
int store_wire_write(const char *dir, const struct store_wire *w, bool sync);

/* Reads and parses dir/wire. Returns 0, -ENOENT when there is none,
 * -EINVAL for a damaged file, or another negative errno. *ret is
 * untouched on failure. */
int store_wire_read(const char *dir, struct store_wire *ret);

#endif
