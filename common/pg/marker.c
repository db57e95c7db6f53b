/*
 * marker.c - the bookkeeping table on the source.
 */
#include "marker.h"

#include "pq.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *pgd_marker_table_name(PGconn *conn, const char *schema, const char *table, char **errmsg)
{
    char *qs = pgd_pq_quote_ident(conn, schema);
    char *qt = pgd_pq_quote_ident(conn, table);
    char *name = NULL;

    if (qs == NULL || qt == NULL)
        *errmsg = pgd_asprintf("could not quote the marker table name: %s", PQerrorMessage(conn));
    else
        name = pgd_asprintf("%s.%s", qs, qt);
    free(qs);
    free(qt);
    return name;
}

/* Serializes marker-table set-up of concurrent drills against one source ("pgdrill" + 1). */
#define MARKER_LOCK_STATEMENT "SELECT pg_catalog.pg_advisory_xact_lock(7378664961493517)"

bool pgd_marker_schema_reserved(const char *schema)
{
    /* PostgreSQL reserves pg_*; public and information_schema belong to everybody. */
    return strncasecmp(schema, "pg_", 3) == 0 || strcasecmp(schema, "public") == 0 ||
           strcasecmp(schema, "information_schema") == 0;
}

pgd_marker_action pgd_marker_judge(const pgd_marker_facts *facts, const char **why)
{
    *why = NULL;
    if (!facts->schema_exists)
        return PGD_MARKER_CREATE_SCHEMA;
    if (facts->schema_tagged) {
        if (!facts->table_exists)
            return PGD_MARKER_CREATE_TABLE;
        if (facts->table_tagged && facts->table_shaped)
            return PGD_MARKER_USE;
        *why = facts->table_shaped ? "the table exists in pgdrill's schema but was not created by "
                                     "pgdrill (it lacks pgdrill's comment)"
                                   : "the table exists in pgdrill's schema but is not a pgdrill "
                                     "marker table (other columns)";
        return PGD_MARKER_REFUSE;
    }
    /* pgdrill 0.1 created schema and table without tags: adopt only that exact picture. */
    if (facts->table_exists && facts->table_shaped && facts->other_objects == 0 &&
        facts->schema_owned)
        return PGD_MARKER_ADOPT;
    *why = "the schema exists and was not created by pgdrill (it lacks pgdrill's comment)";
    return PGD_MARKER_REFUSE;
}

static bool read_facts(PGconn *conn, const char *schema, const char *table, int64_t timeout_ms,
                       pgd_marker_facts *facts, char **errmsg)
{
    const char *params[] = {schema, table, PGD_MARKER_SCHEMA_TAG, PGD_MARKER_TABLE_TAG,
                            PGD_MARKER_TABLE_SHAPE};
    PGresult *res = pgd_pq_exec(
        conn,
        "WITH n AS (SELECT oid, pg_catalog.obj_description(oid, 'pg_namespace') AS tag,"
        "  pg_catalog.pg_has_role(nspowner, 'MEMBER') AS owned"
        "  FROM pg_catalog.pg_namespace WHERE nspname = $1),"
        " t AS (SELECT c.oid, c.relkind, pg_catalog.obj_description(c.oid, 'pg_class') AS tag"
        "  FROM pg_catalog.pg_class c JOIN n ON c.relnamespace = n.oid WHERE c.relname = $2)"
        " SELECT EXISTS (SELECT FROM n), coalesce((SELECT tag = $3 FROM n), false),"
        "  EXISTS (SELECT FROM t), coalesce((SELECT tag = $4 FROM t), false),"
        "  coalesce((SELECT t.relkind = 'r' AND (SELECT pg_catalog.string_agg(a.attname || ' ' ||"
        "    pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)"
        "    FROM pg_catalog.pg_attribute a"
        "    WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped) = $5 FROM t), "
        "false),"
        "  coalesce((SELECT owned FROM n), false),"
        "  (SELECT count(*) FROM pg_catalog.pg_class c JOIN n ON c.relnamespace = n.oid"
        "    WHERE c.oid NOT IN (SELECT oid FROM t) AND c.oid NOT IN (SELECT i.indexrelid"
        "     FROM pg_catalog.pg_index i JOIN t ON i.indrelid = t.oid))"
        "  + (SELECT count(*) FROM pg_catalog.pg_proc p JOIN n ON p.pronamespace = n.oid)",
        5, params, timeout_ms, errmsg, NULL);

    if (res == NULL)
        return false;
    facts->schema_exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    facts->schema_tagged = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    facts->table_exists = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    facts->table_tagged = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
    facts->table_shaped = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
    facts->schema_owned = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    facts->other_objects = atol(PQgetvalue(res, 0, 6));
    PQclear(res);
    return true;
}

