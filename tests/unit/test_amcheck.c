/*
 * test_amcheck.c - what pg_amcheck 15 printed, and the judge of the amcheck
 * check: corruption is a finding, the instance's limits are not.
 */
#include "amcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* As pg_amcheck 15 --verbose prints them on stdout (docs/design.md, F60). */
static const char HEAP_CORRUPT[] =
    "heap table \"orders.public.items\", block 0, offset 3:\n"
    "    line pointer redirection to item at offset 9 exceeds maximum offset 4\n"
    "heap table \"orders.public.items\", block 0, offset 4:\n"
    "    xmin 4294967295 equals or exceeds next valid transaction ID 0:741\n";
static const char BTREE_ERROR[] =
    "btree index \"orders.public.items_pkey\":\n"
    "    ERROR:  XX002: index \"items_pkey\" lacks a main relation fork\n"
    "    LOCATION:  bt_index_check_internal, verify_nbtree.c:339\n"
    "query was: SELECT \"public\".bt_index_check(index := c.oid, heapallindexed := false)\n"
    "FROM pg_catalog.pg_class c, pg_catalog.pg_index i WHERE c.oid = 16390\n";
static const char NO_PRIVILEGE[] =
    "heap table \"orders.public.items\":\n"
    "    ERROR:  42501: permission denied for function verify_heapam\n"
    "    LOCATION:  aclcheck_error, aclchk.c:3655\n"
    "query was: SELECT v.blkno, v.offnum, v.attnum, v.msg FROM pg_catalog.pg_class c\n"
    "btree index \"orders.public.items_pkey\":\n"
    "    ERROR:  57014: canceling statement due to statement timeout\n";

static void parse(const char *output, amcheck_findings *f)
{
    memset(f, 0, sizeof(*f));
    pgd_buf_init(&f->summary);
    amcheck_parse(output, f);
}

static void release(amcheck_findings *f)
{
    pgd_buf_free(&f->summary);
    free(f->stopped);
}

static void test_parse(void **state)
{
    amcheck_findings f;

    (void)state;
    parse(HEAP_CORRUPT, &f);
    assert_int_equal(f.corrupt, 2);
    assert_int_equal(f.environment, 0);
    assert_string_equal(f.summary.data,
                        "heap table \"orders.public.items\", block 0, offset 3: line pointer "
                        "redirection to item at offset 9 exceeds maximum offset 4; heap table "
                        "\"orders.public.items\", block 0, offset 4: xmin 4294967295 equals or "
                        "exceeds next valid transaction ID 0:741");
    release(&f);

    parse(BTREE_ERROR, &f);
    assert_int_equal(f.corrupt, 1);
    release(&f);

    parse(NO_PRIVILEGE, &f);
    assert_int_equal(f.corrupt, 0);
    assert_int_equal(f.environment, 2);
    assert_string_equal(f.stopped, "heap table \"orders.public.items\": ERROR:  42501: "
                                   "permission denied for function verify_heapam");
    release(&f);

    /* without --verbose (no SQLSTATE): PostgreSQL's own text of the condition */
    parse("btree index \"d.s.i\":\n    ERROR:  out of shared memory\n", &f);
    assert_int_equal(f.environment, 1);
    release(&f);

    /* progress and other lines are not findings; a message without a header neither */
    parse("    ERROR:  out of memory\n\nchecking heap table \"a.b.c\"\n", &f);
    assert_int_equal(f.corrupt + f.environment, 0);
    release(&f);
    parse("", &f);
    assert_int_equal(f.corrupt, 0);
    release(&f);
    parse(NULL, &f);
    assert_int_equal(f.corrupt, 0);
    release(&f);
}

/* Four or more findings: three quoted, all counted. */
static void test_parse_quotes_three(void **state)
{
    amcheck_findings f;
    pgd_buf out;

    (void)state;
    pgd_buf_init(&out);
    for (int i = 0; i < 5; i++)
        pgd_buf_appendf(&out, "heap table \"d.s.t\", block %d:\n    bad %d\n", i, i);
    parse(out.data, &f);
    assert_int_equal(f.corrupt, 5);
    assert_non_null(strstr(f.summary.data, "bad 2"));
    assert_null(strstr(f.summary.data, "bad 3"));
    release(&f);
    pgd_buf_free(&out);
}

typedef struct one_db {
    const char *output;
    bool ended;
    int exit_code;
} one_db;

