/*
 * cli.c - what both binaries' command lines have in common.
 */
#include "cli.h"

#include "exitcode.h"
#include "fsutil.h"
#include "log.h"
#include "redact.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pgd_cli_print_version(void)
{
    printf("%s (pgdrill) %s\n", pgd_log_progname(), PGDRILL_VERSION);
}

bool pgd_cli_common_option(int c, void (*print_help)(void))
{
    switch (c) {
    case 'v':
        pgd_log_set_level(PGD_LOG_DEBUG);
        return true;
    case 'V':
        pgd_cli_print_version();
        exit(PGD_EXIT_OK);
    case 'h':
        print_help();
        exit(PGD_EXIT_OK);
    default:
        return false;
    }
}

int pgd_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = pgd_vasprintf(fmt, ap);
    va_end(ap);
    pgd_error("%s", msg);
    free(msg);
    return pgd_cli_try_help();
}

int pgd_cli_try_help(void)
{
    fprintf(stderr, "Try \"%s --help\" for more information.\n", pgd_log_progname());
    return PGD_EXIT_USAGE;
}

int pgd_cli_too_many_arguments(const char *first)
{
    return pgd_cli_usage_error("too many command-line arguments (first is \"%s\")", first);
}

int pgd_cli_check_config(const char *option_path)
{
    pgd_config cfg;

    if (!pgd_cli_load_config(option_path, &cfg))
        return PGD_EXIT_USAGE;
    printf("%s: configuration %s is valid\n", pgd_log_progname(), pgd_config_path(option_path));
    pgd_config_free(&cfg);
    return PGD_EXIT_OK;
}

void pgd_cli_override_state_dir(pgd_config *cfg, const char *dir)
{
    char *default_report = pgd_asprintf("%s/report.json", cfg->state_dir);

    if (strcmp(cfg->report.file, default_report) == 0) {
        free(cfg->report.file);
        cfg->report.file = pgd_asprintf("%s/report.json", dir);
    }
    free(default_report);
    free(cfg->state_dir);
    cfg->state_dir = pgd_strdup(dir);
}

int pgd_cli_lock_state_dir(const pgd_config *cfg)
{
    char *errmsg = NULL;
    long holder = 0;

    if (!pgd_mkdir_p(cfg->state_dir, 0700, &errmsg)) {
        pgd_error("could not create the state directory: %s", errmsg);
        free(errmsg);
        return PGD_EXIT_INCONCLUSIVE;
    }
    if (pgd_lock_directory(cfg->state_dir, &holder, &errmsg) >= 0)
        return PGD_EXIT_OK;
    if (errmsg != NULL) {
        pgd_error("%s", errmsg);
        free(errmsg);
    } else
        pgd_error("another pgdrill (PID %ld) is running with state_dir %s; not starting beside "
                  "it, and not touching its report",
                  holder, cfg->state_dir);
    return PGD_EXIT_INCONCLUSIVE;
}

bool pgd_cli_load_config(const char *option_path, pgd_config *cfg)
{
    const char *path = pgd_config_path(option_path);
    char *errmsg = NULL;

    if (!pgd_config_load(path, cfg, &errmsg)) {
        /* The bare message first: editors and CI annotators understand FILE:LINE: at line start. */
        fprintf(stderr, "%s\n", errmsg);
        pgd_error("configuration rejected; nothing was done");
        free(errmsg);
        return false;
    }
    /* The config loader registered its connection strings' secrets; the webhook URL's here. */
    pgd_url_register_secrets(cfg->report.webhook.url);
    return true;
}
