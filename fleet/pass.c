/*
 * pass.c - one pass of the deployer (pass.h).
 */
#include "pass.h"

#include "clock.h"
#include "etcd.h"
#include "kube_inventory.h"
#include "exitcode.h"
#include "log.h"
#include "runner.h"
#include "signals.h"
#include "template.h"
#include "verdict.h"
#include "xalloc.h"

#include <jansson.h>
#include <uuid/uuid.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HISTORY_CONNECT_TIMEOUT_S 10

void fleet_plan_free(fleet_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        free(plan->rows[i].stanza);
        fleet_scope_facts_free(&plan->rows[i].facts);
        free(plan->rows[i].test_id);
        free(plan->rows[i].launch_error);
    }
    free(plan->rows);
    fleet_launch_rows_free(&plan->ended);
    fleet_inventory_free(&plan->inventory);
    free(plan->error);
    memset(plan, 0, sizeof(*plan));
}

static int fail_pass(fleet_plan *plan, char *error)
{
    free(plan->error);
    plan->error = error;
    pgd_error("%s; nothing was launched", error);
    return PGD_EXIT_INCONCLUSIVE;
}

/* The static list's clusters: their address stands unless a DCS knows the scope's leader. */
static void add_static(const fleet_config *cfg, fleet_inventory *inventory)
{
    for (size_t i = 0; i < cfg->inventory.static_clusters.count; i++) {
        const fleet_static_cluster *s = fleet_config_static(cfg, i);
        fleet_cluster *cluster = fleet_inventory_cluster(inventory, s->scope, FLEET_SOURCE_STATIC);

        free(cluster->source_host);
        free(cluster->source_port);
        free(cluster->stanza);
        cluster->source_host = pgd_strdup(s->host);
        cluster->source_port = pgd_asprintf("%ld", s->port);
        cluster->stanza = s->stanza != NULL ? pgd_strdup(s->stanza) : NULL;
    }
}

/* Every source of the configuration; false (with plan->error) when one could not be read. */
static bool gather(const fleet_config *cfg, fleet_plan *plan)
{
    char *why = NULL;
    int64_t start = pgd_monotonic_ms();

    fleet_inventory_init(&plan->inventory);
    if (cfg->inventory.etcd.endpoints.count > 0 && !fleet_etcd_read(cfg, &plan->inventory, &why)) {
        plan->error = pgd_asprintf("could not read the fleet from etcd: %s", why);
        free(why);
        return false;
    }
    if (cfg->inventory.kubernetes.enabled &&
        !fleet_kube_read_inventory(cfg, &plan->inventory, &why)) {
        plan->error = pgd_asprintf("could not read the fleet from Kubernetes: %s", why);
        free(why);
        return false;
    }
    add_static(cfg, &plan->inventory);
    fleet_inventory_finish(&plan->inventory);
    plan->inventory_ok = true;
    /* scripts/bench-fleet.py reads these timings (README Performance) */
    pgd_debug("inventory: %zu scopes in %.3f s", plan->inventory.count,
              (double)(pgd_monotonic_ms() - start) / 1000.0);
    return true;
}

/* A drill's values for the templates; found_in and drill_name are the caller's to free. */
static void row_vars(const fleet_row *row, const char *test_id, fleet_vars *vars, char **found_in,
                     char **drill_name)
{
    const fleet_cluster *c = row->cluster;

    memset(vars, 0, sizeof(*vars));
    *found_in = fleet_sources_text(c->sources);
    *drill_name = test_id ? fleet_drill_name(c->scope, test_id) : NULL;
    vars->value[FLEET_PH_SCOPE] = c->scope;
    vars->value[FLEET_PH_STANZA] = row->stanza;
    vars->value[FLEET_PH_TEST_ID] = test_id;
    vars->value[FLEET_PH_SOURCE_HOST] = c->source_host;
    vars->value[FLEET_PH_SOURCE_PORT] = c->source_port;
    vars->value[FLEET_PH_LEADER] = c->leader;
    vars->value[FLEET_PH_API_URL] = c->source_api_url;
    vars->value[FLEET_PH_FOUND_IN] = *found_in;
    vars->value[FLEET_PH_DRILL_NAME] = *drill_name;
    /* a launch names its target always: the fleet's bookkeeping of kinds relies on it */
    vars->value[FLEET_PH_RECOVERY_TARGET] =
        test_id ? fleet_kind_target(&row->policy, row->judgement.kind) : NULL;
}

