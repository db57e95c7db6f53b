/*
 * pgbackrest.h - everything pgdrill knows about pgBackRest: how it is
 * called (argument vectors, info, repo-ls), what its info JSON holds, what
 * its restore prints, and which settings its restore writes.
 *
 * pgdrill only ever reads the repository (docs/design.md, F11): the
 * commands used here are info, repo-ls, repo-get and restore. How pgBackRest picks
 * the backup set and what it writes: F8; its info status codes: F9.
 */
#ifndef PGDRILL_BOOTSTRAP_PGBACKREST_H
#define PGDRILL_BOOTSTRAP_PGBACKREST_H

#include "argv.h"
#include "drill.h"
#include "target.h"

#include <jansson.h>
#include <stdbool.h>

typedef enum pgbackrest_flags {
    PGB_PLAIN = 0,
    PGB_RESTORE_OPTIONS = 1, /* add pgbackrest.options (restore options) */
    PGB_ALL_STANZAS = 2,     /* no --stanza: the command covers the whole repository */
} pgbackrest_flags;

/*
 * Fill argv (initialized here) with: pgbackrest [--config=...] --stanza=...
 * <extra...> [<pgbackrest.options...>] <command>; the caller may append the
 * command's own arguments. pgbackrest.options are restore options
 * (pgBackRest rejects options a command does not know), so only the
 * restore passes PGB_RESTORE_OPTIONS; they come last so that they add to,
 * but (config.c refuses those) never replace, what the drill sets.
 */
void pgbackrest_argv(const drill *d, pgd_argv *argv, const char *const *extra,
                     pgbackrest_flags flags, const char *command);

/*
 * `pgbackrest info --output=json` of the stanza, or with whole_repository
 * of every stanza: the JSON array, or NULL with *errmsg and *spawn_failed
 * (pgBackRest could not be started at all).
 */
json_t *pgbackrest_info(const drill *d, bool whole_repository, bool *spawn_failed, char **errmsg);

/* "a, b" of the stanzas the repository holds, "none", or "(could not be listed)" (caller frees). */
char *pgbackrest_stanza_names(const drill *d);

/*
 * Does the stanza's info say the repository does not hold it at all?
 * *message gets pgBackRest's words ("missing stanza path").
 */
bool pgbackrest_info_stanza_missing(json_t *info, const char **message);

/* The stanza's backup sets, oldest first (borrowed). */
json_t *pgbackrest_info_backups(json_t *info);

/* The id of the stanza's newest archive ("15-1"), or NULL (borrowed). */
const char *pgbackrest_info_archive_id(json_t *info);

/*
 * What the stanza's info says about the window (docs/design.md, F75): its
 * sets, oldest first, with their stop times, into *backups (the array is
 * the caller's to free, the labels are borrowed from info), and in
 * *newest_wal the newest archived segment of the newest database (NULL when
 * none). Sets without a label or a stop time are left out. Returns their
 * count.
 */
size_t pgbackrest_info_window(json_t *info, pgd_target_backup **backups, const char **newest_wal);

/* Run `pgbackrest repo-ls <path>`: its output in *listing, or false with *errmsg. */
bool pgbackrest_repo_ls(const drill *d, const char *path, char **listing, char **errmsg);

/*
 * Run `pgbackrest repo-get <path>`, path relative to the repository
 * ("backup/<stanza>/<label>/backup.manifest"): the file as pgBackRest
 * decrypts it with the repository's cipher, if any (docs/design.md, F46),
 * in *content, or false with *errmsg. repo > 0 reads that repository unless
 * pgbackrest.repo already names one.
 */
bool pgbackrest_repo_get(const drill *d, int repo, const char *path, int64_t timeout_ms,
                         char **content, char **errmsg);

/* What one line of `pgbackrest restore --log-level-console=detail` says. */
typedef struct pgbackrest_restore_line {
    char *backup_set; /* "restore backup set <label>": the label, or NULL */
    int repo;         /* "repoN: restore backup set": the repository it comes from, else 0 */
    char *error;      /* from "ERROR: [nnn]: ..." on, or NULL */
    char *percent;    /* a per-file detail line's "12.34%", or NULL */
    bool chatter;     /* DETAIL/DEBUG/TRACE: too many to relay one by one */
    int aborted_code; /* "command end: aborted with exception [NNN]": NNN, else 0 */
} pgbackrest_restore_line;

void pgbackrest_parse_restore_line(const char *line, pgbackrest_restore_line *out);
void pgbackrest_restore_line_free(pgbackrest_restore_line *parsed);

/* Does pgBackRest's restore error say no backup set ended before the target? */
bool pgbackrest_error_is_no_backup(const char *error);

/*
 * The class of a failed restore from pgBackRest's error line ("ERROR: [NNN]:
 * ..."; NULL when there was none): the repository could not be reached
 * (host-connect 49, service 101, access 105: inconclusive), the restore
 * host could not take the files (no space, quota, read-only: inconclusive),
 * no backup set before the target, or else a failed restore.
 */
pgd_error_class pgbackrest_restore_error_class(const char *error);

/*
 * postgresql.auto.conf without the recovery settings pgBackRest's restore
 * wrote (restore_command, recovery_target*, its comment line); other lines,
 * archive_mode = 'off' among them, are kept as they are (caller frees).
 */
char *pgbackrest_strip_recovery_settings(const char *auto_conf);

#endif
