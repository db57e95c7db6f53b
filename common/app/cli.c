/*
 * cli.c - what both binaries' command lines have in common.
 */
#include "cli.h"

#include "exitcode.h"
#include "fsutil.h"
#include "log.h"
#include "redact.h"
#include "signing.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A configuration error found after loading: the bare FILE:LINE: KEY: message, then ours. */
static int config_rejected(char *message)
{
    fprintf(stderr, "%s\n", message);
    pgd_error("configuration rejected; nothing was done");
    free(message);
    return PGD_EXIT_USAGE;
}

/*
 * state_dir holds the report the attempt guard trusts, the lock, and the
 * WAL queue whose segments the recovery's restore_command moves into the
 * data directory: whoever else can write into it could plant a report
 * that stops the next drill, or WAL that recovery replays. So an existing
 * one must be a directory of the user running pgdrill that nobody else may
 * write to. A missing one is fine (created 0700). check_owner is false for
 * --check-config, which need not run as the drill's user.
 */
static int check_state_dir(const pgd_config *cfg, bool check_owner)
{
    struct stat st;
    char *why;
    char *message;

    /* Missing (or out of reach: creating and locking it then says why) */
    if (stat(cfg->state_dir, &st) != 0)
        return PGD_EXIT_OK;
    if (!S_ISDIR(st.st_mode))
        return config_rejected(
            pgd_config_error(cfg, "state_dir", "\"%s\" is not a directory", cfg->state_dir));
    why = pgd_dir_not_private((unsigned)st.st_mode, (unsigned)st.st_uid,
                              check_owner ? (unsigned)geteuid() : (unsigned)st.st_uid);
    if (why == NULL)
        return PGD_EXIT_OK;
    message = pgd_config_error(
        cfg, "state_dir",
        "\"%s\" %s; others could plant a report the attempt guard trusts or WAL that recovery "
        "replays: %s (chmod 0700 \"%s\"), or point state_dir at a directory that does not "
        "exist yet, which pgdrill creates with mode 0700",
        cfg->state_dir, why,
        check_owner && st.st_uid != geteuid()
            ? "give it to the user running pgdrill (chown) and make it private"
            : "make it private",
        cfg->state_dir);
    free(why);
    return config_rejected(message);
}

int pgd_cli_check_config(const char *option_path)
{
    pgd_config cfg;
    int rc;

    if (!pgd_cli_load_config(option_path, &cfg))
        return PGD_EXIT_USAGE;
    rc = check_state_dir(&cfg, false);
    if (rc != PGD_EXIT_OK) {
        pgd_config_free(&cfg);
        return rc;
    }
    printf("%s: configuration %s is valid\n", pgd_log_progname(), pgd_config_path(option_path));
    pgd_config_free(&cfg);
    return PGD_EXIT_OK;
}

bool pgd_cli_override_state_dir(pgd_config *cfg, const char *dir)
{
    char *absolute = pgd_path_absolute(dir);
    char *default_report;

    if (absolute == NULL) {
        pgd_error("--state-dir=%s: the working directory is unknown", dir);
        return false;
    }
    default_report = pgd_asprintf("%s/report.json", cfg->state_dir);
    if (strcmp(cfg->report.file, default_report) == 0) {
        free(cfg->report.file);
        cfg->report.file = pgd_asprintf("%s/report.json", absolute);
    }
    free(default_report);
    free(cfg->state_dir);
    cfg->state_dir = absolute;
    return true;
}

int pgd_cli_lock_state_dir(const pgd_config *cfg)
{
    char *errmsg = NULL;
    long holder = 0;
    int rc;

    if (!pgd_mkdir_p(cfg->state_dir, 0700, &errmsg)) {
        pgd_error("could not create the state directory: %s", errmsg);
        free(errmsg);
        return PGD_EXIT_INCONCLUSIVE;
    }
    /* Judged after mkdir: it creates nothing that exists, and what it created is ours. */
    rc = check_state_dir(cfg, true);
    if (rc != PGD_EXIT_OK)
        return rc;
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

/*
 * report.signing_key is read now, before a drill touches anything (and by
 * --check-config): a key the drill could not sign with at the end is a
 * configuration error, not a report found unsigned afterwards. It is read
 * again to sign, so the key is not held in memory for the drill's hours.
 */
static bool signing_key_usable(const pgd_config *cfg)
{
    char *why = NULL;
    pgd_signing_key *key;

    if (cfg->report.signing_key[0] == '\0')
        return true;
    key = pgd_signing_key_load(cfg->report.signing_key, &why);
    if (key != NULL) {
        pgd_signing_key_free(key);
        return true;
    }
    config_rejected(pgd_config_error(cfg, "report.signing_key", "%s", why));
    free(why);
    return false;
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
    if (!signing_key_usable(cfg)) {
        pgd_config_free(cfg);
        return false;
    }
    return true;
}
