/*
 * source_capture.c - the source's catalog fingerprint and comparison
 * answers, captured with the marker.
 */
#include "source_capture.h"

#include "catalog_compare.h"
#include "catalog_fingerprint.h"
#include "clock.h"
#include "conninfo.h"
#include "fsutil.h"
#include "log.h"
#include "marker.h"
#include "pq.h"
#include "signing.h"
#include "sqlstate.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_GRACE_MS 2000 /* the server's statement timeout answers first */

/* One database of the source: its session while it is read, and what was read. */
typedef struct captured_db {
    char *name;
    PGconn *conn;    /* read-only transaction in the snapshot it was read in; NULL once done */
    bool marker_db;  /* in the marker's snapshot */
    json_t *objects; /* the fingerprint, or NULL */
    char *error;     /* why there is none */
    bool wanted;     /* its catalog is compared (verify.source_catalog) */
} captured_db;

struct source_capture {
    captured_db *dbs;
    size_t count;
    char *marker_time;
    json_t *compare; /* one entry per verify.compare item, in order */
};

static int64_t timeout_ms(const drill *d)
{
    return pgd_marker_statement_timeout_ms(d->cfg->source.connect_timeout);
}

/* Does any verify.compare query run in dbname? */
static bool compared_in(const drill *d, const char *dbname)
{
    for (size_t i = 0; i < d->cfg->verify.compare.count; i++) {
        if (strcmp(d->cfg->verify.compare.items[i].database, dbname) == 0)
            return true;
    }
    return false;
}

/* Is dbname one verify checks (verify.databases; empty: all)? */
static bool verified(const drill *d, const char *dbname)
{
    const pgd_strlist *list = &d->cfg->verify.databases;

    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i], dbname) == 0)
            return true;
    }
    return list->count == 0;
}

static captured_db *add_db(source_capture *c, const char *name)
{
    captured_db *db;

    c->dbs = pgd_realloc(c->dbs, (c->count + 1) * sizeof(*c->dbs));
    db = &c->dbs[c->count++];
    memset(db, 0, sizeof(*db));
    db->name = pgd_strdup(name);
    return db;
}

static void end_session(captured_db *db)
{
    if (db->conn != NULL) {
        char *ignored = NULL;

        pgd_pq_cleanup_command(db->conn, "ROLLBACK", 0, NULL, 5000, &ignored);
        free(ignored);
        PQfinish(db->conn);
        db->conn = NULL;
    }
}

static void fail_db(captured_db *db, const char *what, const char *why)
{
    if (db->error == NULL)
        db->error = pgd_asprintf("%s: %s", what, why);
    end_session(db);
}

/* A pinned session to dbname of the source; NULL with *errmsg. */
static PGconn *connect_db(const drill *d, const char *dbname, char **errmsg)
{
    char *conninfo = pgd_conninfo_rewrite(d->cfg->source.dsn, dbname, NULL);
    PGconn *conn = NULL;

    if (conninfo == NULL) {
        *errmsg = pgd_strdup("source.dsn could not be rewritten for another database");
        return NULL;
    }
    conn = pgd_pq_connect(conninfo, d->cfg->source.connect_timeout, errmsg);
    free(conninfo);
    if (conn != NULL && !pgd_pq_pin_search_path(conn, timeout_ms(d), errmsg)) {
        PQfinish(conn);
        conn = NULL;
    }
    return conn;
}

/* The transaction's settings: comparisons hash alike on both sides; jit off for the catalog. */
static bool settings(const drill *d, PGconn *conn, const char *marker_time, char **errmsg)
{
    char timeout[32];
    const char *params[] = {marker_time ? marker_time : "", timeout};
    char *sql = pgd_asprintf("%s, pg_catalog.set_config('statement_timeout', $2, true)",
                             PGD_COMPARE_SETTINGS);
    bool ok;

    snprintf(timeout, sizeof(timeout), "%lld", (long long)timeout_ms(d));
    ok = pgd_pq_command(conn, sql, 2, params, timeout_ms(d), errmsg);
    free(sql);
    return ok;
}

