/*
 * ledger.c - the deployer's side of the status history (ledger.h).
 */
#include "ledger.h"

#include "history.h"
#include "log.h"
#include "pq.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_TIMEOUT_MS 60000

#define TERMINAL PGD_HISTORY_TERMINAL_STATUSES

/* How far back the deployer looks for its launches to clean up after. */
#define CLEANUP_HORIZON "interval '7 days'"

/*
 * A row's target kind: the final rows carry the report's target.kind in detail, the
 * deployer's scheduled rows (and the terminal rows it writes for a launch) the kind it
 * launched; rows of older versions carry none and were latest drills.
 */
#define KIND(detail)    "coalesce(" detail "->>'target_kind', 'latest')"
#define IS_PAST(detail) KIND(detail) " <> 'latest'"

/*
 * What the deployer adds to history.c's schema: indexes for its per-scope and per-kind
 * questions (the last drill of the kind that ended, with its status and class; the last
 * passing latest drill: index-only probes, however long a scope's history; README
 * Performance; partial indexes whose predicate names the kind, which PostgreSQL scans
 * index-only although detail is not in them: docs/design.md F85) and for the launches
 * still only scheduled, and the table of cleaned-up drills. drill_status_scope_ended and
 * _passed of earlier versions (the same without the kind) are no longer used. The time
 * bounds of its queries are statement_timestamp(), so that they are index bounds
 * (clock_timestamp() is volatile).
 */
static const char *const fleet_schema[] = {
    "CREATE INDEX IF NOT EXISTS drill_status_scope_latest_passed ON " PGD_HISTORY_TABLE
    " (scope, time DESC) WHERE status = 'passed' AND " KIND("detail") " = 'latest'",
    "CREATE INDEX IF NOT EXISTS drill_status_scope_latest_ended ON " PGD_HISTORY_TABLE
    " (scope, time DESC) INCLUDE (status, error_class) WHERE status IN (" TERMINAL ")"
    " AND " KIND("detail") " = 'latest'",
    "CREATE INDEX IF NOT EXISTS drill_status_scheduled ON " PGD_HISTORY_TABLE
    " (time) WHERE status = 'scheduled'",
    "CREATE INDEX IF NOT EXISTS drill_status_scope_past_ended ON " PGD_HISTORY_TABLE
    " (scope, time DESC) INCLUDE (status, error_class) WHERE status IN (" TERMINAL ")"
    " AND " IS_PAST("detail"),
    "CREATE TABLE IF NOT EXISTS " FLEET_CLEANUP_TABLE " ("
    " test_id text PRIMARY KEY,"
    " scope text NOT NULL,"
    " time timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " outcome text NOT NULL)",
};

bool fleet_ledger_open(fleet_ledger *ledger, const char *dsn, long connect_timeout, char **errmsg)
{
    memset(ledger, 0, sizeof(*ledger));
    ledger->timeout_ms = QUERY_TIMEOUT_MS;
    ledger->conn = pgd_pq_connect(dsn, connect_timeout, errmsg);
    return ledger->conn != NULL;
}

void fleet_ledger_close(fleet_ledger *ledger)
{
    if (ledger->conn != NULL)
        PQfinish(ledger->conn);
    ledger->conn = NULL;
}

static bool command(fleet_ledger *ledger, const char *sql, int n, const char *const *params,
                    char **errmsg)
{
    return pgd_pq_command(ledger->conn, sql, n, params, ledger->timeout_ms, errmsg);
}

static bool fleet_schema_exists(fleet_ledger *ledger, bool *exists, char **errmsg)
{
    char *value =
        pgd_pq_value(ledger->conn,
                     "SELECT pg_catalog.to_regclass('" FLEET_CLEANUP_TABLE "') IS NOT NULL"
                     " AND pg_catalog.to_regclass('pgdrill.drill_status_scope_latest_passed')"
                     " IS NOT NULL"
                     " AND pg_catalog.to_regclass('pgdrill.drill_status_scope_latest_ended')"
                     " IS NOT NULL"
                     " AND pg_catalog.to_regclass('pgdrill.drill_status_scheduled')"
                     " IS NOT NULL"
                     " AND pg_catalog.to_regclass('pgdrill.drill_status_scope_past_ended')"
                     " IS NOT NULL",
                     0, NULL, ledger->timeout_ms, errmsg);

    if (value == NULL)
        return false;
    *exists = strcmp(value, "t") == 0;
    free(value);
    return true;
}

