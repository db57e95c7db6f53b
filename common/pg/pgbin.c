/*
 * pgbin.c - find the PostgreSQL programs of the right major version.
 */
#include "pgbin.h"

#include "fsutil.h"
#include "process.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION_TIMEOUT_MS 30000

static bool executable(const char *dir, const char *program)
{
    char *path = pgd_asprintf("%s/%s", dir, program);
    bool ok = access(path, X_OK) == 0;

    free(path);
    return ok;
}

int pgd_pg_parse_major(const char *version_output)
{
    const char *p = version_output ? strstr(version_output, "(PostgreSQL) ") : NULL;

    return p ? atoi(p + strlen("(PostgreSQL) ")) : -1;
}

int pgd_pg_program_major(const char *dir, const char *program)
{
    char *path = pgd_asprintf("%s/%s", dir, program);
    const char *argv[] = {path, "--version", NULL};
    pgd_proc_spec spec = {.argv = argv, .capture_stdout = true, .quiet = true};
    pgd_proc_result r;
    int major = -1;

    if (pgd_proc_run(&spec, VERSION_TIMEOUT_MS, &r))
        major = pgd_pg_parse_major(r.stdout_text);
    pgd_proc_result_free(&r);
    free(path);
    return major;
}

int pgd_pg_datadir_major(const char *datadir)
{
    char *path = pgd_asprintf("%s/PG_VERSION", datadir);
    char *errmsg = NULL;
    char *text = pgd_read_file(path, 64, &errmsg);
    int major = text ? atoi(text) : -1;

    free(errmsg);
    free(text);
    free(path);
    return major > 0 ? major : -1;
}

static char *pg_config_bindir(void)
{
    const char *argv[] = {"pg_config", "--bindir", NULL};
    pgd_proc_spec spec = {.argv = argv, .capture_stdout = true, .quiet = true};
    pgd_proc_result r;
    char *dir = NULL;

    if (pgd_proc_run(&spec, VERSION_TIMEOUT_MS, &r) && r.stdout_text != NULL) {
        size_t len = strcspn(r.stdout_text, "\n");

        if (len > 0)
            dir = pgd_strndup(r.stdout_text, len);
    }
    pgd_proc_result_free(&r);
    return dir;
}

static char *path_dir_of(const char *program)
{
    const char *path = getenv("PATH");
    char *copy;
    char *save = NULL;
    char *found = NULL;

    if (path == NULL)
        return NULL;
    copy = pgd_strdup(path);
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL;
         dir = strtok_r(NULL, ":", &save)) {
        if (dir[0] != '\0' && executable(dir, program))
            found = pgd_strdup(dir);
    }
    free(copy);
    return found;
}

/* Accept candidate when it has program of the wanted major; append the reason to tried otherwise.
 */
static bool acceptable(const char *candidate, const char *program, int major, pgd_buf *tried)
{
    int found;

    if (candidate == NULL)
        return false;
    if (!executable(candidate, program)) {
        pgd_buf_appendf(tried, "; %s/%s: not found or not executable", candidate, program);
        return false;
    }
    if (major <= 0)
        return true;
    found = pgd_pg_program_major(candidate, program);
    if (found != major) {
        pgd_buf_appendf(tried, "; %s/%s: major version %d, need %d", candidate, program, found,
                        major);
        return false;
    }
    return true;
}

char *pgd_pg_bindir(const char *configured_dir, const char *program, int major, char **errmsg)
{
    pgd_buf tried;
    char *candidate;

    pgd_buf_init(&tried);
    if (configured_dir != NULL && configured_dir[0] != '\0') {
        /* An explicit setting is never second-guessed by a search elsewhere. */
        if (acceptable(configured_dir, program, major, &tried)) {
            pgd_buf_free(&tried);
            return pgd_strdup(configured_dir);
        }
        *errmsg = pgd_asprintf("postgres.bin_dir does not fit%s", tried.data);
        pgd_buf_free(&tried);
        return NULL;
    }
    candidate = pg_config_bindir();
    if (acceptable(candidate, program, major, &tried)) {
        pgd_buf_free(&tried);
        return candidate;
    }
    free(candidate);
    if (major > 0) {
        candidate = pgd_asprintf("/usr/lib/postgresql/%d/bin", major);
        if (acceptable(candidate, program, major, &tried)) {
            pgd_buf_free(&tried);
            return candidate;
        }
        free(candidate);
    }
    candidate = path_dir_of(program);
    if (acceptable(candidate, program, major, &tried)) {
        pgd_buf_free(&tried);
        return candidate;
    }
    free(candidate);
    if (major > 0)
        *errmsg = pgd_asprintf("could not find %s of PostgreSQL %d (set postgres.bin_dir)%s",
                               program, major, tried.data);
    else
        *errmsg = pgd_asprintf("could not find %s (set postgres.bin_dir)%s", program, tried.data);
    pgd_buf_free(&tried);
    return NULL;
}
