/* client_http: the shared half of `livelog put` and `livelog tail`: pure
 * parsers and encoders for the headers and names the clients exchange
 * with the server, the backoff policy, and libcurl handle setup with the
 * header callback. Called on the main thread of the client process; no
 * state of its own besides libcurl's global init. */
#include "client/client_http.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "core/core_num.h"

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Narrows [*s, *s + *len) past leading and trailing spaces and tabs. */
static void trim_ows(const char **s, size_t *len)
{
    while (*len > 0 && is_ows((*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_ows((*s)[*len - 1]))
        (*len)--;
}

int client_http_parse_offset(const char *s, size_t len, uint64_t *ret)
{
    if (s == NULL)
        return -EINVAL;
    trim_ows(&s, &len);
    return core_num_parse_u64(s, len, ret);
}

/* Finds c in s[0..len); returns its index or len when absent. */
static size_t find_byte(const char *s, size_t len, char c)
{
    const char *p = memchr(s, c, len);

    return p == NULL ? len : (size_t)(p - s);
}

int client_http_parse_content_range(const char *s, size_t len,
                                    struct client_http_range *ret)
{
    struct client_http_range r = {0};
    size_t slash, dash;
    const char *spec;
    size_t spec_len;
    int rc;

    if (s == NULL)
        return -EINVAL;
    trim_ows(&s, &len);
    if (len < 6 || strncasecmp(s, "bytes ", 6) != 0)
        return -EINVAL;
    s += 6;
    len -= 6;
    trim_ows(&s, &len);
    slash = find_byte(s, len, '/');
    if (slash == len)
        return -EINVAL;
    /* complete length */
    if (len - slash - 1 == 1 && s[slash + 1] == '*') {
        r.complete_known = false;
    } else {
        rc =
            core_num_parse_u64(s + slash + 1, len - slash - 1, &r.complete_len);
        if (rc < 0)
            return rc;
        r.complete_known = true;
    }
    /* range part */
    spec = s;
    spec_len = slash;
    if (spec_len == 1 && spec[0] == '*') {
        if (!r.complete_known)
            return -EINVAL; /* "bytes * / *" means nothing */
        r.satisfied = false;
        *ret = r;
        return 0;
    }
    dash = find_byte(spec, spec_len, '-');
    if (dash == spec_len)
        return -EINVAL;
    rc = core_num_parse_u64(spec, dash, &r.first);
    if (rc < 0)
        return rc;
    rc = core_num_parse_u64(spec + dash + 1, spec_len - dash - 1, &r.last);
    if (rc < 0)
        return rc;
    if (r.first > r.last)
        return -EINVAL;
    if (r.complete_known && r.last >= r.complete_len)
        return -EINVAL;
    r.satisfied = true;
    *ret = r;
    return 0;
}

static bool text_is(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);

    return len == n && memcmp(s, lit, n) == 0;
}

enum client_http_state client_http_parse_state(const char *s, size_t len)
{
    if (s == NULL)
        return CLIENT_HTTP_STATE_UNKNOWN;
    trim_ows(&s, &len);
    if (text_is(s, len, "pending"))
        return CLIENT_HTTP_STATE_PENDING;
    if (text_is(s, len, "live"))
        return CLIENT_HTTP_STATE_LIVE;
    if (text_is(s, len, "complete"))
        return CLIENT_HTTP_STATE_COMPLETE;
    if (text_is(s, len, "interrupted"))
        return CLIENT_HTTP_STATE_INTERRUPTED;
    return CLIENT_HTTP_STATE_UNKNOWN;
}

const char *client_http_state_name(enum client_http_state st)
{
    switch (st) {
    case CLIENT_HTTP_STATE_PENDING:
        return "pending";
    case CLIENT_HTTP_STATE_LIVE:
        return "live";
    case CLIENT_HTTP_STATE_COMPLETE:
        return "complete";
    case CLIENT_HTTP_STATE_INTERRUPTED:
        return "interrupted";
    case CLIENT_HTTP_STATE_UNKNOWN:
        break;
    }
    return "unknown";
}

int client_http_split_header(const char *s, size_t len, const char **ret_name,
                             size_t *ret_name_len, const char **ret_value,
                             size_t *ret_value_len)
{
    size_t colon;
    const char *v;
    size_t vlen;

    if (s == NULL)
        return -EINVAL;
    colon = find_byte(s, len, ':');
    if (colon == len || colon == 0)
        return -EINVAL;
    for (size_t i = 0; i < colon; i++) {
        if (is_ows(s[i]) || s[i] == '\r' || s[i] == '\n')
            return -EINVAL;
    }
    v = s + colon + 1;
    vlen = len - colon - 1;
    while (vlen > 0 &&
           (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || is_ows(v[vlen - 1])))
        vlen--;
    trim_ows(&v, &vlen);
    *ret_name = s;
    *ret_name_len = colon;
    *ret_value = v;
    *ret_value_len = vlen;
    return 0;
}

int client_http_parse_read_url(const char *s, size_t len, char *out, size_t cap,
                               size_t *ret_len)
{
    if (s == NULL)
        return -EINVAL;
    trim_ows(&s, &len);
    if (len == 0)
        return -EINVAL;
    if (s[0] != '/' && !(len > 7 && strncasecmp(s, "http://", 7) == 0) &&
        !(len > 8 && strncasecmp(s, "https://", 8) == 0))
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x21 || c > 0x7e)
            return -EINVAL;
    }
    if (len >= cap)
        return -ENOSPC;
    memcpy(out, s, len);
    out[len] = '\0';
    *ret_len = len;
    return 0;
}

