/*
 * bootstrap_usage.c - pgdrill-bootstrap's command line, described once (common/app/usage.h).
 */
#include "bootstrap_usage.h"

static const pgd_usage_option options[] = {
    PGD_USAGE_CONFIG_OPTION,
    {OPT_SCOPE, "scope", "NAME", "Patroni scope of the drill instance (appended by Patroni)"},
    {OPT_DATADIR, "datadir", "DIR",
     "empty directory to restore into (appended by Patroni; a relative DIR is taken from the "
     "working directory)"},
    {OPT_TEST_ID, "test-id", "ID", "a scheduler already wrote the marker with this test id"},
    {OPT_TARGET_TIME, "target-time", "TS",
     "... and this recovery target time, YYYY-MM-DD HH:MM:SS[.ffffff]+00 (both or neither)"},
    PGD_USAGE_CHECK_CONFIG_OPTION,
    PGD_USAGE_COMMON_OPTIONS,
    {0, NULL, NULL, NULL},
};

static const pgd_usage_env environment[] = {
    PGD_USAGE_CONFIG_ENV,
    {"PGDRILL_TEST_ID", "--test-id, when not given"},
    {"PGDRILL_TARGET_TIME", "--target-time, when not given"},
    {NULL, NULL},
};

const pgd_usage pgd_bootstrap_usage = {
    .program = "pgdrill-bootstrap",
    .summary = "restore a PostgreSQL backup to a fresh marker as Patroni's custom bootstrap "
               "method",
    .description = "runs a PostgreSQL restore drill as Patroni's custom bootstrap method: it "
                   "writes a marker row on the source primary, restores the pgBackRest backup to "
                   "just after the marker's commit and drives recovery to promotion. "
                   "pgdrill-verify, Patroni's post_bootstrap, then checks the restored instance "
                   "and decides the verdict.",
    .synopsis = "[OPTION]... --scope=NAME --datadir=DIR",
    .operands = NULL,
    .options = options,
    .environment = environment,
};
