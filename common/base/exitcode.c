/*
 * exitcode.c - what each exit code means, written once for --help, the man
 * pages and the README's "Exit codes" table (test_exitcode compares them).
 */
#include "exitcode.h"

static const pgd_exit_code_doc exit_codes[] = {
    {PGD_EXIT_OK, "passed",
     "this step succeeded (verify: the drill passed; --check-signature: the signature verifies)"},
    {PGD_EXIT_FAILED, "failed",
     "the backup was NOT proven restorable: a finding to page on (--check-signature: the report "
     "does not match its signature)"},
    {PGD_EXIT_USAGE, "usage", "bad arguments or configuration; nothing was done"},
    {PGD_EXIT_INCONCLUSIVE, "inconclusive",
     "the drill could not run (source unreachable, a tool missing, a deadline, a signal; "
     "--check-signature: the report or its signature could not be read)"},
};

const pgd_exit_code_doc *pgd_exit_code_docs(size_t *count)
{
    *count = sizeof(exit_codes) / sizeof(exit_codes[0]);
    return exit_codes;
}
