/*
 * prefetch.c - WAL fetched ahead of replay during the private recovery.
 *
 * The options go into pgBackRest's own restore_command rather than into a
 * command of ours: pgBackRest already chose which of the restore's options
 * archive-get needs (pgbackrest.options among them), and only it knows.
 */
#include "prefetch.h"

#include "clock.h"
#include "cpus.h"
#include "fsutil.h"
#include "log.h"
#include "pgconf.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
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

/* value for a shell inside a PostgreSQL restore_command (% is its escape): ' as '\''. */
static void append_shell_text(pgd_buf *buf, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\'')
            pgd_buf_append(buf, "'\\''");
        else if (*p == '%')
            pgd_buf_append(buf, "%%");
        else
            pgd_buf_append_n(buf, p, 1);
    }
}

/* " '--name=value'", single-quoted for the shell restore_command runs under. */
static void append_quoted(pgd_buf *buf, const char *name, const char *value)
{
    pgd_buf_appendf(buf, " '--%s=", name);
    append_shell_text(buf, value);
    pgd_buf_append(buf, "'");
}

long prefetch_refill_every(long queue_bytes, long segment_bytes)
{
    long every = 16;

    if (segment_bytes <= 0 || queue_bytes <= 0)
        return 1;
    while (every > 1 && every > queue_bytes / segment_bytes / 4)
        every /= 2;
    return every;
}

long prefetch_processes(long process_max, long usable_cpus)
{
    long n = usable_cpus - 1;

    if (n > process_max)
        n = process_max;
    return n < 1 ? 1 : n;
}

/*
 * "'<spool_dir><name><placeholder>'" for a shell inside a restore_command:
 * spool_dir and name quoted, placeholder (%f or nothing) left for PostgreSQL.
 */
static void append_spool_path(pgd_buf *out, const char *spool_dir, const char *name,
                              const char *placeholder)
{
    pgd_buf_append(out, "'");
    append_shell_text(out, spool_dir);
    append_shell_text(out, name);
    pgd_buf_append(out, placeholder);
    pgd_buf_append(out, "'");
}

/* The quoted paths the shell's shortcut uses. */
typedef struct shortcut_paths {
    pgd_buf queued;    /* the segment in pgBackRest's queue */
    pgd_buf last;      /* links to the segments given last: lastN, N the slot */
    pgd_buf last_name; /* their names: last.nameN */
} shortcut_paths;

static void shortcut_paths_init(shortcut_paths *sp, const char *spool_dir, const char *stanza)
{
    char *queue_dir = pgd_asprintf("/archive/%s/in/", stanza);

    pgd_buf_init(&sp->queued);
    pgd_buf_init(&sp->last);
    pgd_buf_init(&sp->last_name);
    append_spool_path(&sp->queued, spool_dir, queue_dir, "%f");
    append_spool_path(&sp->last, spool_dir, "/last", "");
    append_spool_path(&sp->last_name, spool_dir, "/last.name", "");
    free(queue_dir);
}

static void shortcut_paths_free(shortcut_paths *sp)
{
    pgd_buf_free(&sp->queued);
    pgd_buf_free(&sp->last);
    pgd_buf_free(&sp->last_name);
}

/*
 * The shell's shortcut in front of pgBackRest's archive-get. PostgreSQL runs
 * restore_command once per segment and replay waits for it; pgBackRest takes
 * about 10 ms to start and move a queued segment, sh and mv about 2 ms. A
 * segment in the queue under its own name is whole (pgBackRest writes it
 * under a temporary name and renames it). Every N-th segment by the last hex
 * digit of its name, and whatever the queue does not hold (history files, a
 * segment not fetched yet or whose fetch failed), go to pgBackRest: it
 * refills the queue and reports errors as always (docs/design.md, F19).
 *
 * The two segments given last stay linked in the spool directory: at the end
 * of recovery PostgreSQL asks once more for the segment holding the target,
 * having often read one segment ahead, and pgBackRest would fetch it again
 * from the repository. Slot 0 holds an even segment, slot 1 an odd one, each
 * with its name beside it (emptied first, so a failed step never pairs a
 * name with another segment).
 */
