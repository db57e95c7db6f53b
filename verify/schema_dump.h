/*
 * schema_dump.h - the consistency check: pg_dump -s of every database.
 *
 * pg_dump reads the whole catalog of a database (and locks every table:
 * docs/design.md, F15); a restore with a damaged
 * catalog (a relation pointing at a missing namespace, a missing type) makes
 * it fail. Several databases are dumped at once, up to verify.jobs, with the
 * pg_dump of the server's major version, into /dev/null.
 */
#ifndef PGDRILL_VERIFY_SCHEMA_DUMP_H
#define PGDRILL_VERIFY_SCHEMA_DUMP_H

#include "checks.h"

void check_schema_dump(verify_run *run);

/*
 * Does a pg_dump error line say that the restored instance is too small or
 * unreachable (out of shared memory, too many clients, no connection),
 * rather than that the catalog is broken? Then the drill is inconclusive,
 * not failed: a configuration problem of the drill, not a finding.
 */
bool schema_dump_environment_error(const char *line);

#endif
