/*
 * target_choice.c - the instant a drill restores to (recovery.target).
 *
 * latest is today's drill: just after the marker written now. A past
 * target (oldest, random, an instant) is judged before any restore, from
 * what `pgbackrest info` says of the backup sets (docs/design.md, F75, F76)
 * and from the marker rows on the source (F77): the repository must reach
 * it, and a copy restored there must be provable by a retained marker on
 * each side. The drill's own marker, written first, is the upper edge of
 * every past window (F79).
 */
#include "target_choice.h"

#include "clock.h"
#include "log.h"
#include "marker.h"
#include "pgbackrest.h"
#include "target_rows.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* The instant of this drill's marker: what latest restores to, the upper edge of the window. */
static bool upper_marker(drill *d, int64_t *upper_us)
{
    const char *why = NULL;

    if (d->target_time != NULL && pgd_parse_timestamp_us(d->target_time, upper_us, &why))
        return true;
    return drill_fail(d, PGD_ERR_INTERNAL, "the marker's target time \"%s\" is not an instant: %s",
                      d->target_time ? d->target_time : "(none)", why ? why : "missing");
}

static json_t *instant_json(int64_t us)
{
    char text[40];

    if (us == PGD_TARGET_UNKNOWN)
        return json_null();
    return json_string(pgd_format_us(us, PGD_US_REPORT, text, sizeof(text)));
}

/* The report's target object: kind, what was asked, the window the repository reaches. */
static json_t *record_target(drill *d, const pgd_window_facts *f)
{
    json_t *target = json_object();

    json_object_set_new(target, "kind", json_string(pgd_target_kind_name(d->target.kind)));
    json_object_set_new(target, "requested", json_string(d->cfg->recovery.target));
    json_object_set_new(target, "time", json_null());
    json_object_set_new(target, "set", json_null());
    json_object_set_new(
        target, "window",
        json_pack("{s:o,s:o,s:o,s:o}", "lower", instant_json(pgd_target_window_lower(f)), "upper",
                  instant_json(f->upper_us), "oldest_backup_end",
                  f->n_backups > 0 ? instant_json(f->backups[0].stop_s * 1000000LL) : json_null(),
                  "newest_wal", f->newest_wal ? json_string(f->newest_wal) : json_null()));
    json_object_set(d->report->root, "target", target);
    return target;
}

/* The test id's own marker row, whose creation bounds a random draw from above. */
static int64_t own_marker_created(const drill *d, const pgd_marker_row *rows, size_t n,
                                  int64_t upper_us)
{
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].fence && strcmp(rows[i].test_id, d->test_id) == 0)
            return rows[i].created_us < upper_us ? rows[i].created_us : upper_us;
    }
    return upper_us;
}

/* The instant for oldest and random (from the rows), or the one given; false: recorded. */
static bool pick_instant(drill *d, const pgd_window_facts *f, const pgd_marker_row *rows, size_t n,
                         int64_t *target_us)
{
    int64_t oldest;
    size_t marker;

    if (d->target.kind == PGD_TARGET_TIME) {
        *target_us = d->target.time_us;
        return true;
    }
    if (!pgd_target_oldest(rows, n, pgd_target_window_lower(f), f->upper_us, &oldest, &marker)) {
        char *window = pgd_target_describe_window(f);

        drill_fail(d, PGD_ERR_TARGET_UNREACHABLE,
                   "recovery.target %s: no retained marker with its fence was written after the "
                   "end of the backup set a restore would start from; the repository reaches %s, "
                   "and the marker table holds %zu rows: run latest drills first (each leaves a "
                   "marker)",
                   d->cfg->recovery.target, window, n);
        free(window);
        return false;
    }
    if (d->target.kind == PGD_TARGET_OLDEST) {
        pgd_info("recovery.target oldest: just after the marker of test %s", rows[marker].test_id);
        *target_us = oldest;
    } else
        *target_us = pgd_target_random(oldest, own_marker_created(d, rows, n, f->upper_us),
                                       pgd_target_system_random, NULL);
    return true;
}

