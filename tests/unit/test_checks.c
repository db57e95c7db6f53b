/*
 * test_checks.c - the table of checks: the README's list follows from it,
 * every check's judge decides every outcome without a server, and every
 * finding says what to do.
 */
#include "amcheck.h"
#include "assertions.h"
#include "carried.h"
#include "checks.h"
#include "compare.h"
#include "source_catalog.h"
#include "readme_table.h"
#include "schema_dump.h"
#include "target_check.h"

#include <ctype.h>

/* The README's name of a check: "assertion:<name>" for one per assertion. */
static const char *readme_name(const check_def *def, char *buf, size_t size)
{
    snprintf(buf, size, def->runs == CHECK_PER_ASSERTION ? "`%s:<name>`" : "`%s`", def->name);
    return buf;
}

static void test_readme_table(void **state)
{
    static const char *const runs[] = {"once", "once", "per database", "per entry"};
    readme_table t;
    char name[64], finding[64];

    (void)state;
    readme_table_load(&t, "| check | by | runs | what it proves | finding |", 5);
    assert_int_equal(t.rows, (int)verify_check_count);
    for (size_t i = 0; i < verify_check_count; i++) {
        const check_def *def = verify_checks[i];

        snprintf(finding, sizeof(finding), "`%s`", pgd_error_class_name(def->finding));
        assert_string_equal(t.cell[i][0], readme_name(def, name, sizeof(name)));
        assert_string_equal(t.cell[i][1], def->runs == CHECK_BY_BOOTSTRAP ? "bootstrap" : "verify");
        assert_string_equal(t.cell[i][2], runs[def->runs]);
        assert_true(strlen(t.cell[i][3]) > 0);
        assert_string_equal(t.cell[i][4], finding);
    }
    readme_table_free(&t);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < verify_check_count; i++) {
        const check_def *def = verify_checks[i];

        assert_ptr_equal(verify_check_find(def->name), def);
        assert_non_null(def->judge);
        /* a name of lower-case letters and underscores: it is a key in reports and metrics */
        for (const char *c = def->name; *c != '\0'; c++)
            assert_true(islower((unsigned char)*c) || *c == '_');
        assert_true(def->finding >= PGD_ERR_FIRST && def->finding <= PGD_ERR_LAST);
        switch (def->runs) {
        case CHECK_BY_BOOTSTRAP:
        case CHECK_ONCE:
            assert_true(def->sql != NULL || (def->gather != NULL && def->facts_size > 0));
            break;
        case CHECK_PER_DATABASE:
            assert_non_null(def->program);
            assert_non_null(def->program->args);
            break;
        case CHECK_PER_ASSERTION:
            assert_non_null(def->run_each);
            assert_non_null(def->items);
            break;
        }
        /* bootstrap's come first: the report lists them first */
        if (i > 0 && def->runs == CHECK_BY_BOOTSTRAP)
            assert_int_equal(verify_checks[i - 1]->runs, CHECK_BY_BOOTSTRAP);
    }
    assert_ptr_equal(verify_check_find("assertion:recent_orders"), verify_check_find("assertion"));
    assert_null(verify_check_find("promoted:x"));
    assert_null(verify_check_find("nosuch"));
    assert_string_equal(check_status_name(CHECK_PASSED), "passed");
    assert_string_equal(check_status_name(CHECK_FAILED), "failed");
    assert_string_equal(check_status_name(CHECK_NOT_RUN), "not_run");
    assert_string_equal(check_status_name(CHECK_SKIPPED), "skipped");
}

