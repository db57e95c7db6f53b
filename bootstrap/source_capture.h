/*
 * source_capture.h - what the source held at the marker, for verify to
 * compare the copy with (README "Proof against the source").
 *
 * The marker's database is read in the marker's own snapshot: the marker's
 * transaction (REPEATABLE READ) exports its snapshot, a second, read-only
 * session imports it before the marker commits, and reads the catalog
 * fingerprint and runs the verify.compare queries there after the commit.
 * The marker's transaction so stays as short as before (its commit is what
 * bounds a past target, docs/design.md F77), and nothing production sees
 * runs outside a read-only transaction but the marker's INSERT. Other
 * databases cannot import that snapshot (PostgreSQL refuses across
 * databases): each is read in a read-only snapshot of its own, taken just
 * before the marker (F86). Nothing here ever fails the drill: what could not
 * be captured is recorded, and verify's checks say so.
 */
#ifndef PGDRILL_BOOTSTRAP_SOURCE_CAPTURE_H
#define PGDRILL_BOOTSTRAP_SOURCE_CAPTURE_H

#include "drill.h"

#include <libpq-fe.h>

typedef struct source_capture source_capture;

/*
 * Before the marker, on the drill's session conn: the other databases'
 * fingerprints, the reading session of the marker's database. NULL when
 * verify.source_catalog is off and verify.compare empty.
 */
source_capture *source_capture_begin(drill *d, PGconn *conn);

/*
 * Insert the marker into table (quoted) on conn in a REPEATABLE READ
 * transaction whose snapshot the capture's session imports, and commit;
 * with c NULL, a plain INSERT. False after drill_fail when the marker is not
 * committed.
 */
bool source_capture_insert_marker(drill *d, source_capture *c, PGconn *conn, const char *table);

/*
 * After the marker's commit (committed): the marker database's fingerprint
 * and every comparison, the file of the source's catalog next to the report
 * and the report's "source" object. Without the commit only the sessions
 * end. Frees c.
 */
void source_capture_finish(drill *d, source_capture *c, bool committed);

#endif
