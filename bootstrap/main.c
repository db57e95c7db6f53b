/*
 * pgdrill-bootstrap - Patroni custom bootstrap method of a restore drill.
 *
 * Patroni runs "<command> --scope=NAME --datadir=DIR"; an SRE runs the same
 * command by hand with any empty directory. See README.md for the flow.
 */
#include "cli.h"
#include "config.h"
#include "exitcode.h"
#include "log.h"
#include "signals.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct bootstrap_options {
    const char *config_path;
    const char *scope;
    const char *datadir;
    const char *test_id;
    const char *target_time;
} bootstrap_options;

static void print_help(void)
{
    printf("%s runs a PostgreSQL restore drill as Patroni's custom bootstrap method:\n"
           "it writes a marker row on the source primary, restores the pgBackRest backup\n"
           "to just after the marker's commit and drives recovery to promotion.\n\n",
           pgd_log_progname());
    printf("Usage:\n  %s [OPTION]... --scope=NAME --datadir=DIR\n\n", pgd_log_progname());
    printf("Options:\n"
           "  -c, --config=PATH        configuration file (default: $PGDRILL_CONFIG or %s)\n"
           "      --scope=NAME         Patroni scope of the drill instance (appended by Patroni)\n"
           "      --datadir=DIR        empty directory to restore into (appended by Patroni)\n"
           "      --test-id=ID         a scheduler already wrote the marker with this test id\n"
           "      --target-time=TS     ... and this recovery target time (both or neither)\n"
           "  -v, --verbose            log debug messages too\n"
           "  -V, --version            output version information, then exit\n"
           "  -h, --help               show this help, then exit\n\n",
           PGD_DEFAULT_CONFIG_PATH);
    printf("Exit status: 0 restored and promoted, 1 backup not restorable, 2 usage or\n"
           "configuration error, 3 inconclusive (the drill could not run).\n");
}

static int parse_options(int argc, char **argv, bootstrap_options *opts)
{
    static const struct option long_options[] = {
        {"config", required_argument, NULL, 'c'},
        {"scope", required_argument, NULL, 's'},
        {"datadir", required_argument, NULL, 'D'},
        {"test-id", required_argument, NULL, 'i'},
        {"target-time", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opts->test_id = getenv("PGDRILL_TEST_ID");
    opts->target_time = getenv("PGDRILL_TARGET_TIME");
    while ((c = getopt_long(argc, argv, "c:vVh", long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            opts->config_path = optarg;
            break;
        case 's':
            opts->scope = optarg;
            break;
        case 'D':
            opts->datadir = optarg;
            break;
        case 'i':
            opts->test_id = optarg;
            break;
        case 't':
            opts->target_time = optarg;
            break;
        case 'v':
            pgd_log_set_level(PGD_LOG_DEBUG);
            break;
        case 'V':
            pgd_cli_print_version();
            exit(PGD_EXIT_PASSED);
        case 'h':
            print_help();
            exit(PGD_EXIT_PASSED);
        default:
            fprintf(stderr, "Try \"%s --help\" for more information.\n", pgd_log_progname());
            return PGD_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return pgd_cli_usage_error("unexpected argument \"%s\"", argv[optind]);
    if (opts->datadir == NULL || opts->datadir[0] == '\0')
        return pgd_cli_usage_error("--datadir is required");
    if ((opts->test_id == NULL) != (opts->target_time == NULL))
        return pgd_cli_usage_error("--test-id and --target-time go together (or neither)");
    return PGD_EXIT_PASSED;
}

int main(int argc, char **argv)
{
    bootstrap_options opts = {0};
    pgd_config cfg;
    int rc;

    pgd_log_init(argv[0]);
    pgd_signals_install();
    rc = parse_options(argc, argv, &opts);
    if (rc != PGD_EXIT_PASSED)
        return rc;
    if (!pgd_cli_load_config(opts.config_path, &cfg))
        return PGD_EXIT_USAGE;

    pgd_error("the restore drill is not implemented yet");
    pgd_config_free(&cfg);
    return PGD_EXIT_INCONCLUSIVE;
}
