/*
 * source_catalog.c - the copy's catalog against the source's.
 */
#include "source_catalog.h"

#include "catalog_fingerprint.h"
#include "fsutil.h"
#include "log.h"
#include "pq.h"
#include "signing.h"
#include "target_check.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_FILE_MAX      ((size_t)256 << 20) /* 10,000 tables make 2 MB */
#define NAMED_DIFFERENCES    10                  /* per database in the detail */
#define REPORTED_DIFFERENCES 100                 /* in the report's source.catalog.differences */

static json_t *catalog_of_report(const pgd_report *report)
{
    return json_object_get(json_object_get(report->root, "source"), "catalog");
}

json_t *source_file_load(const pgd_report *report, char **why)
{
    json_t *source = json_object_get(report->root, "source");
    const char *path = json_string_value(json_object_get(source, "file"));
    const char *sha256 = json_string_value(json_object_get(source, "sha256"));
    const char *test_id = pgd_report_get_string(report, "test_id");
    char hex[PGD_KEY_FINGERPRINT_SIZE];
    char *errmsg = NULL;
    char *text;
    json_t *file;
    json_error_t error;

    if (path == NULL || sha256 == NULL) {
        const char *stored = json_string_value(json_object_get(source, "error"));

        *why = pgd_asprintf("bootstrap could not keep what it read on the source: %s",
                            stored ? stored : "the report names no file");
        return NULL;
    }
    /* our own state file: a symbolic link there is not ours */
    text = pgd_read_file_ex(path, SOURCE_FILE_MAX, PGD_READ_NOFOLLOW, NULL, &errmsg);
    if (text == NULL) {
        *why = pgd_asprintf("could not read what bootstrap read on the source: %s", errmsg);
        free(errmsg);
        return NULL;
    }
    pgd_signing_sha256_hex(text, strlen(text), hex);
    file = strcmp(hex, sha256) == 0 ? json_loads(text, 0, &error) : NULL;
    free(text);
    if (strcmp(hex, sha256) != 0)
        *why = pgd_asprintf("%s is not the file bootstrap wrote (its SHA-256 is %s, the report "
                            "says %s)",
                            path, hex, sha256);
    else if (file == NULL || test_id == NULL || !json_is_string(json_object_get(file, "test_id")) ||
             strcmp(json_string_value(json_object_get(file, "test_id")), test_id) != 0)
        *why = pgd_asprintf("%s is not what bootstrap read on the source for test %s", path,
                            test_id ? test_id : "?");
    else
        return file;
    json_decref(file);
    return NULL;
}

/*
 * The runner's session in dbname, set as bootstrap read the source: UTF-8
 * (names go into JSON), jit off (F87). NULL with *errmsg.
 */
static PGconn *catalog_session(verify_run *run, const char *dbname, char **errmsg)
{
    PGconn *conn = check_session_get(run, dbname, errmsg);

    if (conn != NULL && PQsetClientEncoding(conn, "UTF8") != 0) {
        *errmsg = pgd_asprintf("could not set client_encoding: %s", PQerrorMessage(conn));
        return NULL;
    }
    if (conn != NULL && !pgd_pq_command(conn, "SELECT pg_catalog.set_config('jit', 'off', false)",
                                        0, NULL, verify_query_timeout(run), errmsg))
        return NULL;
    return conn;
}

