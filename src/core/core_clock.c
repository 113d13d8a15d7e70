/* core_clock: the one time source (monotonic ns for durations and
 * deadlines, wall-clock ns for log timestamps) and the ISO-8601 formatter
 * the logger uses. Called from any thread; no shared state. The date is
 * computed arithmetically (no gmtime_r, no locale, no time zone files). */
#include "core/core_clock.h"

#include <time.h>

static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;

    /* clock_gettime cannot fail for these clocks on Linux. */
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * CORE_NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t core_clock_mono_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

uint64_t core_clock_real_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days, restricted to non-negative day counts). */
static void civil_from_days(uint64_t days, uint64_t *y, unsigned *m,
                            unsigned *d)
{
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;

    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

/* Writes v as exactly `width` decimal digits, most significant first. */
static void put_digits(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Milliseconds are truncated, never rounded up, so a timestamp never
 * points into the future. Years past 9999 cannot occur: uint64_t ns ends
 * in 2554. When cap is too small nothing but a NUL (if cap > 0) is
 * written and 0 is returned. */
size_t core_clock_iso8601(uint64_t real_ns, char *buf, size_t cap)
{
    uint64_t secs = real_ns / CORE_NS_PER_S;
    uint64_t ms = (real_ns % CORE_NS_PER_S) / CORE_NS_PER_MS;
    uint64_t sod = secs % 86400;
    uint64_t year;
    unsigned month, day;

    if (buf == NULL || cap < CORE_CLOCK_ISO_LEN + 1) {
        if (buf != NULL && cap > 0)
            buf[0] = '\0';
        return 0;
    }
    civil_from_days(secs / 86400, &year, &month, &day);
    put_digits(buf, year, 4);
    buf[4] = '-';
    put_digits(buf + 5, month, 2);
    buf[7] = '-';
    put_digits(buf + 8, day, 2);
    buf[10] = 'T';
    put_digits(buf + 11, sod / 3600, 2);
    buf[13] = ':';
    put_digits(buf + 14, sod / 60 % 60, 2);
    buf[16] = ':';
    put_digits(buf + 17, sod % 60, 2);
    buf[19] = '.';
    put_digits(buf + 20, ms, 3);
    buf[23] = 'Z';
    buf[24] = '\0';
    return CORE_CLOCK_ISO_LEN;
}