/* One row per cluster, with its policy and stanza. */
static void build_rows(const fleet_config *cfg, fleet_plan *plan)
{
    plan->count = plan->inventory.count;
    plan->rows = pgd_calloc(plan->count + 1, sizeof(*plan->rows));
    for (size_t i = 0; i < plan->count; i++) {
        fleet_row *row = &plan->rows[i];
        const char *stanza_template;
        char *found_in;
        char *drill_name;
        fleet_vars vars;

        row->cluster = &plan->inventory.items[i];
        fleet_config_policy_for(cfg, row->cluster->scope, &row->policy, &stanza_template);
        if (row->cluster->stanza != NULL)
            stanza_template = row->cluster->stanza;
        row_vars(row, NULL, &vars, &found_in, &drill_name);
        row->stanza = fleet_template_expand(stanza_template, &vars);
        free(found_in);
        free(drill_name);
    }
}

/* The facts of every row, the fleet's count and the clock; false with plan->error. */
static bool read_facts(const fleet_config *cfg, fleet_ledger *ledger, bool history_exists,
                       fleet_plan *plan)
{
    const char **scopes = pgd_calloc(plan->count + 1, sizeof(*scopes));
    int64_t start = pgd_monotonic_ms();
    char *why = NULL;
    bool ok;

    for (size_t i = 0; i < plan->count; i++)
        scopes[i] = plan->rows[i].cluster->scope;
    ok = fleet_ledger_now(ledger, &plan->now, &why);
    if (ok && history_exists) {
        fleet_scope_facts *facts = pgd_calloc(plan->count + 1, sizeof(*facts));

        ok = fleet_ledger_in_progress(ledger, cfg->stale_after, cfg->launch_timeout,
                                      &plan->in_progress, &why) &&
             fleet_ledger_facts(ledger, scopes, plan->count, cfg->stale_after, facts, &why);
        for (size_t i = 0; ok && i < plan->count; i++)
            plan->rows[i].facts = facts[i];
        free(facts);
    } else {
        for (size_t i = 0; i < plan->count; i++) {
            fleet_facts *f = &plan->rows[i].facts.facts;

            f->last_finished_at = f->last_passed_at = f->in_progress_since = NAN;
            f->past_finished_at = f->past_passed_at = NAN;
        }
    }
    free(scopes);
    if (!ok) {
        plan->error = pgd_asprintf("could not read the status history: %s", why);
        free(why);
    } else
        pgd_debug("history: facts of %zu scopes in %.3f s", plan->count,
                  (double)(pgd_monotonic_ms() - start) / 1000.0);
    return ok;
}

static void judge_all(const fleet_config *cfg, fleet_plan *plan)
{
    fleet_candidate *candidates = pgd_calloc(plan->count + 1, sizeof(*candidates));

    plan->max_concurrent = cfg->max_concurrent;
    for (size_t i = 0; i < plan->count; i++) {
        fleet_row *row = &plan->rows[i];

        row->judgement =
            fleet_judge(&row->policy, &row->facts.facts, row->cluster->source_host != NULL,
                        cfg->launch_timeout, plan->now);
        candidates[i].scope = row->cluster->scope;
        candidates[i].facts = &row->facts.facts;
        candidates[i].judgement = &row->judgement;
    }
    fleet_apply_cap(candidates, plan->count, plan->in_progress, cfg->max_concurrent);
    free(candidates);
}

static char *new_test_id(void)
{
    uuid_t uuid;
    char text[37];

    uuid_generate_random(uuid);
    uuid_unparse_lower(uuid, text);
    return pgd_strdup(text);
}

