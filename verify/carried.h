/*
 * carried.h - bootstrap's checks (checksums, backup_page_checks), which
 * bootstrap recorded in the report and verify judges: a check bootstrap
 * found failed is a finding of the drill, one it could not run makes it
 * inconclusive (a report of an earlier version says so with status
 * "skipped" and a class: that becomes not_run). For bad pages verify, which
 * has the running instance, names the database and relation of each file.
 */
#ifndef PGDRILL_VERIFY_CARRIED_H
#define PGDRILL_VERIFY_CARRIED_H

#include "checks.h"

extern const check_def check_checksums;
extern const check_def check_backup_page_checks;

/* The facts of a check bootstrap recorded: its entry in the report, bad files named. */
typedef struct carried_facts {
    json_t *entry; /* first: the runner puts the entry here */
} carried_facts;

/*
 * A file of a cluster ("base/16384/16390.1", "global/1262",
 * "pg_tblspc/16385/PG_15_202209061/16384/16390_fsm") into its tablespace
 * OID (0: the database's default), database OID (0: shared) and relfilenode.
 * False for other paths.
 */
bool carried_parse_relation_file(const char *file, unsigned long *tablespace,
                                 unsigned long *database, unsigned long *filenode);

#endif
