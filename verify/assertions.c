/*
 * assertions.c - verify.assertions: the SRE's own statements about the data.
 */
#include "assertions.h"

#include "assertion_role.h"
#include "catalog_fingerprint.h"
#include "compare.h"
#include "classify.h"
#include "jobs.h"
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
    /* the instance's: resources (memory, disk, connections), a shutdown, a crash (classify.h) */
    if (classify_instance_sqlstate(sqlstate))
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

/* The statement timeout of an assertion (timeout_s) or what verify.timeout leaves. */
static int64_t statement_ms(const verify_run *run, long timeout_s, bool *deadline_rules)
{
    int64_t configured = timeout_s > INT_MAX / 1000 ? INT_MAX : (int64_t)timeout_s * 1000;
    int64_t left = pgd_ms_until(run->deadline_ms) - CLIENT_GRACE_MS;

    *deadline_rules = left < configured;
    return *deadline_rules ? left : configured;
}

/* Session settings, then the READ ONLY transaction block the statement runs in (F23). */
static bool begin_assertion(verify_run *run, PGconn *conn, int64_t timeout_ms, bool compare,
                            char **errmsg)
{
    char timeout[32];
    const char *target = pgd_report_get_string(run->report, "target_time");
    const char *marker_time = pgd_report_get_nested(run->report, "source", "marker_time");
    const char *params[] = {timeout, target ? target : ""};
    const char *compare_params[] = {marker_time ? marker_time : ""};

    snprintf(timeout, sizeof(timeout), "%lld", (long long)timeout_ms);
    return pgd_pq_command(conn,
                          "SELECT pg_catalog.set_config('statement_timeout', $1, false),"
                          " pg_catalog.set_config('pgdrill.target_time', $2, false)",
                          2, params, verify_query_timeout(run), errmsg) &&
           pgd_pq_command(conn, "BEGIN TRANSACTION READ ONLY", 0, NULL, verify_query_timeout(run),
                          errmsg) &&
           /* a comparison hashes its rows as the source did (catalog_fingerprint.h) */
           (!compare || pgd_pq_command(conn, PGD_COMPARE_SETTINGS, 1, compare_params,
                                       verify_query_timeout(run), errmsg));
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

/* What jobs_run_queries needs of the assertions: the role, and each one's facts. */
typedef struct assertion_run {
    const check_def *def;
    const pgd_assertions *items; /* verify.assertions, or verify.compare */
    bool compare;                /* items are comparisons: compare_facts, wrapped SQL */
    assertion_role role;
    assertion_facts *facts;
    compare_facts *compared;
    char **wrapped; /* the comparisons' SQL as run (catalog_fingerprint.h) */
    int *notices;   /* the server's notices in each assertion's session: counted, never shown */
} assertion_run;

/*
 * Assertion i starts: its statement timeout, its database made ready for
 * the role, a login as the role and the transaction block; false with the
 * reason in its facts when it got no further.
 */
static bool open_assertion(verify_run *run, void *arg, size_t i, PGconn **conn, const char **sql,
                           int64_t *wait_ms)
{
    assertion_run *ar = arg;
    const pgd_assertion *a = &ar->items->items[i];
    assertion_facts *f = ar->compare ? &ar->compared[i].query : &ar->facts[i];
    int64_t left = pgd_ms_until(run->deadline_ms);
    long connect_s = left / 1000 < 30 ? (long)(left / 1000) + 1 : 30;

    *conn = NULL;
    f->dbname = a->database;
    f->verify_timeout = run->cfg->verify.timeout;
    f->timeout_ms = statement_ms(
        run, ar->compare ? run->cfg->verify.compare_timeout : run->cfg->verify.assertion_timeout,
        &f->deadline_rules);
    if (pgd_interrupted() != 0 || f->timeout_ms < MIN_STATEMENT_MS) {
        f->stage = ASSERTION_NOT_STARTED;
        f->interrupted = pgd_interrupted() != 0;
        return false;
    }
    if (!assertion_role_prepare(run, &ar->role, a->database, &f->error)) {
        f->stage = ASSERTION_UNPREPARED;
        f->interrupted = pgd_interrupted() != 0;
        return false;
    }
    *conn =
        assertion_role_connect(run, &ar->role, a->database, connect_s, &ar->notices[i], &f->error);
    if (*conn == NULL) {
        f->stage = ASSERTION_NO_LOGIN;
        f->interrupted = pgd_interrupted() != 0;
        return false;
    }
    if (!begin_assertion(run, *conn, f->timeout_ms, ar->compare, &f->error)) {
        f->stage = ASSERTION_NO_ANSWER;
        f->end = pgd_interrupted() != 0 ? PGD_PQ_INTERRUPTED : PGD_PQ_BROKEN;
        return false;
    }
    left = pgd_ms_until(run->deadline_ms);
    *wait_ms = f->timeout_ms + CLIENT_GRACE_MS < left ? f->timeout_ms + CLIENT_GRACE_MS : left;
    *sql = ar->compare ? ar->wrapped[i] : a->sql;
    return true;
}

/* Assertion i's statement ended: the server's answer, or why there was none, into its facts. */
static void assertion_ended(verify_run *run, void *arg, size_t i, PGconn *conn, pgd_pq_end end,
                            const PGresult *res, const char *errmsg)
{
    assertion_run *ar = arg;
    assertion_facts *f = ar->compare ? &ar->compared[i].query : &ar->facts[i];

    if (ar->compare && res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
        PQntuples(res) == 1 && PQnfields(res) == 2) {
        ar->compared[i].answered = true;
        ar->compared[i].rows = atoll(PQgetvalue(res, 0, 0));
        snprintf(ar->compared[i].hash, sizeof(ar->compared[i].hash), "%s", PQgetvalue(res, 0, 1));
    }
    f->end = end;
    f->stage = end == PGD_PQ_ANSWERED ? ASSERTION_ANSWERED : ASSERTION_NO_ANSWER;
    if (res == NULL) {
        f->error = errmsg ? pgd_strdup(errmsg) : NULL;
        return;
    }
    f->status = PQresultStatus(res);
    if (f->status == PGRES_FATAL_ERROR || f->status == PGRES_BAD_RESPONSE ||
        f->status == PGRES_NONFATAL_ERROR) {
        const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

        snprintf(f->sqlstate, sizeof(f->sqlstate), "%s", sqlstate ? sqlstate : "");
        f->primary = primary ? pgd_strdup(primary) : NULL;
        f->connection_lost = PQstatus(conn) == CONNECTION_BAD;
    } else {
        assertion_shape_of(res, &f->shape);
        f->shape.command = f->command = pgd_strdup(f->shape.command ? f->shape.command : "");
        if (f->status == PGRES_TUPLES_OK && !f->shape.one_boolean) {
            f->types = column_types(run, conn, res);
            f->shape.types = (const char *const *)f->types;
        }
    }
}

/* Judge and record assertion i (the ones before it are recorded: jobs.h). */
static void record_assertion(verify_run *run, void *arg, size_t i, int64_t start_ms, int64_t end_ms)
{
    assertion_run *ar = arg;
    const pgd_assertion *a = &ar->items->items[i];
    char *name = pgd_asprintf("%s:%s", ar->def->name, a->name);
    check_result result = {0};

    if (ar->notices[i] > 0)
        pgd_info("%s in database %s: %d notice%s of the server not shown (they may quote "
                 "the data)",
                 ar->def->name, a->database, ar->notices[i], ar->notices[i] == 1 ? "" : "s");
    if (ar->compare) {
        compare_facts_source(run->report, a, &ar->compared[i]);
        ar->def->judge(&ar->compared[i], &result);
        assertion_facts_free(&ar->compared[i].query);
        free(ar->compared[i].unlogged);
    } else {
        ar->def->judge(&ar->facts[i], &result);
        assertion_facts_free(&ar->facts[i]);
    }
    check_record_ended(run, name, &result, start_ms, end_ms);
    check_result_free(&result);
    free(name);
}

void assertion_facts_free(assertion_facts *f)
{
    for (int i = 0; f->types != NULL && i < f->shape.columns; i++)
        free(f->types[i]);
    free(f->types);
    free(f->command);
    free(f->primary);
    free(f->error);
    memset(f, 0, sizeof(*f));
}

/* The server answered with an error: a finding, or not judged (by SQLSTATE). */
static void judge_error(const assertion_facts *f, check_result *out)
{
    pgd_error_class error_class =
        assertion_error_class(f->sqlstate[0] ? f->sqlstate : NULL, f->connection_lost);
    char *what = assertion_describe_error(f->sqlstate[0] ? f->sqlstate : NULL, f->primary);

    if (error_class == PGD_ERR_TIMEOUT)
        check_result_set(
            out, CHECK_NOT_RUN, error_class,
            f->deadline_rules ? "raise verify.timeout"
                              : "raise verify.assertion_timeout, or make the "
                                "assertion cheaper",
            "database %s: not judged: the query ran into its statement timeout of "
            "%.1f s (%s): %s",
            f->dbname, (double)f->timeout_ms / 1000.0,
            f->deadline_rules ? "what verify.timeout left" : "verify.assertion_timeout", what);
    else if (error_class == PGD_ERR_ASSERTION_FAILED)
        check_result_set(out, CHECK_FAILED, error_class, NULL, "database %s: the query failed: %s",
                         f->dbname, what);
    else
        check_result_set(out, CHECK_NOT_RUN, error_class, NULL,
                         "database %s: not judged: the query failed: %s", f->dbname, what);
    free(what);
}

/* A wait that ended without the server's answer: never a finding. */
static void judge_no_answer(const assertion_facts *f, check_result *out)
{
    if (f->end == PGD_PQ_INTERRUPTED)
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERRUPTED, NULL,
                         "database %s: not judged: a termination signal arrived while the query "
                         "ran; it was cancelled",
                         f->dbname);
    else
        check_result_set(out, CHECK_NOT_RUN,
                         f->end == PGD_PQ_TIMED_OUT ? PGD_ERR_TIMEOUT : PGD_ERR_INTERNAL, NULL,
                         "database %s: not judged: %s", f->dbname, f->error ? f->error : "?");
}

