/*
 * fsutil.c - atomic writes, directory checks.
 */
#include "fsutil.h"

#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static void fsync_parent_dir(const char *path)
{
    char *copy = pgd_strdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* A temporary name next to path that nobody can guess: ".<name>.<12 random characters>". */
static char *temporary_name(const char *path)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char random_bytes[12];
    char suffix[sizeof(random_bytes) + 1];
    char *copy = pgd_strdup(path);
    char *dir_copy = pgd_strdup(path);
    char *name;

    if (getrandom(random_bytes, sizeof(random_bytes), 0) != (ssize_t)sizeof(random_bytes)) {
        /* getrandom cannot fail for 12 bytes once the pool is initialised; never predictable. */
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        for (size_t i = 0; i < sizeof(random_bytes); i++)
            random_bytes[i] ^= (unsigned char)(ts.tv_nsec >> (i % 4 * 8)) ^ (unsigned char)getpid();
    }
    for (size_t i = 0; i < sizeof(random_bytes); i++)
        suffix[i] = alphabet[random_bytes[i] % (sizeof(alphabet) - 1)];
    suffix[sizeof(random_bytes)] = '\0';
    name = pgd_asprintf("%s/.%s.%s", dirname(dir_copy), basename(copy), suffix);
    free(copy);
    free(dir_copy);
    return name;
}

/* Create a new file that did not exist (no link followed); -1 with *tmp unset on failure. */
static int create_temporary(const char *path, int mode, char **tmp, char **errmsg)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        char *name = temporary_name(path);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

        if (fd >= 0) {
            if (fchmod(fd, (mode_t)mode) != 0) {
                *errmsg =
                    pgd_asprintf("could not set the mode of \"%s\": %s", name, strerror(errno));
                close(fd);
                unlink(name);
                free(name);
                return -1;
            }
            *tmp = name;
            return fd;
        }
        if (errno != EEXIST) {
            *errmsg = pgd_asprintf("could not create \"%s\": %s", name, strerror(errno));
            free(name);
            return -1;
        }
        free(name);
    }
    *errmsg = pgd_asprintf("could not create a temporary file next to \"%s\"", path);
    return -1;
}

bool pgd_write_file_atomic(const char *path, const char *content, int mode, char **errmsg)
{
    return pgd_write_bytes_atomic(path, content, strlen(content), mode, errmsg);
}

bool pgd_write_bytes_atomic(const char *path, const void *data, size_t length, int mode,
                            char **errmsg)
{
    char *tmp = NULL;
    int fd = create_temporary(path, mode, &tmp, errmsg);

    if (fd < 0)
        return false;
    if (!write_all(fd, data, length) || fsync(fd) != 0) {
        *errmsg = pgd_asprintf("could not write \"%s\": %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return false;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        *errmsg = pgd_asprintf("could not rename \"%s\" to \"%s\": %s", tmp, path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return false;
    }
    fsync_parent_dir(path);
    free(tmp);
    return true;
}

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "not a regular file";
}

/* Open path for reading if it is a regular file of at most max_bytes; -1 with *errmsg. */
static int open_regular(const char *path, size_t max_bytes, pgd_read_flags flags, int *errnum,
                        char **errmsg)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
                            (flags == PGD_READ_NOFOLLOW ? O_NOFOLLOW : 0));
    struct stat st;

    *errnum = 0;
    if (fd < 0) {
        *errnum = errno;
        if (errno == ELOOP && flags == PGD_READ_NOFOLLOW)
            *errmsg = pgd_asprintf("\"%s\" is a symbolic link; refusing to follow it", path);
        else
            *errmsg = pgd_asprintf("could not open \"%s\": %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *errnum = fstat(fd, &st) != 0 ? errno : EINVAL;
        *errmsg = *errnum == EINVAL
                      ? pgd_asprintf("\"%s\" is %s", path, file_kind(st.st_mode))
                      : pgd_asprintf("could not stat \"%s\": %s", path, strerror(*errnum));
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > max_bytes) {
        *errnum = EFBIG;
        *errmsg = pgd_asprintf("\"%s\" is larger than %zu bytes", path, max_bytes);
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

char *pgd_read_file_ex(const char *path, size_t max_bytes, pgd_read_flags flags, int *errnum,
                       char **errmsg)
{
    int ignored = 0;
    int *err = errnum != NULL ? errnum : &ignored;
    int fd = open_regular(path, max_bytes, flags, err, errmsg);
    pgd_buf buf;
    char chunk[8192];
    ssize_t n;

    if (fd < 0)
        return NULL;
    pgd_buf_init(&buf);
    /* The size was checked, but a file can grow while we read it. */
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || buf.len + (size_t)n > max_bytes) {
            *err = n < 0 ? errno : EFBIG;
            *errmsg = n < 0 ? pgd_asprintf("could not read \"%s\": %s", path, strerror(errno))
                            : pgd_asprintf("\"%s\" is larger than %zu bytes", path, max_bytes);
            close(fd);
            pgd_buf_free(&buf);
            return NULL;
        }
        pgd_buf_append_n(&buf, chunk, (size_t)n);
    }
    close(fd);
    /* Every file we read is text; a NUL byte would silently cut it short. */
    if (memchr(buf.data, '\0', buf.len) != NULL) {
        *err = EINVAL;
        *errmsg = pgd_asprintf("\"%s\" holds a NUL byte: not a text file", path);
        pgd_buf_free(&buf);
        return NULL;
    }
    return pgd_buf_steal(&buf);
}

