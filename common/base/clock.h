/*
 * clock.h - monotonic time for deadlines, wall time for reports.
 */
#ifndef PGDRILL_CLOCK_H
#define PGDRILL_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds on a clock that never jumps; only differences are meaningful. */
int64_t pgd_monotonic_ms(void);

/* Milliseconds left until deadline_ms (a pgd_monotonic_ms value), never negative. */
int64_t pgd_ms_until(int64_t deadline_ms);

/* Wall-clock now as Unix time with a fraction: for reports and metrics, never for deadlines. */
double pgd_wall_seconds(void);

/*
 * A timestamp with an explicit zone (docs/design.md, F17), as pgdrill writes them
 * ("2026-11-24T18:20:37.432Z" in reports, "2026-11-24 18:20:37.432350+00"
 * as target) and as a scheduler may pass them ("... +02:00"), as Unix time;
 * the offset is honoured. -1 when text is NULL or not a real instant
 * (2026-02-30, 25:61, no offset, trailing text), with *why (may be NULL)
 * saying what is wrong.
 */
double pgd_parse_timestamp(const char *text, const char **why);

/*
 * pgd_parse_timestamp, exact: microseconds since the Unix epoch in *us
 * (PostgreSQL's resolution; a double cannot hold today's instants to the
 * microsecond). False with *why.
 */
bool pgd_parse_timestamp_us(const char *text, int64_t *us, const char **why);

typedef enum pgd_us_form {
    PGD_US_TARGET, /* "2026-11-24 18:20:37.432350+00": a recovery target (F17) */
    PGD_US_REPORT, /* "2026-11-24T18:20:37.432350Z": reports and messages */
} pgd_us_form;

/* An instant in microseconds since the Unix epoch, UTC, into buf; returns buf. */
char *pgd_format_us(int64_t us, pgd_us_form form, char *buf, size_t size);

/* pgd_parse_timestamp without the reason. */
double pgd_parse_utc(const char *text);

/* "2026-11-24T18:20:37.432Z" (or without milliseconds) into buf; returns buf. */
char *pgd_format_utc(double unix_seconds, bool milliseconds, char *buf, size_t size);

/* The current time as pgd_format_utc with milliseconds. */
char *pgd_utc_now(char *buf, size_t size);

/* Sleep for ms milliseconds, returning early when a termination signal arrives. */
void pgd_sleep_ms(int64_t ms);

#endif
