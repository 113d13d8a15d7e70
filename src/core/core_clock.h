/* core_clock: the one time source. Durations and deadlines use the
 * monotonic clock in nanoseconds (uint64_t); wall-clock time appears only
 * in log timestamps and line receive times. Any thread. */
#ifndef LIVELOG_CORE_CLOCK_H
#define LIVELOG_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CORE_NS_PER_MS UINT64_C(1000000)
#define CORE_NS_PER_S UINT64_C(1000000000)

/* Monotonic time in nanoseconds since an arbitrary origin. Can't fail. */
uint64_t core_clock_mono_ns(void);

/* Wall-clock time in nanoseconds since the Unix epoch. Can't fail. */
uint64_t core_clock_real_ns(void);

/* Formats wall-clock ns as "2026-11-21T12:00:00.123Z" (UTC, ISO-8601,
 * milliseconds, truncated not rounded) into buf, which must hold
 * CORE_CLOCK_ISO_LEN + 1 bytes. Returns the length written
 * (CORE_CLOCK_ISO_LEN), or 0 with buf[0] = '\0' when cap is too small. */
#define CORE_CLOCK_ISO_LEN 24
size_t core_clock_iso8601(uint64_t real_ns, char *buf, size_t cap);

#endif
