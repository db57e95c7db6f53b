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
    {OPT_TEST_ID, "test-id", "ID",
     "the drill's test id, given by a launcher (pgdrill-fleet) or a scheduler; default: a new one"},
    {OPT_TARGET_TIME, "target-time", "TS",
     "a scheduler already wrote the marker of --test-id with this recovery target time, "
     "YYYY-MM-DD HH:MM:SS[.ffffff]+00 (needs --test-id)"},
    {OPT_SOURCE_SCOPE, "source-scope", "NAME",
     "the source cluster's scope, the drill's name in reports, history and metrics (replaces "
     "scope)"},
    {OPT_STANZA, "stanza", "NAME", "the stanza to restore (replaces pgbackrest.stanza)"},
    {OPT_SOURCE_HOST, "source-host", "HOST", "the source primary's host (replaces source.dsn's)"},
    {OPT_SOURCE_PORT, "source-port", "PORT", "the source primary's port (replaces source.dsn's)"},
    {OPT_STATE_DIR, "state-dir", "DIR",
     "drill state and report (replaces state_dir; report.file too unless the file sets it)"},
    {OPT_RECOVERY_TARGET, "recovery-target", "TARGET",
     "latest, oldest, random or an RFC 3339 instant (replaces recovery.target)"},
    PGD_USAGE_CHECK_CONFIG_OPTION,
    PGD_USAGE_COMMON_OPTIONS,
    {0, NULL, NULL, NULL},
};

static const pgd_usage_env environment[] = {
    PGD_USAGE_CONFIG_ENV,
    {"PGDRILL_TEST_ID", "--test-id, when not given"},
    {"PGDRILL_TARGET_TIME", "--target-time, when not given"},
    {"PGDRILL_SOURCE_SCOPE", "--source-scope, when not given"},
    {"PGDRILL_STANZA", "--stanza, when not given"},
    {"PGDRILL_SOURCE_HOST", "--source-host, when not given"},
    {"PGDRILL_SOURCE_PORT", "--source-port, when not given"},
    {"PGDRILL_STATE_DIR", "--state-dir, when not given"},
    {"PGDRILL_RECOVERY_TARGET", "--recovery-target, when not given"},
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
