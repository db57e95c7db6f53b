/*
 * exitcode.h - the exit codes both binaries promise (README, "Exit codes").
 */
#ifndef PGDRILL_EXITCODE_H
#define PGDRILL_EXITCODE_H

#include <stddef.h>

enum pgd_exit_code {
    PGD_EXIT_OK = 0,           /* this step succeeded */
    PGD_EXIT_FAILED = 1,       /* the backup was NOT proven restorable */
    PGD_EXIT_USAGE = 2,        /* bad arguments or configuration; nothing was done */
    PGD_EXIT_INCONCLUSIVE = 3, /* the drill could not run */
};

/* One row of the README's "Exit codes" table. */
typedef struct pgd_exit_code_doc {
    int code;
    const char *verdict; /* the verdict name the code stands for */
    const char *meaning; /* plain text: --help prints it as it is */
} pgd_exit_code_doc;

/*
 * Every exit code, in order; --help, the man pages and the README's table
 * show these rows (a unit test holds the README to them). *count is set.
 */
const pgd_exit_code_doc *pgd_exit_code_docs(size_t *count);

#endif
