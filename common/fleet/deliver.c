/*
 * deliver.c - history row, metrics file and webhook on a terminal verdict.
 */
#include "deliver.h"

#include "log.h"
#include "metrics.h"
#include "secret.h"
#include "signals.h"
#include "webhook.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static void record(pgd_report *report, const char *what, json_t *outcome)
{
    json_t *delivery = json_object_get(report->root, "delivery");

    if (!json_is_object(delivery)) {
        delivery = json_object();
        json_object_set_new(report->root, "delivery", delivery);
    }
    json_object_set_new(delivery, what, outcome);
}

/* detail[key] = object[field] when that is a string; left out otherwise. */
static void copy_string(json_t *detail, const char *key, json_t *object, const char *field)
{
    json_t *value = json_object_get(object, field);

    if (json_is_string(value))
        json_object_set(detail, key, value);
}

json_t *pgd_deliver_status_detail(const pgd_report *report)
{
    json_t *output = pgd_report_for_output(report);
    json_t *error = json_object_get(output, "error");
    json_t *target = json_object_get(output, "target");
    json_t *detail = json_pack(
        "{s:O?,s:O?,s:O?,s:O?,s:O?}", "message",
        json_is_object(error) ? json_object_get(error, "message") : json_null(), "target_time",
        json_object_get(output, "target_time"), "backup", json_object_get(output, "backup"),
        "timings", json_object_get(output, "timings"), "rto", json_object_get(output, "rto"));

    /*
     * Which instant the drill restored to, for pgdrill.drill_window_coverage. A report
     * without a target object (an older version, a drill that ended before choosing) drilled
     * the latest point: no target_kind, and target_time stays in the report's own form.
     */
    if (json_is_object(target)) {
        json_t *window = json_object_get(target, "window");

        copy_string(detail, "target_kind", target, "kind");
        copy_string(detail, "target_time", target, "time");
        copy_string(detail, "window_lower", window, "lower");
        copy_string(detail, "window_upper", window, "upper");
    }
    json_decref(output);
    return detail;
}

/* {value, key_fingerprint} or {error, key_fingerprint}: what the history row and webhook carry. */
static json_t *signature_json(const pgd_report_signature *signature)
{
    return json_pack("{s:s*,s:s*,s:s*}", "value", signature->value, "key_fingerprint",
                     signature->key_fingerprint, "error", signature->error);
}

static void deliver_history(pgd_history *history, pgd_report *report,
                            const pgd_report_signature *signature)
{
    pgd_error_class error_class = pgd_report_error_class(report);
    char *outcome;

    /* A deferred drill's row was written when it was deferred. */
    if (error_class != PGD_ERR_DEFERRED) {
        json_t *detail = pgd_deliver_status_detail(report);

        if (signature != NULL)
            json_object_set_new(detail, "signature", signature_json(signature));
        pgd_history_append(history, pgd_report_get_string(report, "test_id"),
                           pgd_report_get_string(report, "scope"),
                           pgd_report_get_string(report, "stanza"),
                           pgd_report_get_string(report, "verdict"),
                           pgd_report_get_nested(report, "error", "class"), detail);
        json_decref(detail);
    }
    outcome = pgd_history_outcome(history);
    record(report, "history", json_string(outcome));
    free(outcome);
}

static void deliver_metrics(const pgd_config *cfg, pgd_report *report)
{
    char *errmsg = NULL;

    if (cfg->report.metrics_file[0] == '\0') {
        record(report, "metrics", json_string("off"));
        return;
    }
    if (pgd_metrics_write(cfg->report.metrics_file, report, &errmsg))
        record(report, "metrics", json_string("written"));
    else {
        char *outcome = pgd_asprintf("failed: %s", errmsg);

        pgd_warn("metrics file not written: %s (the verdict does not depend on it)", errmsg);
        record(report, "metrics", json_string(outcome));
        free(outcome);
        free(errmsg);
    }
}

static void deliver_webhook(const pgd_config *cfg, pgd_report *report, bool hurried,
                            const pgd_report_signature *signature)
{
    json_t *output;
    char *body;
    pgd_webhook_result result;

    if (cfg->report.webhook.url[0] == '\0') {
        record(report, "webhook", json_string("off"));
        return;
    }
    output = pgd_report_for_output(report);
    /* The signed report names its key; the body adds the signature it could not hold. */
    if (signature != NULL) {
        json_t *carried = json_object_get(output, "signature");
        json_t *fields;

        if (!json_is_object(carried)) {
            carried = json_object();
            json_object_set_new(output, "signature", carried);
        }
        fields = signature_json(signature);
        json_object_update(carried, fields);
        json_decref(fields);
    }
    body = json_dumps(output, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(output);
    result = pgd_webhook_post(cfg, body ? body : "{}", hurried);
    record(report, "webhook",
           json_pack("{s:b,s:i,s:I,s:s?}", "delivered", result.delivered, "attempts",
                     result.attempts, "http_status", (json_int_t)result.http_status, "error",
                     result.error));
    pgd_webhook_result_free(&result);
    free(body);
}

void pgd_deliver_started(const pgd_config *cfg, const pgd_report *report)
{
    char *errmsg = NULL;

    if (cfg->report.metrics_file[0] != '\0' &&
        !pgd_metrics_write(cfg->report.metrics_file, report, &errmsg)) {
        pgd_warn("metrics file not written: %s (the verdict does not depend on it)", errmsg);
        free(errmsg);
    }
}

/*
 * A drill stopped by SIGTERM must still leave its terminal row (or the
 * fleet cap counts it as running for stale_after) and its report, in
 * the few seconds Kubernetes grants: waits no longer stop for the
 * signal, but every step gets short timeouts. Returns whether it hurries.
 */
static bool hurry_if_stopped(pgd_history *history)
{
    bool hurried = pgd_signal_received() != 0;

    if (hurried) {
        pgd_signals_hold();
        pgd_history_hurry(history);
        pgd_info("stopped by signal %d: delivering the verdict with short timeouts",
                 pgd_signal_received());
    }
    return hurried;
}

void pgd_deliver(const pgd_config *cfg, pgd_history *history, pgd_report *report)
{
    bool hurried = hurry_if_stopped(history);

    deliver_history(history, report, NULL);
    deliver_metrics(cfg, report);
    deliver_webhook(cfg, report, hurried, NULL);
}

void pgd_deliver_before_signing(const pgd_config *cfg, pgd_report *report)
{
    deliver_metrics(cfg, report);
    record(report, "history", json_string(PGD_DELIVERY_AFTER_SIGNING));
    record(report, "webhook", json_string(PGD_DELIVERY_AFTER_SIGNING));
}

void pgd_deliver_after_signing(const pgd_config *cfg, pgd_history *history, pgd_report *report,
                               const pgd_report_signature *signature)
{
    bool hurried = hurry_if_stopped(history);

    deliver_history(history, report, signature);
    deliver_webhook(cfg, report, hurried, signature);
}
