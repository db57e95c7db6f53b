/*
 * template.c - placeholders in the runners' templates (template.h).
 */
#include "template.h"

#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define DNS_LABEL_MAX 63
#define TEST_ID_PART  8

static const char *const names[FLEET_PH_COUNT] = {
    [FLEET_PH_SCOPE] = "scope",
    [FLEET_PH_STANZA] = "stanza",
    [FLEET_PH_TEST_ID] = "test_id",
    [FLEET_PH_SOURCE_HOST] = "source_host",
    [FLEET_PH_SOURCE_PORT] = "source_port",
    [FLEET_PH_LEADER] = "leader",
    [FLEET_PH_API_URL] = "api_url",
    [FLEET_PH_FOUND_IN] = "found_in",
    [FLEET_PH_DRILL_NAME] = "drill_name",
    [FLEET_PH_RECOVERY_TARGET] = "recovery_target",
};

const fleet_drill_variable fleet_drill_variables[] = {
    {"PGDRILL_TEST_ID", FLEET_PH_TEST_ID},
    {"PGDRILL_SOURCE_SCOPE", FLEET_PH_SCOPE},
    {"PGDRILL_STANZA", FLEET_PH_STANZA},
    {"PGDRILL_SOURCE_HOST", FLEET_PH_SOURCE_HOST},
    {"PGDRILL_SOURCE_PORT", FLEET_PH_SOURCE_PORT},
    {"PGDRILL_RECOVERY_TARGET", FLEET_PH_RECOVERY_TARGET},
};
const size_t fleet_drill_variable_count =
    sizeof(fleet_drill_variables) / sizeof(fleet_drill_variables[0]);

const char *fleet_placeholder_name(fleet_placeholder placeholder)
{
    return placeholder < FLEET_PH_COUNT ? names[placeholder] : NULL;
}

char *fleet_placeholder_list(void)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (int i = 0; i < FLEET_PH_COUNT; i++)
        pgd_buf_appendf(&out, "%s{%s}", i > 0 ? ", " : "", names[i]);
    return pgd_buf_steal(&out);
}

/* The placeholder named by the len characters at name, or FLEET_PH_COUNT. */
static fleet_placeholder lookup(const char *name, size_t len)
{
    for (int i = 0; i < FLEET_PH_COUNT; i++) {
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return (fleet_placeholder)i;
    }
    return FLEET_PH_COUNT;
}

/* The length of a placeholder-like name at p: lowercase letters and '_' up to '}', or 0. */
static size_t word_before_brace(const char *p)
{
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");

    return n > 0 && p[n] == '}' ? n : 0;
}

/*
 * Walk text: literal runs go to out (when not NULL), placeholders are looked up. False at the
 * first mistake, with *why. Lenient (manifests, whose shell scripts hold ${f%.conf} and
 * { ...; }): only "{word}" of lowercase letters and '_' is a placeholder, and must be a known
 * one; every other brace is itself, and there are no "{{" escapes.
 */
static bool walk(const char *text, const fleet_vars *vars, pgd_buf *out, char **why, bool lenient)
{
    const char *p = text;

    while (*p != '\0') {
        size_t word = *p == '{' ? word_before_brace(p + 1) : 0;

        if (!lenient && ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))) {
            if (out != NULL)
                pgd_buf_append_n(out, p, 1);
            p += 2;
        } else if (*p == '{' && (word > 0 || !lenient)) {
            const char *end = strchr(p + 1, '}');
            fleet_placeholder ph =
                end != NULL ? lookup(p + 1, (size_t)(end - p - 1)) : FLEET_PH_COUNT;

            if (ph == FLEET_PH_COUNT) {
                char *known = fleet_placeholder_list();

                if (end == NULL)
                    *why = pgd_asprintf("\"{\" without \"}\" (write \"{{\" for a brace)");
                else
                    *why = pgd_asprintf("unknown placeholder \"%.*s\" (known: %s%s)",
                                        (int)(end - p + 1), p, known,
                                        lenient ? "" : "; \"{{\" for a brace");
                free(known);
                return false;
            }
            if (out != NULL && vars->value[ph] != NULL)
                pgd_buf_append(out, vars->value[ph]);
            p = end + 1;
        } else if (*p == '}' && !lenient) {
            *why = pgd_asprintf("\"}\" without \"{\" (write \"}}\" for a brace)");
            return false;
        } else {
            size_t run = *p == '{' || *p == '}' ? 1 : strcspn(p, "{}");

            if (out != NULL)
                pgd_buf_append_n(out, p, run);
            p += run;
        }
    }
    return true;
}

bool fleet_template_check(const char *text, char **why)
{
    return walk(text, NULL, NULL, why, false);
}

static char *expand(const char *text, const fleet_vars *vars, bool lenient)
{
    pgd_buf out;
    char *why = NULL;

    pgd_buf_init(&out);
    if (!walk(text, vars, &out, &why, lenient)) {
        /* checked at load time; an unchecked template expands to what it says */
        free(why);
        pgd_buf_reset(&out);
        pgd_buf_append(&out, text);
    }
    return pgd_buf_steal(&out);
}

char *fleet_template_expand(const char *text, const fleet_vars *vars)
{
    return expand(text, vars, false);
}

bool fleet_manifest_check(const char *text, char **why)
{
    return walk(text, NULL, NULL, why, true);
}

char *fleet_manifest_expand(const char *text, const fleet_vars *vars)
{
    return expand(text, vars, true);
}

char *fleet_drill_name(const char *scope, const char *test_id)
{
    char name[DNS_LABEL_MAX + 1];
    size_t n = 0;
    size_t id_len = strlen(test_id) < TEST_ID_PART ? strlen(test_id) : TEST_ID_PART;
    size_t room = DNS_LABEL_MAX - 1 - id_len;

    /* letters and digits as they are (lowercased), anything else one '-', none at the start */
    for (const char *p = scope; *p != '\0' && n < room; p++) {
        unsigned char c = (unsigned char)*p;

        if (isalnum(c) && c < 0x80)
            name[n++] = (char)tolower(c);
        else if (n > 0 && name[n - 1] != '-')
            name[n++] = '-';
    }
    while (n > 0 && name[n - 1] == '-')
        n--;
    if (n == 0)
        name[n++] = 'x';
    name[n++] = '-';
    for (const char *p = test_id; p < test_id + id_len; p++) {
        unsigned char c = (unsigned char)*p;

        name[n++] = isalnum(c) && c < 0x80 ? (char)tolower(c) : 'x';
    }
    name[n] = '\0';
    return pgd_strdup(name);
}