bool fleet_ledger_begin(fleet_ledger *ledger, char **errmsg)
{
    bool exists = ledger->schema_ready;

    if (!pgd_history_begin_locked(ledger->conn, ledger->schema_ready, ledger->timeout_ms, errmsg))
        return false;
    if (!exists && !fleet_schema_exists(ledger, &exists, errmsg))
        return false;
    for (size_t i = 0; !exists && i < sizeof(fleet_schema) / sizeof(fleet_schema[0]); i++) {
        if (!command(ledger, fleet_schema[i], 0, NULL, errmsg))
            return false;
    }
    ledger->schema_ready = true;
    return true;
}

bool fleet_ledger_commit(fleet_ledger *ledger, char **errmsg)
{
    return command(ledger, "COMMIT", 0, NULL, errmsg);
}

void fleet_ledger_rollback(fleet_ledger *ledger)
{
    char *ignored = NULL;

    command(ledger, "ROLLBACK", 0, NULL, &ignored);
    free(ignored);
}

bool fleet_ledger_history_exists(fleet_ledger *ledger, bool *exists, char **errmsg)
{
    char *value = pgd_pq_value(ledger->conn,
                               "SELECT pg_catalog.to_regclass('" PGD_HISTORY_TABLE "') IS NOT NULL",
                               0, NULL, ledger->timeout_ms, errmsg);

    if (value == NULL)
        return false;
    *exists = strcmp(value, "t") == 0;
    free(value);
    return true;
}

bool fleet_ledger_now(fleet_ledger *ledger, double *now, char **errmsg)
{
    char *value = pgd_pq_value(ledger->conn, "SELECT extract(epoch FROM clock_timestamp())", 0,
                               NULL, ledger->timeout_ms, errmsg);

    if (value == NULL)
        return false;
    *now = strtod(value, NULL);
    free(value);
    return true;
}

void fleet_launch_rows_free(fleet_launch_rows *rows)
{
    for (size_t i = 0; i < rows->count; i++) {
        free(rows->items[i].test_id);
        free(rows->items[i].scope);
        free(rows->items[i].stanza);
        json_decref(rows->items[i].detail);
    }
    free(rows->items);
    memset(rows, 0, sizeof(*rows));
}

/* Rows of (test_id, scope, stanza, detail) into *rows. */
static void collect_launch_rows(PGresult *result, fleet_launch_rows *rows)
{
    int n = PQntuples(result);

    rows->items = pgd_calloc((size_t)n + 1, sizeof(*rows->items));
    rows->count = (size_t)n;
    for (int i = 0; i < n; i++) {
        fleet_launch_row *row = &rows->items[i];

        row->test_id = pgd_strdup(PQgetvalue(result, i, 0));
        row->scope = pgd_strdup(PQgetvalue(result, i, 1));
        row->stanza = pgd_strdup(PQgetvalue(result, i, 2));
        row->detail = json_loads(PQgetvalue(result, i, 3), 0, NULL);
        if (row->detail == NULL)
            row->detail = json_object();
    }
}

static void seconds_param(char *buf, size_t size, long seconds)
{
    snprintf(buf, size, "%ld", seconds);
}

