/*
 * restore.c - phase 2: pgbackrest restore to just after the marker.
 *
 * pgBackRest chooses the newest backup set that ended before the target,
 * copies it into the data directory and writes the recovery settings
 * (restore_command, recovery_target_time, recovery_target_action=promote,
 * recovery.signal) plus archive_mode=off. It only reads the repository.
 */
#include "restore.h"

#include "clock.h"
#include "log.h"
#include "pgbackrest.h"
#include "pgbin.h"
#include "process.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRESS_EVERY_MS 5000

typedef struct restore_watch {
    char *label;      /* from "restore backup set <label>" */
    char *error_line; /* first "ERROR: [nnn]: ..." line */
    char *percent;    /* latest "NN.NN%" from detail lines */
    int64_t last_progress_ms;
} restore_watch;

static void on_restore_line(void *arg, pgd_proc_stream stream, const char *line)
{
    restore_watch *w = arg;
    pgbackrest_restore_line parsed;

    (void)stream;
    pgbackrest_parse_restore_line(line, &parsed);
    if (parsed.backup_set != NULL && w->label == NULL) {
        w->label = parsed.backup_set;
        parsed.backup_set = NULL;
    }
    if (parsed.error != NULL && w->error_line == NULL) {
        w->error_line = parsed.error;
        parsed.error = NULL;
    }
    if (!parsed.chatter)
        pgd_info("pgbackrest: %s", line);
    else if (parsed.percent != NULL) {
        /* Detail lines, one per file, are too many to relay; a progress line every 5 s instead. */
        free(w->percent);
        w->percent = parsed.percent;
        parsed.percent = NULL;
        if (pgd_monotonic_ms() - w->last_progress_ms >= PROGRESS_EVERY_MS) {
            w->last_progress_ms = pgd_monotonic_ms();
            pgd_info("restore progress: %s of the backup set copied", w->percent);
        }
    }
    pgbackrest_restore_line_free(&parsed);
}

static void format_epoch(json_int_t epoch, char *buf, size_t size)
{
    pgd_format_utc((double)epoch, false, buf, size);
}

/*
 * The stanza's backups from `pgbackrest info`, or NULL (error recorded). A
 * stanza the repository does not hold is its own error: pgBackRest's restore
 * would only say "no backup set found".
 */
static json_t *read_backup_info(drill *d)
{
    bool spawn_failed;
    char *errmsg = NULL;
    json_t *info = pgbackrest_info(d, false, &spawn_failed, &errmsg);
    const char *message;

    if (info == NULL) {
        if (!drill_interrupted(d))
            drill_fail(d, spawn_failed ? PGD_ERR_INTERNAL : PGD_ERR_RESTORE_FAILED, "%s", errmsg);
        free(errmsg);
        return NULL;
    }
    if (pgbackrest_info_stanza_missing(info, &message)) {
        char *stanzas = pgbackrest_stanza_names(d);

        drill_fail(d, PGD_ERR_STANZA_MISSING,
                   "the repository holds no stanza \"%s\" (pgBackRest: %s); stanzas in the "
                   "repository: %s",
                   d->cfg->pgbackrest.stanza, message, stanzas);
        free(stanzas);
        json_decref(info);
        return NULL;
    }
    return info;
}

/* "newest backup: 20261124-101500F, ended 2026-11-24T10:15:09Z" for error messages. */
static char *describe_newest_backup(json_t *info)
{
    json_t *backups = pgbackrest_info_backups(info);
    size_t n = json_array_size(backups);
    json_t *newest;
    char stop[32];

    if (n == 0)
        return pgd_strdup("the repository holds no backup of this stanza");
    newest = json_array_get(backups, n - 1);
    format_epoch(json_integer_value(json_object_get(json_object_get(newest, "timestamp"), "stop")),
                 stop, sizeof(stop));
    return pgd_asprintf("newest backup set %s ended at %s",
                        json_string_value(json_object_get(newest, "label")), stop);
}

static void record_backup_set(drill *d, json_t *info, const char *label)
{
    json_t *backup;
    size_t i;

    pgd_report_set_nested(d->report, "backup", "label", label);
    json_array_foreach(pgbackrest_info_backups(info), i, backup)
    {
        const char *this_label = json_string_value(json_object_get(backup, "label"));
        char stop[32];

        if (this_label == NULL || strcmp(this_label, label) != 0)
            continue;
        format_epoch(
            json_integer_value(json_object_get(json_object_get(backup, "timestamp"), "stop")), stop,
            sizeof(stop));
        pgd_report_set_nested(d->report, "backup", "type",
                              json_string_value(json_object_get(backup, "type")));
        pgd_report_set_nested(d->report, "backup", "stop_time", stop);
        pgd_info("restored backup set %s (%s, ended %s)", label,
                 json_string_value(json_object_get(backup, "type")), stop);
    }
}

