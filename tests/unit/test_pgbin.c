/*
 * test_pgbin.c - PostgreSQL programs of the right major version.
 */
#include "pgbin.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_parse_major(void **state)
{
    (void)state;
    assert_int_equal(pgd_pg_parse_major("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
                     15);
    assert_int_equal(pgd_pg_parse_major("pg_dump (PostgreSQL) 16.4\n"), 16);
    assert_int_equal(pgd_pg_parse_major("pg_dump (PostgreSQL) 9.6.24"), 9);
    assert_int_equal(pgd_pg_parse_major("something else 15"), -1);
    assert_int_equal(pgd_pg_parse_major(NULL), -1);
}

/* A configured directory is never second-guessed; a wrong version is said. */
static void test_configured_dir(void **state)
{
    char dir[] = "/tmp/pgdrill-test-pgbin-XXXXXX";
    char path[128];
    char *errmsg = NULL;
    char *found;
    FILE *fp;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pg_dump", dir);
    fp = fopen(path, "w");
    fputs("#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.9'\n", fp);
    fclose(fp);
    chmod(path, 0755);
    found = pgd_pg_bindir(dir, "pg_dump", 14, &errmsg);
    assert_string_equal(found, dir);
    free(found);
    assert_null(pgd_pg_bindir(dir, "pg_dump", 15, &errmsg));
    assert_non_null(strstr(errmsg, "major version 14, need 15"));
    free(errmsg);
    assert_null(pgd_pg_bindir(dir, "postgres", 0, &errmsg));
    assert_non_null(strstr(errmsg, "not found or not executable"));
    free(errmsg);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_major),
        cmocka_unit_test(test_configured_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