bool fleet_ledger_end_silent_launches(fleet_ledger *ledger, long stale_after, long launch_timeout,
                                      fleet_launch_rows *ended, char **errmsg)
{
    char stale[32];
    char launch[32];
    const char *params[] = {stale, launch};
    PGresult *result;

    memset(ended, 0, sizeof(*ended));
    seconds_param(stale, sizeof(stale), stale_after);
    seconds_param(launch, sizeof(launch), launch_timeout);
    result = pgd_pq_exec(
        ledger->conn,
        "INSERT INTO " PGD_HISTORY_TABLE " (test_id, scope, stanza, status, error_class, detail)"
        " SELECT s.test_id, s.scope, s.stanza, 'inconclusive', 'never_started',"
        "  s.detail || jsonb_build_object('message', pg_catalog.format("
        "   'no status row of the drill within launch_timeout (%s s) of its launch at %s',"
        "   $2::int, s.time), 'scheduled_at', s.time)"
        " FROM " PGD_HISTORY_TABLE " s"
        " WHERE s.status = 'scheduled'"
        "  AND s.time > statement_timestamp() - make_interval(secs => $1::int)"
        "  AND s.time <= statement_timestamp() - make_interval(secs => $2::int)"
        "  AND NOT EXISTS (SELECT 1 FROM " PGD_HISTORY_TABLE " o"
        "   WHERE o.test_id = s.test_id AND o.status <> 'scheduled')"
        " RETURNING test_id, scope, stanza, detail::text",
        2, params, ledger->timeout_ms, errmsg, NULL);
    if (result == NULL)
        return false;
    collect_launch_rows(result, ended);
    PQclear(result);
    return true;
}

bool fleet_ledger_in_progress(fleet_ledger *ledger, long stale_after, long launch_timeout,
                              long *count, char **errmsg)
{
    return pgd_history_count_in_progress(ledger->conn, stale_after, NULL, launch_timeout,
                                         ledger->timeout_ms, count, errmsg);
}

/* The scopes as a text[] literal: {"a","b"} with quotes and backslashes escaped. */
static char *text_array(const char *const *items, size_t count)
{
    pgd_buf out;

    pgd_buf_init(&out);
    pgd_buf_append(&out, "{");
    for (size_t i = 0; i < count; i++) {
        pgd_buf_append(&out, i > 0 ? ",\"" : "\"");
        for (const char *p = items[i]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                pgd_buf_append(&out, "\\");
            pgd_buf_append_n(&out, p, 1);
        }
        pgd_buf_append(&out, "\"");
    }
    pgd_buf_append(&out, "}");
    return pgd_buf_steal(&out);
}

static double epoch_or_nan(const PGresult *result, int row, int column)
{
    return PQgetisnull(result, row, column) ? NAN : strtod(PQgetvalue(result, row, column), NULL);
}

static fleet_verdict verdict_of(const char *status)
{
    if (strcmp(status, "passed") == 0)
        return FLEET_VERDICT_PASSED;
    if (strcmp(status, "failed") == 0)
        return FLEET_VERDICT_FAILED;
    return FLEET_VERDICT_INCONCLUSIVE; /* inconclusive, deferred */
}

/*
 * Per scope and kind, one index-only probe in the common case: the last drill of the kind
 * that ended, its status and class (drill_status_scope_latest_ended, _past_ended); only
 * when that one did not pass, a second probe for the last passing drill of the kind
 * (drill_status_scope_latest_passed; past drills are few: _past_ended). README Performance.
 */
#define LAST_OF_KIND(out, pass, cond)                                                              \
    " LEFT JOIN LATERAL (SELECT d.status, d.error_class, d.time FROM " PGD_HISTORY_TABLE " d"      \
    "  WHERE d.scope = s.scope AND d.status IN (" TERMINAL ") AND " cond                           \
    "  ORDER BY d.time DESC LIMIT 1) " out " ON true"                                              \
    " LEFT JOIN LATERAL (SELECT d.time FROM " PGD_HISTORY_TABLE " d"                               \
    "  WHERE d.scope = s.scope AND d.status = 'passed'"                                            \
    "  AND " cond " AND " out ".status IS DISTINCT FROM 'passed'"                                  \
    "  ORDER BY d.time DESC LIMIT 1) " pass " ON true"

#define ENDED_COLUMNS(out, pass)                                                                   \
    out ".status, " out ".error_class, extract(epoch FROM " out ".time),"                          \
        "  CASE WHEN " out ".status = 'passed' THEN extract(epoch FROM " out ".time)"              \
        "   ELSE extract(epoch FROM " pass ".time) END"

