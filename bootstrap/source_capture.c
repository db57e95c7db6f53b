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
#include <sys/random.h>

#define CLIENT_GRACE_MS 2000 /* the server's statement timeout answers first */
/*
 * Other databases whose snapshots are taken together just before the marker;
 * the sessions stay open until the capture ends, so they are few. Databases
 * beyond these are read one after the other before them.
 */
#define HELD_SESSIONS_MAX 16
#define UNLOGGED_NAMED    100 /* per database, in the report */

/* One database of the source: its session while it is read, and what was read. */
typedef struct captured_db {
    char *name;
    PGconn *conn;    /* in a read-only transaction of the snapshot it is read in */
    bool marker_db;  /* in the marker's snapshot */
    bool held;       /* snapshot taken with the others just before the marker */
    bool wanted;     /* its catalog is compared (verify.source_catalog) */
    bool denied;     /* the server refused the drill's role this database */
    json_t *objects; /* the fingerprint, or NULL */
    char *error;     /* why there is none */
} captured_db;

struct source_capture {
    captured_db *dbs; /* the marker's database first */
    size_t count;
    char *marker_time;
    char salt[PGD_COMPARE_SALT_SIZE];
    bool no_salt;     /* the kernel gave no random bytes: no comparison is run */
    char *list_error; /* the databases could not be listed */
    json_t *compare;  /* one entry per verify.compare item, in order */
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
        db->error = pgd_asprintf("%s: %s", what, why ? why : "?");
    end_session(db);
}

/*
 * A connection that failed; denied when the server refused the drill's role
 * this database (no CONNECT privilege, no pg_hba.conf line for it): verify
 * names such a database as not compared, any other failure leaves it unjudged.
 */
static void refused(captured_db *db, const char *errmsg)
{
    db->denied = errmsg != NULL && (strstr(errmsg, "permission denied for database") != NULL ||
                                    strstr(errmsg, "no pg_hba.conf entry") != NULL);
    fail_db(db, "could not connect", errmsg);
}

/* The server's notices in these sessions may quote the data a comparison reads: not shown. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
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
    if (conn != NULL) {
        PQsetNoticeProcessor(conn, ignore_notice, NULL);
        /* names go into JSON: UTF-8 whatever the role's or database's client_encoding */
        if (PQsetClientEncoding(conn, "UTF8") != 0) {
            *errmsg = pgd_asprintf("could not set client_encoding: %s", PQerrorMessage(conn));
            PQfinish(conn);
            return NULL;
        }
    }
    if (conn != NULL && !pgd_pq_pin_search_path(conn, timeout_ms(d), errmsg)) {
        PQfinish(conn);
        conn = NULL;
    }
    return conn;
}

/* The transaction's settings (catalog_fingerprint.h), with this statement timeout. */
static bool settings(const drill *d, PGconn *conn, const char *marker_time, int64_t statement_ms,
                     char **errmsg)
{
    char timeout[32];
    const char *params[] = {marker_time ? marker_time : "", timeout};
    char *sql = pgd_asprintf("%s, pg_catalog.set_config('statement_timeout', $2, true)",
                             PGD_COMPARE_SETTINGS);
    bool ok;

    snprintf(timeout, sizeof(timeout), "%lld", (long long)statement_ms);
    ok = pgd_pq_command(conn, sql, 2, params, timeout_ms(d), errmsg);
    free(sql);
    return ok;
}

/* BEGIN a read-only snapshot in db's session: its first statement takes the snapshot. */
static bool begin_snapshot(drill *d, captured_db *db)
{
    char *errmsg = NULL;

    if (db->conn != NULL &&
        pgd_pq_command(db->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
                       timeout_ms(d), &errmsg) &&
        settings(d, db->conn, NULL, timeout_ms(d), &errmsg))
        return true;
    if (db->conn != NULL)
        fail_db(db, "could not open a read-only transaction", errmsg);
    free(errmsg);
    return false;
}

