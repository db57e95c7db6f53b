/*
 * test_conninfo.c - connection strings: printable forms never hold a
 * secret, rewriting for children takes every secret keyword out, and
 * nothing registers secrets unless asked to.
 */
#include "conninfo.h"
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

static void check_redacted(const char *input, const char *expected, const char *secret)
{
    char *out = pgd_conninfo_redact(input);

    assert_string_equal(out, expected);
    if (secret != NULL)
        assert_null(strstr(out, secret));
    free(out);
}

static void assert_masked(const char *text, const char *expected)
{
    char *masked = pgd_secret_mask(text);

    assert_string_equal(masked, expected);
    free(masked);
}

static void test_keyvalue(void **state)
{
    (void)state;
    check_redacted("host=db1 port=5432 user=drill password=hunter2 dbname=postgres",
                   "user=drill password=******** dbname=postgres host=db1 port=5432", "hunter2");
    check_redacted("host=db1 dbname=postgres", "dbname=postgres host=db1", NULL);
}

static void test_keyvalue_quoted_and_spaced(void **state)
{
    (void)state;
    check_redacted("password = 'it\\'s' host = h", "password=******** host=h", "it's");
    /* Doubled quotes are not libpq syntax: rejected, and nothing of it is echoed. */
    check_redacted("password='it''s' host=h", "(invalid connection string, not shown)", NULL);
    check_redacted("password='two words\\' quote' host=h", "password=******** host=h",
                   "two words' quote");
    check_redacted("host=h application_name='my app'", "host=h application_name='my app'", NULL);
    check_redacted("sslpassword=keypass host=h", "host=h sslpassword=********", "keypass");
}

static void test_uri(void **state)
{
    (void)state;
    check_redacted("postgresql://drill:s3cret@db1:5433/app?sslmode=require",
                   "user=drill password=******** dbname=app host=db1 port=5433 sslmode=require",
                   "s3cret");
    check_redacted("postgres://h/db?password=qwerty&connect_timeout=3",
                   "password=******** connect_timeout=3 dbname=db host=h", "qwerty");
}

static void test_invalid_not_echoed(void **state)
{
    char *out;

    (void)state;
    out = pgd_conninfo_redact("host=x secretvalue");
    assert_null(strstr(out, "secretvalue"));
    assert_string_equal(out, "(invalid connection string, not shown)");
    free(out);
    assert_false(pgd_conninfo_valid("password='unterminated"));
    assert_true(pgd_conninfo_valid("host=h password=abcdef"));
}

/* libpq's own list decides what is secret. */
static void test_secret_keywords(void **state)
{
    (void)state;
    assert_true(pgd_conninfo_keyword_is_secret("password"));
    assert_true(pgd_conninfo_keyword_is_secret("sslpassword"));
    assert_false(pgd_conninfo_keyword_is_secret("passfile"));
    assert_false(pgd_conninfo_keyword_is_secret("user"));
    assert_false(pgd_conninfo_keyword_is_secret("sslkey"));
}

/* Validating or redacting registers nothing; registering is one explicit call. */
static void test_registration_is_explicit(void **state)
{
    (void)state;
    assert_true(pgd_conninfo_valid("host=h password=hunter22"));
    free(pgd_conninfo_redact("host=h password=hunter22"));
    assert_masked("hunter22", "hunter22");
    pgd_conninfo_register_secrets("host=h password=hunter22 sslpassword=keypass1");
    assert_masked("x hunter22 keypass1 y", "x ******** ******** y");
    /* the percent-encoded form written in a URI too */
    pgd_conninfo_register_secrets("postgresql://u:p%40ssword@h/db");
    assert_masked("p@ssword and postgresql://u:p%40ssword@h/db",
                  "******** and postgresql://u:********@h/db");
}

/* A password equal to a name in the same string (host, user, database) masks nothing. */
static void test_public_names_stay_readable(void **state)
{
    (void)state;
    pgd_conninfo_register_secrets("host=h user=postgres dbname=postgres password=postgres");
    assert_masked("database postgres", "database postgres");
}

static void test_rewrite(void **state)
{
    pgd_conninfo_secrets secrets;
    char *out;

    (void)state;
    out = pgd_conninfo_rewrite("postgresql://u:pw@h:5433/app?sslmode=require&sslpassword=kp",
                               "other db", &secrets);
    assert_string_equal(out, "user=u dbname='other db' host=h port=5433 sslmode=require");
    assert_int_equal(secrets.count, 2);
    assert_string_equal(secrets.items[0].keyword, "password");
    assert_string_equal(secrets.items[0].value, "pw");
    assert_string_equal(secrets.items[0].envvar, "PGPASSWORD");
    assert_string_equal(secrets.items[1].keyword, "sslpassword");
    assert_string_equal(secrets.items[1].value, "kp");
    assert_null(secrets.items[1].envvar);
    pgd_conninfo_secrets_free(&secrets);
    free(out);

    out = pgd_conninfo_rewrite("host=h password=x", "db2", NULL); /* kept inline */
    assert_string_equal(out, "password=x dbname=db2 host=h");
    free(out);

    out = pgd_conninfo_rewrite("", "postgres", &secrets);
    assert_string_equal(out, "dbname=postgres");
    assert_int_equal(secrets.count, 0);
    free(out);

    assert_null(pgd_conninfo_rewrite("host=h junk", NULL, &secrets));
    out = pgd_conninfo_get("host=h dbname=app", "dbname");
    assert_string_equal(out, "app");
    free(out);
    assert_null(pgd_conninfo_get("host=h", "dbname"));
}

/* A launcher's host and port replace the file's; passfile and the rest stay. */
static void test_with_host(void **state)
{
    char *out;

    (void)state;
    out = pgd_conninfo_with_host("host=a hostaddr=10.0.0.1 port=1 dbname=d passfile=/p", "b", "2");
    assert_string_equal(out, "passfile=/p dbname=d host=b port=2");
    free(out);
    out = pgd_conninfo_with_host("postgresql://u@a:1/d", NULL, "5433");
    assert_string_equal(out, "user=u dbname=d host=a port=5433");
    free(out);
    out = pgd_conninfo_with_host("user=pgdrill", "db.internal", NULL);
    assert_string_equal(out, "user=pgdrill host=db.internal");
    free(out);
    out = pgd_conninfo_with_host("", "h x", NULL);
    assert_string_equal(out, "host='h x'");
    free(out);
    assert_null(pgd_conninfo_with_host("host='unterminated", "b", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_keyvalue, reset_secrets),
        cmocka_unit_test_setup(test_keyvalue_quoted_and_spaced, reset_secrets),
        cmocka_unit_test_setup(test_uri, reset_secrets),
        cmocka_unit_test_setup(test_invalid_not_echoed, reset_secrets),
        cmocka_unit_test_setup(test_secret_keywords, reset_secrets),
        cmocka_unit_test_setup(test_registration_is_explicit, reset_secrets),
        cmocka_unit_test_setup(test_public_names_stay_readable, reset_secrets),
        cmocka_unit_test_setup(test_rewrite, reset_secrets),
        cmocka_unit_test_setup(test_with_host, reset_secrets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
