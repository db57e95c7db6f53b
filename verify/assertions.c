/*
 * assertions.c - verify.assertions: the SRE's own statements about the data.
 */
#include "assertions.h"

#include "assertion_role.h"
#include "clock.h"
#include "log.h"
#include "pq.h"
#include "signals.h"
#include "sqlstate.h"
#include "xalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOLOID     16
#define TYPES_SHOWN 8 /* column types named in a description; more are "..." */

/*
 * The client waits this much longer than the statement timeout, so that the
 * server's own timeout answers first; less than MIN_STATEMENT_MS left after
 * it, an assertion is not started.
 */
#define CLIENT_GRACE_MS  2000
#define MIN_STATEMENT_MS 100

void assertion_shape_of(const PGresult *res, assertion_shape *shape)
{
    memset(shape, 0, sizeof(*shape));
    shape->status = PQresultStatus(res);
    shape->command = PQcmdStatus((PGresult *)res);
    if (shape->status != PGRES_TUPLES_OK)
        return;
    shape->rows = PQntuples(res);
    shape->columns = PQnfields(res);
    if (shape->rows == 1 && shape->columns == 1 && PQftype(res, 0) == BOOLOID) {
        shape->one_boolean = true;
        shape->value = PQgetisnull(res, 0, 0) ? -1 : strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    }
}

/* " of type text", " of types integer, text, ..." */
static void append_types(pgd_buf *out, const assertion_shape *shape)
{
    if (shape->types == NULL || shape->columns == 0)
        return;
    pgd_buf_appendf(out, " of type%s ", shape->columns == 1 ? "" : "s");
    for (int i = 0; i < shape->columns && i < TYPES_SHOWN; i++)
        pgd_buf_appendf(out, "%s%s", i > 0 ? ", " : "",
                        shape->types[i] ? shape->types[i] : "(unknown)");
    if (shape->columns > TYPES_SHOWN)
        pgd_buf_append(out, ", ...");
}

char *assertion_describe(const assertion_shape *shape, bool *passed)
{
    pgd_buf out;

    *passed = false;
    switch (shape->status) {
    case PGRES_TUPLES_OK:
        break;
    case PGRES_COMMAND_OK: {
        const char *tag = shape->command && shape->command[0] ? shape->command : "?";

        /* the tag's first word: its counts say nothing an SRE needs here */
        return pgd_asprintf("no rows (command %.*s), not one boolean", (int)strcspn(tag, " "), tag);
    }
    case PGRES_EMPTY_QUERY:
        return pgd_strdup("an empty statement, not one boolean");
    case PGRES_COPY_OUT:
    case PGRES_COPY_IN:
    case PGRES_COPY_BOTH:
        return pgd_strdup("a COPY (not read), not one boolean");
    default:
        return pgd_asprintf("an unexpected result (%s), not one boolean",
                            PQresStatus(shape->status));
    }
    if (shape->one_boolean) {
        *passed = shape->value == 1;
        return pgd_strdup(shape->value == 1 ? "true" : shape->value == 0 ? "false" : "NULL");
    }
    pgd_buf_init(&out);
    pgd_buf_appendf(&out, "%d row%s of %d column%s", shape->rows, shape->rows == 1 ? "" : "s",
                    shape->columns, shape->columns == 1 ? "" : "s");
    append_types(&out, shape);
    pgd_buf_append(&out, ", not one boolean");
    return pgd_buf_steal(&out);
}

pgd_error_class assertion_error_class(const char *sqlstate, bool connection_lost)
{
    if (connection_lost)
        return PGD_ERR_INTERNAL;
    if (sqlstate == NULL)
        return PGD_ERR_ASSERTION_FAILED;
    /* query_canceled: the statement timeout (a cancel by verify itself never gets here) */
    if (strcmp(sqlstate, "57014") == 0)
        return PGD_ERR_TIMEOUT;
    /* insufficient_resources (memory, disk, connections); shutdown, crash, database dropped */
    if (pgd_sqlstate_in_class(sqlstate, "53") || strncmp(sqlstate, "57P", 3) == 0)
        return PGD_ERR_INTERNAL;
    return PGD_ERR_ASSERTION_FAILED;
}

