/*
 * fleet_metrics.c - the deployer's metrics file (fleet_metrics.h).
 */
#include "fleet_metrics.h"

#include "exitcode.h"
#include "fsutil.h"
#include "xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PREVIOUS_MAX_BYTES (64L * 1024 * 1024)

/* Series that describe the fleet: a failed pass keeps them from the file it replaces. */
static const char *const carried[] = {
    "pgdrill_fleet_scope_last_success_timestamp_seconds",
    "pgdrill_fleet_scope_last_success_age_seconds",
    "pgdrill_fleet_scope_overdue",
    "pgdrill_fleet_scope_never_proven",
    "pgdrill_fleet_scope_in_progress",
    "pgdrill_fleet_scope_interval_seconds",
    "pgdrill_fleet_scope_enabled",
    "pgdrill_fleet_scopes",
    "pgdrill_fleet_scopes_proven",
    "pgdrill_fleet_scopes_overdue",
    "pgdrill_fleet_scopes_never_proven",
    "pgdrill_fleet_drills_in_progress",
    "pgdrill_fleet_last_pass_timestamp_seconds",
    "pgdrill_fleet_last_pass_duration_seconds",
};

typedef struct metric {
    const char *name;
    const char *help;
} metric;

/* The per-scope series, in the file's order. */
enum {
    M_LAST_SUCCESS,
    M_AGE,
    M_OVERDUE,
    M_NEVER,
    M_IN_PROGRESS,
    M_INTERVAL,
    M_ENABLED,
    N_SCOPE_METRICS
};

static const metric scope_metrics[N_SCOPE_METRICS] = {
    [M_LAST_SUCCESS] = {"pgdrill_fleet_scope_last_success_timestamp_seconds",
                        "end of the scope's last passing drill (absent: never proven)"},
    [M_AGE] = {"pgdrill_fleet_scope_last_success_age_seconds",
               "age of the scope's last passing drill at the pass"},
    [M_OVERDUE] = {"pgdrill_fleet_scope_overdue",
                   "1: the scope's last proof is older than its interval"},
    [M_NEVER] = {"pgdrill_fleet_scope_never_proven", "1: no drill of the scope ever passed"},
    [M_IN_PROGRESS] = {"pgdrill_fleet_scope_in_progress", "1: a drill of the scope is in progress"},
    [M_INTERVAL] = {"pgdrill_fleet_scope_interval_seconds", "the scope's every"},
    [M_ENABLED] = {"pgdrill_fleet_scope_enabled", "0: the scope is disabled by its policy"},
};

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

static void header(pgd_buf *out, const char *name, const char *help)
{
    pgd_buf_appendf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void gauge(pgd_buf *out, const char *name, const char *help, double value)
{
    header(out, name, help);
    pgd_buf_appendf(out, "%s %.3f\n", name, value);
}

/* The value of one per-scope metric for row; NAN: no sample. */
static double scope_value(int m, const fleet_row *row, double now)
{
    const fleet_facts *f = &row->facts.facts;
    bool proven = !isnan(f->last_passed_at);

    switch (m) {
    case M_LAST_SUCCESS:
        return f->last_passed_at;
    case M_AGE:
        return proven ? now - f->last_passed_at : NAN;
    case M_OVERDUE:
        return row->policy.enabled && proven &&
               now - f->last_passed_at >= (double)row->policy.every;
    case M_NEVER:
        return !proven;
    case M_IN_PROGRESS:
        return f->in_progress || row->test_id != NULL;
    case M_INTERVAL:
        return (double)row->policy.every;
    case M_ENABLED:
        return row->policy.enabled;
    default:
        return NAN;
    }
}

static void render_scopes(pgd_buf *out, const fleet_plan *plan)
{
    for (int m = 0; m < N_SCOPE_METRICS; m++) {
        size_t samples = 0;

        for (size_t i = 0; i < plan->count; i++)
            samples += !isnan(scope_value(m, &plan->rows[i], plan->now));
        /* a family without samples is left out (a fleet that nothing ever proved) */
        if (samples > 0)
            header(out, scope_metrics[m].name, scope_metrics[m].help);
        for (size_t i = 0; i < plan->count; i++) {
            const fleet_row *row = &plan->rows[i];
            double value = scope_value(m, row, plan->now);

            if (isnan(value))
                continue;
            pgd_buf_appendf(out, "%s{scope=", scope_metrics[m].name);
            append_label_value(out, row->cluster->scope);
            pgd_buf_append(out, ",stanza=");
            append_label_value(out, row->stanza);
            pgd_buf_appendf(out, "} %.3f\n", value);
        }
    }
}

static void render_totals(pgd_buf *out, const fleet_plan *plan)
{
    size_t proven = 0;
    size_t overdue = 0;
    size_t never = 0;

    for (size_t i = 0; i < plan->count; i++) {
        const fleet_row *row = &plan->rows[i];

        never += scope_value(M_NEVER, row, plan->now) == 1;
        overdue += scope_value(M_OVERDUE, row, plan->now) == 1;
        proven += row->policy.enabled && !isnan(row->facts.facts.last_passed_at) &&
                  scope_value(M_OVERDUE, row, plan->now) == 0;
    }
    gauge(out, "pgdrill_fleet_scopes", "scopes known to the last pass", (double)plan->count);
    gauge(out, "pgdrill_fleet_scopes_proven", "enabled scopes proven within their interval",
          (double)proven);
    gauge(out, "pgdrill_fleet_scopes_overdue",
          "scopes whose last proof is older than their interval", (double)overdue);
    gauge(out, "pgdrill_fleet_scopes_never_proven", "scopes no drill of which ever passed",
          (double)never);
    gauge(out, "pgdrill_fleet_drills_in_progress",
          "drills in progress in the fleet after the pass's launches",
          (double)plan->in_progress + (double)plan->launched);
    gauge(out, "pgdrill_fleet_last_pass_timestamp_seconds", "end of the last pass that worked",
          plan->started_at + plan->duration);
    gauge(out, "pgdrill_fleet_last_pass_duration_seconds", "duration of the last pass that worked",
          plan->duration);
}

/* The metric name a line of the exposition format is about ("" for other comments). */
static size_t line_name(const char *line, const char **name)
{
    if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)
        line += 7;
    else if (line[0] == '#') {
        *name = line;
        return 0;
    }
    *name = line;
    return strcspn(line, "{ ");
}

