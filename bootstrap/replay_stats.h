/*
 * replay_stats.h - what the replay is recorded as: where it stopped, the
 * last transaction it replayed, and the WAL it replayed and how fast.
 */
#ifndef PGDRILL_BOOTSTRAP_REPLAY_STATS_H
#define PGDRILL_BOOTSTRAP_REPLAY_STATS_H

#include "recovery_log.h"
#include "recovery_run.h"
#include "wal.h"

#include <stdbool.h>

/* The WAL replayed. */
typedef struct replay_span {
    char first[PGD_WAL_NAME_LEN + 1]; /* the segment of "redo starts at" */
    char last[PGD_WAL_NAME_LEN + 1];  /* the segment of "redo done at" */
    long long bytes;                  /* from the first record replayed to the last read */
    long long segments;               /* first to last, both counted */
    double seconds;                   /* how long replay took; < 0 unknown */
} replay_span;

/*
 * The span of the log's "redo starts at" to "redo done at" on timeline
 * (docs/design.md, F7 and F16), and how long it took: the "elapsed" of
 * "redo done at" (PostgreSQL's own measure), else measured_seconds (< 0:
 * unknown). False when the log does not say both ends or
 * segment_bytes is not a WAL segment size. Pure.
 */
bool replay_span_of(const recovery_log *log, long timeline, long segment_bytes,
                    double measured_seconds, replay_span *out);

/* Record the stop point, the last transaction's time and the span into the report and the log. */
void replay_stats_record(recovery_run *run);

#endif
