/*
 * test_deliver.c - the detail of a drill's terminal status row: the target a drill restored
 * to, for pgdrill.drill_window_coverage, and nothing of it for a report without one.
 */
#include "deliver.h"
#include "report.h"
#include "verdict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

static pgd_report *passed_drill(void)
{
    pgd_report *report = pgd_report_new("/nonexistent/report.json", "t1", "orders", "main");

    pgd_report_set_verdict(report, PGD_VERDICT_PASSED);
    pgd_report_set_string(report, "target_time", "2027-01-10 14:02:00.000000+00");
    return report;
}

static const char *detail_string(json_t *detail, const char *key)
{
    return json_string_value(json_object_get(detail, key));
}

static void test_past_target(void **state)
{
    pgd_report *report = passed_drill();
    json_t *detail;

    (void)state;
    json_object_set_new(report->root, "target",
                        json_pack("{s:s,s:s,s:s,s:n,s:{s:s,s:s,s:s,s:n}}", "kind", "random",
                                  "requested", "random", "time", "2027-01-10T14:02:00.000000Z",
                                  "set", "window", "lower", "2027-01-01T00:00:01.000000Z", "upper",
                                  "2027-01-15T08:00:00.250000Z", "oldest_backup_end",
                                  "2027-01-01T00:00:00.000000Z", "newest_wal"));
    detail = pgd_deliver_status_detail(report);
    assert_string_equal(detail_string(detail, "target_kind"), "random");
    assert_string_equal(detail_string(detail, "target_time"), "2027-01-10T14:02:00.000000Z");
    assert_string_equal(detail_string(detail, "window_lower"), "2027-01-01T00:00:01.000000Z");
    assert_string_equal(detail_string(detail, "window_upper"), "2027-01-15T08:00:00.250000Z");
    /* the row keeps what it always had */
    assert_true(json_is_null(json_object_get(detail, "message")));
    json_decref(detail);
    pgd_report_free(report);
}

/* A report of an older version (no target object) drilled the latest point: no target keys. */
static void test_no_target(void **state)
{
    pgd_report *report = passed_drill();
    json_t *detail = pgd_deliver_status_detail(report);

    (void)state;
    assert_null(json_object_get(detail, "target_kind"));
    assert_null(json_object_get(detail, "window_lower"));
    assert_null(json_object_get(detail, "window_upper"));
    assert_string_equal(detail_string(detail, "target_time"), "2027-01-10 14:02:00.000000+00");
    json_decref(detail);
    pgd_report_free(report);
}

/* A target without a window (a drill that ended while choosing): what there is, nothing else. */
static void test_target_without_window(void **state)
{
    pgd_report *report = passed_drill();
    json_t *detail;

    (void)state;
    json_object_set_new(report->root, "target",
                        json_pack("{s:s,s:s}", "kind", "latest", "requested", "latest"));
    pgd_report_set_error(report, PGD_ERR_TARGET_UNREACHABLE, "outside the window", NULL);
    detail = pgd_deliver_status_detail(report);
    assert_string_equal(detail_string(detail, "target_kind"), "latest");
    assert_string_equal(detail_string(detail, "target_time"), "2027-01-10 14:02:00.000000+00");
    assert_null(json_object_get(detail, "window_lower"));
    assert_string_equal(detail_string(detail, "message"), "outside the window");
    json_decref(detail);
    pgd_report_free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_past_target),
        cmocka_unit_test(test_no_target),
        cmocka_unit_test(test_target_without_window),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
