/*
 * test_quarantine.c - the private recovery instance loads every library the
 * restored cluster asks for but pg_cron: postgresql.auto.conf (ALTER SYSTEM,
 * restored with the backup) wins over recovery.settings, as PostgreSQL reads
 * it after postgresql.conf.
 */
#include "quarantine.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static void assert_preload(const char *auto_conf, const char *settings_value, const char *expected)
{
    pgd_setting setting = {.name = "Shared_Preload_Libraries", .value = (char *)settings_value};
    pgd_config cfg;
    char *preload;

    memset(&cfg, 0, sizeof(cfg));
    if (settings_value != NULL) {
        cfg.recovery.settings.items = &setting;
        cfg.recovery.settings.count = 1;
    }
    preload = quarantine_preload_libraries(auto_conf, &cfg);
    if (expected == NULL)
        assert_null(preload);
    else
        assert_string_equal(preload, expected);
    free(preload);
}

static void test_pg_cron_left_out(void **state)
{
    (void)state;
    /* nothing configured, or nothing to leave out: the instance starts as configured */
    assert_preload(NULL, NULL, NULL);
    assert_preload("restore_command = 'x'\n", NULL, NULL);
    assert_preload("shared_preload_libraries = 'timescaledb'\n", NULL, NULL);
    assert_preload(NULL, "pg_stat_statements", NULL);
    /* from postgresql.auto.conf, from recovery.settings */
    assert_preload("shared_preload_libraries = 'pg_cron,timescaledb'\n", NULL, "timescaledb");
    assert_preload(NULL, "pg_stat_statements, pg_cron", "pg_stat_statements");
    assert_preload("shared_preload_libraries = 'pg_cron'\n", NULL, "");
    /* postgresql.auto.conf wins over recovery.settings (postgresql.conf), either way */
    assert_preload("shared_preload_libraries = 'pg_cron'\n", "pg_stat_statements", "");
    assert_preload("shared_preload_libraries = 'auto_explain'\n", "pg_cron", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pg_cron_left_out),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
