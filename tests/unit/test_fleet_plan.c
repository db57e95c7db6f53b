/*
 * test_fleet_plan.c - the deployer's judge (fleet/plan.c): every reason, the windows, the
 * cap's order, and the rules that must hold for every combination of facts.
 */
#include "plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#define HOUR 3600.0
#define DAY  86400.0
/* 2026-12-02 00:00:00 UTC, a Wednesday */
#define MIDNIGHT 1796169600.0

static fleet_policy_values policy(void)
{
    fleet_policy_values p;

    memset(&p, 0, sizeof(p));
    p.enabled = true;
    p.every = (long)DAY;
    p.retry_after = (long)HOUR;
    return p;
}

static fleet_facts no_drill(void)
{
    fleet_facts f;

    memset(&f, 0, sizeof(f));
    f.last_verdict = FLEET_VERDICT_NONE;
    f.last_finished_at = NAN;
    f.last_passed_at = NAN;
    f.past_verdict = FLEET_VERDICT_NONE;
    f.past_finished_at = NAN;
    f.past_passed_at = NAN;
    f.in_progress_since = NAN;
    return f;
}

static fleet_facts ended(fleet_verdict verdict, double finished, double passed)
{
    fleet_facts f = no_drill();

    f.last_verdict = verdict;
    f.last_finished_at = finished;
    f.last_passed_at = passed;
    return f;
}

/* A policy with a weekly drill to a random past instant beside the daily latest one. */
static fleet_policy_values mixed(void)
{
    fleet_policy_values p = policy();

    p.past_target = "random";
    p.past_every = (long)(7 * DAY);
    return p;
}

/* Facts of both kinds: the latest drills' and the past ones' last end and last proof. */
static fleet_facts both(fleet_verdict latest, double latest_finished, double latest_passed,
                        fleet_verdict past, double past_finished, double past_passed)
{
    fleet_facts f = ended(latest, latest_finished, latest_passed);

    f.past_verdict = past;
    f.past_finished_at = past_finished;
    f.past_passed_at = past_passed;
    return f;
}

static void assert_kind(fleet_judgement j, fleet_kind kind)
{
    assert_int_equal(j.kind, kind);
}

static void assert_judged(fleet_judgement j, bool due, fleet_reason reason, double next)
{
    assert_int_equal(j.due, due);
    assert_string_equal(fleet_reason_name(j.reason), fleet_reason_name(reason));
    if (isnan(next))
        assert_true(isnan(j.next_due_at));
    else
        assert_true(fabs(j.next_due_at - next) < 0.001);
}

static void test_reason_names(void **state)
{
    (void)state;
    assert_string_equal(fleet_reason_name(FLEET_REASON_NEVER_PROVEN), "never proven");
    assert_string_equal(fleet_reason_name(FLEET_REASON_OVERDUE), "overdue");
    assert_string_equal(fleet_reason_name(FLEET_REASON_RETRY), "retry after failure");
    assert_string_equal(fleet_reason_name(FLEET_REASON_IN_PROGRESS), "in progress");
    assert_string_equal(fleet_reason_name(FLEET_REASON_PROVEN), "proven");
    assert_string_equal(fleet_reason_name(FLEET_REASON_OUTSIDE_WINDOW), "outside window");
    assert_string_equal(fleet_reason_name(FLEET_REASON_DISABLED), "disabled");
    assert_string_equal(fleet_reason_name(FLEET_REASON_CAP_FULL), "cap full");
    assert_string_equal(fleet_reason_name(FLEET_REASON_NO_LEADER), "no leader");
    assert_string_equal(fleet_reason_name((fleet_reason)99), "?");
}

static void test_never_proven_is_due_now(void **state)
{
    fleet_policy_values p = policy();
    fleet_facts f = no_drill();
    double now = MIDNIGHT + 5 * HOUR;
    fleet_judgement j = fleet_judge(&p, &f, true, 1800, now);

    (void)state;
    assert_judged(j, true, FLEET_REASON_NEVER_PROVEN, now);
    assert_true(j.launch);
    assert_false(j.never_started);
}

