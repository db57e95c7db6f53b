/*
 * quarantine.c - the restored copy never reaches out (quarantine.h).
 *
 * Every statement here runs on the private instance, as a superuser of the
 * restored catalog, over a unix socket only our OS user can reach. A
 * database's changes are one transaction: it is quarantined wholly or not
 * at all, and a failure stops the drill before the data directory is
 * handed on.
 */
#include "quarantine.h"

#include "clock.h"
#include "conninfo.h"
#include "fsutil.h"
#include "log.h"
#include "pgconf.h"
#include "pq.h"
#include "xalloc.h"

#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S    30
#define STATEMENT_TIMEOUT_MS 60000
#define AUTO_CONF_MAX_BYTES  (16 * 1024 * 1024)

typedef struct quarantine_run {
    drill *d;
    const char *socket_dir;
    const char *port;
    char *user; /* a superuser of the restored catalog */
    json_t *subscriptions;
    json_t *cron_jobs;
    json_t *foreign_servers;
    json_t *wrappers;
} quarantine_run;

char *quarantine_preload_libraries(const char *auto_conf, const pgd_config *cfg)
{
    /* postgresql.auto.conf is read after postgresql.conf (where recovery.settings go): it wins. */
    char *configured =
        auto_conf != NULL ? pgd_pgconf_value_of(auto_conf, "shared_preload_libraries") : NULL;
    char *kept;
    bool removed = false;

    for (size_t i = 0; configured == NULL && i < cfg->recovery.settings.count; i++) {
        if (strcasecmp(cfg->recovery.settings.items[i].name, "shared_preload_libraries") == 0)
            configured = pgd_strdup(cfg->recovery.settings.items[i].value);
    }
    if (configured == NULL)
        return NULL;
    kept = pgd_pgconf_list_without(configured, "pg_cron", &removed);
    free(configured);
    if (!removed) {
        free(kept);
        return NULL;
    }
    return kept;
}

void quarantine_server_settings(const drill *d, pgd_argv *argv)
{
    char *path = pgd_asprintf("%s/postgresql.auto.conf", d->datadir);
    char *errmsg = NULL;
    char *auto_conf = pgd_read_file_ex(path, AUTO_CONF_MAX_BYTES, PGD_READ_NOFOLLOW, NULL, &errmsg);
    char *preload = quarantine_preload_libraries(auto_conf, d->cfg);

    /* No launcher, so no apply worker for the copy's subscriptions (docs/design.md, F26). */
    pgd_argv_add(argv, "-c");
    pgd_argv_add(argv, "max_logical_replication_workers=0");
    if (preload != NULL) {
        /* pg_cron's launcher starts the copy's jobs once it is promoted (F27). */
        pgd_info("the private recovery instance runs without pg_cron (shared_preload_libraries "
                 "'%s')",
                 preload);
        pgd_argv_add(argv, "-c");
        pgd_argv_addf(argv, "shared_preload_libraries=%s", preload);
    }
    free(preload);
    free(auto_conf);
    free(errmsg);
    free(path);
}

static int64_t statement_timeout(const quarantine_run *q)
{
    int64_t left = pgd_ms_until(q->d->deadline_ms);

    return left < STATEMENT_TIMEOUT_MS ? (left > 0 ? left : 1) : STATEMENT_TIMEOUT_MS;
}

/*
 * A session on the private instance with an empty search_path (unqualified
 * functions and operators then resolve in pg_catalog only, never to
 * something of the copy's) that can write whatever the database's or
 * role's default_transaction_read_only says.
 */
static PGconn *connect_as(const quarantine_run *q, const char *dbname, const char *user,
                          char **errmsg)
{
    pgd_buf conninfo;
    PGconn *conn;

    pgd_buf_init(&conninfo);
    pgd_buf_append(&conninfo, "host=");
    pgd_conninfo_append_value(&conninfo, q->socket_dir);
    pgd_buf_appendf(&conninfo, " port=%s dbname=", q->port);
    pgd_conninfo_append_value(&conninfo, dbname);
    pgd_buf_append(&conninfo, " user=");
    pgd_conninfo_append_value(&conninfo, user);
    pgd_buf_append(&conninfo, " application_name=pgdrill-quarantine");
    conn = pgd_pq_connect(conninfo.data, CONNECT_TIMEOUT_S, errmsg);
    pgd_buf_free(&conninfo);
    if (conn != NULL &&
        !pgd_pq_command(conn,
                        "SELECT pg_catalog.set_config('search_path', '', false),"
                        " pg_catalog.set_config('default_transaction_read_only', 'off', false)",
                        0, NULL, statement_timeout(q), errmsg)) {
        PQfinish(conn);
        conn = NULL;
    }
    return conn;
}