/* The fleet's series of the previous file (a pass that failed has no newer ones). */
static void carry_over(pgd_buf *out, const char *previous)
{
    const char *line = previous;

    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *name;
        size_t name_len = line_name(line, &name);

        for (size_t i = 0; name_len > 0 && i < sizeof(carried) / sizeof(carried[0]); i++) {
            if (strlen(carried[i]) == name_len && strncmp(carried[i], name, name_len) == 0) {
                pgd_buf_append_n(out, line, len);
                pgd_buf_append(out, "\n");
                break;
            }
        }
        line = end ? end + 1 : NULL;
    }
}

char *fleet_metrics_render(const fleet_config *cfg, const fleet_plan *plan, int rc,
                           const char *previous)
{
    static const char *const outcomes[] = {"launched", "launch_failed", "never_started"};
    size_t counts[] = {plan->launched, plan->launch_failed, plan->never_started};
    bool worked = rc == PGD_EXIT_OK && plan->history_ok;
    pgd_buf out;

    pgd_buf_init(&out);
    if (worked) {
        render_scopes(&out, plan);
        render_totals(&out, plan);
    } else
        carry_over(&out, previous);
    gauge(&out, "pgdrill_fleet_last_pass_success",
          "1: the last pass read the inventory and the history (0: nothing was launched)",
          worked ? 1 : 0);
    gauge(&out, "pgdrill_fleet_inventory_up",
          "1: every inventory source answered at the last pass (0: the list of scopes is stale)",
          plan->inventory_ok ? 1 : 0);
    gauge(&out, "pgdrill_fleet_max_concurrent", "the fleet-wide cap", (double)cfg->max_concurrent);
    gauge(&out, "pgdrill_fleet_tick_seconds", "the time between passes (tick)", (double)cfg->tick);
    header(&out, "pgdrill_fleet_last_pass_launches", "launches of the last pass, by outcome");
    for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
        pgd_buf_appendf(&out, "pgdrill_fleet_last_pass_launches{outcome=\"%s\"} %zu\n", outcomes[i],
                        worked ? counts[i] : 0);
    return pgd_buf_steal(&out);
}

bool fleet_metrics_write(const fleet_config *cfg, const fleet_plan *plan, int rc, char **errmsg)
{
    char *previous = NULL;
    char *why = NULL;
    char *text;
    bool ok;

    /* a missing or unreadable old file only means nothing to carry over */
    previous =
        pgd_read_file_ex(cfg->metrics_file, PREVIOUS_MAX_BYTES, PGD_READ_NOFOLLOW, NULL, &why);
    free(why);
    text = fleet_metrics_render(cfg, plan, rc, previous);
    ok = pgd_write_file_atomic(cfg->metrics_file, text, 0644, errmsg);
    free(text);
    free(previous);
    return ok;
}
