/*
 * argv.h - build a NULL-terminated argument vector that owns its strings.
 */
#ifndef PGDRILL_ARGV_H
#define PGDRILL_ARGV_H

#include <stddef.h>

typedef struct pgd_argv {
    char **items; /* always NULL-terminated */
    size_t count;
} pgd_argv;

void pgd_argv_init(pgd_argv *argv);
void pgd_argv_add(pgd_argv *argv, const char *arg);
void pgd_argv_addf(pgd_argv *argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *const *pgd_argv_get(const pgd_argv *argv);
void pgd_argv_free(pgd_argv *argv);

#endif
