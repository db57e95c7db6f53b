/*
 * test_schema_dump.c - what pg_dump printed, and the judge of the schema_dump
 * check: a broken catalog is a finding, the instance's limits are not.
 */
#include "schema_dump.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* A judge's result from the facts of one database per line set; lines NULL-terminated. */
static void judge_lines(const char *const *const *lines, const int *exit_codes, size_t n,
                        check_result *out)
{
    check_db_facts db[4] = {{0}};
    schema_dump_facts facts[4] = {{0}};
    static const char *const names[] = {"orders", "inventory", "audit", "x"};
    check_databases all = {.count = n, .db = db};

    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; lines[i][j] != NULL; j++)
            schema_dump_line(&facts[i], lines[i][j]);
        db[i] = (check_db_facts){.dbname = names[i],
                                 .ended = exit_codes[i] >= 0,
                                 .exit_code = exit_codes[i],
                                 .outcome = exit_codes[i] == 0  ? "exited with status 0"
                                            : exit_codes[i] > 0 ? "exited with status 1"
                                                                : "timed out",
                                 .last_lines = "pg_dump: last words",
                                 .own = &facts[i]};
    }
    verify_check_find("schema_dump")->judge(&all, out);
    for (size_t i = 0; i < n; i++) {
        if (facts[i].errors.data != NULL)
            pgd_buf_free(&facts[i].errors);
    }
}

static void test_lines(void **state)
{
    schema_dump_facts f = {0};

    (void)state;
    schema_dump_line(&f, "pg_dump: last built-in OID is 16383");
    assert_int_equal(f.error_lines, 0);
    /* a broken catalog: a finding */
    schema_dump_line(&f, "pg_dump: error: schema with OID 424242 does not exist");
    schema_dump_line(&f, "pg_dump: error: query failed: ERROR:  cache lookup failed for type 1");
    assert_int_equal(f.error_lines, 2);
    assert_false(f.instance_stopped);
    /* the restored instance's limits or reachability: not the backup */
    schema_dump_line(&f, "pg_dump: error: query failed: ERROR:  out of shared memory");
    assert_true(f.instance_stopped);
    schema_dump_line(&f, "pg_dump: error: fourth, not quoted");
    assert_int_equal(f.error_lines, 4);
    assert_null(strstr(f.errors.data, "fourth"));
    assert_non_null(strstr(f.errors.data, "OID 424242 does not exist | pg_dump"));
    pgd_buf_free(&f.errors);
}

static void test_instance_lines(void **state)
{
    static const char *const lines[] = {
        ("pg_dump: error: connection to server on socket \"/tmp/x/.s.PGSQL.5432\" failed: FATAL:  "
         "sorry, too many clients already"),
        "pg_dump: error: connection to server at \"localhost\" (127.0.0.1), port 5433 failed",
        "pg_dump: error: FATAL:  the database system is shutting down",
        "pg_dump: error: query failed: ERROR:  permission denied for table t",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        schema_dump_facts f = {0};

        schema_dump_line(&f, lines[i]);
        assert_true(f.instance_stopped);
        pgd_buf_free(&f.errors);
    }
}

static void test_judge(void **state)
{
    static const char *const clean[] = {"pg_dump: reading schemas", NULL};
    static const char *const broken[] = {"pg_dump: error: schema with OID 4 does not exist", NULL};
    static const char *const small[] = {
        "pg_dump: error: query failed: ERROR:  out of shared memory", NULL};
    static const char *const silent[] = {NULL};
    const char *const *two_clean[] = {clean, clean};
    const char *const *one_broken[] = {clean, broken, small};
    const char *const *one_small[] = {clean, small};
    const char *const *one_died[] = {clean, silent};
    int ok[] = {0, 0, 0}, failing[] = {0, 1, 1}, died[] = {0, -1};
    check_result r = {0};

    (void)state;
    judge_lines(two_clean, ok, 2, &r);
    assert_int_equal(r.status, CHECK_PASSED);
    assert_string_equal(r.detail, "pg_dump -s of 2 databases passed: orders, inventory");
    assert_null(r.hint);

    judge_lines(one_broken, failing, 3, &r);
    assert_int_equal(r.status, CHECK_FAILED);
    assert_int_equal(r.error_class, PGD_ERR_SCHEMA_DUMP_FAILED);
    assert_string_equal(r.detail, "database inventory: pg_dump exited with status 1: pg_dump: "
                                  "error: schema with OID 4 does not exist");
    assert_non_null(r.hint);

    judge_lines(one_small, failing, 2, &r);
    assert_int_equal(r.status, CHECK_NOT_RUN);
    assert_int_equal(r.error_class, PGD_ERR_INTERNAL);
    assert_null(strstr(r.detail, "raise")); /* what to do is the hint's */
    assert_non_null(strstr(r.hint, "max_locks_per_transaction"));

    /* a pg_dump that printed nothing and did not end: its last words, and a finding */
    judge_lines(one_died, died, 2, &r);
    assert_int_equal(r.status, CHECK_FAILED);
    assert_string_equal(r.detail, "database inventory: pg_dump timed out: pg_dump: last words");
    check_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_instance_lines),
        cmocka_unit_test(test_judge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
