/* test_mask: unit tests for src/mask/mask.c. A one-shot reference masker
 * (leftmost, then longest, non-overlapping) written to be obviously right;
 * the streaming masker must give its output for every split of each input
 * into two pieces, every split of short inputs into three, byte by byte,
 * and through simulated restarts (held bytes saved, mask freed, rebuilt,
 * restored). Then the hold-back rule, secrets added while bytes are held,
 * pass-through, the limits, and a seeded random property test over a small
 * alphabet. Every feed checks the output bound with an output buffer of
 * exactly the promised size (ASan catches a write past it).
 * Single-threaded cmocka tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mask/mask.h"

#define MAX_IN 4096

struct bytes {
    const char *p;
    size_t len;
};

/* A string literal with its length, NULs included. */
#define B(s)                                                                   \
    {                                                                          \
        (s), sizeof(s) - 1                                                     \
    }

/* The reference: the whole input at once. At each position the longest
 * secret matching there is replaced and the scan goes on after it; with
 * none the byte is kept. Returns the output length (out holds n bytes). */
static size_t ref_mask(const struct bytes *sec, size_t ns,
                       const unsigned char *in, size_t n, unsigned char *out)
{
    size_t o = 0;
    size_t i = 0;

    while (i < n) {
        size_t best = 0;

        for (size_t k = 0; k < ns; k++) {
            if (sec[k].len <= n - i && sec[k].len > best &&
                memcmp(in + i, sec[k].p, sec[k].len) == 0)
                best = sec[k].len;
        }
        if (best > 0) {
            memcpy(out + o, "***", 3);
            o += 3;
            i += best;
        } else {
            out[o++] = in[i++];
        }
    }
    return o;
}

static struct mask *new_mask(const struct bytes *sec, size_t ns)
{
    struct mask *m = NULL;

    assert_int_equal(mask_new(&m), 0);
    assert_non_null(m);
    for (size_t k = 0; k < ns; k++)
        assert_int_equal(mask_add(m, sec[k].p, sec[k].len), 0);
    return m;
}

/* Feeds len bytes, copied to a buffer of exactly that size, into an
 * output buffer of exactly the promised size (so ASan sees any access past
 * either), checks the bound, appends the output to out at *olen. */
static void feed(struct mask *m, const void *in, size_t len, unsigned char *out,
                 size_t *olen)
{
    size_t before = mask_held_len(m);
    size_t cap = before + len;
    unsigned char *buf = malloc(cap > 0 ? cap : 1);
    unsigned char *copy = len > 0 ? malloc(len) : NULL;

    assert_non_null(buf);
    if (len > 0) {
        assert_non_null(copy);
        memcpy(copy, in, len);
    }
    size_t got = mask_feed(m, copy, len, buf, cap);
    free(copy);
    assert_true(got <= before + len);
    assert_true(mask_held_len(m) < MASK_MAX_LEN);
    /* nothing is lost or made up beyond what replacements explain */
    assert_true(got + mask_held_len(m) <= before + len);
    memcpy(out + *olen, buf, got);
    *olen += got;
    free(buf);
}

static void flush(struct mask *m, unsigned char *out, size_t *olen)
{
    size_t before = mask_held_len(m);
    unsigned char *buf = malloc(before > 0 ? before : 1);

    assert_non_null(buf);
    size_t got = mask_flush(m, buf, before);
    assert_true(got <= before);
    assert_int_equal(mask_held_len(m), 0);
    memcpy(out + *olen, buf, got);
    *olen += got;
    free(buf);
}

/* The held bytes into a new mask with the same secrets: a restart. */
static struct mask *restart(struct mask *m, const struct bytes *sec, size_t ns)
{
    unsigned char saved[MASK_MAX_LEN];
    size_t len = 0;
    const void *held = mask_held(m, &len);

    assert_true(len < MASK_MAX_LEN);
    assert_int_equal(len, mask_held_len(m));
    if (len > 0)
        memcpy(saved, held, len);
    mask_free(m);
    m = new_mask(sec, ns);
    assert_int_equal(mask_restore(m, saved, len), 0);
    assert_int_equal(mask_held_len(m), len);
    return m;
}

