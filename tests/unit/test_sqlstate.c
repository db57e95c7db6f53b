/*
 * test_sqlstate.c - the SQLSTATE table is PostgreSQL's errcodes.txt, and lookups by code and
 * by class.
 */
#include "sqlstate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define ERRCODES "/usr/share/postgresql/15/errcodes.txt"

static void test_lookup(void **state)
{
    (void)state;
    assert_string_equal(pgd_sqlstate_name("42501"), "insufficient_privilege");
    assert_string_equal(pgd_sqlstate_name("22P02"), "invalid_text_representation");
    assert_string_equal(pgd_sqlstate_name("57014"), "query_canceled");
    assert_string_equal(pgd_sqlstate_name("2F003"), "prohibited_sql_statement_attempted");
    /* a code with two macros in errcodes.txt, one name */
    assert_string_equal(pgd_sqlstate_name("22008"), "datetime_field_overflow");
    assert_null(pgd_sqlstate_name("42ZZZ"));
    assert_null(pgd_sqlstate_name("425"));
    assert_null(pgd_sqlstate_name(""));
    assert_null(pgd_sqlstate_name(NULL));
    assert_string_equal(pgd_sqlstate_class_name("42ZZZ"), "syntax_error_or_access_rule_violation");
    assert_string_equal(pgd_sqlstate_class_name("22P02"), "data_exception");
    assert_null(pgd_sqlstate_class_name("QQ000"));
    assert_null(pgd_sqlstate_class_name("4"));
    assert_true(pgd_sqlstate_in_class("53200", "53"));
    assert_false(pgd_sqlstate_in_class("54000", "53"));
    assert_false(pgd_sqlstate_in_class("53", "53"));
    assert_false(pgd_sqlstate_in_class(NULL, "53"));
}

/*
 * Every named code of the installed errcodes.txt, in its order, and nothing
 * else (a code's second macro comes without a name: 22008, 2202E, ...).
 */
static void test_table_is_errcodes_txt(void **state)
{
    FILE *f = fopen(ERRCODES, "r");
    char line[512];
    size_t i = 0;

    (void)state;
    if (f == NULL) {
        skip();
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char code[16], severity[8], macro[128], name[128];
        const char *table_name = NULL;
        const char *table_code;

        if (line[0] == '#' || strncmp(line, "Section", 7) == 0 ||
            sscanf(line, "%15s %7s %127s %127s", code, severity, macro, name) != 4)
            continue;
        table_code = pgd_sqlstate_code_at(i, &table_name);
        assert_non_null(table_code);
        assert_string_equal(table_code, code);
        assert_string_equal(table_name, name);
        i++;
    }
    fclose(f);
    assert_int_equal(i, pgd_sqlstate_count());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_table_is_errcodes_txt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
