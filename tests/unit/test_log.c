/*
 * test_log.c - every line has time, program, PID and level, and no secret.
 */
#include "log.h"
#include "secret.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *capture_stderr(void (*emit)(void))
{
    char path[] = "/tmp/pgdrill-test-log-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    char *text = calloc(1, 4096);
    FILE *fp;

    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    emit();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    fp = fopen(path, "r");
    assert_true(fread(text, 1, 4095, fp) > 0 || feof(fp));
    fclose(fp);
    unlink(path);
    return text;
}

static void emit_lines(void)
{
    pgd_log_init("/usr/bin/pgdrill-test");
    pgd_log_set_level(PGD_LOG_INFO);
    pgd_debug("hidden below info");
    pgd_info("connecting with password s3cret-pw");
    pgd_error("could not open \"%s\"", "/x");
}

static void test_line_format(void **state)
{
    regex_t re;
    char *text;

    (void)state;
    pgd_secret_register("s3cret-pw");
    text = capture_stderr(emit_lines);
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                             "pgdrill-test\\[[0-9]+\\] INFO: connecting with password \\*{8}\n"
                             "[^ ]+ pgdrill-test\\[[0-9]+\\] ERROR: could not open \"/x\"\n$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    if (regexec(&re, text, 0, NULL, 0) != 0)
        fail_msg("unexpected log output:\n%s", text);
    regfree(&re);
    free(text);
    pgd_secret_clear();
}

static void test_level_names(void **state)
{
    (void)state;
    assert_int_equal(pgd_log_level_from_name("debug"), PGD_LOG_DEBUG);
    assert_int_equal(pgd_log_level_from_name("INFO"), PGD_LOG_INFO);
    assert_int_equal(pgd_log_level_from_name("warn"), PGD_LOG_WARNING);
    assert_int_equal(pgd_log_level_from_name("warning"), PGD_LOG_WARNING);
    assert_int_equal(pgd_log_level_from_name("error"), PGD_LOG_ERROR);
    assert_int_equal(pgd_log_level_from_name("loud"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format),
        cmocka_unit_test(test_level_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
