/*
 * fuzz_manifest.c - backup_pages_parse_manifest() (bootstrap/backup_pages.c)
 * on arbitrary text as `pgbackrest repo-get` could print it, and each
 * flagged file's pages through backup_pages_describe().
 */
#include "backup_pages.h"

#include "fuzz_input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    json_t *files = NULL;
    char *errmsg = NULL;

    if (backup_pages_parse_manifest(text, &files, &errmsg)) {
        json_t *f;
        size_t i;

        if (files == NULL || errmsg != NULL)
            abort();
        json_array_foreach(files, i, f)
        {
            char *pages = backup_pages_describe(json_object_get(f, "pages"));

            if (json_string_value(json_object_get(f, "file")) == NULL ||
                strncmp(pages, json_is_array(json_object_get(f, "pages")) ? "page" : "no page",
                        strlen("page")) != 0) {
                fprintf(stderr, "fuzz_manifest: a flagged file without a name or pages\n");
                abort();
            }
            free(pages);
        }
        json_decref(files);
    } else {
        if (errmsg == NULL || files != NULL) {
            fprintf(stderr, "fuzz_manifest: failed without a message, or kept files\n");
            abort();
        }
        free(errmsg);
    }
    free(text);
    return 0;
}
