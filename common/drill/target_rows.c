/*
 * target_rows.c - the marker table's rows between JSON and the judges.
 */
#include "target_rows.h"

#include "clock.h"
#include "marker.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

json_t *pgd_target_rows_json(const PGresult *res)
{
    json_t *rows = json_array();

    for (int i = 0; i < PQntuples(res); i++) {
        /* NULL for text that is not UTF-8: no row may vanish from the proof unnoticed */
        json_t *row = json_pack("{s:s,s:s,s:s}", "test_id", PQgetvalue(res, i, 0), "kind",
                                PQgetvalue(res, i, 1), "created_at", PQgetvalue(res, i, 2));

        if (row == NULL) {
            json_decref(rows);
            return NULL;
        }
        json_array_append_new(rows, row);
    }
    return rows;
}

/* One row of JSON into *row; false with *why. */
static bool read_row(json_t *item, const char *side, size_t index, pgd_marker_row *row, char **why)
{
    const char *test_id = json_string_value(json_object_get(item, "test_id"));
    const char *kind = json_string_value(json_object_get(item, "kind"));
    const char *created = json_string_value(json_object_get(item, "created_at"));
    const char *reason = "missing";

    memset(row, 0, sizeof(*row));
    if (test_id == NULL || kind == NULL ||
        (strcmp(kind, PGD_MARKER_KIND_MARKER) != 0 && strcmp(kind, PGD_MARKER_KIND_FENCE) != 0) ||
        created == NULL || !pgd_parse_timestamp_us(created, &row->created_us, &reason)) {
        *why = pgd_asprintf("row %zu of the %s's marker rows is not a marker or fence row with "
                            "a test id and a creation time (created_at: %s)",
                            index + 1, side, created == NULL ? "missing" : reason);
        return false;
    }
    row->test_id = test_id;
    row->fence = strcmp(kind, PGD_MARKER_KIND_FENCE) == 0;
    return true;
}

static size_t find_row(const pgd_marker_row *rows, size_t n, const pgd_marker_row *row)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i].fence == row->fence && strcmp(rows[i].test_id, row->test_id) == 0)
            return i;
    }
    return n;
}

bool pgd_target_rows_merge(json_t *source, json_t *copy, pgd_marker_row **rows, size_t *n,
                           char **why)
{
    size_t capacity = json_array_size(source) + json_array_size(copy) + 1;
    json_t *item;
    size_t i;

    *rows = pgd_malloc(capacity * sizeof(**rows));
    *n = 0;
    json_array_foreach(source, i, item)
    {
        pgd_marker_row row;

        if (!read_row(item, "source", i, &row, why))
            goto fail;
        if (find_row(*rows, *n, &row) < *n)
            continue; /* the table has no key: one row of a test id and kind is judged */
        row.on_source = true;
        (*rows)[(*n)++] = row;
    }
    json_array_foreach(copy, i, item)
    {
        pgd_marker_row row;
        size_t found;

        if (!read_row(item, "copy", i, &row, why))
            goto fail;
        found = find_row(*rows, *n, &row);
        if (found < *n) {
            (*rows)[found].in_copy = true;
            continue;
        }
        /* Pruned on the source since (30 days), or never there: judged by its own time. */
        row.in_copy = true;
        (*rows)[(*n)++] = row;
    }
    return true;
fail:
    free(*rows);
    *rows = NULL;
    *n = 0;
    return false;
}

json_t *pgd_target_row_json(const pgd_marker_row *row)
{
    char created[40];

    pgd_format_us(row->created_us, PGD_US_REPORT, created, sizeof(created));
    return json_pack("{s:s,s:s,s:s}", "test_id", row->test_id, "kind",
                     row->fence ? PGD_MARKER_KIND_FENCE : PGD_MARKER_KIND_MARKER, "created_at",
                     created);
}