/* Feeds in cut at cuts[0..nc) (ascending), restarting after each piece
 * when asked, then flushes. Returns the output length. */
static size_t run_cuts(const struct bytes *sec, size_t ns,
                       const unsigned char *in, size_t n, const size_t *cuts,
                       size_t nc, bool restarts, unsigned char *out)
{
    struct mask *m = new_mask(sec, ns);
    size_t olen = 0;
    size_t at = 0;

    for (size_t c = 0; c <= nc; c++) {
        size_t end = c < nc ? cuts[c] : n;

        assert_true(at <= end && end <= n);
        feed(m, in + at, end - at, out, &olen);
        at = end;
        if (restarts)
            m = restart(m, sec, ns);
    }
    flush(m, out, &olen);
    mask_free(m);
    return olen;
}

static void expect_same(const unsigned char *want, size_t wlen,
                        const unsigned char *got, size_t glen, const char *how)
{
    if (wlen != glen || memcmp(want, got, wlen) != 0)
        fail_msg("%s: got %zu bytes \"%.*s\", want %zu bytes \"%.*s\"", how,
                 glen, (int)glen, (const char *)got, wlen, (int)wlen,
                 (const char *)want);
}

/* Every two-piece split (with and without a restart), byte by byte, and
 * every three-piece split when n <= max3 (restart too when asked). */
static void check_all_splits(const struct bytes *sec, size_t ns,
                             const unsigned char *in, size_t n, size_t max3)
{
    static unsigned char want[MAX_IN];
    static unsigned char got[MAX_IN];
    size_t cuts[MAX_IN];
    char how[96];

    assert_true(n <= MAX_IN);
    size_t wlen = ref_mask(sec, ns, in, n, want);

    size_t glen = run_cuts(sec, ns, in, n, NULL, 0, false, got);
    expect_same(want, wlen, got, glen, "one feed");
    for (size_t a = 0; a <= n; a++) {
        cuts[0] = a;
        glen = run_cuts(sec, ns, in, n, cuts, 1, false, got);
        snprintf(how, sizeof how, "split at %zu", a);
        expect_same(want, wlen, got, glen, how);
        glen = run_cuts(sec, ns, in, n, cuts, 1, true, got);
        snprintf(how, sizeof how, "split at %zu, restart", a);
        expect_same(want, wlen, got, glen, how);
    }
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    if (n > 0) {
        glen = run_cuts(sec, ns, in, n, cuts, n - 1, false, got);
        expect_same(want, wlen, got, glen, "byte by byte");
        glen = run_cuts(sec, ns, in, n, cuts, n - 1, true, got);
        expect_same(want, wlen, got, glen, "byte by byte, restarts");
    }
    if (n > max3)
        return;
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b++) {
            cuts[0] = a;
            cuts[1] = b;
            glen = run_cuts(sec, ns, in, n, cuts, 2, false, got);
            snprintf(how, sizeof how, "split at %zu and %zu", a, b);
            expect_same(want, wlen, got, glen, how);
            glen = run_cuts(sec, ns, in, n, cuts, 2, true, got);
            snprintf(how, sizeof how, "split at %zu and %zu, restarts", a, b);
            expect_same(want, wlen, got, glen, how);
        }
    }
}

/* One-shot output of in under sec, checked against a literal. */
static void expect_masked(const struct bytes *sec, size_t ns, struct bytes in,
                          struct bytes want)
{
    unsigned char got[MAX_IN];
    size_t glen = run_cuts(sec, ns, (const unsigned char *)in.p, in.len, NULL,
                           0, false, got);

    expect_same((const unsigned char *)want.p, want.len, got, glen, in.p);
    /* the reference agrees with the literal too */
    glen = ref_mask(sec, ns, (const unsigned char *)in.p, in.len, got);
    expect_same((const unsigned char *)want.p, want.len, got, glen, "ref");
}

