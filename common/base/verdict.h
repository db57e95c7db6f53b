/*
 * verdict.h - drill verdicts and error classes, and how they map to exit codes.
 *
 * The error classes are part of the external contract (README, report field
 * error.class, history rows). They are one typed table: code names a class
 * by its enum constant, so a misspelled class does not compile, and the
 * verdict, exit code and advice of a class are looked up here and nowhere
 * else. A unit test holds the README's table of classes to this one.
 */
#ifndef PGDRILL_VERDICT_H
#define PGDRILL_VERDICT_H

#include <stdbool.h>

typedef enum pgd_verdict {
    PGD_VERDICT_RUNNING,
    PGD_VERDICT_PASSED,
    PGD_VERDICT_FAILED,
    PGD_VERDICT_INCONCLUSIVE,
    PGD_VERDICT_USAGE, /* configuration or arguments refused: exit 2, nothing was done */
} pgd_verdict;

const char *pgd_verdict_name(pgd_verdict verdict);
int pgd_verdict_exit_code(pgd_verdict verdict);

/* Keep in the order of the README's table (the unit test compares them). */
typedef enum pgd_error_class {
    PGD_ERR_NONE = 0, /* no error: error is null in the report */
    PGD_ERR_CONFIG,
    PGD_ERR_MARKER_LOCATION_REFUSED,
    PGD_ERR_SOURCE_UNREACHABLE,
    PGD_ERR_SOURCE_NOT_PRIMARY,
    PGD_ERR_ARCHIVING_OFF_ON_SOURCE,
    PGD_ERR_ARCHIVE_STALLED,
    PGD_ERR_STANZA_MISSING,
    PGD_ERR_NO_BACKUP,
    PGD_ERR_TARGET_UNREACHABLE,
    PGD_ERR_RESTORE_FAILED,
    PGD_ERR_REPOSITORY_UNREACHABLE,
    PGD_ERR_RESTORE_HOST_ERROR,
    PGD_ERR_WAL_MISSING,
    PGD_ERR_TARGET_NOT_REACHED,
    PGD_ERR_RECOVERY_FAILED,
    PGD_ERR_MARKER_MISSING,
    PGD_ERR_FENCE_PRESENT,
    PGD_ERR_TARGET_MISMATCH,
    PGD_ERR_ARCHIVING_ENABLED,
    PGD_ERR_SCHEMA_DUMP_FAILED,
    PGD_ERR_BACKUP_PAGE_ERRORS,
    PGD_ERR_CHECKSUM_FAILURE,
    PGD_ERR_DATA_CORRUPTION,
    PGD_ERR_ASSERTION_FAILED,
    PGD_ERR_SOURCE_MISMATCH,
    PGD_ERR_RTO_EXCEEDED,
    PGD_ERR_GIVEN_UP,
    PGD_ERR_DEFERRED,
    PGD_ERR_NEVER_STARTED, /* pgdrill-fleet: a launch that never reported */
    PGD_ERR_LAUNCH_FAILED, /* pgdrill-fleet: the runner could not start the drill */
    PGD_ERR_QUARANTINE_FAILED,
    PGD_ERR_TIMEOUT,
    PGD_ERR_INTERRUPTED,
    PGD_ERR_INTERNAL,
    PGD_ERR_UNKNOWN, /* a name this version does not know (a report of another version) */
} pgd_error_class;

#define PGD_ERR_FIRST PGD_ERR_CONFIG
#define PGD_ERR_LAST  PGD_ERR_INTERNAL

/* "wal_missing"; "unknown" for PGD_ERR_UNKNOWN, NULL for PGD_ERR_NONE. */
const char *pgd_error_class_name(pgd_error_class error_class);

/* The class of a name as stored in a report; PGD_ERR_NONE for NULL, PGD_ERR_UNKNOWN if unknown. */
pgd_error_class pgd_error_class_from_name(const char *name);

/* A finding about the backup (failed) or a drill that could not run (inconclusive). */
pgd_verdict pgd_error_class_verdict(pgd_error_class error_class);

/*
 * Should candidate replace current as a run's error? The first error wins,
 * except that a finding (failed) outranks an earlier failure to run
 * (inconclusive): a backup proven broken must page even if another check
 * could not run.
 */
bool pgd_error_class_outranks(pgd_error_class candidate, pgd_error_class current);

/* What happened and what an SRE should do, as in the README's table. */
const char *pgd_error_class_meaning(pgd_error_class error_class);
const char *pgd_error_class_advice(pgd_error_class error_class);

#endif
