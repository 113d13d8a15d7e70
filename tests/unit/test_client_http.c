/* test_client_http: unit tests for the pure parts of
 * src/client/client_http.c: Upload-Offset, Content-Range and
 * Livelog-State parsing, header splitting, name percent-encoding, base64,
 * the backoff policy, log URLs, flag parsing, and what `livelog put`
 * needs in a CI job: Livelog-Read-URL checking, the bearer header and the
 * hints after a refused credential. Single-threaded cmocka tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/client_http.h"

static int offset(const char *s, uint64_t *v)
{
    return client_http_parse_offset(s, strlen(s), v);
}

static int crange(const char *s, struct client_http_range *r)
{
    return client_http_parse_content_range(s, strlen(s), r);
}

static void test_offset_valid(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_int_equal(offset("0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(offset("1234", &v), 0);
    assert_true(v == 1234);
    assert_int_equal(offset(" \t42 ", &v), 0); /* OWS around */
    assert_true(v == 42);
    assert_int_equal(offset("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    /* only len bytes are read */
    assert_int_equal(client_http_parse_offset("99junk", 2, &v), 0);
    assert_true(v == 99);
}

static void test_offset_junk(void **state)
{
    static const char *const bad[] = {
        "", " ", "-1", "+1", "1 2", "0x10", "1.0", "abc", "12a", "?0", "1,2",
    };
    uint64_t v = 5;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(offset(bad[i], &v), -EINVAL);
        assert_true(v == 5);
    }
    assert_int_equal(client_http_parse_offset(NULL, 0, &v), -EINVAL);
    assert_int_equal(client_http_parse_offset("1\0002", 3, &v), -EINVAL);
    assert_true(v == 5);
}

static void test_offset_overflow(void **state)
{
    uint64_t v = 5;

    (void)state;
    assert_int_equal(offset("18446744073709551616", &v), -ERANGE);
    assert_int_equal(offset("99999999999999999999999", &v), -ERANGE);
    assert_true(v == 5);
}

static void test_range_satisfied(void **state)
{
    struct client_http_range r;

    (void)state;
    assert_int_equal(crange("bytes 0-99/100", &r), 0);
    assert_true(r.satisfied);
    assert_true(r.first == 0 && r.last == 99);
    assert_true(r.complete_known && r.complete_len == 100);

    /* a live stream: open-ended convention, unknown complete length */
    assert_int_equal(crange("bytes 120-9007199254740991/*", &r), 0);
    assert_true(r.satisfied);
    assert_true(r.first == 120);
    assert_true(r.last == 9007199254740991u);
    assert_false(r.complete_known);

    /* case-insensitive unit, OWS around */
    assert_int_equal(crange("  Bytes 5-5/6\t", &r), 0);
    assert_true(r.first == 5 && r.last == 5 && r.complete_len == 6);

    assert_int_equal(crange("bytes 0-18446744073709551614/"
                            "18446744073709551615",
                            &r),
                     0);
    assert_true(r.last == UINT64_MAX - 1);
}

static void test_range_unsatisfied(void **state)
{
    struct client_http_range r;

    (void)state;
    assert_int_equal(crange("bytes */0", &r), 0);
    assert_false(r.satisfied);
    assert_true(r.complete_known && r.complete_len == 0);
    assert_int_equal(crange("bytes */1234", &r), 0);
    assert_false(r.satisfied);
    assert_true(r.complete_len == 1234);
}

static void test_range_junk(void **state)
{
    static const char *const bad[] = {
        "",
        "bytes",
        "bytes ",
        "bytes 0-9",       /* no complete length */
        "bytes 0-9/",      /* empty complete length */
        "bytes */*",       /* nothing known */
        "bytes 9-0/10",    /* first > last */
        "bytes 0-10/10",   /* last >= complete */
        "bytes -5/10",     /* no first */
        "bytes 5-/10",     /* no last */
        "bytes 0-9/1x",    /* junk */
        "bytes a-9/10",    /* junk */
        "bytes 0 - 9/10",  /* spaces inside */
        "bytes 0-9/10/11", /* two slashes */
        "items 0-9/10",    /* other unit */
        "bytes=0-9/10",    /* request syntax */
        "bytes +0-9/10",   /* sign */
        "bytes 0-9/-10",   /* sign */
    };
    struct client_http_range r = {.first = 77};

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(crange(bad[i], &r), -EINVAL);
        assert_true(r.first == 77); /* untouched */
    }
    assert_int_equal(client_http_parse_content_range(NULL, 0, &r), -EINVAL);
}

