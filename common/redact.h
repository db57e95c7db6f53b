/*
 * redact.h - printable forms of connection strings and URLs.
 *
 * A DSN or webhook URL is useful in an error message ("could not connect to
 * host=orders-primary ...") but may embed a password. These functions give
 * the form that may be printed; they also register what they hide with
 * secret.h so that the same password is masked wherever else it shows up.
 */
#ifndef PGDRILL_REDACT_H
#define PGDRILL_REDACT_H

#include <stdbool.h>

/*
 * True when conninfo is a valid libpq connection string (key=value or
 * postgresql:// URI). Registers its password and sslpassword as secrets.
 */
bool pgd_conninfo_valid(const char *conninfo);

/*
 * The settings of conninfo as "key=value" pairs, with password and
 * sslpassword replaced by PGD_SECRET_MASK. An unparseable string yields a
 * placeholder instead of echoing text that might hold a password.
 */
char *pgd_conninfo_redact(const char *conninfo);

/*
 * url with the password of its user-info and the values of query parameters
 * that carry credentials (token, key, secret, password, signature, ...)
 * replaced by PGD_SECRET_MASK. An unparseable URL yields a placeholder.
 */
char *pgd_url_redact(const char *url);

#endif
