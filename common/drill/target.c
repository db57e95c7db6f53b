/*
 * target.c - the recovery target of a drill and the proof that the copy
 * stopped there.
 */
#include "target.h"

#include "clock.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define US_PER_S 1000000LL

bool pgd_target_parse(const char *text, pgd_target *out, const char **why)
{
    static const struct {
        const char *name;
        pgd_target_kind kind;
    } words[] = {
        {"latest", PGD_TARGET_LATEST},
        {"oldest", PGD_TARGET_OLDEST},
        {"random", PGD_TARGET_RANDOM},
    };
    const char *reason = NULL;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(text, words[i].name) == 0) {
            out->kind = words[i].kind;
            return true;
        }
    }
    /* Anything else must be an instant; a word gets the list of words. */
    if (text[0] < '0' || text[0] > '9') {
        *why = "expected latest, oldest, random or an RFC 3339 instant such as "
               "2026-11-30T14:02:00Z";
        return false;
    }
    if (!pgd_parse_timestamp_us(text, &out->time_us, &reason)) {
        *why = reason;
        return false;
    }
    out->kind = PGD_TARGET_TIME;
    return true;
}

const char *pgd_target_kind_name(pgd_target_kind kind)
{
    switch (kind) {
    case PGD_TARGET_LATEST:
        return "latest";
    case PGD_TARGET_OLDEST:
        return "oldest";
    case PGD_TARGET_RANDOM:
        return "random";
    case PGD_TARGET_TIME:
        return "time";
    }
    return "?";
}

/* The oldest set a restore may start from: the one pgbackrest.set names, else the oldest. */
static const pgd_target_backup *first_usable(const pgd_window_facts *facts)
{
    if (facts->n_backups == 0)
        return NULL;
    for (size_t i = 0; facts->set != NULL && i < facts->n_backups; i++) {
        if (strcmp(facts->backups[i].label, facts->set) == 0)
            return &facts->backups[i];
    }
    return &facts->backups[0];
}

int64_t pgd_target_window_lower(const pgd_window_facts *facts)
{
    const pgd_target_backup *first = first_usable(facts);

    if (first == NULL)
        return PGD_TARGET_UNKNOWN;
    /*
     * pgBackRest wants a stop time strictly before the target in whole
     * seconds (F8); the set is consistent before its recorded stop second
     * ends (F76).
     */
    return (first->stop_s + 1) * US_PER_S;
}

/* Did this set end before the target, as pgBackRest judges it (F8)? */
static bool ended_before(const pgd_target_backup *backup, int64_t target_us)
{
    return backup->stop_s < target_us / US_PER_S;
}

char *pgd_target_describe_window(const pgd_window_facts *facts)
{
    char lower[40];
    char upper[40];

    if (facts->n_backups == 0)
        return pgd_strdup("nothing: the repository holds no backup set of this stanza");
    pgd_format_us(pgd_target_window_lower(facts), PGD_US_REPORT, lower, sizeof(lower));
    pgd_format_us(facts->upper_us, PGD_US_REPORT, upper, sizeof(upper));
    return pgd_asprintf("from %s (a second after backup set %s ended) to %s (the newest "
                        "marker; newest archived WAL %s)",
                        lower, first_usable(facts)->label, upper,
                        facts->newest_wal ? facts->newest_wal : "unknown");
}

static void refuse(pgd_window_choice *choice, const pgd_window_facts *facts, const char *target,
                   const char *what, const char *detail)
{
    char *window = pgd_target_describe_window(facts);

    choice->reachable = false;
    choice->why = pgd_asprintf("the target %s %s%s; the repository reaches %s", target, what,
                               detail ? detail : "", window);
    free(window);
}

