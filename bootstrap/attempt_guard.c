/*
 * attempt_guard.c - the attempt guard.
 */
#include "attempt_guard.h"

#include "xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

attempt_guard_decision attempt_guard_check(const char *report_path, const char *scope,
                                           const char *given_test_id, pgd_report **previous,
                                           char **why)
{
    bool missing = false;
    char *errmsg = NULL;
    pgd_report *report = pgd_report_load(report_path, &missing, &errmsg);
    bool blocks;

    *previous = NULL;
    if (report == NULL) {
        if (missing) {
            free(errmsg);
            return ATTEMPT_GUARD_PROCEED;
        }
        *why = pgd_asprintf("could not tell whether this drill already ran: %s (move it away to "
                            "start a new drill)",
                            errmsg);
        free(errmsg);
        return ATTEMPT_GUARD_ERROR;
    }

    if (pgd_report_error_class(report) == PGD_ERR_DEFERRED)
        blocks = false;
    else if (given_test_id != NULL)
        blocks = same(pgd_report_get_string(report, "test_id"), given_test_id);
    else
        blocks = same(pgd_report_get_string(report, "scope"), scope) &&
                 pgd_report_get_verdict(report) != PGD_VERDICT_PASSED;

    if (!blocks) {
        pgd_report_free(report);
        return ATTEMPT_GUARD_PROCEED;
    }
    *previous = report;
    return ATTEMPT_GUARD_GIVE_UP;
}

void attempt_guard_mark_given_up(pgd_report *previous, char **message)
{
    char *hint;
    json_t *root = previous->root;
    json_t *old_error = json_object_get(root, "error");
    json_t *attempts = json_object_get(root, "attempts");
    const char *old_class = json_string_value(json_object_get(old_error, "class"));
    const char *old_message =
        json_string_value(json_object_get(json_object_get(root, "error"), "message"));
    json_int_t count = json_is_integer(attempts) ? json_integer_value(attempts) : 1;

    *message = pgd_asprintf(
        "drill %s already ran (attempt %lld ended %s%s%s%s%s); not restoring again and not "
        "writing a new marker",
        pgd_report_get_string(previous, "test_id") ? pgd_report_get_string(previous, "test_id")
                                                   : "?",
        (long long)count, pgd_report_get_string(previous, "verdict"), old_class ? " with " : "",
        old_class ? old_class : "", old_message ? ": " : "", old_message ? old_message : "");
    /* Keep the first attempt's error: it is the evidence an SRE needs. */
    if (json_is_object(old_error) && pgd_report_error_class(previous) != PGD_ERR_GIVEN_UP)
        json_object_set(root, "previous_error", old_error);
    json_object_set_new(root, "attempts", json_integer(count + 1));
    hint = pgd_asprintf("read previous_error; to run a new drill, give it a new test id or move "
                        "%s away",
                        previous->path);
    pgd_report_set_outcome(previous, PGD_ERR_GIVEN_UP, *message, hint);
    free(hint);
}
