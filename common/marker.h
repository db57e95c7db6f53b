/*
 * marker.h - the bookkeeping table on the source that proves recentness.
 *
 * bootstrap writes two rows per drill into <schema>.<table> on the source
 * primary: the marker (which the restore must contain) and, after the
 * recovery target time was taken, the fence (which it must not). verify
 * looks for both in the restored instance. Names come from the
 * configuration and may contain any character, so they are always quoted by
 * libpq.
 */
#ifndef PGDRILL_MARKER_H
#define PGDRILL_MARKER_H

#include <libpq-fe.h>

#include <stdbool.h>
#include <stdint.h>

#define PGD_MARKER_KIND_MARKER "marker"
#define PGD_MARKER_KIND_FENCE  "fence"
#define PGD_MARKER_KEEP_DAYS   30

/* "schema"."table", quoted for conn's encoding; NULL with *errmsg on failure. */
char *pgd_marker_table_name(PGconn *conn, const char *schema, const char *table, char **errmsg);

/*
 * Create schema and table when missing, revoke PUBLIC's privileges, and
 * prune rows older than PGD_MARKER_KEEP_DAYS. One transaction.
 */
bool pgd_marker_prepare(PGconn *conn, const char *schema, const char *table, int64_t timeout_ms,
                        char **errmsg);

/* Insert and commit one row (autocommit). */
bool pgd_marker_insert(PGconn *conn, const char *qualified_table, const char *test_id,
                       const char *kind, const char *scope, int64_t timeout_ms, char **errmsg);

/*
 * How many rows of this test id and kind exist: 0 or 1, or -1 with *errmsg.
 * A missing table counts as 0 rows and sets *table_missing.
 */
int pgd_marker_count(PGconn *conn, const char *schema, const char *table, const char *test_id,
                     const char *kind, int64_t timeout_ms, bool *table_missing, char **errmsg);

#endif
