/*
 * pgconf.h - settings written into a postgresql.conf.
 *
 * postgresql.conf quotes values in single quotes; inside them a quote is
 * doubled and a backslash starts an escape (\n, \t, octal, or the next
 * character itself), and a line break ends the line whatever the quotes
 * (PostgreSQL's guc-file.l; docs/design.md, F14). A value is therefore written with its quotes
 * and backslashes escaped, and a value with a line break or another
 * control character cannot be written at all: the configuration refuses it
 * when it is loaded, so a typo is a config error, never a failed recovery.
 */
#ifndef PGDRILL_PGCONF_H
#define PGDRILL_PGCONF_H

#include "xalloc.h"

#include <stdbool.h>

/* Can value be written as a postgresql.conf value? false with a static *why otherwise. */
bool pgd_pgconf_value_ok(const char *value, const char **why);

/* Append "name = 'value'\n" with value escaped (value must pass pgd_pgconf_value_ok). */
void pgd_pgconf_append_setting(pgd_buf *out, const char *name, const char *value);

/*
 * Settings the private recovery instance gets from pgdrill itself (where it
 * listens, its files, its log, archiving, the recovery target):
 * recovery.settings must not set them. Case-insensitive, as GUC names are.
 */
bool pgd_pgconf_reserved(const char *name);

/*
 * Settings a hot standby needs at least at the source's values recorded in
 * pg_control (max_connections, ...): recovery.settings may raise them,
 * never lower them, so they must be integers.
 */
bool pgd_pgconf_is_minimum(const char *name);

/*
 * The value the last "name = value" line of a postgresql.conf text gives
 * name (case-insensitive, as GUC names are), unquoted as PostgreSQL reads
 * it; NULL when no line sets it or its quote is not closed. For
 * postgresql.auto.conf, which ALTER SYSTEM and pgBackRest write.
 */
char *pgd_pgconf_value_of(const char *conf_text, const char *name);

/*
 * A library list (shared_preload_libraries: comma-separated, each entry
 * optionally double-quoted) without the entries that load library: its
 * name with or without a directory ("$libdir/pg_cron") and ".so". The
 * other entries are kept as written. New string; *removed tells whether an
 * entry was dropped.
 */
char *pgd_pgconf_list_without(const char *list, const char *library, bool *removed);

#endif
