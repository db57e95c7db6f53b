/*
 * controldata.h - the pg_controldata values recovery depends on.
 *
 * A hot standby refuses to start when max_connections,
 * max_worker_processes, max_wal_senders, max_prepared_transactions or
 * max_locks_per_transaction are below the source's values recorded in
 * pg_control (docs/design.md, F6), and after a successful drill the cluster
 * must be "shut down" on a new timeline.
 */
#ifndef PGDRILL_BOOTSTRAP_CONTROLDATA_H
#define PGDRILL_BOOTSTRAP_CONTROLDATA_H

#include <stdbool.h>

typedef struct controldata {
    char *cluster_state; /* "shut down", "in production", "in archive recovery", ... */
    long max_connections;
    long max_worker_processes;
    long max_wal_senders;
    long max_prepared_xacts;
    long max_locks_per_xact;
    long timeline;         /* Latest checkpoint's TimeLineID */
    long wal_segment_size; /* Bytes per WAL segment */
    long checksum_version; /* Data page checksum version: 0 when checksums are off */
} controldata;

/* Parse pg_controldata's output (run with LC_ALL=C). False with *errmsg when a value is missing. */
bool controldata_parse(const char *text, controldata *out, char **errmsg);

/* Run <bindir>/pg_controldata on datadir and parse it. */
bool controldata_read(const char *bindir, const char *datadir, controldata *out, char **errmsg);

void controldata_free(controldata *cd);

#endif
