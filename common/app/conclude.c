/*
 * conclude.c - deliver, write the report, print the summary, exit code.
 */
#include "conclude.h"

#include "deliver.h"
#include "exitcode.h"
#include "log.h"
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int pgd_conclude(const pgd_config *cfg, pgd_history *history, pgd_report *report)
{
    pgd_verdict verdict = pgd_report_get_verdict(report);
    char *errmsg = NULL;

    if (verdict != PGD_VERDICT_RUNNING)
        pgd_deliver(cfg, history, report);
    if (!pgd_report_write(report, &errmsg)) {
        pgd_error("could not write the report: %s", errmsg);
        free(errmsg);
    }
    pgd_print_summary(report, stderr);
    {
        /* pgdrill's own footprint (children excluded): scripts/bench-drill.py reports it. */
        struct rusage self;

        if (getrusage(RUSAGE_SELF, &self) == 0)
            pgd_debug("peak memory of this process: %ld kB", self.ru_maxrss);
    }
    return verdict == PGD_VERDICT_RUNNING ? PGD_EXIT_OK : pgd_verdict_exit_code(verdict);
}
