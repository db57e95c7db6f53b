/*
 * plan.h - the deployer's judge: who is due, and why.
 *
 * Pure: it is given the facts (a scope's policy, what the status history says of it, the
 * history server's clock, the fleet's drills in progress and cap) and returns a judgement;
 * it reads nothing and writes nothing, so plan, run and the unit tests judge alike. The
 * facts are gathered by ledger.c (history) and the inventory; pass.c acts on the result.
 *
 * Times are Unix seconds on the history server's clock (one clock for the fleet); NAN means
 * "none" (never passed, no drill ended, not due at any known time).
 */
#ifndef PGDRILL_FLEET_PLAN_H
#define PGDRILL_FLEET_PLAN_H

#include <stdbool.h>
#include <stddef.h>

/* A daily window in UTC in which drills may start: [start, end) minutes after midnight. */
typedef struct fleet_window {
    bool set; /* false: drills may start at any time */
    int start;
    int end; /* start < end, or end < start for a window across midnight; 1440 is midnight */
} fleet_window;

/*
 * "HH:MM-HH:MM" (UTC; 24:00 allowed as an end) into *window; false with a static *why. An
 * empty text is no window.
 */
bool fleet_window_parse(const char *text, fleet_window *window, const char **why);

/* Is t inside the window (always, without one)? */
bool fleet_window_open(const fleet_window *window, double t);

/* The first moment at or after t inside the window: t itself when it is open. */
double fleet_window_next_open(const fleet_window *window, double t);

/*
 * The two kinds of drill the judge schedules: "latest" (recovery target latest: the backup is
 * restorable now, the freshness promise) and "past" (the policy's past.target, oldest or
 * random: point-in-time recovery to an instant in the window). Each kind has its own proof
 * and its own retry; a scope runs one drill at a time, of either kind.
 */
typedef enum fleet_kind {
    FLEET_KIND_LATEST,
    FLEET_KIND_PAST,
} fleet_kind;

/* What the policy of a scope says (config: the first scopes[] entry that matches, else the top
 * level). */
typedef struct fleet_policy_values {
    bool enabled;
    long every;       /* seconds between latest proofs */
    long retry_after; /* seconds after a failed or inconclusive drill (per kind) before the next */
    fleet_window window;
    const char *past_target; /* "oldest" or "random" (borrowed); NULL: no past drills */
    long past_every;         /* seconds between past proofs */
} fleet_policy_values;

typedef enum fleet_verdict {
    FLEET_VERDICT_NONE, /* no drill of the scope has ended */
    FLEET_VERDICT_PASSED,
    FLEET_VERDICT_FAILED,
    FLEET_VERDICT_INCONCLUSIVE,
} fleet_verdict;

/*
 * What the status history says about one scope. The last_* facts are of its latest drills
 * (rows without a target kind, from versions before past targets, count as latest), the
 * past_* facts of its drills to a past target (any kind but latest).
 */
typedef struct fleet_facts {
    fleet_verdict last_verdict; /* of the last latest drill that ended */
    double last_finished_at;    /* when it ended; NAN: none */
    double last_passed_at;      /* when the last passing latest drill ended; NAN: never */
    fleet_verdict past_verdict; /* the same of the drills to a past target */
    double past_finished_at;
    double past_passed_at;
    bool in_progress;         /* a drill not ended, scheduled or started within stale_after */
    bool launch_pending;      /* ... that has only its "scheduled" row so far */
    double in_progress_since; /* when it was scheduled (or started) */
    fleet_kind in_progress_kind;
} fleet_facts;

typedef enum fleet_reason {
    FLEET_REASON_NEVER_PROVEN,
    FLEET_REASON_OVERDUE,
    FLEET_REASON_RETRY,
    FLEET_REASON_IN_PROGRESS,
    FLEET_REASON_PROVEN,
    FLEET_REASON_OUTSIDE_WINDOW,
    FLEET_REASON_DISABLED,
    FLEET_REASON_CAP_FULL,
    FLEET_REASON_NO_LEADER,
} fleet_reason;

/*
 * The recovery target a drill of kind is launched with: "latest", or the policy's past target
 * ("past" for a past drill in progress whose policy has none any more; never launched).
 */
const char *fleet_kind_target(const fleet_policy_values *policy, fleet_kind kind);

/* "never proven", "overdue", "retry after failure", ... as plan prints it. */
const char *fleet_reason_name(fleet_reason reason);

typedef struct fleet_judgement {
    bool due;        /* needs a drill and may start now (its window is open) */
    bool launch;     /* this pass starts it (after fleet_apply_cap) */
    fleet_kind kind; /* of the drill due (or due next, or in progress); reason is its */
    fleet_reason reason;
    double next_due_at; /* when it became or becomes due (in its window); NAN: not known */
    bool never_started; /* its launch is past launch_timeout: this pass ends it never_started */
} fleet_judgement;

/*
 * Judge one scope at now (the history server's clock). has_source: the inventory knows the
 * scope's primary (a leader). launch_timeout: how long a launch may stay "scheduled"
 * before it counts as never started (it then ended now, inconclusive, for its kind).
 * Each kind is judged from its own facts (the latest kind with every, the past kind with
 * past_every, both with retry_after); when both are due the latest drill goes first
 * (freshness is the primary promise) and the past one waits for a later pass.
 */
fleet_judgement fleet_judge(const fleet_policy_values *policy, const fleet_facts *facts,
                            bool has_source, long launch_timeout, double now);

/* A due scope competing for the fleet's cap. */
typedef struct fleet_candidate {
    const char *scope;
    const fleet_facts *facts;
    fleet_judgement *judgement;
} fleet_candidate;

/*
 * The fleet-wide cap: among the candidates whose judgement says launch, latest drills before
 * past ones, never proven first, then the oldest proof of the kind (then by name), as many as
 * max_concurrent - in_progress leave room for (max_concurrent 0: no cap) keep launch; the others
 * become "cap full". Sorts candidates; returns how many launch.
 */
size_t fleet_apply_cap(fleet_candidate *candidates, size_t count, long in_progress,
                       long max_concurrent);

#endif
