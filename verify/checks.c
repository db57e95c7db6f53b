/*
 * checks.c - the table of checks, and the checks small enough to live in it:
 * promoted, archiving_off, quarantine, marker, fence, rto (target has its
 * own file).
 */
#include "checks.h"

#include "amcheck.h"
#include "assertions.h"
#include "carried.h"
#include "conninfo.h"
#include "marker.h"
#include "schema_dump.h"
#include "compare.h"
#include "source_catalog.h"
#include "target_check.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* promoted: the instance left recovery (bootstrap promoted it). */
static void judge_promoted(const void *facts, check_result *out)
{
    const check_row *row = facts;

    if (row->values[0] != NULL && strcmp(row->values[0], "f") == 0)
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "the instance is out of recovery (pg_is_in_recovery() = false)");
    else
        check_result_set(out, CHECK_FAILED, PGD_ERR_RECOVERY_FAILED,
                         "look in the restored instance's server log for why it did not finish "
                         "recovery; Patroni's configuration must not make it a standby",
                         "the instance is still in recovery (pg_is_in_recovery() = true)");
}

static const check_def check_promoted = {
    .name = "promoted",
    .runs = CHECK_ONCE,
    .finding = PGD_ERR_RECOVERY_FAILED,
    .sql = "SELECT pg_catalog.pg_is_in_recovery()",
    .judge = judge_promoted,
};

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
 * archiving_off: the copy pushes nothing into production's repository.
 * archive_command often carries cloud credentials (README, "Safe to point
 * at production"): the detail says whether a setting is set, never what it is.
 */
static void judge_archiving_off(const void *facts, check_result *out)
{
    const check_row *row = facts;
    const char *mode = row->values[0] ? row->values[0] : "";
    const char *command = row->values[1] ? row->values[1] : "";
    const char *library = row->values[2] ? row->values[2] : "";
    const char *shown = strcmp(mode, "always") == 0 ? "always" : "on";

    if (strcmp(mode, "off") == 0)
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL, "archive_mode = off");
    else if (library[0] == '\0' && inert_archive_command(command))
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "archive_mode = %s, but archive_command is %s and no archive_library "
                         "is set: nothing is archived",
                         shown, command[0] ? "a command that does nothing" : "empty");
    else
        /* Nothing stops it from pushing its new timeline into production (docs/design.md, F5). */
        check_result_set(out, CHECK_FAILED, PGD_ERR_ARCHIVING_ENABLED, NULL,
                         "archive_mode = %s with %s set (value not shown: it may hold "
                         "credentials): the restored instance would push WAL into the "
                         "production repository",
                         shown, library[0] ? "archive_library" : "archive_command");
}

static const check_def check_archiving_off = {
    .name = "archiving_off",
    .runs = CHECK_ONCE,
    .finding = PGD_ERR_ARCHIVING_ENABLED,
    .sql = "SELECT pg_catalog.current_setting('archive_mode'),"
           " pg_catalog.current_setting('archive_command'),"
           " pg_catalog.current_setting('archive_library')",
    .judge = judge_archiving_off,
};

/* bootstrap's account of the quarantine (its "quarantine" check), or NULL. */
static const char *bootstrap_quarantine(const pgd_report *report)
{
    json_t *checks = json_object_get(report->root, "checks");
    json_t *check;
    size_t i;

    json_array_foreach(checks, i, check)
    {
        const char *name = json_string_value(json_object_get(check, "name"));

        if (name != NULL && strcmp(name, "quarantine") == 0)
            return json_string_value(json_object_get(check, "detail"));
    }
    return NULL;
}

/*
 * quarantine: the running copy does not replicate from production: no
 * subscription enabled or attached to a slot, no apply worker running
 * (pg_subscription is shared: one query sees every database's).
 */
