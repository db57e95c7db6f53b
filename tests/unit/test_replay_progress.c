/*
 * test_replay_progress.c - following replay without a server: the rate and
 * the time left, what counts as movement for the repository's watch
 * (docs/design.md, F42), and the bytes in pgBackRest's WAL queue.
 */
#include "fsutil.h"
#include "replay_progress.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MB (1000 * 1000ULL)

static void assert_rate(uint64_t start, uint64_t to, double seconds, uint64_t end,
                        const char *expected)
{
    char *text = replay_rate_text(start, to, seconds, end);

    assert_string_equal(text, expected);
    free(text);
}

static void test_rate(void **state)
{
    (void)state;
    /* 84 MB in 2 s: 42 MB/s; 90 s left for 3780 MB more */
    assert_rate(16 * MB, 100 * MB, 2.0, 3880 * MB, ", 42.0 MB/s, about 90 s left");
    /* the end not known, or already passed: the rate alone */
    assert_rate(16 * MB, 100 * MB, 2.0, 0, ", 42.0 MB/s");
    assert_rate(16 * MB, 100 * MB, 2.0, 100 * MB, ", 42.0 MB/s");
    /* before a second has passed, or before anything was replayed: nothing */
    assert_rate(16 * MB, 100 * MB, 0.5, 0, "");
    assert_rate(16 * MB, 16 * MB, 10.0, 0, "");
    assert_rate(16 * MB, 8 * MB, 10.0, 0, "");
}

static void test_moved(void **state)
{
    replay_progress p;

    (void)state;
    replay_progress_init(&p);
    /* nothing at all yet */
    assert_false(replay_progress_moved(&p, -1, NULL));
    /* a segment restored, then the same one again */
    assert_true(replay_progress_moved(&p, -1, "000000010000000000000003"));
    assert_false(replay_progress_moved(&p, -1, "000000010000000000000003"));
    assert_true(replay_progress_moved(&p, -1, "000000010000000000000004"));
    /* replay applying what it holds after a fetch failed (19 kB) is no movement; a MB is */
    p.replayed_lsn = 19 * 1024;
    assert_false(replay_progress_moved(&p, -1, "000000010000000000000004"));
    p.replayed_lsn = 1024 * 1024;
    assert_true(replay_progress_moved(&p, -1, "000000010000000000000004"));
    /* the queue: its first 64 kB, then 64 kB more; shrinking lowers the mark only */
    assert_true(replay_progress_moved(&p, 64 * 1024, "000000010000000000000004"));
    assert_false(replay_progress_moved(&p, 100 * 1024, "000000010000000000000004"));
    assert_false(replay_progress_moved(&p, 10 * 1024, "000000010000000000000004"));
    assert_true(replay_progress_moved(&p, 74 * 1024, "000000010000000000000004"));
    replay_progress_free(&p);
}

static void write_bytes(const char *dir, const char *name, size_t n)
{
    char *path = pgd_asprintf("%s/%s", dir, name);
    char *data = pgd_calloc(n + 1, 1);
    char *errmsg = NULL;

    memset(data, 'x', n);
    if (!pgd_write_file_atomic(path, data, 0600, &errmsg))
        fail_msg("%s", errmsg);
    free(data);
    free(path);
}

static void test_queued_bytes(void **state)
{
    char dir[] = "/tmp/pgdrill-test-queue-XXXXXX";

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(replay_queued_bytes(dir), 0);
    write_bytes(dir, "000000010000000000000003", 1000);
    write_bytes(dir, "000000010000000000000004.pgbackrest.tmp", 300);
    /* pgBackRest's status files are not WAL */
    write_bytes(dir, "000000010000000000000005.ok", 50);
    write_bytes(dir, "000000010000000000000006.error", 70);
    assert_int_equal(replay_queued_bytes(dir), 1300);
    pgd_remove_tree(dir);
    assert_int_equal(replay_queued_bytes(dir), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_moved),
        cmocka_unit_test(test_queued_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
