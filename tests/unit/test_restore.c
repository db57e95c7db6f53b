/*
 * test_restore.c - the restore's command line: the options pgdrill sets,
 * every one of them kept from pgbackrest.options by pgBackRest's grammar
 * (pgbackrest_options.h), and the per-file progress lines unless the user
 * chose the console's log level in any spelling.
 */
#include "pgbackrest.h"
#include "pgbackrest_options.h"
#include "restore.h"
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

static void fake_drill(drill *d, pgd_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    memset(d, 0, sizeof(*d));
    cfg->pgbackrest.stanza = "orders";
    cfg->pgbackrest.config = "/etc/pgbackrest/pgbackrest.conf";
    cfg->pgbackrest.repo = 2;
    cfg->pgbackrest.process_max = 4;
    d->cfg = cfg;
    d->datadir = "/srv/drill";
    d->target_time = "2026-11-24 10:15:09.123456+00";
}

static void test_options(void **state)
{
    pgd_config cfg;
    drill d;
    pgd_argv extra;
    char *text;

    (void)state;
    fake_drill(&d, &cfg);
    restore_options(&d, "20261124-101500F", &extra);
    text = joined(&extra);
    assert_string_equal(text, "--set=20261124-101500F --pg1-path=/srv/drill --type=time "
                              "--target=2026-11-24 10:15:09.123456+00 --target-action=promote "
                              "--archive-mode=off --process-max=4 --log-level-console=detail");
    free(text);
    pgd_argv_free(&extra);
    /* latest: pgBackRest picks the set */
    restore_options(&d, NULL, &extra);
    assert_string_equal(extra.items[0], "--pg1-path=/srv/drill");
    pgd_argv_free(&extra);
}

/*
 * Whatever pgdrill sets on the restore, pgbackrest.options can set in no
 * spelling; only the console's log level is the user's to choose.
 */
static void test_every_option_pgdrill_sets_is_refused(void **state)
{
    pgd_config cfg;
    drill d;
    pgd_argv extra;
    pgd_argv argv;

    (void)state;
    fake_drill(&d, &cfg);
    restore_options(&d, "20261124-101500F", &extra);
    pgbackrest_argv(&d, &argv, pgd_argv_get(&extra), PGB_RESTORE_OPTIONS, "restore");
    assert_true(argv.count > 10);
    for (size_t i = 1; i + 1 < argv.count; i++) {
        char *why = pgd_pgbackrest_option_refused(argv.items[i], i);

        if (strncmp(argv.items[i], "--log-level-console=", 20) == 0) {
            assert_null(why);
            continue;
        }
        if (why == NULL || strstr(why, "which pgdrill sets itself") == NULL)
            fail_msg("pgbackrest.options may set %s: %s", argv.items[i], why ? why : "accepted");
        free(why);
    }
    pgd_argv_free(&argv);
    pgd_argv_free(&extra);
}

static void test_log_level_given_way(void **state)
{
    static const char *const spellings[] = {"--log-level-console=info", "--log-level-con=warn",
                                            "--reset-log-level-console"};
    pgd_config cfg;
    drill d;
    pgd_argv extra;

    (void)state;
    fake_drill(&d, &cfg);
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        char *options[] = {"--repo1-path=/r", (char *)spellings[i]};
        char *text;

        cfg.pgbackrest.options.items = options;
        cfg.pgbackrest.options.count = 2;
        restore_options(&d, NULL, &extra);
        text = joined(&extra);
        if (strstr(text, "log-level-console") != NULL)
            fail_msg("with %s: %s", spellings[i], text);
        free(text);
        pgd_argv_free(&extra);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_every_option_pgdrill_sets_is_refused),
        cmocka_unit_test(test_log_level_given_way),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
