/*
 * guardian.h - no child outlives us, however we die.
 *
 * Every child runs in a process group of its own (process.h), which our
 * own timeout and signal handling kill. A `kill -9` of pgdrill, or a crash,
 * skips all of that: pgBackRest's workers would go on writing into the
 * data directory and a private postmaster would go on replaying and
 * promote, re-parented to init. So next to every child a tiny guardian
 * process waits on a pipe from us; when we die the pipe reaches end of
 * file and the guardian kills the child's whole process group. When the
 * child ends normally we tell the guardian to stand down before the child
 * is reaped, so it can never kill a process group whose ID was reused.
 */
#ifndef PGDRILL_GUARDIAN_H
#define PGDRILL_GUARDIAN_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct pgd_guardian {
    pid_t pid; /* -1: none */
    int fd;    /* our end of the pipe, -1: none */
} pgd_guardian;

/* Guard process group `group`. False (nothing started) when fork or pipe fail. */
bool pgd_guardian_start(pgd_guardian *guardian, pid_t group);

/*
 * The same, doing action(arg) instead when we die first: for what no process
 * group of ours reaches (a process that detached itself). It runs in the
 * guardian, without standard input, output or error.
 */
typedef void (*pgd_guardian_action)(void *arg);
bool pgd_guardian_start_action(pgd_guardian *guardian, pgd_guardian_action action, void *arg);

/* Tell the guardian to exit without killing anything, and reap it. Safe on an unstarted one. */
void pgd_guardian_release(pgd_guardian *guardian);

#endif
