/*
 * test_catalog_compare.c - the source's catalog fingerprint against the
 * copy's: the objects' JSON read back, differences found whatever the
 * order, the expected one left out, and described for a detail.
 */
#include "catalog_compare.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

/* A catalog of n objects (the strings borrowed from the caller). */
static pgd_catalog catalog_of(pgd_catalog_object *items, size_t n)
{
    return (pgd_catalog){.items = items, .count = n};
}

static void assert_difference(const pgd_catalog_difference *d, const char *id,
                              pgd_catalog_change change, bool unlogged)
{
    assert_string_equal(d->id, id);
    assert_int_equal(d->change, change);
    assert_int_equal(d->unlogged, unlogged);
}

static void test_from_json(void **state)
{
    json_t *array = json_pack("[[s,s,b],[s,s,b]]", "table public.orders", "0a1b", 0,
                              "table public.cache", "2c3d", 1);
    pgd_catalog c;

    (void)state;
    assert_true(pgd_catalog_from_json(array, &c));
    assert_int_equal(c.count, 2);
    assert_string_equal(c.items[0].id, "table public.orders");
    assert_string_equal(c.items[0].hash, "0a1b");
    assert_false(c.items[0].unlogged);
    assert_string_equal(c.items[1].id, "table public.cache");
    assert_string_equal(c.items[1].hash, "2c3d");
    assert_true(c.items[1].unlogged);
    /* borrowed from the JSON, not copied */
    assert_ptr_equal(c.items[0].id, json_string_value(json_array_get(json_array_get(array, 0), 0)));
    pgd_catalog_free(&c);
    assert_null(c.items);
    assert_int_equal(c.count, 0);
    json_decref(array);

    /* a database without objects */
    array = json_array();
    assert_true(pgd_catalog_from_json(array, &c));
    assert_int_equal(c.count, 0);
    pgd_catalog_free(&c);
    json_decref(array);
}

/* Each of these is not a catalog: false, and nothing left to free. */
static void assert_refused(json_t *json)
{
    pgd_catalog c = {.items = (pgd_catalog_object *)&c, .count = 9};

    assert_false(pgd_catalog_from_json(json, &c));
    assert_null(c.items);
    assert_int_equal(c.count, 0);
    json_decref(json);
}

static void test_from_json_malformed(void **state)
{
    (void)state;
    assert_refused(NULL);
    assert_refused(json_object());
    assert_refused(json_string("table public.t"));
    /* an item that is not [string, string, boolean] */
    assert_refused(json_pack("[s]", "table public.t"));
    assert_refused(json_pack("[[s,s]]", "table public.t", "00"));
    assert_refused(json_pack("[[s,s,b,b]]", "table public.t", "00", 0, 0));
    assert_refused(json_pack("[[i,s,b]]", 1, "00", 0));
    assert_refused(json_pack("[[s,n,b]]", "table public.t", 0));
    assert_refused(json_pack("[[s,s,s]]", "table public.t", "00", "t"));
    assert_refused(json_pack("[[s,s,i]]", "table public.t", "00", 1));
    assert_refused(json_pack("[{s:s}]", "id", "table public.t"));
    /* a bad item after good ones */
    assert_refused(json_pack("[[s,s,b],[s,s,b],[s,s]]", "a", "00", 0, "b", "11", 0, "c", "22"));
}

static void test_change_name(void **state)
{
    (void)state;
    assert_string_equal(pgd_catalog_change_name(PGD_CATALOG_MISSING), "missing");
    assert_string_equal(pgd_catalog_change_name(PGD_CATALOG_ADDED), "added");
    assert_string_equal(pgd_catalog_change_name(PGD_CATALOG_CHANGED), "changed");
    assert_string_equal(pgd_catalog_change_name((pgd_catalog_change)42), "?");
}

