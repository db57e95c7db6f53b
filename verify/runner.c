/*
 * runner.c - runs the table of checks (checks.h): connections, databases,
 * the deadline, and what every check records.
 */
#include "checks.h"

#include "clock.h"
#include "conninfo.h"
#include "jobs.h"
#include "log.h"
#include "pq.h"
#include "secret.h"
#include "signals.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_S      30
#define CHECK_QUERY_TIMEOUT_MS 60000

static const char *const status_names[] = {"passed", "failed", "not_run", "skipped"};

const char *check_status_name(check_status status)
{
    return status_names[status];
}

void check_result_set(check_result *r, check_status status, pgd_error_class error_class,
                      const char *hint, const char *fmt, ...)
{
    va_list ap;

    check_result_free(r);
    va_start(ap, fmt);
    r->detail = pgd_vasprintf(fmt, ap);
    va_end(ap);
    r->status = status;
    r->error_class = status == CHECK_FAILED || status == CHECK_NOT_RUN ? error_class : PGD_ERR_NONE;
    if (r->error_class != PGD_ERR_NONE)
        r->hint = pgd_strdup(hint ? hint : pgd_error_class_advice(r->error_class));
}

void check_result_free(check_result *r)
{
    free(r->detail);
    free(r->hint);
    memset(r, 0, sizeof(*r));
}

/* The run's error becomes this result's unless an earlier one outranks it (verdict.h). */
static void note_error(verify_run *run, const char *name, const check_result *result)
{
    if (!pgd_error_class_outranks(result->error_class, run->error_class))
        return;
    free(run->error_message);
    free(run->error_hint);
    run->error_class = result->error_class;
    run->error_message = pgd_asprintf("%s: %s", name, result->detail);
    run->error_hint = result->hint ? pgd_strdup(result->hint) : NULL;
}

static void log_result(const char *by, const char *name, const check_result *result)
{
    if (result->status == CHECK_PASSED)
        pgd_info("%scheck %s passed: %s", by, name, result->detail);
    else if (result->status == CHECK_SKIPPED)
        pgd_info("%scheck %s skipped: %s", by, name, result->detail);
    else if (result->status == CHECK_NOT_RUN)
        pgd_error("%scheck %s could not run: %s", by, name, result->detail);
    else
        pgd_error("%scheck %s failed (%s): %s", by, name, pgd_error_class_name(result->error_class),
                  result->detail);
}

void check_record(verify_run *run, const char *name, const check_result *result, int64_t start_ms)
{
    check_record_ended(run, name, result, start_ms, pgd_monotonic_ms());
}

void check_record_ended(verify_run *run, const char *name, const check_result *result,
                        int64_t start_ms, int64_t end_ms)
{
    double seconds = (double)(end_ms - start_ms) / 1000.0;
    json_t *check = pgd_report_set_check_class(run->report, name, check_status_name(result->status),
                                               seconds, result->detail, result->error_class);

    if (result->hint != NULL)
        json_object_set_new(check, "hint", json_string(result->hint));
    log_result("", name, result);
    note_error(run, name, result);
}

int64_t verify_query_timeout(const verify_run *run)
{
    int64_t left = pgd_ms_until(run->deadline_ms);

    return left < CHECK_QUERY_TIMEOUT_MS ? (left > 0 ? left : 1) : CHECK_QUERY_TIMEOUT_MS;
}

pgd_error_class verify_stop_class(const verify_run *run)
{
    if (pgd_interrupted() != 0)
        return PGD_ERR_INTERRUPTED;
    return pgd_ms_until(run->deadline_ms) == 0 ? PGD_ERR_TIMEOUT : PGD_ERR_INTERNAL;
}

/*
 * A session for pgdrill's own statements in the restored copy, its
 * search_path pinned before the first one: the copy's roles and databases
 * are production's, and a search_path set there (ALTER ROLE ... SET) must not
 * decide which function or operator a check's query calls (docs/design.md,
 * F32). The SRE's assertions run in sessions of their own, unpinned.
 */
static PGconn *connect_pinned(const char *conninfo, char **errmsg)
{
    PGconn *conn = pgd_pq_connect(conninfo, CONNECT_TIMEOUT_S, errmsg);
    char *why = NULL;

    if (conn == NULL || pgd_pq_pin_search_path(conn, CHECK_QUERY_TIMEOUT_MS, &why))
        return conn;
    *errmsg = pgd_asprintf("could not pin the session's search_path: %s", why);
    free(why);
    PQfinish(conn);
    return NULL;
}

