/*
 * duration.c - parse and print durations.
 */
#include "duration.h"

#include <ctype.h>

bool pgd_parse_duration(const char *text, long *seconds, const char **reason)
{
    long value = 0;
    long unit = 1;
    const char *p = text;

    if (*p == '\0') {
        *reason = "empty duration";
        return false;
    }
    if (!isdigit((unsigned char)*p)) {
        *reason = "a duration must start with a digit (e.g. 30s, 5m, 2h, or plain seconds)";
        return false;
    }
    for (; isdigit((unsigned char)*p); p++) {
        value = value * 10 + (*p - '0');
        if (value > PGD_DURATION_MAX_SECONDS) {
            *reason = "duration too long (at most 366d)";
            return false;
        }
    }
    switch (*p) {
    case '\0':
        break;
    case 's':
        unit = 1;
        p++;
        break;
    case 'm':
        unit = 60;
        p++;
        break;
    case 'h':
        unit = 3600;
        p++;
        break;
    case 'd':
        unit = 86400;
        p++;
        break;
    default:
        *reason = "unknown duration unit (use s, m, h or d)";
        return false;
    }
    if (*p != '\0') {
        *reason = "trailing characters after the duration unit";
        return false;
    }
    if (value > PGD_DURATION_MAX_SECONDS / unit) {
        *reason = "duration too long (at most 366d)";
        return false;
    }
    *seconds = value * unit;
    return true;
}
