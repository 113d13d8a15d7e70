/* core_num: strict parsing of decimal numbers and hexadecimal digits from
 * untrusted text, and hexadecimal output. Pure functions over (ptr, len);
 * no locale, no errno side effects. Used by configuration (ports,
 * limits), HTTP header parsing and percent-decoding, and the SHA-256
 * digests of the archive and the forwarder's checkpoint. */
#ifndef LIVELOG_CORE_NUM_H
#define LIVELOG_CORE_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Parses exactly len bytes of ASCII digits (no sign, no spaces, no "0x")
 * into *ret. Returns 0, -EINVAL when the text is empty or holds anything
 * but digits, -ERANGE when the value does not fit in 64 bits. *ret is
 * untouched on failure. */
int core_num_parse_u64(const char *s, size_t len, uint64_t *ret);

/* Parses a TCP port the way Taskcluster's livelog does (Go strconv.Atoi,
 * then a range check): an optional '+' or '-' then digits. Returns 0 with
 * *ret in [0, 65535]; -EINVAL when it is not a number (the drop-in exits
 * 64/66); -ERANGE when it is a number outside [0, 65535] (exit 65/67). */
int core_num_parse_port(const char *s, size_t len, uint16_t *ret);

/* The value of one hexadecimal digit (0-9, a-f, A-F), or -1. */
int core_num_hex_digit(char c);

/* Parses exactly 2 * n hexadecimal digits (either case) into n bytes at
 * out. Returns 0, or -EINVAL when len is not 2 * n or a byte is not a
 * digit; out is untouched on failure. */
int core_num_parse_hex(const char *s, size_t len, unsigned char *out, size_t n);

/* Writes n bytes as 2 * n lowercase hexadecimal digits and a NUL into out
 * (2 * n + 1 bytes). */
void core_num_format_hex(const unsigned char *in, size_t n, char *out);

#endif