static void test_range_overflow(void **state)
{
    struct client_http_range r = {.first = 77};

    (void)state;
    assert_int_equal(crange("bytes 18446744073709551616-1/*", &r), -ERANGE);
    assert_int_equal(crange("bytes 0-18446744073709551616/*", &r), -ERANGE);
    assert_int_equal(crange("bytes 0-1/18446744073709551616", &r), -ERANGE);
    assert_int_equal(crange("bytes */99999999999999999999999", &r), -ERANGE);
    assert_true(r.first == 77);
}

static void test_state(void **state)
{
    (void)state;
    assert_int_equal(client_http_parse_state("live", 4),
                     CLIENT_HTTP_STATE_LIVE);
    assert_int_equal(client_http_parse_state(" complete ", 10),
                     CLIENT_HTTP_STATE_COMPLETE);
    assert_int_equal(client_http_parse_state("interrupted", 11),
                     CLIENT_HTTP_STATE_INTERRUPTED);
    assert_int_equal(client_http_parse_state("pending", 7),
                     CLIENT_HTTP_STATE_PENDING);
    assert_int_equal(client_http_parse_state("Live", 4),
                     CLIENT_HTTP_STATE_UNKNOWN);
    assert_int_equal(client_http_parse_state("liveX", 5),
                     CLIENT_HTTP_STATE_UNKNOWN);
    assert_int_equal(client_http_parse_state("live", 3),
                     CLIENT_HTTP_STATE_UNKNOWN);
    assert_int_equal(client_http_parse_state("", 0), CLIENT_HTTP_STATE_UNKNOWN);
    assert_int_equal(client_http_parse_state(NULL, 0),
                     CLIENT_HTTP_STATE_UNKNOWN);
    assert_string_equal(client_http_state_name(CLIENT_HTTP_STATE_LIVE), "live");
    assert_string_equal(client_http_state_name(CLIENT_HTTP_STATE_UNKNOWN),
                        "unknown");
}

static void test_split_header(void **state)
{
    const char *line = "Upload-Offset:  1234 \r\n";
    const char *n = NULL, *v = NULL;
    size_t nl = 0, vl = 0;

    (void)state;
    assert_int_equal(
        client_http_split_header(line, strlen(line), &n, &nl, &v, &vl), 0);
    assert_int_equal(nl, 13);
    assert_memory_equal(n, "Upload-Offset", 13);
    assert_int_equal(vl, 4);
    assert_memory_equal(v, "1234", 4);

    line = "X-Empty:\r\n";
    assert_int_equal(
        client_http_split_header(line, strlen(line), &n, &nl, &v, &vl), 0);
    assert_int_equal(vl, 0);

    n = v = NULL;
    line = "HTTP/1.1 200 OK\r\n"; /* no colon before the space */
    assert_int_equal(
        client_http_split_header(line, strlen(line), &n, &nl, &v, &vl),
        -EINVAL);
    line = "\r\n";
    assert_int_equal(
        client_http_split_header(line, strlen(line), &n, &nl, &v, &vl),
        -EINVAL);
    line = ": value\r\n";
    assert_int_equal(
        client_http_split_header(line, strlen(line), &n, &nl, &v, &vl),
        -EINVAL);
    line = "Bad Name: x\r\n";
    assert_int_equal(
        client_http_split_header(line, strlen(line), &n, &nl, &v, &vl),
        -EINVAL);
    assert_null(n);
    assert_null(v);
}

