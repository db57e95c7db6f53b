/*
 * metrics.h - the Prometheus textfile-collector file (report.metrics_file).
 *
 * node_exporter reads *.prom files from a directory; the file is replaced
 * atomically so it never reads half of one. Metrics, labelled scope and stanza:
 *   pgdrill_last_drill_timestamp_seconds      end of the last drill
 *   pgdrill_last_success_timestamp_seconds    end of the last passing drill (kept across failures)
 *   pgdrill_last_success_recovery_point_timestamp_seconds
 *                                             the newest target proven by a passing drill
 *                                             (kept across failures, never moved back)
 *   pgdrill_last_past_target_success_timestamp_seconds
 *                                             end of the last passing drill to a past target
 *   pgdrill_window_lower_timestamp_seconds, pgdrill_window_upper_timestamp_seconds
 *                                             the repository's window (report target.window)
 *   pgdrill_window_day_proven{day=...}        1 for each UTC day of the last 30 a passing
 *                                             past-target drill proved (carried, pruned)
 *   pgdrill_window_proven_dates                how many
 *   pgdrill_drill_verdict{verdict=...}        1 for the last drill's verdict, 0 for the others
 *   pgdrill_phase_duration_seconds{phase=...} each phase of the last drill
 *   pgdrill_recovery_point_age_seconds        how far behind the end of the last passing
 *                                             drill to the latest point its proven recovery
 *                                             point (target) was
 *   pgdrill_rto_seconds, pgdrill_rto_target_seconds   with report.rto_target
 *   pgdrill_drill_in_progress                 1 while a drill runs (written when it starts)
 *   pgdrill_drill_started_timestamp_seconds   when the last drill started
 */
#ifndef PGDRILL_METRICS_H
#define PGDRILL_METRICS_H

#include "report.h"

#include <stdbool.h>

/*
 * The exposition text for report; previous is the old file's text (or NULL).
 * A report still "running" (a drill that starts) keeps the previous drill's
 * results and only marks the drill in progress.
 */
char *pgd_metrics_render(const pgd_report *report, const char *previous, double now);

/* Render and write atomically to path. */
bool pgd_metrics_write(const char *path, const pgd_report *report, char **errmsg);

#endif
