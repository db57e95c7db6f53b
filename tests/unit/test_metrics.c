/*
 * test_metrics.c - the Prometheus text: label escaping, the verdict gauge, what a
 * failed drill keeps from the previous file (only for its own scope and stanza), and what
 * a drill to a past target changes: the window coverage, never the newest recovery point.
 */
#include "metrics.h"
#include "report.h"
#include "verdict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
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

/* A drill of orders to a past target (kind) at target_time, with the window it saw. */
static pgd_report *past_drill(const char *kind, pgd_verdict verdict, const char *finished_at,
                              const char *target_time, const char *target_rfc3339)
{
    pgd_report *report = drill("orders", verdict, finished_at);

    pgd_report_set_string(report, "target_time", target_time);
    json_object_set_new(report->root, "target",
                        json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "kind", kind, "requested", kind,
                                  "time", target_rfc3339, "window", "lower",
                                  "2026-12-01T00:00:01.000000Z", "upper",
                                  "2027-01-15T08:00:00.250000Z"));
    return report;
}

/* previous rendered over by each report in turn; the last text (caller frees). */
static char *render_in_turn(pgd_report **reports, size_t n, double now)
{
    char *text = NULL;

    for (size_t i = 0; i < n; i++) {
        char *next = pgd_metrics_render(reports[i], text, now);

        free(text);
        text = next;
        pgd_report_free(reports[i]);
    }
    return text;
}

/*
 * A passing drill to a past target after one to the latest point: the newest proven
 * recovery point stays (it would move back to the past instant), the past-target success
 * and the window are written, and the past instant is no archive lag.
 */
