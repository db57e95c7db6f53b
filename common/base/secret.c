/*
 * secret.c - registry of secrets that must never be printed.
 */
#include "secret.h"

#include "xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct string_set {
    char **items;
    size_t count;
} string_set;

static string_set secrets;
static string_set public_names;

static bool set_contains(const string_set *set, const char *value)
{
    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->items[i], value) == 0)
            return true;
    }
    return false;
}

static void set_add(string_set *set, const char *value)
{
    if (set_contains(set, value))
        return;
    set->items = pgd_realloc(set->items, (set->count + 1) * sizeof(*set->items));
    set->items[set->count++] = pgd_strdup(value);
}

static void set_clear(string_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->items[i]);
    free(set->items);
    set->items = NULL;
    set->count = 0;
}

void pgd_secret_register(const char *secret)
{
    if (secret != NULL && strlen(secret) >= PGD_SECRET_MIN_LENGTH)
        set_add(&secrets, secret);
}

void pgd_secret_declare_public(const char *value)
{
    if (value != NULL && value[0] != '\0')
        set_add(&public_names, value);
}

void pgd_secret_clear(void)
{
    set_clear(&secrets);
    set_clear(&public_names);
}

/*
 * The registered secret that starts at text, longest first so a secret
 * containing another is masked whole; public names do not count.
 */
static size_t secret_at(const char *text)
{
    size_t best = 0;

    for (size_t i = 0; i < secrets.count; i++) {
        size_t len = strlen(secrets.items[i]);

        if (len > best && strncmp(text, secrets.items[i], len) == 0 &&
            !set_contains(&public_names, secrets.items[i]))
            best = len;
    }
    return best;
}

char *pgd_secret_mask(const char *text)
{
    pgd_buf out;
    const char *p = text;

    if (secrets.count == 0)
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
