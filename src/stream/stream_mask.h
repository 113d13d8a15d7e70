/* stream_mask: secret masking of a stream's bytes before they are stored
 * (the pure masker is src/mask/mask.h; this ties it to a stream, its
 * store and restarts).
 *
 * A writer registers secrets (the HTTP layer parses its Livelog-Mask
 * headers) and every occurrence is stored as "***", even when a secret is
 * split across two chunks, two requests or a restart. A replacement
 * shrinks the bytes, so a masked stream has two offsets: the writer
 * offset (input bytes accepted from the writer: the write listener's
 * Upload-Offset, where PATCH resumes) and the stored length (bytes in the
 * data file: readers, Range, the read listener's Upload-Offset). For an
 * unmasked stream they are the same and nothing here costs anything: no
 * state, no file, stream_mask_append is stream_append.
 *
 * Persistence: a directory stream's wire record (store_wire.h) ties the
 * writer offset to a stored length and keeps the held bytes (input that
 * may begin a secret). One is written before the first masked byte is
 * stored and at the end of every request (stream_mask_end), so after a
 * crash store_stream_open_dir cuts the data back to the last record and
 * the writer resends from its writer offset: masking is deterministic,
 * the same bytes come back. Temporary streams (the drop-in) keep no
 * record.
 *
 * After a restart the secrets are gone (they are never written to disk;
 * the held bytes, which may be the start of one, are, in the 0600 wire
 * file): a resuming writer sends its Livelog-Mask headers again. Without
 * them, the held bytes pass through unmasked at the next append.
 *
 * Thread-safety: every function is for the stream's single writer (the
 * write listener's thread; recovery before the stream is shared) except
 * stream_writer_offset and stream_is_masked, which any thread may call. */
#ifndef LIVELOG_STREAM_MASK_H
#define LIVELOG_STREAM_MASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream/stream.h"

/* Registers a secret for the stream (any bytes). On first use creates the
 * masking state, with the writer offset at the stored length (or, when the
 * store holds a wire record, at the record's). Returns 0 (also for a
 * secret already there), -EINVAL (length outside 4..1024), -E2BIG (a 65th
 * secret) or -ENOMEM; the stream is unchanged on failure (a state created
 * by this call stays, empty, which masks nothing). */
int stream_mask_add(struct stream *s, const void *secret, size_t len);

/* True once the stream has masking state (a secret was added, or it was
 * recovered with a wire record). Any thread. */
bool stream_is_masked(const struct stream *s);

/* Masks len input bytes and appends the output (stream_append: followers
 * are woken as usual); bytes that may begin a secret are held back for
 * the next call. Returns 0 and adds len to the writer offset, or a
 * negative errno (of the append, of the first wire record, or -ENOMEM)
 * in which case nothing of this call happened: the held bytes and the
 * writer offset are as before. Unmasked stream: exactly stream_append. */
int stream_mask_append(struct stream *s, const void *buf, size_t len);

/* The end of a writer's request. complete: no more input will come, so
 * the held bytes are resolved and appended first, and the secrets are
 * freed (zeroed) afterwards; the writer offset stays. Then the wire record
 * (writer offset, stored length, held bytes) is persisted so that a
 * restart resumes exactly here. Returns 0 or a negative errno (the caller
 * answers 5xx; the held bytes stay held when their append failed).
 * Unmasked stream: does nothing and returns 0. */
int stream_mask_end(struct stream *s, bool complete);

/* The writer offset: input bytes accepted from the writer. The stored
 * length for an unmasked stream. Any thread. */
uint64_t stream_writer_offset(const struct stream *s);

/* The input bytes held back (0 for an unmasked stream). A byte limit
 * measured on stored bytes must count them: the next append can store up
 * to held + input bytes. */
size_t stream_mask_held(const struct stream *s);

/* Recovery (the registry, for every stream it reopens): when the store
 * has a wire record, creates the masking state with the record's writer
 * offset and held bytes, and no secrets (see above). Returns 0 (also for
 * an unmasked stream) or -ENOMEM. */
int stream_mask_recover(struct stream *s);

/* Frees a masking state, zeroing the secrets and held bytes (stream_free
 * calls it). NULL: no-op. */
void stream_mask_free(struct stream_mask *m);

#endif
