/*
 * test_recovery.c - what a restarted bootstrap does about an earlier one's
 * private postmaster: stops only a postgres, removes only its own private
 * socket directory.
 */
#include "recovery.h"
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
#include <unistd.h>

static void write_pid_file(const char *dir, long pid, const char *datadir, const char *sockets)
{
    char *path = pgd_asprintf("%s/postmaster.pid", dir);
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fprintf(fp, "%ld\n%s\n1795544437\n5432\n%s\n\n  1234  5678\nready   \n", pid, datadir, sockets);
    fclose(fp);
    free(path);
}

static bool exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

static void test_leftover_socket_directory_removed(void **state)
{
    char datadir[] = "/tmp/pgdrill-test-recovery-XXXXXX";
    char sockets[] = "/tmp/pgdrill-XXXXXX"; /* the private directory of an earlier recovery */
    char *failed;
    char *pid_file;

    (void)state;
    assert_non_null(mkdtemp(datadir));
    assert_non_null(mkdtemp(sockets));
    failed = pgd_asprintf("%s.failed", datadir);
    /* Patroni renamed the data directory; postmaster.pid still names the old path */
    assert_int_equal(rename(datadir, failed), 0);
    write_pid_file(failed, 999999, datadir, sockets);
    recovery_stop_leftover(datadir);
    assert_false(exists(sockets));
    pid_file = pgd_asprintf("%s/postmaster.pid", failed);
    unlink(pid_file);
    free(pid_file);
    rmdir(failed);
    free(failed);
}

/* A live process that is not a postgres (a reused PID) is never signalled. */
static void test_other_process_untouched(void **state)
{
    char datadir[] = "/tmp/pgdrill-test-recovery-XXXXXX";
    char other[] = "/tmp/not-pgdrill-XXXXXX";
    pid_t child = fork();
    char *pid_file;
    int status;

    (void)state;
    if (child == 0) {
        execlp("sleep", "sleep", "30", (char *)NULL);
        _exit(127);
    }
    assert_non_null(mkdtemp(datadir));
    assert_non_null(mkdtemp(other));
    write_pid_file(datadir, child, datadir, other);
    recovery_stop_leftover(datadir);
    assert_int_equal(waitpid(child, &status, WNOHANG), 0); /* still running */
    assert_true(exists(other));                            /* not one of ours: kept */
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    pid_file = pgd_asprintf("%s/postmaster.pid", datadir);
    unlink(pid_file);
    free(pid_file);
    rmdir(datadir);
    rmdir(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leftover_socket_directory_removed),
        cmocka_unit_test(test_other_process_untouched),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
