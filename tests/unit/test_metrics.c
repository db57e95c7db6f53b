/*
 * test_metrics.c - the Prometheus text: label escaping, the verdict gauge, and what a
 * failed drill keeps from the previous file (only for its own scope and stanza).
 */
#include "metrics.h"
#include "report.h"
#include "verdict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define NOW 1800000000.0

static pgd_report *drill(const char *scope, pgd_verdict verdict, const char *finished_at)
{
    pgd_report *report = pgd_report_new("/nonexistent/report.json", "t1", scope, "main");

    pgd_report_set_verdict(report, verdict);
    pgd_report_set_string(report, "finished_at", finished_at);
    pgd_report_set_string(report, "target_time", "2027-01-15 08:00:00.250000+00");
    pgd_report_set_timing(report, "restore", 12.5);
    return report;
}

static void test_passed(void **state)
{
    pgd_report *report = drill("orders", PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z");
    char *text = pgd_metrics_render(report, NULL, NOW);

    (void)state;
    /* 2027-01-15 08:00:00 UTC is 1800000000 */
    assert_non_null(strstr(text, "pgdrill_last_drill_timestamp_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 1800000030.250\n"));
    assert_non_null(strstr(text, "pgdrill_last_success_timestamp_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 1800000030.250\n"));
    assert_non_null(strstr(text, "pgdrill_last_success_recovery_point_timestamp_seconds{"
                                 "scope=\"orders\",stanza=\"main\"} 1800000000.250\n"));
    assert_non_null(strstr(text, "pgdrill_recovery_point_age_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 30.000\n"));
    assert_non_null(strstr(text, "{scope=\"orders\",stanza=\"main\",verdict=\"passed\"} 1.000\n"));
    assert_non_null(strstr(text, "{scope=\"orders\",stanza=\"main\",verdict=\"failed\"} 0.000\n"));
    assert_non_null(strstr(text, "pgdrill_phase_duration_seconds{scope=\"orders\",stanza=\"main\","
                                 "phase=\"restore\"} 12.500\n"));
    assert_non_null(strstr(text, "# TYPE pgdrill_drill_verdict gauge\n"));
    free(text);
    pgd_report_free(report);
}

/* The replay figures of report.recovery, in base units; absent figures, no series. */
static void test_replay_figures(void **state)
{
    pgd_report *report = drill("orders", PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z");
    char *text;

    (void)state;
    pgd_report_set_nested_integer(report, "recovery", "wal_segments", 101);
    pgd_report_set_nested_integer(report, "recovery", "wal_bytes", 1600000000);
    pgd_report_set_nested_seconds(report, "recovery", "replay_seconds", 10.25);
    pgd_report_set_nested_seconds(report, "recovery", "replay_mb_per_s", 156.098);
    text = pgd_metrics_render(report, NULL, NOW);
    assert_non_null(strstr(text, "pgdrill_replay_wal_segments{scope=\"orders\",stanza=\"main\"} "
                                 "101.000\n"));
    assert_non_null(strstr(text, "pgdrill_replay_wal_bytes{scope=\"orders\",stanza=\"main\"} "
                                 "1600000000.000\n"));
    assert_non_null(strstr(text, "pgdrill_replay_seconds{scope=\"orders\",stanza=\"main\"} "
                                 "10.250\n"));
    assert_non_null(strstr(text,
                           "pgdrill_replay_bytes_per_second{scope=\"orders\",stanza=\"main\"} "
                           "156098000.000\n"));
    free(text);
    pgd_report_free(report);

    report = drill("orders", PGD_VERDICT_FAILED, "2027-01-15T08:00:30.250Z");
    text = pgd_metrics_render(report, NULL, NOW);
    assert_null(strstr(text, "pgdrill_replay_"));
    free(text);
    pgd_report_free(report);
}

/* A drill that starts marks itself in progress and keeps the previous drill's results. */
static void test_started_then_ended(void **state)
{
    pgd_report *passed = drill("orders", PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z");
    pgd_report *next = pgd_report_new("/nonexistent/report.json", "t2", "orders", "main");
    char *before = pgd_metrics_render(passed, NULL, NOW);
    char *started;
    char *ended;

    (void)state;
    assert_non_null(strstr(before, "pgdrill_drill_in_progress{scope=\"orders\",stanza=\"main\"} "
                                   "0.000\n"));
    pgd_report_set_string(next, "started_at", "2027-01-16T08:00:00.000Z");
    started = pgd_metrics_render(next, before, NOW);
    assert_non_null(strstr(started, "pgdrill_drill_in_progress{scope=\"orders\",stanza=\"main\"} "
                                    "1.000\n"));
    assert_non_null(strstr(started, "pgdrill_drill_started_timestamp_seconds{scope=\"orders\","
                                    "stanza=\"main\"} 1800086400.000\n"));
    /* the last drill's results stay, each family once */
    assert_non_null(strstr(started, "pgdrill_last_success_timestamp_seconds{scope=\"orders\","
                                    "stanza=\"main\"} 1800000030.250\n"));
    assert_null(strstr(strstr(started, "# TYPE pgdrill_drill_in_progress") + 1,
                       "# TYPE pgdrill_drill_in_progress"));
    pgd_report_set_verdict(next, PGD_VERDICT_PASSED);
    ended = pgd_metrics_render(next, started, NOW);
    assert_non_null(strstr(ended, "pgdrill_drill_in_progress{scope=\"orders\",stanza=\"main\"} "
                                  "0.000\n"));
    free(before);
    free(started);
    free(ended);
    pgd_report_free(passed);
    pgd_report_free(next);
}

/* The file a failed drill of "orders" writes over the file a passing drill of passed_scope wrote.
 */
static char *failed_after_passed(const char *passed_scope)
{
    pgd_report *passed = drill(passed_scope, PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z");
    pgd_report *failed = drill("orders", PGD_VERDICT_FAILED, "2027-01-16T08:00:00.000Z");
    char *previous = pgd_metrics_render(passed, NULL, NOW);
    char *text = pgd_metrics_render(failed, previous, NOW);

    free(previous);
    pgd_report_free(failed);
    pgd_report_free(passed);
    return text;
}

static void test_failure_keeps_last_success(void **state)
{
    char *text = failed_after_passed("orders");

    (void)state;
    assert_non_null(strstr(text, "pgdrill_last_success_timestamp_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 1800000030.250\n"));
    assert_non_null(strstr(text, "pgdrill_last_success_recovery_point_timestamp_seconds{"
                                 "scope=\"orders\",stanza=\"main\"} 1800000000.250\n"));
    assert_non_null(strstr(text, "pgdrill_last_drill_timestamp_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 1800086400.000\n"));
    assert_non_null(strstr(text, "{scope=\"orders\",stanza=\"main\",verdict=\"failed\"} 1.000\n"));
    /* a failed drill proves no recovery point */
    assert_null(strstr(text, "pgdrill_recovery_point_age_seconds"));
    free(text);
}

static void test_other_scope_not_carried(void **state)
{
    char *text = failed_after_passed("billing");

    (void)state;
    assert_null(strstr(text, "pgdrill_last_success"));
    assert_null(strstr(text, "billing"));
    free(text);
}

static void test_label_escaping(void **state)
{
    pgd_report *report = drill("a\"b\\c\nd", PGD_VERDICT_INCONCLUSIVE, "garbage");
    char *text = pgd_metrics_render(report, NULL, NOW);

    (void)state;
    assert_non_null(strstr(text, "{scope=\"a\\\"b\\\\c\\nd\",stanza=\"main\"}"));
    /* an unparseable end time falls back to now */
    assert_non_null(strstr(text, "pgdrill_last_drill_timestamp_seconds{scope=\"a\\\"b\\\\c\\nd\","
                                 "stanza=\"main\"} 1800000000.000\n"));
    free(text);
    pgd_report_free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passed),
        cmocka_unit_test(test_replay_figures),
        cmocka_unit_test(test_started_then_ended),
        cmocka_unit_test(test_failure_keeps_last_success),
        cmocka_unit_test(test_other_scope_not_carried),
        cmocka_unit_test(test_label_escaping),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
