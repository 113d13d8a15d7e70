/* mask: secret masking of a log's bytes before they are stored, as GitHub
 * Actions and GitLab do it. A writer registers secrets for its log; every
 * occurrence is replaced with the three bytes "***", even when a secret
 * arrives split across two writes (two chunks, two requests, a restart).
 *
 * One struct mask per log owns copies of its secrets (zeroed when freed)
 * and the held bytes (see below). Pure: libc only, no I/O, no logging, no
 * locks; one writer thread at a time per mask.
 *
 * Matching: scanning from the start, at each position the secrets that
 * match there are looked at; the longest one is replaced and scanning goes
 * on after it (non-overlapping); with none, the byte is kept and scanning
 * goes on at the next one. So the leftmost match wins, the longest among
 * those at the same position: secrets "abcd" and "bcde" on "abcde" give
 * "***e".
 *
 * Hold-back: mask_feed emits exactly what one call over the whole input
 * would emit, whatever the split. It holds back the input from the first
 * scan position p where input[p..end) is a proper prefix of some secret
 * (which covers a shorter secret matching at p while a longer one still
 * could): at most MASK_MAX_LEN - 1 bytes. The caller persists them
 * (mask_held) with the output and hands them back after a restart
 * (mask_restore); mask_flush resolves them at the end of the input.
 *
 * Output bound: a replacement only shrinks (>= 4 bytes become 3), so one
 * call never writes more than the held bytes plus the new bytes. */
#ifndef LIVELOG_MASK_H
#define LIVELOG_MASK_H

#include <stddef.h>

#define MASK_MIN_LEN 4
#define MASK_MAX_LEN 1024
#define MASK_MAX_SECRETS 64
#define MASK_REPLACEMENT "***"

struct mask;

/* Returns 0 and a new mask with no secrets and nothing held in *ret (the
 * caller frees it with mask_free), or -ENOMEM with *ret untouched. */
int mask_new(struct mask **ret);

/* Adds a copy of the len bytes at secret (any bytes, NUL included).
 * Returns 0 (also when the same secret is already there: nothing changes),
 * -EINVAL when len is outside [MASK_MIN_LEN, MASK_MAX_LEN], -E2BIG when the
 * mask already has MASK_MAX_SECRETS secrets, -ENOMEM. May be called while
 * bytes are held: they are scanned under the new set at the next
 * mask_feed or mask_flush. */
int mask_add(struct mask *m, const void *secret, size_t len);

/* The number of distinct secrets. Can't fail. */
size_t mask_count(const struct mask *m);

/* Feeds the next len bytes of the log (in may be NULL when len is 0).
 * Writes into out the output that is now final (the held bytes and in,
 * masked, minus the new held tail) and returns its length. The caller
 * guarantees cap >= mask_held_len(m) + len (asserted); out must not overlap
 * in. With no secrets the bytes pass through and nothing is held. */
size_t mask_feed(struct mask *m, const void *in, size_t len, void *out,
                 size_t cap);

/* Ends the input: resolves the held bytes (complete matches inside them
 * are still replaced), writes them into out and returns the length. The
 * caller guarantees cap >= mask_held_len(m) (asserted). Nothing is held
 * afterwards; the mask can be fed again as a new input. */
size_t mask_flush(struct mask *m, void *out, size_t cap);

/* The number of held bytes, at most MASK_MAX_LEN - 1. Can't fail. */
size_t mask_held_len(const struct mask *m);

/* The held bytes and their count in *ret_len (when not NULL). The pointer
 * is owned by m and valid until the next call on m. */
const void *mask_held(const struct mask *m, size_t *ret_len);

/* Replaces the held bytes with a copy of buf (held bytes saved before a
 * restart; buf may be NULL when len is 0, or point into mask_held's own
 * bytes). Returns 0, or -EINVAL when len > MASK_MAX_LEN - 1 with the held
 * bytes untouched. */
int mask_restore(struct mask *m, const void *buf, size_t len);

/* Zeroes the secrets and the held bytes and frees m. NULL: no-op. */
void mask_free(struct mask *m);

#endif
