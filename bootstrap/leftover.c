/*
 * leftover.c - what an earlier drill left on the restore host, told apart
 * from what belongs to a neighbour.
 *
 * The judges first (pure: facts in, verdict out), then the I/O that gathers
 * the facts and acts on the verdicts.
 */
#include "leftover.h"

#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LEFTOVER_STOP_MS   10000 /* SIGQUIT to SIGKILL */
#define LEFTOVER_KILL_MS   5000  /* SIGKILL to gone */
#define MKDTEMP_SUFFIX_LEN 6
#define SOCKET_FILE        ".s.PGSQL." LEFTOVER_PRIVATE_PORT
#define PS_DISPLAY_PREFIX  "postgres: " /* a postmaster's children's command line (F20) */

static leftover_verdict verdict(leftover_action action, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static leftover_verdict verdict(leftover_action action, const char *fmt, ...)
{
    leftover_verdict v = {.action = action};
    va_list ap;

    va_start(ap, fmt);
    v.why = pgd_vasprintf(fmt, ap);
    va_end(ap);
    return v;
}

/* Line n (from 0) of text, without its newline; NULL when text has fewer lines. */
static char *line_of(const char *text, int n)
{
    const char *line = text;

    for (int i = 0; i < n && line != NULL; i++) {
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    if (line == NULL || *line == '\0')
        return NULL;
    return pgd_strndup(line, strcspn(line, "\n"));
}

/* A whole line holding an integer, or fallback. */
static long long integer_line(const char *text, int n, long long fallback)
{
    char *line = line_of(text, n);
    char *end = NULL;
    long long value = fallback;

    if (line != NULL && line[0] != '\0') {
        errno = 0;
        value = strtoll(line, &end, 10);
        if (errno != 0 || *end != '\0')
            value = fallback;
    }
    free(line);
    return value;
}

bool leftover_parse_pid_file(const char *text, leftover_pid_file *pf)
{
    memset(pf, 0, sizeof(*pf));
    pf->start_time = -1;
    if (text == NULL)
        return false;
    pf->datadir = line_of(text, 1);
    if (pf->datadir == NULL)
        return false;
    pf->pid = (long)integer_line(text, 0, 0);
    pf->start_time = integer_line(text, 2, -1);
    pf->socket_dir = line_of(text, 4);
    return true;
}

void leftover_pid_file_free(leftover_pid_file *pf)
{
    free(pf->datadir);
    free(pf->socket_dir);
    pf->datadir = pf->socket_dir = NULL;
}

static bool same_start(double started, long long said)
{
    return started >= 0 && said >= 0 && fabs(started - (double)said) <= LEFTOVER_START_TOLERANCE;
}

static bool works_in(const pgd_procfs_info *p, const leftover_postmaster_facts *f)
{
    return p->cwd_known && f->dir_known && p->cwd_dev == f->dir_dev && p->cwd_ino == f->dir_ino;
}

/* Its parent is a postgres working in the same directory: a backend or auxiliary process. */
static bool child_of_a_postgres_here(const leftover_postmaster_facts *f)
{
    const pgd_procfs_info *parent = f->parent;

    return parent != NULL && pgd_procfs_alive(parent) && parent->pid == f->proc->stat.ppid &&
           pgd_procfs_exe_named(parent->exe, "postgres") && works_in(parent, f);
}

leftover_verdict leftover_judge_postmaster(const leftover_pid_file *pf, const char *dir,
                                           const char *datadir, const leftover_postmaster_facts *f)
{
    const pgd_procfs_info *p = f->proc;
    char started[64], said[64];

    if (pf->datadir == NULL || strcmp(pf->datadir, datadir) != 0)
        return verdict(LEFTOVER_LEAVE, "%s/postmaster.pid names the data directory %s, not %s", dir,
                       pf->datadir ? pf->datadir : "(none)", datadir);
    if (pf->pid <= 0)
        return verdict(LEFTOVER_LEAVE, "%s/postmaster.pid names no postmaster PID", dir);
    if (p == NULL || p->pid != pf->pid || !pgd_procfs_alive(p))
        return verdict(LEFTOVER_NONE, "%s/postmaster.pid names PID %ld, which no longer runs", dir,
                       pf->pid);
    if (p->uid != f->our_uid)
        return verdict(LEFTOVER_LEAVE,
                       "PID %ld (from %s/postmaster.pid) runs as uid %u, not as ours (%u)", p->pid,
                       dir, (unsigned int)p->uid, (unsigned int)f->our_uid);
    if (p->exe == NULL)
        return verdict(LEFTOVER_LEAVE,
                       "the program of PID %ld (from %s/postmaster.pid) cannot be read", p->pid,
                       dir);
    if (!pgd_procfs_exe_named(p->exe, "postgres"))
        return verdict(LEFTOVER_LEAVE, "PID %ld (from %s/postmaster.pid) runs %s, not postgres",
                       p->pid, dir, p->exe);
    if (!works_in(p, f))
        return verdict(LEFTOVER_LEAVE, "PID %ld (from %s/postmaster.pid) works in %s, not in %s",
                       p->pid, dir, p->cwd ? p->cwd : "a directory that cannot be read", dir);
    pgd_format_utc(p->start_time, false, started, sizeof(started));
    pgd_format_utc((double)pf->start_time, false, said, sizeof(said));
    if (!same_start(p->start_time, pf->start_time))
        return verdict(LEFTOVER_LEAVE,
                       "PID %ld (from %s/postmaster.pid) started at %s, not at %s as the file says",
                       p->pid, dir, p->start_time < 0 ? "an unknown time" : started,
                       pf->start_time < 0 ? "an unknown time" : said);
    if (p->args != NULL && strncmp(p->args, PS_DISPLAY_PREFIX, strlen(PS_DISPLAY_PREFIX)) == 0)
        return verdict(LEFTOVER_LEAVE,
                       "PID %ld (from %s/postmaster.pid) is a process of a postmaster, not a "
                       "postmaster: its command line reads \"%s\"",
                       p->pid, dir, p->args);
    if (child_of_a_postgres_here(f))
        return verdict(LEFTOVER_LEAVE,
                       "PID %ld (from %s/postmaster.pid) is a child of postgres %ld working in the "
                       "same directory, not a postmaster",
                       p->pid, dir, f->parent->pid);
    return verdict(LEFTOVER_OURS,
                   "the postmaster of an earlier drill (PID %ld, started at %s) still runs on %s",
                   p->pid, started, dir);
}

/* LEFTOVER_PRIVATE_PREFIX and mkdtemp's six letters or digits, nothing else. */
static bool private_name(const char *dir)
{
    size_t plen = strlen(LEFTOVER_PRIVATE_PREFIX);

    if (strncmp(dir, LEFTOVER_PRIVATE_PREFIX, plen) != 0 ||
        strlen(dir) != plen + MKDTEMP_SUFFIX_LEN)
        return false;
    for (const char *c = dir + plen; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c))
            return false;
    }
    return true;
}

