/*
 * test_marker.c - pgdrill writes only into a schema and table it created.
 */
#include "marker.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static pgd_marker_action judge_owned(bool owned, bool schema_exists, bool schema_tagged,
                                     bool table_exists, bool table_tagged, bool table_shaped,
                                     long other_objects)
{
    pgd_marker_facts facts = {.schema_exists = schema_exists,
                              .schema_tagged = schema_tagged,
                              .schema_owned = owned,
                              .table_exists = table_exists,
                              .table_tagged = table_tagged,
                              .table_shaped = table_shaped,
                              .other_objects = other_objects};
    const char *why = NULL;
    pgd_marker_action action = pgd_marker_judge(&facts, &why);

    /* a refusal always says why, nothing else does */
    assert_true((action == PGD_MARKER_REFUSE) == (why != NULL));
    return action;
}

static pgd_marker_action judge(bool schema_exists, bool schema_tagged, bool table_exists,
                               bool table_tagged, bool table_shaped, long other_objects)
{
    return judge_owned(true, schema_exists, schema_tagged, table_exists, table_tagged, table_shaped,
                       other_objects);
}

static void test_judge(void **state)
{
    (void)state;
    /* nothing there: pgdrill creates (and tags) both */
    assert_int_equal(judge(false, false, false, false, false, 0), PGD_MARKER_CREATE_SCHEMA);
    /* pgdrill's schema */
    assert_int_equal(judge(true, true, false, false, false, 0), PGD_MARKER_CREATE_TABLE);
    assert_int_equal(judge(true, true, true, true, true, 0), PGD_MARKER_USE);
    assert_int_equal(judge(true, true, true, true, true, 3), PGD_MARKER_USE);
    assert_int_equal(judge(true, true, true, false, true, 0), PGD_MARKER_REFUSE);
    assert_int_equal(judge(true, true, true, true, false, 0), PGD_MARKER_REFUSE);
    /* somebody else's schema: an application schema, an empty one, a table with created_at */
    assert_int_equal(judge(true, false, false, false, false, 0), PGD_MARKER_REFUSE);
    assert_int_equal(judge(true, false, false, false, false, 12), PGD_MARKER_REFUSE);
    assert_int_equal(judge(true, false, true, false, false, 0), PGD_MARKER_REFUSE);
    assert_int_equal(judge(true, false, true, false, true, 1), PGD_MARKER_REFUSE);
    /* pgdrill 0.1's untagged schema holding exactly its marker table: adopted */
    assert_int_equal(judge(true, false, true, false, true, 0), PGD_MARKER_ADOPT);
    /* ... but not when another role owns it */
    assert_int_equal(judge_owned(false, true, false, true, false, true, 0), PGD_MARKER_REFUSE);
}

static void test_reserved_schemas(void **state)
{
    (void)state;
    assert_true(pgd_marker_schema_reserved("public"));
    assert_true(pgd_marker_schema_reserved("PUBLIC"));
    assert_true(pgd_marker_schema_reserved("pg_catalog"));
    assert_true(pgd_marker_schema_reserved("pg_toast"));
    assert_true(pgd_marker_schema_reserved("pg_anything"));
    assert_true(pgd_marker_schema_reserved("information_schema"));
    assert_false(pgd_marker_schema_reserved("_pgdrill"));
    assert_false(pgd_marker_schema_reserved("publicity"));
    assert_false(pgd_marker_schema_reserved("pgdrill"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_reserved_schemas),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
