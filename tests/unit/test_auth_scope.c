/* test_auth_scope: unit tests for src/auth/auth_scope.c. One table of
 * (scope, wanted, verdict): exact matches, a trailing '*' (including
 * "livelog:read:*", "*" and "livelog:read:pub*"), '*' elsewhere as a
 * literal, the empty scope, a scope longer than the wanted one, a prefix
 * without a star, case; then lengths that cut the strings short.
 * Single-threaded cmocka tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth_scope.h"

struct scope_case {
    const char *scope;
    const char *want;
    bool grants;
};

static const struct scope_case cases[] = {
    /* exact */
    {"livelog:read:task/abc", "livelog:read:task/abc", true},
    {"livelog:read:task/abc", "livelog:read:task/abd", false},
    {"livelog:read:task/abc", "Livelog:read:task/abc", false},
    {"a", "a", true},
    /* trailing star */
    {"livelog:read:*", "livelog:read:task/abc", true},
    {"livelog:read:*", "livelog:read:", true},
    {"livelog:read:*", "livelog:read", false},
    {"livelog:read:*", "livelog:write:task/abc", false},
    {"livelog:read:*", "livelog:read:*", true},
    {"*", "livelog:read:task/abc", true},
    {"*", "anything at all", true},
    {"*", "", true},
    {"livelog:read:pub*", "livelog:read:public/logs/live.log", true},
    {"livelog:read:pub*", "livelog:read:pub", true},
    {"livelog:read:pub*", "livelog:read:pu", false},
    {"livelog:read:pub*", "livelog:read:private/x", false},
    {"**", "*x", true},
    {"**", "x", false},
    /* a star anywhere else is a literal */
    {"livelog:*:task", "livelog:read:task", false},
    {"livelog:*:task", "livelog:*:task", true},
    {"*:read", "livelog:read", false},
    {"*a", "*a", true},
    {"*a", "ba", false},
    {"a*b", "a*b", true},
    {"a*b", "axb", false},
    /* the empty scope grants nothing */
    {"", "", false},
    {"", "livelog:read:x", false},
    /* scope longer than want */
    {"livelog:read:task/abc", "livelog:read:task", false},
    {"livelog:read:task/*", "livelog:read:task", false},
    {"livelog:read:task/*", "livelog:read:task/", true},
    /* a prefix without a star does not match */
    {"livelog:read:", "livelog:read:task/abc", false},
    {"livelog", "livelog:read:x", false},
    /* nothing grants more than itself */
    {"livelog:read:x", "", false},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct scope_case *c = &cases[i];
        bool got = auth_scope_satisfies(c->scope, strlen(c->scope), c->want,
                                        strlen(c->want));
        if (got != c->grants)
            fail_msg("scope \"%s\" want \"%s\": got %d, expected %d", c->scope,
                     c->want, got, c->grants);
    }
}

/* Only the given lengths count, never the NULs. */
static void test_lengths(void **state)
{
    (void)state;
    /* "livelog:read:*" cut to "livelog:read:" has no star any more */
    assert_false(
        auth_scope_satisfies("livelog:read:*", 13, "livelog:read:x", 14));
    assert_true(
        auth_scope_satisfies("livelog:read:*", 13, "livelog:read:", 13));
    /* want cut short */
    assert_false(
        auth_scope_satisfies("livelog:read:x", 14, "livelog:read:xyz", 13));
    assert_true(
        auth_scope_satisfies("livelog:read:x", 14, "livelog:read:xyz", 14));
    assert_true(auth_scope_satisfies("ab*", 3, "abc", 2));
    assert_false(auth_scope_satisfies("ab*", 3, "abc", 1));
    /* bytes past the length are not read: a NUL inside counts as a byte */
    assert_true(auth_scope_satisfies("a\0*", 3, "a\0b", 3));
    assert_false(auth_scope_satisfies("a\0*", 3, "a", 1));
    assert_false(auth_scope_satisfies("*", 0, "x", 1));
    assert_true(auth_scope_satisfies("*", 1, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_lengths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
