/*
 * test_duration.c - duration syntax: units, plain seconds, and every rejection.
 */
#include "duration.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static long parse_ok(const char *text)
{
    long seconds = -1;
    const char *reason = NULL;

    if (!pgd_parse_duration(text, &seconds, &reason))
        fail_msg("\"%s\" rejected: %s", text, reason);
    return seconds;
}

static const char *parse_error(const char *text)
{
    long seconds = -1;
    const char *reason = NULL;

    if (pgd_parse_duration(text, &seconds, &reason))
        fail_msg("\"%s\" accepted as %ld", text, seconds);
    assert_int_equal(seconds, -1); /* output untouched on error */
    return reason;
}

static void test_units(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0"), 0);
    assert_int_equal(parse_ok("45"), 45);
    assert_int_equal(parse_ok("30s"), 30);
    assert_int_equal(parse_ok("5m"), 300);
    assert_int_equal(parse_ok("2h"), 7200);
    assert_int_equal(parse_ok("1d"), 86400);
    assert_int_equal(parse_ok("366d"), 366L * 86400);
    assert_int_equal(parse_ok("007s"), 7);
}

static void test_rejections(void **state)
{
    (void)state;
    assert_string_equal(parse_error(""), "empty duration");
    assert_string_equal(parse_error("s"),
                        "a duration must start with a digit (e.g. 30s, 5m, 2h, or plain seconds)");
    assert_string_equal(parse_error("-1"),
                        "a duration must start with a digit (e.g. 30s, 5m, 2h, or plain seconds)");
    assert_string_equal(parse_error(" 5s"),
                        "a duration must start with a digit (e.g. 30s, 5m, 2h, or plain seconds)");
    assert_string_equal(parse_error("1.5h"), "unknown duration unit (use s, m, h or d)");
    assert_string_equal(parse_error("5 m"), "unknown duration unit (use s, m, h or d)");
    assert_string_equal(parse_error("10ms"), "trailing characters after the duration unit");
    assert_string_equal(parse_error("1h30m"), "trailing characters after the duration unit");
    assert_string_equal(parse_error("5w"), "unknown duration unit (use s, m, h or d)");
    assert_string_equal(parse_error("367d"), "duration too long (at most 366d)");
    assert_string_equal(parse_error("99999999999999999999999"), "duration too long (at most 366d)");
    assert_string_equal(parse_error("9000000h"), "duration too long (at most 366d)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_rejections),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
