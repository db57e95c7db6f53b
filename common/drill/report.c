/*
 * report.c - the drill report, built with jansson.
 *
 * jansson (Debian's libjansson) keeps object keys in insertion order and
 * escapes strings correctly; hand-written JSON gets the second part wrong
 * sooner or later.
 */
#include "report.h"

#include "clock.h"
#include "fsutil.h"
#include "secret.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REPORT_MAX_BYTES (16 * 1024 * 1024)

/*
 * Keys whose string values are data the drill goes on using (verify reads
 * the test id, target time and marker database back) or that identify it:
 * written as they are. Every other string is free text, masked on output.
 */
static const char *const data_keys[] = {
    "schema",        "test_id",    "scope",       "stanza",      "verdict",
    "phase",         "started_at", "finished_at", "target_time", "pgdrill_version",
    "marker_source", "datadir",    "host",        "label",       "type",
    "stop_time",     "database",   "class",       "name",        "status",
    "timeline",      "kind",       "created_at",  "requested",
};

static bool is_data_key(const char *key)
{
    for (size_t i = 0; key != NULL && i < sizeof(data_keys) / sizeof(data_keys[0]); i++) {
        if (strcmp(key, data_keys[i]) == 0)
            return true;
    }
    return false;
}

static json_t *text_value(const char *value)
{
    json_t *s;

    if (value == NULL)
        return json_null();
    /* Invalid UTF-8 (a byte-garbled log line) must not make the whole report unwritable. */
    s = json_string(value);
    return s != NULL ? s : json_string("(text not valid UTF-8, omitted)");
}

/* A copy of value (under key) with the free text in it passed through the secret mask. */
static json_t *masked_copy(json_t *value, const char *key)
{
    json_t *copy;
    const char *k;
    json_t *v;
    size_t i;

    switch (json_typeof(value)) {
    case JSON_STRING: {
        char *masked;

        if (is_data_key(key))
            return json_incref(value);
        masked = pgd_secret_mask(json_string_value(value));
        copy = text_value(masked);
        free(masked);
        return copy;
    }
    case JSON_OBJECT:
        copy = json_object();
        json_object_foreach(value, k, v)
        {
            json_object_set_new(copy, k, masked_copy(v, k));
        }
        return copy;
    case JSON_ARRAY:
        copy = json_array();
        json_array_foreach(value, i, v)
        {
            json_array_append_new(copy, masked_copy(v, key));
        }
        return copy;
    default:
        return json_incref(value);
    }
}

json_t *pgd_report_for_output(const pgd_report *report)
{
    return masked_copy(report->root, NULL);
}

pgd_report *pgd_report_new(const char *path, const char *test_id, const char *scope,
                           const char *stanza)
{
    pgd_report *report = pgd_calloc(1, sizeof(*report));
    char now[32];

    report->path = pgd_strdup(path);
    report->root = json_object();
    json_object_set_new(report->root, "schema", json_string(PGD_REPORT_SCHEMA));
    json_object_set_new(report->root, "test_id", text_value(test_id));
    json_object_set_new(report->root, "scope", text_value(scope));
    json_object_set_new(report->root, "stanza", text_value(stanza));
    json_object_set_new(report->root, "verdict", json_string("running"));
    json_object_set_new(report->root, "phase", json_string("start"));
    json_object_set_new(report->root, "started_at", json_string(pgd_utc_now(now, sizeof(now))));
    json_object_set_new(report->root, "finished_at", json_null());
    json_object_set_new(report->root, "pgdrill_version", json_string(PGDRILL_VERSION));
    json_object_set_new(report->root, "target_time", json_null());
    json_object_set_new(report->root, "backup",
                        json_pack("{s:n,s:n,s:n}", "label", "type", "stop_time"));
    json_object_set_new(report->root, "timings", json_object());
    json_object_set_new(report->root, "checks", json_array());
    json_object_set_new(report->root, "error", json_null());
    return report;
}

