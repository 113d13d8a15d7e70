/* http_cache: validators, Cache-Control and conditional requests of log
 * answers (contract in http_cache.h). */
#include "http/http_cache.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store_name.h"

#define DAY_S 86400

static const char *const day_short[7] = {"Sun", "Mon", "Tue", "Wed",
                                         "Thu", "Fri", "Sat"};
static const char *const day_long[7] = {"Sunday",    "Monday",   "Tuesday",
                                        "Wednesday", "Thursday", "Friday",
                                        "Saturday"};
static const char *const month_short[12] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};

/* ---- calendar (proleptic Gregorian, UTC) ------------------------------ */

/* Days since 1970-01-01 of y-m-d (m 1-12), valid for any year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned mp = m > 2 ? m - 3 : m + 9;
    unsigned doy = (153 * mp + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned n[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

/* Floor division: the day of t, also before 1970. */
static int64_t day_of(int64_t t)
{
    return t >= 0 ? t / DAY_S : -((-t + DAY_S - 1) / DAY_S);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static unsigned weekday(int64_t days)
{
    return (unsigned)(((days % 7) + 7 + 4) % 7);
}

size_t http_cache_format_date(int64_t t, char *buf, size_t cap)
{
    int64_t days = day_of(t), y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999 || cap < HTTP_CACHE_DATE_LEN + 1)
        return 0;
    int64_t s = t - days * DAY_S;
    int n = snprintf(buf, cap, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                     day_short[weekday(days)], d, month_short[m - 1], (int)y,
                     (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    return n == HTTP_CACHE_DATE_LEN ? (size_t)n : 0;
}

/* ---- HTTP-date -------------------------------------------------------- */

/* n ASCII digits (n >= 1) into *ret. */
static bool digits(const char *s, size_t n, unsigned *ret)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *ret = v;
    return true;
}

/* The index of s[0..len) in names (exact, case-sensitive), or -1. */
static int name_index(const char *s, size_t len, const char *const *names,
                      int count)
{
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    return -1;
}

/* A broken-down date before the checks. */
struct when {
    int wday; /* from the name, 0 = Sunday */
    int64_t year;
    unsigned month, day, hour, min, sec;
};

/* "HH:MM:SS" */
static bool time_of_day(const char *s, struct when *w)
{
    return s[2] == ':' && s[5] == ':' && digits(s, 2, &w->hour) &&
           digits(s + 3, 2, &w->min) && digits(s + 6, 2, &w->sec);
}

static bool month_of(const char *s, struct when *w)
{
    int m = name_index(s, 3, month_short, 12);
    w->month = (unsigned)(m + 1);
    return m >= 0;
}

static int finish_date(const struct when *w, int64_t *ret)
{
    if (w->wday < 0 || w->month < 1 || w->month > 12 || w->day < 1 ||
        w->day > days_in_month(w->year, w->month) || w->hour > 23 ||
        w->min > 59 || w->sec > 60)
        return -EINVAL;
    int64_t days = days_from_civil(w->year, w->month, w->day);
    if (weekday(days) != (unsigned)w->wday)
        return -EINVAL;
    *ret = days * DAY_S + (int64_t)w->hour * 3600 + (int64_t)w->min * 60 +
           (int64_t)w->sec;
    return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int imf_fixdate(const char *s, size_t len, int64_t *ret)
{
    struct when w;
    unsigned y;
    if (len != HTTP_CACHE_DATE_LEN || memcmp(s + 3, ", ", 2) != 0 ||
        s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        memcmp(s + 25, " GMT", 4) != 0)
        return -EINVAL;
    w.wday = name_index(s, 3, day_short, 7);
    if (!digits(s + 5, 2, &w.day) || !month_of(s + 8, &w) ||
        !digits(s + 12, 4, &y) || !time_of_day(s + 17, &w))
        return -EINVAL;
    w.year = y;
    return finish_date(&w, ret);
}

/* "Sun Nov  6 08:49:37 1994" */
static int asctime_date(const char *s, size_t len, int64_t *ret)
{
    struct when w;
    unsigned y;
    if (len != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
        return -EINVAL;
    w.wday = name_index(s, 3, day_short, 7);
    bool day_ok =
        s[8] == ' ' ? digits(s + 9, 1, &w.day) : digits(s + 8, 2, &w.day);
    if (!day_ok || !month_of(s + 4, &w) || !time_of_day(s + 11, &w) ||
        !digits(s + 20, 4, &y))
        return -EINVAL;
    w.year = y;
    return finish_date(&w, ret);
}

/* "Sunday, 06-Nov-94 08:49:37 GMT"; the century from now. */
static int rfc850_date(const char *s, size_t len, int64_t now, int64_t *ret)
{
    const char *comma = memchr(s, ',', len < 10 ? len : 10);
    if (comma == NULL)
        return -EINVAL;
    size_t nl = (size_t)(comma - s);
    const char *p = comma + 1;
    struct when w;
    unsigned yy;
    if (len != nl + 24 || p[0] != ' ' || p[3] != '-' || p[7] != '-' ||
        p[10] != ' ' || memcmp(p + 19, " GMT", 4) != 0)
        return -EINVAL;
    w.wday = name_index(s, nl, day_long, 7);
    if (!digits(p + 1, 2, &w.day) || !month_of(p + 4, &w) ||
        !digits(p + 8, 2, &yy) || !time_of_day(p + 11, &w))
        return -EINVAL;
    int64_t this_year;
    unsigned m, d;
    civil_from_days(day_of(now), &this_year, &m, &d);
    w.year = this_year - this_year % 100 + yy;
    if (w.year > this_year + 50)
        w.year -= 100;
    return finish_date(&w, ret);
}

int http_cache_parse_date(const char *s, size_t len, int64_t now, int64_t *ret)
{
    if (len < 4)
        return -EINVAL;
    if (s[3] == ',')
        return imf_fixdate(s, len, ret);
    if (s[3] == ' ')
        return asctime_date(s, len, ret);
    return rfc850_date(s, len, now, ret);
}

/* ---- entity tags -------------------------------------------------------- */

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* etagc: %x21 / %x23-7E / obs-text */
static bool is_etagc(char c)
{
    unsigned char u = (unsigned char)c;
    return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

/* Parses one entity-tag at s[*i..end); sets *ret_q to its opaque tag
 * (with its quotes) and *ret_qlen. Returns false when it is not one. */
static bool entity_tag(const char *s, size_t end, size_t *i, const char **ret_q,
                       size_t *ret_qlen)
{
    size_t k = *i;
    if (end - k >= 2 && s[k] == 'W' && s[k + 1] == '/')
        k += 2;
    if (k >= end || s[k] != '"')
        return false;
    size_t open = k++;
    while (k < end && s[k] != '"') {
        if (!is_etagc(s[k]))
            return false;
        k++;
    }
    if (k >= end)
        return false;
    k++;
    *ret_q = s + open;
    *ret_qlen = k - open;
    *i = k;
    return true;
}

int http_cache_inm_match(const char *s, size_t len, const char *etag)
{
    size_t i = 0, end = len;
    while (i < end && is_ows(s[i]))
        i++;
    while (end > i && is_ows(s[end - 1]))
        end--;
    if (end - i == 1 && s[i] == '*')
        return 1;
    size_t elen = strlen(etag);
    bool any = false, match = false;
    while (i < end) {
        if (s[i] == ',') { /* an empty element, or the separator */
            i++;
            while (i < end && is_ows(s[i]))
                i++;
            continue;
        }
        const char *q;
        size_t qlen;
        if (!entity_tag(s, end, &i, &q, &qlen))
            return -EINVAL;
        any = true;
        if (qlen == elen && memcmp(q, etag, elen) == 0)
            match = true;
        while (i < end && is_ows(s[i]))
            i++;
        if (i < end && s[i] != ',')
            return -EINVAL;
    }
    return any ? match : -EINVAL;
}

/* ---- entities ----------------------------------------------------------- */

static void set_dates(struct http_cache_entity *e, uint64_t created_ms,
                      uint64_t completed_ms)
{
    int64_t t = (int64_t)(completed_ms / 1000);
    if (completed_ms == 0 ||
        http_cache_format_date(t, e->date, sizeof(e->date)) == 0)
        return;
    e->has_date = true;
    e->last_modified = t;
    e->strong_date = created_ms != 0 && created_ms / 1000 < completed_ms / 1000;
}

void http_cache_entity_stream(struct http_cache_entity *e,
                              const struct store_stream *s, enum store_state st,
                              uint64_t len)
{
    memset(e, 0, sizeof(*e));
    if (!store_stream_is_dir(s)) {
        e->legacy = true;
        e->is_public = true;
        return;
    }
    size_t nlen = 0;
    const char *name = store_stream_name(s, &nlen);
    e->is_public = store_name_is_public(name, nlen);
    if (st != STORE_COMPLETE)
        return;
    uint64_t id = store_stream_incarnation(s);
    uint64_t created = store_stream_created_ms(s);
    uint64_t done = store_stream_completed_ms(s);
    if (id != 0)
        snprintf(e->etag, sizeof(e->etag), "\"i%016" PRIx64 "-%" PRIx64 "\"",
                 id, len);
    else
        snprintf(e->etag, sizeof(e->etag),
                 "\"t%" PRIx64 ".%" PRIx64 "-%" PRIx64 "\"", created, done,
                 len);
    set_dates(e, created, done);
}

void http_cache_entity_archive(struct http_cache_entity *e, const char *name,
                               size_t nlen, const struct archive_meta *m)
{
    memset(e, 0, sizeof(*e));
    e->is_public = store_name_is_public(name, nlen);
    if (!m->has_sha256)
        return;
    char hex[33];
    for (size_t i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->sha256[i]);
    snprintf(e->etag, sizeof(e->etag), "\"s%s-%" PRIx64 "\"", hex, m->size);
    set_dates(e, m->created_ms, m->completed_ms);
}

void http_cache_headers(struct MHD_Response *resp,
                        const struct http_cache_entity *e)
{
    if (e->legacy) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                "no-store");
        return;
    }
    bool storable = e->is_public && e->etag[0] != '\0';
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            storable       ? HTTP_CACHE_PUBLIC
                            : e->is_public ? "no-store"
                                           : HTTP_CACHE_PRIVATE);
    if (e->etag[0] != '\0') {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, e->etag);
        if (e->has_date)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED,
                                    e->date);
    }
    if (!storable)
        MHD_add_response_header(resp, "X-Accel-Buffering", "no");
}