/* The copy's fingerprint of dbname, as JSON; NULL with *why. */
static json_t *copy_catalog(verify_run *run, const char *dbname, bool *missing, char **why)
{
    const char *params[] = {dbname};
    char *errmsg = NULL;
    char *exists = pgd_pq_value(run->conn,
                                "SELECT pg_catalog.count(*) FROM pg_catalog.pg_database"
                                " WHERE datname = $1",
                                1, params, verify_query_timeout(run), &errmsg);
    PGconn *conn = NULL;
    PGresult *res = NULL;
    json_t *objects = NULL;

    if (exists != NULL && strcmp(exists, "0") == 0)
        *missing = true;
    else if (exists != NULL)
        conn = catalog_session(run, dbname, &errmsg);
    if (conn != NULL)
        res = pgd_catalog_fingerprint(conn, run->cfg->marker.schema, verify_query_timeout(run),
                                      &errmsg);
    if (res != NULL) {
        objects = pgd_catalog_json_from_result(res);
        if (objects == NULL)
            errmsg = pgd_strdup("an object's name in the copy is not UTF-8");
    }
    if (objects == NULL && !*missing)
        *why = pgd_asprintf("could not read the copy's catalog: %s", errmsg ? errmsg : "?");
    PQclear(res);
    free(exists);
    free(errmsg);
    return objects;
}

/*
 * Does the copy's catalog of dbname hash as the source's did (the report's
 * objects and digest)? One row from the server; false also when it could
 * not be asked: the objects are then compared one by one, which says why.
 */
static bool copy_matches(verify_run *run, const json_t *entry, const char *dbname,
                         const pgd_catalog *source)
{
    /* what verify itself may have added (pgd_catalog_expected) does not count */
    const char *skip =
        pgd_catalog_has(source, PGD_CATALOG_ADDED_BY_VERIFY) ? NULL : PGD_CATALOG_ADDED_BY_VERIFY;
    const char *digest = json_string_value(json_object_get(entry, "digest"));
    const json_t *objects = json_object_get(entry, "objects");
    char *errmsg = NULL;
    PGconn *conn =
        digest && json_is_integer(objects) ? catalog_session(run, dbname, &errmsg) : NULL;
    PGresult *res = NULL;
    char count[32];
    bool same;

    if (conn != NULL)
        res = pgd_catalog_digest(conn, run->cfg->marker.schema, skip, verify_query_timeout(run),
                                 &errmsg);
    snprintf(count, sizeof(count), "%lld", (long long)json_integer_value(objects));
    same = res != NULL && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), count) == 0 &&
           strcmp(PQgetvalue(res, 0, 1), digest) == 0;
    PQclear(res);
    free(errmsg);
    return same;
}

char *source_catalog_unlogged(const json_t *list)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (json_is_string(json_array_get(list, i)))
            pgd_buf_appendf(&out, "%s%s", out.len > 0 ? ", " : "",
                            json_string_value(json_array_get(list, i)));
    }
    if (out.len == 0) {
        pgd_buf_free(&out);
        return NULL;
    }
    return pgd_buf_steal(&out);
}

static void gather_db(verify_run *run, source_catalog_facts *f, const json_t *entry,
                      const json_t *file, catalog_db_facts *db)
{
    const json_t *source_objects;
    json_t *copy_objects;
    pgd_catalog source, copy;
    char *why = NULL;

    db->unlogged = source_catalog_unlogged(json_object_get(entry, "unlogged"));
    if (json_is_string(json_object_get(entry, "error"))) {
        char *error = pgd_asprintf("not captured on the source: %s",
                                   json_string_value(json_object_get(entry, "error")));

        /* another database the server refused the drill's role: said, not fatal (README) */
        if (json_is_true(json_object_get(entry, "denied")) &&
            json_is_string(json_object_get(entry, "snapshot")) &&
            strcmp(json_string_value(json_object_get(entry, "snapshot")), "the marker's") != 0)
            db->not_compared = error;
        else
            db->not_judged = error;
        return;
    }
    source_objects = json_object_get(json_object_get(file, "databases"), db->name);
    if (!pgd_catalog_from_json(source_objects, &source)) {
        db->not_judged = pgd_strdup("the source's catalog file has no valid entry for it");
        return;
    }
    if (copy_matches(run, entry, db->name, &source)) {
        db->objects = source.count;
        pgd_info("catalog of database %s: its digest is the source's", db->name);
        pgd_catalog_free(&source);
        return;
    }
    db->objects = source.count;
    copy_objects = copy_catalog(run, db->name, &db->missing, &why);
    if (copy_objects == NULL) {
        db->not_judged = why;
        pgd_catalog_free(&source);
        return;
    }
    json_array_append_new(f->held, copy_objects);
    (void)pgd_catalog_from_json(copy_objects, &copy);
    pgd_catalog_compare(&source, &copy, &db->diff);
    pgd_catalog_free(&source);
    pgd_catalog_free(&copy);
}

