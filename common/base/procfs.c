/*
 * procfs.c - what /proc says about a process that is not our child.
 */
#include "procfs.h"

#include "clock.h"
#include "fsutil.h"
#include "xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARGS_MAX       (64 * 1024)
#define DELETED_SUFFIX " (deleted)"

bool pgd_procfs_parse_stat(const char *text, pgd_procfs_stat *stat)
{
    const char *p = text ? strrchr(text, ')') : NULL;
    char *end;

    if (p == NULL || p[1] != ' ' || p[2] == '\0')
        return false;
    stat->state = p[2];
    p += 3;
    /* Fields 4 (ppid) and 5 (pgrp); field 22 (starttime) is the 20th after the name. */
    for (int field = 4; field <= 22; field++) {
        long long value = 0;
        unsigned long long ticks = 0;

        while (*p == ' ')
            p++;
        if (!isdigit((unsigned char)*p) && !(field != 22 && *p == '-'))
            return false;
        errno = 0;
        if (field == 22)
            ticks = strtoull(p, &end, 10);
        else
            value = strtoll(p, &end, 10);
        if (errno != 0 || end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
            return false;
        if (field == 4)
            stat->ppid = (long)value;
        else if (field == 5)
            stat->pgrp = (long)value;
        else if (field == 22)
            stat->start_ticks = ticks;
        p = end;
    }
    return true;
}

bool pgd_procfs_parse_btime(const char *text, long long *btime)
{
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, "btime ", 6) == 0) {
            char *end;
            long long value;

            errno = 0;
            value = strtoll(line + 6, &end, 10);
            if (errno != 0 || end == line + 6 || value <= 0 || (*end != '\n' && *end != '\0'))
                return false;
            *btime = value;
            return true;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return false;
}

double pgd_procfs_start_time(long long btime, unsigned long long start_ticks, long ticks_per_second)
{
    if (btime <= 0 || ticks_per_second <= 0)
        return -1;
    return (double)btime + (double)start_ticks / (double)ticks_per_second;
}

bool pgd_procfs_args_has(const char *args, size_t len, const char *arg)
{
    for (size_t i = 0; args != NULL && i < len; i += strnlen(args + i, len - i) + 1) {
        if (strnlen(args + i, len - i) == strlen(arg) && strncmp(args + i, arg, len - i) == 0)
            return true;
    }
    return false;
}

bool pgd_procfs_args_has_command(const char *args, size_t len, const char *word)
{
    size_t wlen = strlen(word);

    for (size_t i = 0; args != NULL && i < len; i += strnlen(args + i, len - i) + 1) {
        size_t alen = strnlen(args + i, len - i);

        if (alen >= wlen && strncmp(args + i, word, wlen) == 0 &&
            (alen == wlen || args[i + wlen] == ':'))
            return true;
    }
    return false;
}

/* exe without " (deleted)": its length. */
static size_t exe_length(const char *exe)
{
    size_t len = strlen(exe);
    size_t slen = strlen(DELETED_SUFFIX);

    if (len > slen && strcmp(exe + len - slen, DELETED_SUFFIX) == 0)
        len -= slen;
    return len;
}

bool pgd_procfs_exe_is(const char *exe, const char *path)
{
    size_t len;

    if (exe == NULL || path == NULL)
        return false;
    len = exe_length(exe);
    return len == strlen(path) && strncmp(exe, path, len) == 0;
}

bool pgd_procfs_exe_named(const char *exe, const char *name)
{
    size_t len;
    size_t start;

    if (exe == NULL)
        return false;
    len = exe_length(exe);
    start = len;
    while (start > 0 && exe[start - 1] != '/')
        start--;
    return len - start == strlen(name) && strncmp(exe + start, name, len - start) == 0;
}

/* readlink into a fresh string, NULL when unreadable. */
static char *read_link(const char *path)
{
    char target[4096];
    ssize_t len = readlink(path, target, sizeof(target) - 1);

    if (len <= 0)
        return NULL;
    target[len] = '\0';
    return pgd_strdup(target);
}

