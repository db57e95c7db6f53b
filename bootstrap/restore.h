/*
 * restore.h - phase 2: pgbackrest restore with point-in-time target.
 */
#ifndef PGDRILL_BOOTSTRAP_RESTORE_H
#define PGDRILL_BOOTSTRAP_RESTORE_H

#include "drill.h"

#include "argv.h"

/*
 * Restore the backup set pgBackRest picks for d->target_time into
 * d->datadir, recording the set (label, type, stop time) in the report.
 * While nothing is written, the repository is probed (repo_watch.h).
 * Errors: stanza_missing, no_backup, restore_failed, repository_unreachable,
 * restore_host_error, timeout, interrupted, internal.
 */
bool restore_backup(drill *d);

/*
 * The options of the restore itself, before pgbackrest.options (which may
 * set none of them but the log level: pgbackrest_options.h): the backup set
 * (set; NULL: pgBackRest's choice), the data directory, the target and what
 * happens there, archiving off, the processes, and per-file progress lines
 * unless pgbackrest.options sets the console's log level.
 */
void restore_options(const drill *d, const char *set, pgd_argv *extra);

#endif
