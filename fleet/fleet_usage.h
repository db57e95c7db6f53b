/*
 * fleet_usage.h - pgdrill-fleet's command line (--help, getopt, man page, README).
 */
#ifndef PGDRILL_FLEET_USAGE_H
#define PGDRILL_FLEET_USAGE_H

#include "usage.h"

/* getopt_long's values of the options without a short form. */
enum fleet_option_val {
    OPT_FLEET_JSON = PGD_USAGE_LONG_ONLY + 1,
};

extern const pgd_usage pgd_fleet_usage;

/* pgdrill-fleet's exit codes (README "pgdrill-fleet's exit codes"); *count is set. */
const pgd_exit_code_doc *fleet_exit_code_docs(size_t *count);

#endif
