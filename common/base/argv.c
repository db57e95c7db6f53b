/*
 * argv.c - build a NULL-terminated argument vector that owns its strings.
 */
#include "argv.h"

#include "xalloc.h"

#include <stdarg.h>
#include <stdlib.h>

void pgd_argv_init(pgd_argv *argv)
{
    argv->items = pgd_calloc(1, sizeof(char *));
    argv->count = 0;
}

static void append_owned(pgd_argv *argv, char *arg)
{
    argv->items = pgd_realloc(argv->items, (argv->count + 2) * sizeof(char *));
    argv->items[argv->count++] = arg;
    argv->items[argv->count] = NULL;
}

void pgd_argv_add(pgd_argv *argv, const char *arg)
{
    append_owned(argv, pgd_strdup(arg));
}

void pgd_argv_addf(pgd_argv *argv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    append_owned(argv, pgd_vasprintf(fmt, ap));
    va_end(ap);
}

const char *const *pgd_argv_get(const pgd_argv *argv)
{
    return (const char *const *)argv->items;
}

void pgd_argv_free(pgd_argv *argv)
{
    for (size_t i = 0; i < argv->count; i++)
        free(argv->items[i]);
    free(argv->items);
    argv->items = NULL;
    argv->count = 0;
}
