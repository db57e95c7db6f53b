/*
 * secret.h - the last line of defence against printing a secret.
 *
 * Every password found in a configured connection string and every token read
 * from a file is registered here as soon as it is known. The logger, the
 * report writer and the child-output relay pass text through
 * pgd_secret_mask(), so even a tool that echoes its command line (or an error
 * message that quotes a DSN) cannot leak it.
 */
#ifndef PGDRILL_SECRET_H
#define PGDRILL_SECRET_H

#define PGD_SECRET_MASK "********"

/* Remember a secret; empty strings are ignored. The string is copied. */
void pgd_secret_register(const char *secret);

/* Forget all secrets (used by tests). */
void pgd_secret_clear(void);

/* A newly allocated copy of text with every registered secret replaced by PGD_SECRET_MASK. */
char *pgd_secret_mask(const char *text);

#endif
