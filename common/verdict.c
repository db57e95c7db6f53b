/*
 * verdict.c - verdicts, error classes, exit codes.
 */
#include "verdict.h"

#include "exitcode.h"

#include <stddef.h>
#include <string.h>

/*
 * Classes that are findings about the backup or the archive: the backup was
 * NOT proven restorable and someone should be paged. Everything else means
 * the drill itself could not run.
 */
static const char *const failing_classes[] = {
    "archiving_off_on_source", /* no WAL archive means no point-in-time recovery at all */
    "archive_stalled",         "no_backup",          "restore_failed", "wal_missing",
    "target_not_reached",      "recovery_failed",    "marker_missing", "fence_present",
    "archiving_enabled",       "schema_dump_failed", "given_up",
};

const char *pgd_verdict_name(pgd_verdict verdict)
{
    switch (verdict) {
    case PGD_VERDICT_RUNNING:
        return "running";
    case PGD_VERDICT_PASSED:
        return "passed";
    case PGD_VERDICT_FAILED:
        return "failed";
    case PGD_VERDICT_INCONCLUSIVE:
        return "inconclusive";
    }
    return "inconclusive";
}

int pgd_verdict_exit_code(pgd_verdict verdict)
{
    switch (verdict) {
    case PGD_VERDICT_PASSED:
        return PGD_EXIT_PASSED;
    case PGD_VERDICT_FAILED:
        return PGD_EXIT_FAILED;
    case PGD_VERDICT_RUNNING:
    case PGD_VERDICT_INCONCLUSIVE:
        break;
    }
    return PGD_EXIT_INCONCLUSIVE;
}

pgd_verdict pgd_error_class_verdict(const char *error_class)
{
    for (size_t i = 0; i < sizeof(failing_classes) / sizeof(failing_classes[0]); i++) {
        if (strcmp(error_class, failing_classes[i]) == 0)
            return PGD_VERDICT_FAILED;
    }
    return PGD_VERDICT_INCONCLUSIVE;
}
