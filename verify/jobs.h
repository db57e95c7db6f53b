/*
 * jobs.h - the program of a CHECK_PER_DATABASE check in every database,
 * verify.jobs at a time, within verify.timeout (the runner's pool, as
 * PostgreSQL's parallel slots are vacuumdb's and reindexdb's).
 *
 * With D databases and J jobs, min(J, D) programs run at once, each told
 * to use J / min(J, D) connections of its own (at least one): never more
 * than verify.jobs connections together, and one database alone gets all J.
 * The programs run with LC_ALL=C and, for a superuser, lc_messages=C, so
 * that what they print is PostgreSQL's own text (docs/design.md, F60).
 *
 * The statements of a CHECK_PER_ASSERTION check run the same way, one
 * session each, verify.jobs at a time (jobs_run_queries).
 */
#ifndef PGDRILL_VERIFY_JOBS_H
#define PGDRILL_VERIFY_JOBS_H

#include "checks.h"
#include "pq.h"

/* Run def's program in every database, judge what it gathered and record the check. */
void jobs_run_program(verify_run *run, const check_def *def);

/* A per-database check without a database to run in: not_run, never a pass (none proves nothing).
 */
void jobs_no_database(const check_def *def, check_result *out);

/* How many programs run at once, and how many connections each may use. */
void jobs_share(long jobs, size_t databases, long *parallel, long *each);

/*
 * The lines of a program's last words (newline separated) that report an
 * error (pg_amcheck --verbose fills its stderr with progress), else all of
 * them; the caller frees.
 */
char *jobs_error_lines(const char *tail);

/*
 * The order of a parallel run of n items, min(verify.jobs, n) at a time:
 * items start in table order, and an item is recorded once it and every
 * item before it have ended, so that the report lists them in table order
 * whatever order they end in.
 */
typedef struct jobs_order {
    size_t n;
    long parallel;
    long running;
    size_t started;  /* items [0, started) have started */
    size_t recorded; /* items [0, recorded) have been recorded */
    bool *ended;
} jobs_order;

void jobs_order_init(jobs_order *o, size_t n, long jobs);

/* The next item to start now; false while `parallel` run, or when every item has started. */
bool jobs_order_start(jobs_order *o, size_t *item);

/* A started item has ended: its place is free. */
void jobs_order_ended(jobs_order *o, size_t item);

/* The next item to record, in table order; false until it has ended. */
bool jobs_order_record(jobs_order *o, size_t *item);

/* Every item has been recorded. */
bool jobs_order_finished(const jobs_order *o);

void jobs_order_free(jobs_order *o);

/*
 * A check that runs one statement per item on a connection of its own
 * (verify.assertions). The pool owns the connections: open hands one over,
 * the pool closes it after ended (as PostgreSQL's parallel slots adopt one).
 */
typedef struct check_queries {
    size_t count;
    void *arg;
    /*
     * Item i starts: connect (*conn) and name its statement and how long to
     * wait for it; false when it ended before a statement (its facts say
     * why): the pool closes *conn if it was set.
     */
    bool (*open)(verify_run *run, void *arg, size_t i, PGconn **conn, const char **sql,
                 int64_t *wait_ms);
    /* Item i's statement ended (pgd_pq_run's end, res or errmsg); conn is still open. */
    void (*ended)(verify_run *run, void *arg, size_t i, PGconn *conn, pgd_pq_end end,
                  const PGresult *res, const char *errmsg);
    /* Record item i, which ran from start_ms to end_ms; every item before it is recorded. */
    void (*record)(verify_run *run, void *arg, size_t i, int64_t start_ms, int64_t end_ms);
} check_queries;

/*
 * Run every item's statement, verify.jobs at a time, each within its wait
 * (cancelled then, or at a termination signal: pq.h), and record them in
 * table order.
 */
void jobs_run_queries(verify_run *run, const check_queries *queries);

#endif
