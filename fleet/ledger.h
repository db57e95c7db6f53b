/*
 * ledger.h - the deployer's side of the status history (pgdrill.drill_status).
 *
 * The facts the judge needs, read per scope; the launches written as "scheduled" rows in
 * the same transaction that counted the drills in progress, under the fleet's advisory
 * lock (common/fleet/history.c): bootstrap admits drills under that lock too, so a
 * second pass, a second deployer and drills started by hand share one cap and never start
 * a scope twice. Launches that never reported end as terminal never_started rows; the
 * drills cleaned up after are remembered in pgdrill.fleet_cleanup (the deployer's own
 * table: drill_status is only ever appended to).
 */
#ifndef PGDRILL_FLEET_LEDGER_H
#define PGDRILL_FLEET_LEDGER_H

#include "plan.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_CLEANUP_TABLE "pgdrill.fleet_cleanup"

typedef struct fleet_ledger {
    PGconn *conn;
    int64_t timeout_ms;
    bool schema_ready; /* the history's and the deployer's tables and indexes exist */
} fleet_ledger;

/* Connect within connect_timeout seconds; false with *errmsg. */
bool fleet_ledger_open(fleet_ledger *ledger, const char *dsn, long connect_timeout, char **errmsg);

void fleet_ledger_close(fleet_ledger *ledger);

/*
 * BEGIN, take the fleet's advisory lock and create what is missing (history.c's table,
 * indexes and view; the deployer's indexes and fleet_cleanup). Held until commit/rollback.
 */
bool fleet_ledger_begin(fleet_ledger *ledger, char **errmsg);
bool fleet_ledger_commit(fleet_ledger *ledger, char **errmsg);
void fleet_ledger_rollback(fleet_ledger *ledger);

/* Does pgdrill.drill_status exist? (plan reads without creating anything) */
bool fleet_ledger_history_exists(fleet_ledger *ledger, bool *exists, char **errmsg);

/* The history server's clock, Unix seconds. */
bool fleet_ledger_now(fleet_ledger *ledger, double *now, char **errmsg);

/* A drill the deployer launched: its "scheduled" row. */
typedef struct fleet_launch_row {
    char *test_id;
    char *scope;
    char *stanza;
    json_t *detail; /* the scheduled row's detail: runner, source, drill name, ... */
} fleet_launch_row;

typedef struct fleet_launch_rows {
    fleet_launch_row *items;
    size_t count;
} fleet_launch_rows;

void fleet_launch_rows_free(fleet_launch_rows *rows);

/*
 * End every launch still only "scheduled" after launch_timeout (and within stale_after)
 * with an "inconclusive" row of class never_started; *ended gets them (their cleanup is
 * due). In the locked transaction.
 */
bool fleet_ledger_end_silent_launches(fleet_ledger *ledger, long stale_after, long launch_timeout,
                                      fleet_launch_rows *ended, char **errmsg);

/* The admission rule's count (history.c), launches past launch_timeout left out. */
bool fleet_ledger_in_progress(fleet_ledger *ledger, long stale_after, long launch_timeout,
                              long *count, char **errmsg);

/* What the history says of one scope beyond the judge's facts. */
typedef struct fleet_scope_facts {
    fleet_facts facts;
    char *last_error_class; /* of the last latest drill that ended, or NULL */
    char *past_error_class; /* of the last drill to a past target that ended, or NULL */
    char *in_progress_test_id;
} fleet_scope_facts;

/*
 * The facts of count scopes, sorted by strcmp (out has count entries, filled in order),
 * drills older than stale_after counting as dead.
 */
bool fleet_ledger_facts(fleet_ledger *ledger, const char *const *scopes, size_t count,
                        long stale_after, fleet_scope_facts *out, char **errmsg);

void fleet_scope_facts_free(fleet_scope_facts *facts);

/* INSERT one status row (status "scheduled" for a launch; detail borrowed, may be NULL). */
bool fleet_ledger_append(fleet_ledger *ledger, const char *test_id, const char *scope,
                         const char *stanza, const char *status, const char *error_class,
                         json_t *detail, char **errmsg);

/*
 * The deployer's launches of runner within the last week that ended (their latest row is
 * terminal, or they are older than stale_after) and were not cleaned up yet.
 */
bool fleet_ledger_cleanup_due(fleet_ledger *ledger, const char *runner, long stale_after,
                              fleet_launch_rows *due, char **errmsg);

/* Remember that test_id was cleaned up (outcome: "done" or why not). */
bool fleet_ledger_cleanup_done(fleet_ledger *ledger, const char *test_id, const char *scope,
                               const char *outcome, char **errmsg);

#endif
