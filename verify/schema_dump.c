/*
 * schema_dump.c - pg_dump -s of every database.
 */
#include "schema_dump.h"

#include "classify.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define ERROR_LINES_QUOTED 3

void schema_dump_line(schema_dump_facts *facts, const char *line)
{
    if (strstr(line, "error:") == NULL && strstr(line, "ERROR:") == NULL &&
        strstr(line, "FATAL:") == NULL)
        return;
    if (classify_child_stopped(line))
        facts->instance_stopped = true;
    if (facts->error_lines++ < ERROR_LINES_QUOTED) {
        if (facts->errors.data == NULL)
            pgd_buf_init(&facts->errors);
        if (facts->errors.len > 0)
            pgd_buf_append(&facts->errors, " | ");
        pgd_buf_append(&facts->errors, line);
    }
}

static void args(const pgd_config *cfg, const char *conninfo, long jobs, pgd_argv *argv)
{
    (void)cfg;
    (void)jobs; /* pg_dump uses one connection */
    pgd_argv_add(argv, "--schema-only");
    pgd_argv_add(argv, "--file=/dev/null");
    pgd_argv_add(argv, "--no-password");
    pgd_argv_addf(argv, "--dbname=%s", conninfo);
}

static void on_line(void *own, const char *dbname, pgd_proc_stream stream, const char *line)
{
    (void)stream;
    pgd_info("pg_dump %s: %s", dbname, line);
    schema_dump_line(own, line);
}

static void free_facts(void *own)
{
    schema_dump_facts *f = own;

    if (f->errors.data != NULL)
        pgd_buf_free(&f->errors);
}

static bool dumped(const check_db_facts *db)
{
    const schema_dump_facts *f = db->own;

    return db->ended && db->exit_code == 0 && f->error_lines == 0;
}

/* What went wrong in db: its error lines, or what the program's end says. */
static const char *errors_of(const check_db_facts *db)
{
    const schema_dump_facts *f = db->own;

    return f->errors.len > 0 ? f->errors.data : db->last_lines ? db->last_lines : "";
}

static void judge(const void *facts, check_result *out)
{
    const check_databases *all = facts;
    pgd_buf failed, stopped;

    pgd_buf_init(&failed);
    pgd_buf_init(&stopped);
    for (size_t i = 0; i < all->count; i++) {
        const check_db_facts *db = &all->db[i];
        const schema_dump_facts *f = db->own;

        if (dumped(db))
            continue;
        if (f->instance_stopped)
            pgd_buf_appendf(&stopped, "%sdatabase %s: %s", stopped.len > 0 ? "; " : "", db->dbname,
                            errors_of(db));
        else
            pgd_buf_appendf(&failed, "%sdatabase %s: pg_dump %s: %s", failed.len > 0 ? "; " : "",
                            db->dbname, db->outcome, errors_of(db));
    }
    if (failed.len > 0)
        check_result_set(out, CHECK_FAILED, PGD_ERR_SCHEMA_DUMP_FAILED, NULL, "%s", failed.data);
    else if (stopped.len > 0)
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                         "the restored instance's limits, not the backup: raise "
                         "max_locks_per_transaction or max_connections in patroni.yml",
                         "%s", stopped.data);
    else {
        pgd_buf_reset(&failed);
        for (size_t i = 0; i < all->count; i++)
            pgd_buf_appendf(&failed, "%s %s", i > 0 ? "," : "", all->db[i].dbname);
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "pg_dump -s of %zu database%s passed:%s", all->count,
                         all->count == 1 ? "" : "s", failed.data);
    }
    pgd_buf_free(&failed);
    pgd_buf_free(&stopped);
}

static const check_program pg_dump = {
    .name = "pg_dump",
    .verb = "dump",
    .facts_size = sizeof(schema_dump_facts),
    .args = args,
    .on_line = on_line,
    .free_facts = free_facts,
};

const check_def check_schema_dump = {
    .name = "schema_dump",
    .runs = CHECK_PER_DATABASE,
    .finding = PGD_ERR_SCHEMA_DUMP_FAILED,
    .program = &pg_dump,
    .judge = judge,
};
