/*
 * test_pgbackrest.c - pgBackRest's command lines, its info JSON, its restore
 * output, and the recovery settings its restore writes.
 */
#include "pgbackrest.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static char *joined(const pgd_argv *argv)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (size_t i = 0; i < argv->count; i++)
        pgd_buf_appendf(&out, "%s%s", i ? " " : "", argv->items[i]);
    return pgd_buf_steal(&out);
}

static void test_argv(void **state)
{
    char *options[] = {"--repo1-path=/r", "--buffer-size=1MiB"};
    pgd_config cfg = {0};
    drill d = {0};
    const char *extra[] = {"--type=time", NULL};
    pgd_argv argv;
    char *text;

    (void)state;
    cfg.pgbackrest.stanza = "orders";
    cfg.pgbackrest.config = "/etc/pgbackrest/pgbackrest.conf";
    cfg.pgbackrest.options.items = options;
    cfg.pgbackrest.options.count = 2;
    d.cfg = &cfg;

    pgbackrest_argv(&d, &argv, extra, PGB_RESTORE_OPTIONS, "restore");
    text = joined(&argv);
    /* the user's options come after pgdrill's, before the command */
    assert_string_equal(text, "pgbackrest --config=/etc/pgbackrest/pgbackrest.conf "
                              "--stanza=orders --type=time --repo1-path=/r --buffer-size=1MiB "
                              "restore");
    free(text);
    pgd_argv_free(&argv);

    cfg.pgbackrest.config = "";
    pgbackrest_argv(&d, &argv, NULL, PGB_ALL_STANZAS, "info");
    text = joined(&argv);
    assert_string_equal(text, "pgbackrest info"); /* no restore options for other commands */
    free(text);
    pgd_argv_free(&argv);
}

static void test_info(void **state)
{
    json_t *missing =
        json_loads("[{\"archive\":[],\"backup\":[],\"name\":\"nosuch\",\"status\":{\"code\":1,"
                   "\"message\":\"missing stanza path\"}}]",
                   0, NULL);
    json_t *ok = json_loads("[{\"archive\":[{\"id\":\"14-1\"},{\"id\":\"15-2\"}],"
                            "\"backup\":[{\"label\":\"20261124-101500F\"}],\"name\":\"orders\","
                            "\"status\":{\"code\":0,\"message\":\"ok\"}}]",
                            0, NULL);
    const char *message;

    (void)state;
    assert_true(pgbackrest_info_stanza_missing(missing, &message));
    assert_string_equal(message, "missing stanza path");
    assert_false(pgbackrest_info_stanza_missing(ok, &message));
    assert_string_equal(pgbackrest_info_archive_id(ok), "15-2"); /* the newest */
    assert_null(pgbackrest_info_archive_id(missing));
    assert_int_equal(json_array_size(pgbackrest_info_backups(ok)), 1);
    json_decref(missing);
    json_decref(ok);
}

/* The window facts, from info as pgBackRest 2.45 prints it (F75). */
static void test_info_window(void **state)
{
    json_t *info =
        json_loads("[{\"archive\":[{\"database\":{\"id\":1,\"repo-key\":1},\"id\":\"14-1\","
                   "\"max\":\"000000010000000000000009\",\"min\":\"000000010000000000000001\"},"
                   "{\"database\":{\"id\":2,\"repo-key\":1},\"id\":\"15-2\","
                   "\"max\":\"00000001000000000000002A\",\"min\":\"000000010000000000000003\"}],"
                   "\"backup\":[{\"label\":\"20261101-182000F\",\"type\":\"full\","
                   "\"database\":{\"id\":1,\"repo-key\":1},"
                   "\"timestamp\":{\"start\":1793730000,\"stop\":1793730037}},"
                   "{\"label\":\"20261104-182000F\",\"type\":\"full\","
                   "\"database\":{\"id\":2,\"repo-key\":1},"
                   "\"timestamp\":{\"start\":1793989200,\"stop\":1793989237}},"
                   "{\"label\":\"20261105-182000F_20261105-183000D\",\"type\":\"diff\"},"
                   "{\"label\":\"20261106-182000F\",\"type\":\"full\","
                   "\"timestamp\":{\"start\":1794162000,\"stop\":99999999999999}},"
                   "{\"label\":\"20261114-182000F\",\"type\":\"full\","
                   "\"database\":{\"id\":2,\"repo-key\":1},"
                   "\"timestamp\":{\"start\":1794853200,\"stop\":1794853237}}],"
                   "\"name\":\"orders\",\"status\":{\"code\":0,\"message\":\"ok\"}}]",
                   0, NULL);
    json_t *empty = json_loads("[{\"archive\":[],\"backup\":[],\"name\":\"orders\"}]", 0, NULL);
    pgd_target_backup *backups = NULL;
    const char *newest = NULL;

    (void)state;
    /* the set of the cluster before its stanza-upgrade (database 1) and a stop time beyond
       9999 are left out too */
    assert_int_equal(pgbackrest_info_window(info, &backups, &newest), 2);
    assert_string_equal(backups[0].label, "20261104-182000F");
    assert_true(backups[0].stop_s == 1793989237);
    /* a set without a stop time is left out, not read as ending in 1970 */
    assert_string_equal(backups[1].label, "20261114-182000F");
    assert_true(backups[1].stop_s == 1794853237);
    assert_string_equal(newest, "00000001000000000000002A"); /* the newest database's */
    free(backups);
    assert_int_equal(pgbackrest_info_window(empty, &backups, &newest), 0);
    assert_null(newest);
    free(backups);
    json_decref(info);
    json_decref(empty);
}

