/*
 * metrics.c - the Prometheus textfile-collector file.
 */
#include "metrics.h"

#include "clock.h"
#include "fsutil.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAST_SUCCESS        "pgdrill_last_success_timestamp_seconds"
#define LAST_RECOVERY_POINT "pgdrill_last_success_recovery_point_timestamp_seconds"
#define LAST_PAST_SUCCESS   "pgdrill_last_past_target_success_timestamp_seconds"
#define WINDOW_LOWER        "pgdrill_window_lower_timestamp_seconds"
#define WINDOW_UPPER        "pgdrill_window_upper_timestamp_seconds"
#define DAY_PROVEN          "pgdrill_window_day_proven"
#define PROVEN_DATES        "pgdrill_window_proven_dates"

/* Window coverage: the UTC days of the last COVERAGE_DAYS, today included. */
#define COVERAGE_DAYS   30
#define SECONDS_PER_DAY 86400

/* A label value escaped as the exposition format requires: backslash, quote, newline. */
static void append_label_value(pgd_buf *out, const char *value)
{
    pgd_buf_append(out, "\"");
    for (const char *p = value ? value : ""; *p != '\0'; p++) {
        if (*p == '\\')
            pgd_buf_append(out, "\\\\");
        else if (*p == '"')
            pgd_buf_append(out, "\\\"");
        else if (*p == '\n')
            pgd_buf_append(out, "\\n");
        else
            pgd_buf_append_n(out, p, 1);
    }
    pgd_buf_append(out, "\"");
}

static void append_labels(pgd_buf *out, const pgd_report *report, const char *extra_name,
                          const char *extra_value)
{
    pgd_buf_append(out, "{scope=");
    append_label_value(out, pgd_report_get_string(report, "scope"));
    pgd_buf_append(out, ",stanza=");
    append_label_value(out, pgd_report_get_string(report, "stanza"));
    if (extra_name != NULL) {
        pgd_buf_appendf(out, ",%s=", extra_name);
        append_label_value(out, extra_value);
    }
    pgd_buf_append(out, "}");
}

static void append_header(pgd_buf *out, const char *name, const char *help)
{
    pgd_buf_appendf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void append_sample(pgd_buf *out, const pgd_report *report, const char *name,
                          const char *extra_name, const char *extra_value, double value)
{
    pgd_buf_append(out, name);
    append_labels(out, report, extra_name, extra_value);
    pgd_buf_appendf(out, " %.3f\n", value);
}

/*
 * The value of name for this drill's scope and stanza in the previous file, or -1: a
 * failed drill must not erase the last success. Another scope's line (a file shared by
 * mistake) does not count.
 */
static double previous_value(const char *previous, const pgd_report *report, const char *name)
{
    const char *line = previous;
    double value = -1;
    pgd_buf prefix;

    pgd_buf_init(&prefix);
    pgd_buf_append(&prefix, name);
    append_labels(&prefix, report, NULL, NULL);
    pgd_buf_append(&prefix, " ");
    while (line != NULL && *line != '\0') {
        if (strncmp(line, prefix.data, prefix.len) == 0) {
            value = strtod(line + prefix.len, NULL);
            break;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    pgd_buf_free(&prefix);
    return value;
}

#define IN_PROGRESS "pgdrill_drill_in_progress"
#define STARTED     "pgdrill_drill_started_timestamp_seconds"

/* The drill's own progress: in progress or not, and when it started. */
static void append_progress(pgd_buf *out, const pgd_report *report, bool running, double now)
{
    double started = pgd_parse_utc(pgd_report_get_string(report, "started_at"));

    append_header(out, IN_PROGRESS, "1 while a drill of this scope runs, 0 once it has ended.");
    append_sample(out, report, IN_PROGRESS, NULL, NULL, running ? 1 : 0);
    append_header(out, STARTED, "When the last drill started (Unix time).");
    append_sample(out, report, STARTED, NULL, NULL, started >= 0 ? started : now);
}

/* Does line belong to the family name (its HELP, TYPE or a sample)? */
static bool of_family(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);

    if (len > 7 && (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)) {
        line += 7;
        len -= 7;
    }
    return len > n && strncmp(line, name, n) == 0 && (line[n] == '{' || line[n] == ' ');
}

/*
 * A drill that starts: the previous drill's results stay as they are, only
 * the progress families are replaced (an alert can see a drill stuck in
 * progress).
 */
static char *render_started(const pgd_report *report, const char *previous, double now)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (const char *line = previous; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);

        if (!of_family(line, len, IN_PROGRESS) && !of_family(line, len, STARTED)) {
            pgd_buf_append_n(&out, line, len);
            pgd_buf_append(&out, "\n");
        }
        line = eol ? eol + 1 : NULL;
    }
    append_progress(&out, report, true, now);
    return pgd_buf_steal(&out);
}