/* The differences in the report (source.catalog.differences), the first ones. */
static void report_differences(verify_run *run, const source_catalog_facts *f)
{
    json_t *list = json_array();
    size_t total = 0;

    for (size_t i = 0; i < f->count; i++) {
        const catalog_db_facts *db = &f->dbs[i];

        if (db->missing && total++ < REPORTED_DIFFERENCES)
            json_array_append_new(
                list, json_pack("{s:s,s:s}", "database", db->name, "change", "database missing"));
        for (size_t k = 0; k < db->diff.count; k++) {
            if (total++ >= REPORTED_DIFFERENCES)
                continue;
            json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:b}", "database", db->name,
                                                  "object", db->diff.items[k].id, "change",
                                                  pgd_catalog_change_name(db->diff.items[k].change),
                                                  "unlogged", db->diff.items[k].unlogged));
        }
    }
    json_object_set_new(catalog_of_report(run->report), "differences", list);
    json_object_set_new(catalog_of_report(run->report), "difference_count",
                        json_integer((json_int_t)total));
}

static bool gather(verify_run *run, void *facts, char **errmsg)
{
    source_catalog_facts *f = facts;
    json_t *catalog = catalog_of_report(run->report);
    json_t *dbs = json_object_get(catalog, "databases");
    json_t *file;

    (void)errmsg;
    f->held = json_array();
    if (json_is_string(json_object_get(catalog, "error"))) {
        f->not_judged = pgd_strdup(json_string_value(json_object_get(catalog, "error")));
        return true;
    }
    file = source_file_load(run->report, &f->not_judged);
    if (file == NULL)
        return true;
    json_array_append_new(f->held, file);
    f->dbs = pgd_calloc(json_array_size(dbs) + 1, sizeof(*f->dbs));
    for (size_t i = 0; i < json_array_size(dbs); i++) {
        const json_t *entry = json_array_get(dbs, i);
        const char *name = json_string_value(json_object_get(entry, "name"));
        catalog_db_facts *db = &f->dbs[f->count++];

        db->name = pgd_strdup(name ? name : "?");
        if (name == NULL)
            db->not_judged = pgd_strdup("the report's entry has no name");
        else
            gather_db(run, f, entry, file, db);
    }
    report_differences(run, f);
    return true;
}

static void free_facts(void *facts)
{
    source_catalog_facts *f = facts;

    for (size_t i = 0; i < f->count; i++) {
        free(f->dbs[i].name);
        free(f->dbs[i].not_judged);
        free(f->dbs[i].not_compared);
        free(f->dbs[i].unlogged);
        pgd_catalog_diff_free(&f->dbs[i].diff);
    }
    free(f->dbs);
    free(f->not_judged);
    json_decref(f->held);
}

/* "; unlogged relations, whose data is never restored: app: public.u" for a detail, or "". */
static void append_unlogged(pgd_buf *out, const source_catalog_facts *f)
{
    bool any = false;

    for (size_t i = 0; i < f->count; i++) {
        if (f->dbs[i].unlogged == NULL)
            continue;
        pgd_buf_appendf(out, "%s%s: %s",
                        any ? "; " : "; unlogged relations, whose data is never restored: ",
                        f->dbs[i].name, f->dbs[i].unlogged);
        any = true;
    }
}

