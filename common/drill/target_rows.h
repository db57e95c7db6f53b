/*
 * target_rows.h - the marker table's rows as the report keeps them, and as
 * the judges of target.h take them.
 *
 * bootstrap reads the source's rows (pgd_marker_rows) and keeps them in the
 * report (target.source_rows: verify never connects to the source); verify
 * reads the copy's and merges both by test id and kind. In JSON a row is
 * {"test_id", "kind", "created_at"} with created_at in UTC with microseconds.
 */
#ifndef PGDRILL_TARGET_ROWS_H
#define PGDRILL_TARGET_ROWS_H

#include "target.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

/* The rows of pgd_marker_rows' result, as a new JSON array; NULL if a value is not UTF-8. */
json_t *pgd_target_rows_json(const PGresult *res);

/*
 * The source's rows (on_source) and the copy's (in_copy; NULL: none read),
 * merged by test id and kind into *rows (caller frees the array; its strings
 * are borrowed from the JSON). False with *why (caller frees) when a row is
 * not {test_id, kind marker|fence, created_at an instant}: the report may
 * have been edited, the copy's table is the restored production's.
 */
bool pgd_target_rows_merge(json_t *source, json_t *copy, pgd_marker_row **rows, size_t *n,
                           char **why);

/* {"test_id", "kind", "created_at"} of one row: the report's target.lower and target.upper. */
json_t *pgd_target_row_json(const pgd_marker_row *row);

#endif
