/*
 * restore.h - phase 2: pgbackrest restore with point-in-time target.
 */
#ifndef PGDRILL_BOOTSTRAP_RESTORE_H
#define PGDRILL_BOOTSTRAP_RESTORE_H

#include "drill.h"

/*
 * Restore the backup set pgBackRest picks for d->target_time into
 * d->datadir, recording the set (label, type, stop time) in the report.
 * While nothing is written, the repository is probed (repo_watch.h).
 * Errors: stanza_missing, no_backup, restore_failed, repository_unreachable,
 * restore_host_error, timeout, interrupted, internal.
 */
bool restore_backup(drill *d);

#endif
