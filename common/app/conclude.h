/*
 * conclude.h - how every run of either binary ends.
 *
 * Whatever the verdict, the same steps in the same order: on a terminal
 * verdict deliver it (status history, metrics file, webhook; see
 * deliver.h), then write the report (a failure to write is logged, never
 * fatal by itself), then print the one-screen summary on stderr. The exit
 * code follows from the report's verdict.
 */
#ifndef PGDRILL_CONCLUDE_H
#define PGDRILL_CONCLUDE_H

#include "config.h"
#include "history.h"
#include "report.h"

/*
 * End the run with report as it is. A report still "running" (bootstrap
 * succeeded; verify decides) is not delivered and exits 0.
 */
int pgd_conclude(const pgd_config *cfg, pgd_history *history, pgd_report *report);

#endif
