/*
 * recovery_run.h - one private recovery, as the files of phase 3 share it.
 *
 * recovery.c drives it (start the instance, follow replay to the promotion,
 * stop it); each other part does one thing: private_instance.c the
 * instance's configuration, replay_progress.c following replay,
 * replay_failure.c why replay ended before the target, recovery_finish.c
 * the clean shutdown after promotion, replay_stats.c what the replay is
 * recorded as.
 */
#ifndef PGDRILL_BOOTSTRAP_RECOVERY_RUN_H
#define PGDRILL_BOOTSTRAP_RECOVERY_RUN_H

#include "controldata.h"
#include "drill.h"
#include "death_watch.h"
#include "process.h"
#include "recovery_log.h"
#include "repo_watch.h"
#include "replay_progress.h"

#include <stdbool.h>

struct recovery_run {
    drill *d;
    char *bindir;
    char *private_dir;     /* the instance's configuration and socket (private_instance.h) */
    controldata before;    /* pg_control as restored */
    recovery_log log;      /* what the instance's log said so far */
    pgd_proc proc;         /* the instance's postmaster */
    bool started;          /* proc runs */
    char *restore_command; /* with WAL prefetching (prefetch.h), or NULL: the restored one */
    char *spool_dir;
    pgd_death_watch
        archive_get_stopper;  /* stops the asynchronous archive-get if bootstrap is killed */
    repo_watch repo;          /* probes the repository while nothing is replayed or fetched */
    bool watching;            /* repo is initialised */
    replay_progress progress; /* following replay */
};

#endif
