/*
 * fsutil.h - the few file-system operations whose details matter.
 */
#ifndef PGDRILL_FSUTIL_H
#define PGDRILL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Replace path with content atomically: write a temporary file in the same
 * directory, fsync it, rename it over path, fsync the directory. A reader
 * (or a crash) sees the old content or the new, never half of it.
 */
bool pgd_write_file_atomic(const char *path, const char *content, int mode, char **errmsg);

/* Read a whole (small) file; NULL with *errmsg on failure. */
char *pgd_read_file(const char *path, size_t max_bytes, char **errmsg);

/* mkdir -p with mode for the directories it creates. */
bool pgd_mkdir_p(const char *path, int mode, char **errmsg);

typedef enum pgd_dir_state {
    PGD_DIR_MISSING,
    PGD_DIR_EMPTY,
    PGD_DIR_NOT_EMPTY,
    PGD_DIR_NOT_A_DIR,
    PGD_DIR_UNREADABLE,
} pgd_dir_state;

/* Whether path is missing, an empty directory, or something we must not touch. */
pgd_dir_state pgd_dir_state_of(const char *path, char **errmsg);

/* Remove a directory tree (for our private temp dirs only). */
void pgd_remove_tree(const char *path);

#endif
