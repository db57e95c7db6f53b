/*
 * drill.c - error, phase and report bookkeeping of a bootstrap run.
 */
#include "drill.h"

#include "clock.h"
#include "log.h"
#include "signals.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static bool record_failure(drill *d, pgd_error_class error_class, const char *hint, const char *fmt,
                           va_list ap) __attribute__((format(printf, 4, 0)));

static bool record_failure(drill *d, pgd_error_class error_class, const char *hint, const char *fmt,
                           va_list ap)
{
    char *message = pgd_vasprintf(fmt, ap);

    if (d->error_class != PGD_ERR_NONE) {
        /* A later error is a consequence of the first: log it, keep the first. */
        pgd_warn("%s (after the first error)", message);
        free(message);
        return false;
    }
    pgd_error("%s: %s", pgd_error_class_name(error_class), message);
    if (hint != NULL)
        pgd_info("hint: %s", hint);
    d->error_class = error_class;
    d->error_message = message;
    d->error_hint = hint != NULL ? pgd_strdup(hint) : NULL;
    return false;
}

bool drill_fail(drill *d, pgd_error_class error_class, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record_failure(d, error_class, NULL, fmt, ap);
    va_end(ap);
    return false;
}

bool drill_fail_hint(drill *d, pgd_error_class error_class, const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record_failure(d, error_class, hint, fmt, ap);
    va_end(ap);
    return false;
}

void drill_note_finding(drill *d, pgd_error_class error_class, const char *fmt, ...)
{
    va_list ap;

    if (d->finding_class != PGD_ERR_NONE)
        return;
    va_start(ap, fmt);
    d->finding_message = pgd_vasprintf(fmt, ap);
    va_end(ap);
    d->finding_class = error_class;
}

void drill_settle_finding(drill *d)
{
    char *message;

    if (d->finding_class == PGD_ERR_NONE || d->error_class == PGD_ERR_NONE ||
        !pgd_error_class_outranks(d->finding_class, d->error_class))
        return;
    message = pgd_asprintf("%s; then the drill could not go on (%s: %s)", d->finding_message,
                           pgd_error_class_name(d->error_class), d->error_message);
    pgd_info("the drill's verdict is the earlier finding %s",
             pgd_error_class_name(d->finding_class));
    free(d->error_message);
    free(d->error_hint);
    d->error_class = d->finding_class;
    d->error_message = message;
    d->error_hint = NULL;
}

bool drill_interrupted(drill *d)
{
    int sig = pgd_interrupted();

    if (sig == 0)
        return false;
    drill_fail(d, PGD_ERR_INTERRUPTED,
               "pgdrill-bootstrap received signal %d (%s); child processes were stopped", sig,
               strsignal(sig));
    return true;
}

void drill_save(drill *d)
{
    char *errmsg = NULL;

    if (d->report != NULL && !pgd_report_write(d->report, &errmsg)) {
        pgd_error("could not write the report: %s", errmsg);
        free(errmsg);
    }
}

void drill_enter_phase(drill *d, const char *phase)
{
    pgd_info("phase: %s", phase);
    pgd_report_set_string(d->report, "phase", phase);
    drill_save(d);
    drill_record_status(d, phase);
}

void drill_record_status(drill *d, const char *status)
{
    pgd_history_append(d->history, d->test_id, d->scope, d->cfg->pgbackrest.stanza, status, NULL,
                       NULL);
}

void drill_record_timing(drill *d, const char *phase, int64_t start_ms)
{
    pgd_report_set_timing(d->report, phase, (double)(pgd_monotonic_ms() - start_ms) / 1000.0);
}