const char *client_http_auth_hint(long status, bool sent_credential)
{
    if (status == 401 && !sent_credential)
        return "no credential was sent: give a token with --token or "
               "LIVELOG_TOKEN";
    if (status == 401)
        return "the token was refused: it may have expired, be malformed "
               "or come from another server's keys";
    if (status == 403)
        return "the token needs the scope livelog:write:NAME (a trailing * "
               "matches any suffix): see `livelog token --help`";
    return NULL;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
           c == '-';
}

int client_http_encode_name(const char *name, size_t len, char *out, size_t cap,
                            size_t *ret_len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    if (name == NULL && len > 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (is_unreserved(c) || c == '/') {
            if (cap - o < 2)
                return -ENOSPC;
            out[o++] = (char)c;
        } else {
            if (cap - o < 4)
                return -ENOSPC;
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0x0f];
        }
    }
    if (cap - o < 1)
        return -ENOSPC;
    out[o] = '\0';
    *ret_len = o;
    return 0;
}

int client_http_base64(const uint8_t *in, size_t len, char *out, size_t cap,
                       size_t *ret_len)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need, o = 0, i = 0;

    if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
        return -ENOSPC;
    need = (len + 2) / 3 * 4 + 1;
    if (cap < need)
        return -ENOSPC;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                     (uint32_t)in[i + 2];

        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;

        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    *ret_len = o;
    return 0;
}

uint64_t client_http_backoff_ms(unsigned attempt, uint32_t rnd)
{
    uint64_t d = CLIENT_HTTP_BACKOFF_BASE_MS;
    uint64_t half;

    if (attempt == 0)
        attempt = 1;
    for (unsigned i = 1; i < attempt && d < CLIENT_HTTP_BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > CLIENT_HTTP_BACKOFF_CAP_MS)
        d = CLIENT_HTTP_BACKOFF_CAP_MS;
    half = d / 2;
    return half + (uint64_t)rnd % (d - half + 1);
}

/* ---- libcurl plumbing ---- */

int client_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

static bool name_is(const char *n, size_t nlen, const char *lit)
{
    size_t l = strlen(lit);

    return nlen == l && strncasecmp(n, lit, l) == 0;
}

/* Forgets the previous response; keeps libcurl's error buffer. */
static void resp_reset(struct client_http_resp *resp)
{
    memset(resp, 0, offsetof(struct client_http_resp, err));
}

/* Parses "HTTP/x[.y] NNN ..." into a status code; 0 when it is not one. */
static long status_line(const char *s, size_t len)
{
    size_t sp;
    long code = 0;

    if (len < 5 || memcmp(s, "HTTP/", 5) != 0)
        return 0;
    sp = find_byte(s, len, ' ');
    if (sp + 4 > len)
        return 0;
    for (size_t i = sp + 1; i < sp + 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        code = code * 10 + (s[i] - '0');
    }
    return code;
}

/* libcurl header callback: one call per header line of every response on
 * the handle (including interim ones). Always consumes the line. */
static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct client_http_resp *resp = userdata;
    size_t len = size * nitems;
    const char *name, *value;
    size_t nlen, vlen;
    long code = status_line(buf, len);

    if (code != 0) {
        resp_reset(resp);
        resp->status = code;
        return len;
    }
    if (client_http_split_header(buf, len, &name, &nlen, &value, &vlen) < 0)
        return len;
    if (name_is(name, nlen, "Upload-Offset")) {
        resp->has_offset =
            client_http_parse_offset(value, vlen, &resp->offset) == 0;
    } else if (name_is(name, nlen, "Content-Range")) {
        resp->has_range =
            client_http_parse_content_range(value, vlen, &resp->range) == 0;
    } else if (name_is(name, nlen, "Content-Length")) {
        resp->has_length =
            client_http_parse_offset(value, vlen, &resp->length) == 0;
    } else if (name_is(name, nlen, "Livelog-State")) {
        resp->state = client_http_parse_state(value, vlen);
    } else if (name_is(name, nlen, "Livelog-Read-URL")) {
        size_t ulen;

        resp->has_read_url =
            client_http_parse_read_url(value, vlen, resp->read_url,
                                       sizeof(resp->read_url), &ulen) == 0;
    }
    return len;
}

