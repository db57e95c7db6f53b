/*
 * test_schema_dump.c - which pg_dump errors are about the drill instance, not the backup.
 */
#include "schema_dump.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_environment_errors(void **state)
{
    (void)state;
    /* the restored instance's limits or reachability: inconclusive */
    assert_true(schema_dump_environment_error(
        "pg_dump: error: query failed: ERROR:  out of shared memory"));
    assert_true(schema_dump_environment_error(
        "pg_dump: error: connection to server on socket \"/tmp/x/.s.PGSQL.5432\" failed: FATAL:  "
        "sorry, too many clients already"));
    assert_true(schema_dump_environment_error(
        "pg_dump: error: connection to server at \"localhost\" (127.0.0.1), port 5433 failed"));
    assert_true(schema_dump_environment_error(
        "pg_dump: error: FATAL:  the database system is shutting down"));
    /* a broken catalog: a finding */
    assert_false(
        schema_dump_environment_error("pg_dump: error: schema with OID 424242 does not exist"));
    assert_false(schema_dump_environment_error(
        "pg_dump: error: query failed: ERROR:  cache lookup failed for type 16390"));
    assert_false(schema_dump_environment_error(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_environment_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