static void judge(const one_db *dbs, size_t n, const char *amcheck, check_result *out)
{
    static const char *const names[] = {"orders", "inventory", "audit"};
    check_db_facts db[3] = {{0}};
    amcheck_findings f[3];
    pgd_config cfg = {0};
    check_databases all = {.count = n, .db = db, .cfg = &cfg};
    pgd_proc_result r = {0};

    cfg.verify.amcheck = (char *)amcheck;
    for (size_t i = 0; i < n; i++) {
        memset(&f[i], 0, sizeof(f[i]));
        r.outcome = dbs[i].ended ? PGD_PROC_EXITED : PGD_PROC_TIMED_OUT;
        r.exit_code = dbs[i].exit_code;
        r.stdout_text = (char *)dbs[i].output;
        check_amcheck.program->on_exit(&f[i], &r);
        db[i] = (check_db_facts){.dbname = names[i],
                                 .ended = dbs[i].ended,
                                 .exit_code = dbs[i].exit_code,
                                 .outcome = dbs[i].ended ? "exited with status 1" : "timed out",
                                 .last_lines = "pg_amcheck: error: x",
                                 .own = &f[i]};
    }
    check_amcheck.judge(&all, out);
    for (size_t i = 0; i < n; i++)
        check_amcheck.program->free_facts(&f[i]);
}

static void test_judge(void **state)
{
    const one_db clean[] = {{"", true, 0}, {"", true, 0}};
    const one_db corrupt[] = {{"", true, 0}, {HEAP_CORRUPT, true, 2}, {NO_PRIVILEGE, true, 2}};
    const one_db limited[] = {{"", true, 0}, {NO_PRIVILEGE, true, 2}};
    const one_db failed[] = {{"", true, 1}};
    const one_db unexplained[] = {{"heap table \"a\":\n", true, 2}};
    const one_db timed_out[] = {{NULL, false, 0}};
    check_result r = {0};
    const char *why = NULL;

    (void)state;
    judge(clean, 2, "on", &r);
    assert_int_equal(r.status, CHECK_PASSED);
    assert_string_equal(r.detail, "pg_amcheck found no corruption in 2 databases");
    judge(clean, 1, "heapallindexed", &r);
    assert_string_equal(r.detail, "pg_amcheck --heapallindexed found no corruption in 1 database");

    /* a finding outranks a database that could not be checked */
    judge(corrupt, 3, "on", &r);
    assert_int_equal(r.status, CHECK_FAILED);
    assert_int_equal(r.error_class, PGD_ERR_DATA_CORRUPTION);
    assert_non_null(strstr(r.detail, "database inventory: 2 findings: heap table"));
    assert_non_null(r.hint);

    judge(limited, 2, "on", &r);
    assert_int_equal(r.status, CHECK_NOT_RUN);
    assert_int_equal(r.error_class, PGD_ERR_INTERNAL);
    assert_non_null(strstr(r.detail, "database inventory: 2 checks could not run (heap table"));
    assert_non_null(strstr(r.hint, "superuser"));

    judge(failed, 1, "on", &r);
    assert_int_equal(r.status, CHECK_NOT_RUN);
    assert_string_equal(r.detail,
                        "pg_amcheck of database orders exited with status 1: pg_amcheck: error: x");
    /* exit 2 without a finding it understands: never a guess */
    judge(unexplained, 1, "on", &r);
    assert_int_equal(r.status, CHECK_NOT_RUN);
    judge(timed_out, 1, "on", &r);
    assert_int_equal(r.status, CHECK_NOT_RUN);
    assert_non_null(strstr(r.detail, "timed out"));
    check_result_free(&r);

    {
        pgd_config cfg = {0};

        cfg.verify.amcheck = "off";
        assert_false(check_amcheck.enabled(&cfg, &why));
        assert_string_equal(why, "verify.amcheck is off");
        cfg.verify.amcheck = "on";
        assert_true(check_amcheck.enabled(&cfg, &why));
    }
}

static void test_args(void **state)
{
    pgd_config cfg = {0};
    pgd_argv argv;
    const char *const *got;

    (void)state;
    cfg.verify.amcheck = "heapallindexed";
    pgd_argv_init(&argv);
    check_amcheck.program->args(&cfg, "dbname=orders", 3, &argv);
    got = pgd_argv_get(&argv);
    assert_string_equal(got[0], "--jobs=3");
    assert_string_equal(got[1], "--verbose");
    assert_string_equal(got[2], "--install-missing");
    assert_string_equal(got[3], "--no-password");
    assert_string_equal(got[4], "--heapallindexed");
    assert_string_equal(got[5], "dbname=orders");
    assert_null(got[6]);
    pgd_argv_free(&argv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_quotes_three),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
