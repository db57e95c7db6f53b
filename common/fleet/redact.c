/*
 * redact.c - printable forms of URLs.
 *
 * Parsing is left to libcurl's URL API, which will later use the URL, so
 * what we redact is exactly what it would have understood.
 */
#include "redact.h"

#include "secret.h"
#include "xalloc.h"

#include <curl/curl.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INVALID_URL "(invalid URL, not shown)"

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

/*
 * The query string with credential values masked, e.g. "a=1&token=********";
 * with do_register the hidden values are registered as secrets instead.
 */
static char *redact_query(const char *query, bool do_register)
{
    pgd_buf out;
    const char *p = query;

    pgd_buf_init(&out);
    while (*p != '\0') {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);

        if (eq != NULL && query_key_is_secret(p, (size_t)(eq - p))) {
            if (do_register) {
                char *value = pgd_strndup(eq + 1, len - (size_t)(eq - p) - 1);

                pgd_secret_register(value);
                free(value);
            }
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

/* The redacted URL; with do_register its secrets are registered as well. */
static char *redact_url(const char *url, bool do_register)
{
    CURLU *h = curl_url();
    char *part = NULL;
    char *result = NULL;

    if (h == NULL)
        return pgd_strdup(INVALID_URL);
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto done;

    if (curl_url_get(h, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
        if (do_register)
            pgd_secret_register(part);
        curl_free(part);
        part = NULL;
        if (curl_url_set(h, CURLUPART_PASSWORD, PGD_SECRET_MASK, 0) != CURLUE_OK)
            goto done;
    }
    if (curl_url_get(h, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
        char *masked = redact_query(part, do_register);

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

char *pgd_url_redact(const char *url)
{
    return redact_url(url, false);
}

void pgd_url_register_secrets(const char *url)
{
    free(redact_url(url, true));
}