static void test_proven_then_overdue(void **state)
{
    fleet_policy_values p = policy();
    double passed = MIDNIGHT;
    fleet_facts f = ended(FLEET_VERDICT_PASSED, passed, passed);

    (void)state;
    assert_judged(fleet_judge(&p, &f, true, 1800, passed + HOUR), false, FLEET_REASON_PROVEN,
                  passed + DAY);
    /* due exactly when every has passed since the last proof, not a second later */
    assert_judged(fleet_judge(&p, &f, true, 1800, passed + DAY - 1), false, FLEET_REASON_PROVEN,
                  passed + DAY);
    assert_judged(fleet_judge(&p, &f, true, 1800, passed + DAY), true, FLEET_REASON_OVERDUE,
                  passed + DAY);
    assert_judged(fleet_judge(&p, &f, true, 1800, passed + 3 * DAY), true, FLEET_REASON_OVERDUE,
                  passed + DAY);
    p.every = (long)(6 * HOUR);
    assert_judged(fleet_judge(&p, &f, true, 1800, passed + 7 * HOUR), true, FLEET_REASON_OVERDUE,
                  passed + 6 * HOUR);
}

/* A failed or inconclusive drill is retried after retry_after, never before: no drill loop. */
static void test_retry_after_failure(void **state)
{
    fleet_policy_values p = policy();
    double passed = MIDNIGHT;
    double failed_at = passed + 2 * DAY; /* proof long overdue, then a failure */
    fleet_facts f = ended(FLEET_VERDICT_FAILED, failed_at, passed);

    (void)state;
    assert_judged(fleet_judge(&p, &f, true, 1800, failed_at + 1), false, FLEET_REASON_RETRY,
                  failed_at + HOUR);
    assert_judged(fleet_judge(&p, &f, true, 1800, failed_at + HOUR - 1), false, FLEET_REASON_RETRY,
                  failed_at + HOUR);
    assert_judged(fleet_judge(&p, &f, true, 1800, failed_at + HOUR), true, FLEET_REASON_RETRY,
                  failed_at + HOUR);
    /* a fresh proof does not postpone the retry of a later failure */
    f = ended(FLEET_VERDICT_INCONCLUSIVE, passed + 2 * HOUR, passed);
    assert_judged(fleet_judge(&p, &f, true, 1800, passed + 3 * HOUR), true, FLEET_REASON_RETRY,
                  passed + 3 * HOUR);
    /* never proven and failed: waits too, then is due as never proven */
    f = ended(FLEET_VERDICT_INCONCLUSIVE, failed_at, NAN);
    assert_judged(fleet_judge(&p, &f, true, 1800, failed_at + 60), false, FLEET_REASON_RETRY,
                  failed_at + HOUR);
    assert_judged(fleet_judge(&p, &f, true, 1800, failed_at + HOUR), true,
                  FLEET_REASON_NEVER_PROVEN, failed_at + HOUR);
    p.retry_after = 600;
    assert_judged(fleet_judge(&p, &f, true, 1800, failed_at + 600), true, FLEET_REASON_NEVER_PROVEN,
                  failed_at + 600);
}

static void test_disabled_and_in_progress(void **state)
{
    fleet_policy_values p = policy();
    fleet_facts f = no_drill();
    double now = MIDNIGHT;

    (void)state;
    p.enabled = false;
    assert_judged(fleet_judge(&p, &f, true, 1800, now), false, FLEET_REASON_DISABLED, NAN);
    p.enabled = true;
    f.in_progress = true;
    f.in_progress_since = now - 5 * HOUR; /* started long ago: still running */
    assert_judged(fleet_judge(&p, &f, true, 1800, now), false, FLEET_REASON_IN_PROGRESS, NAN);
    f.launch_pending = true; /* only scheduled, within launch_timeout */
    f.in_progress_since = now - 1799;
    assert_judged(fleet_judge(&p, &f, true, 1800, now), false, FLEET_REASON_IN_PROGRESS, NAN);
    assert_false(fleet_judge(&p, &f, true, 1800, now).never_started);
    /* disabled comes first: a disabled scope in progress says disabled */
    p.enabled = false;
    assert_judged(fleet_judge(&p, &f, true, 1800, now), false, FLEET_REASON_DISABLED, NAN);
}

/* A launch that never reported ends now as never_started, and waits retry_after like a failure. */
static void test_launch_never_started(void **state)
{
    fleet_policy_values p = policy();
    fleet_facts f = ended(FLEET_VERDICT_PASSED, MIDNIGHT - 3 * DAY, MIDNIGHT - 3 * DAY);
    double now = MIDNIGHT;
    fleet_judgement j;

    (void)state;
    f.in_progress = true;
    f.launch_pending = true;
    f.in_progress_since = now - 1800;
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_true(j.never_started);
    assert_judged(j, false, FLEET_REASON_RETRY, now + HOUR);
    /* without a launch timeout it waits for stale_after (the facts say when) */
    assert_judged(fleet_judge(&p, &f, true, 0, now), false, FLEET_REASON_IN_PROGRESS, NAN);
    /* a drill that reported is never "never started" */
    f.launch_pending = false;
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_false(j.never_started);
    assert_judged(j, false, FLEET_REASON_IN_PROGRESS, NAN);
}

