/*
 * test_pgbackrest_options.c - pgBackRest's option grammar (docs/design.md,
 * F10): every spelling pgBackRest reads resolves to its option, and what
 * pgdrill keeps for itself or refuses as secret (F30) is recognised in all of
 * them.
 */
#include "pgbackrest_options.h"

#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define N_OF(array) (sizeof(array) / sizeof((array)[0]))

static void assert_parsed(const char *item, const char *name, const char *base, unsigned index)
{
    pgd_pgbackrest_option option;

    if (!pgd_pgbackrest_option_parse(item, strlen(item), &option))
        fail_msg("%s was not parsed", item);
    assert_string_equal(option.name, name);
    assert_string_equal(option.base, base);
    assert_int_equal(option.index, index);
    pgd_pgbackrest_option_free(&option);
}

static void test_parse(void **state)
{
    pgd_pgbackrest_option option;

    (void)state;
    assert_parsed("--delta", "delta", "delta", 0);
    assert_parsed("--repo2-s3-key=Sekrit", "repo2-s3-key", "repo-s3-key", 2);
    assert_parsed("--no-repo12-s3-key", "no-repo12-s3-key", "repo-s3-key", 12);
    assert_parsed("--reset-pg1-path", "reset-pg1-path", "pg-path", 1);
    assert_parsed("--db1-path=/x", "db1-path", "db-path", 1);
    assert_parsed("--repo-cipher-pass=x", "repo-cipher-pass", "repo-cipher-pass", 0);
    /* "no-" or "reset-" alone is a name, not a negation of nothing */
    assert_parsed("--no-", "no-", "no-", 0);
    /* the value is not looked at: anything goes after "=" */
    assert_parsed("--target=2026-01-01 00:00:00+00", "target", "target", 0);
    /* only the len bytes count: a token inside a longer command */
    assert_true(pgd_pgbackrest_option_parse("--process-max=4 archive-get", 15, &option));
    assert_string_equal(option.name, "process-max");
    pgd_pgbackrest_option_free(&option);
    assert_true(pgd_pgbackrest_option_parse("--delta --force", 7, &option));
    assert_string_equal(option.name, "delta");
    pgd_pgbackrest_option_free(&option);

    assert_false(pgd_pgbackrest_option_parse("delta", 5, &option));
    assert_false(pgd_pgbackrest_option_parse("-d", 2, &option));
    assert_false(pgd_pgbackrest_option_parse("--", 2, &option));
    assert_false(pgd_pgbackrest_option_parse("--=x", 4, &option));
    assert_false(pgd_pgbackrest_option_parse("--Delta", 7, &option));
    assert_false(pgd_pgbackrest_option_parse("--de_lta", 8, &option));
    assert_false(pgd_pgbackrest_option_parse("--delta", 1, &option));
}

static void test_resolve(void **state)
{
    static const char *const names[] = {"type", "target", "target-action", "archive-async"};

    (void)state;
    /* exact, prefix (the first name in order), negated, reset */
    assert_string_equal(pgd_pgbackrest_item_resolves("--target=x", 10, names, N_OF(names)),
                        "target");
    assert_string_equal(pgd_pgbackrest_item_resolves("--t", 3, names, N_OF(names)), "type");
    assert_string_equal(pgd_pgbackrest_item_resolves("--target-a=pause", 16, names, N_OF(names)),
                        "target-action");
    assert_string_equal(pgd_pgbackrest_item_resolves("--no-archive-async", 18, names, N_OF(names)),
                        "archive-async");
    assert_string_equal(pgd_pgbackrest_item_resolves("--reset-type", 12, names, N_OF(names)),
                        "type");
    /* longer than every name, another option, no option at all */
    assert_null(pgd_pgbackrest_item_resolves("--target-actions", 16, names, N_OF(names)));
    assert_null(pgd_pgbackrest_item_resolves("--archive-get-queue-max=5", 25, names, N_OF(names)));
    assert_null(pgd_pgbackrest_item_resolves("archive-get", 11, names, N_OF(names)));
    assert_null(pgd_pgbackrest_item_resolves("\"%p\"", 4, names, N_OF(names)));
}