/*
 * How long after its created_at a row may commit: as long as a drill's INSERT
 * may take on the source, where the statement timeout enforces it (inject.c).
 * verify judges with the same value, from the report.
 */
static int64_t commit_slack_us(const drill *d)
{
    return pgd_marker_statement_timeout_ms(d->cfg->source.connect_timeout) * 1000;
}

/* A past target: the instant, reachable and provable, and the set to restore it from. */
static bool choose_past(drill *d, const pgd_window_facts *f, json_t *target, const char **set)
{
    pgd_marker_row *rows = NULL;
    size_t n = 0;
    char *why = NULL;
    int64_t target_us = 0;
    pgd_window_choice choice;
    char text[40];
    bool ok = false;

    if (!pgd_target_rows_merge(d->source_rows, NULL, &rows, &n, &why)) {
        drill_fail(d, PGD_ERR_INTERNAL, "the source's marker rows: %s", why);
        goto out;
    }
    pgd_marker_bound_commits(rows, n, commit_slack_us(d));
    json_object_set_new(target, "commit_slack_seconds",
                        json_integer((json_int_t)(commit_slack_us(d) / 1000000)));
    if (!pick_instant(d, f, rows, n, &target_us))
        goto out;
    pgd_target_window(f, target_us, &choice);
    if (!choice.reachable) {
        drill_fail(d, PGD_ERR_TARGET_UNREACHABLE, "recovery.target %s: %s", d->cfg->recovery.target,
                   choice.why);
        free(choice.why);
        goto out;
    }
    if (!pgd_target_provable(rows, n, target_us, &why)) {
        char *window = pgd_target_describe_window(f);

        drill_fail(d, PGD_ERR_TARGET_UNREACHABLE,
                   "recovery.target %s: %s; the repository reaches %s, and a target needs a "
                   "retained marker on each side",
                   d->cfg->recovery.target, why, window);
        free(window);
        goto out;
    }
    free(d->target_time);
    d->target_time = pgd_strdup(pgd_format_us(target_us, PGD_US_TARGET, text, sizeof(text)));
    *set = choice.set;
    json_object_set_new(target, "set", json_string(choice.set));
    json_object_set_new(target, "source_rows", json_incref(d->source_rows));
    pgd_info("recovery target %s (recovery.target %s), from backup set %s", d->target_time,
             d->cfg->recovery.target, choice.set);
    ok = true;
out:
    free(why);
    free(rows);
    return ok;
}

bool choose_target(drill *d, json_t *info, const char **set)
{
    pgd_target_backup *backups = NULL;
    pgd_window_facts f = {.set = d->cfg->pgbackrest.set};
    int64_t upper_us = 0;
    int64_t target_us;
    json_t *target;
    const char *why = NULL;
    bool ok;

    *set = NULL;
    if (!upper_marker(d, &upper_us))
        return false;
    f.n_backups = pgbackrest_info_window(info, &backups, &f.newest_wal);
    f.backups = backups;
    f.upper_us = upper_us;
    /*
     * The window ends at the marker, on the source's clock; this host's clock
     * only names a target later than both "in the future".
     */
    f.now_us = (int64_t)(pgd_wall_seconds() * 1e6);
    if (f.now_us < upper_us)
        f.now_us = upper_us;
    target = record_target(d, &f);
    ok = d->target.kind == PGD_TARGET_LATEST || choose_past(d, &f, target, set);
    if (ok && pgd_parse_timestamp_us(d->target_time, &target_us, &why)) {
        json_object_set_new(target, "time", instant_json(target_us));
        pgd_report_set_string(d->report, "target_time", d->target_time);
    }
    json_decref(target);
    free(backups);
    drill_save(d);
    return ok;
}