static void fingerprint(const drill *d, captured_db *db)
{
    char *errmsg = NULL;
    int64_t start = pgd_monotonic_ms();
    PGresult *res =
        pgd_catalog_fingerprint(db->conn, d->cfg->marker.schema, timeout_ms(d), &errmsg);

    if (res == NULL) {
        fail_db(db, "could not read the catalog", errmsg);
        free(errmsg);
        return;
    }
    db->objects = pgd_catalog_json_from_result(res);
    if (db->objects == NULL)
        db->error = pgd_strdup("an object's name is not UTF-8: the catalog cannot be kept");
    else
        pgd_info("source catalog of database %s: %zu objects in %.1f s", db->name,
                 json_array_size(db->objects), (double)(pgd_monotonic_ms() - start) / 1000.0);
    PQclear(res);
}

/* Another database: a read-only snapshot of its own, just before the marker. */
static void read_other(drill *d, captured_db *db)
{
    char *errmsg = NULL;

    db->conn = connect_db(d, db->name, &errmsg);
    if (db->conn == NULL ||
        !pgd_pq_command(db->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
                        timeout_ms(d), &errmsg) ||
        !settings(d, db->conn, NULL, &errmsg)) {
        fail_db(db, "could not open a read-only session", errmsg ? errmsg : "?");
        free(errmsg);
        return;
    }
    if (db->wanted)
        fingerprint(d, db);
    if (!compared_in(d, db->name))
        end_session(db);
}

source_capture *source_capture_begin(drill *d, PGconn *conn)
{
    const pgd_config *cfg = d->cfg;
    source_capture *c;
    char *errmsg = NULL;
    PGresult *res;
    const char *marker_db = pgd_report_get_nested(d->report, "marker", "database");

    /* a past target's copy is not the marker's: verify compares only a latest one */
    if ((!cfg->verify.source_catalog && cfg->verify.compare.count == 0) ||
        d->target.kind != PGD_TARGET_LATEST)
        return NULL;
    c = pgd_calloc(1, sizeof(*c));
    c->compare = json_array();
    res = pgd_pq_exec(conn,
                      "SELECT datname FROM pg_catalog.pg_database"
                      " WHERE datallowconn AND NOT datistemplate ORDER BY datname",
                      0, NULL, timeout_ms(d), &errmsg, NULL);
    {
        captured_db *db = add_db(c, marker_db ? marker_db : PQdb(conn));

        db->marker_db = true;
        db->wanted = cfg->verify.source_catalog;
        db->conn = connect_db(d, db->name, &errmsg);
        if (db->conn == NULL) {
            fail_db(db, "could not open a second session", errmsg);
            free(errmsg);
            errmsg = NULL;
        }
    }
    if (res == NULL) {
        pgd_warn("could not list the source's databases: %s", errmsg);
        free(errmsg);
        return c;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        captured_db *db;

        if (strcmp(name, c->dbs[0].name) == 0 ||
            !((cfg->verify.source_catalog && verified(d, name)) || compared_in(d, name)))
            continue;
        db = add_db(c, name);
        db->wanted = cfg->verify.source_catalog && verified(d, name);
        read_other(d, db);
    }
    PQclear(res);
    return c;
}

static bool plain_insert(drill *d, PGconn *conn, const char *table)
{
    char *errmsg = NULL;

    if (!pgd_marker_insert(conn, table, d->test_id, PGD_MARKER_KIND_MARKER, d->scope, timeout_ms(d),
                           &errmsg)) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not insert the marker row: %s", errmsg);
        free(errmsg);
        return false;
    }
    return true;
}

/* The reading session takes over the marker transaction's snapshot (before its commit). */
static void import_snapshot(drill *d, captured_db *db, PGconn *conn)
{
    char *errmsg = NULL;
    char *id = pgd_pq_value(conn, "SELECT pg_catalog.pg_export_snapshot()", 0, NULL, timeout_ms(d),
                            &errmsg);
    char *literal = id ? pgd_pq_quote_literal(db->conn, id) : NULL;
    char *sql = literal ? pgd_asprintf("SET TRANSACTION SNAPSHOT %s", literal) : NULL;

    if (sql == NULL ||
        !pgd_pq_command(db->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
                        timeout_ms(d), &errmsg) ||
        !pgd_pq_command(db->conn, sql, 0, NULL, timeout_ms(d), &errmsg))
        fail_db(db, "could not take over the marker's snapshot", errmsg ? errmsg : "?");
    free(errmsg);
    free(sql);
    free(literal);
    free(id);
}

