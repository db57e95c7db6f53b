/*
 * test_classify.c - "the instance could not" or "a finding", by SQLSTATE,
 * also for what pg_dump and pg_amcheck print without one.
 */
#include "classify.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void test_instance_sqlstates(void **state)
{
    static const char *const instance[] = {"53000", "53100", "53200", "53300",
                                           "57014", "57P01", "57P03", "57000"};
    static const char *const finding[] = {"42501", "08001", "XX001", "XX002", "XX000",
                                          "22P02", "58030", "",      "5",     "53"};

    (void)state;
    for (size_t i = 0; i < sizeof(instance) / sizeof(instance[0]); i++)
        assert_true(classify_instance_sqlstate(instance[i]));
    for (size_t i = 0; i < sizeof(finding) / sizeof(finding[0]); i++)
        assert_false(classify_instance_sqlstate(finding[i]));
    assert_false(classify_instance_sqlstate(NULL));
}

static void test_message_sqlstates(void **state)
{
    (void)state;
    assert_string_equal(
        classify_message_sqlstate("pg_dump: error: query failed: ERROR:  out of shared memory"),
        "53200");
    assert_string_equal(classify_message_sqlstate("ERROR:  out of memory"), "53200");
    assert_string_equal(classify_message_sqlstate("FATAL:  sorry, too many clients already"),
                        "53300");
    assert_string_equal(classify_message_sqlstate("FATAL:  the database system is starting up"),
                        "57P03");
    assert_string_equal(
        classify_message_sqlstate("ERROR:  canceling statement due to statement timeout"), "57014");
    assert_string_equal(classify_message_sqlstate("ERROR:  permission denied for function "
                                                  "verify_heapam"),
                        "42501");
    assert_string_equal(classify_message_sqlstate("pg_dump: error: connection to server at "
                                                  "\"localhost\" (127.0.0.1), port 5433 failed"),
                        "08006");
    /* a broken catalog, a corrupt page: no condition of the instance */
    assert_null(classify_message_sqlstate("ERROR:  cache lookup failed for type 16390"));
    assert_null(classify_message_sqlstate("ERROR:  index \"i\" lacks a main relation fork"));
    assert_null(classify_message_sqlstate(""));
    assert_null(classify_message_sqlstate(NULL));
}

static void test_child_stopped(void **state)
{
    (void)state;
    assert_true(classify_child_stopped("ERROR:  permission denied for table t"));
    assert_true(classify_child_stopped("server closed the connection unexpectedly"));
    assert_true(classify_child_stopped("FATAL:  terminating connection due to administrator "
                                       "command"));
    assert_false(classify_child_stopped("pg_dump: error: schema with OID 1 does not exist"));
    assert_false(classify_child_stopped("invalid page in block 0 of relation base/5/16390"));
}

static void expect_verbose(const char *line, const char *expected)
{
    char code[6] = "";
    const char *got = classify_verbose_sqlstate(line, code);

    if (expected == NULL)
        assert_null(got);
    else {
        assert_ptr_equal(got, code);
        assert_string_equal(got, expected);
    }
}

static void test_verbose_sqlstates(void **state)
{
    (void)state;
    expect_verbose("    ERROR:  42501: permission denied for function bt_index_check", "42501");
    expect_verbose("ERROR:  XX002: index \"i\" lacks a main relation fork", "XX002");
    expect_verbose("FATAL:  57P03: the database system is starting up", "57P03");
    expect_verbose("PANIC:  XX000: x", "XX000");
    /* not verbose, or not a code */
    expect_verbose("ERROR:  permission denied for function bt_index_check", NULL);
    expect_verbose("ERROR:  index: broken", NULL);
    expect_verbose("ERROR:  ABCDEF: six", NULL);
    expect_verbose("block 3: ERROR:  4250", NULL);
    expect_verbose(NULL, NULL);
    assert_true(classify_child_stopped("    ERROR:  53200: out of shared memory"));
    assert_false(classify_child_stopped("    ERROR:  XX001: invalid page in block 0"));
    /* the SQLSTATE decides over a text that would say otherwise */
    assert_false(classify_child_stopped("ERROR:  XX002: permission denied, says the index"));
    assert_true(classify_child_sqlstate("08006"));
    assert_true(classify_child_sqlstate("42501"));
    assert_false(classify_child_sqlstate("42P01"));
    assert_false(classify_child_sqlstate(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instance_sqlstates),
        cmocka_unit_test(test_message_sqlstates),
        cmocka_unit_test(test_child_stopped),
        cmocka_unit_test(test_verbose_sqlstates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