static void test_no_leader(void **state)
{
    fleet_policy_values p = policy();
    fleet_facts f = no_drill();
    fleet_judgement j = fleet_judge(&p, &f, false, 1800, MIDNIGHT);

    (void)state;
    assert_judged(j, true, FLEET_REASON_NO_LEADER, MIDNIGHT);
    assert_false(j.launch);
    /* not due: it says why it is not due, not that it has no leader */
    f = ended(FLEET_VERDICT_PASSED, MIDNIGHT, MIDNIGHT);
    assert_judged(fleet_judge(&p, &f, false, 1800, MIDNIGHT + HOUR), false, FLEET_REASON_PROVEN,
                  MIDNIGHT + DAY);
}

static void test_window_parse(void **state)
{
    fleet_window w;
    const char *why = NULL;

    (void)state;
    assert_true(fleet_window_parse("", &w, &why));
    assert_false(w.set);
    assert_true(fleet_window_parse(NULL, &w, &why));
    assert_false(w.set);
    assert_true(fleet_window_parse("01:00-05:30", &w, &why));
    assert_true(w.set);
    assert_int_equal(w.start, 60);
    assert_int_equal(w.end, 330);
    assert_true(fleet_window_parse("22:00-02:00", &w, &why));
    assert_int_equal(w.start, 1320);
    assert_int_equal(w.end, 120);
    assert_true(fleet_window_parse("20:00-24:00", &w, &why));
    assert_int_equal(w.end, 1440);
    assert_true(fleet_window_parse("00:00-24:00", &w, &why) == false);
    assert_non_null(strstr(why, "empty"));
    assert_false(fleet_window_parse("01:00-01:00", &w, &why));
    assert_false(fleet_window_parse("24:00-01:00", &w, &why));
    assert_non_null(strstr(why, "HH:MM-HH:MM"));
    assert_false(fleet_window_parse("1:00-02:00", &w, &why));
    assert_false(fleet_window_parse("01:00-02:60", &w, &why));
    assert_false(fleet_window_parse("01:00-25:00", &w, &why));
    assert_false(fleet_window_parse("01:00-24:01", &w, &why));
    assert_false(fleet_window_parse("01:00 - 02:00", &w, &why));
    assert_false(fleet_window_parse("01:00-02:00x", &w, &why));
    assert_false(fleet_window_parse("01:00", &w, &why));
}

static void test_window_open_and_next(void **state)
{
    fleet_window w;
    const char *why;

    (void)state;
    assert_true(fleet_window_parse("01:00-05:00", &w, &why));
    assert_false(fleet_window_open(&w, MIDNIGHT + 0.5 * HOUR));
    assert_true(fleet_window_open(&w, MIDNIGHT + HOUR));
    assert_true(fleet_window_open(&w, MIDNIGHT + 5 * HOUR - 1));
    assert_false(fleet_window_open(&w, MIDNIGHT + 5 * HOUR));
    assert_true(fleet_window_next_open(&w, MIDNIGHT + 2 * HOUR) == MIDNIGHT + 2 * HOUR);
    assert_true(fleet_window_next_open(&w, MIDNIGHT) == MIDNIGHT + HOUR);
    assert_true(fleet_window_next_open(&w, MIDNIGHT + 6 * HOUR) == MIDNIGHT + DAY + HOUR);
    assert_true(isnan(fleet_window_next_open(&w, NAN)));
    /* across midnight */
    assert_true(fleet_window_parse("22:00-02:00", &w, &why));
    assert_true(fleet_window_open(&w, MIDNIGHT + 23 * HOUR));
    assert_true(fleet_window_open(&w, MIDNIGHT + HOUR));
    assert_false(fleet_window_open(&w, MIDNIGHT + 2 * HOUR));
    assert_false(fleet_window_open(&w, MIDNIGHT + 12 * HOUR));
    assert_true(fleet_window_next_open(&w, MIDNIGHT + 12 * HOUR) == MIDNIGHT + 22 * HOUR);
    assert_true(fleet_window_parse("20:00-24:00", &w, &why));
    assert_true(fleet_window_open(&w, MIDNIGHT + DAY - 1));
    assert_false(fleet_window_open(&w, MIDNIGHT + DAY));
    /* no window: always open */
    memset(&w, 0, sizeof(w));
    assert_true(fleet_window_open(&w, MIDNIGHT + 3 * HOUR));
    assert_true(fleet_window_next_open(&w, MIDNIGHT + 3 * HOUR) == MIDNIGHT + 3 * HOUR);
}

