/*
 * test_checksums.c - reading pg_checksums' complaints.
 */
#include "checksums.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_parse_failures(void **state)
{
    const char *stderr_text =
        "pg_checksums: error: checksum verification failed in file \"/d/base/5/16384\", block 0: "
        "calculated checksum 5B28 but block contains E575\n"
        "pg_checksums: error: checksum verification failed in file \"/d/base/5/16384.1\", block 7: "
        "calculated checksum 1 but block contains 2\n"
        "pg_checksums: warning: something else\n"
        "pg_checksums: error: checksum verification failed in file \"/elsewhere/global/1262\", "
        "block 3: calculated checksum 1 but block contains 2\n"
        "pg_checksums: error: checksum verification failed in file \"/d/base/5/1\", no block\n";
    json_t *failures = checksums_parse_failures(stderr_text, "/d");

    (void)state;
    assert_int_equal(json_array_size(failures), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(failures, 0), "file")),
                        "base/5/16384");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(failures, 1), "block")), 7);
    assert_string_equal(json_string_value(json_object_get(json_array_get(failures, 1), "file")),
                        "base/5/16384.1");
    /* a path outside the data directory is kept whole */
    assert_string_equal(json_string_value(json_object_get(json_array_get(failures, 2), "file")),
                        "/elsewhere/global/1262");
    json_decref(failures);

    failures = checksums_parse_failures("", "/d");
    assert_int_equal(json_array_size(failures), 0);
    json_decref(failures);
    failures = checksums_parse_failures(NULL, "/d");
    assert_int_equal(json_array_size(failures), 0);
    json_decref(failures);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
