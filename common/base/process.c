/*
 * process.c - spawn, relay, time out and reap child process groups.
 */
#include "process.h"

#include "clock.h"
#include "log.h"
#include "procfs.h"
#include "secret.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_KILL_GRACE_MS 3000
#define MAX_LINE_BYTES        (64 * 1024) /* longer lines are relayed in pieces */
#define MAX_CAPTURE_BYTES     (64 * 1024 * 1024)
#define POLL_TICK_MS          200 /* how often a wait re-checks the termination flag */
#define ORPHAN_DRAIN_MS                                                                            \
    1000 /* after the leader exits, how long grandchildren may hold the pipes                      \
          */

static void pipe_init(pgd_proc_pipe *p, int fd)
{
    memset(p, 0, sizeof(*p));
    p->fd = fd;
    pgd_buf_init(&p->partial);
}

static void pipe_close(pgd_proc_pipe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

static void remember_tail(pgd_proc_pipe *p, const char *line)
{
    free(p->tail[p->tail_next]);
    p->tail[p->tail_next] = pgd_secret_mask(line);
    p->tail_next = (p->tail_next + 1) % PGD_PROC_TAIL_LINES;
}

static char *steal_tail(pgd_proc_pipe *p)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (int i = 0; i < PGD_PROC_TAIL_LINES; i++) {
        char **slot = &p->tail[(p->tail_next + i) % PGD_PROC_TAIL_LINES];

        if (*slot == NULL)
            continue;
        if (out.len > 0)
            pgd_buf_append(&out, "\n");
        pgd_buf_append(&out, *slot);
        free(*slot);
        *slot = NULL;
    }
    return pgd_buf_steal(&out);
}

static void handle_line(pgd_proc *proc, pgd_proc_stream stream, const char *line)
{
    if (stream == PGD_PROC_STDOUT && proc->spec.capture_stdout) {
        if (proc->captured.len + strlen(line) < MAX_CAPTURE_BYTES) {
            pgd_buf_append(&proc->captured, line);
            pgd_buf_append(&proc->captured, "\n");
        }
    }
    remember_tail(&proc->pipes[stream], line);
    if (proc->spec.on_line != NULL)
        proc->spec.on_line(proc->spec.on_line_arg, stream, line);
    if (!proc->spec.quiet && !(stream == PGD_PROC_STDOUT && proc->spec.capture_stdout))
        pgd_info("%s: %s", proc->label, line);
}

/* Split what arrived into lines; at EOF the unterminated rest is a line too. */
static void consume(pgd_proc *proc, pgd_proc_stream stream, const char *data, size_t len, bool eof)
{
    pgd_buf *partial = &proc->pipes[stream].partial;

    pgd_buf_append_n(partial, data, len);
    for (;;) {
        char *nl = memchr(partial->data, '\n', partial->len);
        size_t line_len;

        if (nl == NULL) {
            if (partial->len >= MAX_LINE_BYTES || (eof && partial->len > 0))
                line_len = partial->len;
            else
                break;
        } else
            line_len = (size_t)(nl - partial->data);

        {
            char *line = pgd_strndup(partial->data, line_len);
            size_t used = nl != NULL ? line_len + 1 : line_len;

            if (line_len > 0 && line[line_len - 1] == '\r')
                line[line_len - 1] = '\0';
            handle_line(proc, stream, line);
            free(line);
            memmove(partial->data, partial->data + used, partial->len - used + 1);
            partial->len -= used;
        }
    }
}

/* Read what is available on one pipe; closes it at EOF. */
static void read_pipe(pgd_proc *proc, pgd_proc_stream stream)
{
    char chunk[8192];
    ssize_t n = read(proc->pipes[stream].fd, chunk, sizeof(chunk));

    if (n > 0)
        consume(proc, stream, chunk, (size_t)n, false);
    else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        consume(proc, stream, "", 0, true);
        pipe_close(&proc->pipes[stream]);
    }
}

static bool pipes_open(const pgd_proc *proc)
{
    return proc->pipes[0].fd >= 0 || proc->pipes[1].fd >= 0;
}

/* Wait up to wait_ms for output and relay it. */
static void pump(pgd_proc *proc, int wait_ms)
{
    struct pollfd fds[2];
    nfds_t n = 0;
    pgd_proc_stream streams[2];

    for (int s = 0; s < 2; s++) {
        if (proc->pipes[s].fd >= 0) {
            fds[n].fd = proc->pipes[s].fd;
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            streams[n] = (pgd_proc_stream)s;
            n++;
        }
    }
    if (n == 0) {
        if (wait_ms > 0)
            pgd_sleep_ms(wait_ms < 20 ? wait_ms : 20);
        return;
    }
    if (poll(fds, n, wait_ms) <= 0)
        return;
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            read_pipe(proc, streams[i]);
    }
}

