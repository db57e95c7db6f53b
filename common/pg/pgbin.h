/*
 * pgbin.h - find the PostgreSQL programs of the right major version.
 *
 * Order (README, postgres.bin_dir): postgres.bin_dir when configured, else
 * `pg_config --bindir`, else PATH. A data directory or server of major
 * version N needs programs of version N, so when a major version is asked
 * for, a candidate of another version is skipped and Debian's
 * /usr/lib/postgresql/N/bin is tried too.
 */
#ifndef PGDRILL_PGBIN_H
#define PGDRILL_PGBIN_H

/*
 * The directory holding `program` (e.g. "postgres", "pg_dump") of major
 * version `major` (0: any version). NULL with *errmsg saying what was tried.
 */
char *pgd_pg_bindir(const char *configured_dir, const char *program, int major, char **errmsg);

/* "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> 15; -1 for other text. */
int pgd_pg_parse_major(const char *version_output);

/* Major version printed by "<dir>/<program> --version", or -1. */
int pgd_pg_program_major(const char *dir, const char *program);

/* Major version of a data directory (its PG_VERSION file), or -1. */
int pgd_pg_datadir_major(const char *datadir);

#endif
