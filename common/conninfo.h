/*
 * conninfo.h - rewrite libpq connection strings.
 *
 * verify connects to every database of the restored instance with the
 * conninfo Patroni gave it, changing only the database; and a password must
 * never appear on a child's command line (where `ps` shows it), so it is
 * moved into the child's environment instead.
 */
#ifndef PGDRILL_CONNINFO_H
#define PGDRILL_CONNINFO_H

#include "xalloc.h"

#include <stdbool.h>

/* Append value in conninfo syntax: quoted when empty or holding spaces, quotes or backslashes. */
void pgd_conninfo_append_value(pgd_buf *out, const char *value);

/*
 * conninfo (key=value or URI) as key=value pairs with dbname set to dbname
 * (NULL: unchanged). With password non-NULL the password is taken out and
 * handed over in *password (caller frees; NULL when none), e.g. for a
 * child's environment; with password NULL it stays in the string.
 * NULL when conninfo is invalid.
 */
char *pgd_conninfo_rewrite(const char *conninfo, const char *dbname, char **password);

/* The value of keyword in conninfo (caller frees), or NULL when unset or invalid. */
char *pgd_conninfo_get(const char *conninfo, const char *keyword);

#endif
