/*
 * source_catalog.h - the check source_catalog: each database's catalog in
 * the copy against the fingerprint bootstrap took on the source with the
 * marker (catalog_fingerprint.h, catalog_compare.h; README "Proof against
 * the source").
 */
#ifndef PGDRILL_VERIFY_SOURCE_CATALOG_H
#define PGDRILL_VERIFY_SOURCE_CATALOG_H

#include "catalog_compare.h"
#include "checks.h"

extern const check_def check_source_catalog;

/* One database: what the source held, and how the copy differs. */
typedef struct catalog_db_facts {
    char *name;
    char *not_judged;      /* why it could not be compared, or NULL */
    char *not_compared;    /* another database the source gave no catalog of: why (no finding) */
    bool missing;          /* the copy has no such database */
    size_t objects;        /* on the source */
    char *unlogged;        /* "public.u, public.v" on the source, or NULL */
    pgd_catalog_diff diff; /* its identities borrowed from the facts' JSON */
} catalog_db_facts;

typedef struct source_catalog_facts {
    char *not_judged; /* the source's catalog could not be had at all */
    catalog_db_facts *dbs;
    size_t count;
    json_t *held; /* what the differences' identities point into */
} source_catalog_facts;

/*
 * What bootstrap kept beside the report (the source's catalog objects, the
 * comparisons' salt), as long as it is the file whose SHA-256 the report
 * holds; NULL with *why.
 */
json_t *source_file_load(const pgd_report *report, char **why);

/*
 * "table public.u, table public.v": a database entry's unlogged relations
 * (source.catalog.databases[].unlogged) joined, or NULL when there are none.
 */
char *source_catalog_unlogged(const json_t *list);

/* The pure judge. */
void source_catalog_judge(const source_catalog_facts *facts, check_result *out);

#endif
