/*
 * verify_usage.h - pgdrill-verify's command line (--help, getopt, man page, README).
 */
#ifndef PGDRILL_VERIFY_USAGE_H
#define PGDRILL_VERIFY_USAGE_H

#include "usage.h"

extern const pgd_usage pgd_verify_usage;

#endif