static void test_encode_name(void **state)
{
    char out[64];
    size_t len = 0;

    (void)state;
    assert_int_equal(client_http_encode_name("task/abc/public/logs/live.log",
                                             29, out, sizeof(out), &len),
                     0);
    assert_string_equal(out, "task/abc/public/logs/live.log");
    assert_int_equal(len, 29);

    assert_int_equal(
        client_http_encode_name("a b/c?d#%", 9, out, sizeof(out), &len), 0);
    assert_string_equal(out, "a%20b/c%3Fd%23%25");
    assert_int_equal(len, strlen("a%20b/c%3Fd%23%25"));

    /* bytes that are not ASCII, and NUL, are escaped too */
    assert_int_equal(
        client_http_encode_name("\xc3\xa9\0~", 4, out, sizeof(out), &len), 0);
    assert_string_equal(out, "%C3%A9%00~");

    assert_int_equal(client_http_encode_name("", 0, out, sizeof(out), &len), 0);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
}

static void test_encode_name_space(void **state)
{
    char out[8];
    size_t len = 99;

    (void)state;
    /* exactly fits: 7 bytes + NUL */
    assert_int_equal(client_http_encode_name("abcdefg", 7, out, 8, &len), 0);
    assert_int_equal(len, 7);
    assert_int_equal(client_http_encode_name("abcdefgh", 8, out, 8, &len),
                     -ENOSPC);
    /* an escape that would cross the end */
    assert_int_equal(client_http_encode_name("abcde f", 7, out, 8, &len),
                     -ENOSPC);
    assert_int_equal(client_http_encode_name("abcd f", 6, out, 8, &len),
                     -ENOSPC);
    assert_int_equal(client_http_encode_name("abc f", 5, out, 8, &len), 0);
    assert_string_equal(out, "abc%20f");
    assert_int_equal(client_http_encode_name("", 0, out, 0, &len), -ENOSPC);
}

static void b64(const char *in, const char *want)
{
    char out[128];
    size_t len = 0;

    assert_int_equal(client_http_base64((const uint8_t *)in, strlen(in), out,
                                        sizeof(out), &len),
                     0);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
}

