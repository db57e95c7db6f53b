/*
 * test_repo_watch.c - the repository's watch: its clock with made-up times
 * (when probes start, what failures and answers mean, the progress line and
 * the verdict), and real probes against a stand-in pgbackrest on PATH
 * (answering, failing with pgBackRest's error line, hanging past the probe's
 * timeout).
 */
#include "clock.h"
#include "repo_watch.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S(seconds) ((int64_t)(seconds)*1000)
#define T0         S(1000) /* a monotonic "now" of the test's own */

/* Nothing written: probing starts after the quiet time, probes at most every interval. */
static void test_when_to_probe(void **state)
{
    repo_clock c;

    (void)state;
    repo_clock_init(&c, S(60), T0);
    assert_false(repo_clock_probe_due(&c, T0 + REPO_WATCH_QUIET_MS - 1));
    assert_null(repo_clock_describe(&c, T0 + S(4)));
    assert_true(repo_clock_probe_due(&c, T0 + REPO_WATCH_QUIET_MS));
    repo_clock_probe_started(&c, T0 + S(5), 0.0);
    assert_false(repo_clock_probe_due(&c, T0 + S(5) + REPO_WATCH_INTERVAL_MS - 1));
    assert_true(repo_clock_probe_due(&c, T0 + S(5) + REPO_WATCH_INTERVAL_MS));
    /* bytes written: probing stops, quiet time again */
    repo_clock_progress(&c, T0 + S(7));
    assert_false(repo_clock_probe_due(&c, T0 + S(11)));
    assert_true(repo_clock_probe_due(&c, T0 + S(12)));
    repo_clock_free(&c);
}

/* Failures count from the start of the first failed probe; dead at dead_after, not before. */
static void test_dead_after_failing_probes(void **state)
{
    repo_clock c;
    char *text;

    (void)state;
    repo_clock_init(&c, S(60), T0);
    repo_clock_probe_started(&c, T0 + S(5), 1795000000.0); /* 2026-11-18T11:06:40Z */
    text = repo_clock_describe(&c, T0 + S(6));
    assert_string_equal(text, "probing the repository since 11:06:40 UTC: the first probe is "
                              "under way");
    free(text);
    assert_false(repo_clock_probe_ended(&c, T0 + S(5), T0 + S(13), "ERROR: [049]: refused"));
    assert_true(repo_clock_failing(&c));
    text = repo_clock_describe(&c, T0 + S(20));
    assert_string_equal(text, "probing the repository since 11:06:40 UTC: 1 of 1 probes failed "
                              "(last: ERROR: [049]: refused); giving up in 45 s unless a probe "
                              "succeeds");
    free(text);
    for (int64_t start = S(13); start < S(61); start += S(8)) {
        repo_clock_probe_started(&c, T0 + start, 0.0);
        assert_false(repo_clock_probe_ended(&c, T0 + start, T0 + start + S(8) - 1, "ERROR: x"));
    }
    /* a probe that started at T0+61 and failed at T0+65 s: 60 s of failing probes */
    repo_clock_probe_started(&c, T0 + S(61), 0.0);
    assert_true(repo_clock_probe_ended(&c, T0 + S(61), T0 + S(65), "ERROR: [049]: last"));
    text = repo_clock_verdict(&c, T0 + S(65));
    assert_string_equal(text, "the repository did not answer for 60 s (pgbackrest.dead_after is "
                              "60 s): 8 of 8 probes failed, the last with: ERROR: [049]: last");
    free(text);
    repo_clock_free(&c);
}

/* An answer resets the clock, however long nothing was written. */
static void test_answer_resets(void **state)
{
    repo_clock c;
    char *text;

    (void)state;
    repo_clock_init(&c, S(20), T0);
    repo_clock_probe_started(&c, T0 + S(5), 0.0);
    assert_false(repo_clock_probe_ended(&c, T0 + S(5), T0 + S(13), "ERROR: paused"));
    repo_clock_probe_started(&c, T0 + S(13), 0.0);
    assert_false(repo_clock_probe_ended(&c, T0 + S(13), T0 + S(20), NULL));
    assert_false(repo_clock_failing(&c));
    text = repo_clock_describe(&c, T0 + S(22));
    assert_string_equal(text, "probing the repository since 00:00:00 UTC: 1 of 2 probes failed, "
                              "the last answered 2 s ago");
    free(text);
    /* failing again: the clock starts at this probe, not at the first one */
    repo_clock_probe_started(&c, T0 + S(25), 0.0);
    assert_false(repo_clock_probe_ended(&c, T0 + S(25), T0 + S(33), "ERROR: again"));
    repo_clock_probe_started(&c, T0 + S(40), 0.0);
    assert_false(repo_clock_probe_ended(&c, T0 + S(40), T0 + S(44), "ERROR: again"));
    repo_clock_probe_started(&c, T0 + S(45), 0.0);
    assert_true(repo_clock_probe_ended(&c, T0 + S(45), T0 + S(45) + 1, "ERROR: again"));
    repo_clock_free(&c);
}

/* A probe that started before bytes were written again does not count. */
static void test_probe_overtaken_by_progress(void **state)
{
    repo_clock c;

    (void)state;
    repo_clock_init(&c, S(10), T0);
    repo_clock_probe_started(&c, T0 + S(5), 0.0);
    assert_false(repo_clock_probe_ended(&c, T0 + S(5), T0 + S(13), "ERROR: 1"));
    repo_clock_probe_started(&c, T0 + S(13), 0.0);
    repo_clock_progress(&c, T0 + S(14));
    assert_false(repo_clock_probe_ended(&c, T0 + S(13), T0 + S(28), "ERROR: 2"));
    assert_false(repo_clock_failing(&c));
    assert_int_equal(c.probes, 0);
    assert_null(repo_clock_describe(&c, T0 + S(28)));
    repo_clock_free(&c);
}