bool assertion_message_shown(const char *sqlstate)
{
    /*
     * PostgreSQL writes these from fixed text and the names of catalog
     * objects that exist; every other message may quote a value the
     * statement read (22P02 the input, 42P01 a text cast to regclass, P0001
     * whatever RAISE says): docs/design.md, F25.
     */
    static const char *const classes[] = {"08", "21", "25", "2D", "40", "53", "54", "57"};
    static const char *const codes[] = {"2F003", "42501"};

    if (sqlstate == NULL || strlen(sqlstate) != 5)
        return false;
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        if (pgd_sqlstate_in_class(sqlstate, classes[i]))
            return true;
    }
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (strcmp(sqlstate, codes[i]) == 0)
            return true;
    }
    return false;
}

char *assertion_describe_error(const char *sqlstate, const char *primary)
{
    const char *name = pgd_sqlstate_name(sqlstate);
    const char *class_name = pgd_sqlstate_class_name(sqlstate);

    if (sqlstate == NULL || sqlstate[0] == '\0')
        return pgd_strdup(primary ? primary : "an error without SQLSTATE");
    if (name == NULL)
        return pgd_asprintf("SQLSTATE %s (class %.2s%s%s; message not shown: it may quote the "
                            "data)",
                            sqlstate, sqlstate, class_name ? ", " : "",
                            class_name ? class_name : "");
    if (assertion_message_shown(sqlstate))
        return primary != NULL ? pgd_asprintf("%s (SQLSTATE %s): %s", name, sqlstate, primary)
                               : pgd_asprintf("%s (SQLSTATE %s)", name, sqlstate);
    return pgd_asprintf("%s (SQLSTATE %s; message not shown: it may quote the data)", name,
                        sqlstate);
}

/* The statement timeout of an assertion: verify.assertion_timeout or what verify.timeout leaves. */
static int64_t statement_ms(const verify_run *run, bool *deadline_rules)
{
    int64_t configured = run->cfg->verify.assertion_timeout > INT_MAX / 1000
                             ? INT_MAX
                             : (int64_t)run->cfg->verify.assertion_timeout * 1000;
    int64_t left = pgd_ms_until(run->deadline_ms) - CLIENT_GRACE_MS;

    *deadline_rules = left < configured;
    return *deadline_rules ? left : configured;
}

/* Session settings, then the READ ONLY transaction block the statement runs in (F23). */
static bool begin_assertion(verify_run *run, PGconn *conn, int64_t timeout_ms, char **errmsg)
{
    char timeout[32];
    const char *target = pgd_report_get_string(run->report, "target_time");
    const char *params[] = {timeout, target ? target : ""};

    snprintf(timeout, sizeof(timeout), "%lld", (long long)timeout_ms);
    return pgd_pq_command(conn,
                          "SELECT pg_catalog.set_config('statement_timeout', $1, false),"
                          " pg_catalog.set_config('pgdrill.target_time', $2, false)",
                          2, params, verify_query_timeout(run), errmsg) &&
           pgd_pq_command(conn, "BEGIN TRANSACTION READ ONLY", 0, NULL, verify_query_timeout(run),
                          errmsg);
}

/* The type names of res's columns (the caller frees them with free_types), or NULL. */
static char **column_types(verify_run *run, PGconn *conn, const PGresult *res)
{
    int n = PQnfields(res);
    pgd_buf oids;
    const char *params[1];
    char *errmsg = NULL;
    PGresult *names;
    char **types = NULL;

    if (n == 0)
        return NULL;
    pgd_buf_init(&oids);
    for (int i = 0; i < n && i < TYPES_SHOWN; i++)
        pgd_buf_appendf(&oids, "%s%u", i > 0 ? "," : "{", PQftype(res, i));
    pgd_buf_append(&oids, "}");
    params[0] = oids.data;
    names = pgd_pq_exec(conn,
                        "SELECT pg_catalog.format_type(t, NULL) FROM pg_catalog.unnest($1::"
                        "pg_catalog.oid[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
                        1, params, verify_query_timeout(run), &errmsg, NULL);
    if (names != NULL) {
        types = pgd_calloc((size_t)n, sizeof(char *));
        for (int i = 0; i < PQntuples(names) && i < n; i++)
            types[i] = pgd_strdup(PQgetvalue(names, i, 0));
        PQclear(names);
    } else
        pgd_debug("could not name the column types: %s", errmsg);
    free(errmsg);
    pgd_buf_free(&oids);
    return types;
}