#define NSEC(a) (sizeof(a) / sizeof((a)[0]))

/* The matching rule on literals: leftmost, then longest, no overlap. */
static void test_rule(void **state)
{
    const struct bytes overlap[] = {B("abcd"), B("bcde")};
    const struct bytes prefix[] = {B("abcd"), B("abcdef")};
    const struct bytes later_longer[] = {B("bcdefg"), B("abcd")};
    const struct bytes chain[] = {B("xyz1"), B("yz12"), B("z123")};
    const struct bytes rep[] = {B("aaaa")};
    const struct bytes nul[] = {B("\0\0\0\0"), B("a\0b\0")};

    (void)state;
    expect_masked(overlap, 2, (struct bytes)B("abcde"),
                  (struct bytes)B("***e"));
    expect_masked(overlap, 2, (struct bytes)B("xbcdeabcd"),
                  (struct bytes)B("x******"));
    expect_masked(prefix, 2, (struct bytes)B("abcdefabcdeabcd"),
                  (struct bytes)B("******e***"));
    expect_masked(later_longer, 2, (struct bytes)B("abcdefg"),
                  (struct bytes)B("***efg"));
    expect_masked(chain, 3, (struct bytes)B("xyz123"),
                  (struct bytes)B("***23"));
    expect_masked(rep, 1, (struct bytes)B("aaaaaaaaaa"),
                  (struct bytes)B("******aa"));
    expect_masked(rep, 1, (struct bytes)B("aaa"), (struct bytes)B("aaa"));
    expect_masked(nul, 2, (struct bytes)B("x\0\0\0\0\0a\0b\0\0"),
                  (struct bytes)B("x***\0***\0"));
    expect_masked(prefix, 2, (struct bytes)B(""), (struct bytes)B(""));
}

/* Every split of a set of inputs under secret sets chosen for their
 * traps, against the reference. */
static void test_splits(void **state)
{
    static const struct {
        struct bytes sec[4];
        size_t ns;
        struct bytes in[6];
        size_t nin;
    } cases[] = {
        {{B("abcd"), B("bcde")},
         2,
         {B("abcde"), B("abcdbcde"), B("xabcdex"), B("bcdabcde")},
         4},
        {{B("abcd"), B("abcdef")},
         2,
         {B("xxabcdefyy"), B("abcdeabcd"), B("abcdabcdef"), B("abcde"),
          B("abcdef"), B("abcdabcdeabcdefabc")},
         6},
        {{B("aaaa")}, 1, {B("aaaaaaaaaa"), B("aaa"), B("aaaaaaa"), B("")}, 4},
        {{B("aaaa"), B("aaaaaa")},
         2,
         {B("aaaaaaaaaaa"), B("aaaaabaaaaaab")},
         2},
        {{B("\0\0\0\0"), B("a\0b\0")},
         2,
         {B("x\0\0\0\0\0a\0b\0\0"), B("\0\0\0"), B("a\0b\0\0\0\0\0")},
         3},
        {{B("secret")},
         1,
         {B("secretsecret"), B("secret"), B("xsecret"), B("secretx"),
          B("secrsecret"), B("secsecretsecre")},
         6},
        {{B("abab"), B("ababab"), B("babababa")},
         3,
         {B("abababababab"), B("babababab"), B("ababa")},
         3},
        {{B("xyz1"), B("yz12"), B("z123"), B("xyz12345")},
         4,
         {B("xyz123"), B("xyz1234"), B("xyz12345"), B("xxyyzz123xyz12")},
         4},
        {{B("bcdefg"), B("abcd")}, 2, {B("abcdefg"), B("aabcdbcdefgg")}, 2},
        {{B("\xff\xfe\xfd\xfc"), B("pass\xffword")},
         2,
         {B("pass\xff\xfe\xfd\xfcword"), B("\xff\xff\xfe\xfd\xfc")},
         2},
    };

    (void)state;
    for (size_t c = 0; c < NSEC(cases); c++) {
        for (size_t i = 0; i < cases[c].nin; i++)
            check_all_splits(cases[c].sec, cases[c].ns,
                             (const unsigned char *)cases[c].in[i].p,
                             cases[c].in[i].len, 40);
    }
}

