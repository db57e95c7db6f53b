/*
 * target_check.h - the "target" check: a copy restored to a past instant
 * holds exactly the marker and fence rows committed up to it.
 */
#ifndef PGDRILL_VERIFY_TARGET_CHECK_H
#define PGDRILL_VERIFY_TARGET_CHECK_H

#include "checks.h"
#include "target.h"

/* Was this drill's target a past one (target.kind other than latest)? */
bool verify_past_target(const pgd_report *report);

/* The facts of the target check: the rows of source and copy, merged (target_rows.h). */
typedef struct target_facts {
    int64_t target_us;    /* the report's target_time */
    pgd_marker_row *rows; /* bounds filled (pgd_marker_bound_commits) */
    size_t n;
    char *dbname;       /* the copy's database looked in */
    bool table_missing; /* the copy has no marker table */
    json_t *copy;       /* the copy's rows (rows borrow its strings) */
} target_facts;

/* pure: the bracket of the target (target.h) to a result. */
void judge_target(const void *facts, check_result *out);

extern const check_def check_target;

#endif
