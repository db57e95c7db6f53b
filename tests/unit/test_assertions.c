/*
 * test_assertions.c - how an assertion's answer is described and judged:
 * by shape, type and SQLSTATE, never by a value it read.
 */
#include "assertions.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define BOOLOID 16
#define TEXTOID 25
#define INT4OID 23

static const char *const VALUE = "alice@example.com";

static void check_description(const assertion_shape *shape, const char *expected,
                              bool expected_pass)
{
    bool passed = !expected_pass;
    char *got = assertion_describe(shape, &passed);

    assert_string_equal(got, expected);
    assert_int_equal(passed, expected_pass);
    free(got);
}

static void test_describe_booleans(void **state)
{
    assertion_shape shape = {
        .status = PGRES_TUPLES_OK, .rows = 1, .columns = 1, .one_boolean = true};

    (void)state;
    shape.value = 1;
    check_description(&shape, "true", true);
    shape.value = 0;
    check_description(&shape, "false", false);
    shape.value = -1;
    check_description(&shape, "NULL", false);
}

static void test_describe_shapes(void **state)
{
    const char *const one[] = {"text"};
    const char *const two[] = {"integer", NULL};
    const char *const ten[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    assertion_shape shape = {.status = PGRES_TUPLES_OK, .rows = 1, .columns = 1, .types = one};

    (void)state;
    check_description(&shape, "1 row of 1 column of type text, not one boolean", false);
    shape = (assertion_shape){.status = PGRES_TUPLES_OK, .rows = 3, .columns = 2, .types = two};
    check_description(&shape, "3 rows of 2 columns of types integer, (unknown), not one boolean",
                      false);
    shape = (assertion_shape){.status = PGRES_TUPLES_OK, .rows = 0, .columns = 10, .types = ten};
    check_description(&shape,
                      "0 rows of 10 columns of types a, b, c, d, e, f, g, h, ..., not one "
                      "boolean",
                      false);
    /* the type names could not be read: the shape alone */
    shape = (assertion_shape){.status = PGRES_TUPLES_OK, .rows = 2, .columns = 1};
    check_description(&shape, "2 rows of 1 column, not one boolean", false);
    shape = (assertion_shape){.status = PGRES_COMMAND_OK, .command = "DO"};
    check_description(&shape, "no rows (command DO), not one boolean", false);
    shape = (assertion_shape){.status = PGRES_COMMAND_OK, .command = "UPDATE 12"};
    check_description(&shape, "no rows (command UPDATE), not one boolean", false);
    shape = (assertion_shape){.status = PGRES_EMPTY_QUERY};
    check_description(&shape, "an empty statement, not one boolean", false);
    shape = (assertion_shape){.status = PGRES_COPY_OUT};
    check_description(&shape, "a COPY (not read), not one boolean", false);
}

/* A result as libpq would hand it over, built without a server. */
static PGresult *result(int columns, const Oid *types, int rows, const char *const *values)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc attrs[4];

    memset(attrs, 0, sizeof(attrs));
    for (int i = 0; i < columns; i++) {
        attrs[i].name = (char *)"c";
        attrs[i].typid = types[i];
        attrs[i].format = 0;
        attrs[i].typlen = -1;
        attrs[i].atttypmod = -1;
    }
    assert_true(PQsetResultAttrs(res, columns, attrs));
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < columns; c++) {
            const char *v = values[r * columns + c];

            assert_true(PQsetvalue(res, r, c, (char *)v, v ? (int)strlen(v) : -1));
        }
    }
    return res;
}