bool source_capture_insert_marker(drill *d, source_capture *c, PGconn *conn, const char *table)
{
    char *errmsg = NULL;
    char *sql;
    const char *params[] = {d->test_id, PGD_MARKER_KIND_MARKER};

    if (c == NULL || c->dbs[0].conn == NULL)
        return plain_insert(d, conn, table);
    if (!pgd_pq_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, timeout_ms(d),
                        &errmsg)) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not begin the marker's transaction: %s",
                   errmsg);
        free(errmsg);
        return false;
    }
    if (!plain_insert(d, conn, table))
        goto rollback;
    sql = pgd_asprintf("SELECT pg_catalog.to_char(created_at AT TIME ZONE 'UTC',"
                       " 'YYYY-MM-DD HH24:MI:SS.US') || '+00' FROM %s"
                       " WHERE test_id = $1 AND kind = $2",
                       table);
    c->marker_time = pgd_pq_value(conn, sql, 2, params, timeout_ms(d), &errmsg);
    free(sql);
    if (c->marker_time == NULL) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not read the marker's time: %s", errmsg);
        goto rollback;
    }
    import_snapshot(d, &c->dbs[0], conn);
    if (!pgd_pq_command(conn, "COMMIT", 0, NULL, timeout_ms(d), &errmsg)) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not commit the marker row: %s", errmsg);
        free(errmsg);
        return false;
    }
    return true;
rollback:
    free(errmsg);
    errmsg = NULL;
    pgd_pq_cleanup_command(conn, "ROLLBACK", 0, NULL, timeout_ms(d), &errmsg);
    free(errmsg);
    return false;
}

/* What a failed comparison says: its SQLSTATE, never its message (it may quote the data). */
static char *compare_error(const drill *d, const char *sqlstate, const char *errmsg)
{
    if (sqlstate[0] == '\0')
        return pgd_strdup(errmsg ? errmsg : "?");
    if (strcmp(sqlstate, "57014") == 0)
        return pgd_asprintf("ran into verify.compare_timeout (%ld s) on the source",
                            d->cfg->verify.compare_timeout);
    return pgd_asprintf("failed on the source: %s (SQLSTATE %s; message not shown: it may quote "
                        "the data)",
                        pgd_sqlstate_name(sqlstate) ? pgd_sqlstate_name(sqlstate) : "error",
                        sqlstate);
}

/* One comparison in db's snapshot, behind a savepoint: a failure leaves the others be. */
static json_t *compare_one(const drill *d, captured_db *db, const pgd_assertion *item)
{
    char timeout[32];
    const char *params[] = {timeout};
    char *wrapped = pgd_compare_wrap(item->sql);
    char *errmsg = NULL;
    char sqlstate[6] = "";
    PGresult *res = NULL;
    int64_t limit = (int64_t)d->cfg->verify.compare_timeout * 1000;
    json_t *entry = json_pack("{s:s,s:s}", "name", item->name, "database", item->database);

    snprintf(timeout, sizeof(timeout), "%lld", (long long)limit);
    if (db == NULL)
        json_object_set_new(entry, "error",
                            json_string("the source has no such database that accepts "
                                        "connections"));
    else if (db->conn == NULL)
        json_object_set_new(entry, "error",
                            json_string(db->error ? db->error : "no session to the database"));
    else if (!pgd_pq_command(db->conn, "SAVEPOINT pgdrill_compare", 0, NULL, timeout_ms(d),
                             &errmsg) ||
             !pgd_pq_command(db->conn,
                             "SELECT pg_catalog.set_config('statement_timeout', $1, true)", 1,
                             params, timeout_ms(d), &errmsg))
        json_object_set_new(entry, "error", json_string(errmsg));
    else {
        res = pgd_pq_exec(db->conn, wrapped, 0, NULL, limit + CLIENT_GRACE_MS, &errmsg, sqlstate);
        if (res != NULL && PQntuples(res) == 1) {
            json_object_set_new(entry, "rows", json_integer(atoll(PQgetvalue(res, 0, 0))));
            json_object_set_new(entry, "hash", json_string(PQgetvalue(res, 0, 1)));
            pgd_pq_command(db->conn, "RELEASE SAVEPOINT pgdrill_compare", 0, NULL, timeout_ms(d),
                           &errmsg);
        } else {
            char *why = compare_error(d, sqlstate, errmsg);

            json_object_set_new(entry, "error", json_string(why));
            free(why);
            pgd_pq_command(db->conn, "ROLLBACK TO SAVEPOINT pgdrill_compare", 0, NULL,
                           timeout_ms(d), &errmsg);
        }
    }
    if (json_object_get(entry, "error") != NULL)
        pgd_warn("comparison %s could not be read on the source: %s", item->name,
                 json_string_value(json_object_get(entry, "error")));
    PQclear(res);
    free(errmsg);
    free(wrapped);
    return entry;
}

