/*
 * inject.h - phase 1: marker and fence on the source, WAL archived.
 */
#ifndef PGDRILL_BOOTSTRAP_INJECT_H
#define PGDRILL_BOOTSTRAP_INJECT_H

#include "drill.h"

/*
 * Connect to source.dsn, refuse a standby or a source that does not archive,
 * write marker and fence, set d->target_time, switch WAL and wait (at most
 * marker.archive_timeout) until the archiver has shipped that segment.
 */
bool inject_marker(drill *d);

/*
 * A scheduler wrote the marker: for a past target, read the source's marker
 * rows (the proof's) all the same. False with the error recorded.
 */
bool inject_read_source_rows(drill *d);

#endif
