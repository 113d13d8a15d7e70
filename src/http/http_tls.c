/* http_tls: a listener's certificate and key, reloadable (contract in
 * http_tls.h). Load and free run on the main thread, reloads on any
 * thread under reload_lock; http_tls_select runs on libmicrohttpd's
 * worker threads during handshakes and only does one atomic load. */
#include "http/http_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

#define PEM_MAX (1024 * 1024)
#define CHAIN_MAX 16 /* GnuTLS's own limit on a chain it sorts */
#define KEY_ID_MAX 64

/* One loaded pair. Never changed once published; freed only by
 * http_tls_free. */
struct gen {
    struct gen *older; /* the generation this one replaced, or NULL */
    gnutls_pcert_st chain[CHAIN_MAX];
    unsigned int len; /* certificates in chain (leaf first)        */
    gnutls_privkey_t key;
    unsigned char key_id[KEY_ID_MAX]; /* SHA-256 of the public key    */
    size_t key_id_len;
    time_t expires; /* the leaf's notAfter                       */
};

struct http_tls {
    _Atomic(struct gen *) current; /* what handshakes get; never NULL  */
    pthread_mutex_t reload_lock;   /* one reload at a time             */
    char listener[16];
    char *cert_path;
    char *key_path;
};

/* Why a load failed: the file and a short reason, for the log. */
struct load_error {
    const char *path;
    char reason[160];
};

static int fail_errno(struct load_error *e, const char *path, int rc,
                      const char *what)
{
    char buf[96];
    e->path = path;
    snprintf(e->reason, sizeof(e->reason), "%s: %s", what,
             strerror_r(-rc, buf, sizeof(buf)));
    return rc;
}

static int fail_gnutls(struct load_error *e, const char *path, int grc,
                       const char *what)
{
    e->path = path;
    snprintf(e->reason, sizeof(e->reason), "%s: %s", what,
             gnutls_strerror(grc));
    return grc == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
}

/* Frees a PEM buffer after wiping it (it may hold a private key). */
static void free_pem(char *pem, size_t len)
{
    if (pem == NULL)
        return;
    explicit_bzero(pem, len);
    free(pem);
}

/* Reads a whole file of at most PEM_MAX bytes into a NUL-terminated
 * buffer the caller frees with free_pem. Returns 0 or a negative errno
 * (-EFBIG when too large); *ret untouched on failure. */
static int read_pem(const char *path, char **ret, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char *buf = malloc(PEM_MAX + 1);
    if (buf == NULL) {
        close(fd);
        return -ENOMEM;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, PEM_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = -errno;
            close(fd);
            free_pem(buf, len);
            return err;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == PEM_MAX) {
            close(fd);
            free_pem(buf, len);
            return -EFBIG;
        }
    }
    close(fd);
    buf[len] = '\0';
    *ret = buf;
    *ret_len = len;
    return 0;
}

static void gen_free(struct gen *g)
{
    if (g == NULL)
        return;
    for (unsigned int i = 0; i < g->len; i++)
        gnutls_pcert_deinit(&g->chain[i]);
    if (g->key != NULL)
        gnutls_privkey_deinit(g->key);
    free(g);
}

/* The SHA-256 key ID of a public key. Returns 0 or a GnuTLS error. */
static int key_id(gnutls_pubkey_t pub, unsigned char *out, size_t *ret_len)
{
    size_t len = KEY_ID_MAX;
    int grc = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, out, &len);
    if (grc < 0)
        return grc;
    *ret_len = len;
    return 0;
}

