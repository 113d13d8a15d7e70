/* serve_private: private logs (docs/SECURITY.md) on the real `livelog
 * serve`, driven with libcurl.
 *
 *  - The access matrix: {public, private} x {no credential, malformed,
 *    bad signature, expired, not yet valid, alg none, alg HS384, wrong
 *    kid, scope for another name, exact scope, wildcard scope, signed URL
 *    valid / expired / tampered / for another name / for another method}
 *    x {GET, HEAD, Range GET, follow GET, listing, DELETE}, each with its
 *    expected status. For a private name every refusal is compared with
 *    the answer for a missing name: status, headers (but Date) and body
 *    must be byte-identical.
 *  - Key rotation: a token signed with a new key works after SIGHUP, one
 *    signed with a removed key stops working after POST /v1/reload.
 *  - The PUT's Livelog-Read-URL reads the stream, and is new every time.
 *  - CORS: a private read answers only a configured origin; preflight.
 *  - The server's log holds no token, signature or key.
 *
 * Tokens are built here by hand (header, claims, HMAC) so that every
 * malformed kind can be made; the good ones also come from `livelog
 * token`. */
#include "harness.h"

#include <gnutls/crypto.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PRIV "task/m/run/0/private.log"
#define PUB "task/m/run/0/public/logs/live.log"
#define MISSING "task/m/run/0/missing.log"
#define ORIGIN "https://ui.example"
#define SEED 7
#define LEN 100

enum cred {
    C_NONE,
    C_MALFORMED,
    C_BAD_SIG,
    C_EXPIRED,
    C_NOT_YET,
    C_ALG_NONE,
    C_ALG_HS384,
    C_WRONG_KID,
    C_OTHER_NAME,
    C_EXACT,
    C_WILDCARD,
    C_URL_VALID,
    C_URL_EXPIRED,
    C_URL_TAMPERED,
    C_URL_OTHER_NAME,
    C_URL_OTHER_METHOD,
    C_COUNT,
};

static const char *const cred_name[C_COUNT] = {
    "no credential",
    "malformed",
    "bad signature",
    "expired",
    "not yet valid",
    "alg none",
    "alg HS384",
    "wrong kid",
    "other name",
    "exact scope",
    "wildcard",
    "URL valid",
    "URL expired",
    "URL tampered",
    "URL for another name",
    "URL for another method",
};

enum verb { V_GET, V_HEAD, V_RANGE, V_FOLLOW, V_LIST, V_DELETE, V_COUNT };
static const char *const verb_name[V_COUNT] = {
    "GET", "HEAD", "Range GET", "follow GET", "listing", "DELETE",
};

static struct hs_server srv;
/* Every credential sent, to look for in the server's log afterwards. */
static char *sent[512];
static size_t nsent;

static void remember(const char *secret)
{
    if (nsent < sizeof(sent) / sizeof(sent[0]))
        sent[nsent++] = strdup(secret);
}

