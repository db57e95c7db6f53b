/*
 * test_attempt_guard.c - the attempt guard: which earlier drill blocks a new one.
 */
#include "attempt_guard.h"
#include "report.h"
#include "secret.h"
#include "verdict.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_previous(const char *test_id, const char *scope, pgd_verdict verdict,
                           pgd_error_class error_class)
{
    pgd_report *r = pgd_report_new(path, test_id, scope, "orders");
    char *errmsg = NULL;

    pgd_report_set_error(r, error_class, "earlier failure", NULL);
    pgd_report_set_verdict(r, verdict);
    assert_true(pgd_report_write(r, &errmsg));
    pgd_report_free(r);
}

static attempt_guard_decision decide(const char *scope, const char *test_id)
{
    pgd_report *previous = NULL;
    char *why = NULL;
    attempt_guard_decision d = attempt_guard_check(path, scope, test_id, &previous, &why);

    pgd_report_free(previous);
    free(why);
    return d;
}

static void test_attempt_guard(void **state)
{
    pgd_report *previous = NULL;
    char *why = NULL;
    char *message = NULL;
    FILE *fp;

    (void)state;
    assert_int_equal(decide("orders", NULL), ATTEMPT_GUARD_PROCEED); /* no earlier drill */

    write_previous("a", "orders", PGD_VERDICT_FAILED, PGD_ERR_WAL_MISSING);
    assert_int_equal(decide("orders", NULL), ATTEMPT_GUARD_GIVE_UP);
    assert_int_equal(decide("orders", "a"), ATTEMPT_GUARD_GIVE_UP);
    assert_int_equal(decide("orders", "b"), ATTEMPT_GUARD_PROCEED); /* a scheduler's new drill */
    assert_int_equal(decide("billing", NULL), ATTEMPT_GUARD_PROCEED);

    write_previous("a", "orders", PGD_VERDICT_RUNNING, PGD_ERR_NONE); /* crashed mid-drill */
    assert_int_equal(decide("orders", NULL), ATTEMPT_GUARD_GIVE_UP);

    write_previous("a", "orders", PGD_VERDICT_PASSED, PGD_ERR_NONE);
    assert_int_equal(decide("orders", NULL), ATTEMPT_GUARD_PROCEED);
    assert_int_equal(decide("orders", "a"),
                     ATTEMPT_GUARD_GIVE_UP); /* the same drill never runs twice */

    write_previous("a", "orders", PGD_VERDICT_INCONCLUSIVE,
                   PGD_ERR_DEFERRED); /* nothing was done */
    assert_int_equal(decide("orders", "a"), ATTEMPT_GUARD_PROCEED);

    write_previous("a", "orders", PGD_VERDICT_FAILED, PGD_ERR_RESTORE_FAILED);
    assert_int_equal(attempt_guard_check(path, "orders", "a", &previous, &why),
                     ATTEMPT_GUARD_GIVE_UP);
    attempt_guard_mark_given_up(previous, &message);
    assert_int_equal(pgd_report_error_class(previous), PGD_ERR_GIVEN_UP);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(previous->root, "previous_error"), "class")),
                        "restore_failed");
    assert_int_equal(json_integer_value(json_object_get(previous->root, "attempts")), 2);
    assert_non_null(strstr(message, "not restoring again"));
    free(message);
    pgd_report_free(previous);

    fp = fopen(path, "w");
    fputs("garbage", fp);
    fclose(fp);
    assert_int_equal(decide("orders", NULL),
                     ATTEMPT_GUARD_ERROR); /* evidence is never overwritten */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_attempt_guard, reset),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