/* The WAL replay of the last drill (report.recovery), when its log said how much and how fast. */
static void append_replay(pgd_buf *out, const pgd_report *report)
{
    static const struct {
        const char *field;
        const char *name;
        const char *help;
        double scale;
    } figures[] = {
        {"wal_segments", "pgdrill_replay_wal_segments",
         "WAL segments replayed by the last drill's recovery.", 1},
        {"wal_bytes", "pgdrill_replay_wal_bytes", "Bytes of WAL replayed by the last drill.", 1},
        {"replay_seconds", "pgdrill_replay_seconds",
         "How long the last drill's WAL replay took (PostgreSQL's redo elapsed time).", 1},
        {"replay_mb_per_s", "pgdrill_replay_bytes_per_second", "WAL replay rate of the last drill.",
         1e6},
    };
    json_t *recovery = json_object_get(report->root, "recovery");

    for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
        json_t *value = json_object_get(recovery, figures[i].field);

        if (!json_is_number(value))
            continue;
        append_header(out, figures[i].name, figures[i].help);
        append_sample(out, report, figures[i].name, NULL, NULL,
                      json_number_value(value) * figures[i].scale);
    }
}

/* A drill to a past target: the report's target.kind is there and is not latest. */
static bool past_target(const pgd_report *report)
{
    const char *kind = pgd_report_get_nested(report, "target", "kind");

    return kind != NULL && strcmp(kind, "latest") != 0;
}

/* The UTC day of Unix time t (not negative), counted from 1970-01-01. */
static long utc_day(double t)
{
    return (long)(t / SECONDS_PER_DAY);
}

/*
 * The days of the coverage in the previous file for this drill's scope and stanza:
 * proven[i] for the day first + i. Days outside [first, first + COVERAGE_DAYS) are dropped:
 * that is the pruning.
 */
static void previous_days(const char *previous, const pgd_report *report, long first,
                          bool proven[COVERAGE_DAYS])
{
    pgd_buf prefix;

    pgd_buf_init(&prefix);
    pgd_buf_append(&prefix, DAY_PROVEN);
    append_labels(&prefix, report, "day", "");
    /* ... ,day=""} without its last two characters: the day's value follows */
    prefix.len -= 2;
    prefix.data[prefix.len] = '\0';
    for (const char *line = previous; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');

        if (strncmp(line, prefix.data, prefix.len) == 0 && strlen(line + prefix.len) > 13 &&
            strncmp(line + prefix.len + 10, "\"} ", 3) == 0 &&
            strtod(line + prefix.len + 13, NULL) > 0) {
            char midnight[32];
            double t;

            snprintf(midnight, sizeof(midnight), "%.10sT00:00:00Z", line + prefix.len);
            t = pgd_parse_utc(midnight);
            if (t >= 0 && utc_day(t) >= first && utc_day(t) < first + COVERAGE_DAYS)
                proven[utc_day(t) - first] = true;
        }
        line = eol ? eol + 1 : NULL;
    }
    pgd_buf_free(&prefix);
}

