/*
 * inject.c - phase 1: write the marker and the fence on the source primary
 * and wait until the WAL holding them is archived.
 *
 * Why this order (docs/design.md, F1 and F2): recovery to a time stops at the
 * first commit AFTER the target, so the target must be read with
 * clock_timestamp() after the marker's COMMIT (its now() would be the
 * transaction start, which would exclude the marker), and there must be a
 * later commit in the archive (the fence) or PostgreSQL replays everything
 * and fails with "recovery ended before configured recovery target was
 * reached". pg_switch_wal() closes the segment so the archiver ships it now.
 */
#include "inject.h"

#include "clock.h"
#include "log.h"
#include "marker.h"
#include "pq.h"
#include "conninfo.h"
#include "source_capture.h"
#include "target_rows.h"
#include "wal.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define ARCHIVE_POLL_MS         100
#define ARCHIVER_FAILURES_LIMIT 3 /* the archiver's own retry burst: a whole failed round */
#define RECONNECT_PAUSE_MS      1000

static int64_t statement_timeout_ms(const drill *d)
{
    return pgd_marker_statement_timeout_ms(d->cfg->source.connect_timeout);
}

/*
 * A connection to the source whose search_path is pinned before any of our
 * statements runs (pgd_pq_pin_search_path: the source's role and database
 * settings are not ours to trust). NULL with *errmsg on failure.
 */
static PGconn *connect_source(const drill *d, char **errmsg)
{
    PGconn *conn = pgd_pq_connect(d->cfg->source.dsn, d->cfg->source.connect_timeout, errmsg);
    char *why = NULL;

    if (conn == NULL || pgd_pq_pin_search_path(conn, statement_timeout_ms(d), &why))
        return conn;
    *errmsg = pgd_asprintf("could not pin the session's search_path on the source: %s", why);
    free(why);
    PQfinish(conn);
    return NULL;
}

/* Refuse standbys and sources that do not archive: the drill would prove nothing. */
static bool check_source(drill *d, PGconn *conn, const char *target)
{
    char *errmsg = NULL;
    PGresult *res = pgd_pq_exec(conn,
                                "SELECT pg_catalog.pg_is_in_recovery(),"
                                " pg_catalog.current_setting('archive_mode'),"
                                " pg_catalog.current_setting('archive_command'),"
                                " pg_catalog.current_setting('archive_library'),"
                                " pg_catalog.current_database()",
                                0, NULL, statement_timeout_ms(d), &errmsg, NULL);
    bool ok = false;

    if (res == NULL) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not inspect the source %s: %s", target,
                   errmsg);
        free(errmsg);
        return false;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
        drill_fail(d, PGD_ERR_SOURCE_NOT_PRIMARY,
                   "the source %s is a standby (pg_is_in_recovery() is true); point source.dsn at "
                   "the primary",
                   target);
    else if (strcmp(PQgetvalue(res, 0, 1), "off") == 0)
        drill_fail(d, PGD_ERR_ARCHIVING_OFF_ON_SOURCE,
                   "archive_mode is off on the source %s: no WAL reaches the repository, so no "
                   "point-in-time restore is possible",
                   target);
    else if (PQgetvalue(res, 0, 2)[0] == '\0' && PQgetvalue(res, 0, 3)[0] == '\0')
        drill_fail(d, PGD_ERR_ARCHIVING_OFF_ON_SOURCE,
                   "archive_mode is %s but archive_command and archive_library are empty on the "
                   "source %s: WAL is not archived",
                   PQgetvalue(res, 0, 1), target);
    else {
        pgd_report_set_nested(d->report, "marker", "database", PQgetvalue(res, 0, 4));
        ok = true;
    }
    PQclear(res);
    return ok;
}

static bool insert_row(drill *d, PGconn *conn, const char *table, const char *kind)
{
    char *errmsg = NULL;

    if (!pgd_marker_insert(conn, table, d->test_id, kind, d->scope, statement_timeout_ms(d),
                           &errmsg)) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not insert the %s row: %s", kind, errmsg);
        free(errmsg);
        return false;
    }
    return true;
}

/*
 * Marker, target time, fence; returns the WAL segment that must be archived
 * and, in *failures_before, the archiver's failure count before the switch.
 */
