/*
 * history.c - the fleet's status-history table.
 */
#include "history.h"

#include "log.h"
#include "pq.h"
#include "verdict.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_CONNECT_TIMEOUT_S 10
#define HISTORY_QUERY_TIMEOUT_MS  30000
/* After SIGTERM: Kubernetes' default grace period is 30 s for everything that is left. */
#define HURRIED_CONNECT_TIMEOUT_S 3
#define HURRIED_QUERY_TIMEOUT_MS  5000

/* One lock id for every pgdrill in the fleet; "pgdrill" in ASCII. */
#define ADVISORY_LOCK_ID "7378664961493516"

#define TERMINAL_STATUSES PGD_HISTORY_TERMINAL_STATUSES

/* Held until COMMIT; serializes schema creation and admission across the fleet. */
#define LOCK_STATEMENT "SELECT pg_catalog.pg_advisory_xact_lock(" ADVISORY_LOCK_ID ")"

static const char *const schema_statements[] = {
    "CREATE SCHEMA IF NOT EXISTS pgdrill",
    "CREATE TABLE IF NOT EXISTS " PGD_HISTORY_TABLE " ("
    " time timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " test_id text NOT NULL,"
    " scope text NOT NULL,"
    " stanza text NOT NULL,"
    " status text NOT NULL,"
    " error_class text,"
    " detail jsonb NOT NULL DEFAULT '{}')",
    /* With TimescaleDB the table becomes a hypertable on time; without it, plain. */
    "DO $$ BEGIN"
    " IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb') THEN"
    "  PERFORM create_hypertable('" PGD_HISTORY_TABLE "', 'time', if_not_exists => true);"
    " END IF; END $$",
    "CREATE INDEX IF NOT EXISTS drill_status_scope_time ON " PGD_HISTORY_TABLE
    " (scope, time DESC)",
    "CREATE INDEX IF NOT EXISTS drill_status_test_id ON " PGD_HISTORY_TABLE " (test_id, time DESC)",
    /* admission reads the rows younger than stale_after */
    "CREATE INDEX IF NOT EXISTS drill_status_time ON " PGD_HISTORY_TABLE " (time)",
    "CREATE OR REPLACE VIEW " PGD_HISTORY_VIEW " AS"
    " SELECT DISTINCT ON (s.scope) s.scope, s.stanza, s.test_id, s.status, s.error_class,"
    "  s.time AS status_time,"
    "  (SELECT max(p.time) FROM " PGD_HISTORY_TABLE " p"
    "   WHERE p.scope = s.scope AND p.status = 'passed') AS last_passed_time"
    " FROM " PGD_HISTORY_TABLE " s ORDER BY s.scope, s.time DESC",
};

/*
 * The first of the 30 UTC days the coverage view shows, as a timestamptz (whatever the
 * session's TimeZone): a drill whose target fell on one of them ran on or after it, so
 * only the rows since then are read, through the index on time.
 */
#define COVERAGE_FROM                                                                              \
    "((pg_catalog.timezone('UTC', pg_catalog.statement_timestamp())::date - 29)::timestamp"        \
    " AT TIME ZONE 'UTC')"

/*
 * Window coverage: per scope with a row in the last 30 days, one row per UTC day of them,
 * proven when a drill to a past target (detail's target_kind present and not latest; rows
 * of older versions have none) passed with its target_time on that day. Its own statement
 * (CREATE OR REPLACE: nothing depends on it) so that a history created by an older version
 * gets it too.
 */
