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

/*
 * Ownership tags, set as comments when pgdrill creates the schema and the
 * table. pgdrill writes only where they are: an SRE may hand a prepared
 * schema over by setting the schema comment by hand.
 */
#define PGD_MARKER_SCHEMA_TAG "pgdrill marker schema (created by pgdrill-bootstrap)"
#define PGD_MARKER_TABLE_TAG  "pgdrill marker table (created by pgdrill-bootstrap)"
/* The columns of the marker table, as format_type() prints them. */
#define PGD_MARKER_TABLE_SHAPE                                                                     \
    "test_id text, kind text, scope text, created_at timestamp with time zone"

/* What the source holds at marker.schema / marker.table. */
typedef struct pgd_marker_facts {
    bool schema_exists;
    bool schema_tagged; /* its comment is PGD_MARKER_SCHEMA_TAG */
    bool schema_owned;  /* owned by our role (or one it is a member of) */
    bool table_exists;
    bool table_tagged;  /* its comment is PGD_MARKER_TABLE_TAG */
    bool table_shaped;  /* a plain table with exactly PGD_MARKER_TABLE_SHAPE */
    long other_objects; /* relations (but the table and its indexes) and functions in the schema */
} pgd_marker_facts;

typedef enum pgd_marker_action {
    PGD_MARKER_CREATE_SCHEMA, /* schema and table are missing: create both, tagged */
    PGD_MARKER_CREATE_TABLE,  /* our schema, table missing: create it, tagged */
    PGD_MARKER_USE,           /* both ours */
    PGD_MARKER_ADOPT,         /* an untagged schema holding only a marker table (pgdrill 0.1) */
    PGD_MARKER_REFUSE,        /* something pgdrill did not create: touch nothing */
} pgd_marker_action;

/* The decision, and for PGD_MARKER_REFUSE why (a static string). */
pgd_marker_action pgd_marker_judge(const pgd_marker_facts *facts, const char **why);

/* marker.schema values that can never be pgdrill's own (public, pg_catalog, pg_*, ...). */
bool pgd_marker_schema_reserved(const char *schema);

/* "schema"."table", quoted for conn's encoding; NULL with *errmsg on failure. */
char *pgd_marker_table_name(PGconn *conn, const char *schema, const char *table, char **errmsg);

typedef enum pgd_marker_prepared {
    PGD_MARKER_READY,
    PGD_MARKER_REFUSED, /* not pgdrill's: nothing was written; *errmsg says why */
    PGD_MARKER_FAILED,  /* a query failed; *errmsg */
} pgd_marker_prepared;

/*
 * Make sure schema.table is pgdrill's own (creating both, tagged and without
 * privileges for PUBLIC, when missing), then prune rows older than
 * PGD_MARKER_KEEP_DAYS. One transaction under an advisory lock, so two
 * drills against the same source cannot race; nothing is changed unless
 * the schema and the table are proven pgdrill's.
 */
pgd_marker_prepared pgd_marker_prepare(PGconn *conn, const char *schema, const char *table,
                                       int64_t timeout_ms, char **errmsg);

/* Insert and commit one row (autocommit). */
bool pgd_marker_insert(PGconn *conn, const char *qualified_table, const char *test_id,
                       const char *kind, const char *scope, int64_t timeout_ms, char **errmsg);

/*
 * How many rows of this test id and kind exist: 0 or 1, or -1 with *errmsg.
 * A missing table counts as 0 rows and sets *table_missing.
 */
int pgd_marker_count(PGconn *conn, const char *schema, const char *table, const char *test_id,
                     const char *kind, int64_t timeout_ms, bool *table_missing, char **errmsg);

/*
 * How long each statement of a drill on the source may take: source.connect_timeout, but at
 * least 30 s. It also bounds how long after its created_at a row commits (target.h).
 */
int64_t pgd_marker_statement_timeout_ms(long connect_timeout_s);

/*
 * Every marker and fence row of schema.table, oldest first: columns test_id,
 * kind, created_at (UTC, "2026-11-30T14:02:00.123456Z"). NULL with *errmsg
 * on failure; a missing table is NULL with *table_missing set and no
 * *errmsg (a restored copy older than the first drill has none).
 */
PGresult *pgd_marker_rows(PGconn *conn, const char *schema, const char *table, int64_t timeout_ms,
                          bool *table_missing, char **errmsg);

#endif
