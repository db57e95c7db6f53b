/*
 * bytesize.h - sizes such as "512MB", "1GiB" or plain bytes.
 */
#ifndef PGDRILL_BYTESIZE_H
#define PGDRILL_BYTESIZE_H

#include <stdbool.h>

/* Largest accepted size: 1 TiB is far beyond any queue or buffer a drill sizes. */
#define PGD_BYTESIZE_MAX (1024L * 1024 * 1024 * 1024)

/*
 * Parse text into bytes: an unsigned integer optionally followed by one unit
 * B, kB, MB, GB, TB (powers of 1024, as PostgreSQL and pgBackRest read them)
 * or KiB, MiB, GiB, TiB; no sign, fraction or spaces. On failure returns
 * false and sets *reason to a static explanation.
 */
bool pgd_parse_bytesize(const char *text, long *bytes, const char **reason);

#endif
