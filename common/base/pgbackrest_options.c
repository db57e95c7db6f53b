/*
 * pgbackrest_options.c - pgBackRest's command-line options: how pgBackRest
 * reads them, and which of them pgdrill keeps for itself.
 */
#include "pgbackrest_options.h"

#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_OF(array) (sizeof(array) / sizeof((array)[0]))

/*
 * Options pgdrill-bootstrap sets itself on the restore (or takes from other
 * keys), by pgBackRest's canonical name with the index of indexed options
 * removed, and their deprecated names (F10): letting pgbackrest.options
 * override them would defeat the drill or write elsewhere. In the order
 * they are matched: a prefix resolves to the first name it begins
 * ("--t" is --type).
 */
static const struct reserved_option {
    const char *name;
    const char *shown;   /* how the refusal names it, when not by name */
    const char *instead; /* the key that sets it */
} reserved_options[] = {
    {"stanza", NULL, NULL},
    {"config", NULL, NULL},
    {"config-path", NULL, NULL},
    {"config-include-path", NULL, NULL},
    {"pg-path", NULL, NULL},
    {"db-path", "pg1-path", NULL},
    {"type", NULL, NULL},
    {"target", NULL, NULL},
    {"target-action", NULL, NULL},
    {"target-exclusive", NULL, NULL},
    {"archive-mode", NULL, NULL},
    {"delta", NULL, NULL},
    {"force", NULL, NULL},
    {"recovery-option", NULL, NULL},
    {"process-max", NULL, "pgbackrest.process_max"},
    {"set", NULL, "pgbackrest.set"},
    {"repo", NULL, "pgbackrest.repo"},
};

/*
 * Options pgBackRest 2.45 marks secure (src/build/config/config.yaml,
 * "secure: true" and the options that inherit it; docs/design.md, F30):
 * keys and passwords. pgBackRest refuses them on its command line, but only
 * once it runs, when the value is already in every local user's ps and in
 * pgdrill's "running:" log line. They belong in its configuration file or
 * its PGBACKREST_* environment, never in pgbackrest.options.
 */
static const char *const secure_options[] = {
    "repo-azure-account", "repo-azure-endpoint", "repo-azure-key",     "repo-cipher-pass",
    "repo-gcs-key",       "repo-s3-key",         "repo-s3-key-secret", "repo-s3-token",
};

bool pgd_pgbackrest_option_parse(const char *item, size_t len, pgd_pgbackrest_option *out)
{
    const char *name = item + 2;
    size_t name_len;
    const char *base;
    const char *dash;

    memset(out, 0, sizeof(*out));
    if (len < 2 || strncmp(item, "--", 2) != 0)
        return false;
    name_len = strcspn(name, "=");
    if (name_len > len - 2)
        name_len = len - 2;
    if (name_len == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") < name_len)
        return false;
    out->name = pgd_strndup(name, name_len);
    base = out->name;
    if (strncmp(base, "no-", 3) == 0 && base[3] != '\0')
        base += 3;
    else if (strncmp(base, "reset-", 6) == 0 && base[6] != '\0')
        base += 6;
    out->base = pgd_strdup(base);
    /* The index is the digits that end the first word: "repo2-s3-key", "db1-path". */
    dash = strchr(out->base, '-');
    if (dash != NULL) {
        size_t end = (size_t)(dash - out->base);
        size_t start = end;

        while (start > 0 && isdigit((unsigned char)out->base[start - 1]))
            start--;
        if (start > 0 && start < end) {
            out->index = (unsigned)strtoul(out->base + start, NULL, 10);
            memmove(out->base + start, out->base + end, strlen(out->base + end) + 1);
        }
    }
    return true;
}

void pgd_pgbackrest_option_free(pgd_pgbackrest_option *option)
{
    free(option->name);
    free(option->base);
    option->name = option->base = NULL;
}

const char *pgd_pgbackrest_option_resolve(const pgd_pgbackrest_option *option,
                                          const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strncmp(names[i], option->base, strlen(option->base)) == 0)
            return names[i];
    }
    return NULL;
}

const char *pgd_pgbackrest_item_resolves(const char *item, size_t len, const char *const *names,
                                         size_t count)
{
    pgd_pgbackrest_option option;
    const char *resolved;

    if (!pgd_pgbackrest_option_parse(item, len, &option))
        return NULL;
    resolved = pgd_pgbackrest_option_resolve(&option, names, count);
    pgd_pgbackrest_option_free(&option);
    return resolved;
}

bool pgd_pgbackrest_items_set(const char *const *items, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        if (pgd_pgbackrest_item_resolves(items[i], strlen(items[i]), &name, 1) != NULL)
            return true;
    }
    return false;
}

char *pgd_pgbackrest_option_env(const pgd_pgbackrest_option *option, const char *canonical)
{
    char *env;

    if (strncmp(canonical, "repo-", 5) == 0)
        env = pgd_asprintf("PGBACKREST_REPO%u%s", option->index ? option->index : 1,
                           canonical + strlen("repo"));
    else
        env = pgd_asprintf("PGBACKREST_%s", canonical);
    for (char *p = env; *p != '\0'; p++)
        *p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    return env;
}

/* The first of reserved_options option resolves to, or NULL. */
static const struct reserved_option *find_reserved(const pgd_pgbackrest_option *option)
{
    for (size_t i = 0; i < N_OF(reserved_options); i++) {
        if (pgd_pgbackrest_option_resolve(option, &reserved_options[i].name, 1) != NULL)
            return &reserved_options[i];
    }
    return NULL;
}

/*
 * "--repo1-s3-key": refused with where the secret belongs (its environment
 * variable is pgBackRest's name for it with its index).
 */
static char *refuse_secure(const pgd_pgbackrest_option *option, const char *secure)
{
    char *env = pgd_pgbackrest_option_env(option, secure);
    char *why = pgd_asprintf("\"--%s\" is pgBackRest's secure option --%s: its value would show in "
                             "the process list and in pgdrill's log; set it in pgBackRest's "
                             "configuration file (pgbackrest.config) or in the environment "
                             "pgdrill runs in as %s",
                             option->name, secure, env);

    free(env);
    return why;
}

char *pgd_pgbackrest_option_refused(const char *item, size_t number)
{
    pgd_pgbackrest_option option;
    const struct reserved_option *reserved;
    const char *secure;
    char *why = NULL;

    if (strncmp(item, "--", 2) != 0)
        return pgd_asprintf("list item %zu does not start with \"--\": pgBackRest options are "
                            "written --name[=value], the value after \"=\" in the same item",
                            number);
    if (!pgd_pgbackrest_option_parse(item, strlen(item), &option))
        return pgd_asprintf("list item %zu is not a pgBackRest option: names are lowercase "
                            "letters, digits and dashes, written --name[=value]",
                            number);
    reserved = find_reserved(&option);
    secure = pgd_pgbackrest_option_resolve(&option, secure_options, N_OF(secure_options));
    if (reserved != NULL) {
        char *instead = reserved->instead ? pgd_asprintf(" (use %s)", reserved->instead) : NULL;

        why = pgd_asprintf("\"--%s\" is --%s, which pgdrill sets itself%s", option.name,
                           reserved->shown ? reserved->shown : reserved->name,
                           instead ? instead : "");
        free(instead);
    } else if (secure != NULL)
        why = refuse_secure(&option, secure);
    pgd_pgbackrest_option_free(&option);
    return why;
}
