/*
 * carried.h - the checks bootstrap recorded in the report (checksums,
 * backup_page_checks), judged by verify: a check bootstrap found failed is a
 * finding of the drill, one it could not run makes it inconclusive. For bad
 * pages verify, which has the running instance, names the database and
 * relation of each file.
 */
#ifndef PGDRILL_VERIFY_CARRIED_H
#define PGDRILL_VERIFY_CARRIED_H

#include "checks.h"

void check_carried(verify_run *run);

/*
 * A file of a cluster ("base/16384/16390.1", "global/1262",
 * "pg_tblspc/16385/PG_15_202209061/16384/16390_fsm") into its tablespace
 * OID (0: the database's default), database OID (0: shared) and relfilenode.
 * False for other paths.
 */
bool carried_parse_relation_file(const char *file, unsigned long *tablespace,
                                 unsigned long *database, unsigned long *filenode);

#endif
