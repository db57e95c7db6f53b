/*
 * log.c - timestamped, secret-masked log lines on stderr.
 */
#include "log.h"

#include "clock.h"
#include "secret.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_progname = "pgdrill";
static pgd_log_level log_min_level = PGD_LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

void pgd_log_init(const char *progname)
{
    const char *env = getenv("PGDRILL_LOG_LEVEL");

    if (progname != NULL) {
        const char *slash = strrchr(progname, '/');
        log_progname = slash ? slash + 1 : progname;
    }
    if (env != NULL && pgd_log_level_from_name(env) >= 0)
        log_min_level = (pgd_log_level)pgd_log_level_from_name(env);
}

void pgd_log_set_level(pgd_log_level level)
{
    log_min_level = level;
}

pgd_log_level pgd_log_get_level(void)
{
    return log_min_level;
}

int pgd_log_level_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(name, level_names[i]) == 0)
            return (int)i;
    }
    if (strcasecmp(name, "warn") == 0)
        return PGD_LOG_WARNING;
    return -1;
}

const char *pgd_log_progname(void)
{
    return log_progname;
}

void pgd_vlog(pgd_log_level level, const char *fmt, va_list ap)
{
    char stamp[40];
    char *text;
    char *masked;

    if (level < log_min_level)
        return;

    pgd_utc_now(stamp, sizeof(stamp));
    text = pgd_vasprintf(fmt, ap);
    masked = pgd_secret_mask(text);

    /* One fprintf per line so concurrent writers (children) do not interleave mid-line. */
    fprintf(stderr, "%s %s[%ld] %s: %s\n", stamp, log_progname, (long)getpid(), level_names[level],
            masked);
    fflush(stderr);
    free(masked);
    free(text);
}

void pgd_log(pgd_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pgd_vlog(level, fmt, ap);
    va_end(ap);
}
