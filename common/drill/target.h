/*
 * target.h - which instant a drill restores to, whether the repository can
 * reach it, and whether the restored copy holds exactly what was committed
 * up to it.
 *
 * recovery.target names the instant: latest (just after the marker this drill
 * writes now), oldest (just after the oldest retained marker the repository
 * can still reach), random (an instant drawn uniformly between that marker
 * and now) or an RFC 3339 instant. Everything here is pure: the facts come
 * from `pgbackrest info` (the backup sets' stop times, docs/design.md F75, F76),
 * the marker table on the source and the copy (F77), and the clock; the
 * judges return a decision and, for a refusal or a failure, a message that
 * names what was reachable or which marker was wrong.
 *
 * Instants are microseconds since the Unix epoch, UTC (PostgreSQL's
 * resolution, exact in an int64_t).
 */
#ifndef PGDRILL_TARGET_H
#define PGDRILL_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bound nobody knows (a row's commit without an upper bound). */
#define PGD_TARGET_UNKNOWN INT64_MAX

typedef enum pgd_target_kind {
    PGD_TARGET_LATEST, /* just after the marker this drill writes: today's drill */
    PGD_TARGET_OLDEST, /* just after the oldest marker the repository can reach */
    PGD_TARGET_RANDOM, /* uniform between that marker and now */
    PGD_TARGET_TIME,   /* exactly the instant given */
} pgd_target_kind;

typedef struct pgd_target {
    pgd_target_kind kind;
    int64_t time_us; /* PGD_TARGET_TIME only */
} pgd_target;

/*
 * recovery.target's value: latest, oldest, random or an RFC 3339 instant
 * with Z or an offset ("2026-11-30T14:02:00Z", "2026-11-30 15:02:00+01:00";
 * at most microseconds). False with *why, a static string.
 */
bool pgd_target_parse(const char *text, pgd_target *out, const char **why);

/* "latest", "oldest", "random" or "time": the report's target.kind. */
const char *pgd_target_kind_name(pgd_target_kind kind);

/* ---- the window the repository reaches ------------------------------------------------------ */

/* One backup set from `pgbackrest info --output=json`, as pgBackRest lists them: oldest first. */
typedef struct pgd_target_backup {
    const char *label;
    int64_t stop_s; /* timestamp.stop: whole seconds (F75) */
} pgd_target_backup;

/* An interval the repository cannot replay through ([from_us, to_us)), e.g. a known WAL gap. */
typedef struct pgd_target_hole {
    int64_t from_us;
    int64_t to_us;
    const char *what; /* for the message */
} pgd_target_hole;

typedef struct pgd_window_facts {
    const pgd_target_backup *backups; /* oldest first */
    size_t n_backups;
    const pgd_target_hole *holes;
    size_t n_holes;
    /*
     * The newest instant replay can reach and stop before: the commit of the
     * marker this drill (or its scheduler) wrote, whose fence is archived (F2).
     */
    int64_t upper_us;
    int64_t now_us;
    const char *newest_wal; /* info's archive max, named in messages; may be NULL */
    const char *set;        /* pgbackrest.set: latest, oldest or a label */
} pgd_window_facts;

typedef struct pgd_window_choice {
    bool reachable;
    const char *set;  /* the backup set to restore (a label of facts->backups) */
    int64_t lower_us; /* the reachable window: the oldest usable backup's end, ... */
    int64_t upper_us; /* ... to the upper marker */
    char *why;        /* !reachable: what is wrong and which window is reachable (caller frees) */
} pgd_window_choice;

/*
 * Can the repository restore to target_us, and from which set? The newest
 * set that ended strictly before the target in whole seconds (pgBackRest's
 * own rule, F8, which also keeps the target after the set's consistency
 * point, F76), or pgbackrest.set when it names one (oldest: the oldest set),
 * refused if that set did not end before the target. Refused too: a target
 * before the oldest set's end, in the future, at or after the upper marker,
 * or in a hole.
 */
void pgd_target_window(const pgd_window_facts *facts, int64_t target_us, pgd_window_choice *choice);

