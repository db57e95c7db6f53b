/*
 * prefetch.h - WAL fetched ahead of replay during the private recovery.
 *
 * pgBackRest's restore writes a restore_command that fetches one segment per
 * call, each its own request to the repository, while replay waits. With
 * archive-async, archive-get leaves a background process filling a queue of
 * the next segments in a spool directory, so replay finds them on local disk
 * (docs/design.md, F18). Only archive-get runs: nothing is written to the
 * repository.
 */
#ifndef PGDRILL_BOOTSTRAP_PREFETCH_H
#define PGDRILL_BOOTSTRAP_PREFETCH_H

#include "drill.h"

#include <stdbool.h>

/* The drill's spool directory (state_dir/wal-spool; one drill per state_dir). Caller frees. */
char *prefetch_spool_dir(const pgd_config *cfg);

/*
 * The restore_command for the private recovery: pgBackRest's own (from the
 * restored postgresql.auto.conf, with every option it chose for archive-get)
 * plus --archive-async with a bounded queue, a spool and a lock directory of
 * the drill's own and --process-max; with queue_bytes 0, --no-archive-async
 * (one segment at a time, whatever pgbackrest.conf says). NULL with *why
 * when auto_conf holds no restore_command of pgBackRest's form.
 */
char *prefetch_restore_command(const char *auto_conf, const char *spool_dir, long queue_bytes,
                               long process_max, const char **why);

/*
 * Prepare the spool directory (emptied, 0700) and return the restore_command
 * to start the recovery with, or NULL to keep the restored one (logged why).
 */
char *prefetch_prepare(drill *d);

/*
 * Stop pgBackRest's asynchronous archive-get of this spool directory (it
 * detaches itself, so it is no child of ours: found by its --spool-path) and
 * remove the directory. Also for the leftovers of a drill that was killed.
 */
void prefetch_cleanup(const char *spool_dir);

#endif
