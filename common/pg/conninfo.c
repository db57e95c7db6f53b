/*
 * conninfo.c - libpq connection strings, parsed by libpq itself.
 */
#include "conninfo.h"

#include "secret.h"

#include <libpq-fe.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define INVALID_CONNINFO "(invalid connection string, not shown)"

/* libpq's parse of conninfo, or NULL. Its error text may quote a password: never shown. */
static PQconninfoOption *parse(const char *conninfo)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);

    PQfreemem(err);
    return opts;
}

bool pgd_conninfo_valid(const char *conninfo)
{
    PQconninfoOption *opts = parse(conninfo);

    PQconninfoFree(opts);
    return opts != NULL;
}

/* The entry of keyword in libpq's table of options (dispchar, envvar), or NULL. */
static const PQconninfoOption *libpq_option(const char *keyword)
{
    static PQconninfoOption *defaults;

    if (defaults == NULL)
        defaults = PQconndefaults();
    for (const PQconninfoOption *o = defaults; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, keyword) == 0)
            return o;
    }
    return NULL;
}

bool pgd_conninfo_keyword_is_secret(const char *keyword)
{
    const PQconninfoOption *o = libpq_option(keyword);

    /* "*" marks a password field in libpq's table; without the table, assume the known two. */
    if (o != NULL && o->dispchar != NULL)
        return o->dispchar[0] == '*';
    return strcmp(keyword, "password") == 0 || strcmp(keyword, "sslpassword") == 0;
}

/*
 * In a URI the password may be percent-encoded; libpq hands us the decoded
 * value, so the text exactly as written is a secret too.
 */
static void register_raw_uri_password(const char *conninfo)
{
    const char *p = strstr(conninfo, "://");
    size_t authority_len;
    const char *at;
    const char *colon;

    if (p == NULL)
        return;
    p += 3;
    authority_len = strcspn(p, "/?");
    at = memchr(p, '@', authority_len);
    if (at == NULL)
        return;
    colon = memchr(p, ':', (size_t)(at - p));
    if (colon != NULL && at > colon + 1) {
        char *raw = pgd_strndup(colon + 1, (size_t)(at - colon - 1));

        pgd_secret_register(raw);
        free(raw);
    }
}

void pgd_conninfo_register_secrets(const char *conninfo)
{
    PQconninfoOption *opts = parse(conninfo);

    if (opts == NULL)
        return;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (pgd_conninfo_keyword_is_secret(o->keyword))
            pgd_secret_register(o->val);
        else
            pgd_secret_declare_public(o->val);
    }
    PQconninfoFree(opts);
    register_raw_uri_password(conninfo);
}

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

static void append_setting(pgd_buf *out, const char *keyword, const char *value)
{
    if (out->len > 0)
        pgd_buf_append(out, " ");
    pgd_buf_append(out, keyword);
    pgd_buf_append(out, "=");
    pgd_conninfo_append_value(out, value);
}

char *pgd_conninfo_redact(const char *conninfo)
{
    PQconninfoOption *opts = parse(conninfo);
    pgd_buf out;

    if (opts == NULL)
        return pgd_strdup(INVALID_CONNINFO);
    pgd_buf_init(&out);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val != NULL)
            append_setting(&out, o->keyword,
                           pgd_conninfo_keyword_is_secret(o->keyword) ? PGD_SECRET_MASK : o->val);
    }
    PQconninfoFree(opts);
    return pgd_buf_steal(&out);
}

static void take_secret(pgd_conninfo_secrets *secrets, const char *keyword, const char *value)
{
    const PQconninfoOption *o = libpq_option(keyword);
    pgd_conninfo_secret *s;

    secrets->items = pgd_realloc(secrets->items, (secrets->count + 1) * sizeof(*s));
    s = &secrets->items[secrets->count++];
    s->keyword = pgd_strdup(keyword);
    s->value = pgd_strdup(value);
    s->envvar = o != NULL ? o->envvar : NULL;
}

char *pgd_conninfo_rewrite(const char *conninfo, const char *dbname, pgd_conninfo_secrets *secrets)
{
    PQconninfoOption *opts = parse(conninfo);
    pgd_buf out;

    if (secrets != NULL)
        memset(secrets, 0, sizeof(*secrets));
    if (opts == NULL)
        return NULL;
    pgd_buf_init(&out);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        const char *value = o->val;

        if (strcmp(o->keyword, "dbname") == 0 && dbname != NULL)
            value = dbname;
        if (value == NULL)
            continue;
        if (secrets != NULL && pgd_conninfo_keyword_is_secret(o->keyword))
            take_secret(secrets, o->keyword, value);
        else
            append_setting(&out, o->keyword, value);
    }
    PQconninfoFree(opts);
    return pgd_buf_steal(&out);
}

char *pgd_conninfo_with_host(const char *conninfo, const char *host, const char *port)
{
    PQconninfoOption *opts = parse(conninfo);
    pgd_buf out;

    if (opts == NULL)
        return NULL;
    pgd_buf_init(&out);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        bool replaced = (host != NULL && (strcmp(o->keyword, "host") == 0 ||
                                          strcmp(o->keyword, "hostaddr") == 0)) ||
                        (port != NULL && strcmp(o->keyword, "port") == 0);

        if (o->val != NULL && !replaced)
            append_setting(&out, o->keyword, o->val);
    }
    PQconninfoFree(opts);
    if (host != NULL)
        append_setting(&out, "host", host);
    if (port != NULL)
        append_setting(&out, "port", port);
    return pgd_buf_steal(&out);
}

void pgd_conninfo_secrets_free(pgd_conninfo_secrets *secrets)
{
    for (size_t i = 0; i < secrets->count; i++) {
        free(secrets->items[i].keyword);
        free(secrets->items[i].value);
    }
    free(secrets->items);
    memset(secrets, 0, sizeof(*secrets));
}

char *pgd_conninfo_get(const char *conninfo, const char *keyword)
{
    PQconninfoOption *opts = parse(conninfo);
    char *value = NULL;

    if (opts == NULL)
        return NULL;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, keyword) == 0 && o->val != NULL)
            value = pgd_strdup(o->val);
    }
    PQconninfoFree(opts);
    return value;
}
