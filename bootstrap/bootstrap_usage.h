/*
 * bootstrap_usage.h - pgdrill-bootstrap's command line (--help, getopt, man page, README).
 */
#ifndef PGDRILL_BOOTSTRAP_USAGE_H
#define PGDRILL_BOOTSTRAP_USAGE_H

#include "usage.h"

/* getopt_long's values of the options without a short form. */
enum bootstrap_option_val {
    OPT_SCOPE = PGD_USAGE_LONG_ONLY + 1,
    OPT_DATADIR,
    OPT_TEST_ID,
    OPT_TARGET_TIME,
    OPT_SOURCE_SCOPE,
    OPT_STANZA,
    OPT_SOURCE_HOST,
    OPT_SOURCE_PORT,
    OPT_STATE_DIR,
    OPT_RECOVERY_TARGET,
};

extern const pgd_usage pgd_bootstrap_usage;

#endif
