/*
 * recovery.c - phase 3: replay to the target and promote, privately.
 *
 * bootstrap drives recovery itself instead of leaving it to Patroni: when
 * recovery dies under Patroni, Patroni renames the data directory and exits
 * without running post_bootstrap (docs/design.md, F3), so nobody would learn why.
 * Here the restored cluster runs as a private instance (private_instance.h);
 * its log is read line by line to follow and to explain the replay
 * (recovery_log.h, replay_progress.h, replay_failure.h). This file is the
 * phase's narrative: start, follow, promote, quarantine, finish, clean up.
 */
#include "recovery.h"

#include "clock.h"
#include "fsutil.h"
#include "leftover.h"
#include "log.h"
#include "pgbin.h"
#include "prefetch.h"
#include "private_instance.h"
#include "quarantine.h"
#include "recovery_finish.h"
#include "recovery_run.h"
#include "replay_failure.h"
#include "replay_stats.h"
#include "xalloc.h"

#include <signal.h>
#include <stdlib.h>

/* How soon the promotion is noticed: every tick is waited for in the drill's recovery phase. */
#define POLL_MS        50
#define ABORT_GRACE_MS 30000

static void on_server_line(void *arg, pgd_proc_stream stream, const char *line)
{
    recovery_run *run = arg;

    (void)stream;
    recovery_log_feed(&run->log, line);
    if (run->progress.redo_started_ms == 0 && run->log.redo_start != NULL)
        run->progress.redo_started_ms = pgd_monotonic_ms();
    pgd_info("postgres: %s", line);
}

static bool start_server(recovery_run *run)
{
    drill *d = run->d;
    char *errmsg = NULL;
    pgd_argv argv;
    pgd_proc_spec spec = {.on_line = on_server_line,
                          .on_line_arg = run,
                          .quiet = true,
                          .label = "postgres",
                          .kill_grace_ms = ABORT_GRACE_MS};
    /* Messages are matched in English, and the log should not depend on the host's locale. */
    const char *env[] = {"LC_MESSAGES=C", "LANGUAGE=C", NULL};
    bool ok;

    private_instance_argv(d, run->bindir, run->private_dir, run->restore_command, &argv);
    spec.argv = pgd_argv_get(&argv);
    spec.env = env;
    {
        char *cmd = pgd_proc_format_argv(spec.argv);

        pgd_info("starting the private recovery instance: %s", cmd);
        free(cmd);
    }
    ok = pgd_proc_start(&run->proc, &spec, &errmsg);
    if (!ok) {
        drill_fail(d, PGD_ERR_INTERNAL, "%s", errmsg);
        free(errmsg);
    }
    /* The spec was copied into the handle, but not the strings: keep argv until finish. */
    run->started = ok;
    pgd_argv_free(&argv);
    return ok;
}

/* Stop the instance with sig and reap it; outcome says why it was stopped. */
static void stop_server(recovery_run *run, int sig, pgd_proc_outcome outcome)
{
    pgd_proc_result r;

    replay_progress_disconnect(&run->progress);
    pgd_proc_stop(&run->proc, sig, outcome);
    pgd_proc_finish(&run->proc, &r);
    run->started = false;
    pgd_proc_result_free(&r);
}

/* The probes found the repository dead: record it and stop the recovery at once. */
static void give_up(recovery_run *run)
{
    int64_t now = pgd_monotonic_ms();
    char *why = repo_clock_verdict(&run->repo.clock, now);

    drill_fail(run->d, PGD_ERR_REPOSITORY_UNREACHABLE,
               "nothing was replayed or fetched for %lld s (last restored WAL segment %s, target "
               "%s) and %s; the recovery was stopped",
               (long long)((now - run->repo.clock.quiet_since_ms) / 1000),
               run->log.last_restored_segment ? run->log.last_restored_segment : "(none)",
               run->d->target_time, why);
    free(why);
    /* Immediate shutdown: this recovery is abandoned, a restartpoint would only delay the end. */
    stop_server(run, SIGQUIT, PGD_PROC_EXITED);
}

/*
 * Follow replay until promotion, exit, timeout, signal, or the repository
 * found dead while nothing moves. True when promoted.
 */