/* At most: create, revoke and tag the schema; create, revoke and tag the table; prune. */
#define MAX_ACTION_STATEMENTS 7

/* The statements that carry out an action (not REFUSE); returns their count. */
static size_t action_statements(pgd_marker_action action, const char *qschema,
                                const char *qualified, char *out[MAX_ACTION_STATEMENTS])
{
    size_t n = 0;

    if (action == PGD_MARKER_CREATE_SCHEMA) {
        out[n++] = pgd_asprintf("CREATE SCHEMA %s", qschema);
        out[n++] = pgd_asprintf("REVOKE ALL ON SCHEMA %s FROM PUBLIC", qschema);
    }
    if (action == PGD_MARKER_CREATE_SCHEMA || action == PGD_MARKER_ADOPT)
        out[n++] = pgd_asprintf("COMMENT ON SCHEMA %s IS '" PGD_MARKER_SCHEMA_TAG "'", qschema);
    if (action == PGD_MARKER_CREATE_SCHEMA || action == PGD_MARKER_CREATE_TABLE) {
        out[n++] = pgd_asprintf("CREATE TABLE %s ("
                                " test_id text NOT NULL,"
                                " kind text NOT NULL CHECK (kind IN ('" PGD_MARKER_KIND_MARKER
                                "', '" PGD_MARKER_KIND_FENCE "')),"
                                " scope text NOT NULL,"
                                " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                                " PRIMARY KEY (test_id, kind))",
                                qualified);
        out[n++] = pgd_asprintf("REVOKE ALL ON TABLE %s FROM PUBLIC", qualified);
    }
    if (action != PGD_MARKER_USE)
        out[n++] = pgd_asprintf("COMMENT ON TABLE %s IS '" PGD_MARKER_TABLE_TAG "'", qualified);
    /* Bounded growth: a drill a day for years must not leave an ever-growing table. */
    out[n++] = pgd_asprintf("DELETE FROM %s WHERE created_at < clock_timestamp() - "
                            "interval '%d days'",
                            qualified, PGD_MARKER_KEEP_DAYS);
    return n;
}

/* Inside the transaction: judge what is there and, when it is ours, set it up and prune. */
static pgd_marker_prepared prepare_locked(PGconn *conn, const char *schema, const char *table,
                                          const char *qschema, const char *qualified,
                                          int64_t timeout_ms, char **errmsg)
{
    pgd_marker_facts facts;
    pgd_marker_action action;
    const char *why;
    char *statements[MAX_ACTION_STATEMENTS];
    size_t n;
    bool ok = true;

    if (!pgd_pq_command(conn, MARKER_LOCK_STATEMENT, 0, NULL, timeout_ms, errmsg) ||
        !read_facts(conn, schema, table, timeout_ms, &facts, errmsg))
        return PGD_MARKER_FAILED;
    action = pgd_marker_judge(&facts, &why);
    if (action == PGD_MARKER_REFUSE) {
        *errmsg = pgd_asprintf("refusing to write into %s: %s; nothing was changed on the source",
                               qualified, why);
        return PGD_MARKER_REFUSED;
    }
    n = action_statements(action, qschema, qualified, statements);
    for (size_t i = 0; i < n; i++) {
        if (ok)
            ok = pgd_pq_command(conn, statements[i], 0, NULL, timeout_ms, errmsg);
        free(statements[i]);
    }
    return ok ? PGD_MARKER_READY : PGD_MARKER_FAILED;
}

pgd_marker_prepared pgd_marker_prepare(PGconn *conn, const char *schema, const char *table,
                                       int64_t timeout_ms, char **errmsg)
{
    char *qschema = pgd_pq_quote_ident(conn, schema);
    char *qualified = pgd_marker_table_name(conn, schema, table, errmsg);
    pgd_marker_prepared result = PGD_MARKER_FAILED;

    if (qschema == NULL || qualified == NULL) {
        if (qschema == NULL && qualified != NULL)
            *errmsg = pgd_strdup("could not quote the marker schema name");
    } else if (pgd_pq_command(conn, "BEGIN", 0, NULL, timeout_ms, errmsg)) {
        result = prepare_locked(conn, schema, table, qschema, qualified, timeout_ms, errmsg);
        if (result == PGD_MARKER_READY &&
            !pgd_pq_command(conn, "COMMIT", 0, NULL, timeout_ms, errmsg))
            result = PGD_MARKER_FAILED;
        if (result != PGD_MARKER_READY) {
            char *ignored = NULL;

            pgd_pq_command(conn, "ROLLBACK", 0, NULL, timeout_ms, &ignored);
            free(ignored);
        }
    }
    free(qschema);
    free(qualified);
    return result;
}

