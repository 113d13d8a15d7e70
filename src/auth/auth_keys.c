/* auth_keys: the key ring (see auth_keys.h). Each loaded directory
 * becomes one immutable, reference-counted set of keys sorted by kid;
 * the ring points at the current set. A lookup takes a reference under a
 * mutex held only for that pointer load, computes its HMACs without any
 * lock and drops the reference; a reload builds the new set with no lock
 * held and swaps the pointer. The last reference to an old set zeroes
 * and frees its keys. Opened by serve.c at start-up, reloaded from its
 * signal thread, used by the HTTP handlers on the listener threads. */
#include "auth/auth_keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/log.h"

#define KEY_SUFFIX ".key"
#define KEY_SUFFIX_LEN (sizeof(KEY_SUFFIX) - 1)
/* The most bytes read from a key file: the longest key plus generous
 * surrounding whitespace. A longer file is refused as too long. */
#define KEY_FILE_MAX (4 * AUTH_KEYS_KEY_MAX)
/* "a,b,c": every kid and a comma, plus the NUL. */
#define KID_LIST_MAX (AUTH_KEYS_MAX * (AUTH_KEYS_KID_MAX + 1) + 1)

struct key {
    char kid[AUTH_KEYS_KID_MAX + 1];
    unsigned char *bytes; /* malloc'd, zeroed before it is freed */
    size_t len;
};

/* One loaded directory. Immutable once published; freed with its last
 * reference. */
struct keyset {
    atomic_uint refs;
    size_t n;
    struct key keys[AUTH_KEYS_MAX]; /* sorted by kid, strcmp */
};

struct auth_keyring {
    char *dir;                 /* the directory, as given to open */
    pthread_mutex_t mu;        /* guards `set` and taking a reference */
    pthread_mutex_t reload_mu; /* one reload at a time */
    struct keyset *set;        /* the current set, never NULL */
};

/* A kid from a directory entry name "<kid>.key", copied into kid.
 * Returns false when the name is not a key file's. */