static void free_types(char **types, int n)
{
    for (int i = 0; types != NULL && i < n; i++)
        free(types[i]);
    free(types);
}

/* Judge what the server answered: a result by its shape, an error by its SQLSTATE. */
static void judge_answer(verify_run *run, const char *name, int64_t start, const char *dbname,
                         PGconn *conn, const PGresult *res, int64_t timeout_ms, bool deadline_rules)
{
    ExecStatusType status = PQresultStatus(res);
    const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    char *detail;

    if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
        status == PGRES_NONFATAL_ERROR) {
        pgd_error_class error_class =
            assertion_error_class(sqlstate, PQstatus(conn) == CONNECTION_BAD);
        char *what =
            assertion_describe_error(sqlstate, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));

        if (error_class == PGD_ERR_TIMEOUT)
            detail = pgd_asprintf(
                "database %s: not judged: the query ran into its statement "
                "timeout of %.1f s (%s): %s",
                dbname, (double)timeout_ms / 1000.0,
                deadline_rules ? "what verify.timeout left" : "verify.assertion_timeout", what);
        else
            detail =
                pgd_asprintf("database %s: %sthe query failed: %s", dbname,
                             error_class == PGD_ERR_ASSERTION_FAILED ? "" : "not judged: ", what);
        check_record(run, name,
                     error_class == PGD_ERR_ASSERTION_FAILED ? CHECK_FAILED : CHECK_NOT_RUN, start,
                     error_class, detail);
        free(what);
    } else {
        assertion_shape shape;
        char **types = NULL;
        char *result;
        bool passed;

        assertion_shape_of(res, &shape);
        if (status == PGRES_TUPLES_OK && !shape.one_boolean) {
            types = column_types(run, conn, res);
            shape.types = (const char *const *)types;
        }
        result = assertion_describe(&shape, &passed);
        detail = pgd_asprintf("database %s: returned %s", dbname, result);
        check_record(run, name, passed ? CHECK_PASSED : CHECK_FAILED, start,
                     passed ? PGD_ERR_NONE : PGD_ERR_ASSERTION_FAILED, detail);
        free(result);
        free_types(types, shape.columns);
    }
    free(detail);
}

/* Judge a wait that ended without the server's answer: never a finding. */
static void judge_no_answer(verify_run *run, const char *name, int64_t start, const char *dbname,
                            pgd_pq_end end, const char *errmsg)
{
    char *detail;

    if (end == PGD_PQ_INTERRUPTED)
        detail = pgd_asprintf("database %s: not judged: a termination signal arrived while the "
                              "query ran; it was cancelled",
                              dbname);
    else
        detail = pgd_asprintf("database %s: not judged: %s", dbname, errmsg);
    check_record(run, name, CHECK_NOT_RUN, start,
                 end == PGD_PQ_INTERRUPTED ? PGD_ERR_INTERRUPTED
                 : end == PGD_PQ_TIMED_OUT ? PGD_ERR_TIMEOUT
                                           : PGD_ERR_INTERNAL,
                 detail);
    free(detail);
}