static void test_base64(void **state)
{
    /* SHA-256("abc") */
    static const uint8_t digest[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    char out[64];
    size_t len = 0;

    (void)state;
    /* RFC 4648 section 10 */
    b64("", "");
    b64("f", "Zg==");
    b64("fo", "Zm8=");
    b64("foo", "Zm9v");
    b64("foob", "Zm9vYg==");
    b64("fooba", "Zm9vYmE=");
    b64("foobar", "Zm9vYmFy");
    assert_int_equal(
        client_http_base64(digest, sizeof(digest), out, sizeof(out), &len), 0);
    assert_string_equal(out, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    assert_int_equal(len, 44);
    /* the high bits: 0xff 0xfe 0xfd */
    assert_int_equal(client_http_base64((const uint8_t *)"\xff\xfe\xfd", 3, out,
                                        sizeof(out), &len),
                     0);
    assert_string_equal(out, "//79");
}

static void test_base64_space(void **state)
{
    char out[8];
    size_t len = 99;

    (void)state;
    /* 3 bytes need 4 + NUL */
    assert_int_equal(
        client_http_base64((const uint8_t *)"abc", 3, out, 4, &len), -ENOSPC);
    assert_int_equal(len, 99);
    assert_int_equal(
        client_http_base64((const uint8_t *)"abc", 3, out, 5, &len), 0);
    assert_string_equal(out, "YWJj");
    assert_int_equal(client_http_base64((const uint8_t *)"", 0, out, 0, &len),
                     -ENOSPC);
    /* a length whose output size would overflow size_t */
    assert_int_equal(client_http_base64((const uint8_t *)"", SIZE_MAX, out,
                                        sizeof(out), &len),
                     -ENOSPC);
}

static void test_backoff(void **state)
{
    (void)state;
    /* rnd 0 gives the low end d/2, a large rnd the high end d */
    assert_int_equal(client_http_backoff_ms(1, 0), 50);
    assert_int_equal(client_http_backoff_ms(1, 50), 100);
    assert_int_equal(client_http_backoff_ms(0, 50), 100); /* 0 is 1 */
    assert_int_equal(client_http_backoff_ms(2, 100), 200);
    assert_int_equal(client_http_backoff_ms(3, 200), 400);
    assert_int_equal(client_http_backoff_ms(6, 1600), 3200);
    /* capped at 5 s from the 7th retry on, for any count */
    assert_int_equal(client_http_backoff_ms(7, 2500), 5000);
    assert_int_equal(client_http_backoff_ms(7, 0), 2500);
    assert_int_equal(client_http_backoff_ms(1000, 2500), 5000);
    assert_int_equal(client_http_backoff_ms(UINT32_MAX, 2500), 5000);
    for (unsigned a = 1; a < 40; a++) {
        for (uint32_t r = 0; r < 20000; r += 997) {
            uint64_t d = client_http_backoff_ms(a, r);

            assert_true(d >= 50 && d <= CLIENT_HTTP_BACKOFF_CAP_MS);
        }
        assert_true(client_http_backoff_ms(a, UINT32_MAX) <=
                    CLIENT_HTTP_BACKOFF_CAP_MS);
    }
}

static void test_log_url(void **state)
{
    char *u;

    (void)state;
    u = client_http_log_url("http://127.0.0.1:60022", "a/b c/d");
    assert_non_null(u);
    assert_string_equal(u, "http://127.0.0.1:60022/v1/logs/a/b%20c/d");
    free(u);
    u = client_http_log_url("http://h:1//", "x");
    assert_non_null(u);
    assert_string_equal(u, "http://h:1/v1/logs/x");
    free(u);
}

static void test_flag_value(void **state)
{
    char *argv[] = {"put",       "--server",  "http://a", "--server=http://b",
                    "--servers", "--retries", NULL};
    const char *v = NULL;
    int i = 1;

    (void)state;
    assert_int_equal(client_http_flag_value(6, argv, &i, "--server", &v), 0);
    assert_string_equal(v, "http://a");
    assert_int_equal(i, 2);
    i = 3;
    assert_int_equal(client_http_flag_value(6, argv, &i, "--server", &v), 0);
    assert_string_equal(v, "http://b");
    assert_int_equal(i, 3);
    i = 4;
    assert_int_equal(client_http_flag_value(6, argv, &i, "--server", &v),
                     -ENOENT);
    assert_int_equal(i, 4);
    i = 5; /* the value is missing */
    assert_int_equal(client_http_flag_value(6, argv, &i, "--retries", &v), 0);
    assert_null(v);
}

static int read_url(const char *s, char *out, size_t cap, size_t *len)
{
    return client_http_parse_read_url(s, strlen(s), out, cap, len);
}

static void test_read_url_valid(void **state)
{
    static const char signed_url[] =
        "https://logs.example:8443/v1/logs/task/0/live.log"
        "?exp=1795382086&n=0c_v51V8BpuSnXHXgk2pJg&sig=xY7SGucRUVEV-_";
    char out[256];
    size_t len = 0;

    (void)state;
    assert_int_equal(read_url(signed_url, out, sizeof(out), &len), 0);
    assert_string_equal(out, signed_url);
    assert_int_equal(len, strlen(signed_url));
    assert_int_equal(
        read_url(" \thttp://h/v1/logs/public/x \t", out, sizeof(out), &len),
        0); /* OWS trimmed */
    assert_string_equal(out, "http://h/v1/logs/public/x");
    assert_int_equal(read_url("HTTPS://H/x", out, sizeof(out), &len), 0);
    assert_int_equal(read_url("/v1/logs/public/x", out, sizeof(out), &len),
                     0); /* relative: the server has no --public-url */
    assert_string_equal(out, "/v1/logs/public/x");
    /* every visible ASCII byte is kept */
    char all[0x7f - 0x21 + 2] = "/";
    for (int c = 0x21, i = 1; c <= 0x7e; c++)
        if (c != '/')
            all[i++] = (char)c;
    assert_int_equal(read_url(all, out, sizeof(out), &len), 0);
    assert_string_equal(out, all);
}

static void test_read_url_refused(void **state)
{
    static const char *const bad[] = {
        "",
        " ",
        "v1/logs/x",            /* neither a scheme nor a path */
        "ftp://h/x",            /* another scheme */
        "http://",              /* a scheme and nothing */
        "https://",             /* the same */
        "javascript:alert(1)",  /* not a URL to print */
        "http://h/a b",         /* a space inside */
        "http://h/\x1b[31mred", /* an escape sequence */
        "http://h/\x7f",        /* DEL */
        "http://h/caf\xc3\xa9", /* UTF-8 */
        "http://h/\xff",        /* not UTF-8 either */
        "http://h/a\rb",        /* CR */
    };
    char out[64] = "untouched";
    size_t len = 99;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(read_url(bad[i], out, sizeof(out), &len), -EINVAL);
        assert_string_equal(out, "untouched");
        assert_int_equal(len, 99);
    }
    assert_int_equal(
        client_http_parse_read_url("http://h/\0x", 10, out, sizeof(out), &len),
        -EINVAL); /* a NUL inside */
    assert_int_equal(
        client_http_parse_read_url(NULL, 0, out, sizeof(out), &len), -EINVAL);
    /* too small: the URL and its NUL must fit */
    assert_int_equal(read_url("http://h/x", out, 10, &len), -ENOSPC);
    assert_string_equal(out, "untouched");
    assert_int_equal(read_url("http://h/x", out, 11, &len), 0);
    assert_string_equal(out, "http://h/x");
}

static void test_bearer(void **state)
{
    char *h = NULL;

    (void)state;
    setenv("LIVELOG_TOKEN", "from-env", 1);
    assert_int_equal(client_http_bearer("from-flag", &h), 0);
    assert_string_equal(h, "Authorization: Bearer from-flag");
    free(h);
    h = NULL;
    assert_int_equal(client_http_bearer(NULL, &h), 0); /* the variable */
    assert_string_equal(h, "Authorization: Bearer from-env");
    free(h);
    h = NULL;
    assert_int_equal(client_http_bearer("", &h), 0); /* explicitly none */
    assert_null(h);
    assert_int_equal(client_http_bearer("a\r\nX-Evil: 1", &h), -EINVAL);
    assert_int_equal(client_http_bearer("a\nb", &h), -EINVAL);
    assert_null(h);
    unsetenv("LIVELOG_TOKEN");
    assert_int_equal(client_http_bearer(NULL, &h), 0); /* neither */
    assert_null(h);
    setenv("LIVELOG_TOKEN", "", 1);
    assert_int_equal(client_http_bearer(NULL, &h), 0);
    assert_null(h);
    unsetenv("LIVELOG_TOKEN");
}

static void test_auth_hint(void **state)
{
    const char *h;

    (void)state;
    h = client_http_auth_hint(401, false);
    assert_non_null(h);
    assert_non_null(strstr(h, "--token"));
    assert_non_null(strstr(h, "LIVELOG_TOKEN"));
    h = client_http_auth_hint(401, true);
    assert_non_null(h);
    assert_non_null(strstr(h, "refused"));
    h = client_http_auth_hint(403, true);
    assert_non_null(h);
    assert_non_null(strstr(h, "livelog:write:"));
    assert_non_null(client_http_auth_hint(403, false));
    for (long st = 100; st < 600; st++) {
        if (st != 401 && st != 403) {
            assert_null(client_http_auth_hint(st, false));
            assert_null(client_http_auth_hint(st, true));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_valid),
        cmocka_unit_test(test_offset_junk),
        cmocka_unit_test(test_offset_overflow),
        cmocka_unit_test(test_range_satisfied),
        cmocka_unit_test(test_range_unsatisfied),
        cmocka_unit_test(test_range_junk),
        cmocka_unit_test(test_range_overflow),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_split_header),
        cmocka_unit_test(test_encode_name),
        cmocka_unit_test(test_encode_name_space),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_base64_space),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_log_url),
        cmocka_unit_test(test_flag_value),
        cmocka_unit_test(test_read_url_valid),
        cmocka_unit_test(test_read_url_refused),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_auth_hint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
