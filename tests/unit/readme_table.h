/*
 * readme_table.h - the rows of one markdown table of README.md, for the unit
 * tests that hold the README (the users' contract) to the tables in the code:
 * error classes, exit codes, configuration keys, command-line options.
 */
#ifndef PGDRILL_TEST_README_TABLE_H
#define PGDRILL_TEST_README_TABLE_H

#include "fsutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define README_TABLE_MAX_ROWS 64
#define README_TABLE_MAX_COLS 5

typedef struct readme_table {
    char *text; /* the README, cut into cells in place */
    int rows;
    int cols;
    char *cell[README_TABLE_MAX_ROWS][README_TABLE_MAX_COLS];
} readme_table;

/* The cells of one markdown table row, trimmed; the count, or -1 for text after the last cell. */
static int readme_split_row(char *line, char **cells, int max)
{
    int n = 0;
    char *p = line;

    if (*p != '|')
        return 0;
    p++;
    while (n < max && *p != '\0') {
        char *end = strchr(p, '|');

        if (end == NULL)
            break;
        *end = '\0';
        while (*p == ' ')
            p++;
        for (char *q = end - 1; q >= p && *q == ' '; q--)
            *q = '\0';
        cells[n++] = p;
        p = end + 1;
    }
    return *p == '\0' ? n : -1;
}

/*
 * The body of the table whose header line is exactly header (a cmocka
 * failure when the README lacks it); every row must have cols cells.
 */
static void readme_table_load(readme_table *t, const char *header, int cols)
{
    char *errmsg = NULL;
    char *at;
    char *line;
    char *next;

    assert_true(cols <= README_TABLE_MAX_COLS);
    t->text = pgd_read_file(PGDRILL_SOURCE_DIR "/README.md", 1024 * 1024, &errmsg);
    assert_non_null(t->text);
    t->rows = 0;
    t->cols = cols;
    at = strstr(t->text, header);
    assert_non_null(at);
    assert_true(at == t->text || at[-1] == '\n');
    at = strchr(at, '\n');
    assert_non_null(at);
    at = strchr(at + 1, '\n'); /* skip the rule under the header */
    assert_non_null(at);
    for (line = at + 1; line[0] == '|'; line = next) {
        next = strchr(line, '\n');
        assert_non_null(next);
        *next++ = '\0';
        assert_true(t->rows < README_TABLE_MAX_ROWS);
        assert_int_equal(readme_split_row(line, t->cell[t->rows], cols), cols);
        t->rows++;
    }
}

static void readme_table_free(readme_table *t)
{
    free(t->text);
    t->text = NULL;
}

#endif
