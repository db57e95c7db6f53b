/*
 * recovery_finish.c - after the promotion: leave a cluster Patroni can start.
 */
#include "recovery_finish.h"

#include "checksums.h"
#include "fsutil.h"
#include "log.h"
#include "pgbackrest.h"
#include "xalloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_MS (5 * 60 * 1000) /* a shutdown checkpoint of a big cluster takes time */

bool recovery_finish_remove_settings(const char *datadir, char **errmsg)
{
    char *path = pgd_asprintf("%s/postgresql.auto.conf", datadir);
    char *text = pgd_read_file_ex(path, 16 * 1024 * 1024, PGD_READ_NOFOLLOW, NULL, errmsg);
    char *kept;
    bool ok = true;

    if (text == NULL) {
        free(path);
        return false;
    }
    kept = pgbackrest_strip_recovery_settings(text);
    if (strcmp(kept, text) != 0)
        ok = pgd_write_file_atomic(path, kept, 0600, errmsg);
    free(kept);
    free(text);
    free(path);

    for (int i = 0; ok && i < 2; i++) {
        char *signal_file =
            pgd_asprintf("%s/%s", datadir, i == 0 ? "recovery.signal" : "standby.signal");

        if (access(signal_file, F_OK) == 0 && unlink(signal_file) != 0) {
            *errmsg = pgd_asprintf("could not remove %s", signal_file);
            ok = false;
        }
        free(signal_file);
    }
    return ok;
}

char *recovery_finish_control_problem(const controldata *after, long before_timeline)
{
    if (strcmp(after->cluster_state, "shut down") != 0)
        return pgd_asprintf("after shutdown pg_control says \"%s\", not \"shut down\"",
                            after->cluster_state);
    if (after->timeline <= before_timeline)
        return pgd_asprintf("the cluster is still on timeline %ld after promotion",
                            after->timeline);
    return NULL;
}

/* Stop the promoted instance; false (error recorded) when it did not shut down cleanly. */
static bool shut_down(recovery_run *run)
{
    pgd_proc_result r;
    bool ok;

    pgd_info("promoted; shutting the private instance down (fast)");
    replay_progress_disconnect(&run->progress);
    run->proc.spec.kill_grace_ms = SHUTDOWN_GRACE_MS;
    pgd_proc_stop(&run->proc, SIGINT, PGD_PROC_EXITED);
    pgd_proc_finish(&run->proc, &r);
    run->started = false;
    ok = r.outcome == PGD_PROC_EXITED && r.exit_code == 0;
    if (!ok) {
        char *how = pgd_proc_describe(&r);

        drill_fail(run->d, PGD_ERR_RECOVERY_FAILED,
                   "postgres did not shut down cleanly after promotion (%s)", how);
        free(how);
    }
    pgd_proc_result_free(&r);
    return ok;
}

bool recovery_finish(recovery_run *run)
{
    drill *d = run->d;
    controldata after;
    char *errmsg = NULL;
    char *problem;
    bool ok = false;

    if (!shut_down(run))
        return false;
    if (!controldata_read(run->bindir, d->datadir, &after, &errmsg)) {
        drill_fail(d, PGD_ERR_RECOVERY_FAILED, "%s", errmsg);
        free(errmsg);
        return false;
    }
    problem = recovery_finish_control_problem(&after, run->before.timeline);
    if (problem != NULL)
        drill_fail(d, PGD_ERR_RECOVERY_FAILED, "%s", problem);
    else if (!recovery_finish_remove_settings(d->datadir, &errmsg)) {
        drill_fail(d, PGD_ERR_INTERNAL, "could not clean up the recovery settings: %s", errmsg);
        free(errmsg);
    } else {
        char timeline[32];

        snprintf(timeline, sizeof(timeline), "%ld", after.timeline);
        pgd_report_set_nested(d->report, "recovery", "timeline", timeline);
        /* Now, while the cluster is cleanly shut down: pg_checksums needs that. */
        ok = checksums_check(d, run->bindir, &after);
    }
    free(problem);
    controldata_free(&after);
    return ok;
}