/* The tag's text is datadir and a newline. */
static bool tag_names(const char *tag, const char *datadir)
{
    size_t len = strlen(datadir);

    return strncmp(tag, datadir, len) == 0 && strcmp(tag + len, "\n") == 0;
}

/* The socket lock, when there is one: does it name datadir, and is its holder gone? */
static leftover_verdict judge_socket_lock(const char *dir, const char *datadir,
                                          const leftover_dir_facts *f)
{
    const pgd_procfs_info *holder = f->lock_holder;
    leftover_pid_file lock;
    leftover_verdict v = {.action = LEFTOVER_OURS};

    if (!leftover_parse_pid_file(f->lock, &lock) || strcmp(lock.datadir, datadir) != 0)
        v = verdict(LEFTOVER_LEAVE, "the socket lock in %s names the data directory %s, not %s",
                    dir, lock.datadir ? lock.datadir : "(none)", datadir);
    /* A live process with the lock's PID is its holder unless it started at another time. */
    else if (holder != NULL && holder->pid == lock.pid && pgd_procfs_alive(holder) &&
             (holder->start_time < 0 || lock.start_time < 0 ||
              same_start(holder->start_time, lock.start_time)))
        v = verdict(LEFTOVER_LEAVE, "PID %ld, which holds the socket lock in %s, still runs",
                    lock.pid, dir);
    leftover_pid_file_free(&lock);
    return v;
}