bool pgd_marker_insert(PGconn *conn, const char *qualified_table, const char *test_id,
                       const char *kind, const char *scope, int64_t timeout_ms, char **errmsg)
{
    const char *params[] = {test_id, kind, scope};
    char *sql =
        pgd_asprintf("INSERT INTO %s (test_id, kind, scope) VALUES ($1, $2, $3)", qualified_table);
    bool ok = pgd_pq_command(conn, sql, 3, params, timeout_ms, errmsg);

    free(sql);
    return ok;
}

#define MIN_STATEMENT_TIMEOUT_MS 30000

int64_t pgd_marker_statement_timeout_ms(long connect_timeout_s)
{
    int64_t ms = (int64_t)connect_timeout_s * 1000;

    return ms > MIN_STATEMENT_TIMEOUT_MS ? ms : MIN_STATEMENT_TIMEOUT_MS;
}

/* Does schema.table exist? 1, 0, or -1 with *errmsg. */
static int table_exists(PGconn *conn, const char *schema, const char *table, int64_t timeout_ms,
                        char **errmsg)
{
    const char *params[] = {schema, table};
    char *value = pgd_pq_value(conn,
                               "SELECT count(*) FROM pg_catalog.pg_class c JOIN "
                               "pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                               " WHERE n.nspname = $1 AND c.relname = $2",
                               2, params, timeout_ms, errmsg);
    int exists;

    if (value == NULL)
        return -1;
    exists = strcmp(value, "0") != 0;
    free(value);
    return exists;
}

int pgd_marker_count(PGconn *conn, const char *schema, const char *table, const char *test_id,
                     const char *kind, int64_t timeout_ms, bool *table_missing, char **errmsg)
{
    const char *params[] = {test_id, kind};
    char *qualified;
    char *sql;
    char *value;
    int count;
    int exists = table_exists(conn, schema, table, timeout_ms, errmsg);

    *table_missing = exists == 0;
    if (exists <= 0)
        return exists;

    qualified = pgd_marker_table_name(conn, schema, table, errmsg);
    if (qualified == NULL)
        return -1;
    sql = pgd_asprintf("SELECT count(*) FROM %s WHERE test_id = $1 AND kind = $2", qualified);
    value = pgd_pq_value(conn, sql, 2, params, timeout_ms, errmsg);
    free(sql);
    free(qualified);
    if (value == NULL)
        return -1;
    count = atoi(value);
    free(value);
    return count;
}

PGresult *pgd_marker_rows(PGconn *conn, const char *schema, const char *table, int64_t timeout_ms,
                          bool *table_missing, char **errmsg)
{
    const char *params[] = {PGD_MARKER_KIND_MARKER, PGD_MARKER_KIND_FENCE};
    int exists = table_exists(conn, schema, table, timeout_ms, errmsg);
    char *qualified;
    char *sql;
    PGresult *res;

    *table_missing = exists == 0;
    if (exists <= 0)
        return NULL;
    qualified = pgd_marker_table_name(conn, schema, table, errmsg);
    if (qualified == NULL)
        return NULL;
    /*
     * In UTC whatever the session's TimeZone: the instants are compared with
     * the target's. No drill writes a time outside 1970..9999 (nor infinity,
     * which to_char cannot print): such a row proves nothing and is left out
     * on both sides.
     */
    sql = pgd_asprintf("SELECT test_id, kind, pg_catalog.to_char(created_at AT TIME ZONE 'UTC',"
                       " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM %s"
                       " WHERE kind IN ($1, $2) AND test_id IS NOT NULL"
                       " AND created_at BETWEEN '1970-01-01 00:00:00+00' AND"
                       " '9999-12-31 23:59:59+00'"
                       " ORDER BY created_at, test_id, kind",
                       qualified);
    res = pgd_pq_exec(conn, sql, 2, params, timeout_ms, errmsg, NULL);
    free(sql);
    free(qualified);
    return res;
}
