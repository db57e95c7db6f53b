/*
 * drill.h - state of one bootstrap run, shared by its phases.
 *
 * Each phase (attempt guard, inject, restore, recovery) is a function taking the
 * drill; it returns false after recording exactly one error with
 * drill_fail(), so main() only has to turn the first error into a verdict,
 * a report and an exit code.
 */
#ifndef PGDRILL_BOOTSTRAP_DRILL_H
#define PGDRILL_BOOTSTRAP_DRILL_H

#include "config.h"
#include "history.h"
#include "report.h"
#include "target.h"
#include "verdict.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

typedef struct drill {
    const pgd_config *cfg;
    char *datadir; /* absolute */
    char *scope;
    char *test_id;
    char *target_time;   /* "YYYY-MM-DD HH:MM:SS.ffffff+00": where recovery stops */
    bool marker_given;   /* a scheduler injected the marker; we did not touch the source */
    pgd_target target;   /* recovery.target: latest, or a past instant (target_choice.c) */
    json_t *source_rows; /* a past target's proof: the source's marker table (target_rows.h) */
    pgd_report *report;
    pgd_history *history;
    int64_t started_ms;
    int64_t deadline_ms; /* restore + recovery must finish by then (recovery.timeout) */

    /* learned along the way */
    char *archived_segment; /* WAL segment holding the fence, confirmed archived */
    char *backup_label;
    char *archive_id; /* e.g. "15-1": where this cluster's WAL lives in the repository */
    long backup_repo; /* the repository the restore took the backup from (its output); 0: unknown */
    int pg_major;
    char *pg_bindir;

    /* the first error; its class decides the verdict */
    pgd_error_class error_class;
    char *error_message;
    char *error_hint; /* what to do, or NULL for the class's advice */

    /* a finding recorded in a check while the drill went on (backup_pages.c), or PGD_ERR_NONE */
    pgd_error_class finding_class;
    char *finding_message;
} drill;

/*
 * Record the drill's error (only the first one counts) and log it. The
 * verdict follows from the class. Returns false for "return drill_fail(...)".
 */
bool drill_fail(drill *d, pgd_error_class error_class, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* drill_fail with a hint of its own (what to do), instead of the class's advice. */
bool drill_fail_hint(drill *d, pgd_error_class error_class, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * A finding that does not end the drill: a check recorded it in the report,
 * the drill goes on (so that the report also says how the rest went), and
 * verify carries the check into the verdict. Only the first one is kept.
 */
void drill_note_finding(drill *d, pgd_error_class error_class, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Before bootstrap ends with an error: a finding noted earlier outranks a
 * later failure to run (pgd_error_class_outranks), which must not hide it;
 * the error then becomes the finding, the failure's text appended.
 */
void drill_settle_finding(drill *d);

/* If a termination signal arrived, record "interrupted" and return true. */
bool drill_interrupted(drill *d);

/* Set the report's phase and write it, so a crash leaves evidence of how far we got. */
void drill_enter_phase(drill *d, const char *phase);

/* A status row in the fleet's history (report.history_dsn), if configured. */
void drill_record_status(drill *d, const char *status);

/* timings.<phase> = time since start_ms. */
void drill_record_timing(drill *d, const char *phase, int64_t start_ms);

/* Write the report; a failure to write is logged, never fatal by itself. */
void drill_save(drill *d);

#endif
