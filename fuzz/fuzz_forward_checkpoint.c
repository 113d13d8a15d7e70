/* fuzz_forward_checkpoint: the forwarder's checkpoint document
 * (src/forward/forward_checkpoint.c), parsed as forward_ckpt_load parses
 * the file's bytes at start-up. Properties: only 0 or -EINVAL; a refusal
 * says why in a NUL-terminated message inside its buffer; an accepted
 * document formats (forward_ckpt_format) into one that parses to the
 * same records and names and formats to the same text again; every
 * fingerprint length is at most FORWARD_CKPT_FP_MAX; what parse
 * allocates, forward_ckpt_free frees (LeakSanitizer). Also the path
 * encoding of the document: decoding an encoded path gives it back. */
#include <errno.h>

#include "forward/forward_checkpoint.h"
#include "fuzz.h"

static void check_paths(const uint8_t *data, size_t size)
{
    char *path = fuzz_strndup(data, size); /* up to its first NUL */
    char *enc = forward_ckpt_encode_path(path);
    FUZZ_CHECK(enc != NULL);
    char *dec = forward_ckpt_decode_path(enc);
    FUZZ_CHECK(dec != NULL && strcmp(dec, path) == 0);
    free(dec);
    free(enc);
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_memdup(data, size);
    struct forward_ckpt c;
    memset(&c, 0, sizeof c);
    char msg[256];
    memset(msg, 'Z', sizeof msg);
    int rc = forward_ckpt_parse(text, size, &c, msg, sizeof msg);
    free(text);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(memchr(msg, '\0', sizeof msg) != NULL && msg[0] != 'Z');
        check_paths(data, size);
        return 0;
    }
    for (size_t i = 0; i < c.nrecs; i++)
        FUZZ_CHECK(c.recs[i].fp_len <= FORWARD_CKPT_FP_MAX);

    char *out = NULL;
    FUZZ_CHECK(forward_ckpt_format(&c, &out) == 0 && out != NULL);
    struct forward_ckpt back;
    memset(&back, 0, sizeof back);
    rc = forward_ckpt_parse(out, strlen(out), &back, msg, sizeof msg);
    if (rc != 0)
        fprintf(stderr, "re-parse: %s\n", msg);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(back.nrecs == c.nrecs && back.nnames == c.nnames);
    char *again = NULL;
    FUZZ_CHECK(forward_ckpt_format(&back, &again) == 0);
    FUZZ_CHECK(strcmp(out, again) == 0);
    free(again);
    free(out);
    forward_ckpt_free(&back);
    forward_ckpt_free(&c);
    FUZZ_CHECK(c.nrecs == 0 && c.recs == NULL);
    return 0;
}
