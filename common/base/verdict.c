/*
 * verdict.c - verdicts, the table of error classes, exit codes.
 */
#include "verdict.h"

#include "exitcode.h"

#include <stddef.h>
#include <string.h>

typedef struct class_info {
    const char *name;
    pgd_verdict verdict;
    const char *meaning; /* README: "what happened" */
    const char *advice;  /* README: "what an SRE should do" */
} class_info;

/*
 * Failed: a finding about the backup or the archive, someone should be
 * paged. Inconclusive: the drill itself could not run. The texts are the
 * README's, markdown included (test_verdict.c compares them).
 */
static const class_info classes[] = {
    [PGD_ERR_CONFIG] = {"config", PGD_VERDICT_USAGE,
                        "configuration rejected (exit 2, `FILE:LINE: KEY: reason`)",
                        "fix the file"},
    [PGD_ERR_MARKER_LOCATION_REFUSED] =
        {"marker_location_refused", PGD_VERDICT_INCONCLUSIVE,
         "`marker.schema` or `marker.table` names a schema or table on the source that pgdrill "
         "did not create; nothing was written there",
         "point `marker.schema` at a schema of pgdrill's own (the default `_pgdrill`)"},
    [PGD_ERR_SOURCE_UNREACHABLE] = {"source_unreachable", PGD_VERDICT_INCONCLUSIVE,
                                    "connecting to or querying the source failed",
                                    "check `source.dsn`, network, pgpass, `pg_hba.conf` on the "
                                    "source"},
    [PGD_ERR_SOURCE_NOT_PRIMARY] = {"source_not_primary", PGD_VERDICT_INCONCLUSIVE,
                                    "`source.dsn` points at a standby",
                                    "point it at the primary (or a Patroni primary service)"},
    [PGD_ERR_ARCHIVING_OFF_ON_SOURCE] = {"archiving_off_on_source", PGD_VERDICT_FAILED,
                                         "`archive_mode` off or no archive command: no "
                                         "point-in-time recovery is possible",
                                         "turn on WAL archiving on the source — page"},
    [PGD_ERR_ARCHIVE_STALLED] = {"archive_stalled", PGD_VERDICT_FAILED,
                                 "the marker's WAL segment was not archived (archiver failing or "
                                 "too slow)",
                                 "read the source's server log for the `archive_command` error; "
                                 "check the repository"},
    [PGD_ERR_STANZA_MISSING] = {"stanza_missing", PGD_VERDICT_FAILED,
                                "the repository holds no stanza of that name (the stanzas it "
                                "holds are listed)",
                                "a typo in `pgbackrest.stanza`: fix it; otherwise the repository "
                                "lost the stanza — page"},
    [PGD_ERR_NO_BACKUP] = {"no_backup", PGD_VERDICT_FAILED, "no backup set ended before the target",
                           "check the backup schedule; a backup finishing in the same second as "
                           "the drill also causes this"},
    [PGD_ERR_TARGET_UNREACHABLE] = {"target_unreachable", PGD_VERDICT_INCONCLUSIVE,
                                    "`recovery.target` names an instant the repository cannot "
                                    "restore to (before the end of its oldest backup set or of "
                                    "the set `pgbackrest.set` names, in the future, or not before "
                                    "the drill's own marker), or one without a retained marker "
                                    "on each side to prove it with: refused before any restore, "
                                    "naming the window it reaches; or verify found no marker on "
                                    "one side of the target in the copy's rows",
                                    "pick a target inside the window named (latest drills leave "
                                    "the markers a past target is proven with); the backup itself "
                                    "was not judged"},
    [PGD_ERR_RESTORE_FAILED] = {"restore_failed", PGD_VERDICT_FAILED,
                                "`pgbackrest restore` failed (missing or corrupt file, checksum, "
                                "repository error); its error line is quoted",
                                "run `pgbackrest verify`, take a new full backup"},
    [PGD_ERR_REPOSITORY_UNREACHABLE] = {"repository_unreachable", PGD_VERDICT_INCONCLUSIVE,
                                        "pgBackRest could not reach the repository (connection, "
                                        "DNS, TLS, 5xx answers, credentials), or the repository "
                                        "failed every probe for `pgbackrest.dead_after` while the "
                                        "restore or the replay wrote nothing; pgBackRest's or the "
                                        "probe's error is quoted",
                                        "check the repository's endpoint, network and credentials; "
                                        "the backup itself was not judged"},
    [PGD_ERR_RESTORE_HOST_ERROR] = {"restore_host_error", PGD_VERDICT_INCONCLUSIVE,
                                    "the restore host could not take the files (no space left, "
                                    "quota, read-only file system)",
                                    "give the restore-test instance's data directory more room; "
                                    "the backup itself was not judged"},
    [PGD_ERR_WAL_MISSING] = {"wal_missing", PGD_VERDICT_FAILED,
                             "a WAL segment needed for replay is missing from the archive although "
                             "later WAL exists",
                             "the archive has a hole: take a new full backup now, find out how the "
                             "segment got lost"},
    [PGD_ERR_TARGET_NOT_REACHED] = {"target_not_reached", PGD_VERDICT_FAILED,
                                    "replay used all archived WAL without reaching the target",
                                    "archiving lags or a scheduler's target lies in the future"},
    [PGD_ERR_RECOVERY_FAILED] = {"recovery_failed", PGD_VERDICT_FAILED,
                                 "any other start-up or replay failure; the first FATAL line is "
                                 "quoted",
                                 "read the quoted line; often a missing extension or setting "
                                 "(`recovery.settings`)"},
    [PGD_ERR_MARKER_MISSING] = {"marker_missing", PGD_VERDICT_FAILED,
                                "the restored instance lacks the marker",
                                "recovery stopped too early: check the target, the clocks"},
    [PGD_ERR_FENCE_PRESENT] = {"fence_present", PGD_VERDICT_FAILED,
                               "recovery replayed past the target",
                               "check `recovery_target_*` settings left in the configuration"},
    [PGD_ERR_TARGET_MISMATCH] = {"target_mismatch", PGD_VERDICT_FAILED,
                                 "a past target's copy holds a marker or fence row committed "
                                 "after the target, or lacks one committed before it (the row's "
                                 "test id, kind and time named)",
                                 "recovery did not stop at the target: a restore to that instant "
                                 "would hold the wrong data; check the source's clock (a jump "
                                 "makes created_at lie) and the `recovery_target_*` settings, "
                                 "then run the drill again"},
    [PGD_ERR_ARCHIVING_ENABLED] = {"archiving_enabled", PGD_VERDICT_FAILED,
                                   "the restored instance would archive into production",
                                   "set `archive_mode: 'off'` in the drill's patroni.yml — "
                                   "urgent"},
    [PGD_ERR_SCHEMA_DUMP_FAILED] = {"schema_dump_failed", PGD_VERDICT_FAILED,
                                    "`pg_dump -s` failed in a database (named, first error lines "
                                    "quoted)",
                                    "catalog corruption on the source: inspect that database "
                                    "now"},
    [PGD_ERR_BACKUP_PAGE_ERRORS] = {"backup_page_errors", PGD_VERDICT_FAILED,
                                    "pgBackRest found pages with a wrong checksum while taking the "
                                    "restored backup set (`\"error\": true` in `pgbackrest info`): "
                                    "files and pages named from its manifest, even when replay "
                                    "healed the restored copy",
                                    "the set and most likely the source hold the bad pages: check "
                                    "the source's copy of those relations now (amcheck, "
                                    "`pg_checksums` while it is stopped, a read of the table); "
                                    "once repaired, take a new full backup"},
    [PGD_ERR_CHECKSUM_FAILURE] = {"checksum_failure", PGD_VERDICT_FAILED,
                                  "`pg_checksums --check` found pages whose checksum is wrong "
                                  "(file, block and, where resolved, database and relation named)",
                                  "the pages were already bad in the backup: check the source's "
                                  "copy of that relation now (amcheck, a read of the table)"},
    [PGD_ERR_DATA_CORRUPTION] = {"data_corruption", PGD_VERDICT_FAILED,
                                 "`pg_amcheck` found corrupt heap or B-tree pages (database, "
                                 "relation and block named)",
                                 "check the source's copy of that relation now; restore it from "
                                 "an older backup if it is corrupt there too"},
    [PGD_ERR_ASSERTION_FAILED] = {"assertion_failed", PGD_VERDICT_FAILED,
                                  "a `verify.assertions` query returned something other than one "
                                  "row holding true, or failed (assertion named; a result "
                                  "described by shape and type, an error by its SQLSTATE, never "
                                  "by a value)",
                                  "the restored data is not what the assertion expects: run the "
                                  "assertion on the restored instance to see the values"},
    [PGD_ERR_SOURCE_MISMATCH] = {"source_mismatch", PGD_VERDICT_FAILED,
                                 "the copy differs from what the source held at the marker: "
                                 "catalog objects missing, added or changed (database and objects "
                                 "named), or a `verify.compare` query's rows (comparison named; "
                                 "counts and hashes, never values)",
                                 "an unlogged relation's data is never restored (make it logged, "
                                 "or leave it out of the comparison); otherwise run the comparison "
                                 "on the source and on a restored copy to see which rows differ"},
    [PGD_ERR_RTO_EXCEEDED] = {"rto_exceeded", PGD_VERDICT_FAILED,
                              "restore plus recovery took longer than `report.rto_target`",
                              "a real restore would miss the recovery-time objective: faster "
                              "storage, more `pgbackrest.process_max`, newer backups"},
    [PGD_ERR_GIVEN_UP] = {"given_up", PGD_VERDICT_FAILED,
                          "this drill already ran; not restoring again (first error kept in "
                          "`previous_error`)",
                          "read `previous_error`; start a new drill (new pod or new test id)"},
    [PGD_ERR_DEFERRED] = {"deferred", PGD_VERDICT_INCONCLUSIVE,
                          "`report.max_concurrent` drills were already in progress in the fleet; "
                          "nothing was touched",
                          "none; the next run retries. Many in a row: look for drills stuck \"in "
                          "progress\" in `pgdrill.drill_latest`"},
    [PGD_ERR_NEVER_STARTED] = {"never_started", PGD_VERDICT_INCONCLUSIVE,
                               "`pgdrill-fleet` launched the drill, but it wrote no status row "
                               "within `launch_timeout` (recorded by the deployer)",
                               "look at the runner: the command's output in the deployer's log, "
                               "the Job's events (`kubectl describe job`); the drill's pgdrill.yml "
                               "must name the deployer's `history_dsn` as `report.history_dsn`"},
    [PGD_ERR_LAUNCH_FAILED] = {"launch_failed", PGD_VERDICT_INCONCLUSIVE,
                               "`pgdrill-fleet`'s runner could not start the drill: the launch "
                               "command failed or ran past `launch.timeout`, or the Kubernetes "
                               "API refused the Job",
                               "read the deployer's log for the command's output or the API's "
                               "answer; the scope is retried after `retry_after`"},
    [PGD_ERR_QUARANTINE_FAILED] =
        {"quarantine_failed", PGD_VERDICT_INCONCLUSIVE,
         "the restored copy could not be cut off from production (its subscriptions, pg_cron "
         "jobs or foreign-data wrappers), or verify found it replicating; bootstrap then hands "
         "nothing on",
         "read the message; do not start the data directory (or `<data_dir>.failed`) by hand "
         "before disabling its subscriptions — it would replicate from production"},
    [PGD_ERR_TIMEOUT] = {"timeout", PGD_VERDICT_INCONCLUSIVE,
                         "`recovery.timeout` or `verify.timeout` ran out, or an assertion its "
                         "statement timeout (`verify.assertion_timeout`)",
                         "raise the timeout or look for a stuck restore"},
    [PGD_ERR_INTERRUPTED] = {"interrupted", PGD_VERDICT_INCONCLUSIVE,
                             "SIGTERM/SIGINT/SIGHUP; children were stopped, the report and the "
                             "history row still written",
                             "none, or find out who stopped the pod"},
    [PGD_ERR_INTERNAL] = {"internal", PGD_VERDICT_INCONCLUSIVE,
                          "a tool is missing, a file cannot be written, the restored instance is "
                          "unreachable",
                          "read the message"},
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
    case PGD_VERDICT_USAGE:
        return "usage";
    }
    return "inconclusive";
}

