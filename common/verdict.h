/*
 * verdict.h - drill verdicts and error classes, and how they map to exit codes.
 *
 * The error classes are part of the external contract (README, report
 * field error.class). Each has a default verdict: a finding about the backup
 * ("failed", exit 1) or a drill that could not run ("inconclusive", exit 3).
 */
#ifndef PGDRILL_VERDICT_H
#define PGDRILL_VERDICT_H

typedef enum pgd_verdict {
    PGD_VERDICT_RUNNING,
    PGD_VERDICT_PASSED,
    PGD_VERDICT_FAILED,
    PGD_VERDICT_INCONCLUSIVE,
} pgd_verdict;

const char *pgd_verdict_name(pgd_verdict verdict);
int pgd_verdict_exit_code(pgd_verdict verdict);

/* The verdict an error of this class implies; unknown classes are inconclusive. */
pgd_verdict pgd_error_class_verdict(const char *error_class);

#endif
