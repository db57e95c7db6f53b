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
 * (or a crash) sees the old content or the new, never half of it. The
 * temporary name is unpredictable and created with O_EXCL|O_NOFOLLOW, so a
 * link planted in a shared directory is never written through; the file
 * gets exactly mode, whatever the umask.
 */
bool pgd_write_file_atomic(const char *path, const char *content, int mode, char **errmsg);

/* pgd_write_file_atomic for length bytes that may hold NUL (a signature). */
bool pgd_write_bytes_atomic(const char *path, const void *data, size_t length, int mode,
                            char **errmsg);

typedef enum pgd_read_flags {
    PGD_READ_FOLLOW = 0,   /* follow symbolic links (configuration, Kubernetes mounts) */
    PGD_READ_NOFOLLOW = 1, /* refuse a symbolic link (our own state files) */
} pgd_read_flags;

/*
 * Read a whole (small) regular text file; NULL with *errmsg on failure.
 * FIFOs, devices and directories are refused without blocking, files larger
 * than max_bytes without reading them, files holding a NUL byte (which
 * would cut the text short) after reading. *errnum (optional) gets the errno of the
 * failure, ENOENT only when the file does not exist.
 */
char *pgd_read_file_ex(const char *path, size_t max_bytes, pgd_read_flags flags, int *errnum,
                       char **errmsg);

/* pgd_read_file_ex following symbolic links, without the errno. */
char *pgd_read_file(const char *path, size_t max_bytes, char **errmsg);

/* mkdir -p with mode for the directories it creates. */
bool pgd_mkdir_p(const char *path, int mode, char **errmsg);

typedef enum pgd_dir_state {
    PGD_DIR_MISSING,
    PGD_DIR_DANGLING, /* a symbolic link to nothing: creating it would create its target */
    PGD_DIR_EMPTY,
    PGD_DIR_NOT_EMPTY,
    PGD_DIR_NOT_A_DIR,
    PGD_DIR_UNREADABLE,
} pgd_dir_state;

/* Whether path is missing, an empty directory, or something we must not touch. */
pgd_dir_state pgd_dir_state_of(const char *path, char **errmsg);

/*
 * path made absolute and canonical: symbolic links in the part that exists
 * are resolved, "." and ".." removed, the part that does not exist yet
 * appended as written. For comparing where files will land (caller frees).
 */
char *pgd_path_resolve(const char *path);

/*
 * Where PATH finds program (as execvp would: the first executable regular
 * file of that name), resolved to its real path as /proc/PID/exe shows it;
 * NULL when PATH holds none. Caller frees.
 */
char *pgd_find_program(const char *program);

/*
 * path as one absolute spelling (pgd_path_normalize): a relative path typed
 * by hand is taken from the working directory, as pg_ctl -D takes it, so
 * that the report, the leftover checks and Patroni's "<datadir>.failed" all
 * name the same path (--datadir, --state-dir). NULL when the working
 * directory is unknown. Caller frees.
 */
char *pgd_path_absolute(const char *path);

/*
 * path as one spelling, for configured paths: repeated slashes collapsed,
 * "." components and a trailing slash dropped ("/" stays "/", an empty
 * relative path becomes "."). Nothing is resolved and ".." is kept as
 * written: the path need not exist yet, and "a/link/.." is not "a" when
 * link is a symbolic link to another directory (caller frees).
 */
char *pgd_path_normalize(const char *path);

/* Is path (resolved) dir itself or below it (resolved)? */
bool pgd_path_within(const char *path, const char *dir);

/*
 * Hold an exclusive lock on directory dir (a "pgdrill.lock" file in it,
 * holding our PID for whoever looks) for as long as the process lives.
 * Returns the lock's descriptor, -1 with *holder set (its PID, or 0) when
 * another process holds it, or -1 with *errmsg on other failures.
 */
int pgd_lock_directory(const char *dir, long *holder, char **errmsg);

/*
 * Why a directory that holds pgdrill's state is not private to the user uid
 * running pgdrill, judged from its stat() mode and owner: another user owns
 * it, or its group or others may write into it (a sticky bit, as on /tmp,
 * does not help: others still create names in it). NULL when it is private;
 * otherwise a reason naming what was found (caller frees).
 */
char *pgd_dir_not_private(unsigned mode, unsigned owner, unsigned uid);

/* Remove a directory tree (for our private temp dirs only). */
void pgd_remove_tree(const char *path);

#endif
