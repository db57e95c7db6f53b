/*
 * procfs.h - what /proc says about a process that is not our child.
 *
 * A PID alone names a process only while it lives: afterwards the kernel
 * gives it to the next one. Before pgdrill signals a process it did not
 * start in this run (a leftover postmaster, a detached archive-get), it reads
 * what is not reused with the PID: the owner, the program, the working
 * directory, the start time and the arguments (docs/design.md, F22); and it
 * pins the process first (pgd_procfs_pin_pid), so that the signal reaches the
 * process those facts were read from and never one that got its PID later.
 * Parsing is pure (unit-tested); reading is pgd_procfs_read.
 *
 * This is the one place that looks through /proc for processes: by an
 * argument they hold (pgd_procfs_find: a detached archive-get) or by their
 * process group (pgd_procfs_group_written: what a child's group wrote).
 */
#ifndef PGDRILL_PROCFS_H
#define PGDRILL_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The fields of /proc/PID/stat pgdrill uses. */
typedef struct pgd_procfs_stat {
    char state; /* R, S, D, T, Z (zombie: exited, not reaped yet), X (dead) ... */
    long ppid;
    long pgrp;
    unsigned long long start_ticks; /* field 22: clock ticks after boot */
} pgd_procfs_stat;

/*
 * Parse the text of /proc/PID/stat. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so the fields are
 * counted after its last ')'. False for text that is not of that form.
 */
bool pgd_procfs_parse_stat(const char *text, pgd_procfs_stat *stat);

/* The "btime" line of /proc/stat: boot time, seconds since the epoch. */
bool pgd_procfs_parse_btime(const char *text, long long *btime);

/* A start time in seconds since the epoch: btime + ticks / ticks_per_second. */
double pgd_procfs_start_time(long long btime, unsigned long long start_ticks,
                             long ticks_per_second);

/*
 * args: the arguments as /proc/PID/cmdline holds them, each ended by a NUL,
 * len bytes in all. Is one argument exactly arg (not merely containing it)?
 */
bool pgd_procfs_args_has(const char *args, size_t len, const char *arg);

/* Does one argument equal word or begin with word followed by ':'? ("archive-get:async") */
bool pgd_procfs_args_has_command(const char *args, size_t len, const char *word);

/*
 * The program of /proc/PID/exe, without the " (deleted)" Linux appends when
 * the file was replaced or removed since (a package upgrade): is it path
 * exactly? Is its last component name?
 */
bool pgd_procfs_exe_is(const char *exe, const char *path);
bool pgd_procfs_exe_named(const char *exe, const char *name);

/* What /proc says about one process. Pointers are NULL where /proc did not say. */
typedef struct pgd_procfs_info {
    long pid;
    pgd_procfs_stat stat;
    double start_time; /* seconds since the epoch; < 0 unknown */
    uid_t uid;         /* the owner of /proc/PID: the process's effective uid */
    char *exe;         /* readable for our own processes only (ptrace access) */
    char *cwd;         /* its working directory, as the kernel names it now */
    bool cwd_known;    /* cwd_dev and cwd_ino identify the directory itself */
    dev_t cwd_dev;
    ino_t cwd_ino;
    char *args; /* /proc/PID/cmdline, args_len bytes */
    size_t args_len;
} pgd_procfs_info;

/* Read what /proc says about pid. False (info emptied) when there is no such process. */
bool pgd_procfs_read(long pid, pgd_procfs_info *info);
void pgd_procfs_free(pgd_procfs_info *info);

/* Neither exited nor dead (a zombie has exited and only waits for its parent). */
bool pgd_procfs_alive(const pgd_procfs_info *info);

/* The PIDs of all processes into *pids (caller frees); returns how many. */
size_t pgd_procfs_list(long **pids);

/* /proc/PID/cmdline alone (NULL when unreadable), *len bytes: a cheap first look. */
char *pgd_procfs_read_args(long pid, size_t *len);

/*
 * A process pinned by a pidfd (Linux 5.3): whatever happens to its PID, a
 * signal through the pin reaches this process or none. Without pidfd
 * support the PID is used as it is.
 */
typedef struct pgd_procfs_pin {
    long pid;
    int fd; /* -1: no pidfd (none needed: gone, or not supported) */
    bool gone;
} pgd_procfs_pin;

/* Pin pid. pin->gone when there is no such process. */
void pgd_procfs_pin_pid(long pid, pgd_procfs_pin *pin);

/* Is the pinned process still running (not exited)? Facts read before this returned true were
 * its own. */
bool pgd_procfs_pinned_alive(const pgd_procfs_pin *pin);

/* Send sig to the pinned process; false when it is gone. */
bool pgd_procfs_pinned_signal(const pgd_procfs_pin *pin, int sig);

/* Wait up to timeout_ms for the pinned process to exit; true when it has. */
bool pgd_procfs_pinned_wait(const pgd_procfs_pin *pin, int timeout_ms);

void pgd_procfs_unpin(pgd_procfs_pin *pin);

/*
 * Judges a process pgd_procfs_find met: true when it is one sought. It may
 * log why one that names the argument is not.
 */
typedef bool (*pgd_procfs_accept)(const pgd_procfs_info *info, void *arg);

/*
 * pgd_procfs_find - the processes, other than this one, that have arg among
 * their arguments and that accept(info, accept_arg) takes, pinned into pins
 * (at most max); returns how many. The arguments are a cheap first look:
 * only a process naming arg is pinned, then read and judged, so a signal
 * through its pin reaches the process that was judged (docs/design.md, F22).
 * The caller unpins each.
 */
size_t pgd_procfs_find(const char *arg, pgd_procfs_accept accept, void *accept_arg,
                       pgd_procfs_pin *pins, size_t max);

/*
 * The "wchar: N" line of /proc/PID/io: the bytes a process passed to
 * write(2) and its kin, to files, pipes and sockets alike.
 */
bool pgd_procfs_parse_wchar(const char *text, long long *wchar);

/*
 * Bytes the live members of process group pgrp have written so far: the sum
 * of their wchar. -1 when the kernel tells nothing (no /proc, or no member
 * readable). Costs one read of /proc/PID/stat per process on the host.
 */
long long pgd_procfs_group_written(long pgrp);

#endif
