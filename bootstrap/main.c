/*
 * pgdrill-bootstrap - Patroni custom bootstrap method of a restore drill.
 *
 * Patroni runs "<command> --scope=NAME --datadir=DIR"; an SRE runs the same
 * command by hand with any empty directory. Phases: attempt guard, marker
 * injection on the source, pgbackrest restore, private recovery to
 * promotion. See README.md for the flow and the error classes, and
 * docs/design.md (F12) for how Patroni 3.0.2 calls it.
 */
#include "bootstrap_usage.h"
#include "cli.h"
#include "clock.h"
#include "conninfo.h"
#include "config.h"
#include "conclude.h"
#include "deliver.h"
#include "drill.h"
#include "exitcode.h"
#include "fsutil.h"
#include "attempt_guard.h"
#include "history.h"
#include "inject.h"
#include "leftover.h"
#include "log.h"
#include "prefetch.h"
#include "recovery.h"
#include "restore.h"
#include "secret.h"
#include "signals.h"
#include "target.h"
#include "xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

typedef struct bootstrap_options {
    const char *config_path;
    const char *scope;
    const char *datadir;
    const char *test_id;
    const char *target_time;
    /* what a launcher (pgdrill-fleet) passes per drill: one pgdrill.yml serves the fleet */
    const char *source_scope;
    const char *stanza;
    const char *source_host;
    const char *source_port;
    const char *state_dir;
    const char *recovery_target;
    bool check_config;
} bootstrap_options;

static void print_help(void)
{
    pgd_usage_print(&pgd_bootstrap_usage, stdout);
}

static const char *nonempty_env(const char *name)
{
    const char *value = getenv(name);

    return value != NULL && value[0] != '\0' ? value : NULL;
}

/* The options' values from the environment (Patroni passes its own on to bootstrap). */
static void options_from_environment(bootstrap_options *opts)
{
    opts->test_id = nonempty_env("PGDRILL_TEST_ID");
    opts->target_time = nonempty_env("PGDRILL_TARGET_TIME");
    opts->source_scope = nonempty_env("PGDRILL_SOURCE_SCOPE");
    opts->stanza = nonempty_env("PGDRILL_STANZA");
    opts->source_host = nonempty_env("PGDRILL_SOURCE_HOST");
    opts->source_port = nonempty_env("PGDRILL_SOURCE_PORT");
    opts->state_dir = nonempty_env("PGDRILL_STATE_DIR");
    opts->recovery_target = nonempty_env("PGDRILL_RECOVERY_TARGET");
}

/* A launcher's option; true when c was one. */
static bool launcher_option(int c, bootstrap_options *opts)
{
    switch (c) {
    case OPT_SOURCE_SCOPE:
        opts->source_scope = optarg;
        return true;
    case OPT_STANZA:
        opts->stanza = optarg;
        return true;
    case OPT_SOURCE_HOST:
        opts->source_host = optarg;
        return true;
    case OPT_SOURCE_PORT:
        opts->source_port = optarg;
        return true;
    case OPT_STATE_DIR:
        opts->state_dir = optarg;
        return true;
    case OPT_RECOVERY_TARGET:
        opts->recovery_target = optarg;
        return true;
    default:
        return false;
    }
}

static bool valid_port(const char *text)
{
    char *end;
    long port;

    if (text[0] < '0' || text[0] > '9')
        return false;
    port = strtol(text, &end, 10);
    return *end == '\0' && port >= 1 && port <= 65535;
}

