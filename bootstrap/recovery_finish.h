/*
 * recovery_finish.h - after the promotion: leave a cluster Patroni can start.
 *
 * Patroni must find a cluster that is cleanly shut down, on a new timeline,
 * without recovery settings or signal files (docs/design.md, F4), and
 * pg_checksums needs a cleanly shut down cluster too, so it runs here.
 */
#ifndef PGDRILL_BOOTSTRAP_RECOVERY_FINISH_H
#define PGDRILL_BOOTSTRAP_RECOVERY_FINISH_H

#include "controldata.h"
#include "recovery_run.h"

#include <stdbool.h>

/*
 * Shut the promoted instance down (fast, with time for the shutdown
 * checkpoint), check pg_control, remove the recovery settings and record
 * the new timeline, then run pg_checksums (checksums.h). False with the
 * drill's error recorded.
 */
bool recovery_finish(recovery_run *run);

/*
 * What is wrong with pg_control after the shutdown (not "shut down", or not
 * on a timeline after before_timeline), or NULL when nothing is. Pure;
 * caller frees.
 */
char *recovery_finish_control_problem(const controldata *after, long before_timeline);

/*
 * Remove the recovery settings from datadir's postgresql.auto.conf
 * (archive_mode = 'off' stays) and its recovery.signal and standby.signal.
 * False with *errmsg.
 */
bool recovery_finish_remove_settings(const char *datadir, char **errmsg);

#endif