char *pgd_read_file(const char *path, size_t max_bytes, char **errmsg)
{
    return pgd_read_file_ex(path, max_bytes, PGD_READ_FOLLOW, NULL, errmsg);
}

bool pgd_mkdir_p(const char *path, int mode, char **errmsg)
{
    char *copy = pgd_strdup(path);

    for (char *p = copy + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;

            *p = '\0';
            if (mkdir(copy, (mode_t)mode) != 0 && errno != EEXIST) {
                *errmsg =
                    pgd_asprintf("could not create directory \"%s\": %s", copy, strerror(errno));
                free(copy);
                return false;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(copy);
    return true;
}

pgd_dir_state pgd_dir_state_of(const char *path, char **errmsg)
{
    struct stat st;
    DIR *dir;
    struct dirent *de;
    pgd_dir_state state = PGD_DIR_EMPTY;

    if (stat(path, &st) != 0) {
        if (errno == ENOENT && lstat(path, &st) == 0) {
            *errmsg = pgd_asprintf("\"%s\" is a symbolic link to a path that does not exist", path);
            return PGD_DIR_DANGLING;
        }
        if (errno == ENOENT)
            return PGD_DIR_MISSING;
        *errmsg = pgd_asprintf("could not access \"%s\": %s", path, strerror(errno));
        return PGD_DIR_UNREADABLE;
    }
    if (!S_ISDIR(st.st_mode)) {
        *errmsg = pgd_asprintf("\"%s\" exists and is not a directory", path);
        return PGD_DIR_NOT_A_DIR;
    }
    dir = opendir(path);
    if (dir == NULL) {
        *errmsg = pgd_asprintf("could not open directory \"%s\": %s", path, strerror(errno));
        return PGD_DIR_UNREADABLE;
    }
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            *errmsg =
                pgd_asprintf("directory \"%s\" is not empty (it holds \"%s\")", path, de->d_name);
            state = PGD_DIR_NOT_EMPTY;
            break;
        }
    }
    closedir(dir);
    return state;
}

/* The components of an absolute path appended to out, "." and ".." applied lexically. */
static void append_components(pgd_buf *out, const char *rest)
{
    char *copy = pgd_strdup(rest);
    char *save = NULL;

    for (char *c = strtok_r(copy, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            char *slash = strrchr(out->data, '/');

            if (slash != NULL) {
                out->len = slash == out->data ? 1 : (size_t)(slash - out->data);
                out->data[out->len] = '\0';
            }
            continue;
        }
        if (out->len == 0 || out->data[out->len - 1] != '/')
            pgd_buf_append(out, "/");
        pgd_buf_append(out, c);
    }
    free(copy);
}

