/* auth_keys: the key ring, the HMAC-SHA-256 keys that sign and verify
 * tokens (auth_jwt) and signed URLs (auth_sign), each named by a key id
 * (kid), loaded from one directory and reloadable while in use.
 *
 * The directory: every regular file named `<kid>.key`, where kid is 1 to
 * 64 bytes of [A-Za-z0-9._-] not starting with '.', is a key (symbolic
 * links are followed, so a Kubernetes secret volume works; its `..data`
 * entries start with '.' and are ignored). Every other entry is ignored
 * (logged at DEBUG). The key is the file's content with leading and
 * trailing ASCII whitespace removed, used as raw bytes: after
 * `openssl rand -base64 32 > DIR/2026-11.key; chmod 600 DIR/2026-11.key`
 * the key is those 44 characters, so any JWT library given the same
 * string as its HS256 secret interoperates. A file is refused (logged at
 * ERROR with its name and the reason, and skipped; the other files still
 * load) when its key is shorter than 32 or longer than 4096 bytes, or
 * when group or others have any permission on it (mode & 077, as ssh
 * refuses private keys; the message says chmod 600). At most 64 keys are
 * loaded: beyond that the ones whose kids sort first are refused.
 *
 * The signing key, the one that mints new tokens and signed URLs, is the
 * key whose kid sorts last (strcmp, byte order). Name keys by date
 * (2026-05.key, 2026-11.key) and the newest signs, while the older ones
 * keep verifying what they signed until their files are removed and the
 * ring is reloaded.
 *
 * Threads: open and free on one thread (start-up, shutdown); reload from
 * any thread (the SIGHUP handler's) while any number of threads call the
 * lookups. A reload swaps the whole set at once: later lookups see the
 * new set, lookups already running finish with the old one, which is
 * freed (its key bytes zeroed) by whoever drops the last reference. Key
 * material is never logged; kids and counts are. */
#ifndef LIVELOG_AUTH_KEYS_H
#define LIVELOG_AUTH_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_KEYS_MAX 64       /* keys in one ring */
#define AUTH_KEYS_KID_MAX 64   /* bytes in a kid, without the NUL */
#define AUTH_KEYS_KEY_MIN 32   /* bytes in a key, after trimming */
#define AUTH_KEYS_KEY_MAX 4096 /* bytes in a key, after trimming */
#define AUTH_KEYS_HMAC_LEN 32  /* HMAC-SHA-256 */

struct auth_keyring;

/* Loads the keys of directory `dir` (the path is copied). Returns 0 with
 * a ring in *ret, owned by the caller (auth_keyring_free), even when no
 * file held a usable key (a WARNING is logged and every lookup fails);
 * -ENOENT, -ENOTDIR, -EACCES (or another negative errno from opendir or
 * readdir) when the directory cannot be read; -ENOMEM. Logs INFO "keys
 * loaded" with the count and the kids, comma-separated. *ret untouched
 * on failure. */
int auth_keyring_open(const char *dir, struct auth_keyring **ret);

/* Reads the directory again and swaps the new set in for every later
 * lookup; calls already in progress finish with the old set. Returns 0,
 * or the negative errno of a directory that cannot be read (or -ENOMEM),
 * in which case the old set stays in use. Logs INFO "keys reloaded" with
 * the count, the kids and the kids added and removed. Any thread;
 * concurrent reloads are serialised. */
int auth_keyring_reload(struct auth_keyring *kr);

/* Number of keys in the current set. Any thread. */
size_t auth_keyring_count(struct auth_keyring *kr);

/* Writes HMAC-SHA-256 of the len bytes at msg, with key `kid` (a
 * NUL-terminated kid; NULL: the signing key), into mac. When kid_out is
 * not NULL the kid used is copied there (AUTH_KEYS_KID_MAX + 1 bytes).
 * Returns 0; -ENOENT when there is no such kid or no key at all; -EIO
 * when GnuTLS fails. mac and kid_out are untouched on failure. Any
 * thread. */
int auth_keyring_hmac(struct auth_keyring *kr, const char *kid, const void *msg,
                      size_t len, unsigned char mac[AUTH_KEYS_HMAC_LEN],
                      char *kid_out);

/* True when mac is the HMAC-SHA-256 of msg under key `kid`, or, with kid
 * NULL, under any key of the ring: every key is tried and each result
 * compared in constant time, without stopping at a match. False for an
 * unknown kid, an empty ring, or a GnuTLS failure. Any thread. */
bool auth_keyring_verify(struct auth_keyring *kr, const char *kid,
                         const void *msg, size_t len,
                         const unsigned char mac[AUTH_KEYS_HMAC_LEN]);

/* True when kid (NUL-terminated) names a key of the current set. Any
 * thread. */
bool auth_keyring_has(struct auth_keyring *kr, const char *kid);

/* Frees the ring and zeroes its keys. No lookup or reload may be running.
 * NULL: no-op. */
void auth_keyring_free(struct auth_keyring *kr);

#endif
