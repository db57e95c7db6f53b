/*
 * replay_progress.h - following the private recovery's replay: a progress
 * line every 5 s (how far, how fast, how long still), and whether replay or
 * the WAL fetch moved, which tells the repository's watch (repo_watch.h)
 * that the repository is alive or not needed yet.
 */
#ifndef PGDRILL_BOOTSTRAP_REPLAY_PROGRESS_H
#define PGDRILL_BOOTSTRAP_REPLAY_PROGRESS_H

#include <libpq-fe.h>

#include <stdbool.h>
#include <stdint.h>

typedef struct recovery_run recovery_run;

typedef struct replay_progress {
    PGconn *conn;            /* to the private instance once it accepts read-only connections */
    int64_t last_report_ms;  /* the last progress line */
    uint64_t replayed_lsn;   /* from the latest progress query */
    uint64_t lsn_mark;       /* ... at the last movement */
    char *seen_segment;      /* the last restored WAL segment at the last sample */
    long long queued_mark;   /* the WAL queue's bytes at the last movement (or less); -1 none */
    int64_t last_sample_ms;  /* the last look at the queue and the replay */
    int64_t redo_started_ms; /* when the log said "redo starts at"; 0: not yet */
} replay_progress;

void replay_progress_init(replay_progress *p);
void replay_progress_free(replay_progress *p);

/* Close the progress connection, if any (before the instance stops). */
void replay_progress_disconnect(replay_progress *p);

/* Log a progress line when the last one is 5 s old. */
void replay_progress_report(recovery_run *run);

/*
 * Once a second: did replay or the WAL fetch move since the last look? Then
 * the repository's watch starts over (repo_watch_progress). Past the stop
 * point it always does (docs/design.md, F43).
 */
void replay_progress_sample(recovery_run *run, int64_t now);

/*
 * Did replay or the fetch move, given the bytes in the WAL queue (-1: no
 * queue), the last restored segment (NULL: none yet) and p->replayed_lsn?
 * A segment restored, a megabyte replayed, or 64 kB more in the queue; less
 * is not movement (docs/design.md, F42). The marks move along. Pure.
 */
bool replay_progress_moved(replay_progress *p, long long queued, const char *segment);

/*
 * ", 42.0 MB/s, about 90 s left": the replay rate from redo_start over
 * seconds and, when end (the end of the segment holding the fence) is past
 * replayed_to, the time left at that rate; ", 42.0 MB/s" without an end; ""
 * before a second has passed or a byte was replayed. Caller frees. Pure.
 */
char *replay_rate_text(uint64_t redo_start, uint64_t replayed_to, double seconds, uint64_t end);

/*
 * Bytes of WAL in pgBackRest's queue directory (<spool>/archive/<stanza>/in,
 * F19): the segments and the ones being written, not its .ok and .error
 * status files (F42); -1 when there is no such directory.
 */
long long replay_queued_bytes(const char *queue_dir);

#endif