char *pgd_path_resolve(const char *path)
{
    char cwd[PATH_MAX];
    char *absolute;
    size_t cut;
    pgd_buf out;

    if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
        absolute = pgd_strdup(path);
    else
        absolute = pgd_asprintf("%s/%s", cwd, path);
    /* The longest prefix that exists is resolved by the kernel, links and all. */
    for (cut = strlen(absolute);; cut--) {
        if (cut == 0 || absolute[cut] == '/' || absolute[cut] == '\0') {
            char *prefix = pgd_strndup(absolute, cut == 0 ? 1 : cut);
            char *real = realpath(prefix, NULL);

            free(prefix);
            if (real != NULL) {
                pgd_buf_init(&out);
                pgd_buf_append(&out, real);
                free(real);
                break;
            }
            if (cut == 0) {
                pgd_buf_init(&out);
                pgd_buf_append(&out, "/");
                break;
            }
        }
    }
    append_components(&out, absolute + cut);
    free(absolute);
    return pgd_buf_steal(&out);
}

char *pgd_find_program(const char *program)
{
    const char *path = getenv("PATH");
    char *copy;
    char *save = NULL;
    char *found = NULL;

    if (path == NULL || strchr(program, '/') != NULL)
        return NULL;
    copy = pgd_strdup(path);
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL;
         dir = strtok_r(NULL, ":", &save)) {
        char *candidate = pgd_asprintf("%s/%s", dir, program);
        struct stat st;

        if (dir[0] != '\0' && stat(candidate, &st) == 0 && S_ISREG(st.st_mode) &&
            access(candidate, X_OK) == 0)
            found = realpath(candidate, NULL);
        free(candidate);
    }
    free(copy);
    return found;
}

char *pgd_path_normalize(const char *path)
{
    char *copy = pgd_strdup(path);
    char *save = NULL;
    pgd_buf out;

    pgd_buf_init(&out);
    if (path[0] == '/')
        pgd_buf_append(&out, "/");
    for (char *c = strtok_r(copy, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (out.len > 0 && out.data[out.len - 1] != '/')
            pgd_buf_append(&out, "/");
        pgd_buf_append(&out, c);
    }
    if (out.len == 0)
        pgd_buf_append(&out, ".");
    free(copy);
    return pgd_buf_steal(&out);
}

bool pgd_path_within(const char *path, const char *dir)
{
    char *p = pgd_path_resolve(path);
    char *d = pgd_path_resolve(dir);
    size_t len = strlen(d);
    bool within =
        strcmp(d, "/") == 0 || strcmp(p, d) == 0 || (strncmp(p, d, len) == 0 && p[len] == '/');

    free(p);
    free(d);
    return within;
}

int pgd_lock_directory(const char *dir, long *holder, char **errmsg)
{
    char *path = pgd_asprintf("%s/pgdrill.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    char pid[32];

    *holder = 0;
    if (fd < 0) {
        *errmsg = pgd_asprintf("could not open \"%s\": %s", path, strerror(errno));
        free(path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

        if (n > 0) {
            pid[n] = '\0';
            *holder = atol(pid);
        }
        if (err != EWOULDBLOCK)
            *errmsg = pgd_asprintf("could not lock \"%s\": %s", path, strerror(err));
        close(fd);
        free(path);
        return -1;
    }
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    /* The PID is only a courtesy to whoever looks; the lock is what counts. */
    if (ftruncate(fd, 0) == 0)
        (void)!pwrite(fd, pid, strlen(pid), 0);
    free(path);
    return fd;
}

char *pgd_dir_not_private(unsigned mode, unsigned owner, unsigned uid)
{
    unsigned perm = mode & 07777;

    if (owner != uid)
        return pgd_asprintf("belongs to uid %u, not to uid %u that runs pgdrill (mode %04o)", owner,
                            uid, perm);
    if ((perm & (S_IWGRP | S_IWOTH)) != 0)
        return pgd_asprintf("can be written by %s (mode %04o%s)",
                            (perm & S_IWOTH) != 0 ? "every user" : "its group", perm,
                            (perm & S_ISVTX) != 0 ? "; the sticky bit still lets others create "
                                                    "names in it"
                                                  : "");
    return NULL;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void pgd_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *pgd_path_absolute(const char *path)
{
    char cwd[PATH_MAX];
    char *joined;
    char *normalized;

    if (path[0] == '/')
        return pgd_path_normalize(path);
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return NULL;
    joined = pgd_asprintf("%s/%s", cwd, path);
    normalized = pgd_path_normalize(joined);
    free(joined);
    return normalized;
}