static void append_shortcut_head(pgd_buf *out, const shortcut_paths *sp, long every)
{
    static const char hex[] = "0123456789ABCDEF";

    pgd_buf_append(out, "f=%f; case $f in *[02468ACE]) s=0;; *) s=1;; esac; case $f in *[");
    for (long digit = 0; digit < 16; digit += every)
        pgd_buf_append_n(out, &hex[digit], 1);
    pgd_buf_appendf(out,
                    "]) ;; *) [ -f %s ] && : > %s$s && ln -f %s %s$s && echo $f > %s$s && mv -f %s "
                    "\"%%p\" && exit 0;; esac; for t in 0 1; do [ -f %s$t ] && read n < %s$t && "
                    "[ \"$n\" = $f ] && cp %s$t \"%%p\" && exit 0; done; ",
                    sp->queued.data, sp->last_name.data, sp->queued.data, sp->last.data,
                    sp->last_name.data, sp->queued.data, sp->last_name.data, sp->last_name.data,
                    sp->last.data);
}

/* After pgBackRest's archive-get: its status when it failed, else the link kept. */
static void append_shortcut_tail(pgd_buf *out, const shortcut_paths *sp)
{
    pgd_buf_appendf(out, " || exit; : > %s$s && ln -f \"%%p\" %s$s && echo $f > %s$s; exit 0",
                    sp->last_name.data, sp->last.data, sp->last_name.data);
}

char *prefetch_restore_command(const char *auto_conf, const char *spool_dir,
                               const prefetch_plan *plan, const char **why)
{
    char *command = pgd_pgconf_value_of(auto_conf, "restore_command");
    size_t len = command ? strlen(command) : 0;
    size_t end_len = strlen(ARCHIVE_GET_END);
    long every = prefetch_refill_every(plan->queue_bytes, plan->segment_bytes);
    bool shortcut = plan->queue_bytes > 0 && every > 1;
    shortcut_paths sp;
    pgd_buf out;
    size_t start_len;

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

    pgd_buf_init(&out);
    if (shortcut) {
        shortcut_paths_init(&sp, spool_dir, plan->stanza);
        append_shortcut_head(&out, &sp, every);
    }
    start_len = out.len;
    /* pgBackRest quotes values holding spaces in double quotes; none holds a quote itself. */
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
        if (out.len > start_len && is_our_option(start, (size_t)(p - start)))
            continue;
        if (out.len > start_len)
            pgd_buf_append(&out, " ");
        pgd_buf_append_n(&out, start, (size_t)(p - start));
    }
    free(command);

    if (plan->queue_bytes > 0) {
        char *lock_dir = pgd_asprintf("%s/lock", spool_dir);

        pgd_buf_append(&out, " --archive-async");
        append_quoted(&out, "spool-path", spool_dir);
        append_quoted(&out, "lock-path", lock_dir);
        pgd_buf_appendf(&out, " --archive-get-queue-max=%ld --process-max=%ld", plan->queue_bytes,
                        plan->processes);
        free(lock_dir);
    } else
        pgd_buf_append(&out, " --no-archive-async");
    pgd_buf_append(&out, " " ARCHIVE_GET_END);
    if (shortcut) {
        append_shortcut_tail(&out, &sp);
        shortcut_paths_free(&sp);
    }
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

static void stop_fetcher(void *spool_dir)
{
    prefetch_cleanup(spool_dir);
}

void prefetch_start_janitor(pgd_guardian *janitor, const char *spool_dir)
{
    /* The guardian runs in a copy of our memory, where spool_dir stays as it is. */
    if (!pgd_guardian_start_action(janitor, stop_fetcher, (void *)spool_dir))
        pgd_warn("could not start the WAL spool's janitor: %s", strerror(errno));
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

char *prefetch_prepare(drill *d, long segment_bytes)
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
    prefetch_plan plan;

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
    plan.queue_bytes = queue;
    plan.processes = prefetch_processes(cfg->pgbackrest.process_max, pgd_usable_cpus());
    plan.segment_bytes = segment_bytes;
    plan.stanza = cfg->pgbackrest.stanza;
    command = prefetch_restore_command(auto_conf, spool_dir, &plan, &why);
    if (command == NULL) {
        pgd_warn("%s; WAL is fetched as the restore configured it", why);
        goto out;
    }
    if (queue > 0)
        pgd_info("WAL is fetched ahead of replay: up to %ld MB queued in %s, %ld process%s",
                 queue / (1024 * 1024), spool_dir, plan.processes, plan.processes == 1 ? "" : "es");
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