/* The "scheduled" row's detail: what a later pass and an SRE need to know of the launch. */
static const char *runner_name(const fleet_config *cfg)
{
    return cfg->launch.kubernetes.enabled ? FLEET_RUNNER_KUBERNETES : FLEET_RUNNER_COMMAND;
}

static json_t *launch_detail(const fleet_config *cfg, const fleet_row *row, const fleet_vars *vars)
{
    char host[256] = "";
    json_t *detail;

    gethostname(host, sizeof(host) - 1);
    detail =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s,s:I}", "runner", runner_name(cfg),
                  "reason", fleet_reason_name(row->judgement.reason), "target_kind",
                  vars->value[FLEET_PH_RECOVERY_TARGET], "found_in", vars->value[FLEET_PH_FOUND_IN],
                  "drill_name", vars->value[FLEET_PH_DRILL_NAME], "source_host",
                  vars->value[FLEET_PH_SOURCE_HOST], "source_port",
                  vars->value[FLEET_PH_SOURCE_PORT], "leader", vars->value[FLEET_PH_LEADER],
                  "deployer_host", host, "deployer_pid", (json_int_t)getpid());
    return detail;
}

/* The "scheduled" rows of every launch, in the locked transaction. */
static bool schedule(const fleet_config *cfg, fleet_ledger *ledger, fleet_plan *plan, char **why)
{
    for (size_t i = 0; i < plan->count; i++) {
        fleet_row *row = &plan->rows[i];
        char *found_in;
        char *drill_name;
        fleet_vars vars;
        json_t *detail;
        bool ok;

        if (!row->judgement.launch)
            continue;
        row->test_id = new_test_id();
        row_vars(row, row->test_id, &vars, &found_in, &drill_name);
        detail = launch_detail(cfg, row, &vars);
        ok = fleet_ledger_append(ledger, row->test_id, row->cluster->scope, row->stanza,
                                 "scheduled", NULL, detail, why);
        json_decref(detail);
        free(found_in);
        free(drill_name);
        if (!ok)
            return false;
    }
    return true;
}

/* A launch that failed ends at once, inconclusive (launch_failed): it must not block the cap. */
static void record_launch_failure(const fleet_config *cfg, fleet_ledger *ledger, fleet_row *row,
                                  const char *message)
{
    /* the kind too: the launch's failure counts against its kind's retry */
    json_t *detail =
        json_pack("{s:s,s:s,s:s}", "runner", runner_name(cfg), "target_kind",
                  fleet_kind_target(&row->policy, row->judgement.kind), "message", message);
    char *why = NULL;

    if (!fleet_ledger_append(ledger, row->test_id, row->cluster->scope, row->stanza, "inconclusive",
                             pgd_error_class_name(PGD_ERR_LAUNCH_FAILED), detail, &why)) {
        pgd_error("could not record the failed launch of %s (test id %s): %s; it counts as "
                  "never started after launch_timeout",
                  row->cluster->scope, row->test_id, why);
        free(why);
    }
    json_decref(detail);
}

/* One drill through the configured runner; false with *why. */
static bool launch_one(const fleet_config *cfg, const fleet_kube *kube, const fleet_vars *vars,
                       char **why)
{
    if (!cfg->launch.kubernetes.enabled)
        return fleet_command_launch(cfg, vars, why);
    if (kube == NULL) {
        *why = pgd_strdup("the Kubernetes API could not be opened (see above)");
        return false;
    }
    return fleet_kube_launch(cfg, kube, vars, why);
}

