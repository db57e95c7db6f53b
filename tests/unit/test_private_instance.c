/*
 * test_private_instance.c - the private recovery instance's configuration:
 * at least pg_control's limits, raised but never lowered by
 * recovery.settings (docs/design.md, F6); no TCP, its socket and files in
 * the private directory; the directory tagged and private.
 */
#include "fsutil.h"
#include "leftover.h"
#include "private_instance.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fake_controldata(controldata *cd)
{
    memset(cd, 0, sizeof(*cd));
    cd->max_connections = 300;
    cd->max_worker_processes = 4;
    cd->max_wal_senders = 10;
    cd->max_prepared_xacts = 0;
    cd->max_locks_per_xact = 64;
}

static void test_conf(void **state)
{
    pgd_setting settings[] = {
        {"max_connections", "200"}, {"max_worker_processes", "16"}, {"shared_buffers", "it's"}};
    pgd_config cfg = {0};
    controldata cd;
    char *conf;

    (void)state;
    fake_controldata(&cd);
    conf = private_instance_conf(&cfg, &cd);
    /* pg_control's values, and PostgreSQL's defaults where those are higher */
    assert_non_null(strstr(conf, "hot_standby = on\nmax_connections = 300\n"
                                 "max_worker_processes = 8\nmax_wal_senders = 10\n"
                                 "max_prepared_transactions = 0\n"
                                 "max_locks_per_transaction = 64\n"));
    assert_null(strstr(conf, "recovery.settings"));
    free(conf);

    cfg.recovery.settings.items = settings;
    cfg.recovery.settings.count = 3;
    conf = private_instance_conf(&cfg, &cd);
    /* raised by recovery.settings (16), never lowered (200 < 300) */
    assert_non_null(strstr(conf, "max_connections = 300\nmax_worker_processes = 16\n"));
    /* other settings written once, quoted; the minimums are not written twice */
    assert_non_null(strstr(conf, "# recovery.settings from the pgdrill configuration\n"
                                 "shared_buffers = 'it''s'\n"));
    assert_null(strstr(conf, "max_connections = '"));
    free(conf);

    /* a source below PostgreSQL's defaults gets the defaults: a hot standby needs no less */
    cfg.recovery.settings.count = 0;
    cd.max_connections = 20;
    cd.max_wal_senders = 0;
    cd.max_locks_per_xact = 10;
    conf = private_instance_conf(&cfg, &cd);
    assert_non_null(strstr(conf, "max_connections = 100\nmax_worker_processes = 8\n"
                                 "max_wal_senders = 10\nmax_prepared_transactions = 0\n"
                                 "max_locks_per_transaction = 64\n"));
    free(conf);
}

static bool argv_has(const pgd_argv *argv, const char *item)
{
    for (size_t i = 0; i < argv->count; i++) {
        if (strcmp(argv->items[i], item) == 0)
            return true;
    }
    return false;
}

static void test_argv(void **state)
{
    char datadir[] = "/tmp/pgdrill-test-private-XXXXXX";
    pgd_config cfg = {0};
    drill d = {0};
    pgd_argv argv;

    (void)state;
    assert_non_null(mkdtemp(datadir));
    d.cfg = &cfg;
    d.datadir = datadir;
    private_instance_argv(&d, "/usr/lib/postgresql/15/bin", "/tmp/pgdrill-abc", NULL, &argv);
    assert_string_equal(argv.items[0], "/usr/lib/postgresql/15/bin/postgres");
    assert_true(argv_has(&argv, datadir));
    assert_true(argv_has(&argv, "config_file=/tmp/pgdrill-abc/postgresql.conf"));
    assert_true(argv_has(&argv, "hba_file=/tmp/pgdrill-abc/pg_hba.conf"));
    assert_true(argv_has(&argv, "listen_addresses="));
    assert_true(argv_has(&argv, "unix_socket_directories=/tmp/pgdrill-abc"));
    assert_true(argv_has(&argv, "port=" LEFTOVER_PRIVATE_PORT));
    assert_true(argv_has(&argv, "archive_mode=off"));
    /* what recovery_log.h reads: stderr, with the time and PID in front */
    assert_true(argv_has(&argv, "log_line_prefix=%m [%p] "));
    /* the quarantine's settings come along (quarantine.h) */
    assert_true(argv_has(&argv, "max_logical_replication_workers=0"));
    for (size_t i = 0; i < argv.count; i++)
        assert_true(strncmp(argv.items[i], "restore_command=", 16) != 0);
    pgd_argv_free(&argv);

    private_instance_argv(&d, "/bin", "/tmp/pgdrill-abc", "pgbackrest archive-get %f \"%p\"",
                          &argv);
    assert_true(argv_has(&argv, "restore_command=pgbackrest archive-get %f \"%p\""));
    pgd_argv_free(&argv);
    rmdir(datadir);
}

static void assert_private_file(const char *dir, const char *name, const char *expected)
{
    char *path = pgd_asprintf("%s/%s", dir, name);
    char *errmsg = NULL;
    char *text = pgd_read_file(path, 65536, &errmsg);
    struct stat st;

    if (text == NULL)
        fail_msg("%s: %s", path, errmsg);
    if (expected != NULL)
        assert_string_equal(text, expected);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(text);
    free(path);
}

static void test_create(void **state)
{
    pgd_config cfg = {0};
    controldata cd;
    char *errmsg = NULL;
    char *dir;
    char *tag;
    struct stat st;

    (void)state;
    fake_controldata(&cd);
    dir = private_instance_create(&cfg, "/srv/drill", &cd, &errmsg);
    if (dir == NULL)
        fail_msg("%s", errmsg);
    assert_true(strncmp(dir, LEFTOVER_PRIVATE_PREFIX, strlen(LEFTOVER_PRIVATE_PREFIX)) == 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_private_file(dir, "pg_hba.conf", "local all all trust\n");
    assert_private_file(dir, "pg_ident.conf", "");
    assert_private_file(dir, "postgresql.conf", NULL);
    /* tied to its data directory, so a later bootstrap may remove it (leftover.h) */
    tag = pgd_asprintf("%s/" LEFTOVER_TAG_FILE, dir);
    assert_int_equal(access(tag, F_OK), 0);
    free(tag);
    pgd_remove_tree(dir);
    free(dir);
}

static void test_conninfo(void **state)
{
    char *conninfo = private_instance_conninfo("/tmp/pgdrill-abc");

    (void)state;
    assert_non_null(conninfo);
    assert_true(strncmp(conninfo,
                        "host=/tmp/pgdrill-abc port=" LEFTOVER_PRIVATE_PORT
                        " dbname=template1 user=",
                        strlen("host=/tmp/pgdrill-abc port=" LEFTOVER_PRIVATE_PORT
                               " dbname=template1 user=")) == 0);
    free(conninfo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf),
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_conninfo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
