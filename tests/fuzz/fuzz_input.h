/*
 * fuzz_input.h - what the fuzz targets share: a NUL-terminated copy of the
 * input, and temporary files for the loaders that take a path.
 *
 * libFuzzer's inputs are bytes, not strings: the product reads strings, so a
 * target hands it a copy that ends at the first NUL byte of the input.
 */
#ifndef PGDRILL_FUZZ_INPUT_H
#define PGDRILL_FUZZ_INPUT_H

#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The input as a string (caller frees). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = pgd_malloc(size + 1);

    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#define FUZZ_MAX_TEMP_FILES 2
static char fuzz_temp_paths[FUZZ_MAX_TEMP_FILES][64];
static int fuzz_temp_count;

static inline void fuzz_remove_temp_files(void)
{
    for (int i = 0; i < fuzz_temp_count; i++)
        unlink(fuzz_temp_paths[i]);
}

/*
 * A new empty file /tmp/pgdrill-fuzz-NAME-XXXXXX, removed when the process
 * exits normally. Call it once per process and file (on the first run); a
 * crash leaves the file behind, like the crash input itself.
 */
static inline const char *fuzz_temp_file(const char *name)
{
    char *path;
    int fd;

    if (fuzz_temp_count == FUZZ_MAX_TEMP_FILES)
        abort();
    path = fuzz_temp_paths[fuzz_temp_count];
    snprintf(path, sizeof(fuzz_temp_paths[0]), "/tmp/pgdrill-fuzz-%s-XXXXXX", name);
    fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "fuzz: mkstemp %s: %s\n", path, strerror(errno));
        abort();
    }
    close(fd);
    if (fuzz_temp_count++ == 0)
        atexit(fuzz_remove_temp_files);
    return path;
}

/* Replace the content of path with the whole input, NUL bytes included. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "fuzz: open %s: %s\n", path, strerror(errno));
        abort();
    }
    while (size > 0) {
        ssize_t n = write(fd, data, size);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "fuzz: write %s: %s\n", path, strerror(errno));
            abort();
        }
        data += n;
        size -= (size_t)n;
    }
    close(fd);
}

#endif
