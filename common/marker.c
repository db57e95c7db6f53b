/*
 * marker.c - the bookkeeping table on the source.
 */
#include "marker.h"

#include "pq.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

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

bool pgd_marker_prepare(PGconn *conn, const char *schema, const char *table, int64_t timeout_ms,
                        char **errmsg)
{
    char *qschema = pgd_pq_quote_ident(conn, schema);
    char *qualified = pgd_marker_table_name(conn, schema, table, errmsg);
    char *statements[7];
    bool ok = qschema != NULL && qualified != NULL;
    size_t n = 0;

    if (!ok) {
        free(qschema);
        free(qualified);
        if (qschema == NULL && qualified != NULL)
            *errmsg = pgd_strdup("could not quote the marker schema name");
        return false;
    }
    statements[n++] = pgd_strdup("BEGIN");
    statements[n++] = pgd_asprintf("CREATE SCHEMA IF NOT EXISTS %s", qschema);
    statements[n++] = pgd_asprintf("REVOKE ALL ON SCHEMA %s FROM PUBLIC", qschema);
    statements[n++] = pgd_asprintf("CREATE TABLE IF NOT EXISTS %s ("
                                   " test_id text NOT NULL,"
                                   " kind text NOT NULL CHECK (kind IN ('" PGD_MARKER_KIND_MARKER
                                   "', '" PGD_MARKER_KIND_FENCE "')),"
                                   " scope text NOT NULL,"
                                   " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                                   " PRIMARY KEY (test_id, kind))",
                                   qualified);
    statements[n++] = pgd_asprintf("REVOKE ALL ON TABLE %s FROM PUBLIC", qualified);
    /* Bounded growth: a drill a day for years must not leave an ever-growing table. */
    statements[n++] = pgd_asprintf("DELETE FROM %s WHERE created_at < clock_timestamp() - "
                                   "interval '%d days'",
                                   qualified, PGD_MARKER_KEEP_DAYS);
    statements[n++] = pgd_strdup("COMMIT");

    for (size_t i = 0; i < n && ok; i++)
        ok = pgd_pq_command(conn, statements[i], 0, NULL, timeout_ms, errmsg);
    if (!ok) {
        char *ignored = NULL;

        pgd_pq_command(conn, "ROLLBACK", 0, NULL, timeout_ms, &ignored);
        free(ignored);
    }
    for (size_t i = 0; i < n; i++)
        free(statements[i]);
    free(qschema);
    free(qualified);
    return ok;
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

int pgd_marker_count(PGconn *conn, const char *schema, const char *table, const char *test_id,
                     const char *kind, int64_t timeout_ms, bool *table_missing, char **errmsg)
{
    const char *exists_params[] = {schema, table};
    const char *params[] = {test_id, kind};
    char *qualified;
    char *sql;
    char *value;
    int count;

    *table_missing = false;
    value = pgd_pq_value(conn,
                         "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                         " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                         2, exists_params, timeout_ms, errmsg);
    if (value == NULL)
        return -1;
    if (strcmp(value, "0") == 0) {
        free(value);
        *table_missing = true;
        return 0;
    }
    free(value);

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