/*
 * Has the leader exited? Leaves it a zombie (WNOWAIT) so that its PID, and so
 * the process group ID, cannot be reused while we kill what is left of the group.
 */
static bool leader_exited(pgd_proc *proc)
{
    siginfo_t info;

    if (proc->reaped)
        return true;
    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, (id_t)proc->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return info.si_pid == proc->pid;
}

static void reap(pgd_proc *proc)
{
    if (proc->reaped)
        return;
    /* Grandchildren left in the group after the leader exited are orphans of this command. */
    kill(-proc->pid, SIGKILL);
    /* Before the leader's PID (the group's ID) can be reused. */
    pgd_death_watch_release(&proc->death_watch);
    while (waitpid(proc->pid, &proc->wait_status, 0) < 0 && errno == EINTR)
        ;
    proc->reaped = true;
}

int64_t pgd_proc_group_written(const pgd_proc *proc)
{
    if (proc->reaped)
        return -1;
    return (int64_t)pgd_procfs_group_written(proc->pid);
}

void pgd_proc_signal(pgd_proc *proc, int sig)
{
    if (!proc->reaped)
        kill(-proc->pid, sig);
}

bool pgd_proc_poll(pgd_proc *proc, int wait_ms)
{
    int64_t deadline = pgd_monotonic_ms() + wait_ms;

    for (;;) {
        int64_t left = pgd_ms_until(deadline);

        if (leader_exited(proc)) {
            /* Drain what the leader (or a lingering grandchild) still has to say. */
            int64_t drain_deadline = pgd_monotonic_ms() + ORPHAN_DRAIN_MS;

            while (pipes_open(proc) && pgd_ms_until(drain_deadline) > 0)
                pump(proc, (int)pgd_ms_until(drain_deadline));
            reap(proc);
            /*
             * With the group killed the pipes reach EOF at once, unless a
             * grandchild escaped into a session of its own: stop listening.
             */
            drain_deadline = pgd_monotonic_ms() + ORPHAN_DRAIN_MS;
            while (pipes_open(proc) && pgd_ms_until(drain_deadline) > 0)
                pump(proc, (int)pgd_ms_until(drain_deadline));
            for (int s = 0; s < 2; s++) {
                consume(proc, (pgd_proc_stream)s, "", 0, true);
                pipe_close(&proc->pipes[s]);
            }
            return true;
        }
        if (pgd_interrupted() != 0)
            return false;
        pump(proc, (int)(left < POLL_TICK_MS ? left : POLL_TICK_MS));
        if (left == 0 && !leader_exited(proc))
            return false;
    }
}

void pgd_proc_stop(pgd_proc *proc, int first_sig, pgd_proc_outcome why)
{
    int grace = proc->spec.kill_grace_ms > 0 ? proc->spec.kill_grace_ms : DEFAULT_KILL_GRACE_MS;
    int64_t deadline;

    if (proc->reaped)
        return;
    proc->forced = why;
    pgd_proc_signal(proc, first_sig);
    deadline = pgd_monotonic_ms() + grace;
    while (!leader_exited(proc) && pgd_ms_until(deadline) > 0)
        pump(proc, 50);
    if (!leader_exited(proc)) {
        pgd_warn("%s (pid %ld) did not stop within %d ms; killing its process group", proc->label,
                 (long)proc->pid, grace);
        pgd_proc_signal(proc, SIGKILL);
    }
    /* The interrupt flag may be set: wait without pgd_proc_poll()'s early return. */
    while (!leader_exited(proc))
        pump(proc, 50);
    pgd_proc_poll(proc, 0);
}

/* Build environ + overrides; entries of extra replace inherited ones of the same name. */
static char **build_environment(const char *const *extra)
{
    size_t n_env = 0, n_extra = 0, n = 0;
    char **envp;

    while (environ[n_env] != NULL)
        n_env++;
    while (extra != NULL && extra[n_extra] != NULL)
        n_extra++;
    envp = pgd_calloc(n_env + n_extra + 1, sizeof(char *));
    for (size_t i = 0; i < n_env; i++) {
        size_t name_len = strcspn(environ[i], "=");
        bool overridden = false;

        for (size_t j = 0; j < n_extra && !overridden; j++)
            overridden = strncmp(extra[j], environ[i], name_len) == 0 && extra[j][name_len] == '=';
        if (!overridden)
            envp[n++] = environ[i];
    }
    for (size_t j = 0; j < n_extra; j++)
        envp[n++] = (char *)extra[j];
    envp[n] = NULL;
    return envp;
}

