/*
 * test_target.c - recovery.target, the window the repository reaches, and
 * the markers on both sides of a past target.
 */
#include "target.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define S 1000000LL /* microseconds per second */
/* 2026-11-24T18:20:37Z */
#define T0  (1795544437LL * S)
#define DAY (86400LL * S)

static void assert_contains(const char *text, const char *part)
{
    if (text == NULL || strstr(text, part) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", text ? text : "(null)", part);
}

static void test_parse_words(void **state)
{
    pgd_target t;
    const char *why = NULL;

    (void)state;
    assert_true(pgd_target_parse("latest", &t, &why));
    assert_int_equal(t.kind, PGD_TARGET_LATEST);
    assert_true(pgd_target_parse("oldest", &t, &why));
    assert_int_equal(t.kind, PGD_TARGET_OLDEST);
    assert_true(pgd_target_parse("random", &t, &why));
    assert_int_equal(t.kind, PGD_TARGET_RANDOM);
    assert_string_equal(pgd_target_kind_name(PGD_TARGET_RANDOM), "random");
    assert_string_equal(pgd_target_kind_name(PGD_TARGET_TIME), "time");
    /* words are exact: a typo is an error that lists them */
    assert_false(pgd_target_parse("Latest", &t, &why));
    assert_contains(why, "expected latest, oldest, random or an RFC 3339 instant");
    assert_false(pgd_target_parse("", &t, &why));
    assert_contains(why, "expected latest");
    assert_false(pgd_target_parse("yesterday", &t, &why));
    assert_contains(why, "2026-11-30T14:02:00Z");
}

static void test_parse_instants(void **state)
{
    pgd_target t;
    const char *why = NULL;

    (void)state;
    assert_true(pgd_target_parse("2026-11-24T18:20:37Z", &t, &why));
    assert_int_equal(t.kind, PGD_TARGET_TIME);
    assert_true(t.time_us == T0);
    /* an offset names the same instant */
    assert_true(pgd_target_parse("2026-11-24T19:20:37.000001+01:00", &t, &why));
    assert_true(t.time_us == T0 + 1);
    /* malformed instants say what is wrong */
    assert_false(pgd_target_parse("2026-11-31T14:02:00Z", &t, &why));
    assert_contains(why, "no such date");
    assert_false(pgd_target_parse("2026-11-30T14:02:00", &t, &why));
    assert_contains(why, "no UTC offset");
    assert_false(pgd_target_parse("2026-11-30T24:02:00Z", &t, &why));
    assert_contains(why, "no such time");
    assert_false(pgd_target_parse("2026-11-30", &t, &why));
    assert_contains(why, "not YYYY-MM-DD");
}

/* Three sets: ended at T0 - 20 days, T0 - 10 days and T0 - 1 day (whole seconds). */
static const pgd_target_backup backups[] = {
    {"20261104-182000F", 1795544437LL - 20 * 86400},
    {"20261114-182000F_20261114-183000D", 1795544437LL - 10 * 86400},
    {"20261123-182000F", 1795544437LL - 86400},
};

static pgd_window_facts window_facts(const char *set)
{
    pgd_window_facts f = {.backups = backups,
                          .n_backups = 3,
                          .upper_us = T0,
                          .now_us = T0 + 5 * S,
                          .newest_wal = "000000010000000000000042",
                          .set = set};

    return f;
}

static void test_window_picks_newest_set_before(void **state)
{
    pgd_window_facts f = window_facts("latest");
    pgd_window_choice c;

    (void)state;
    /* between the second and the third set: the second */
    pgd_target_window(&f, T0 - 5 * DAY, &c);
    assert_true(c.reachable);
    assert_string_equal(c.set, "20261114-182000F_20261114-183000D");
    assert_null(c.why);
    assert_true(c.lower_us == T0 - 20 * DAY + S);
    assert_true(c.upper_us == T0);
    /* in the very second a set ended it does not count (F8): the one before */
    pgd_target_window(&f, T0 - DAY + S / 2, &c);
    assert_true(c.reachable);
    assert_string_equal(c.set, "20261114-182000F_20261114-183000D");
    /* a second later it does */
    pgd_target_window(&f, T0 - DAY + S, &c);
    assert_string_equal(c.set, "20261123-182000F");
    /* the first reachable instant: a second after the oldest set ended */
    pgd_target_window(&f, T0 - 20 * DAY + S, &c);
    assert_true(c.reachable);
    assert_string_equal(c.set, "20261104-182000F");
    assert_true(pgd_target_window_lower(&f) == T0 - 20 * DAY + S);
}

static void test_window_refusals_name_the_window(void **state)
{
    pgd_window_facts f = window_facts("latest");
    pgd_window_choice c;

    (void)state;
    pgd_target_window(&f, T0 - 20 * DAY + S - 1, &c);
    assert_false(c.reachable);
    assert_null(c.set);
    assert_contains(c.why, "lies before the end of the oldest backup set");
    assert_contains(c.why, "the repository reaches from 2026-11-04T18:20:38.000000Z (a second "
                           "after backup set 20261104-182000F ended) to "
                           "2026-11-24T18:20:37.000000Z (the newest marker; newest archived WAL "
                           "000000010000000000000042)");
    free(c.why);
    pgd_target_window(&f, T0 + 6 * S, &c);
    assert_false(c.reachable);
    assert_contains(c.why, "the target 2026-11-24T18:20:43.000000Z lies in the future");
    free(c.why);
    /* after the newest marker but not in the future: nothing after it proves the stop */
    pgd_target_window(&f, T0, &c);
    assert_false(c.reachable);
    assert_contains(c.why, "is not before the newest marker");
    free(c.why);
}

static void test_window_holes(void **state)
{
    const pgd_target_hole holes[] = {{T0 - 3 * DAY, T0 - 2 * DAY, "WAL missing from the archive"}};
    pgd_window_facts f = window_facts("latest");
    pgd_window_choice c;

    (void)state;
    f.holes = holes;
    f.n_holes = 1;
    pgd_target_window(&f, T0 - 3 * DAY, &c);
    assert_false(c.reachable);
    assert_contains(c.why, "lies in a hole the repository reports (WAL missing from the archive, "
                           "from 2026-11-21T18:20:37.000000Z to 2026-11-22T18:20:37.000000Z)");
    free(c.why);
    /* the hole's end is reachable again */
    pgd_target_window(&f, T0 - 2 * DAY, &c);
    assert_true(c.reachable);
}

static void test_window_named_set(void **state)
{
    pgd_window_facts f = window_facts("20261114-182000F_20261114-183000D");
    pgd_window_choice c;

    (void)state;
    /* the named set, not the newest before the target */
    pgd_target_window(&f, T0 - 3600 * S, &c);
    assert_true(c.reachable);
    assert_string_equal(c.set, "20261114-182000F_20261114-183000D");
    /* refused when it ended after the target */
    pgd_target_window(&f, T0 - 15 * DAY, &c);
    assert_false(c.reachable);
    assert_contains(c.why, "is not after the end of the backup set pgbackrest.set names "
                           "(pgbackrest.set: 20261114-182000F_20261114-183000D)");
    free(c.why);
    /* the window starts at the named set's end: oldest and random draw from there */
    assert_true(pgd_target_window_lower(&f) == (backups[1].stop_s + 1) * S);
    {
        char *window = pgd_target_describe_window(&f);

        assert_contains(window, "a second after backup set 20261114-182000F_20261114-183000D "
                                "ended");
        free(window);
    }
    /* oldest: the oldest set, whatever the target */
    f = window_facts("oldest");
    assert_true(pgd_target_window_lower(&f) == (backups[0].stop_s + 1) * S);
    pgd_target_window(&f, T0 - 3600 * S, &c);
    assert_string_equal(c.set, "20261104-182000F");
    /* a label the repository does not hold (expired) */
    f = window_facts("20261001-000000F");
    pgd_target_window(&f, T0 - 3600 * S, &c);
    assert_false(c.reachable);
    assert_contains(c.why, "cannot be reached from a backup set the repository holds");
    free(c.why);
    /* no set at all */
    f = window_facts("latest");
    f.n_backups = 0;
    pgd_target_window(&f, T0 - 3600 * S, &c);
    assert_false(c.reachable);
    assert_contains(c.why, "the repository holds no backup set of this stanza");
    free(c.why);
}

/*
 * Three earlier drills A, B, C, a day apart, the first before the oldest
 * set's end, and this drill's marker D (no fence yet in this picture).
 */
static void markers(pgd_marker_row rows[7])
{
    const pgd_marker_row init[7] = {
        {.test_id = "A", .created_us = T0 - 21 * DAY},
        {.test_id = "A", .fence = true, .created_us = T0 - 21 * DAY + 5000},
        {.test_id = "B", .created_us = T0 - 19 * DAY},
        {.test_id = "B", .fence = true, .created_us = T0 - 19 * DAY + 5000},
        {.test_id = "C", .created_us = T0 - 18 * DAY},
        {.test_id = "C", .fence = true, .created_us = T0 - 18 * DAY + 5000},
        {.test_id = "D", .created_us = T0 - 3000},
    };

    for (int i = 0; i < 7; i++) {
        rows[i] = init[i];
        rows[i].on_source = true;
    }
    pgd_marker_bound_commits(rows, 7, 30 * S);
}

static void test_bound_commits(void **state)
{
    pgd_marker_row rows[7];

    (void)state;
    markers(rows);
    /* a marker commits after its created_at and before its fence was created */
    assert_true(rows[2].commit_after_us == T0 - 19 * DAY);
    assert_true(rows[2].commit_by_us == T0 - 19 * DAY + 4999);
    /* a fence within the writer's slack */
    assert_true(rows[3].commit_by_us == T0 - 19 * DAY + 5000 + 30 * S);
    /* a marker without its fence too */
    assert_true(rows[6].commit_by_us == T0 - 3000 + 30 * S);
    pgd_marker_bound_commits(rows, 7, PGD_TARGET_UNKNOWN);
    assert_true(rows[3].commit_by_us == PGD_TARGET_UNKNOWN);
    assert_true(rows[2].commit_by_us == T0 - 19 * DAY + 4999);
    /* a "fence" created before its marker was not written by a drill: it bounds nothing */
    rows[3].created_us = rows[2].created_us - 1;
    pgd_marker_bound_commits(rows, 7, 30 * S);
    assert_true(rows[2].commit_by_us == rows[2].created_us + 30 * S);
    assert_true(rows[2].commit_by_us >= rows[2].commit_after_us);
}

static void test_oldest_reachable_marker(void **state)
{
    pgd_marker_row rows[7];
    int64_t target = 0;
    size_t m = 99;

    (void)state;
    markers(rows);
    /* A lies before the window; B is the oldest reachable: stop just before its fence */
    assert_true(pgd_target_oldest(rows, 7, T0 - 20 * DAY + S, T0, &target, &m));
    assert_int_equal(m, 2);
    assert_true(target == T0 - 19 * DAY + 4999);
    /* B's fence gone: no bound on its commit, so C */
    rows[3].on_source = false;
    rows[3].test_id = "X";
    assert_true(pgd_target_oldest(rows, 7, T0 - 20 * DAY + S, T0, &target, &m));
    assert_int_equal(m, 4);
    /* nothing reachable: only D, which has no fence */
    assert_false(pgd_target_oldest(rows, 7, T0 - 10 * DAY, T0, &target, &m));
}

static uint64_t fixed_bits(void *arg)
{
    uint64_t **next = arg;

    return *(*next)++;
}

static void test_random_is_uniform_in_range(void **state)
{
    uint64_t draws[] = {0, 7, UINT64_MAX, 13};
    uint64_t *next = draws;
    int64_t buckets[10] = {0};

    (void)state;
    assert_true(pgd_target_random(T0 - 10, T0, fixed_bits, &next) == T0 - 10);
    assert_true(pgd_target_random(T0 - 10, T0, fixed_bits, &next) == T0 - 3);
    /* UINT64_MAX lies beyond the last whole multiple of 10: drawn again */
    assert_true(pgd_target_random(T0 - 10, T0, fixed_bits, &next) == T0 - 7);
    assert_true(next == draws + 4);
    /* the system source stays inside and reaches every tenth of a 30-day window */
    for (int i = 0; i < 2000; i++) {
        int64_t t = pgd_target_random(T0 - 30 * DAY, T0, pgd_target_system_random, NULL);

        assert_true(t >= T0 - 30 * DAY && t < T0);
        buckets[(t - (T0 - 30 * DAY)) / (3 * DAY)]++;
    }
    for (int i = 0; i < 10; i++)
        assert_true(buckets[i] > 100);
}

/* The copy of a drill restored to target: rows committed at or before it present. */
static void restore_to(pgd_marker_row rows[7], int64_t target)
{
    for (int i = 0; i < 7; i++)
        rows[i].in_copy = rows[i].commit_by_us <= target;
}

static void test_bracket_passes(void **state)
{
    pgd_marker_row rows[7];
    int64_t target = T0 - 18 * DAY - S; /* between B's fence and C's marker */
    pgd_bracket b;

    (void)state;
    markers(rows);
    restore_to(rows, target);
    pgd_target_bracket(rows, 7, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_PASS);
    assert_null(b.why);
    assert_int_equal(b.lower, 3); /* B's fence */
    assert_int_equal(b.upper, 4); /* C's marker */
    assert_int_equal(b.undecided, 0);
}

static void test_bracket_oldest_target(void **state)
{
    pgd_marker_row rows[7];
    int64_t target = 0;
    size_t m;
    pgd_bracket b;

    (void)state;
    markers(rows);
    assert_true(pgd_target_oldest(rows, 7, T0 - 20 * DAY + S, T0, &target, &m));
    restore_to(rows, target);
    pgd_target_bracket(rows, 7, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_PASS);
    assert_int_equal(b.lower, 2); /* B's marker: present */
    assert_int_equal(b.upper, 3); /* B's fence: absent */
    assert_false(rows[3].in_copy);
}

static void test_bracket_present_after_target_fails(void **state)
{
    pgd_marker_row rows[7];
    int64_t target = T0 - 18 * DAY - S;
    pgd_bracket b;

    (void)state;
    markers(rows);
    /* a copy restored to a later instant, judged against an earlier target */
    restore_to(rows, T0 - 10 * DAY);
    pgd_target_bracket(rows, 7, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_MISMATCH);
    assert_int_equal(b.offending, 4);
    assert_string_equal(b.why, "the marker of test C, written at 2026-11-06T18:20:37.000000Z "
                               "after the target 2026-11-06T18:20:36.000000Z, is in the "
                               "restored copy: recovery did not stop at the target");
    free(b.why);
}

static void test_bracket_missing_before_target_fails(void **state)
{
    pgd_marker_row rows[7];
    int64_t target = T0 - 18 * DAY - S;
    pgd_bracket b;

    (void)state;
    markers(rows);
    restore_to(rows, target);
    rows[2].in_copy = false; /* B's marker lost */
    pgd_target_bracket(rows, 7, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_MISMATCH);
    assert_int_equal(b.offending, 2);
    assert_contains(b.why, "the marker of test B, written at 2026-11-05T18:20:37.000000Z and "
                           "committed before the target 2026-11-06T18:20:36.000000Z, is missing "
                           "from the restored copy");
    free(b.why);
}

static void test_bracket_inconclusive_without_lower(void **state)
{
    pgd_marker_row rows[7];
    int64_t target = T0 - 21 * DAY - S; /* before every marker */
    pgd_bracket b;

    (void)state;
    markers(rows);
    restore_to(rows, target);
    pgd_target_bracket(rows, 7, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_INCONCLUSIVE);
    assert_int_equal(b.lower, 7);
    assert_contains(b.why, "no marker committed before the target 2026-11-03T18:20:36.000000Z is "
                           "retained: nothing proves where recovery stopped");
    free(b.why);
    /* and with nothing after it (the drill's own marker missing from the facts) */
    target = T0;
    restore_to(rows, target);
    pgd_target_bracket(rows, 6, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_INCONCLUSIVE);
    assert_contains(b.why, "no marker committed after the target");
    free(b.why);
}

static void test_bracket_straddling_rows_not_judged(void **state)
{
    pgd_marker_row rows[7];
    /* inside C's fence's slack: its commit may lie on either side */
    int64_t target = T0 - 18 * DAY + 5000 + S;
    pgd_bracket b;

    (void)state;
    markers(rows);
    restore_to(rows, target);
    rows[5].in_copy = false;
    pgd_target_bracket(rows, 7, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_PASS);
    assert_int_equal(b.undecided, 1);
    assert_int_equal(b.lower, 4); /* C's marker */
    assert_int_equal(b.upper, 6); /* D's marker */
    /* a commit exactly at the target is inside (recovery_target_inclusive, F77) */
    rows[4].commit_after_us = rows[4].commit_by_us = target;
    rows[4].in_copy = false;
    pgd_target_bracket(rows, 7, target, &b);
    assert_int_equal(b.result, PGD_BRACKET_MISMATCH);
    assert_int_equal(b.offending, 4);
    free(b.why);
}

static void test_provable_before_restore(void **state)
{
    pgd_marker_row rows[7];
    char *why = NULL;

    (void)state;
    markers(rows);
    /* between B's fence and C's marker: a row on each side */
    assert_true(pgd_target_provable(rows, 7, T0 - 18 * DAY - S, &why));
    assert_null(why);
    /* before every marker: nothing on the lower side */
    assert_false(pgd_target_provable(rows, 7, T0 - 21 * DAY - S, &why));
    assert_contains(why, "no marker committed before the target");
    free(why);
    /* after every row given: nothing on the upper side */
    assert_false(pgd_target_provable(rows, 6, T0 - DAY, &why));
    assert_contains(why, "no marker committed after the target");
    free(why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_words),
        cmocka_unit_test(test_parse_instants),
        cmocka_unit_test(test_window_picks_newest_set_before),
        cmocka_unit_test(test_window_refusals_name_the_window),
        cmocka_unit_test(test_window_holes),
        cmocka_unit_test(test_window_named_set),
        cmocka_unit_test(test_bound_commits),
        cmocka_unit_test(test_oldest_reachable_marker),
        cmocka_unit_test(test_random_is_uniform_in_range),
        cmocka_unit_test(test_bracket_passes),
        cmocka_unit_test(test_bracket_oldest_target),
        cmocka_unit_test(test_bracket_present_after_target_fails),
        cmocka_unit_test(test_bracket_missing_before_target_fails),
        cmocka_unit_test(test_bracket_inconclusive_without_lower),
        cmocka_unit_test(test_bracket_straddling_rows_not_judged),
        cmocka_unit_test(test_provable_before_restore),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
