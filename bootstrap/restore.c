/*
 * restore.c - phase 2: pgbackrest restore to the target: just after the
 * marker, or a past instant (target_choice.c).
 *
 * pgBackRest chooses the newest backup set that ended before the target
 * (for a past target pgdrill names the set it judged),
 * copies it into the data directory and writes the recovery settings
 * (restore_command, recovery_target_time, recovery_target_action=promote,
 * recovery.signal) plus archive_mode=off. It only reads the repository.
 */
#include "restore.h"

#include "backup_pages.h"
#include "clock.h"
#include "log.h"
#include "pgbackrest.h"
#include "pgbackrest_options.h"
#include "pgbin.h"
#include "process.h"
#include "repo_watch.h"
#include "signals.h"
#include "target_choice.h"
#include "xalloc.h"

#include <jansson.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS           500
#define PROGRESS_EVERY_MS 5000
/* How often the bytes the restore wrote are counted. */
#define SAMPLE_EVERY_MS 1000
/*
 * Less written than this since the last progress is not progress: while
 * pgBackRest waits for a dead repository, its retries write a few hundred
 * bytes to their sockets (docs/design.md, F41).
 */
#define PROGRESS_MIN_BYTES (64 * 1024)
/* Nothing written for this long: say so, and again every such period (5 s while probes fail). */
#define STALL_NOTICE_MS 30000
/*
 * pgBackRest 2.45 can log "restore command end: aborted with exception" and
 * then never exit (seen with the S3 server killed mid-restore): after this
 * grace it is stopped and the failure classified from its error line.
 */
#define END_GRACE_MS 15000
/* Less free space than this after a failed restore: the host's disk, not the backup. */
#define HOST_SPACE_LOW_BYTES (16ULL * 1024 * 1024)

typedef struct restore_watch {
    drill *d;
    json_t *info;
    char *label;      /* from "restore backup set <label>" */
    char *error_line; /* first "ERROR: [nnn]: ..." line */
    char *percent;    /* latest "NN.NN%" from detail lines */
    int64_t last_progress_ms;
    int64_t last_stall_note_ms;
    int64_t aborted_ms; /* when pgBackRest reported "aborted with exception", or 0 */
    repo_watch repo;    /* probes the repository while nothing is written */
    int64_t written;    /* bytes the restore's processes had written at the last progress */
    int64_t last_sample_ms;
    bool dead; /* the probes declared the repository dead: repository_unreachable recorded */
} restore_watch;

static void record_backup_set(drill *d, json_t *info, const char *label);

static void on_restore_line(void *arg, pgd_proc_stream stream, const char *line)
{
    restore_watch *w = arg;
    pgbackrest_restore_line parsed;

    (void)stream;
    pgbackrest_parse_restore_line(line, &parsed);
    if (parsed.backup_set != NULL && w->label == NULL) {
        /* Named in the report now: a restore that fails says which set it was. */
        w->label = parsed.backup_set;
        parsed.backup_set = NULL;
        record_backup_set(w->d, w->info, w->label);
        if (parsed.repo > 0) {
            pgd_report_set_nested_integer(w->d->report, "backup", "repo", parsed.repo);
            /* Probe the repository the backup comes from (the replay's WAL too). */
            w->repo.repo = w->d->backup_repo = parsed.repo;
        }
    }
    if (parsed.aborted_code != 0 && w->aborted_ms == 0)
        w->aborted_ms = pgd_monotonic_ms();
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
        repo_watch_progress(&w->repo); /* a file was restored */
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
    d->backup_label = pgd_strdup(label);
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
        pgd_info("restoring backup set %s (%s, ended %s)", label,
                 json_string_value(json_object_get(backup, "type")), stop);
    }
}

/*
 * The --set for pgbackrest.set: NULL for latest (pgBackRest picks the newest
 * set that ended before the target), the oldest retained set's label for
 * oldest (one drill then replays the whole point-in-time window), or the
 * configured label, which must exist. False (error recorded) otherwise.
 */