static char *write_marker_and_fence(drill *d, PGconn *conn, long *failures_before,
                                    source_capture **capture)
{
    const pgd_config *cfg = d->cfg;
    char *errmsg = NULL;
    char *table = NULL;
    char *segment = NULL;
    char *count = NULL;

    switch (pgd_marker_prepare(conn, cfg->marker.schema, cfg->marker.table, statement_timeout_ms(d),
                               &errmsg)) {
    case PGD_MARKER_READY:
        break;
    case PGD_MARKER_REFUSED:
        drill_fail_hint(d, PGD_ERR_MARKER_LOCATION_REFUSED,
                        "point marker.schema at a schema of pgdrill's own (it creates a missing "
                        "one), or hand an empty schema over with COMMENT ON SCHEMA ... IS "
                        "'" PGD_MARKER_SCHEMA_TAG "'",
                        "%s", errmsg);
        goto out;
    case PGD_MARKER_FAILED:
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not prepare the marker table: %s", errmsg);
        goto out;
    }
    table = pgd_marker_table_name(conn, cfg->marker.schema, cfg->marker.table, &errmsg);
    if (table == NULL) {
        drill_fail(d, PGD_ERR_INTERNAL, "%s", errmsg);
        goto out;
    }
    *capture = source_capture_begin(d, conn);
    if (!source_capture_insert_marker(d, *capture, conn, table))
        goto out;

    /* Read after the marker's COMMIT, in UTC with microseconds. */
    d->target_time =
        pgd_pq_value(conn,
                     "SELECT pg_catalog.to_char(pg_catalog.clock_timestamp() AT TIME ZONE 'UTC',"
                     " 'YYYY-MM-DD HH24:MI:SS.US') || '+00'",
                     0, NULL, statement_timeout_ms(d), &errmsg);
    if (d->target_time == NULL) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not read the target time: %s", errmsg);
        goto out;
    }
    /* A past target's instant is chosen later (target_choice.c); this one is its upper edge. */
    if (d->target.kind == PGD_TARGET_LATEST)
        pgd_report_set_string(d->report, "target_time", d->target_time);
    pgd_info("marker %s committed at %s%s", d->test_id, d->target_time,
             d->target.kind == PGD_TARGET_LATEST ? " (the recovery target)" : "");

    /* The fence's commit time must be strictly after the target, not equal to it. */
    pgd_sleep_ms(2);
    if (!insert_row(d, conn, table, PGD_MARKER_KIND_FENCE))
        goto out;

    /*
     * Counted before the switch: the switch wakes the archiver, whose first
     * attempt may fail before we could look.
     */
    count = pgd_pq_value(conn, "SELECT failed_count FROM pg_catalog.pg_stat_archiver", 0, NULL,
                         statement_timeout_ms(d), &errmsg);
    if (count == NULL) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not read pg_stat_archiver: %s", errmsg);
        goto out;
    }
    *failures_before = atol(count);
    segment = pgd_pq_value(conn, "SELECT pg_catalog.pg_walfile_name(pg_catalog.pg_switch_wal())", 0,
                           NULL, statement_timeout_ms(d), &errmsg);
    if (segment == NULL)
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not switch WAL: %s", errmsg);
out:
    free(errmsg);
    free(table);
    free(count);
    return segment;
}

/*
 * The source restarted (a failover test, a config reload gone wrong) while
 * we wait for the archiver: the marker and fence are committed, so connect
 * again and go on waiting, until the archive wait's own deadline.
 */
static PGconn *reconnect(drill *d, PGconn *lost, int64_t deadline, const char *why)
{
    char *errmsg = NULL;
    PGconn *conn = NULL;

    PQfinish(lost);
    pgd_warn("lost the connection to the source while waiting for the archive (%s); "
             "connecting again",
             why);
    while (conn == NULL && pgd_ms_until(deadline) > 0 && !drill_interrupted(d)) {
        free(errmsg);
        errmsg = NULL;
        conn = connect_source(d, &errmsg);
        if (conn == NULL)
            pgd_sleep_ms(RECONNECT_PAUSE_MS);
    }
    if (conn == NULL && d->error_class == PGD_ERR_NONE)
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE,
                   "could not connect to the source again within marker.archive_timeout: %s",
                   errmsg ? errmsg : why);
    else if (conn != NULL) {
        char *ignored = NULL;

        /*
         * A restart can lose the archiver's statistics of the last segments it
         * archived while shutting down (seen: last_archived_wal stayed behind
         * although the segment was .done). A new switch gets a later segment
         * archived; the archiver works in order, so reaching it proves ours.
         */
        pgd_info("connected to the source again; switching WAL once more");
        pgd_pq_command(conn, "SELECT pg_catalog.pg_switch_wal()", 0, NULL, statement_timeout_ms(d),
                       &ignored);
        free(ignored);
    }
    free(errmsg);
    return conn;
}

