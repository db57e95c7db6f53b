/*
 * test_jobs.c - how verify.jobs is shared among the programs of a check, and
 * what a per-database check without a database records, and the order in
 * which items run and are recorded (verify.assertions, verify.jobs at a time).
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

/*
 * Three assertions, two at a time, ending in the order 1, 2, 0: none is
 * recorded before the first, then all three in table order; the third
 * starts as soon as one of the first two has ended.
 */
static void test_order_two_at_a_time(void **state)
{
    jobs_order o;
    size_t item = 99;

    (void)state;
    jobs_order_init(&o, 3, 2);
    assert_true(jobs_order_start(&o, &item));
    assert_int_equal(item, 0);
    assert_true(jobs_order_start(&o, &item));
    assert_int_equal(item, 1);
    assert_false(jobs_order_start(&o, &item)); /* two run: verify.jobs */
    assert_false(jobs_order_record(&o, &item));
    jobs_order_ended(&o, 1);
    assert_false(jobs_order_record(&o, &item)); /* 0 still runs: 1 waits for it */
    assert_true(jobs_order_start(&o, &item));
    assert_int_equal(item, 2);
    assert_false(jobs_order_start(&o, &item)); /* all started */
    jobs_order_ended(&o, 2);
    assert_false(jobs_order_record(&o, &item));
    assert_false(jobs_order_finished(&o));
    jobs_order_ended(&o, 0);
    for (size_t want = 0; want < 3; want++) {
        assert_true(jobs_order_record(&o, &item));
        assert_int_equal(item, want);
    }
    assert_false(jobs_order_record(&o, &item));
    assert_true(jobs_order_finished(&o));
    jobs_order_free(&o);
}

/* verify.jobs 1: one at a time, each recorded as soon as it ends (the serial run). */
static void test_order_one_at_a_time(void **state)
{
    jobs_order o;
    size_t item = 99;

    (void)state;
    jobs_order_init(&o, 3, 1);
    for (size_t want = 0; want < 3; want++) {
        assert_true(jobs_order_start(&o, &item));
        assert_int_equal(item, want);
        assert_false(jobs_order_start(&o, &item));
        jobs_order_ended(&o, item);
        jobs_order_ended(&o, item); /* told twice: still one place */
        assert_true(jobs_order_record(&o, &item));
        assert_int_equal(item, want);
        assert_false(jobs_order_record(&o, &item));
    }
    assert_true(jobs_order_finished(&o));
    jobs_order_free(&o);
}

/* More jobs than items: all start at once; none at all is finished from the start. */
static void test_order_bounds(void **state)
{
    jobs_order o;
    size_t item = 99;

    (void)state;
    jobs_order_init(&o, 2, 8);
    assert_true(jobs_order_start(&o, &item));
    assert_true(jobs_order_start(&o, &item));
    assert_false(jobs_order_start(&o, &item));
    jobs_order_free(&o);
    jobs_order_init(&o, 0, 2);
    assert_false(jobs_order_start(&o, &item));
    assert_true(jobs_order_finished(&o));
    jobs_order_free(&o);
    jobs_order_init(&o, 2, 0); /* below 1: one at a time */
    assert_true(jobs_order_start(&o, &item));
    assert_false(jobs_order_start(&o, &item));
    jobs_order_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_no_database_is_never_a_pass),
        cmocka_unit_test(test_order_two_at_a_time),
        cmocka_unit_test(test_order_one_at_a_time),
        cmocka_unit_test(test_order_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