static int parse_options(int argc, char **argv, bootstrap_options *opts)
{
    struct option long_options[24];
    char short_options[16];
    int c;

    pgd_usage_getopt(&pgd_bootstrap_usage, long_options,
                     sizeof(long_options) / sizeof(long_options[0]), short_options,
                     sizeof(short_options));
    options_from_environment(opts);
    while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            opts->config_path = optarg;
            break;
        case OPT_SCOPE:
            opts->scope = optarg;
            break;
        case OPT_DATADIR:
            opts->datadir = optarg;
            break;
        case OPT_TEST_ID:
            opts->test_id = optarg;
            break;
        case OPT_TARGET_TIME:
            opts->target_time = optarg;
            break;
        case PGD_USAGE_CHECK_CONFIG_VAL:
            opts->check_config = true;
            break;
        default:
            if (launcher_option(c, opts) || pgd_cli_common_option(c, print_help))
                break;
            return pgd_cli_try_help();
        }
    }
    if (optind < argc)
        return pgd_cli_too_many_arguments(argv[optind]);
    if (opts->check_config)
        return PGD_EXIT_OK;
    if (opts->datadir == NULL || opts->datadir[0] == '\0')
        return pgd_cli_usage_error("--datadir is required");
    if (opts->target_time != NULL && opts->test_id == NULL)
        return pgd_cli_usage_error("--target-time needs --test-id (the test id of the marker the "
                                   "scheduler wrote)");
    if (opts->source_port != NULL && !valid_port(opts->source_port))
        return pgd_cli_usage_error("--source-port \"%s\": must be in range 1..65535",
                                   opts->source_port);
    return PGD_EXIT_OK;
}

static char *new_test_id(void)
{
    uuid_t uuid;
    char text[37];

    uuid_generate_random(uuid);
    uuid_unparse_lower(uuid, text);
    return pgd_strdup(text);
}

/* Checks of the arguments alone; nothing has been touched when they fail. */
static int check_arguments(const bootstrap_options *opts, char **datadir)
{
    const char *why = NULL;

    if (geteuid() == 0)
        return pgd_cli_usage_error("must not run as root: PostgreSQL refuses to run as root and "
                                   "restored files must belong to the database user (run as "
                                   "the postgres OS user)");
    /*
     * pgBackRest and PostgreSQL must read the target as the same instant: an
     * explicit UTC offset (each would apply its own time zone otherwise) and a
     * real date and time (PostgreSQL would roll 2026-02-30 into March).
     */
    if (opts->target_time != NULL && pgd_parse_timestamp(opts->target_time, &why) < 0)
        return pgd_cli_usage_error("--target-time \"%s\": %s; expected YYYY-MM-DD "
                                   "HH:MM:SS[.ffffff]+HH[:MM]",
                                   opts->target_time, why);
    /*
     * pgBackRest reads --target with a space between date and time and a
     * numeric offset, never RFC 3339's "T" and "Z", which PostgreSQL takes:
     * such a target would end the drill as a failure inside pgBackRest.
     */
    if (opts->target_time != NULL && strpbrk(opts->target_time, "TtZz") != NULL)
        return pgd_cli_usage_error("--target-time \"%s\": write it with a space between date and "
                                   "time and a numeric UTC offset (pgBackRest reads no \"T\" or "
                                   "\"Z\"); expected YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]",
                                   opts->target_time);
    if (opts->recovery_target != NULL) {
        pgd_target target;

        if (!pgd_target_parse(opts->recovery_target, &target, &why))
            return pgd_cli_usage_error("--recovery-target \"%s\": %s; expected latest, oldest, "
                                       "random or an RFC 3339 instant such as "
                                       "2026-11-30T14:02:00Z",
                                       opts->recovery_target, why);
    }
    if (opts->datadir == NULL)
        return pgd_cli_usage_error("--datadir is required");
    *datadir = pgd_path_absolute(opts->datadir);
    if (*datadir == NULL)
        return pgd_cli_usage_error("--datadir \"%s\" is relative and the working directory is "
                                   "unknown: %s",
                                   opts->datadir, strerror(errno));
    return PGD_EXIT_OK;
}

/*
 * What a launcher passes per drill replaces the file's values: the stanza, the source's host
 * and port in source.dsn (its other keywords, the passfile among them, stay), the state
 * directory. PGD_EXIT_OK, or the usage exit code (logged).
 */