static void fingerprint(const drill *d, captured_db *db)
{
    char *errmsg = NULL;
    int64_t start = pgd_monotonic_ms();
    PGresult *res;

    if (db->conn == NULL || !db->wanted)
        return;
    res = pgd_catalog_fingerprint(db->conn, d->cfg->marker.schema, timeout_ms(d), &errmsg);
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

/* The databases to read besides the marker's, from the drill's session. */
static void list_databases(drill *d, source_capture *c, PGconn *conn)
{
    const pgd_config *cfg = d->cfg;
    char *errmsg = NULL;
    PGresult *res = pgd_pq_exec(conn,
                                "SELECT datname FROM pg_catalog.pg_database"
                                " WHERE datallowconn AND NOT datistemplate ORDER BY datname",
                                0, NULL, timeout_ms(d), &errmsg, NULL);

    if (res == NULL) {
        pgd_warn("could not list the source's databases: %s", errmsg);
        c->list_error = pgd_asprintf("could not list the source's databases: %s", errmsg);
        free(errmsg);
        return;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        bool wanted = cfg->verify.source_catalog && verified(d, name);

        if (strcmp(name, c->dbs[0].name) != 0 && (wanted || compared_in(d, name)))
            add_db(c, name)->wanted = wanted;
    }
    PQclear(res);
}

source_capture *source_capture_begin(drill *d, PGconn *conn)
{
    const pgd_config *cfg = d->cfg;
    source_capture *c;
    const char *marker_db = pgd_report_get_nested(d->report, "marker", "database");
    unsigned char bytes[(PGD_COMPARE_SALT_SIZE - 1) / 2];
    size_t held = 0;

    /* a past target's copy is not the marker's: verify compares only a latest one */
    if ((!cfg->verify.source_catalog && cfg->verify.compare.count == 0) ||
        d->target.kind != PGD_TARGET_LATEST)
        return NULL;
    c = pgd_calloc(1, sizeof(*c));
    c->compare = json_array();
    if (getrandom(bytes, sizeof(bytes), 0) == (ssize_t)sizeof(bytes)) {
        for (size_t i = 0; i < sizeof(bytes); i++)
            snprintf(c->salt + 2 * i, 3, "%02x", bytes[i]);
    } else
        c->no_salt = true;
    add_db(c, marker_db ? marker_db : PQdb(conn));
    c->dbs[0].marker_db = true;
    c->dbs[0].wanted = cfg->verify.source_catalog && verified(d, c->dbs[0].name);
    list_databases(d, c, conn);
    /* the databases comparisons run in take the held sessions first: they must stay open */
    for (size_t i = 1, first = 1; i < c->count; i++) {
        if (compared_in(d, c->dbs[i].name)) {
            captured_db moved = c->dbs[i];

            memmove(&c->dbs[first + 1], &c->dbs[first], (i - first) * sizeof(*c->dbs));
            c->dbs[first++] = moved;
        }
    }
    /* every session first, then the snapshots back to back: as close to the marker as can be */
    for (size_t i = 0; i < c->count; i++) {
        char *errmsg = NULL;
        captured_db *db = &c->dbs[i];

        if (!db->marker_db && held == HELD_SESSIONS_MAX) {
            /* beyond the held ones: read now, alone, and let go */
            db->conn = connect_db(d, db->name, &errmsg);
            if (db->conn == NULL)
                refused(db, errmsg);
            else if (begin_snapshot(d, db))
                fingerprint(d, db);
            if (!compared_in(d, db->name))
                end_session(db);
            free(errmsg);
            continue;
        }
        db->conn = connect_db(d, db->name, &errmsg);
        if (db->conn == NULL)
            refused(db, errmsg);
        db->held = !db->marker_db;
        held += db->held ? 1 : 0;
        free(errmsg);
    }
    for (size_t i = 1; i < c->count; i++) {
        if (c->dbs[i].held)
            (void)begin_snapshot(d, &c->dbs[i]);
    }
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

/*
 * In the marker's transaction on conn (its INSERT done): read its time,
 * export the snapshot, have the reading session import it. False with
 * *errmsg when any of it failed (the transaction is then to be rolled back).
 */
/* What is left of the time the sharing may take (at least a millisecond: 0 would not wait). */
static int64_t left(int64_t deadline)
{
    int64_t ms = pgd_ms_until(deadline);

    return ms > 0 ? ms : 1;
}

static bool share_snapshot(drill *d, source_capture *c, PGconn *conn, const char *table,
                           int64_t deadline, char **errmsg)
{
    const char *params[] = {d->test_id, PGD_MARKER_KIND_MARKER};
    captured_db *db = &c->dbs[0];
    char *sql = pgd_asprintf("SELECT pg_catalog.to_char(created_at AT TIME ZONE 'UTC',"
                             " 'YYYY-MM-DD HH24:MI:SS.US') || '+00' FROM %s"
                             " WHERE test_id = $1 AND kind = $2 LIMIT 1",
                             table);
    char *id = NULL;
    char *literal = NULL;
    char *import = NULL;
    bool ok;

    c->marker_time = pgd_pq_value(conn, sql, 2, params, left(deadline), errmsg);
    if (c->marker_time != NULL)
        id = pgd_pq_value(conn, "SELECT pg_catalog.pg_export_snapshot()", 0, NULL, left(deadline),
                          errmsg);
    literal = id ? pgd_pq_quote_literal(db->conn, id) : NULL;
    import = literal ? pgd_asprintf("SET TRANSACTION SNAPSHOT %s", literal) : NULL;
    ok = import != NULL &&
         pgd_pq_command(db->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
                        left(deadline), errmsg) &&
         pgd_pq_command(db->conn, import, 0, NULL, left(deadline), errmsg);
    if (!ok && *errmsg == NULL)
        *errmsg = pgd_strdup(PQerrorMessage(db->conn));
    free(sql);
    free(id);
    free(literal);
    free(import);
    return ok;
}

/* COMMIT, and make sure it committed (an aborted transaction answers COMMIT with ROLLBACK). */
static bool commit(drill *d, PGconn *conn, char **errmsg)
{
    PGresult *res = pgd_pq_exec(conn, "COMMIT", 0, NULL, timeout_ms(d), errmsg, NULL);
    bool ok = res != NULL && strcmp(PQcmdStatus(res), "COMMIT") == 0;

    if (res != NULL && !ok)
        *errmsg = pgd_asprintf("the server answered %s", PQcmdStatus(res));
    PQclear(res);
    return ok;
}

bool source_capture_insert_marker(drill *d, source_capture *c, PGconn *conn, const char *table)
{
    char *errmsg = NULL;
    int64_t inserted;
    int64_t deadline;

    if (c == NULL || c->dbs[0].conn == NULL)
        return plain_insert(d, conn, table);
    if (!pgd_pq_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, timeout_ms(d),
                        &errmsg)) {
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not begin the marker's transaction: %s",
                   errmsg);
        free(errmsg);
        return false;
    }
    inserted = pgd_monotonic_ms();
    deadline = inserted + timeout_ms(d) / 2;
    if (!plain_insert(d, conn, table)) {
        pgd_pq_cleanup_command(conn, "ROLLBACK", 0, NULL, timeout_ms(d), &errmsg);
        free(errmsg);
        return false;
    }
    /*
     * The marker must commit within the statement timeout of its created_at
     * (F77), as a marker inserted alone does: a snapshot that could not be
     * shared in half of it leaves the capture behind, never the marker late.
     */
    if (share_snapshot(d, c, conn, table, deadline, &errmsg) && pgd_ms_until(deadline) > 0) {
        if (commit(d, conn, &errmsg))
            return true;
        drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE, "could not commit the marker row: %s", errmsg);
        free(errmsg);
        return false;
    }
    fail_db(&c->dbs[0], "could not share the marker's snapshot",
            errmsg ? errmsg : "it took longer than half the statement timeout");
    free(errmsg);
    errmsg = NULL;
    pgd_warn("%s; inserting the marker alone", c->dbs[0].error);
    pgd_pq_cleanup_command(conn, "ROLLBACK", 0, NULL, timeout_ms(d), &errmsg);
    free(errmsg);
    free(c->marker_time);
    c->marker_time = NULL;
    /* only in a session out of any transaction: an INSERT inside one would never commit */
    if (drill_interrupted(d))
        return false;
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        return drill_fail(d, PGD_ERR_SOURCE_UNREACHABLE,
                          "could not roll back the marker's transaction on the source");
    return plain_insert(d, conn, table);
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

