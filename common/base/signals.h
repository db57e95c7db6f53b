/*
 * signals.h - turn SIGTERM/SIGINT/SIGHUP into a flag that long waits check.
 *
 * Kubernetes stops a pod with SIGTERM; an SRE stops a manual drill with ^C.
 * Either way pgdrill must kill its children's process groups, record an
 * "inconclusive" verdict and exit 3, so the handlers only record the signal
 * and every wait loop (process runner, libpq waits, sleeps) polls it.
 */
#ifndef PGDRILL_SIGNALS_H
#define PGDRILL_SIGNALS_H

/* Install the handlers (without SA_RESTART, so blocking calls return EINTR). */
void pgd_signals_install(void);

/* The first termination signal received, or 0 (also 0 while held, see below). */
int pgd_interrupted(void);

/* The first termination signal received, held or not, or 0. */
int pgd_signal_received(void);

/*
 * From now on waits no longer stop for a received signal: a stopped drill
 * still delivers its verdict (history row, report), within the short
 * timeouts the caller chooses for that (deliver.c).
 */
void pgd_signals_hold(void);

/* Forget a received signal (used by tests). */
void pgd_signals_reset(void);

#endif