static bool user_sets_option(const drill *d, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < d->cfg->pgbackrest.options.count; i++) {
        const char *opt = d->cfg->pgbackrest.options.items[i];

        if (strncmp(opt, name, len) == 0 && (opt[len] == '=' || opt[len] == '\0'))
            return true;
    }
    return false;
}

static void classify_failure(drill *d, const pgd_proc_result *r, const restore_watch *w,
                             json_t *info)
{
    char *what = pgd_proc_describe(r);
    const char *why = w->error_line ? w->error_line : pgd_proc_error_lines(r);

    if (drill_interrupted(d))
        ;
    else if (r->outcome == PGD_PROC_TIMED_OUT)
        drill_fail(d, PGD_ERR_TIMEOUT,
                   "pgbackrest restore did not finish within recovery.timeout (%lds)",
                   d->cfg->recovery.timeout);
    else if (r->outcome == PGD_PROC_SPAWN_FAILED)
        drill_fail(d, PGD_ERR_INTERNAL, "%s", what);
    else if (pgbackrest_error_is_no_backup(why)) {
        char *newest = describe_newest_backup(info);

        drill_fail_hint(d, PGD_ERR_NO_BACKUP,
                        "pgBackRest records stop times in whole seconds and needs one strictly "
                        "before the target: a backup that ended in the drill's second does not "
                        "count; check the backup schedule",
                        "no backup set ended before the target time %s (%s): %s", d->target_time,
                        newest, why);
        free(newest);
    } else
        drill_fail(d, PGD_ERR_RESTORE_FAILED, "pgbackrest restore %s: %s", what, why);
    free(what);
}

bool restore_backup(drill *d)
{
    int64_t start = pgd_monotonic_ms();
    json_t *info;
    pgd_argv argv;
    pgd_argv extra;
    restore_watch w = {0};
    pgd_proc_spec spec = {.on_line = on_restore_line,
                          .on_line_arg = &w,
                          .quiet = true,
                          .label = "pgbackrest restore"};
    pgd_proc_result r;
    bool ok;

    drill_enter_phase(d, "restore");
    info = read_backup_info(d);
    if (info == NULL)
        return false;

    pgd_argv_init(&extra);
    pgd_argv_addf(&extra, "--pg1-path=%s", d->datadir);
    pgd_argv_add(&extra, "--type=time");
    pgd_argv_addf(&extra, "--target=%s", d->target_time);
    pgd_argv_add(&extra, "--target-action=promote");
    /* A restored cluster must never push WAL into the production repository (design.md F5). */
    pgd_argv_add(&extra, "--archive-mode=off");
    pgd_argv_addf(&extra, "--process-max=%ld", d->cfg->pgbackrest.process_max);
    if (!user_sets_option(d, "--log-level-console"))
        pgd_argv_add(&extra, "--log-level-console=detail"); /* per-file lines carry the progress */
    pgbackrest_argv(d, &argv, pgd_argv_get(&extra), PGB_RESTORE_OPTIONS, "restore");
    spec.argv = pgd_argv_get(&argv);

    {
        char *cmd = pgd_proc_format_argv(spec.argv);

        pgd_info("running: %s", cmd);
        free(cmd);
    }
    ok = pgd_proc_run(&spec, pgd_ms_until(d->deadline_ms) > 0 ? pgd_ms_until(d->deadline_ms) : 1,
                      &r);
    drill_record_timing(d, "restore", start);
    if (!ok)
        classify_failure(d, &r, &w, info);
    else if (w.label != NULL) {
        record_backup_set(d, info, w.label);
        d->backup_label = pgd_strdup(w.label);
    } else
        pgd_warn("pgbackrest did not name the restored backup set");

    if (ok) {
        const char *archive_id = pgbackrest_info_archive_id(info);

        d->pg_major = pgd_pg_datadir_major(d->datadir);
        d->archive_id = archive_id ? pgd_strdup(archive_id) : NULL;
    }
    pgd_proc_result_free(&r);
    pgd_argv_free(&argv);
    pgd_argv_free(&extra);
    free(w.label);
    free(w.error_line);
    free(w.percent);
    json_decref(info);
    return ok;
}
