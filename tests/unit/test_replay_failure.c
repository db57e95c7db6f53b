/*
 * test_replay_failure.c - whether the repository's listing holds WAL after
 * the segment replay missed: a gap in the archive, not its end.
 */
#include "replay_failure.h"
#include "wal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_listing_holds(void **state)
{
    const char *missing = "000000010000000000000005";
    const char *segments = "000000010000000000000003-3c1f0e8a.gz\n"
                           "000000010000000000000004-1b2e3f4a.gz\n"
                           "000000010000000000000007-9a8b7c6d.gz\n";
    const char *before_only = "000000010000000000000003-3c1f0e8a.gz\n"
                              "000000020000000000000009-3c1f0e8a.gz";
    const char *directories = "0000000100000000\n0000000100000001\n";

    (void)state;
    assert_true(replay_listing_holds(segments, missing, pgd_wal_is_later_segment));
    /* earlier segments, and later ones of another timeline, are no later WAL */
    assert_false(replay_listing_holds(before_only, missing, pgd_wal_is_later_segment));
    assert_false(replay_listing_holds("", missing, pgd_wal_is_later_segment));
    assert_false(replay_listing_holds(NULL, missing, pgd_wal_is_later_segment));
    /* a later directory on the timeline (the last line without a line end too) */
    assert_true(replay_listing_holds(directories, missing, pgd_wal_is_later_directory));
    assert_true(replay_listing_holds("0000000100000001", missing, pgd_wal_is_later_directory));
    assert_false(replay_listing_holds("0000000100000000\n", missing, pgd_wal_is_later_directory));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing_holds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
