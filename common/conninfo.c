/*
 * conninfo.c - rewrite libpq connection strings, parsed by libpq itself.
 */
#include "conninfo.h"

#include <libpq-fe.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Append value in conninfo syntax: quoted when empty or when it holds spaces, quotes or
 * backslashes. */
void pgd_conninfo_append_value(pgd_buf *out, const char *value)
{
    bool plain = value[0] != '\0';

    for (const char *p = value; *p != '\0' && plain; p++) {
        if (isspace((unsigned char)*p) || *p == '\'' || *p == '\\')
            plain = false;
    }
    if (plain) {
        pgd_buf_append(out, value);
        return;
    }
    pgd_buf_append(out, "'");
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\'' || *p == '\\')
            pgd_buf_append(out, "\\");
        pgd_buf_append_n(out, p, 1);
    }
    pgd_buf_append(out, "'");
}

char *pgd_conninfo_rewrite(const char *conninfo, const char *dbname, char **password)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    pgd_buf out;

    if (password != NULL)
        *password = NULL;
    PQfreemem(err);
    if (opts == NULL)
        return NULL;
    pgd_buf_init(&out);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        const char *value = o->val;

        if (strcmp(o->keyword, "password") == 0 && password != NULL) {
            if (value != NULL)
                *password = pgd_strdup(value);
            continue;
        }
        if (strcmp(o->keyword, "dbname") == 0 && dbname != NULL)
            value = dbname;
        if (value == NULL)
            continue;
        if (out.len > 0)
            pgd_buf_append(&out, " ");
        pgd_buf_append(&out, o->keyword);
        pgd_buf_append(&out, "=");
        pgd_conninfo_append_value(&out, value);
    }
    PQconninfoFree(opts);
    return pgd_buf_steal(&out);
}

char *pgd_conninfo_get(const char *conninfo, const char *keyword)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    char *value = NULL;

    PQfreemem(err);
    if (opts == NULL)
        return NULL;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, keyword) == 0 && o->val != NULL)
            value = pgd_strdup(o->val);
    }
    PQconninfoFree(opts);
    return value;
}