static void test_window_in_judgement(void **state)
{
    fleet_policy_values p = policy();
    const char *why;
    fleet_facts f = no_drill();

    (void)state;
    assert_true(fleet_window_parse("01:00-05:00", &p.window, &why));
    /* due, outside: waits for the window's next opening */
    assert_judged(fleet_judge(&p, &f, true, 1800, MIDNIGHT + 6 * HOUR), false,
                  FLEET_REASON_OUTSIDE_WINDOW, MIDNIGHT + DAY + HOUR);
    assert_judged(fleet_judge(&p, &f, true, 1800, MIDNIGHT + 2 * HOUR), true,
                  FLEET_REASON_NEVER_PROVEN, MIDNIGHT + 2 * HOUR);
    /* not due yet: the next due time is in the window */
    f = ended(FLEET_VERDICT_PASSED, MIDNIGHT + 12 * HOUR, MIDNIGHT + 12 * HOUR);
    assert_judged(fleet_judge(&p, &f, true, 1800, MIDNIGHT + 13 * HOUR), false, FLEET_REASON_PROVEN,
                  MIDNIGHT + 2 * DAY + HOUR);
    f = ended(FLEET_VERDICT_PASSED, MIDNIGHT + 2 * HOUR, MIDNIGHT + 2 * HOUR);
    assert_judged(fleet_judge(&p, &f, true, 1800, MIDNIGHT + 13 * HOUR), false, FLEET_REASON_PROVEN,
                  MIDNIGHT + DAY + 2 * HOUR);
    /* overdue and inside the window */
    assert_judged(fleet_judge(&p, &f, true, 1800, MIDNIGHT + DAY + 3 * HOUR), true,
                  FLEET_REASON_OVERDUE, MIDNIGHT + DAY + 2 * HOUR);
}

static fleet_judgement due_now(void)
{
    fleet_judgement j;

    memset(&j, 0, sizeof(j));
    j.due = true;
    j.launch = true;
    j.reason = FLEET_REASON_OVERDUE;
    return j;
}

/* Never proven first, then the oldest proof, then by name; as many as the cap leaves room for. */
static void test_cap_order(void **state)
{
    fleet_facts facts[5];
    fleet_judgement judgements[5];
    fleet_candidate c[5];
    const char *names[5] = {"e-new", "d-old", "c-older", "b-never", "a-not-due"};

    (void)state;
    facts[0] = ended(FLEET_VERDICT_PASSED, MIDNIGHT - DAY, MIDNIGHT - DAY);
    facts[1] = ended(FLEET_VERDICT_PASSED, MIDNIGHT - 2 * DAY, MIDNIGHT - 2 * DAY);
    facts[2] = ended(FLEET_VERDICT_FAILED, MIDNIGHT - 2 * DAY, MIDNIGHT - 3 * DAY);
    facts[3] = no_drill();
    facts[4] = no_drill();
    for (int i = 0; i < 5; i++) {
        judgements[i] = due_now();
        c[i].scope = names[i];
        c[i].facts = &facts[i];
        c[i].judgement = &judgements[i];
    }
    judgements[4].due = false;
    judgements[4].launch = false;
    judgements[4].reason = FLEET_REASON_PROVEN;
    assert_int_equal(fleet_apply_cap(c, 5, 1, 3), 2);
    assert_string_equal(c[0].scope, "b-never");
    assert_true(c[0].judgement->launch);
    assert_string_equal(c[1].scope, "c-older");
    assert_true(c[1].judgement->launch);
    assert_string_equal(c[2].scope, "d-old");
    assert_false(c[2].judgement->launch);
    assert_true(c[2].judgement->due);
    assert_int_equal(c[2].judgement->reason, FLEET_REASON_CAP_FULL);
    assert_string_equal(c[3].scope, "e-new");
    assert_int_equal(c[3].judgement->reason, FLEET_REASON_CAP_FULL);
    /* what was not to launch keeps its own reason */
    assert_string_equal(c[4].scope, "a-not-due");
    assert_int_equal(c[4].judgement->reason, FLEET_REASON_PROVEN);
}