static int apply_launcher_options(const bootstrap_options *opts, pgd_config *cfg)
{
    if (opts->stanza != NULL) {
        free(cfg->pgbackrest.stanza);
        cfg->pgbackrest.stanza = pgd_strdup(opts->stanza);
        pgd_secret_declare_public(cfg->pgbackrest.stanza);
    }
    if (opts->source_host != NULL || opts->source_port != NULL) {
        char *dsn = pgd_conninfo_with_host(cfg->source.dsn, opts->source_host, opts->source_port);

        if (dsn == NULL)
            return pgd_cli_usage_error("%s: source.dsn is not a valid connection string",
                                       cfg->path);
        free(cfg->source.dsn);
        cfg->source.dsn = dsn;
        pgd_conninfo_register_secrets(dsn);
    }
    if (opts->state_dir != NULL && !pgd_cli_override_state_dir(cfg, opts->state_dir))
        return PGD_EXIT_USAGE;
    if (opts->recovery_target != NULL) {
        free(cfg->recovery.target);
        cfg->recovery.target = pgd_strdup(opts->recovery_target);
    }
    return PGD_EXIT_OK;
}

/*
 * A data directory to restore into must be empty or missing. Checked after
 * the attempt guard (a pod restarted after a crash finds its old, full data
 * directory and must record given_up, not a usage error), but before the
 * drill touches anything: whatever is in there stays as it is.
 */
static int check_datadir(const char *datadir)
{
    char *errmsg = NULL;
    pgd_dir_state state = pgd_dir_state_of(datadir, &errmsg);

    if (state == PGD_DIR_EMPTY || state == PGD_DIR_MISSING)
        return PGD_EXIT_OK;
    pgd_error("refusing --datadir: %s", errmsg);
    free(errmsg);
    return PGD_EXIT_USAGE;
}

/*
 * Files of the drill must not land inside the data directory: the restore
 * would overwrite them (or they would be restored into the next Patroni
 * start), and the attempt guard would lose its record.
 */
static int check_paths_outside_datadir(const pgd_config *cfg, const char *datadir)
{
    const struct {
        const char *key;
        const char *path;
    } paths[] = {
        {"state_dir", cfg->state_dir},
        {"report.file", cfg->report.file},
        {"report.metrics_file", cfg->report.metrics_file},
    };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char *message;

        if (paths[i].path[0] == '\0' || !pgd_path_within(paths[i].path, datadir))
            continue;
        message = pgd_config_error(cfg, paths[i].key,
                                   "\"%s\" is inside --datadir \"%s\"; the restore would "
                                   "overwrite it: keep drill state outside the data directory",
                                   paths[i].path, datadir);
        fprintf(stderr, "%s\n", message);
        pgd_error("configuration rejected; nothing was done");
        free(message);
        return PGD_EXIT_USAGE;
    }
    return PGD_EXIT_OK;
}

/*
 * A past target is proven by the source's marker rows (docs/design.md, F78):
 * a scheduler's drill reads them through source.dsn, which it otherwise
 * does not need.
 */
static int check_past_target_needs_source(const pgd_config *cfg, bool marker_given)
{
    char *message;

    if (!marker_given || cfg->source.dsn[0] != '\0' || strcmp(cfg->recovery.target, "latest") == 0)
        return PGD_EXIT_OK;
    message = pgd_config_error(cfg, "recovery.target",
                               "\"%s\" with a scheduler's marker (--target-time) needs source.dsn: "
                               "the marker rows on the source prove a past target",
                               cfg->recovery.target);
    fprintf(stderr, "%s\n", message);
    pgd_error("configuration rejected; nothing was done");
    free(message);
    return PGD_EXIT_USAGE;
}

