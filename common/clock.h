/*
 * clock.h - monotonic time for deadlines, wall time for reports.
 */
#ifndef PGDRILL_CLOCK_H
#define PGDRILL_CLOCK_H

#include <stdint.h>

/* Milliseconds on a clock that never jumps; only differences are meaningful. */
int64_t pgd_monotonic_ms(void);

/* Milliseconds left until deadline_ms (a pgd_monotonic_ms value), never negative. */
int64_t pgd_ms_until(int64_t deadline_ms);

/* Sleep for ms milliseconds, returning early when a termination signal arrives. */
void pgd_sleep_ms(int64_t ms);

#endif