static void test_compare(void **state)
{
    pgd_catalog_object source[] = {
        {"table public.a", "aa", false},
        {"table public.b", "bb", false},
        {"table public.c", "cc", true},
        {"table public.e", "ee", false},
    };
    pgd_catalog_object copy[] = {
        {"table public.b", "bb", false},
        {"table public.c", "cX", false},
        {"table public.d", "dd", true},
        {"table public.e", "eX", true},
    };
    pgd_catalog s = catalog_of(source, 4), c = catalog_of(copy, 4);
    pgd_catalog_diff diff;

    (void)state;
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 4);
    assert_int_equal(diff.missing, 1);
    assert_int_equal(diff.added, 1);
    assert_int_equal(diff.changed, 2);
    /* sorted by identity; unlogged as on the source, except for what only the copy has */
    assert_difference(&diff.items[0], "table public.a", PGD_CATALOG_MISSING, false);
    assert_difference(&diff.items[1], "table public.c", PGD_CATALOG_CHANGED, true);
    assert_difference(&diff.items[2], "table public.d", PGD_CATALOG_ADDED, true);
    assert_difference(&diff.items[3], "table public.e", PGD_CATALOG_CHANGED, false);
    pgd_catalog_diff_free(&diff);
    assert_null(diff.items);
    assert_int_equal(diff.count, 0);

    /* the same objects: nothing */
    pgd_catalog_compare(&s, &s, &diff);
    assert_int_equal(diff.count, 0);
    assert_int_equal(diff.missing + diff.added + diff.changed, 0);
    pgd_catalog_diff_free(&diff);

    /* an empty copy: all missing; an empty source: all added */
    c = catalog_of(NULL, 0);
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 4);
    assert_int_equal(diff.missing, 4);
    assert_difference(&diff.items[2], "table public.c", PGD_CATALOG_MISSING, true);
    pgd_catalog_diff_free(&diff);
    pgd_catalog_compare(&c, &s, &diff);
    assert_int_equal(diff.count, 4);
    assert_int_equal(diff.added, 4);
    pgd_catalog_diff_free(&diff);
    pgd_catalog_compare(&c, &c, &diff);
    assert_int_equal(diff.count, 0);
    pgd_catalog_diff_free(&diff);
}

static void test_compare_unsorted(void **state)
{
    pgd_catalog_object source[] = {
        {"view public.v", "vv", false},
        {"table public.a", "aa", false},
        {"schema public", "ss", false},
        {"index public.i", "ii", false},
    };
    pgd_catalog_object copy[] = {
        {"table public.a", "aa", false},
        {"index public.i", "iX", false},
        {"schema public", "ss", false},
        {"function public.f()", "ff", false},
    };
    pgd_catalog_object shuffled[] = {source[2], source[0], source[3], source[1]};
    pgd_catalog s = catalog_of(source, 4), c = catalog_of(copy, 4);
    pgd_catalog_diff diff;

    (void)state;
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 3);
    assert_difference(&diff.items[0], "function public.f()", PGD_CATALOG_ADDED, false);
    assert_difference(&diff.items[1], "index public.i", PGD_CATALOG_CHANGED, false);
    assert_difference(&diff.items[2], "view public.v", PGD_CATALOG_MISSING, false);
    pgd_catalog_diff_free(&diff);
    /* the inputs are left in their order */
    assert_string_equal(source[0].id, "view public.v");
    assert_string_equal(copy[3].id, "function public.f()");

    /* the same objects in another order are the same */
    c = catalog_of(shuffled, 4);
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 0);
    pgd_catalog_diff_free(&diff);
}

static void test_compare_duplicates(void **state)
{
    /* two objects of one identity (two overloads printed alike) pair up by hash */
    pgd_catalog_object source[] = {{"function public.f(x)", "h2", false},
                                   {"function public.f(x)", "h1", false}};
    pgd_catalog_object one[] = {{"function public.f(x)", "h1", false}};
    pgd_catalog_object both[] = {{"function public.f(x)", "h1", false},
                                 {"function public.f(x)", "h2", false}};
    pgd_catalog_object other[] = {{"function public.f(x)", "h3", false},
                                  {"function public.f(x)", "h1", false}};
    pgd_catalog s = catalog_of(source, 2), c = catalog_of(one, 1);
    pgd_catalog_diff diff;

    (void)state;
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 1);
    assert_int_equal(diff.missing, 1);
    assert_difference(&diff.items[0], "function public.f(x)", PGD_CATALOG_MISSING, false);
    pgd_catalog_diff_free(&diff);

    pgd_catalog_compare(&c, &s, &diff);
    assert_int_equal(diff.count, 1);
    assert_int_equal(diff.added, 1);
    pgd_catalog_diff_free(&diff);

    c = catalog_of(both, 2);
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 0);
    pgd_catalog_diff_free(&diff);

    /* h1 pairs with h1, h2 with h3 */
    c = catalog_of(other, 2);
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 1);
    assert_int_equal(diff.changed, 1);
    assert_difference(&diff.items[0], "function public.f(x)", PGD_CATALOG_CHANGED, false);
    pgd_catalog_diff_free(&diff);
}

