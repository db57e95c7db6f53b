/*
 * schema_dump.h - the consistency check: pg_dump -s of every database.
 *
 * pg_dump reads the whole catalog of a database; a restore with a damaged
 * catalog (a relation pointing at a missing namespace, a missing type) makes
 * it fail. Several databases are dumped at once, up to verify.jobs, with the
 * pg_dump of the server's major version, into /dev/null.
 */
#ifndef PGDRILL_VERIFY_SCHEMA_DUMP_H
#define PGDRILL_VERIFY_SCHEMA_DUMP_H

#include "checks.h"

void check_schema_dump(verify_run *run);

#endif
