/*
 * pq.c - libpq with deadlines and readable errors.
 */
#include "pq.h"

#include "clock.h"
#include "conninfo.h"
#include "log.h"
#include "signals.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_TICK_MS   200
#define CANCEL_WAIT_MS 5000 /* how long a cancelled query may take to give up */

/*
 * Wait until the connection's socket is ready for `events` or the deadline
 * passes; when interruptible, also return at a termination signal.
 */
static bool wait_socket(PGconn *conn, short events, int64_t deadline, bool interruptible)
{
    struct pollfd pfd;

    pfd.fd = PQsocket(conn);
    pfd.events = events;
    if (pfd.fd < 0)
        return false;
    for (;;) {
        int64_t left = pgd_ms_until(deadline);
        int rc;

        if (left == 0 || (interruptible && pgd_interrupted() != 0))
            return false;
        pfd.revents = 0;
        rc = poll(&pfd, 1, (int)(left < POLL_TICK_MS ? left : POLL_TICK_MS));
        if (rc > 0)
            return true;
        if (rc < 0 && errno != EINTR)
            return false;
    }
}

/* libpq messages end in a newline and sometimes carry several lines; keep them on one line. */
static char *one_line(const char *message)
{
    char *copy = pgd_strdup(message ? message : "");
    size_t len = strlen(copy);

    while (len > 0 && (copy[len - 1] == '\n' || copy[len - 1] == ' '))
        copy[--len] = '\0';
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == '\n')
            *p = ' ';
    }
    return copy;
}

/*
 * The server's NOTICE and WARNING messages go through our logger like every
 * other line (libpq's default prints them bare on stderr).
 */
static void log_notice(void *arg, const char *message)
{
    char *line = one_line(message);

    (void)arg;
    if (strncmp(line, "WARNING:", 8) == 0)
        pgd_warn("server: %s", line);
    else
        pgd_info("server: %s", line);
    free(line);
}

/* Connect with libpq's keyword arrays (dbname expanded); target names the server in errors. */
static PGconn *connect_params(const char *const *keywords, const char *const *values,
                              const char *target, long timeout_s, char **errmsg)
{
    int64_t deadline = pgd_monotonic_ms() + (int64_t)timeout_s * 1000;
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    PGconn *conn = PQconnectStartParams(keywords, values, 1);

    if (conn == NULL) {
        *errmsg = pgd_asprintf("could not connect to %s: out of memory", target);
        return NULL;
    }
    while (PQstatus(conn) != CONNECTION_BAD && state != PGRES_POLLING_OK &&
           state != PGRES_POLLING_FAILED) {
        if (!wait_socket(conn, state == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, true)) {
            *errmsg = pgd_interrupted() != 0
                          ? pgd_asprintf("connecting to %s was interrupted", target)
                          : pgd_asprintf("could not connect to %s: no answer within %lds", target,
                                         timeout_s);
            PQfinish(conn);
            return NULL;
        }
        state = PQconnectPoll(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        char *why = one_line(PQerrorMessage(conn));

        *errmsg = pgd_asprintf("could not connect to %s: %s", target, why);
        free(why);
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, log_notice, NULL);
    return conn;
}

PGconn *pgd_pq_connect(const char *conninfo, long timeout_s, char **errmsg)
{
    const char *keywords[] = {"dbname", "fallback_application_name", NULL};
    const char *values[] = {conninfo, "pgdrill", NULL};
    char *target = pgd_conninfo_redact(conninfo);
    PGconn *conn = connect_params(keywords, values, target, timeout_s, errmsg);

    free(target);
    return conn;
}

bool pgd_pq_pin_search_path(PGconn *conn, int64_t timeout_ms, char **errmsg)
{
    /*
     * A role's or a database's search_path (ALTER ROLE/DATABASE ... SET)
     * applies to every session, ours included, and a schema listed before
     * pg_catalog wins for a function or operator of the same name and
     * arguments: whoever may set it, or create in such a schema, would have
     * pgdrill run their clock_timestamp() or "=" with its privileges, and a
     * column default created in our session would keep calling theirs. With
     * only pg_catalog and our own temporary schema, last, no unqualified
     * name in our SQL can resolve elsewhere. Fully qualified itself, so that
     * it cannot be captured either.
     */
    return pgd_pq_command(conn,
                          "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp',"
                          " false)",
                          0, NULL, timeout_ms, errmsg);
}

PGconn *pgd_pq_connect_as(const char *conninfo, const char *user, const char *password,
                          long timeout_s, char **errmsg)
{
    /* Keywords after the expanded dbname override what the connection string says. */
    const char *keywords[] = {"dbname", "user", "password", "fallback_application_name", NULL};
    const char *values[] = {conninfo, user, password, "pgdrill", NULL};
    char *redacted = pgd_conninfo_redact(conninfo);
    char *target = pgd_asprintf("%s as user %s", redacted, user);
    PGconn *conn = connect_params(keywords, values, target, timeout_s, errmsg);

    free(target);
    free(redacted);
    return conn;
}

static char *result_error(const PGresult *res, PGconn *conn, char sqlstate[6])
{
    const char *code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    char *msg;

    if (sqlstate != NULL)
        snprintf(sqlstate, 6, "%s", code ? code : "");
    if (primary == NULL) {
        char *plain = one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));

        if (plain[0] == '\0') {
            free(plain);
            plain = one_line(PQerrorMessage(conn));
        }
        return plain;
    }
    if (detail != NULL)
        msg = pgd_asprintf("%s (SQLSTATE %s; %s)", primary, code ? code : "?", detail);
    else
        msg = pgd_asprintf("%s (SQLSTATE %s)", primary, code ? code : "?");
    return msg;
}

