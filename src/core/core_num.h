/* core_num: strict parsing of decimal numbers from untrusted text.
 * Pure functions over (ptr, len); no locale, no errno side effects.
 * Used by configuration (ports, limits) and HTTP header parsing. */
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

#endif
