/*
 * test_exitcode.c - the exit codes' meanings: one row per code, in order,
 * each naming the verdict that maps to it, and the README's table held to them.
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
#include <string.h>

static void test_rows_follow_the_verdicts(void **state)
{
    static const pgd_verdict verdicts[] = {PGD_VERDICT_PASSED, PGD_VERDICT_FAILED,
                                           PGD_VERDICT_USAGE, PGD_VERDICT_INCONCLUSIVE};
    size_t count;
    const pgd_exit_code_doc *docs = pgd_exit_code_docs(&count);

    (void)state;
    assert_int_equal(count, sizeof(verdicts) / sizeof(verdicts[0]));
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(docs[i].code, (int)i);
        assert_int_equal(pgd_verdict_exit_code(verdicts[i]), docs[i].code);
        assert_string_equal(docs[i].verdict, pgd_verdict_name(verdicts[i]));
        assert_true(strlen(docs[i].meaning) > 0);
    }
}

static void test_readme_table_matches(void **state)
{
    readme_table t;
    size_t count;
    const pgd_exit_code_doc *docs = pgd_exit_code_docs(&count);

    (void)state;
    readme_table_load(&t, "| code | verdict | meaning |", 3);
    assert_int_equal(t.rows, (int)count);
    for (int row = 0; row < t.rows; row++) {
        char code[16];

        snprintf(code, sizeof(code), "%d", docs[row].code);
        assert_string_equal(t.cell[row][0], code);
        assert_string_equal(t.cell[row][1], docs[row].verdict);
        assert_string_equal(t.cell[row][2], docs[row].meaning);
    }
    readme_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_follow_the_verdicts),
        cmocka_unit_test(test_readme_table_matches),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
