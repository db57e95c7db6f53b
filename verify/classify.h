/*
 * classify.h - "the instance could not" or "a finding", by SQLSTATE.
 *
 * A check that could not look is not a finding: the drill is then
 * inconclusive, and the backup was not judged. PostgreSQL's own tools tell
 * the two apart by SQLSTATE, never by message text. pg_dump and pg_amcheck
 * print a server's error as libpq formats it by default, without its
 * SQLSTATE. pg_amcheck --verbose prints it ("ERROR:  42501: permission
 * denied ..."), and verify runs it so; pg_dump has no way to (docs/design.md,
 * F60): its lines are matched against PostgreSQL's own message texts, which
 * the runner makes untranslated (jobs.h), each text standing for the
 * SQLSTATE PostgreSQL raises it with. From the SQLSTATE on, the decision is
 * the same as for an error verify reads from libpq itself.
 */
#ifndef PGDRILL_VERIFY_CLASSIFY_H
#define PGDRILL_VERIFY_CLASSIFY_H

#include <stdbool.h>

/*
 * Did the instance, not the data, stop a statement it answered? Insufficient
 * resources (53), operator intervention (57: a cancel, a shutdown, a crash).
 * Everything else is about what the statement did (a connection exception,
 * 08, is one the statement itself opened: dblink's).
 */
bool classify_instance_sqlstate(const char *sqlstate);

/*
 * The SQLSTATE of a line a child program printed, when it holds one of the
 * messages of classify.c's table (PostgreSQL's and libpq's untranslated
 * texts), else NULL.
 */
const char *classify_message_sqlstate(const char *line);

/*
 * The SQLSTATE of a line libpq formatted verbosely ("ERROR:  42501: ...",
 * also FATAL and PANIC), copied into out; NULL when it holds none.
 */
const char *classify_verbose_sqlstate(const char *line, char out[6]);

/*
 * Does this SQLSTATE stop a child program, which runs as verify's own user,
 * for the instance (classify_instance_sqlstate), for its own connection
 * (08) or for want of a privilege (42501: verify's user, not the data)?
 */
bool classify_child_sqlstate(const char *sqlstate);

/*
 * classify_child_sqlstate of a line's SQLSTATE: the verbose one it holds,
 * else the one of a known message. A line with neither: no.
 */
bool classify_child_stopped(const char *line);

#endif
