/*
 * pgbackrest_options.h - pgBackRest's command-line options: how pgBackRest
 * reads them, and which of them pgdrill keeps for itself.
 *
 * pgBackRest 2.45 resolves many spellings to one option (docs/design.md,
 * F10): an unambiguous prefix of the name ("--pg1-pa", "--de"), a "no-" or
 * "reset-" in front, an index in indexed options ("repo2-s3-key",
 * "pg1-path"), deprecated names ("db-path", "db<N>-path" for
 * "pg<N>-path"). Whatever pgdrill decides about an option (it is one pgdrill
 * sets itself, a secure one, one pgdrill adds to a command) it decides here
 * against every spelling, so that the configuration (pgbackrest.options),
 * the restore and the WAL prefetch's restore_command agree on what an
 * option is. Pure: unit-tested without pgBackRest.
 */
#ifndef PGDRILL_PGBACKREST_OPTIONS_H
#define PGDRILL_PGBACKREST_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

/* One option as pgBackRest reads it. */
typedef struct pgd_pgbackrest_option {
    char *name;     /* as written, without "--" and without the value: "no-repo2-s3-key" */
    char *base;     /* without a "no-"/"reset-" prefix and without the index: "repo-s3-key" */
    unsigned index; /* 2 for "repo2-s3-key", 1 for "db1-path"; 0 when none was written */
} pgd_pgbackrest_option;

/*
 * Split the len bytes of item, "--name[=value]", into name, base name and
 * index. The value is never looked at (it may be a secret). False (nothing
 * to free) when item does not start with "--" or the name is not made of
 * lowercase letters, digits and dashes, as every pgBackRest option's is.
 */
bool pgd_pgbackrest_option_parse(const char *item, size_t len, pgd_pgbackrest_option *out);
void pgd_pgbackrest_option_free(pgd_pgbackrest_option *option);

/*
 * The first of names (canonical names without an index) that option
 * resolves to: its base name itself, or a name the base name is a prefix of
 * (pgBackRest expands those). NULL when none.
 */
const char *pgd_pgbackrest_option_resolve(const pgd_pgbackrest_option *option,
                                          const char *const *names, size_t count);

/*
 * The same for the len bytes of item, "--name[=value]" in any spelling; NULL
 * also when item is no option at all (a command, a value).
 */
const char *pgd_pgbackrest_item_resolves(const char *item, size_t len, const char *const *names,
                                         size_t count);

/* Does one of the count items ("--name[=value]") set, negate or reset the option name? */
bool pgd_pgbackrest_items_set(const char *const *items, size_t count, const char *name);

/*
 * Why item, the number-th (from 1) of pgbackrest.options, may not be added
 * to pgBackRest's restore: not written "--name[=value]", one of the options
 * pgdrill sets itself (the restore's type, target, data directory, ...), or
 * one of pgBackRest's secure options (a key on a command line shows in
 * `ps`: docs/design.md, F30). NULL when it may. The reason names the
 * option, never its value. Caller frees.
 */
char *pgd_pgbackrest_option_refused(const char *item, size_t number);

/*
 * The environment variable pgBackRest reads option from: "PGBACKREST_" and
 * its indexed name in capitals, "-" as "_" (canonical: its base name; an
 * option of the repository group written without an index is repository
 * 1's). Caller frees.
 */
char *pgd_pgbackrest_option_env(const pgd_pgbackrest_option *option, const char *canonical);

#endif
