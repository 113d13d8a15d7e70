/* client_http: what `livelog put` and `livelog tail` share. Pure parsers
 * and encoders over (ptr, len) for the headers the clients read
 * (Upload-Offset, Content-Range, Livelog-State) and the text they build
 * (percent-encoded names, base64 digests), the retry backoff, and the
 * libcurl plumbing: one easy handle configured the same way for both
 * verbs, a header callback that collects the answer, a bounded capture of
 * error bodies. Single-threaded: each client runs on the main thread. */
#ifndef LIVELOG_CLIENT_HTTP_H
#define LIVELOG_CLIENT_HTTP_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

/* Default write URL of `livelog put` when neither --server nor
 * LIVELOG_URL is given. */
#define CLIENT_HTTP_DEFAULT_URL "http://127.0.0.1:60022"

/* The backoff policy: 100 ms doubling to a 5 s cap, with jitter. */
#define CLIENT_HTTP_BACKOFF_BASE_MS 100u
#define CLIENT_HTTP_BACKOFF_CAP_MS 5000u

/* How much of an error body is kept to show the user. */
#define CLIENT_HTTP_MSG_MAX 1024u

/* The longest Livelog-Read-URL kept: --public-url (at most 1024 bytes),
 * the path with a name of at most 1024 bytes, and a signed query. */
#define CLIENT_HTTP_READ_URL_MAX 4096u

/* Livelog-State values (docs/API.md). */
enum client_http_state {
    CLIENT_HTTP_STATE_UNKNOWN = 0, /* header absent or not a known value */
    CLIENT_HTTP_STATE_PENDING,
    CLIENT_HTTP_STATE_LIVE,
    CLIENT_HTTP_STATE_COMPLETE,
    CLIENT_HTTP_STATE_INTERRUPTED,
};

/* A parsed Content-Range value (RFC 9110 section 14.4). */
struct client_http_range {
    bool satisfied;        /* "bytes F-L/C"; false for the 416 form */
    uint64_t first;        /* first byte position, when satisfied */
    uint64_t last;         /* last byte position, when satisfied */
    bool complete_known;   /* false when the complete length is '*' */
    uint64_t complete_len; /* the complete length, when known */
};

/* What the header callback collected from one response. Reset when a new
 * status line arrives (interim 1xx responses are forgotten). */
struct client_http_resp {
    long status;     /* from the status line; 0 before one arrived */
    bool has_offset; /* a valid Upload-Offset header was seen */
    uint64_t offset; /* its value */
    bool has_range;  /* a valid Content-Range header was seen */
    struct client_http_range range; /* its value */
    bool has_length;                /* a valid Content-Length header was seen */
    uint64_t length;                /* its value */
    enum client_http_state state;   /* Livelog-State */
    bool has_read_url;              /* a usable Livelog-Read-URL was seen */
    char read_url[CLIENT_HTTP_READ_URL_MAX + 1]; /* its value */
    char msg[CLIENT_HTTP_MSG_MAX + 1]; /* error body, NUL-terminated */
    size_t msg_len;                    /* bytes in msg */
    /* Kept across responses of one handle (libcurl's CURLOPT_ERRORBUFFER);
     * must stay the last field. */
    char err[CURL_ERROR_SIZE];
};

/* ---- pure functions ---- */

/* Parses an Upload-Offset value: optional spaces/tabs around a decimal
 * integer (no sign). Returns 0, -EINVAL for anything else, -ERANGE when it
 * does not fit in 64 bits. *ret untouched on failure. */
int client_http_parse_offset(const char *s, size_t len, uint64_t *ret);

/* Parses a Content-Range value: "bytes F-L/C", "bytes F-L/" followed by
 * '*' (live), or "bytes " '*' "/C" (416), optional spaces/tabs around. Requires
 * F <= L and, with a known C, L < C. Returns 0, -EINVAL on bad syntax or
 * inconsistent numbers, -ERANGE on a number over 64 bits. *ret untouched
 * on failure. */
int client_http_parse_content_range(const char *s, size_t len,
                                    struct client_http_range *ret);

/* Maps a Livelog-State value (spaces/tabs trimmed, case-sensitive) to the
 * enum; CLIENT_HTTP_STATE_UNKNOWN for anything else. Can't fail. */
enum client_http_state client_http_parse_state(const char *s, size_t len);

/* Returns the text of a state for messages ("live", ...). Can't fail. */
const char *client_http_state_name(enum client_http_state st);

/* Copies a Livelog-Read-URL value (spaces and tabs around it trimmed)
 * into out, NUL-terminated, when it is safe to print and looks like a
 * URL: it starts with "http://", "https://" (either case) or "/" (a
 * relative URL: the server has no --public-url) and every byte is visible
 * ASCII (0x21 to 0x7e: no control byte, escape sequence, space or
 * UTF-8). Returns 0 with *ret_len the length, -EINVAL for anything else,
 * -ENOSPC when out (cap bytes with the NUL) is too small. out untouched
 * on failure. */
int client_http_parse_read_url(const char *s, size_t len, char *out, size_t cap,
                               size_t *ret_len);

