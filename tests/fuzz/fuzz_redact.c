/*
 * fuzz_redact.c - the printable forms of connection strings (common/pg/conninfo.c)
 * and URLs (common/fleet/redact.c), secret registration and the secret mask
 * (common/base/secret.c) on arbitrary text.
 *
 * Invariant: when libpq accepts the text as a connection string with a
 * password of at least 6 bytes, the redacted form does not contain that
 * password - unless the same text is there whatever the password is (a
 * keyword, another setting's value, the mask): the form is checked against
 * the one of the same settings with a different password, and the two must
 * be identical.
 */
#include "conninfo.h"
#include "redact.h"
#include "secret.h"

#include "fuzz_input.h"

#include <libpq-fe.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN_CHECKED_PASSWORD 6
#define OTHER_PASSWORD       "-"

/* conninfo's settings as key='value' pairs, with password replaced; NULL when libpq rejects it. */
static char *with_other_password(const char *conninfo, char **password)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    pgd_buf out;

    PQfreemem(err);
    *password = NULL;
    if (opts == NULL)
        return NULL;
    pgd_buf_init(&out);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        const char *value = o->val;

        if (value == NULL)
            continue;
        if (strcmp(o->keyword, "password") == 0) {
            *password = pgd_strdup(value);
            value = OTHER_PASSWORD;
        }
        pgd_buf_appendf(&out, "%s%s='", out.len > 0 ? " " : "", o->keyword);
        for (const char *p = value; *p != '\0'; p++) {
            if (*p == '\'' || *p == '\\')
                pgd_buf_append(&out, "\\");
            pgd_buf_append_n(&out, p, 1);
        }
        pgd_buf_append(&out, "'");
    }
    PQconninfoFree(opts);
    return pgd_buf_steal(&out);
}

static void check_password_hidden(const char *conninfo, const char *redacted)
{
    char *password;
    char *other = with_other_password(conninfo, &password);
    char *other_redacted;

    if (other == NULL)
        return;
    if (password == NULL || strlen(password) < MIN_CHECKED_PASSWORD) {
        free(password);
        free(other);
        return;
    }
    other_redacted = pgd_conninfo_redact(other);
    if (strstr(redacted, password) != NULL && strstr(other_redacted, password) == NULL) {
        fprintf(stderr, "fuzz_redact: the password \"%s\" of \"%s\" shows in \"%s\"\n", password,
                conninfo, redacted);
        abort();
    }
    if (strcmp(redacted, other_redacted) != 0) {
        fprintf(stderr,
                "fuzz_redact: the redacted form of \"%s\" depends on its password:\n"
                "  \"%s\"\n  \"%s\" (password \"" OTHER_PASSWORD "\")\n",
                conninfo, redacted, other_redacted);
        abort();
    }
    free(other_redacted);
    free(password);
    free(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    char *conninfo = pgd_conninfo_redact(text);
    char *url = pgd_url_redact(text);
    char *masked;

    (void)pgd_conninfo_valid(text);
    pgd_conninfo_register_secrets(text);
    pgd_url_register_secrets(text);
    masked = pgd_secret_mask(text);
    check_password_hidden(text, conninfo);

    free(masked);
    free(url);
    free(conninfo);
    free(text);
    pgd_secret_clear();
    return 0;
}
