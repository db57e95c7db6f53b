/*
 * plan.c - the deployer's judge (plan.h).
 */
#include "plan.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MINUTES_PER_DAY 1440
#define SECONDS_PER_DAY 86400.0

static const char *const reason_names[] = {
    [FLEET_REASON_NEVER_PROVEN] = "never proven",
    [FLEET_REASON_OVERDUE] = "overdue",
    [FLEET_REASON_RETRY] = "retry after failure",
    [FLEET_REASON_IN_PROGRESS] = "in progress",
    [FLEET_REASON_PROVEN] = "proven",
    [FLEET_REASON_OUTSIDE_WINDOW] = "outside window",
    [FLEET_REASON_DISABLED] = "disabled",
    [FLEET_REASON_CAP_FULL] = "cap full",
    [FLEET_REASON_NO_LEADER] = "no leader",
};

const char *fleet_reason_name(fleet_reason reason)
{
    if ((size_t)reason >= sizeof(reason_names) / sizeof(reason_names[0]))
        return "?";
    return reason_names[reason];
}

/* "HH:MM" at text into minutes after midnight; the number of characters read, or 0. */
static size_t parse_clock(const char *text, int *minutes, bool allow_24)
{
    int hours;
    int mins;

    if (!isdigit((unsigned char)text[0]) || !isdigit((unsigned char)text[1]) || text[2] != ':' ||
        !isdigit((unsigned char)text[3]) || !isdigit((unsigned char)text[4]))
        return 0;
    hours = (text[0] - '0') * 10 + (text[1] - '0');
    mins = (text[3] - '0') * 10 + (text[4] - '0');
    if (mins > 59 || hours > 24 || (hours == 24 && (mins != 0 || !allow_24)))
        return 0;
    *minutes = hours * 60 + mins;
    return 5;
}

bool fleet_window_parse(const char *text, fleet_window *window, const char **why)
{
    size_t used;

    memset(window, 0, sizeof(*window));
    if (text == NULL || text[0] == '\0')
        return true;
    *why = "expected HH:MM-HH:MM (UTC), such as 01:00-05:00 or 22:00-02:00";
    used = parse_clock(text, &window->start, false);
    if (used == 0 || text[used] != '-')
        return false;
    text += used + 1;
    used = parse_clock(text, &window->end, true);
    if (used == 0 || text[used] != '\0')
        return false;
    if (window->start == window->end % MINUTES_PER_DAY) {
        *why = "the window is empty (start equals end); leave window out to allow any time";
        return false;
    }
    window->set = true;
    return true;
}

/* Minutes after midnight UTC of t, with the fraction. */
static double minute_of_day(double t)
{
    double day_start = floor(t / SECONDS_PER_DAY) * SECONDS_PER_DAY;

    return (t - day_start) / 60.0;
}

bool fleet_window_open(const fleet_window *window, double t)
{
    double m;

    if (!window->set)
        return true;
    m = minute_of_day(t);
    if (window->start < window->end)
        return m >= window->start && m < window->end;
    return m >= window->start || m < window->end; /* across midnight */
}

double fleet_window_next_open(const fleet_window *window, double t)
{
    double day_start;
    double opening;

    if (isnan(t) || fleet_window_open(window, t))
        return t;
    day_start = floor(t / SECONDS_PER_DAY) * SECONDS_PER_DAY;
    opening = day_start + window->start * 60.0;
    return opening > t ? opening : opening + SECONDS_PER_DAY;
}

static fleet_judgement judgement(bool due, fleet_reason reason, double next_due_at)
{
    fleet_judgement j;

    memset(&j, 0, sizeof(j));
    j.due = due;
    j.launch = due;
    j.reason = reason;
    j.next_due_at = next_due_at;
    return j;
}

const char *fleet_kind_target(const fleet_policy_values *policy, fleet_kind kind)
{
    if (kind == FLEET_KIND_LATEST)
        return "latest";
    /* a past drill in progress whose policy has no past target any more (configuration changed) */
    return policy->past_target != NULL ? policy->past_target : "past";
}

/* The facts of one kind: its last drill that ended and its last proof. */
typedef struct kind_facts {
    fleet_verdict verdict;
    double finished_at;
    double passed_at;
    long every;
} kind_facts;

static kind_facts facts_of(const fleet_policy_values *policy, const fleet_facts *facts,
                           fleet_kind kind)
{
    kind_facts k;

    if (kind == FLEET_KIND_PAST) {
        k.verdict = facts->past_verdict;
        k.finished_at = facts->past_finished_at;
        k.passed_at = facts->past_passed_at;
        k.every = policy->past_every;
    } else {
        k.verdict = facts->last_verdict;
        k.finished_at = facts->last_finished_at;
        k.passed_at = facts->last_passed_at;
        k.every = policy->every;
    }
    return k;
}

/*
 * When a kind becomes due and why, from its last drills alone. A failed or inconclusive
 * drill waits retry_after, whatever the age of the last proof: that is what keeps a broken
 * backup from being drilled in a loop.
 */
