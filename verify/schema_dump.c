/*
 * schema_dump.c - pg_dump -s of every database, several at once.
 */
#include "schema_dump.h"

#include "argv.h"
#include "childconn.h"
#include "clock.h"
#include "conninfo.h"
#include "log.h"
#include "pgbin.h"
#include "pq.h"
#include "process.h"
#include "secret.h"
#include "signals.h"
#include "xalloc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_LINES_QUOTED 3
#define JOB_POLL_MS        50 /* per running job, so output of all of them keeps flowing */

typedef struct dump_job {
    const char *dbname;
    pgd_proc proc;
    bool running;
    bool done;
    bool ok;
    bool environment_error; /* the drill instance, not the backup, stopped pg_dump */
    pgd_buf errors;         /* first error lines, " | " separated */
    int error_lines;
    char *outcome; /* "exited with status 1", ... */
} dump_job;

bool schema_dump_environment_error(const char *line)
{
    static const char *const texts[] = {
        "out of shared memory",   /* max_locks_per_transaction too low for the catalog */
        "too many clients",       /* max_connections */
        "connection to server",   /* could not connect at all */
        "the database system is", /* starting up / shutting down */
    };

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (strstr(line, texts[i]) != NULL)
            return true;
    }
    return false;
}

static void on_dump_line(void *arg, pgd_proc_stream stream, const char *line)
{
    dump_job *job = arg;

    (void)stream;
    pgd_info("pg_dump %s: %s", job->dbname, line);
    if (strstr(line, "error:") == NULL && strstr(line, "ERROR:") == NULL &&
        strstr(line, "FATAL:") == NULL)
        return;
    if (schema_dump_environment_error(line))
        job->environment_error = true;
    if (job->error_lines++ < ERROR_LINES_QUOTED) {
        if (job->errors.len > 0)
            pgd_buf_append(&job->errors, " | ");
        pgd_buf_append(&job->errors, line);
    }
}

static bool start_job(const pgd_child_conn *conn, dump_job *job, const char *pg_dump, char **errmsg)
{
    char *conninfo = pgd_child_conn_for_database(conn, job->dbname);
    pgd_argv argv;
    pgd_proc_spec spec = {.on_line = on_dump_line, .on_line_arg = job, .quiet = true};
    bool ok;

    /* No secret in conninfo: they reach pg_dump through conn->env (see childconn.h). */
    pgd_argv_init(&argv);
    pgd_argv_add(&argv, pg_dump);
    pgd_argv_add(&argv, "--schema-only");
    pgd_argv_add(&argv, "--file=/dev/null");
    pgd_argv_add(&argv, "--no-password");
    pgd_argv_addf(&argv, "--dbname=%s", conninfo);
    spec.argv = pgd_argv_get(&argv);
    spec.env = (const char *const *)conn->env;
    pgd_buf_init(&job->errors);
    ok = pgd_proc_start(&job->proc, &spec, errmsg);
    job->running = ok;
    pgd_argv_free(&argv);
    free(conninfo);
    return ok;
}

static void reap_job(dump_job *job)
{
    pgd_proc_result r;

    pgd_proc_finish(&job->proc, &r);
    job->running = false;
    job->done = true;
    job->ok = r.outcome == PGD_PROC_EXITED && r.exit_code == 0 && job->error_lines == 0;
    job->outcome = pgd_proc_describe(&r);
    if (!job->ok && job->errors.len == 0)
        pgd_buf_append(&job->errors, pgd_proc_error_lines(&r));
    pgd_proc_result_free(&r);
}

/* Run all jobs, at most `parallel` at a time. False when stopped by the deadline or a signal. */
static bool run_jobs(verify_run *run, const pgd_child_conn *conn, dump_job *jobs, size_t n,
                     long parallel, const char *pg_dump, char **errmsg)
{
    size_t next = 0, finished = 0;
    long running = 0;

    while (finished < n) {
        while (running < parallel && next < n) {
            if (!start_job(conn, &jobs[next], pg_dump, errmsg))
                return false;
            running++;
            next++;
        }
        for (size_t i = 0; i < n; i++) {
            if (jobs[i].running && pgd_proc_poll(&jobs[i].proc, JOB_POLL_MS)) {
                reap_job(&jobs[i]);
                running--;
                finished++;
            }
        }
        if (pgd_interrupted() != 0 || pgd_ms_until(run->deadline_ms) == 0) {
            *errmsg = pgd_interrupted() != 0
                          ? pgd_strdup("interrupted by a termination signal")
                          : pgd_asprintf("pg_dump did not finish within verify.timeout (%lds)",
                                         run->cfg->verify.timeout);
            return false;
        }
    }
    return true;
}