static void test_cap_full_and_no_cap(void **state)
{
    fleet_facts facts[3];
    fleet_judgement judgements[3];
    fleet_candidate c[3];
    const char *names[3] = {"x", "z", "y"};

    (void)state;
    for (int i = 0; i < 3; i++) {
        facts[i] = no_drill();
        judgements[i] = due_now();
        c[i].scope = names[i];
        c[i].facts = &facts[i];
        c[i].judgement = &judgements[i];
    }
    /* ties between never proven scopes: by name */
    assert_int_equal(fleet_apply_cap(c, 3, 0, 1), 1);
    assert_string_equal(c[0].scope, "x");
    assert_string_equal(c[1].scope, "y");
    assert_string_equal(c[2].scope, "z");
    for (int i = 0; i < 3; i++)
        judgements[i] = due_now();
    assert_int_equal(fleet_apply_cap(c, 3, 2, 2), 0);
    assert_int_equal(fleet_apply_cap(c, 3, 5, 2), 0); /* more in progress than the cap */
    for (int i = 0; i < 3; i++)
        assert_int_equal(c[i].judgement->reason, FLEET_REASON_CAP_FULL);
    for (int i = 0; i < 3; i++)
        judgements[i] = due_now();
    assert_int_equal(fleet_apply_cap(c, 3, 100, 0), 3); /* no cap */
    assert_int_equal(fleet_apply_cap(c, 0, 0, 1), 0);
}

/* Each kind is judged from its own proofs: the latest one with every, the past one with
 * past.every; a past proof is no latest proof, and without a past target past facts are
 * ignored. */
static void test_past_judged_apart(void **state)
{
    fleet_policy_values p = mixed();
    double now = MIDNIGHT + 10 * DAY;
    fleet_facts f;
    fleet_judgement j;

    (void)state;
    assert_string_equal(fleet_kind_target(&p, FLEET_KIND_PAST), "random");
    assert_string_equal(fleet_kind_target(&p, FLEET_KIND_LATEST), "latest");
    /* latest proven an hour ago, never a past drill: the past one is due now */
    f = both(FLEET_VERDICT_PASSED, now - HOUR, now - HOUR, FLEET_VERDICT_NONE, NAN, NAN);
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, true, FLEET_REASON_NEVER_PROVEN, now);
    assert_kind(j, FLEET_KIND_PAST);
    assert_true(j.launch);
    /* past proven 2 days ago: nothing due; next is the latest drill, at its every */
    f = both(FLEET_VERDICT_PASSED, now - HOUR, now - HOUR, FLEET_VERDICT_PASSED, now - 2 * DAY,
             now - 2 * DAY);
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, false, FLEET_REASON_PROVEN, now - HOUR + DAY);
    assert_kind(j, FLEET_KIND_LATEST);
    /* past proven almost 7 days ago: the past drill is due sooner than the latest one */
    f.past_finished_at = f.past_passed_at = now - 7 * DAY + 2 * HOUR;
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, false, FLEET_REASON_PROVEN, now + 2 * HOUR);
    assert_kind(j, FLEET_KIND_PAST);
    /* ... and overdue a week after its last proof, though the latest proof is fresh */
    j = fleet_judge(&p, &f, true, 1800, now + 2 * HOUR);
    assert_judged(j, true, FLEET_REASON_OVERDUE, now + 2 * HOUR);
    assert_kind(j, FLEET_KIND_PAST);
    /* a passing past drill proves nothing for the latest kind */
    f = both(FLEET_VERDICT_NONE, NAN, NAN, FLEET_VERDICT_PASSED, now - HOUR, now - HOUR);
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, true, FLEET_REASON_NEVER_PROVEN, now);
    assert_kind(j, FLEET_KIND_LATEST);
    /* no past target: the past facts do not matter, and only latest drills are launched */
    p.past_target = NULL;
    f = both(FLEET_VERDICT_PASSED, now - HOUR, now - HOUR, FLEET_VERDICT_NONE, NAN, NAN);
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, false, FLEET_REASON_PROVEN, now - HOUR + DAY);
    assert_kind(j, FLEET_KIND_LATEST);
    assert_string_equal(fleet_kind_target(&p, FLEET_KIND_PAST), "past");
}

