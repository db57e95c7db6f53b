/*
 * amcheck.h - the amcheck check: pg_amcheck (heap tables with their TOAST,
 * B-tree indexes) in every verified database (the runner runs several at
 * once, jobs.h), the amcheck extension installed in the throw-away instance
 * when missing (it needs a superuser connection, as Patroni's is).
 *
 * pg_amcheck 15 exits 2 for corruption and also for an SQL error during a
 * check (permission denied is printed like a finding), 1 when it could not
 * run; what it printed decides between a finding and a drill that could not
 * check: with --verbose, a check's error carries its SQLSTATE (classify.h).
 */
#ifndef PGDRILL_VERIFY_AMCHECK_H
#define PGDRILL_VERIFY_AMCHECK_H

#include "checks.h"
#include "xalloc.h"

extern const check_def check_amcheck;

/* What pg_amcheck printed about one database. */
typedef struct amcheck_findings {
    int corrupt;     /* relations or blocks reported corrupt */
    int environment; /* errors of the instance, not of the data (permissions, memory) */
    pgd_buf summary; /* the first findings: "relation ..., block N: message" */
    char *stopped;   /* the first of the instance's errors, or NULL */
} amcheck_findings;

/* Feed pg_amcheck's stdout; findings is initialised by the caller (zeroes, pgd_buf_init). */
void amcheck_parse(const char *output, amcheck_findings *findings);

#endif
