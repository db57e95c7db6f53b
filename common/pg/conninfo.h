/*
 * conninfo.h - libpq connection strings: validity, printable form, rewriting.
 *
 * The one home of connection-string handling. Parsing is always left to
 * libpq (PQconninfoParse), so what we print or rewrite is exactly what
 * connecting would have understood, quoting and URI escapes included; which
 * keywords are secret is libpq's own list (PQconndefaults' dispchar "*":
 * password and sslpassword in PostgreSQL 15), not ours.
 *
 * Nothing here registers secrets behind the caller's back: whoever loads a
 * connection string calls pgd_conninfo_register_secrets() once, visibly.
 */
#ifndef PGDRILL_CONNINFO_H
#define PGDRILL_CONNINFO_H

#include "xalloc.h"

#include <stdbool.h>
#include <stddef.h>

/* True when conninfo is a valid libpq connection string (key=value or postgresql:// URI). */
bool pgd_conninfo_valid(const char *conninfo);

/* Does libpq treat this keyword's value as a secret (password, sslpassword, ...)? */
bool pgd_conninfo_keyword_is_secret(const char *keyword);

/*
 * Tell secret.h about conninfo: its secret values are to be masked in free
 * text (the percent-encoded form of a URI password too), its other values
 * (host, user, dbname, ...) are public names that are printed anyway.
 */
void pgd_conninfo_register_secrets(const char *conninfo);

/*
 * The settings of conninfo as "key=value" pairs, secret values replaced by
 * PGD_SECRET_MASK. An unparseable string yields a placeholder instead of
 * echoing text that might hold a password.
 */
char *pgd_conninfo_redact(const char *conninfo);

/* Append value in conninfo syntax: quoted when empty or holding spaces, quotes or backslashes. */
void pgd_conninfo_append_value(pgd_buf *out, const char *value);

/* A secret taken out of a connection string, for a child's environment or a 0600 file. */
typedef struct pgd_conninfo_secret {
    char *keyword;
    char *value;
    const char *envvar; /* libpq's environment variable for it (PGPASSWORD), or NULL */
} pgd_conninfo_secret;

typedef struct pgd_conninfo_secrets {
    pgd_conninfo_secret *items;
    size_t count;
} pgd_conninfo_secrets;

/*
 * conninfo (key=value or URI) as key=value pairs with dbname set to dbname
 * (NULL: unchanged). With secrets non-NULL every secret keyword is taken
 * out and handed over in *secrets (free with pgd_conninfo_secrets_free),
 * so that the string can go on a command line; with secrets NULL they stay
 * in the string. NULL when conninfo is invalid.
 */
char *pgd_conninfo_rewrite(const char *conninfo, const char *dbname, pgd_conninfo_secrets *secrets);

void pgd_conninfo_secrets_free(pgd_conninfo_secrets *secrets);

/*
 * conninfo (key=value or URI) as key=value pairs with host and port replaced (either may
 * be NULL: unchanged); a new host drops hostaddr, which would otherwise win over it. The
 * other keywords stay, passfile and secrets included. NULL when conninfo is invalid.
 */
char *pgd_conninfo_with_host(const char *conninfo, const char *host, const char *port);

/* The value of keyword in conninfo (caller frees), or NULL when unset or invalid. */
char *pgd_conninfo_get(const char *conninfo, const char *keyword);

#endif
