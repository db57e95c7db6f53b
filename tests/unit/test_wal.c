/*
 * test_wal.c - WAL file names and segment arithmetic.
 */
#include "wal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#define MB16 (16L * 1024 * 1024)

static void test_next_segment(void **state)
{
    char next[PGD_WAL_NAME_LEN + 1];

    (void)state;
    assert_true(pgd_wal_next_segment("000000010000000000000004", MB16, next));
    assert_string_equal(next, "000000010000000000000005");
    assert_true(pgd_wal_next_segment("0000000200000003000000FF", MB16, next));
    assert_string_equal(next, "000000020000000400000000");
    /* 64 MB segments: 64 per log id */
    assert_true(pgd_wal_next_segment("00000001000000000000003F", 64L * 1024 * 1024, next));
    assert_string_equal(next, "000000010000000100000000");
    /* 1 MB segments: 4096 per log id */
    assert_true(pgd_wal_next_segment("000000010000000000000FFE", PGD_WAL_SEGMENT_MIN, next));
    assert_string_equal(next, "000000010000000000000FFF");
    assert_true(pgd_wal_next_segment("000000010000000000000FFF", PGD_WAL_SEGMENT_MIN, next));
    assert_string_equal(next, "000000010000000100000000");
    assert_false(pgd_wal_next_segment("00000002.history", MB16, next));
    assert_false(pgd_wal_next_segment(NULL, MB16, next));
    assert_false(pgd_wal_next_segment("0000000100000000000004", MB16, next)); /* too short */
}

static void test_segment_start(void **state)
{
    uint64_t lsn = 0;
    char name[PGD_WAL_NAME_LEN + 1];

    (void)state;
    assert_true(pgd_wal_segment_start("000000010000000000000003", MB16, &lsn));
    assert_true(lsn == UINT64_C(0x3000000));
    assert_true(pgd_wal_segment_start("0000000200000003000000FF", MB16, &lsn));
    assert_true(lsn == UINT64_C(0x3FF000000));
    /* the inverse of pgd_wal_segment_of */
    pgd_wal_segment_of(lsn + 12345, 2, MB16, name);
    assert_string_equal(name, "0000000200000003000000FF");
    assert_true(pgd_wal_segment_start("00000001000000010000003F", 64L * 1024 * 1024, &lsn));
    assert_true(lsn == UINT64_C(0x1FC000000));
    assert_false(pgd_wal_segment_start("00000002.history", MB16, &lsn));
    assert_false(pgd_wal_segment_start("000000010000000000000003", 3L * 1024 * 1024, &lsn));
}

/* Only sizes PostgreSQL allows: a damaged pg_control must not divide by zero (fuzzing found 2^32).
 */
static void test_segment_sizes(void **state)
{
    char next[PGD_WAL_NAME_LEN + 1];

    (void)state;
    assert_true(pgd_wal_valid_segment_size(PGD_WAL_SEGMENT_MIN));
    assert_true(pgd_wal_valid_segment_size(MB16));
    assert_true(pgd_wal_valid_segment_size(PGD_WAL_SEGMENT_MAX));
    assert_false(pgd_wal_valid_segment_size(0));
    assert_false(pgd_wal_valid_segment_size(-MB16));
    assert_false(pgd_wal_valid_segment_size(3L * 1024 * 1024));
    assert_false(pgd_wal_valid_segment_size(512L * 1024));
    assert_false(pgd_wal_valid_segment_size(2L * PGD_WAL_SEGMENT_MAX));
    assert_false(pgd_wal_next_segment("000000010000000000000004", 0, next));
    assert_false(pgd_wal_next_segment("000000010000000000000004", 1L << 32, next));
    assert_false(pgd_wal_next_segment("000000010000000000000004", (1L << 32) + 1, next));
}

static void test_order(void **state)
{
    char *dir;

    (void)state;
    assert_true(
        pgd_wal_is_later_segment("000000010000000000000005-abc.gz", "000000010000000000000004"));
    assert_false(
        pgd_wal_is_later_segment("000000010000000000000004-abc.gz", "000000010000000000000004"));
    assert_false(
        pgd_wal_is_later_segment("000000020000000000000005-abc.gz", "000000010000000000000004"));
    assert_false(pgd_wal_is_later_segment("archive.info", "000000010000000000000004"));

    assert_true(pgd_wal_not_after("000000010000000000000004", "000000010000000000000004"));
    assert_true(pgd_wal_not_after("000000010000000000000003", "000000010000000000000004"));
    assert_false(pgd_wal_not_after("000000010000000000000005", "000000010000000000000004"));
    assert_false(pgd_wal_not_after("000000020000000000000003", "000000010000000000000004"));

    /* the archiver's last file may be a history file or a backup label */
    assert_true(pgd_wal_reached("000000010000000000000004", "000000010000000000000004"));
    assert_true(
        pgd_wal_reached("000000010000000000000005.00000028.backup", "000000010000000000000004"));
    assert_false(pgd_wal_reached("000000010000000000000003", "000000010000000000000004"));
    assert_false(pgd_wal_reached("00000002.history", "000000010000000000000004"));
    assert_false(pgd_wal_reached(NULL, "000000010000000000000004"));

    dir = pgd_wal_directory("000000010000000200000004");
    assert_string_equal(dir, "0000000100000002");
    free(dir);
    assert_true(pgd_wal_is_later_directory("0000000100000003", "000000010000000200000004"));
    assert_false(pgd_wal_is_later_directory("0000000100000002", "000000010000000200000004"));
    assert_false(pgd_wal_is_later_directory("0000000200000003", "000000010000000200000004"));
    assert_false(pgd_wal_is_later_directory("000000010000000300", "000000010000000200000004"));
    assert_false(pgd_wal_is_later_directory("archive.info", "000000010000000200000004"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_segment),
        cmocka_unit_test(test_segment_start),
        cmocka_unit_test(test_segment_sizes),
        cmocka_unit_test(test_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
