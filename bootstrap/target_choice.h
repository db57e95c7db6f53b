/*
 * target_choice.h - which instant this drill restores to, from which backup
 * set, decided before anything is restored.
 */
#ifndef PGDRILL_BOOTSTRAP_TARGET_CHOICE_H
#define PGDRILL_BOOTSTRAP_TARGET_CHOICE_H

#include "drill.h"

#include <jansson.h>

/*
 * From the stanza's `pgbackrest info` (info) and, for a past target, the
 * source's marker rows: set d->target_time and the report's "target"
 * object. *set is the backup set to restore (borrowed from info) for a past
 * target, NULL for latest (choose_backup_set decides as before). False with
 * target_unreachable recorded when the repository cannot reach the instant
 * or no retained marker on each side of it could prove the copy.
 */
bool choose_target(drill *d, json_t *info, const char **set);

#endif