/* What `livelog put` adds to the server's message when the write
 * listener refused its credential: for 401 without a credential sent,
 * how to give one; for 401 with one, why it may have been refused
 * (expired, malformed, another server's keys); for 403, the scope it
 * needs. NULL for any other status. Never the credential itself. Can't
 * fail. */
const char *client_http_auth_hint(long status, bool sent_credential);

/* Splits one header line "Name: value\r\n" into name and value (value
 * trimmed of spaces, tabs, CR and LF). Returns 0, -EINVAL when there is
 * no ':' or the name is empty or holds a space. Outputs untouched on
 * failure; they point into s. */
int client_http_split_header(const char *s, size_t len, const char **ret_name,
                             size_t *ret_name_len, const char **ret_value,
                             size_t *ret_value_len);

/* Percent-encodes a log name for a URL path: bytes of [A-Za-z0-9._~-] and
 * '/' are kept, every other byte becomes %XX (upper-case hex). Writes at
 * most cap bytes including a terminating NUL into out. Returns 0 with
 * *ret_len the length without the NUL, -ENOSPC when out is too small.
 * Nothing is validated: the server says which naming rule is broken. */
int client_http_encode_name(const char *name, size_t len, char *out, size_t cap,
                            size_t *ret_len);

/* "Authorization: Bearer TOKEN" in a new string (*ret, the caller frees
 * it) for the clients' --token, or LIVELOG_TOKEN when token is NULL; *ret
 * stays NULL when neither is set (or empty). Returns 0, -EINVAL for a
 * token with CR or LF (it would break the header), -ENOMEM. */
int client_http_bearer(const char *token, char **ret);

/* Base64 (RFC 4648 section 4, with padding) of in[0..len) into out,
 * NUL-terminated. Returns 0 with *ret_len the text length, -ENOSPC when
 * cap < 4 * ceil(len / 3) + 1. */
int client_http_base64(const uint8_t *in, size_t len, char *out, size_t cap,
                       size_t *ret_len);

/* The delay before retry number `attempt` (1 for the first retry):
 * d = min(100 ms * 2^(attempt - 1), 5 s), then "equal jitter": a value in
 * [d/2, d] picked by rnd. attempt 0 is treated as 1. Can't fail. */
uint64_t client_http_backoff_ms(unsigned attempt, uint32_t rnd);

/* ---- libcurl and process plumbing ---- */

/* Initialises libcurl once for the process. Returns 0 or -ENOMEM. */
int client_http_global_init(void);

/* Creates an easy handle for url with the options both clients use: no
 * signals, TCP keepalive (so a vanished peer is noticed while idle), a
 * connect timeout, no redirects (a redirect would drop credentials), the
 * path sent as is (no squashing of "." and ".." segments), the
 * header callback filling *resp (reset here) and libcurl's error text in
 * resp->err. Never libcurl's trace: it would print credentials. Returns
 * NULL when out of memory or url is refused. The caller owns the handle
 * (curl_easy_cleanup); resp must outlive it. */
CURL *client_http_easy(const char *url, struct client_http_resp *resp);

/* The text for a failed transfer: libcurl's detailed message when it left
 * one, else curl_easy_strerror(cc). Can't fail. */
const char *client_http_error_text(CURLcode cc,
                                   const struct client_http_resp *resp);

/* Whether a failed transfer is worth retrying (network, server, timeout)
 * rather than a mistake that will not fix itself (bad URL, unsupported
 * scheme, certificate rejected, out of memory). Can't fail. */
bool client_http_transient(CURLcode cc);

/* Command-line helper: when argv[*i] is `flag VALUE` or `flag=VALUE`,
 * sets *ret_value (NULL when the value is missing), moves *i onto the
 * last word consumed and returns 0; returns -ENOENT when argv[*i] is
 * another word. */
int client_http_flag_value(int argc, char **argv, int *i, const char *flag,
                           const char **ret_value);

/* Appends the bytes of a response body to resp->msg, silently dropping
 * what exceeds CLIENT_HTTP_MSG_MAX. Can't fail. */
void client_http_resp_capture(struct client_http_resp *resp, const char *p,
                              size_t n);

/* Returns resp->msg trimmed of trailing whitespace, or "(no message)"
 * when empty. The pointer is into resp (or a literal). */
const char *client_http_resp_message(struct client_http_resp *resp);

/* Sleeps ms milliseconds, restarting after signals. Can't fail. */
void client_http_sleep_ms(uint64_t ms);

/* A random 32-bit value for jitter (GnuTLS nonce generator, falling back
 * to the clock). Can't fail. */
uint32_t client_http_random(void);

/* Writes all of buf to fd, retrying short writes, EINTR and EAGAIN (by
 * polling). Returns 0 or a negative errno (-EPIPE when the reader went
 * away; SIGPIPE must be ignored for that). */
int client_http_write_all(int fd, const void *buf, size_t len);

/* Builds "BASE/v1/logs/ENCODED-NAME" from a server URL (trailing '/'
 * dropped) and a raw name. Returns a malloc'ed string the caller frees,
 * or NULL when out of memory. */
char *client_http_log_url(const char *base, const char *name);

/* Writes one diagnostic line "livelog VERB: message" on stderr (the
 * clients' human messages; never a token). */
void client_http_vsay(const char *verb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
