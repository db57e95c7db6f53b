/*
 * checksums.h - the checksums check: pg_checksums --check of the restored
 * cluster while it is cleanly shut down (README, "What a drill proves").
 *
 * Bad pages are a finding, but bootstrap does not end the drill on it: the
 * check goes into the report with the files and blocks, bootstrap leaves
 * the cluster to Patroni, and verify - which can ask the running instance
 * which database and relation a file belongs to - names them and decides
 * the verdict (checksum_failure).
 */
#ifndef PGDRILL_BOOTSTRAP_CHECKSUMS_H
#define PGDRILL_BOOTSTRAP_CHECKSUMS_H

#include "controldata.h"
#include "drill.h"

#include <jansson.h>

/* Run the check (or record why it is skipped). False only for an error recorded with drill_fail. */
bool checksums_check(drill *d, const char *bindir, const controldata *after);

/*
 * pg_checksums' error lines into a JSON array of {file, block}, file relative
 * to datadir ("base/5/16384"); lines of other kinds are ignored.
 */
json_t *checksums_parse_failures(const char *stderr_text, const char *datadir);

#endif