/* The set pgbackrest.set asks for, or the newest that ended before the target; NULL if none. */
static const pgd_target_backup *pick_set(const pgd_window_facts *facts, int64_t target_us,
                                         bool *named_too_late)
{
    bool latest = strcmp(facts->set, "latest") == 0;
    bool oldest = strcmp(facts->set, "oldest") == 0;
    const pgd_target_backup *found = NULL;

    *named_too_late = false;
    for (size_t i = 0; i < facts->n_backups; i++) {
        const pgd_target_backup *b = &facts->backups[i];

        if (latest ? ended_before(b, target_us)
                   : (oldest ? i == 0 : strcmp(b->label, facts->set) == 0))
            found = b;
    }
    if (!latest && found != NULL && !ended_before(found, target_us)) {
        *named_too_late = true;
        return NULL;
    }
    return found;
}

void pgd_target_window(const pgd_window_facts *facts, int64_t target_us, pgd_window_choice *choice)
{
    const pgd_target_backup *set;
    bool named_too_late;
    char target[40];
    char *detail = NULL;

    memset(choice, 0, sizeof(*choice));
    choice->lower_us = pgd_target_window_lower(facts);
    choice->upper_us = facts->upper_us;
    pgd_format_us(target_us, PGD_US_REPORT, target, sizeof(target));
    if (target_us > facts->now_us) {
        refuse(choice, facts, target, "lies in the future", NULL);
        return;
    }
    if (target_us >= facts->upper_us) {
        refuse(choice, facts, target, "is not before the newest marker", NULL);
        return;
    }
    for (size_t i = 0; i < facts->n_holes; i++) {
        const pgd_target_hole *h = &facts->holes[i];

        if (target_us >= h->from_us && target_us < h->to_us) {
            char from[40];
            char to[40];

            detail = pgd_asprintf(" (%s, from %s to %s)", h->what,
                                  pgd_format_us(h->from_us, PGD_US_REPORT, from, sizeof(from)),
                                  pgd_format_us(h->to_us, PGD_US_REPORT, to, sizeof(to)));
            refuse(choice, facts, target, "lies in a hole the repository reports", detail);
            free(detail);
            return;
        }
    }
    set = pick_set(facts, target_us, &named_too_late);
    if (named_too_late) {
        detail = pgd_asprintf(" (pgbackrest.set: %s)", facts->set);
        refuse(choice, facts, target, "is not after the end of the backup set pgbackrest.set names",
               detail);
        free(detail);
        return;
    }
    if (set == NULL && strcmp(facts->set, "latest") != 0 && strcmp(facts->set, "oldest") != 0) {
        detail = pgd_asprintf(" (pgbackrest.set: %s)", facts->set);
        refuse(choice, facts, target, "cannot be reached from a backup set the repository holds",
               detail);
        free(detail);
        return;
    }
    if (set == NULL) {
        refuse(choice, facts, target, "lies before the end of the oldest backup set", NULL);
        return;
    }
    choice->reachable = true;
    choice->set = set->label;
}

void pgd_marker_bound_commits(pgd_marker_row *rows, size_t n, int64_t slack_us)
{
    for (size_t i = 0; i < n; i++) {
        pgd_marker_row *row = &rows[i];

        row->commit_after_us = row->created_us;
        row->commit_by_us =
            slack_us == PGD_TARGET_UNKNOWN ? PGD_TARGET_UNKNOWN : row->created_us + slack_us;
        if (row->fence)
            continue;
        /* The marker's drill read its target after the COMMIT and then wrote the fence. */
        for (size_t j = 0; j < n; j++) {
            /* A fence created before its marker was not written by a drill: no bound from it. */
            if (rows[j].fence && strcmp(rows[j].test_id, row->test_id) == 0 &&
                rows[j].created_us > row->created_us && rows[j].created_us - 1 < row->commit_by_us)
                row->commit_by_us = rows[j].created_us - 1;
        }
    }
}

/* The fence of the marker at index m, or n. */
static size_t fence_of(const pgd_marker_row *rows, size_t n, size_t m)
{
    for (size_t j = 0; j < n; j++) {
        if (rows[j].fence && strcmp(rows[j].test_id, rows[m].test_id) == 0)
            return j;
    }
    return n;
}

