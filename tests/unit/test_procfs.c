/*
 * test_procfs.c - /proc read right: stat fields after a command name with
 * spaces and parentheses, the boot time, whole arguments (never a
 * substring), the program with " (deleted)"; what /proc says about this very
 * process; a pinned process signalled, waited for, and known to be gone;
 * processes found by an argument and judged; the bytes a process wrote.
 */
#include "procfs.h"
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A real line (a postmaster's) with its command name replaced. */
#define STAT_TAIL                                                                                  \
    "S 1 17480 17480 0 -1 4194304 3761 492 0 0 4 5 0 1 20 0 1 0 47822 222330880 7341 "             \
    "18446744073709551615 94645136510976 0 0 0 0 24129536 84487 1 0 0 17 1 0 0 0 0 0\n"

static void test_parse_stat(void **state)
{
    pgd_procfs_stat st;

    (void)state;
    assert_true(pgd_procfs_parse_stat("17480 (postgres) " STAT_TAIL, &st));
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.pgrp, 17480);
    assert_int_equal(st.start_ticks, 47822);
    /* A command name may hold spaces and parentheses: fields count after the last ')'. */
    assert_true(pgd_procfs_parse_stat("9 (a (b) 1 2 3) " STAT_TAIL, &st));
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.start_ticks, 47822);
    assert_true(
        pgd_procfs_parse_stat("9 (z) Z 4 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0\n", &st));
    assert_int_equal(st.state, 'Z');
    assert_int_equal(st.start_ticks, 77);

    assert_false(pgd_procfs_parse_stat(NULL, &st));
    assert_false(pgd_procfs_parse_stat("", &st));
    assert_false(pgd_procfs_parse_stat("17480 postgres S 1", &st));
    assert_false(pgd_procfs_parse_stat("17480 (postgres) S 1 17480", &st)); /* cut short */
    assert_false(
        pgd_procfs_parse_stat("9 (x) S one 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0\n", &st));
    assert_false(
        pgd_procfs_parse_stat("9 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -7 0\n", &st));
}

static void test_parse_btime_and_start_time(void **state)
{
    long long btime = 0;

    (void)state;
    assert_true(pgd_procfs_parse_btime("cpu  1 2 3\nintr 5\nctxt 9\nbtime 1796166812\nprocesses "
                                       "3\n",
                                       &btime));
    assert_int_equal(btime, 1796166812);
    assert_false(pgd_procfs_parse_btime("cpu 1\nctxt 9\n", &btime));
    assert_false(pgd_procfs_parse_btime("btime soon\n", &btime));
    assert_false(pgd_procfs_parse_btime(NULL, &btime));
    /* The postmaster of the line above: 478.22 s after boot, its pid file says 1796167290. */
    assert_true(pgd_procfs_start_time(1796166812, 47822, 100) > 1796167290.2);
    assert_true(pgd_procfs_start_time(1796166812, 47822, 100) < 1796167290.3);
    assert_true(pgd_procfs_start_time(0, 47822, 100) < 0);
    assert_true(pgd_procfs_start_time(1796166812, 47822, 0) < 0);
}

static void test_whole_arguments_only(void **state)
{
    /* As /proc/PID/cmdline holds them: each ended by a NUL. */
    static const char args[] = "pgbackrest\0--spool-path=/s/wal-spool\0archive-get:async\0";
    static const char shell[] = "strace\0-f\0x--spool-path=/s/wal-spool\0archive-getter\0";
    size_t len = sizeof(args) - 1;

    (void)state;
    assert_true(pgd_procfs_args_has(args, len, "--spool-path=/s/wal-spool"));
    assert_true(pgd_procfs_args_has(args, len, "pgbackrest"));
    assert_false(pgd_procfs_args_has(args, len, "--spool-path=/s/wal"));
    assert_false(pgd_procfs_args_has(args, len, "--spool-path=/s/wal-spool-2"));
    assert_false(pgd_procfs_args_has(shell, sizeof(shell) - 1, "--spool-path=/s/wal-spool"));
    assert_true(pgd_procfs_args_has_command(args, len, "archive-get"));
    assert_false(pgd_procfs_args_has_command(shell, sizeof(shell) - 1, "archive-get"));
    assert_true(pgd_procfs_args_has_command("archive-get\0", 12, "archive-get"));
    assert_false(pgd_procfs_args_has_command("xarchive-get\0", 13, "archive-get"));
    /* The last argument without its NUL (cut at the read's limit) is compared as it is. */
    assert_true(pgd_procfs_args_has("a\0bcd", 5, "bcd"));
    assert_false(pgd_procfs_args_has("a\0bcd", 4, "bcd"));
    assert_false(pgd_procfs_args_has(NULL, 0, "a"));
    assert_false(pgd_procfs_args_has_command(NULL, 0, "a"));
}