/* The attempt guard: returns an exit code to stop with, or -1 to go ahead. */
static int apply_attempt_guard(const pgd_config *cfg, pgd_history *history, const char *scope,
                               const char *test_id)
{
    pgd_report *previous = NULL;
    char *why = NULL;
    char *message = NULL;
    int rc;

    switch (attempt_guard_check(cfg->report.file, scope, test_id, &previous, &why)) {
    case ATTEMPT_GUARD_PROCEED:
        return -1;
    case ATTEMPT_GUARD_ERROR:
        pgd_error("%s", why);
        free(why);
        return PGD_EXIT_INCONCLUSIVE;
    case ATTEMPT_GUARD_GIVE_UP:
        break;
    }
    attempt_guard_mark_given_up(previous, &message);
    pgd_error("given_up: %s", message);
    rc = pgd_conclude(cfg, history, previous);
    pgd_report_free(previous);
    free(message);
    return rc;
}

/*
 * The fleet-wide cap, before the source or the repository is touched.
 * Also writes the drill's "started" row. False when deferred.
 */
static bool admit(drill *d)
{
    long in_progress = -1;
    pgd_admission decision;

    if (!d->history->enabled)
        return true;
    decision = pgd_history_admit(d->history, d->test_id, d->scope, d->cfg->pgbackrest.stanza,
                                 &in_progress);
    if (decision == PGD_UNCOUNTED && d->cfg->report.max_concurrent > 0)
        pgd_warn("could not count the drills in progress; going ahead without the fleet cap");
    if (decision != PGD_DEFERRED)
        return true;
    drill_fail(d, PGD_ERR_DEFERRED,
               "%ld drills in progress in the fleet, report.max_concurrent is %ld; "
               "nothing was done, the next run tries again",
               in_progress, d->cfg->report.max_concurrent);
    return false;
}

static bool run_phases(drill *d)
{
    if (!d->marker_given && !inject_marker(d))
        return false;
    if (d->marker_given && !inject_read_source_rows(d))
        return false;
    if (drill_interrupted(d) || !restore_backup(d))
        return false;
    if (drill_interrupted(d) || !recover_and_promote(d))
        return false;
    return !drill_interrupted(d);
}

static int finish(drill *d)
{
    drill_record_timing(d, "total", d->started_ms);
    drill_settle_finding(d);
    if (d->error_class != PGD_ERR_NONE)
        pgd_report_set_outcome(d->report, d->error_class, d->error_message, d->error_hint);
    else {
        /* The drill goes on in pgdrill-verify; the verdict stays "running" until then. */
        pgd_report_set_string(d->report, "phase", "restored");
        drill_record_status(d, "restored");
        pgd_info("restored and promoted; the data directory is ready for Patroni, "
                 "pgdrill-verify decides the verdict");
    }
    return pgd_conclude(d->cfg, d->history, d->report);
}

static void drill_free(drill *d)
{
    pgd_report_free(d->report);
    free(d->datadir);
    free(d->scope);
    free(d->test_id);
    free(d->target_time);
    free(d->archived_segment);
    free(d->backup_label);
    free(d->archive_id);
    free(d->pg_bindir);
    free(d->error_message);
    free(d->error_hint);
    free(d->finding_message);
    json_decref(d->source_rows);
}

