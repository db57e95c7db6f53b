/*
 * test_process.c - the process runner against real child processes (sh,
 * sleep): output capture, exit status, signals, timeouts that must kill the
 * whole process group, and our own termination signal.
 */
#include "clock.h"
#include "process.h"
#include "secret.h"
#include "signals.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct collected {
    pgd_buf out;
    pgd_buf err;
} collected;

static void collect(void *arg, pgd_proc_stream stream, const char *line)
{
    collected *c = arg;
    pgd_buf *b = stream == PGD_PROC_STDOUT ? &c->out : &c->err;

    pgd_buf_append(b, line);
    pgd_buf_append(b, "|");
}

static bool run_sh(const char *script, int64_t timeout_ms, collected *c, pgd_proc_result *r)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    pgd_proc_spec spec = {
        .argv = argv, .on_line = collect, .on_line_arg = c, .quiet = true, .kill_grace_ms = 300};

    pgd_buf_init(&c->out);
    pgd_buf_init(&c->err);
    return pgd_proc_run(&spec, timeout_ms, r);
}

static void free_collected(collected *c)
{
    pgd_buf_free(&c->out);
    pgd_buf_free(&c->err);
}

/* A process is gone when /proc has no entry for it, or only a zombie awaiting its reaper. */
static bool process_gone(pid_t pid)
{
    char path[64];
    char stat[512];
    FILE *fp;
    char *close_paren;
    bool gone;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fp = fopen(path, "r");
    if (fp == NULL)
        return true;
    gone = fgets(stat, sizeof(stat), fp) == NULL;
    fclose(fp);
    close_paren = strrchr(stat, ')');
    return gone || (close_paren != NULL && close_paren[2] == 'Z');
}