static const char coverage_statement[] =
    "CREATE OR REPLACE VIEW " PGD_HISTORY_COVERAGE_VIEW " AS"
    " WITH recent AS (SELECT scope, test_id, status, detail FROM " PGD_HISTORY_TABLE
    "  WHERE time >= " COVERAGE_FROM "),"
    " proofs AS (SELECT scope, test_id,"
    "   (pg_catalog.timezone('UTC', (detail->>'target_time')::timestamptz))::date AS day"
    "  FROM recent WHERE status = 'passed'"
    "   AND coalesce(detail->>'target_kind', 'latest') <> 'latest')"
    " SELECT s.scope, d.day::date AS day, count(p.test_id) > 0 AS proven,"
    "  count(DISTINCT p.test_id)::int AS drills"
    " FROM (SELECT DISTINCT scope FROM recent) s"
    " CROSS JOIN pg_catalog.generate_series("
    "  pg_catalog.timezone('UTC', pg_catalog.statement_timestamp())::date - 29,"
    "  pg_catalog.timezone('UTC', pg_catalog.statement_timestamp())::date, interval '1 day') d(day)"
    " LEFT JOIN proofs p ON p.scope = s.scope AND p.day = d.day::date"
    " GROUP BY s.scope, d.day ORDER BY s.scope, d.day";

void pgd_history_init(pgd_history *h, const pgd_config *cfg)
{
    memset(h, 0, sizeof(*h));
    h->cfg = cfg;
    h->enabled = cfg->report.history_dsn[0] != '\0';
    h->connect_timeout_s = HISTORY_CONNECT_TIMEOUT_S;
    h->query_timeout_ms = HISTORY_QUERY_TIMEOUT_MS;
}

void pgd_history_hurry(pgd_history *h)
{
    h->connect_timeout_s = HURRIED_CONNECT_TIMEOUT_S;
    h->query_timeout_ms = HURRIED_QUERY_TIMEOUT_MS;
}

void pgd_history_free(pgd_history *h)
{
    free(h->problem);
    h->problem = NULL;
}

static void note_problem(pgd_history *h, const char *what, const char *errmsg)
{
    pgd_warn("status history: %s: %s (the verdict does not depend on it)", what, errmsg);
    if (h->problem == NULL)
        h->problem = pgd_asprintf("%s: %s", what, errmsg);
}

static bool command(const pgd_history *h, PGconn *conn, const char *sql, char **errmsg)
{
    return pgd_pq_command(conn, sql, 0, NULL, h->query_timeout_ms, errmsg);
}

static void rollback(const pgd_history *h, PGconn *conn)
{
    char *ignored = NULL;

    command(h, conn, "ROLLBACK", &ignored);
    free(ignored);
}

/*
 * Which of the table and the views exist. When all do no DDL runs: CREATE ... IF NOT EXISTS
 * still demands CREATE on the database, and a role that only may INSERT must work.
 */
static bool schema_exists(const pgd_history *h, PGconn *conn, bool *base, bool *coverage,
                          char **errmsg)
{
    char *value = pgd_pq_value(conn,
                               "SELECT (pg_catalog.to_regclass('" PGD_HISTORY_TABLE "') IS NOT NULL"
                               " AND pg_catalog.to_regclass('" PGD_HISTORY_VIEW "') IS NOT NULL)"
                               "::text || (pg_catalog.to_regclass('" PGD_HISTORY_COVERAGE_VIEW
                               "') IS NOT NULL)::text",
                               0, NULL, h->query_timeout_ms, errmsg);

    if (value == NULL)
        return false;
    *base = strncmp(value, "true", 4) == 0;
    *coverage = strcmp(value + (*base ? 4 : 5), "true") == 0;
    free(value);
    return true;
}

/*
 * The coverage view on a history an older version created, in a savepoint: a role that may
 * only INSERT cannot create it, and that must not cost the row (the view is for people
 * reading the history; pgdrill never reads it).
 */
static bool add_coverage_view(const pgd_history *h, PGconn *conn, char **errmsg)
{
    char *why = NULL;

    if (!command(h, conn, "SAVEPOINT pgdrill_coverage", errmsg))
        return false;
    if (command(h, conn, coverage_statement, &why))
        return command(h, conn, "RELEASE SAVEPOINT pgdrill_coverage", errmsg);
    pgd_warn("status history: could not create " PGD_HISTORY_COVERAGE_VIEW
             " in a history an older pgdrill created: %s (a role with CREATE on schema pgdrill"
             " creates it on its next drill; rows are appended all the same)",
             why);
    free(why);
    return command(h, conn, "ROLLBACK TO SAVEPOINT pgdrill_coverage", errmsg);
}

