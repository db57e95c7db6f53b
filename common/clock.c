/*
 * clock.c - monotonic time for deadlines, wall time for reports.
 */
#include "clock.h"

#include "signals.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t pgd_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double pgd_wall_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double pgd_parse_utc(const char *text)
{
    struct tm tm;
    const char *rest;
    double fraction = 0;

    if (text == NULL)
        return -1;
    memset(&tm, 0, sizeof(tm));
    rest = strptime(text, "%Y-%m-%d", &tm);
    if (rest == NULL || (*rest != 'T' && *rest != ' '))
        return -1;
    rest = strptime(rest + 1, "%H:%M:%S", &tm);
    if (rest == NULL)
        return -1;
    if (*rest == '.')
        fraction = strtod(rest, NULL);
    return (double)timegm(&tm) + fraction;
}

int64_t pgd_ms_until(int64_t deadline_ms)
{
    int64_t left = deadline_ms - pgd_monotonic_ms();

    return left > 0 ? left : 0;
}

void pgd_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};

    /* Our signal handlers are installed without SA_RESTART, so EINTR means "look at the flag". */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        if (pgd_interrupted() != 0)
            return;
    }
}
