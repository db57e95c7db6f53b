/*
 * report_fixture.h - a report path in a fresh temporary directory, for the
 * unit tests of modules that read and write reports (cmocka group fixtures).
 */
#ifndef PGDRILL_TEST_REPORT_FIXTURE_H
#define PGDRILL_TEST_REPORT_FIXTURE_H

#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char report_dir[] = "/tmp/pgdrill-test-report-XXXXXX";
static char path[128];

/* Group setup: the directory and the report's path in it. */
static int setup(void **state)
{
    (void)state;
    if (mkdtemp(report_dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/report.json", report_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(report_dir);
    return 0;
}

/* Test setup: no report, no secrets. */
static int reset(void **state)
{
    (void)state;
    unlink(path);
    pgd_secret_clear();
    return 0;
}

#endif
