/*
 * test_pgconf.c - values written into postgresql.conf read back unchanged.
 *
 * PostgreSQL's guc-file.l: inside single quotes '' is a quote, \\ a
 * backslash, \n a line break (an escape), and a raw line break ends the line.
 */
#include "pgconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void assert_written(const char *value, const char *expected)
{
    pgd_buf out;

    pgd_buf_init(&out);
    pgd_pgconf_append_setting(&out, "application_name", value);
    assert_string_equal(out.data, expected);
    pgd_buf_free(&out);
}

static void test_escaping(void **state)
{
    (void)state;
    assert_written("plain", "application_name = 'plain'\n");
    assert_written("it's", "application_name = 'it''s'\n");
    /* unescaped, C:\temp would become C:<tab>emp */
    assert_written("C:\\temp\\n", "application_name = 'C:\\\\temp\\\\n'\n");
    assert_written("", "application_name = ''\n");
    assert_written("tab\there", "application_name = 'tab\there'\n");
}

static void test_values_that_cannot_be_written(void **state)
{
    const char *why = NULL;

    (void)state;
    assert_true(pgd_pgconf_value_ok("128MB", &why));
    assert_true(pgd_pgconf_value_ok("a\tb", &why));
    assert_false(pgd_pgconf_value_ok("a\nb", &why));
    assert_non_null(why);
    assert_false(pgd_pgconf_value_ok("a\rb", &why));
    assert_false(pgd_pgconf_value_ok("a\x01", &why));
}

static void test_reserved_and_minimums(void **state)
{
    (void)state;
    assert_true(pgd_pgconf_reserved("archive_command"));
    assert_true(pgd_pgconf_reserved("ARCHIVE_MODE"));
    assert_true(pgd_pgconf_reserved("recovery_target_time"));
    assert_true(pgd_pgconf_reserved("recovery_target"));
    assert_true(pgd_pgconf_reserved("restore_command"));
    assert_true(pgd_pgconf_reserved("listen_addresses"));
    assert_false(pgd_pgconf_reserved("recovery_min_apply_delay"));
    assert_false(pgd_pgconf_reserved("shared_buffers"));
    assert_false(pgd_pgconf_reserved("max_connections"));
    assert_true(pgd_pgconf_is_minimum("max_connections"));
    assert_true(pgd_pgconf_is_minimum("Max_Locks_Per_Transaction"));
    assert_false(pgd_pgconf_is_minimum("shared_buffers"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_values_that_cannot_be_written),
        cmocka_unit_test(test_reserved_and_minimums),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
