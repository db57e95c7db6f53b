/*
 * checks.c - promoted, archiving_off, marker, fence.
 */
#include "checks.h"

#include "clock.h"
#include "conninfo.h"
#include "log.h"
#include "marker.h"
#include "pq.h"
#include "secret.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define CHECK_QUERY_TIMEOUT_MS 60000

int64_t verify_query_timeout(const verify_run *run)
{
    int64_t left = pgd_ms_until(run->deadline_ms);

    return left < CHECK_QUERY_TIMEOUT_MS ? (left > 0 ? left : 1) : CHECK_QUERY_TIMEOUT_MS;
}

void check_record(verify_run *run, const char *name, check_outcome outcome, int64_t start_ms,
                  pgd_error_class error_class, const char *detail)
{
    static const char *const status[] = {"passed", "failed", "skipped"};
    double seconds = (double)(pgd_monotonic_ms() - start_ms) / 1000.0;

    pgd_report_set_check_class(run->report, name, status[outcome], seconds, detail,
                               outcome == CHECK_PASSED ? PGD_ERR_NONE : error_class);
    if (outcome == CHECK_PASSED) {
        pgd_info("check %s passed: %s", name, detail);
        return;
    }
    if (outcome == CHECK_NOT_RUN)
        pgd_error("check %s could not run: %s", name, detail);
    else
        pgd_error("check %s failed (%s): %s", name, pgd_error_class_name(error_class), detail);
    verify_note_error(run, error_class, name, detail);
}

void verify_note_error(verify_run *run, pgd_error_class error_class, const char *name,
                       const char *detail)
{
    if (pgd_error_class_outranks(error_class, run->error_class)) {
        free(run->error_message);
        run->error_class = error_class;
        run->error_message = pgd_asprintf("%s: %s", name, detail);
    }
}

/* Run a one-value query for a check; on error records the check as not run. */
static char *check_value(verify_run *run, const char *name, int64_t start, const char *sql)
{
    char *errmsg = NULL;
    char *value = pgd_pq_value(run->conn, sql, 0, NULL, verify_query_timeout(run), &errmsg);

    if (value == NULL) {
        check_record(run, name, CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        free(errmsg);
    }
    return value;
}

bool verify_databases(verify_run *run, pgd_strlist *out, char **errmsg)
{
    PGresult *res;

    memset(out, 0, sizeof(*out));
    if (run->cfg->verify.databases.count > 0) {
        out->count = run->cfg->verify.databases.count;
        out->items = pgd_calloc(out->count, sizeof(char *));
        for (size_t i = 0; i < out->count; i++)
            out->items[i] = pgd_strdup(run->cfg->verify.databases.items[i]);
        return true;
    }
    res = pgd_pq_exec(run->conn,
                      "SELECT datname FROM pg_catalog.pg_database"
                      " WHERE datallowconn AND NOT datistemplate ORDER BY datname",
                      0, NULL, verify_query_timeout(run), errmsg, NULL);
    if (res == NULL)
        return false;
    out->count = (size_t)PQntuples(res);
    out->items = pgd_calloc(out->count, sizeof(char *));
    for (size_t i = 0; i < out->count; i++) {
        out->items[i] = pgd_strdup(PQgetvalue(res, (int)i, 0));
        /* a name printed in its own right, never masked (secret.h) */
        pgd_secret_declare_public(out->items[i]);
    }
    PQclear(res);
    return true;
}

void verify_free_databases(pgd_strlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof(*list));
}

/*
 * Restore plus recovery, as bootstrap timed them, against report.rto_target:
 * how long a real restore of this backup would have kept the service down.
 */
void check_rto(verify_run *run)
{
    int64_t start = pgd_monotonic_ms();
    json_t *timings = json_object_get(run->report->root, "timings");
    json_t *restore = json_object_get(timings, "restore");
    json_t *recovery = json_object_get(timings, "recovery");
    double seconds;
    char *detail;

    if (run->cfg->report.rto_target <= 0)
        return;
    if (!json_is_number(restore) || !json_is_number(recovery)) {
        check_record(run, "rto", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL,
                     "the report has no restore and recovery times");
        return;
    }
    seconds = json_number_value(restore) + json_number_value(recovery);
    json_object_set_new(run->report->root, "rto",
                        json_pack("{s:f,s:I}", "seconds", seconds, "target",
                                  (json_int_t)run->cfg->report.rto_target));
    detail = pgd_asprintf("restore %.1f s + recovery %.1f s = %.1f s, report.rto_target %ld s",
                          json_number_value(restore), json_number_value(recovery), seconds,
                          run->cfg->report.rto_target);
    check_record(
        run, "rto", seconds <= (double)run->cfg->report.rto_target ? CHECK_PASSED : CHECK_FAILED,
        start, seconds <= (double)run->cfg->report.rto_target ? PGD_ERR_NONE : PGD_ERR_RTO_EXCEEDED,
        detail);
    free(detail);
}

