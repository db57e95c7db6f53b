/*
 * quarantine.h - the restored copy never reaches out.
 *
 * The restored cluster is production's twin: its catalog holds production's
 * logical replication subscriptions (with their connection strings),
 * pg_cron jobs and foreign servers. An apply worker started from the copy
 * would take the publisher's slot and consume changes the real subscriber
 * never gets; a job or a foreign table would act on production from a
 * copy. So the private recovery instance starts none of them
 * (quarantine_server_settings), and right after promotion, before the data
 * directory is handed on, every subscription is disabled and detached from
 * its slot, every pg_cron job deactivated and every foreign-data wrapper's
 * handler removed (quarantine_copy): however the data directory is started
 * next, nothing in it connects to production (docs/design.md, F26-F28).
 */
#ifndef PGDRILL_BOOTSTRAP_QUARANTINE_H
#define PGDRILL_BOOTSTRAP_QUARANTINE_H

#include "argv.h"
#include "config.h"
#include "drill.h"

#include <stdbool.h>

/*
 * The shared_preload_libraries the private instance must run with: the
 * configured list (the restored postgresql.auto.conf's, else
 * recovery.settings') without pg_cron, whose launcher would start jobs as
 * soon as the instance is promoted. NULL when no pg_cron is configured (the
 * list stays as it is). Pure; auto_conf may be NULL.
 */
char *quarantine_preload_libraries(const char *auto_conf, const pgd_config *cfg);

/* Append the private instance's quarantine settings ("-c", "name=value" pairs) to argv. */
void quarantine_server_settings(const drill *d, pgd_argv *argv);

/*
 * Quarantine the promoted private instance listening on the unix socket in
 * socket_dir (port port) and record what was done in the report's
 * "quarantine" object. False after drill_fail(): the data directory must
 * not be handed on.
 */
bool quarantine_copy(drill *d, const char *socket_dir, const char *port);

#endif