static bool wait_gone(pid_t pid, int64_t within_ms)
{
    int64_t deadline = pgd_monotonic_ms() + within_ms;

    while (!process_gone(pid)) {
        /* As subreaper we inherit orphaned grandchildren: reap them here. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (pgd_ms_until(deadline) == 0)
            return false;
        usleep(10000);
    }
    return true;
}

static int setup(void **state)
{
    (void)state;
    /* Orphaned grandchildren get reparented to us, so the tests can reap and observe them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pgd_signals_install();
    return 0;
}

static void test_output_lines(void **state)
{
    collected c;
    pgd_proc_result r;

    (void)state;
    assert_true(run_sh("echo one; echo two >&2; printf 'three\\r\\nno-newline'", 5000, &c, &r));
    assert_int_equal(r.outcome, PGD_PROC_EXITED);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(c.out.data, "one|three|no-newline|");
    assert_string_equal(c.err.data, "two|");
    assert_string_equal(r.stdout_tail, "one\nthree\nno-newline");
    assert_string_equal(r.stderr_tail, "two");
    assert_string_equal(pgd_proc_error_lines(&r), "two");
    free_collected(&c);
    pgd_proc_result_free(&r);
}

static void test_capture_stdout(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "echo a; echo b; echo warn >&2", NULL};
    pgd_proc_spec spec = {.argv = argv, .capture_stdout = true, .quiet = true};
    pgd_proc_result r;

    (void)state;
    assert_true(pgd_proc_run(&spec, 5000, &r));
    assert_string_equal(r.stdout_text, "a\nb\n");
    assert_string_equal(r.stderr_tail, "warn");
    pgd_proc_result_free(&r);
}

static void test_tail_keeps_last_lines(void **state)
{
    collected c;
    pgd_proc_result r;

    (void)state;
    assert_true(
        run_sh("i=0; while [ $i -lt 50 ]; do echo line$i >&2; i=$((i+1)); done", 5000, &c, &r));
    assert_non_null(strstr(r.stderr_tail, "line49"));
    assert_non_null(strstr(r.stderr_tail, "line30"));
    assert_null(strstr(r.stderr_tail, "line29"));
    free_collected(&c);
    pgd_proc_result_free(&r);
}

static void test_nonzero_exit(void **state)
{
    collected c;
    pgd_proc_result r;
    char *what;

    (void)state;
    assert_false(run_sh("echo 'ERROR: [075]: no backup' >&2; exit 75", 5000, &c, &r));
    assert_int_equal(r.outcome, PGD_PROC_EXITED);
    assert_int_equal(r.exit_code, 75);
    what = pgd_proc_describe(&r);
    assert_string_equal(what, "exited with status 75");
    assert_string_equal(pgd_proc_error_lines(&r), "ERROR: [075]: no backup");
    free(what);
    free_collected(&c);
    pgd_proc_result_free(&r);
}

static void test_killed_by_signal(void **state)
{
    collected c;
    pgd_proc_result r;
    char *what;

    (void)state;
    assert_false(run_sh("kill -KILL $$", 5000, &c, &r));
    assert_int_equal(r.outcome, PGD_PROC_SIGNALED);
    assert_int_equal(r.term_signal, SIGKILL);
    what = pgd_proc_describe(&r);
    assert_string_equal(what, "terminated by signal 9 (Killed)");
    free(what);
    free_collected(&c);
    pgd_proc_result_free(&r);
}

static void test_spawn_failure(void **state)
{
    const char *argv[] = {"/nonexistent/pgbackrest", "restore", NULL};
    pgd_proc_spec spec = {.argv = argv};
    pgd_proc_result r;
    char *what;

    (void)state;
    assert_false(pgd_proc_run(&spec, 5000, &r));
    assert_int_equal(r.outcome, PGD_PROC_SPAWN_FAILED);
    what = pgd_proc_describe(&r);
    assert_string_equal(
        what, "could not execute /nonexistent/pgbackrest restore: No such file or directory");
    free(what);
    pgd_proc_result_free(&r);
}

static void test_environment_override(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "echo \"$PGDRILL_T1:$HOME_SET\"", NULL};
    const char *env[] = {"PGDRILL_T1=over", "HOME_SET=yes", NULL};
    pgd_proc_spec spec = {.argv = argv, .env = env, .capture_stdout = true, .quiet = true};
    pgd_proc_result r;

    (void)state;
    setenv("PGDRILL_T1", "inherited", 1);
    assert_true(pgd_proc_run(&spec, 5000, &r));
    assert_string_equal(r.stdout_text, "over:yes\n");
    pgd_proc_result_free(&r);
    unsetenv("PGDRILL_T1");
}

/* The timeout must take down the whole group, including a grandchild that ignores SIGTERM. */
static void test_timeout_kills_grandchildren(void **state)
{
    collected c;
    pgd_proc_result r;
    pid_t grandchild;
    char *what;

    (void)state;
    assert_false(run_sh("trap '' TERM; sleep 60 & echo $!; sleep 60", 500, &c, &r));
    assert_int_equal(r.outcome, PGD_PROC_TIMED_OUT);
    assert_true(r.elapsed_ms >= 500);
    assert_true(r.elapsed_ms < 5000);
    what = pgd_proc_describe(&r);
    assert_non_null(strstr(what, "timed out after"));
    free(what);
    grandchild = (pid_t)atol(c.out.data);
    assert_true(grandchild > 1);
    assert_true(wait_gone(grandchild, 2000));
    free_collected(&c);
    pgd_proc_result_free(&r);
}

/* A command that exits but leaves a background job behind must not leave an orphan. */
static void test_no_orphans_after_exit(void **state)
{
    collected c;
    pgd_proc_result r;
    pid_t grandchild;

    (void)state;
    assert_true(run_sh("sleep 60 & echo $!; exit 0", 5000, &c, &r));
    assert_true(r.elapsed_ms < 3000);
    grandchild = (pid_t)atol(c.out.data);
    assert_true(grandchild > 1);
    assert_true(wait_gone(grandchild, 2000));
    free_collected(&c);
    pgd_proc_result_free(&r);
}

/*
 * pgdrill killed with SIGKILL (no cleanup runs): its children, and what they
 * started, die with it. A middle process plays pgdrill: it starts a child
 * whose own child ignores SIGTERM, reports both PIDs and is killed.
 */
static void test_children_die_with_us(void **state)
{
    int report[2];
    pid_t middle;
    pid_t pids[2];

    (void)state;
    assert_int_equal(pipe(report), 0);
    middle = fork();
    if (middle == 0) {
        const char *argv[] = {"sh", "-c", "trap '' TERM; sleep 60 & echo $!; exec sleep 61", NULL};
        pgd_proc_spec spec = {.argv = argv, .capture_stdout = true, .quiet = true};
        pgd_proc proc;
        char *errmsg = NULL;

        close(report[0]);
        if (!pgd_proc_start(&proc, &spec, &errmsg))
            _exit(1);
        while (proc.captured.len == 0)
            pgd_proc_poll(&proc, 50);
        pids[0] = proc.pid;
        pids[1] = (pid_t)atol(proc.captured.data);
        (void)!write(report[1], pids, sizeof(pids));
        kill(getpid(), SIGKILL);
    }
    close(report[1]);
    assert_int_equal(read(report[0], pids, sizeof(pids)), (ssize_t)sizeof(pids));
    close(report[0]);
    waitpid(middle, NULL, 0);
    assert_true(wait_gone(pids[0], 3000));
    assert_true(wait_gone(pids[1], 3000));
}

/* SIGTERM to pgdrill itself stops the child group and reports "interrupted". */
static void test_our_termination_signal(void **state)
{
    collected c;
    pgd_proc_result r;
    pid_t killer;
    pid_t me = getpid();

    (void)state;
    killer = fork();
    if (killer == 0) {
        usleep(300 * 1000);
        kill(me, SIGTERM);
        _exit(0);
    }
    assert_false(run_sh("sleep 60", 20000, &c, &r));
    waitpid(killer, NULL, 0);
    assert_int_equal(pgd_interrupted(), SIGTERM);
    assert_int_equal(r.outcome, PGD_PROC_INTERRUPTED);
    assert_true(r.elapsed_ms < 5000);
    pgd_signals_reset();
    free_collected(&c);
    pgd_proc_result_free(&r);
}

/* start/poll/stop: the caller keeps control while the child runs. */
static void test_start_poll_stop(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "echo ready; exec sleep 60", NULL};
    collected c;
    pgd_proc_spec spec = {.argv = argv, .on_line = collect, .on_line_arg = &c, .quiet = true};
    pgd_proc proc;
    pgd_proc_result r;
    char *errmsg = NULL;

    (void)state;
    pgd_buf_init(&c.out);
    pgd_buf_init(&c.err);
    assert_true(pgd_proc_start(&proc, &spec, &errmsg));
    for (int i = 0; i < 50 && strstr(c.out.data, "ready") == NULL; i++)
        assert_false(pgd_proc_poll(&proc, 100));
    assert_string_equal(c.out.data, "ready|");
    pgd_proc_stop(&proc, SIGINT, PGD_PROC_EXITED);
    pgd_proc_finish(&proc, &r);
    assert_int_equal(r.outcome, PGD_PROC_SIGNALED);
    assert_int_equal(r.term_signal, SIGINT);
    free_collected(&c);
    pgd_proc_result_free(&r);
}

/*
 * What the process group wrote: a grandchild's file writes count (the restore's
 * workers are children of pgBackRest), and nothing more is counted while the
 * group only waits.
 */
static void test_group_written(void **state)
{
    char dir[] = "/tmp/pgdrill-test-written-XXXXXX";
    char *script;
    const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
    collected c;
    pgd_proc_spec spec = {.argv = argv, .on_line = collect, .on_line_arg = &c, .quiet = true};
    pgd_proc proc;
    pgd_proc_result r;
    char *errmsg = NULL;
    int64_t written = -1;
    int64_t still;

    (void)state;
    assert_non_null(mkdtemp(dir));
    script =
        pgd_asprintf("(head -c 300000 /dev/zero > %s/f; echo done; exec sleep 60) & wait", dir);
    argv[2] = script;
    pgd_buf_init(&c.out);
    pgd_buf_init(&c.err);
    assert_true(pgd_proc_start(&proc, &spec, &errmsg));
    for (int i = 0; i < 100 && strstr(c.out.data, "done") == NULL; i++)
        assert_false(pgd_proc_poll(&proc, 50));
    written = pgd_proc_group_written(&proc);
    assert_true(written >= 300000);
    assert_false(pgd_proc_poll(&proc, 300));
    still = pgd_proc_group_written(&proc);
    assert_true(still >= 300000 && still - written < 1000);
    pgd_proc_stop(&proc, SIGTERM, PGD_PROC_EXITED);
    pgd_proc_finish(&proc, &r);
    assert_int_equal(pgd_proc_group_written(&proc), -1); /* reaped: nothing to ask */
    pgd_proc_result_free(&r);
    free_collected(&c);
    free(script);
    script = pgd_asprintf("%s/f", dir);
    unlink(script);
    rmdir(dir);
    free(script);
}

static void test_secrets_masked_in_tails(void **state)
{
    collected c;
    pgd_proc_result r;

    (void)state;
    pgd_secret_register("hunter2");
    assert_false(run_sh("echo 'password is hunter2' >&2; exit 1", 5000, &c, &r));
    assert_string_equal(r.stderr_tail, "password is ********");
    pgd_secret_clear();
    free_collected(&c);
    pgd_proc_result_free(&r);
}

static void test_format_argv(void **state)
{
    const char *argv[] = {"pgbackrest", "--stanza=a b", "it's", "", "plain", NULL};
    char *s;

    (void)state;
    s = pgd_proc_format_argv(argv);
    assert_string_equal(s, "pgbackrest '--stanza=a b' 'it'\\''s' '' plain");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_lines),
        cmocka_unit_test(test_capture_stdout),
        cmocka_unit_test(test_tail_keeps_last_lines),
        cmocka_unit_test(test_nonzero_exit),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_spawn_failure),
        cmocka_unit_test(test_environment_override),
        cmocka_unit_test(test_timeout_kills_grandchildren),
        cmocka_unit_test(test_no_orphans_after_exit),
        cmocka_unit_test(test_children_die_with_us),
        cmocka_unit_test(test_our_termination_signal),
        cmocka_unit_test(test_start_poll_stop),
        cmocka_unit_test(test_group_written),
        cmocka_unit_test(test_secrets_masked_in_tails),
        cmocka_unit_test(test_format_argv),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
