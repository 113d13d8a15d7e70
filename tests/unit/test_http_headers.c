/* test_http_headers: unit tests for src/http/http_headers.c: the
 * Repr-Digest dictionary member and the RFC 9112 framing verdict every
 * request gets before its body is read. Single-threaded cmocka tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_headers.h"

/* SHA-256 of the empty string, and its base64. */
static const unsigned char empty_sha[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
    0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
    0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
#define EMPTY_B64 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static void expect_digest(const char *v, int want)
{
    unsigned char out[32];
    memset(out, 0, sizeof out);
    assert_int_equal(http_headers_parse_digest(v, out), want);
    if (want == 1)
        assert_memory_equal(out, empty_sha, 32);
}

static void test_digest_members(void **state)
{
    (void)state;
    expect_digest("sha-256=:" EMPTY_B64 ":", 1);
    expect_digest("sha-512=:AAAA:, sha-256=:" EMPTY_B64 ":", 1);
    expect_digest("  sha-256=:" EMPTY_B64 ":  ", 1);
    expect_digest("sha-256=:" EMPTY_B64 ":;q=1", 1);
    /* A key that only ends in sha-256 is another member. */
    expect_digest("x-sha-256=:" EMPTY_B64 ":", 0);
    expect_digest("x-sha-256=:AAAA:, sha-256=:" EMPTY_B64 ":", 1);
    expect_digest("sha-512=:AAAA:", 0);
    expect_digest("", 0);
    expect_digest(NULL, 0);
    expect_digest("sha-256=:" EMPTY_B64, -EINVAL);
    expect_digest("sha-256=" EMPTY_B64, -EINVAL);
    expect_digest("sha-256=:AAAA:", -EINVAL);
    expect_digest("sha-256=:" EMPTY_B64 ":junk", -EINVAL);
    expect_digest("sha-256=:!!!!:", -EINVAL);
}

/* Feeds "name", "value" pairs (NULL-terminated) and returns the verdict. */
static unsigned verdict(const char *const *fields)
{
    struct http_framing f = {0};
    for (size_t i = 0; fields[i] != NULL; i += 2)
        http_framing_add(&f, fields[i], fields[i + 1]);
    const char *msg = NULL;
    unsigned status = http_framing_verdict(&f, &msg);
    if (status != 0) {
        assert_non_null(msg);
        assert_true(msg[strlen(msg) - 1] == '\n');
    }
    return status;
}

static void test_framing_accepts(void **state)
{
    (void)state;
    const char *none[] = {"Host", "x", NULL};
    const char *cl[] = {"Content-Length", "5", NULL};
    const char *cl_same[] = {"Content-Length", "5", "content-length", " 5 ",
                             NULL};
    const char *te[] = {"Transfer-Encoding", " Chunked\t", NULL};
    assert_int_equal(verdict(none), 0);
    assert_int_equal(verdict(cl), 0);
    assert_int_equal(verdict(cl_same), 0);
    assert_int_equal(verdict(te), 0);
}

static void test_framing_refuses(void **state)
{
    (void)state;
    const char *both[] = {"Content-Length", "3", "Transfer-Encoding", "chunked",
                          NULL};
    const char *differ[] = {"Content-Length", "3", "Content-Length", "5", NULL};
    const char *gzip[] = {"Transfer-Encoding", "gzip, chunked", NULL};
    const char *identity[] = {"Transfer-Encoding", "identity", NULL};
    const char *twice[] = {"Transfer-Encoding", "chunked", "Transfer-Encoding",
                           "chunked", NULL};
    const char *space[] = {"Content-Length ", "5", NULL};
    const char *tab[] = {"Host\t", "x", NULL};
    const char *empty[] = {"", "x", NULL};
    assert_int_equal(verdict(both), 400);
    assert_int_equal(verdict(differ), 400);
    assert_int_equal(verdict(gzip), 501);
    assert_int_equal(verdict(identity), 501);
    assert_int_equal(verdict(twice), 400);
    assert_int_equal(verdict(space), 400);
    assert_int_equal(verdict(tab), 400);
    assert_int_equal(verdict(empty), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_members),
        cmocka_unit_test(test_framing_accepts),
        cmocka_unit_test(test_framing_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
