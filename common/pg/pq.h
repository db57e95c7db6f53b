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
 * Run sql (one statement, parameters $1.. as text) and wait at most
 * timeout_ms; on timeout or termination signal the query is cancelled.
 * Returns a COMMAND_OK/TUPLES_OK result, or NULL with *errmsg
 * ("message (SQLSTATE 42P01)"); *sqlstate (optional) gets the code or "".
 */
PGresult *pgd_pq_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                      int64_t timeout_ms, char **errmsg, char sqlstate[6]);

/* pgd_pq_exec for statements whose result is not needed. */
bool pgd_pq_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
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