/*
 * BEGIN, take the fleet lock and, once per run, create what is missing. Concurrent
 * CREATE ... IF NOT EXISTS of the same table can fail on the catalog's unique indexes,
 * so schema creation needs the lock as much as admission does.
 */
static bool begin_locked(pgd_history *h, PGconn *conn, char **errmsg)
{
    return pgd_history_begin_locked(conn, h->ready, h->query_timeout_ms, errmsg);
}

bool pgd_history_begin_locked(PGconn *conn, bool schema_known, int64_t timeout_ms, char **errmsg)
{
    pgd_history probe = {.query_timeout_ms = timeout_ms};
    bool ok =
        command(&probe, conn, "BEGIN", errmsg) && command(&probe, conn, LOCK_STATEMENT, errmsg);
    bool base = schema_known;
    bool coverage = schema_known;

    if (ok && !schema_known)
        ok = schema_exists(&probe, conn, &base, &coverage, errmsg);
    for (size_t i = 0; ok && !base && i < sizeof(schema_statements) / sizeof(schema_statements[0]);
         i++)
        ok = command(&probe, conn, schema_statements[i], errmsg);
    if (ok && !base)
        ok = command(&probe, conn, coverage_statement, errmsg);
    else if (ok && !coverage)
        ok = add_coverage_view(&probe, conn, errmsg);
    return ok;
}

/* A connection (schema not yet checked), or NULL (problem noted). */
static PGconn *history_connect(pgd_history *h)
{
    char *errmsg = NULL;
    PGconn *conn;

    if (!h->enabled || h->problem != NULL)
        return NULL;
    conn = pgd_pq_connect(h->cfg->report.history_dsn, h->connect_timeout_s, &errmsg);
    if (conn == NULL) {
        note_problem(h, "could not connect", errmsg);
        free(errmsg);
    }
    return conn;
}

/* A connection with the schema in place, or NULL (problem noted). */
static PGconn *history_connect_ready(pgd_history *h)
{
    PGconn *conn = history_connect(h);
    char *errmsg = NULL;

    if (conn == NULL || h->ready)
        return conn;
    if (!begin_locked(h, conn, &errmsg) || !command(h, conn, "COMMIT", &errmsg)) {
        rollback(h, conn);
        note_problem(h, "could not create " PGD_HISTORY_TABLE, errmsg);
        free(errmsg);
        PQfinish(conn);
        return NULL;
    }
    h->ready = true;
    return conn;
}