#define ENDED_QUERY                                                                                \
    "SELECT " ENDED_COLUMNS("t", "p") ", " ENDED_COLUMNS(                                          \
        "u", "q") " FROM unnest($1::text[]) WITH ORDINALITY AS s(scope, "                          \
                  "n)" LAST_OF_KIND("t", "p", KIND("d.detail") " = 'latest'")                      \
                      LAST_OF_KIND("u", "q", IS_PAST("d.detail")) " ORDER BY s.n"

/*
 * The drills in progress, from the rows of the last stale_after alone (the index on time):
 * per scope the latest row of the window; not terminal, and its drill was scheduled or
 * started within the window: in progress since then, of the kind its rows name (the
 * deployer's scheduled row; a drill started by hand names none until it ends: latest). A
 * drill that began earlier is dead, by the same rule as bootstrap's count.
 */
#define RECENT_QUERY                                                                               \
    "WITH latest AS (SELECT DISTINCT ON (scope) scope, test_id, status FROM " PGD_HISTORY_TABLE    \
    "  WHERE time > statement_timestamp() - make_interval(secs => $1::int)"                        \
    "  ORDER BY scope, time DESC)"                                                                 \
    " SELECT l.scope, l.test_id, l.status, extract(epoch FROM ("                                   \
    "  SELECT min(f.time) FROM " PGD_HISTORY_TABLE " f WHERE f.test_id = l.test_id"                \
    "   AND f.status IN ('scheduled', 'started')"                                                  \
    "   AND f.time > statement_timestamp() - make_interval(secs => $1::int))),"                    \
    "  (SELECT bool_or(" IS_PAST("k.detail") ") FROM " PGD_HISTORY_TABLE " k"                      \
                                             "   WHERE k.test_id = l.test_id)"                     \
                                             " FROM latest l WHERE l.status NOT IN (" TERMINAL ")"

/* The four columns of one kind from column col: status, class, ended, last passed. */
static void kind_of_row(const PGresult *result, int row, int col, fleet_verdict *verdict,
                        double *finished_at, double *passed_at, char **error_class)
{
    *verdict = FLEET_VERDICT_NONE;
    *finished_at = NAN;
    *passed_at = epoch_or_nan(result, row, col + 3);
    if (!PQgetisnull(result, row, col)) {
        *verdict = verdict_of(PQgetvalue(result, row, col));
        *finished_at = epoch_or_nan(result, row, col + 2);
        if (!PQgetisnull(result, row, col + 1))
            *error_class = pgd_strdup(PQgetvalue(result, row, col + 1));
    }
}

static void ended_of_row(const PGresult *result, int row, fleet_scope_facts *out)
{
    fleet_facts *f = &out->facts;

    kind_of_row(result, row, 0, &f->last_verdict, &f->last_finished_at, &f->last_passed_at,
                &out->last_error_class);
    kind_of_row(result, row, 4, &f->past_verdict, &f->past_finished_at, &f->past_passed_at,
                &out->past_error_class);
    f->in_progress_since = NAN;
}

static int scope_order(const void *key, const void *item)
{
    return strcmp((const char *)key, *(const char *const *)item);
}

/* The drills in progress into out (scopes sorted, as the inventory sorts them). */
static bool in_progress_facts(fleet_ledger *ledger, const char *const *scopes, size_t count,
                              long stale_after, fleet_scope_facts *out, char **errmsg)
{
    char stale[32];
    const char *params[] = {stale};
    PGresult *result;

    seconds_param(stale, sizeof(stale), stale_after);
    result = pgd_pq_exec(ledger->conn, RECENT_QUERY, 1, params, ledger->timeout_ms, errmsg, NULL);
    if (result == NULL)
        return false;
    for (int row = 0; row < PQntuples(result); row++) {
        const char *const *found =
            bsearch(PQgetvalue(result, row, 0), scopes, count, sizeof(*scopes), scope_order);
        fleet_scope_facts *facts;

        if (found == NULL || PQgetisnull(result, row, 3))
            continue;
        facts = &out[found - scopes];
        facts->facts.in_progress = true;
        facts->facts.in_progress_since = epoch_or_nan(result, row, 3);
        facts->facts.launch_pending = strcmp(PQgetvalue(result, row, 2), "scheduled") == 0;
        facts->facts.in_progress_kind =
            strcmp(PQgetvalue(result, row, 4), "t") == 0 ? FLEET_KIND_PAST : FLEET_KIND_LATEST;
        facts->in_progress_test_id = pgd_strdup(PQgetvalue(result, row, 1));
    }
    PQclear(result);
    return true;
}