/* A stand-in pgbackrest on PATH: the script's body decides what the probe meets. */
typedef struct fake {
    char dir[64];
    char *old_path;
    pgd_config cfg;
    drill d;
} fake;

static void fake_pgbackrest(fake *f, const char *body)
{
    char *script;
    FILE *fp;

    memset(f, 0, sizeof(*f));
    strcpy(f->dir, "/tmp/pgdrill-test-probe-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    script = pgd_asprintf("%s/pgbackrest", f->dir);
    fp = fopen(script, "w");
    assert_non_null(fp);
    /* the arguments go to a file: the probe's command line is checked too */
    fprintf(fp, "#!/bin/sh\necho \"$@\" > %s/args\n%s\n", f->dir, body);
    fclose(fp);
    chmod(script, 0755);
    free(script);
    f->old_path = pgd_strdup(getenv("PATH"));
    script = pgd_asprintf("%s:%s", f->dir, f->old_path);
    setenv("PATH", script, 1);
    free(script);
    f->cfg.pgbackrest.stanza = "orders";
    f->cfg.pgbackrest.config = "/etc/pgbackrest/pgbackrest.conf";
    f->cfg.pgbackrest.dead_after = 10;
    f->d.cfg = &f->cfg;
}

static char *fake_args(const fake *f)
{
    char *path = pgd_asprintf("%s/args", f->dir);
    char text[1024] = "";
    FILE *fp = fopen(path, "r");

    if (fp != NULL) {
        if (fgets(text, sizeof(text), fp) == NULL)
            text[0] = '\0';
        fclose(fp);
    }
    free(path);
    text[strcspn(text, "\n")] = '\0';
    return pgd_strdup(text);
}

static void fake_free(fake *f)
{
    char *cmd = pgd_asprintf("rm -rf %s", f->dir);

    setenv("PATH", f->old_path, 1);
    free(f->old_path);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void test_probe_answers(void **state)
{
    fake f;
    char *args;

    (void)state;
    fake_pgbackrest(&f, "echo 20261124-101500F; echo backup.info");
    assert_null(repo_probe(&f.d, 2));
    args = fake_args(&f);
    /* the repository the backup came from, a short --io-timeout, no log file, read only */
    assert_string_equal(args, "--config=/etc/pgbackrest/pgbackrest.conf --stanza=orders --repo=2 "
                              "--io-timeout=2 --log-level-console=warn --log-level-file=off "
                              "repo-ls backup/orders");
    free(args);
    fake_free(&f);
}

static void test_probe_fails(void **state)
{
    fake f;
    char *error;

    (void)state;
    fake_pgbackrest(&f, "echo 'WARN: something first' >&2\n"
                        "echo \"ERROR: [049]: unable to connect to 'localhost:1234': [111] "
                        "Connection refused\" >&2\nexit 49");
    error = repo_probe(&f.d, 0);
    assert_string_equal(error, "ERROR: [049]: unable to connect to 'localhost:1234': [111] "
                               "Connection refused");
    free(error);
    fake_free(&f);

    fake_pgbackrest(&f, "echo 'no error line' >&2\nexit 3");
    error = repo_probe(&f.d, 0);
    assert_string_equal(error, "pgbackrest repo-ls exited with status 3: no error line");
    free(error);
    fake_free(&f);
}

/* The watch: a hanging probe is killed at its own timeout and fails; failures end it. */
static void test_watch_hanging_probe(void **state)
{
    fake f;
    repo_watch w;
    int64_t start = pgd_monotonic_ms();
    bool dead = false;
    char *text;

    (void)state;
    fake_pgbackrest(&f, "exec sleep 60");
    repo_watch_init(&w, &f.d, start - REPO_WATCH_QUIET_MS);
    /* dead_after is 10 s; a probe is killed after 15 s: the first failure decides */
    while (!dead && pgd_monotonic_ms() - start < REPO_PROBE_TIMEOUT_MS + 5000) {
        dead = repo_watch_step(&w);
        usleep(50 * 1000);
    }
    assert_true(dead);
    assert_true(pgd_monotonic_ms() - start >= REPO_PROBE_TIMEOUT_MS);
    text = repo_clock_verdict(&w.clock, pgd_monotonic_ms());
    assert_non_null(strstr(text, "1 of 1 probes failed, the last with: pgbackrest repo-ls did not "
                                 "end within 15 s and was killed"));
    free(text);
    repo_watch_end(&w);
    fake_free(&f);
}

/* A probe running when the watch ends is stopped with it. */
static void test_watch_end_stops_probe(void **state)
{
    fake f;
    repo_watch w;
    int64_t start = pgd_monotonic_ms();
    pid_t pid;

    (void)state;
    fake_pgbackrest(&f, "exec sleep 60");
    repo_watch_init(&w, &f.d, start - REPO_WATCH_QUIET_MS);
    assert_false(repo_watch_step(&w));
    assert_true(w.running);
    pid = w.probe.pid;
    repo_watch_end(&w);
    assert_false(w.running);
    assert_int_equal(kill(pid, 0), -1);
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_when_to_probe),
        cmocka_unit_test(test_dead_after_failing_probes),
        cmocka_unit_test(test_answer_resets),
        cmocka_unit_test(test_probe_overtaken_by_progress),
        cmocka_unit_test(test_probe_answers),
        cmocka_unit_test(test_probe_fails),
        cmocka_unit_test(test_watch_hanging_probe),
        cmocka_unit_test(test_watch_end_stops_probe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