static bool insert_row(const pgd_history *h, PGconn *conn, const char *test_id, const char *scope,
                       const char *stanza, const char *status, const char *error_class,
                       json_t *detail, char **errmsg)
{
    char *detail_text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    const char *params[] = {test_id, scope,       stanza,
                            status,  error_class, detail_text ? detail_text : "{}"};
    bool ok = pgd_pq_command(conn,
                             "INSERT INTO " PGD_HISTORY_TABLE
                             " (test_id, scope, stanza, status, error_class, detail)"
                             " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                             6, params, h->query_timeout_ms, errmsg);

    free(detail_text);
    return ok;
}

void pgd_history_append(pgd_history *h, const char *test_id, const char *scope, const char *stanza,
                        const char *status, const char *error_class, json_t *detail)
{
    PGconn *conn = history_connect_ready(h);
    char *errmsg = NULL;

    if (conn == NULL)
        return;
    if (insert_row(h, conn, test_id ? test_id : "", scope, stanza, status, error_class, detail,
                   &errmsg))
        h->appended++;
    else {
        note_problem(h, "could not append", errmsg);
        free(errmsg);
    }
    PQfinish(conn);
}

/*
 * The window is bounded by statement_timestamp(), not by the volatile clock_timestamp(), so
 * that it is read through the index on time instead of the whole table.
 *
 * Drills in progress: the latest row of the test id is not terminal and it was started
 * (or scheduled by pgdrill-fleet) within stale_after. "Latest", not "any terminal row": a
 * drill deferred once and then admitted under the same test id (a scheduler's id, a
 * restarted pod) is running again. A drill never counts against itself: a drill launched by
 * pgdrill-fleet finds its own "scheduled" row.
 */
bool pgd_history_count_in_progress(PGconn *conn, long stale_after, const char *own_test_id,
                                   long launch_timeout, int64_t timeout_ms, long *count,
                                   char **errmsg)
{
    char horizon[32];
    char launch[32];
    const char *params[] = {horizon, own_test_id ? own_test_id : "", launch};
    char *value;

    snprintf(horizon, sizeof(horizon), "%ld", stale_after);
    snprintf(launch, sizeof(launch), "%ld", launch_timeout);
    value =
        pgd_pq_value(conn,
                     "WITH recent AS (SELECT * FROM " PGD_HISTORY_TABLE
                     "  WHERE time > statement_timestamp() - make_interval(secs => $1::int)),"
                     " latest AS (SELECT DISTINCT ON (test_id) test_id, status, time FROM recent"
                     "  ORDER BY test_id, time DESC)"
                     " SELECT count(*) FROM latest l"
                     " WHERE l.status NOT IN (" TERMINAL_STATUSES ") AND l.test_id <> $2"
                     "  AND EXISTS (SELECT 1 FROM recent r"
                     "   WHERE r.test_id = l.test_id AND r.status IN ('started', 'scheduled'))"
                     /* a launch past launch_timeout is ending as never_started */
                     "  AND NOT (l.status = 'scheduled' AND $3::int > 0"
                     "   AND l.time < statement_timestamp() - make_interval(secs => $3::int))",
                     3, params, timeout_ms, errmsg);
    if (value == NULL)
        return false;
    *count = atol(value);
    free(value);
    return true;
}

static bool count_in_progress(const pgd_history *h, PGconn *conn, const char *test_id, long *count,
                              char **errmsg)
{
    return pgd_history_count_in_progress(conn, h->cfg->report.stale_after, test_id, 0,
                                         h->query_timeout_ms, count, errmsg);
}

pgd_admission pgd_history_admit(pgd_history *h, const char *test_id, const char *scope,
                                const char *stanza, long *in_progress)
{
    const long cap = h->cfg->report.max_concurrent;
    PGconn *conn = history_connect(h);
    char *errmsg = NULL;
    pgd_admission decision = PGD_UNCOUNTED;
    json_t *detail = NULL;
    bool ok;

    *in_progress = -1;
    if (conn == NULL)
        return PGD_UNCOUNTED;
    /* One transaction under the fleet lock: counting and inserting are one step for the fleet. */
    ok =
        begin_locked(h, conn, &errmsg) && count_in_progress(h, conn, test_id, in_progress, &errmsg);
    if (ok) {
        decision = cap > 0 && *in_progress >= cap ? PGD_DEFERRED : PGD_ADMITTED;
        detail = json_pack("{s:I,s:I}", "in_progress", (json_int_t)*in_progress, "max_concurrent",
                           (json_int_t)cap);
        ok = insert_row(
                 h, conn, test_id, scope, stanza, decision == PGD_DEFERRED ? "deferred" : "started",
                 pgd_error_class_name(decision == PGD_DEFERRED ? PGD_ERR_DEFERRED : PGD_ERR_NONE),
                 detail, &errmsg) &&
             command(h, conn, "COMMIT", &errmsg);
    }
    if (ok) {
        h->ready = true;
        h->appended++;
    } else {
        rollback(h, conn);
        note_problem(h, "could not count drills in progress", errmsg);
        decision = PGD_UNCOUNTED;
    }
    json_decref(detail);
    free(errmsg);
    PQfinish(conn);
    return decision;
}

char *pgd_history_outcome(const pgd_history *h)
{
    if (!h->enabled)
        return pgd_strdup("off");
    if (h->problem != NULL)
        return pgd_asprintf("failed: %s", h->problem);
    return pgd_asprintf("appended %d row%s", h->appended, h->appended == 1 ? "" : "s");
}
