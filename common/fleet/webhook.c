/*
 * webhook.c - POST the report with libcurl.
 */
#include "webhook.h"

#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "redact.h"
#include "secret.h"
#include "signals.h"
#include "xalloc.h"

#include <curl/curl.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX_BYTES  16384
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   30000
/* After SIGTERM: what is left of Kubernetes' 30 s grace period. */
#define HURRIED_TIMEOUT_MS 5000

/* The answer's body is not needed; drop it instead of letting libcurl print it to stdout. */
static size_t discard_body(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* The token, trimmed of surrounding whitespace, or NULL with *errmsg. */
static char *read_token(const char *path, char **errmsg)
{
    char *text = pgd_read_file(path, TOKEN_MAX_BYTES, errmsg);
    char *start;
    char *end;
    char *token;

    if (text == NULL)
        return NULL;
    start = text;
    while (isspace((unsigned char)*start))
        start++;
    end = start + strlen(start);
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    token = pgd_strndup(start, (size_t)(end - start));
    free(text);
    if (token[0] == '\0') {
        *errmsg = pgd_asprintf("token_file %s is empty", path);
        free(token);
        return NULL;
    }
    /* A line break in a header value would let the file add headers of its own. */
    for (const char *p = token; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *errmsg = pgd_asprintf("token_file %s holds control characters; not sending it as a "
                                   "header",
                                   path);
            free(token);
            return NULL;
        }
    }
    pgd_secret_register(token);
    return token;
}

/* One attempt. Returns the curl result; *status gets the HTTP status (0 without an answer). */
static CURLcode post_once(const pgd_config *cfg, const char *body, struct curl_slist *headers,
                          long timeout_ms, long *status, char *curl_error)
{
    CURL *curl = curl_easy_init();
    CURLcode rc;

    *status = 0;
    curl_error[0] = '\0';
    if (curl == NULL)
        return CURLE_FAILED_INIT;
    curl_easy_setopt(curl, CURLOPT_URL, cfg->report.webhook.url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                     cfg->report.webhook.allow_http ? "http,https" : "https");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "pgdrill/" PGDRILL_VERSION);
    if (cfg->report.webhook.ca_file[0] != '\0')
        curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->report.webhook.ca_file);
    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(curl);
    return rc;
}

pgd_webhook_result pgd_webhook_post(const pgd_config *cfg, const char *body, bool hurried)
{
    long timeout_ms = cfg->report.webhook.timeout * 1000;
    long retries = hurried ? 0 : cfg->report.webhook.retries;
    pgd_webhook_result result = {0};
    struct curl_slist *headers = NULL;
    char *target = pgd_url_redact(cfg->report.webhook.url);
    int64_t backoff = BACKOFF_FIRST_MS;
    char *errmsg = NULL;

    headers = curl_slist_append(headers, "Content-Type: application/json");
    if (cfg->report.webhook.token_file[0] != '\0') {
        char *token = read_token(cfg->report.webhook.token_file, &errmsg);
        char *header;

        if (token == NULL) {
            result.error = errmsg;
            goto out;
        }
        header = pgd_asprintf("Authorization: Bearer %s", token);
        headers = curl_slist_append(headers, header);
        free(header);
        free(token);
    }

    for (;;) {
        char curl_error[CURL_ERROR_SIZE];
        CURLcode rc =
            post_once(cfg, body, headers,
                      hurried && timeout_ms > HURRIED_TIMEOUT_MS ? HURRIED_TIMEOUT_MS : timeout_ms,
                      &result.http_status, curl_error);
        bool retry;

        result.attempts++;
        free(result.error);
        result.error = NULL;
        if (rc != CURLE_OK) {
            result.error = pgd_asprintf("%s", curl_error[0] ? curl_error : curl_easy_strerror(rc));
            retry = true;
        } else if (result.http_status >= 200 && result.http_status < 300) {
            result.delivered = true;
            pgd_info("report delivered to %s (HTTP %ld, attempt %d)", target, result.http_status,
                     result.attempts);
            break;
        } else {
            result.error = pgd_asprintf("HTTP %ld", result.http_status);
            retry = result.http_status >= 500;
        }
        if (!retry || result.attempts > retries || pgd_interrupted() != 0) {
            pgd_warn("report not delivered to %s: %s after %d attempt%s", target, result.error,
                     result.attempts, result.attempts == 1 ? "" : "s");
            break;
        }
        pgd_warn("delivery to %s failed (%s); retrying in %.1fs", target, result.error,
                 (double)backoff / 1000.0);
        pgd_sleep_ms(backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
out:
    curl_slist_free_all(headers);
    free(target);
    return result;
}

void pgd_webhook_result_free(pgd_webhook_result *result)
{
    free(result->error);
    result->error = NULL;
}
