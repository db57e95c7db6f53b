/*
 * test_usage.c - both binaries' command lines: getopt's tables made from the
 * documented options, --help within 79 columns, and the README's option
 * tables held to the same descriptions.
 */
#include "bootstrap_usage.h"
#include "readme_table.h"
#include "verify_usage.h"

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
    struct option longopts[24];
    char shortopts[16];

    (void)state;
    pgd_usage_getopt(&pgd_bootstrap_usage, longopts, 24, shortopts, sizeof(shortopts));
    assert_string_equal(shortopts, "c:vVh");
    assert_string_equal(longopts[0].name, "config");
    assert_int_equal(longopts[0].has_arg, required_argument);
    assert_int_equal(longopts[0].val, 'c');
    assert_string_equal(longopts[1].name, "scope");
    assert_int_equal(longopts[1].val, OPT_SCOPE);
    assert_string_equal(longopts[5].name, "source-scope");
    assert_int_equal(longopts[5].val, OPT_SOURCE_SCOPE);
    assert_string_equal(longopts[9].name, "state-dir");
    assert_int_equal(longopts[9].has_arg, required_argument);
    assert_string_equal(longopts[10].name, "recovery-target");
    assert_int_equal(longopts[10].val, OPT_RECOVERY_TARGET);
    assert_string_equal(longopts[11].name, "check-config");
    assert_int_equal(longopts[11].has_arg, no_argument);
    assert_null(longopts[15].name);

    pgd_usage_getopt(&pgd_verify_usage, longopts, 24, shortopts, sizeof(shortopts));
    assert_string_equal(shortopts, "c:vVh");
    assert_string_equal(longopts[1].name, "state-dir");
    assert_int_equal(longopts[1].val, OPT_VERIFY_STATE_DIR);
    assert_string_equal(longopts[2].name, "check-config");
    assert_int_equal(longopts[2].val, PGD_USAGE_CHECK_CONFIG_VAL);
    /* --check-signature[=REPORT]: the report may be left out (report.file) */
    assert_string_equal(longopts[3].name, "check-signature");
    assert_int_equal(longopts[3].has_arg, optional_argument);
    assert_int_equal(longopts[3].val, OPT_VERIFY_CHECK_SIGNATURE);
    assert_string_equal(longopts[4].name, "public-key");
    assert_int_equal(longopts[4].has_arg, required_argument);
    assert_null(longopts[8].name);
}

static void test_help_fits_80_columns(void **state)
{
    const pgd_usage *usages[] = {&pgd_bootstrap_usage, &pgd_verify_usage};

    (void)state;
    for (size_t u = 0; u < 2; u++) {
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);

        assert_non_null(out);
        pgd_usage_print(usages[u], out);
        fclose(out);
        assert_non_null(strstr(text, "Usage:\n"));
        assert_non_null(strstr(text, "  -c, --config=PATH        configuration file (default: "));
        assert_non_null(strstr(text, "  3  inconclusive  the drill could not run"));
        for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
            assert_in_range(strlen(line), 0, 79);
        free(text);
    }
}

/* The README's table "| `PROGRAM` option | meaning |" is the program's options, in order. */
static void assert_readme_options(const pgd_usage *usage)
{
    char header[128];
    char synopsis[256];
    readme_table t;
    int row = 0;

    snprintf(header, sizeof(header), "| `%s` option | meaning |", usage->program);
    readme_table_load(&t, header, 2);
    snprintf(synopsis, sizeof(synopsis), "`%s %s`", usage->program, usage->synopsis);
    assert_non_null(strstr(t.text, synopsis));
    for (const pgd_usage_option *o = usage->options; o->name != NULL; o++, row++) {
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

/* An optional argument is shown "--name[=ARG]", in --help as in the README. */
static void test_optional_argument(void **state)
{
    static const pgd_usage_option optional = {300, "check-signature", "[REPORT]", "x"};
    static const pgd_usage_option required = {'c', "config", "PATH", "x"};
    char flags[64];
    char name[32];
    int is_optional;

    (void)state;
    pgd_usage_flags(&optional, flags, sizeof(flags));
    assert_string_equal(flags, "--check-signature[=REPORT]");
    assert_string_equal(pgd_usage_arg_name(&optional, name, sizeof(name), &is_optional), "REPORT");
    assert_true(is_optional);
    pgd_usage_flags(&required, flags, sizeof(flags));
    assert_string_equal(flags, "-c, --config=PATH");
    assert_string_equal(pgd_usage_arg_name(&required, name, sizeof(name), &is_optional), "PATH");
    assert_false(is_optional);
}

static void test_readme_tables_match(void **state)
{
    (void)state;
    assert_readme_options(&pgd_bootstrap_usage);
    assert_readme_options(&pgd_verify_usage);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getopt_tables),
        cmocka_unit_test(test_help_fits_80_columns),
        cmocka_unit_test(test_optional_argument),
        cmocka_unit_test(test_readme_tables_match),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
