/*
 * test_bytesize.c - size syntax (units as PostgreSQL and pgBackRest read them) and rejections;
 * the CPU quota of a cgroup's cpu.max.
 */
#include "bytesize.h"
#include "cpus.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

static long parse_ok(const char *text)
{
    long bytes = -1;
    const char *reason = NULL;

    if (!pgd_parse_bytesize(text, &bytes, &reason))
        fail_msg("\"%s\" rejected: %s", text, reason);
    return bytes;
}

static const char *parse_error(const char *text)
{
    long bytes = -1;
    const char *reason = NULL;

    if (pgd_parse_bytesize(text, &bytes, &reason))
        fail_msg("\"%s\" accepted as %ld", text, bytes);
    assert_int_equal(bytes, -1);
    return reason;
}

static void test_units(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0"), 0);
    assert_int_equal(parse_ok("4096"), 4096);
    assert_int_equal(parse_ok("10B"), 10);
    assert_int_equal(parse_ok("8kB"), 8192);
    assert_int_equal(parse_ok("512MB"), 512L * 1024 * 1024);
    assert_int_equal(parse_ok("512mib"), 512L * 1024 * 1024);
    assert_int_equal(parse_ok("1GB"), 1024L * 1024 * 1024);
    assert_int_equal(parse_ok("1GiB"), 1024L * 1024 * 1024);
    assert_int_equal(parse_ok("1TB"), PGD_BYTESIZE_MAX);
}

static void test_rejections(void **state)
{
    (void)state;
    assert_non_null(strstr(parse_error(""), "digit"));
    assert_non_null(strstr(parse_error("-1MB"), "digit"));
    assert_non_null(strstr(parse_error("1.5GB"), "unit"));
    assert_non_null(strstr(parse_error("1 GB"), "unit"));
    assert_non_null(strstr(parse_error("1Gb/s"), "unit"));
    assert_non_null(strstr(parse_error("2TB"), "too large"));
    assert_non_null(strstr(parse_error("99999999999999999999"), "too large"));
}

static void test_cpu_max(void **state)
{
    (void)state;
    assert_int_equal(pgd_cpus_from_cpu_max("max 100000\n"), 0);
    assert_int_equal(pgd_cpus_from_cpu_max("200000 100000\n"), 2);
    assert_int_equal(pgd_cpus_from_cpu_max("150000 100000"), 2); /* 1.5 CPUs: round up */
    assert_int_equal(pgd_cpus_from_cpu_max("50000 100000"), 1);
    assert_int_equal(pgd_cpus_from_cpu_max("garbage"), 0);
    assert_int_equal(pgd_cpus_from_cpu_max("100 0"), 0);
    assert_int_equal(pgd_cpus_from_cpu_max(NULL), 0);
    assert_true(pgd_usable_cpus() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_cpu_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
