/*
 * output.c - what plan prints (output.h).
 */
#include "output.h"

#include "clock.h"
#include "xalloc.h"

#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *verdict_name(fleet_verdict verdict)
{
    switch (verdict) {
    case FLEET_VERDICT_PASSED:
        return "passed";
    case FLEET_VERDICT_FAILED:
        return "failed";
    case FLEET_VERDICT_INCONCLUSIVE:
        return "inconclusive";
    case FLEET_VERDICT_NONE:
        break;
    }
    return NULL;
}

static json_t *time_value(double t)
{
    char buf[40];

    if (isnan(t))
        return json_null();
    return json_string(pgd_format_utc(t, false, buf, sizeof(buf)));
}

static json_t *text_or_null(const char *text)
{
    return text != NULL ? json_string(text) : json_null();
}

void fleet_print_json(const fleet_plan *plan, FILE *out)
{
    for (size_t i = 0; i < plan->count; i++) {
        const fleet_row *row = &plan->rows[i];
        const fleet_facts *f = &row->facts.facts;
        char *found_in = fleet_sources_text(row->cluster->sources);
        json_t *o = json_object();
        char *text;

        json_object_set_new(o, "scope", json_string(row->cluster->scope));
        json_object_set_new(o, "found_in", json_string(found_in));
        json_object_set_new(o, "stanza", json_string(row->stanza));
        json_object_set_new(o, "leader", text_or_null(row->cluster->leader));
        json_object_set_new(o, "source_host", text_or_null(row->cluster->source_host));
        json_object_set_new(o, "source_port", text_or_null(row->cluster->source_port));
        json_object_set_new(o, "due", json_boolean(row->judgement.due));
        json_object_set_new(o, "target",
                            json_string(fleet_kind_target(&row->policy, row->judgement.kind)));
        json_object_set_new(o, "reason", json_string(fleet_reason_name(row->judgement.reason)));
        json_object_set_new(o, "last_verdict", text_or_null(verdict_name(f->last_verdict)));
        json_object_set_new(o, "last_error_class", text_or_null(row->facts.last_error_class));
        json_object_set_new(o, "last_finished_at", time_value(f->last_finished_at));
        json_object_set_new(o, "last_passed_at", time_value(f->last_passed_at));
        json_object_set_new(o, "next_due_at", time_value(row->judgement.next_due_at));
        json_object_set_new(o, "in_progress_test_id", text_or_null(row->facts.in_progress_test_id));
        json_object_set_new(o, "every", json_integer(row->policy.every));
        json_object_set_new(o, "past_target", text_or_null(row->policy.past_target));
        json_object_set_new(o, "past_every",
                            row->policy.past_target != NULL ? json_integer(row->policy.past_every)
                                                            : json_null());
        json_object_set_new(o, "last_past_verdict", text_or_null(verdict_name(f->past_verdict)));
        json_object_set_new(o, "last_past_error_class", text_or_null(row->facts.past_error_class));
        json_object_set_new(o, "last_past_finished_at", time_value(f->past_finished_at));
        json_object_set_new(o, "last_past_passed_at", time_value(f->past_passed_at));
        text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf(out, "%s\n", text);
        free(text);
        json_decref(o);
        free(found_in);
    }
}

/* "2026-12-02 10:00" (UTC), "-" for none; "now" for a due time in the past of plan's clock. */
static void short_time(double t, double now, bool due_time, char *buf, size_t size)
{
    char iso[40];

    if (isnan(t)) {
        snprintf(buf, size, "-");
        return;
    }
    if (due_time && t <= now) {
        snprintf(buf, size, "now");
        return;
    }
    pgd_format_utc(t, false, iso, sizeof(iso));
    /* 2026-12-02T10:00:37Z -> 2026-12-02 10:00 */
    snprintf(buf, size, "%.10s %.5s", iso, iso + 11);
}

#define COLUMNS 10

static const char *const headers[COLUMNS] = {
    "SCOPE",  "FOUND IN",     "STANZA",      "DUE",         "TARGET",
    "REASON", "LAST VERDICT", "LAST PASSED", "PAST PASSED", "NEXT DUE",
};

