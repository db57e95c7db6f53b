/*
 * checks.h - the checks of a restored instance: one table, one runner.
 *
 * A check is one entry of verify_checks[] (checks.c): its name in the
 * report, how often it runs (check_runs), what it gathers (I/O, in the
 * check's own file) and a pure judge from the gathered facts to a
 * check_result {status, class, detail, hint}, as pgd_marker_facts and
 * pgd_marker_judge do for the marker table. The runner (runner.c) owns
 * everything around them: the connection to the instance and one per
 * database (check_session: borrowed, never closed by a check), the list of
 * databases, verify.jobs child programs or assertions at a time (jobs.h),
 * the verify.timeout deadline, what a failure to gather means (not_run,
 * never a finding), and the rule that zero databases is never a pass. The
 * report's list of checks, the README's and the tests' follow from the
 * table.
 */
#ifndef PGDRILL_VERIFY_CHECKS_H
#define PGDRILL_VERIFY_CHECKS_H

#include "argv.h"
#include "childconn.h"
#include "config.h"
#include "process.h"
#include "report.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* A check's status in the report (README, "The report"). */
typedef enum check_status {
    CHECK_PASSED,
    CHECK_FAILED,  /* a finding: the backup is not proven restorable */
    CHECK_NOT_RUN, /* could not be carried out, with why: the drill is inconclusive */
    CHECK_SKIPPED, /* turned off by the configuration (no class) */
} check_status;

/* "passed", "failed", "not_run", "skipped" */
const char *check_status_name(check_status status);

/* What a judge decides: the check's entry in the report. */
typedef struct check_result {
    check_status status;
    pgd_error_class error_class; /* PGD_ERR_NONE when passed or skipped */
    char *detail;                /* what happened */
    char *hint;                  /* what to do; set whenever there is a class */
} check_result;

/*
 * Fill r (detail from fmt). A failed or not_run result gets hint, or the
 * class's advice (verdict.c) when hint is NULL: every finding says what to do.
 */
