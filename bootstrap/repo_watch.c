/*
 * repo_watch.c - probing the repository while nothing is written.
 */
#include "repo_watch.h"

#include "clock.h"
#include "log.h"
#include "pgbackrest.h"
#include "xalloc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* A probe told to stop gets this long before SIGKILL: pgBackRest ends at once on SIGTERM. */
#define PROBE_KILL_GRACE_MS 500
#define ERROR_TEXT          "ERROR: ["

void repo_clock_init(repo_clock *c, int64_t dead_after_ms, int64_t now)
{
    memset(c, 0, sizeof(*c));
    c->dead_after_ms = dead_after_ms;
    c->quiet_since_ms = now;
}

void repo_clock_free(repo_clock *c)
{
    free(c->last_error);
    c->last_error = NULL;
}

void repo_clock_progress(repo_clock *c, int64_t now)
{
    int64_t dead_after_ms = c->dead_after_ms;

    repo_clock_free(c);
    repo_clock_init(c, dead_after_ms, now);
}

bool repo_clock_probe_due(const repo_clock *c, int64_t now)
{
    return now - c->quiet_since_ms >= REPO_WATCH_QUIET_MS && now >= c->next_probe_ms;
}

void repo_clock_probe_started(repo_clock *c, int64_t now, double wall)
{
    if (c->probing_since_ms == 0) {
        c->probing_since_ms = now;
        c->probing_since_wall = wall;
    }
    c->next_probe_ms = now + REPO_WATCH_INTERVAL_MS;
}

bool repo_clock_probe_ended(repo_clock *c, int64_t started_ms, int64_t now, const char *error)
{
    /* Bytes were written since it started: whatever it says, the repository was alive. */
    if (started_ms < c->quiet_since_ms || c->probing_since_ms == 0)
        return false;
    c->probes++;
    if (error == NULL) {
        c->failing_since_ms = 0;
        c->last_answer_ms = now;
        return false;
    }
    c->failed++;
    if (c->failing_since_ms == 0)
        c->failing_since_ms = started_ms;
    free(c->last_error);
    c->last_error = pgd_strdup(error);
    return now - c->failing_since_ms >= c->dead_after_ms;
}

bool repo_clock_failing(const repo_clock *c)
{
    return c->failing_since_ms != 0;
}

/* "23:10:05 UTC" of a Unix time. */
static void format_time_of_day(double wall, char *buf, size_t size)
{
    char full[40];

    /* "2026-11-24T23:10:05Z" */
    pgd_format_utc(wall, false, full, sizeof(full));
    snprintf(buf, size, "%.8s UTC", strlen(full) >= 19 ? full + 11 : full);
}

char *repo_clock_describe(const repo_clock *c, int64_t now)
{
    char since[32];

    if (c->probing_since_ms == 0)
        return NULL;
    format_time_of_day(c->probing_since_wall, since, sizeof(since));
    if (c->failing_since_ms != 0) {
        int64_t left = c->failing_since_ms + c->dead_after_ms - now;

        return pgd_asprintf("probing the repository since %s: %d of %d probes failed (last: %s); "
                            "giving up in %lld s unless a probe succeeds",
                            since, c->failed, c->probes, c->last_error,
                            (long long)(left > 0 ? (left + 999) / 1000 : 0));
    }
    if (c->probes == 0)
        return pgd_asprintf("probing the repository since %s: the first probe is under way", since);
    return pgd_asprintf("probing the repository since %s: %d of %d probes failed, the last "
                        "answered %lld s ago",
                        since, c->failed, c->probes, (long long)((now - c->last_answer_ms) / 1000));
}

char *repo_clock_verdict(const repo_clock *c, int64_t now)
{
    return pgd_asprintf("the repository did not answer for %lld s (pgbackrest.dead_after is "
                        "%lld s): %d of %d probes failed, the last with: %s",
                        (long long)((now - c->failing_since_ms) / 1000),
                        (long long)(c->dead_after_ms / 1000), c->failed, c->probes,
                        c->last_error ? c->last_error : "?");
}

/*
 * pgbackrest [--config] --stanza [--repo] --io-timeout=2 ... repo-ls
 * backup/<stanza>: one listing request (F40); nothing logged to a file, the
 * error on stderr.
 */
static void probe_argv(const drill *d, long repo, pgd_argv *argv)
{
    pgd_argv extra;
    char *path = pgd_asprintf("backup/%s", d->cfg->pgbackrest.stanza);

    pgd_argv_init(&extra);
    if (d->cfg->pgbackrest.repo == 0 && repo > 0)
        pgd_argv_addf(&extra, "--repo=%ld", repo);
    pgd_argv_addf(&extra, "--io-timeout=%d", REPO_PROBE_IO_TIMEOUT_S);
    pgd_argv_add(&extra, "--log-level-console=warn");
    pgd_argv_add(&extra, "--log-level-file=off");
    pgbackrest_argv(d, argv, pgd_argv_get(&extra), PGB_PLAIN, "repo-ls");
    pgd_argv_add(argv, path);
    pgd_argv_free(&extra);
    free(path);
}

