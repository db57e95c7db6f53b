/*
 * assertions.c - verify.assertions: the SRE's own statements about the data.
 */
#include "assertions.h"

#include "clock.h"
#include "conninfo.h"
#include "log.h"
#include "pq.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOLOID 16

/* A session for assertions in dbname: read-only, statement timeout, target time set. */
static PGconn *assertion_session(verify_run *run, const char *dbname, char **errmsg)
{
    char *conninfo = pgd_conninfo_rewrite(run->conninfo, dbname, NULL);
    char timeout[32];
    const char *timeout_params[] = {timeout};
    const char *target = pgd_report_get_string(run->report, "target_time");
    const char *target_params[] = {target ? target : ""};
    PGconn *conn;

    if (conninfo == NULL) {
        *errmsg = pgd_strdup("the connection string is invalid");
        return NULL;
    }
    conn = pgd_pq_connect(conninfo, 30, errmsg);
    free(conninfo);
    if (conn == NULL)
        return NULL;
    snprintf(timeout, sizeof(timeout), "%ld", run->cfg->verify.assertion_timeout * 1000);
    if (!pgd_pq_command(conn, "SET default_transaction_read_only = on", 0, NULL,
                        verify_query_timeout(run), errmsg) ||
        !pgd_pq_command(conn, "SELECT pg_catalog.set_config('statement_timeout', $1, false)", 1,
                        timeout_params, verify_query_timeout(run), errmsg) ||
        !pgd_pq_command(conn, "SELECT pg_catalog.set_config('pgdrill.target_time', $1, false)", 1,
                        target_params, verify_query_timeout(run), errmsg)) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* What the query returned, for the detail: "true", "false", "NULL", "2 rows", ... */
static char *describe_result(const PGresult *res, bool *passed)
{
    *passed = false;
    if (PQntuples(res) != 1 || PQnfields(res) != 1)
        return pgd_asprintf("%d row%s of %d column%s, not one row of one boolean", PQntuples(res),
                            PQntuples(res) == 1 ? "" : "s", PQnfields(res),
                            PQnfields(res) == 1 ? "" : "s");
    if (PQftype(res, 0) != BOOLOID)
        return pgd_asprintf("%s, which is not a boolean",
                            PQgetisnull(res, 0, 0) ? "NULL" : PQgetvalue(res, 0, 0));
    if (PQgetisnull(res, 0, 0))
        return pgd_strdup("NULL");
    *passed = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    return pgd_strdup(*passed ? "true" : "false");
}

static void run_assertion(verify_run *run, const pgd_assertion *a)
{
    int64_t start = pgd_monotonic_ms();
    char *name = pgd_asprintf("assertion:%s", a->name);
    char *errmsg = NULL;
    PGconn *conn = assertion_session(run, a->database, &errmsg);
    PGresult *res;
    char *result;
    char *detail;
    bool passed;

    if (conn == NULL) {
        detail = pgd_asprintf("database %s: %s", a->database, errmsg);
        check_record(run, name, CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, detail);
        goto out;
    }
    res = pgd_pq_exec(conn, a->sql, 0, NULL, run->cfg->verify.assertion_timeout * 1000 + 5000,
                      &errmsg, NULL);
    if (res == NULL) {
        detail = pgd_asprintf("database %s: the query failed: %s", a->database, errmsg);
        check_record(run, name, CHECK_FAILED, start, PGD_ERR_ASSERTION_FAILED, detail);
    } else {
        result = describe_result(res, &passed);
        detail = pgd_asprintf("database %s: returned %s", a->database, result);
        check_record(run, name, passed ? CHECK_PASSED : CHECK_FAILED, start,
                     passed ? PGD_ERR_NONE : PGD_ERR_ASSERTION_FAILED, detail);
        free(result);
        PQclear(res);
    }
    PQfinish(conn);
out:
    free(detail);
    free(errmsg);
    free(name);
}

void check_assertions(verify_run *run)
{
    for (size_t i = 0; i < run->cfg->verify.assertions.count; i++)
        run_assertion(run, &run->cfg->verify.assertions.items[i]);
}
