/*
 * fuzz_recovery_log.c - bootstrap/recovery_log.c on arbitrary server-log text.
 *
 * The input is fed line by line like the recovery instance's log; then the
 * facts are classified and the WAL segment arithmetic runs on segment names
 * from the input, with a segment size chosen by the first byte: a real one
 * (1 MB, 16 MB, 1 GB), an odd one (0, 1, 3, 4 GiB), or the next 8 bytes as
 * they are (pg_controldata's "Bytes per WAL segment" is parsed unchecked).
 */
#include "recovery_log.h"
#include "wal.h"

#include "fuzz_input.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long segment_sizes[] = {
    16L * 1024 * 1024, /* PostgreSQL's default */
    1L * 1024 * 1024,  /* initdb --wal-segsize: 1 MB ... */
    1L << 30,          /* ... to 1 GB */
    0,
    1,
    3,
    1L << 32,
};
#define N_SIZES (sizeof(segment_sizes) / sizeof(segment_sizes[0]))

static long segment_size(const uint8_t *data, size_t size)
{
    size_t choice;
    long raw = 0;

    if (size == 0)
        return segment_sizes[0];
    choice = data[0] % (N_SIZES + 1);
    if (choice < N_SIZES)
        return segment_sizes[choice];
    if (size > 1)
        memcpy(&raw, data + 1, size - 1 < sizeof(raw) ? size - 1 : sizeof(raw));
    return raw;
}

/* pgd_wal_next_segment's result is a segment name: 24 upper-case hex digits. */
static void check_segment_name(const char *name)
{
    bool ok = strlen(name) == 24;

    for (size_t i = 0; ok && i < 24; i++)
        ok = isxdigit((unsigned char)name[i]) && !islower((unsigned char)name[i]);
    if (!ok) {
        fprintf(stderr, "fuzz_recovery_log: next segment \"%s\" is not a segment name\n", name);
        abort();
    }
}

static void segment_arithmetic(const char *name, const char *other, long segment_bytes)
{
    char next[25];

    if (pgd_wal_next_segment(name, segment_bytes, next)) {
        check_segment_name(next);
        (void)pgd_wal_is_later_segment(next, name);
        (void)pgd_wal_is_later_segment(name, next);
    }
    (void)pgd_wal_is_later_segment(name, other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long segment_bytes = segment_size(data, size);
    recovery_log log = {0};
    char **lines = NULL;
    size_t n_lines = 0;
    const char *p = (const char *)data;
    const char *end = p + size;
    char *missing;
    recovery_failure f;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);

        lines = pgd_realloc(lines, (n_lines + 1) * sizeof(*lines));
        lines[n_lines] = pgd_strndup(p, len); /* a NUL inside ends the line's text */
        recovery_log_feed(&log, lines[n_lines]);
        n_lines++;
        p = eol ? eol + 1 : end;
    }

    missing = recovery_missing_segment(&log, segment_bytes);
    f = recovery_classify(&log, missing, size > 0 && (data[0] & 0x80) != 0,
                          n_lines > 0 ? lines[0] : "2026-11-25 10:00:00+00",
                          n_lines > 1 ? lines[n_lines - 1] : "exited with status 1");
    if (f.error_class == PGD_ERR_NONE || f.message == NULL)
        abort();
    free(f.message);

    for (size_t i = 0; i < n_lines; i++) {
        const char *other = missing ? missing : lines[n_lines - 1 - i];

        segment_arithmetic(lines[i], other, segment_bytes);
        if (strlen(lines[i]) > 24)
            segment_arithmetic(lines[i] + strlen(lines[i]) - 24, lines[i], segment_bytes);
    }
    if (log.last_restored_segment != NULL)
        segment_arithmetic(log.last_restored_segment, missing ? missing : "", segment_bytes);

    free(missing);
    for (size_t i = 0; i < n_lines; i++)
        free(lines[i]);
    free(lines);
    recovery_log_free(&log);
    return 0;
}
