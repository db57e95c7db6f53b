/*
 * amcheck.c - pg_amcheck of every verified database.
 */
#include "amcheck.h"

#include "argv.h"
#include "childconn.h"
#include "clock.h"
#include "log.h"
#include "pgbin.h"
#include "process.h"
#include "signals.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define FINDINGS_QUOTED 3

/* pg_amcheck 15's headers (src/bin/pg_amcheck/pg_amcheck.c): one per finding. */
static bool is_finding_header(const char *line)
{
    return strncmp(line, "heap table \"", 12) == 0 || strncmp(line, "btree index \"", 13) == 0;
}

/* A check's SQL error that says the instance, not the data, is the problem. */
static bool is_environment_message(const char *line)
{
    static const char *const texts[] = {"permission denied", "out of shared memory",
                                        "too many clients", "canceling statement"};

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (strstr(line, texts[i]) != NULL)
            return true;
    }
    return false;
}

void amcheck_parse(const char *output, amcheck_findings *findings)
{
    char *header = NULL;
    bool first_message = false;

    for (const char *line = output; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        char *text = pgd_strndup(line, eol ? (size_t)(eol - line) : strlen(line));

        if (is_finding_header(text)) {
            free(header);
            header = pgd_strndup(text, strlen(text) - (text[strlen(text) - 1] == ':'));
            first_message = true;
        } else if (header != NULL && (text[0] == ' ' || text[0] == '\t') && first_message) {
            const char *message = text + strspn(text, " \t");

            first_message = false;
            if (is_environment_message(message))
                findings->environment++;
            else if (findings->corrupt++ < FINDINGS_QUOTED)
                pgd_buf_appendf(&findings->summary, "%s%s: %s",
                                findings->summary.len > 0 ? "; " : "", header, message);
        }
        free(text);
        line = eol ? eol + 1 : NULL;
    }
    free(header);
}

/* pg_amcheck of one database: true when it ran (findings filled), false with *errmsg. */
static bool amcheck_database(verify_run *run, const pgd_child_conn *conn, const char *program,
                             const char *dbname, amcheck_findings *findings, char **errmsg)
{
    char *conninfo = pgd_child_conn_for_database(conn, dbname);
    pgd_argv argv, env;
    pgd_proc_spec spec = {.capture_stdout = true, .quiet = true, .label = "pg_amcheck"};
    pgd_proc_result r;
    int64_t left = pgd_ms_until(run->deadline_ms);
    bool ran;

    pgd_argv_init(&argv);
    pgd_argv_add(&argv, program);
    pgd_argv_addf(&argv, "--jobs=%ld", run->cfg->verify.jobs);
    pgd_argv_add(&argv, "--install-missing");
    pgd_argv_add(&argv, "--no-password");
    if (strcmp(run->cfg->verify.amcheck, "heapallindexed") == 0)
        pgd_argv_add(&argv, "--heapallindexed");
    pgd_argv_add(&argv, conninfo); /* no secret in it: they travel in conn->env */
    spec.argv = pgd_argv_get(&argv);
    pgd_argv_init(&env);
    for (size_t i = 0; conn->env[i] != NULL; i++)
        pgd_argv_add(&env, conn->env[i]);
    /*
     * --install-missing creates the extension: a database read-only by default
     * (ALTER DATABASE ... SET default_transaction_read_only) must not stop it. Options
     * in PGOPTIONS (Patroni sets some for post_bootstrap) are kept.
     */
    pgd_argv_addf(&env, "PGOPTIONS=%s%s-c default_transaction_read_only=off",
                  getenv("PGOPTIONS") ? getenv("PGOPTIONS") : "", getenv("PGOPTIONS") ? " " : "");
    spec.env = pgd_argv_get(&env);
    pgd_proc_run(&spec, left > 0 ? left : 1, &r);
    pgd_argv_free(&env);
    ran = r.outcome == PGD_PROC_EXITED && (r.exit_code == 0 || r.exit_code == 2);
    if (ran)
        amcheck_parse(r.stdout_text, findings);
    if (ran && r.exit_code == 2 && findings->corrupt == 0 && findings->environment == 0)
        ran = false; /* exit 2 without a finding we understand: do not guess */
    if (!ran) {
        char *what = pgd_proc_describe(&r);

        *errmsg = pgd_asprintf("pg_amcheck of database %s %s: %s", dbname, what,
                               pgd_proc_error_lines(&r));
        free(what);
    }
    pgd_proc_result_free(&r);
    pgd_argv_free(&argv);
    free(conninfo);
    return ran;
}