/*
 * One comparison in db's snapshot, behind a savepoint that is always rolled
 * back: a failure leaves the others be, and the locks it took go with it.
 */
static json_t *compare_one(const drill *d, source_capture *c, captured_db *db,
                           const pgd_assertion *item)
{
    char timeout[32];
    const char *params[] = {timeout};
    char *wrapped = pgd_compare_wrap(item->sql, c->salt);
    char *errmsg = NULL;
    char sqlstate[6] = "";
    PGresult *res = NULL;
    int64_t limit = (int64_t)d->cfg->verify.compare_timeout * 1000;
    json_t *entry = json_pack("{s:s?,s:s?}", "name", item->name, "database", item->database);
    char *why = NULL;

    snprintf(timeout, sizeof(timeout), "%lld", (long long)limit);
    if (c->no_salt)
        why = pgd_strdup("the kernel gave no random bytes for the comparisons' salt");
    else if (db == NULL)
        why = pgd_strdup("the source has no such database that accepts connections");
    else if (db->conn == NULL)
        why = pgd_strdup(db->error ? db->error : "no session to the database");
    else if (!pgd_pq_command(db->conn, "SAVEPOINT pgdrill_compare", 0, NULL, timeout_ms(d),
                             &errmsg) ||
             !pgd_pq_command(db->conn,
                             "SELECT pg_catalog.set_config('statement_timeout', $1, true)", 1,
                             params, timeout_ms(d), &errmsg))
        why = pgd_strdup(errmsg);
    else {
        res = pgd_pq_exec(db->conn, wrapped, 0, NULL, limit + CLIENT_GRACE_MS, &errmsg, sqlstate);
        if (res != NULL && PQntuples(res) == 1) {
            json_object_set_new(entry, "rows", json_integer(atoll(PQgetvalue(res, 0, 0))));
            json_object_set_new(entry, "hash", json_string(PQgetvalue(res, 0, 1)));
        } else
            why = compare_error(d, sqlstate, errmsg);
        free(errmsg);
        errmsg = NULL;
        if (!pgd_pq_command(db->conn, "ROLLBACK TO SAVEPOINT pgdrill_compare", 0, NULL,
                            timeout_ms(d), &errmsg))
            fail_db(db, "could not roll back a comparison", errmsg);
    }
    if (why != NULL) {
        json_object_set_new(entry, "error", json_string(why));
        pgd_warn("comparison %s could not be read on the source: %s", item->name, why);
    }
    PQclear(res);
    free(why);
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
    int64_t limit = (int64_t)d->cfg->verify.compare_timeout * 1000;

    for (size_t i = 0; i < c->count; i++) {
        char *errmsg = NULL;

        if (c->dbs[i].conn != NULL && compared_in(d, c->dbs[i].name) &&
            !settings(d, c->dbs[i].conn, c->marker_time, limit, &errmsg))
            fail_db(&c->dbs[i], "could not set the comparisons' settings", errmsg);
        free(errmsg);
    }
    for (size_t i = 0; i < d->cfg->verify.compare.count; i++) {
        const pgd_assertion *item = &d->cfg->verify.compare.items[i];
        captured_db *db = find_db(c, item->database);
        bool again = false;

        json_array_append_new(c->compare, compare_one(d, c, db, item));
        /* a snapshot held on production no longer than its last comparison */
        for (size_t j = i + 1; j < d->cfg->verify.compare.count && !again; j++)
            again = strcmp(d->cfg->verify.compare.items[j].database, item->database) == 0;
        if (db != NULL && !again)
            end_session(db);
    }
}

