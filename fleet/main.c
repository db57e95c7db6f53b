/*
 * pgdrill-fleet - the deployer: every cluster of a Patroni fleet proven on schedule.
 *
 * plan prints what a pass would do; run does one pass (from cron, a systemd timer or a
 * Kubernetes CronJob); watch runs a pass every tick (a Deployment, a systemd service). See
 * README.md, "Scheduling a fleet".
 */
#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "fleet_config.h"
#include "fleet_metrics.h"
#include "fleet_usage.h"
#include "log.h"
#include "output.h"
#include "pass.h"
#include "signals.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum fleet_command {
    COMMAND_NONE,
    COMMAND_PLAN,
    COMMAND_RUN,
    COMMAND_WATCH,
} fleet_command;

typedef struct fleet_options {
    const char *config_path;
    bool json;
    bool check_config;
    fleet_command command;
} fleet_options;

static void print_help(void)
{
    pgd_usage_print(&pgd_fleet_usage, stdout);
}

static int parse_options(int argc, char **argv, fleet_options *opts)
{
    struct option long_options[8];
    char short_options[8];
    int c;

    pgd_usage_getopt(&pgd_fleet_usage, long_options, sizeof(long_options) / sizeof(long_options[0]),
                     short_options, sizeof(short_options));
    while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            opts->config_path = optarg;
            break;
        case OPT_FLEET_JSON:
            opts->json = true;
            break;
        case PGD_USAGE_CHECK_CONFIG_VAL:
            opts->check_config = true;
            break;
        default:
            if (pgd_cli_common_option(c, print_help))
                break;
            return pgd_cli_try_help();
        }
    }
    if (opts->check_config)
        return optind < argc ? pgd_cli_too_many_arguments(argv[optind]) : PGD_EXIT_OK;
    if (optind >= argc)
        return pgd_cli_usage_error("no command given (plan, run or watch)");
    if (strcmp(argv[optind], "plan") == 0)
        opts->command = COMMAND_PLAN;
    else if (strcmp(argv[optind], "run") == 0)
        opts->command = COMMAND_RUN;
    else if (strcmp(argv[optind], "watch") == 0)
        opts->command = COMMAND_WATCH;
    else
        return pgd_cli_usage_error("unknown command \"%s\" (plan, run or watch)", argv[optind]);
    if (optind + 1 < argc)
        return pgd_cli_too_many_arguments(argv[optind + 1]);
    if (opts->json && opts->command != COMMAND_PLAN)
        return pgd_cli_usage_error("--json goes with plan");
    return PGD_EXIT_OK;
}

static bool load_config(const fleet_options *opts, fleet_config *cfg)
{
    const char *path = fleet_config_path(opts->config_path);
    char *errmsg = NULL;

    if (!fleet_config_load(path, cfg, &errmsg)) {
        /* The bare message first: editors and CI annotators understand FILE:LINE: at line start. */
        fprintf(stderr, "%s\n", errmsg);
        pgd_error("configuration rejected; nothing was done");
        free(errmsg);
        return false;
    }
    return true;
}

static int plan_command(const fleet_config *cfg, bool json)
{
    fleet_plan plan;
    int rc = fleet_pass(cfg, FLEET_MODE_PLAN, &plan);

    if (rc == PGD_EXIT_OK) {
        if (json)
            fleet_print_json(&plan, stdout);
        else
            fleet_print_table(&plan, stdout);
    }
    fleet_plan_free(&plan);
    return rc;
}

/* One pass of run or watch, its totals logged. */
static int run_pass(const fleet_config *cfg)
{
    fleet_plan plan;
    int rc = fleet_pass(cfg, FLEET_MODE_RUN, &plan);

    if (plan.history_ok) {
        char *summary = fleet_plan_summary(&plan);

        pgd_info("pass done in %.1f s: %s", plan.duration, summary);
        free(summary);
    }
    if (cfg->metrics_file[0] != '\0') {
        char *why = NULL;

        if (!fleet_metrics_write(cfg, &plan, rc, &why)) {
            pgd_warn("could not write the metrics file: %s", why);
            free(why);
        }
    }
    fleet_plan_free(&plan);
    return rc;
}

/* Passes every tick, from the start of one to the start of the next, until a signal. */
static int watch_command(const fleet_config *cfg)
{
    pgd_info("watching the fleet: a pass every %lds until SIGTERM", cfg->tick);
    while (pgd_interrupted() == 0) {
        int64_t next = pgd_monotonic_ms() + (int64_t)cfg->tick * 1000;

        run_pass(cfg);
        if (pgd_interrupted() == 0)
            pgd_sleep_ms(pgd_ms_until(next));
    }
    pgd_info("stopped by signal %d", pgd_signal_received());
    return PGD_EXIT_OK;
}

int main(int argc, char **argv)
{
    fleet_options opts = {0};
    fleet_config cfg;
    int rc;

    pgd_log_init(argv[0]);
    pgd_signals_install();
    rc = parse_options(argc, argv, &opts);
    if (rc != PGD_EXIT_OK)
        return rc;
    if (!load_config(&opts, &cfg))
        return PGD_EXIT_USAGE;
    if (opts.check_config) {
        printf("%s: configuration %s is valid\n", pgd_log_progname(),
               fleet_config_path(opts.config_path));
        fleet_config_free(&cfg);
        return PGD_EXIT_OK;
    }
    switch (opts.command) {
    case COMMAND_PLAN:
        rc = plan_command(&cfg, opts.json);
        break;
    case COMMAND_RUN:
        rc = run_pass(&cfg);
        break;
    case COMMAND_WATCH:
        rc = watch_command(&cfg);
        break;
    case COMMAND_NONE:
        break;
    }
    fleet_config_free(&cfg);
    return rc;
}
