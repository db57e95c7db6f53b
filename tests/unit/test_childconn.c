/*
 * test_childconn.c - a child's command line never carries a secret.
 */
#include "childconn.h"
#include "fsutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *env_value(const pgd_child_conn *conn, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; conn->env[i] != NULL; i++) {
        if (strncmp(conn->env[i], name, len) == 0 && conn->env[i][len] == '=')
            return conn->env[i] + len + 1;
    }
    return NULL;
}

static void test_password_goes_to_the_environment(void **state)
{
    pgd_child_conn conn;
    char *errmsg = NULL;
    char *for_db;

    (void)state;
    assert_true(pgd_child_conn_prepare("host=h user=u password='pa ss'", &conn, &errmsg));
    assert_null(strstr(conn.conninfo, "pa ss"));
    assert_null(strstr(conn.conninfo, "password"));
    assert_string_equal(env_value(&conn, "PGPASSWORD"), "pa ss");
    assert_null(conn.private_dir);
    for_db = pgd_child_conn_for_database(&conn, "inventory");
    assert_string_equal(for_db, "user=u dbname=inventory host=h");
    free(for_db);
    pgd_child_conn_free(&conn);

    /* nothing secret: nothing extra */
    assert_true(pgd_child_conn_prepare("", &conn, &errmsg));
    assert_null(conn.env[0]);
    pgd_child_conn_free(&conn);
}

/* sslpassword has no environment variable in libpq: a 0600 service file. */
static void test_sslpassword_goes_to_a_private_service_file(void **state)
{
    pgd_child_conn conn;
    char *errmsg = NULL;
    const char *service_file;
    char *text;
    struct stat st;
    char *dir;

    (void)state;
    assert_true(pgd_child_conn_prepare("host=h sslpassword=key-pass password=pw", &conn, &errmsg));
    assert_null(strstr(conn.conninfo, "key-pass"));
    assert_non_null(strstr(conn.conninfo, "service=pgdrill"));
    service_file = env_value(&conn, "PGSERVICEFILE");
    assert_non_null(service_file);
    assert_int_equal(stat(service_file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(conn.private_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    text = pgd_read_file(service_file, 4096, &errmsg);
    assert_string_equal(text, "[pgdrill]\nsslpassword=key-pass\n");
    free(text);
    assert_string_equal(env_value(&conn, "PGPASSWORD"), "pw");
    dir = strdup(conn.private_dir);
    pgd_child_conn_free(&conn);
    assert_int_not_equal(stat(dir, &st), 0); /* removed */
    free(dir);
}

static void test_what_cannot_be_handed_over_is_refused(void **state)
{
    pgd_child_conn conn;
    char *errmsg = NULL;

    (void)state;
    assert_false(pgd_child_conn_prepare("host=h sslpassword='two\nlines'", &conn, &errmsg));
    assert_non_null(strstr(errmsg, "sslpassword"));
    assert_null(strstr(errmsg, "two"));
    free(errmsg);
    pgd_child_conn_free(&conn);
    assert_false(pgd_child_conn_prepare("service=mine sslpassword=kp12345", &conn, &errmsg));
    assert_non_null(strstr(errmsg, "service=mine"));
    free(errmsg);
    pgd_child_conn_free(&conn);
    assert_false(pgd_child_conn_prepare("host=h junk", &conn, &errmsg));
    free(errmsg);
    pgd_child_conn_free(&conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_goes_to_the_environment),
        cmocka_unit_test(test_sslpassword_goes_to_a_private_service_file),
        cmocka_unit_test(test_what_cannot_be_handed_over_is_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