static void test_result_set(void **state)
{
    check_result r = {0};

    (void)state;
    check_result_set(&r, CHECK_FAILED, PGD_ERR_MARKER_MISSING, NULL, "no row %d", 7);
    assert_string_equal(r.detail, "no row 7");
    assert_string_equal(r.hint, pgd_error_class_advice(PGD_ERR_MARKER_MISSING));
    check_result_set(&r, CHECK_NOT_RUN, PGD_ERR_INTERNAL, "do this", "could not");
    assert_string_equal(r.hint, "do this");
    /* passed and skipped carry neither class nor hint */
    check_result_set(&r, CHECK_PASSED, PGD_ERR_MARKER_MISSING, "ignored", "fine");
    assert_int_equal(r.error_class, PGD_ERR_NONE);
    assert_null(r.hint);
    check_result_set(&r, CHECK_SKIPPED, PGD_ERR_NONE, NULL, "off");
    assert_null(r.hint);
    check_result_free(&r);
    assert_null(r.detail);
}

/* Judge facts with the entry of name; the result must be status and class. */
static void judged(const char *name, const void *facts, check_status status,
                   pgd_error_class error_class, check_result *r)
{
    verify_check_find(name)->judge(facts, r);
    assert_int_equal(r->status, status);
    assert_int_equal(r->error_class, error_class);
    assert_non_null(r->detail);
    if (error_class != PGD_ERR_NONE) {
        assert_non_null(r->hint);
        assert_true(strlen(r->hint) > 0);
    } else
        assert_null(r->hint);
}

static check_row row_of(int count, const char *const *values)
{
    return (check_row){.count = count, .values = values};
}

static void test_promoted(void **state)
{
    static const char *const out[] = {"f"}, *const in[] = {"t"};
    check_row row = row_of(1, out);
    check_result r = {0};

    (void)state;
    judged("promoted", &row, CHECK_PASSED, PGD_ERR_NONE, &r);
    row = row_of(1, in);
    judged("promoted", &row, CHECK_FAILED, PGD_ERR_RECOVERY_FAILED, &r);
    assert_non_null(strstr(r.detail, "still in recovery"));
    check_result_free(&r);
}