static double due_time(const kind_facts *k, long retry_after, double now, fleet_reason *reason)
{
    bool never_passed = isnan(k->passed_at);

    if ((k->verdict == FLEET_VERDICT_FAILED || k->verdict == FLEET_VERDICT_INCONCLUSIVE) &&
        !isnan(k->finished_at)) {
        double retry_at = k->finished_at + (double)retry_after;

        *reason = never_passed && now >= retry_at ? FLEET_REASON_NEVER_PROVEN : FLEET_REASON_RETRY;
        return retry_at;
    }
    if (never_passed) {
        *reason = FLEET_REASON_NEVER_PROVEN;
        return now;
    }
    *reason = now >= k->passed_at + (double)k->every ? FLEET_REASON_OVERDUE : FLEET_REASON_PROVEN;
    return k->passed_at + (double)k->every;
}

/*
 * The kind to judge the scope by: the latest kind when it is due (freshness first), else the
 * past kind when it is due, else the one due sooner (the latest kind on a tie).
 */
static fleet_kind choose_kind(const fleet_policy_values *policy, const fleet_facts *facts,
                              double now, double *due_at, fleet_reason *reason)
{
    kind_facts latest = facts_of(policy, facts, FLEET_KIND_LATEST);
    kind_facts past;
    fleet_reason past_reason;
    double past_at;

    *due_at = due_time(&latest, policy->retry_after, now, reason);
    if (policy->past_target == NULL || now >= *due_at)
        return FLEET_KIND_LATEST;
    past = facts_of(policy, facts, FLEET_KIND_PAST);
    past_at = due_time(&past, policy->retry_after, now, &past_reason);
    if (past_at >= *due_at)
        return FLEET_KIND_LATEST;
    *due_at = past_at;
    *reason = past_reason;
    return FLEET_KIND_PAST;
}

fleet_judgement fleet_judge(const fleet_policy_values *policy, const fleet_facts *facts,
                            bool has_source, long launch_timeout, double now)
{
    fleet_facts f = *facts;
    bool never_started = false;
    fleet_reason reason;
    fleet_judgement j;
    fleet_kind kind;
    double due_at;

    if (!policy->enabled)
        return judgement(false, FLEET_REASON_DISABLED, NAN);
    /*
     * A launch that never reported ends now (the pass writes never_started): a failed drill
     * of its kind.
     */
    if (f.in_progress && f.launch_pending && launch_timeout > 0 &&
        now - f.in_progress_since >= (double)launch_timeout) {
        never_started = true;
        f.in_progress = false;
        if (f.in_progress_kind == FLEET_KIND_PAST) {
            f.past_verdict = FLEET_VERDICT_INCONCLUSIVE;
            f.past_finished_at = now;
        } else {
            f.last_verdict = FLEET_VERDICT_INCONCLUSIVE;
            f.last_finished_at = now;
        }
    }
    if (f.in_progress) {
        j = judgement(false, FLEET_REASON_IN_PROGRESS, NAN);
        j.kind = f.in_progress_kind;
        return j;
    }
    kind = choose_kind(policy, &f, now, &due_at, &reason);
    if (now < due_at)
        j = judgement(false, reason, fleet_window_next_open(&policy->window, due_at));
    else if (!fleet_window_open(&policy->window, now))
        j = judgement(false, FLEET_REASON_OUTSIDE_WINDOW,
                      fleet_window_next_open(&policy->window, now));
    else {
        j = judgement(true, reason, due_at);
        if (!has_source) {
            j.launch = false;
            j.reason = FLEET_REASON_NO_LEADER;
        }
    }
    j.kind = kind;
    j.never_started = never_started;
    return j;
}

/* The last proof of the kind a candidate is judged by. */
static double passed_at(const fleet_candidate *c)
{
    return c->judgement->kind == FLEET_KIND_PAST ? c->facts->past_passed_at
                                                 : c->facts->last_passed_at;
}

/*
 * Latest drills before past ones, never proven first, then the oldest proof, then by name: a
 * total order, so plans repeat.
 */
static int candidate_order(const void *a, const void *b)
{
    const fleet_candidate *x = a;
    const fleet_candidate *y = b;
    double px = passed_at(x);
    double py = passed_at(y);

    if (x->judgement->launch != y->judgement->launch)
        return x->judgement->launch ? -1 : 1;
    if (x->judgement->kind != y->judgement->kind)
        return x->judgement->kind == FLEET_KIND_LATEST ? -1 : 1;
    if (isnan(px) != isnan(py))
        return isnan(px) ? -1 : 1;
    if (!isnan(px) && px != py)
        return px < py ? -1 : 1;
    return strcmp(x->scope, y->scope);
}

size_t fleet_apply_cap(fleet_candidate *candidates, size_t count, long in_progress,
                       long max_concurrent)
{
    size_t room = SIZE_MAX;
    size_t launched = 0;

    if (max_concurrent > 0)
        room = in_progress >= max_concurrent ? 0 : (size_t)(max_concurrent - in_progress);
    if (count > 1)
        qsort(candidates, count, sizeof(*candidates), candidate_order);
    for (size_t i = 0; i < count; i++) {
        fleet_judgement *j = candidates[i].judgement;

        if (!j->launch)
            continue;
        if (launched < room)
            launched++;
        else {
            j->launch = false;
            j->reason = FLEET_REASON_CAP_FULL;
        }
    }
    return launched;
}
