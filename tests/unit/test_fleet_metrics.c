/*
 * test_fleet_metrics.c - the deployer's metrics file (fleet/fleet_metrics.c): per scope and
 * fleet totals after a pass that worked; after one that failed, the scopes' series of the
 * previous file kept and the failure said.
 */
#include "exitcode.h"
#include "fleet_metrics.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1796169600.0

static fleet_cluster clusters[4];
static fleet_row rows[4];

/* Four scopes: proven, overdue, never proven and in progress, disabled. */
static void make_plan(fleet_plan *plan, fleet_config *cfg)
{
    static const char *const scopes[] = {"alpha", "beta", "gamma", "off"};

    memset(plan, 0, sizeof(*plan));
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_concurrent = 2;
    cfg->tick = 300;
    for (int i = 0; i < 4; i++) {
        memset(&clusters[i], 0, sizeof(clusters[i]));
        memset(&rows[i], 0, sizeof(rows[i]));
        clusters[i].scope = (char *)scopes[i];
        rows[i].cluster = &clusters[i];
        rows[i].stanza = (char *)scopes[i];
        rows[i].policy.enabled = true;
        rows[i].policy.every = 86400;
        rows[i].facts.facts.last_finished_at = NAN;
        rows[i].facts.facts.last_passed_at = NAN;
    }
    rows[0].facts.facts.last_passed_at = NOW - 3600;
    rows[1].facts.facts.last_passed_at = NOW - 90000;
    rows[2].facts.facts.in_progress = true;
    rows[3].policy.enabled = false;
    rows[3].facts.facts.last_passed_at = NOW - 900000;
    plan->rows = rows;
    plan->count = 4;
    plan->now = NOW;
    plan->in_progress = 1;
    plan->launched = 1;
    plan->started_at = NOW - 2;
    plan->duration = 1.5;
    plan->inventory_ok = true;
    plan->history_ok = true;
}

static void assert_has(const char *text, const char *line)
{
    if (strstr(text, line) == NULL)
        fail_msg("missing \"%s\" in:\n%s", line, text);
}

static void test_pass_worked(void **state)
{
    fleet_plan plan;
    fleet_config cfg;
    char *text;

    (void)state;
    make_plan(&plan, &cfg);
    text = fleet_metrics_render(&cfg, &plan, PGD_EXIT_OK, NULL);
    assert_has(text, "# TYPE pgdrill_fleet_scope_overdue gauge\n");
    assert_has(text, "pgdrill_fleet_scope_last_success_timestamp_seconds{scope=\"alpha\","
                     "stanza=\"alpha\"} 1796166000.000\n");
    assert_has(text, "pgdrill_fleet_scope_last_success_age_seconds{scope=\"beta\",stanza=\"beta\"}"
                     " 90000.000\n");
    assert_null(strstr(text, "pgdrill_fleet_scope_last_success_age_seconds{scope=\"gamma\""));
    assert_has(text, "pgdrill_fleet_scope_overdue{scope=\"alpha\",stanza=\"alpha\"} 0.000\n");
    assert_has(text, "pgdrill_fleet_scope_overdue{scope=\"beta\",stanza=\"beta\"} 1.000\n");
    assert_has(text, "pgdrill_fleet_scope_overdue{scope=\"gamma\",stanza=\"gamma\"} 0.000\n");
    assert_has(text, "pgdrill_fleet_scope_overdue{scope=\"off\",stanza=\"off\"} 0.000\n");
    assert_has(text, "pgdrill_fleet_scope_never_proven{scope=\"gamma\",stanza=\"gamma\"} 1.000\n");
    assert_has(text, "pgdrill_fleet_scope_in_progress{scope=\"gamma\",stanza=\"gamma\"} 1.000\n");
    assert_has(text, "pgdrill_fleet_scope_enabled{scope=\"off\",stanza=\"off\"} 0.000\n");
    assert_has(text, "pgdrill_fleet_scope_interval_seconds{scope=\"alpha\",stanza=\"alpha\"} "
                     "86400.000\n");
    assert_has(text, "\npgdrill_fleet_scopes 4.000\n");
    assert_has(text, "\npgdrill_fleet_scopes_proven 1.000\n");
    assert_has(text, "\npgdrill_fleet_scopes_overdue 1.000\n");
    assert_has(text, "\npgdrill_fleet_scopes_never_proven 1.000\n");
    assert_has(text, "\npgdrill_fleet_drills_in_progress 2.000\n");
    assert_has(text, "\npgdrill_fleet_last_pass_timestamp_seconds 1796169599.500\n");
    assert_has(text, "\npgdrill_fleet_last_pass_duration_seconds 1.500\n");
    assert_has(text, "\npgdrill_fleet_last_pass_success 1.000\n");
    assert_has(text, "\npgdrill_fleet_inventory_up 1.000\n");
    assert_has(text, "\npgdrill_fleet_max_concurrent 2.000\n");
    assert_has(text, "\npgdrill_fleet_tick_seconds 300.000\n");
    assert_has(text, "pgdrill_fleet_last_pass_launches{outcome=\"launched\"} 1\n");
    assert_has(text, "pgdrill_fleet_last_pass_launches{outcome=\"never_started\"} 0\n");
    free(text);
}

/* A scope name with a quote is escaped as the exposition format says. */
static void test_label_escaping(void **state)
{
    fleet_plan plan;
    fleet_config cfg;
    char *text;

    (void)state;
    make_plan(&plan, &cfg);
    clusters[0].scope = "a\"b\\c";
    text = fleet_metrics_render(&cfg, &plan, PGD_EXIT_OK, NULL);
    assert_has(text, "pgdrill_fleet_scope_enabled{scope=\"a\\\"b\\\\c\",stanza=\"alpha\"} 1.000\n");
    free(text);
}

/* The inventory could not be read: the scopes stay as the last pass saw them, marked stale. */
static void test_pass_failed(void **state)
{
    fleet_plan plan;
    fleet_config cfg;
    char *previous;
    char *text;

    (void)state;
    make_plan(&plan, &cfg);
    previous = fleet_metrics_render(&cfg, &plan, PGD_EXIT_OK, NULL);
    memset(&plan, 0, sizeof(plan));
    text = fleet_metrics_render(&cfg, &plan, PGD_EXIT_INCONCLUSIVE, previous);
    assert_has(text, "pgdrill_fleet_scope_overdue{scope=\"beta\",stanza=\"beta\"} 1.000\n");
    assert_has(text, "# HELP pgdrill_fleet_scope_overdue ");
    assert_has(text, "\npgdrill_fleet_scopes 4.000\n");
    assert_has(text, "\npgdrill_fleet_last_pass_timestamp_seconds 1796169599.500\n");
    assert_has(text, "\npgdrill_fleet_last_pass_success 0.000\n");
    assert_has(text, "\npgdrill_fleet_inventory_up 0.000\n");
    assert_has(text, "pgdrill_fleet_last_pass_launches{outcome=\"launched\"} 0\n");
    /* the failure's own series once, not carried */
    assert_null(strstr(strstr(text, "pgdrill_fleet_last_pass_success 0.000") + 1,
                       "pgdrill_fleet_last_pass_success"));
    free(text);
    /* no previous file: only what the failed pass knows */
    plan.inventory_ok = true;
    text = fleet_metrics_render(&cfg, &plan, PGD_EXIT_INCONCLUSIVE, NULL);
    assert_null(strstr(text, "pgdrill_fleet_scopes "));
    assert_has(text, "\npgdrill_fleet_inventory_up 1.000\n");
    free(text);
    free(previous);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_worked),
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_pass_failed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
