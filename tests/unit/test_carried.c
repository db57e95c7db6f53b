/*
 * test_carried.c - bootstrap's checks as verify reads them: the files of bad
 * pages, and the judge of an entry (older reports' "skipped" with a class
 * could not run).
 */
#include "carried.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void expect_file(const char *file, unsigned long tablespace, unsigned long database,
                        unsigned long filenode)
{
    unsigned long t = 99, d = 99, f = 99;

    assert_true(carried_parse_relation_file(file, &t, &d, &f));
    assert_int_equal(t, tablespace);
    assert_int_equal(d, database);
    assert_int_equal(f, filenode);
}

static void test_relation_files(void **state)
{
    unsigned long t, d, f;

    (void)state;
    expect_file("base/16384/16390", 0, 16384, 16390);
    expect_file("base/16384/16390.1", 0, 16384, 16390);
    expect_file("base/5/2619_fsm", 0, 5, 2619);
    expect_file("global/1262", 0, 0, 1262);
    expect_file("pg_tblspc/16385/PG_15_202209061/16384/16390_vm", 16385, 16384, 16390);
    assert_false(carried_parse_relation_file("pg_wal/000000010000000000000001", &t, &d, &f));
    assert_false(carried_parse_relation_file("base/x/1", &t, &d, &f));
    assert_false(carried_parse_relation_file("pg_tblspc/16385/PG_15/16384", &t, &d, &f));
    assert_false(carried_parse_relation_file("", &t, &d, &f));
}

static void expect_judged(const char *status, const char *error_class, check_status expected,
                          pgd_error_class expected_class)
{
    carried_facts facts = {.entry = json_pack("{s:s,s:s}", "name", "checksums", "detail", "d")};
    check_result r = {0};

    if (status != NULL)
        json_object_set_new(facts.entry, "status", json_string(status));
    if (error_class != NULL)
        json_object_set_new(facts.entry, "class", json_string(error_class));
    check_checksums.judge(&facts, &r);
    assert_int_equal(r.status, expected);
    assert_int_equal(r.error_class, expected_class);
    assert_string_equal(r.detail, "d");
    if (expected_class != PGD_ERR_NONE)
        assert_string_equal(r.hint, pgd_error_class_advice(expected_class));
    else
        assert_null(r.hint);
    check_result_free(&r);
    json_decref(facts.entry);
}

static void test_judge(void **state)
{
    (void)state;
    expect_judged("passed", NULL, CHECK_PASSED, PGD_ERR_NONE);
    expect_judged("skipped", NULL, CHECK_SKIPPED, PGD_ERR_NONE);
    expect_judged("failed", "checksum_failure", CHECK_FAILED, PGD_ERR_CHECKSUM_FAILURE);
    expect_judged("not_run", "internal", CHECK_NOT_RUN, PGD_ERR_INTERNAL);
    /* earlier versions wrote a check that could not run as skipped, with its class */
    expect_judged("skipped", "interrupted", CHECK_NOT_RUN, PGD_ERR_INTERRUPTED);
    /* a class of another version: still not a pass */
    expect_judged("failed", "some_new_class", CHECK_FAILED, PGD_ERR_UNKNOWN);
    expect_judged(NULL, NULL, CHECK_SKIPPED, PGD_ERR_NONE);
}

static void test_hint_kept(void **state)
{
    carried_facts facts = {.entry = json_pack("{s:s,s:s,s:s}", "status", "failed", "class",
                                              "backup_page_errors", "hint", "its own")};
    check_result r = {0};

    (void)state;
    check_backup_page_checks.judge(&facts, &r);
    assert_string_equal(r.hint, "its own");
    assert_string_equal(r.detail, "");
    check_result_free(&r);
    json_decref(facts.entry);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relation_files),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_hint_kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
