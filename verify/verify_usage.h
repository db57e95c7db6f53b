/*
 * verify_usage.h - pgdrill-verify's command line (--help, getopt, man page, README).
 */
#ifndef PGDRILL_VERIFY_USAGE_H
#define PGDRILL_VERIFY_USAGE_H

#include "usage.h"

/* getopt_long's values of the long-only options. */
#define OPT_VERIFY_STATE_DIR       (PGD_USAGE_LONG_ONLY + 1)
#define OPT_VERIFY_CHECK_SIGNATURE (PGD_USAGE_LONG_ONLY + 2)
#define OPT_VERIFY_PUBLIC_KEY      (PGD_USAGE_LONG_ONLY + 3)

extern const pgd_usage pgd_verify_usage;

#endif
