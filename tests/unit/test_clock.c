/*
 * test_clock.c - timestamps: only real instants, offsets honoured, one format.
 */
#include "clock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

static void assert_instant(const char *text, double expected)
{
    const char *why = NULL;
    double t = pgd_parse_timestamp(text, &why);

    if (t != expected)
        fail_msg("%s: expected %.6f, got %.6f (%s)", text, expected, t, why ? why : "");
}

static void assert_refused(const char *text, const char *reason)
{
    const char *why = NULL;

    assert_true(pgd_parse_timestamp(text, &why) < 0);
    assert_non_null(why);
    if (strstr(why, reason) == NULL)
        fail_msg("%s: \"%s\" does not say \"%s\"", text, why, reason);
}

static void test_real_instants(void **state)
{
    (void)state;
    /* 2026-11-24 18:20:37 UTC is 1795544437 */
    assert_instant("2026-11-24 18:20:37+00", 1795544437.0);
    assert_instant("2026-11-24 18:20:37.5+00", 1795544437.5);
    assert_instant("2026-11-24T18:20:37.250Z", 1795544437.25);
    /* the offset is honoured: the same instant written in another zone */
    assert_instant("2026-11-24 20:20:37+02", 1795544437.0);
    assert_instant("2026-11-24 20:50:37+02:30", 1795544437.0);
    assert_instant("2026-11-24 13:20:37-0500", 1795544437.0);
    assert_instant("2024-02-29 00:00:00+00", 1709164800.0); /* a leap day */
    assert_instant("2000-02-29 00:00:00+00", 951782400.0);
}

static void test_not_instants(void **state)
{
    (void)state;
    assert_refused("2026-02-30 00:00:00+00", "no such date");
    assert_refused("2026-02-29 00:00:00+00", "no such date");
    assert_refused("1900-02-29 00:00:00+00", "no such date");
    assert_refused("2026-13-01 00:00:00+00", "no such date");
    assert_refused("2026-11-24 25:61:00+00", "no such time");
    assert_refused("2026-11-24 23:59:60+00", "no such time");
    assert_refused("2026-11-24 18:20:37", "no UTC offset");
    assert_refused("2026-11-24 18:20:37+16", "out of range");
    assert_refused("2026-11-24 18:20:37+05:", "UTC offset is not");
    assert_refused("2026-11-24 18:20:37+00 tomorrow", "UTC offset is not");
    assert_refused("2026-11-24 18:20:37.1234567+00", "not YYYY-MM-DD");
    assert_refused("2026-11-24 18:20+00", "not YYYY-MM-DD");
    assert_refused("26-11-24 18:20:37+00", "not YYYY-MM-DD");
    assert_refused("", "not YYYY-MM-DD");
    assert_true(pgd_parse_utc(NULL) < 0);
}

static void test_format(void **state)
{
    char buf[40];

    (void)state;
    assert_string_equal(pgd_format_utc(1795544437.25, true, buf, sizeof(buf)),
                        "2026-11-24T18:20:37.250Z");
    assert_string_equal(pgd_format_utc(1795544437.0, false, buf, sizeof(buf)),
                        "2026-11-24T18:20:37Z");
    /* what pgdrill writes, it reads back */
    assert_instant(pgd_format_utc(1795544437.25, true, buf, sizeof(buf)), 1795544437.25);
}

static void assert_us(const char *text, int64_t expected)
{
    const char *why = NULL;
    int64_t us = -1;

    if (!pgd_parse_timestamp_us(text, &us, &why) || us != expected)
        fail_msg("%s: expected %lld us, got %lld (%s)", text, (long long)expected, (long long)us,
                 why ? why : "");
}

/* Microseconds exactly, where a double would round the last digit. */
static void test_microseconds(void **state)
{
    const char *why = NULL;
    int64_t us;
    char buf[40];

    (void)state;
    assert_us("2026-11-24 18:20:37.432351+00", 1795544437432351LL);
    assert_us("2026-11-24T18:20:37.000001Z", 1795544437000001LL);
    assert_us("2026-11-24T18:20:37.9Z", 1795544437900000LL);
    assert_us("2026-11-24T20:20:37.000007+02:00", 1795544437000007LL);
    assert_false(pgd_parse_timestamp_us("2026-11-24T18:20:37.1234567Z", &us, &why));
    assert_false(pgd_parse_timestamp_us("2026-02-30T00:00:00Z", &us, &why));
    assert_string_equal(why, "no such date");
    assert_string_equal(pgd_format_us(1795544437432351LL, PGD_US_TARGET, buf, sizeof(buf)),
                        "2026-11-24 18:20:37.432351+00");
    assert_string_equal(pgd_format_us(1795544437000001LL, PGD_US_REPORT, buf, sizeof(buf)),
                        "2026-11-24T18:20:37.000001Z");
    /* what pgdrill writes as a target, it reads back to the microsecond */
    assert_us(pgd_format_us(1795544437432351LL, PGD_US_TARGET, buf, sizeof(buf)),
              1795544437432351LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_instants),
        cmocka_unit_test(test_not_instants),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_microseconds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