/* pgd_catalog_digest's md5 of the objects (lines "identity md5 true|false", in their order). */
static json_t *digest_of(const json_t *objects)
{
    pgd_buf lines;
    char hex[PGD_KEY_FINGERPRINT_SIZE];

    pgd_buf_init(&lines);
    for (size_t k = 0; k < json_array_size(objects); k++) {
        const json_t *object = json_array_get(objects, k);

        pgd_buf_appendf(&lines, "%s%s %s %s", k > 0 ? "\n" : "",
                        json_string_value(json_array_get(object, 0)),
                        json_string_value(json_array_get(object, 1)),
                        json_is_true(json_array_get(object, 2)) ? "true" : "false");
    }
    pgd_signing_md5_hex(lines.data ? lines.data : "", lines.len, hex);
    pgd_buf_free(&lines);
    return json_string(hex);
}

/* The report's entry of one database's catalog: counts and names, never the objects. */
static json_t *database_entry(const captured_db *db)
{
    json_t *entry = json_pack("{s:s?,s:s}", "name", db->name, "snapshot",
                              db->marker_db ? "the marker's"
                              : db->held    ? "just before the marker"
                                            : "before the marker");
    json_t *unlogged = json_array();
    size_t count = 0;

    if (entry == NULL) {
        pgd_warn("a database's name is not UTF-8: its catalog is not kept");
        json_decref(unlogged);
        return NULL;
    }
    if (db->objects == NULL) {
        json_object_set_new(entry, "error", json_string(db->error ? db->error : "?"));
        if (db->denied)
            json_object_set_new(entry, "denied", json_true());
        json_decref(unlogged);
        return entry;
    }
    for (size_t k = 0; k < json_array_size(db->objects); k++) {
        json_t *object = json_array_get(db->objects, k);

        if (json_is_true(json_array_get(object, 2)) && count++ < UNLOGGED_NAMED)
            json_array_append(unlogged, json_array_get(object, 0));
    }
    json_object_set_new(entry, "objects", json_integer((json_int_t)json_array_size(db->objects)));
    json_object_set_new(entry, "digest", digest_of(db->objects));
    json_object_set_new(entry, "unlogged", unlogged);
    json_object_set_new(entry, "unlogged_count", json_integer((json_int_t)count));
    return entry;
}