static captured_db *find_db(source_capture *c, const char *name)
{
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->dbs[i].name, name) == 0)
            return &c->dbs[i];
    }
    return NULL;
}

/* The comparisons, each in its database's snapshot, with the marker's time set. */
static void run_comparisons(drill *d, source_capture *c)
{
    for (size_t i = 0; i < c->count; i++) {
        char *errmsg = NULL;

        if (c->dbs[i].conn != NULL && !settings(d, c->dbs[i].conn, c->marker_time, &errmsg))
            fail_db(&c->dbs[i], "could not set the comparisons' settings", errmsg);
        free(errmsg);
    }
    for (size_t i = 0; i < d->cfg->verify.compare.count; i++) {
        const pgd_assertion *item = &d->cfg->verify.compare.items[i];
        json_array_append_new(c->compare, compare_one(d, find_db(c, item->database), item));
    }
}

/* The source's catalog beside the report; its SHA-256 goes into the (signed) report. */
static json_t *write_catalog_file(drill *d, source_capture *c)
{
    json_t *file = json_object();
    json_t *dbs = json_object();
    json_t *report = json_pack("{s:[]}", "databases");
    char *path = pgd_asprintf("%s.catalog.json", d->cfg->report.file);
    char *text;
    char *errmsg = NULL;
    char hex[PGD_KEY_FINGERPRINT_SIZE];

    json_object_set_new(file, "test_id", json_string(d->test_id));
    json_object_set_new(file, "databases", dbs);
    for (size_t i = 0; i < c->count; i++) {
        captured_db *db = &c->dbs[i];
        json_t *entry;
        json_t *unlogged = json_array();

        if (!db->wanted)
            continue;
        entry = json_pack("{s:s,s:s}", "name", db->name, "snapshot",
                          db->marker_db ? "the marker's" : "just before the marker");
        if (db->objects != NULL) {
            for (size_t k = 0; k < json_array_size(db->objects); k++) {
                json_t *object = json_array_get(db->objects, k);

                if (json_is_true(json_array_get(object, 2)))
                    json_array_append(unlogged, json_array_get(object, 0));
            }
            json_object_set_new(entry, "objects",
                                json_integer((json_int_t)json_array_size(db->objects)));
            json_object_set(dbs, db->name, db->objects);
        } else
            json_object_set_new(entry, "error", json_string(db->error ? db->error : "?"));
        json_object_set_new(entry, "unlogged", unlogged);
        json_array_append_new(json_object_get(report, "databases"), entry);
    }
    text = json_dumps(file, JSON_COMPACT);
    json_decref(file);
    pgd_signing_sha256_hex(text, strlen(text), hex);
    if (pgd_write_file_atomic(path, text, 0644, &errmsg)) {
        json_object_set_new(report, "file", json_string(path));
        json_object_set_new(report, "sha256", json_string(hex));
    } else {
        pgd_warn("could not write the source's catalog: %s", errmsg);
        json_object_set_new(report, "error", json_string(errmsg));
    }
    free(errmsg);
    free(text);
    free(path);
    return report;
}

void source_capture_finish(drill *d, source_capture *c, bool committed)
{
    json_t *source;
    captured_db *marker_db;

    if (c == NULL)
        return;
    marker_db = &c->dbs[0];
    if (!committed)
        goto out;
    if (marker_db->conn != NULL && marker_db->wanted) {
        char *errmsg = NULL;

        if (!settings(d, marker_db->conn, c->marker_time, &errmsg))
            fail_db(marker_db, "could not set the session's settings", errmsg);
        else
            fingerprint(d, marker_db);
        free(errmsg);
    }
    run_comparisons(d, c);
    source = json_object();
    if (c->marker_time != NULL)
        json_object_set_new(source, "marker_time", json_string(c->marker_time));
    if (d->cfg->verify.source_catalog)
        json_object_set_new(source, "catalog", write_catalog_file(d, c));
    if (d->cfg->verify.compare.count > 0)
        json_object_set(source, "compare", c->compare);
    json_object_set_new(d->report->root, "source", source);
out:
    for (size_t i = 0; i < c->count; i++) {
        end_session(&c->dbs[i]);
        json_decref(c->dbs[i].objects);
        free(c->dbs[i].error);
        free(c->dbs[i].name);
    }
    json_decref(c->compare);
    free(c->dbs);
    free(c->marker_time);
    free(c);
}
