/*
 * verify_usage.c - pgdrill-verify's command line, described once (common/app/usage.h).
 */
#include "verify_usage.h"

static const pgd_usage_option options[] = {
    PGD_USAGE_CONFIG_OPTION,
    {OPT_VERIFY_STATE_DIR, "state-dir", "DIR",
     "the drill's state and report, as bootstrap's --state-dir (replaces state_dir)"},
    PGD_USAGE_CHECK_CONFIG_OPTION,
    {OPT_VERIFY_CHECK_SIGNATURE, "check-signature", "[REPORT]",
     "check the signature REPORT.sig of REPORT (default: report.file), then exit (0 it "
     "verifies, 1 it does not, 2 no key, 3 a file unreadable)"},
    {OPT_VERIFY_PUBLIC_KEY, "public-key", "PEM",
     "the Ed25519 public key --check-signature checks with (default: derived from "
     "report.signing_key)"},
    PGD_USAGE_COMMON_OPTIONS,
    {0, NULL, NULL, NULL},
};

static const pgd_usage_env environment[] = {
    PGD_USAGE_CONFIG_ENV,
    {"PGDRILL_STATE_DIR", "--state-dir, when not given"},
    {"PGHOST, PGPORT, PGUSER, PGPASSFILE, ...",
     "libpq's environment, for the connection to the restored instance (Patroni sets "
     "PGPASSFILE)"},
    {NULL, NULL},
};

const pgd_usage pgd_verify_usage = {
    .program = "pgdrill-verify",
    .summary = "check a restored PostgreSQL instance and decide the restore drill's verdict, as "
               "Patroni's post_bootstrap",
    .description = "checks a restored PostgreSQL instance after a restore drill (Patroni's "
                   "post_bootstrap): promoted, archiving off, marker present, fence absent, the "
                   "recovery-time objective, your assertions, pg_dump -s of every database and "
                   "pg_amcheck; then completes the drill's report with the verdict.",
    .synopsis = "[OPTION]... [CONNINFO]",
    .operands = "CONNINFO is a libpq connection string for the restored instance (Patroni "
                "appends it); without it the libpq environment (PGHOST, PGPORT, ...) is used.",
    .options = options,
    .environment = environment,
};