/* Connect as the role and run the statement; records the check. */
static void run_in_session(verify_run *run, assertion_role *role, const pgd_assertion *a,
                           const char *name, int64_t start)
{
    bool deadline_rules;
    int64_t timeout_ms = statement_ms(run, &deadline_rules);
    int64_t left = pgd_ms_until(run->deadline_ms);
    long connect_s = left / 1000 < 30 ? (long)(left / 1000) + 1 : 30;
    int notices = 0;
    char *errmsg = NULL;
    PGconn *conn = assertion_role_connect(run, role, a->database, connect_s, &notices, &errmsg);
    PGresult *res = NULL;

    if (conn == NULL) {
        char *detail = pgd_asprintf(
            "database %s: %s%s", a->database, errmsg,
            pgd_interrupted() != 0
                ? ""
                : " (pg_hba.conf of the restored instance must let this role log in over the "
                  "same socket or host as verify, with its password (scram-sha-256 or md5) or "
                  "trust; peer and ident refuse it)");
        check_record(run, name, CHECK_NOT_RUN, start,
                     pgd_interrupted() != 0 ? PGD_ERR_INTERRUPTED : PGD_ERR_INTERNAL, detail);
        free(detail);
        free(errmsg);
        return;
    }
    if (!begin_assertion(run, conn, timeout_ms, &errmsg))
        judge_no_answer(run, name, start, a->database,
                        pgd_interrupted() != 0 ? PGD_PQ_INTERRUPTED : PGD_PQ_BROKEN, errmsg);
    else {
        int64_t wait_ms = timeout_ms + CLIENT_GRACE_MS;
        pgd_pq_end end;

        left = pgd_ms_until(run->deadline_ms);
        end = pgd_pq_run(conn, a->sql, 0, NULL, wait_ms < left ? wait_ms : left, 0, &res, &errmsg);
        if (end == PGD_PQ_ANSWERED)
            judge_answer(run, name, start, a->database, conn, res, timeout_ms, deadline_rules);
        else
            judge_no_answer(run, name, start, a->database, end, errmsg);
    }
    if (notices > 0)
        pgd_info("check %s: %d notice%s of the server not shown (they may quote the data)", name,
                 notices, notices == 1 ? "" : "s");
    PQclear(res);
    /* Closing the session rolls the transaction back: nothing the statement did is committed. */
    PQfinish(conn);
    free(errmsg);
}

static void run_assertion(verify_run *run, assertion_role *role, const pgd_assertion *a)
{
    int64_t start = pgd_monotonic_ms();
    char *name = pgd_asprintf("assertion:%s", a->name);
    char *errmsg = NULL;
    char *detail;
    bool deadline_rules;

    if (pgd_interrupted() != 0)
        check_record(run, name, CHECK_NOT_RUN, start, PGD_ERR_INTERRUPTED,
                     "not started: pgdrill-verify received a termination signal");
    else if (statement_ms(run, &deadline_rules) < MIN_STATEMENT_MS) {
        detail = pgd_asprintf("not started: verify.timeout (%lds) left no time for it",
                              run->cfg->verify.timeout);
        check_record(run, name, CHECK_NOT_RUN, start, PGD_ERR_TIMEOUT, detail);
        free(detail);
    } else if (!assertion_role_prepare(run, role, a->database, &errmsg))
        check_record(run, name, CHECK_NOT_RUN, start,
                     pgd_interrupted() != 0 ? PGD_ERR_INTERRUPTED : PGD_ERR_INTERNAL, errmsg);
    else
        run_in_session(run, role, a, name, start);
    free(errmsg);
    free(name);
}

/* Every assertion recorded as not run, for one reason. */
static void none_run(verify_run *run, pgd_error_class error_class, const char *why)
{
    int64_t start = pgd_monotonic_ms();

    for (size_t i = 0; i < run->cfg->verify.assertions.count; i++) {
        char *name = pgd_asprintf("assertion:%s", run->cfg->verify.assertions.items[i].name);

        check_record(run, name, CHECK_NOT_RUN, start, error_class, why);
        free(name);
    }
}

void check_assertions(verify_run *run)
{
    assertion_role role;
    char *errmsg = NULL;

    if (run->cfg->verify.assertions.count == 0)
        return;
    if (run->server_major < ASSERTION_ROLE_MIN_MAJOR) {
        char *why = pgd_asprintf(
            "the restored instance is PostgreSQL %d, which has no pg_read_all_data role (14 and "
            "later do); pgdrill does not run assertions as a superuser",
            run->server_major);

        none_run(run, PGD_ERR_INTERNAL, why);
        free(why);
        return;
    }
    if (!assertion_role_create(run, &role, &errmsg)) {
        char *why = pgd_asprintf("could not create the role assertions run as (verify needs a "
                                 "superuser connection, as Patroni's is): %s",
                                 errmsg);

        none_run(run, pgd_interrupted() != 0 ? PGD_ERR_INTERRUPTED : PGD_ERR_INTERNAL, why);
        free(why);
        free(errmsg);
        assertion_role_drop(run, &role);
        return;
    }
    for (size_t i = 0; i < run->cfg->verify.assertions.count; i++)
        run_assertion(run, &role, &run->cfg->verify.assertions.items[i]);
    assertion_role_drop(run, &role);
}