/* A longer log with secrets scattered in it: every two-piece split. */
static void test_splits_long(void **state)
{
    const struct bytes sec[] = {B("ghp_0123456789abcdef"), B("hunter2!"),
                                B("hunter2!!!"), B("AKIA"), B("AKIAXYZ")};
    unsigned char in[600];
    size_t n = 0;

    (void)state;
    while (n + 40 < sizeof in) {
        static const char *const parts[] = {"token=ghp_0123456789abcdef\n",
                                            "pw hunter2!!! ",
                                            "hunter2!!",
                                            "AKIAXYZAKIA",
                                            "ghp_0123456789abcde",
                                            "plain text ",
                                            "hunter2hunter2!"};
        const char *p = parts[n % NSEC(parts)];
        size_t len = strlen(p);

        memcpy(in + n, p, len);
        n += len;
    }
    check_all_splits(sec, NSEC(sec), in, n, 0);
}

/* What is held: the shortest tail that might still become a match. */
static void test_hold_rule(void **state)
{
    const struct bytes prefix[] = {B("abcd"), B("abcdef")};
    const struct bytes aaab[] = {B("aaab")};
    unsigned char out[64];
    size_t olen = 0;
    size_t len = 0;
    struct mask *m = new_mask(prefix, 2);

    (void)state;
    /* a proper prefix of a secret */
    feed(m, "xxabc", 5, out, &olen);
    assert_int_equal(olen, 2);
    assert_memory_equal(out, "xx", 2);
    assert_memory_equal(mask_held(m, &len), "abc", 3);
    assert_int_equal(len, 3);
    /* "abcd" matches but "abcdef" still could */
    feed(m, "d", 1, out, &olen);
    assert_int_equal(olen, 2);
    assert_int_equal(mask_held_len(m), 4);
    /* now it cannot: "abcd" wins, "ab" may start either */
    feed(m, "xab", 3, out, &olen);
    assert_int_equal(olen, 6);
    assert_memory_equal(out, "xx***x", 6);
    assert_memory_equal(mask_held(m, NULL), "ab", 2);
    /* the end: held bytes that are no secret come out as they are */
    flush(m, out, &olen);
    assert_int_equal(olen, 8);
    assert_memory_equal(out, "xx***xab", 8);
    /* a complete shorter match inside held bytes is replaced at the end */
    olen = 0;
    feed(m, "abcde", 5, out, &olen);
    assert_int_equal(olen, 0);
    assert_int_equal(mask_held_len(m), 5);
    flush(m, out, &olen);
    assert_int_equal(olen, 4);
    assert_memory_equal(out, "***e", 4);
    /* the mask is usable again after a flush */
    olen = 0;
    feed(m, "abcdef!", 7, out, &olen);
    assert_int_equal(olen, 4);
    assert_memory_equal(out, "***!", 4);
    assert_int_equal(mask_held_len(m), 0);
    mask_free(m);

    /* the earliest position wins, and nothing before it is held */
    m = new_mask(aaab, 1);
    olen = 0;
    feed(m, "aaaa", 4, out, &olen);
    assert_int_equal(olen, 1);
    assert_memory_equal(out, "a", 1);
    assert_memory_equal(mask_held(m, &len), "aaa", 3);
    feed(m, "b", 1, out, &olen);
    assert_int_equal(olen, 4);
    assert_memory_equal(out, "a***", 4);
    assert_int_equal(mask_held_len(m), 0);
    mask_free(m);
}

