/*
 * recovery_log.c - facts from the recovery instance's server log, and the
 * classification of a failed recovery.
 */
#include "recovery_log.h"

#include "wal.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Message texts of PostgreSQL 15 (and pgBackRest's archive-get) that drive the decisions. */
#define MSG_RESTORED       "restored log file \""
#define MSG_UNABLE_TO_FIND "unable to find "
#define MSG_IN_ARCHIVE     " in the archive"
#define MSG_NOT_REACHED    "recovery ended before configured recovery target was reached"
#define MSG_CONSISTENT     "consistent recovery state reached"
#define MSG_READ_ONLY      "database system is ready to accept read-only connections"
#define MSG_READY          "database system is ready to accept connections"
#define MSG_STOPPING       "recovery stopping "
#define MSG_LAST_XACT      "last completed transaction was at log time "
#define MSG_NEW_TIMELINE   "selected new timeline ID: "
#define MSG_REDO_STARTS    "redo starts at "
#define MSG_REDO_DONE      "redo done at "
#define MSG_ELAPSED        "elapsed: " /* pg_rusage_show() at the end of "redo done at" */

static void replace(char **field, char *value)
{
    free(*field);
    *field = value;
}

void recovery_log_init(recovery_log *log)
{
    memset(log, 0, sizeof(*log));
    log->redo_seconds = -1;
}

void recovery_log_feed(recovery_log *log, const char *line)
{
    const char *p;

    if ((p = strstr(line, MSG_RESTORED)) != NULL) {
        p += strlen(MSG_RESTORED);
        if (strlen(p) >= 24 && pgd_wal_is_segment_name(p))
            replace(&log->last_restored_segment, pgd_strndup(p, 24));
    } else if ((p = strstr(line, MSG_UNABLE_TO_FIND)) != NULL && strstr(line, MSG_IN_ARCHIVE)) {
        p += strlen(MSG_UNABLE_TO_FIND);
        if (strlen(p) >= 24 && pgd_wal_is_segment_name(p))
            replace(&log->missing_segment, pgd_strndup(p, 24));
    } else if (strstr(line, MSG_NOT_REACHED) != NULL)
        log->target_not_reached = true;
    else if (strstr(line, MSG_CONSISTENT) != NULL)
        log->consistent = true;
    else if (strstr(line, MSG_READ_ONLY) != NULL)
        log->accepts_read_only = true;
    else if (strstr(line, MSG_READY) != NULL)
        log->promoted = true;
    else if ((p = strstr(line, MSG_STOPPING)) != NULL)
        replace(&log->stop_point, pgd_strdup(p));
    else if ((p = strstr(line, MSG_LAST_XACT)) != NULL)
        replace(&log->last_transaction_time, pgd_strdup(p + strlen(MSG_LAST_XACT)));
    else if ((p = strstr(line, MSG_NEW_TIMELINE)) != NULL)
        log->new_timeline = atol(p + strlen(MSG_NEW_TIMELINE));
    else if ((p = strstr(line, MSG_REDO_STARTS)) != NULL)
        replace(&log->redo_start, pgd_strndup(p + strlen(MSG_REDO_STARTS),
                                              strcspn(p + strlen(MSG_REDO_STARTS), " ")));
    else if ((p = strstr(line, MSG_REDO_DONE)) != NULL) {
        const char *elapsed = strstr(p, MSG_ELAPSED);
        char *end = NULL;
        double seconds = elapsed ? strtod(elapsed + strlen(MSG_ELAPSED), &end) : -1;

        replace(&log->redo_done,
                pgd_strndup(p + strlen(MSG_REDO_DONE), strcspn(p + strlen(MSG_REDO_DONE), " ")));
        log->redo_seconds =
            end != NULL && strncmp(end, " s", 2) == 0 && seconds >= 0 ? seconds : -1;
    }

    if (log->first_fatal == NULL && (strstr(line, "FATAL:") || strstr(line, "PANIC:")))
        log->first_fatal = pgd_strdup(line);
}

void recovery_log_free(recovery_log *log)
{
    free(log->last_restored_segment);
    free(log->missing_segment);
    free(log->first_fatal);
    free(log->stop_point);
    free(log->last_transaction_time);
    free(log->redo_start);
    free(log->redo_done);
}

char *recovery_missing_segment(const recovery_log *log, long segment_bytes)
{
    char next[PGD_WAL_NAME_LEN + 1];

    if (log->missing_segment != NULL)
        return pgd_strdup(log->missing_segment);
    if (pgd_wal_next_segment(log->last_restored_segment, segment_bytes, next))
        return pgd_strdup(next);
    return NULL;
}

recovery_failure recovery_classify(const recovery_log *log, const char *missing,
                                   bool later_wal_exists, const char *target_time,
                                   const char *exit_description)
{
    recovery_failure f;

    if (log->target_not_reached && missing != NULL && later_wal_exists) {
        f.error_class = PGD_ERR_WAL_MISSING;
        f.message = pgd_asprintf(
            "WAL segment %s is missing from the archive although later WAL exists; replay "
            "stopped there%s%s, before the target %s",
            missing, log->last_restored_segment ? " after " : "",
            log->last_restored_segment ? log->last_restored_segment : "", target_time);
    } else if (log->target_not_reached) {
        f.error_class = PGD_ERR_TARGET_NOT_REACHED;
        f.message = pgd_asprintf(
            "replay used all archived WAL%s%s without reaching the target %s (the archive ends "
            "before the target: recent WAL not archived yet, or a target in the future)",
            log->last_restored_segment ? " up to " : "",
            log->last_restored_segment ? log->last_restored_segment : "", target_time);
    } else if (log->first_fatal != NULL) {
        f.error_class = PGD_ERR_RECOVERY_FAILED;
        f.message = pgd_asprintf("recovery failed: %s", log->first_fatal);
    } else {
        f.error_class = PGD_ERR_RECOVERY_FAILED;
        f.message = pgd_asprintf("postgres %s before promotion without logging a FATAL error",
                                 exit_description);
    }
    return f;
}