static bool kid_from_file(const char *name, char kid[AUTH_KEYS_KID_MAX + 1])
{
    size_t len = strlen(name);
    if (len <= KEY_SUFFIX_LEN || len - KEY_SUFFIX_LEN > AUTH_KEYS_KID_MAX ||
        memcmp(name + len - KEY_SUFFIX_LEN, KEY_SUFFIX, KEY_SUFFIX_LEN) != 0)
        return false;
    size_t klen = len - KEY_SUFFIX_LEN;
    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < klen; i++) {
        char c = name[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    memcpy(kid, name, klen);
    kid[klen] = '\0';
    return true;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

static void keyset_free(struct keyset *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        explicit_bzero(s->keys[i].bytes, s->keys[i].len);
        free(s->keys[i].bytes);
    }
    free(s);
}

static void refuse(const char *dir, const char *file, const char *reason)
{
    log_warning(LOGC_AUTH, "key file refused", LF_STR("dir", dir),
                LF_STR("file", file), LF_STR("reason", reason));
}

/* Reads the key of file `kid`.key in the directory open as dfd into *k,
 * using buf (KEY_FILE_MAX + 1 bytes) as scratch, which is zeroed again.
 * Returns 0 when the key loaded, 1 when the file was refused or ignored
 * (and logged), -ENOMEM. */
static int key_load(int dfd, const char *dir, const char *kid,
                    unsigned char *buf, struct key *k)
{
    char file[AUTH_KEYS_KID_MAX + KEY_SUFFIX_LEN + 1];
    struct stat st;
    size_t got = 0;
    int rc = 1;

    snprintf(file, sizeof file, "%s%s", kid, KEY_SUFFIX);
    int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            log_debug(LOGC_AUTH, "key file vanished or dangling, ignored",
                      LF_STR("dir", dir), LF_STR("file", file));
        } else {
            log_warning(LOGC_AUTH, "key file refused", LF_STR("dir", dir),
                        LF_STR("file", file),
                        LF_STR("reason", "cannot be opened"),
                        LF_I64("errno", errno));
        }
        return 1;
    }
    if (fstat(fd, &st) != 0) {
        log_warning(LOGC_AUTH, "key file refused", LF_STR("dir", dir),
                    LF_STR("file", file), LF_STR("reason", "cannot be stat'ed"),
                    LF_I64("errno", errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        log_debug(LOGC_AUTH, "not a regular file, ignored", LF_STR("dir", dir),
                  LF_STR("file", file));
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        refuse(dir, file,
               "group or others may access it; run chmod 600 on the file");
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf + got, KEY_FILE_MAX + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_warning(LOGC_AUTH, "key file refused", LF_STR("dir", dir),
                        LF_STR("file", file),
                        LF_STR("reason", "cannot be read"),
                        LF_I64("errno", errno));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > KEY_FILE_MAX) {
            refuse(dir, file, "the key is longer than 4096 bytes");
            goto out;
        }
    }
    size_t start = 0, end = got;
    while (start < end && is_space(buf[start]))
        start++;
    while (end > start && is_space(buf[end - 1]))
        end--;
    size_t len = end - start;
    if (len < AUTH_KEYS_KEY_MIN) {
        refuse(dir, file, "the key is shorter than 32 bytes");
        goto out;
    }
    if (len > AUTH_KEYS_KEY_MAX) {
        refuse(dir, file, "the key is longer than 4096 bytes");
        goto out;
    }
    k->bytes = malloc(len);
    if (k->bytes == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(k->bytes, buf + start, len);
    k->len = len;
    memcpy(k->kid, kid, strlen(kid) + 1);
    rc = 0;
out:
    explicit_bzero(buf, got);
    close(fd);
    return rc;
}

static int cmp_kid(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Loads directory `dir` into a new set with one reference. Returns 0,
 * -errno when the directory cannot be read, -ENOMEM. */
static int keyset_load(const char *dir, struct keyset **ret)
{
    char(*kids)[AUTH_KEYS_KID_MAX + 1] = NULL;
    size_t nkids = 0, cap = 0;
    unsigned char *buf = NULL;
    struct keyset *s = NULL;
    int rc;

    DIR *d = opendir(dir);
    if (d == NULL)
        return -errno;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            rc = -errno;
            if (rc != 0)
                goto fail;
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (nkids == cap) {
            size_t ncap = cap == 0 ? 16 : cap * 2;
            void *p = reallocarray(kids, ncap, sizeof *kids);
            if (p == NULL) {
                rc = -ENOMEM;
                goto fail;
            }
            kids = p;
            cap = ncap;
        }
        if (!kid_from_file(e->d_name, kids[nkids])) {
            log_debug(LOGC_AUTH, "not a key file name, ignored",
                      LF_STR("dir", dir), LF_STR("file", e->d_name));
            continue;
        }
        nkids++;
    }
    if (nkids > 0)
        qsort(kids, nkids, sizeof *kids, cmp_kid);

    s = calloc(1, sizeof *s);
    buf = malloc(KEY_FILE_MAX + 1);
    if (s == NULL || buf == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    atomic_init(&s->refs, 1);
    /* Newest first, so that when there are too many the oldest go; the
     * set is filled from its end and moved down afterwards. */
    size_t loaded = 0;
    for (size_t i = nkids; i-- > 0;) {
        if (loaded == AUTH_KEYS_MAX) {
            char file[AUTH_KEYS_KID_MAX + KEY_SUFFIX_LEN + 1];
            snprintf(file, sizeof file, "%s%s", kids[i], KEY_SUFFIX);
            refuse(dir, file,
                   "more than 64 keys; the kids that sort first "
                   "are left out");
            continue;
        }
        struct key *k = &s->keys[AUTH_KEYS_MAX - 1 - loaded];
        rc = key_load(dirfd(d), dir, kids[i], buf, k);
        if (rc < 0)
            goto fail;
        if (rc == 0) {
            loaded++;
            s->n = loaded; /* so that keyset_free sees them on failure */
        }
    }
    if (loaded < AUTH_KEYS_MAX) {
        memmove(&s->keys[0], &s->keys[AUTH_KEYS_MAX - loaded],
                loaded * sizeof s->keys[0]);
        memset(&s->keys[loaded], 0,
               (AUTH_KEYS_MAX - loaded) * sizeof s->keys[0]);
    }
    s->n = loaded;
    free(buf);
    free(kids);
    closedir(d);
    *ret = s;
    return 0;
fail:
    if (s != NULL && s->n > 0) {
        /* loaded keys sit at the end of the array */
        memmove(&s->keys[0], &s->keys[AUTH_KEYS_MAX - s->n],
                s->n * sizeof s->keys[0]);
    }
    keyset_free(s);
    free(buf);
    free(kids);
    closedir(d);
    return rc;
}

/* Writes the kids of s, comma-separated, into out (KID_LIST_MAX). */
static void kid_list(const struct keyset *s, char *out)
{
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        size_t len = strlen(s->keys[i].kid);
        if (pos > 0)
            out[pos++] = ',';
        memcpy(out + pos, s->keys[i].kid, len + 1);
        pos += len;
    }
}

/* Writes the kids of a that are not in b (both sorted), comma-separated,
 * into out (KID_LIST_MAX). */
static void kid_diff(const struct keyset *a, const struct keyset *b, char *out)
{
    size_t pos = 0, j = 0;
    out[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        while (j < b->n && strcmp(b->keys[j].kid, a->keys[i].kid) < 0)
            j++;
        if (j < b->n && strcmp(b->keys[j].kid, a->keys[i].kid) == 0)
            continue;
        size_t len = strlen(a->keys[i].kid);
        if (pos > 0)
            out[pos++] = ',';
        memcpy(out + pos, a->keys[i].kid, len + 1);
        pos += len;
    }
}

static struct keyset *acquire(struct auth_keyring *kr)
{
    pthread_mutex_lock(&kr->mu);
    struct keyset *s = kr->set;
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&kr->mu);
    return s;
}

