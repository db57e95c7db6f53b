/*
 * death_watch.c - kill a child's process group when we die first.
 */
#include "death_watch.h"

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

/* In the death watch: wait for a word or for our parent's end of the pipe to close. */
static void watch_parent(int fd, pgd_death_watch_action action, void *arg)
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

bool pgd_death_watch_start(pgd_death_watch *watch, pid_t group)
{
    /* The death watch is forked with a copy of this frame, so &group stays valid there. */
    return pgd_death_watch_start_action(watch, kill_group, &group);
}

bool pgd_death_watch_start_action(pgd_death_watch *watch, pgd_death_watch_action action, void *arg)
{
    int fds[2];

    watch->pid = -1;
    watch->fd = -1;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return false;
    watch->pid = fork();
    if (watch->pid == 0) {
        close(fds[1]);
        watch_parent(fds[0], action, arg);
    }
    close(fds[0]);
    if (watch->pid < 0) {
        close(fds[1]);
        return false;
    }
    watch->fd = fds[1];
    return true;
}

void pgd_death_watch_release(pgd_death_watch *watch)
{
    const char word = STAND_DOWN;

    if (watch->fd >= 0) {
        (void)!write(watch->fd, &word, 1);
        close(watch->fd);
    }
    if (watch->pid > 0) {
        while (waitpid(watch->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    watch->pid = -1;
    watch->fd = -1;
}
