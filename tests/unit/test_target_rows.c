/*
 * test_target_rows.c - the marker rows between the report's JSON and the
 * judges: source and copy merged by test id and kind, hostile rows refused.
 */
#include "target_rows.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static json_t *row(const char *test_id, const char *kind, const char *created)
{
    return json_pack("{s:s,s:s,s:s}", "test_id", test_id, "kind", kind, "created_at", created);
}

static void test_merge(void **state)
{
    json_t *source = json_pack("[o,o,o]", row("a", "marker", "2026-11-30T14:02:00.000001Z"),
                               row("a", "fence", "2026-11-30T14:02:00.5Z"),
                               row("b", "marker", "2026-12-01T14:02:00Z"));
    json_t *copy = json_pack("[o,o]", row("a", "marker", "2026-11-30T14:02:00.000001Z"),
                             row("old", "marker", "2026-10-01T00:00:00Z"));
    pgd_marker_row *rows = NULL;
    size_t n = 0;
    char *why = NULL;

    (void)state;
    assert_true(pgd_target_rows_merge(source, copy, &rows, &n, &why));
    assert_int_equal(n, 4);
    assert_string_equal(rows[0].test_id, "a");
    assert_false(rows[0].fence);
    assert_true(rows[0].on_source && rows[0].in_copy);
    assert_int_equal(rows[0].created_us, 1796047320000001LL);
    assert_true(rows[1].fence);
    assert_true(rows[1].on_source && !rows[1].in_copy);
    assert_true(rows[2].on_source && !rows[2].in_copy);
    /* pruned on the source since: judged by its own time */
    assert_string_equal(rows[3].test_id, "old");
    assert_true(!rows[3].on_source && rows[3].in_copy);
    free(rows);

    /* no copy read: the source's rows alone (bootstrap, before the restore) */
    assert_true(pgd_target_rows_merge(source, NULL, &rows, &n, &why));
    assert_int_equal(n, 3);
    free(rows);
    json_decref(source);
    json_decref(copy);
}

static void assert_refused(json_t *source, const char *message)
{
    pgd_marker_row *rows = NULL;
    size_t n = 7;
    char *why = NULL;

    assert_false(pgd_target_rows_merge(source, NULL, &rows, &n, &why));
    assert_null(rows);
    assert_int_equal(n, 0);
    assert_string_equal(why, message);
    free(why);
    json_decref(source);
}

/* The report may have been edited; a bad row is refused, never judged as something else. */
static void test_hostile_rows(void **state)
{
    (void)state;
    assert_refused(json_pack("[o]", row("a", "mark", "2026-11-30T14:02:00Z")),
                   "row 1 of the source's marker rows is not a marker or fence row with a test "
                   "id and a creation time (created_at: missing)");
    assert_refused(json_pack("[o,o]", row("a", "marker", "2026-11-30T14:02:00Z"),
                             row("a", "fence", "2026-11-31T14:02:00Z")),
                   "row 2 of the source's marker rows is not a marker or fence row with a test "
                   "id and a creation time (created_at: no such date)");
    assert_refused(json_pack("[{s:s,s:s}]", "kind", "marker", "created_at", "2026-11-30T14:02:00Z"),
                   "row 1 of the source's marker rows is not a marker or fence row with a test "
                   "id and a creation time (created_at: missing)");
}

static void test_row_json(void **state)
{
    pgd_marker_row r = {.test_id = "a", .fence = true, .created_us = 1796047320000001LL};
    json_t *j = pgd_target_row_json(&r);
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

    (void)state;
    assert_string_equal(
        text,
        "{\"created_at\":\"2026-11-30T14:02:00.000001Z\",\"kind\":\"fence\",\"test_id\":\"a\"}");
    free(text);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_hostile_rows),
        cmocka_unit_test(test_row_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