static void test_archiving_off(void **state)
{
    static const char *const off[] = {"off", "secret-cmd", ""};
    static const char *const inert[] = {"on", "/bin/true", ""};
    static const char *const empty[] = {"always", "", ""};
    static const char *const command[] = {"on", "aws s3 cp --key=AKIA %p", ""};
    static const char *const library[] = {"always", "", "basic_archive"};
    check_row row = row_of(3, off);
    check_result r = {0};

    (void)state;
    judged("archiving_off", &row, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail, "archive_mode = off");
    row = row_of(3, inert);
    judged("archiving_off", &row, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_non_null(strstr(r.detail, "a command that does nothing"));
    row = row_of(3, empty);
    judged("archiving_off", &row, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_non_null(strstr(r.detail, "archive_mode = always, but archive_command is empty"));
    row = row_of(3, command);
    judged("archiving_off", &row, CHECK_FAILED, PGD_ERR_ARCHIVING_ENABLED, &r);
    /* the command may hold credentials: never in the detail */
    assert_null(strstr(r.detail, "AKIA"));
    assert_non_null(strstr(r.detail, "archive_command set"));
    assert_non_null(strstr(r.hint, "archive_mode: 'off'"));
    row = row_of(3, library);
    judged("archiving_off", &row, CHECK_FAILED, PGD_ERR_ARCHIVING_ENABLED, &r);
    assert_non_null(strstr(r.detail, "archive_mode = always with archive_library set"));
    check_result_free(&r);
}

static void test_quarantine(void **state)
{
    static const char *const quiet[] = {"0", "0"}, *const replicating[] = {"1", "2"};
    pgd_report report = {.root = json_pack("{s:[{s:s,s:s}]}", "checks", "name", "quarantine",
                                           "detail", "2 subscriptions disabled")};
    check_row row = row_of(2, quiet);
    check_result r = {0};

    (void)state;
    row.report = &report;
    judged("quarantine", &row, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_non_null(strstr(r.detail, "bootstrap: 2 subscriptions disabled"));
    json_array_clear(json_object_get(report.root, "checks"));
    judged("quarantine", &row, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_non_null(strstr(r.detail, "bootstrap: recorded no quarantine"));
    row = row_of(2, replicating);
    row.report = &report;
    judged("quarantine", &row, CHECK_FAILED, PGD_ERR_QUARANTINE_FAILED, &r);
    assert_non_null(strstr(r.detail, "1 subscription(s) enabled or attached to a slot, 2 apply"));
    check_result_free(&r);
    json_decref(report.root);
}

static void test_marker_and_fence(void **state)
{
    marker_facts f = {.test_id = "t1",
                      .schema = "_pgdrill",
                      .table = "marker",
                      .dbname = "orders",
                      .rows = 1,
                      .target_time = "2026-01-01 00:00:00.1+00"};
    check_result r = {0};

    (void)state;
    judged("marker", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail, "marker row of test t1 found in database orders");
    judged("fence", &f, CHECK_FAILED, PGD_ERR_FENCE_PRESENT, &r);
    assert_non_null(strstr(r.detail, "past the target time 2026-01-01 00:00:00.1+00"));
    f.target_time = NULL;
    judged("fence", &f, CHECK_FAILED, PGD_ERR_FENCE_PRESENT, &r);
    assert_non_null(strstr(r.detail, "target time ?"));
    f.rows = 0;
    judged("fence", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    judged("marker", &f, CHECK_FAILED, PGD_ERR_MARKER_MISSING, &r);
    assert_null(strstr(r.detail, "does not exist"));
    f.table_missing = true;
    judged("marker", &f, CHECK_FAILED, PGD_ERR_MARKER_MISSING, &r);
    assert_non_null(strstr(r.detail, "_pgdrill.marker of database orders (the table does not"));
    check_result_free(&r);
}

static void test_rto(void **state)
{
    const check_def *rto = verify_check_find("rto");
    pgd_config cfg = {0};
    rto_facts f = {.timed = true, .restore = 10, .recovery = 5, .target = 15};
    check_result r = {0};

    (void)state;
    assert_false(rto->applies(&cfg, NULL));
    cfg.report.rto_target = 60;
    assert_true(rto->applies(&cfg, NULL));
    assert_true(rto->offline);
    judged("rto", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail,
                        "restore 10.0 s + recovery 5.0 s = 15.0 s, report.rto_target 15 s");
    f.recovery = 5.5;
    judged("rto", &f, CHECK_FAILED, PGD_ERR_RTO_EXCEEDED, &r);
    f.timed = false;
    judged("rto", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    check_result_free(&r);
}

static void test_source_catalog(void **state)
{
    catalog_db_facts dbs[] = {
        {.name = "app", .objects = 5, .unlogged = "public.u, public.v"},
        {.name = "orders", .objects = 7},
    };
    source_catalog_facts f = {.dbs = dbs, .count = 2};
    check_result r = {0};

    (void)state;
    judged("source_catalog", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail, "2 databases, 12 objects as on the source at the marker; "
                                  "unlogged relations, whose data is never restored: app: "
                                  "public.u, public.v");
    f.count = 1;
    dbs[0].unlogged = NULL;
    judged("source_catalog", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail, "1 database, 5 objects as on the source at the marker");

    /* no database captured: nothing proven */
    f.count = 0;
    judged("source_catalog", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_string_equal(r.detail, "the source's catalog holds no database: nothing was compared");

    /* the source's catalog could not be had */
    f.count = 2;
    f.not_judged = "bootstrap could not keep the source's catalog: disk full";
    judged("source_catalog", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_string_equal(r.detail, "bootstrap could not keep the source's catalog: disk full");
    check_result_free(&r);
}

static void test_source_catalog_databases(void **state)
{
    catalog_db_facts dbs[] = {
        {.name = "app", .objects = 5},
        {.name = "orders", .objects = 7, .unlogged = "public.cache"},
    };
    source_catalog_facts f = {.dbs = dbs, .count = 2};
    check_result r = {0};

    (void)state;
    /* one database could not be compared: not proven, not a finding */
    dbs[1].not_judged = "not captured on the source: permission denied for table pg_proc";
    judged("source_catalog", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_string_equal(r.detail,
                        "database orders: not captured on the source: permission denied for table "
                        "pg_proc");
    assert_string_equal(r.hint, pgd_error_class_advice(PGD_ERR_INTERNAL));

    /* a database missing from the copy is, whatever another one says */
    dbs[0].missing = true;
    judged("source_catalog", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "the copy differs from the source at the marker: database app "
                                  "is missing from the copy; unlogged relations, whose data is "
                                  "never restored: orders: public.cache");
    assert_non_null(strstr(r.hint, "DDL the source committed between the marker's snapshot"));
    dbs[1].not_judged = NULL;
    dbs[1].unlogged = NULL;
    dbs[1].missing = true;
    judged("source_catalog", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "the copy differs from the source at the marker: database app "
                                  "is missing from the copy; database orders is missing from the "
                                  "copy");

    /* another database the source's role could not read: named, the others judged */
    dbs[0].missing = false;
    dbs[1].missing = false;
    dbs[1].not_compared = "not captured on the source: could not connect: permission denied";
    judged("source_catalog", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail, "1 database, 5 objects as on the source at the marker; not "
                                  "compared: database orders (not captured on the source: could "
                                  "not connect: permission denied)");
    dbs[0].not_compared = "not captured";
    judged("source_catalog", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    check_result_free(&r);
}

static void test_source_catalog_differences(void **state)
{
    pgd_catalog_difference logged[] = {
        {"table public.gone", PGD_CATALOG_MISSING, false},
        {"table public.new", PGD_CATALOG_ADDED, false},
    };
    pgd_catalog_difference unlogged[] = {{"table public.cache", PGD_CATALOG_CHANGED, true}};
    catalog_db_facts dbs[] = {
        {.name = "app",
         .objects = 5,
         .diff = {.items = logged, .count = 2, .missing = 1, .added = 1}},
        {.name = "orders", .objects = 7, .unlogged = "public.cache"},
    };
    source_catalog_facts f = {.dbs = dbs, .count = 2};
    check_result r = {0};

    (void)state;
    judged("source_catalog", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "the copy differs from the source at the marker: database app: "
                                  "1 missing (table public.gone), 1 added (table public.new), 0 "
                                  "changed; unlogged relations, whose data is never restored: "
                                  "orders: public.cache");
    assert_non_null(strstr(r.hint, "DDL the source committed"));
    assert_null(strstr(r.hint, "unlogged"));

    /* a difference on an unlogged relation: the hint says why */
    dbs[1].diff = (pgd_catalog_diff){.items = unlogged, .count = 1, .changed = 1};
    judged("source_catalog", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "the copy differs from the source at the marker: database app: "
                                  "1 missing (table public.gone), 1 added (table public.new), 0 "
                                  "changed; database orders: 0 missing, 0 added, 1 changed (table "
                                  "public.cache, unlogged); unlogged relations, whose data is "
                                  "never restored: orders: public.cache");
    assert_string_equal(r.hint, "an unlogged relation's data is never restored, nor is it in the "
                                "WAL; make it logged if it must survive a restore");
    check_result_free(&r);
}

static void test_compare_judge(void **state)
{
    compare_facts f = {.dbname = "app"};
    check_result r = {0};

    (void)state;
    /* no answer of the source in the report */
    judged("compare", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_string_equal(r.detail,
                        "database app: not judged: the report holds no answer of the source");
    assert_non_null(strstr(r.hint, "the source's answer is captured with the marker"));

    f.captured = true;
    f.source_error = "permission denied for table orders";
    judged("compare", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_string_equal(r.detail, "database app: not judged: the source gave no answer: "
                                  "permission denied for table orders");
    assert_non_null(strstr(r.hint, "verify.compare_timeout"));

    /* both answered alike */
    f.source_error = NULL;
    f.answered = true;
    f.rows = f.source_rows = 3;
    strcpy(f.hash, "0123456789abcdef0123456789abcdef");
    f.source_hash = "0123456789abcdef0123456789abcdef";
    judged("compare", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail, "database app: 3 rows, the same as on the source at the marker");
    f.rows = f.source_rows = 1;
    judged("compare", &f, CHECK_PASSED, PGD_ERR_NONE, &r);
    assert_string_equal(r.detail, "database app: 1 row, the same as on the source at the marker");

    /* the same hash of another count is not the same answer */
    f.rows = 2;
    judged("compare", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "database app: the answers differ: 1 row on the source at the "
                                  "marker, 2 in the copy");
    assert_string_equal(r.hint, pgd_error_class_advice(PGD_ERR_SOURCE_MISMATCH));
    f.source_rows = 3;
    f.source_hash = "ffffffffffffffffffffffffffffffff";
    judged("compare", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "database app: the answers differ: 3 rows on the source at the "
                                  "marker, 2 in the copy");

    /* as many rows, other values */
    f.rows = 3;
    judged("compare", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "database app: the answers differ: 3 rows on the source at the "
                                  "marker, 3 in the copy, with other values");

    /* the database's unlogged relations named */
    f.unlogged = "public.cache, public.sessions";
    judged("compare", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.hint, "database app has unlogged relations whose data is never restored "
                                "(public.cache, public.sessions): if the query reads them, make "
                                "them logged or leave them out");
    check_result_free(&r);
}

static void test_compare_copy_side(void **state)
{
    compare_facts f = {.dbname = "app",
                       .captured = true,
                       .source_rows = 3,
                       .source_hash = "0123456789abcdef0123456789abcdef",
                       .query = {.dbname = "app",
                                 .stage = ASSERTION_ANSWERED,
                                 .status = PGRES_FATAL_ERROR,
                                 .sqlstate = "42P01",
                                 .primary = "relation \"orders\" does not exist"}};
    check_result r = {0};

    (void)state;
    /* an error the source did not give: the copy differs */
    judged("compare", &f, CHECK_FAILED, PGD_ERR_SOURCE_MISMATCH, &r);
    assert_string_equal(r.detail, "database app: the query failed: undefined_table (SQLSTATE "
                                  "42P01; message not shown: it may quote the data)");
    assert_string_equal(r.hint, "the query answered on the source but not in the copy: run it in "
                                "a restored copy to see why");

    /* the copy's role may read less than the source's: not judged, never a finding */
    strcpy(f.query.sqlstate, "42501");
    judged("compare", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_non_null(strstr(r.hint, "member of pg_read_all_data"));

    /* a stop in the copy is never a finding; its hint names the comparisons' timeout */
    strcpy(f.query.sqlstate, "57014");
    judged("compare", &f, CHECK_NOT_RUN, PGD_ERR_TIMEOUT, &r);
    assert_string_equal(r.hint, "raise verify.compare_timeout (or verify.timeout), or make the "
                                "query cheaper");
    f.query = (assertion_facts){.dbname = "app", .stage = ASSERTION_NO_LOGIN, .error = "refused"};
    judged("compare", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_string_equal(r.detail, "database app: refused");
    check_result_free(&r);
}

static void test_compare_facts_source(void **state)
{
    pgd_report report = {
        .root = json_pack(
            "{s:{s:[{s:s,s:s,s:i,s:s},{s:s,s:s,s:i,s:s},{s:s,s:s,s:i,s:s},{s:s,s:s,s:s},"
            "{s:s,s:s,s:i}],s:{s:[{s:s,s:[s,s,i]},{s:s,s:[s]},{s:s,s:[]}]}}}",
            "source", "compare", "name", "totals", "database", "orders", "rows", 9, "hash", "x",
            "name", "open", "database", "app", "rows", 8, "hash", "y", "name", "totals", "database",
            "app", "rows", 3, "hash", "0123", "name", "denied", "database", "app", "error",
            "permission denied", "name", "hashless", "database", "app", "rows", 1, "catalog",
            "databases", "name", "app", "unlogged", "public.cache", "public.sessions", 7, "name",
            "orders", "unlogged", "public.queue", "name", "empty", "unlogged")};
    pgd_assertion item = {.name = "totals", .database = "app", .sql = "SELECT 1"};
    compare_facts f = {0};
    check_result r = {0};

    (void)state;
    /* the entry of this name and database, not another's */
    compare_facts_source(&report, &item, &f);
    assert_string_equal(f.dbname, "app");
    assert_true(f.captured);
    assert_null(f.source_error);
    assert_int_equal(f.source_rows, 3);
    assert_string_equal(f.source_hash, "0123");
    assert_string_equal(f.unlogged, "public.cache, public.sessions");
    free(f.unlogged);

    item.name = "denied";
    f = (compare_facts){0};
    compare_facts_source(&report, &item, &f);
    assert_true(f.captured);
    assert_string_equal(f.source_error, "permission denied");
    free(f.unlogged);

    item.name = "hashless";
    f = (compare_facts){0};
    compare_facts_source(&report, &item, &f);
    assert_true(f.captured);
    assert_string_equal(f.source_error, "the report's entry has no hash or no row count");
    free(f.unlogged);

    /* no entry for this database, nor unlogged relations in it */
    item.name = "open";
    item.database = "empty";
    f = (compare_facts){0};
    compare_facts_source(&report, &item, &f);
    assert_string_equal(f.dbname, "empty");
    assert_false(f.captured);
    assert_null(f.source_hash);
    assert_null(f.unlogged);
    judged("compare", &f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, &r);
    assert_string_equal(r.detail,
                        "database empty: not judged: the report holds no answer of the source");

    item.database = "orders";
    f = (compare_facts){0};
    compare_facts_source(&report, &item, &f);
    assert_false(f.captured);
    assert_string_equal(f.unlogged, "public.queue");
    free(f.unlogged);

    /* a report without source.compare or source.catalog */
    json_object_clear(report.root);
    item.name = "totals";
    f = (compare_facts){0};
    compare_facts_source(&report, &item, &f);
    assert_false(f.captured);
    assert_null(f.unlogged);
    check_result_free(&r);
    json_decref(report.root);
}

/* Facts that make each check of the table find something; a new check needs one here. */
static void failing_facts(const check_def *def, check_result *r)
{
    static const char *const recovering[] = {"t"};
    static const char *const archiving[] = {"on", "cp %p /x", ""};
    static const char *const replicating[] = {"1", "0"};
    pgd_report report = {.root = json_pack("{s:[]}", "checks")};
    check_row row = {.report = &report};
    marker_facts marker = {.test_id = "t", .schema = "s", .table = "t", .dbname = "d", .rows = 0};
    rto_facts rto = {.timed = true, .restore = 100, .target = 1};
    /* a marker committed before the target, missing from the copy; its fence after it */
    pgd_marker_row rows[] = {
        {.test_id = "m1",
         .created_us = 10,
         .commit_after_us = 10,
         .commit_by_us = 15,
         .on_source = true},
        {.test_id = "m1",
         .fence = true,
         .created_us = 30,
         .commit_after_us = 30,
         .commit_by_us = 40,
         .on_source = true},
    };
    target_facts target = {.target_us = 20, .rows = rows, .n = 2, .dbname = "d"};
    carried_facts carried = {.entry =
                                 json_pack("{s:s,s:s,s:s}", "status", "failed", "class",
                                           pgd_error_class_name(def->finding), "detail", "bad")};
    schema_dump_facts dump = {0};
    amcheck_findings amcheck = {.corrupt = 1};
    check_db_facts db = {.dbname = "d", .ended = true, .exit_code = 1, .outcome = "exited"};
    pgd_config cfg = {.verify.amcheck = (char *)"on"};
    check_databases all = {.count = 1, .db = &db, .cfg = &cfg};
    assertion_facts assertion = {
        .stage = ASSERTION_ANSWERED,
        .status = PGRES_TUPLES_OK,
        .shape = {.status = PGRES_TUPLES_OK, .rows = 1, .columns = 1, .one_boolean = true}};
    pgd_catalog_difference missing = {.id = "table public.t", .change = PGD_CATALOG_MISSING};
    catalog_db_facts catalog_db = {
        .name = "d", .objects = 3, .diff = {.items = &missing, .count = 1, .missing = 1}};
    source_catalog_facts catalog = {.dbs = &catalog_db, .count = 1};
    compare_facts compared = {.answered = true,
                              .rows = 0,
                              .hash = "d41d8cd98f00b204e9800998ecf8427e",
                              .dbname = "d",
                              .captured = true,
                              .source_rows = 3,
                              .source_hash = "0123"};
    const void *facts = NULL;

    pgd_buf_init(&amcheck.summary);
    if (strcmp(def->name, "promoted") == 0)
        row.values = recovering, facts = &row;
    else if (strcmp(def->name, "archiving_off") == 0)
        row.values = archiving, facts = &row;
    else if (strcmp(def->name, "quarantine") == 0)
        row.values = replicating, facts = &row;
    else if (strcmp(def->name, "marker") == 0)
        facts = &marker;
    else if (strcmp(def->name, "fence") == 0)
        marker.rows = 1, facts = &marker;
    else if (strcmp(def->name, "rto") == 0)
        facts = &rto;
    else if (strcmp(def->name, "target") == 0)
        facts = &target;
    else if (def->runs == CHECK_BY_BOOTSTRAP)
        facts = &carried;
    else if (strcmp(def->name, "schema_dump") == 0)
        db.own = &dump, facts = &all;
    else if (strcmp(def->name, "amcheck") == 0)
        db.exit_code = 2, db.own = &amcheck, facts = &all;
    else if (strcmp(def->name, "assertion") == 0)
        facts = &assertion;
    else if (strcmp(def->name, "source_catalog") == 0)
        facts = &catalog;
    else if (strcmp(def->name, "compare") == 0)
        facts = &compared;
    if (facts == NULL)
        fail_msg("check %s: no failing facts in test_checks.c", def->name);
    def->judge(facts, r);
    json_decref(report.root);
    json_decref(carried.entry);
    pgd_buf_free(&amcheck.summary);
}

/* Every class has advice, and every check's finding says what to do (README: one voice). */
static void test_every_finding_has_a_hint(void **state)
{
    (void)state;
    for (pgd_error_class c = PGD_ERR_FIRST; c <= PGD_ERR_LAST; c++) {
        assert_non_null(pgd_error_class_advice(c));
        assert_true(strlen(pgd_error_class_advice(c)) > 0);
    }
    for (size_t i = 0; i < verify_check_count; i++) {
        check_result r = {0};

        failing_facts(verify_checks[i], &r);
        if (r.status != CHECK_FAILED || r.error_class != verify_checks[i]->finding)
            fail_msg("check %s: the failing facts gave %s (%s)", verify_checks[i]->name,
                     check_status_name(r.status), pgd_error_class_name(r.error_class));
        if (r.hint == NULL || r.hint[0] == '\0')
            fail_msg("check %s: a finding without a hint", verify_checks[i]->name);
        check_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_table),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_result_set),
        cmocka_unit_test(test_promoted),
        cmocka_unit_test(test_archiving_off),
        cmocka_unit_test(test_quarantine),
        cmocka_unit_test(test_marker_and_fence),
        cmocka_unit_test(test_rto),
        cmocka_unit_test(test_source_catalog),
        cmocka_unit_test(test_source_catalog_databases),
        cmocka_unit_test(test_source_catalog_differences),
        cmocka_unit_test(test_compare_judge),
        cmocka_unit_test(test_compare_copy_side),
        cmocka_unit_test(test_compare_facts_source),
        cmocka_unit_test(test_every_finding_has_a_hint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