/* "; not compared: database x (why)" for a detail, or "". */
static void append_not_compared(pgd_buf *out, const source_catalog_facts *f)
{
    bool any = false;

    for (size_t i = 0; i < f->count; i++) {
        if (f->dbs[i].not_compared == NULL)
            continue;
        pgd_buf_appendf(out, "%sdatabase %s (%s)", any ? ", " : "; not compared: ", f->dbs[i].name,
                        f->dbs[i].not_compared);
        any = true;
    }
}

void source_catalog_judge(const source_catalog_facts *f, check_result *out)
{
    pgd_buf mismatch, unjudged, unlogged;
    size_t compared = 0;
    size_t objects = 0;
    bool unlogged_differs = false;

    if (f->not_judged != NULL) {
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL, NULL, "%s", f->not_judged);
        return;
    }
    pgd_buf_init(&mismatch);
    pgd_buf_init(&unjudged);
    pgd_buf_init(&unlogged);
    for (size_t i = 0; i < f->count; i++) {
        const catalog_db_facts *db = &f->dbs[i];

        if (db->not_compared != NULL)
            continue;
        objects += db->objects;
        compared++;
        if (db->missing)
            pgd_buf_appendf(&mismatch, "%sdatabase %s is missing from the copy",
                            mismatch.len > 0 ? "; " : "", db->name);
        else if (db->not_judged != NULL)
            pgd_buf_appendf(&unjudged, "%sdatabase %s: %s", unjudged.len > 0 ? "; " : "", db->name,
                            db->not_judged);
        else if (db->diff.count > 0) {
            char *what = pgd_catalog_diff_describe(&db->diff, NAMED_DIFFERENCES);

            pgd_buf_appendf(&mismatch, "%sdatabase %s: %s", mismatch.len > 0 ? "; " : "", db->name,
                            what);
            free(what);
            for (size_t k = 0; k < db->diff.count; k++)
                unlogged_differs = unlogged_differs || db->diff.items[k].unlogged;
        }
    }
    append_unlogged(&unlogged, f);
    append_not_compared(&unlogged, f);
    if (mismatch.len > 0)
        check_result_set(out, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH,
                         unlogged_differs
                             ? "an unlogged relation's data is never restored, nor is it in the "
                               "WAL; make it logged if it must survive a restore"
                             : "DDL the source committed between the marker's snapshot and the "
                               "recovery target (a moment) differs too; otherwise the backup or "
                               "its WAL lost catalog changes: run the drill again and compare "
                               "`pg_dump -s` of the source and of a restored copy",
                         "the copy differs from the source at the marker: %s%s", mismatch.data,
                         unlogged.len > 0 ? unlogged.data : "");
    else if (unjudged.len > 0)
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL, NULL, "%s", unjudged.data);
    else if (compared == 0)
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL, NULL,
                         "the source's catalog holds no database: nothing was compared%s",
                         unlogged.len > 0 ? unlogged.data : "");
    else
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "%zu database%s, %zu objects as on the source at the marker%s", compared,
                         compared == 1 ? "" : "s", objects, unlogged.len > 0 ? unlogged.data : "");
    pgd_buf_free(&mismatch);
    pgd_buf_free(&unjudged);
    pgd_buf_free(&unlogged);
}

static void judge(const void *facts, check_result *out)
{
    source_catalog_judge(facts, out);
}

/* Bootstrap captured the source's catalog; a past target's copy is not the marker's. */
static bool applies(const pgd_config *cfg, const pgd_report *report)
{
    (void)cfg;
    return json_is_object(catalog_of_report(report)) && !verify_past_target(report);
}

static bool enabled(const pgd_config *cfg, const char **why)
{
    *why = "verify.source_catalog: false";
    return cfg->verify.source_catalog;
}

const check_def check_source_catalog = {
    .name = "source_catalog",
    .runs = CHECK_ONCE,
    .finding = PGD_ERR_SOURCE_MISMATCH,
    .applies = applies,
    .enabled = enabled,
    .facts_size = sizeof(source_catalog_facts),
    .gather = gather,
    .judge = judge,
    .free_facts = free_facts,
};