static bool follow_replay(recovery_run *run)
{
    drill *d = run->d;

    for (;;) {
        if (pgd_proc_poll(&run->proc, POLL_MS)) {
            pgd_proc_result r;

            replay_progress_disconnect(&run->progress);
            pgd_proc_finish(&run->proc, &r);
            run->started = false;
            replay_failure_record(run, &r);
            pgd_proc_result_free(&r);
            return false;
        }
        if (run->log.promoted)
            return true;
        if (drill_interrupted(d) || pgd_ms_until(d->deadline_ms) == 0) {
            if (pgd_ms_until(d->deadline_ms) == 0)
                drill_fail(d, PGD_ERR_TIMEOUT,
                           "recovery did not reach the target %s within recovery.timeout (%lds); "
                           "last restored WAL segment %s",
                           d->target_time, d->cfg->recovery.timeout,
                           run->log.last_restored_segment ? run->log.last_restored_segment
                                                          : "(none)");
            stop_server(run, SIGINT, PGD_PROC_INTERRUPTED);
            return false;
        }
        replay_progress_report(run);
        replay_progress_sample(run, pgd_monotonic_ms());
        if (repo_watch_step(&run->repo)) {
            give_up(run);
            return false;
        }
    }
}

/* Everything the run holds, the instance stopped first if it still runs. */
static void clean_up(recovery_run *run)
{
    if (run->started)
        stop_server(run, SIGINT, PGD_PROC_INTERRUPTED);
    if (run->watching)
        repo_watch_end(&run->repo);
    replay_progress_free(&run->progress);
    if (run->spool_dir != NULL)
        prefetch_cleanup(run->spool_dir);
    pgd_death_watch_release(&run->archive_get_stopper);
    free(run->spool_dir);
    free(run->restore_command);
    if (run->private_dir != NULL)
        pgd_remove_tree(run->private_dir);
    free(run->private_dir);
    free(run->bindir);
    controldata_free(&run->before);
    recovery_log_free(&run->log);
}

bool recover_and_promote(drill *d)
{
    recovery_run run = {.d = d, .archive_get_stopper = {.pid = -1, .fd = -1}};
    char *errmsg = NULL;
    int64_t start = pgd_monotonic_ms();
    bool ok = false;

    drill_enter_phase(d, "recovery");
    recovery_log_init(&run.log);
    replay_progress_init(&run.progress);
    run.bindir = pgd_pg_bindir(d->cfg->postgres.bin_dir, "postgres", d->pg_major, &errmsg);
    if (run.bindir == NULL) {
        drill_fail(d, PGD_ERR_INTERNAL, "%s", errmsg);
        goto out;
    }
    if (!controldata_read(run.bindir, d->datadir, &run.before, &errmsg)) {
        drill_fail(d, PGD_ERR_RECOVERY_FAILED, "the restored pg_control is unreadable: %s", errmsg);
        goto out;
    }
    run.private_dir = private_instance_create(d->cfg, d->datadir, &run.before, &errmsg);
    if (run.private_dir == NULL) {
        drill_fail(d, PGD_ERR_INTERNAL, "%s", errmsg);
        goto out;
    }
    run.spool_dir = prefetch_spool_dir(d->cfg);
    run.restore_command = prefetch_prepare(d, run.before.wal_segment_size);
    prefetch_start_archive_get_stopper(&run.archive_get_stopper, run.spool_dir);
    repo_watch_init(&run.repo, d, pgd_monotonic_ms());
    run.repo.repo = d->backup_repo;
    run.watching = true;
    if (!start_server(&run))
        goto out;
    if (follow_replay(&run)) {
        replay_stats_record(&run);
        /* Before the data directory can be started by anyone else (quarantine.h). */
        replay_progress_disconnect(&run.progress);
        ok = quarantine_copy(d, run.private_dir, LEFTOVER_PRIVATE_PORT) && recovery_finish(&run);
    }
out:
    if (run.started) {
        /* Stopped before the phase's time is taken, as it always was. */
        stop_server(&run, SIGINT, PGD_PROC_INTERRUPTED);
    }
    drill_record_timing(d, "recovery", start);
    clean_up(&run);
    free(errmsg);
    return ok;
}