static void test_compare_expected(void **state)
{
    pgd_catalog_object without[] = {{"table public.a", "aa", false}};
    pgd_catalog_object with[] = {{"extension amcheck", "e1", false},
                                 {"table public.a", "aa", false}};
    pgd_catalog_object other_version[] = {{"extension amcheck", "e2", false},
                                          {"table public.a", "aa", false}};
    pgd_catalog_object pgcrypto[] = {{"extension pgcrypto", "p1", false},
                                     {"table public.a", "aa", false}};
    pgd_catalog s = catalog_of(without, 1), c = catalog_of(with, 2);
    pgd_catalog_diff diff;

    (void)state;
    assert_true(pgd_catalog_expected("extension amcheck", PGD_CATALOG_ADDED));
    assert_false(pgd_catalog_expected("extension amcheck", PGD_CATALOG_MISSING));
    assert_false(pgd_catalog_expected("extension amcheck", PGD_CATALOG_CHANGED));
    assert_false(pgd_catalog_expected("extension pgcrypto", PGD_CATALOG_ADDED));
    assert_false(pgd_catalog_expected("extension amcheck2", PGD_CATALOG_ADDED));

    /* verify's pg_amcheck created it in the copy: not a difference */
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 0);
    assert_int_equal(diff.added, 0);
    pgd_catalog_diff_free(&diff);

    /* the source has it and the copy does not: that is one */
    pgd_catalog_compare(&c, &s, &diff);
    assert_int_equal(diff.count, 1);
    assert_int_equal(diff.missing, 1);
    assert_difference(&diff.items[0], "extension amcheck", PGD_CATALOG_MISSING, false);
    pgd_catalog_diff_free(&diff);

    /* another version in the copy than on the source */
    s = catalog_of(other_version, 2);
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 1);
    assert_difference(&diff.items[0], "extension amcheck", PGD_CATALOG_CHANGED, false);
    pgd_catalog_diff_free(&diff);

    /* any other extension added is a difference */
    s = catalog_of(without, 1);
    c = catalog_of(pgcrypto, 2);
    pgd_catalog_compare(&s, &c, &diff);
    assert_int_equal(diff.count, 1);
    assert_difference(&diff.items[0], "extension pgcrypto", PGD_CATALOG_ADDED, false);
    pgd_catalog_diff_free(&diff);
}

/* pgd_catalog_diff_describe(diff, named), compared and freed. */
static void assert_described(const pgd_catalog_diff *diff, size_t named, const char *expected)
{
    char *text = pgd_catalog_diff_describe(diff, named);

    assert_string_equal(text, expected);
    free(text);
}

static void test_describe(void **state)
{
    pgd_catalog_difference three[] = {
        {"table public.a", PGD_CATALOG_MISSING, false},
        {"index public.b", PGD_CATALOG_CHANGED, false},
        {"table public.c", PGD_CATALOG_CHANGED, true},
    };
    pgd_catalog_diff diff = {.items = three, .count = 3, .missing = 1, .changed = 2};
    pgd_catalog_diff none = {0};

    (void)state;
    assert_described(&none, 10, "0 missing, 0 added, 0 changed");
    assert_described(&diff, 10,
                     "1 missing (table public.a), 0 added, "
                     "2 changed (index public.b, table public.c, unlogged)");
    assert_described(&diff, 3,
                     "1 missing (table public.a), 0 added, "
                     "2 changed (index public.b, table public.c, unlogged)");
    /* at most named identities in all, the rest elided */
    assert_described(&diff, 2,
                     "1 missing (table public.a), 0 added, 2 changed (index public.b, ...)");
    assert_described(&diff, 1, "1 missing (table public.a), 0 added, 2 changed (...)");
    assert_described(&diff, 0, "1 missing (...), 0 added, 2 changed (...)");
}

static void test_describe_compared(void **state)
{
    pgd_catalog_object source[] = {
        {"table public.gone", "11", false},
        {"table public.cache", "22", true},
        {"sequence public.s", "33", true},
    };
    pgd_catalog_object copy[] = {
        {"table public.cache", "2X", false},
        {"sequence public.s", "3X", false},
        {"table public.new", "44", false},
        {"extension amcheck", "55", false},
    };
    pgd_catalog s = catalog_of(source, 3), c = catalog_of(copy, 4);
    pgd_catalog_diff diff;

    (void)state;
    pgd_catalog_compare(&s, &c, &diff);
    assert_described(&diff, 10,
                     "1 missing (table public.gone), 1 added (table public.new), "
                     "2 changed (sequence public.s, unlogged, table public.cache, unlogged)");
    assert_described(&diff, 1, "1 missing (table public.gone), 1 added (...), 2 changed (...)");
    assert_described(&diff, 3,
                     "1 missing (table public.gone), 1 added (table public.new), "
                     "2 changed (sequence public.s, unlogged, ...)");
    pgd_catalog_diff_free(&diff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_json),         cmocka_unit_test(test_from_json_malformed),
        cmocka_unit_test(test_change_name),       cmocka_unit_test(test_compare),
        cmocka_unit_test(test_compare_unsorted),  cmocka_unit_test(test_compare_duplicates),
        cmocka_unit_test(test_compare_expected),  cmocka_unit_test(test_describe),
        cmocka_unit_test(test_describe_compared),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