void check_promoted(verify_run *run)
{
    int64_t start = pgd_monotonic_ms();
    char *in_recovery =
        check_value(run, "promoted", start, "SELECT pg_catalog.pg_is_in_recovery()");

    if (in_recovery == NULL)
        return;
    if (strcmp(in_recovery, "f") == 0)
        check_record(run, "promoted", CHECK_PASSED, start, PGD_ERR_NONE,
                     "the instance is out of recovery (pg_is_in_recovery() = false)");
    else
        check_record(run, "promoted", CHECK_FAILED, start, PGD_ERR_RECOVERY_FAILED,
                     "the instance is still in recovery (pg_is_in_recovery() = true)");
    free(in_recovery);
}

/* bootstrap's account of the quarantine (its "quarantine" check), or NULL. */
static const char *bootstrap_quarantine(const verify_run *run)
{
    json_t *checks = json_object_get(run->report->root, "checks");
    json_t *check;
    size_t i;

    json_array_foreach(checks, i, check)
    {
        if (json_is_string(json_object_get(check, "name")) &&
            strcmp(json_string_value(json_object_get(check, "name")), "quarantine") == 0)
            return json_string_value(json_object_get(check, "detail"));
    }
    return NULL;
}

/*
 * The running copy does not replicate from production: no subscription
 * enabled or attached to a slot, no apply worker running
 * (pg_subscription is shared: one query sees every database's).
 */