/* Ask the server to cancel the running query; the caller keeps draining results. */
static void cancel_query(PGconn *conn)
{
    PGcancel *cancel = PQgetCancel(conn);

    if (cancel != NULL) {
        char ignored[256];

        PQcancel(cancel, ignored, (int)sizeof(ignored));
        PQfreeCancel(cancel);
    }
}

static bool result_ok(const PGresult *res)
{
    return PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
}

static bool result_is_copy(const PGresult *res)
{
    return PQresultStatus(res) == PGRES_COPY_OUT || PQresultStatus(res) == PGRES_COPY_IN ||
           PQresultStatus(res) == PGRES_COPY_BOTH;
}

/*
 * Keep res as the answer: the first result that is not OK wins, else the
 * last one. Returns false when the reading must end (a COPY: libpq's
 * PQgetResult hands out a new COPY result at every call until the COPY is
 * served, docs/design.md, F25).
 */
static bool keep_result(PGresult **kept, PGresult *res)
{
    bool copy = result_is_copy(res);

    if (*kept != NULL && !result_ok(*kept))
        PQclear(res);
    else {
        PQclear(*kept);
        *kept = res;
    }
    return !copy;
}

bool pgd_pq_send(pgd_pq_query *q, PGconn *conn, const char *sql, int nparams,
                 const char *const *params, int64_t timeout_ms, unsigned flags)
{
    memset(q, 0, sizeof(*q));
    q->conn = conn;
    q->timeout_ms = timeout_ms;
    q->deadline = pgd_monotonic_ms() + timeout_ms;
    q->interruptible = (flags & PGD_PQ_UNINTERRUPTIBLE) == 0;
    q->end = PGD_PQ_ANSWERED;
    if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
        q->end = PGD_PQ_BROKEN;
        q->failure = one_line(PQerrorMessage(conn));
        q->done = true;
        return false;
    }
    return true;
}

/* End q with end and failure (taken), unless it ended already. */
static void end_query(pgd_pq_query *q, pgd_pq_end end, char *failure)
{
    free(q->failure);
    q->end = end;
    q->failure = failure;
    q->done = true;
}

/* The deadline or a termination signal: cancel once, then give the server CANCEL_WAIT_MS. */
static void stop_query(pgd_pq_query *q)
{
    bool signalled = q->interruptible && !q->cancelled && pgd_interrupted() != 0;

    if (!signalled && pgd_ms_until(q->deadline) > 0)
        return;
    if (q->cancelled) {
        /* The server ignored the cancel too: give up on this connection. */
        end_query(q, PGD_PQ_BROKEN, pgd_strdup("the server did not respond to a query cancel"));
        return;
    }
    q->end = signalled ? PGD_PQ_INTERRUPTED : PGD_PQ_TIMED_OUT;
    q->failure = signalled ? pgd_strdup("query interrupted by a termination signal")
                           : pgd_asprintf("query did not finish within %.1fs; cancelled",
                                          (double)q->timeout_ms / 1000.0);
    cancel_query(q->conn);
    q->cancelled = true;
    /* After a cancel, wait for the server's answer even if a signal arrives. */
    q->deadline = pgd_monotonic_ms() + CANCEL_WAIT_MS;
}

bool pgd_pq_advance(pgd_pq_query *q)
{
    if (q->done)
        return true;
    if (!PQconsumeInput(q->conn)) {
        end_query(q, PGD_PQ_BROKEN, one_line(PQerrorMessage(q->conn)));
        return true;
    }
    while (!PQisBusy(q->conn)) {
        PGresult *res = PQgetResult(q->conn);

        if (res == NULL || !keep_result(&q->kept, res)) {
            q->done = true;
            if (q->end == PGD_PQ_ANSWERED && q->kept == NULL)
                end_query(q, PGD_PQ_BROKEN, pgd_strdup("the server returned no result"));
            return true;
        }
    }
    stop_query(q);
    return q->done;
}

