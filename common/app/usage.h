/*
 * usage.h - a binary's command line, described once: --help prints it,
 * getopt_long's tables are made from it (so an option cannot be parsed
 * without being documented), the man pages are generated from it
 * (man/gen-man.c) and a unit test holds the README's option tables to it.
 */
#ifndef PGDRILL_USAGE_H
#define PGDRILL_USAGE_H

#include "config.h"
#include "exitcode.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* An option's val at or above this has no short form (--scope, not -s). */
#define PGD_USAGE_LONG_ONLY 256

typedef struct pgd_usage_option {
    int val; /* getopt_long's value: the short option's letter, or PGD_USAGE_LONG_ONLY + n */
    const char *name; /* the long option, without "--" */
    const char *arg;  /* the argument's name ("PATH"), "[PATH]" when it may be left out (long
                         form only: --name[=PATH]), NULL when it takes none */
    const char *help; /* plain text, one line when the terminal is wide enough; wrapped */
} pgd_usage_option;

typedef struct pgd_usage_env {
    const char *name; /* PGDRILL_CONFIG */
    const char *help; /* plain text */
} pgd_usage_env;

typedef struct pgd_usage {
    const char *program;              /* "pgdrill-bootstrap" */
    const char *summary;              /* the man page's NAME line, after "program - " */
    const char *description;          /* follows the program's name: "runs ..."; plain text */
    const char *synopsis;             /* follows the program's name: "[OPTION]... [CONNINFO]" */
    const char *operands;             /* a paragraph after the options, or NULL */
    const pgd_usage_option *options;  /* ends with an entry whose name is NULL */
    const pgd_usage_env *environment; /* ends with an entry whose name is NULL */
    /* The exit codes --help lists; NULL: the drill's (exitcode.h) */
    const pgd_exit_code_doc *(*exit_codes)(size_t *count);
} pgd_usage;

/* The rows both binaries have; -v, -V and -h are handled by pgd_cli_common_option(). */
#define PGD_USAGE_CONFIG_OPTION                                                                    \
    {                                                                                              \
        'c', "config", "PATH",                                                                     \
            "configuration file (default: $PGDRILL_CONFIG or " PGD_DEFAULT_CONFIG_PATH ")"         \
    }
#define PGD_USAGE_CHECK_CONFIG_VAL (PGD_USAGE_LONG_ONLY + 0)
#define PGD_USAGE_CHECK_CONFIG_OPTION                                                              \
    {                                                                                              \
        PGD_USAGE_CHECK_CONFIG_VAL, "check-config", NULL,                                          \
            "check the configuration file, then exit (0 valid, 2 not)"                             \
    }
#define PGD_USAGE_COMMON_OPTIONS                                                                   \
    {'v', "verbose", NULL, "log debug messages too"},                                              \
        {'V', "version", NULL, "output version information, then exit"},                           \
    {                                                                                              \
        'h', "help", NULL, "show this help, then exit"                                             \
    }
#define PGD_USAGE_CONFIG_ENV                                                                       \
    {"PGDRILL_CONFIG", "the configuration file when --config is not given"},                       \
    {                                                                                              \
        "PGDRILL_LOG_LEVEL", "debug, info, warning or error: the least severe message logged "     \
                             "(default info; --verbose means debug)"                               \
    }

/* The option as --help and the README show it: "-c, --config=PATH" or "--scope=NAME". */
void pgd_usage_flags(const pgd_usage_option *option, char *buf, size_t size);

/* The argument's name without the brackets of an optional one; *optional says which. */
const char *pgd_usage_arg_name(const pgd_usage_option *option, char *buf, size_t size,
                               int *optional);

/* --help on out: description, usage, options, operands, environment, exit status. */
void pgd_usage_print(const pgd_usage *usage, FILE *out);

/*
 * getopt_long's tables from usage->options: longopts with room for max_long
 * entries (the terminator included), shortopts for max_short bytes ("c:vVh").
 * Aborts when they do not fit: a programming error.
 */
void pgd_usage_getopt(const pgd_usage *usage, struct option *longopts, size_t max_long,
                      char *shortopts, size_t max_short);

#endif
