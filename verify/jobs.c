/*
 * jobs.c - one program per database, or one statement per assertion,
 * verify.jobs at a time.
 */
#include "jobs.h"

#include "clock.h"
#include "log.h"
#include "pgbin.h"
#include "signals.h"
#include "xalloc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define JOB_POLL_MS 50 /* per running job, so that the output of all of them keeps flowing */

typedef struct job {
    check_db_facts *facts;
    const check_program *program;
    pgd_proc proc;
    bool running;
} job;

/* What the programs of one check share. */
typedef struct pool {
    verify_run *run;
    const check_program *program;
    char *path;          /* <bindir>/<program> */
    pgd_child_conn conn; /* the connection string without secrets, and their environment */
    pgd_argv env;        /* conn.env, PGOPTIONS, the C locale */
    bool env_ready;
    long each; /* connections per program */
} pool;

void jobs_share(long jobs, size_t databases, long *parallel, long *each)
{
    *parallel = jobs < 1 ? 1 : jobs;
    if ((size_t)*parallel > databases)
        *parallel = databases > 0 ? (long)databases : 1;
    *each = jobs / *parallel > 1 ? jobs / *parallel : 1;
}

static void on_job_line(void *arg, pgd_proc_stream stream, const char *line)
{
    job *j = arg;

    j->program->on_line(j->facts->own, j->facts->dbname, stream, line);
}

static bool start_job(pool *p, job *j, char **errmsg)
{
    char *conninfo = pgd_child_conn_for_database(&p->conn, j->facts->dbname);
    pgd_argv argv;
    pgd_proc_spec spec = {.quiet = true, .label = p->program->name};
    bool ok;

    /* No secret in conninfo: they reach the program through its environment (childconn.h). */
    pgd_argv_init(&argv);
    pgd_argv_add(&argv, p->path);
    p->program->args(p->run->cfg, conninfo, p->each, &argv);
    spec.argv = pgd_argv_get(&argv);
    spec.env = pgd_argv_get(&p->env);
    if (p->program->on_line != NULL) {
        spec.on_line = on_job_line;
        spec.on_line_arg = j;
    } else
        spec.capture_stdout = true;
    ok = pgd_proc_start(&j->proc, &spec, errmsg);
    j->running = ok;
    pgd_argv_free(&argv);
    free(conninfo);
    return ok;
}

/*
 * The lines of a program's last words that report an error (pg_amcheck
 * --verbose fills its stderr with progress), else all of them.
 */
char *jobs_error_lines(const char *tail)
{
    static const char *const marks[] = {"error:", "detail:", "ERROR:", "FATAL:"};
    pgd_buf out;

    pgd_buf_init(&out);
    for (const char *line = tail; line != NULL && *line != '\0';) {
        size_t len = strcspn(line, "\n");

        for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
            const char *at = strstr(line, marks[i]);

            if (at != NULL && at < line + len) {
                pgd_buf_appendf(&out, "%s%.*s", out.len > 0 ? "\n" : "", (int)len, line);
                break;
            }
        }
        line = line[len] != '\0' ? line + len + 1 : NULL;
    }
    if (out.len == 0)
        pgd_buf_append(&out, tail);
    return pgd_buf_steal(&out);
}

static void reap_job(job *j)
{
    pgd_proc_result r;

    pgd_proc_finish(&j->proc, &r);
    j->running = false;
    j->facts->ended = r.outcome == PGD_PROC_EXITED;
    j->facts->exit_code = r.exit_code;
    j->facts->outcome = pgd_proc_describe(&r);
    j->facts->last_lines = jobs_error_lines(pgd_proc_error_lines(&r));
    if (j->program->on_exit != NULL)
        j->program->on_exit(j->facts->own, &r);
    pgd_proc_result_free(&r);
}

/* Run every job, `parallel` at a time. False with *errmsg when stopped before all ended. */
static bool run_jobs(pool *p, job *jobs, size_t n, long parallel, char **errmsg)
{
    size_t next = 0, finished = 0;
    long running = 0;

    while (finished < n) {
        while (running < parallel && next < n) {
            if (!start_job(p, &jobs[next], errmsg))
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
        if (pgd_interrupted() != 0 || pgd_ms_until(p->run->deadline_ms) == 0) {
            *errmsg = pgd_interrupted() != 0
                          ? pgd_strdup("interrupted by a termination signal")
                          : pgd_asprintf("%s did not finish within verify.timeout (%lds)",
                                         p->program->name, p->run->cfg->verify.timeout);
            return false;
        }
    }
    return true;
}

/* Stop what still runs and free the facts. */
static void stop_jobs(job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].running) {
            pgd_proc_stop(&jobs[i].proc, SIGTERM, PGD_PROC_INTERRUPTED);
            reap_job(&jobs[i]);
        }
    }
}