/*
 * Window coverage: the days of the last COVERAGE_DAYS that a passing drill to a past
 * target proved (its target instant fell on them), carried over from the previous file
 * with the day this drill proved, and how many they are.
 */
static void append_coverage(pgd_buf *out, const pgd_report *report, const char *previous,
                            double proved, double now)
{
    long first = utc_day(now) - (COVERAGE_DAYS - 1);
    bool proven[COVERAGE_DAYS] = {false};
    int count = 0;

    previous_days(previous, report, first, proven);
    if (proved >= 0 && utc_day(proved) >= first && utc_day(proved) < first + COVERAGE_DAYS)
        proven[utc_day(proved) - first] = true;
    for (int i = 0; i < COVERAGE_DAYS; i++) {
        char day[32];

        if (!proven[i])
            continue;
        if (count++ == 0)
            append_header(out, DAY_PROVEN,
                          "1 for each UTC day of the last 30 on which the instant a passing "
                          "drill to a past target restored to fell.");
        pgd_format_utc((double)(first + i) * SECONDS_PER_DAY, false, day, sizeof(day));
        day[10] = '\0';
        append_sample(out, report, DAY_PROVEN, "day", day, 1);
    }
    append_header(out, PROVEN_DATES,
                  "How many UTC days of the last 30 a passing drill to a past target proved.");
    append_sample(out, report, PROVEN_DATES, NULL, NULL, count);
}

/*
 * The window the repository reached (target.window) at the last drill whose report said;
 * a report without it (an older version, a drill that ended before choosing its target)
 * keeps the previous file's.
 */
static void append_window(pgd_buf *out, const pgd_report *report, const char *previous)
{
    static const struct {
        const char *field;
        const char *name;
        const char *help;
    } edges[] = {
        {"lower", WINDOW_LOWER,
         "The earliest instant the repository could restore to at the last drill (a second "
         "after its oldest backup set ended; Unix time)."},
        {"upper", WINDOW_UPPER,
         "The latest instant of the repository's window at the last drill (that drill's "
         "marker; Unix time)."},
    };
    json_t *window = json_object_get(json_object_get(report->root, "target"), "window");

    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        double value = pgd_parse_utc(json_string_value(json_object_get(window, edges[i].field)));

        if (value < 0)
            value = previous_value(previous, report, edges[i].name);
        if (value < 0)
            continue;
        append_header(out, edges[i].name, edges[i].help);
        append_sample(out, report, edges[i].name, NULL, NULL, value);
    }
}