static void test_shape_of_never_holds_a_value(void **state)
{
    const Oid text[] = {TEXTOID};
    const Oid boolean[] = {BOOLOID};
    const Oid two[] = {INT4OID, TEXTOID};
    const char *const email[] = {VALUE};
    const char *const t[] = {"t"};
    const char *const null[] = {NULL};
    const char *const rows[] = {"1", VALUE, "2", VALUE};
    assertion_shape shape;
    PGresult *res;
    char *description;
    bool passed;

    (void)state;
    res = result(1, text, 1, email);
    assertion_shape_of(res, &shape);
    assert_false(shape.one_boolean);
    description = assertion_describe(&shape, &passed);
    assert_null(strstr(description, VALUE));
    assert_string_equal(description, "1 row of 1 column, not one boolean");
    free(description);
    PQclear(res);

    res = result(1, boolean, 1, t);
    assertion_shape_of(res, &shape);
    assert_true(shape.one_boolean);
    assert_int_equal(shape.value, 1);
    PQclear(res);

    res = result(1, boolean, 1, null);
    assertion_shape_of(res, &shape);
    assert_int_equal(shape.value, -1);
    PQclear(res);

    res = result(2, two, 2, rows);
    assertion_shape_of(res, &shape);
    assert_int_equal(shape.rows, 2);
    assert_int_equal(shape.columns, 2);
    assert_false(shape.one_boolean);
    PQclear(res);
}

static void test_error_classes(void **state)
{
    (void)state;
    /* statement_timeout: not judged */
    assert_int_equal(assertion_error_class("57014", false), PGD_ERR_TIMEOUT);
    /* the server could not run it */
    assert_int_equal(assertion_error_class("53200", false), PGD_ERR_INTERNAL);
    assert_int_equal(assertion_error_class("53100", false), PGD_ERR_INTERNAL);
    assert_int_equal(assertion_error_class("57P01", false), PGD_ERR_INTERNAL);
    assert_int_equal(assertion_error_class("42501", true), PGD_ERR_INTERNAL);
    assert_int_equal(assertion_error_class(NULL, true), PGD_ERR_INTERNAL);
    /* the assertion did not hold: a hostile one refused, a wrong one, broken data */
    assert_int_equal(assertion_error_class("42501", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class("2D000", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class("25006", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class("42P01", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class("22P02", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class("2F003", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class("XX001", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class("08001", false), PGD_ERR_ASSERTION_FAILED);
    assert_int_equal(assertion_error_class(NULL, false), PGD_ERR_ASSERTION_FAILED);
}

static void test_messages_shown(void **state)
{
    static const char *const shown[] = {"42501", "2F003", "25006", "25001", "2D000", "21000",
                                        "40001", "40P01", "57014", "53200", "54001", "08001"};
    /* each can quote a value: 22P02 the input, 23505 a key, P0001 RAISE, 0A000 and 42P01 a
       text cast to regclass, 42601 dynamic SQL, 42704 set_config of a value */
    static const char *const hidden[] = {"22P02", "22012", "23505", "P0001", "0A000",  "42P01",
                                         "42601", "42704", "42602", "XX000", "38000",  "HV000",
                                         "2F005", "ZZ999", "",      "425",   "4250123"};

    (void)state;
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
        assert_true(assertion_message_shown(shown[i]));
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        assert_false(assertion_message_shown(hidden[i]));
    assert_false(assertion_message_shown(NULL));
}

static void check_error(const char *sqlstate, const char *primary, const char *expected)
{
    char *got = assertion_describe_error(sqlstate, primary);

    assert_string_equal(got, expected);
    free(got);
}

static void test_describe_errors(void **state)
{
    (void)state;
    check_error("42501", "permission denied for function pg_read_file",
                "insufficient_privilege (SQLSTATE 42501): permission denied for function "
                "pg_read_file");
    check_error("22P02", "invalid input syntax for type integer: \"alice@example.com\"",
                "invalid_text_representation (SQLSTATE 22P02; message not shown: it may quote "
                "the data)");
    check_error("P0001", VALUE,
                "raise_exception (SQLSTATE P0001; message not shown: it may quote the data)");
    /* a code this version does not know: named by its class */
    check_error("22ZZZ", VALUE,
                "SQLSTATE 22ZZZ (class 22, data_exception; message not shown: it may quote the "
                "data)");
    check_error("QQ123", VALUE,
                "SQLSTATE QQ123 (class QQ; message not shown: it may quote the data)");
    /* an allowed class without a message */
    check_error("57014", NULL, "query_canceled (SQLSTATE 57014)");
    /* libpq's own error (no SQLSTATE): its text, which is libpq's, not the server's data */
    check_error(NULL, "server closed the connection unexpectedly",
                "server closed the connection unexpectedly");
    check_error("", NULL, "an error without SQLSTATE");
}

/* The judge of one assertion's facts; the result must have this status and class. */
static void expect_judged(const assertion_facts *f, check_status status,
                          pgd_error_class error_class, const char *in_detail, const char *in_hint)
{
    check_result r = {0};

    assertion_judge(f, &r);
    assert_int_equal(r.status, status);
    assert_int_equal(r.error_class, error_class);
    if (strstr(r.detail, in_detail) == NULL)
        fail_msg("detail \"%s\" lacks \"%s\"", r.detail, in_detail);
    /* no value the statement read: not in the detail, not in the hint */
    assert_null(strstr(r.detail, VALUE));
    if (error_class != PGD_ERR_NONE) {
        assert_non_null(r.hint);
        if (in_hint != NULL && strstr(r.hint, in_hint) == NULL)
            fail_msg("hint \"%s\" lacks \"%s\"", r.hint, in_hint);
    }
    check_result_free(&r);
}

static void test_judge_stages(void **state)
{
    assertion_facts f = {.dbname = "orders", .verify_timeout = 60};

    (void)state;
    f.stage = ASSERTION_NOT_STARTED;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_TIMEOUT, "verify.timeout (60s) left no time",
                  "raise verify.timeout");
    f.interrupted = true;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERRUPTED, "termination signal", NULL);
    f.stage = ASSERTION_UNPREPARED;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERRUPTED, "?", NULL);
    f.interrupted = false;
    f.error = (char *)"could not prepare database orders";
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, "could not prepare database orders",
                  "superuser");
    f.stage = ASSERTION_NO_LOGIN;
    f.error = (char *)"password authentication failed";
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERNAL,
                  "database orders: password authentication failed", "pg_hba.conf");
    f.stage = ASSERTION_NO_ANSWER;
    f.end = PGD_PQ_INTERRUPTED;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERRUPTED, "it was cancelled", NULL);
    f.end = PGD_PQ_TIMED_OUT;
    f.error = (char *)"query did not finish within 3.0s; cancelled";
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_TIMEOUT, "not judged: query did not finish", NULL);
    f.end = PGD_PQ_BROKEN;
    f.error = NULL;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, "not judged: ?", NULL);
}

