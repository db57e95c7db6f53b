/*
 * bytesize.c - parse sizes.
 */
#include "bytesize.h"

#include <ctype.h>
#include <strings.h>

static const struct {
    const char *name;
    long factor;
} units[] = {
    {"", 1},
    {"B", 1},
    {"kB", 1024L},
    {"KiB", 1024L},
    {"MB", 1024L * 1024},
    {"MiB", 1024L * 1024},
    {"GB", 1024L * 1024 * 1024},
    {"GiB", 1024L * 1024 * 1024},
    {"TB", 1024L * 1024 * 1024 * 1024},
    {"TiB", 1024L * 1024 * 1024 * 1024},
};

bool pgd_parse_bytesize(const char *text, long *bytes, const char **reason)
{
    long value = 0;
    const char *p = text;

    if (!isdigit((unsigned char)*p)) {
        *reason = "a size must start with a digit (e.g. 512MB, 1GB, or plain bytes)";
        return false;
    }
    for (; isdigit((unsigned char)*p); p++) {
        value = value * 10 + (*p - '0');
        if (value > PGD_BYTESIZE_MAX) {
            *reason = "size too large (at most 1TB)";
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        /* "kb", "mb", "gib": case does not matter, there is no bit unit to confuse. */
        if (strcasecmp(p, units[i].name) != 0)
            continue;
        if (value > PGD_BYTESIZE_MAX / units[i].factor) {
            *reason = "size too large (at most 1TB)";
            return false;
        }
        *bytes = value * units[i].factor;
        return true;
    }
    *reason = "unknown size unit (use B, kB, MB, GB, TB or KiB, MiB, GiB, TiB)";
    return false;
}
