/*
 * summary.h - the one-screen human summary of a report, for stderr.
 */
#ifndef PGDRILL_SUMMARY_H
#define PGDRILL_SUMMARY_H

#include "report.h"

#include <stdio.h>

/* Verdict, scope, backup set, target time, each phase's time, each check, the error. */
void pgd_print_summary(const pgd_report *report, FILE *out);

#endif