static void launch_all(const fleet_config *cfg, const fleet_kube *kube, fleet_ledger *ledger,
                       fleet_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        fleet_row *row = &plan->rows[i];
        char *found_in;
        char *drill_name;
        fleet_vars vars;
        char *why = NULL;

        if (row->test_id == NULL)
            continue;
        row_vars(row, row->test_id, &vars, &found_in, &drill_name);
        if (pgd_interrupted() != 0)
            why = pgd_strdup("not launched: pgdrill-fleet received a termination signal");
        else if (launch_one(cfg, kube, &vars, &why)) {
            plan->launched++;
            pgd_info("launched drill %s of scope %s (stanza %s, recovery target %s, %s)",
                     row->test_id, row->cluster->scope, row->stanza,
                     vars.value[FLEET_PH_RECOVERY_TARGET],
                     fleet_reason_name(row->judgement.reason));
        }
        if (why != NULL) {
            pgd_error("launch of scope %s (test id %s) failed: %s", row->cluster->scope,
                      row->test_id, why);
            /* a stopped deployer still records what it did not start */
            if (pgd_interrupted() != 0)
                pgd_signals_hold();
            record_launch_failure(cfg, ledger, row, why);
            row->launch_error = why;
            plan->launch_failed++;
        }
        free(found_in);
        free(drill_name);
    }
}

/* The row of scope in the plan, or NULL (a scope that left the inventory). */
static const fleet_row *row_of(const fleet_plan *plan, const char *scope)
{
    for (size_t i = 0; i < plan->count; i++) {
        if (strcmp(plan->rows[i].cluster->scope, scope) == 0)
            return &plan->rows[i];
    }
    return NULL;
}

/* The cleanup command of every launch that ended, once. */
static void clean_up(const fleet_config *cfg, const fleet_kube *kube, fleet_ledger *ledger,
                     fleet_plan *plan)
{
    fleet_launch_rows due;
    char *why = NULL;

    if (pgd_interrupted() != 0)
        return;
    if (cfg->launch.kubernetes.enabled) {
        if (kube != NULL)
            plan->cleaned += fleet_kube_cleanup(cfg, kube, plan->now, &plan->ended);
        return;
    }
    if (cfg->launch.cleanup.count == 0)
        return;
    if (!fleet_ledger_cleanup_due(ledger, FLEET_RUNNER_COMMAND, cfg->stale_after, &due, &why)) {
        pgd_warn("could not find the drills to clean up after: %s", why);
        free(why);
        return;
    }
    for (size_t i = 0; i < due.count && pgd_interrupted() == 0; i++) {
        const fleet_launch_row *launch = &due.items[i];
        const fleet_row *row = row_of(plan, launch->scope);
        fleet_vars vars;
        char *error = NULL;
        const char *outcome = "done";

        /* what the launch was given, from its row: the scope may have left the inventory */
        memset(&vars, 0, sizeof(vars));
        vars.value[FLEET_PH_SCOPE] = launch->scope;
        vars.value[FLEET_PH_STANZA] = launch->stanza;
        vars.value[FLEET_PH_TEST_ID] = launch->test_id;
        vars.value[FLEET_PH_SOURCE_HOST] =
            json_string_value(json_object_get(launch->detail, "source_host"));
        vars.value[FLEET_PH_SOURCE_PORT] =
            json_string_value(json_object_get(launch->detail, "source_port"));
        vars.value[FLEET_PH_LEADER] = json_string_value(json_object_get(launch->detail, "leader"));
        vars.value[FLEET_PH_FOUND_IN] =
            json_string_value(json_object_get(launch->detail, "found_in"));
        vars.value[FLEET_PH_DRILL_NAME] =
            json_string_value(json_object_get(launch->detail, "drill_name"));
        vars.value[FLEET_PH_API_URL] = row ? row->cluster->source_api_url : NULL;
        vars.value[FLEET_PH_RECOVERY_TARGET] =
            json_string_value(json_object_get(launch->detail, "target_kind"));
        if (!fleet_command_cleanup(cfg, &vars, &error)) {
            pgd_warn("cleanup after drill %s of scope %s failed: %s; tried again at the next "
                     "pass",
                     launch->test_id, launch->scope, error);
            free(error);
            continue;
        }
        if (!fleet_ledger_cleanup_done(ledger, launch->test_id, launch->scope, outcome, &why)) {
            pgd_warn("could not record the cleanup after drill %s: %s", launch->test_id, why);
            free(why);
            why = NULL;
            continue;
        }
        plan->cleaned++;
        pgd_info("cleaned up after drill %s of scope %s", launch->test_id, launch->scope);
    }
    fleet_launch_rows_free(&due);
}

