/*
 * test_catalog_fingerprint.c - a comparison query wrapped so that the
 * server answers with its row count and a hash of its rows, whatever the
 * user's SQL ends with.
 */
#include "catalog_fingerprint.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define WRAP_HEAD                                                                                  \
    "SELECT pg_catalog.count(*), pg_catalog.md5('0a' || coalesce(pg_catalog.string_agg(r.h, '' "   \
    "ORDER BY r.h COLLATE \"C\"), '')) FROM (SELECT pg_catalog.md5(q::pg_catalog.text) AS h "      \
    "FROM ("
#define WRAP_TAIL "\n) AS q) AS r"

/* pgd_compare_wrap(sql, "0a") must be the wrapper around inner. */
static void assert_wrapped(const char *sql, const char *inner)
{
    char *wrapped = pgd_compare_wrap(sql, "0a");
    size_t head = strlen(WRAP_HEAD), len = strlen(wrapped);

    assert_true(len >= head + strlen(WRAP_TAIL));
    assert_memory_equal(wrapped, WRAP_HEAD, head);
    assert_string_equal(wrapped + len - strlen(WRAP_TAIL), WRAP_TAIL);
    assert_int_equal(len - head - strlen(WRAP_TAIL), strlen(inner));
    assert_memory_equal(wrapped + head, inner, strlen(inner));
    free(wrapped);
}

static void test_wrap_exact(void **state)
{
    char *wrapped = pgd_compare_wrap("SELECT id, total FROM orders", "0a");

    (void)state;
    assert_string_equal(
        wrapped,
        "SELECT pg_catalog.count(*), pg_catalog.md5('0a' || coalesce(pg_catalog.string_agg("
        "r.h, '' ORDER BY r.h COLLATE \"C\"), '')) FROM (SELECT pg_catalog.md5("
        "q::pg_catalog.text) AS h FROM (SELECT id, total FROM orders\n) AS q) AS r");
    free(wrapped);
    /* a salt that is not hexadecimal never reaches the statement */
    wrapped = pgd_compare_wrap("SELECT 1", "x'; DROP");
    assert_non_null(strstr(wrapped, "md5('' || coalesce("));
    free(wrapped);
}

static void test_wrap_trailing(void **state)
{
    (void)state;
    assert_wrapped("SELECT 1", "SELECT 1");
    assert_wrapped("SELECT 1;", "SELECT 1");
    assert_wrapped("SELECT 1 ;; \n", "SELECT 1");
    assert_wrapped("SELECT 1;\n\t; \r\n", "SELECT 1");
    assert_wrapped("SELECT 1\n\n", "SELECT 1");
    /* only at the end: a semicolon or blank inside the SQL stays */
    assert_wrapped("  SELECT ';' AS s", "  SELECT ';' AS s");
    assert_wrapped("SELECT a\n  FROM t;", "SELECT a\n  FROM t");
    /* nothing but what is dropped */
    assert_wrapped(" ;\n", "");
    assert_wrapped("", "");
}

static void test_wrap_comment(void **state)
{
    char *wrapped = pgd_compare_wrap("SELECT id FROM orders -- the open ones", "0a");

    (void)state;
    /* the closing parenthesis is on a line of its own: the comment ends before it */
    assert_non_null(strstr(wrapped, "FROM (SELECT id FROM orders -- the open ones\n) AS q) AS r"));
    free(wrapped);
    assert_wrapped("SELECT 1 -- one;\n", "SELECT 1 -- one");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_exact),
        cmocka_unit_test(test_wrap_trailing),
        cmocka_unit_test(test_wrap_comment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