/* Does an item set the option, in any spelling pgBackRest reads? */
static void test_items_set(void **state)
{
    static const char *const exact[] = {"--repo1-path=/r", "--log-level-console=info"};
    static const char *const prefix[] = {"--log-level-con=info"};
    static const char *const reset[] = {"--reset-log-level-console"};
    static const char *const others[] = {"--log-level-file=off", "--log-level-console-x=1",
                                         "log-level-console"};

    (void)state;
    assert_true(pgd_pgbackrest_items_set(exact, N_OF(exact), "log-level-console"));
    assert_true(pgd_pgbackrest_items_set(prefix, N_OF(prefix), "log-level-console"));
    assert_true(pgd_pgbackrest_items_set(reset, N_OF(reset), "log-level-console"));
    assert_false(pgd_pgbackrest_items_set(others, N_OF(others), "log-level-console"));
    assert_false(pgd_pgbackrest_items_set(NULL, 0, "log-level-console"));
}

static void assert_refused(const char *item, const char *expected)
{
    char *why = pgd_pgbackrest_option_refused(item, 3);

    if (why == NULL)
        fail_msg("%s was not refused", item);
    if (strstr(why, expected) == NULL)
        fail_msg("%s: %s", item, why);
    if (strstr(why, "Sekrit") != NULL)
        fail_msg("the value is in the reason: %s", why);
    free(why);
}

static void test_refused(void **state)
{
    static const char *const accepted[] = {
        "--repo1-path=/r",        "--log-level-console=info", "--target-timeline=current",
        "--repo2-type=s3",        "--buffer-size=1MiB",       "--repo1-s3-key-type=web-id",
        "--repo1-cipher-type=x",  "--repo1-s3-kms-key-id=k",  "--repo1-azure-container=c",
        "--repo1-gcs-bucket=b",   "--repo1-s3-role=r",        "--repo1-azure-key-type=sas",
        "--repo1-gcs-key-type=t",
    };

    (void)state;
    assert_refused("delta", "list item 3 does not start with \"--\"");
    assert_refused("--Delta", "list item 3 is not a pgBackRest option");
    /* the options pgdrill sets itself, with what to use instead where a key sets them */
    assert_refused("--de", "\"--de\" is --delta, which pgdrill sets itself");
    assert_refused("--db12-path=/x", "\"--db12-path\" is --pg1-path, which pgdrill sets itself");
    assert_refused("--pg2-pa=/x", "is --pg-path, which");
    assert_refused("--no-config", "is --config, which");
    assert_refused("--config-p=/etc", "is --config-path, which");
    assert_refused("--t", "is --type, which");
    assert_refused("--process-max=4",
                   "is --process-max, which pgdrill sets itself (use pgbackrest.process_max)");
    assert_refused("--se=x", "is --set, which pgdrill sets itself (use pgbackrest.set)");
    assert_refused("--rep=2", "is --repo, which pgdrill sets itself (use pgbackrest.repo)");
    /* secure options: where the secret belongs, never the secret */
    assert_refused("--repo2-s3-key-secret=Sekrit",
                   "\"--repo2-s3-key-secret\" is pgBackRest's secure option --repo-s3-key-secret: "
                   "its value would show in the process list and in pgdrill's log; set it in "
                   "pgBackRest's configuration file (pgbackrest.config) or in the environment "
                   "pgdrill runs in as PGBACKREST_REPO2_S3_KEY_SECRET");
    assert_refused("--repo-cipher-pass=Sekrit", " as PGBACKREST_REPO1_CIPHER_PASS");
    assert_refused("--reset-repo3-gcs-k", "--repo-gcs-key: ");
    for (size_t i = 0; i < N_OF(accepted); i++) {
        char *why = pgd_pgbackrest_option_refused(accepted[i], 1);

        if (why != NULL)
            fail_msg("%s: %s", accepted[i], why);
    }
}

static void test_env(void **state)
{
    pgd_pgbackrest_option option;
    char *env;

    (void)state;
    assert_true(pgd_pgbackrest_option_parse("--repo12-gcs-key", 16, &option));
    env = pgd_pgbackrest_option_env(&option, "repo-gcs-key");
    assert_string_equal(env, "PGBACKREST_REPO12_GCS_KEY");
    free(env);
    pgd_pgbackrest_option_free(&option);
    assert_true(pgd_pgbackrest_option_parse("--repo-s3-key", 13, &option));
    env = pgd_pgbackrest_option_env(&option, "repo-s3-key");
    assert_string_equal(env, "PGBACKREST_REPO1_S3_KEY");
    free(env);
    env = pgd_pgbackrest_option_env(&option, "process-max");
    assert_string_equal(env, "PGBACKREST_PROCESS_MAX");
    free(env);
    pgd_pgbackrest_option_free(&option);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),     cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_items_set), cmocka_unit_test(test_refused),
        cmocka_unit_test(test_env),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
