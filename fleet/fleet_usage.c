/*
 * fleet_usage.c - pgdrill-fleet's command line, described once (common/app/usage.h).
 */
#include "fleet_usage.h"

#include "fleet_config.h"

static const pgd_usage_option options[] = {
    {'c', "config", "PATH",
     "configuration file (default: $PGDRILL_FLEET_CONFIG or " FLEET_DEFAULT_CONFIG_PATH ")"},
    {OPT_FLEET_JSON, "json", NULL, "plan: one JSON object per scope and line"},
    PGD_USAGE_CHECK_CONFIG_OPTION,
    PGD_USAGE_COMMON_OPTIONS,
    {0, NULL, NULL, NULL},
};

static const pgd_usage_env environment[] = {
    {"PGDRILL_FLEET_CONFIG", "the configuration file when --config is not given"},
    {"PGDRILL_LOG_LEVEL", "debug, info, warning or error: the least severe message logged "
                          "(default info; --verbose means debug)"},
    {NULL, NULL},
};

static const pgd_exit_code_doc exit_codes[] = {
    {0, "done",
     "the pass worked (plan: printed; run: due drills launched, failed launches "
     "recorded; watch: stopped by SIGTERM)"},
    {2, "usage", "bad arguments or configuration; nothing was done"},
    {3, "inconclusive",
     "the inventory (etcd, Kubernetes) or the status history could not be read, or a "
     "signal stopped the pass: nothing was launched"},
};

const pgd_exit_code_doc *fleet_exit_code_docs(size_t *count)
{
    *count = sizeof(exit_codes) / sizeof(exit_codes[0]);
    return exit_codes;
}

const pgd_usage pgd_fleet_usage = {
    .program = "pgdrill-fleet",
    .summary = "start restore drills of every PostgreSQL cluster of a Patroni fleet on schedule",
    .description = "finds the Patroni clusters of a fleet (etcd, Kubernetes, a static list), "
                   "decides from the drills' status history which are due and starts their "
                   "restore drills within a fleet-wide cap, recording each launch.",
    .synopsis = "[OPTION]... plan|run|watch",
    .operands = "plan prints every scope and whether it is due (it changes nothing); run does "
                "one pass: it ends launches that never reported, starts the due drills and "
                "cleans up after drills that ended; watch runs a pass every tick until SIGTERM "
                "or SIGINT.",
    .options = options,
    .environment = environment,
    .exit_codes = fleet_exit_code_docs,
};
