/*
 * signals.c - termination signals become a flag.
 */
#include "signals.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>

static volatile sig_atomic_t received_signal;
static bool held; /* the signal is known, but waits no longer stop for it */

static void on_termination_signal(int signo)
{
    if (received_signal == 0)
        received_signal = signo;
}

void pgd_signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_termination_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() and nanosleep() must wake up */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    /* A closed pipe to a child is an error to report, not a reason to die. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int pgd_interrupted(void)
{
    return held ? 0 : (int)received_signal;
}

int pgd_signal_received(void)
{
    return (int)received_signal;
}

void pgd_signals_hold(void)
{
    held = true;
}

void pgd_signals_reset(void)
{
    received_signal = 0;
    held = false;
}
