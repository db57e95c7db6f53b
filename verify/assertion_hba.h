/*
 * assertion_hba.h - let the assertions' role in where pg_hba.conf does not.
 *
 * Patroni 3.0.2 runs post_bootstrap after a custom bootstrap with a
 * pg_hba.conf of its own that admits only its superuser and its replication
 * user (docs/design.md, F12): the role verify creates for assertions cannot
 * log in there, whatever patroni.yml says. When its login is refused, verify
 * puts two lines for that role alone, password required (scram-sha-256),
 * first into the instance's hba_file, reloads the configuration, and writes
 * the file back as it was when the assertions are done. The file is written
 * by the server (verify may run on another host), through verify's superuser
 * connection (F23).
 */
#ifndef PGDRILL_VERIFY_ASSERTION_HBA_H
#define PGDRILL_VERIFY_ASSERTION_HBA_H

#include "checks.h"

/*
 * Add the role's lines and reload. False with *errmsg when that failed.
 * *original is the file as it was (hexadecimal) whenever the file was
 * changed, even if the reload then failed: pass it to assertion_hba_close.
 */
bool assertion_hba_open(verify_run *run, const char *role, char **original, char **errmsg);

/* Write the file back as it was and reload, also after a termination signal; warns on failure. */
void assertion_hba_close(verify_run *run, const char *original);

#endif
