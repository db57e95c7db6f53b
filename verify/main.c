/*
 * pgdrill-verify - Patroni post_bootstrap checks of a restore drill.
 *
 * Patroni runs "<command> '<conninfo>'" once the restored instance runs as a
 * primary (PGPASSFILE and PGOPTIONS set in the environment); an SRE runs the
 * same command by hand against any restored instance. The drill's report,
 * written by pgdrill-bootstrap, names the test id to look for; verify adds
 * the checks and the final verdict.
 */
#include "checks.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "conclude.h"
#include "history.h"
#include "exitcode.h"
#include "log.h"
#include "conninfo.h"
#include "report.h"
#include "secret.h"
#include "signals.h"
#include "signature_check.h"
#include "verify_usage.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(void)
{
    pgd_usage_print(&pgd_verify_usage, stdout);
}

/* Seconds since the report's started_at, or -1. */
static double seconds_since_start(const pgd_report *report)
{
    double started = pgd_parse_utc(pgd_report_get_string(report, "started_at"));

    return started < 0 ? -1 : pgd_wall_seconds() - started;
}

/*
 * The report bootstrap left. Without one there is no test id to look for:
 * a missing report gets a fresh inconclusive one (every drill leaves a
 * report); an unreadable one is left alone as evidence.
 */
static pgd_report *open_report(const pgd_config *cfg, pgd_history *history, int *exit_code)
{
    bool missing = false;
    char *errmsg = NULL;
    pgd_report *report = pgd_report_load(cfg->report.file, &missing, &errmsg);

    if (report != NULL)
        return report;
    if (!missing) {
        pgd_error("could not read the drill report: %s", errmsg);
        free(errmsg);
        *exit_code = PGD_EXIT_INCONCLUSIVE;
        return NULL;
    }
    free(errmsg);
    report = pgd_report_new(cfg->report.file, NULL, cfg->scope, cfg->pgbackrest.stanza);
    pgd_report_set_outcome(report, PGD_ERR_INTERNAL, "no drill report: nothing to verify against",
                           "pgdrill-bootstrap did not run with this configuration, or "
                           "report.file is not on storage that survives restarts");
    pgd_error("no drill report at %s: nothing to verify against", cfg->report.file);
    *exit_code = pgd_conclude(cfg, history, report);
    pgd_report_free(report);
    return NULL;
}

static int conclude(verify_run *run, pgd_history *history, int64_t start)
{
    pgd_report *report = run->report;
    double total;

    if (pgd_interrupted() != 0 && run->error_class == PGD_ERR_NONE) {
        run->error_class = PGD_ERR_INTERRUPTED;
        run->error_message = pgd_strdup("pgdrill-verify received a termination signal");
    }
    pgd_report_set_timing(report, "verify", (double)(pgd_monotonic_ms() - start) / 1000.0);
    total = seconds_since_start(report);
    if (total >= 0)
        pgd_report_set_timing(report, "total", total);
    pgd_report_set_string(report, "phase", "verified");
    pgd_report_set_outcome(report, run->error_class, run->error_message, run->error_hint);
    return pgd_conclude(run->cfg, history, report);
}

int main(int argc, char **argv)
{
    struct option long_options[10];
    char short_options[8];
    const char *config_path = NULL;
    const char *state_dir = getenv("PGDRILL_STATE_DIR");
    bool check_config = false;
    bool check_signature = false;
    const char *signed_report = NULL;
    const char *public_key = NULL;
    pgd_config cfg;
    verify_run run = {0};
    pgd_history history;
    int64_t start = pgd_monotonic_ms();
    int rc = PGD_EXIT_OK;
    int c;

    pgd_log_init(argv[0]);
    pgd_signals_install();
    pgd_usage_getopt(&pgd_verify_usage, long_options,
                     sizeof(long_options) / sizeof(long_options[0]), short_options,
                     sizeof(short_options));
    while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case PGD_USAGE_CHECK_CONFIG_VAL:
            check_config = true;
            break;
        case OPT_VERIFY_STATE_DIR:
            state_dir = optarg;
            break;
        case OPT_VERIFY_CHECK_SIGNATURE:
            check_signature = true;
            signed_report = optarg;
            break;
        case OPT_VERIFY_PUBLIC_KEY:
            public_key = optarg;
            break;
        default:
            if (pgd_cli_common_option(c, print_help))
                break;
            return pgd_cli_try_help();
        }
    }
    if (argc - optind > 1)
        return pgd_cli_too_many_arguments(argv[optind + 1]);
    if (check_config)
        return optind < argc ? pgd_cli_too_many_arguments(argv[optind])
                             : pgd_cli_check_config(config_path);
    if (public_key != NULL && !check_signature)
        return pgd_cli_usage_error("--public-key is only for --check-signature");
    if (check_signature)
        return optind < argc
                   ? pgd_cli_too_many_arguments(argv[optind])
                   : verify_check_signature(config_path, state_dir, signed_report, public_key);
    run.conninfo = optind < argc ? argv[optind] : "";
    if (!pgd_conninfo_valid(run.conninfo))
        return pgd_cli_usage_error("CONNINFO is not a valid libpq connection string");
    pgd_conninfo_register_secrets(run.conninfo);
    if (!pgd_cli_load_config(config_path, &cfg))
        return PGD_EXIT_USAGE;
    /* A launcher's state directory (bootstrap's --state-dir): where the drill's report is. */
    if (state_dir != NULL && state_dir[0] != '\0' && !pgd_cli_override_state_dir(&cfg, state_dir)) {
        pgd_config_free(&cfg);
        return PGD_EXIT_USAGE;
    }
    rc = pgd_cli_lock_state_dir(&cfg);
    if (rc != PGD_EXIT_OK) {
        pgd_config_free(&cfg);
        return rc;
    }

    run.cfg = &cfg;
    run.deadline_ms = start + (int64_t)cfg.verify.timeout * 1000;
    pgd_history_init(&history, &cfg);
    run.report = open_report(&cfg, &history, &rc);
    if (run.report != NULL) {
        static const char *const names[] = {"test_id", "scope", "stanza"};

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            pgd_secret_declare_public(pgd_report_get_string(run.report, names[i]));
        pgd_secret_declare_public(pgd_report_get_nested(run.report, "marker", "database"));
        char *target = pgd_conninfo_redact(run.conninfo);

        pgd_info("verifying drill %s against %s",
                 pgd_report_get_string(run.report, "test_id")
                     ? pgd_report_get_string(run.report, "test_id")
                     : "?",
                 target[0] ? target : "the libpq defaults");
        free(target);
        if (pgd_report_get_string(run.report, "phase") == NULL ||
            strcmp(pgd_report_get_string(run.report, "phase"), "restored") != 0)
            pgd_warn("the report is in phase \"%s\", not \"restored\": checking anyway",
                     pgd_report_get_string(run.report, "phase")
                         ? pgd_report_get_string(run.report, "phase")
                         : "?");
        pgd_history_append(&history, pgd_report_get_string(run.report, "test_id"),
                           pgd_report_get_string(run.report, "scope"),
                           pgd_report_get_string(run.report, "stanza"), "verifying", NULL, NULL);
        verify_run_checks(&run);
        rc = conclude(&run, &history, start);
    }
    verify_run_free(&run);
    pgd_report_free(run.report);
    pgd_history_free(&history);
    pgd_config_free(&cfg);
    return rc;
}