/* Imports the chain of g from PEM and reads the leaf's expiry. */
static int import_chain(struct gen *g, char *pem, size_t len, const char *path,
                        struct load_error *e)
{
    const gnutls_datum_t data = {(unsigned char *)pem, (unsigned int)len};
    unsigned int n = CHAIN_MAX;
    int grc = gnutls_pcert_list_import_x509_raw(
        g->chain, &n, &data, GNUTLS_X509_FMT_PEM,
        GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED | GNUTLS_X509_CRT_LIST_SORT);
    if (grc < 0)
        return fail_gnutls(e, path, grc, "not a usable PEM certificate chain");
    g->len = n;
    gnutls_x509_crt_t leaf;
    grc = gnutls_pcert_export_x509(&g->chain[0], &leaf);
    if (grc < 0)
        return fail_gnutls(e, path, grc, "cannot read the certificate");
    g->expires = gnutls_x509_crt_get_expiration_time(leaf);
    gnutls_x509_crt_deinit(leaf);
    if (g->expires == (time_t)-1) {
        e->path = path;
        snprintf(e->reason, sizeof(e->reason), "no expiration time");
        return -EIO;
    }
    return 0;
}

/* Imports the key of g from PEM and checks that it is the key of the
 * leaf certificate (same public key). */
static int import_key(struct gen *g, char *pem, size_t len, const char *path,
                      struct load_error *e)
{
    const gnutls_datum_t data = {(unsigned char *)pem, (unsigned int)len};
    int grc = gnutls_privkey_init(&g->key);
    if (grc < 0)
        return fail_gnutls(e, path, grc, "cannot create a key");
    grc = gnutls_privkey_import_x509_raw(g->key, &data, GNUTLS_X509_FMT_PEM,
                                         NULL, 0);
    if (grc < 0)
        return fail_gnutls(e, path, grc, "not a usable PEM private key");

    gnutls_pubkey_t pub;
    grc = gnutls_pubkey_init(&pub);
    if (grc < 0)
        return fail_gnutls(e, path, grc, "cannot create a public key");
    grc = gnutls_pubkey_import_privkey(pub, g->key, 0, 0);
    if (grc == 0)
        grc = key_id(pub, g->key_id, &g->key_id_len);
    gnutls_pubkey_deinit(pub);
    if (grc < 0)
        return fail_gnutls(e, path, grc, "cannot derive the public key");

    unsigned char cert_id[KEY_ID_MAX];
    size_t cert_id_len = 0;
    grc = key_id(g->chain[0].pubkey, cert_id, &cert_id_len);
    if (grc < 0)
        return fail_gnutls(e, path, grc, "cannot read the certificate's key");
    if (cert_id_len != g->key_id_len ||
        memcmp(cert_id, g->key_id, cert_id_len) != 0) {
        e->path = path;
        snprintf(e->reason, sizeof(e->reason),
                 "the private key does not match the certificate");
        return -EIO;
    }
    return 0;
}

/* Loads both files of t into a new generation. Returns 0 or a negative
 * errno with e filled in; *ret set on success only. */
static int gen_load(const struct http_tls *t, struct load_error *e,
                    struct gen **ret)
{
    char *cert_pem = NULL, *key_pem = NULL;
    size_t cert_len = 0, key_len = 0;
    struct gen *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return fail_errno(e, t->cert_path, -ENOMEM, "cannot load");
    int rc = read_pem(t->cert_path, &cert_pem, &cert_len);
    if (rc != 0) {
        fail_errno(e, t->cert_path, rc, "cannot read");
        goto fail;
    }
    rc = import_chain(g, cert_pem, cert_len, t->cert_path, e);
    if (rc != 0)
        goto fail;
    rc = read_pem(t->key_path, &key_pem, &key_len);
    if (rc != 0) {
        fail_errno(e, t->key_path, rc, "cannot read");
        goto fail;
    }
    rc = import_key(g, key_pem, key_len, t->key_path, e);
    if (rc != 0)
        goto fail;
    free_pem(cert_pem, cert_len);
    free_pem(key_pem, key_len);
    *ret = g;
    return 0;

fail:
    free_pem(cert_pem, cert_len);
    free_pem(key_pem, key_len);
    gen_free(g);
    return rc;
}

/* True when a and b hold the same chain and the same key. */
static bool gen_same(const struct gen *a, const struct gen *b)
{
    if (a->len != b->len || a->key_id_len != b->key_id_len ||
        memcmp(a->key_id, b->key_id, a->key_id_len) != 0)
        return false;
    for (unsigned int i = 0; i < a->len; i++) {
        const gnutls_datum_t *x = &a->chain[i].cert, *y = &b->chain[i].cert;
        if (x->size != y->size || memcmp(x->data, y->data, x->size) != 0)
            return false;
    }
    return true;
}