/* The cells of one row (cells[6] and later point into times). */
static void row_cells(const fleet_plan *plan, const fleet_row *row, char *found_in,
                      char times[4][40], const char *cells[COLUMNS])
{
    const fleet_facts *f = &row->facts.facts;
    const char *verdict = verdict_name(f->last_verdict);

    if (verdict != NULL && row->facts.last_error_class != NULL)
        snprintf(times[2], 40, "%s (%s)", verdict, row->facts.last_error_class);
    else
        snprintf(times[2], 40, "%s", verdict ? verdict : "-");
    short_time(f->last_passed_at, plan->now, false, times[0], 40);
    short_time(row->judgement.next_due_at, plan->now, true, times[1], 40);
    short_time(f->past_passed_at, plan->now, false, times[3], 40);
    cells[0] = row->cluster->scope;
    cells[1] = found_in;
    cells[2] = row->stanza;
    cells[3] = row->test_id ? "launched" : row->judgement.due ? "yes" : "no";
    cells[4] = fleet_kind_target(&row->policy, row->judgement.kind);
    cells[5] = fleet_reason_name(row->judgement.reason);
    cells[6] = times[2];
    cells[7] = times[0];
    cells[8] = times[3];
    cells[9] = times[1];
}

/* A cell padded to its column; the last one ends the line without trailing blanks. */
static void put_cell(FILE *out, const char *text, size_t width, bool last)
{
    if (last)
        fprintf(out, "%s\n", text);
    else
        fprintf(out, "%-*s  ", (int)width, text);
}

void fleet_print_table(const fleet_plan *plan, FILE *out)
{
    size_t width[COLUMNS];
    char *summary;

    for (int c = 0; c < COLUMNS; c++)
        width[c] = strlen(headers[c]);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (int c = 0; c < COLUMNS; c++)
                put_cell(out, headers[c], width[c], c + 1 == COLUMNS);
        }
        for (size_t i = 0; i < plan->count; i++) {
            char *found_in = fleet_sources_text(plan->rows[i].cluster->sources);
            char times[4][40];
            const char *cells[COLUMNS];

            row_cells(plan, &plan->rows[i], found_in, times, cells);
            for (int c = 0; c < COLUMNS; c++) {
                if (pass == 0 && strlen(cells[c]) > width[c])
                    width[c] = strlen(cells[c]);
                else if (pass == 1)
                    put_cell(out, cells[c], width[c], c + 1 == COLUMNS);
            }
            free(found_in);
        }
    }
    summary = fleet_plan_summary(plan);
    fprintf(out, "\n%s\n", summary);
    free(summary);
}

char *fleet_plan_summary(const fleet_plan *plan)
{
    size_t due = 0;
    size_t never = 0;
    size_t overdue = 0;
    size_t in_progress = 0;
    size_t cap_full = 0;
    char launches[128] = "";

    for (size_t i = 0; i < plan->count; i++) {
        const fleet_row *row = &plan->rows[i];

        due += row->judgement.due;
        never += isnan(row->facts.facts.last_passed_at) &&
                 row->judgement.reason != FLEET_REASON_DISABLED;
        overdue += row->judgement.reason == FLEET_REASON_OVERDUE;
        in_progress += row->judgement.reason == FLEET_REASON_IN_PROGRESS;
        cap_full += row->judgement.reason == FLEET_REASON_CAP_FULL;
    }
    if (plan->launched + plan->launch_failed + plan->never_started > 0)
        snprintf(launches, sizeof(launches),
                 "; launched %zu, %zu failed to launch, %zu ended "
                 "never_started",
                 plan->launched, plan->launch_failed, plan->never_started);
    return pgd_asprintf("%zu scope%s: %zu due (%zu waiting for the cap), %zu never proven, %zu "
                        "overdue; drills in progress: %ld of max_concurrent %ld (%zu of these "
                        "scopes)%s",
                        plan->count, plan->count == 1 ? "" : "s", due, cap_full, never, overdue,
                        plan->in_progress, plan->max_concurrent, in_progress, launches);
}
