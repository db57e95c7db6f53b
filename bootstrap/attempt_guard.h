/*
 * attempt_guard.h - the attempt guard: never restore twice for one drill.
 *
 * Under Kubernetes a failed bootstrap means Patroni exits, the container
 * restarts and Patroni calls bootstrap again. Without a guard every restart
 * would write a new marker into production and download the backup again.
 * The report file (in state_dir, which survives container restarts) is the
 * record of the previous attempt.
 */
#ifndef PGDRILL_BOOTSTRAP_ATTEMPT_GUARD_H
#define PGDRILL_BOOTSTRAP_ATTEMPT_GUARD_H

#include "report.h"

typedef enum attempt_guard_decision {
    ATTEMPT_GUARD_PROCEED, /* no previous attempt of this drill: go ahead */
    ATTEMPT_GUARD_GIVE_UP, /* this drill already ran; *previous is its report */
    ATTEMPT_GUARD_ERROR,   /* the previous report cannot be read; *why says so */
} attempt_guard_decision;

/*
 * With given_test_id (a scheduler's drill): any earlier attempt of that test
 * id means give up. Without it: an earlier drill of this scope that did not
 * pass (including one that crashed while "running") means give up; after a
 * passed drill a new one may start. A drill that was only deferred (nothing
 * was done) never blocks.
 */
attempt_guard_decision attempt_guard_check(const char *report_path, const char *scope,
                                           const char *given_test_id, pgd_report **previous,
                                           char **why);

/* Turn the previous report into the given_up report (error.class given_up, previous_error kept). */
void attempt_guard_mark_given_up(pgd_report *previous, char **message);

#endif