static void judge_quarantine(const void *facts, check_result *out)
{
    const check_row *row = facts;
    const char *done = bootstrap_quarantine(row->report);
    const char *subscriptions = row->values[0] ? row->values[0] : "?";
    const char *workers = row->values[1] ? row->values[1] : "?";

    if (strcmp(subscriptions, "0") == 0 && strcmp(workers, "0") == 0)
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "no subscription enabled or attached to a slot, no apply worker "
                         "running; bootstrap: %s",
                         done ? done : "recorded no quarantine");
    else
        check_result_set(out, CHECK_FAILED, PGD_ERR_QUARANTINE_FAILED,
                         "disable the restored copy's subscriptions now (ALTER SUBSCRIPTION ... "
                         "DISABLE in each database), then find out why bootstrap's quarantine "
                         "did not hold",
                         "%s subscription(s) enabled or attached to a slot, %s apply worker(s) "
                         "running: the copy may be replicating from production",
                         subscriptions, workers);
}

static const check_def check_quarantine = {
    .name = "quarantine",
    .runs = CHECK_ONCE,
    .finding = PGD_ERR_QUARANTINE_FAILED,
    .sql = "SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_subscription"
           " WHERE subenabled OR subslotname IS NOT NULL),"
           " (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_subscription"
           " WHERE pid IS NOT NULL)",
    .judge = judge_quarantine,
};

/*
 * The database the marker lives in: the one bootstrap wrote it to (the report
 * says which), for a scheduler's marker the database of source.dsn; NULL: the
 * runner's. Caller frees.
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

PGconn *verify_marker_session(verify_run *run, char **dbname, char **errmsg)
{
    char *wanted = marker_database(run);
    PGconn *conn = check_session_get(run, wanted, errmsg);

    free(wanted);
    if (conn != NULL)
        *dbname = pgd_strdup(PQdb(conn));
    return conn;
}

/* The rows of one kind of the drill's test id, in the marker's database. */
static bool gather_marker_rows(verify_run *run, marker_facts *f, const char *kind, char **errmsg)
{
    PGconn *conn;

    f->test_id = pgd_report_get_string(run->report, "test_id");
    f->schema = run->cfg->marker.schema;
    f->table = run->cfg->marker.table;
    f->target_time = pgd_report_get_string(run->report, "target_time");
    if (f->test_id == NULL) {
        *errmsg = pgd_strdup("the report names no test id");
        return false;
    }
    conn = verify_marker_session(run, &f->dbname, errmsg);
    if (conn == NULL)
        return false;
    f->rows = pgd_marker_count(conn, f->schema, f->table, f->test_id, kind,
                               verify_query_timeout(run), &f->table_missing, errmsg);
    return f->rows >= 0;
}

static bool gather_marker(verify_run *run, void *facts, char **errmsg)
{
    return gather_marker_rows(run, facts, PGD_MARKER_KIND_MARKER, errmsg);
}

static bool gather_fence(verify_run *run, void *facts, char **errmsg)
{
    return gather_marker_rows(run, facts, PGD_MARKER_KIND_FENCE, errmsg);
}

static void free_marker_facts(void *facts)
{
    free(((marker_facts *)facts)->dbname);
}

/* marker: the restore holds the row bootstrap wrote just before the target. */
static void judge_marker(const void *facts, check_result *out)
{
    const marker_facts *f = facts;

    if (f->rows > 0)
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "marker row of test %s found in database %s", f->test_id, f->dbname);
    else
        check_result_set(out, CHECK_FAILED, PGD_ERR_MARKER_MISSING, NULL,
                         "no marker row of test %s in %s.%s of database %s%s: the restore "
                         "stopped before the marker's commit",
                         f->test_id, f->schema, f->table, f->dbname,
                         f->table_missing ? " (the table does not exist)" : "");
}

/* fence: the restore lacks the row bootstrap wrote just after the target. */
static void judge_fence(const void *facts, check_result *out)
{
    const marker_facts *f = facts;

    if (f->rows == 0)
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "fence row absent: recovery stopped at the target");
    else
        check_result_set(out, CHECK_FAILED, PGD_ERR_FENCE_PRESENT, NULL,
                         "fence row of test %s is present: recovery replayed past the target "
                         "time %s",
                         f->test_id, f->target_time ? f->target_time : "?");
}

/* A past target's copy is judged by the target check, its rows on both sides. */
static bool latest_target_applies(const pgd_config *cfg, const pgd_report *report)
{
    (void)cfg;
    return !verify_past_target(report);
}

