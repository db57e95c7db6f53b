/*
 * prefetch.c - WAL fetched ahead of replay during the private recovery.
 *
 * The options go into pgBackRest's own restore_command rather than into a
 * command of ours: pgBackRest already chose which of the restore's options
 * archive-get needs (pgbackrest.options among them), and only it knows.
 */
#include "prefetch.h"

#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SPOOL_DIR_NAME  "wal-spool"
#define STOP_WAIT_MS    5000
#define CMDLINE_MAX     (64 * 1024)
#define ARCHIVE_GET_END "archive-get %f \"%p\""
#define MIN_QUEUE_BYTES (32L * 1024 * 1024) /* two 16 MB segments: pgBackRest's own minimum */

/* archive-get options we set; any the restore passed on (with --no-/--reset-) give way. */
static const char *const our_options[] = {
    "archive-async", "spool-path", "lock-path", "archive-get-queue-max", "process-max",
};

char *prefetch_spool_dir(const pgd_config *cfg)
{
    return pgd_asprintf("%s/" SPOOL_DIR_NAME, cfg->state_dir);
}

/* The value of the last "restore_command = '...'" line, unquoted as PostgreSQL reads it. */
static char *restore_command_of(const char *auto_conf)
{
    char *found = NULL;

    for (const char *line = auto_conf; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        const char *p = line;

        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "restore_command", 15) == 0) {
            p += 15;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '=')
                p++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '\'') {
                pgd_buf value;
                bool closed = false;

                pgd_buf_init(&value);
                for (p++; *p != '\0' && *p != '\n'; p++) {
                    if ((p[0] == '\'' && p[1] == '\'') || (p[0] == '\\' && p[1] != '\0')) {
                        pgd_buf_append_n(&value, ++p, 1);
                    } else if (*p == '\'') {
                        closed = true;
                        break;
                    } else
                        pgd_buf_append_n(&value, p, 1);
                }
                free(found);
                found = closed ? pgd_buf_steal(&value) : NULL;
                pgd_buf_free(&value);
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return found;
}

/* Is token --NAME[=...], --no-NAME or --reset-NAME for one of our_options? */
static bool is_our_option(const char *token, size_t len)
{
    static const char *const prefixes[] = {"--", "--no-", "--reset-"};

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t plen = strlen(prefixes[i]);

        if (len <= plen || strncmp(token, prefixes[i], plen) != 0)
            continue;
        for (size_t j = 0; j < sizeof(our_options) / sizeof(our_options[0]); j++) {
            size_t olen = strlen(our_options[j]);

            if (len >= plen + olen && strncmp(token + plen, our_options[j], olen) == 0 &&
                (len == plen + olen || token[plen + olen] == '='))
                return true;
        }
    }
    return false;
}

/*
 * "--name=value" for a shell (restore_command runs under sh) inside a
 * PostgreSQL restore_command (% is its escape): single-quoted, ' as '\''.
 */
static void append_quoted(pgd_buf *buf, const char *name, const char *value)
{
    pgd_buf_appendf(buf, " '--%s=", name);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\'')
            pgd_buf_append(buf, "'\\''");
        else if (*p == '%')
            pgd_buf_append(buf, "%%");
        else
            pgd_buf_append_n(buf, p, 1);
    }
    pgd_buf_append(buf, "'");
}

char *prefetch_restore_command(const char *auto_conf, const char *spool_dir, long queue_bytes,
                               long process_max, const char **why)
{
    char *command = restore_command_of(auto_conf);
    size_t len = command ? strlen(command) : 0;
    size_t end_len = strlen(ARCHIVE_GET_END);
    pgd_buf out;

    if (command == NULL) {
        *why = "the restored postgresql.auto.conf has no restore_command";
        return NULL;
    }
    if (len <= end_len || strcmp(command + len - end_len, ARCHIVE_GET_END) != 0 ||
        command[len - end_len - 1] != ' ') {
        free(command);
        *why = "the restored restore_command does not end in pgBackRest's archive-get %f \"%p\"";
        return NULL;
    }
    command[len - end_len - 1] = '\0';

    /* pgBackRest quotes values holding spaces in double quotes; none holds a quote itself. */
    pgd_buf_init(&out);
    for (const char *p = command; *p != '\0';) {
        const char *start;
        bool quoted = false;

        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        for (start = p; *p != '\0' && (quoted || *p != ' '); p++) {
            if (*p == '"')
                quoted = !quoted;
        }
        if (out.len > 0 && is_our_option(start, (size_t)(p - start)))
            continue;
        if (out.len > 0)
            pgd_buf_append(&out, " ");
        pgd_buf_append_n(&out, start, (size_t)(p - start));
    }
    free(command);

    if (queue_bytes > 0) {
        char *lock_dir = pgd_asprintf("%s/lock", spool_dir);

        pgd_buf_append(&out, " --archive-async");
        append_quoted(&out, "spool-path", spool_dir);
        append_quoted(&out, "lock-path", lock_dir);
        pgd_buf_appendf(&out, " --archive-get-queue-max=%ld --process-max=%ld", queue_bytes,
                        process_max);
        free(lock_dir);
    } else
        pgd_buf_append(&out, " --no-archive-async");
    pgd_buf_append(&out, " " ARCHIVE_GET_END);
    return pgd_buf_steal(&out);
}

