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

/* Wall-clock now as Unix time with a fraction: for reports and metrics, never for deadlines. */
double pgd_wall_seconds(void);

/*
 * A UTC time as pgdrill writes it ("2026-11-24T18:20:37.432Z" in reports,
 * "2026-11-24 18:20:37.432350+00" as target) as Unix time, or -1 when text
 * is NULL or not such a time. Any offset is ignored: these texts are UTC.
 */
double pgd_parse_utc(const char *text);

/* Sleep for ms milliseconds, returning early when a termination signal arrives. */
void pgd_sleep_ms(int64_t ms);

#endif