void assertion_judge(const assertion_facts *f, check_result *out)
{
    char *result;
    bool passed;

    switch (f->stage) {
    case ASSERTION_NOT_STARTED:
        if (f->interrupted)
            check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERRUPTED, NULL,
                             "not started: pgdrill-verify received a termination signal");
        else
            check_result_set(out, CHECK_NOT_RUN, PGD_ERR_TIMEOUT,
                             "raise verify.timeout, or lower verify.assertion_timeout",
                             "not started: verify.timeout (%lds) left no time for it",
                             f->verify_timeout);
        return;
    case ASSERTION_UNPREPARED:
        check_result_set(
            out, CHECK_NOT_RUN, f->interrupted ? PGD_ERR_INTERRUPTED : PGD_ERR_INTERNAL,
            "verify needs a superuser connection (Patroni's is)", "%s", f->error ? f->error : "?");
        return;
    case ASSERTION_NO_LOGIN:
        check_result_set(out, CHECK_NOT_RUN,
                         f->interrupted ? PGD_ERR_INTERRUPTED : PGD_ERR_INTERNAL,
                         f->interrupted ? NULL
                                        : "pg_hba.conf of the restored instance must let this "
                                          "role log in over the same socket or host as verify, "
                                          "with its password (scram-sha-256 or md5) or trust; "
                                          "peer and ident refuse it",
                         "database %s: %s", f->dbname, f->error ? f->error : "?");
        return;
    case ASSERTION_NO_ANSWER:
        judge_no_answer(f, out);
        return;
    case ASSERTION_ANSWERED:
        break;
    }
    if (f->status == PGRES_FATAL_ERROR || f->status == PGRES_BAD_RESPONSE ||
        f->status == PGRES_NONFATAL_ERROR) {
        judge_error(f, out);
        return;
    }
    result = assertion_describe(&f->shape, &passed);
    check_result_set(out, passed ? CHECK_PASSED : CHECK_FAILED, PGD_ERR_ASSERTION_FAILED, NULL,
                     "database %s: returned %s", f->dbname, result);
    free(result);
}