/*
 * A session as a superuser on template1: the OS user's name (what initdb and
 * Patroni name the bootstrap superuser), else "postgres", and from there the
 * first login superuser of the restored catalog if that one is none.
 */
static PGconn *connect_superuser(quarantine_run *q, char **errmsg)
{
    struct passwd *pw = getpwuid(geteuid());
    const char *candidates[] = {pw != NULL ? pw->pw_name : "postgres", "postgres"};
    PGconn *conn = NULL;
    char *super;

    for (size_t i = 0; conn == NULL && i < 2; i++) {
        if (i > 0 && strcmp(candidates[i], candidates[0]) == 0)
            break;
        free(*errmsg);
        *errmsg = NULL;
        conn = connect_as(q, "template1", candidates[i], errmsg);
    }
    if (conn == NULL)
        return NULL;
    super = pgd_pq_value(conn,
                         "SELECT rolname FROM pg_catalog.pg_roles WHERE rolsuper AND rolcanlogin"
                         " ORDER BY rolname = current_user DESC, oid LIMIT 1",
                         0, NULL, statement_timeout(q), errmsg);
    if (super == NULL) {
        char *why = *errmsg;

        *errmsg = pgd_asprintf(
            "looking for a superuser of the restored catalog that can log in: %s", why);
        free(why);
        PQfinish(conn);
        return NULL;
    }
    if (strcmp(super, PQuser(conn)) != 0) {
        PQfinish(conn);
        conn = connect_as(q, "template1", super, errmsg);
    }
    q->user = super;
    return conn;
}

/* Run "<verb> <quoted name> <rest>" for one object of the copy. */
static bool alter_object(const quarantine_run *q, PGconn *conn, const char *verb, const char *name,
                         const char *rest, char **errmsg)
{
    char *quoted = pgd_pq_quote_ident(conn, name);
    char *sql;
    bool ok;

    if (quoted == NULL) {
        *errmsg = pgd_asprintf("could not quote the name %s", name);
        return false;
    }
    sql = pgd_asprintf("%s %s %s", verb, quoted, rest);
    ok = pgd_pq_command(conn, sql, 0, NULL, statement_timeout(q), errmsg);
    free(sql);
    free(quoted);
    return ok;
}

/* Disable every subscription of the connected database and detach it from its slot (F26). */
static bool quarantine_subscriptions(quarantine_run *q, PGconn *conn, const char *dbname,
                                     char **errmsg)
{
    PGresult *res =
        pgd_pq_exec(conn,
                    "SELECT subname, subenabled, subslotname FROM pg_catalog.pg_subscription"
                    " WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database"
                    " WHERE datname = pg_catalog.current_database()) ORDER BY subname",
                    0, NULL, statement_timeout(q), errmsg, NULL);
    bool ok = res != NULL;

    for (int i = 0; ok && i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        bool enabled = strcmp(PQgetvalue(res, i, 1), "t") == 0;
        bool slot = !PQgetisnull(res, i, 2);

        ok = (!enabled || alter_object(q, conn, "ALTER SUBSCRIPTION", name, "DISABLE", errmsg)) &&
             (!slot ||
              alter_object(q, conn, "ALTER SUBSCRIPTION", name, "SET (slot_name = NONE)", errmsg));
        if (!ok)
            break;
        pgd_info("quarantine: database %s: subscription %s %s", dbname, name,
                 enabled ? "disabled and detached from its slot" : "detached from its slot");
        json_array_append_new(q->subscriptions,
                              json_pack("{s:s, s:s, s:b, s:s?}", "database", dbname, "name", name,
                                        "was_enabled", enabled, "slot",
                                        slot ? PQgetvalue(res, i, 2) : NULL));
    }
    PQclear(res);
    return ok;
}

/*
 * Deactivate every pg_cron job of the connected database (where pg_cron is
 * installed). session_replication_role = replica keeps pg_cron's own
 * trigger from firing: it calls into pg_cron's library, which the restore
 * host need not have (F27). pg_cron 1.0 has no "active" column: its jobs are
 * removed.
 */
