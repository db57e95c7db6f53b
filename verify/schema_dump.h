/*
 * schema_dump.h - the consistency check: pg_dump -s of every database.
 *
 * pg_dump reads the whole catalog of a database (and locks every table:
 * docs/design.md, F15); a restore with a damaged catalog (a relation
 * pointing at a missing namespace, a missing type) makes it fail. The
 * runner dumps several databases at once (jobs.h), with the pg_dump of the
 * server's major version, into /dev/null. A pg_dump that the instance
 * stopped (too small, unreachable: classify.h) is not a finding.
 */
#ifndef PGDRILL_VERIFY_SCHEMA_DUMP_H
#define PGDRILL_VERIFY_SCHEMA_DUMP_H

#include "checks.h"
#include "xalloc.h"

extern const check_def check_schema_dump;

/* What pg_dump printed in one database. */
typedef struct schema_dump_facts {
    int error_lines;       /* lines with an error */
    bool instance_stopped; /* one of them says the instance stopped it, not the catalog */
    pgd_buf errors;        /* the first error lines, " | " separated */
} schema_dump_facts;

/* Feed one line pg_dump printed (the facts zeroed first). */
void schema_dump_line(schema_dump_facts *facts, const char *line);

#endif