char *pgd_metrics_render(const pgd_report *report, const char *previous, double now)
{
    static const char *const verdicts[] = {"passed", "failed", "inconclusive"};
    const char *verdict = pgd_report_get_string(report, "verdict");
    double finished = pgd_parse_utc(pgd_report_get_string(report, "finished_at"));
    double target = pgd_parse_utc(pgd_report_get_string(report, "target_time"));
    bool passed = verdict != NULL && strcmp(verdict, "passed") == 0;
    bool past = past_target(report);
    double last_success;
    double last_recovery_point;
    double last_past_success;
    json_t *timings = json_object_get(report->root, "timings");
    const char *phase;
    json_t *seconds;
    pgd_buf out;

    if (verdict == NULL || strcmp(verdict, "running") == 0)
        return render_started(report, previous, now);
    if (finished < 0)
        finished = now;
    last_success = passed ? finished : previous_value(previous, report, LAST_SUCCESS);
    /*
     * The newest instant proven restorable never moves back: a drill to a past target
     * proves an older instant than the drills to the latest point before it. The maximum
     * with the previous file's rather than latest drills only, so that a scope drilled
     * only to past targets has its newest proven instant too.
     */
    last_recovery_point = previous_value(previous, report, LAST_RECOVERY_POINT);
    if (passed && target > last_recovery_point)
        last_recovery_point = target;
    last_past_success =
        passed && past ? finished : previous_value(previous, report, LAST_PAST_SUCCESS);
    pgd_buf_init(&out);
    append_header(&out, "pgdrill_last_drill_timestamp_seconds",
                  "When the last restore drill ended (Unix time).");
    append_sample(&out, report, "pgdrill_last_drill_timestamp_seconds", NULL, NULL, finished);
    if (last_success >= 0) {
        append_header(&out, LAST_SUCCESS, "When the last passing restore drill ended (Unix time).");
        append_sample(&out, report, LAST_SUCCESS, NULL, NULL, last_success);
    }
    if (last_recovery_point >= 0) {
        append_header(
            &out, LAST_RECOVERY_POINT,
            "The newest recovery point (target time) proven by a passing restore drill "
            "(Unix time; a drill to a past target never moves it back); time() minus this is "
            "the age of the newest data proven restorable.");
        append_sample(&out, report, LAST_RECOVERY_POINT, NULL, NULL, last_recovery_point);
    }
    if (last_past_success >= 0) {
        append_header(&out, LAST_PAST_SUCCESS,
                      "When the last passing drill to a past target (recovery.target not "
                      "latest) ended (Unix time).");
        append_sample(&out, report, LAST_PAST_SUCCESS, NULL, NULL, last_past_success);
    }
    append_window(&out, report, previous);
    append_coverage(&out, report, previous, passed && past ? target : -1, now);
    append_header(&out, "pgdrill_drill_verdict",
                  "Verdict of the last restore drill: 1 for the verdict it had, 0 for the others.");
    /* verdict is not NULL here: a report without one is a drill that started, above. */
    for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
        append_sample(&out, report, "pgdrill_drill_verdict", "verdict", verdicts[i],
                      strcmp(verdict, verdicts[i]) == 0 ? 1 : 0);
    append_header(&out, "pgdrill_phase_duration_seconds",
                  "Duration of each phase of the last restore drill.");
    json_object_foreach(timings, phase, seconds)
    {
        append_sample(&out, report, "pgdrill_phase_duration_seconds", "phase", phase,
                      json_number_value(seconds));
    }
    if (json_is_object(json_object_get(report->root, "rto"))) {
        json_t *rto = json_object_get(report->root, "rto");

        append_header(&out, "pgdrill_rto_seconds",
                      "Restore plus recovery of the last drill: how long a real restore of "
                      "this backup would have taken.");
        append_sample(&out, report, "pgdrill_rto_seconds", NULL, NULL,
                      json_number_value(json_object_get(rto, "seconds")));
        append_header(&out, "pgdrill_rto_target_seconds", "report.rto_target of the last drill.");
        append_sample(&out, report, "pgdrill_rto_target_seconds", NULL, NULL,
                      json_number_value(json_object_get(rto, "target")));
    }
    append_replay(&out, report);
    /* A past target lies behind the drill's end on purpose: no lag of the archive. */
    if (passed && !past && target >= 0) {
        append_header(&out, "pgdrill_recovery_point_age_seconds",
                      "How far the recovery point proven by the last passing drill to the "
                      "latest point lay behind the drill's end.");
        append_sample(&out, report, "pgdrill_recovery_point_age_seconds", NULL, NULL,
                      finished - target);
    }
    append_progress(&out, report, false, now);
    return pgd_buf_steal(&out);
}

bool pgd_metrics_write(const char *path, const pgd_report *report, char **errmsg)
{
    char *ignored = NULL;
    char *previous = pgd_read_file_ex(path, 1024 * 1024, PGD_READ_NOFOLLOW, NULL, &ignored);
    char *text;
    bool ok;

    free(ignored);
    text = pgd_metrics_render(report, previous, pgd_wall_seconds());
    /* node_exporter runs as another user: the file is world-readable, it holds no secret. */
    ok = pgd_write_file_atomic(path, text, 0644, errmsg);
    free(text);
    free(previous);
    return ok;
}