leftover_verdict leftover_judge_private_dir(const char *dir, const char *datadir,
                                            const leftover_dir_facts *f)
{
    if (!private_name(dir))
        return verdict(LEFTOVER_LEAVE,
                       "the socket directory %s is not a private directory of pgdrill's "
                       "(" LEFTOVER_PRIVATE_PREFIX "XXXXXX)",
                       dir);
    if (!f->exists)
        return verdict(LEFTOVER_NONE, "%s does not exist", dir);
    if (!f->is_directory)
        return verdict(LEFTOVER_LEAVE, "%s is not a directory", dir);
    if (f->owner != f->our_uid || (f->mode & 077) != 0)
        return verdict(LEFTOVER_LEAVE, "%s is not ours alone (owner uid %u, mode %03o)", dir,
                       (unsigned int)f->owner, f->mode & 0777);
    if (f->tag == NULL)
        return verdict(LEFTOVER_LEAVE,
                       "%s holds no " LEFTOVER_TAG_FILE " file that ties it to a data directory "
                       "(made by another program, or by an older pgdrill)",
                       dir);
    if (!tag_names(f->tag, datadir))
        return verdict(LEFTOVER_LEAVE, "%s belongs to a drill of %.*s, not of %s", dir,
                       (int)strcspn(f->tag, "\n"), f->tag, datadir);
    if (f->lock != NULL) {
        leftover_verdict v = judge_socket_lock(dir, datadir, f);

        if (v.action != LEFTOVER_OURS)
            return v;
    }
    if (f->socket == LEFTOVER_SOCKET_ANSWERS)
        return verdict(LEFTOVER_LEAVE, "a server answers on the socket in %s", dir);
    if (f->socket == LEFTOVER_SOCKET_UNKNOWN)
        return verdict(LEFTOVER_LEAVE, "whether a server listens on the socket in %s is unknown",
                       dir);
    return verdict(LEFTOVER_OURS, "%s is the private directory of an earlier drill of %s, unused",
                   dir, datadir);
}

bool leftover_tag_private_dir(const char *private_dir, const char *datadir, char **errmsg)
{
    char *path = pgd_asprintf("%s/" LEFTOVER_TAG_FILE, private_dir);
    char *text = pgd_asprintf("%s\n", datadir);
    bool ok = pgd_write_file_atomic(path, text, 0600, errmsg);

    free(text);
    free(path);
    return ok;
}

/* ------------------------------------------------------------------ I/O */

/* A small file of ours, not through a link; NULL when missing or unreadable. */
static char *read_small(const char *path)
{
    char *errmsg = NULL;
    char *text = pgd_read_file_ex(path, 64 * 1024, PGD_READ_NOFOLLOW, NULL, &errmsg);

    free(errmsg);
    return text;
}

static leftover_socket probe_socket(const char *dir)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    char *path = pgd_asprintf("%s/" SOCKET_FILE, dir);
    leftover_socket result = LEFTOVER_SOCKET_UNKNOWN;
    struct stat st;
    int fd;

    if (lstat(path, &st) != 0)
        result = errno == ENOENT ? LEFTOVER_SOCKET_ABSENT : LEFTOVER_SOCKET_UNKNOWN;
    else if (S_ISSOCK(st.st_mode) && strlen(path) < sizeof(addr.sun_path) &&
             (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) >= 0) {
        memcpy(addr.sun_path, path, strlen(path) + 1);
        /* Nonblocking: a listener with a full backlog says EAGAIN, which is an answer too. */
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno == EAGAIN ||
            errno == EINPROGRESS)
            result = LEFTOVER_SOCKET_ANSWERS;
        else if (errno == ECONNREFUSED)
            result = LEFTOVER_SOCKET_REFUSED;
        close(fd);
    }
    free(path);
    return result;
}

static void stop_postmaster(const pgd_procfs_pin *pin, const char *why)
{
    pgd_warn("%s; stopping it", why);
    /* SIGQUIT: PostgreSQL's immediate shutdown; the postmaster takes its processes along. */
    pgd_procfs_pinned_signal(pin, SIGQUIT);
    if (pgd_procfs_pinned_wait(pin, LEFTOVER_STOP_MS))
        return;
    pgd_warn("postmaster %ld did not stop within %d s; killing it", pin->pid,
             LEFTOVER_STOP_MS / 1000);
    pgd_procfs_pinned_signal(pin, SIGKILL);
    if (!pgd_procfs_pinned_wait(pin, LEFTOVER_KILL_MS))
        pgd_warn("postmaster %ld is still there after SIGKILL", pin->pid);
}

