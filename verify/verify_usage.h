/*
 * verify_usage.h - pgdrill-verify's command line (--help, getopt, man page, README).
 */
#ifndef PGDRILL_VERIFY_USAGE_H
#define PGDRILL_VERIFY_USAGE_H

#include "usage.h"

/* getopt_long's value of --state-dir (no short form). */
#define OPT_VERIFY_STATE_DIR (PGD_USAGE_LONG_ONLY + 1)

extern const pgd_usage pgd_verify_usage;

#endif
