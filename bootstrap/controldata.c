/*
 * controldata.c - run and parse pg_controldata.
 */
#include "controldata.h"

#include "process.h"
#include "wal.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CONTROLDATA_TIMEOUT_MS 60000

/* The value after "<label>:" on its line, without the padding; NULL when absent. */
static char *field(const char *text, const char *label)
{
    size_t label_len = strlen(label);

    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);

        if (len > label_len && strncmp(line, label, label_len) == 0 && line[label_len] == ':') {
            const char *v = line + label_len + 1;

            while (*v == ' ' || *v == '\t')
                v++;
            return pgd_strndup(v, len - (size_t)(v - line));
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* A non-negative decimal number that fits a long: pg_controldata prints nothing else. */
static bool number_field(const char *text, const char *label, long *out, char **errmsg)
{
    char *value = field(text, label);
    char *end = NULL;

    if (value == NULL) {
        *errmsg = pgd_asprintf("pg_controldata printed no \"%s\"", label);
        return false;
    }
    errno = 0;
    *out = isdigit((unsigned char)value[0]) ? strtol(value, &end, 10) : -1;
    if (*out < 0 || errno != 0 || end == NULL || *end != '\0') {
        *errmsg =
            pgd_asprintf("pg_controldata printed \"%s\" for \"%s\", not a number", value, label);
        free(value);
        return false;
    }
    free(value);
    return true;
}

bool controldata_parse(const char *text, controldata *out, char **errmsg)
{
    memset(out, 0, sizeof(*out));
    out->cluster_state = field(text, "Database cluster state");
    if (out->cluster_state == NULL) {
        *errmsg = pgd_strdup("pg_controldata printed no \"Database cluster state\"");
        return false;
    }
    if (number_field(text, "max_connections setting", &out->max_connections, errmsg) &&
        number_field(text, "max_worker_processes setting", &out->max_worker_processes, errmsg) &&
        number_field(text, "max_wal_senders setting", &out->max_wal_senders, errmsg) &&
        number_field(text, "max_prepared_xacts setting", &out->max_prepared_xacts, errmsg) &&
        number_field(text, "max_locks_per_xact setting", &out->max_locks_per_xact, errmsg) &&
        number_field(text, "Latest checkpoint's TimeLineID", &out->timeline, errmsg) &&
        number_field(text, "Data page checksum version", &out->checksum_version, errmsg) &&
        number_field(text, "Bytes per WAL segment", &out->wal_segment_size, errmsg)) {
        if (pgd_wal_valid_segment_size(out->wal_segment_size))
            return true;
        *errmsg = pgd_asprintf("pg_controldata printed a WAL segment size of %ld bytes, not a "
                               "power of two from 1 MB to 1 GB",
                               out->wal_segment_size);
    }
    controldata_free(out);
    return false;
}

bool controldata_read(const char *bindir, const char *datadir, controldata *out, char **errmsg)
{
    char *program = pgd_asprintf("%s/pg_controldata", bindir);
    const char *argv[] = {program, "-D", datadir, NULL};
    /* Labels are translated; the C locale keeps them parseable. */
    const char *env[] = {"LC_ALL=C", "LANG=C", "LANGUAGE=C", NULL};
    pgd_proc_spec spec = {.argv = argv, .env = env, .capture_stdout = true, .quiet = true};
    pgd_proc_result r;
    bool ok;

    ok = pgd_proc_run(&spec, CONTROLDATA_TIMEOUT_MS, &r);
    if (!ok) {
        char *what = pgd_proc_describe(&r);

        *errmsg =
            pgd_asprintf("pg_controldata -D %s %s: %s", datadir, what, pgd_proc_error_lines(&r));
        free(what);
    } else
        ok = controldata_parse(r.stdout_text, out, errmsg);
    pgd_proc_result_free(&r);
    free(program);
    return ok;
}

void controldata_free(controldata *cd)
{
    free(cd->cluster_state);
    cd->cluster_state = NULL;
}
