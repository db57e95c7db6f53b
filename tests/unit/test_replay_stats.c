/*
 * test_replay_stats.c - the WAL a replay covered, from the server log's
 * "redo starts at" and "redo done at" (docs/design.md, F7 and F16).
 */
#include "replay_stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define SEGMENT (16 * 1024 * 1024L)

static void test_span(void **state)
{
    recovery_log log;
    replay_span span;

    (void)state;
    recovery_log_init(&log);
    assert_false(replay_span_of(&log, 1, SEGMENT, 3.0, &span));
    recovery_log_feed(&log, "2026-11-25 23:07:47.540 UTC [812] LOG:  redo starts at 0/3000028");
    assert_false(replay_span_of(&log, 1, SEGMENT, 3.0, &span));
    recovery_log_feed(&log, "2026-11-25 23:07:47.671 UTC [812] LOG:  redo done at 0/5000050 "
                            "system usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 1.50 s");
    assert_true(replay_span_of(&log, 1, SEGMENT, 3.0, &span));
    assert_string_equal(span.first, "000000010000000000000003");
    assert_string_equal(span.last, "000000010000000000000005");
    assert_int_equal(span.bytes, 0x5000050 - 0x3000028);
    assert_int_equal(span.segments, 3);
    /* PostgreSQL's own measure comes first */
    assert_true(span.seconds > 1.49 && span.seconds < 1.51);
    /* on another timeline, with another segment size */
    assert_true(replay_span_of(&log, 3, 64 * 1024 * 1024L, 3.0, &span));
    assert_string_equal(span.first, "000000030000000000000000");
    assert_string_equal(span.last, "000000030000000000000001");
    assert_int_equal(span.segments, 2);
    /* not a WAL segment size */
    assert_false(replay_span_of(&log, 1, 1000, 3.0, &span));
    recovery_log_free(&log);

    /* without "elapsed": our own clock, or unknown */
    recovery_log_init(&log);
    recovery_log_feed(&log, "LOG:  redo starts at 0/3000028");
    recovery_log_feed(&log, "LOG:  redo done at 0/3000100");
    assert_true(replay_span_of(&log, 1, SEGMENT, 3.0, &span));
    assert_true(span.seconds > 2.99 && span.seconds < 3.01);
    assert_int_equal(span.segments, 1);
    assert_true(replay_span_of(&log, 1, SEGMENT, -1, &span));
    assert_true(span.seconds < 0);
    recovery_log_free(&log);

    /* done before start: no span */
    recovery_log_init(&log);
    recovery_log_feed(&log, "LOG:  redo starts at 0/5000028");
    recovery_log_feed(&log, "LOG:  redo done at 0/3000100");
    assert_false(replay_span_of(&log, 1, SEGMENT, 3.0, &span));
    recovery_log_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_span),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
