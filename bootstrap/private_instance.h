/*
 * private_instance.h - the private recovery instance's configuration.
 *
 * The restored cluster runs with a unix socket in a private directory of its
 * own, no TCP, archiving off and a minimal generated configuration: the
 * restored postgresql.conf may point at files, ports or archive commands of
 * the source host. What must hold whatever the restored
 * postgresql.auto.conf says goes on the command line, which takes
 * precedence over it.
 */
#ifndef PGDRILL_BOOTSTRAP_PRIVATE_INSTANCE_H
#define PGDRILL_BOOTSTRAP_PRIVATE_INSTANCE_H

#include "argv.h"
#include "config.h"
#include "controldata.h"
#include "drill.h"

#include <stdbool.h>

/*
 * The instance's postgresql.conf: a hot standby with at least the limits
 * pg_control demands (docs/design.md, F6), which recovery.settings may
 * raise, never lower, and recovery.settings' other settings. Pure; caller
 * frees.
 */
char *private_instance_conf(const pgd_config *cfg, const controldata *cd);

/*
 * A new private directory (LEFTOVER_PRIVATE_PREFIX, mode 0700), tagged with
 * the data directory it serves (leftover.h), holding postgresql.conf,
 * pg_hba.conf (trust: only our own OS user reaches the socket) and
 * pg_ident.conf. NULL with *errmsg, nothing left behind, when that fails.
 */
char *private_instance_create(const pgd_config *cfg, const char *datadir, const controldata *cd,
                              char **errmsg);

/*
 * The postmaster's command line: the data directory, the private
 * configuration, the socket in dir and no TCP, archiving off, the log on
 * standard error with the prefix recovery_log.h reads, the restore_command
 * (NULL: the restored one) and the quarantine's settings (quarantine.h).
 */
void private_instance_argv(const drill *d, const char *bindir, const char *dir,
                           const char *restore_command, pgd_argv *argv);

/* The conninfo of the instance's socket in dir as our own OS user, or NULL (caller frees). */
char *private_instance_conninfo(const char *dir);

#endif
