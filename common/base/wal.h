/*
 * wal.h - WAL file names and segment arithmetic.
 *
 * A WAL segment is named by 24 hexadecimal digits: 8 for the timeline, 8 for
 * the "log id" and 8 for the segment within it, so names of one timeline
 * sort in WAL order. The repository keeps them in directories named by the
 * first 16 digits. Every comparison of WAL names in pgdrill goes through
 * here (docs/design.md, F16).
 */
#ifndef PGDRILL_WAL_H
#define PGDRILL_WAL_H

#include <stdbool.h>
#include <stdint.h>

#define PGD_WAL_NAME_LEN    24
#define PGD_WAL_SEGMENT_MIN (1024L * 1024)        /* initdb --wal-segsize=1 */
#define PGD_WAL_SEGMENT_MAX (1024L * 1024 * 1024) /* initdb --wal-segsize=1024 */

/* Do the first 24 characters of name (at least 24 long) form a segment name? */
bool pgd_wal_is_segment_name(const char *name);

/* A segment size PostgreSQL allows: a power of two from 1 MB to 1 GB. */
bool pgd_wal_valid_segment_size(long bytes);

/*
 * The segment after `segment` for segments of segment_bytes into next;
 * false when segment is not a segment name or the size is not valid.
 */
bool pgd_wal_next_segment(const char *segment, long segment_bytes, char next[PGD_WAL_NAME_LEN + 1]);

/* Is name a segment name on segment's timeline, after it? (name may carry a suffix) */
bool pgd_wal_is_later_segment(const char *name, const char *segment);

/* Is segment on limit's timeline and not after it? */
bool pgd_wal_not_after(const char *segment, const char *limit);

/* Has the archiver reached segment (its last archived file is at or after it)? */
bool pgd_wal_reached(const char *last_archived, const char *segment);

/* The repository directory of segment: its first 16 digits (caller frees). */
char *pgd_wal_directory(const char *segment);

/* Is name exactly a repository WAL directory (16 digits) on segment's timeline, after it? */
bool pgd_wal_is_later_directory(const char *name, const char *segment);

/* "0/3000028" (as PostgreSQL prints an LSN) into *lsn; false for other text. */
bool pgd_wal_parse_lsn(const char *text, uint64_t *lsn);

/* The name of the segment holding lsn on timeline, for segments of segment_bytes (valid size). */
void pgd_wal_segment_of(uint64_t lsn, unsigned int timeline, long segment_bytes,
                        char name[PGD_WAL_NAME_LEN + 1]);

/*
 * The LSN where segment (a name) begins, for segments of segment_bytes;
 * false when segment is not a segment name or the size is not valid.
 */
bool pgd_wal_segment_start(const char *segment, long segment_bytes, uint64_t *lsn);

#endif
