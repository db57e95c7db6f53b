/*
 * recovery_log.h - what the private recovery instance's server log says.
 *
 * The server log is the only place that explains why a recovery failed (and
 * post_bootstrap never runs after a failed recovery, docs/design.md F3; the
 * messages relied on are listed in F7). Lines
 * are fed in as they arrive; the facts gathered here are pure data, so the
 * classification can be unit-tested without a server.
 */
#ifndef PGDRILL_BOOTSTRAP_RECOVERY_LOG_H
#define PGDRILL_BOOTSTRAP_RECOVERY_LOG_H

#include "verdict.h"

#include <stdbool.h>

typedef struct recovery_log {
    char *last_restored_segment; /* restored log file "X" from archive */
    char *missing_segment;       /* pgBackRest: unable to find X in the archive */
    char *first_fatal;           /* first FATAL or PANIC line, as logged */
    char *stop_point;            /* recovery stopping before commit of transaction N, time T */
    char *last_transaction_time; /* last completed transaction was at log time T */
    bool target_not_reached;     /* FATAL: recovery ended before ... target was reached */
    bool consistent;             /* consistent recovery state reached */
    bool accepts_read_only;      /* ready to accept read-only connections */
    bool promoted;               /* ready to accept (read-write) connections */
    long new_timeline;           /* selected new timeline ID */
    char *redo_start;            /* "redo starts at 0/3000028": the first record replayed */
    char *redo_done;             /* "redo done at 0/6024EF0": the last record read */
    double redo_seconds;         /* its "elapsed: 12.34 s": how long replay took; -1 unknown */
} recovery_log;

/* A log that has seen nothing yet. */
void recovery_log_init(recovery_log *log);
void recovery_log_feed(recovery_log *log, const char *line);
void recovery_log_free(recovery_log *log);

typedef struct recovery_failure {
    pgd_error_class error_class; /* wal_missing, target_not_reached, recovery_failed */
    char *message;
} recovery_failure;

/*
 * Why did a recovery that ended without promotion fail? missing is the
 * segment recovery could not fetch (or NULL); later_wal_exists says whether
 * the archive holds WAL after it; exit_description how postgres ended.
 */
recovery_failure recovery_classify(const recovery_log *log, const char *missing,
                                   bool later_wal_exists, const char *target_time,
                                   const char *exit_description);

/* The segment recovery failed to fetch: pgBackRest's report, else the one after the last restored.
 */
char *recovery_missing_segment(const recovery_log *log, long segment_bytes);

#endif