/* Both due: the latest drill first (freshness is the primary promise), the past one later. */
static void test_latest_goes_first(void **state)
{
    fleet_policy_values p = mixed();
    double now = MIDNIGHT + 10 * DAY;
    fleet_facts f =
        both(FLEET_VERDICT_PASSED, now - 2 * DAY, now - 2 * DAY, FLEET_VERDICT_NONE, NAN, NAN);
    fleet_judgement j = fleet_judge(&p, &f, true, 1800, now);

    (void)state;
    assert_judged(j, true, FLEET_REASON_OVERDUE, now - DAY);
    assert_kind(j, FLEET_KIND_LATEST);
    /* while it runs, nothing else of the scope starts: one drill of a scope at a time */
    f.in_progress = true;
    f.in_progress_since = now;
    j = fleet_judge(&p, &f, true, 1800, now + 60);
    assert_judged(j, false, FLEET_REASON_IN_PROGRESS, NAN);
    assert_kind(j, FLEET_KIND_LATEST);
    /* it passed: the past drill at the next pass */
    f = both(FLEET_VERDICT_PASSED, now + HOUR, now + HOUR, FLEET_VERDICT_NONE, NAN, NAN);
    j = fleet_judge(&p, &f, true, 1800, now + HOUR + 300);
    assert_judged(j, true, FLEET_REASON_NEVER_PROVEN, now + HOUR + 300);
    assert_kind(j, FLEET_KIND_PAST);
    /* a past drill in progress (its scheduled row names the kind) is not launched again */
    f.in_progress = true;
    f.launch_pending = true;
    f.in_progress_kind = FLEET_KIND_PAST;
    f.in_progress_since = now + HOUR + 300;
    j = fleet_judge(&p, &f, true, 1800, now + HOUR + 600);
    assert_judged(j, false, FLEET_REASON_IN_PROGRESS, NAN);
    assert_kind(j, FLEET_KIND_PAST);
    /* both due outside the window: the latest drill waits for the opening */
    assert_true(fleet_window_parse("01:00-05:00", &p.window, &(const char *){NULL}));
    f = both(FLEET_VERDICT_PASSED, now - 2 * DAY, now - 2 * DAY, FLEET_VERDICT_NONE, NAN, NAN);
    j = fleet_judge(&p, &f, true, 1800, now + 12 * HOUR);
    assert_judged(j, false, FLEET_REASON_OUTSIDE_WINDOW, now + DAY + HOUR);
    assert_kind(j, FLEET_KIND_LATEST);
}

/* retry_after per kind: a failing past drill does not hold up the latest ones, nor back. */
static void test_retry_per_kind(void **state)
{
    fleet_policy_values p = mixed();
    double now = MIDNIGHT + 10 * DAY;
    fleet_facts f;
    fleet_judgement j;

    (void)state;
    /* the past drill failed 10 minutes ago (target_unreachable, say); latest is overdue */
    f = both(FLEET_VERDICT_PASSED, now - 2 * DAY, now - 2 * DAY, FLEET_VERDICT_INCONCLUSIVE,
             now - 600, NAN);
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, true, FLEET_REASON_OVERDUE, now - DAY);
    assert_kind(j, FLEET_KIND_LATEST);
    /* latest proven: the past drill waits retry_after, not every or past.every */
    f.last_finished_at = f.last_passed_at = now - HOUR;
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, false, FLEET_REASON_RETRY, now - 600 + HOUR);
    assert_kind(j, FLEET_KIND_PAST);
    j = fleet_judge(&p, &f, true, 1800, now - 600 + HOUR);
    assert_judged(j, true, FLEET_REASON_NEVER_PROVEN, now - 600 + HOUR);
    assert_kind(j, FLEET_KIND_PAST);
    /* the latest drill failed, the past one is overdue: the past drill does not wait */
    f = both(FLEET_VERDICT_FAILED, now - 600, now - 2 * DAY, FLEET_VERDICT_PASSED, now - 8 * DAY,
             now - 8 * DAY);
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, true, FLEET_REASON_OVERDUE, now - DAY);
    assert_kind(j, FLEET_KIND_PAST);
    /* both failed: the one whose retry comes first */
    f = both(FLEET_VERDICT_FAILED, now - 600, now - 2 * DAY, FLEET_VERDICT_FAILED, now - 1200,
             now - 8 * DAY);
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_judged(j, false, FLEET_REASON_RETRY, now - 1200 + HOUR);
    assert_kind(j, FLEET_KIND_PAST);
    /* a past launch that never reported fails the past kind only */
    f = both(FLEET_VERDICT_PASSED, now - 2 * DAY, now - 2 * DAY, FLEET_VERDICT_NONE, NAN, NAN);
    f.in_progress = true;
    f.launch_pending = true;
    f.in_progress_kind = FLEET_KIND_PAST;
    f.in_progress_since = now - 1800;
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_true(j.never_started);
    assert_judged(j, true, FLEET_REASON_OVERDUE, now - DAY);
    assert_kind(j, FLEET_KIND_LATEST);
    /* ... and a latest one the latest kind */
    f.in_progress_kind = FLEET_KIND_LATEST;
    f.last_finished_at = f.last_passed_at = now - HOUR;
    j = fleet_judge(&p, &f, true, 1800, now);
    assert_true(j.never_started);
    assert_judged(j, true, FLEET_REASON_NEVER_PROVEN, now);
    assert_kind(j, FLEET_KIND_PAST);
}