/* /proc/PID/cmdline: not a text file (NUL-separated), so read as bytes. */
static char *read_args(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    char *data;

    *len = 0;
    if (f == NULL)
        return NULL;
    data = pgd_malloc(ARGS_MAX + 1);
    *len = fread(data, 1, ARGS_MAX, f);
    data[*len] = '\0';
    fclose(f);
    return data;
}

static double boot_time_start(unsigned long long start_ticks)
{
    char *errmsg = NULL;
    char *text = pgd_read_file("/proc/stat", 1024 * 1024, &errmsg);
    long long btime = 0;
    bool ok = text != NULL && pgd_procfs_parse_btime(text, &btime);

    free(text);
    free(errmsg);
    return ok ? pgd_procfs_start_time(btime, start_ticks, sysconf(_SC_CLK_TCK)) : -1;
}

bool pgd_procfs_read(long pid, pgd_procfs_info *info)
{
    char path[64];
    char *errmsg = NULL;
    char *text;
    struct stat st;
    bool parsed;

    memset(info, 0, sizeof(*info));
    info->pid = pid;
    info->start_time = -1;
    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    text = pgd_read_file(path, 4096, &errmsg);
    free(errmsg);
    parsed = text != NULL && pgd_procfs_parse_stat(text, &info->stat);
    free(text);
    snprintf(path, sizeof(path), "/proc/%ld", pid);
    if (!parsed || stat(path, &st) != 0)
        return false;
    info->uid = st.st_uid;
    info->start_time = boot_time_start(info->stat.start_ticks);
    snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
    info->exe = read_link(path);
    snprintf(path, sizeof(path), "/proc/%ld/cwd", pid);
    info->cwd = read_link(path);
    /* stat() through the link reaches the directory itself, renamed or not (F22). */
    if (stat(path, &st) == 0) {
        info->cwd_known = true;
        info->cwd_dev = st.st_dev;
        info->cwd_ino = st.st_ino;
    }
    info->args = pgd_procfs_read_args(pid, &info->args_len);
    return true;
}

void pgd_procfs_free(pgd_procfs_info *info)
{
    free(info->exe);
    free(info->cwd);
    free(info->args);
    info->exe = info->cwd = info->args = NULL;
}

bool pgd_procfs_alive(const pgd_procfs_info *info)
{
    return info->stat.state != '\0' && info->stat.state != 'Z' && info->stat.state != 'X';
}

size_t pgd_procfs_list(long **pids)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    size_t n = 0, cap = 256;

    *pids = pgd_malloc(cap * sizeof(**pids));
    if (proc == NULL)
        return 0;
    while ((e = readdir(proc)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        if (n == cap) {
            cap *= 2;
            *pids = pgd_realloc(*pids, cap * sizeof(**pids));
        }
        (*pids)[n++] = atol(e->d_name);
    }
    closedir(proc);
    return n;
}

char *pgd_procfs_read_args(long pid, size_t *len)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    return read_args(path, len);
}

static bool pid_alive(long pid)
{
    pgd_procfs_info info;
    bool alive = pgd_procfs_read(pid, &info) && pgd_procfs_alive(&info);

    pgd_procfs_free(&info);
    return alive;
}

void pgd_procfs_pin_pid(long pid, pgd_procfs_pin *pin)
{
    pin->pid = pid;
    pin->fd = -1;
    pin->gone = pid <= 0;
    if (pin->gone)
        return;
#ifdef SYS_pidfd_open
    pin->fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (pin->fd < 0 && errno == ESRCH)
        pin->gone = true;
    if (pin->fd >= 0 || pin->gone)
        return;
#endif
    pin->gone = !pid_alive(pid);
}

bool pgd_procfs_pinned_alive(const pgd_procfs_pin *pin)
{
    struct pollfd pfd = {.fd = pin->fd, .events = POLLIN};

    if (pin->gone)
        return false;
    /* A pidfd becomes readable when its process exits. */
    if (pin->fd >= 0)
        return poll(&pfd, 1, 0) == 0;
    return pid_alive(pin->pid);
}