static bool choose_backup_set(drill *d, json_t *info, const char **set)
{
    json_t *backups = pgbackrest_info_backups(info);
    const char *wanted = d->cfg->pgbackrest.set;
    json_t *backup;
    size_t i;

    *set = NULL;
    if (strcmp(wanted, "latest") == 0)
        return true;
    if (strcmp(wanted, "oldest") == 0) {
        *set = json_string_value(json_object_get(json_array_get(backups, 0), "label"));
        if (*set == NULL)
            return drill_fail(d, PGD_ERR_NO_BACKUP,
                              "the repository holds no backup set to restore");
        return true;
    }
    json_array_foreach(backups, i, backup)
    {
        if (json_is_string(json_object_get(backup, "label")) &&
            strcmp(json_string_value(json_object_get(backup, "label")), wanted) == 0) {
            *set = wanted;
            return true;
        }
    }
    return drill_fail_hint(d, PGD_ERR_NO_BACKUP,
                           "pgbackrest.set names a backup set the repository does not hold "
                           "(expired by retention?); use latest or oldest",
                           "backup set %s is not in the repository", wanted);
}

void restore_options(const drill *d, const char *set, pgd_argv *extra)
{
    const pgd_config *cfg = d->cfg;

    pgd_argv_init(extra);
    if (set != NULL)
        pgd_argv_addf(extra, "--set=%s", set);
    pgd_argv_addf(extra, "--pg1-path=%s", d->datadir);
    pgd_argv_add(extra, "--type=time");
    pgd_argv_addf(extra, "--target=%s", d->target_time);
    pgd_argv_add(extra, "--target-action=promote");
    /* A restored cluster must never push WAL into the production repository (design.md F5). */
    pgd_argv_add(extra, "--archive-mode=off");
    pgd_argv_addf(extra, "--process-max=%ld", cfg->pgbackrest.process_max);
    /* Unless pgbackrest.options sets it in any spelling: pgBackRest refuses it twice (F65). */
    if (!pgd_pgbackrest_items_set((const char *const *)cfg->pgbackrest.options.items,
                                  cfg->pgbackrest.options.count, "log-level-console"))
        pgd_argv_add(extra, "--log-level-console=detail"); /* per-file lines carry the progress */
}

/*
 * Is the data directory's file system the problem? pgBackRest 2.45 says
 * "unable to write '<file>'" without the errno, so the file system is
 * asked: (almost) no space or inodes left, or mounted read-only. NULL when
 * it looks fine, else why (caller frees).
 */
static char *host_problem(const char *datadir)
{
    struct statvfs fs;

    if (statvfs(datadir, &fs) != 0)
        return NULL;
    if (fs.f_flag & ST_RDONLY)
        return pgd_asprintf("the file system of %s is mounted read-only", datadir);
    if ((unsigned long long)fs.f_bavail * fs.f_frsize < HOST_SPACE_LOW_BYTES)
        return pgd_asprintf("the file system of %s is full (%llu kB left)", datadir,
                            (unsigned long long)fs.f_bavail * fs.f_frsize / 1024);
    if (fs.f_files > 0 && fs.f_favail == 0)
        return pgd_asprintf("the file system of %s has no inodes left", datadir);
    return NULL;
}

/*
 * After a restore that failed for no reason pgBackRest named: is the
 * repository down? The last probe's error when the probes were failing, else
 * a probe now's; NULL when it answers (caller frees).
 */
static char *repository_down(restore_watch *w)
{
    if (repo_clock_failing(&w->repo.clock))
        return pgd_strdup(w->repo.clock.last_error);
    return repo_probe(w->d, w->repo.repo);
}

