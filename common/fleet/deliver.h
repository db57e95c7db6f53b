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
 * A drill starts (admitted, before it touches anything): the metrics file
 * marks it in progress, so a drill that never ends can be alerted on.
 */
void pgd_deliver_started(const pgd_config *cfg, const pgd_report *report);

#endif
