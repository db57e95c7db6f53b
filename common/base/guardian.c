/*
 * guardian.c - kill a child's process group when we die first.
 */
#include "guardian.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define STAND_DOWN 'x'

static void kill_group(void *group)
{
    kill(-*(const pid_t *)group, SIGKILL);
}

/* In the guardian: wait for a word or for our parent's end of the pipe to close. */
static void guard(int fd, pgd_guardian_action action, void *arg)
{
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    char word = 0;
    ssize_t n;

    /* ^C at a terminal reaches the whole foreground group: outlive pgdrill to do our job. */
    sigaction(SIGINT, &ignore, NULL);
    sigaction(SIGTERM, &ignore, NULL);
    sigaction(SIGHUP, &ignore, NULL);
    /* Hold nothing of pgdrill's open (its children's output pipes, files, locks). */
    if (fd != 3) {
        dup2(fd, 3);
        close(fd);
    }
    close_range(0, 2, 0);
    close_range(4, ~0U, 0);
    do
        n = read(3, &word, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1 || word != STAND_DOWN)
        action(arg);
    _exit(0);
}

bool pgd_guardian_start(pgd_guardian *guardian, pid_t group)
{
    /* The guardian is forked with a copy of this frame, so &group stays valid there. */
    return pgd_guardian_start_action(guardian, kill_group, &group);
}

bool pgd_guardian_start_action(pgd_guardian *guardian, pgd_guardian_action action, void *arg)
{
    int fds[2];

    guardian->pid = -1;
    guardian->fd = -1;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return false;
    guardian->pid = fork();
    if (guardian->pid == 0) {
        close(fds[1]);
        guard(fds[0], action, arg);
    }
    close(fds[0]);
    if (guardian->pid < 0) {
        close(fds[1]);
        return false;
    }
    guardian->fd = fds[1];
    return true;
}

void pgd_guardian_release(pgd_guardian *guardian)
{
    const char word = STAND_DOWN;

    if (guardian->fd >= 0) {
        (void)!write(guardian->fd, &word, 1);
        close(guardian->fd);
    }
    if (guardian->pid > 0) {
        while (waitpid(guardian->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    guardian->pid = -1;
    guardian->fd = -1;
}