int pgd_verdict_exit_code(pgd_verdict verdict)
{
    switch (verdict) {
    case PGD_VERDICT_PASSED:
        return PGD_EXIT_OK;
    case PGD_VERDICT_FAILED:
        return PGD_EXIT_FAILED;
    case PGD_VERDICT_USAGE:
        return PGD_EXIT_USAGE;
    case PGD_VERDICT_RUNNING:
    case PGD_VERDICT_INCONCLUSIVE:
        break;
    }
    return PGD_EXIT_INCONCLUSIVE;
}

static const class_info *info_of(pgd_error_class error_class)
{
    if (error_class < PGD_ERR_FIRST || error_class > PGD_ERR_LAST)
        return NULL;
    return &classes[error_class];
}

const char *pgd_error_class_name(pgd_error_class error_class)
{
    const class_info *info = info_of(error_class);

    if (error_class == PGD_ERR_NONE)
        return NULL;
    return info != NULL ? info->name : "unknown";
}

pgd_error_class pgd_error_class_from_name(const char *name)
{
    if (name == NULL)
        return PGD_ERR_NONE;
    for (int c = PGD_ERR_FIRST; c <= PGD_ERR_LAST; c++) {
        if (strcmp(name, classes[c].name) == 0)
            return (pgd_error_class)c;
    }
    return PGD_ERR_UNKNOWN;
}

pgd_verdict pgd_error_class_verdict(pgd_error_class error_class)
{
    const class_info *info = info_of(error_class);

    if (error_class == PGD_ERR_NONE)
        return PGD_VERDICT_PASSED;
    /* A class this version does not know cannot be judged: not a pass, not a page. */
    return info != NULL ? info->verdict : PGD_VERDICT_INCONCLUSIVE;
}

bool pgd_error_class_outranks(pgd_error_class candidate, pgd_error_class current)
{
    if (candidate == PGD_ERR_NONE)
        return false;
    if (current == PGD_ERR_NONE)
        return true;
    return pgd_error_class_verdict(current) != PGD_VERDICT_FAILED &&
           pgd_error_class_verdict(candidate) == PGD_VERDICT_FAILED;
}

const char *pgd_error_class_meaning(pgd_error_class error_class)
{
    const class_info *info = info_of(error_class);

    return info != NULL ? info->meaning : "";
}

const char *pgd_error_class_advice(pgd_error_class error_class)
{
    const class_info *info = info_of(error_class);

    return info != NULL ? info->advice : "";
}