/* After the COMMIT: the launches and the cleanup, through the configured runner. */
static void act(const fleet_config *cfg, fleet_ledger *ledger, fleet_plan *plan)
{
    const fleet_kube_access *a = &cfg->launch.kubernetes.access;
    fleet_kube kube;
    bool kube_open = false;
    char *why = NULL;

    if (cfg->launch.kubernetes.enabled) {
        kube_open = fleet_kube_open(&kube, a->api_url, a->token_file, a->ca_file, a->timeout, &why);
        if (!kube_open) {
            pgd_error("could not open the Kubernetes API for the drills' Jobs: %s", why);
            free(why);
        }
    }
    launch_all(cfg, kube_open ? &kube : NULL, ledger, plan);
    clean_up(cfg, kube_open ? &kube : NULL, ledger, plan);
    if (kube_open)
        fleet_kube_close(&kube);
}

/* Under the lock: end silent launches, read the facts, judge, record the launches. */
static bool decide(const fleet_config *cfg, fleet_ledger *ledger, fleet_plan *plan)
{
    fleet_launch_rows ended;
    char *why = NULL;

    if (!fleet_ledger_begin(ledger, &why) ||
        !fleet_ledger_end_silent_launches(ledger, cfg->stale_after, cfg->launch_timeout, &ended,
                                          &why)) {
        fleet_ledger_rollback(ledger);
        plan->error = pgd_asprintf("could not read the status history: %s", why);
        free(why);
        return false;
    }
    plan->never_started = ended.count;
    for (size_t i = 0; i < ended.count; i++)
        pgd_warn("drill %s of scope %s never started: no status row within launch_timeout; "
                 "ended as never_started",
                 ended.items[i].test_id, ended.items[i].scope);
    plan->ended = ended;
    if (!read_facts(cfg, ledger, true, plan)) {
        fleet_ledger_rollback(ledger);
        return false;
    }
    judge_all(cfg, plan);
    if (!schedule(cfg, ledger, plan, &why) || !fleet_ledger_commit(ledger, &why)) {
        fleet_ledger_rollback(ledger);
        plan->error = pgd_asprintf("could not record the launches: %s", why);
        free(why);
        for (size_t i = 0; i < plan->count; i++) {
            free(plan->rows[i].test_id);
            plan->rows[i].test_id = NULL;
        }
        return false;
    }
    return true;
}

int fleet_pass(const fleet_config *cfg, fleet_mode mode, fleet_plan *plan)
{
    fleet_ledger ledger = {0};
    bool history_exists = true;
    char *why = NULL;
    int64_t start = pgd_monotonic_ms();
    int rc = PGD_EXIT_OK;

    memset(plan, 0, sizeof(*plan));
    plan->started_at = pgd_wall_seconds();
    if (!gather(cfg, plan))
        rc = fail_pass(plan, pgd_strdup(plan->error));
    else if (!fleet_ledger_open(&ledger, cfg->history_dsn, HISTORY_CONNECT_TIMEOUT_S, &why)) {
        rc = fail_pass(plan, pgd_asprintf("could not connect to the status history: %s", why));
        free(why);
    } else {
        build_rows(cfg, plan);
        if (mode == FLEET_MODE_PLAN) {
            plan->history_ok = fleet_ledger_history_exists(&ledger, &history_exists, &why) &&
                               read_facts(cfg, &ledger, history_exists, plan);
            if (plan->history_ok)
                judge_all(cfg, plan);
            else if (plan->error == NULL)
                plan->error = pgd_asprintf("could not read the status history: %s", why);
            free(why);
        } else {
            plan->history_ok = decide(cfg, &ledger, plan);
            if (plan->history_ok)
                act(cfg, &ledger, plan);
        }
        if (!plan->history_ok)
            rc = fail_pass(plan, pgd_strdup(plan->error));
        else if (pgd_interrupted() != 0)
            rc = PGD_EXIT_INCONCLUSIVE;
    }
    fleet_ledger_close(&ledger);
    plan->duration = (double)(pgd_monotonic_ms() - start) / 1000.0;
    return rc;
}
