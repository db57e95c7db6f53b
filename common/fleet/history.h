/*
 * history.h - the fleet's status-history table (report.history_dsn).
 *
 * Both binaries append a row for every status change of a drill (started,
 * each phase, restored, verifying, passed/failed/inconclusive/deferred), so
 * a scheduler or a dashboard never has to parse logs. The table is created
 * when missing (a TimescaleDB hypertable when that extension is installed in
 * the history database) with a view of the latest status and the last
 * passing drill per scope, and one of the window coverage (which days of the
 * last 30 a passing past-target drill proved). pgdrill only ever INSERTs into it.
 *
 * The history database being down never changes a verdict: the first
 * failure is logged, kept in `problem` for the report, and later appends of
 * the same run are skipped instead of waiting for a dead server again.
 */
#ifndef PGDRILL_HISTORY_H
#define PGDRILL_HISTORY_H

#include "config.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#define PGD_HISTORY_TABLE "pgdrill.drill_status"
#define PGD_HISTORY_VIEW  "pgdrill.drill_latest"
/* Per scope and UTC day of the last 30: did a passing past-target drill prove that day? */
#define PGD_HISTORY_COVERAGE_VIEW "pgdrill.drill_window_coverage"

/* Statuses after which a drill is over, as SQL literals; anything else means in progress. */
#define PGD_HISTORY_TERMINAL_STATUSES "'passed', 'failed', 'inconclusive', 'deferred'"

typedef struct pgd_history {
    const pgd_config *cfg;
    bool enabled;  /* history_dsn is set */
    bool ready;    /* schema checked in this run */
    char *problem; /* first failure, or NULL */
    int appended;  /* rows written by this run */
    long connect_timeout_s;
    long query_timeout_ms;
} pgd_history;

void pgd_history_init(pgd_history *h, const pgd_config *cfg);
void pgd_history_free(pgd_history *h);

/* Short timeouts from now on: the drill was stopped and must still leave its row in seconds. */
void pgd_history_hurry(pgd_history *h);

/* Append one status row; detail (borrowed, may be NULL) becomes the jsonb column. */
void pgd_history_append(pgd_history *h, const char *test_id, const char *scope, const char *stanza,
                        const char *status, const char *error_class, json_t *detail);

typedef enum pgd_admission {
    PGD_ADMITTED,  /* a "started" row was written */
    PGD_DEFERRED,  /* at the cap: a "deferred" row was written */
    PGD_UNCOUNTED, /* the history database could not be asked: proceed, noted in problem */
} pgd_admission;

/*
 * The fleet-wide cap: under an advisory lock (so two drills starting at the
 * same moment cannot both slip under it) count drills started within
 * report.stale_after that have no terminal status yet; below
 * report.max_concurrent write "started", else "deferred". *in_progress gets
 * the count.
 */
pgd_admission pgd_history_admit(pgd_history *h, const char *test_id, const char *scope,
                                const char *stanza, long *in_progress);

/*
 * On a connection of the caller's: BEGIN, take the fleet's advisory lock (held until the
 * caller's COMMIT or ROLLBACK) and, unless schema_known, create the table, indexes and views
 * when they are missing. A history an older version created (no coverage view) gets the
 * view when the role may create it; when it may not, a warning, and rows are appended all
 * the same. pgdrill-fleet's passes run in such a transaction.
 */
bool pgd_history_begin_locked(PGconn *conn, bool schema_known, int64_t timeout_ms, char **errmsg);

/*
 * The admission rule's count, on a connection of the caller's: drills whose latest row is
 * not terminal and that were started (or scheduled by pgdrill-fleet) within stale_after,
 * own_test_id (may be NULL) not counted. launch_timeout > 0 also leaves out launches still
 * "scheduled" after that many seconds (pgdrill-fleet ends them as never_started).
 */
bool pgd_history_count_in_progress(PGconn *conn, long stale_after, const char *own_test_id,
                                   long launch_timeout, int64_t timeout_ms, long *count,
                                   char **errmsg);

/* "appended N rows", "off", or the problem: for the report's delivery section (caller frees). */
char *pgd_history_outcome(const pgd_history *h);

#endif