static void free_facts(const check_program *program, check_databases *facts)
{
    for (size_t i = 0; i < facts->count; i++) {
        if (program->free_facts != NULL)
            program->free_facts(facts->db[i].own);
        free(facts->db[i].own);
        free(facts->db[i].outcome);
        free(facts->db[i].last_lines);
    }
    free(facts->db);
}

/* The programs' environment: the connection's secrets, PGOPTIONS, the C locale (F60). */
static void prepare_env(pool *p)
{
    const char *inherited = getenv("PGOPTIONS");
    const char *superuser = PQparameterStatus(p->run->conn, "is_superuser");
    pgd_buf options;

    pgd_argv_init(&p->env);
    for (size_t i = 0; p->conn.env[i] != NULL; i++)
        pgd_argv_add(&p->env, p->conn.env[i]);
    pgd_buf_init(&options);
    pgd_buf_append(&options, inherited ? inherited : "");
    /* lc_messages may be set by a superuser only: anyone else would not get in */
    if (superuser != NULL && strcmp(superuser, "on") == 0)
        pgd_buf_appendf(&options, "%s-c lc_messages=C", options.len > 0 ? " " : "");
    if (p->program->pgoptions != NULL)
        pgd_buf_appendf(&options, "%s%s", options.len > 0 ? " " : "", p->program->pgoptions);
    pgd_argv_addf(&p->env, "PGOPTIONS=%s", options.data);
    pgd_argv_add(&p->env, "LC_ALL=C");
    pgd_argv_add(&p->env, "LANGUAGE=C");
    pgd_buf_free(&options);
    p->env_ready = true;
}

/* Set up the pool: false with *errmsg (no program, no safe connection string). */
static bool open_pool(pool *p, verify_run *run, const check_program *program, char **errmsg)
{
    char *bindir =
        pgd_pg_bindir(run->cfg->postgres.bin_dir, program->name, run->server_major, errmsg);

    memset(p, 0, sizeof(*p));
    p->run = run;
    p->program = program;
    if (bindir == NULL)
        return false;
    p->path = pgd_asprintf("%s/%s", bindir, program->name);
    free(bindir);
    if (!pgd_child_conn_prepare(run->conninfo, &p->conn, errmsg))
        return false;
    prepare_env(p);
    return true;
}

static void close_pool(pool *p)
{
    if (p->env_ready)
        pgd_argv_free(&p->env);
    pgd_child_conn_free(&p->conn);
    free(p->path);
}

/* Gather in every database; false with *errmsg when the facts are not whole. */
static bool gather(verify_run *run, const check_def *def, const pgd_strlist *databases,
                   check_databases *facts, char **errmsg)
{
    pool p;
    job *jobs = pgd_calloc(databases->count, sizeof(job));
    long parallel;
    bool ok = false;

    facts->count = databases->count;
    facts->db = pgd_calloc(databases->count, sizeof(check_db_facts));
    facts->cfg = run->cfg;
    for (size_t i = 0; i < databases->count; i++) {
        facts->db[i].dbname = databases->items[i];
        facts->db[i].own = pgd_calloc(1, def->program->facts_size ? def->program->facts_size : 1);
        jobs[i].facts = &facts->db[i];
        jobs[i].program = def->program;
    }
    if (open_pool(&p, run, def->program, errmsg)) {
        jobs_share(run->cfg->verify.jobs, databases->count, &parallel, &p.each);
        ok = run_jobs(&p, jobs, databases->count, parallel, errmsg);
        stop_jobs(jobs, databases->count);
    }
    close_pool(&p);
    free(jobs);
    return ok;
}

void jobs_no_database(const check_def *def, check_result *out)
{
    check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                     "let a database of the restored instance accept connections, or name "
                     "the ones to check in verify.databases",
                     "no database to %s: the restored instance has no database that accepts "
                     "connections (template databases are not checked)",
                     def->program->verb);
}

