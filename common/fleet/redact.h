/*
 * redact.h - printable forms of URLs (connection strings: conninfo.h).
 *
 * A webhook URL is useful in a message ("delivery to https://... failed")
 * but may embed a password or a token in its query.
 */
#ifndef PGDRILL_REDACT_H
#define PGDRILL_REDACT_H

/*
 * url with the password of its user-info and the values of query parameters
 * that carry credentials (token, key, secret, password, signature, ...)
 * replaced by PGD_SECRET_MASK. An unparseable URL yields a placeholder.
 */
char *pgd_url_redact(const char *url);

/* Register the secrets pgd_url_redact() would hide with secret.h. */
void pgd_url_register_secrets(const char *url);

#endif
