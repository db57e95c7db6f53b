/*
 * recovery.h - phase 3: private replay to the target, promotion, clean stop.
 */
#ifndef PGDRILL_BOOTSTRAP_RECOVERY_H
#define PGDRILL_BOOTSTRAP_RECOVERY_H

#include "drill.h"

/*
 * Start the restored cluster privately, follow replay to the target and the
 * promotion, shut it down cleanly and remove the recovery settings, so that
 * Patroni finds a "shut down" cluster on a new timeline. While nothing is
 * replayed or fetched, the repository is probed (repo_watch.h). Errors:
 * wal_missing, target_not_reached, repository_unreachable, recovery_failed,
 * timeout, interrupted, internal.
 */
bool recover_and_promote(drill *d);

#endif