pgd_report *pgd_report_load(const char *path, bool *missing, char **errmsg)
{
    json_error_t jerr;
    json_t *root;
    json_t *schema;
    pgd_report *report;
    char *text;
    int errnum = 0;

    /*
     * Only a report that does not exist is missing: one we may not read, a
     * link or a FIFO in its place is an error, never "no earlier drill".
     */
    text = pgd_read_file_ex(path, REPORT_MAX_BYTES, PGD_READ_NOFOLLOW, &errnum, errmsg);
    *missing = text == NULL && errnum == ENOENT;
    if (text == NULL)
        return NULL;
    root = json_loads(text, 0, &jerr);
    free(text);
    if (root == NULL) {
        *errmsg = pgd_asprintf("%s:%d: not valid JSON: %s", path, jerr.line, jerr.text);
        return NULL;
    }
    schema = json_object_get(root, "schema");
    if (!json_is_object(root) || !json_is_string(schema) ||
        strcmp(json_string_value(schema), PGD_REPORT_SCHEMA) != 0) {
        *errmsg = pgd_asprintf("%s: not a %s document", path, PGD_REPORT_SCHEMA);
        json_decref(root);
        return NULL;
    }
    report = pgd_calloc(1, sizeof(*report));
    report->path = pgd_strdup(path);
    report->root = root;
    /* Older writers may lack containers that setters expect. */
    if (!json_is_object(json_object_get(root, "timings")))
        json_object_set_new(root, "timings", json_object());
    if (!json_is_array(json_object_get(root, "checks")))
        json_object_set_new(root, "checks", json_array());
    return report;
}

void pgd_report_free(pgd_report *report)
{
    if (report == NULL)
        return;
    json_decref(report->root);
    free(report->path);
    free(report);
}

bool pgd_report_write(pgd_report *report, char **errmsg)
{
    return pgd_report_write_text(report, NULL, errmsg);
}

