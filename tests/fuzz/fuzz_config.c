/*
 * fuzz_config.c - pgd_config_load() (common/drill/config.c) on arbitrary pgdrill.yml text.
 *
 * The loader takes a path: each input is written to one temporary file per
 * process. Invariants: a failure explains itself as "FILE:LINE: KEY: reason",
 * so the message starts with the path and ':'; a success has the required
 * stanza and the derived report file.
 */
#include "config.h"
#include "secret.h"

#include "fuzz_input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *path;
    pgd_config cfg;
    char *errmsg = NULL;

    if (path == NULL)
        path = fuzz_temp_file("config");
    fuzz_write_file(path, data, size);

    if (pgd_config_load(path, &cfg, &errmsg)) {
        if (errmsg != NULL || cfg.path == NULL || strcmp(cfg.path, path) != 0 ||
            cfg.pgbackrest.stanza == NULL || cfg.pgbackrest.stanza[0] == '\0' ||
            cfg.report.file == NULL) {
            fprintf(stderr, "fuzz_config: loaded, but incompletely\n");
            abort();
        }
        pgd_config_free(&cfg);
    } else {
        size_t len = strlen(path);

        if (errmsg == NULL || strncmp(errmsg, path, len) != 0 || errmsg[len] != ':') {
            fprintf(stderr, "fuzz_config: error message does not start with \"%s:\": %s\n", path,
                    errmsg ? errmsg : "(null)");
            abort();
        }
        free(errmsg);
    }
    /* source.dsn and report.history_dsn register their passwords. */
    pgd_secret_clear();
    return 0;
}
