/*
 * compare.c - verify.compare: the copy's answer against the source's.
 */
#include "compare.h"

#include "source_catalog.h"
#include "target_check.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* dbname's unlogged relations on the source (source_catalog_unlogged), or NULL. */
static char *unlogged_of(const pgd_report *report, const char *dbname)
{
    json_t *dbs = json_object_get(
        json_object_get(json_object_get(report->root, "source"), "catalog"), "databases");

    for (size_t i = 0; i < json_array_size(dbs); i++) {
        json_t *db = json_array_get(dbs, i);

        if (json_is_string(json_object_get(db, "name")) &&
            strcmp(json_string_value(json_object_get(db, "name")), dbname) == 0)
            return source_catalog_unlogged(json_object_get(db, "unlogged"));
    }
    return NULL;
}

void compare_facts_source(const pgd_report *report, const pgd_assertion *item, compare_facts *f)
{
    json_t *list = json_object_get(json_object_get(report->root, "source"), "compare");

    f->dbname = item->database;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *entry = json_array_get(list, i);
        const char *name = json_string_value(json_object_get(entry, "name"));
        const char *database = json_string_value(json_object_get(entry, "database"));
        json_t *error = json_object_get(entry, "error");

        if (name == NULL || database == NULL || strcmp(name, item->name) != 0 ||
            strcmp(database, item->database) != 0)
            continue;
        f->captured = true;
        f->source_error = json_is_string(error) ? json_string_value(error) : NULL;
        f->source_rows = (long long)json_integer_value(json_object_get(entry, "rows"));
        f->source_hash = json_string_value(json_object_get(entry, "hash"));
        if (f->source_error == NULL &&
            (f->source_hash == NULL || !json_is_integer(json_object_get(entry, "rows"))))
            f->source_error = "the report's entry has no hash or no row count";
    }
    f->unlogged = unlogged_of(report, item->database);
}

void compare_judge(const compare_facts *f, check_result *out)
{
    char *hint = NULL;

    if (!f->captured) {
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                         "the source's answer is captured with the marker: a marker written by "
                         "a scheduler has none, and a comparison added to verify.compare after "
                         "bootstrap ran is judged from the next drill on",
                         "database %s: not judged: the report holds no answer of the source",
                         f->dbname);
        return;
    }
    if (f->source_error != NULL) {
        check_result_set(out, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                         "the query runs on the source as source.dsn's role, read-only, within "
                         "verify.compare_timeout: grant it SELECT on what the query reads, or "
                         "make the query cheaper",
                         "database %s: not judged: the source gave no answer: %s", f->dbname,
                         f->source_error);
        return;
    }
    if (!f->answered) {
        /* the copy's side as an assertion's: an error there that the source did not give is a
         * finding */
        assertion_judge(&f->query, out);
        if (out->error_class == PGD_ERR_TIMEOUT) {
            free(out->hint);
            out->hint = pgd_strdup("raise verify.compare_timeout (or verify.timeout), or make "
                                   "the query cheaper");
        } else if (out->error_class == PGD_ERR_ASSERTION_FAILED &&
                   strcmp(f->query.sqlstate, "42501") == 0) {
            /* the copy's role may read less than source.dsn's: not a difference of the data */
            out->status = CHECK_NOT_RUN;
            out->error_class = PGD_ERR_INTERNAL;
            free(out->hint);
            out->hint = pgd_strdup("in the copy the query runs as a member of pg_read_all_data: "
                                   "it may call no function that role may not execute");
        } else if (out->error_class == PGD_ERR_ASSERTION_FAILED) {
            out->error_class = PGD_ERR_SOURCE_MISMATCH;
            free(out->hint);
            out->hint = pgd_strdup("the query answered on the source but not in the copy: run it "
                                   "in a restored copy to see why");
        }
        return;
    }
    if (f->rows == f->source_rows && strcmp(f->hash, f->source_hash) == 0) {
        check_result_set(out, CHECK_PASSED, PGD_ERR_NONE, NULL,
                         "database %s: %lld row%s, the same as on the source at the marker",
                         f->dbname, f->rows, f->rows == 1 ? "" : "s");
        return;
    }
    if (f->unlogged != NULL)
        hint = pgd_asprintf("database %s has unlogged relations whose data is never restored "
                            "(%s): if the query reads them, make them logged or leave them out",
                            f->dbname, f->unlogged);
    check_result_set(out, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, hint,
                     "database %s: the answers differ: %lld row%s on the source at the marker, "
                     "%lld in the copy%s",
                     f->dbname, f->source_rows, f->source_rows == 1 ? "" : "s", f->rows,
                     f->rows == f->source_rows ? ", with other values" : "");
    free(hint);
}

static void judge(const void *facts, check_result *out)
{
    compare_judge(facts, out);
}

/* Bootstrap read the source with the marker (not for a past target, nor a scheduler's marker). */
static bool compare_applies(const pgd_config *cfg, const pgd_report *report)
{
    return cfg->verify.compare.count > 0 &&
           json_is_object(json_object_get(report->root, "source")) && !verify_past_target(report);
}

static void run_each(verify_run *run, const check_def *def)
{
    char *why = NULL;
    json_t *file = source_file_load(run->report, &why);
    const char *salt = json_string_value(json_object_get(file, "salt"));

    if (salt == NULL)
        assertions_none_run(run, def, &run->cfg->verify.compare, PGD_ERR_INTERNAL, NULL,
                            why ? why
                                : "the file of what bootstrap read on the source has no salt");
    else
        assertions_run(run, def, &run->cfg->verify.compare, salt);
    json_decref(file);
    free(why);
}

static const pgd_assertions *compare_items(const pgd_config *cfg)
{
    return &cfg->verify.compare;
}

const check_def check_compare = {
    .items = compare_items,
    .name = "compare",
    .runs = CHECK_PER_ASSERTION,
    .finding = PGD_ERR_SOURCE_MISMATCH,
    .applies = compare_applies,
    .run_each = run_each,
    .judge = judge,
};
