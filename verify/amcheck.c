/*
 * amcheck.c - pg_amcheck of every verified database.
 */
#include "amcheck.h"

#include "classify.h"

#include <stdlib.h>
#include <string.h>

#define FINDINGS_QUOTED 3

/* pg_amcheck 15's headers (docs/design.md, F60): one per finding. */
static bool is_finding_header(const char *line)
{
    return strncmp(line, "heap table \"", 12) == 0 || strncmp(line, "btree index \"", 13) == 0;
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
            if (classify_child_stopped(message)) {
                if (findings->environment++ == 0)
                    findings->stopped = pgd_asprintf("%s: %s", header, message);
            } else if (findings->corrupt++ < FINDINGS_QUOTED)
                pgd_buf_appendf(&findings->summary, "%s%s: %s",
                                findings->summary.len > 0 ? "; " : "", header, message);
        }
        free(text);
        line = eol ? eol + 1 : NULL;
    }
    free(header);
}

static void args(const pgd_config *cfg, const char *conninfo, long jobs, pgd_argv *argv)
{
    pgd_argv_addf(argv, "--jobs=%ld", jobs);
    /* a check's error with its SQLSTATE (F60); the progress lines go to stderr */
    pgd_argv_add(argv, "--verbose");
    pgd_argv_add(argv, "--install-missing");
    pgd_argv_add(argv, "--no-password");
    if (strcmp(cfg->verify.amcheck, "heapallindexed") == 0)
        pgd_argv_add(argv, "--heapallindexed");
    pgd_argv_add(argv, conninfo); /* no secret in it: they travel in the environment */
}

static void on_exit_parse(void *own, const pgd_proc_result *result)
{
    amcheck_findings *f = own;

    pgd_buf_init(&f->summary);
    if (result->outcome == PGD_PROC_EXITED && (result->exit_code == 0 || result->exit_code == 2))
        amcheck_parse(result->stdout_text, f);
}

static void free_findings(void *own)
{
    amcheck_findings *f = own;

    if (f->summary.data != NULL)
        pgd_buf_free(&f->summary);
    free(f->stopped);
}

/* Did pg_amcheck run in db and say something it understood? */
static bool checked(const check_db_facts *db)
{
    const amcheck_findings *f = db->own;

    if (!db->ended || (db->exit_code != 0 && db->exit_code != 2))
        return false;
    /* exit 2 without a finding we understand: do not guess */
    return db->exit_code == 0 || f->corrupt > 0 || f->environment > 0;
}

static void judge(const void *facts, check_result *out)
{
    const check_databases *all = facts;
    pgd_buf corrupt, stopped;

    pgd_buf_init(&corrupt);
    pgd_buf_init(&stopped);
    for (size_t i = 0; i < all->count; i++) {
        const check_db_facts *db = &all->db[i];
        const amcheck_findings *f = db->own;

        if (!checked(db))
            pgd_buf_appendf(&stopped, "%spg_amcheck of database %s %s: %s", stopped.len ? "; " : "",
                            db->dbname, db->outcome, db->last_lines ? db->last_lines : "");
        else if (f->corrupt > 0)
            pgd_buf_appendf(&corrupt, "%sdatabase %s: %d finding%s: %s", corrupt.len ? "; " : "",
                            db->dbname, f->corrupt, f->corrupt == 1 ? "" : "s", f->summary.data);
        if (checked(db) && f->environment > 0)
            pgd_buf_appendf(&stopped, "%sdatabase %s: %d check%s could not run (%s)",
                            stopped.len ? "; " : "", db->dbname, f->environment,
                            f->environment == 1 ? "" : "s", f->stopped);
    }
    if (corrupt.len > 0)
        check_result_set(out, CHECK_FAILED, PGD_ERR_DATA_CORRUPTION, NULL, "%s", corrupt.data);
    else if (stopped.len > 0)
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                         "verify needs a superuser connection (Patroni's is) and an instance with "
                         "room for verify.jobs more connections",
                         "%s", stopped.data);
    else
        check_result_set(
            out, CHECK_PASSED, PGD_ERR_NONE, NULL,
            "pg_amcheck%s found no corruption in %zu database%s",
            strcmp(all->cfg->verify.amcheck, "heapallindexed") == 0 ? " --heapallindexed" : "",
            all->count, all->count == 1 ? "" : "s");
    pgd_buf_free(&corrupt);
    pgd_buf_free(&stopped);
}

static bool enabled(const pgd_config *cfg, const char **why)
{
    *why = "verify.amcheck is off";
    return strcmp(cfg->verify.amcheck, "off") != 0;
}

static const check_program pg_amcheck = {
    .name = "pg_amcheck",
    .verb = "check",
    .facts_size = sizeof(amcheck_findings),
    .args = args,
    /*
     * --install-missing creates the extension: a database read-only by default
     * (ALTER DATABASE ... SET default_transaction_read_only) must not stop it.
     */
    .pgoptions = "-c default_transaction_read_only=off",
    .on_exit = on_exit_parse,
    .free_facts = free_findings,
};

const check_def check_amcheck = {
    .name = "amcheck",
    .runs = CHECK_PER_DATABASE,
    .finding = PGD_ERR_DATA_CORRUPTION,
    .enabled = enabled,
    .program = &pg_amcheck,
    .judge = judge,
};