static bool wait_archived(drill *d, PGconn **conn, const char *segment, long baseline_failures)
{
    int64_t deadline = pgd_monotonic_ms() + (int64_t)d->cfg->marker.archive_timeout * 1000;

    pgd_info("waiting for WAL segment %s to be archived (at most %lds)", segment,
             d->cfg->marker.archive_timeout);
    for (;;) {
        char *errmsg = NULL;
        PGresult *res = pgd_pq_exec(*conn,
                                    "SELECT last_archived_wal, last_failed_wal, failed_count,"
                                    " last_failed_time FROM pg_catalog.pg_stat_archiver",
                                    0, NULL, statement_timeout_ms(d), &errmsg, NULL);
        long failures;
        const char *last_failed;

        /* a SIGTERM interrupts the query: that is the drill being stopped, not the source */
        if (res == NULL && drill_interrupted(d)) {
            free(errmsg);
            return false;
        }
        if (res == NULL && PQstatus(*conn) != CONNECTION_OK) {
            *conn = reconnect(d, *conn, deadline, errmsg);
            free(errmsg);
            if (*conn == NULL)
                return false;
            continue;
        }
        if (res == NULL) {
            drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not read pg_stat_archiver: %s",
                       errmsg);
            free(errmsg);
            return false;
        }
        failures = atol(PQgetvalue(res, 0, 2));
        last_failed = PQgetisnull(res, 0, 1) ? "(none)" : PQgetvalue(res, 0, 1);
        if (pgd_wal_reached(PQgetvalue(res, 0, 0), segment)) {
            PQclear(res);
            pgd_info("WAL segment %s archived", segment);
            return true;
        }
        if (failures - baseline_failures >= ARCHIVER_FAILURES_LIMIT) {
            drill_fail_hint(d, PGD_ERR_ARCHIVE_STALLED,
                            "the source's server log holds the archive_command's error",
                            "the source's archiver failed %ld times while we waited for %s; "
                            "last_failed_wal %s at %s",
                            failures - baseline_failures, segment, last_failed,
                            PQgetvalue(res, 0, 3));
            pgd_report_set_nested(d->report, "archive", "last_failed_wal", last_failed);
            PQclear(res);
            return false;
        }
        if (pgd_ms_until(deadline) == 0) {
            drill_fail(d, PGD_ERR_ARCHIVE_STALLED,
                       "WAL segment %s was not archived within %lds; last_archived_wal %s, "
                       "last_failed_wal %s",
                       segment, d->cfg->marker.archive_timeout,
                       PQgetisnull(res, 0, 0) ? "(none)" : PQgetvalue(res, 0, 0), last_failed);
            pgd_report_set_nested(d->report, "archive", "last_failed_wal", last_failed);
            PQclear(res);
            return false;
        }
        PQclear(res);
        if (drill_interrupted(d))
            return false;
        pgd_sleep_ms(ARCHIVE_POLL_MS);
    }
}

/*
 * A past target is proven by the rows on both sides of it (docs/design.md,
 * F77): the source's rows, read once the fence is archived, travel in the
 * report to verify, which never connects to the source.
 */