static void judge(const void *facts, check_result *out)
{
    assertion_judge(facts, out);
}

/* Every assertion recorded as not run, for one reason. */
void assertions_none_run(verify_run *run, const check_def *def, const pgd_assertions *items,
                         pgd_error_class error_class, const char *hint, const char *why)
{
    int64_t start = pgd_monotonic_ms();
    check_result result = {0};

    check_result_set(&result, CHECK_NOT_RUN, error_class, hint, "%s", why);
    for (size_t i = 0; i < items->count; i++) {
        char *name = pgd_asprintf("%s:%s", def->name, items->items[i].name);

        check_record(run, name, &result, start);
        free(name);
    }
    check_result_free(&result);
}

void assertions_run(verify_run *run, const check_def *def, const pgd_assertions *items,
                    const char *salt)
{
    bool compare = salt != NULL;
    size_t n = items->count;
    assertion_run ar = {.items = items, .compare = compare};
    check_queries queries = {.count = n,
                             .arg = &ar,
                             .open = open_assertion,
                             .ended = assertion_ended,
                             .record = record_assertion};
    char *errmsg = NULL;

    if (run->server_major < ASSERTION_ROLE_MIN_MAJOR) {
        char *why = pgd_asprintf("the restored instance is PostgreSQL %d, which has no "
                                 "pg_read_all_data role (14 and later do)",
                                 run->server_major);

        char *hint = pgd_asprintf("pgdrill does not run these queries as a superuser: drill "
                                  "PostgreSQL 14 or later, or leave verify.%s empty",
                                  compare ? "compare" : "assertions");

        assertions_none_run(run, def, items, PGD_ERR_INTERNAL, hint, why);
        free(hint);
        free(why);
        return;
    }
    if (!assertion_role_create(run, &ar.role, &errmsg)) {
        char *why = pgd_asprintf("could not create the role assertions run as: %s", errmsg);

        assertions_none_run(run, def, items, verify_stop_class(run),
                            "verify needs a superuser connection (Patroni's is)", why);
        free(why);
        free(errmsg);
        assertion_role_drop(run, &ar.role);
        return;
    }
    ar.def = def;
    ar.facts = pgd_calloc(n > 0 ? n : 1, sizeof(assertion_facts));
    ar.notices = pgd_calloc(n > 0 ? n : 1, sizeof(int));
    if (compare) {
        ar.compared = pgd_calloc(n > 0 ? n : 1, sizeof(compare_facts));
        ar.wrapped = pgd_calloc(n > 0 ? n : 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            ar.wrapped[i] = pgd_compare_wrap(items->items[i].sql, salt);
    }
    jobs_run_queries(run, &queries);
    for (size_t i = 0; compare && i < n; i++)
        free(ar.wrapped[i]);
    free(ar.wrapped);
    free(ar.compared);
    free(ar.facts);
    free(ar.notices);
    assertion_role_drop(run, &ar.role);
}

static void run_each(verify_run *run, const check_def *def)
{
    assertions_run(run, def, &run->cfg->verify.assertions, NULL);
}

static const pgd_assertions *assertion_items(const pgd_config *cfg)
{
    return &cfg->verify.assertions;
}

const check_def check_assertion = {
    .items = assertion_items,
    .name = "assertion",
    .runs = CHECK_PER_ASSERTION,
    .finding = PGD_ERR_ASSERTION_FAILED,
    .run_each = run_each,
    .judge = judge,
};
