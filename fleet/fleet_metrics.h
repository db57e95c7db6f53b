/*
 * fleet_metrics.h - the deployer's metrics file (metrics_file, a textfile-collector file).
 *
 * After every pass of run and watch, replaced atomically (common/base/fsutil.h). Per scope,
 * labelled scope and stanza: when its last passing drill ended and how long ago, whether it
 * is overdue or never proven, in progress, enabled, its interval; for the fleet: scopes
 * known, proven within their interval, overdue, never proven, drills in progress and the
 * cap, the last pass's time, duration, outcome and launches, whether the inventory could be
 * read. A pass that could not read the inventory or the history keeps the scopes' series of
 * the file it replaces and says so (pgdrill_fleet_inventory_up, pgdrill_fleet_last_pass_success):
 * the alerts then still see every scope, and see that the list is stale.
 */
#ifndef PGDRILL_FLEET_METRICS_H
#define PGDRILL_FLEET_METRICS_H

#include "fleet_config.h"
#include "pass.h"

#include <stdbool.h>

/*
 * The exposition text after a pass that ended with rc (PGD_EXIT_OK or not); previous is
 * the replaced file's text (or NULL).
 */
char *fleet_metrics_render(const fleet_config *cfg, const fleet_plan *plan, int rc,
                           const char *previous);

/* Render and write metrics_file atomically (mode 0644); false with *errmsg. */
bool fleet_metrics_write(const fleet_config *cfg, const fleet_plan *plan, int rc, char **errmsg);

#endif
