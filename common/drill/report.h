/*
 * report.h - the drill report (JSON, schema "pgdrill.report/v1").
 *
 * One document per drill: bootstrap creates it and rewrites it at every
 * phase, verify completes it. It is always written atomically. Values are
 * kept as they are; on output (the file, the webhook, the history row) free
 * text is passed through the secret mask, data fields (test id, scope,
 * target time, database names, ...) are not (see secret.h).
 */
#ifndef PGDRILL_REPORT_H
#define PGDRILL_REPORT_H

#include "verdict.h"

#include <jansson.h>
#include <stdbool.h>

#define PGD_REPORT_SCHEMA "pgdrill.report/v1"

typedef struct pgd_report {
    char *path;
    json_t *root;
} pgd_report;

/* A new "running" report for a drill. */
pgd_report *pgd_report_new(const char *path, const char *test_id, const char *scope,
                           const char *stanza);

/*
 * Read an existing report. Returns NULL with *errmsg when the file is
 * missing, unreadable, not JSON, or not a pgdrill.report/v1 document;
 * *missing is set only when the file does not exist (a report we may not
 * read, or a symbolic link in its place, is not missing).
 */
pgd_report *pgd_report_load(const char *path, bool *missing, char **errmsg);

void pgd_report_free(pgd_report *report);

/* The document as it may leave the process: free text masked (caller decrefs). */
json_t *pgd_report_for_output(const pgd_report *report);

/*
 * Write it (temp file + rename). A signature of an earlier version
 * ("<file>.sig") is removed first: it no longer matches what the file holds,
 * and a signed report is always the last one written (conclude.h).
 */
bool pgd_report_write(pgd_report *report, char **errmsg);

/* pgd_report_write, *written (caller frees) the exact bytes the file got (to sign them). */
bool pgd_report_write_text(pgd_report *report, char **written, char **errmsg);

/* Top-level string field, e.g. "target_time"; value NULL stores JSON null. */
void pgd_report_set_string(pgd_report *report, const char *key, const char *value);
const char *pgd_report_get_string(const pgd_report *report, const char *key);

/* A string field inside an object field, e.g. ("backup", "label", ...). */
void pgd_report_set_nested(pgd_report *report, const char *object, const char *key,
                           const char *value);
const char *pgd_report_get_nested(const pgd_report *report, const char *object, const char *key);

/* An integer field inside an object field, e.g. ("recovery", "wal_bytes", 50482888). */
void pgd_report_set_nested_integer(pgd_report *report, const char *object, const char *key,
                                   long long value);

/* A number inside an object field, rounded to milliseconds (or to 3 decimals). */
void pgd_report_set_nested_seconds(pgd_report *report, const char *object, const char *key,
                                   double value);

void pgd_report_set_verdict(pgd_report *report, pgd_verdict verdict);
pgd_verdict pgd_report_get_verdict(const pgd_report *report);

/* timings.<phase> = seconds (rounded to milliseconds). */
void pgd_report_set_timing(pgd_report *report, const char *phase, double seconds);

/*
 * error = {class, message, hint}: message says what happened, hint what to
 * do about it (NULL: the class's advice). PGD_ERR_NONE clears it (null).
 */
void pgd_report_set_error(pgd_report *report, pgd_error_class error_class, const char *message,
                          const char *hint);

/* The error and the verdict its class implies (PGD_ERR_NONE: passed). */
void pgd_report_set_outcome(pgd_report *report, pgd_error_class error_class, const char *message,
                            const char *hint);

/* The class in error.class: PGD_ERR_NONE without an error, PGD_ERR_UNKNOWN for a foreign name. */
pgd_error_class pgd_report_error_class(const pgd_report *report);

/* Append {name, status, seconds, detail} to checks, replacing an earlier entry of that name. */
json_t *pgd_report_set_check(pgd_report *report, const char *name, const char *status,
                             double seconds, const char *detail);

/*
 * The same, for a check that did not pass: its error class is kept in the
 * check ("class"), so that verify can judge checks bootstrap recorded.
 * Returns the check object (borrowed) for fields of its own.
 */
json_t *pgd_report_set_check_class(pgd_report *report, const char *name, const char *status,
                                   double seconds, const char *detail, pgd_error_class error_class);

#endif
