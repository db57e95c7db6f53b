/*
 * test_summary.c - the one-screen summary says what an SRE needs first.
 */
#include "report.h"
#include "secret.h"
#include "summary.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *summary_of(const pgd_report *report)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    assert_non_null(out);
    pgd_print_summary(report, out);
    fclose(out);
    return text;
}

static void test_failed_drill(void **state)
{
    pgd_report *r = pgd_report_new("/tmp/x/report.json", "t-1", "orders", "orders");
    char *text;

    (void)state;
    pgd_secret_clear();
    pgd_report_set_string(r, "target_time", "2026-11-24 18:20:37.432350+00");
    pgd_report_set_nested(r, "backup", "label", "20261124-181500F");
    pgd_report_set_nested(r, "backup", "type", "full");
    pgd_report_set_nested(r, "backup", "stop_time", "2026-11-24T18:15:09Z");
    pgd_report_set_timing(r, "restore", 2.34);
    pgd_report_set_check(r, "marker", "failed", 0.5, "no marker row");
    pgd_report_set_outcome(r, PGD_ERR_WAL_MISSING, "segment 0001 gone, password hunter22", NULL);
    pgd_secret_register("hunter22");
    text = summary_of(r);
    assert_non_null(strstr(text, "pgdrill: drill t-1 of scope orders: FAILED (wal_missing)"));
    assert_non_null(strstr(text, "error:        segment 0001 gone, password ********"));
    assert_non_null(strstr(text, "hint:         the archive has a hole"));
    assert_non_null(
        strstr(text, "backup set:   20261124-181500F (full, ended 2026-11-24T18:15:09Z)"));
    assert_non_null(strstr(text, "phases:       restore 2.3s"));
    assert_non_null(strstr(text, "checks:       failed   marker"));
    assert_non_null(strstr(text, "report:       /tmp/x/report.json"));
    free(text);
    pgd_report_free(r);
    pgd_secret_clear();
}

/* With report.signing_key: where the signature is and which key made it, or why there is none. */
static void test_signature_line(void **state)
{
    pgd_report *r = pgd_report_new("/tmp/x/report.json", "t-1", "orders", "orders");
    char *text;

    (void)state;
    text = summary_of(r);
    assert_null(strstr(text, "signature:"));
    free(text);
    json_object_set_new(r->root, "signature",
                        json_pack("{s:s,s:s,s:s}", "algorithm", "ed25519", "key_fingerprint",
                                  "21fe31df", "file", "/tmp/x/report.json.sig"));
    text = summary_of(r);
    assert_non_null(strstr(text, "signature:    /tmp/x/report.json.sig (Ed25519 key 21fe31df)\n"));
    free(text);
    json_object_set_new(r->root, "signature",
                        json_pack("{s:s}", "error", "could not open \"/k.pem\""));
    text = summary_of(r);
    assert_non_null(strstr(text, "signature:    not signed: could not open \"/k.pem\"\n"));
    free(text);
    pgd_report_free(r);
}

static void test_running_drill(void **state)
{
    pgd_report *r = pgd_report_new("/tmp/x/report.json", NULL, "orders", "orders");
    char *text;

    (void)state;
    text = summary_of(r);
    /* nothing known yet: dashes, never "(null)" */
    assert_non_null(strstr(text, "pgdrill: drill - of scope orders: RUNNING\n"));
    assert_non_null(strstr(text, "backup set:   - (-, ended -)"));
    assert_null(strstr(text, "(null)"));
    assert_null(strstr(text, "hint:"));
    free(text);
    pgd_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_drill),
        cmocka_unit_test(test_signature_line),
        cmocka_unit_test(test_running_drill),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