/* The NUL-separated arguments of /proc/PID/cmdline: does one equal arg? */
static bool cmdline_has(const char *pid, const char *arg)
{
    char *path = pgd_asprintf("/proc/%s/cmdline", pid);
    FILE *f = fopen(path, "re");
    char *data = pgd_malloc(CMDLINE_MAX);
    size_t n = 0;
    bool found = false;

    free(path);
    if (f != NULL) {
        n = fread(data, 1, CMDLINE_MAX - 1, f);
        fclose(f);
    }
    data[n] = '\0';
    for (size_t i = 0; i < n && !found; i += strlen(data + i) + 1)
        found = strcmp(data + i, arg) == 0;
    free(data);
    return found;
}

/* Our own processes whose command line holds arg (at most max of them). */
static size_t find_processes(const char *arg, pid_t *pids, size_t max)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    size_t n = 0;

    if (proc == NULL)
        return 0;
    while (n < max && (e = readdir(proc)) != NULL) {
        struct stat st;
        char *path;
        bool ours;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        path = pgd_asprintf("/proc/%s", e->d_name);
        ours = stat(path, &st) == 0 && st.st_uid == geteuid();
        free(path);
        if (ours && atol(e->d_name) != getpid() && cmdline_has(e->d_name, arg))
            pids[n++] = (pid_t)atol(e->d_name);
    }
    closedir(proc);
    return n;
}

void prefetch_cleanup(const char *spool_dir)
{
    char *arg = pgd_asprintf("--spool-path=%s", spool_dir);
    pid_t pids[64];
    size_t n = find_processes(arg, pids, 64);

    /*
     * The asynchronous archive-get made itself a session (and process group)
     * leader; its helpers (process-max) are in its group.
     */
    for (size_t i = 0; i < n; i++) {
        pgd_info("stopping pgBackRest's asynchronous archive-get (PID %ld)", (long)pids[i]);
        if (getpgid(pids[i]) == pids[i])
            kill(-pids[i], SIGTERM);
        else
            kill(pids[i], SIGTERM);
    }
    for (int waited = 0; n > 0 && waited < STOP_WAIT_MS; waited += 100) {
        pgd_sleep_ms(100);
        n = find_processes(arg, pids, 64);
    }
    for (size_t i = 0; i < n; i++) {
        pgd_warn("pgBackRest's asynchronous archive-get (PID %ld) did not stop within %d s; "
                 "killing it",
                 (long)pids[i], STOP_WAIT_MS / 1000);
        kill(getpgid(pids[i]) == pids[i] ? -pids[i] : pids[i], SIGKILL);
    }
    free(arg);
    pgd_remove_tree(spool_dir);
}

/*
 * The queue a full state_dir can take: a queue that outgrows the free space
 * would fail the recovery with "No space left on device", a finding about
 * the restore host, not the backup. Half the free space at most; below two
 * segments' worth, none.
 */
static long queue_that_fits(const char *spool_dir, long wanted)
{
    struct statvfs fs;
    double free_bytes;

    if (wanted == 0 || statvfs(spool_dir, &fs) != 0)
        return wanted;
    free_bytes = (double)fs.f_bavail * (double)fs.f_frsize;
    if ((double)wanted <= free_bytes / 2)
        return wanted;
    if (free_bytes / 2 < (double)MIN_QUEUE_BYTES) {
        pgd_warn("only %.0f MB free for the WAL spool directory %s: fetching one segment at a "
                 "time",
                 free_bytes / 1e6, spool_dir);
        return 0;
    }
    pgd_warn("only %.0f MB free for the WAL spool directory %s: queueing at most %.0f MB of "
             "WAL instead of recovery.wal_prefetch's %.0f MB",
             free_bytes / 1e6, spool_dir, free_bytes / 2e6, (double)wanted / 1e6);
    return (long)(free_bytes / 2);
}

char *prefetch_prepare(drill *d)
{
    const pgd_config *cfg = d->cfg;
    char *spool_dir = prefetch_spool_dir(cfg);
    char *auto_conf_path = pgd_asprintf("%s/postgresql.auto.conf", d->datadir);
    char *errmsg = NULL;
    char *auto_conf =
        pgd_read_file_ex(auto_conf_path, 16 * 1024 * 1024, PGD_READ_NOFOLLOW, NULL, &errmsg);
    const char *why = NULL;
    char *command = NULL;
    long queue = cfg->recovery.wal_prefetch;

    prefetch_cleanup(spool_dir);
    if (auto_conf == NULL) {
        pgd_warn("could not read %s (%s); WAL is fetched as the restore configured it",
                 auto_conf_path, errmsg);
        goto out;
    }
    if (queue > 0 && !pgd_mkdir_p(spool_dir, 0700, &errmsg)) {
        pgd_warn("could not create the WAL spool directory: %s; fetching one segment at a time",
                 errmsg);
        queue = 0;
    }
    queue = queue_that_fits(spool_dir, queue);
    command =
        prefetch_restore_command(auto_conf, spool_dir, queue, cfg->pgbackrest.process_max, &why);
    if (command == NULL) {
        pgd_warn("%s; WAL is fetched as the restore configured it", why);
        goto out;
    }
    if (queue > 0)
        pgd_info("WAL is fetched ahead of replay: up to %ld MB queued in %s, %ld processes",
                 queue / (1024 * 1024), spool_dir, cfg->pgbackrest.process_max);
    else
        pgd_info("WAL is fetched one segment at a time%s",
                 cfg->recovery.wal_prefetch == 0 ? " (recovery.wal_prefetch is off)" : "");
out:
    free(errmsg);
    free(auto_conf);
    free(auto_conf_path);
    free(spool_dir);
    return command;
}
