/*
 * test_redact.c - URLs never print their credentials.
 */
#include "redact.h"
#include "secret.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static void test_url(void **state)
{
    char *out;
    char *masked;

    (void)state;
    pgd_secret_clear();
    out =
        pgd_url_redact("https://bot:tok3n-xyz@hooks.example:8443/p/q?a=1&access_token=xyz123&b=2");
    assert_string_equal(
        out, "https://bot:********@hooks.example:8443/p/q?a=1&access_token=********&b=2");
    free(out);
    /* redacting registers nothing ... */
    masked = pgd_secret_mask("tok3n-xyz and xyz123");
    assert_string_equal(masked, "tok3n-xyz and xyz123");
    free(masked);
    /* ... registering is explicit */
    pgd_url_register_secrets(
        "https://bot:tok3n-xyz@hooks.example:8443/p/q?a=1&access_token=xyz123");
    masked = pgd_secret_mask("tok3n-xyz and xyz123");
    assert_string_equal(masked, "******** and ********");
    free(masked);

    out = pgd_url_redact("https://hooks.example/path?team=sre");
    assert_string_equal(out, "https://hooks.example/path?team=sre");
    free(out);

    out = pgd_url_redact("not a url with secret");
    assert_string_equal(out, "(invalid URL, not shown)");
    free(out);
    pgd_secret_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