/* Under the cap, latest drills before past ones, whatever their proofs' ages. */
static void test_cap_latest_before_past(void **state)
{
    fleet_facts facts[3];
    fleet_judgement judgements[3];
    fleet_candidate c[3];
    const char *names[3] = {"a-past-never", "b-latest", "c-past-old"};

    (void)state;
    facts[0] = both(FLEET_VERDICT_PASSED, MIDNIGHT, MIDNIGHT, FLEET_VERDICT_NONE, NAN, NAN);
    facts[1] = ended(FLEET_VERDICT_PASSED, MIDNIGHT - DAY, MIDNIGHT - DAY);
    facts[2] = both(FLEET_VERDICT_PASSED, MIDNIGHT, MIDNIGHT, FLEET_VERDICT_PASSED,
                    MIDNIGHT - 30 * DAY, MIDNIGHT - 30 * DAY);
    for (int i = 0; i < 3; i++) {
        judgements[i] = due_now();
        judgements[i].kind = i == 1 ? FLEET_KIND_LATEST : FLEET_KIND_PAST;
        c[i].scope = names[i];
        c[i].facts = &facts[i];
        c[i].judgement = &judgements[i];
    }
    assert_int_equal(fleet_apply_cap(c, 3, 0, 2), 2);
    assert_string_equal(c[0].scope, "b-latest");
    assert_true(c[0].judgement->launch);
    /* among past drills: never proven (to a past target) first */
    assert_string_equal(c[1].scope, "a-past-never");
    assert_true(c[1].judgement->launch);
    assert_string_equal(c[2].scope, "c-past-old");
    assert_int_equal(c[2].judgement->reason, FLEET_REASON_CAP_FULL);
}

/*
 * One case of test_invariants: the latest drills' facts as there; past: 0 no past target,
 * 1 a past target never drilled, 2 proven 2 days ago, 3 proven 8 days ago, 4 failed 30
 * minutes ago (proven 8 days ago); the drill in progress is a past one at odd hours.
 */
