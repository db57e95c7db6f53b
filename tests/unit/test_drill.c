/*
 * test_drill.c - a finding noted while the drill goes on, against a later error.
 */
#include "drill.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void drill_clear(drill *d)
{
    free(d->error_message);
    free(d->error_hint);
    free(d->finding_message);
    memset(d, 0, sizeof(*d));
}

/* A later failure to run must not hide the finding: the finding becomes the error. */
static void test_finding_outranks_inconclusive(void **state)
{
    drill d = {0};

    (void)state;
    drill_note_finding(&d, PGD_ERR_BACKUP_PAGE_ERRORS, "backup_page_checks: %s", "page 2");
    drill_note_finding(&d, PGD_ERR_CHECKSUM_FAILURE, "only the first one is kept");
    drill_fail_hint(&d, PGD_ERR_TIMEOUT, "raise it", "recovery did not finish");
    drill_settle_finding(&d);
    assert_int_equal(d.error_class, PGD_ERR_BACKUP_PAGE_ERRORS);
    assert_string_equal(d.error_message, "backup_page_checks: page 2; then the drill could not "
                                         "go on (timeout: recovery did not finish)");
    assert_null(d.error_hint); /* the finding's class's advice, not the timeout's hint */
    drill_clear(&d);
}

/* A later finding is kept (the first finding that ended the drill), no error leaves it to verify.
 */
static void test_finding_kept_aside(void **state)
{
    drill d = {0};

    (void)state;
    drill_note_finding(&d, PGD_ERR_BACKUP_PAGE_ERRORS, "backup_page_checks: page 2");
    drill_fail(&d, PGD_ERR_WAL_MISSING, "segment 000000010000000000000007 is missing");
    drill_settle_finding(&d);
    assert_int_equal(d.error_class, PGD_ERR_WAL_MISSING);
    assert_string_equal(d.error_message, "segment 000000010000000000000007 is missing");
    drill_clear(&d);

    drill_note_finding(&d, PGD_ERR_BACKUP_PAGE_ERRORS, "backup_page_checks: page 2");
    drill_settle_finding(&d);
    assert_int_equal(d.error_class, PGD_ERR_NONE); /* verify carries the check */
    assert_null(d.error_message);
    drill_clear(&d);

    drill_fail(&d, PGD_ERR_INTERRUPTED, "signal 15");
    drill_settle_finding(&d);
    assert_int_equal(d.error_class, PGD_ERR_INTERRUPTED);
    drill_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finding_outranks_inconclusive),
        cmocka_unit_test(test_finding_kept_aside),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
