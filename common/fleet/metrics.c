/*
 * metrics.c - the Prometheus textfile-collector file.
 */
#include "metrics.h"

#include "clock.h"
#include "fsutil.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define LAST_SUCCESS        "pgdrill_last_success_timestamp_seconds"
#define LAST_RECOVERY_POINT "pgdrill_last_success_recovery_point_timestamp_seconds"

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

char *pgd_metrics_render(const pgd_report *report, const char *previous, double now)
{
    static const char *const verdicts[] = {"passed", "failed", "inconclusive"};
    const char *verdict = pgd_report_get_string(report, "verdict");
    double finished = pgd_parse_utc(pgd_report_get_string(report, "finished_at"));
    double target = pgd_parse_utc(pgd_report_get_string(report, "target_time"));
    bool passed = verdict != NULL && strcmp(verdict, "passed") == 0;
    double last_success;
    double last_recovery_point;
    json_t *timings = json_object_get(report->root, "timings");
    const char *phase;
    json_t *seconds;
    pgd_buf out;

    if (verdict == NULL || strcmp(verdict, "running") == 0)
        return render_started(report, previous, now);
    if (finished < 0)
        finished = now;
    last_success = passed ? finished : previous_value(previous, report, LAST_SUCCESS);
    last_recovery_point = passed ? target : previous_value(previous, report, LAST_RECOVERY_POINT);
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
            "The recovery point (target time) proven by the last passing restore drill "
            "(Unix time); time() minus this is the age of the newest data proven restorable.");
        append_sample(&out, report, LAST_RECOVERY_POINT, NULL, NULL, last_recovery_point);
    }
    append_header(&out, "pgdrill_drill_verdict",
                  "Verdict of the last restore drill: 1 for the verdict it had, 0 for the others.");
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
    if (passed && target >= 0) {
        append_header(&out, "pgdrill_recovery_point_age_seconds",
                      "How far the recovery point proven by the last passing drill lay behind "
                      "the drill's end.");
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