/* "2026-11-21T12:00:00Z" (UTC). */
static void format_time(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "%lld", (long long)t);
}

int http_tls_load(const char *listener, const char *cert_path,
                  const char *key_path, struct http_tls **ret)
{
    struct http_tls *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    snprintf(t->listener, sizeof(t->listener), "%s", listener);
    t->cert_path = strdup(cert_path);
    t->key_path = strdup(key_path);
    int rc = pthread_mutex_init(&t->reload_lock, NULL);
    if (rc != 0 || t->cert_path == NULL || t->key_path == NULL) {
        if (rc == 0)
            pthread_mutex_destroy(&t->reload_lock);
        free(t->cert_path);
        free(t->key_path);
        free(t);
        return -ENOMEM;
    }

    struct gen *g = NULL;
    struct load_error e = {0};
    rc = gen_load(t, &e, &g);
    if (rc != 0) {
        log_warning(LOGC_HTTP, "cannot load the tls certificate",
                    LF_STR("listener", t->listener), LF_STR("path", e.path),
                    LF_STR("reason", e.reason), LF_I64("errno", -rc));
        pthread_mutex_destroy(&t->reload_lock);
        free(t->cert_path);
        free(t->key_path);
        free(t);
        return rc;
    }
    atomic_init(&t->current, g);

    char expires[32];
    format_time(g->expires, expires, sizeof(expires));
    log_info(LOGC_HTTP, "tls certificate loaded",
             LF_STR("listener", t->listener), LF_STR("path", t->cert_path),
             LF_U64("chain", g->len), LF_STR("expires", expires));
    *ret = t;
    return 0;
}

int http_tls_reload(struct http_tls *t)
{
    struct gen *g = NULL;
    struct load_error e = {0};

    pthread_mutex_lock(&t->reload_lock);
    struct gen *cur = atomic_load_explicit(&t->current, memory_order_relaxed);
    int rc = gen_load(t, &e, &g);
    if (rc != 0) {
        pthread_mutex_unlock(&t->reload_lock);
        log_warning(LOGC_HTTP, "tls reload failed",
                    LF_STR("listener", t->listener), LF_STR("path", e.path),
                    LF_STR("reason", e.reason), LF_I64("errno", -rc),
                    LF_BOOL("previous_kept", true));
        return rc;
    }
    bool changed = !gen_same(g, cur);
    if (changed) {
        /* Published with release order: a handshake that loads the
         * pointer sees the whole generation. */
        g->older = cur;
        atomic_store_explicit(&t->current, g, memory_order_release);
    } else {
        gen_free(g);
        g = cur;
    }
    pthread_mutex_unlock(&t->reload_lock);

    char expires[32];
    format_time(g->expires, expires, sizeof(expires));
    log_info(LOGC_HTTP, "tls reloaded", LF_STR("listener", t->listener),
             LF_STR("path", t->cert_path), LF_BOOL("changed", changed),
             LF_U64("chain", g->len), LF_STR("expires", expires));
    return 0;
}

void http_tls_select(struct http_tls *t, gnutls_pcert_st **ret_chain,
                     unsigned int *ret_len, gnutls_privkey_t *ret_key)
{
    struct gen *g = atomic_load_explicit(&t->current, memory_order_acquire);
    *ret_chain = g->chain;
    *ret_len = g->len;
    *ret_key = g->key;
}

void http_tls_free(struct http_tls *t)
{
    if (t == NULL)
        return;
    struct gen *g = atomic_load_explicit(&t->current, memory_order_relaxed);
    while (g != NULL) {
        struct gen *older = g->older;
        gen_free(g);
        g = older;
    }
    pthread_mutex_destroy(&t->reload_lock);
    free(t->cert_path);
    free(t->key_path);
    free(t);
}