int64_t pgd_pq_wait(pgd_pq_query *const *queries, size_t n, int64_t max_ms)
{
    struct pollfd *pfds = pgd_calloc(n > 0 ? n : 1, sizeof(struct pollfd));
    int64_t wait = max_ms < POLL_TICK_MS ? max_ms : POLL_TICK_MS;
    nfds_t used = 0;

    for (size_t i = 0; i < n; i++) {
        int64_t left;

        if (queries[i] == NULL || queries[i]->done || PQsocket(queries[i]->conn) < 0)
            continue;
        left = pgd_ms_until(queries[i]->deadline);
        wait = left < wait ? left : wait;
        pfds[used].fd = PQsocket(queries[i]->conn);
        pfds[used++].events = POLLIN;
    }
    /* A signal interrupts poll (EINTR): the callers look at pgd_interrupted() then. */
    (void)poll(pfds, used, (int)(wait > 0 ? wait : 0));
    free(pfds);
    return wait;
}

pgd_pq_end pgd_pq_result(pgd_pq_query *q, PGresult **result, char **errmsg)
{
    *result = NULL;
    if (q->end != PGD_PQ_ANSWERED) {
        PQclear(q->kept);
        *errmsg = q->failure;
    } else
        *result = q->kept;
    q->kept = NULL;
    q->failure = NULL;
    return q->end;
}

pgd_pq_end pgd_pq_run(PGconn *conn, const char *sql, int nparams, const char *const *params,
                      int64_t timeout_ms, unsigned flags, PGresult **result, char **errmsg)
{
    pgd_pq_query q;
    pgd_pq_query *one = &q;

    if (pgd_pq_send(&q, conn, sql, nparams, params, timeout_ms, flags))
        while (!pgd_pq_advance(&q))
            (void)pgd_pq_wait(&one, 1, POLL_TICK_MS);
    return pgd_pq_result(&q, result, errmsg);
}

/* pgd_pq_exec with pgd_pq_run's flags. */
static PGresult *exec_flags(PGconn *conn, const char *sql, int nparams, const char *const *params,
                            int64_t timeout_ms, unsigned flags, char **errmsg, char sqlstate[6])
{
    PGresult *res = NULL;

    if (sqlstate != NULL)
        sqlstate[0] = '\0';
    if (pgd_pq_run(conn, sql, nparams, params, timeout_ms, flags, &res, errmsg) != PGD_PQ_ANSWERED)
        return NULL;
    if (result_ok(res))
        return res;
    *errmsg = result_is_copy(res) ? pgd_strdup("the statement started a COPY, which pgdrill does "
                                               "not take part in")
                                  : result_error(res, conn, sqlstate);
    PQclear(res);
    return NULL;
}

PGresult *pgd_pq_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                      int64_t timeout_ms, char **errmsg, char sqlstate[6])
{
    return exec_flags(conn, sql, nparams, params, timeout_ms, 0, errmsg, sqlstate);
}

bool pgd_pq_cleanup_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
                            int64_t timeout_ms, char **errmsg)
{
    PGresult *res =
        exec_flags(conn, sql, nparams, params, timeout_ms, PGD_PQ_UNINTERRUPTIBLE, errmsg, NULL);

    PQclear(res);
    return res != NULL;
}

bool pgd_pq_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
                    int64_t timeout_ms, char **errmsg)
{
    PGresult *res = pgd_pq_exec(conn, sql, nparams, params, timeout_ms, errmsg, NULL);

    PQclear(res);
    return res != NULL;
}

char *pgd_pq_value(PGconn *conn, const char *sql, int nparams, const char *const *params,
                   int64_t timeout_ms, char **errmsg)
{
    PGresult *res = pgd_pq_exec(conn, sql, nparams, params, timeout_ms, errmsg, NULL);
    char *value;

    if (res == NULL)
        return NULL;
    if (PQntuples(res) < 1 || PQnfields(res) < 1 || PQgetisnull(res, 0, 0)) {
        *errmsg = pgd_strdup(PQntuples(res) < 1 ? "the query returned no row"
                                                : "the query returned NULL");
        PQclear(res);
        return NULL;
    }
    value = pgd_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

static char *copy_libpq_string(char *s)
{
    char *copy;

    if (s == NULL)
        return NULL;
    copy = pgd_strdup(s);
    PQfreemem(s);
    return copy;
}

char *pgd_pq_quote_ident(PGconn *conn, const char *name)
{
    return copy_libpq_string(PQescapeIdentifier(conn, name, strlen(name)));
}

char *pgd_pq_quote_literal(PGconn *conn, const char *value)
{
    return copy_libpq_string(PQescapeLiteral(conn, value, strlen(value)));
}
