/*
 * catalog_compare.h - the source's catalog fingerprint against the copy's
 * (catalog_fingerprint.h): which objects are missing from the copy, added
 * to it, or changed, and which relations never bring their data back.
 *
 * bootstrap keeps the source's objects in a file beside the report (the
 * report holds its SHA-256 and counts: a catalog of 10,000 tables is
 * megabytes); verify reads the copy's the same way and judges here. In
 * JSON a database's objects are [[identity, md5, unlogged], ...].
 */
#ifndef PGDRILL_CATALOG_COMPARE_H
#define PGDRILL_CATALOG_COMPARE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct pgd_catalog_object {
    const char *id;   /* "table public.orders" */
    const char *hash; /* md5 of what the catalog says of it */
    bool unlogged;    /* an unlogged relation: its data is never restored */
} pgd_catalog_object;

/* A database's objects; the strings are borrowed (from a PGresult or JSON). */
typedef struct pgd_catalog {
    pgd_catalog_object *items;
    size_t count;
} pgd_catalog;

/* The rows of pgd_catalog_fingerprint's result as a new JSON array; NULL if a name is not UTF-8. */
json_t *pgd_catalog_json_from_result(const PGresult *res);

/* The objects of such an array; false when it is not one (an edited file). */
bool pgd_catalog_from_json(const json_t *array, pgd_catalog *out);

void pgd_catalog_free(pgd_catalog *catalog);

typedef enum pgd_catalog_change {
    PGD_CATALOG_MISSING, /* on the source, not in the copy */
    PGD_CATALOG_ADDED,   /* in the copy, not on the source */
    PGD_CATALOG_CHANGED, /* in both, described differently */
} pgd_catalog_change;

/* "missing", "added", "changed" */
const char *pgd_catalog_change_name(pgd_catalog_change change);

typedef struct pgd_catalog_difference {
    const char *id;
    pgd_catalog_change change;
    bool unlogged; /* on the source (an added object: in the copy) */
} pgd_catalog_difference;

typedef struct pgd_catalog_diff {
    pgd_catalog_difference *items; /* sorted by identity; borrowed strings */
    size_t count;
    size_t missing, added, changed;
} pgd_catalog_diff;

/*
 * The pure judge: source against copy, whatever their order, leaving out
 * what a restore and verify are expected to change (pgd_catalog_expected).
 */
void pgd_catalog_compare(const pgd_catalog *source, const pgd_catalog *copy, pgd_catalog_diff *out);

/*
 * A difference every drill makes and that proves nothing: verify's
 * pg_amcheck creates the amcheck extension in the throw-away copy when the
 * source lacks it (README "Proof against the source" lists what is left out).
 */
bool pgd_catalog_expected(const char *id, pgd_catalog_change change);

/* The one object pgd_catalog_expected lets the copy have in addition. */
#define PGD_CATALOG_ADDED_BY_VERIFY "extension amcheck"

/* Does catalog hold an object of this identity? */
bool pgd_catalog_has(const pgd_catalog *catalog, const char *id);

void pgd_catalog_diff_free(pgd_catalog_diff *diff);

/*
 * "1 missing (table public.t), 0 added, 2 changed (index public.i, ...)",
 * at most named identities in all; newly allocated.
 */
char *pgd_catalog_diff_describe(const pgd_catalog_diff *diff, size_t named);

#endif