static void test_program(void **state)
{
    (void)state;
    assert_true(pgd_procfs_exe_is("/usr/bin/pgbackrest", "/usr/bin/pgbackrest"));
    /* Replaced by a package upgrade since it started: still that program. */
    assert_true(pgd_procfs_exe_is("/usr/bin/pgbackrest (deleted)", "/usr/bin/pgbackrest"));
    assert_false(pgd_procfs_exe_is("/usr/bin/strace", "/usr/bin/pgbackrest"));
    assert_false(pgd_procfs_exe_is("/usr/bin/pgbackrest2", "/usr/bin/pgbackrest"));
    assert_false(pgd_procfs_exe_is(NULL, "/usr/bin/pgbackrest"));
    assert_false(pgd_procfs_exe_is("/usr/bin/pgbackrest", NULL));
    assert_true(pgd_procfs_exe_named("/usr/lib/postgresql/15/bin/postgres", "postgres"));
    assert_true(pgd_procfs_exe_named("/usr/lib/postgresql/15/bin/postgres (deleted)", "postgres"));
    assert_true(pgd_procfs_exe_named("postgres", "postgres"));
    assert_false(pgd_procfs_exe_named("/usr/bin/postgres_exporter", "postgres"));
    assert_false(pgd_procfs_exe_named("/opt/postgres/bin/pg_ctl", "postgres"));
    assert_false(pgd_procfs_exe_named(NULL, "postgres"));
}

/* What /proc says about this very process matches what it knows of itself. */
static void test_read_self(void **state)
{
    pgd_procfs_info info;
    struct stat here;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    long *pids = NULL;
    size_t n = pgd_procfs_list(&pids);
    bool listed = false;

    (void)state;
    assert_true(len > 0);
    exe[len] = '\0';
    assert_int_equal(stat(".", &here), 0);
    assert_true(pgd_procfs_read(getpid(), &info));
    assert_true(pgd_procfs_alive(&info));
    assert_int_equal(info.stat.ppid, getppid());
    assert_int_equal(info.uid, geteuid());
    assert_string_equal(info.exe, exe);
    assert_true(info.cwd_known);
    assert_true(info.cwd_dev == here.st_dev && info.cwd_ino == here.st_ino);
    assert_true(info.start_time > (double)time(NULL) - 600);
    assert_true(info.start_time < (double)time(NULL) + 2);
    assert_true(pgd_procfs_args_has(info.args, info.args_len, info.args));
    pgd_procfs_free(&info);
    for (size_t i = 0; i < n; i++)
        listed = listed || pids[i] == (long)getpid();
    assert_true(listed);
    free(pids);
    assert_false(pgd_procfs_read(0, &info));
    assert_false(pgd_procfs_read(-1, &info));
}

/* Pinned, signalled through the pin, waited for; once reaped, its PID reads as nothing. */
static void test_pin(void **state)
{
    pgd_procfs_pin pin;
    pgd_procfs_info info;
    pid_t child = fork();
    int status;

    (void)state;
    if (child == 0) {
        execlp("sleep", "sleep", "30", (char *)NULL);
        _exit(127);
    }
    pgd_procfs_pin_pid(child, &pin);
    assert_false(pin.gone);
    assert_true(pgd_procfs_pinned_alive(&pin));
    assert_false(pgd_procfs_pinned_wait(&pin, 50));
    assert_true(pgd_procfs_pinned_signal(&pin, SIGTERM));
    assert_true(pgd_procfs_pinned_wait(&pin, 5000));
    assert_false(pgd_procfs_pinned_alive(&pin));
    /* Exited, not reaped yet: a zombie, not alive. */
    assert_true(pgd_procfs_read(child, &info));
    assert_false(pgd_procfs_alive(&info));
    pgd_procfs_free(&info);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_false(pgd_procfs_read(child, &info));
    pgd_procfs_unpin(&pin);
    pgd_procfs_pin_pid(child, &pin);
    assert_true(pin.gone);
    assert_false(pgd_procfs_pinned_alive(&pin));
    assert_false(pgd_procfs_pinned_signal(&pin, SIGTERM));
    assert_true(pgd_procfs_pinned_wait(&pin, 0));
    pgd_procfs_unpin(&pin);
}

