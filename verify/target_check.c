/*
 * target_check.c - target: the markers on both sides of a past target.
 *
 * bootstrap kept the source's marker rows in the report (target.source_rows)
 * when it chose the instant; the copy's rows are read here, in the marker's
 * database. Every row committed at or before the target must be in the copy,
 * every one committed after it must not, with one on each side
 * (docs/design.md, F77): that is where recovery stopped. For a past target
 * this replaces the marker and fence checks, whose rows are its upper side.
 */
#include "target_check.h"

#include "clock.h"
#include "marker.h"
#include "target_rows.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* A report's commit_slack_seconds beyond a day is not bootstrap's. */
#define PGD_MAX_SLACK_S 86400

bool verify_past_target(const pgd_report *report)
{
    const char *kind = pgd_report_get_nested(report, "target", "kind");

    return kind != NULL && strcmp(kind, "latest") != 0;
}

static bool past_target_applies(const pgd_config *cfg, const pgd_report *report)
{
    (void)cfg;
    return verify_past_target(report);
}

static bool gather_target(verify_run *run, void *facts, char **errmsg)
{
    target_facts *f = facts;
    json_t *target = json_object_get(run->report->root, "target");
    const char *time = pgd_report_get_string(run->report, "target_time");
    const char *why = NULL;
    PGconn *conn;
    PGresult *res;
    json_t *slack;
    pgd_bracket b;

    if (time == NULL || !pgd_parse_timestamp_us(time, &f->target_us, &why)) {
        *errmsg =
            pgd_asprintf("the report's target_time is not an instant (%s)", why ? why : "missing");
        return false;
    }
    conn = verify_marker_session(run, &f->dbname, errmsg);
    if (conn == NULL)
        return false;
    res = pgd_marker_rows(conn, run->cfg->marker.schema, run->cfg->marker.table,
                          verify_query_timeout(run), &f->table_missing, errmsg);
    if (res == NULL && !f->table_missing)
        return false;
    f->copy = res != NULL ? pgd_target_rows_json(res) : json_array();
    PQclear(res);
    if (f->copy == NULL) {
        *errmsg = pgd_strdup("a marker row of the copy has a test id that is not UTF-8");
        return false;
    }
    if (!pgd_target_rows_merge(json_object_get(target, "source_rows"), f->copy, &f->rows, &f->n,
                               errmsg))
        return false;
    /* The slack bootstrap judged with (target_choice.c), else as long as its INSERTs may take. */
    slack = json_object_get(target, "commit_slack_seconds");
    pgd_marker_bound_commits(
        f->rows, f->n,
        json_is_integer(slack) && json_integer_value(slack) > 0 &&
                json_integer_value(slack) < PGD_MAX_SLACK_S
            ? (int64_t)json_integer_value(slack) * 1000000
            : pgd_marker_statement_timeout_ms(run->cfg->source.connect_timeout) * 1000);

    /* The bracketing rows, for the report (the judge says the same in words). */
    pgd_target_bracket(f->rows, f->n, f->target_us, &b);
    if (b.lower < f->n)
        json_object_set_new(target, "lower", pgd_target_row_json(&f->rows[b.lower]));
    if (b.upper < f->n)
        json_object_set_new(target, "upper", pgd_target_row_json(&f->rows[b.upper]));
    free(b.why);
    return true;
}

static void free_target_facts(void *facts)
{
    target_facts *f = facts;

    free(f->rows);
    free(f->dbname);
    json_decref(f->copy);
}

static const char *kind_of(const pgd_marker_row *row)
{
    return row->fence ? PGD_MARKER_KIND_FENCE : PGD_MARKER_KIND_MARKER;
}

void judge_target(const void *facts, check_result *out)
{
    const target_facts *f = facts;
    pgd_bracket b;
    char target[40];
    char lower[40];
    char upper[40];

    pgd_target_bracket(f->rows, f->n, f->target_us, &b);
    pgd_format_us(f->target_us, PGD_US_REPORT, target, sizeof(target));
    switch (b.result) {
    case PGD_BRACKET_PASS:
        check_result_set(
            out, CHECK_PASSED, PGD_ERR_NONE, NULL,
            "recovery stopped at %s: the %s of test %s (written at %s) and every row committed "
            "before it are in database %s, the %s of test %s (written at %s) and every row "
            "committed after it are not (%zu rows judged, %zu too close to the target to judge)",
            target, kind_of(&f->rows[b.lower]), f->rows[b.lower].test_id,
            pgd_format_us(f->rows[b.lower].created_us, PGD_US_REPORT, lower, sizeof(lower)),
            f->dbname, kind_of(&f->rows[b.upper]), f->rows[b.upper].test_id,
            pgd_format_us(f->rows[b.upper].created_us, PGD_US_REPORT, upper, sizeof(upper)),
            f->n - b.undecided, b.undecided);
        break;
    case PGD_BRACKET_MISMATCH:
        check_result_set(out, CHECK_FAILED, PGD_ERR_TARGET_MISMATCH, NULL, "%s (database %s%s)",
                         b.why, f->dbname, f->table_missing ? ", which has no marker table" : "");
        break;
    case PGD_BRACKET_INCONCLUSIVE:
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_TARGET_UNREACHABLE,
                         "run latest drills regularly: their markers are what a past target is "
                         "proven with",
                         "%s", b.why);
        break;
    }
    free(b.why);
}

const check_def check_target = {
    .name = "target",
    .runs = CHECK_ONCE,
    .finding = PGD_ERR_TARGET_MISMATCH,
    .applies = past_target_applies,
    .facts_size = sizeof(target_facts),
    .gather = gather_target,
    .judge = judge_target,
    .free_facts = free_target_facts,
};
