/*
 * checks.h - the post_bootstrap checks of a restored instance.
 *
 * Every check ends in one of three states: passed, failed (a finding: the
 * backup is not proven restorable) or could not run (the drill is
 * inconclusive). Each records {name, status, seconds, detail} in the report.
 */
#ifndef PGDRILL_VERIFY_CHECKS_H
#define PGDRILL_VERIFY_CHECKS_H

#include "config.h"
#include "report.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum check_outcome {
    CHECK_PASSED,
    CHECK_FAILED,
    CHECK_NOT_RUN, /* could not be carried out: inconclusive */
} check_outcome;

typedef struct verify_run {
    const pgd_config *cfg;
    pgd_report *report;
    const char *conninfo; /* as given by Patroni (or by hand); may be "" */
    PGconn *conn;         /* to the database of conninfo */
    int server_major;
    int64_t deadline_ms; /* verify.timeout */

    /* the first finding or failure to run, for error.class / error.message */
    pgd_error_class error_class;
    char *error_message;
} verify_run;

/*
 * Record a check's result in the report; for FAILED and NOT_RUN also the
 * run's error (the first one wins). detail is printed and stored as is.
 */
void check_record(verify_run *run, const char *name, check_outcome outcome, int64_t start_ms,
                  pgd_error_class error_class, const char *detail);

/* The run's error becomes error_class unless an earlier one outranks it (verdict.h). */
void verify_note_error(verify_run *run, pgd_error_class error_class, const char *name,
                       const char *detail);

/* How long a check's query may take: 60 s, less when verify.timeout is closer. */
int64_t verify_query_timeout(const verify_run *run);

/*
 * A connection to dbname on the restored instance, with the conninfo
 * Patroni gave (only the database changed): run->conn itself when it is
 * that database already, else a new connection (the caller PQfinishes it
 * when it differs from run->conn). NULL with *errmsg.
 */
PGconn *verify_connect_database(verify_run *run, const char *dbname, char **errmsg);

/* The databases to check: verify.databases, or every one that accepts connections. */
bool verify_databases(verify_run *run, pgd_strlist *out, char **errmsg);
void verify_free_databases(pgd_strlist *list);

void check_promoted(verify_run *run);
/* report.rto_target against restore + recovery (no check without a target) */
void check_rto(verify_run *run);
void check_archiving_off(verify_run *run);
/* no subscription of the copy can replicate from production (bootstrap quarantined them) */
void check_quarantine(verify_run *run);
/* marker present and fence absent, in the database the marker was written to */
void check_marker_and_fence(verify_run *run);

#endif