/* NULL when the probe answered, else its error: pgBackRest's "ERROR: [nnn]: ..." line if any. */
static char *probe_error(const pgd_proc_result *r)
{
    const char *lines = pgd_proc_error_lines(r);
    const char *error = strstr(lines, ERROR_TEXT);
    char *what;
    char *text;

    if (r->outcome == PGD_PROC_EXITED && r->exit_code == 0)
        return NULL;
    if (r->outcome == PGD_PROC_TIMED_OUT)
        return pgd_asprintf("pgbackrest repo-ls did not end within %d s and was killed",
                            REPO_PROBE_TIMEOUT_MS / 1000);
    if (error != NULL)
        return pgd_strndup(error, strcspn(error, "\n"));
    what = pgd_proc_describe(r);
    text = pgd_asprintf("pgbackrest repo-ls %s%s%s", what, lines[0] != '\0' ? ": " : "", lines);
    free(what);
    return text;
}

static pgd_proc_spec probe_spec(const pgd_argv *argv)
{
    pgd_proc_spec spec = {.capture_stdout = true,
                          .quiet = true,
                          .label = "pgbackrest repo-ls",
                          .kill_grace_ms = PROBE_KILL_GRACE_MS};

    spec.argv = pgd_argv_get(argv);
    return spec;
}

char *repo_probe(const drill *d, long repo)
{
    pgd_argv argv;
    pgd_proc_spec spec;
    pgd_proc_result r;
    char *error;

    probe_argv(d, repo, &argv);
    spec = probe_spec(&argv);
    pgd_proc_run(&spec, REPO_PROBE_TIMEOUT_MS, &r);
    error = probe_error(&r);
    pgd_proc_result_free(&r);
    pgd_argv_free(&argv);
    return error;
}

void repo_watch_init(repo_watch *w, drill *d, int64_t now)
{
    memset(w, 0, sizeof(*w));
    w->d = d;
    repo_clock_init(&w->clock, d->cfg->pgbackrest.dead_after * 1000, now);
}

void repo_watch_progress(repo_watch *w)
{
    int64_t now = pgd_monotonic_ms();

    if (w->clock.failed > 0)
        pgd_info("progress again after %lld s: the repository is alive (%d of %d probes had "
                 "failed)",
                 (long long)((now - w->clock.quiet_since_ms) / 1000), w->clock.failed,
                 w->clock.probes);
    repo_clock_progress(&w->clock, now);
}

/* A probe ended with error (NULL: answered): log what changed, tell the clock. */
static bool probe_ended(repo_watch *w, int64_t now, const char *error)
{
    bool was_failing = repo_clock_failing(&w->clock);
    int failed_before = w->clock.failed;
    bool dead = repo_clock_probe_ended(&w->clock, w->probe_started_ms, now, error);

    if (error == NULL) {
        pgd_debug("repository probe answered in %lld ms", (long long)(now - w->probe_started_ms));
        if (was_failing)
            pgd_info("the repository answers again (after %d failed probe%s)", failed_before,
                     failed_before == 1 ? "" : "s");
    } else if (!was_failing && repo_clock_failing(&w->clock) && !dead)
        pgd_warn(
            "repository probe failed: %s; giving up in %lld s unless a probe succeeds", error,
            (long long)((w->clock.failing_since_ms + w->clock.dead_after_ms - now + 999) / 1000));
    else
        pgd_debug("repository probe failed: %s", error);
    return dead;
}

static void start_probe(repo_watch *w, int64_t now)
{
    pgd_proc_spec spec;
    char *errmsg = NULL;

    repo_clock_probe_started(&w->clock, now, pgd_wall_seconds());
    probe_argv(w->d, w->repo, &w->probe_argv);
    spec = probe_spec(&w->probe_argv);
    w->probe_started_ms = now;
    if (pgd_proc_start(&w->probe, &spec, &errmsg)) {
        w->running = true;
        return;
    }
    pgd_argv_free(&w->probe_argv);
    /* A probe that cannot start fails; the clock decides as for any other failure. */
    probe_ended(w, now, errmsg);
    free(errmsg);
}

bool repo_watch_step(repo_watch *w)
{
    int64_t now = pgd_monotonic_ms();
    pgd_proc_result r;
    char *error;
    bool dead;

    if (!w->running) {
        if (repo_clock_probe_due(&w->clock, now))
            start_probe(w, now);
        return false;
    }
    if (!pgd_proc_poll(&w->probe, 0)) {
        if (now - w->probe_started_ms < REPO_PROBE_TIMEOUT_MS)
            return false;
        pgd_proc_stop(&w->probe, SIGTERM, PGD_PROC_TIMED_OUT);
    }
    pgd_proc_finish(&w->probe, &r);
    pgd_argv_free(&w->probe_argv);
    w->running = false;
    error = probe_error(&r);
    pgd_proc_result_free(&r);
    dead = probe_ended(w, pgd_monotonic_ms(), error);
    free(error);
    return dead;
}

void repo_watch_end(repo_watch *w)
{
    if (w->running) {
        pgd_proc_result r;

        pgd_proc_stop(&w->probe, SIGTERM, PGD_PROC_INTERRUPTED);
        pgd_proc_finish(&w->probe, &r);
        pgd_proc_result_free(&r);
        pgd_argv_free(&w->probe_argv);
        w->running = false;
    }
    repo_clock_free(&w->clock);
}