static void b64url(const void *in, size_t n, char *out, size_t cap)
{
    gnutls_datum_t d = {.data = (unsigned char *)(uintptr_t)in,
                        .size = (unsigned)n};
    gnutls_datum_t e = {0};
    HS_REQUIRE(gnutls_base64_encode2(&d, &e) == 0, "base64");
    size_t w = 0;
    for (unsigned i = 0; i < e.size && w + 1 < cap; i++) {
        char c = (char)e.data[i];
        if (c == '=')
            break;
        out[w++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[w] = '\0';
    gnutls_free(e.data);
}

/* A JWT with the given alg, kid, one scope and times, signed with key. */
static void make_jwt(char *out, size_t cap, const char *alg, const char *kid,
                     const char *scope, long long exp, long long nbf,
                     const char *key)
{
    char hjson[256], pjson[2048], h[512], p[4096], input[5000], sig[128];
    unsigned char mac[64];
    snprintf(hjson, sizeof(hjson),
             "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
    snprintf(pjson, sizeof(pjson),
             "{\"scopes\":[\"%s\"],\"exp\":%lld,\"nbf\":%lld}", scope, exp,
             nbf);
    b64url(hjson, strlen(hjson), h, sizeof(h));
    b64url(pjson, strlen(pjson), p, sizeof(p));
    snprintf(input, sizeof(input), "%s.%s", h, p);
    sig[0] = '\0';
    if (strcmp(alg, "none") != 0) {
        gnutls_mac_algorithm_t a =
            strcmp(alg, "HS384") == 0 ? GNUTLS_MAC_SHA384 : GNUTLS_MAC_SHA256;
        HS_REQUIRE(gnutls_hmac_fast(a, key, strlen(key), input, strlen(input),
                                    mac) == 0,
                   "hmac");
        b64url(mac, gnutls_hmac_get_len(a), sig, sizeof(sig));
    }
    snprintf(out, cap, "%s.%s", input, sig);
}

/* "exp=..&n=..&sig=.." for method and name, signed with key. */
static void make_query(char *out, size_t cap, const char *method,
                       const char *name, long long exp, const char *key)
{
    static unsigned seq;
    char nonce[32], msg[1200], sig[64];
    unsigned char raw[16], mac[32];
    memset(raw, 0, sizeof(raw));
    snprintf((char *)raw, sizeof(raw), "n%u", seq++);
    b64url(raw, sizeof(raw), nonce, sizeof(nonce));
    snprintf(msg, sizeof(msg), "%s\n%s\n%lld\n%s", method, name, exp, nonce);
    HS_REQUIRE(gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, strlen(key), msg,
                                strlen(msg), mac) == 0,
               "hmac");
    b64url(mac, sizeof(mac), sig, sizeof(sig));
    snprintf(out, cap, "exp=%lld&n=%s&sig=%s", exp, nonce, sig);
    remember(sig);
}

/* The Authorization header (auth, "" for none) and query ("" for none)
 * of credential c for `verb` on `name`. */
static void build(enum cred c, enum verb verb, const char *name, char *auth,
                  size_t acap, char *query, size_t qcap)
{
    long long now = (long long)time(NULL);
    bool del = verb == V_DELETE;
    const char *prefix = del ? "livelog:write:" : "livelog:read:";
    const char *method = del ? "DELETE" : "GET";
    char scope[1200], token[4096];
    auth[0] = query[0] = '\0';
    snprintf(scope, sizeof(scope), "%s%s", prefix, name);
    token[0] = '\0';
    switch (c) {
    case C_NONE:
        return;
    case C_MALFORMED:
        snprintf(token, sizeof(token), "not.a-jwt");
        break;
    case C_BAD_SIG: {
        make_jwt(token, sizeof(token), "HS256", "test", scope, now + 600,
                 now - 10, srv.key);
        char *dot = strrchr(token, '.');
        dot[5] = dot[5] == 'A' ? 'B' : 'A';
        break;
    }
    case C_EXPIRED:
        make_jwt(token, sizeof(token), "HS256", "test", scope, now - 3600,
                 now - 7200, srv.key);
        break;
    case C_NOT_YET:
        make_jwt(token, sizeof(token), "HS256", "test", scope, now + 7200,
                 now + 3600, srv.key);
        break;
    case C_ALG_NONE:
        make_jwt(token, sizeof(token), "none", "test", scope, now + 600,
                 now - 10, srv.key);
        break;
    case C_ALG_HS384:
        make_jwt(token, sizeof(token), "HS384", "test", scope, now + 600,
                 now - 10, srv.key);
        break;
    case C_WRONG_KID:
        make_jwt(token, sizeof(token), "HS256", "other", scope, now + 600,
                 now - 10, srv.key);
        break;
    case C_OTHER_NAME:
        snprintf(scope, sizeof(scope), "%stask/z/*", prefix);
        make_jwt(token, sizeof(token), "HS256", "test", scope, now + 600,
                 now - 10, srv.key);
        break;
    case C_EXACT:
        make_jwt(token, sizeof(token), "HS256", "test", scope, now + 600,
                 now - 10, srv.key);
        break;
    case C_WILDCARD:
        snprintf(scope, sizeof(scope), "%stask/m/*", prefix);
        make_jwt(token, sizeof(token), "HS256", "test", scope, now + 600,
                 now - 10, srv.key);
        break;
    case C_URL_VALID:
        make_query(query, qcap, method, name, now + 600, srv.key);
        return;
    case C_URL_EXPIRED:
        make_query(query, qcap, method, name, now - 60, srv.key);
        return;
    case C_URL_TAMPERED: {
        make_query(query, qcap, method, name, now + 600, srv.key);
        char *e = strstr(query, "exp=") + 4;
        *e = *e == '9' ? '8' : (char)(*e + 1); /* another expiry */
        return;
    }
    case C_URL_OTHER_NAME:
        make_query(query, qcap, method, "task/z/other.log", now + 600, srv.key);
        return;
    case C_URL_OTHER_METHOD:
        make_query(query, qcap, del ? "GET" : "DELETE", name, now + 600,
                   srv.key);
        return;
    case C_COUNT:
        break;
    }
    snprintf(auth, acap, "Authorization: Bearer %s", token);
    remember(token);
}

static bool refused_cred(enum cred c)
{
    return c != C_OTHER_NAME && c != C_EXACT && c != C_WILDCARD &&
           c != C_URL_VALID && c != C_NONE;
}

/* The expected status of verb with credential c on a private (or
 * public) stream. */
static long expected(enum verb v, enum cred c, bool private)
{
    bool url = c >= C_URL_VALID;
    if (v == V_LIST)
        return !url && refused_cred(c) ? 401 : 200;
    if (v != V_DELETE && !private)
        return v == V_RANGE ? 206 : 200;
    if (c == C_NONE || refused_cred(c))
        return 401;
    if (c == C_OTHER_NAME)
        return 403;
    return v == V_DELETE ? 204 : v == V_RANGE ? 206 : 200;
}

static void request(enum verb v, const char *name, const char *auth,
                    const char *query, struct hs_resp *r)
{
    char path[2048];
    const char *hdrs[4] = {NULL, NULL, NULL, NULL};
    size_t n = 0;
    if (auth[0] != '\0')
        hdrs[n++] = auth;
    if (v == V_RANGE)
        hdrs[n++] = "Range: bytes=0-3";
    hdrs[n++] = "Origin: " ORIGIN;
    bool q = query[0] != '\0';
    if (v == V_LIST)
        snprintf(path, sizeof(path), "/v1/logs?prefix=task/m/%s%s",
                 q ? "&" : "", query);
    else /* every read but the follow GET asks for no follow */
        snprintf(path, sizeof(path), "/v1/logs/%s%s%s%s", name, q ? "?" : "",
                 query,
                 v == V_FOLLOW || v == V_DELETE ? ""
                 : q                            ? "&follow=0"
                                                : "?follow=0");
    const char *method = v == V_HEAD     ? "HEAD"
                         : v == V_DELETE ? "DELETE"
                                         : "GET";
    hs_request(&srv, v != V_DELETE, method, path, hdrs, NULL, 0, 10000, r);
    HS_REQUIRE(r->result == CURLE_OK, "%s %s: transport error %d", method, path,
               (int)r->result);
}

static const char *writer_auth(void)
{
    static char auth[2048];
    if (auth[0] == '\0') {
        char token[1024];
        const char *const args[] = {"--scopes", "livelog:write:task/*", "--ttl",
                                    "3600", NULL};
        hs_mint(srv.key_dir, args, token, sizeof(token));
        remember(token);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    }
    return auth;
}

static void create(const char *name)
{
    const char *extra[] = {writer_auth(), NULL};
    long st =
        hs_v1_send(&srv, "PUT", name, SEED, 0, LEN, NULL, extra, NULL, NULL);
    HS_REQUIRE(st == 201, "PUT %s: %ld", name, st);
}

static void matrix(void)
{
    char auth[4200], query[512], mauth[4200], mquery[512];
    char h1[16384], h2[16384];
    for (int p = 0; p < 2; p++) {
        bool private = p == 1;
        const char *name = private ? PRIV : PUB;
        for (enum verb v = 0; v < V_COUNT; v++) {
            for (enum cred c = 0; c < C_COUNT; c++) {
                struct hs_resp r, m;
                long want = expected(v, c, private);
                build(c, v, name, auth, sizeof(auth), query, sizeof(query));
                request(v, name, auth, query, &r);
                HS_CHECK(r.status == want, "%s %s, %s: %ld, want %ld (%s)",
                         verb_name[v], private ? "private" : "public",
                         cred_name[c], r.status, want,
                         r.body != NULL ? (char *)r.body : "");
                if (v == V_LIST && r.status == 200) {
                    bool shown = strstr((char *)r.body, PRIV) != NULL;
                    bool may = c == C_WILDCARD || (c == C_EXACT && private);
                    HS_CHECK(shown == may, "listing, %s: private %s",
                             cred_name[c], shown ? "shown" : "hidden");
                    HS_CHECK(strstr((char *)r.body, PUB) != NULL,
                             "listing, %s: the public stream is missing",
                             cred_name[c]);
                }
                if (v == V_DELETE && r.status == 204)
                    create(name);
                /* no enumeration: a refusal on a private name is the same
                 * answer for a name that does not exist */
                if (private && v != V_LIST &&
                    (r.status == 401 || r.status == 403)) {
                    build(c, v, MISSING, mauth, sizeof(mauth), mquery,
                          sizeof(mquery));
                    request(v, MISSING, mauth, mquery, &m);
                    hs_without_date(r.headers, h1, sizeof(h1));
                    hs_without_date(m.headers, h2, sizeof(h2));
                    HS_CHECK(m.status == r.status && m.len == r.len &&
                                 (r.len == 0 ||
                                  memcmp(m.body, r.body, r.len) == 0) &&
                                 strcmp(h1, h2) == 0,
                             "%s, %s: a missing private stream answers "
                             "differently:\n%s%s\nvs\n%s%s",
                             verb_name[v], cred_name[c], h1,
                             r.body != NULL ? (char *)r.body : "", h2,
                             m.body != NULL ? (char *)m.body : "");
                    hs_resp_free(&m);
                }
                hs_resp_free(&r);
            }
        }
    }
}

/* The token from `livelog token` and the signed URL of the PUT. */
static void minted_and_read_url(void)
{
    char token[1024], auth[1200], a[4096], b[4096];
    const char *const args[] = {"--scopes", "livelog:read:task/m/*", "--ttl",
                                "60", NULL};
    hs_mint(srv.key_dir, args, token, sizeof(token));
    remember(token);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *hdrs[] = {auth, NULL};
    struct hs_resp r;
    hs_request(&srv, true, "GET", "/v1/logs/" PRIV "?follow=0", hdrs, NULL, 0,
               10000, &r);
    HS_CHECK(r.status == 200 && r.len == LEN, "GET with a minted token: %ld",
             r.status);
    hs_resp_free(&r);

    const char *extra[] = {writer_auth(), NULL};
    struct hs_resp put;
    long st = hs_v1_send(&srv, "PUT", "task/m/run/1/url.log", SEED, 0, LEN,
                         NULL, extra, NULL, &put);
    HS_REQUIRE(st == 201, "PUT: %ld", st);
    HS_REQUIRE(hs_header(put.headers, "Livelog-Read-URL", a, sizeof(a)),
               "the PUT's answer has no Livelog-Read-URL");
    hs_resp_free(&put);
    remember(strstr(a, "sig=") + 4);
    const char *prefix =
        "https://livelog.example:8443/v1/logs/task/m/run/1/url.log?exp=";
    HS_CHECK(strncmp(a, prefix, strlen(prefix)) == 0,
             "Livelog-Read-URL %s is not under --public-url", a);
    const char *path = strstr(a, "/v1/logs/");
    hs_request(&srv, true, "GET", path, NULL, NULL, 0, 10000, &r);
    HS_CHECK(r.status == 200 && r.len == LEN,
             "GET of the Livelog-Read-URL: %ld", r.status);
    hs_resp_free(&r);
    /* another PUT, another URL */
    st = hs_v1_send(&srv, "PUT", "task/m/run/2/url.log", SEED, 0, LEN, NULL,
                    extra, NULL, &put);
    HS_REQUIRE(st == 201, "PUT: %ld", st);
    HS_REQUIRE(hs_header(put.headers, "Livelog-Read-URL", b, sizeof(b)),
               "no Livelog-Read-URL");
    hs_resp_free(&put);
    remember(strstr(b, "sig=") + 4);
    HS_CHECK(strcmp(strstr(a, "&n="), strstr(b, "&n=")) != 0,
             "two read URLs share their nonce and signature");
    /* the URL of one stream does not read another */
    char other[4200];
    snprintf(other, sizeof(other), "/v1/logs/task/m/run/2/url.log%s",
             strchr(a, '?'));
    hs_request(&srv, true, "GET", other, NULL, NULL, 0, 10000, &r);
    HS_CHECK(r.status == 401, "a read URL used for another name: %ld",
             r.status);
    hs_resp_free(&r);
}

static void cors(void)
{
    char v[256], auth[4200], q[8];
    build(C_EXACT, V_GET, PRIV, auth, sizeof(auth), q, sizeof(q));
    struct hs_resp r;
    const char *ok[] = {auth, "Origin: " ORIGIN, NULL};
    hs_request(&srv, true, "GET", "/v1/logs/" PRIV "?follow=0", ok, NULL, 0,
               10000, &r);
    HS_CHECK(r.status == 200 &&
                 hs_header(r.headers, "Access-Control-Allow-Origin", v,
                           sizeof(v)) != NULL &&
                 strcmp(v, ORIGIN) == 0,
             "private read from a configured origin: %ld, ACAO %s", r.status,
             v);
    HS_CHECK(hs_header(r.headers, "Vary", v, sizeof(v)) != NULL &&
                 strstr(v, "Origin") != NULL,
             "private read: no Vary: Origin");
    hs_resp_free(&r);
    const char *evil[] = {auth, "Origin: https://evil.example", NULL};
    hs_request(&srv, true, "GET", "/v1/logs/" PRIV "?follow=0", evil, NULL, 0,
               10000, &r);
    HS_CHECK(r.status == 200 &&
                 hs_header(r.headers, "Access-Control-Allow-Origin", v,
                           sizeof(v)) == NULL,
             "private read from another origin carries ACAO %s", v);
    hs_resp_free(&r);
    hs_request(&srv, true, "GET", "/v1/logs/" PUB "?follow=0", evil + 1, NULL,
               0, 10000, &r);
    HS_CHECK(hs_header(r.headers, "Access-Control-Allow-Origin", v,
                       sizeof(v)) != NULL &&
                 strcmp(v, "*") == 0,
             "public read: ACAO %s", v);
    hs_resp_free(&r);
    /* preflight */
    const char *pre[] = {"Origin: " ORIGIN,
                         "Access-Control-Request-Method: GET",
                         "Access-Control-Request-Headers: authorization", NULL};
    hs_request(&srv, true, "OPTIONS", "/v1/logs/" PRIV, pre, NULL, 0, 10000,
               &r);
    HS_CHECK(r.status == 204 &&
                 hs_header(r.headers, "Access-Control-Allow-Origin", v,
                           sizeof(v)) != NULL &&
                 strcmp(v, ORIGIN) == 0,
             "preflight of a private read: %ld", r.status);
    HS_CHECK(hs_header(r.headers, "Access-Control-Allow-Headers", v,
                       sizeof(v)) != NULL &&
                 strstr(v, "Authorization") != NULL,
             "preflight: Authorization is not allowed");
    hs_resp_free(&r);
    const char *pre_evil[] = {"Origin: https://evil.example",
                              "Access-Control-Request-Method: GET", NULL};
    hs_request(&srv, true, "OPTIONS", "/v1/logs/" PRIV, pre_evil, NULL, 0,
               10000, &r);
    HS_CHECK(r.status == 204 &&
                 hs_header(r.headers, "Access-Control-Allow-Origin", v,
                           sizeof(v)) == NULL,
             "preflight from another origin allowed: %s", v);
    hs_resp_free(&r);
}

static long get_with(const char *token)
{
    char auth[2048];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *hdrs[] = {auth, NULL};
    struct hs_resp r;
    hs_request(&srv, true, "GET", "/v1/logs/" PRIV "?follow=0", hdrs, NULL, 0,
               10000, &r);
    long st = r.status;
    hs_resp_free(&r);
    return st;
}

static void rotation(void)
{
    char path[800], newkey[64], old_token[1024], new_token[1024];
    const char *const read_old[] = {
        "--kid", "test", "--scopes", "livelog:read:*", "--ttl", "600", NULL};
    hs_mint(srv.key_dir, read_old, old_token, sizeof(old_token));
    remember(old_token);
    /* a new key: "zz-new" sorts last, so it signs from now on */
    char tmpdir[700];
    snprintf(tmpdir, sizeof(tmpdir), "%s.next", srv.key_dir);
    hs_make_key_dir(tmpdir, "zz-new", newkey, sizeof(newkey));
    remember(newkey);
    char from[800];
    snprintf(from, sizeof(from), "%s/zz-new.key", tmpdir);
    snprintf(path, sizeof(path), "%s/zz-new.key", srv.key_dir);
    HS_REQUIRE(rename(from, path) == 0, "rename %s", from);
    const char *const read_new[] = {"--scopes", "livelog:read:*", "--ttl",
                                    "600", NULL};
    hs_mint(srv.key_dir, read_new, new_token, sizeof(new_token));
    remember(new_token);
    HS_CHECK(get_with(new_token) == 401,
             "a token of a key not loaded yet was accepted");
    kill(srv.pid, SIGHUP);
    long st = 0;
    for (int i = 0; i < 100 && (st = get_with(new_token)) != 200; i++)
        usleep(50 * 1000);
    HS_CHECK(st == 200, "after SIGHUP the new key's token gets %ld", st);
    HS_CHECK(get_with(old_token) == 200, "the old key stopped working early");
    /* remove the old key, reload through the endpoint */
    snprintf(path, sizeof(path), "%s/test.key", srv.key_dir);
    HS_REQUIRE(unlink(path) == 0, "unlink %s", path);
    char reload_token[1024], auth[1200];
    const char *const admin[] = {"--scopes", "livelog:reload", "--ttl", "60",
                                 NULL};
    hs_mint(srv.key_dir, admin, reload_token, sizeof(reload_token));
    remember(reload_token);
    struct hs_resp r;
    hs_request(&srv, false, "POST", "/v1/reload", NULL, NULL, 0, 10000, &r);
    HS_CHECK(r.status == 401, "POST /v1/reload without a token: %ld", r.status);
    hs_resp_free(&r);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", reload_token);
    const char *hdrs[] = {auth, NULL};
    hs_request(&srv, false, "POST", "/v1/reload", hdrs, NULL, 0, 10000, &r);
    HS_CHECK(r.status == 200, "POST /v1/reload: %ld %s", r.status,
             r.body != NULL ? (char *)r.body : "");
    hs_resp_free(&r);
    HS_CHECK(get_with(old_token) == 401,
             "a token of a removed key is still accepted");
    HS_CHECK(get_with(new_token) == 200, "the new key's token stopped working");
}

/* No credential the test sent appears in the server's log. */
static void log_has_no_secrets(void)
{
    FILE *f = fopen(srv.log_path, "r");
    HS_REQUIRE(f != NULL, "open %s", srv.log_path);
    static char log[8 << 20];
    size_t n = fread(log, 1, sizeof(log) - 1, f);
    fclose(f);
    log[n] = '\0';
    for (size_t i = 0; i < nsent; i++) {
        const char *sig = strrchr(sent[i], '.');
        HS_CHECK(strstr(log, sent[i]) == NULL,
                 "the server's log holds credential #%zu", i);
        HS_CHECK(sig == NULL || strlen(sig) < 20 || strstr(log, sig) == NULL,
                 "the server's log holds the signature of credential #%zu", i);
        free(sent[i]);
    }
    HS_CHECK(strstr(log, srv.key) == NULL, "the server's log holds the key");
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "serve_private");
    const char *const args[] = {"--write-credentials",
                                "required",
                                "--cors-origins",
                                ORIGIN ",http://localhost:3000",
                                "--public-url",
                                "https://livelog.example:8443",
                                "--token-leeway",
                                "5",
                                "--writer-wait",
                                "0",
                                NULL};
    struct hs_serve_opts o = {.keys = true, .args = args};
    hs_serve_start(&srv, &o);
    create(PRIV);
    create(PUB);
    matrix();
    minted_and_read_url();
    cors();
    rotation();
    hs_stop_and_check(&srv, NULL);
    log_has_no_secrets();
    return hs_finish();
}