static bool quarantine_cron_jobs(quarantine_run *q, PGconn *conn, const char *dbname, char **errmsg)
{
    /* The extension's own table "job" (pg_cron's library names its schema "cron" itself). */
    PGresult *ext = pgd_pq_exec(conn,
                                "SELECT c.oid::pg_catalog.regclass::pg_catalog.text,"
                                " EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
                                " WHERE a.attrelid = c.oid AND a.attname = 'active'"
                                " AND NOT a.attisdropped)"
                                " FROM pg_catalog.pg_depend d"
                                " JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid"
                                " JOIN pg_catalog.pg_class c ON c.oid = d.objid"
                                " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
                                " AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass"
                                " AND d.deptype = 'e' AND e.extname = 'pg_cron'"
                                " AND c.relname = 'job' AND c.relkind = 'r'",
                                0, NULL, statement_timeout(q), errmsg, NULL);
    PGresult *res = NULL;
    bool deactivate;
    char *sql;

    if (ext == NULL || PQntuples(ext) == 0) {
        PQclear(ext);
        return ext != NULL; /* an error, or no pg_cron here */
    }
    deactivate = strcmp(PQgetvalue(ext, 0, 1), "t") == 0;
    sql = pgd_asprintf(deactivate ? "UPDATE %s AS j SET active = false WHERE j.active"
                                    " RETURNING j.jobid::pg_catalog.text,"
                                    " pg_catalog.to_jsonb(j) ->> 'jobname'"
                                  : "DELETE FROM %s AS j RETURNING j.jobid::pg_catalog.text,"
                                    " pg_catalog.to_jsonb(j) ->> 'jobname'",
                       PQgetvalue(ext, 0, 0));
    if (pgd_pq_command(conn, "SET LOCAL session_replication_role = replica", 0, NULL,
                       statement_timeout(q), errmsg))
        res = pgd_pq_exec(conn, sql, 0, NULL, statement_timeout(q), errmsg, NULL);
    for (int i = 0; res != NULL && i < PQntuples(res); i++) {
        pgd_info("quarantine: database %s: pg_cron job %s%s%s %s", dbname, PQgetvalue(res, i, 0),
                 PQgetisnull(res, i, 1) ? "" : " ", PQgetvalue(res, i, 1),
                 deactivate ? "deactivated" : "removed (pg_cron 1.0 has no active flag)");
        json_array_append_new(q->cron_jobs,
                              json_pack("{s:s, s:s, s:s?, s:s}", "database", dbname, "jobid",
                                        PQgetvalue(res, i, 0), "jobname",
                                        PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
                                        "action", deactivate ? "deactivated" : "removed"));
    }
    free(sql);
    PQclear(ext);
    if (res == NULL)
        return false;
    PQclear(res);
    return true;
}

/*
 * List the connected database's foreign servers and take every foreign-data
 * wrapper's handler away: a foreign table of the copy (directly or through
 * a view, with its owner's user mapping) then fails before any connection
 * is opened (F28).
 */
static bool quarantine_foreign(quarantine_run *q, PGconn *conn, const char *dbname, char **errmsg)
{
    PGresult *servers =
        pgd_pq_exec(conn,
                    "SELECT s.srvname, w.fdwname FROM pg_catalog.pg_foreign_server s"
                    " JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw"
                    " ORDER BY 1",
                    0, NULL, statement_timeout(q), errmsg, NULL);
    PGresult *wrappers = NULL;
    bool ok = servers != NULL;

    for (int i = 0; ok && i < PQntuples(servers); i++)
        json_array_append_new(q->foreign_servers, json_pack("{s:s, s:s, s:s}", "database", dbname,
                                                            "name", PQgetvalue(servers, i, 0),
                                                            "wrapper", PQgetvalue(servers, i, 1)));
    if (ok)
        wrappers = pgd_pq_exec(conn,
                               "SELECT fdwname, fdwhandler::pg_catalog.regproc::pg_catalog.text"
                               " FROM pg_catalog.pg_foreign_data_wrapper"
                               " WHERE fdwhandler <> 0 ORDER BY 1",
                               0, NULL, statement_timeout(q), errmsg, NULL);
    ok = wrappers != NULL;
    for (int i = 0; ok && i < PQntuples(wrappers); i++) {
        const char *name = PQgetvalue(wrappers, i, 0);

        ok = alter_object(q, conn, "ALTER FOREIGN DATA WRAPPER", name, "NO HANDLER", errmsg);
        if (!ok)
            break;
        pgd_info("quarantine: database %s: foreign-data wrapper %s has no handler now (was %s)",
                 dbname, name, PQgetvalue(wrappers, i, 1));
        json_array_append_new(q->wrappers, json_pack("{s:s, s:s, s:s}", "database", dbname, "name",
                                                     name, "handler", PQgetvalue(wrappers, i, 1)));
    }
    PQclear(servers);
    PQclear(wrappers);
    return ok;
}

/* One database, in one transaction. */
static bool quarantine_database(quarantine_run *q, const char *dbname, char **errmsg)
{
    PGconn *conn = connect_as(q, dbname, q->user, errmsg);
    bool ok = conn != NULL &&
              pgd_pq_command(conn, "BEGIN", 0, NULL, statement_timeout(q), errmsg) &&
              quarantine_subscriptions(q, conn, dbname, errmsg) &&
              quarantine_cron_jobs(q, conn, dbname, errmsg) &&
              quarantine_foreign(q, conn, dbname, errmsg) &&
              pgd_pq_command(conn, "COMMIT", 0, NULL, statement_timeout(q), errmsg);

    if (conn != NULL)
        PQfinish(conn); /* without COMMIT: rolled back */
    return ok;
}

