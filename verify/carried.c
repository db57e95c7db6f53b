/*
 * carried.c - bootstrap's checks in the verdict; names for bad checksums.
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
    conn = dbname ? verify_connect_database(run, dbname, &errmsg) : NULL;
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
    if (conn != NULL && conn != run->conn)
        PQfinish(conn);
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

/*
 * Which of bootstrap's failed checks names the verdict when several failed:
 * bad pages in the restored copy itself (checksums, with their relations)
 * before pgBackRest's flag on the set at backup time (backup_page_checks),
 * which explains them but says less; otherwise the order they ran in.
 */
static int carried_rank(const char *name)
{
    return strcmp(name, "backup_page_checks") == 0 ? 1 : 0;
}

static void carry_check(verify_run *run, json_t *check)
{
    const char *name = json_string_value(json_object_get(check, "name"));
    const char *status = json_string_value(json_object_get(check, "status"));
    const char *detail = json_string_value(json_object_get(check, "detail"));
    pgd_error_class error_class =
        pgd_error_class_from_name(json_string_value(json_object_get(check, "class")));
    json_t *failures = json_object_get(check, "failures");

    if (!json_is_array(failures))
        failures = json_object_get(check, "files");
    if (json_is_array(failures) && run->conn != NULL) {
        char *named = name_failures(run, failures, detail ? detail : "");

        json_object_set_new(check, "detail", json_string(named));
        verify_note_error(run, error_class, name, named);
        free(named);
    } else
        verify_note_error(run, error_class, name, detail ? detail : "");
    pgd_info("bootstrap's check %s %s: %s", name, status,
             json_string_value(json_object_get(check, "detail")));
}

void check_carried(verify_run *run)
{
    json_t *checks = json_object_get(run->report->root, "checks");
    json_t *check;
    size_t i;

    for (int rank = 0; rank <= 1; rank++) {
        json_array_foreach(checks, i, check)
        {
            const char *name = json_string_value(json_object_get(check, "name"));
            const char *by = json_string_value(json_object_get(check, "by"));

            if (name == NULL || json_string_value(json_object_get(check, "status")) == NULL ||
                pgd_error_class_from_name(json_string_value(json_object_get(check, "class"))) ==
                    PGD_ERR_NONE ||
                by == NULL || strcmp(by, "bootstrap") != 0 || carried_rank(name) != rank)
                continue;
            carry_check(run, check);
        }
    }
}