PGconn *check_session_get(verify_run *run, const char *dbname, char **errmsg)
{
    char *conninfo;
    PGconn *conn;

    if (run->conn == NULL) {
        *errmsg = pgd_strdup("the restored instance could not be reached");
        return NULL;
    }
    if (dbname == NULL || strcmp(dbname, PQdb(run->conn)) == 0)
        return run->conn;
    for (size_t i = 0; i < run->nsessions; i++) {
        if (strcmp(run->sessions[i].dbname, dbname) == 0)
            return run->sessions[i].conn;
    }
    conninfo = pgd_conninfo_rewrite(run->conninfo, dbname, NULL);
    if (conninfo == NULL) {
        *errmsg = pgd_strdup("the connection string is invalid");
        return NULL;
    }
    conn = connect_pinned(conninfo, errmsg);
    free(conninfo);
    if (conn == NULL)
        return NULL;
    run->sessions = pgd_realloc(run->sessions, (run->nsessions + 1) * sizeof(check_session));
    run->sessions[run->nsessions].dbname = pgd_strdup(dbname);
    run->sessions[run->nsessions++].conn = conn;
    return conn;
}

static bool list_databases(verify_run *run, char **errmsg)
{
    pgd_strlist *out = &run->databases;
    PGresult *res;

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

const pgd_strlist *verify_databases(verify_run *run, char **errmsg)
{
    if (!run->databases_listed) {
        run->databases_listed = true;
        if (run->conn == NULL)
            run->databases_error = pgd_strdup("the restored instance could not be reached");
        else
            (void)list_databases(run, &run->databases_error);
    }
    if (run->databases_error != NULL) {
        *errmsg = pgd_strdup(run->databases_error);
        return NULL;
    }
    return &run->databases;
}

/* The connection to the instance; false with *errmsg. */
static bool connect_instance(verify_run *run, char **errmsg)
{
    char *version;
    char *ignored = NULL;

    run->conn = connect_pinned(run->conninfo, errmsg);
    if (run->conn == NULL)
        return false;
    version = pgd_pq_value(run->conn, "SELECT pg_catalog.current_setting('server_version_num')", 0,
                           NULL, CHECK_QUERY_TIMEOUT_MS, &ignored);
    run->server_major = version ? atoi(version) / 10000 : 0;
    free(version);
    free(ignored);
    return true;
}

/* Every check the unreachable instance would have answered: not run, with why. */
static void record_unreachable(verify_run *run, const check_def *def, const char *why)
{
    check_result result = {0};

    check_result_set(&result, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                     "check that the restored instance runs and that the connection string "
                     "verify was given reaches it",
                     "%s", why);
    const pgd_assertions *items = def->runs == CHECK_PER_ASSERTION ? def->items(run->cfg) : NULL;

    if (def->runs != CHECK_PER_ASSERTION)
        check_record(run, def->name, &result, pgd_monotonic_ms());
    for (size_t i = 0; items != NULL && i < items->count; i++) {
        char *name = pgd_asprintf("%s:%s", def->name, items->items[i].name);

        check_record(run, name, &result, pgd_monotonic_ms());
        free(name);
    }
    check_result_free(&result);
}

/* A query check's facts: its first row (the runner's I/O for it). */
static bool gather_row(verify_run *run, const check_def *def, check_row *row, PGresult **res,
                       char **errmsg)
{
    const char **values;

    *res = pgd_pq_exec(run->conn, def->sql, 0, NULL, verify_query_timeout(run), errmsg, NULL);
    if (*res == NULL)
        return false;
    if (PQntuples(*res) < 1) {
        *errmsg = pgd_strdup("the query returned no row");
        return false;
    }
    row->count = PQnfields(*res);
    values = pgd_calloc((size_t)row->count + 1, sizeof(char *));
    for (int i = 0; i < row->count; i++)
        values[i] = PQgetisnull(*res, 0, i) ? NULL : PQgetvalue(*res, 0, i);
    row->values = values;
    row->cfg = run->cfg;
    row->report = run->report;
    return true;
}

/* A CHECK_ONCE check: gather, judge, record. */
static void run_once(verify_run *run, const check_def *def)
{
    int64_t start = pgd_monotonic_ms();
    check_row row = {0};
    PGresult *res = NULL;
    void *facts = def->sql != NULL ? &row : pgd_calloc(1, def->facts_size);
    check_result result = {0};
    char *errmsg = NULL;
    bool gathered = def->sql != NULL ? gather_row(run, def, &row, &res, &errmsg)
                                     : def->gather(run, facts, &errmsg);

    if (gathered)
        def->judge(facts, &result);
    else
        check_result_set(&result, CHECK_NOT_RUN, verify_stop_class(run), NULL, "%s", errmsg);
    check_record(run, def->name, &result, start);
    check_result_free(&result);
    if (def->sql != NULL) {
        free((void *)row.values);
        PQclear(res);
    } else {
        if (def->free_facts != NULL)
            def->free_facts(facts);
        free(facts);
    }
    free(errmsg);
}

/*
 * Update bootstrap's entry of def's name in place (its own fields, such as
 * the bad files, stay) with verify's judgement of it.
 */
static void carry(verify_run *run, const check_def *def, json_t *entry)
{
    void *facts = pgd_calloc(1, def->facts_size);
    check_result result = {0};
    char *errmsg = NULL;
    const char *name = json_string_value(json_object_get(entry, "name"));

    *(json_t **)facts = entry; /* the facts of a CHECK_BY_BOOTSTRAP check start with its entry */
    if (def->gather(run, facts, &errmsg)) {
        def->judge(facts, &result);
        json_object_set_new(entry, "status", json_string(check_status_name(result.status)));
        json_object_set_new(entry, "detail", json_string(result.detail));
        if (result.hint != NULL)
            json_object_set_new(entry, "hint", json_string(result.hint));
        log_result("bootstrap's ", name, &result);
        note_error(run, name, &result);
    }
    check_result_free(&result);
    if (def->free_facts != NULL)
        def->free_facts(facts);
    free(facts);
    free(errmsg);
}

/* bootstrap's entry of name, or NULL. */
static json_t *bootstrap_entry(const verify_run *run, const char *name)
{
    json_t *checks = json_object_get(run->report->root, "checks");
    json_t *check;
    size_t i;

    json_array_foreach(checks, i, check)
    {
        const char *by = json_string_value(json_object_get(check, "by"));
        const char *its = json_string_value(json_object_get(check, "name"));

        if (by != NULL && strcmp(by, "bootstrap") == 0 && its != NULL &&
            (name == NULL ? verify_check_find(its) == NULL : strcmp(its, name) == 0))
            return check;
    }
    return NULL;
}

/*
 * bootstrap's checks of this table in its order; then, judged like them,
 * any other bootstrap recorded (a report of another version).
 */
static void carry_bootstrap_checks(verify_run *run, const check_def *def)
{
    json_t *entry = bootstrap_entry(run, def->name);

    if (entry != NULL)
        carry(run, def, entry);
}

static void carry_others(verify_run *run, const check_def *like)
{
    json_t *checks = json_object_get(run->report->root, "checks");
    json_t *check;
    size_t i;

    json_array_foreach(checks, i, check)
    {
        const char *by = json_string_value(json_object_get(check, "by"));
        const char *name = json_string_value(json_object_get(check, "name"));

        if (by != NULL && strcmp(by, "bootstrap") == 0 && name != NULL &&
            verify_check_find(name) == NULL)
            carry(run, like, check);
    }
}

static void run_one(verify_run *run, const check_def *def, const char *unreachable)
{
    const char *why = NULL;

    if (def->applies != NULL && !def->applies(run->cfg, run->report))
        return;
    if (def->runs == CHECK_BY_BOOTSTRAP) {
        carry_bootstrap_checks(run, def);
        return;
    }
    if (def->enabled != NULL && !def->enabled(run->cfg, &why)) {
        check_result result = {0};

        check_result_set(&result, CHECK_SKIPPED, PGD_ERR_NONE, NULL, "%s", why);
        check_record(run, def->name, &result, pgd_monotonic_ms());
        check_result_free(&result);
        return;
    }
    if (unreachable != NULL && !def->offline) {
        record_unreachable(run, def, unreachable);
        return;
    }
    if (def->runs == CHECK_ONCE)
        run_once(run, def);
    else if (def->runs == CHECK_PER_DATABASE)
        jobs_run_program(run, def);
    else
        def->run_each(run, def);
}

void verify_run_checks(verify_run *run)
{
    char *unreachable = NULL;

    (void)connect_instance(run, &unreachable);
    for (size_t i = 0; i < verify_check_count; i++) {
        const check_def *def = verify_checks[i];

        run_one(run, def, unreachable);
        /* after the last of bootstrap's: the ones of another version, judged alike */
        if (def->runs == CHECK_BY_BOOTSTRAP &&
            (i + 1 == verify_check_count || verify_checks[i + 1]->runs != CHECK_BY_BOOTSTRAP))
            carry_others(run, def);
    }
    free(unreachable);
}

void verify_run_free(verify_run *run)
{
    for (size_t i = 0; i < run->nsessions; i++) {
        PQfinish(run->sessions[i].conn);
        free(run->sessions[i].dbname);
    }
    free(run->sessions);
    run->sessions = NULL;
    run->nsessions = 0;
    if (run->conn != NULL)
        PQfinish(run->conn);
    run->conn = NULL;
    for (size_t i = 0; i < run->databases.count; i++)
        free(run->databases.items[i]);
    free(run->databases.items);
    memset(&run->databases, 0, sizeof(run->databases));
    free(run->databases_error);
    free(run->error_message);
    free(run->error_hint);
}