void check_amcheck(verify_run *run)
{
    int64_t start = pgd_monotonic_ms();
    char *errmsg = NULL;
    char *bindir = NULL;
    char *program = NULL;
    pgd_strlist databases = {0};
    pgd_child_conn conn = {0};
    pgd_buf corrupt, environment;
    size_t checked = 0;

    if (strcmp(run->cfg->verify.amcheck, "off") == 0) {
        pgd_report_set_check(run->report, "amcheck", "skipped", 0, "verify.amcheck is off");
        return;
    }
    pgd_buf_init(&corrupt);
    pgd_buf_init(&environment);
    bindir = pgd_pg_bindir(run->cfg->postgres.bin_dir, "pg_amcheck", run->server_major, &errmsg);
    if (bindir == NULL || !verify_databases(run, &databases, &errmsg) ||
        !pgd_child_conn_prepare(run->conninfo, &conn, &errmsg)) {
        check_record(run, "amcheck", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL, errmsg);
        goto out;
    }
    if (databases.count == 0) {
        check_record(run, "amcheck", CHECK_NOT_RUN, start, PGD_ERR_INTERNAL,
                     "no database to check: the restored instance has no database that accepts "
                     "connections");
        goto out;
    }
    program = pgd_asprintf("%s/pg_amcheck", bindir);
    for (size_t i = 0; i < databases.count && errmsg == NULL; i++) {
        amcheck_findings f = {0};

        pgd_buf_init(&f.summary);
        if (amcheck_database(run, &conn, program, databases.items[i], &f, &errmsg)) {
            checked++;
            if (f.corrupt > 0)
                pgd_buf_appendf(&corrupt, "%sdatabase %s: %d finding%s: %s",
                                corrupt.len ? "; " : "", databases.items[i], f.corrupt,
                                f.corrupt == 1 ? "" : "s", f.summary.data);
            if (f.environment > 0)
                pgd_buf_appendf(&environment, "%sdatabase %s: %d check%s could not run",
                                environment.len ? "; " : "", databases.items[i], f.environment,
                                f.environment == 1 ? "" : "s");
        }
        pgd_buf_free(&f.summary);
    }
    if (corrupt.len > 0)
        check_record(run, "amcheck", CHECK_FAILED, start, PGD_ERR_DATA_CORRUPTION, corrupt.data);
    else if (errmsg != NULL || environment.len > 0)
        check_record(run, "amcheck", CHECK_NOT_RUN, start,
                     pgd_interrupted() != 0 ? PGD_ERR_INTERRUPTED : PGD_ERR_INTERNAL,
                     errmsg != NULL ? errmsg : environment.data);
    else {
        char *detail = pgd_asprintf(
            "pg_amcheck%s found no corruption in %zu database%s",
            strcmp(run->cfg->verify.amcheck, "heapallindexed") == 0 ? " --heapallindexed" : "",
            checked, checked == 1 ? "" : "s");

        check_record(run, "amcheck", CHECK_PASSED, start, PGD_ERR_NONE, detail);
        free(detail);
    }
out:
    pgd_child_conn_free(&conn);
    verify_free_databases(&databases);
    pgd_buf_free(&corrupt);
    pgd_buf_free(&environment);
    free(program);
    free(bindir);
    free(errmsg);
}