static void test_restore_lines(void **state)
{
    pgbackrest_restore_line l;

    (void)state;
    pgbackrest_parse_restore_line(
        "2026-11-25 10:00:00.100 P00   INFO: restore backup set 20261125-095900F, recovery will "
        "start at 2026-11-25 09:59:00",
        &l);
    assert_string_equal(l.backup_set, "20261125-095900F");
    assert_int_equal(l.repo, 0); /* pgBackRest 2.45 with one repository names none here */
    pgbackrest_restore_line_free(&l);
    pgbackrest_parse_restore_line("2026-11-25 10:00:00.100 P00   INFO: repo2: restore backup set "
                                  "20261125-095900F, recovery will start at 2026-11-25 09:59:00",
                                  &l);
    assert_int_equal(l.repo, 2);
    assert_false(l.chatter);
    assert_null(l.percent);
    pgbackrest_restore_line_free(&l);

    pgbackrest_parse_restore_line("2026-11-25 10:00:01.000 P01 DETAIL: restore file "
                                  "/d/base/5/16384 (104KB, 12.34%) checksum 0123abcd",
                                  &l);
    assert_true(l.chatter);
    assert_string_equal(l.percent, "12.34%");
    assert_null(l.backup_set);
    pgbackrest_restore_line_free(&l);

    /* pgBackRest prints this whatever happens: not a progress line */
    pgbackrest_parse_restore_line("2026-11-25 10:00:02.000 P00   INFO: restore command end: "
                                  "completed successfully (1234ms)",
                                  &l);
    assert_false(l.chatter);
    assert_null(l.percent);
    pgbackrest_restore_line_free(&l);

    pgbackrest_parse_restore_line("ERROR: [075]: unable to find backup set with stop time less "
                                  "than '2001-01-01 00:00:00+00'",
                                  &l);
    assert_string_equal(l.error, "ERROR: [075]: unable to find backup set with stop time less "
                                 "than '2001-01-01 00:00:00+00'");
    assert_true(pgbackrest_error_is_no_backup(l.error));
    pgbackrest_restore_line_free(&l);
    assert_false(pgbackrest_error_is_no_backup("ERROR: [029]: zlib threw error: data error"));
    assert_false(pgbackrest_error_is_no_backup(NULL));
}

/* What a failed restore was: the repository, the restore host, or the backup. */
static void test_restore_error_class(void **state)
{
    pgbackrest_restore_line l;

    (void)state;
    pgbackrest_parse_restore_line("2026-11-25 10:00:05.000 P00   INFO: restore command end: "
                                  "aborted with exception [101]",
                                  &l);
    assert_int_equal(l.aborted_code, 101);
    pgbackrest_restore_line_free(&l);
    assert_int_equal(pgbackrest_restore_error_class("ERROR: [101]: TLS error [1:167772454] "
                                                    "unexpected eof while reading"),
                     PGD_ERR_REPOSITORY_UNREACHABLE);
    assert_int_equal(pgbackrest_restore_error_class("ERROR: [049]: unable to get address for "
                                                    "'s3.example': [-2] Name or service not known"),
                     PGD_ERR_REPOSITORY_UNREACHABLE);
    assert_int_equal(pgbackrest_restore_error_class("ERROR: [105]: S3 request failed with 403: "
                                                    "Forbidden"),
                     PGD_ERR_REPOSITORY_UNREACHABLE);
    assert_int_equal(pgbackrest_restore_error_class("ERROR: [064]: unable to write '/d/base/1/2': "
                                                    "[28] No space left on device"),
                     PGD_ERR_RESTORE_HOST_ERROR);
    assert_int_equal(pgbackrest_restore_error_class("ERROR: [047]: unable to create path "
                                                    "'/d/base': [30] Read-only file system"),
                     PGD_ERR_RESTORE_HOST_ERROR);
    assert_int_equal(pgbackrest_restore_error_class("ERROR: [029]: zlib threw error: data error"),
                     PGD_ERR_RESTORE_FAILED);
    assert_int_equal(pgbackrest_restore_error_class("ERROR: [075]: unable to find backup set "
                                                    "with stop time less than '2001-01-01'"),
                     PGD_ERR_NO_BACKUP);
    assert_int_equal(pgbackrest_restore_error_class(NULL), PGD_ERR_RESTORE_FAILED);
}

static void test_strip_recovery_settings(void **state)
{
    const char *auto_conf = "# Do not edit this file manually!\n"
                            "work_mem = '64MB'\n"
                            "\n"
                            "# Recovery settings generated by pgBackRest restore on 2026-11-25\n"
                            "restore_command = 'pgbackrest --stanza=orders archive-get %f \"%p\"'\n"
                            "recovery_target_time = '2026-11-25 10:00:00.1+00'\n"
                            "  recovery_target_action = 'promote'\n"
                            "archive_mode = 'off'";
    char *kept = pgbackrest_strip_recovery_settings(auto_conf);

    (void)state;
    assert_string_equal(kept, "# Do not edit this file manually!\n"
                              "work_mem = '64MB'\n"
                              "\n"
                              "archive_mode = 'off'");
    free(kept);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_info_window),
        cmocka_unit_test(test_restore_lines),
        cmocka_unit_test(test_restore_error_class),
        cmocka_unit_test(test_strip_recovery_settings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
