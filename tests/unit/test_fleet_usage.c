/*
 * test_fleet_usage.c - pgdrill-fleet's command line: getopt's tables, --help within 79
 * columns, and the README's option and exit code tables held to the code's.
 */
#include "fleet_usage.h"
#include "readme_table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_getopt_tables(void **state)
{
    struct option longopts[8];
    char shortopts[8];

    (void)state;
    pgd_usage_getopt(&pgd_fleet_usage, longopts, 8, shortopts, sizeof(shortopts));
    assert_string_equal(shortopts, "c:vVh");
    assert_string_equal(longopts[1].name, "json");
    assert_int_equal(longopts[1].val, OPT_FLEET_JSON);
    assert_int_equal(longopts[1].has_arg, no_argument);
    assert_string_equal(longopts[2].name, "check-config");
    assert_null(longopts[6].name);
}

static void test_help(void **state)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    (void)state;
    assert_non_null(out);
    pgd_usage_print(&pgd_fleet_usage, out);
    fclose(out);
    assert_non_null(strstr(text, "Usage:\n  pgdrill-fleet [OPTION]... plan|run|watch\n"));
    assert_non_null(
        strstr(text, "      --json               plan: one JSON object per scope and line\n"));
    /* the fleet's exit codes, not a drill's */
    assert_non_null(
        strstr(text, "  3  inconclusive  the inventory (etcd, Kubernetes) or the status"));
    assert_null(strstr(text, "NOT proven restorable"));
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
        assert_in_range(strlen(line), 0, 79);
    free(text);
}

static void test_readme_options(void **state)
{
    readme_table t;
    int row = 0;

    (void)state;
    readme_table_load(&t, "| `pgdrill-fleet` option | meaning |", 2);
    assert_non_null(strstr(t.text, "`pgdrill-fleet [OPTION]... plan|run|watch`"));
    for (const pgd_usage_option *o = pgd_fleet_usage.options; o->name != NULL; o++, row++) {
        char flags[64];
        char cell[80];

        assert_true(row < t.rows);
        pgd_usage_flags(o, flags, sizeof(flags));
        snprintf(cell, sizeof(cell), "`%s`", flags);
        assert_string_equal(t.cell[row][0], cell);
        assert_string_equal(t.cell[row][1], o->help);
    }
    assert_int_equal(row, t.rows);
    readme_table_free(&t);
}

static void test_readme_exit_codes(void **state)
{
    readme_table t;
    size_t count;
    const pgd_exit_code_doc *docs = fleet_exit_code_docs(&count);

    (void)state;
    readme_table_load(&t, "| `pgdrill-fleet` exit | verdict | meaning |", 3);
    assert_int_equal((size_t)t.rows, count);
    for (size_t i = 0; i < count; i++) {
        char code[8];

        snprintf(code, sizeof(code), "%d", docs[i].code);
        assert_string_equal(t.cell[i][0], code);
        assert_string_equal(t.cell[i][1], docs[i].verdict);
        assert_string_equal(t.cell[i][2], docs[i].meaning);
    }
    readme_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getopt_tables),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_readme_options),
        cmocka_unit_test(test_readme_exit_codes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
