/*
 * test_target_check.c - the target check's judge: which rows bracket a past
 * target, and what a copy on the wrong side of it is.
 */
#include "target_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define S 1000000LL
/* 2026-11-30T14:02:00Z */
#define T0 (1796047320LL * S)

static void assert_contains(const char *text, const char *part)
{
    if (text == NULL || strstr(text, part) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", text ? text : "(null)", part);
}

/* M1 (and fence) an hour before the target, M2 (and fence) an hour after; bounds filled. */
static void three_drills(pgd_marker_row rows[4], bool m2_in_copy)
{
    memset(rows, 0, 4 * sizeof(*rows));
    rows[0] = (pgd_marker_row){
        .test_id = "m1", .created_us = T0 - 3600 * S, .on_source = true, .in_copy = true};
    rows[1] = (pgd_marker_row){.test_id = "m1",
                               .fence = true,
                               .created_us = T0 - 3599 * S,
                               .on_source = true,
                               .in_copy = true};
    rows[2] = (pgd_marker_row){
        .test_id = "m2", .created_us = T0 + 3600 * S, .on_source = true, .in_copy = m2_in_copy};
    rows[3] = (pgd_marker_row){
        .test_id = "m2", .fence = true, .created_us = T0 + 3601 * S, .on_source = true};
    pgd_marker_bound_commits(rows, 4, 30 * S);
}

static void test_pass_names_both_sides(void **state)
{
    pgd_marker_row rows[4];
    target_facts f = {.target_us = T0, .rows = rows, .n = 4, .dbname = "app"};
    check_result r = {0};

    (void)state;
    three_drills(rows, false);
    judge_target(&f, &r);
    assert_int_equal(r.status, CHECK_PASSED);
    assert_string_equal(r.detail,
                        "recovery stopped at 2026-11-30T14:02:00.000000Z: the fence of test m1 "
                        "(written at 2026-11-30T13:02:01.000000Z) and every row committed before "
                        "it are in database app, the marker of test m2 (written at "
                        "2026-11-30T15:02:00.000000Z) and every row committed after it are not "
                        "(4 rows judged, 0 too close to the target to judge)");
    check_result_free(&r);
}

/* A copy restored to a later instant, verified against an earlier target. */
static void test_row_after_target_present_fails(void **state)
{
    pgd_marker_row rows[4];
    target_facts f = {.target_us = T0, .rows = rows, .n = 4, .dbname = "app"};
    check_result r = {0};

    (void)state;
    three_drills(rows, true);
    judge_target(&f, &r);
    assert_int_equal(r.status, CHECK_FAILED);
    assert_int_equal(r.error_class, PGD_ERR_TARGET_MISMATCH);
    assert_contains(r.detail, "the marker of test m2, written at 2026-11-30T15:02:00.000000Z "
                              "after the target 2026-11-30T14:02:00.000000Z, is in the restored "
                              "copy");
    assert_contains(r.detail, "(database app)");
    assert_non_null(r.hint);
    check_result_free(&r);
}

static void test_row_before_target_missing_fails(void **state)
{
    pgd_marker_row rows[4];
    target_facts f = {
        .target_us = T0, .rows = rows, .n = 4, .dbname = "app", .table_missing = true};
    check_result r = {0};

    (void)state;
    three_drills(rows, false);
    rows[0].in_copy = rows[1].in_copy = false;
    judge_target(&f, &r);
    assert_int_equal(r.error_class, PGD_ERR_TARGET_MISMATCH);
    assert_contains(r.detail, "the marker of test m1, written at 2026-11-30T13:02:00.000000Z and "
                              "committed before the target 2026-11-30T14:02:00.000000Z, is "
                              "missing from the restored copy");
    assert_contains(r.detail, "which has no marker table");
    check_result_free(&r);
}

/* Nothing committed before the target is retained: nothing proves where recovery stopped. */
static void test_no_lower_marker_is_not_run(void **state)
{
    pgd_marker_row rows[4];
    target_facts f = {.target_us = T0, .rows = rows + 2, .n = 2, .dbname = "app"};
    check_result r = {0};

    (void)state;
    three_drills(rows, false);
    judge_target(&f, &r);
    assert_int_equal(r.status, CHECK_NOT_RUN);
    assert_int_equal(r.error_class, PGD_ERR_TARGET_UNREACHABLE);
    assert_contains(r.detail, "no marker committed before the target");
    check_result_free(&r);
}

static void test_past_target(void **state)
{
    pgd_report report = {.root = json_pack("{s:{s:s}}", "target", "kind", "random")};

    (void)state;
    assert_true(verify_past_target(&report));
    json_object_set_new(json_object_get(report.root, "target"), "kind", json_string("latest"));
    assert_false(verify_past_target(&report));
    /* a report of an older version, or of a drill that ended before the choice */
    json_object_del(report.root, "target");
    assert_false(verify_past_target(&report));
    json_decref(report.root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_names_both_sides),
        cmocka_unit_test(test_row_after_target_present_fails),
        cmocka_unit_test(test_row_before_target_missing_fails),
        cmocka_unit_test(test_no_lower_marker_is_not_run),
        cmocka_unit_test(test_past_target),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
