/*
 * amcheck.h - the amcheck check: pg_amcheck (heap tables with their TOAST,
 * B-tree indexes) over every verified database, verify.jobs relations at a
 * time, the amcheck extension installed in the throw-away instance when
 * missing (it needs a superuser connection, as Patroni's is).
 *
 * pg_amcheck 15 exits 2 for corruption and also for an SQL error during a
 * check (permission denied is printed like a finding), 1 when it could not
 * run; what it printed decides between a finding and a drill that could not
 * check.
 */
#ifndef PGDRILL_VERIFY_AMCHECK_H
#define PGDRILL_VERIFY_AMCHECK_H

#include "checks.h"
#include "xalloc.h"

void check_amcheck(verify_run *run);

/* What pg_amcheck printed about one database. */
typedef struct amcheck_findings {
    int corrupt;     /* relations or blocks reported corrupt */
    int environment; /* errors of the instance, not of the data (permissions, memory) */
    pgd_buf summary; /* the first findings: "relation ..., block N: message" */
} amcheck_findings;

/* Feed pg_amcheck's stdout; findings is initialised by the caller (zeroes, pgd_buf_init). */
void amcheck_parse(const char *output, amcheck_findings *findings);

#endif
