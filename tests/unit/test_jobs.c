/*
 * test_jobs.c - how verify.jobs is shared among the programs of a check, and
 * what a per-database check without a database records.
 */
#include "jobs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void expect_share(long jobs, size_t databases, long parallel, long each)
{
    long p = -1, e = -1;

    jobs_share(jobs, databases, &p, &e);
    assert_int_equal(p, parallel);
    assert_int_equal(e, each);
    /* never more connections than verify.jobs, unless one each is already more */
    assert_true(p * e <= (jobs > 1 ? jobs : 1));
}

static void test_share(void **state)
{
    (void)state;
    expect_share(2, 1, 1, 2); /* one database gets every job */
    expect_share(2, 5, 2, 1);
    expect_share(8, 3, 3, 2);
    expect_share(8, 8, 8, 1);
    expect_share(1, 4, 1, 1);
    expect_share(4, 0, 1, 4);
    expect_share(0, 3, 1, 1);
}

static void expect_lines(const char *tail, const char *expected)
{
    char *got = jobs_error_lines(tail);

    assert_string_equal(got, expected);
    free(got);
}

static void test_error_lines(void **state)
{
    (void)state;
    expect_lines("pg_amcheck: checking heap table \"d.s.t\"\n"
                 "pg_amcheck: error: connection to server failed: FATAL:  no\n"
                 "pg_amcheck: checking btree index \"d.s.i\"",
                 "pg_amcheck: error: connection to server failed: FATAL:  no");
    expect_lines("pg_dump: error: query failed: ERROR:  permission denied for table t\n"
                 "pg_dump: detail: Query was: LOCK TABLE public.t IN ACCESS SHARE MODE",
                 "pg_dump: error: query failed: ERROR:  permission denied for table t\n"
                 "pg_dump: detail: Query was: LOCK TABLE public.t IN ACCESS SHARE MODE");
    expect_lines("Segmentation fault\nlast", "Segmentation fault\nlast");
    expect_lines("", "");
}

/* Zero databases prove nothing: every per-database check of the table is not_run, with a hint. */
static void test_no_database_is_never_a_pass(void **state)
{
    size_t seen = 0;

    (void)state;
    for (size_t i = 0; i < verify_check_count; i++) {
        const check_def *def = verify_checks[i];
        check_result r = {0};

        if (def->runs != CHECK_PER_DATABASE)
            continue;
        jobs_no_database(def, &r);
        assert_int_equal(r.status, CHECK_NOT_RUN);
        assert_int_equal(r.error_class, PGD_ERR_INTERNAL);
        assert_non_null(strstr(r.detail, def->program->verb));
        assert_non_null(r.hint);
        check_result_free(&r);
        seen++;
    }
    assert_int_equal(seen, 2); /* schema_dump, amcheck */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_no_database_is_never_a_pass),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
