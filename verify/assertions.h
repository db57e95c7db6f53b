/*
 * assertions.h - verify.assertions: each {name, database, sql} is a check of
 * its own ("assertion:<name>").
 *
 * The SQL runs as a role that can only read (assertion_role.h), as exactly
 * one statement (the extended query protocol refuses more) inside a
 * READ ONLY transaction block that is never committed, verify.jobs of them
 * at a time, each on a session of its own (jobs_run_queries), with the drill's
 * target time in current_setting('pgdrill.target_time'). It holds when it
 * returns exactly one row holding one boolean, true; anything else, or an
 * error, is assertion_failed. A stop is never a finding: a termination
 * signal makes it interrupted, its statement timeout or verify.timeout
 * makes it timeout, a server that could not run it internal (all three
 * inconclusive). What it returned is described by shape and type, never
 * copied (docs/design.md, F25): no value of the restored data reaches the
 * report, the log, the history or the webhook.
 */
#ifndef PGDRILL_VERIFY_ASSERTIONS_H
#define PGDRILL_VERIFY_ASSERTIONS_H

#include "checks.h"
#include "pq.h"

extern const check_def check_assertion;

/* What a statement returned, without its values. */
typedef struct assertion_shape {
    ExecStatusType status; /* PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, a COPY */
    int rows;
    int columns;
    const char *const *types; /* the columns' type names (NULL: unknown), or NULL */
    bool one_boolean;         /* one row holding one boolean: value says which */
    int value;                /* 1 true, 0 false, -1 NULL */
    const char *command;      /* the command tag of a statement without rows ("SET") */
} assertion_shape;

/* The shape of res (types left NULL). */
void assertion_shape_of(const PGresult *res, assertion_shape *shape);

/*
 * "true", "false", "NULL", "1 row of 1 column of type text, not one
 * boolean", "3 rows of 2 columns of types integer, text, not one boolean",
 * ...; *passed only for true.
 */
char *assertion_describe(const assertion_shape *shape, bool *passed);

/*
 * The class of an assertion that failed with sqlstate (docs/design.md, F25):
 * PGD_ERR_TIMEOUT for a cancelled statement (statement_timeout),
 * PGD_ERR_INTERNAL when the server could not run it (connection lost,
 * out of resources, shutting down), else PGD_ERR_ASSERTION_FAILED.
 */
pgd_error_class assertion_error_class(const char *sqlstate, bool connection_lost);

/* Does PostgreSQL write this SQLSTATE's primary message without quoting data (F25)? */
bool assertion_message_shown(const char *sqlstate);

/*
 * "insufficient_privilege (SQLSTATE 42501): permission denied for ..." or,
 * where the message may quote data, "invalid_text_representation (SQLSTATE
 * 22P02; message not shown: ...)". primary may be NULL; DETAIL never comes in.
 */
char *assertion_describe_error(const char *sqlstate, const char *primary);

/* How far an assertion got. */
typedef enum assertion_stage {
    ASSERTION_NOT_STARTED, /* a termination signal, or verify.timeout left no time */
    ASSERTION_UNPREPARED,  /* its database could not be made ready for the role */
    ASSERTION_NO_LOGIN,    /* the role could not log in */
    ASSERTION_NO_ANSWER,   /* the server did not answer (end says why) */
    ASSERTION_ANSWERED,
} assertion_stage;

/* The facts of one assertion: what happened, never a value it read. */
typedef struct assertion_facts {
    const char *dbname;
    assertion_stage stage;
    bool interrupted;      /* a termination signal had arrived */
    long verify_timeout;   /* verify.timeout, for the detail */
    int64_t timeout_ms;    /* its statement timeout ... */
    bool deadline_rules;   /* ... which is what verify.timeout left */
    char *error;           /* why, before an answer */
    pgd_pq_end end;        /* ASSERTION_NO_ANSWER */
    ExecStatusType status; /* ASSERTION_ANSWERED: an error, or a result of this shape */
    char sqlstate[6];
    char *primary; /* the error's primary message (shown only for some SQLSTATEs) */
    bool connection_lost;
    assertion_shape shape;
    char **types;  /* owned: the column types named in shape */
    char *command; /* owned: shape.command */
} assertion_facts;

/* The pure judge of one assertion. */
void assertion_judge(const assertion_facts *facts, check_result *out);
void assertion_facts_free(assertion_facts *facts);

/*
 * Run items (verify.assertions; or verify.compare, with the comparisons'
 * salt: their SQL wrapped, their facts compare_facts, judged by def) each
 * as def's check "<def>:<name>", verify.jobs at a time, as the assertions'
 * role.
 */
void assertions_run(verify_run *run, const check_def *def, const pgd_assertions *items,
                    const char *salt);

/* Every item recorded as def's check "<def>:<name>", not run, for one reason. */
void assertions_none_run(verify_run *run, const check_def *def, const pgd_assertions *items,
                         pgd_error_class error_class, const char *hint, const char *why);

#endif
