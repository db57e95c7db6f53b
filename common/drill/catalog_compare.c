/*
 * catalog_compare.c - the catalog fingerprints of the source and the copy,
 * compared.
 */
#include "catalog_compare.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

json_t *pgd_catalog_json_from_result(const PGresult *res)
{
    json_t *array = json_array();

    for (int i = 0; i < PQntuples(res); i++) {
        json_t *id = json_string(PQgetvalue(res, i, 0));
        json_t *hash = json_string(PQgetvalue(res, i, 1));

        if (id == NULL || hash == NULL) {
            json_decref(id);
            json_decref(hash);
            json_decref(array);
            return NULL;
        }
        json_array_append_new(
            array, json_pack("[o,o,b]", id, hash, strcmp(PQgetvalue(res, i, 2), "t") == 0));
    }
    return array;
}

bool pgd_catalog_from_json(const json_t *array, pgd_catalog *out)
{
    size_t n = json_array_size(array);

    memset(out, 0, sizeof(*out));
    if (!json_is_array(array))
        return false;
    out->items = pgd_calloc(n > 0 ? n : 1, sizeof(*out->items));
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(array, i);
        const json_t *id = json_array_get(item, 0);
        const json_t *hash = json_array_get(item, 1);
        const json_t *unlogged = json_array_get(item, 2);

        if (json_array_size(item) != 3 || !json_is_string(id) || !json_is_string(hash) ||
            !json_is_boolean(unlogged)) {
            pgd_catalog_free(out);
            return false;
        }
        out->items[i] = (pgd_catalog_object){json_string_value(id), json_string_value(hash),
                                             json_is_true(unlogged)};
    }
    out->count = n;
    return true;
}

void pgd_catalog_free(pgd_catalog *catalog)
{
    free(catalog->items);
    memset(catalog, 0, sizeof(*catalog));
}

const char *pgd_catalog_change_name(pgd_catalog_change change)
{
    switch (change) {
    case PGD_CATALOG_MISSING:
        return "missing";
    case PGD_CATALOG_ADDED:
        return "added";
    case PGD_CATALOG_CHANGED:
        return "changed";
    }
    return "?";
}

bool pgd_catalog_expected(const char *id, pgd_catalog_change change)
{
    return change == PGD_CATALOG_ADDED && strcmp(id, PGD_CATALOG_ADDED_BY_VERIFY) == 0;
}

bool pgd_catalog_has(const pgd_catalog *catalog, const char *id)
{
    for (size_t i = 0; i < catalog->count; i++) {
        if (strcmp(catalog->items[i].id, id) == 0)
            return true;
    }
    return false;
}

static int by_id(const void *a, const void *b)
{
    const pgd_catalog_object *x = a;
    const pgd_catalog_object *y = b;
    int c = strcmp(x->id, y->id);

    return c != 0 ? c : strcmp(x->hash, y->hash);
}

/* A copy of catalog's objects sorted by identity (byte order, as the query sorts them). */
static pgd_catalog_object *sorted(const pgd_catalog *catalog)
{
    pgd_catalog_object *items = pgd_calloc(catalog->count > 0 ? catalog->count : 1, sizeof(*items));

    if (catalog->count > 0)
        memcpy(items, catalog->items, catalog->count * sizeof(*items));
    qsort(items, catalog->count, sizeof(*items), by_id);
    return items;
}

static void add(pgd_catalog_diff *out, const pgd_catalog_object *object, pgd_catalog_change change,
                bool unlogged)
{
    if (pgd_catalog_expected(object->id, change))
        return;
    out->items = pgd_realloc(out->items, (out->count + 1) * sizeof(*out->items));
    out->items[out->count++] = (pgd_catalog_difference){object->id, change, unlogged};
    if (change == PGD_CATALOG_MISSING)
        out->missing++;
    else if (change == PGD_CATALOG_ADDED)
        out->added++;
    else
        out->changed++;
}

void pgd_catalog_compare(const pgd_catalog *source, const pgd_catalog *copy, pgd_catalog_diff *out)
{
    pgd_catalog_object *s = sorted(source);
    pgd_catalog_object *c = sorted(copy);
    size_t i = 0, j = 0;

    memset(out, 0, sizeof(*out));
    /* a merge of two sorted lists; two objects of one identity pair up in hash order */
    while (i < source->count || j < copy->count) {
        int order = i == source->count ? 1 : j == copy->count ? -1 : strcmp(s[i].id, c[j].id);

        if (order < 0) {
            add(out, &s[i], PGD_CATALOG_MISSING, s[i].unlogged);
            i++;
        } else if (order > 0) {
            add(out, &c[j], PGD_CATALOG_ADDED, c[j].unlogged);
            j++;
        } else {
            if (strcmp(s[i].hash, c[j].hash) != 0)
                add(out, &s[i], PGD_CATALOG_CHANGED, s[i].unlogged);
            i++;
            j++;
        }
    }
    free(s);
    free(c);
}

void pgd_catalog_diff_free(pgd_catalog_diff *diff)
{
    free(diff->items);
    memset(diff, 0, sizeof(*diff));
}

static void describe_change(pgd_buf *out, const pgd_catalog_diff *diff, pgd_catalog_change change,
                            size_t count, size_t *named)
{
    size_t shown = 0;

    pgd_buf_appendf(out, "%s%zu %s", out->len > 0 ? ", " : "", count,
                    pgd_catalog_change_name(change));
    for (size_t i = 0; i < diff->count && count > 0; i++) {
        if (diff->items[i].change != change)
            continue;
        if (*named == 0) {
            pgd_buf_append(out, shown > 0 ? ", ..." : " (...");
            break;
        }
        pgd_buf_appendf(out, "%s%s%s", shown == 0 ? " (" : ", ", diff->items[i].id,
                        diff->items[i].unlogged ? ", unlogged" : "");
        shown++;
        (*named)--;
    }
    if (count > 0)
        pgd_buf_append(out, ")");
}

char *pgd_catalog_diff_describe(const pgd_catalog_diff *diff, size_t named)
{
    pgd_buf out;

    pgd_buf_init(&out);
    describe_change(&out, diff, PGD_CATALOG_MISSING, diff->missing, &named);
    describe_change(&out, diff, PGD_CATALOG_ADDED, diff->added, &named);
    describe_change(&out, diff, PGD_CATALOG_CHANGED, diff->changed, &named);
    return pgd_buf_steal(&out);
}
