/*
 * wal.c - WAL file names and segment arithmetic.
 */
#include "wal.h"

#include "xalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TIMELINE_DIGITS  8
#define DIRECTORY_DIGITS 16

static bool hex_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

bool pgd_wal_is_segment_name(const char *name)
{
    return name != NULL && strnlen(name, PGD_WAL_NAME_LEN) == PGD_WAL_NAME_LEN &&
           hex_digits(name, PGD_WAL_NAME_LEN);
}

bool pgd_wal_valid_segment_size(long bytes)
{
    return bytes >= PGD_WAL_SEGMENT_MIN && bytes <= PGD_WAL_SEGMENT_MAX &&
           (bytes & (bytes - 1)) == 0;
}

bool pgd_wal_next_segment(const char *segment, long segment_bytes, char next[PGD_WAL_NAME_LEN + 1])
{
    unsigned int tli, log_id, seg;
    uint64_t per_log_id;
    uint64_t number;

    /* Only sizes PostgreSQL allows: no division by zero (fuzz_controldata found 2^32). */
    if (!pgd_wal_is_segment_name(segment) || !pgd_wal_valid_segment_size(segment_bytes))
        return false;
    if (sscanf(segment, "%08X%08X%08X", &tli, &log_id, &seg) != 3)
        return false;
    per_log_id = UINT64_C(0x100000000) / (uint64_t)segment_bytes;
    number = (uint64_t)log_id * per_log_id + seg + 1;
    snprintf(next, PGD_WAL_NAME_LEN + 1, "%08X%08X%08X", tli, (unsigned int)(number / per_log_id),
             (unsigned int)(number % per_log_id));
    return true;
}

static bool same_timeline(const char *a, const char *b)
{
    return strncmp(a, b, TIMELINE_DIGITS) == 0;
}

bool pgd_wal_is_later_segment(const char *name, const char *segment)
{
    return pgd_wal_is_segment_name(name) && pgd_wal_is_segment_name(segment) &&
           same_timeline(name, segment) && strncmp(name, segment, PGD_WAL_NAME_LEN) > 0;
}

bool pgd_wal_not_after(const char *segment, const char *limit)
{
    return pgd_wal_is_segment_name(segment) && pgd_wal_is_segment_name(limit) &&
           same_timeline(segment, limit) && strncmp(segment, limit, PGD_WAL_NAME_LEN) <= 0;
}

bool pgd_wal_reached(const char *last_archived, const char *segment)
{
    /* last_archived may be a history file or a backup label: only segment names count */
    return pgd_wal_is_segment_name(last_archived) &&
           strncmp(last_archived, segment, PGD_WAL_NAME_LEN) >= 0;
}

char *pgd_wal_directory(const char *segment)
{
    return pgd_strndup(segment, DIRECTORY_DIGITS);
}

bool pgd_wal_is_later_directory(const char *name, const char *segment)
{
    return strlen(name) == DIRECTORY_DIGITS && hex_digits(name, DIRECTORY_DIGITS) &&
           same_timeline(name, segment) && strncmp(name, segment, DIRECTORY_DIGITS) > 0;
}

bool pgd_wal_parse_lsn(const char *text, uint64_t *lsn)
{
    unsigned int high, low;
    int used = 0;

    if (text == NULL || sscanf(text, "%X/%X%n", &high, &low, &used) != 2 || used == 0)
        return false;
    *lsn = ((uint64_t)high << 32) | low;
    return true;
}

void pgd_wal_segment_of(uint64_t lsn, unsigned int timeline, long segment_bytes,
                        char name[PGD_WAL_NAME_LEN + 1])
{
    uint64_t per_log_id = UINT64_C(0x100000000) / (uint64_t)segment_bytes;
    uint64_t number = lsn / (uint64_t)segment_bytes;

    snprintf(name, PGD_WAL_NAME_LEN + 1, "%08X%08X%08X", timeline,
             (unsigned int)(number / per_log_id), (unsigned int)(number % per_log_id));
}

bool pgd_wal_segment_start(const char *segment, long segment_bytes, uint64_t *lsn)
{
    unsigned int tli, log_id, seg;

    if (!pgd_wal_is_segment_name(segment) || !pgd_wal_valid_segment_size(segment_bytes) ||
        sscanf(segment, "%08X%08X%08X", &tli, &log_id, &seg) != 3)
        return false;
    *lsn = ((uint64_t)log_id << 32) + (uint64_t)seg * (uint64_t)segment_bytes;
    return true;
}
