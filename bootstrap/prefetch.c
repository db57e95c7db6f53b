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
#include "pgbackrest_options.h"
#include "pgconf.h"
#include "procfs.h"
#include "xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SPOOL_DIR_NAME  "wal-spool"
#define STOP_WAIT_MS    5000
#define ARCHIVE_GET_END "archive-get %f \"%p\""
#define MIN_QUEUE_BYTES (32L * 1024 * 1024) /* two 16 MB segments: pgBackRest's own minimum */

/* archive-get options we set; the restore's, in any spelling (pgbackrest_options.h), give way. */
static const char *const our_options[] = {
    "archive-async", "spool-path", "lock-path", "archive-get-queue-max", "process-max",
};

char *prefetch_spool_dir(const pgd_config *cfg)
{
    return pgd_asprintf("%s/" SPOOL_DIR_NAME, cfg->state_dir);
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
        if (out.len > start_len &&
            pgd_pgbackrest_item_resolves(start, (size_t)(p - start), our_options,
                                         sizeof(our_options) / sizeof(our_options[0])) != NULL)
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

bool prefetch_is_our_fetcher(const pgd_procfs_info *p, uid_t our_uid, const char *pgbackrest_exe,
                             const char *spool_arg, const char **why)
{
    *why = NULL;
    if (!pgd_procfs_alive(p))
        *why = "it no longer runs";
    else if (p->uid != our_uid)
        *why = "it runs as another user";
    else if (pgbackrest_exe == NULL || !pgd_procfs_exe_is(p->exe, pgbackrest_exe))
        *why = "its program is not the pgbackrest PATH finds";
    else if (!pgd_procfs_args_has(p->args, p->args_len, spool_arg))
        *why = "its arguments no longer hold it";
    else if (!pgd_procfs_args_has_command(p->args, p->args_len, "archive-get"))
        *why = "it is not an archive-get";
    return *why == NULL;
}

/* What find_fetchers asks of a process that names the spool directory. */
typedef struct fetcher_search {
    const char *spool_arg;
    const char *exe;
    bool warn;
} fetcher_search;

static bool accept_fetcher(const pgd_procfs_info *info, void *arg)
{
    const fetcher_search *search = arg;
    const char *why = NULL;

    if (prefetch_is_our_fetcher(info, geteuid(), search->exe, search->spool_arg, &why))
        return true;
    if (search->warn && why != NULL)
        pgd_warn("process %ld has %s among its arguments, but %s; left running", info->pid,
                 search->spool_arg, why);
    return false;
}

/*
 * pgBackRest processes of this drill's WAL prefetch, pinned (at most max);
 * with warn, every other process whose arguments hold spool_arg is logged.
 */
static size_t find_fetchers(const char *spool_arg, const char *exe, pgd_procfs_pin *pins,
                            size_t max, bool warn)
{
    fetcher_search search = {.spool_arg = spool_arg, .exe = exe, .warn = warn};

    return pgd_procfs_find(spool_arg, accept_fetcher, &search, pins, max);
}

static void signal_all(pgd_procfs_pin *pins, size_t n, int sig)
{
    for (size_t i = 0; i < n; i++) {
        pgd_procfs_pinned_signal(&pins[i], sig);
        pgd_procfs_unpin(&pins[i]);
    }
}

void prefetch_cleanup(const char *spool_dir)
{
    char *arg = pgd_asprintf("--spool-path=%s", spool_dir);
    /* The program that wrote the restore_command, found as bootstrap runs it (pgbackrest.c). */
    char *exe = pgd_find_program("pgbackrest");
    pgd_procfs_pin pins[64];
    size_t n = find_fetchers(arg, exe, pins, 64, true);

    /*
     * The asynchronous archive-get detached itself, its helpers (process-max)
     * are its children, the foreground archive-gets the shell's: each is
     * found and stopped on its own (docs/design.md, F21).
     */
    for (size_t i = 0; i < n; i++)
        pgd_info("stopping pgBackRest's archive-get of the WAL spool (PID %ld)", pins[i].pid);
    signal_all(pins, n, SIGTERM);
    for (int waited = 0; n > 0 && waited < STOP_WAIT_MS; waited += 100) {
        pgd_sleep_ms(100);
        n = find_fetchers(arg, exe, pins, 64, false);
        for (size_t i = 0; i < n; i++)
            pgd_procfs_unpin(&pins[i]);
    }
    n = find_fetchers(arg, exe, pins, 64, false);
    for (size_t i = 0; i < n; i++)
        pgd_warn("pgBackRest's archive-get (PID %ld) did not stop within %d s; killing it",
                 pins[i].pid, STOP_WAIT_MS / 1000);
    signal_all(pins, n, SIGKILL);
    free(exe);
    free(arg);
    pgd_remove_tree(spool_dir);
}

static void stop_fetcher(void *spool_dir)
{
    prefetch_cleanup(spool_dir);
}

void prefetch_start_archive_get_stopper(pgd_death_watch *stopper, const char *spool_dir)
{
    /* The death watch runs in a copy of our memory, where spool_dir stays as it is. */
    if (!pgd_death_watch_start_action(stopper, stop_fetcher, (void *)spool_dir))
        pgd_warn("could not start the WAL spool's archive-get stopper: %s", strerror(errno));
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