static const check_def check_marker = {
    .name = "marker",
    .runs = CHECK_ONCE,
    .applies = latest_target_applies,
    .finding = PGD_ERR_MARKER_MISSING,
    .facts_size = sizeof(marker_facts),
    .gather = gather_marker,
    .judge = judge_marker,
    .free_facts = free_marker_facts,
};

static const check_def check_fence = {
    .name = "fence",
    .runs = CHECK_ONCE,
    .applies = latest_target_applies,
    .finding = PGD_ERR_FENCE_PRESENT,
    .facts_size = sizeof(marker_facts),
    .gather = gather_fence,
    .judge = judge_fence,
    .free_facts = free_marker_facts,
};

static bool rto_applies(const pgd_config *cfg, const pgd_report *report)
{
    (void)report;
    return cfg->report.rto_target > 0;
}

/* Restore plus recovery as bootstrap timed them; the report gets "rto" {seconds, target}. */
static bool gather_rto(verify_run *run, void *facts, char **errmsg)
{
    rto_facts *f = facts;
    json_t *timings = json_object_get(run->report->root, "timings");
    json_t *restore = json_object_get(timings, "restore");
    json_t *recovery = json_object_get(timings, "recovery");

    (void)errmsg;
    f->target = run->cfg->report.rto_target;
    f->timed = json_is_number(restore) && json_is_number(recovery);
    if (!f->timed)
        return true;
    f->restore = json_number_value(restore);
    f->recovery = json_number_value(recovery);
    json_object_set_new(run->report->root, "rto",
                        json_pack("{s:f,s:I}", "seconds", f->restore + f->recovery, "target",
                                  (json_int_t)f->target));
    return true;
}

/* rto: how long a real restore of this backup would have kept the service down. */
static void judge_rto(const void *facts, check_result *out)
{
    const rto_facts *f = facts;
    double seconds = f->restore + f->recovery;

    if (!f->timed)
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                         "bootstrap records both times once the restored instance is promoted: "
                         "run verify after a bootstrap that got that far",
                         "the report has no restore and recovery times");
    else
        check_result_set(out, seconds <= (double)f->target ? CHECK_PASSED : CHECK_FAILED,
                         PGD_ERR_RTO_EXCEEDED, NULL,
                         "restore %.1f s + recovery %.1f s = %.1f s, report.rto_target %ld s",
                         f->restore, f->recovery, seconds, f->target);
}

static const check_def check_rto = {
    .name = "rto",
    .runs = CHECK_ONCE,
    .finding = PGD_ERR_RTO_EXCEEDED,
    .offline = true,
    .applies = rto_applies,
    .facts_size = sizeof(rto_facts),
    .gather = gather_rto,
    .judge = judge_rto,
};

/*
 * The table. bootstrap's checks come first: of those, a bad page in the
 * restored copy itself (checksums, with its relations named) names the
 * verdict before pgBackRest's flag on the set at backup time
 * (backup_page_checks), which explains it but says less. The comparisons
 * with the source come last: a corrupt catalog or page (schema_dump,
 * amcheck) names the verdict before the difference it also makes.
 */
const check_def *const verify_checks[] = {
    &check_checksums,
    &check_backup_page_checks,
    &check_promoted,
    &check_archiving_off,
    &check_quarantine,
    &check_marker,
    &check_fence,
    &check_target,
    &check_rto,
    &check_assertion,
    &check_schema_dump,
    &check_amcheck,
    &check_source_catalog,
    &check_compare,
};

const size_t verify_check_count = sizeof(verify_checks) / sizeof(verify_checks[0]);

const check_def *verify_check_find(const char *name)
{
    size_t len = strcspn(name, ":");

    for (size_t i = 0; i < verify_check_count; i++) {
        if (strlen(verify_checks[i]->name) == len &&
            strncmp(verify_checks[i]->name, name, len) == 0 &&
            (name[len] == '\0' || verify_checks[i]->runs == CHECK_PER_ASSERTION))
            return verify_checks[i];
    }
    return NULL;
}
