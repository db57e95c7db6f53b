/*
 * exitcode.h - the exit codes both binaries promise (README, "Exit codes").
 */
#ifndef PGDRILL_EXITCODE_H
#define PGDRILL_EXITCODE_H

enum pgd_exit_code {
    PGD_EXIT_OK = 0,           /* this step succeeded */
    PGD_EXIT_FAILED = 1,       /* the backup was NOT proven restorable */
    PGD_EXIT_USAGE = 2,        /* bad arguments or configuration; nothing was done */
    PGD_EXIT_INCONCLUSIVE = 3, /* the drill could not run */
};

#endif