static void stop_jobs(dump_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].running) {
            pgd_proc_stop(&jobs[i].proc, SIGTERM, PGD_PROC_INTERRUPTED);
            reap_job(&jobs[i]);
        }
        if (jobs[i].errors.data != NULL)
            pgd_buf_free(&jobs[i].errors);
        free(jobs[i].outcome);
    }
}

static void record_results(verify_run *run, dump_job *jobs, size_t n, int64_t start)
{
    pgd_buf detail;
    size_t failed = 0, not_run = 0;

    pgd_buf_init(&detail);
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].ok && jobs[i].environment_error)
            not_run++;
        if (jobs[i].ok || jobs[i].environment_error)
            continue;
        pgd_buf_appendf(&detail, "%sdatabase %s: pg_dump %s: %s", failed > 0 ? "; " : "",
                        jobs[i].dbname, jobs[i].outcome, jobs[i].errors.data);
        failed++;
    }
    if (failed > 0)
        check_record(run, "schema_dump", CHECK_FAILED, start, PGD_ERR_SCHEMA_DUMP_FAILED,
                     detail.data);
    else if (not_run > 0) {
        for (size_t i = 0; i < n; i++) {
            if (jobs[i].environment_error)
                pgd_buf_appendf(&detail, "%sdatabase %s: %s", detail.len > 0 ? "; " : "",
                                jobs[i].dbname, jobs[i].errors.data);
        }
        pgd_buf_append(&detail, " (the restored instance's limits, not the backup: raise "
                                "max_locks_per_transaction or max_connections in patroni.yml)");
        check_record(run, "schema_dump", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, detail.data);
    } else {
        pgd_buf_appendf(&detail, "pg_dump -s of %zu database%s passed:", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
            pgd_buf_appendf(&detail, "%s %s", i > 0 ? "," : "", jobs[i].dbname);
        check_record(run, "schema_dump", CHECK_PASSED, start, PGD_ERR_NONE, detail.data);
    }
    pgd_buf_free(&detail);
}

void check_schema_dump(verify_run *run)
{
    int64_t start = pgd_monotonic_ms();
    char *errmsg = NULL;
    char *bindir;
    char *pg_dump;
    pgd_strlist databases;
    pgd_child_conn conn = {0};
    dump_job *jobs;

    bindir = pgd_pg_bindir(run->cfg->postgres.bin_dir, "pg_dump", run->server_major, &errmsg);
    if (bindir == NULL) {
        check_record(run, "schema_dump", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        free(errmsg);
        return;
    }
    if (!verify_databases(run, &databases, &errmsg)) {
        check_record(run, "schema_dump", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        free(errmsg);
        free(bindir);
        return;
    }
    if (databases.count == 0) {
        /* Zero dumps prove nothing: never a pass. */
        check_record(run, "schema_dump", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL,
                     "no database to dump: the restored instance has no database that accepts "
                     "connections (template databases are not dumped)");
        free(bindir);
        verify_free_databases(&databases);
        return;
    }
    pg_dump = pgd_asprintf("%s/pg_dump", bindir);
    jobs = pgd_calloc(databases.count, sizeof(*jobs));
    for (size_t i = 0; i < databases.count; i++)
        jobs[i].dbname = databases.items[i];

    if (!pgd_child_conn_prepare(run->conninfo, &conn, &errmsg))
        check_record(run, "schema_dump", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
    else if (run_jobs(run, &conn, jobs, databases.count, run->cfg->verify.jobs, pg_dump, &errmsg))
        record_results(run, jobs, databases.count, start);
    else
        check_record(run, "schema_dump", CHECK_NOT_RUN, start,
                     pgd_interrupted() != 0                ? PGD_ERR_INTERRUPTED
                     : pgd_ms_until(run->deadline_ms) == 0 ? PGD_ERR_TIMEOUT
                                                           : PGD_ERR_INTERNAL,
                     errmsg);
    stop_jobs(jobs, databases.count);
    pgd_child_conn_free(&conn);
    free(jobs);
    free(errmsg);
    free(pg_dump);
    free(bindir);
    verify_free_databases(&databases);
}
