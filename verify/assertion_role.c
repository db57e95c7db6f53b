/*
 * assertion_role.c - the role verify.assertions run as, and its lifetime.
 */
#include "assertion_role.h"

#include "assertion_hba.h"
#include "clock.h"
#include "conninfo.h"
#include "log.h"
#include "pq.h"
#include "secret.h"
#include "signals.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NAME_RANDOM_BYTES     8  /* 16 hexadecimal digits after the prefix */
#define PASSWORD_RANDOM_BYTES 32 /* 64 hexadecimal digits */
#define CLEANUP_TIMEOUT_MS    5000
#define VALID_AFTER_DEADLINE  3600 /* seconds the password stays valid after verify.timeout */
#define HBA_TRIES             10   /* logins after pg_hba.conf was changed ... */
#define HBA_RETRY_MS          300  /* ... this far apart */

/* n random bytes as 2n hexadecimal digits in out (2n + 1 bytes); false when the kernel has none. */
static bool random_hex(char *out, size_t n)
{
    unsigned char bytes[PASSWORD_RANDOM_BYTES];

    if (n > sizeof(bytes) || getrandom(bytes, n, 0) != (ssize_t)n)
        return false;
    for (size_t i = 0; i < n; i++) {
        static const char digits[] = "0123456789abcdef";

        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    out[2 * n] = '\0';
    explicit_bzero(bytes, sizeof(bytes));
    return true;
}

/* in_transaction's flags */
#define IN_CLEANUP        1u /* also after a termination signal, with short timeouts */
#define NO_EVENT_TRIGGERS 2u /* for statements in a database: see below */

/*
 * Run the statements in one transaction on conn, rolled back on failure.
 * With NO_EVENT_TRIGGERS the production catalog's event triggers (which
 * fire for CREATE USER MAPPING and DROP OWNED, unlike for roles) do not
 * run: they would run production's code as superuser in verify's session
 * (docs/design.md, F23).
 */
static bool in_transaction(PGconn *conn, char *const *sqls, size_t n, int64_t timeout_ms,
                           unsigned flags, char **errmsg)
{
    const char *begin[] = {"BEGIN", "SET LOCAL session_replication_role = replica"};
    size_t nbegin = (flags & NO_EVENT_TRIGGERS) ? 2 : 1;
    bool ok = true;
    bool begun = false;

    for (size_t i = 0; ok && i < nbegin + n + 1; i++) {
        const char *sql = i < nbegin ? begin[i] : i < nbegin + n ? sqls[i - nbegin] : "COMMIT";

        ok = (flags & IN_CLEANUP) ? pgd_pq_cleanup_command(conn, sql, 0, NULL, timeout_ms, errmsg)
                                  : pgd_pq_command(conn, sql, 0, NULL, timeout_ms, errmsg);
        begun = begun || (ok && i == 0);
    }
    if (!ok && begun) {
        char *ignored = NULL;

        if (!pgd_pq_cleanup_command(conn, "ROLLBACK", 0, NULL, CLEANUP_TIMEOUT_MS, &ignored))
            free(ignored);
    }
    return ok;
}

static void free_statements(char **sqls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(sqls[i]);
}

/* The role's statements; NULL entries when libpq could not quote (then *errmsg). */
static bool role_statements(verify_run *run, const assertion_role *role, char *sqls[4],
                            char **errmsg)
{
    long timeout_ms = run->cfg->verify.assertion_timeout > INT_MAX / 1000
                          ? INT_MAX
                          : run->cfg->verify.assertion_timeout * 1000;
    double until =
        pgd_wall_seconds() + (double)pgd_ms_until(run->deadline_ms) / 1000.0 + VALID_AFTER_DEADLINE;
    /* The server sees, and may log, a SCRAM verifier, never the password itself. */
    char *verifier = PQencryptPasswordConn(run->conn, role->password, role->name, "scram-sha-256");
    char *ident = pgd_pq_quote_ident(run->conn, role->name);
    char *literal = verifier ? pgd_pq_quote_literal(run->conn, verifier) : NULL;
    bool ok = verifier != NULL && ident != NULL && literal != NULL;

    memset(sqls, 0, 4 * sizeof(char *));
    if (ok) {
        char until_text[40];

        pgd_format_utc(until, false, until_text, sizeof(until_text));
        sqls[0] = pgd_asprintf("CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                               "NOREPLICATION BYPASSRLS INHERIT PASSWORD %s VALID UNTIL '%s'",
                               ident, literal, until_text);
        sqls[1] = pgd_asprintf("GRANT pg_read_all_data TO %s", ident);
        sqls[2] = pgd_asprintf("ALTER ROLE %s SET default_transaction_read_only = on", ident);
        sqls[3] = pgd_asprintf("ALTER ROLE %s SET statement_timeout = %ld", ident, timeout_ms);
    } else {
        char *why = pgd_strdup(PQerrorMessage(run->conn));

        why[strcspn(why, "\n")] = '\0';
        *errmsg = pgd_asprintf("could not prepare its password: %s", why);
        free(why);
    }
    if (verifier != NULL)
        PQfreemem(verifier);
    free(ident);
    free(literal);
    return ok;
}

bool assertion_role_create(verify_run *run, assertion_role *role, char **errmsg)
{
    char suffix[2 * NAME_RANDOM_BYTES + 1];
    char password[2 * PASSWORD_RANDOM_BYTES + 1];
    char *sqls[4];

    memset(role, 0, sizeof(*role));
    if (!random_hex(suffix, NAME_RANDOM_BYTES) || !random_hex(password, PASSWORD_RANDOM_BYTES)) {
        *errmsg = pgd_asprintf("could not get random bytes for its name and password: %s",
                               strerror(errno));
        return false;
    }
    role->name = pgd_asprintf("%s%s", ASSERTION_ROLE_PREFIX, suffix);
    role->password = pgd_strdup(password);
    explicit_bzero(password, sizeof(password));
    pgd_secret_register(role->password);
    pgd_secret_declare_public(role->name);
    if (!role_statements(run, role, sqls, errmsg))
        return false;
    role->created = in_transaction(run->conn, sqls, 4, verify_query_timeout(run), 0, errmsg);
    free_statements(sqls, 4);
    if (role->created)
        pgd_info("assertions run as role %s (pg_read_all_data, read-only)", role->name);
    return role->created;
}

static assertion_database *find_database(assertion_role *role, const char *dbname)
{
    for (size_t i = 0; i < role->count; i++) {
        if (strcmp(role->databases[i].dbname, dbname) == 0)
            return &role->databases[i];
    }
    role->databases = pgd_realloc(role->databases, (role->count + 1) * sizeof(assertion_database));
    memset(&role->databases[role->count], 0, sizeof(assertion_database));
    role->databases[role->count].dbname = pgd_strdup(dbname);
    return &role->databases[role->count++];
}

/*
 * CONNECT on db's database (pg_read_all_data does not give it, and
 * production may have revoked it from PUBLIC: the superuser never needed
 * it) and one user mapping per foreign server of the database.
 */
static bool grant_and_map(verify_run *run, const assertion_role *role, assertion_database *db,
                          char **errmsg)
{
    PGresult *res =
        pgd_pq_exec(db->admin, "SELECT srvname FROM pg_catalog.pg_foreign_server ORDER BY srvname",
                    0, NULL, verify_query_timeout(run), errmsg, NULL);
    char *ident = pgd_pq_quote_ident(db->admin, role->name);
    char *dbname = pgd_pq_quote_ident(db->admin, db->dbname);
    char **sqls;
    size_t n;
    bool ok = res != NULL && ident != NULL && dbname != NULL;

    n = ok ? (size_t)PQntuples(res) : 0;
    sqls = pgd_calloc(n + 1, sizeof(char *));
    sqls[0] = ok ? pgd_asprintf("GRANT CONNECT ON DATABASE %s TO %s", dbname, ident) : NULL;
    for (size_t i = 0; ok && i < n; i++) {
        char *server = pgd_pq_quote_ident(db->admin, PQgetvalue(res, (int)i, 0));

        ok = server != NULL;
        /* No options: no password, so postgres_fdw and dblink refuse (F24). */
        sqls[i + 1] =
            ok ? pgd_asprintf("CREATE USER MAPPING FOR %s SERVER %s", ident, server) : NULL;
        free(server);
    }
    if (ok) {
        ok = in_transaction(db->admin, sqls, n + 1, verify_query_timeout(run), NO_EVENT_TRIGGERS,
                            errmsg);
        db->granted = ok;
        if (ok && n > 0)
            pgd_info("database %s: %zu foreign server%s mapped to no credentials for role %s",
                     db->dbname, n, n == 1 ? "" : "s", role->name);
    } else if (res != NULL)
        *errmsg = pgd_strdup("a name could not be quoted");
    free_statements(sqls, n + 1);
    free(sqls);
    free(dbname);
    free(ident);
    PQclear(res);
    return ok;
}

bool assertion_role_prepare(verify_run *run, assertion_role *role, const char *dbname,
                            char **errmsg)
{
    assertion_database *db = find_database(role, dbname);
    char *why = NULL;

    if (db->error != NULL) {
        *errmsg = pgd_strdup(db->error);
        return false;
    }
    if (db->admin != NULL)
        return true;
    db->admin = check_session_get(run, dbname, &why);
    if (db->admin != NULL && grant_and_map(run, role, db, &why))
        return true;
    db->error = pgd_asprintf("could not prepare database %s for the assertions' role: %s", dbname,
                             why ? why : "unknown error");
    free(why);
    *errmsg = pgd_strdup(db->error);
    return false;
}

/* The notice processor of an assertion's session: count, never print (F25). */
static void count_notice(void *arg, const char *message)
{
    (void)message;
    (*(int *)arg)++;
}

static PGconn *connect_once(const assertion_role *role, const char *conninfo, long timeout_s,
                            int *notices, char **errmsg)
{
    PGconn *conn = pgd_pq_connect_as(conninfo, role->name, role->password, timeout_s, errmsg);

    if (conn != NULL)
        PQsetNoticeProcessor(conn, count_notice, notices);
    return conn;
}

PGconn *assertion_role_connect(verify_run *run, assertion_role *role, const char *dbname,
                               long timeout_s, int *notices, char **errmsg)
{
    char *conninfo = pgd_conninfo_rewrite(run->conninfo, dbname, NULL);
    PGconn *conn;
    char *why = NULL;

    if (conninfo == NULL) {
        *errmsg = pgd_strdup("the connection string is invalid");
        return NULL;
    }
    conn = connect_once(role, conninfo, timeout_s, notices, errmsg);
    if (conn == NULL && pgd_interrupted() == 0 && !role->hba_tried) {
        /* Refused, as under Patroni's post_bootstrap (F12): let this role alone in, once. */
        role->hba_tried = true;
        pgd_info("role %s could not log in: %s", role->name, *errmsg);
        if (assertion_hba_open(run, role->name, &role->hba_original, &why)) {
            /* The postmaster reads the file at its next chance: a few tries. */
            for (int i = 0; conn == NULL && i < HBA_TRIES && pgd_interrupted() == 0 &&
                            pgd_ms_until(run->deadline_ms) > 0;
                 i++) {
                pgd_sleep_ms(i == 0 ? 0 : HBA_RETRY_MS);
                free(*errmsg);
                *errmsg = NULL;
                conn = connect_once(role, conninfo, timeout_s, notices, errmsg);
            }
        } else {
            char *refused = *errmsg;

            *errmsg = pgd_asprintf("%s; verify could not let it in through pg_hba.conf: %s",
                                   refused, why);
            free(refused);
            free(why);
        }
    }
    free(conninfo);
    return conn;
}

/*
 * DROP OWNED BY the role in db's database: its user mappings (CREATE USER
 * MAPPING makes the role their owner) and its privileges, CONNECT included.
 */
static bool drop_owned(const assertion_role *role, assertion_database *db, char **errmsg)
{
    char *ident = pgd_pq_quote_ident(db->admin, role->name);
    char *sql = ident ? pgd_asprintf("DROP OWNED BY %s", ident) : NULL;
    bool ok = sql != NULL && in_transaction(db->admin, &sql, 1, CLEANUP_TIMEOUT_MS,
                                            IN_CLEANUP | NO_EVENT_TRIGGERS, errmsg);

    if (sql == NULL)
        *errmsg = pgd_strdup("the role's name could not be quoted");
    free(sql);
    free(ident);
    return ok;
}

/* DROP ROLE, or at least take its login and password away, with a warning. */
static void drop_role(verify_run *run, const assertion_role *role, bool owned_dropped)
{
    char *ident = pgd_pq_quote_ident(run->conn, role->name);
    char *sql = ident ? pgd_asprintf("DROP ROLE %s", ident) : NULL;
    char *errmsg = NULL;
    char *fallback_error = NULL;

    if (sql != NULL && pgd_pq_cleanup_command(run->conn, sql, 0, NULL, CLEANUP_TIMEOUT_MS, &errmsg))
        goto out;
    free(sql);
    sql = ident ? pgd_asprintf("ALTER ROLE %s NOLOGIN PASSWORD NULL", ident) : NULL;
    if (sql != NULL &&
        pgd_pq_cleanup_command(run->conn, sql, 0, NULL, CLEANUP_TIMEOUT_MS, &fallback_error))
        pgd_warn("could not drop role %s%s: %s; it can no longer log in", role->name,
                 owned_dropped ? "" : " (nor all it owns)", errmsg ? errmsg : "?");
    else
        pgd_warn("could not drop role %s (%s) nor take its login away (%s): drop it by hand in "
                 "the restored instance",
                 role->name, errmsg ? errmsg : "?", fallback_error ? fallback_error : "?");
out:
    free(fallback_error);
    free(errmsg);
    free(sql);
    free(ident);
}

void assertion_role_drop(verify_run *run, assertion_role *role)
{
    bool owned_dropped = true;

    for (size_t i = 0; i < role->count; i++) {
        assertion_database *db = &role->databases[i];
        char *errmsg = NULL;

        if (role->created && db->granted && !drop_owned(role, db, &errmsg)) {
            pgd_warn("database %s: could not drop what role %s owns there: %s", db->dbname,
                     role->name, errmsg);
            owned_dropped = false;
        }
        free(errmsg);
        free(db->dbname);
        free(db->error);
    }
    if (role->created)
        drop_role(run, role, owned_dropped);
    if (role->hba_original != NULL)
        assertion_hba_close(run, role->hba_original);
    free(role->hba_original);
    free(role->databases);
    free(role->name);
    if (role->password != NULL)
        explicit_bzero(role->password, strlen(role->password));
    free(role->password);
    memset(role, 0, sizeof(*role));
}
