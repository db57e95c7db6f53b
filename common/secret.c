/*
 * secret.c - registry of secrets that must never be printed.
 */
#include "secret.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static char **secrets;
static size_t secret_count;

void pgd_secret_register(const char *secret)
{
    if (secret == NULL || secret[0] == '\0')
        return;
    for (size_t i = 0; i < secret_count; i++) {
        if (strcmp(secrets[i], secret) == 0)
            return;
    }
    secrets = pgd_realloc(secrets, (secret_count + 1) * sizeof(*secrets));
    secrets[secret_count++] = pgd_strdup(secret);
}

void pgd_secret_clear(void)
{
    for (size_t i = 0; i < secret_count; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    secret_count = 0;
}

/* The registered secret that starts at text, longest first so a secret containing another is masked
 * whole. */
static size_t secret_at(const char *text)
{
    size_t best = 0;

    for (size_t i = 0; i < secret_count; i++) {
        size_t len = strlen(secrets[i]);

        if (len > best && strncmp(text, secrets[i], len) == 0)
            best = len;
    }
    return best;
}

char *pgd_secret_mask(const char *text)
{
    pgd_buf out;
    const char *p = text;

    if (secret_count == 0)
        return pgd_strdup(text);

    pgd_buf_init(&out);
    while (*p != '\0') {
        size_t len = secret_at(p);

        if (len > 0) {
            pgd_buf_append(&out, PGD_SECRET_MASK);
            p += len;
        } else {
            pgd_buf_append_n(&out, p, 1);
            p++;
        }
    }
    return pgd_buf_steal(&out);
}