bool pgd_target_oldest(const pgd_marker_row *rows, size_t n, int64_t lower_us, int64_t upper_us,
                       int64_t *target_us, size_t *marker)
{
    bool found = false;

    for (size_t i = 0; i < n; i++) {
        size_t f;

        if (rows[i].fence || !rows[i].on_source || rows[i].created_us < lower_us)
            continue;
        f = fence_of(rows, n, i);
        /* Without its fence nothing bounds the marker's commit: no proof to stop just after it. */
        if (f == n || rows[f].created_us - 1 >= upper_us)
            continue;
        if (!found || rows[i].created_us < rows[*marker].created_us) {
            found = true;
            *marker = i;
            *target_us = rows[f].created_us - 1;
        }
    }
    return found;
}

uint64_t pgd_target_system_random(void *arg)
{
    uint64_t bits = 0;

    (void)arg;
    while (getrandom(&bits, sizeof(bits), 0) != (ssize_t)sizeof(bits))
        ;
    return bits;
}

int64_t pgd_target_random(int64_t from_us, int64_t to_us, pgd_random_fn draw, void *arg)
{
    uint64_t span = (uint64_t)(to_us - from_us);
    uint64_t limit;
    uint64_t bits;

    if (to_us <= from_us)
        return from_us;
    /* Draws beyond the last whole multiple of span would favour the low instants. */
    limit = UINT64_MAX - UINT64_MAX % span;
    do
        bits = draw(arg);
    while (bits >= limit);
    return from_us + (int64_t)(bits % span);
}

static const char *row_kind(const pgd_marker_row *row)
{
    return row->fence ? "fence" : "marker";
}

void pgd_target_bracket(const pgd_marker_row *rows, size_t n, int64_t target_us, pgd_bracket *out)
{
    char target[40];

    memset(out, 0, sizeof(*out));
    out->lower = out->upper = out->offending = n;
    pgd_format_us(target_us, PGD_US_REPORT, target, sizeof(target));
    for (size_t i = 0; i < n; i++) {
        const pgd_marker_row *row = &rows[i];
        bool before = row->commit_by_us != PGD_TARGET_UNKNOWN && row->commit_by_us <= target_us;
        bool after = row->commit_after_us > target_us;

        if (!before && !after) {
            out->undecided++;
            continue;
        }
        if (before && (out->lower == n || row->created_us > rows[out->lower].created_us))
            out->lower = i;
        if (after && (out->upper == n || row->created_us < rows[out->upper].created_us))
            out->upper = i;
        if (out->offending == n && before != row->in_copy)
            out->offending = i;
    }
    if (out->offending < n) {
        const pgd_marker_row *row = &rows[out->offending];
        char when[40];

        pgd_format_us(row->created_us, PGD_US_REPORT, when, sizeof(when));
        out->result = PGD_BRACKET_MISMATCH;
        out->why = row->in_copy
                       ? pgd_asprintf("the %s of test %s, written at %s after the target %s, is "
                                      "in the restored copy: recovery did not stop at the target",
                                      row_kind(row), row->test_id, when, target)
                       : pgd_asprintf("the %s of test %s, written at %s and committed before the "
                                      "target %s, is missing from the restored copy",
                                      row_kind(row), row->test_id, when, target);
    } else if (out->lower == n || out->upper == n) {
        out->result = PGD_BRACKET_INCONCLUSIVE;
        out->why = pgd_asprintf("no marker committed %s the target %s%s: nothing proves where "
                                "recovery stopped",
                                out->lower == n ? "before" : "after", target,
                                out->lower == n ? " is retained" : "");
    } else
        out->result = PGD_BRACKET_PASS;
}

bool pgd_target_provable(const pgd_marker_row *rows, size_t n, int64_t target_us, char **why)
{
    pgd_marker_row *expected = pgd_malloc((n + 1) * sizeof(*expected));
    pgd_bracket b;

    /* The copy a correct restore would give: every row on its side. */
    for (size_t i = 0; i < n; i++) {
        expected[i] = rows[i];
        expected[i].in_copy =
            rows[i].commit_by_us != PGD_TARGET_UNKNOWN && rows[i].commit_by_us <= target_us;
    }
    pgd_target_bracket(expected, n, target_us, &b);
    free(expected);
    *why = b.why;
    return b.result == PGD_BRACKET_PASS;
}
