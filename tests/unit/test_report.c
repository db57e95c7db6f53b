/*
 * test_report.c - the report document: round trip, masking on output, load errors.
 */
#include "report.h"
#include "secret.h"
#include "verdict.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *read_all(void)
{
    FILE *fp = fopen(path, "r");
    char *buf = pgd_calloc(1, 65536);

    assert_non_null(fp);
    assert_true(fread(buf, 1, 65535, fp) > 0);
    fclose(fp);
    return buf;
}

static void test_roundtrip(void **state)
{
    pgd_report *r = pgd_report_new(path, "t-1", "orders", "orders");
    pgd_report *back;
    char *errmsg = NULL;
    bool missing = true;

    (void)state;
    pgd_report_set_string(r, "target_time", "2026-11-24 18:20:37.432350+00");
    pgd_report_set_nested(r, "backup", "label", "20261124-181500F");
    pgd_report_set_timing(r, "restore", 2.34567);
    pgd_report_set_check(r, "marker", "failed", 0.5, "first");
    pgd_report_set_check(r, "fence", "passed", 0.1, "ok");
    pgd_report_set_check(r, "marker", "passed", 0.2, "second"); /* replaces, keeps position */
    pgd_report_set_error(r, PGD_ERR_WAL_MISSING, "segment gone", NULL);
    pgd_report_set_verdict(r, PGD_VERDICT_FAILED);
    assert_true(pgd_report_write(r, &errmsg));
    pgd_report_free(r);

    back = pgd_report_load(path, &missing, &errmsg);
    assert_non_null(back);
    assert_false(missing);
    assert_string_equal(pgd_report_get_string(back, "schema"), "pgdrill.report/v1");
    assert_string_equal(pgd_report_get_string(back, "test_id"), "t-1");
    assert_string_equal(pgd_report_get_nested(back, "backup", "label"), "20261124-181500F");
    assert_int_equal(pgd_report_get_verdict(back), PGD_VERDICT_FAILED);
    assert_int_equal(pgd_report_error_class(back), PGD_ERR_WAL_MISSING);
    /* without a hint of its own, the error carries its class's advice */
    assert_string_equal(pgd_report_get_nested(back, "error", "hint"),
                        pgd_error_class_advice(PGD_ERR_WAL_MISSING));
    assert_int_equal(json_array_size(json_object_get(back->root, "checks")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(back->root, "checks"), 0), "detail")),
                        "second");
    assert_true(json_real_value(
                    json_object_get(json_object_get(back->root, "timings"), "restore")) == 2.346);
    assert_non_null(json_string_value(json_object_get(back->root, "finished_at")));
    pgd_report_free(back);
}

static void test_secrets_never_written(void **state)
{
    pgd_report *r = pgd_report_new(path, "t-2", "orders", "orders");
    char *errmsg = NULL;
    char *text;

    (void)state;
    pgd_secret_register("s3cr\"et");
    pgd_report_set_error(r, PGD_ERR_SOURCE_UNREACHABLE, "password s3cr\"et rejected", NULL);
    /* learned after the value was stored: masked when written */
    pgd_report_set_check(r, "marker", "failed", 0, "token tok-123 in detail");
    pgd_secret_register("tok-123");
    assert_true(pgd_report_write(r, &errmsg));
    text = read_all();
    assert_null(strstr(text, "s3cr"));
    assert_null(strstr(text, "tok-123"));
    assert_non_null(strstr(text, "password ******** rejected"));
    free(text);
    pgd_report_free(r);
}

/*
 * Data fields are written as they are even when a secret equals them: a
 * password "postgres" must not turn the marker database into "********"
 * (verify connects to it) nor the scope.
 */
static void test_data_fields_never_masked(void **state)
{
    pgd_report *r = pgd_report_new(path, "postgres", "postgres", "postgres");
    pgd_report *back;
    char *errmsg = NULL;
    bool missing;

    (void)state;
    pgd_secret_register("postgres");
    pgd_report_set_nested(r, "marker", "database", "postgres");
    pgd_report_set_string(r, "target_time", "2026-11-24 18:20:37.432350+00");
    pgd_report_set_check(r, "schema_dump", "passed", 0.1, "dumped postgres");
    pgd_report_set_error(r, PGD_ERR_SOURCE_UNREACHABLE, "password postgres rejected",
                         "check the password");
    assert_true(pgd_report_write(r, &errmsg));
    back = pgd_report_load(path, &missing, &errmsg);
    assert_non_null(back);
    assert_string_equal(pgd_report_get_string(back, "test_id"), "postgres");
    assert_string_equal(pgd_report_get_string(back, "scope"), "postgres");
    assert_string_equal(pgd_report_get_string(back, "stanza"), "postgres");
    assert_string_equal(pgd_report_get_nested(back, "marker", "database"), "postgres");
    assert_string_equal(pgd_report_get_nested(back, "error", "message"),
                        "password ******** rejected");
    /* in memory nothing is masked: the drill goes on with the real values */
    assert_string_equal(pgd_report_get_nested(r, "error", "message"), "password postgres rejected");
    pgd_report_free(back);
    pgd_report_free(r);
}

static void test_load_errors(void **state)
{
    char *errmsg = NULL;
    bool missing = false;
    FILE *fp;

    (void)state;
    assert_null(pgd_report_load(path, &missing, &errmsg));
    assert_true(missing);
    free(errmsg);

    fp = fopen(path, "w");
    fputs("{ not json", fp);
    fclose(fp);
    assert_null(pgd_report_load(path, &missing, &errmsg));
    assert_false(missing);
    assert_non_null(strstr(errmsg, "not valid JSON"));
    free(errmsg);

    fp = fopen(path, "w");
    fputs("{\"schema\": \"other/v9\"}", fp);
    fclose(fp);
    assert_null(pgd_report_load(path, &missing, &errmsg));
    assert_non_null(strstr(errmsg, "not a pgdrill.report/v1 document"));
    free(errmsg);
}

/*
 * What pgd_report_write_text hands back is the file's content byte for byte
 * (what conclude signs), and every write removes the signature of an earlier
 * version: a stale "<file>.sig" must never sit beside a report it did not sign.
 */
static void test_write_text_and_stale_signature(void **state)
{
    pgd_report *r = pgd_report_new(path, "t-1", "orders", "orders");
    char sig_path[160];
    char *errmsg = NULL;
    char *written = NULL;
    char *on_disk;
    FILE *fp;

    (void)state;
    snprintf(sig_path, sizeof(sig_path), "%s.sig", path);
    fp = fopen(sig_path, "w");
    fputs("an earlier drill's signature", fp);
    fclose(fp);
    assert_true(pgd_report_write_text(r, &written, &errmsg));
    assert_int_equal(access(sig_path, F_OK), -1);
    on_disk = read_all();
    assert_string_equal(written, on_disk);
    free(on_disk);
    free(written);

    fp = fopen(sig_path, "w");
    fclose(fp);
    assert_true(pgd_report_write(r, &errmsg));
    assert_int_equal(access(sig_path, F_OK), -1);
    pgd_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_roundtrip, reset),
        cmocka_unit_test_setup(test_secrets_never_written, reset),
        cmocka_unit_test_setup(test_data_fields_never_masked, reset),
        cmocka_unit_test_setup(test_load_errors, reset),
        cmocka_unit_test_setup(test_write_text_and_stale_signature, reset),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
