/*
 * secret.h - the last line of defence against printing a secret.
 *
 * Secrets are kept out of output by construction first: connection strings
 * are printed redacted (conninfo.h), tokens never. As a second line, every
 * password found in a configured connection string and every token read
 * from a file is registered here, and free text (log lines, child output,
 * messages and details in the report, the webhook body) is passed through
 * pgd_secret_mask() on its way out.
 *
 * Masking must never corrupt data: it is applied at output only, never to
 * values the drill goes on using (a test id, a database name, a target
 * time); a secret shorter than PGD_SECRET_MIN_LENGTH is not masked in free
 * text (it would blank out ordinary words); and a secret that equals a name
 * the drill prints in its own right (a database, user or host name, the
 * scope) is not masked either: masking it there hides nothing and garbles
 * what an SRE reads.
 */
#ifndef PGDRILL_SECRET_H
#define PGDRILL_SECRET_H

#define PGD_SECRET_MASK       "********"
#define PGD_SECRET_MIN_LENGTH 6

/* Remember a secret; shorter than PGD_SECRET_MIN_LENGTH is ignored. The string is copied. */
void pgd_secret_register(const char *secret);

/* Remember a name that is printed anyway (database, user, host, scope): never masked. */
void pgd_secret_declare_public(const char *value);

/* Forget all secrets and public names (used by tests). */
void pgd_secret_clear(void);

/* A newly allocated copy of text with every registered secret replaced by PGD_SECRET_MASK. */
char *pgd_secret_mask(const char *text);

#endif