static bool read_source_rows(drill *d, PGconn *conn)
{
    char *errmsg = NULL;
    bool table_missing = false;
    PGresult *res;

    if (d->target.kind == PGD_TARGET_LATEST)
        return true;
    res = pgd_marker_rows(conn, d->cfg->marker.schema, d->cfg->marker.table,
                          statement_timeout_ms(d), &table_missing, &errmsg);
    if (res == NULL && table_missing)
        return drill_fail(d, PGD_ERR_TARGET_UNREACHABLE,
                          "the source has no marker table %s.%s: no marker proves a past target",
                          d->cfg->marker.schema, d->cfg->marker.table);
    if (res == NULL) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not read the marker rows: %s", errmsg);
        free(errmsg);
        return false;
    }
    d->source_rows = pgd_target_rows_json(res);
    PQclear(res);
    if (d->source_rows == NULL)
        return drill_fail(d, PGD_ERR_TARGET_UNREACHABLE,
                          "a row of the source's marker table has a test id that is not UTF-8: "
                          "the rows that prove a past target cannot be carried to verify");
    pgd_info("read %zu marker and fence rows on the source for the past target",
             json_array_size(d->source_rows));
    return true;
}

bool inject_read_source_rows(drill *d)
{
    char *errmsg = NULL;
    char *dbname;
    PGconn *conn;
    bool ok;

    if (d->target.kind == PGD_TARGET_LATEST)
        return true;
    conn = connect_source(d, &errmsg);
    if (conn == NULL) {
        if (!drill_interrupted(d))
            drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "%s", errmsg);
        free(errmsg);
        return false;
    }
    /* verify reads the copy's rows in the database they were read from here */
    dbname = pgd_pq_value(conn, "SELECT pg_catalog.current_database()", 0, NULL,
                          statement_timeout_ms(d), &errmsg);
    if (dbname == NULL) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not inspect the source: %s", errmsg);
        free(errmsg);
        PQfinish(conn);
        return false;
    }
    pgd_report_set_nested(d->report, "marker", "database", dbname);
    free(dbname);
    ok = read_source_rows(d, conn);
    PQfinish(conn);
    return ok;
}

/*
 * The server ends any statement of ours that runs longer than the client
 * waits: a marker INSERT the client gave up on cannot commit later, which
 * is what bounds a row's commit to its created_at plus this (F77).
 */
static bool set_statement_timeout(const drill *d, PGconn *conn, char **errmsg)
{
    char *sql = pgd_asprintf("SET statement_timeout = %lld", (long long)statement_timeout_ms(d));
    bool ok = pgd_pq_command(conn, sql, 0, NULL, statement_timeout_ms(d), errmsg);

    free(sql);
    return ok;
}

bool inject_marker(drill *d)
{
    char *target = pgd_conninfo_redact(d->cfg->source.dsn);
    char *errmsg = NULL;
    PGconn *conn;
    char *segment = NULL;
    int64_t start = pgd_monotonic_ms();
    long failures_before = 0;
    source_capture *capture = NULL;
    bool ok = false;

    drill_enter_phase(d, "inject");
    conn = connect_source(d, &errmsg);
    if (conn == NULL) {
        if (!drill_interrupted(d))
            drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "%s", errmsg);
        goto out;
    }
    /*
     * A commit on a primary with synchronous standbys waits for them; a drill
     * must not hang (or fail) because a standby is down. Local durability is
     * all the archiver needs.
     */
    if (!pgd_pq_command(conn, "SET synchronous_commit = local", 0, NULL, statement_timeout_ms(d),
                        &errmsg) ||
        !set_statement_timeout(d, conn, &errmsg)) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not configure the session: %s", errmsg);
        goto out;
    }
    if (!check_source(d, conn, target))
        goto out;
    segment = write_marker_and_fence(d, conn, &failures_before, &capture);
    drill_record_timing(d, "inject", start);
    if (capture != NULL) {
        /* while the archiver ships the fence's segment */
        start = pgd_monotonic_ms();
        source_capture_finish(d, capture, segment != NULL);
        drill_record_timing(d, "source_capture", start);
    }
    if (segment == NULL)
        goto out;
    drill_save(d);

    start = pgd_monotonic_ms();
    ok = wait_archived(d, &conn, segment, failures_before);
    drill_record_timing(d, "archive_wait", start);
    if (ok)
        ok = read_source_rows(d, conn);
    if (ok) {
        d->archived_segment = segment;
        segment = NULL;
    }
out:
    if (conn != NULL)
        PQfinish(conn);
    free(segment);
    free(errmsg);
    free(target);
    return ok;
}
