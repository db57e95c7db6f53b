/*
 * repo_watch.h - is the repository dead, or only slow, while nothing is written?
 *
 * pgBackRest 2.45 retries an unreachable repository for minutes before it
 * gives up, and a restore from a slow repository may write nothing for as
 * long (docs/design.md, F40): its silence does not tell the two apart. So
 * while a restore or a WAL fetch writes nothing (the caller measures bytes
 * and calls repo_watch_progress), pgdrill asks the repository itself: a
 * probe is `pgbackrest repo-ls backup/<stanza>`, which only reads, with a
 * short --io-timeout and a hard timeout of its own. Probes that keep failing
 * for pgbackrest.dead_after end the drill as repository_unreachable; a probe
 * that answers resets the clock, however slow the transfer is.
 *
 * The bound (README, When things break): the repository dies at t0; nothing
 * is written from then on, so the first probe starts by t0 + QUIET (+ one
 * sampling period of the caller, at most 1 s). The clock runs from the start
 * of the first failed probe; the drill gives up when a failed probe ends at
 * least dead_after later. The probe before that one ended less than
 * dead_after after the clock started, the next one starts at most INTERVAL
 * after that and ends within PROBE_TIMEOUT. So the verdict comes by
 * t0 + QUIET + 1 + INTERVAL + PROBE_TIMEOUT + dead_after = t0 + dead_after
 * + 26 s; stopping what runs takes at most a few seconds more: within
 * dead_after plus two probe timeouts (90 s with the default 60 s).
 */
#ifndef PGDRILL_BOOTSTRAP_REPO_WATCH_H
#define PGDRILL_BOOTSTRAP_REPO_WATCH_H

#include "argv.h"
#include "drill.h"
#include "process.h"

#include <stdbool.h>
#include <stdint.h>

/* Nothing written for this long: start probing. */
#define REPO_WATCH_QUIET_MS 5000
/* Probes start at most this often (start to start), one at a time. */
#define REPO_WATCH_INTERVAL_MS 5000
/*
 * The probe's --io-timeout: pgBackRest retries a connection, a TLS handshake
 * and a request each once more within it, so a dead repository fails a probe
 * after about four times this (F40).
 */
#define REPO_PROBE_IO_TIMEOUT_S 2
/* A probe that has not ended by then is killed and counts as failed. */
#define REPO_PROBE_TIMEOUT_MS 15000

/*
 * The clock alone, without processes (so it can be tested with made-up
 * times): when to probe, and what the probes' results mean. Times are
 * pgd_monotonic_ms() values.
 */
typedef struct repo_clock {
    int64_t dead_after_ms;
    int64_t quiet_since_ms;    /* the last progress, or the start */
    int64_t probing_since_ms;  /* the first probe of this quiet spell; 0: not probing */
    double probing_since_wall; /* the same as Unix time, for messages */
    int64_t failing_since_ms;  /* start of the first failed probe since an answer; 0: none */
    int64_t next_probe_ms;     /* no probe before this */
    int64_t last_answer_ms;    /* when a probe of this quiet spell last answered; 0: none */
    int probes;                /* ended in this quiet spell */
    int failed;                /* of them */
    char *last_error;          /* the last failed probe's error */
} repo_clock;

void repo_clock_init(repo_clock *c, int64_t dead_after_ms, int64_t now);
void repo_clock_free(repo_clock *c);

/* Bytes were written: the repository is alive; probing stops, the counts start again. */
void repo_clock_progress(repo_clock *c, int64_t now);

/* Is a probe due (the caller runs one at a time)? */
bool repo_clock_probe_due(const repo_clock *c, int64_t now);

/* A probe started now (wall: the same instant as Unix time). */
void repo_clock_probe_started(repo_clock *c, int64_t now, double wall);

/*
 * A probe that started at started_ms ended now: error is NULL when it
 * answered, else what it said. A probe that started before the last
 * progress is ignored. True when the repository now counts as dead: probes
 * failed from failing_since_ms to now, at least dead_after.
 */
bool repo_clock_probe_ended(repo_clock *c, int64_t started_ms, int64_t now, const char *error);

/* Is the last probe of this quiet spell a failure? */
bool repo_clock_failing(const repo_clock *c);

/*
 * For the progress line while probing, else NULL (caller frees): "probing the
 * repository since 23:10:05 UTC: 3 of 3 probes failed (last: ...); giving up
 * in 25 s unless a probe succeeds", or "...: 0 of 4 probes failed, the last
 * answered 2 s ago".
 */
char *repo_clock_describe(const repo_clock *c, int64_t now);

/* Why the repository counts as dead, for the verdict (caller frees). */
char *repo_clock_verdict(const repo_clock *c, int64_t now);

/* The clock with its probes. */
typedef struct repo_watch {
    drill *d;
    repo_clock clock;
    long repo; /* --repo of the probes when pgbackrest.repo leaves it open; 0: none */
    bool running;
    pgd_proc probe;
    pgd_argv probe_argv; /* the running probe's arguments (its spec points into them) */
    int64_t probe_started_ms;
} repo_watch;

void repo_watch_init(repo_watch *w, drill *d, int64_t now);

/* Bytes were written (see repo_clock_progress). */
void repo_watch_progress(repo_watch *w);

/*
 * Call often (at least every second) while following a restore or a replay:
 * starts a due probe, collects an ended one, kills one past
 * REPO_PROBE_TIMEOUT_MS. Never waits. True once the repository counts as
 * dead: the caller stops what it follows and records repository_unreachable
 * with repo_clock_verdict().
 */
bool repo_watch_step(repo_watch *w);

/* Stop a running probe and free the watch. */
void repo_watch_end(repo_watch *w);

/*
 * One probe now, waited for (at most REPO_PROBE_TIMEOUT_MS): NULL when the
 * repository answered, else the probe's error (caller frees). repo as in
 * repo_watch.
 */
char *repo_probe(const drill *d, long repo);

#endif