static void judge_one(fleet_verdict verdict, int finished_ago, int passed_extra, int progress,
                      const char *window, int flags, double now, int past)
{
    fleet_policy_values p = past > 0 ? mixed() : policy();
    fleet_facts f = no_drill();
    const char *why;
    fleet_judgement j;
    bool latest_failed_recently;
    bool past_failed_recently = past == 4;

    p.enabled = (flags & 1) == 0;
    fleet_window_parse(window, &p.window, &why);
    if (verdict != FLEET_VERDICT_NONE) {
        f.last_verdict = verdict;
        f.last_finished_at = now - finished_ago * HOUR;
        if (verdict == FLEET_VERDICT_PASSED)
            f.last_passed_at = f.last_finished_at;
        else if (passed_extra >= 0)
            f.last_passed_at = f.last_finished_at - passed_extra * HOUR;
    }
    if (past >= 2) {
        f.past_verdict = past == 4 ? FLEET_VERDICT_FAILED : FLEET_VERDICT_PASSED;
        f.past_passed_at = now - (past == 2 ? 2 : 8) * DAY;
        f.past_finished_at = past == 4 ? now - 1800 : f.past_passed_at;
    }
    f.in_progress = progress > 0;
    f.launch_pending = progress == 2 || progress == 3;
    f.in_progress_since = now - (progress == 3 ? 2 * HOUR : 60);
    f.in_progress_kind =
        ((long)(now / HOUR) % 2 == 1 && past > 0) ? FLEET_KIND_PAST : FLEET_KIND_LATEST;
    j = fleet_judge(&p, &f, (flags & 2) == 0, 1800, now);
    latest_failed_recently =
        (verdict == FLEET_VERDICT_FAILED || verdict == FLEET_VERDICT_INCONCLUSIVE) &&
        finished_ago * HOUR < p.retry_after;
    /* a launch is due, enabled, has a source and is inside its window */
    if (j.launch)
        assert_true(j.due && p.enabled && (flags & 2) == 0 && fleet_window_open(&p.window, now));
    if (j.due)
        assert_true(p.enabled && fleet_window_open(&p.window, now));
    /* a drill in progress (that reported) is never started again, of either kind */
    if (progress == 1 || progress == 2)
        assert_false(j.due);
    /* only a policy with a past target has past drills */
    if (past == 0)
        assert_int_equal(j.kind, FLEET_KIND_LATEST);
    /* no drill loop: a kind is never due within retry_after of its failure */
    if (progress == 0 && j.due && j.kind == FLEET_KIND_LATEST)
        assert_false(latest_failed_recently);
    if (progress == 0 && j.due && j.kind == FLEET_KIND_PAST)
        assert_false(past_failed_recently);
    /* an ended silent launch is a fresh failure of its kind: that kind is not due */
    if (j.never_started)
        assert_true(!j.due || j.kind != f.in_progress_kind);
    /* a past drill is due only when the latest kind is not */
    if (j.due && j.kind == FLEET_KIND_PAST && !j.never_started)
        assert_true(latest_failed_recently ||
                    (verdict == FLEET_VERDICT_PASSED && finished_ago * HOUR < p.every));
    /* a scope not due and not disabled or running knows when it is */
    if (!j.due && j.reason != FLEET_REASON_DISABLED && j.reason != FLEET_REASON_IN_PROGRESS)
        assert_true(!isnan(j.next_due_at) && j.next_due_at >= now);
    /* a scope proven within every (and, with a past target, within past.every) is not due */
    if (progress == 0 && verdict == FLEET_VERDICT_PASSED && finished_ago * HOUR < p.every &&
        (past == 0 || past == 2))
        assert_false(j.due);
}

/*
 * Every combination of the facts at many moments: the rules a judgement must keep,
 * whatever the facts.
 */
static void test_invariants(void **state)
{
    static const fleet_verdict verdicts[] = {FLEET_VERDICT_NONE, FLEET_VERDICT_PASSED,
                                             FLEET_VERDICT_FAILED, FLEET_VERDICT_INCONCLUSIVE};
    static const char *const windows[] = {"", "01:00-05:00", "22:00-02:00"};
    const double base = MIDNIGHT + 10 * DAY;
    size_t judged = 0;

    (void)state;
    for (size_t v = 0; v < 4; v++)
        for (int finished_ago = 0; finished_ago < 60; finished_ago += 7)
            for (int passed_extra = -1; passed_extra < 50; passed_extra += 9)
                for (int progress = 0; progress < 4; progress++)
                    for (size_t w = 0; w < 3; w++)
                        for (int flags = 0; flags < 4; flags++)
                            for (int hour = 0; hour < 24; hour += 5)
                                for (int past = 0; past < 5; past++) {
                                    judge_one(verdicts[v], finished_ago, passed_extra, progress,
                                              windows[w], flags, base + hour * HOUR, past);
                                    judged++;
                                }
    assert_true(judged > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_never_proven_is_due_now),
        cmocka_unit_test(test_proven_then_overdue),
        cmocka_unit_test(test_retry_after_failure),
        cmocka_unit_test(test_disabled_and_in_progress),
        cmocka_unit_test(test_launch_never_started),
        cmocka_unit_test(test_no_leader),
        cmocka_unit_test(test_window_parse),
        cmocka_unit_test(test_window_open_and_next),
        cmocka_unit_test(test_window_in_judgement),
        cmocka_unit_test(test_cap_order),
        cmocka_unit_test(test_cap_full_and_no_cap),
        cmocka_unit_test(test_past_judged_apart),
        cmocka_unit_test(test_latest_goes_first),
        cmocka_unit_test(test_retry_per_kind),
        cmocka_unit_test(test_cap_latest_before_past),
        cmocka_unit_test(test_invariants),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
