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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

bool pgd_write_file_atomic(const char *path, const char *content, int mode, char **errmsg)
{
    char *tmp = pgd_asprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    if (fd < 0) {
        *errmsg = pgd_asprintf("could not create \"%s\": %s", tmp, strerror(errno));
        free(tmp);
        return false;
    }
    if (!write_all(fd, content, strlen(content)) || fsync(fd) != 0) {
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

char *pgd_read_file(const char *path, size_t max_bytes, char **errmsg)
{
    FILE *fp = fopen(path, "r");
    pgd_buf buf;
    char chunk[8192];
    size_t n;

    if (fp == NULL) {
        *errmsg = pgd_asprintf("could not open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    pgd_buf_init(&buf);
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (buf.len + n > max_bytes) {
            *errmsg = pgd_asprintf("\"%s\" is larger than %zu bytes", path, max_bytes);
            fclose(fp);
            pgd_buf_free(&buf);
            return NULL;
        }
        pgd_buf_append_n(&buf, chunk, n);
    }
    if (ferror(fp)) {
        *errmsg = pgd_asprintf("could not read \"%s\": %s", path, strerror(errno));
        fclose(fp);
        pgd_buf_free(&buf);
        return NULL;
    }
    fclose(fp);
    return pgd_buf_steal(&buf);
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
