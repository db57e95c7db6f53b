/*
 * replay_failure.h - why the private instance ended before the promotion.
 *
 * The instance's log says what PostgreSQL saw (recovery_log.h classifies
 * it); what it cannot see is asked here: whether the repository answers
 * (pgBackRest's archive-get fails on a dead repository, and PostgreSQL
 * takes any failure of restore_command for the end of the archive:
 * docs/design.md, F42), and whether the archive holds WAL after the segment
 * replay missed (a gap in the archive, not its end).
 */
#ifndef PGDRILL_BOOTSTRAP_REPLAY_FAILURE_H
#define PGDRILL_BOOTSTRAP_REPLAY_FAILURE_H

#include "process.h"
#include "recovery_run.h"

#include <stdbool.h>

/*
 * Record why the instance, which ended as r says, did not reach the
 * promotion: repository_unreachable, wal_missing, target_not_reached or
 * recovery_failed.
 */
void replay_failure_record(recovery_run *run, const pgd_proc_result *r);

/*
 * Does listing (repo-ls output, one name a line) hold a name match()
 * accepts against missing (pgd_wal_is_later_segment,
 * pgd_wal_is_later_directory)? Pure.
 */
bool replay_listing_holds(const char *listing, const char *missing,
                          bool (*match)(const char *name, const char *segment));

#endif
