/*
 * test_backup_pages.c - pgBackRest's manifest: which files it found bad pages in.
 */
#include "backup_pages.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MANIFEST_END                                                                               \
    "\n[backrest]\nbackrest-checksum=\"442eb6df142a9b4a35b292544f48501f60f05965\"\n"

static char *read_seed(const char *name)
{
    char path[512];
    FILE *f;
    char *text = calloc(1, 65536);
    size_t n;

    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz_manifest/%s", PGDRILL_SOURCE_DIR, name);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static const char *file_of(json_t *files, size_t i)
{
    return json_string_value(json_object_get(json_array_get(files, i), "file"));
}

static char *pages_of(json_t *files, size_t i)
{
    return backup_pages_describe(json_object_get(json_array_get(files, i), "pages"));
}

static void assert_pages(json_t *files, size_t i, const char *expected)
{
    char *pages = pages_of(files, i);

    assert_string_equal(pages, expected);
    free(pages);
}

/* A manifest as pgBackRest 2.45 writes it, with a page, a range, a referenced file, a tablespace.
 */
static void test_flagged_files(void **state)
{
    char *text = read_seed("flagged");
    json_t *files = NULL;
    char *errmsg = NULL;

    (void)state;
    assert_true(backup_pages_parse_manifest(text, &files, &errmsg));
    assert_null(errmsg);
    assert_int_equal(json_array_size(files), 3);
    assert_string_equal(file_of(files, 0), "base/5/16401");
    assert_pages(files, 0, "page 2");
    /* block numbers of the relation: a second segment's pages start at 131072 */
    assert_string_equal(file_of(files, 1), "base/5/16390.1");
    assert_pages(files, 1, "pages 131072, 131075-131080");
    /* tablespace files are relative to the data directory already */
    assert_string_equal(file_of(files, 2), "pg_tblspc/16385/PG_15_202209061/5/16500");
    assert_true(json_is_null(json_object_get(json_array_get(files, 2), "pages")));
    assert_pages(files, 2, "no page list (the file's size is no whole number of pages)");
    json_decref(files);
    free(text);
}

static void test_clean_and_odd_names(void **state)
{
    json_t *files = NULL;
    char *errmsg = NULL;
    char *text = read_seed("equals-in-name");

    (void)state;
    /* a file name holding '=' is split where the rest is JSON, as pgBackRest does */
    assert_true(backup_pages_parse_manifest(text, &files, &errmsg));
    assert_int_equal(json_array_size(files), 1);
    assert_string_equal(file_of(files, 0), "odd=name");
    assert_pages(files, 0, "pages 0-3");
    json_decref(files);
    free(text);

    /* every page good, or not checked: nothing flagged; CRLF line ends are read too */
    assert_true(backup_pages_parse_manifest(
        "[target:file]\r\npg_data/base/5/1={\"checksum-page\":true,\"size\":8192}\r\n"
        "pg_data/global/pg_control={\"size\":8192}\r\n" MANIFEST_END,
        &files, &errmsg));
    assert_int_equal(json_array_size(files), 0);
    json_decref(files);

    /* other sections' "=" lines are not file entries */
    assert_true(backup_pages_parse_manifest(
        "[backup:option]\noption-checksum-page=false\n[target:file]\n" MANIFEST_END, &files,
        &errmsg));
    assert_int_equal(json_array_size(files), 0);
    json_decref(files);
}

static void expect_refused(const char *text, const char *message_part)
{
    json_t *files = (json_t *)1;
    char *errmsg = NULL;

    assert_false(backup_pages_parse_manifest(text, &files, &errmsg));
    assert_null(files);
    assert_non_null(errmsg);
    if (strstr(errmsg, message_part) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", errmsg, message_part);
    free(errmsg);
}

static void test_refused(void **state)
{
    char *text;

    (void)state;
    text = read_seed("truncated");
    expect_refused(text, "line 6: not a file entry");
    free(text);
    /* cut at a line's end: the checksum line is missing */
    expect_refused("[target:file]\npg_data/base/5/1={\"size\":1}\n", "incomplete");
    expect_refused("", "no [target:file] section");
    text = read_seed("garbage");
    expect_refused(text, "no [target:file] section");
    free(text);
    text = read_seed("bad-flag");
    expect_refused(text, "line 2: \"checksum-page\" of pg_data/base/5/1 is not true or false");
    free(text);
    text = read_seed("bad-pages");
    expect_refused(text, "\"checksum-page-error\" of pg_data/base/5/1 is not a list of pages");
    free(text);
    expect_refused("[target:file]\npg_data/base/5/1={\"checksum-page\":false,"
                   "\"checksum-page-error\":[]}" MANIFEST_END,
                   "not a list of pages");
    expect_refused("[target:file]\npg_data/base/5/1={\"checksum-page\":false,"
                   "\"checksum-page-error\":[[1,2,3]]}" MANIFEST_END,
                   "not a list of pages");
    expect_refused("[target:file]\n={\"size\":1}" MANIFEST_END, "not a file entry");
    /* a carriage return at the very end (found by fuzz_manifest: the loop never ended) */
    expect_refused("[target:file]\npg_data/base/5/1={\"size\":1}\n\r", "incomplete");
    expect_refused("[target:file]\npg_data/base/5/1=[1]" MANIFEST_END, "not a file entry");
}

static void test_describe(void **state)
{
    json_t *pages = json_loads("[0, [4, 9], 12]", 0, NULL);
    char *text = backup_pages_describe(pages);

    (void)state;
    assert_string_equal(text, "pages 0, 4-9, 12");
    free(text);
    json_decref(pages);
    pages = json_loads("[[4, 5]]", 0, NULL);
    text = backup_pages_describe(pages);
    assert_string_equal(text, "pages 4-5");
    free(text);
    json_decref(pages);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flagged_files),
        cmocka_unit_test(test_clean_and_odd_names),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_describe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