/*
 * A database that accepts no connections can still hold subscriptions
 * (pg_subscription is shared): it is opened for the quarantine and closed
 * again, whatever happened.
 */
static bool quarantine_closed_database(quarantine_run *q, PGconn *admin, const char *dbname,
                                       char **errmsg)
{
    char *cleanup_error = NULL;
    bool ok;

    if (!alter_object(q, admin, "ALTER DATABASE", dbname, "ALLOW_CONNECTIONS true", errmsg))
        return false;
    ok = quarantine_database(q, dbname, errmsg);
    if (!alter_object(q, admin, "ALTER DATABASE", dbname, "ALLOW_CONNECTIONS false",
                      &cleanup_error)) {
        if (ok) {
            *errmsg = cleanup_error;
            return false;
        }
        free(cleanup_error);
    }
    return ok;
}

static char *summary(const quarantine_run *q)
{
    return pgd_asprintf(
        "%zu subscription%s disabled and detached from %s slots, "
        "%zu pg_cron job%s stopped, %zu foreign server%s (%zu foreign-data "
        "wrapper%s without handler)",
        json_array_size(q->subscriptions), json_array_size(q->subscriptions) == 1 ? "" : "s",
        json_array_size(q->subscriptions) == 1 ? "its" : "their", json_array_size(q->cron_jobs),
        json_array_size(q->cron_jobs) == 1 ? "" : "s", json_array_size(q->foreign_servers),
        json_array_size(q->foreign_servers) == 1 ? "" : "s", json_array_size(q->wrappers),
        json_array_size(q->wrappers) == 1 ? "" : "s");
}

static bool fail(quarantine_run *q, const char *dbname, const char *errmsg)
{
    if (drill_interrupted(q->d))
        return false;
    if (pgd_ms_until(q->d->deadline_ms) == 0)
        return drill_fail(q->d, PGD_ERR_TIMEOUT,
                          "recovery.timeout ran out while quarantining the restored copy");
    if (dbname == NULL)
        return drill_fail(q->d, PGD_ERR_QUARANTINE_FAILED,
                          "could not connect to the promoted private instance as a superuser: %s",
                          errmsg);
    return drill_fail(q->d, PGD_ERR_QUARANTINE_FAILED, "could not quarantine database %s: %s",
                      dbname, errmsg);
}

bool quarantine_copy(drill *d, const char *socket_dir, const char *port)
{
    quarantine_run q = {.d = d, .socket_dir = socket_dir, .port = port};
    int64_t start = pgd_monotonic_ms();
    char *errmsg = NULL;
    PGconn *admin;
    PGresult *res = NULL;
    bool ok = false;

    q.subscriptions = json_array();
    q.cron_jobs = json_array();
    q.foreign_servers = json_array();
    q.wrappers = json_array();
    admin = connect_superuser(&q, &errmsg);
    if (admin == NULL) {
        fail(&q, NULL, errmsg);
        goto out;
    }
    res = pgd_pq_exec(admin,
                      "SELECT d.datname, d.datallowconn FROM pg_catalog.pg_database d"
                      " WHERE d.datallowconn OR EXISTS (SELECT 1 FROM pg_catalog.pg_subscription s"
                      " WHERE s.subdbid = d.oid) ORDER BY d.datname",
                      0, NULL, statement_timeout(&q), &errmsg, NULL);
    if (res == NULL) {
        fail(&q, "template1", errmsg);
        goto out;
    }
    ok = true;
    for (int i = 0; ok && i < PQntuples(res); i++) {
        const char *dbname = PQgetvalue(res, i, 0);

        ok = strcmp(PQgetvalue(res, i, 1), "t") == 0
                 ? quarantine_database(&q, dbname, &errmsg)
                 : quarantine_closed_database(&q, admin, dbname, &errmsg);
        if (!ok)
            fail(&q, dbname, errmsg);
    }
    if (ok) {
        json_t *record = json_pack("{s:O, s:O, s:O, s:O}", "subscriptions", q.subscriptions,
                                   "cron_jobs", q.cron_jobs, "foreign_servers", q.foreign_servers,
                                   "wrappers_without_handler", q.wrappers);
        char *what = summary(&q);

        json_object_set_new(d->report->root, "quarantine", record);
        pgd_report_set_check(d->report, "quarantine", "passed",
                             (double)(pgd_monotonic_ms() - start) / 1000.0, what);
        pgd_info("quarantined the restored copy: %s", what);
        free(what);
        drill_save(d);
    }
out:
    PQclear(res);
    if (admin != NULL)
        PQfinish(admin);
    json_decref(q.subscriptions);
    json_decref(q.cron_jobs);
    json_decref(q.foreign_servers);
    json_decref(q.wrappers);
    free(q.user);
    free(errmsg);
    return ok;
}
