/* fuzz_stream_mask: secret masking of a real directory stream
 * (src/stream/stream_mask.c over src/store/), the way the write route and
 * a restarted server drive it: secrets registered, the body appended in
 * pieces, requests ended (a wire record each), and the server killed at
 * any point: the stream is reopened from its directory (store_stream_
 * open_dir, stream_mask_recover, as the registry does), the writer sends
 * its secrets again and resumes from the writer offset the server now
 * reports. Input: secrets as in fuzz_mask, up to six (cut, action)
 * pairs, then the body. Properties: after the completing request the
 * stored bytes equal one leftmost-longest pass over the whole body
 * (written here), the writer offset equals the body length, nothing is
 * held, the line index agrees with the stored bytes, and a restart never
 * moves the writer offset forward past what was sent. Files live in a
 * scratch directory (/dev/shm when there is one); fsync mode `never`. */
#include <errno.h>
#include <ftw.h>

#include "fuzz.h"
#include "fuzz_mask_ref.h"
#include "fuzz_scratch.h"
#include "log/log.h"
#include "mask/mask.h"
#include "store/store_stream.h"
#include "stream/stream.h"
#include "stream/stream_mask.h"

#define SECRETS_MAX 4
#define STEPS_MAX 6
#define BODY_MAX 4096

static void add_secrets(struct stream *st, const struct secret *s, size_t ns)
{
    for (size_t k = 0; k < ns; k++)
        FUZZ_CHECK(stream_mask_add(st, s[k].p, s[k].len) == 0);
}

static struct stream *reopen(const char *dir)
{
    struct store_stream *store = NULL;
    FUZZ_CHECK(store_stream_open_dir(dir, 2000, &store) == 0);
    struct stream *s = NULL;
    FUZZ_CHECK(stream_create(store, true, &s) == 0);
    FUZZ_CHECK(stream_mask_recover(s) == 0);
    return s;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool inited;
    if (!inited) {
        log_init(2, LOG_FATAL, LOG_FORMAT_JSON);
        store_stream_set_fsync(STORE_FSYNC_NEVER);
        inited = true;
    }
    struct fuzz_in in = {data, size};
    struct secret sec[SECRETS_MAX];
    size_t ns = 0, want = 1 + fuzz_u8(&in) % SECRETS_MAX;
    while (ns < want) {
        uint8_t l = fuzz_u8(&in);
        size_t len = l & 0x80 ? (size_t)MASK_MIN_LEN + (size_t)(l & 0x7f) * 8
                              : MASK_MIN_LEN + (size_t)(l % 13);
        const uint8_t *p = fuzz_take(&in, len, &len);
        if (len < MASK_MIN_LEN)
            break;
        sec[ns++] = (struct secret){p, len};
    }
    size_t nsteps = fuzz_u8(&in) % (STEPS_MAX + 1);
    uint16_t cut[STEPS_MAX];
    uint8_t act[STEPS_MAX];
    for (size_t i = 0; i < nsteps; i++) {
        cut[i] = fuzz_u16(&in);
        act[i] = fuzz_u8(&in);
    }
    size_t n = 0;
    const uint8_t *body0 = fuzz_take(&in, BODY_MAX, &n);
    uint8_t *body = fuzz_memdup(body0, n);
    uint8_t *want_out = malloc(n + 1);
    FUZZ_CHECK(want_out != NULL);
    size_t wlen = reference(sec, ns, body, n, want_out);

    char dir[PATH_MAX];
    fuzz_scratch_path(dir, fuzz_scratch(), "s");
    struct store_stream *store = NULL;
    FUZZ_CHECK(store_stream_create_dir(dir, "t", 1, 1000, &store) == 0);
    struct stream *s = NULL;
    FUZZ_CHECK(stream_create(store, true, &s) == 0);
    add_secrets(s, sec, ns);

    /* pos: what the writer has sent and the server accepted. */
    size_t pos = 0;
    for (size_t i = 0; i < nsteps; i++) {
        size_t to = n > 0 ? cut[i] % (n + 1) : 0;
        if (to > pos) {
            FUZZ_CHECK(stream_mask_append(s, body + pos, to - pos) == 0);
            pos = to;
        }
        FUZZ_CHECK(stream_writer_offset(s) == pos);
        if (act[i] & 1)
            FUZZ_CHECK(stream_mask_end(s, false) == 0);
        if (act[i] & 2) {
            /* kill -9 and a restart: the writer asks where it stands. */
            stream_free(s);
            s = reopen(dir);
            uint64_t at = stream_writer_offset(s);
            FUZZ_CHECK(at <= pos);
            if (act[i] & 1)
                FUZZ_CHECK(at == pos); /* its request had ended */
            pos = (size_t)at;
            add_secrets(s, sec, ns);
        }
    }
    if (n > pos)
        FUZZ_CHECK(stream_mask_append(s, body + pos, n - pos) == 0);
    FUZZ_CHECK(stream_mask_end(s, true) == 0);
    FUZZ_CHECK(stream_writer_offset(s) == n);
    FUZZ_CHECK(stream_mask_held(s) == 0);

    uint64_t len = store_stream_length(s->store);
    FUZZ_CHECK(len == wlen);
    uint8_t *got = malloc(wlen + 1);
    FUZZ_CHECK(got != NULL);
    size_t have = 0;
    while (have < wlen) {
        ssize_t r = store_stream_read(s->store, have, got + have, wlen - have);
        FUZZ_CHECK(r > 0);
        have += (size_t)r;
    }
    FUZZ_CHECK(memcmp(got, want_out, wlen) == 0);
    uint64_t lines = wlen > 0 ? 1 : 0, off = 0;
    for (size_t i = 0; i + 1 < wlen; i++)
        lines += got[i] == '\n';
    FUZZ_CHECK(store_stream_tail_offset(s->store, 1, &off) == 0);
    FUZZ_CHECK(store_stream_lines(s->store) == lines);

    stream_free(s);
    FUZZ_CHECK(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS) == 0);
    free(got);
    free(want_out);
    free(body);
    return 0;
}