/* In the child: never returns. Reports exec failure as an errno through errpipe. */
static void exec_child(const pgd_proc_spec *spec, char **envp, int out_w, int err_w, int errpipe_w,
                       pid_t parent)
{
    struct sigaction dfl;
    sigset_t none;
    int devnull;
    int err;

    setsid();
    /* Die with pgdrill even before the death watch is in place (postgres keeps this across exec).
     */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGHUP, &dfl, NULL);
    sigaction(SIGPIPE, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        close(devnull);
    }
    dup2(out_w, STDOUT_FILENO);
    dup2(err_w, STDERR_FILENO);
    close(out_w);
    close(err_w);

    if (spec->cwd != NULL && chdir(spec->cwd) != 0) {
        err = errno;
        (void)!write(errpipe_w, &err, sizeof(err));
        _exit(127);
    }
    environ = envp;
    execvp(spec->argv[0], (char *const *)spec->argv);
    err = errno;
    (void)!write(errpipe_w, &err, sizeof(err));
    _exit(127);
}

bool pgd_proc_start(pgd_proc *proc, const pgd_proc_spec *spec, char **errmsg)
{
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, status_pipe[2] = {-1, -1};
    char **envp;
    const char *slash;
    int child_errno = 0;
    pid_t parent;
    ssize_t n;

    memset(proc, 0, sizeof(*proc));
    proc->spec = *spec;
    proc->pid = -1;
    proc->pipes[0].fd = proc->pipes[1].fd = -1;
    slash = strrchr(spec->argv[0], '/');
    proc->label = pgd_strdup(spec->label ? spec->label : (slash ? slash + 1 : spec->argv[0]));

    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
        pipe2(status_pipe, O_CLOEXEC) != 0) {
        *errmsg = pgd_asprintf("could not create pipes for %s: %s", proc->label, strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (out_pipe[i] >= 0)
                close(out_pipe[i]);
            if (err_pipe[i] >= 0)
                close(err_pipe[i]);
        }
        free(proc->label);
        return false;
    }

    envp = build_environment(spec->env);
    fflush(stdout);
    fflush(stderr);
    parent = getpid();
    proc->death_watch.pid = -1;
    proc->death_watch.fd = -1;
    proc->pid = fork();
    if (proc->pid == 0)
        exec_child(spec, envp, out_pipe[1], err_pipe[1], status_pipe[1], parent);
    free(envp);
    close(out_pipe[1]);
    close(err_pipe[1]);
    close(status_pipe[1]);
    if (proc->pid < 0) {
        *errmsg = pgd_asprintf("could not fork for %s: %s", proc->label, strerror(errno));
        close(out_pipe[0]);
        close(err_pipe[0]);
        close(status_pipe[0]);
        free(proc->label);
        return false;
    }

    /* The status pipe closes on a successful exec (CLOEXEC) or carries exec's errno. */
    do
        n = read(status_pipe[0], &child_errno, sizeof(child_errno));
    while (n < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (n == (ssize_t)sizeof(child_errno)) {
        char *cmd = pgd_proc_format_argv(spec->argv);

        while (waitpid(proc->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        *errmsg = pgd_asprintf("could not execute %s: %s", cmd, strerror(child_errno));
        free(cmd);
        close(out_pipe[0]);
        close(err_pipe[0]);
        free(proc->label);
        return false;
    }

    if (!pgd_death_watch_start(&proc->death_watch, proc->pid))
        pgd_warn(
            "could not start a death watch for %s: it may outlive pgdrill if pgdrill is killed",
            proc->label);
    proc->started_ms = pgd_monotonic_ms();
    proc->forced = PGD_PROC_EXITED;
    pipe_init(&proc->pipes[PGD_PROC_STDOUT], out_pipe[0]);
    pipe_init(&proc->pipes[PGD_PROC_STDERR], err_pipe[0]);
    pgd_buf_init(&proc->captured);
    return true;
}

void pgd_proc_finish(pgd_proc *proc, pgd_proc_result *result)
{
    memset(result, 0, sizeof(*result));
    while (!pgd_proc_poll(proc, POLL_TICK_MS)) {
        /* A caller finishing a live child wants it gone. */
        if (pgd_interrupted() != 0)
            pgd_proc_stop(proc, SIGTERM, PGD_PROC_INTERRUPTED);
    }
    result->elapsed_ms = pgd_monotonic_ms() - proc->started_ms;
    if (proc->forced != PGD_PROC_EXITED)
        result->outcome = proc->forced;
    else if (WIFEXITED(proc->wait_status))
        result->outcome = PGD_PROC_EXITED;
    else
        result->outcome = PGD_PROC_SIGNALED;
    if (WIFEXITED(proc->wait_status))
        result->exit_code = WEXITSTATUS(proc->wait_status);
    if (WIFSIGNALED(proc->wait_status))
        result->term_signal = WTERMSIG(proc->wait_status);
    result->stdout_text = proc->spec.capture_stdout ? pgd_buf_steal(&proc->captured) : NULL;
    result->stdout_tail = steal_tail(&proc->pipes[PGD_PROC_STDOUT]);
    result->stderr_tail = steal_tail(&proc->pipes[PGD_PROC_STDERR]);
    pgd_buf_free(&proc->captured);
    pgd_buf_free(&proc->pipes[0].partial);
    pgd_buf_free(&proc->pipes[1].partial);
    free(proc->label);
    proc->label = NULL;
}

bool pgd_proc_run(const pgd_proc_spec *spec, int64_t timeout_ms, pgd_proc_result *result)
{
    pgd_proc proc;
    char *errmsg = NULL;
    int64_t deadline = timeout_ms > 0 ? pgd_monotonic_ms() + timeout_ms : INT64_MAX;

    if (!pgd_proc_start(&proc, spec, &errmsg)) {
        memset(result, 0, sizeof(*result));
        result->outcome = PGD_PROC_SPAWN_FAILED;
        result->exit_code = -1;
        result->error = errmsg;
        result->stdout_tail = pgd_strdup("");
        result->stderr_tail = pgd_strdup("");
        return false;
    }
    for (;;) {
        int64_t left = timeout_ms > 0 ? pgd_ms_until(deadline) : POLL_TICK_MS;

        if (pgd_proc_poll(&proc, (int)(left < POLL_TICK_MS ? left : POLL_TICK_MS)))
            break;
        if (pgd_interrupted() != 0) {
            pgd_proc_stop(&proc, SIGTERM, PGD_PROC_INTERRUPTED);
            break;
        }
        if (timeout_ms > 0 && pgd_ms_until(deadline) == 0) {
            pgd_warn("%s did not finish within %lld ms; killing its process group", proc.label,
                     (long long)timeout_ms);
            pgd_proc_stop(&proc, SIGTERM, PGD_PROC_TIMED_OUT);
            break;
        }
    }
    pgd_proc_finish(&proc, result);
    return result->outcome == PGD_PROC_EXITED && result->exit_code == 0;
}

char *pgd_proc_describe(const pgd_proc_result *result)
{
    switch (result->outcome) {
    case PGD_PROC_EXITED:
        return pgd_asprintf("exited with status %d", result->exit_code);
    case PGD_PROC_SIGNALED:
        return pgd_asprintf("terminated by signal %d (%s)", result->term_signal,
                            strsignal(result->term_signal));
    case PGD_PROC_TIMED_OUT:
        return pgd_asprintf("timed out after %.1f s and was killed",
                            (double)result->elapsed_ms / 1000.0);
    case PGD_PROC_INTERRUPTED:
        return pgd_strdup("was stopped because pgdrill received a termination signal");
    case PGD_PROC_SPAWN_FAILED:
        return pgd_strdup(result->error ? result->error : "could not be started");
    }
    return pgd_strdup("ended in an unknown way");
}

const char *pgd_proc_error_lines(const pgd_proc_result *result)
{
    if (result->stderr_tail != NULL && result->stderr_tail[0] != '\0')
        return result->stderr_tail;
    return result->stdout_tail != NULL ? result->stdout_tail : "";
}

void pgd_proc_result_free(pgd_proc_result *result)
{
    free(result->stdout_text);
    free(result->stdout_tail);
    free(result->stderr_tail);
    free(result->error);
    memset(result, 0, sizeof(*result));
}

char *pgd_proc_format_argv(const char *const *argv)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (size_t i = 0; argv[i] != NULL; i++) {
        const char *arg = argv[i];
        bool plain = arg[0] != '\0' && strpbrk(arg, " \t\n'\"\\$`*?;&|<>()") == NULL;

        if (i > 0)
            pgd_buf_append(&out, " ");
        if (plain) {
            pgd_buf_append(&out, arg);
            continue;
        }
        pgd_buf_append(&out, "'");
        for (const char *p = arg; *p != '\0'; p++) {
            if (*p == '\'')
                pgd_buf_append(&out, "'\\''");
            else
                pgd_buf_append_n(&out, p, 1);
        }
        pgd_buf_append(&out, "'");
    }
    {
        char *masked = pgd_secret_mask(out.data);

        pgd_buf_free(&out);
        return masked;
    }
}
