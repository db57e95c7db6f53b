/*
 * assertions.h - verify.assertions: each {name, database, sql} is a check of
 * its own ("assertion:<name>"). The SQL runs in a read-only session with
 * verify.assertion_timeout as statement timeout and the drill's target time
 * in current_setting('pgdrill.target_time'); it must return exactly one row
 * holding one boolean, true. Anything else, or an error, is assertion_failed.
 */
#ifndef PGDRILL_VERIFY_ASSERTIONS_H
#define PGDRILL_VERIFY_ASSERTIONS_H

#include "checks.h"

void check_assertions(verify_run *run);

#endif