int main(int argc, char **argv)
{
    bootstrap_options opts = {0};
    pgd_config cfg;
    drill d = {0};
    pgd_history history = {0};
    char *errmsg = NULL;
    char hostname[256] = "";
    const char *why = NULL;
    int rc;

    pgd_log_init(argv[0]);
    pgd_signals_install();
    rc = parse_options(argc, argv, &opts);
    if (rc == PGD_EXIT_OK && opts.check_config)
        return pgd_cli_check_config(opts.config_path);
    if (rc == PGD_EXIT_OK)
        rc = check_arguments(&opts, &d.datadir);
    if (rc != PGD_EXIT_OK) {
        free(d.datadir);
        return rc;
    }
    if (!pgd_cli_load_config(opts.config_path, &cfg)) {
        free(d.datadir);
        return PGD_EXIT_USAGE;
    }
    rc = apply_launcher_options(&opts, &cfg);
    if (rc != PGD_EXIT_OK)
        goto out;
    if (opts.target_time == NULL && cfg.source.dsn[0] == '\0') {
        rc = pgd_cli_usage_error("%s: source.dsn is not set; bootstrap needs it to write the "
                                 "marker (or pass --test-id and --target-time)",
                                 cfg.path);
        goto out;
    }
    rc = check_past_target_needs_source(&cfg, opts.target_time != NULL);
    if (rc == PGD_EXIT_OK)
        rc = check_paths_outside_datadir(&cfg, d.datadir);
    if (rc != PGD_EXIT_OK)
        goto out;

    d.cfg = &cfg;
    d.started_ms = pgd_monotonic_ms();
    d.scope = pgd_strdup(opts.source_scope ? opts.source_scope
                         : cfg.scope       ? cfg.scope
                         : opts.scope      ? opts.scope
                                           : cfg.pgbackrest.stanza);
    rc = pgd_cli_lock_state_dir(&cfg);
    if (rc != PGD_EXIT_OK)
        goto out;
    leftover_clean(d.datadir);
    {
        /* An earlier drill killed during its recovery: its WAL queue and prefetching process. */
        char *spool_dir = prefetch_spool_dir(&cfg);

        prefetch_cleanup(spool_dir);
        free(spool_dir);
    }
    pgd_history_init(&history, &cfg);
    d.history = &history;
    rc = apply_attempt_guard(&cfg, &history, d.scope, opts.test_id);
    if (rc >= 0)
        goto out;
    rc = check_datadir(d.datadir);
    if (rc != PGD_EXIT_OK)
        goto out;

    d.marker_given = opts.target_time != NULL;
    pgd_target_parse(cfg.recovery.target, &d.target, &why); /* checked with the configuration */
    d.test_id = opts.test_id != NULL ? pgd_strdup(opts.test_id) : new_test_id();
    d.target_time = d.marker_given ? pgd_strdup(opts.target_time) : NULL;
    pgd_secret_declare_public(d.test_id);
    pgd_secret_declare_public(d.scope);
    d.report = pgd_report_new(cfg.report.file, d.test_id, d.scope, cfg.pgbackrest.stanza);
    if (d.target.kind == PGD_TARGET_LATEST)
        pgd_report_set_string(d.report, "target_time", d.target_time);
    pgd_report_set_string(d.report, "marker_source", d.marker_given ? "scheduler" : "bootstrap");
    pgd_report_set_string(d.report, "datadir", d.datadir);
    gethostname(hostname, sizeof(hostname) - 1);
    pgd_report_set_string(d.report, "host", hostname);
    pgd_info("drill %s of scope %s (stanza %s) into %s", d.test_id, d.scope, cfg.pgbackrest.stanza,
             d.datadir);

    /* Without a report nobody would learn what this drill did: nothing is done then. */
    if (!pgd_report_write(d.report, &errmsg)) {
        pgd_error("could not write the drill report, so the drill does not start: %s", errmsg);
        rc = PGD_EXIT_INCONCLUSIVE;
        goto out;
    }
    /* A deferred drill does nothing and touches nothing. */
    if (admit(&d)) {
        pgd_deliver_started(&cfg, d.report);
        if (!pgd_mkdir_p(d.datadir, 0700, &errmsg))
            drill_fail(&d, PGD_ERR_INTERNAL, "%s", errmsg);
        else {
            d.deadline_ms = pgd_monotonic_ms() + (int64_t)cfg.recovery.timeout * 1000;
            run_phases(&d);
        }
    }
    rc = finish(&d);
out:
    free(errmsg);
    pgd_history_free(&history);
    drill_free(&d);
    pgd_config_free(&cfg);
    return rc;
}
