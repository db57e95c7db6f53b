/*
 * carried.c - bootstrap's checks judged by verify; names for bad pages.
 */
#include "carried.h"

#include "clock.h"
#include "log.h"
#include "pq.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMED_FAILURES 10 /* bad blocks named in the detail */

bool carried_parse_relation_file(const char *file, unsigned long *tablespace,
                                 unsigned long *database, unsigned long *filenode)
{
    char version[64];
    int used = 0;

    *tablespace = 0;
    *database = 0;
    if (sscanf(file, "base/%lu/%lu%n", database, filenode, &used) == 2 && used > 0)
        return true;
    if (sscanf(file, "global/%lu%n", filenode, &used) == 1 && used > 0)
        return true;
    return sscanf(file, "pg_tblspc/%lu/%63[^/]/%lu/%lu%n", tablespace, version, database, filenode,
                  &used) == 4 &&
           used > 0;
}

/* "database orders, relation public.items" for a file, or NULL when it cannot be told. */
static char *relation_of(verify_run *run, const char *file)
{
    unsigned long tablespace, database, filenode;
    char oid[32], node[32], space[32];
    char *errmsg = NULL;
    char *dbname = NULL;
    char *relation = NULL;
    char *result = NULL;
    PGconn *conn;

    if (!carried_parse_relation_file(file, &tablespace, &database, &filenode))
        return NULL;
    snprintf(oid, sizeof(oid), "%lu", database);
    snprintf(node, sizeof(node), "%lu", filenode);
    snprintf(space, sizeof(space), "%lu", tablespace);
    if (database == 0)
        dbname = pgd_strdup(PQdb(run->conn)); /* shared catalogs: any database answers */
    else {
        const char *db_params[] = {oid};

        dbname =
            pgd_pq_value(run->conn, "SELECT datname FROM pg_catalog.pg_database WHERE oid = $1", 1,
                         db_params, verify_query_timeout(run), &errmsg);
    }
    conn = dbname ? check_session_get(run, dbname, &errmsg) : NULL;
    if (conn != NULL) {
        const char *rel_params[] = {space, node};

        /* A TOAST table's name says nothing to an SRE: its table is named too. */
        relation = pgd_pq_value(
            conn,
            "SELECT r::regclass::text || coalesce(' (TOAST of ' || (SELECT c.oid::regclass::text"
            " FROM pg_catalog.pg_class c WHERE c.reltoastrelid = r) || ')', '')"
            " FROM pg_catalog.pg_filenode_relation($1::oid, $2::oid) AS r",
            2, rel_params, verify_query_timeout(run), &errmsg);
    }
    if (dbname != NULL)
        result = pgd_asprintf("database %s, relation %s", dbname, relation ? relation : "?");
    free(errmsg);
    free(relation);
    free(dbname);
    return result;
}

/*
 * A check's detail with each bad file named by its database and relation
 * where known: the checksums check's {file, block}, backup_page_checks'
 * {file, pages} (its detail already says which pages).
 */
static char *name_failures(verify_run *run, json_t *failures, const char *detail)
{
    pgd_buf out;
    json_t *f;
    size_t i;

    pgd_buf_init(&out);
    pgd_buf_append(&out, detail);
    pgd_buf_append(&out, "; where:");
    json_array_foreach(failures, i, f)
    {
        const char *file = json_string_value(json_object_get(f, "file"));
        char *where;

        if (i == NAMED_FAILURES || file == NULL)
            break;
        where = relation_of(run, file);
        if (where != NULL)
            json_object_set_new(f, "relation", json_string(where));
        pgd_buf_appendf(&out, "%s %s", i > 0 ? ";" : "", file);
        if (json_is_integer(json_object_get(f, "block")))
            pgd_buf_appendf(&out, " block %lld",
                            (long long)json_integer_value(json_object_get(f, "block")));
        pgd_buf_appendf(&out, " (%s)", where ? where : "relation not resolved");
        free(where);
    }
    return pgd_buf_steal(&out);
}

/* Name the bad files (their database and relation) when the instance answers. */
static bool gather(verify_run *run, void *facts, char **errmsg)
{
    json_t *entry = ((carried_facts *)facts)->entry;
    json_t *failures = json_object_get(entry, "failures");
    const char *detail = json_string_value(json_object_get(entry, "detail"));

    (void)errmsg;
    if (!json_is_array(failures))
        failures = json_object_get(entry, "files");
    if (json_is_array(failures) && json_array_size(failures) > 0 && run->conn != NULL &&
        pgd_error_class_from_name(json_string_value(json_object_get(entry, "class"))) !=
            PGD_ERR_NONE) {
        char *named = name_failures(run, failures, detail ? detail : "");

        json_object_set_new(entry, "detail", json_string(named));
        free(named);
    }
    return true;
}

/*
 * What bootstrap found: a failed check is a finding, one with a class that
 * did not fail could not run (not_run; "skipped" with a class in reports of
 * earlier versions), one without a class passed or was turned off.
 */
static void judge(const void *facts, check_result *out)
{
    json_t *entry = ((const carried_facts *)facts)->entry;
    const char *status = json_string_value(json_object_get(entry, "status"));
    const char *detail = json_string_value(json_object_get(entry, "detail"));
    pgd_error_class error_class =
        pgd_error_class_from_name(json_string_value(json_object_get(entry, "class")));
    const char *hint = json_string_value(json_object_get(entry, "hint"));

    if (detail == NULL)
        detail = "";
    if (error_class != PGD_ERR_NONE)
        check_result_set(
            out, status != NULL && strcmp(status, "failed") == 0 ? CHECK_FAILED : CHECK_NOT_RUN,
            error_class, hint, "%s", detail);
    else
        check_result_set(
            out, status != NULL && strcmp(status, "passed") == 0 ? CHECK_PASSED : CHECK_SKIPPED,
            PGD_ERR_NONE, NULL, "%s", detail);
}

const check_def check_checksums = {
    .name = "checksums",
    .runs = CHECK_BY_BOOTSTRAP,
    .finding = PGD_ERR_CHECKSUM_FAILURE,
    .facts_size = sizeof(carried_facts),
    .gather = gather,
    .judge = judge,
};

const check_def check_backup_page_checks = {
    .name = "backup_page_checks",
    .runs = CHECK_BY_BOOTSTRAP,
    .finding = PGD_ERR_BACKUP_PAGE_ERRORS,
    .facts_size = sizeof(carried_facts),
    .gather = gather,
    .judge = judge,
};
