/*
 * sqlstate.h - PostgreSQL's SQLSTATE codes and their condition names.
 *
 * Whether the server could not do something or the statement failed is
 * decided by SQLSTATE, never by matching message text (the message is
 * translated and may quote data); the condition name ("insufficient_privilege"
 * for 42501) makes a code readable in a report without the message.
 */
#ifndef PGDRILL_SQLSTATE_H
#define PGDRILL_SQLSTATE_H

#include <stdbool.h>
#include <stddef.h>

/* The condition name of a five-character SQLSTATE ("42501": "insufficient_privilege"), or NULL. */
const char *pgd_sqlstate_name(const char *sqlstate);

/* The name of its class ("42501": "syntax_error_or_access_rule_violation"), or NULL. */
const char *pgd_sqlstate_class_name(const char *sqlstate);

/* Is sqlstate in the class of the two characters class_code ("42")? */
bool pgd_sqlstate_in_class(const char *sqlstate, const char *class_code);

/* The table, for its test: code i (NULL past the end) and its name in *name. */
size_t pgd_sqlstate_count(void);
const char *pgd_sqlstate_code_at(size_t i, const char **name);

#endif
