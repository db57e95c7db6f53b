/*
 * replay_failure.c - why the private instance ended before the promotion.
 */
#include "replay_failure.h"

#include "log.h"
#include "pgbackrest.h"
#include "wal.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

bool replay_listing_holds(const char *listing, const char *missing,
                          bool (*match)(const char *name, const char *segment))
{
    for (const char *line = listing; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        char *name = pgd_strndup(line, eol ? (size_t)(eol - line) : strlen(line));
        bool found = match(name, missing);

        free(name);
        if (found)
            return true;
        line = eol ? eol + 1 : NULL;
    }
    return false;
}

/*
 * Does the repository hold WAL after `missing` on its timeline? First the
 * segment's own directory, then later directories, listed with repo-ls.
 */
static bool archive_has_later_wal(drill *d, const char *missing)
{
    char *directory = pgd_wal_directory(missing);
    char *paths[2];
    bool (*matches[2])(const char *, const char *) = {pgd_wal_is_later_segment,
                                                      pgd_wal_is_later_directory};
    bool later = false;

    if (d->archive_id == NULL) {
        free(directory);
        return false;
    }
    paths[0] =
        pgd_asprintf("archive/%s/%s/%s", d->cfg->pgbackrest.stanza, d->archive_id, directory);
    paths[1] = pgd_asprintf("archive/%s/%s", d->cfg->pgbackrest.stanza, d->archive_id);
    for (int i = 0; i < 2 && !later; i++) {
        char *listing = NULL;
        char *errmsg = NULL;

        if (pgbackrest_repo_ls(d, paths[i], &listing, &errmsg))
            later = replay_listing_holds(listing, missing, matches[i]);
        else {
            pgd_warn("could not list %s in the repository (%s); assuming no later WAL", paths[i],
                     errmsg);
            free(errmsg);
        }
        free(listing);
    }
    free(paths[0]);
    free(paths[1]);
    free(directory);
    return later;
}

/*
 * Replay ran out of WAL: because the repository does not answer? The last
 * probe's error while the probes were failing, else a probe now's; NULL
 * when it answers (caller frees).
 */
static char *repository_down(recovery_run *run)
{
    if (run->watching && repo_clock_failing(&run->repo.clock))
        return pgd_strdup(run->repo.clock.last_error);
    return repo_probe(run->d, run->d->backup_repo);
}

void replay_failure_record(recovery_run *run, const pgd_proc_result *r)
{
    drill *d = run->d;
    char *missing = recovery_missing_segment(&run->log, run->before.wal_segment_size);
    bool later = false;
    char *how = pgd_proc_describe(r);
    char *down = run->log.target_not_reached ? repository_down(run) : NULL;
    recovery_failure f;

    if (down != NULL) {
        drill_fail(d, PGD_ERR_REPOSITORY_UNREACHABLE,
                   "replay stopped%s%s before the target %s because WAL could not be fetched: the "
                   "repository does not answer: %s",
                   run->log.last_restored_segment ? " after " : "",
                   run->log.last_restored_segment ? run->log.last_restored_segment : "",
                   d->target_time, down);
        free(down);
        free(how);
        free(missing);
        return;
    }
    if (run->log.target_not_reached && missing != NULL) {
        /* The fence's segment was archived before the restore: anything up to it must be there. */
        later = d->archived_segment != NULL && pgd_wal_not_after(missing, d->archived_segment);
        if (!later)
            later = archive_has_later_wal(d, missing);
    }
    f = recovery_classify(&run->log, missing, later, d->target_time, how);
    drill_fail(d, f.error_class, "%s", f.message);
    free(f.message);
    free(how);
    free(missing);
}
