/*
 * redact.c - printable forms of connection strings and URLs.
 *
 * Parsing is left to the libraries that will later use the strings (libpq's
 * PQconninfoParse, libcurl's URL API), so what we redact is exactly what they
 * would have understood, quoting and URI escapes included.
 */
#include "redact.h"

#include "conninfo.h"
#include "secret.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <libpq-fe.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INVALID_CONNINFO "(invalid connection string, not shown)"
#define INVALID_URL      "(invalid URL, not shown)"

static bool conninfo_key_is_secret(const char *keyword)
{
    return strcmp(keyword, "password") == 0 || strcmp(keyword, "sslpassword") == 0;
}

/*
 * In a URI the password may be percent-encoded; libpq hands us the decoded
 * value, so also register the text exactly as written.
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

bool pgd_conninfo_valid(const char *conninfo)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);

    /* libpq's message may quote the text near the error, which could be a password. */
    PQfreemem(err);
    if (opts == NULL)
        return false;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val != NULL && conninfo_key_is_secret(o->keyword))
            pgd_secret_register(o->val);
    }
    PQconninfoFree(opts);
    register_raw_uri_password(conninfo);
    return true;
}

char *pgd_conninfo_redact(const char *conninfo)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    pgd_buf out;

    PQfreemem(err);
    if (opts == NULL)
        return pgd_strdup(INVALID_CONNINFO);

    pgd_buf_init(&out);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (out.len > 0)
            pgd_buf_append(&out, " ");
        pgd_buf_append(&out, o->keyword);
        pgd_buf_append(&out, "=");
        if (conninfo_key_is_secret(o->keyword)) {
            pgd_secret_register(o->val);
            pgd_buf_append(&out, PGD_SECRET_MASK);
        } else
            pgd_conninfo_append_value(&out, o->val);
    }
    PQconninfoFree(opts);
    register_raw_uri_password(conninfo);
    return pgd_buf_steal(&out);
}

/* Query parameter names whose values are credentials by convention. */
static bool query_key_is_secret(const char *key, size_t len)
{
    static const char *const words[] = {"token", "key", "secret",    "password", "passwd",
                                        "pass",  "sig", "signature", "auth",     "credential"};
    char lower[64];

    if (len >= sizeof(lower))
        return true; /* absurdly long names: hide rather than guess */
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)key[i]);
    lower[len] = '\0';
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strstr(lower, words[i]) != NULL)
            return true;
    }
    return false;
}

/* The query string with credential values masked, e.g. "a=1&token=********". */
static char *redact_query(const char *query)
{
    pgd_buf out;
    const char *p = query;

    pgd_buf_init(&out);
    while (*p != '\0') {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);

        if (eq != NULL && query_key_is_secret(p, (size_t)(eq - p))) {
            char *value = pgd_strndup(eq + 1, len - (size_t)(eq - p) - 1);

            pgd_secret_register(value);
            free(value);
            pgd_buf_append_n(&out, p, (size_t)(eq - p) + 1);
            pgd_buf_append(&out, PGD_SECRET_MASK);
        } else
            pgd_buf_append_n(&out, p, len);
        p += len;
        if (*p == '&') {
            pgd_buf_append(&out, "&");
            p++;
        }
    }
    return pgd_buf_steal(&out);
}

char *pgd_url_redact(const char *url)
{
    CURLU *h = curl_url();
    char *part = NULL;
    char *result = NULL;

    if (h == NULL)
        return pgd_strdup(INVALID_URL);
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto done;

    if (curl_url_get(h, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
        pgd_secret_register(part);
        curl_free(part);
        part = NULL;
        if (curl_url_set(h, CURLUPART_PASSWORD, PGD_SECRET_MASK, 0) != CURLUE_OK)
            goto done;
    }
    if (curl_url_get(h, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
        char *masked = redact_query(part);

        curl_free(part);
        part = NULL;
        if (curl_url_set(h, CURLUPART_QUERY, masked, 0) != CURLUE_OK) {
            free(masked);
            goto done;
        }
        free(masked);
    }
    if (curl_url_get(h, CURLUPART_URL, &part, 0) == CURLUE_OK) {
        result = pgd_strdup(part);
        curl_free(part);
    }
done:
    curl_url_cleanup(h);
    return result != NULL ? result : pgd_strdup(INVALID_URL);
}