static void test_judge_answers(void **state)
{
    assertion_facts f = {.dbname = "orders", .stage = ASSERTION_ANSWERED, .timeout_ms = 3000};

    (void)state;
    f.status = PGRES_TUPLES_OK;
    f.shape = (assertion_shape){
        .status = PGRES_TUPLES_OK, .rows = 1, .columns = 1, .one_boolean = true, .value = 1};
    expect_judged(&f, CHECK_PASSED, PGD_ERR_NONE, "database orders: returned true", NULL);
    f.shape.value = 0;
    expect_judged(&f, CHECK_FAILED, PGD_ERR_ASSERTION_FAILED, "returned false", NULL);

    f.status = PGRES_FATAL_ERROR;
    snprintf(f.sqlstate, sizeof(f.sqlstate), "22P02");
    f.primary = (char *)VALUE;
    expect_judged(&f, CHECK_FAILED, PGD_ERR_ASSERTION_FAILED,
                  "the query failed: invalid_text_representation (SQLSTATE 22P02; message not "
                  "shown",
                  NULL);
    snprintf(f.sqlstate, sizeof(f.sqlstate), "57014");
    f.primary = NULL;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_TIMEOUT,
                  "statement timeout of 3.0 s (verify.assertion_timeout)",
                  "verify.assertion_timeout");
    f.deadline_rules = true;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_TIMEOUT, "(what verify.timeout left)",
                  "raise verify.timeout");
    snprintf(f.sqlstate, sizeof(f.sqlstate), "53200");
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, "not judged: the query failed: out_of_",
                  NULL);
    f.sqlstate[0] = '\0';
    f.connection_lost = true;
    expect_judged(&f, CHECK_NOT_RUN, PGD_ERR_INTERNAL, "an error without SQLSTATE", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_booleans),
        cmocka_unit_test(test_describe_shapes),
        cmocka_unit_test(test_shape_of_never_holds_a_value),
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_messages_shown),
        cmocka_unit_test(test_describe_errors),
        cmocka_unit_test(test_judge_stages),
        cmocka_unit_test(test_judge_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