bool pgd_procfs_pinned_signal(const pgd_procfs_pin *pin, int sig)
{
    if (pin->gone)
        return false;
#ifdef SYS_pidfd_send_signal
    if (pin->fd >= 0)
        return syscall(SYS_pidfd_send_signal, pin->fd, sig, NULL, 0) == 0;
#endif
    return kill((pid_t)pin->pid, sig) == 0;
}

bool pgd_procfs_pinned_wait(const pgd_procfs_pin *pin, int timeout_ms)
{
    int64_t deadline = pgd_monotonic_ms() + timeout_ms;

    if (pin->gone)
        return true;
    if (pin->fd >= 0) {
        struct pollfd pfd = {.fd = pin->fd, .events = POLLIN};
        int n;

        do
            n = poll(&pfd, 1, (int)pgd_ms_until(deadline));
        while (n < 0 && errno == EINTR && pgd_ms_until(deadline) > 0);
        return n > 0;
    }
    while (pid_alive(pin->pid) && pgd_ms_until(deadline) > 0)
        pgd_sleep_ms(100);
    return !pid_alive(pin->pid);
}

void pgd_procfs_unpin(pgd_procfs_pin *pin)
{
    if (pin->fd >= 0)
        close(pin->fd);
    pin->fd = -1;
}

size_t pgd_procfs_find(const char *arg, pgd_procfs_accept accept, void *accept_arg,
                       pgd_procfs_pin *pins, size_t max)
{
    long *pids = NULL;
    size_t all = pgd_procfs_list(&pids);
    size_t n = 0;

    for (size_t i = 0; i < all && n < max; i++) {
        size_t len = 0;
        char *args = pids[i] == (long)getpid() ? NULL : pgd_procfs_read_args(pids[i], &len);
        pgd_procfs_info info;

        if (args == NULL || !pgd_procfs_args_has(args, len, arg)) {
            free(args);
            continue;
        }
        free(args);
        /* Pinned before it is read: a signal through the pin reaches what was judged. */
        pgd_procfs_pin_pid(pids[i], &pins[n]);
        if (pgd_procfs_read(pids[i], &info) && accept(&info, accept_arg) &&
            pgd_procfs_pinned_alive(&pins[n]))
            n++;
        else
            pgd_procfs_unpin(&pins[n]);
        pgd_procfs_free(&info);
    }
    free(pids);
    return n;
}

bool pgd_procfs_parse_wchar(const char *text, long long *wchar)
{
    const char *line = text;
    char *end;

    /* "wchar:" at the start of a line: rchar, syscr and the rest come first or after. */
    while (line != NULL && strncmp(line, "wchar: ", strlen("wchar: ")) != 0) {
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    if (line == NULL)
        return false;
    errno = 0;
    *wchar = strtoll(line + strlen("wchar: "), &end, 10);
    return errno == 0 && end != line + strlen("wchar: ") && *wchar >= 0;
}

long long pgd_procfs_group_written(long pgrp)
{
    long *pids = NULL;
    size_t all = pgd_procfs_list(&pids);
    long long total = -1;

    for (size_t i = 0; i < all; i++) {
        char path[64];
        char *text;
        char *errmsg = NULL;
        pgd_procfs_stat st;
        long long wchar;
        bool member;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pids[i]);
        text = pgd_read_file(path, 4096, &errmsg);
        free(errmsg);
        member = text != NULL && pgd_procfs_parse_stat(text, &st) && st.pgrp == pgrp;
        free(text);
        if (!member)
            continue;
        errmsg = NULL;
        snprintf(path, sizeof(path), "/proc/%ld/io", pids[i]);
        text = pgd_read_file(path, 4096, &errmsg);
        free(errmsg);
        if (text != NULL && pgd_procfs_parse_wchar(text, &wchar))
            total = (total < 0 ? 0 : total) + wchar;
        free(text);
    }
    free(pids);
    return total;
}