void check_quarantine(verify_run *run)
{
    int64_t start = pgd_monotonic_ms();
    const char *done = bootstrap_quarantine(run);
    char *errmsg = NULL;
    char *detail;
    PGresult *res = pgd_pq_exec(run->conn,
                                "SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_subscription"
                                " WHERE subenabled OR subslotname IS NOT NULL),"
                                " (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_subscription"
                                " WHERE pid IS NOT NULL)",
                                0, NULL, verify_query_timeout(run), &errmsg, NULL);

    if (res == NULL) {
        check_record(run, "quarantine", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        free(errmsg);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "0") == 0 && strcmp(PQgetvalue(res, 0, 1), "0") == 0) {
        detail = pgd_asprintf("no subscription enabled or attached to a slot, no apply worker "
                              "running; bootstrap: %s",
                              done ? done : "recorded no quarantine");
        check_record(run, "quarantine", CHECK_PASSED, start, PGD_ERR_NONE, detail);
    } else {
        detail = pgd_asprintf("%s subscription(s) enabled or attached to a slot, %s apply "
                              "worker(s) running: the copy may be replicating from production",
                              PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
        check_record(run, "quarantine", CHECK_FAILED, start, PGD_ERR_QUARANTINE_FAILED, detail);
    }
    free(detail);
    PQclear(res);
}

/* An archive_command that cannot ship anything anywhere. */
static bool inert_archive_command(const char *command)
{
    static const char *const inert[] = {"", "/bin/true", "true", ":", "/usr/bin/true"};

    for (size_t i = 0; i < sizeof(inert) / sizeof(inert[0]); i++) {
        if (strcmp(command, inert[i]) == 0)
            return true;
    }
    return false;
}

/*
 * archive_command often carries cloud credentials (README, "Safe to point at production"):
 * the detail says whether a setting is set, never what it is.
 */
void check_archiving_off(verify_run *run)
{
    int64_t start = pgd_monotonic_ms();
    char *errmsg = NULL;
    PGresult *res = pgd_pq_exec(run->conn,
                                "SELECT pg_catalog.current_setting('archive_mode'),"
                                " pg_catalog.current_setting('archive_command'),"
                                " pg_catalog.current_setting('archive_library')",
                                0, NULL, verify_query_timeout(run), &errmsg, NULL);
    const char *mode, *command, *library;
    char *detail;

    if (res == NULL) {
        check_record(run, "archiving_off", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        free(errmsg);
        return;
    }
    mode = PQgetvalue(res, 0, 0);
    command = PQgetvalue(res, 0, 1);
    library = PQgetvalue(res, 0, 2);
    if (strcmp(mode, "off") == 0)
        check_record(run, "archiving_off", CHECK_PASSED, start, PGD_ERR_NONE, "archive_mode = off");
    else if (library[0] == '\0' && inert_archive_command(command)) {
        detail = pgd_asprintf("archive_mode = %s, but archive_command is %s and no "
                              "archive_library is set: nothing is archived",
                              strcmp(mode, "always") == 0 ? "always" : "on",
                              command[0] ? "a command that does nothing" : "empty");
        check_record(run, "archiving_off", CHECK_PASSED, start, PGD_ERR_NONE, detail);
        free(detail);
    } else {
        /* Nothing stops it from pushing its new timeline into production (docs/design.md, F5). */
        detail = pgd_asprintf("archive_mode = %s with %s set (value not shown: it may hold "
                              "credentials): the restored instance would push WAL into the "
                              "production repository; set archive_mode: 'off' in the drill's "
                              "patroni.yml",
                              strcmp(mode, "always") == 0 ? "always" : "on",
                              library[0] ? "archive_library" : "archive_command");
        check_record(run, "archiving_off", CHECK_FAILED, start, PGD_ERR_ARCHIVING_ENABLED, detail);
        free(detail);
    }
    PQclear(res);
}

/*
 * The marker lives in the source database bootstrap wrote it to (the report
 * says which); for a scheduler's marker, the database of source.dsn.
 */
static char *marker_database(const verify_run *run)
{
    const char *from_report = pgd_report_get_nested(run->report, "marker", "database");

    if (from_report != NULL)
        return pgd_strdup(from_report);
    if (run->cfg->source.dsn[0] != '\0')
        return pgd_conninfo_get(run->cfg->source.dsn, "dbname");
    return NULL;
}

PGconn *verify_connect_database(verify_run *run, const char *dbname, char **errmsg)
{
    char *conninfo;
    PGconn *conn;

    if (dbname == NULL || strcmp(dbname, PQdb(run->conn)) == 0)
        return run->conn;
    conninfo = pgd_conninfo_rewrite(run->conninfo, dbname, NULL);
    if (conninfo == NULL) {
        *errmsg = pgd_strdup("the connection string is invalid");
        return NULL;
    }
    conn = pgd_pq_connect(conninfo, 30, errmsg);
    free(conninfo);
    return conn;
}

void check_marker_and_fence(verify_run *run)
{
    int64_t start = pgd_monotonic_ms();
    const char *test_id = pgd_report_get_string(run->report, "test_id");
    char *dbname = marker_database(run);
    char *errmsg = NULL;
    PGconn *conn;
    bool table_missing = false;
    int markers, fences;
    char *detail;

    if (test_id == NULL) {
        check_record(run, "marker", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL,
                     "the report names no test id");
        check_record(run, "fence", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL,
                     "the report names no test id");
        free(dbname);
        return;
    }
    conn = verify_connect_database(run, dbname, &errmsg);
    if (conn == NULL) {
        check_record(run, "marker", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        check_record(run, "fence", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        free(errmsg);
        free(dbname);
        return;
    }

    markers = pgd_marker_count(conn, run->cfg->marker.schema, run->cfg->marker.table, test_id,
                               PGD_MARKER_KIND_MARKER, verify_query_timeout(run), &table_missing,
                               &errmsg);
    if (markers < 0)
        check_record(run, "marker", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
    else if (markers > 0) {
        detail = pgd_asprintf("marker row of test %s found in database %s", test_id, PQdb(conn));
        check_record(run, "marker", CHECK_PASSED, start, PGD_ERR_NONE, detail);
        free(detail);
    } else {
        detail = pgd_asprintf("no marker row of test %s in %s.%s of database %s%s: the restore "
                              "stopped before the marker's commit",
                              test_id, run->cfg->marker.schema, run->cfg->marker.table, PQdb(conn),
                              table_missing ? " (the table does not exist)" : "");
        check_record(run, "marker", CHECK_FAILED, start, PGD_ERR_MARKER_MISSING, detail);
        free(detail);
    }
    free(errmsg);
    errmsg = NULL;

    start = pgd_monotonic_ms();
    fences =
        pgd_marker_count(conn, run->cfg->marker.schema, run->cfg->marker.table, test_id,
                         PGD_MARKER_KIND_FENCE, verify_query_timeout(run), &table_missing, &errmsg);
    if (fences < 0)
        check_record(run, "fence", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
    else if (fences == 0)
        check_record(run, "fence", CHECK_PASSED, start, PGD_ERR_NONE,
                     "fence row absent: recovery stopped at the target");
    else {
        detail = pgd_asprintf("fence row of test %s is present: recovery replayed past the "
                              "target time %s",
                              test_id,
                              pgd_report_get_string(run->report, "target_time")
                                  ? pgd_report_get_string(run->report, "target_time")
                                  : "?");
        check_record(run, "fence", CHECK_FAILED, start, PGD_ERR_FENCE_PRESENT, detail);
        free(detail);
    }
    free(errmsg);
    if (conn != run->conn)
        PQfinish(conn);
    free(dbname);
}
