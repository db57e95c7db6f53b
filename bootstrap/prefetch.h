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

#include "death_watch.h"
#include "procfs.h"

#include <stdbool.h>
#include <sys/types.h>

/* The drill's spool directory (state_dir/wal-spool; one drill per state_dir). Caller frees. */
char *prefetch_spool_dir(const pgd_config *cfg);

/* How the private recovery gets its WAL. */
typedef struct prefetch_plan {
    long queue_bytes;   /* the queue's bound; 0: one segment at a time, no spool */
    long processes;     /* archive-get's --process-max */
    long segment_bytes; /* the cluster's WAL segment size (pg_control) */
    const char *stanza; /* names pgBackRest's queue directory inside the spool */
} prefetch_plan;

/*
 * The restore_command for the private recovery: pgBackRest's own (from the
 * restored postgresql.auto.conf, with every option it chose for archive-get)
 * plus --archive-async with a bounded queue, a spool and a lock directory of
 * the drill's own and --process-max; with queue_bytes 0, --no-archive-async
 * (one segment at a time, whatever pgbackrest.conf says). With a queue of at
 * least 8 segments, a segment already in the queue is moved into place by the
 * shell, and pgBackRest runs only for every few segments (refilling its
 * queue) and for whatever the queue does not hold (docs/design.md, F19).
 * NULL with *why when auto_conf holds no restore_command of pgBackRest's form.
 */
char *prefetch_restore_command(const char *auto_conf, const char *spool_dir,
                               const prefetch_plan *plan, const char **why);

/*
 * How often pgBackRest itself runs when segments are moved out of the queue
 * by the shell: every N-th segment (a power of two, at most 16, at most a
 * quarter of the queue so it is refilled long before it runs dry); 1: always.
 */
long prefetch_refill_every(long queue_bytes, long segment_bytes);

/*
 * The processes fetching ahead: replay is one process (the startup process)
 * that needs a CPU of its own, so at most the usable CPUs minus one, at
 * least one, and never more than pgbackrest.process_max (F19).
 */
long prefetch_processes(long process_max, long usable_cpus);

/*
 * Prepare the spool directory (emptied, 0700) and return the restore_command
 * to start the recovery with, or NULL to keep the restored one (logged why).
 * segment_bytes: the restored cluster's WAL segment size.
 */
char *prefetch_prepare(drill *d, long segment_bytes);

/*
 * Is p a pgBackRest process of this drill's WAL prefetch, ours to stop? Only
 * when all of these hold: it runs as our_uid; its program is pgbackrest_exe
 * (the pgbackrest PATH finds, which wrote the restore_command); one argument
 * is exactly spool_arg ("--spool-path=<our spool directory>", not merely
 * containing it); one is an archive-get command (archive-get,
 * archive-get:async, archive-get:local; docs/design.md, F21). So an strace,
 * a shell or a script that mentions the spool directory is never stopped.
 * Otherwise false with *why saying which did not hold.
 */
bool prefetch_is_our_fetcher(const pgd_procfs_info *p, uid_t our_uid, const char *pgbackrest_exe,
                             const char *spool_arg, const char **why);

/*
 * Stop pgBackRest's archive-gets of this spool directory (the asynchronous
 * one detaches itself, so it is no child of ours: found by
 * prefetch_is_our_fetcher) and remove the directory. Also for the leftovers
 * of a drill that was killed. A process that only mentions the spool
 * directory is left running, with a warning.
 */
void prefetch_cleanup(const char *spool_dir);

/*
 * The archive-get stopper: a death watch (death_watch.h) that runs
 * prefetch_cleanup when bootstrap dies first: the asynchronous archive-get
 * detaches itself (its own session, parent init), so neither bootstrap's
 * process groups nor PR_SET_PDEATHSIG reach it after a SIGKILL. Released
 * with pgd_death_watch_release once bootstrap has cleaned up itself. A
 * failure to start it is logged.
 */
void prefetch_start_archive_get_stopper(pgd_death_watch *stopper, const char *spool_dir);

#endif
