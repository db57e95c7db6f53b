/*
 * clock.c - monotonic time for deadlines, wall time for reports.
 */
#include "clock.h"

#include "signals.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
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

/* Exactly n decimal digits at *p, advancing it. */
static bool take_digits(const char **p, int n, int *out)
{
    int value = 0;

    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return false;
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = value;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* "Z", "+HH", "+HH:MM" or "+HHMM" (or -) at p, the whole rest of the text; seconds east. */
static bool take_offset(const char *p, long *seconds, const char **why)
{
    int hours = 0, minutes = 0;
    int sign;
    bool ok;

    if (strcmp(p, "Z") == 0) {
        *seconds = 0;
        return true;
    }
    if (*p != '+' && *p != '-') {
        *why = *p == '\0' ? "no UTC offset (write +00 or Z)" : "unexpected text after the time";
        return false;
    }
    sign = *p == '-' ? -1 : 1;
    p++;
    ok = take_digits(&p, 2, &hours);
    if (ok && *p == ':') {
        p++;
        ok = take_digits(&p, 2, &minutes);
    } else if (ok && *p != '\0')
        ok = take_digits(&p, 2, &minutes);
    if (!ok || *p != '\0') {
        *why = "the UTC offset is not +HH, +HH:MM or +HHMM";
        return false;
    }
    if (hours > 15 || minutes > 59) {
        *why = "the UTC offset is out of range";
        return false;
    }
    *seconds = sign * (hours * 3600L + minutes * 60L);
    return true;
}

bool pgd_parse_timestamp_us(const char *text, int64_t *us, const char **why)
{
    const char *p = text;
    const char *ignored = NULL;
    struct tm tm;
    int year, month, day, hour, minute, second;
    int64_t fraction_us = 0;
    long offset;

    why = why != NULL ? why : &ignored;
    *why = "not YYYY-MM-DD HH:MM:SS[.ffffff] with a UTC offset";
    if (text == NULL)
        return false;
    if (!take_digits(&p, 4, &year) || *p++ != '-' || !take_digits(&p, 2, &month) || *p++ != '-' ||
        !take_digits(&p, 2, &day) || (*p != ' ' && *p != 'T'))
        return false;
    p++;
    if (!take_digits(&p, 2, &hour) || *p++ != ':' || !take_digits(&p, 2, &minute) || *p++ != ':' ||
        !take_digits(&p, 2, &second))
        return false;
    if (*p == '.') {
        const char *start = ++p;
        int64_t scale = 100000;

        while (*p >= '0' && *p <= '9') {
            fraction_us += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
        /* PostgreSQL keeps microseconds: a finer instant would be rounded by someone. */
        if (p == start || p - start > 6)
            return false;
    }
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
        *why = "no such date";
        return false;
    }
    if (hour > 23 || minute > 59 || second > 59) {
        *why = "no such time of day";
        return false;
    }
    if (!take_offset(p, &offset, why))
        return false;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    *why = NULL;
    *us = ((int64_t)timegm(&tm) - offset) * 1000000 + fraction_us;
    return true;
}

double pgd_parse_timestamp(const char *text, const char **why)
{
    int64_t us;
    int64_t whole;

    if (!pgd_parse_timestamp_us(text, &us, why))
        return -1;
    /* whole seconds and fraction apart: the sum rounds as the text's own digits would */
    whole = us / 1000000;
    return (double)whole + (double)(us % 1000000) / 1e6;
}

char *pgd_format_us(int64_t us, pgd_us_form form, char *buf, size_t size)
{
    time_t whole = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    long micro = (long)(us - (int64_t)whole * 1000000);
    struct tm tm;
    char stamp[32];

    gmtime_r(&whole, &tm);
    if (form == PGD_US_TARGET) {
        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(buf, size, "%s.%06ld+00", stamp, micro);
    } else {
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%06ldZ", stamp, micro);
    }
    return buf;
}

double pgd_parse_utc(const char *text)
{
    return pgd_parse_timestamp(text, NULL);
}

char *pgd_format_utc(double unix_seconds, bool milliseconds, char *buf, size_t size)
{
    time_t whole = (time_t)floor(unix_seconds);
    int ms = (int)((unix_seconds - (double)whole) * 1000.0);
    struct tm tm;
    char stamp[32];

    gmtime_r(&whole, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    if (milliseconds)
        snprintf(buf, size, "%s.%03dZ", stamp, ms > 999 ? 999 : ms);
    else
        snprintf(buf, size, "%sZ", stamp);
    return buf;
}

char *pgd_utc_now(char *buf, size_t size)
{
    return pgd_format_utc(pgd_wall_seconds(), true, buf, size);
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
