/*
 * assertion_role.h - the role verify.assertions run as, and its lifetime.
 *
 * verify connects as Patroni's superuser; an assertion must only read
 * (docs/design.md, F23). In the throw-away restored instance verify creates
 * a role of its own: LOGIN, an unpredictable name (ROLE_PREFIX and random
 * characters: the catalog is production's and may hold any role name) and a
 * random password that is sent only as a SCRAM verifier, never logged, never
 * on a command line; NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION,
 * BYPASSRLS (the superuser that used to run assertions saw every row),
 * member of pg_read_all_data only, default_transaction_read_only on and a
 * statement timeout. In every database an assertion runs in it gets CONNECT
 * and, for each foreign server, a user mapping without options, which overrides a
 * PUBLIC mapping and makes postgres_fdw and dblink refuse before they
 * connect (F24). Assertions log in as that role, never through SET ROLE
 * from a superuser session (which can switch back). At the end the role and
 * its user mappings are dropped.
 */
#ifndef PGDRILL_VERIFY_ASSERTION_ROLE_H
#define PGDRILL_VERIFY_ASSERTION_ROLE_H

#include "checks.h"

#define ASSERTION_ROLE_PREFIX "pgdrill_assert_"

/* pg_read_all_data exists from PostgreSQL 14 on; before, only a superuser reads everything. */
#define ASSERTION_ROLE_MIN_MAJOR 14

/* One database assertions run in: the superuser connection that prepared it. */
typedef struct assertion_database {
    char *dbname;
    PGconn *admin; /* the runner's session in it (check_session_get): borrowed */
    bool granted;  /* CONNECT granted, user mappings created: DROP OWNED there at the end */
    char *error;   /* why it could not be prepared (later assertions say the same) */
} assertion_database;

typedef struct assertion_role {
    char *name;
    char *password;
    bool created;
    assertion_database *databases;
    size_t count;
    bool hba_tried;     /* pg_hba.conf refused the role: lines were added (or could not be) */
    char *hba_original; /* pg_hba.conf as it was, while verify's lines are in it (hex) */
} assertion_role;

/* Create the role (one transaction on run->conn); false with *errmsg, nothing left behind. */
bool assertion_role_create(verify_run *run, assertion_role *role, char **errmsg);

/*
 * Make dbname ready for the role (CONNECT, a user mapping per foreign server), once
 * per database; false with *errmsg (a copy) when that failed, now or before.
 */
bool assertion_role_prepare(verify_run *run, assertion_role *role, const char *dbname,
                            char **errmsg);

/*
 * A session as the role in dbname, on the host, port or socket of verify's
 * own connection string (only user, password and database differ). When
 * the first login is refused, the role is let in through pg_hba.conf
 * (assertion_hba.h) and the login tried again. The server's notices are
 * counted in *notices, never printed: a statement can put any value into
 * one (F25).
 */
PGconn *assertion_role_connect(verify_run *run, assertion_role *role, const char *dbname,
                               long timeout_s, int *notices, char **errmsg);

/*
 * Drop the user mappings and the role, also after a termination signal
 * (short timeouts), and write pg_hba.conf back if verify changed it. If the
 * role cannot be dropped it is made NOLOGIN without a password, with a
 * warning. Frees what role holds.
 */
void assertion_role_drop(verify_run *run, assertion_role *role);

#endif
