/*
 * catalog_fingerprint.h - what a database's catalog holds, one hash per
 * object, read the same way on the source and on the restored copy
 * (README "Proof against the source", docs/design.md F86 to F88).
 *
 * One read-only query over pg_catalog: schemas, relations (kind,
 * persistence, owner, ACL, options, columns with types, defaults, view and
 * index definitions, sequence parameters), constraints, triggers,
 * functions' signatures and bodies, extensions with their versions. Stored
 * expression trees are hashed rather than printed (pg_get_viewdef and
 * pg_get_indexdef lock what they describe and cost more): a physical copy
 * holds the same trees, the same OIDs. Objects that belong to an extension
 * are covered by the extension's version; the marker schema and the
 * schemas of PostgreSQL itself are left out.
 */
#ifndef PGDRILL_CATALOG_FINGERPRINT_H
#define PGDRILL_CATALOG_FINGERPRINT_H

#include <libpq-fe.h>

#include <stdint.h>

/*
 * The fingerprint of conn's database: rows (identity, md5, unlogged) sorted
 * by identity, then md5, in byte order, identity like "table public.orders" or
 * "function app.f(integer)", unlogged "t" for an unlogged table, materialized
 * view or sequence (its data is never restored). skip_schema (the marker's)
 * is left out. The caller sets jit off first (it triples the time on a large
 * catalog). NULL with *errmsg.
 */
PGresult *pgd_catalog_fingerprint(PGconn *conn, const char *skip_schema, int64_t timeout_ms,
                                  char **errmsg);

/*
 * The same objects as one row (count, md5 of the lines "identity md5
 * true|false" in pgd_catalog_fingerprint's order, joined by newlines),
 * skip_object (an identity, or NULL) left out: what verify asks the copy
 * first, so that a copy like its source costs no transfer of its objects;
 * bootstrap computes the same from the source's rows (source_capture.c).
 * NULL with *errmsg.
 */
PGresult *pgd_catalog_digest(PGconn *conn, const char *skip_schema, const char *skip_object,
                             int64_t timeout_ms, char **errmsg);

/*
 * A comparison query wrapped so that the server answers with its row count
 * and a hash of its rows in any order, never with a value: one row (count,
 * md5). The hash starts with salt (hexadecimal digits, else none), a secret
 * of the drill's kept beside the report but never in it, so that the hash
 * of a one-value answer (a count) cannot be looked up from the report
 * alone. Trailing semicolons and blanks of sql are dropped. Newly allocated.
 */
char *pgd_compare_wrap(const char *sql, const char *salt);

/* Hexadecimal digits of a comparison's salt, and its NUL */
#define PGD_COMPARE_SALT_SIZE 33

/*
 * Set in the transaction (SET LOCAL) before a comparison on either side:
 * the output formats its hash depends on, and the search_path both sides
 * pin, so that the same rows hash alike on the source and on the copy (F88);
 * row_security off, so that a policy filters rows on neither side (a query
 * it would filter fails instead); a lock wait of at most a second, so that
 * a comparison never queues production's DDL, and production behind it.
 */
#define PGD_COMPARE_SETTINGS                                                                       \
    "SELECT pg_catalog.set_config('DateStyle', 'ISO, MDY', true),"                                 \
    " pg_catalog.set_config('IntervalStyle', 'postgres', true),"                                   \
    " pg_catalog.set_config('TimeZone', 'UTC', true),"                                             \
    " pg_catalog.set_config('extra_float_digits', '3', true),"                                     \
    " pg_catalog.set_config('bytea_output', 'hex', true),"                                         \
    " pg_catalog.set_config('lc_monetary', 'C', true),"                                            \
    " pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true),"                          \
    " pg_catalog.set_config('jit', 'off', true),"                                                  \
    " pg_catalog.set_config('row_security', 'off', true),"                                         \
    " pg_catalog.set_config('lock_timeout', '1s', true),"                                          \
    " pg_catalog.set_config('pgdrill.marker_time', $1, true)"

#endif
