/*
 * webhook.h - POST the report to report.webhook.url with libcurl.
 *
 * TLS peers are verified (system CAs, or report.webhook.ca_file); the
 * bearer token is read from token_file and registered as a secret so it is
 * never printed; connection errors and 5xx answers are retried with
 * exponential backoff up to report.webhook.retries times, 4xx answers never
 * (the receiver rejected this report; sending it again will not help);
 * redirects are not followed (they would carry the token elsewhere). A
 * failed delivery is an outcome for the report, never a verdict.
 */
#ifndef PGDRILL_WEBHOOK_H
#define PGDRILL_WEBHOOK_H

#include "config.h"

#include <stdbool.h>

typedef struct pgd_webhook_result {
    bool delivered;
    int attempts;
    long http_status; /* of the last answer, 0 when none */
    char *error;      /* why it was not delivered, or NULL */
} pgd_webhook_result;

/*
 * Send body (JSON). Returns the outcome; free it with pgd_webhook_result_free.
 * hurried (the drill was stopped by a signal): one attempt of at most a few
 * seconds.
 */
pgd_webhook_result pgd_webhook_post(const pgd_config *cfg, const char *body, bool hurried);

void pgd_webhook_result_free(pgd_webhook_result *result);

#endif
