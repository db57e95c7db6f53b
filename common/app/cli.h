/*
 * cli.h - what both binaries' command lines have in common.
 */
#ifndef PGDRILL_CLI_H
#define PGDRILL_CLI_H

#include "config.h"

#include <stdbool.h>

/* "pgdrill-bootstrap (pgdrill) 0.1.0" on stdout. */
void pgd_cli_print_version(void);

/*
 * The options both binaries share: -v/--verbose, -V/--version, -h/--help
 * (the last two exit). Returns true when c was one of them.
 */
bool pgd_cli_common_option(int c, void (*print_help)(void));

/* "Try \"prog --help\" for more information." on stderr; returns the usage exit code. */
int pgd_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* After getopt printed its own complaint: the hint line; returns the usage exit code. */
int pgd_cli_try_help(void);

/* Both binaries' words for extra arguments: "too many command-line arguments (first is ...)". */
int pgd_cli_too_many_arguments(const char *first);

/*
 * Load the configuration named by --config / $PGDRILL_CONFIG / the default.
 * On failure prints the "FILE:LINE: KEY: reason" message and returns false.
 */
bool pgd_cli_load_config(const char *option_path, pgd_config *cfg);

/*
 * --check-config: load the configuration as a drill would, say whether it is
 * valid (the FILE:LINE: KEY: reason message otherwise) and touch nothing else.
 * An existing state_dir that others can write to is refused here too (its
 * owner only when a drill runs: whoever checks need not be the drill's user).
 * Returns the exit code: PGD_EXIT_OK or PGD_EXIT_USAGE.
 */
int pgd_cli_check_config(const char *option_path);

/*
 * --state-dir: state_dir becomes dir, and report.file with it when it was state_dir's
 * report.json (the default); a report.file the file set elsewhere stays. A
 * relative dir is taken from the working directory, like --datadir. False
 * (logged) when it cannot be made absolute.
 */
bool pgd_cli_override_state_dir(pgd_config *cfg, const char *dir);

/*
 * One drill per state_dir: create it (mode 0700) and take its lock for as
 * long as we run, so that a second bootstrap (two schedulers firing at once,
 * a pod back too soon) or a verify by hand does not run beside a drill or
 * write over its report. An existing state_dir must be private (ours, and
 * writable by nobody else): a configuration error otherwise. PGD_EXIT_OK,
 * or the exit code to stop with (logged).
 */
int pgd_cli_lock_state_dir(const pgd_config *cfg);

#endif
