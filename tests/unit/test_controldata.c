/*
 * test_controldata.c - parsing pg_controldata output (PostgreSQL 15, C locale).
 */
#include "controldata.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sample[] = "pg_control version number:            1300\n"
                             "Database cluster state:               in archive recovery\n"
                             "Latest checkpoint's TimeLineID:       1\n"
                             "Latest checkpoint's PrevTimeLineID:   1\n"
                             "wal_level setting:                    replica\n"
                             "max_connections setting:              250\n"
                             "max_worker_processes setting:         16\n"
                             "max_wal_senders setting:              10\n"
                             "max_prepared_xacts setting:           5\n"
                             "max_locks_per_xact setting:           128\n"
                             "Data page checksum version:           1\n"
                             "Bytes per WAL segment:                16777216\n";

static void test_parse(void **state)
{
    controldata cd;
    char *errmsg = NULL;

    (void)state;
    assert_true(controldata_parse(sample, &cd, &errmsg));
    assert_string_equal(cd.cluster_state, "in archive recovery");
    assert_int_equal(cd.timeline, 1); /* not confused with PrevTimeLineID */
    assert_int_equal(cd.max_connections, 250);
    assert_int_equal(cd.max_worker_processes, 16);
    assert_int_equal(cd.max_wal_senders, 10);
    assert_int_equal(cd.max_prepared_xacts, 5);
    assert_int_equal(cd.max_locks_per_xact, 128);
    assert_int_equal(cd.wal_segment_size, 16777216);
    controldata_free(&cd);
}

static void test_missing_value(void **state)
{
    controldata cd;
    char *errmsg = NULL;
    char *text = strdup(sample);

    (void)state;
    /* a translated or truncated output is an error, not zeros */
    strstr(text, "max_wal_senders")[0] = 'X';
    assert_false(controldata_parse(text, &cd, &errmsg));
    assert_string_equal(errmsg, "pg_controldata printed no \"max_wal_senders setting\"");
    free(errmsg);
    assert_false(controldata_parse("", &cd, &errmsg));
    assert_string_equal(errmsg, "pg_controldata printed no \"Database cluster state\"");
    free(errmsg);
    free(text);
}

static void assert_segment_size(const char *size, bool accepted)
{
    controldata cd;
    char *errmsg = NULL;
    char *text = strdup(sample);
    char *at = strstr(text, "16777216");
    char *edited;

    *at = '\0';
    edited = malloc(strlen(text) + strlen(size) + 2);
    sprintf(edited, "%s%s\n", text, size);
    if (accepted) {
        assert_true(controldata_parse(edited, &cd, &errmsg));
        controldata_free(&cd);
    } else {
        assert_false(controldata_parse(edited, &cd, &errmsg));
        free(errmsg);
    }
    free(edited);
    free(text);
}

/* The WAL segment size is checked before any arithmetic uses it. */
static void test_segment_size(void **state)
{
    (void)state;
    assert_segment_size("1048576", true);
    assert_segment_size("1073741824", true);
    assert_segment_size("0", false);
    assert_segment_size("4294967296", false); /* 2^32: divided by zero before */
    assert_segment_size("524288", false);
    assert_segment_size("3145728", false); /* 3 MB: not a power of two */
    assert_segment_size("2147483648", false);
    assert_segment_size("-16777216", false);
    assert_segment_size("16777216 bytes", false);
    assert_segment_size("99999999999999999999999", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_missing_value),
        cmocka_unit_test(test_segment_size),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
