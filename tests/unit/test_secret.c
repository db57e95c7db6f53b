/*
 * test_secret.c - masking hides secrets in free text and never garbles data.
 */
#include "secret.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static int reset_secrets(void **state)
{
    (void)state;
    pgd_secret_clear();
    return 0;
}

static void assert_masked(const char *text, const char *expected)
{
    char *masked = pgd_secret_mask(text);

    assert_string_equal(masked, expected);
    free(masked);
}

static void test_longest_match_wins(void **state)
{
    (void)state;
    assert_masked("nothing registered", "nothing registered");
    pgd_secret_register("abcdef");
    pgd_secret_register("abcdefgh");
    pgd_secret_register("");
    pgd_secret_register(NULL);
    /* The longest match wins, so no tail of a longer secret is left visible. */
    assert_masked("xabcdefghy abcdef abcdefabcdef", "x********y ******** ****************");
}

/* Shorter secrets would blank out ordinary words: not masked in free text. */
static void test_minimum_length(void **state)
{
    (void)state;
    pgd_secret_register("a");
    pgd_secret_register("pw1");
    pgd_secret_register("12345");
    assert_masked("a pw1 12345 data", "a pw1 12345 data");
    pgd_secret_register("123456");
    assert_masked("a pw1 123456 data", "a pw1 ******** data");
}

/* A secret that is also a name printed in its own right is not masked. */
static void test_public_names(void **state)
{
    (void)state;
    pgd_secret_register("postgres");
    assert_masked("database postgres", "database ********");
    pgd_secret_declare_public("postgres");
    assert_masked("database postgres", "database postgres");
    pgd_secret_register("orders-prod");
    pgd_secret_declare_public("orders");
    assert_masked("scope orders, password orders-prod", "scope orders, password ********");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_longest_match_wins, reset_secrets),
        cmocka_unit_test_setup(test_minimum_length, reset_secrets),
        cmocka_unit_test_setup(test_public_names, reset_secrets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