/* The process postmaster.pid in dir names: judged, and stopped when it is ours. */
static void clean_postmaster(const char *dir, const char *datadir, const leftover_pid_file *pf)
{
    leftover_postmaster_facts f = {.our_uid = geteuid()};
    pgd_procfs_info proc = {0}, parent = {0};
    pgd_procfs_pin pin;
    struct stat st;
    leftover_verdict v;

    /* Pinned first: the facts read next are its own if it still runs after reading them. */
    pgd_procfs_pin_pid(pf->pid, &pin);
    if (!pin.gone && pgd_procfs_read(pf->pid, &proc)) {
        f.proc = &proc;
        if (pgd_procfs_read(proc.stat.ppid, &parent))
            f.parent = &parent;
    }
    if (stat(dir, &st) == 0) {
        f.dir_known = true;
        f.dir_dev = st.st_dev;
        f.dir_ino = st.st_ino;
    }
    if (f.proc != NULL && !pgd_procfs_pinned_alive(&pin))
        f.proc = NULL;
    v = leftover_judge_postmaster(pf, dir, datadir, &f);
    if (v.action == LEFTOVER_OURS)
        stop_postmaster(&pin, v.why);
    else if (v.action == LEFTOVER_LEAVE)
        pgd_warn("%s; left running", v.why);
    else
        pgd_debug("%s", v.why);
    free(v.why);
    pgd_procfs_unpin(&pin);
    pgd_procfs_free(&parent);
    pgd_procfs_free(&proc);
}

/* The socket directory postmaster.pid names: judged, and removed when it is ours. */
static void clean_private_dir(const char *dir, const char *datadir)
{
    leftover_dir_facts f = {.our_uid = geteuid(), .socket = LEFTOVER_SOCKET_UNKNOWN};
    pgd_procfs_info holder = {0};
    leftover_pid_file lock = {0};
    char *tag = NULL;
    char *lock_text = NULL;
    struct stat st;
    leftover_verdict v;

    if (private_name(dir) && lstat(dir, &st) == 0) {
        f.exists = true;
        f.is_directory = S_ISDIR(st.st_mode);
        f.owner = st.st_uid;
        f.mode = st.st_mode & 07777;
    }
    if (f.is_directory) {
        char *path = pgd_asprintf("%s/" LEFTOVER_TAG_FILE, dir);

        f.tag = tag = read_small(path);
        free(path);
        path = pgd_asprintf("%s/" SOCKET_FILE ".lock", dir);
        f.lock = lock_text = read_small(path);
        free(path);
        if (leftover_parse_pid_file(lock_text, &lock) && pgd_procfs_read(lock.pid, &holder))
            f.lock_holder = &holder;
        /* Only a directory tied to this drill is probed: a neighbour's socket is not touched. */
        if (tag != NULL && tag_names(tag, datadir))
            f.socket = probe_socket(dir);
    }
    v = leftover_judge_private_dir(dir, datadir, &f);
    if (v.action == LEFTOVER_OURS) {
        pgd_info("%s; removing it", v.why);
        pgd_remove_tree(dir);
    } else if (v.action == LEFTOVER_LEAVE)
        pgd_warn("%s; left in place", v.why);
    free(v.why);
    pgd_procfs_free(&holder);
    leftover_pid_file_free(&lock);
    free(lock_text);
    free(tag);
}

/* dir: where postmaster.pid is now; datadir: the data directory it names (before a rename). */
static void clean_in(const char *dir, const char *datadir)
{
    char *path = pgd_asprintf("%s/postmaster.pid", dir);
    char *text = read_small(path);
    leftover_pid_file pf;

    if (text == NULL) {
        free(path);
        return;
    }
    if (!leftover_parse_pid_file(text, &pf))
        pgd_warn("%s is not a postmaster.pid PostgreSQL wrote; nothing it names is touched", path);
    else {
        clean_postmaster(dir, datadir, &pf);
        if (pf.socket_dir != NULL && pf.socket_dir[0] != '\0')
            clean_private_dir(pf.socket_dir, datadir);
    }
    leftover_pid_file_free(&pf);
    free(text);
    free(path);
}

void leftover_clean(const char *datadir)
{
    char *failed = pgd_asprintf("%s.failed", datadir);

    clean_in(datadir, datadir);
    /* Patroni renamed it after the failure; postmaster.pid still names the old path (F3). */
    clean_in(failed, datadir);
    free(failed);
}
