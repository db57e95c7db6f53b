/*
 * test_recovery_log.c - reading PostgreSQL 15's recovery log and classifying a
 * failed recovery; WAL segment arithmetic. Lines are real ones from this stack.
 */
#include "recovery_log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define MB16 (16L * 1024 * 1024)

static void feed_all(recovery_log *log, const char *const *lines)
{
    for (size_t i = 0; lines[i] != NULL; i++)
        recovery_log_feed(log, lines[i]);
}

static void test_successful_recovery(void **state)
{
    const char *lines[] = {
        "2026-11-24 22:36:25.113 GMT [6062] LOG:  restored log file \"000000010000000000000002\" "
        "from archive",
        "2026-11-24 22:36:25.223 GMT [6062] LOG:  consistent recovery state reached at 0/2000100",
        "2026-11-24 22:36:25.223 GMT [6059] LOG:  database system is ready to accept read-only "
        "connections",
        "2026-11-24 22:36:25.214 GMT [6062] LOG:  restored log file \"000000010000000000000003\" "
        "from archive",
        "2026-11-24 22:36:25.241 P00   INFO: unable to find 000000010000000000000004 in the "
        "archive",
        "2026-11-24 22:36:25.242 GMT [6062] LOG:  recovery stopping before commit of transaction "
        "727, time 2026-11-24 22:36:22.866719+00",
        "2026-11-24 22:36:25.242 GMT [6062] LOG:  last completed transaction was at log time "
        "2026-11-24 22:36:22.863628+00",
        "2026-11-24 22:36:25.352 GMT [6062] LOG:  selected new timeline ID: 2",
        "2026-11-24 22:36:25.404 GMT [6059] LOG:  database system is ready to accept connections",
        NULL,
    };
    recovery_log log = {0};

    (void)state;
    feed_all(&log, lines);
    assert_string_equal(log.last_restored_segment, "000000010000000000000003");
    assert_string_equal(log.missing_segment, "000000010000000000000004");
    assert_true(log.consistent);
    assert_true(log.accepts_read_only);
    assert_true(log.promoted);
    assert_false(log.target_not_reached);
    assert_null(log.first_fatal);
    assert_int_equal(log.new_timeline, 2);
    assert_string_equal(log.stop_point, "recovery stopping before commit of transaction 727, time "
                                        "2026-11-24 22:36:22.866719+00");
    assert_string_equal(log.last_transaction_time, "2026-11-24 22:36:22.863628+00");
    recovery_log_free(&log);
}

/* The span and the speed of the replay, as PostgreSQL 15 logs them. */
static void test_redo_span_and_elapsed(void **state)
{
    recovery_log log;

    (void)state;
    recovery_log_init(&log);
    assert_true(log.redo_seconds < 0);
    recovery_log_feed(&log, "2026-11-25 23:07:47.540 UTC [812] LOG:  redo starts at 0/3000028");
    recovery_log_feed(&log, "2026-11-25 23:07:47.671 UTC [812] LOG:  redo done at 0/4107E48 "
                            "system usage: CPU: user: 0.01 s, system: 0.02 s, elapsed: 12.34 s");
    assert_string_equal(log.redo_start, "0/3000028");
    assert_string_equal(log.redo_done, "0/4107E48");
    assert_true(log.redo_seconds > 12.33 && log.redo_seconds < 12.35);
    /* A line without the usage part: span yes, time unknown. */
    recovery_log_feed(&log, "LOG:  redo done at 0/4107E50");
    assert_string_equal(log.redo_done, "0/4107E50");
    assert_true(log.redo_seconds < 0);
    recovery_log_feed(&log, "LOG:  redo done at 0/4107E58 system usage: elapsed: x s");
    assert_true(log.redo_seconds < 0);
    recovery_log_free(&log);
}

/* "read-only connections" must not be taken for the promotion. */
static void test_read_only_is_not_promotion(void **state)
{
    recovery_log log = {0};

    (void)state;
    recovery_log_feed(&log, "LOG:  database system is ready to accept read-only connections");
    assert_true(log.accepts_read_only);
    assert_false(log.promoted);
    recovery_log_free(&log);
}

static const char *const target_not_reached_lines[] = {
    "LOG:  restored log file \"000000010000000000000003\" from archive",
    "P00   INFO: unable to find 000000010000000000000004 in the archive",
    "FATAL:  recovery ended before configured recovery target was reached",
    "LOG:  startup process (PID 6062) exited with exit code 1",
    NULL,
};

static void test_classify_wal_missing(void **state)
{
    recovery_log log = {0};
    recovery_failure f;
    char *missing;

    (void)state;
    feed_all(&log, target_not_reached_lines);
    missing = recovery_missing_segment(&log, MB16);
    assert_string_equal(missing, "000000010000000000000004");
    f = recovery_classify(&log, missing, true, "2026-11-24 22:36:46.175506+00", "exited");
    assert_int_equal(f.error_class, PGD_ERR_WAL_MISSING);
    assert_non_null(strstr(f.message, "000000010000000000000004 is missing"));
    free(f.message);
    free(missing);
    recovery_log_free(&log);
}

static void test_classify_target_not_reached(void **state)
{
    recovery_log log = {0};
    recovery_failure f;

    (void)state;
    feed_all(&log, target_not_reached_lines);
    f = recovery_classify(&log, "000000010000000000000004", false, "T", "exited");
    assert_int_equal(f.error_class, PGD_ERR_TARGET_NOT_REACHED);
    assert_non_null(strstr(f.message, "up to 000000010000000000000003"));
    free(f.message);
    recovery_log_free(&log);
}

static void test_classify_other_fatal(void **state)
{
    recovery_log log = {0};
    recovery_failure f;

    (void)state;
    recovery_log_feed(&log, "LOG:  starting PostgreSQL 15.18");
    recovery_log_feed(&log, "FATAL:  could not access file \"timescaledb\": No such file");
    recovery_log_feed(&log, "PANIC:  later panic");
    f = recovery_classify(&log, NULL, false, "T", "exited with status 1");
    assert_int_equal(f.error_class, PGD_ERR_RECOVERY_FAILED);
    assert_string_equal(
        f.message, "recovery failed: FATAL:  could not access file \"timescaledb\": No such file");
    free(f.message);
    recovery_log_free(&log);

    memset(&log, 0, sizeof(log));
    f = recovery_classify(&log, NULL, false, "T", "terminated by signal 9 (Killed)");
    assert_int_equal(f.error_class, PGD_ERR_RECOVERY_FAILED);
    assert_string_equal(f.message, "postgres terminated by signal 9 (Killed) before promotion "
                                   "without logging a FATAL error");
    free(f.message);
}

/* Without pgBackRest's message (console log level warn), the segment after the last restored. */
static void test_missing_segment_fallback(void **state)
{
    recovery_log log = {0};
    char *missing;

    (void)state;
    recovery_log_feed(&log, "LOG:  restored log file \"0000000100000000000000FF\" from archive");
    missing = recovery_missing_segment(&log, MB16);
    assert_string_equal(missing, "000000010000000100000000");
    free(missing);
    recovery_log_free(&log);

    memset(&log, 0, sizeof(log));
    assert_null(recovery_missing_segment(&log, MB16));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_successful_recovery),
        cmocka_unit_test(test_read_only_is_not_promotion),
        cmocka_unit_test(test_redo_span_and_elapsed),
        cmocka_unit_test(test_classify_wal_missing),
        cmocka_unit_test(test_classify_target_not_reached),
        cmocka_unit_test(test_classify_other_fatal),
        cmocka_unit_test(test_missing_segment_fallback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