static void test_past_target_never_moves_recovery_point_back(void **state)
{
    pgd_report *reports[] = {
        drill("orders", PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z"),
        past_drill("random", PGD_VERDICT_PASSED, "2027-01-15T09:00:00.000Z",
                   "2027-01-10 14:02:00.000000+00", "2027-01-10T14:02:00.000000Z"),
    };
    char *text = render_in_turn(reports, 2, NOW);

    (void)state;
    assert_non_null(strstr(text, "pgdrill_last_success_recovery_point_timestamp_seconds{"
                                 "scope=\"orders\",stanza=\"main\"} 1800000000.250\n"));
    assert_non_null(strstr(text, "pgdrill_last_success_timestamp_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 1800003600.000\n"));
    assert_non_null(strstr(text, "pgdrill_last_past_target_success_timestamp_seconds{"
                                 "scope=\"orders\",stanza=\"main\"} 1800003600.000\n"));
    /* 2026-12-01T00:00:01Z and 2027-01-15T08:00:00.25Z */
    assert_non_null(strstr(text, "pgdrill_window_lower_timestamp_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 1796083201.000\n"));
    assert_non_null(strstr(text, "pgdrill_window_upper_timestamp_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 1800000000.250\n"));
    assert_null(strstr(text, "pgdrill_recovery_point_age_seconds"));
    free(text);
}

/* A scope drilled only to past targets: the newest of them is its recovery point. */
static void test_past_targets_only(void **state)
{
    pgd_report *reports[] = {
        past_drill("time", PGD_VERDICT_PASSED, "2027-01-15T09:00:00.000Z",
                   "2027-01-12 00:00:00.000000+00", "2027-01-12T00:00:00.000000Z"),
        past_drill("oldest", PGD_VERDICT_PASSED, "2027-01-15T10:00:00.000Z",
                   "2026-12-20 00:00:00.000000+00", "2026-12-20T00:00:00.000000Z"),
    };
    char *text = render_in_turn(reports, 2, NOW);

    (void)state;
    /* 2027-01-12T00:00:00Z */
    assert_non_null(strstr(text, "pgdrill_last_success_recovery_point_timestamp_seconds{"
                                 "scope=\"orders\",stanza=\"main\"} 1799712000.000\n"));
    free(text);
}

/* A target object of kind latest is a drill to the latest point, as a report without one. */
static void test_latest_kind(void **state)
{
    pgd_report *report = past_drill("latest", PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z",
                                    "2027-01-15 08:00:00.250000+00", "2027-01-15T08:00:00.250Z");
    char *text = pgd_metrics_render(report, NULL, NOW);

    (void)state;
    assert_null(strstr(text, "pgdrill_last_past_target_success"));
    assert_null(strstr(text, "pgdrill_window_day_proven"));
    assert_non_null(strstr(text, "pgdrill_window_proven_dates{scope=\"orders\",stanza=\"main\"} "
                                 "0.000\n"));
    assert_non_null(strstr(text, "pgdrill_recovery_point_age_seconds{scope=\"orders\","
                                 "stanza=\"main\"} 30.000\n"));
    /* the window is written for any drill whose report has it */
    assert_non_null(strstr(text, "pgdrill_window_lower_timestamp_seconds{"));
    free(text);
    pgd_report_free(report);
}

#define DAY(d)  "pgdrill_window_day_proven{scope=\"orders\",stanza=\"main\",day=\"" d "\"} 1.000\n"
#define DAYS(n) "pgdrill_window_proven_dates{scope=\"orders\",stanza=\"main\"} " n "\n"

/*
 * The days proven accumulate across drills (a failed past drill and a latest drill add
 * none and keep them), a target older than 30 days adds none, and days older than 30 are
 * pruned as time goes by.
 */
static void test_window_coverage(void **state)
{
    pgd_report *reports[] = {
        past_drill("random", PGD_VERDICT_PASSED, "2027-01-14T09:00:00.000Z",
                   "2027-01-10 14:02:00.000000+00", "2027-01-10T14:02:00.000000Z"),
        past_drill("random", PGD_VERDICT_PASSED, "2027-01-14T10:00:00.000Z",
                   "2026-12-17 23:59:59.999999+00", "2026-12-17T23:59:59.999999Z"),
        /* the same day again: once */
        past_drill("time", PGD_VERDICT_PASSED, "2027-01-14T11:00:00.000Z",
                   "2027-01-10 00:00:00.000000+00", "2027-01-10T00:00:00.000000Z"),
        /* older than the 30 days */
        past_drill("oldest", PGD_VERDICT_PASSED, "2027-01-14T12:00:00.000Z",
                   "2026-12-16 23:59:59.000000+00", "2026-12-16T23:59:59.000000Z"),
        past_drill("random", PGD_VERDICT_FAILED, "2027-01-15T07:00:00.000Z",
                   "2027-01-13 00:00:00.000000+00", "2027-01-13T00:00:00.000000Z"),
        drill("orders", PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z"),
    };
    char *text = render_in_turn(reports, 6, NOW);
    pgd_report *later = drill("orders", PGD_VERDICT_PASSED, "2027-01-16T08:00:30.250Z");
    char *next;

    (void)state;
    assert_non_null(strstr(text, DAY("2026-12-17") DAY("2027-01-10") "# HELP"));
    assert_null(strstr(text, "2026-12-16"));
    assert_null(strstr(text, "2027-01-13"));
    assert_non_null(strstr(text, DAYS("2.000")));
    /* a day later, 2026-12-17 is no longer one of the last 30 */
    next = pgd_metrics_render(later, text, NOW + 86400);
    assert_null(strstr(next, "2026-12-17"));
    assert_non_null(strstr(next, DAY("2027-01-10")));
    assert_non_null(strstr(next, DAYS("1.000")));
    free(next);
    free(text);
    pgd_report_free(later);
}

/*
 * A drill starting keeps the coverage as it is; another scope's days are not carried; a
 * report without a window keeps the previous one.
 */
static void test_window_carried(void **state)
{
    pgd_report *past = past_drill("random", PGD_VERDICT_PASSED, "2027-01-14T09:00:00.000Z",
                                  "2027-01-10 14:02:00.000000+00", "2027-01-10T14:02:00.000000Z");
    pgd_report *starting = pgd_report_new("/nonexistent/report.json", "t2", "orders", "main");
    pgd_report *other = drill("billing", PGD_VERDICT_PASSED, "2027-01-15T08:00:30.250Z");
    pgd_report *failed = drill("orders", PGD_VERDICT_FAILED, "2027-01-15T08:00:30.250Z");
    char *first = pgd_metrics_render(past, NULL, NOW);
    char *started = pgd_metrics_render(starting, first, NOW);
    char *elsewhere = pgd_metrics_render(other, first, NOW);
    char *ended = pgd_metrics_render(failed, started, NOW);

    (void)state;
    assert_non_null(strstr(started, DAY("2027-01-10")));
    assert_null(strstr(elsewhere, "day=\"2027-01-10\""));
    assert_null(strstr(elsewhere, "pgdrill_window_lower"));
    assert_non_null(strstr(elsewhere, "pgdrill_window_proven_dates{scope=\"billing\","
                                      "stanza=\"main\"} 0.000\n"));
    assert_non_null(strstr(ended, DAY("2027-01-10")));
    assert_non_null(strstr(ended, DAYS("1.000")));
    assert_non_null(strstr(ended, "pgdrill_last_past_target_success_timestamp_seconds{"
                                  "scope=\"orders\",stanza=\"main\"} 1799917200.000\n"));
    assert_non_null(strstr(ended, "pgdrill_window_lower_timestamp_seconds{scope=\"orders\","
                                  "stanza=\"main\"} 1796083201.000\n"));
    free(first);
    free(started);
    free(elsewhere);
    free(ended);
    pgd_report_free(past);
    pgd_report_free(starting);
    pgd_report_free(other);
    pgd_report_free(failed);
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
        cmocka_unit_test(test_past_target_never_moves_recovery_point_back),
        cmocka_unit_test(test_past_targets_only),
        cmocka_unit_test(test_latest_kind),
        cmocka_unit_test(test_window_coverage),
        cmocka_unit_test(test_window_carried),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