void jobs_run_program(verify_run *run, const check_def *def)
{
    int64_t start = pgd_monotonic_ms();
    check_databases facts = {0};
    check_result result = {0};
    char *errmsg = NULL;
    const pgd_strlist *databases = verify_databases(run, &errmsg);
    bool gathered =
        databases != NULL && databases->count > 0 && gather(run, def, databases, &facts, &errmsg);

    if (gathered)
        def->judge(&facts, &result);
    else if (databases != NULL && databases->count == 0)
        jobs_no_database(def, &result);
    else
        check_result_set(&result, CHECK_NOT_RUN, verify_stop_class(run), NULL, "%s", errmsg);
    check_record(run, def->name, &result, start);
    check_result_free(&result);
    free_facts(def->program, &facts);
    free(errmsg);
}

void jobs_order_init(jobs_order *o, size_t n, long jobs)
{
    memset(o, 0, sizeof(*o));
    o->n = n;
    o->parallel = jobs < 1 ? 1 : jobs;
    if (n > 0 && (size_t)o->parallel > n)
        o->parallel = (long)n;
    o->ended = pgd_calloc(n > 0 ? n : 1, sizeof(bool));
}

bool jobs_order_start(jobs_order *o, size_t *item)
{
    if (o->running >= o->parallel || o->started >= o->n)
        return false;
    o->running++;
    *item = o->started++;
    return true;
}

void jobs_order_ended(jobs_order *o, size_t item)
{
    if (item < o->started && !o->ended[item]) {
        o->ended[item] = true;
        o->running--;
    }
}

bool jobs_order_record(jobs_order *o, size_t *item)
{
    if (o->recorded >= o->n || !o->ended[o->recorded])
        return false;
    *item = o->recorded++;
    return true;
}

bool jobs_order_finished(const jobs_order *o)
{
    return o->recorded >= o->n;
}

void jobs_order_free(jobs_order *o)
{
    free(o->ended);
    memset(o, 0, sizeof(*o));
}

/* One item of jobs_run_queries. */
typedef struct query_item {
    PGconn *conn; /* the pool's, from open until the statement ended */
    pgd_pq_query query;
    bool running;
    int64_t start_ms, end_ms;
} query_item;

/* Item i's statement ended: tell the check, close its connection. */
static void end_query(verify_run *run, const check_queries *q, size_t i, query_item *it,
                      jobs_order *o)
{
    PGresult *res = NULL;
    char *errmsg = NULL;
    pgd_pq_end end = pgd_pq_result(&it->query, &res, &errmsg);

    q->ended(run, q->arg, i, it->conn, end, res, errmsg);
    PQclear(res);
    free(errmsg);
    /* Closing the session rolls back whatever transaction it was in. */
    PQfinish(it->conn);
    it->conn = NULL;
    it->running = false;
    it->end_ms = pgd_monotonic_ms();
    jobs_order_ended(o, i);
}

/* Start item i: its connection and its statement, or its end when it has none. */
static void start_query(verify_run *run, const check_queries *q, size_t i, query_item *it,
                        jobs_order *o)
{
    const char *sql = NULL;
    int64_t wait_ms = 0;

    it->start_ms = pgd_monotonic_ms();
    if (!q->open(run, q->arg, i, &it->conn, &sql, &wait_ms)) {
        if (it->conn != NULL)
            PQfinish(it->conn);
        it->conn = NULL;
        it->end_ms = pgd_monotonic_ms();
        jobs_order_ended(o, i);
        return;
    }
    it->running = true;
    if (!pgd_pq_send(&it->query, it->conn, sql, 0, NULL, wait_ms, 0))
        end_query(run, q, i, it, o);
}

void jobs_run_queries(verify_run *run, const check_queries *q)
{
    query_item *items = pgd_calloc(q->count > 0 ? q->count : 1, sizeof(query_item));
    pgd_pq_query **waiting = pgd_calloc(q->count > 0 ? q->count : 1, sizeof(pgd_pq_query *));
    jobs_order o;
    size_t i;

    jobs_order_init(&o, q->count, run->cfg->verify.jobs);
    for (;;) {
        while (jobs_order_start(&o, &i))
            start_query(run, q, i, &items[i], &o);
        while (jobs_order_record(&o, &i))
            q->record(run, q->arg, i, items[i].start_ms, items[i].end_ms);
        if (jobs_order_finished(&o))
            break;
        for (size_t j = 0; j < q->count; j++)
            waiting[j] = items[j].running ? &items[j].query : NULL;
        (void)pgd_pq_wait(waiting, q->count, JOB_POLL_MS);
        for (size_t j = 0; j < q->count; j++) {
            if (items[j].running && pgd_pq_advance(&items[j].query))
                end_query(run, q, j, &items[j], &o);
        }
    }
    jobs_order_free(&o);
    free(waiting);
    free(items);
}
