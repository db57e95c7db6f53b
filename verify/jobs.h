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
 */
#ifndef PGDRILL_VERIFY_JOBS_H
#define PGDRILL_VERIFY_JOBS_H

#include "checks.h"

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

#endif
