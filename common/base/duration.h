/*
 * duration.h - "30s", "5m", "2h", "1d" or plain seconds.
 */
#ifndef PGDRILL_DURATION_H
#define PGDRILL_DURATION_H

#include <stdbool.h>

/* Longest accepted duration: a year is already far beyond any sensible drill timeout. */
#define PGD_DURATION_MAX_SECONDS (366L * 24 * 3600)

/*
 * Parse text into whole seconds. Accepts an unsigned integer optionally
 * followed by one unit s, m, h or d (no sign, no fraction, no spaces inside).
 * On failure returns false and sets *reason to a static explanation.
 */
bool pgd_parse_duration(const char *text, long *seconds, const char **reason);

#endif
