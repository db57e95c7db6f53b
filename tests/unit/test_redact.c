/*
 * test_redact.c - passwords and tokens never survive into printable text.
 */
#include "conninfo.h"
#include "redact.h"
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

static void check_conninfo(const char *input, const char *expected, const char *secret)
{
    char *out = pgd_conninfo_redact(input);
    char *masked;

    assert_string_equal(out, expected);
    if (secret != NULL) {
        assert_null(strstr(out, secret));
        /* Redaction registers what it hid, so it is masked anywhere else too. */
        masked = pgd_secret_mask(secret);
        assert_string_equal(masked, "********");
        free(masked);
    }
    free(out);
}

static void test_keyvalue(void **state)
{
    (void)state;
    check_conninfo("host=db1 port=5432 user=drill password=hunter2 dbname=postgres",
                   "user=drill password=******** dbname=postgres host=db1 port=5432", "hunter2");
    check_conninfo("host=db1 dbname=postgres", "dbname=postgres host=db1", NULL);
}

static void test_keyvalue_quoted_and_spaced(void **state)
{
    (void)state;
    check_conninfo("password = 'it\\'s' host = h", "password=******** host=h", "it's");
    /* Doubled quotes are not libpq syntax: rejected, and nothing of it is echoed. */
    check_conninfo("password='it''s' host=h", "(invalid connection string, not shown)", NULL);
    check_conninfo("password='two words\\' quote' host=h", "password=******** host=h",
                   "two words' quote");
    check_conninfo("host=h application_name='my app'", "host=h application_name='my app'", NULL);
    check_conninfo("sslpassword=keypass host=h", "host=h sslpassword=********", "keypass");
}

static void test_uri(void **state)
{
    (void)state;
    check_conninfo("postgresql://drill:s3cret@db1:5433/app?sslmode=require",
                   "user=drill password=******** dbname=app host=db1 port=5433 sslmode=require",
                   "s3cret");
    check_conninfo("postgres://h/db?password=qwerty&connect_timeout=3",
                   "password=******** connect_timeout=3 dbname=db host=h", "qwerty");
}

/* The percent-encoded form written in the URI is masked as well as the decoded password. */
static void test_uri_percent_encoded(void **state)
{
    char *masked;

    (void)state;
    check_conninfo("postgresql://u:p%40ss@h/db", "user=u password=******** dbname=db host=h",
                   "p@ss");
    masked = pgd_secret_mask("postgresql://u:p%40ss@h/db");
    assert_string_equal(masked, "postgresql://u:********@h/db");
    free(masked);
}

static void test_invalid_conninfo_not_echoed(void **state)
{
    char *out;

    (void)state;
    out = pgd_conninfo_redact("host=x secretvalue");
    assert_null(strstr(out, "secretvalue"));
    assert_string_equal(out, "(invalid connection string, not shown)");
    free(out);
    assert_false(pgd_conninfo_valid("password='unterminated"));
    assert_true(pgd_conninfo_valid("host=h password=abc"));
}

static void test_url(void **state)
{
    char *out;
    char *masked;

    (void)state;
    out = pgd_url_redact("https://bot:tok3n@hooks.example:8443/p/q?a=1&access_token=xyz&b=2");
    assert_string_equal(
        out, "https://bot:********@hooks.example:8443/p/q?a=1&access_token=********&b=2");
    free(out);
    masked = pgd_secret_mask("tok3n and xyz");
    assert_string_equal(masked, "******** and ********");
    free(masked);

    out = pgd_url_redact("https://hooks.example/path?team=sre");
    assert_string_equal(out, "https://hooks.example/path?team=sre");
    free(out);

    out = pgd_url_redact("not a url with secret");
    assert_string_equal(out, "(invalid URL, not shown)");
    free(out);
}

static void test_secret_mask(void **state)
{
    char *out;

    (void)state;
    out = pgd_secret_mask("nothing registered");
    assert_string_equal(out, "nothing registered");
    free(out);

    pgd_secret_register("abc");
    pgd_secret_register("abcdef");
    pgd_secret_register("");
    out = pgd_secret_mask("xabcdefy abc abcabc");
    /* The longest match wins, so no tail of a longer secret is left visible. */
    assert_string_equal(out, "x********y ******** ****************");
    free(out);
}

static void test_conninfo_rewrite(void **state)
{
    char *password = NULL;
    char *out;

    (void)state;
    out =
        pgd_conninfo_rewrite("postgresql://u:pw@h:5433/app?sslmode=require", "other db", &password);
    assert_string_equal(out, "user=u dbname='other db' host=h port=5433 sslmode=require");
    assert_string_equal(password, "pw");
    free(out);
    free(password);

    out = pgd_conninfo_rewrite("host=h password=x", "db2", NULL); /* password kept inline */
    assert_string_equal(out, "password=x dbname=db2 host=h");
    free(out);

    out = pgd_conninfo_rewrite("", "postgres", &password);
    assert_string_equal(out, "dbname=postgres");
    assert_null(password);
    free(out);

    assert_null(pgd_conninfo_rewrite("host=h junk", NULL, &password));
    out = pgd_conninfo_get("host=h dbname=app", "dbname");
    assert_string_equal(out, "app");
    free(out);
    assert_null(pgd_conninfo_get("host=h", "dbname"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_keyvalue, reset_secrets),
        cmocka_unit_test_setup(test_keyvalue_quoted_and_spaced, reset_secrets),
        cmocka_unit_test_setup(test_uri, reset_secrets),
        cmocka_unit_test_setup(test_uri_percent_encoded, reset_secrets),
        cmocka_unit_test_setup(test_invalid_conninfo_not_echoed, reset_secrets),
        cmocka_unit_test_setup(test_url, reset_secrets),
        cmocka_unit_test_setup(test_secret_mask, reset_secrets),
        cmocka_unit_test_setup(test_conninfo_rewrite, reset_secrets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