/* A 1024-byte secret: 1023 bytes held at most, then one more byte. */
static void test_longest_secret(void **state)
{
    static unsigned char sec[MASK_MAX_LEN];
    static unsigned char in[3 * MASK_MAX_LEN];
    static unsigned char out[3 * MASK_MAX_LEN];
    size_t olen = 0;

    (void)state;
    uint32_t x = 1;

    for (size_t i = 0; i < sizeof sec; i++) { /* not periodic */
        x = x * 1103515245u + 12345u;
        sec[i] = (unsigned char)(x >> 16);
    }
    struct bytes s = {(const char *)sec, sizeof sec};
    struct mask *m = new_mask(&s, 1);

    feed(m, "x", 1, out, &olen);
    feed(m, sec, MASK_MAX_LEN - 1, out, &olen);
    assert_int_equal(olen, 1);
    assert_int_equal(mask_held_len(m), MASK_MAX_LEN - 1);
    feed(m, sec + MASK_MAX_LEN - 1, 1, out, &olen);
    assert_int_equal(olen, 4);
    assert_memory_equal(out, "x***", 4);
    assert_int_equal(mask_held_len(m), 0);
    /* a near miss in the last byte: all of it comes out */
    feed(m, sec, MASK_MAX_LEN - 1, out, &olen);
    feed(m, "y", 1, out, &olen);
    assert_int_equal(olen, 4 + MASK_MAX_LEN);
    assert_memory_equal(out + 4, sec, MASK_MAX_LEN - 1);
    mask_free(m);

    /* held bytes followed by a feed longer than the stitch window */
    memcpy(in, sec + 1, MASK_MAX_LEN - 1);
    memcpy(in + MASK_MAX_LEN - 1, sec, MASK_MAX_LEN);
    memcpy(in + 2 * MASK_MAX_LEN - 1, sec, 500);
    size_t n = 2 * MASK_MAX_LEN - 1 + 500;
    const size_t cut_sets[][2] = {
        {1, 1500}, {1000, 2047}, {1023, 2100}, {1100, 1200}, {10, 2046}};
    unsigned char want[sizeof in];
    size_t wlen = ref_mask(&s, 1, in, n, want);

    assert_int_equal(wlen, MASK_MAX_LEN - 1 + 3 + 500);
    for (size_t c = 0; c < NSEC(cut_sets); c++) {
        olen = run_cuts(&s, 1, in, n, cut_sets[c], 2, c % 2 == 1, out);
        expect_same(want, wlen, out, olen, "long secret");
    }
    for (size_t a = 0; a <= n; a += 37) {
        size_t cut = a;

        olen = run_cuts(&s, 1, in, n, &cut, 1, false, out);
        expect_same(want, wlen, out, olen, "long secret, one cut");
    }
}

/* Secrets added while bytes are held: the held bytes are scanned again
 * under the new set. */
static void test_add_while_held(void **state)
{
    const struct bytes abcdef[] = {B("abcdef")};
    const struct bytes digits[] = {B("0123456789")};
    unsigned char out[64];
    size_t olen = 0;
    struct mask *m = new_mask(abcdef, 1);

    (void)state;
    /* held "abcd" becomes a whole secret: masked at the end */
    feed(m, "zzabcd", 6, out, &olen);
    assert_int_equal(olen, 2);
    assert_int_equal(mask_held_len(m), 4);
    assert_int_equal(mask_add(m, "abcd", 4), 0);
    flush(m, out, &olen);
    assert_int_equal(olen, 5);
    assert_memory_equal(out, "zz***", 5);
    mask_free(m);

    /* a new secret wholly inside held bytes, then a feed */
    m = new_mask(digits, 1);
    olen = 0;
    feed(m, "x012345678", 10, out, &olen);
    assert_int_equal(olen, 1);
    assert_int_equal(mask_held_len(m), 9);
    assert_int_equal(mask_add(m, "2345", 4), 0);
    feed(m, "Z", 1, out, &olen);
    assert_int_equal(olen, 10);
    assert_memory_equal(out, "x01***678Z", 10);
    assert_int_equal(mask_held_len(m), 0);
    mask_free(m);

    /* a new secret that starts in the held bytes and ends in the feed */
    m = new_mask(abcdef, 1);
    olen = 0;
    feed(m, "abc", 3, out, &olen);
    assert_int_equal(mask_add(m, "bc12", 4), 0);
    feed(m, "12", 2, out, &olen);
    assert_int_equal(olen, 4);
    assert_memory_equal(out, "a***", 4);
    mask_free(m);

    /* the first secret arrives while restored bytes are held */
    assert_int_equal(mask_new(&m), 0);
    assert_int_equal(mask_restore(m, "key=s3cr", 8), 0);
    assert_int_equal(mask_add(m, "s3cret", 6), 0);
    olen = 0;
    feed(m, "et!", 3, out, &olen);
    assert_int_equal(olen, 8);
    assert_memory_equal(out, "key=***!", 8);
    mask_free(m);
}