/*
 * The earliest instant a restore can stop at: the end of the oldest set (or of the one
 * pgbackrest.set names) plus a second (F8, F76).
 */
int64_t pgd_target_window_lower(const pgd_window_facts *facts);

/* "from <lower> (a second after backup set L ended) to <upper> (...)" (caller frees). */
char *pgd_target_describe_window(const pgd_window_facts *facts);

/* ---- the markers ---------------------------------------------------------------------------- */

/* One row of the marker table, on the source, in the copy or both (F77). */
typedef struct pgd_marker_row {
    const char *test_id;
    bool fence;              /* kind: fence, else marker */
    int64_t created_us;      /* created_at: inside the INSERT, so at or before the commit */
    int64_t commit_after_us; /* the commit is at or after this ... */
    int64_t commit_by_us;    /* ... and at or before this (PGD_TARGET_UNKNOWN: no bound) */
    bool on_source;          /* still on the source (rows older than 30 days are pruned) */
    bool in_copy;            /* present in the restored copy */
} pgd_marker_row;

/*
 * Fill commit_after_us and commit_by_us from what the table tells: a row
 * commits at or after its created_at; a marker commits before its own fence
 * was created (the drill reads the target after the marker's COMMIT and
 * inserts the fence after that, F1, F2); any other row within slack_us of
 * its created_at (the longest the writer's INSERT may take, F77).
 */
void pgd_marker_bound_commits(pgd_marker_row *rows, size_t n, int64_t slack_us);

/*
 * recovery.target: oldest. The oldest marker at or after lower_us whose fence
 * is in rows: the target is the instant just before its fence was created
 * (after the marker's commit, before the fence's: F1, F2). False when no
 * marker is reachable. *marker gets the row's index.
 */
bool pgd_target_oldest(const pgd_marker_row *rows, size_t n, int64_t lower_us, int64_t upper_us,
                       int64_t *target_us, size_t *marker);

/* 64 random bits; the drill passes pgd_target_system_random, tests their own. */
typedef uint64_t (*pgd_random_fn)(void *arg);

/* getrandom(2); never fails for a small request once the pool is ready. */
uint64_t pgd_target_system_random(void *arg);

/*
 * recovery.target: random. An instant drawn uniformly from [from_us, to_us)
 * (the oldest reachable marker's target, the upper marker): daily drills
 * then cover the window over time. from_us must be below to_us.
 */
int64_t pgd_target_random(int64_t from_us, int64_t to_us, pgd_random_fn draw, void *arg);

/*
 * Before any restore: can a copy restored to target_us be proven at all,
 * from the source's rows alone? True when one row is proven committed at or
 * before it and one after it; else false with *why naming the missing side
 * (caller frees), so that no restore is spent on a drill nothing can judge.
 */
bool pgd_target_provable(const pgd_marker_row *rows, size_t n, int64_t target_us, char **why);

typedef enum pgd_bracket_result {
    PGD_BRACKET_PASS,         /* every decided row on its side, at least one on each */
    PGD_BRACKET_MISMATCH,     /* a row committed before the target is missing, or one after it
                                 is present: target_mismatch (failed) */
    PGD_BRACKET_INCONCLUSIVE, /* no row proven on the lower (or the upper) side */
} pgd_bracket_result;

typedef struct pgd_bracket {
    pgd_bracket_result result;
    size_t lower;     /* the newest row proven committed at or before the target, or n */
    size_t upper;     /* the oldest row proven committed after it, or n */
    size_t offending; /* MISMATCH: the first row on the wrong side, or n */
    size_t undecided; /* rows whose commit may lie on either side: not judged */
    char *why;        /* MISMATCH and INCONCLUSIVE: the message (caller frees) */
} pgd_bracket;

/*
 * The proof of a past target: every row committed at or before target_us
 * (recovery_target_inclusive, F77) is in the copy, every row committed after
 * it is not, and there is one on each side. A row whose bounds straddle the
 * target is not judged; a row no longer on the source that is in the copy
 * is judged by its bounds as well.
 */
void pgd_target_bracket(const pgd_marker_row *rows, size_t n, int64_t target_us, pgd_bracket *out);

#endif
