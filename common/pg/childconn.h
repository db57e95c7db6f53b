/*
 * childconn.h - hand a connection to a child program (pg_dump, pg_amcheck)
 * without putting a secret on its command line.
 *
 * Every local user can read every process's argv (ps, /proc/PID/cmdline).
 * A connection string for a child therefore goes on the command line with
 * its secrets taken out: a secret libpq reads from the environment
 * (password: PGPASSWORD) goes into the child's environment, which only our
 * own user can read; one it has no environment variable for (sslpassword)
 * goes into a connection service file, mode 0600 in a private directory,
 * named by PGSERVICEFILE and selected with service=pgdrill (docs/design.md, F13).
 */
#ifndef PGDRILL_CHILDCONN_H
#define PGDRILL_CHILDCONN_H

#include <stdbool.h>

#define PGD_CHILD_SERVICE "pgdrill"

typedef struct pgd_child_conn {
    char *conninfo;    /* for the command line: no secret in it */
    char **env;        /* NULL-terminated "NAME=value" entries for the child's environment */
    char *private_dir; /* holds the service file when one was needed, or NULL */
} pgd_child_conn;

/* Prepare conninfo for children; false with *errmsg when it cannot be done safely. */
bool pgd_child_conn_prepare(const char *conninfo, pgd_child_conn *out, char **errmsg);

/* The command-line conninfo of out with dbname set (caller frees). */
char *pgd_child_conn_for_database(const pgd_child_conn *conn, const char *dbname);

/* Remove the private directory and free everything. */
void pgd_child_conn_free(pgd_child_conn *conn);

#endif
