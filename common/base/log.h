/*
 * log.h - timestamped log lines on stderr.
 *
 * Every line pgdrill prints goes through here so that two guarantees hold in
 * one place: each line carries a UTC timestamp, program name and level (an SRE
 * reading a Kubernetes log needs all three), and no registered secret can ever
 * be printed (see secret.h).
 */
#ifndef PGDRILL_LOG_H
#define PGDRILL_LOG_H

#include <stdarg.h>

typedef enum pgd_log_level {
    PGD_LOG_DEBUG = 0,
    PGD_LOG_INFO,
    PGD_LOG_WARNING,
    PGD_LOG_ERROR,
} pgd_log_level;

/* Set the program name shown on every line (defaults to "pgdrill"). */
void pgd_log_init(const char *progname);

/* Lines below this level are dropped; PGDRILL_LOG_LEVEL can lower it. */
void pgd_log_set_level(pgd_log_level level);
pgd_log_level pgd_log_get_level(void);

/* Parse "debug", "info", "warning", "error"; returns -1 when unknown. */
int pgd_log_level_from_name(const char *name);

const char *pgd_log_progname(void);

void pgd_log(pgd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pgd_vlog(pgd_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define pgd_debug(...) pgd_log(PGD_LOG_DEBUG, __VA_ARGS__)
#define pgd_info(...)  pgd_log(PGD_LOG_INFO, __VA_ARGS__)
#define pgd_warn(...)  pgd_log(PGD_LOG_WARNING, __VA_ARGS__)
#define pgd_error(...) pgd_log(PGD_LOG_ERROR, __VA_ARGS__)

#endif