static void release(struct keyset *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        keyset_free(s);
}

static void warn_if_empty(const char *dir, const struct keyset *s)
{
    if (s->n == 0)
        log_warning(LOGC_AUTH,
                    "no usable keys: every token and signed URL is refused",
                    LF_STR("dir", dir));
}

int auth_keyring_open(const char *dir, struct auth_keyring **ret)
{
    char kids[KID_LIST_MAX];

    struct auth_keyring *kr = calloc(1, sizeof *kr);
    if (kr == NULL)
        return -ENOMEM;
    kr->dir = strdup(dir);
    if (kr->dir == NULL) {
        free(kr);
        return -ENOMEM;
    }
    int rc = keyset_load(dir, &kr->set);
    if (rc < 0) {
        free(kr->dir);
        free(kr);
        return rc;
    }
    pthread_mutex_init(&kr->mu, NULL);
    pthread_mutex_init(&kr->reload_mu, NULL);
    kid_list(kr->set, kids);
    log_info(LOGC_AUTH, "keys loaded", LF_STR("dir", dir),
             LF_U64("count", kr->set->n), LF_STR("kids", kids));
    warn_if_empty(dir, kr->set);
    *ret = kr;
    return 0;
}

int auth_keyring_reload(struct auth_keyring *kr)
{
    char kids[KID_LIST_MAX], added[KID_LIST_MAX], removed[KID_LIST_MAX];
    struct keyset *fresh;

    pthread_mutex_lock(&kr->reload_mu);
    int rc = keyset_load(kr->dir, &fresh);
    if (rc < 0) {
        pthread_mutex_unlock(&kr->reload_mu);
        log_warning(LOGC_AUTH, "keys not reloaded: the old keys stay in use",
                    LF_STR("dir", kr->dir), LF_I64("errno", -rc));
        return rc;
    }
    pthread_mutex_lock(&kr->mu);
    struct keyset *old = kr->set;
    kr->set = fresh;
    pthread_mutex_unlock(&kr->mu);

    kid_list(fresh, kids);
    kid_diff(fresh, old, added);
    kid_diff(old, fresh, removed);
    log_info(LOGC_AUTH, "keys reloaded", LF_STR("dir", kr->dir),
             LF_U64("count", fresh->n), LF_STR("kids", kids),
             LF_STR("added", added), LF_STR("removed", removed));
    warn_if_empty(kr->dir, fresh);
    release(old);
    pthread_mutex_unlock(&kr->reload_mu);
    return 0;
}

