/*
 * test_verdict.c - the table of error classes: verdicts, names, precedence,
 * and the README's table held to it (the README is the users' contract).
 */
#include "exitcode.h"
#include "readme_table.h"
#include "verdict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_verdicts_and_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_WAL_MISSING), PGD_VERDICT_FAILED);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_SCHEMA_DUMP_FAILED), PGD_VERDICT_FAILED);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_GIVEN_UP), PGD_VERDICT_FAILED);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_STANZA_MISSING), PGD_VERDICT_FAILED);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_SOURCE_UNREACHABLE), PGD_VERDICT_INCONCLUSIVE);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_DEFERRED), PGD_VERDICT_INCONCLUSIVE);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_TIMEOUT), PGD_VERDICT_INCONCLUSIVE);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_MARKER_LOCATION_REFUSED),
                     PGD_VERDICT_INCONCLUSIVE);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_UNKNOWN), PGD_VERDICT_INCONCLUSIVE);
    assert_int_equal(pgd_error_class_verdict(PGD_ERR_NONE), PGD_VERDICT_PASSED);
    assert_int_equal(pgd_verdict_exit_code(pgd_error_class_verdict(PGD_ERR_CONFIG)),
                     PGD_EXIT_USAGE);
    assert_int_equal(pgd_verdict_exit_code(PGD_VERDICT_PASSED), PGD_EXIT_OK);
    assert_int_equal(pgd_verdict_exit_code(PGD_VERDICT_FAILED), PGD_EXIT_FAILED);
    assert_int_equal(pgd_verdict_exit_code(PGD_VERDICT_INCONCLUSIVE), PGD_EXIT_INCONCLUSIVE);
    assert_int_equal(pgd_verdict_exit_code(PGD_VERDICT_RUNNING), PGD_EXIT_INCONCLUSIVE);
}

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int c = PGD_ERR_FIRST; c <= PGD_ERR_LAST; c++) {
        const char *name = pgd_error_class_name((pgd_error_class)c);

        assert_non_null(name);
        assert_int_equal(pgd_error_class_from_name(name), c);
        assert_true(strlen(pgd_error_class_meaning((pgd_error_class)c)) > 0);
        assert_true(strlen(pgd_error_class_advice((pgd_error_class)c)) > 0);
    }
    assert_null(pgd_error_class_name(PGD_ERR_NONE));
    assert_int_equal(pgd_error_class_from_name(NULL), PGD_ERR_NONE);
    assert_int_equal(pgd_error_class_from_name("no-such-class"), PGD_ERR_UNKNOWN);
    assert_string_equal(pgd_error_class_name(PGD_ERR_UNKNOWN), "unknown");
}

static void test_precedence(void **state)
{
    (void)state;
    /* the first error wins ... */
    assert_true(pgd_error_class_outranks(PGD_ERR_INTERNAL, PGD_ERR_NONE));
    assert_false(pgd_error_class_outranks(PGD_ERR_TIMEOUT, PGD_ERR_INTERNAL));
    assert_false(pgd_error_class_outranks(PGD_ERR_FENCE_PRESENT, PGD_ERR_MARKER_MISSING));
    assert_false(pgd_error_class_outranks(PGD_ERR_INTERNAL, PGD_ERR_MARKER_MISSING));
    /* ... but a finding outranks an earlier failure to run */
    assert_true(pgd_error_class_outranks(PGD_ERR_SCHEMA_DUMP_FAILED, PGD_ERR_INTERNAL));
    assert_false(pgd_error_class_outranks(PGD_ERR_NONE, PGD_ERR_INTERNAL));
}

static void test_readme_table_matches(void **state)
{
    readme_table t;
    int expected = PGD_ERR_FIRST;

    (void)state;
    readme_table_load(&t, "| class | verdict | what happened | what an SRE should do |", 4);
    for (int row = 0; row < t.rows; row++, expected++) {
        char name[64];

        assert_true(expected <= PGD_ERR_LAST);
        snprintf(name, sizeof(name), "`%s`", pgd_error_class_name((pgd_error_class)expected));
        assert_string_equal(t.cell[row][0], name);
        assert_string_equal(t.cell[row][1],
                            pgd_verdict_name(pgd_error_class_verdict((pgd_error_class)expected)));
        assert_string_equal(t.cell[row][2], pgd_error_class_meaning((pgd_error_class)expected));
        assert_string_equal(t.cell[row][3], pgd_error_class_advice((pgd_error_class)expected));
    }
    assert_int_equal(expected, PGD_ERR_LAST + 1); /* every class is in the README */
    readme_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts_and_exit_codes),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_readme_table_matches),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