static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

struct MHD_Response *http_cache_304(uint64_t length)
{
    return MHD_create_response_from_callback(length, 1024, no_body, NULL, NULL);
}

/* ---- conditions --------------------------------------------------------- */

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    struct http_cache_conditions *c = cls;
    (void)kind;
    if (value == NULL)
        return MHD_YES;
    if (strcasecmp(key, MHD_HTTP_HEADER_IF_NONE_MATCH) == 0) {
        if (c->n_if_none_match < HTTP_CACHE_INM_LINES)
            c->if_none_match[c->n_if_none_match] = value;
        c->n_if_none_match++;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_IF_MODIFIED_SINCE) == 0) {
        c->if_modified_since = value;
        c->n_if_modified_since++;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_IF_RANGE) == 0) {
        c->if_range = value;
        c->n_if_range++;
    }
    return MHD_YES;
}

void http_cache_conditions_read(struct MHD_Connection *conn,
                                struct http_cache_conditions *c)
{
    memset(c, 0, sizeof(*c));
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect, c);
}

bool http_cache_not_modified(const struct http_cache_entity *e,
                             const struct http_cache_conditions *c, int64_t now)
{
    if (e->legacy || e->etag[0] == '\0')
        return false;
    if (c->n_if_none_match > 0) {
        /* present: If-Modified-Since is not looked at (RFC 9110 13.1.3) */
        if (c->n_if_none_match > HTTP_CACHE_INM_LINES)
            return false;
        bool match = false;
        for (size_t i = 0; i < c->n_if_none_match; i++) {
            const char *v = c->if_none_match[i];
            int r = http_cache_inm_match(v, strlen(v), e->etag);
            if (r < 0)
                return false;
            match = match || r == 1;
        }
        return match;
    }
    if (c->n_if_modified_since != 1 || !e->has_date || !e->strong_date)
        return false;
    int64_t since;
    const char *v = c->if_modified_since;
    if (http_cache_parse_date(v, strlen(v), now, &since) != 0)
        return false;
    return e->last_modified <= since;
}

bool http_cache_range_applies(const struct http_cache_entity *e,
                              const struct http_cache_conditions *c)
{
    if (c->n_if_range == 0 || e->legacy)
        return true;
    if (c->n_if_range != 1 || e->etag[0] == '\0')
        return false;
    const char *v = c->if_range;
    if (v[0] == '"' || v[0] == 'W') /* an entity tag: strong comparison */
        return strcmp(v, e->etag) == 0;
    return e->has_date && e->strong_date && strcmp(v, e->date) == 0;
}