bool fleet_ledger_facts(fleet_ledger *ledger, const char *const *scopes, size_t count,
                        long stale_after, fleet_scope_facts *out, char **errmsg)
{
    char *array = text_array(scopes, count);
    const char *params[] = {array};
    PGresult *result =
        pgd_pq_exec(ledger->conn, ENDED_QUERY, 1, params, ledger->timeout_ms, errmsg, NULL);

    free(array);
    if (result == NULL)
        return false;
    if ((size_t)PQntuples(result) != count) {
        *errmsg = pgd_asprintf("expected %zu rows of facts, got %d", count, PQntuples(result));
        PQclear(result);
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        ended_of_row(result, (int)i, &out[i]);
    }
    PQclear(result);
    return in_progress_facts(ledger, scopes, count, stale_after, out, errmsg);
}

void fleet_scope_facts_free(fleet_scope_facts *facts)
{
    free(facts->last_error_class);
    free(facts->past_error_class);
    free(facts->in_progress_test_id);
    facts->last_error_class = NULL;
    facts->past_error_class = NULL;
    facts->in_progress_test_id = NULL;
}

bool fleet_ledger_append(fleet_ledger *ledger, const char *test_id, const char *scope,
                         const char *stanza, const char *status, const char *error_class,
                         json_t *detail, char **errmsg)
{
    char *detail_text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    const char *params[] = {test_id, scope,       stanza,
                            status,  error_class, detail_text ? detail_text : "{}"};
    bool ok = command(ledger,
                      "INSERT INTO " PGD_HISTORY_TABLE
                      " (test_id, scope, stanza, status, error_class, detail)"
                      " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                      6, params, errmsg);

    free(detail_text);
    return ok;
}

bool fleet_ledger_cleanup_due(fleet_ledger *ledger, const char *runner, long stale_after,
                              fleet_launch_rows *due, char **errmsg)
{
    char stale[32];
    const char *params[] = {runner, stale};
    PGresult *result;

    memset(due, 0, sizeof(*due));
    seconds_param(stale, sizeof(stale), stale_after);
    result = pgd_pq_exec(
        ledger->conn,
        "SELECT s.test_id, s.scope, s.stanza, s.detail::text FROM " PGD_HISTORY_TABLE " s"
        " WHERE s.status = 'scheduled' AND s.detail->>'runner' = $1"
        "  AND s.time > statement_timestamp() - " CLEANUP_HORIZON
        "  AND NOT EXISTS (SELECT 1 FROM " FLEET_CLEANUP_TABLE " c WHERE c.test_id = s.test_id)"
        "  AND (s.time < statement_timestamp() - make_interval(secs => $2::int)"
        "   OR (SELECT o.status FROM " PGD_HISTORY_TABLE " o WHERE o.test_id = s.test_id"
        "    ORDER BY o.time DESC LIMIT 1) IN (" TERMINAL "))"
        " ORDER BY s.time",
        2, params, ledger->timeout_ms, errmsg, NULL);
    if (result == NULL)
        return false;
    collect_launch_rows(result, due);
    PQclear(result);
    return true;
}

bool fleet_ledger_cleanup_done(fleet_ledger *ledger, const char *test_id, const char *scope,
                               const char *outcome, char **errmsg)
{
    const char *params[] = {test_id, scope, outcome};

    return command(ledger,
                   "INSERT INTO " FLEET_CLEANUP_TABLE " (test_id, scope, outcome)"
                   " VALUES ($1, $2, $3) ON CONFLICT (test_id) DO NOTHING",
                   3, params, errmsg);
}