void check_result_set(check_result *r, check_status status, pgd_error_class error_class,
                      const char *hint, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void check_result_free(check_result *r);

/* A connection to one database of the restored instance, owned by the runner. */
typedef struct check_session {
    char *dbname;
    PGconn *conn;
} check_session;

typedef struct verify_run {
    const pgd_config *cfg;
    pgd_report *report;
    const char *conninfo; /* as given by Patroni (or by hand); may be "" */
    PGconn *conn;         /* the runner's, to the database of conninfo; NULL: unreachable */
    int server_major;
    int64_t deadline_ms; /* verify.timeout */

    /* owned by the runner (runner.c) */
    check_session *sessions;
    size_t nsessions;
    pgd_strlist databases; /* verify.databases, or every one that accepts connections */
    bool databases_listed;
    char *databases_error;

    /* the first finding or failure to run, for error.class / .message / .hint */
    pgd_error_class error_class;
    char *error_message;
    char *error_hint;
} verify_run;

/* How often a check runs. */
typedef enum check_runs {
    CHECK_BY_BOOTSTRAP,  /* bootstrap recorded it in the report; verify judges that entry */
    CHECK_ONCE,          /* once, against the instance */
    CHECK_PER_DATABASE,  /* a program in every database to check, verify.jobs at a time */
    CHECK_PER_ASSERTION, /* one check "<check>:<name>" per entry of its list (verify.assertions,
                            verify.compare), verify.jobs at a time */
} check_runs;

/* What the runner gathered in one database for a CHECK_PER_DATABASE check. */
typedef struct check_db_facts {
    const char *dbname;
    bool ended;       /* the program ran and exited (exit_code valid) */
    int exit_code;    /* of an ended program */
    char *outcome;    /* "exited with status 1", "was killed by signal 9", ... */
    char *last_lines; /* its last error lines, when it wrote no line its check understood */
    void *own;        /* the check's facts of this database (check_program.facts_size) */
} check_db_facts;

/* The facts of a CHECK_PER_DATABASE check: every database it ran in. */
typedef struct check_databases {
    size_t count;
    check_db_facts *db;
    const pgd_config *cfg;
} check_databases;

/* The program a CHECK_PER_DATABASE check runs in each database. */
typedef struct check_program {
    const char *name;  /* "pg_dump": found next to the server's major version (pgbin.h) */
    const char *verb;  /* "dump": "no database to dump" */
    size_t facts_size; /* its facts of one database (check_db_facts.own), zeroed */
    /* Its arguments after the program name; conninfo names the database, jobs its share. */
    void (*args)(const pgd_config *cfg, const char *conninfo, long jobs, pgd_argv *argv);
    const char *pgoptions; /* added to PGOPTIONS, or NULL */
    /* Each line it prints; stdout is captured whole when on_line is NULL. */
    void (*on_line)(void *own, const char *dbname, pgd_proc_stream stream, const char *line);
    void (*on_exit)(void *own, const pgd_proc_result *result); /* NULL: nothing to read */
    void (*free_facts)(void *own);                             /* NULL: nothing to free */
} check_program;

typedef struct check_def {
    const char *name; /* in the report; "assertion" stands for "assertion:<name>" */
    check_runs runs;
    pgd_error_class finding; /* the class of its finding */
    bool offline;            /* gathers from the report alone: runs without the instance */
    /*
     * false: the check has no entry in the report (rto without report.rto_target, marker and
     * fence for a past target)
     */
    bool (*applies)(const pgd_config *cfg, const pgd_report *report);
    /* false: turned off (status skipped); *why says by which key */
    bool (*enabled)(const pgd_config *cfg, const char **why);
    /* CHECK_ONCE: a query whose first row is the facts (check_row), gathered by the runner */
    const char *sql;
    size_t facts_size; /* CHECK_ONCE without sql: its facts, zeroed before gather */
    /* CHECK_ONCE: the I/O; false with *errmsg when the facts could not be had (not_run) */
    bool (*gather)(verify_run *run, void *facts, char **errmsg);
    const check_program *program; /* CHECK_PER_DATABASE */
    /* CHECK_PER_ASSERTION: gather and judge each entry of its list */
    void (*run_each)(verify_run *run, const struct check_def *def);
    /* CHECK_PER_ASSERTION: the list (verify.assertions, verify.compare) */
    const pgd_assertions *(*items)(const pgd_config *cfg);
    /* pure: the facts (CHECK_BY_BOOTSTRAP: the report's entry as json_t) to a result */
    void (*judge)(const void *facts, check_result *out);
    void (*free_facts)(void *facts); /* NULL: nothing to free */
} check_def;

/* The facts of a CHECK_ONCE check with sql: the first row the query returned. */
typedef struct check_row {
    int count;
    const char *const *values; /* as text; NULL for SQL NULL */
    const pgd_config *cfg;
    const pgd_report *report;
} check_row;

/* The facts of the marker and fence checks (checks.c). */
typedef struct marker_facts {
    const char *test_id;
    const char *schema, *table; /* marker.schema, marker.table */
    char *dbname;               /* the database looked in */
    int rows;                   /* of this test id and kind */
    bool table_missing;
    const char *target_time; /* the report's */
} marker_facts;

/* The facts of the rto check (checks.c). */
typedef struct rto_facts {
    bool timed; /* the report has the restore's and the recovery's time */
    double restore, recovery;
    long target; /* report.rto_target */
} rto_facts;

/*
 * The session in the database the marker lives in (the one bootstrap wrote it
 * to, for a scheduler's marker the database of source.dsn, else the
 * runner's), borrowed like check_session_get's; *dbname gets its name
 * (caller frees). NULL with *errmsg.
 */
PGconn *verify_marker_session(verify_run *run, char **dbname, char **errmsg);

/* The table (checks.c), in the order the checks run and the report lists them. */
extern const check_def *const verify_checks[];
extern const size_t verify_check_count;

/* The entry of name ("assertion:x" finds "assertion"), or NULL. */
const check_def *verify_check_find(const char *name);

/* Run every check of the table (runner.c); the connection is made here. */
void verify_run_checks(verify_run *run);

/* Free what the runner holds (sessions, the database list) and the run's error. */
void verify_run_free(verify_run *run);

/*
 * Record a check's result in the report (with its class and hint when it did
 * not pass) and, for failed and not_run, in the run's error (verdict.h: the
 * first one wins, a finding outranks a failure to run).
 */
void check_record(verify_run *run, const char *name, const check_result *result, int64_t start_ms);

/* check_record of a check that ended at end_ms (recorded later, in table order: jobs.h). */
void check_record_ended(verify_run *run, const char *name, const check_result *result,
                        int64_t start_ms, int64_t end_ms);

/* How long a check's query may take: 60 s, less when verify.timeout is closer. */
int64_t verify_query_timeout(const verify_run *run);

/*
 * Why a check stopped without its facts: interrupted after a termination
 * signal, timeout once verify.timeout has run out, else internal.
 */
pgd_error_class verify_stop_class(const verify_run *run);

/*
 * A session in dbname (NULL: the database of the connection string) as
 * verify's own user, made once and closed by the runner: the caller never
 * PQfinishes it. NULL with *errmsg.
 */
PGconn *check_session_get(verify_run *run, const char *dbname, char **errmsg);

/* The databases to check; NULL with *errmsg when they cannot be listed. */
const pgd_strlist *verify_databases(verify_run *run, char **errmsg);

#endif
