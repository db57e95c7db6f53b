/*
 * process.h - run child programs (pgbackrest, postgres, pg_dump, ...) safely.
 *
 * Every child runs in a session and process group of its own, so that a
 * timeout, a termination signal or our own exit can kill it together with
 * everything it started (pgbackrest's workers, postgres' backends). Its
 * stdout and stderr are read line by line and relayed into our log, or
 * handed to a callback, while we wait; the last lines of each stream are kept
 * to explain a failure.
 *
 * Two ways to use it: pgd_proc_run() for "run this to completion within a
 * timeout", or pgd_proc_start() + pgd_proc_poll() + pgd_proc_stop() when the
 * caller must do other work while the child runs (watching recovery).
 */
#ifndef PGDRILL_PROCESS_H
#define PGDRILL_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "death_watch.h"
#include "xalloc.h"

#define PGD_PROC_TAIL_LINES 20

typedef enum pgd_proc_stream {
    PGD_PROC_STDOUT = 0,
    PGD_PROC_STDERR = 1,
} pgd_proc_stream;

typedef void (*pgd_proc_line_fn)(void *arg, pgd_proc_stream stream, const char *line);

typedef struct pgd_proc_spec {
    const char *const *argv;  /* argv[0] is searched in PATH when it holds no slash */
    const char *const *env;   /* extra "NAME=value" entries over our environment, NULL-terminated */
    const char *cwd;          /* NULL: our working directory */
    const char *label;        /* prefix of relayed lines; default: basename of argv[0] */
    pgd_proc_line_fn on_line; /* called for every output line, before relaying */
    void *on_line_arg;
    bool capture_stdout; /* collect stdout into the result instead of relaying it */
    bool quiet;          /* do not relay output lines to the log */
    int kill_grace_ms;   /* SIGTERM-to-SIGKILL grace on timeout/interrupt; default 3000 */
} pgd_proc_spec;

typedef enum pgd_proc_outcome {
    PGD_PROC_EXITED,      /* exit_code is valid */
    PGD_PROC_SIGNALED,    /* term_signal is valid */
    PGD_PROC_TIMED_OUT,   /* killed by us at the deadline */
    PGD_PROC_INTERRUPTED, /* killed by us because we received a termination signal */
    PGD_PROC_SPAWN_FAILED /* never ran; see error */
} pgd_proc_outcome;

typedef struct pgd_proc_result {
    pgd_proc_outcome outcome;
    int exit_code;
    int term_signal;
    int64_t elapsed_ms;
    char *stdout_text; /* with capture_stdout */
    char *stdout_tail; /* last lines of stdout, newline separated */
    char *stderr_tail; /* last lines of stderr, newline separated */
    char *error;       /* spawn failure */
} pgd_proc_result;

/* A line stream being split out of a pipe. */
typedef struct pgd_proc_pipe {
    int fd;
    pgd_buf partial;
    char *tail[PGD_PROC_TAIL_LINES];
    int tail_next;
} pgd_proc_pipe;

/* A running child; treat as opaque. */
typedef struct pgd_proc {
    pgd_proc_spec spec;
    char *label;
    pid_t pid;
    bool reaped;
    int wait_status;
    int64_t started_ms;
    pgd_proc_pipe pipes[2];
    pgd_buf captured;
    pgd_proc_outcome forced;     /* TIMED_OUT or INTERRUPTED when we killed it; else EXITED */
    pgd_death_watch death_watch; /* kills the group if we die first (death_watch.h) */
} pgd_proc;

/*
 * Start a child. Returns false (with *errmsg) when it could not be started,
 * including when the program does not exist or is not executable.
 */
bool pgd_proc_start(pgd_proc *proc, const pgd_proc_spec *spec, char **errmsg);

/*
 * Relay output for at most wait_ms (0 = just what is ready). Returns true
 * once the child has exited and its output is drained; then call
 * pgd_proc_finish(). Returns early when a termination signal arrives.
 */
bool pgd_proc_poll(pgd_proc *proc, int wait_ms);

/*
 * Bytes the child's process group has written so far: the sum of wchar in
 * /proc/PID/io over its live members (every write(2): to files, pipes and
 * sockets alike). A member that exits takes its count along, so the sum may
 * fall. -1 when the kernel tells nothing (no /proc, or no member readable).
 * Costs one read of /proc/PID/stat per process on the host.
 */
int64_t pgd_proc_group_written(const pgd_proc *proc);

/* Send sig to the child's whole process group. */
void pgd_proc_signal(pgd_proc *proc, int sig);

/*
 * Kill the child's process group: first_sig (SIGTERM for a polite stop,
 * SIGINT for postgres' fast shutdown), SIGKILL after kill_grace_ms.
 * why is TIMED_OUT, INTERRUPTED or EXITED (a deliberate stop).
 */
void pgd_proc_stop(pgd_proc *proc, int first_sig, pgd_proc_outcome why);

/* Wait for the exited child, fill *result and release the handle. */
void pgd_proc_finish(pgd_proc *proc, pgd_proc_result *result);

/*
 * Run a child to completion. timeout_ms <= 0 means no timeout (only for
 * commands that cannot hang). Returns true when it exited with status 0.
 */
bool pgd_proc_run(const pgd_proc_spec *spec, int64_t timeout_ms, pgd_proc_result *result);

/* "exited with status 2", "terminated by signal 9 (Killed)", "timed out", ... (caller frees) */
char *pgd_proc_describe(const pgd_proc_result *result);

/* The most useful lines to quote in an error: stderr's tail, else stdout's. May be "". */
const char *pgd_proc_error_lines(const pgd_proc_result *result);

void pgd_proc_result_free(pgd_proc_result *result);

/* A command line for messages, arguments quoted where needed (caller frees). */
char *pgd_proc_format_argv(const char *const *argv);

#endif