CURL *client_http_easy(const char *url, struct client_http_resp *resp)
{
    CURL *h = curl_easy_init();

    if (h == NULL)
        return NULL;
    resp_reset(resp);
    resp->err[0] = '\0';
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, resp->err);
    if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK)
        goto fail;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 15L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* send "a/../b" as is: the server, not libcurl, judges names */
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "livelog/" LIVELOG_VERSION);
    return h;
fail:
    curl_easy_cleanup(h);
    return NULL;
}

const char *client_http_error_text(CURLcode cc,
                                   const struct client_http_resp *resp)
{
    if (resp != NULL && resp->err[0] != '\0')
        return resp->err;
    return curl_easy_strerror(cc);
}

bool client_http_transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_FAILED_INIT:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_LOGIN_DENIED:
        return false;
    default:
        return true;
    }
}

int client_http_flag_value(int argc, char **argv, int *i, const char *flag,
                           const char **ret_value)
{
    const char *a = argv[*i];
    size_t fl = strlen(flag);

    if (strncmp(a, flag, fl) != 0)
        return -ENOENT;
    if (a[fl] == '=') {
        *ret_value = a + fl + 1;
        return 0;
    }
    if (a[fl] != '\0')
        return -ENOENT;
    if (*i + 1 >= argc) {
        *ret_value = NULL;
        return 0;
    }
    (*i)++;
    *ret_value = argv[*i];
    return 0;
}

void client_http_resp_capture(struct client_http_resp *resp, const char *p,
                              size_t n)
{
    size_t room = CLIENT_HTTP_MSG_MAX - resp->msg_len;

    if (n > room)
        n = room;
    memcpy(resp->msg + resp->msg_len, p, n);
    resp->msg_len += n;
    resp->msg[resp->msg_len] = '\0';
}

const char *client_http_resp_message(struct client_http_resp *resp)
{
    while (resp->msg_len > 0) {
        char c = resp->msg[resp->msg_len - 1];

        if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
            break;
        resp->msg_len--;
    }
    resp->msg[resp->msg_len] = '\0';
    return resp->msg_len > 0 ? resp->msg : "(no message)";
}

void client_http_sleep_ms(uint64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                          .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

uint32_t client_http_random(void)
{
    uint32_t v = 0;
    struct timespec ts;

    if (gnutls_rnd(GNUTLS_RND_NONCE, &v, sizeof(v)) == 0)
        return v;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)ts.tv_nsec ^ (uint32_t)getpid();
}

int client_http_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};

                if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                    return -errno;
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

char *client_http_log_url(const char *base, const char *name)
{
    static const char mid[] = "/v1/logs/";
    size_t blen = strlen(base), nlen = strlen(name), cap, enc_len;
    char *url;

    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (nlen > (SIZE_MAX - blen - sizeof(mid)) / 3)
        return NULL;
    cap = blen + sizeof(mid) - 1 + nlen * 3 + 1;
    url = malloc(cap);
    if (url == NULL)
        return NULL;
    memcpy(url, base, blen);
    memcpy(url + blen, mid, sizeof(mid) - 1);
    if (client_http_encode_name(name, nlen, url + blen + sizeof(mid) - 1,
                                cap - blen - sizeof(mid) + 1, &enc_len) < 0) {
        free(url);
        return NULL;
    }
    return url;
}

void client_http_vsay(const char *verb, const char *fmt, va_list ap)
{
    fprintf(stderr, "livelog %s: ", verb);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int client_http_bearer(const char *token, char **ret)
{
    static const char prefix[] = "Authorization: Bearer ";
    if (token == NULL)
        token = getenv("LIVELOG_TOKEN");
    if (token == NULL || token[0] == '\0')
        return 0;
    size_t len = strlen(token);

    if (strpbrk(token, "\r\n") != NULL)
        return -EINVAL;
    char *h = malloc(sizeof(prefix) + len);
    if (h == NULL)
        return -ENOMEM;
    memcpy(h, prefix, sizeof(prefix) - 1);
    memcpy(h + sizeof(prefix) - 1, token, len + 1);
    *ret = h;
    return 0;
}
