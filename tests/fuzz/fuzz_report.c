/*
 * fuzz_report.c - the report reader pgd_report_load() (common/drill/report.c) on
 * arbitrary file content, then the getters and pgd_report_write() of what it
 * accepted.
 *
 * The input goes to one temporary file per process; the report is written to
 * a second one, so a run never touches anything but its own two files.
 */
#include "report.h"
#include "verdict.h"

#include "fuzz_input.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *in_path;
    static const char *out_path;
    static const char *const fields[] = {"test_id", "scope", "verdict", "target_time"};
    pgd_report *report;
    pgd_report *again;
    bool missing = true;
    char *errmsg = NULL;
    pgd_verdict verdict;

    if (in_path == NULL) {
        in_path = fuzz_temp_file("report-in");
        out_path = fuzz_temp_file("report-out");
    }
    fuzz_write_file(in_path, data, size);

    report = pgd_report_load(in_path, &missing, &errmsg);
    if (report == NULL) {
        if (errmsg == NULL || missing) {
            fprintf(stderr, "fuzz_report: not loaded, but no message (or \"missing\")\n");
            abort();
        }
        free(errmsg);
        return 0;
    }
    if (errmsg != NULL || missing)
        abort();

    verdict = pgd_report_get_verdict(report);
    if ((int)verdict < (int)PGD_VERDICT_RUNNING || (int)verdict > (int)PGD_VERDICT_INCONCLUSIVE)
        abort();
    (void)pgd_verdict_name(verdict);

    free(report->path);
    report->path = pgd_strdup(out_path);
    if (!pgd_report_write(report, &errmsg)) {
        fprintf(stderr, "fuzz_report: a loaded report could not be written: %s\n", errmsg);
        abort();
    }

    /* What the writer wrote reads back the same (verify reads what bootstrap wrote). */
    again = pgd_report_load(out_path, &missing, &errmsg);
    if (again == NULL) {
        fprintf(stderr, "fuzz_report: the written report does not load: %s\n", errmsg);
        abort();
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!same(pgd_report_get_string(report, fields[i]),
                  pgd_report_get_string(again, fields[i]))) {
            fprintf(stderr, "fuzz_report: %s changed in the round trip\n", fields[i]);
            abort();
        }
    }
    if (pgd_report_get_verdict(again) != verdict ||
        pgd_report_error_class(report) != pgd_report_error_class(again)) {
        fprintf(stderr, "fuzz_report: verdict or error class changed in the round trip\n");
        abort();
    }
    pgd_report_free(again);
    pgd_report_free(report);
    return 0;
}
