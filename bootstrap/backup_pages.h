/*
 * backup_pages.h - the backup_page_checks check: what pgBackRest found
 * about page checksums while it took the restored backup set (README, "What
 * a drill proves").
 *
 * pgBackRest checks every page's checksum as it backs the page up and
 * flags the set when one is wrong, yet completes the backup (docs/design.md,
 * F44). A restore can still come out clean: a full-page image written after
 * the backup began replaces the bad page during replay. The set keeps the
 * bad page all the same (a restore to an earlier instant gets it) and the
 * source's disk most likely too, so a flagged set is a finding however
 * clean the restored copy. Like the checksums check, bootstrap records it
 * and goes on (the report then also says whether the restored copy is
 * clean); verify names the relations and decides the verdict.
 */
#ifndef PGDRILL_BOOTSTRAP_BACKUP_PAGES_H
#define PGDRILL_BOOTSTRAP_BACKUP_PAGES_H

#include "drill.h"

#include <jansson.h>
#include <stdbool.h>

/*
 * Judge the restored set from `pgbackrest info` (its "error" flag) and, for
 * a flagged set, name the files and pages from its manifest (read with
 * `pgbackrest repo-get`). label: the set pgBackRest restored; repo: the
 * repository it came from (0: unknown). Records the check; a flagged set is
 * also noted as the drill's finding (drill_note_finding).
 */
void backup_pages_check(drill *d, json_t *info, const char *label, int repo);

/*
 * The files of a backup manifest's [target:file] section that pgBackRest
 * flagged ("checksum-page": false, F45), as a JSON array of {file, pages}:
 * file relative to the data directory ("base/5/16401"), pages pgBackRest's
 * list (block numbers of the relation, each a number or a [first, last]
 * range) or null when pgBackRest listed none (a file whose size is no
 * whole number of pages). False with *errmsg (caller frees) when the text
 * is not a whole manifest.
 */
bool backup_pages_parse_manifest(const char *text, json_t **files, char **errmsg);

/* "page 2", "pages 2, 5-7", or "no page list (...)" for a file's pages (caller frees). */
char *backup_pages_describe(json_t *pages);

#endif