/*
 * The file beside the report (the objects and the comparisons' salt) and
 * the report's "source" object, which holds the file's SHA-256.
 */
static json_t *write_source(drill *d, source_capture *c)
{
    json_t *file =
        json_pack("{s:s?,s:s,s:{}}", "test_id", d->test_id, "salt", c->salt, "databases");
    json_t *source = json_object();
    json_t *list = json_array();
    char *path = pgd_asprintf("%s.catalog.json", d->cfg->report.file);
    char *text;
    char *errmsg = NULL;
    char hex[PGD_KEY_FINGERPRINT_SIZE];

    for (size_t i = 0; i < c->count; i++) {
        const captured_db *db = &c->dbs[i];
        json_t *entry = db->wanted ? database_entry(db) : NULL;

        if (entry == NULL)
            continue;
        json_array_append_new(list, entry);
        if (db->objects != NULL)
            json_object_set(json_object_get(file, "databases"), db->name, db->objects);
    }
    if (c->marker_time != NULL)
        json_object_set_new(source, "marker_time", json_string(c->marker_time));
    if (d->cfg->verify.source_catalog)
        json_object_set_new(source, "catalog",
                            json_pack("{s:o,s:s?}", "databases", list, "error", c->list_error));
    else
        json_decref(list);
    if (d->cfg->verify.compare.count > 0)
        json_object_set(source, "compare", c->compare);
    text = file ? json_dumps(file, JSON_COMPACT) : NULL;
    json_decref(file);
    if (text == NULL)
        errmsg = pgd_strdup("could not encode it");
    else
        pgd_signing_sha256_hex(text, strlen(text), hex);
    if (text != NULL && pgd_write_file_atomic(path, text, 0640, &errmsg)) {
        json_object_set_new(source, "file", json_string(path));
        json_object_set_new(source, "sha256", json_string(hex));
    } else {
        pgd_warn("could not write the source's catalog: %s", errmsg);
        json_object_set_new(source, "error", json_string(errmsg));
    }
    free(errmsg);
    free(text);
    free(path);
    return source;
}

void source_capture_finish(drill *d, source_capture *c, bool committed)
{
    if (c == NULL)
        return;
    if (committed) {
        char *errmsg = NULL;

        /* the marker's snapshot was imported bare: its settings now */
        if (c->dbs[0].conn != NULL &&
            !settings(d, c->dbs[0].conn, c->marker_time, timeout_ms(d), &errmsg))
            fail_db(&c->dbs[0], "could not set the session's settings", errmsg);
        free(errmsg);
        for (size_t i = 0; i < c->count; i++) {
            if (c->dbs[i].marker_db || c->dbs[i].held)
                fingerprint(d, &c->dbs[i]);
            if (!compared_in(d, c->dbs[i].name))
                end_session(&c->dbs[i]);
        }
        run_comparisons(d, c);
        json_object_set_new(d->report->root, "source", write_source(d, c));
    }
    for (size_t i = 0; i < c->count; i++) {
        end_session(&c->dbs[i]);
        json_decref(c->dbs[i].objects);
        free(c->dbs[i].error);
        free(c->dbs[i].name);
    }
    json_decref(c->compare);
    free(c->dbs);
    free(c->marker_time);
    free(c->list_error);
    free(c);
}
