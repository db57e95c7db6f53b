/*
 * death_watch.h - no child outlives us, however we die.
 *
 * Every child runs in a process group of its own (process.h), which our
 * own timeout and signal handling kill. A `kill -9` of pgdrill, or a crash,
 * skips all of that: pgBackRest's workers would go on writing into the
 * data directory and a private postmaster would go on replaying and
 * promote, re-parented to init. So next to every child a tiny process, its
 * death watch, waits on a pipe from us; when we die the pipe reaches end of
 * file and the death watch kills the child's whole process group. When the
 * child ends normally we release the watch before the child is reaped, so
 * it can never kill a process group whose ID was reused.
 */
#ifndef PGDRILL_DEATH_WATCH_H
#define PGDRILL_DEATH_WATCH_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct pgd_death_watch {
    pid_t pid; /* -1: none */
    int fd;    /* our end of the pipe, -1: none */
} pgd_death_watch;

/* Watch for our death, then kill process group `group`. False (nothing started) when fork or
 * pipe fail. */
bool pgd_death_watch_start(pgd_death_watch *watch, pid_t group);

/*
 * The same, doing action(arg) instead when we die first: for what no process
 * group of ours reaches (a process that detached itself). It runs in the
 * death watch's process, without standard input, output or error.
 */
typedef void (*pgd_death_watch_action)(void *arg);
bool pgd_death_watch_start_action(pgd_death_watch *watch, pgd_death_watch_action action, void *arg);

/* Tell the death watch to exit without doing anything, and reap it. Safe on an unstarted one. */
void pgd_death_watch_release(pgd_death_watch *watch);

#endif