static void classify_failure(drill *d, const pgd_proc_result *r, restore_watch *w, json_t *info)
{
    char *what = pgd_proc_describe(r);
    const char *why = w->error_line ? w->error_line : pgd_proc_error_lines(r);
    pgd_error_class error_class = pgbackrest_restore_error_class(w->error_line);
    char *host = error_class == PGD_ERR_RESTORE_FAILED ? host_problem(d->datadir) : NULL;
    char *down = NULL;

    if (drill_interrupted(d))
        ;
    else if (r->outcome == PGD_PROC_TIMED_OUT)
        drill_fail(d, PGD_ERR_TIMEOUT,
                   "pgbackrest restore did not finish within recovery.timeout (%lds)%s%s",
                   d->cfg->recovery.timeout, w->error_line ? ": " : "",
                   w->error_line ? w->error_line : "");
    else if (error_class == PGD_ERR_NO_BACKUP) {
        char *newest = describe_newest_backup(info);

        drill_fail_hint(d, PGD_ERR_NO_BACKUP,
                        "pgBackRest records stop times in whole seconds and needs one strictly "
                        "before the target: a backup that ended in the drill's second does not "
                        "count; check the backup schedule",
                        "no backup set ended before the target time %s (%s): %s", d->target_time,
                        newest, why);
        free(newest);
    } else if (host != NULL)
        drill_fail(d, PGD_ERR_RESTORE_HOST_ERROR, "pgbackrest restore %s: %s; %s", what, why, host);
    else if (error_class == PGD_ERR_RESTORE_FAILED && (down = repository_down(w)) != NULL)
        /* pgBackRest gave up on the repository under an error code of its own. */
        drill_fail(d, PGD_ERR_REPOSITORY_UNREACHABLE,
                   "pgbackrest restore %s: %s; the repository does not answer: %s", what, why,
                   down);
    else
        drill_fail(d, error_class, "pgbackrest restore %s: %s", what, why);
    free(down);
    free(host);
    free(what);
}

/* Count what the restore wrote; enough of it is progress (the repository is alive). */
static void sample_written(restore_watch *w, pgd_proc *proc, int64_t now)
{
    int64_t written;

    if (now - w->last_sample_ms < SAMPLE_EVERY_MS)
        return;
    w->last_sample_ms = now;
    /* Its processes' writes, not the file system's: other writers share it (F41). */
    written = pgd_proc_group_written(proc);
    if (written < 0)
        return;
    if (written - w->written >= PROGRESS_MIN_BYTES) {
        w->written = written;
        repo_watch_progress(&w->repo);
    } else if (written < w->written)
        w->written = written; /* a worker exited, taking its count along */
}

/* Nothing written for a while: say so, with what the probes found. */
static void note_stall(restore_watch *w, int64_t now)
{
    int64_t quiet = now - w->repo.clock.quiet_since_ms;
    bool failing = repo_clock_failing(&w->repo.clock);
    char *probing;

    if (now - w->last_stall_note_ms < (failing ? PROGRESS_EVERY_MS : STALL_NOTICE_MS) ||
        (!failing && quiet < STALL_NOTICE_MS))
        return;
    probing = repo_clock_describe(&w->repo.clock, now);
    if (probing == NULL)
        return;
    w->last_stall_note_ms = now;
    pgd_info("restore progress: nothing written for %lld s (at %s of the backup set); %s",
             (long long)(quiet / 1000), w->percent ? w->percent : "0%", probing);
    free(probing);
}

/* The probes found the repository dead: record it and stop the restore. */
static void give_up(drill *d, pgd_proc *proc, restore_watch *w, int64_t now)
{
    char *why = repo_clock_verdict(&w->repo.clock, now);

    drill_fail(d, PGD_ERR_REPOSITORY_UNREACHABLE,
               "pgbackrest restore wrote nothing for %lld s (at %s of the backup set) and %s; "
               "the restore was stopped",
               (long long)((now - w->repo.clock.quiet_since_ms) / 1000),
               w->percent ? w->percent : "0%", why);
    free(why);
    w->dead = true;
    pgd_proc_stop(proc, SIGTERM, PGD_PROC_EXITED);
}

/*
 * Follow the restore until it ends, is stopped, hangs after reporting its end,
 * or the repository is found dead while nothing is written.
 */