bool pgd_report_write_text(pgd_report *report, char **written, char **errmsg)
{
    json_t *output = pgd_report_for_output(report);
    char *text = json_dumps(output, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    char *with_newline;
    char *signature;
    bool ok;

    json_decref(output);
    if (text == NULL) {
        *errmsg = pgd_strdup("could not serialize the report");
        return false;
    }
    with_newline = pgd_asprintf("%s\n", text);
    free(text);
    signature = pgd_asprintf("%s.sig", report->path);
    if (unlink(signature) != 0 && errno != ENOENT) {
        *errmsg = pgd_asprintf("could not remove the earlier signature \"%s\": %s", signature,
                               strerror(errno));
        ok = false;
    } else
        ok = pgd_write_file_atomic(report->path, with_newline, 0640, errmsg);
    free(signature);
    if (ok && written != NULL)
        *written = with_newline;
    else
        free(with_newline);
    return ok;
}

void pgd_report_set_string(pgd_report *report, const char *key, const char *value)
{
    json_object_set_new(report->root, key, text_value(value));
}

const char *pgd_report_get_string(const pgd_report *report, const char *key)
{
    return json_string_value(json_object_get(report->root, key));
}

static json_t *object_field(pgd_report *report, const char *name)
{
    json_t *obj = json_object_get(report->root, name);

    if (!json_is_object(obj)) {
        obj = json_object();
        json_object_set_new(report->root, name, obj);
    }
    return obj;
}

void pgd_report_set_nested(pgd_report *report, const char *object, const char *key,
                           const char *value)
{
    json_object_set_new(object_field(report, object), key, text_value(value));
}

void pgd_report_set_nested_integer(pgd_report *report, const char *object, const char *key,
                                   long long value)
{
    json_object_set_new(object_field(report, object), key, json_integer((json_int_t)value));
}

const char *pgd_report_get_nested(const pgd_report *report, const char *object, const char *key)
{
    return json_string_value(json_object_get(json_object_get(report->root, object), key));
}

void pgd_report_set_verdict(pgd_report *report, pgd_verdict verdict)
{
    json_object_set_new(report->root, "verdict", json_string(pgd_verdict_name(verdict)));
    if (verdict != PGD_VERDICT_RUNNING) {
        char now[32];

        json_object_set_new(report->root, "finished_at",
                            json_string(pgd_utc_now(now, sizeof(now))));
    }
}

pgd_verdict pgd_report_get_verdict(const pgd_report *report)
{
    const char *name = pgd_report_get_string(report, "verdict");

    if (name == NULL)
        return PGD_VERDICT_INCONCLUSIVE;
    for (int v = PGD_VERDICT_RUNNING; v <= PGD_VERDICT_INCONCLUSIVE; v++) {
        if (strcmp(name, pgd_verdict_name((pgd_verdict)v)) == 0)
            return (pgd_verdict)v;
    }
    return PGD_VERDICT_INCONCLUSIVE;
}

static json_t *seconds_value(double seconds)
{
    return json_real(round(seconds * 1000.0) / 1000.0);
}

void pgd_report_set_timing(pgd_report *report, const char *phase, double seconds)
{
    json_object_set_new(object_field(report, "timings"), phase, seconds_value(seconds));
}

void pgd_report_set_nested_seconds(pgd_report *report, const char *object, const char *key,
                                   double value)
{
    json_object_set_new(object_field(report, object), key, seconds_value(value));
}

void pgd_report_set_error(pgd_report *report, pgd_error_class error_class, const char *message,
                          const char *hint)
{
    if (error_class == PGD_ERR_NONE) {
        json_object_set_new(report->root, "error", json_null());
        return;
    }
    json_object_set_new(report->root, "error",
                        json_pack("{s:s,s:o,s:o}", "class", pgd_error_class_name(error_class),
                                  "message", text_value(message ? message : ""), "hint",
                                  text_value(hint ? hint : pgd_error_class_advice(error_class))));
}

void pgd_report_set_outcome(pgd_report *report, pgd_error_class error_class, const char *message,
                            const char *hint)
{
    pgd_report_set_error(report, error_class, message, hint);
    pgd_report_set_verdict(report, pgd_error_class_verdict(error_class));
}

pgd_error_class pgd_report_error_class(const pgd_report *report)
{
    json_t *error = json_object_get(report->root, "error");
    pgd_error_class error_class;

    if (!json_is_object(error))
        return PGD_ERR_NONE;
    error_class = pgd_error_class_from_name(json_string_value(json_object_get(error, "class")));
    /* An error object without a readable class is still an error. */
    return error_class == PGD_ERR_NONE ? PGD_ERR_UNKNOWN : error_class;
}

json_t *pgd_report_set_check_class(pgd_report *report, const char *name, const char *status,
                                   double seconds, const char *detail, pgd_error_class error_class)
{
    json_t *check = pgd_report_set_check(report, name, status, seconds, detail);

    if (error_class != PGD_ERR_NONE)
        json_object_set_new(check, "class", json_string(pgd_error_class_name(error_class)));
    return check;
}

json_t *pgd_report_set_check(pgd_report *report, const char *name, const char *status,
                             double seconds, const char *detail)
{
    json_t *checks = json_object_get(report->root, "checks");
    json_t *check = json_pack("{s:s,s:s,s:o,s:o}", "name", name, "status", status, "seconds",
                              seconds_value(seconds), "detail", text_value(detail));
    size_t i;
    json_t *existing;

    json_array_foreach(checks, i, existing)
    {
        const char *existing_name = json_string_value(json_object_get(existing, "name"));

        if (existing_name != NULL && strcmp(existing_name, name) == 0) {
            json_array_set_new(checks, i, check);
            return check;
        }
    }
    json_array_append_new(checks, check);
    return check;
}
