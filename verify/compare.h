/*
 * compare.h - verify.compare: each {name, database, sql} is a check of its
 * own ("compare:<name>"): the copy's answer against the source's.
 *
 * bootstrap ran the query on the source in the marker's snapshot and kept
 * its row count and a hash of its rows in the report (source.compare);
 * verify runs it in the copy the way it runs an assertion (assertions.h:
 * the same read-only role, jobs, timeouts and rules for what an error may
 * show), with the same settings and current_setting('pgdrill.marker_time'),
 * and the two answers must agree. Different answers are source_mismatch,
 * with the database's unlogged relations named (their data never comes
 * back); no answer on either side is never a finding.
 */
#ifndef PGDRILL_VERIFY_COMPARE_H
#define PGDRILL_VERIFY_COMPARE_H

#include "assertions.h"
#include "checks.h"

extern const check_def check_compare;

typedef struct compare_facts {
    assertion_facts query; /* the copy's side, as an assertion's */
    bool answered;         /* the copy answered with (rows, hash) */
    long long rows;
    char hash[33];
    /* the source's side (compare_facts_source) */
    const char *dbname;
    bool captured;            /* the report holds the source's entry */
    const char *source_error; /* it could not be read there */
    long long source_rows;
    const char *source_hash;
    char *unlogged; /* the database's unlogged relations on the source, or NULL */
} compare_facts;

/* The source's side of item from the report (source.compare, source.catalog). */
void compare_facts_source(const pgd_report *report, const pgd_assertion *item, compare_facts *f);

/* The pure judge of one comparison. */
void compare_judge(const compare_facts *f, check_result *out);

#endif