size_t auth_keyring_count(struct auth_keyring *kr)
{
    struct keyset *s = acquire(kr);
    size_t n = s->n;
    release(s);
    return n;
}

static const struct key *find(const struct keyset *s, const char *kid)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->keys[i].kid, kid) == 0)
            return &s->keys[i];
    }
    return NULL;
}

static int hmac(const struct key *k, const void *msg, size_t len,
                unsigned char mac[AUTH_KEYS_HMAC_LEN])
{
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->bytes, k->len,
                         msg != NULL ? msg : "", len, mac) != 0)
        return -EIO;
    return 0;
}

/* 1 when the two MACs are equal, 0 otherwise; no branch on their bytes. */
static unsigned mac_equal(const unsigned char *a, const unsigned char *b)
{
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < AUTH_KEYS_HMAC_LEN; i++)
        diff = (unsigned char)(diff | (a[i] ^ b[i]));
    /* 0 -> 1, 1..255 -> 0, without a comparison the compiler may branch
     * on */
    return 1u & (((unsigned)diff - 1u) >> 8);
}

int auth_keyring_hmac(struct auth_keyring *kr, const char *kid, const void *msg,
                      size_t len, unsigned char mac[AUTH_KEYS_HMAC_LEN],
                      char *kid_out)
{
    unsigned char out[AUTH_KEYS_HMAC_LEN];
    struct keyset *s = acquire(kr);
    const struct key *k = NULL;
    int rc = -ENOENT;

    if (kid != NULL)
        k = find(s, kid);
    else if (s->n > 0)
        k = &s->keys[s->n - 1];
    if (k != NULL)
        rc = hmac(k, msg, len, out);
    if (rc == 0) {
        memcpy(mac, out, sizeof out);
        if (kid_out != NULL)
            memcpy(kid_out, k->kid, strlen(k->kid) + 1);
    }
    release(s);
    explicit_bzero(out, sizeof out);
    return rc;
}

bool auth_keyring_verify(struct auth_keyring *kr, const char *kid,
                         const void *msg, size_t len,
                         const unsigned char mac[AUTH_KEYS_HMAC_LEN])
{
    unsigned char want[AUTH_KEYS_HMAC_LEN];
    struct keyset *s = acquire(kr);
    unsigned ok = 0;

    for (size_t i = 0; i < s->n; i++) {
        if (kid != NULL && strcmp(s->keys[i].kid, kid) != 0)
            continue;
        if (hmac(&s->keys[i], msg, len, want) != 0)
            continue;
        ok |= mac_equal(want, mac);
    }
    release(s);
    explicit_bzero(want, sizeof want);
    return ok != 0;
}

bool auth_keyring_has(struct auth_keyring *kr, const char *kid)
{
    if (kid == NULL)
        return false;
    struct keyset *s = acquire(kr);
    bool found = find(s, kid) != NULL;
    release(s);
    return found;
}

void auth_keyring_free(struct auth_keyring *kr)
{
    if (kr == NULL)
        return;
    release(kr->set);
    pthread_mutex_destroy(&kr->mu);
    pthread_mutex_destroy(&kr->reload_mu);
    free(kr->dir);
    free(kr);
}
