/*
 * pq.h - libpq with deadlines and readable errors.
 *
 * libpq's blocking calls wait as long as the server or the network lets them;
 * a drill must not. These helpers drive libpq's asynchronous API with a
 * deadline, wake up for termination signals, cancel a query that runs out of
 * time, and phrase errors with the SQLSTATE and a redacted connection string.
 */
#ifndef PGDRILL_PQ_H
#define PGDRILL_PQ_H

#include <libpq-fe.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Connect within timeout_s seconds (all hosts of a multi-host string
 * together). Returns NULL with *errmsg naming the redacted target on failure.
 */
PGconn *pgd_pq_connect(const char *conninfo, long timeout_s, char **errmsg);

/*
 * Pin the session's search_path to pg_catalog (then pg_temp), as PostgreSQL's
 * own client programs do before their first statement (docs/design.md, F32).
 * For connections that run pgdrill's own SQL only, never a user's.
 */
bool pgd_pq_pin_search_path(PGconn *conn, int64_t timeout_ms, char **errmsg);

/*
 * pgd_pq_connect as another user: user and password replace whatever
 * conninfo says (host, port, socket, TLS settings stay). The password
 * travels in memory only, never in a connection string; errors name the
 * redacted target and the user.
 */
PGconn *pgd_pq_connect_as(const char *conninfo, const char *user, const char *password,
                          long timeout_s, char **errmsg);

/*
 * Run sql (one statement, parameters $1.. as text) and wait at most
 * timeout_ms; on timeout or termination signal the query is cancelled.
 * Returns a COMMAND_OK/TUPLES_OK result, or NULL with *errmsg
 * ("message (SQLSTATE 42P01)"); *sqlstate (optional) gets the code or "".
 */
PGresult *pgd_pq_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                      int64_t timeout_ms, char **errmsg, char sqlstate[6]);

/* How pgd_pq_run ended. */
typedef enum pgd_pq_end {
    PGD_PQ_ANSWERED,    /* the server answered: *result holds its answer, success or error */
    PGD_PQ_TIMED_OUT,   /* timeout_ms passed first: the query was cancelled */
    PGD_PQ_INTERRUPTED, /* a termination signal came first: the query was cancelled */
    PGD_PQ_BROKEN,      /* sending failed, the connection broke or ignored the cancel */
} pgd_pq_end;

/* pgd_pq_run's flags */
#define PGD_PQ_UNINTERRUPTIBLE 1u /* a termination signal does not stop the wait (cleanup) */

/*
 * The machinery under pgd_pq_exec, for callers that judge the server's
 * answer themselves (verify.assertions: an error's SQLSTATE, never its
 * DETAIL). PGD_PQ_ANSWERED: *result is the first result that is not
 * COMMAND_OK/TUPLES_OK (an error, an empty query, a COPY), else the last
 * one; the caller PQclears it. A COPY result ends the reading: pgdrill never
 * takes part in a COPY, so the connection is only good for PQfinish then.
 * Otherwise *result is NULL and *errmsg says what happened.
 */
pgd_pq_end pgd_pq_run(PGconn *conn, const char *sql, int nparams, const char *const *params,
                      int64_t timeout_ms, unsigned flags, PGresult **result, char **errmsg);

/*
 * pgd_pq_run in steps, for callers that wait for several connections at
 * once (verify.assertions, verify.jobs at a time): send, then advance each
 * query whenever pgd_pq_wait returns, until it has ended; then take its
 * answer with pgd_pq_result. The deadline and the cancel are pgd_pq_run's.
 */
typedef struct pgd_pq_query {
    PGconn *conn;
    int64_t timeout_ms;
    int64_t deadline; /* monotonic: the cancel at first, then the end of the wait for it */
    bool interruptible;
    bool cancelled;
    bool done;
    pgd_pq_end end;
    PGresult *kept;
    char *failure;
} pgd_pq_query;

/* Send sql on conn; false when it could not be sent (q has then ended, PGD_PQ_BROKEN). */
bool pgd_pq_send(pgd_pq_query *q, PGconn *conn, const char *sql, int nparams,
                 const char *const *params, int64_t timeout_ms, unsigned flags);

/*
 * Read what arrived without blocking; cancel the query at its deadline or
 * a termination signal. True once it has ended.
 */
bool pgd_pq_advance(pgd_pq_query *q);

/*
 * Wait until one of the queries (NULL entries and ended ones are left out)
 * has something to read, the nearest deadline, a signal, or at most max_ms
 * (and never more than a short tick); returns the longest it may have waited.
 */
int64_t pgd_pq_wait(pgd_pq_query *const *queries, size_t n, int64_t max_ms);

/*
 * How an ended query ended, as pgd_pq_run: *result (the caller PQclears
 * it) or *errmsg (the caller frees it). Call once.
 */
pgd_pq_end pgd_pq_result(pgd_pq_query *q, PGresult **result, char **errmsg);

/* pgd_pq_exec for statements whose result is not needed. */
bool pgd_pq_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
                    int64_t timeout_ms, char **errmsg);

/*
 * pgd_pq_command that a termination signal does not stop: cleanup that must
 * happen after one (dropping what verify created), within timeout_ms.
 */
bool pgd_pq_cleanup_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
                            int64_t timeout_ms, char **errmsg);

/*
 * The first column of the first row as a new string; NULL with *errmsg on
 * error, or when there is no row or the value is SQL NULL.
 */
char *pgd_pq_value(PGconn *conn, const char *sql, int nparams, const char *const *params,
                   int64_t timeout_ms, char **errmsg);

/* Identifier / literal quoting by libpq (new strings, caller frees; NULL on encoding errors). */
char *pgd_pq_quote_ident(PGconn *conn, const char *name);
char *pgd_pq_quote_literal(PGconn *conn, const char *value);

#endif
