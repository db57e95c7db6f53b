/*
 * checksums.c - pg_checksums --check of the restored cluster.
 */
#include "checksums.h"

#include "clock.h"
#include "log.h"
#include "process.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pg_checksums 15: one line per bad block on stderr (src/bin/pg_checksums/pg_checksums.c). */
#define BAD_BLOCK_TEXT "checksum verification failed in file \""
#define DETAIL_FILES   5 /* bad blocks named in the detail; all are in "failures" */

/* A check bootstrap recorded: verify judges it with its own (verify/carried.c). */
static json_t *mark(json_t *check)
{
    json_object_set_new(check, "by", json_string("bootstrap"));
    return check;
}

json_t *checksums_parse_failures(const char *stderr_text, const char *datadir)
{
    json_t *failures = json_array();
    size_t prefix = strlen(datadir);

    for (const char *line = stderr_text; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        const char *at = strstr(line, BAD_BLOCK_TEXT);

        if (at != NULL && (eol == NULL || at < eol)) {
            const char *file = at + strlen(BAD_BLOCK_TEXT);
            const char *quote = strchr(file, '"');
            long block = -1;

            if (quote != NULL && sscanf(quote, "\", block %ld:", &block) == 1) {
                char *path = pgd_strndup(file, (size_t)(quote - file));
                const char *relative = path;

                if (strncmp(path, datadir, prefix) == 0 && path[prefix] == '/')
                    relative = path + prefix + 1;
                json_array_append_new(
                    failures, json_pack("{s:s,s:I}", "file", relative, "block", (json_int_t)block));
                free(path);
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return failures;
}

/* "Bad checksums:  N" of pg_checksums' summary, or -1. */
static long total_bad_blocks(const char *stdout_text)
{
    const char *p = stdout_text ? strstr(stdout_text, "Bad checksums:") : NULL;

    return p ? atol(p + strlen("Bad checksums:")) : -1;
}

static char *describe_failures(json_t *failures, long total)
{
    pgd_buf out;
    json_t *f;
    size_t i;

    pgd_buf_init(&out);
    if (total < (long)json_array_size(failures))
        total = (long)json_array_size(failures);
    pgd_buf_appendf(&out, "%ld bad block%s:", total, total == 1 ? "" : "s");
    json_array_foreach(failures, i, f)
    {
        if (i == DETAIL_FILES) {
            pgd_buf_appendf(&out, " and %ld more", total - (long)i);
            break;
        }
        pgd_buf_appendf(&out, "%s file %s block %lld", i > 0 ? "," : "",
                        json_string_value(json_object_get(f, "file")),
                        (long long)json_integer_value(json_object_get(f, "block")));
    }
    return pgd_buf_steal(&out);
}

bool checksums_check(drill *d, const char *bindir, const controldata *after)
{
    int64_t start = pgd_monotonic_ms();
    char *program;
    const char *argv[] = {NULL, "--check", "-D", d->datadir, NULL};
    const char *env[] = {"LC_ALL=C", "LANG=C", "LANGUAGE=C", NULL};
    pgd_proc_spec spec = {.env = env, .capture_stdout = true, .quiet = true};
    pgd_proc_result r;
    json_t *failures;

    if (!d->cfg->verify.checksums) {
        mark(pgd_report_set_check(d->report, "checksums", "skipped", 0, "verify.checksums is off"));
        return true;
    }
    if (after->checksum_version == 0) {
        mark(pgd_report_set_check(d->report, "checksums", "skipped", 0,
                                  "data checksums are not enabled in this cluster (README: "
                                  "enabling them)"));
        return true;
    }
    pgd_info("checking the data page checksums of the restored cluster (pg_checksums)");
    program = pgd_asprintf("%s/pg_checksums", bindir);
    argv[0] = program;
    spec.argv = argv;
    pgd_proc_run(&spec, pgd_ms_until(d->deadline_ms) > 0 ? pgd_ms_until(d->deadline_ms) : 1, &r);
    free(program);
    failures = checksums_parse_failures(r.stderr_tail, d->datadir);
    if (json_array_size(failures) > 0) {
        char *detail = describe_failures(failures, total_bad_blocks(r.stdout_text));
        json_t *check = mark(pgd_report_set_check_class(
            d->report, "checksums", "failed", (double)(pgd_monotonic_ms() - start) / 1000.0, detail,
            PGD_ERR_CHECKSUM_FAILURE));

        json_object_set(check, "failures", failures);
        pgd_error("check checksums failed (checksum_failure): %s", detail);
        free(detail);
    } else if (r.outcome == PGD_PROC_EXITED && r.exit_code == 0)
        mark(pgd_report_set_check(d->report, "checksums", "passed",
                                  (double)(pgd_monotonic_ms() - start) / 1000.0,
                                  "pg_checksums --check found no bad page"));
    else {
        char *what = pgd_proc_describe(&r);
        char *detail = pgd_asprintf("pg_checksums %s: %s", what, pgd_proc_error_lines(&r));

        mark(pgd_report_set_check_class(
            d->report, "checksums", "skipped", (double)(pgd_monotonic_ms() - start) / 1000.0,
            detail, drill_interrupted(d) ? PGD_ERR_INTERRUPTED : PGD_ERR_INTERNAL));
        pgd_warn("check checksums could not run: %s", detail);
        free(detail);
        free(what);
    }
    json_decref(failures);
    pgd_proc_result_free(&r);
    return true;
}