static bool accept_all(const pgd_procfs_info *info, void *arg)
{
    int *calls = arg;

    (void)info;
    (*calls)++;
    return true;
}

static bool accept_none(const pgd_procfs_info *info, void *arg)
{
    int *calls = arg;

    (void)info;
    (*calls)++;
    return false;
}

/* Found by a whole argument, judged, pinned; refused when the judge says no; gone once dead. */
static void test_find(void **state)
{
    char marker[64];
    char longer[80];
    pgd_procfs_pin pins[4];
    int calls = 0;
    size_t n;
    pid_t child;
    int status;

    (void)state;
    snprintf(marker, sizeof(marker), "pgdrill-test-find-%ld", (long)getpid());
    snprintf(longer, sizeof(longer), "%s-longer", marker);
    child = fork();
    if (child == 0) {
        /* The marker is the shell's $0; "; :" keeps the shell from exec'ing sleep. */
        setpgid(0, 0);
        execlp("sh", "sh", "-c", "sleep 10; :", marker, (char *)NULL);
        _exit(127);
    }
    setpgid(child, child); /* whichever of the two runs first */
    /* Until the child has exec'd, its arguments are ours. */
    for (int i = 0; i < 100; i++) {
        size_t len = 0;
        char *args = pgd_procfs_read_args(child, &len);
        bool ready = args != NULL && pgd_procfs_args_has(args, len, marker);

        free(args);
        if (ready)
            break;
        usleep(20 * 1000);
    }
    n = pgd_procfs_find(marker, accept_all, &calls, pins, 4);
    assert_int_equal(n, 1);
    assert_int_equal(calls, 1);
    assert_int_equal(pins[0].pid, child);
    pgd_procfs_unpin(&pins[0]);
    calls = 0;
    assert_int_equal(pgd_procfs_find(marker, accept_none, &calls, pins, 4), 0);
    assert_int_equal(calls, 1);
    /* A longer argument is not the one sought: not even judged. */
    calls = 0;
    assert_int_equal(pgd_procfs_find(longer, accept_all, &calls, pins, 4), 0);
    assert_int_equal(calls, 0);
    kill(-child, SIGKILL); /* the shell and its sleep */
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(pgd_procfs_find(marker, accept_all, &calls, pins, 4), 0);
}

static void test_parse_wchar(void **state)
{
    long long wchar = -1;

    (void)state;
    assert_true(pgd_procfs_parse_wchar("rchar: 5000\nwchar: 1234\nsyscr: 7\n", &wchar));
    assert_int_equal(wchar, 1234);
    assert_true(pgd_procfs_parse_wchar("wchar: 0\n", &wchar));
    assert_int_equal(wchar, 0);
    /* only at the start of a line, and only with a number */
    assert_false(pgd_procfs_parse_wchar("rchar: 1 wchar: 2\n", &wchar));
    assert_false(pgd_procfs_parse_wchar("rchar: 5000\nwchar: \n", &wchar));
    assert_false(pgd_procfs_parse_wchar("", &wchar));
}

/* This process's own group has written at least what it writes now. */
static void test_group_written(void **state)
{
    long long before = pgd_procfs_group_written(getpgrp());
    long long after;
    int fds[2];

    (void)state;
    assert_true(before >= 0);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "0123456789", 10), 10);
    after = pgd_procfs_group_written(getpgrp());
    assert_true(after >= before + 10);
    close(fds[0]);
    close(fds[1]);
    /* no such group */
    assert_int_equal(pgd_procfs_group_written(-2), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_stat),
        cmocka_unit_test(test_parse_btime_and_start_time),
        cmocka_unit_test(test_whole_arguments_only),
        cmocka_unit_test(test_program),
        cmocka_unit_test(test_read_self),
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_parse_wchar),
        cmocka_unit_test(test_group_written),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