/* No secrets: every byte passes through at once, nothing is held. */
static void test_no_secrets(void **state)
{
    unsigned char in[256];
    unsigned char out[512];
    size_t olen = 0;
    struct mask *m = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)i;
    assert_int_equal(mask_new(&m), 0);
    assert_int_equal(mask_count(m), 0);
    feed(m, in, sizeof in, out, &olen);
    assert_int_equal(olen, sizeof in);
    assert_memory_equal(out, in, sizeof in);
    assert_int_equal(mask_held_len(m), 0);
    feed(m, NULL, 0, out, &olen);
    assert_int_equal(olen, sizeof in);
    flush(m, out, &olen);
    assert_int_equal(olen, sizeof in);
    /* restored bytes with no secrets come out ahead of the next feed */
    olen = 0;
    assert_int_equal(mask_restore(m, "held", 4), 0);
    feed(m, "more", 4, out, &olen);
    assert_int_equal(olen, 8);
    assert_memory_equal(out, "heldmore", 8);
    assert_int_equal(mask_held_len(m), 0);
    olen = 0;
    assert_int_equal(mask_restore(m, "tail", 4), 0);
    flush(m, out, &olen);
    assert_int_equal(olen, 4);
    assert_memory_equal(out, "tail", 4);
    mask_free(m);
}

static void test_limits(void **state)
{
    static unsigned char big[MASK_MAX_LEN + 1];
    struct mask *m = NULL;

    (void)state;
    assert_int_equal(MASK_MIN_LEN, 4);
    assert_int_equal(MASK_MAX_LEN, 1024);
    assert_int_equal(MASK_MAX_SECRETS, 64);
    assert_string_equal(MASK_REPLACEMENT, "***");
    assert_int_equal(mask_new(&m), 0);
    assert_int_equal(mask_add(m, "abc", 3), -EINVAL);
    assert_int_equal(mask_add(m, "", 0), -EINVAL);
    memset(big, 'q', sizeof big);
    assert_int_equal(mask_add(m, big, MASK_MAX_LEN + 1), -EINVAL);
    assert_int_equal(mask_count(m), 0);
    assert_int_equal(mask_add(m, big, MASK_MAX_LEN), 0);
    assert_int_equal(mask_add(m, "abcd", 4), 0);
    assert_int_equal(mask_count(m), 2);
    /* duplicates change nothing; a prefix of one is another secret */
    assert_int_equal(mask_add(m, "abcd", 4), 0);
    assert_int_equal(mask_add(m, big, MASK_MAX_LEN), 0);
    assert_int_equal(mask_count(m), 2);
    assert_int_equal(mask_add(m, big, MASK_MAX_LEN - 1), 0);
    assert_int_equal(mask_count(m), 3);
    for (unsigned i = 3; i < MASK_MAX_SECRETS; i++) {
        char s[16];
        int n = snprintf(s, sizeof s, "sec-%u", i);

        assert_int_equal(mask_add(m, s, (size_t)n), 0);
    }
    assert_int_equal(mask_count(m), MASK_MAX_SECRETS);
    assert_int_equal(mask_add(m, "one-too-many", 12), -E2BIG);
    assert_int_equal(mask_add(m, "abc", 3), -EINVAL);
    assert_int_equal(mask_add(m, "sec-10", 6), 0); /* still a no-op */
    assert_int_equal(mask_count(m), MASK_MAX_SECRETS);

    /* all 64 are in force */
    unsigned char out[64];
    size_t olen = 0;
    feed(m, "(sec-63)(sec-3)(abcd)", 21, out, &olen);
    flush(m, out, &olen);
    assert_int_equal(olen, 15);
    assert_memory_equal(out, "(***)(***)(***)", 15);

    /* restore: at most MASK_MAX_LEN - 1 bytes; a refusal changes nothing */
    assert_int_equal(mask_restore(m, "x", 1), 0);
    assert_int_equal(mask_restore(m, big, MASK_MAX_LEN), -EINVAL);
    assert_int_equal(mask_held_len(m), 1);
    assert_int_equal(mask_restore(m, big, MASK_MAX_LEN - 1), 0);
    assert_int_equal(mask_held_len(m), MASK_MAX_LEN - 1);
    assert_int_equal(mask_restore(m, NULL, 0), 0);
    assert_int_equal(mask_held_len(m), 0);
    /* restoring from mask_held's own bytes (a prefix of them) */
    assert_int_equal(mask_restore(m, "sec-1x", 6), 0);
    size_t hl = 0;
    const void *h = mask_held(m, &hl);
    assert_int_equal(hl, 6);
    assert_int_equal(mask_restore(m, h, 5), 0);
    olen = 0;
    feed(m, "0!", 2, out, &olen);
    assert_int_equal(olen, 4);
    assert_memory_equal(out, "***!", 4);
    mask_free(m);
    mask_free(NULL);
}

