/* fuzz_auth_sign: signed URLs (src/auth/auth_sign.c) as the access policy
 * checks them: the query values exp, n and sig as libmicrohttpd hands
 * them over (NUL-terminated, already percent-decoded), the method and the
 * stream name, against the server's key ring. The first byte picks:
 *  0  the rest is method, name, exp, nonce and sig, NUL-separated, as a
 *     client could send them: any verdict is one of the enum;
 *  1  sign then verify: a method, a name (any bytes), an expiry and a
 *     clock from the input. The minted query verifies at any time up to
 *     its expiry and is EXPIRED after it; for another method, another
 *     name, or with any single byte of the method, name, exp, nonce or
 *     sig changed (position and value from the input) it never verifies. */
#include <errno.h>

#include "auth/auth_sign.h"
#include "fuzz.h"
#include "fuzz_keys.h"

static enum auth_sign_result verify(const char *method, const char *name,
                                    size_t len, const char *exp,
                                    const char *nonce, const char *sig,
                                    int64_t now)
{
    char *n = fuzz_memdup(name, len);
    enum auth_sign_result r = auth_sign_verify(fuzz_keys_ring(), method, n, len,
                                               exp, nonce, sig, now);
    free(n);
    FUZZ_CHECK(r >= AUTH_SIGN_OK && r <= AUTH_SIGN_BAD_SIGNATURE);
    FUZZ_CHECK(strcmp(auth_sign_result_name(r), "unknown") != 0);
    return r;
}

static void mode_raw(struct fuzz_in *in)
{
    char *f[5];
    size_t len[5];
    for (int i = 0; i < 5; i++) {
        const uint8_t *p = fuzz_take_until(in, 0, &len[i]);
        f[i] = fuzz_strndup(p, len[i]);
    }
    verify(f[0], f[1], len[1], f[2], f[3], f[4], INT64_C(1800000000));
    verify(f[0], f[1], len[1], f[2], f[3], f[4], INT64_MIN);
    for (int i = 0; i < 5; i++)
        free(f[i]);
}

/* Splits "exp=E&n=N&sig=S" into its three values (in place). */
static void split_query(char *q, char **exp, char **nonce, char **sig)
{
    FUZZ_CHECK(strncmp(q, "exp=", 4) == 0);
    *exp = q + 4;
    char *amp = strchr(*exp, '&');
    FUZZ_CHECK(amp != NULL && strncmp(amp, "&n=", 3) == 0);
    *amp = '\0';
    *nonce = amp + 3;
    amp = strchr(*nonce, '&');
    FUZZ_CHECK(amp != NULL && strncmp(amp, "&sig=", 5) == 0);
    *amp = '\0';
    *sig = amp + 5;
    FUZZ_CHECK(strlen(*nonce) == 22 && strlen(*sig) == 43);
}

static void mode_sign(struct fuzz_in *in)
{
    static const char *const methods[] = {"GET", "DELETE", "PUT", "G"};
    uint8_t sel = fuzz_u8(in);
    const char *method = methods[sel % 4];
    const char *other = methods[(sel + 1) % 4];
    int64_t exp = (int64_t)(fuzz_u64(in) >> 1); /* 0..INT64_MAX */
    if (sel & 4)
        exp = (int64_t)fuzz_u16(in);
    int64_t now = (int64_t)fuzz_u64(in);
    uint8_t field = fuzz_u8(in);
    size_t pos = fuzz_u16(in);
    uint8_t xor = fuzz_u8(in);
    if (xor == 0)
        xor = 0x20;
    size_t nlen = 0;
    const uint8_t *name0 = fuzz_take(in, in->n, &nlen);
    char *name = fuzz_memdup(name0, nlen);

    char q[AUTH_SIGN_QUERY_MAX];
    int n =
        auth_sign_query(fuzz_keys_ring(), method, name, nlen, exp, q, sizeof q);
    FUZZ_CHECK(n > 0 && (size_t)n == strlen(q));
    /* Too small a buffer: -ENOSPC and "". */
    char small[32];
    FUZZ_CHECK(auth_sign_query(fuzz_keys_ring(), method, name, nlen, exp, small,
                               sizeof small) == -ENOSPC &&
               small[0] == '\0');

    char *e, *nonce, *sig;
    split_query(q, &e, &nonce, &sig);
    enum auth_sign_result want = now > exp ? AUTH_SIGN_EXPIRED : AUTH_SIGN_OK;
    FUZZ_CHECK(verify(method, name, nlen, e, nonce, sig, now) == want);
    FUZZ_CHECK(verify(method, name, nlen, e, nonce, sig, exp) == AUTH_SIGN_OK);
    if (exp < INT64_MAX)
        FUZZ_CHECK(verify(method, name, nlen, e, nonce, sig, exp + 1) ==
                   AUTH_SIGN_EXPIRED);
    FUZZ_CHECK(verify(other, name, nlen, e, nonce, sig, exp) != AUTH_SIGN_OK);
    if (nlen > 0)
        FUZZ_CHECK(verify(method, name, nlen - 1, e, nonce, sig, exp) !=
                   AUTH_SIGN_OK);

    /* One byte changed in one of the five fields. */
    char m2[8];
    snprintf(m2, sizeof m2, "%s", method);
    char *fields[4] = {m2, e, nonce, sig};
    switch (field % 5) {
    case 4: {
        if (nlen == 0)
            break;
        char *changed = fuzz_memdup(name, nlen);
        changed[pos % nlen] = (char)(changed[pos % nlen] ^ xor);
        FUZZ_CHECK(verify(method, changed, nlen, e, nonce, sig, exp) !=
                   AUTH_SIGN_OK);
        free(changed);
        break;
    }
    default: {
        char *f = fields[field % 5];
        size_t fl = strlen(f);
        char c = (char)(f[pos % fl] ^ xor);
        if (c == '\0') /* would only shorten the C string */
            c = '\n';
        f[pos % fl] = c;
        FUZZ_CHECK(verify(m2, name, nlen, e, nonce, sig, exp) != AUTH_SIGN_OK);
        break;
    }
    }
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    if (fuzz_u8(&in) % 2 == 0)
        mode_raw(&in);
    else
        mode_sign(&in);
    return 0;
}