static void follow_restore(drill *d, pgd_proc *proc, restore_watch *w)
{
    while (!pgd_proc_poll(proc, POLL_MS)) {
        int64_t now = pgd_monotonic_ms();

        if (pgd_interrupted() != 0) {
            pgd_proc_stop(proc, SIGTERM, PGD_PROC_INTERRUPTED);
            return;
        }
        if (pgd_ms_until(d->deadline_ms) == 0) {
            pgd_warn("pgbackrest restore did not finish within recovery.timeout; stopping it");
            pgd_proc_stop(proc, SIGTERM, PGD_PROC_TIMED_OUT);
            return;
        }
        if (w->aborted_ms != 0 && now - w->aborted_ms >= END_GRACE_MS) {
            pgd_warn("pgbackrest reported the end of its restore %d s ago but did not exit; "
                     "stopping it",
                     END_GRACE_MS / 1000);
            pgd_proc_stop(proc, SIGTERM, PGD_PROC_EXITED);
            return;
        }
        sample_written(w, proc, now);
        if (repo_watch_step(&w->repo)) {
            give_up(d, proc, w, pgd_monotonic_ms());
            return;
        }
        note_stall(w, now);
    }
}

bool restore_backup(drill *d)
{
    int64_t start = pgd_monotonic_ms();
    json_t *info;
    pgd_argv argv;
    pgd_argv extra;
    restore_watch w = {.d = d};
    pgd_proc_spec spec = {.on_line = on_restore_line,
                          .on_line_arg = &w,
                          .quiet = true,
                          .label = "pgbackrest restore"};
    pgd_proc proc;
    pgd_proc_result r;
    char *errmsg = NULL;
    const char *set;
    bool ok;

    drill_enter_phase(d, "restore");
    info = read_backup_info(d);
    if (info == NULL)
        return false;
    w.info = info;

    /* A past target names its set: the one judged to reach it (target_choice.c). */
    if (!choose_target(d, info, &set) || (set == NULL && !choose_backup_set(d, info, &set))) {
        json_decref(info);
        return false;
    }
    pgd_report_set_nested(d->report, "backup", "requested", d->cfg->pgbackrest.set);
    if (d->cfg->pgbackrest.repo > 0)
        pgd_report_set_nested_integer(d->report, "backup", "repo", d->cfg->pgbackrest.repo);
    restore_options(d, set, &extra);
    pgbackrest_argv(d, &argv, pgd_argv_get(&extra), PGB_RESTORE_OPTIONS, "restore");
    spec.argv = pgd_argv_get(&argv);

    {
        char *cmd = pgd_proc_format_argv(spec.argv);

        pgd_info("running: %s", cmd);
        free(cmd);
    }
    if (!pgd_proc_start(&proc, &spec, &errmsg)) {
        drill_fail(d, PGD_ERR_INTERNAL, "%s", errmsg);
        free(errmsg);
        ok = false;
        goto out;
    }
    repo_watch_init(&w.repo, d, pgd_monotonic_ms());
    follow_restore(d, &proc, &w);
    pgd_proc_finish(&proc, &r);
    drill_record_timing(d, "restore", start);
    ok = r.outcome == PGD_PROC_EXITED && r.exit_code == 0 && !w.dead;
    if (!ok && !w.dead)
        classify_failure(d, &r, &w, info);
    else if (ok && w.label == NULL)
        pgd_warn("pgbackrest did not name the restored backup set");
    repo_watch_end(&w.repo);

    if (ok) {
        const char *archive_id = pgbackrest_info_archive_id(info);

        d->pg_major = pgd_pg_datadir_major(d->datadir);
        d->archive_id = archive_id ? pgd_strdup(archive_id) : NULL;
        /* What pgBackRest found in the set's pages at backup time (F44); the drill goes on. */
        backup_pages_check(d, info, w.label ? w.label : set,
                           (int)json_integer_value(json_object_get(
                               json_object_get(d->report->root, "backup"), "repo")));
    }
    pgd_proc_result_free(&r);
out:
    pgd_argv_free(&argv);
    pgd_argv_free(&extra);
    free(w.label);
    free(w.error_line);
    free(w.percent);
    json_decref(info);
    return ok;
}
