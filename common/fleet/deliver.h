/*
 * deliver.h - what happens on every terminal verdict, in either binary.
 *
 * The verdict is already decided when this runs; nothing here can change it
 * or the exit code. Outcomes are recorded in the report's "delivery" object
 * (the caller writes the report afterwards): the status-history row, the
 * metrics file, and last the webhook, which carries the report itself.
 */
#ifndef PGDRILL_DELIVER_H
#define PGDRILL_DELIVER_H

#include "config.h"
#include "history.h"
#include "report.h"

void pgd_deliver(const pgd_config *cfg, pgd_history *history, pgd_report *report);

/*
 * The detail of the terminal status row (caller decrefs): error message, target time,
 * backup set, timings, RTO and, from the report's target object when it has one,
 * target_kind, target_time (RFC 3339), window_lower and window_upper.
 */
json_t *pgd_deliver_status_detail(const pgd_report *report);

/*
 * With report.signing_key the order changes, because the history row and
 * the webhook carry the signature of the report file, which can only be
 * made once the file is final: metrics file (before_signing, which notes
 * the other two as PGD_DELIVERY_AFTER_SIGNING in the report), the report
 * written and signed (conclude.c), then history row and webhook
 * (after_signing). Their outcomes are logged, and kept in the report in
 * memory (the summary), never written into the signed file.
 */
#define PGD_DELIVERY_AFTER_SIGNING "after signing"

/* The signature as the history row's detail and the webhook body carry it. */
typedef struct pgd_report_signature {
    const char *value;           /* base64 of the 64 signature bytes; NULL when not signed */
    const char *key_fingerprint; /* hex SHA-256 of the raw public key; NULL when unknown */
    const char *error;           /* why the report is not signed; NULL when it is */
} pgd_report_signature;

void pgd_deliver_before_signing(const pgd_config *cfg, pgd_report *report);
void pgd_deliver_after_signing(const pgd_config *cfg, pgd_history *history, pgd_report *report,
                               const pgd_report_signature *signature);

/*
 * A drill starts (admitted, before it touches anything): the metrics file
 * marks it in progress, so a drill that never ends can be alerted on.
 */
void pgd_deliver_started(const pgd_config *cfg, const pgd_report *report);

#endif