/* xorshift64*: the same cases on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t bound)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 33) % bound;
}

/* Random secrets and inputs over {a,b,c} (sometimes {a,b,NUL}), random
 * splits, sometimes restarts at every cut: the reference's output. */
static void test_random(void **state)
{
    enum { CASES = 2000 };
    char secbuf[6][8];
    struct bytes sec[6];
    unsigned char in[80];
    unsigned char want[80];
    unsigned char got[80];
    size_t cuts[8];

    (void)state;
    for (unsigned c = 0; c < CASES; c++) {
        const char *alpha = rnd(10) == 0 ? "ab\0" : "abc";
        size_t ns = 1 + rnd(5);
        size_t n = rnd(sizeof in);
        size_t nc = rnd(8);
        bool restarts = rnd(4) == 0;

        for (size_t k = 0; k < ns; k++) {
            size_t len = MASK_MIN_LEN + rnd(5);

            for (size_t i = 0; i < len; i++)
                secbuf[k][i] = alpha[rnd(3)];
            sec[k].p = secbuf[k];
            sec[k].len = len;
        }
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)alpha[rnd(3)];
        for (size_t i = 0; i < nc; i++)
            cuts[i] = rnd((uint32_t)n + 1);
        for (size_t i = 1; i < nc; i++) { /* insertion sort */
            size_t v = cuts[i];
            size_t j = i;

            for (; j > 0 && cuts[j - 1] > v; j--)
                cuts[j] = cuts[j - 1];
            cuts[j] = v;
        }

        size_t wlen = ref_mask(sec, ns, in, n, want);
        size_t glen = run_cuts(sec, ns, in, n, cuts, nc, restarts, got);
        if (wlen != glen || memcmp(want, got, wlen) != 0) {
            print_error("case %u: %zu secrets, input %zu bytes, %zu cuts\n", c,
                        ns, n, nc);
            expect_same(want, wlen, got, glen, "random");
        }
        /* some of them byte by byte too */
        if (c % 10 == 0 && n > 0) {
            size_t each[sizeof in];

            for (size_t i = 0; i < n; i++)
                each[i] = i + 1;
            glen = run_cuts(sec, ns, in, n, each, n - 1, false, got);
            expect_same(want, wlen, got, glen, "random, byte by byte");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_splits_long),
        cmocka_unit_test(test_hold_rule),
        cmocka_unit_test(test_longest_secret),
        cmocka_unit_test(test_add_while_held),
        cmocka_unit_test(test_no_secrets),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
