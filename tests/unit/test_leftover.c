/*
 * test_leftover.c - a restarted bootstrap stops an earlier drill's private
 * postmaster and removes its private directory, and nothing else: each
 * condition of the judges fails on its own, and on the real system a stand-in
 * postmaster (a program named postgres working in the data directory) is
 * stopped after the data directory was renamed, while a process that only
 * has its PID, its program or its start time in common is left running.
 */
#include "leftover.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATADIR "/srv/drill"
#define DIR_DEV 64
#define DIR_INO 1234
#define STARTED 1796167290LL

/* ------------------------------------------------------------ the judges */

/* A postmaster of an earlier drill as /proc shows it; each test spoils one fact. */
typedef struct postmaster_case {
    leftover_pid_file pf;
    pgd_procfs_info proc;
    pgd_procfs_info parent;
    leftover_postmaster_facts f;
} postmaster_case;

static const char postmaster_args[] = "/usr/lib/postgresql/15/bin/postgres\0-D\0" DATADIR "\0";

static void postmaster_case_init(postmaster_case *c)
{
    memset(c, 0, sizeof(*c));
    c->pf.pid = 4242;
    c->pf.datadir = DATADIR;
    c->pf.start_time = STARTED;
    c->pf.socket_dir = "/tmp/pgdrill-AbC123";
    c->proc.pid = 4242;
    c->proc.stat.state = 'S';
    c->proc.stat.ppid = 1;
    c->proc.uid = 1000;
    c->proc.start_time = (double)STARTED + 0.22;
    c->proc.exe = "/usr/lib/postgresql/15/bin/postgres";
    c->proc.cwd = DATADIR ".failed";
    c->proc.cwd_known = true;
    c->proc.cwd_dev = DIR_DEV;
    c->proc.cwd_ino = DIR_INO;
    c->proc.args = (char *)postmaster_args;
    c->proc.args_len = sizeof(postmaster_args) - 1;
    /* init: another user's process, whose program cannot be read */
    c->parent.pid = 1;
    c->parent.stat.state = 'S';
    c->parent.uid = 0;
    c->f.proc = &c->proc;
    c->f.parent = &c->parent;
    c->f.our_uid = 1000;
    c->f.dir_known = true;
    c->f.dir_dev = DIR_DEV;
    c->f.dir_ino = DIR_INO;
}

/* The verdict is action, and its reason mentions words. */
static void expect_postmaster(const postmaster_case *c, leftover_action action, const char *words)
{
    leftover_verdict v = leftover_judge_postmaster(&c->pf, DATADIR ".failed", DATADIR, &c->f);

    if (v.action != action || strstr(v.why, words) == NULL)
        fail_msg("expected action %d with \"%s\", got %d: %s", action, words, v.action, v.why);
    free(v.why);
}

static void test_postmaster_of_an_earlier_drill(void **state)
{
    postmaster_case c;

    (void)state;
    postmaster_case_init(&c);
    expect_postmaster(&c, LEFTOVER_OURS, "the postmaster of an earlier drill (PID 4242");
    /* Its program was replaced by a package upgrade since it started. */
    c.proc.exe = "/usr/lib/postgresql/15/bin/postgres (deleted)";
    expect_postmaster(&c, LEFTOVER_OURS, "PID 4242");
    /* Started in the last tick of a second, the pid file says the next one. */
    postmaster_case_init(&c);
    c.proc.start_time = (double)STARTED - 0.98;
    expect_postmaster(&c, LEFTOVER_OURS, "PID 4242");
    /* Started by a postgres of another directory (COPY FROM PROGRAM): a postmaster still. */
    postmaster_case_init(&c);
    c.parent.exe = "/usr/lib/postgresql/15/bin/postgres";
    c.parent.cwd_known = true;
    c.parent.cwd_dev = DIR_DEV;
    c.parent.cwd_ino = DIR_INO + 1;
    expect_postmaster(&c, LEFTOVER_OURS, "PID 4242");
}

static void test_nothing_to_stop(void **state)
{
    postmaster_case c;

    (void)state;
    postmaster_case_init(&c);
    c.f.proc = NULL;
    expect_postmaster(&c, LEFTOVER_NONE, "PID 4242, which no longer runs");
    postmaster_case_init(&c);
    c.proc.stat.state = 'Z';
    expect_postmaster(&c, LEFTOVER_NONE, "no longer runs");
    postmaster_case_init(&c);
    c.proc.pid = 4243;
    expect_postmaster(&c, LEFTOVER_NONE, "no longer runs");
}

static void test_pid_file_of_another_or_no_postmaster(void **state)
{
    postmaster_case c;

    (void)state;
    postmaster_case_init(&c);
    c.pf.datadir = "/srv/other";
    expect_postmaster(&c, LEFTOVER_LEAVE, "names the data directory /srv/other, not " DATADIR);
    postmaster_case_init(&c);
    c.pf.datadir = NULL;
    expect_postmaster(&c, LEFTOVER_LEAVE, "(none)");
    postmaster_case_init(&c);
    c.pf.pid = -4242; /* a standalone backend */
    expect_postmaster(&c, LEFTOVER_LEAVE, "names no postmaster PID");
}

/* Each fact a reused PID does not keep, spoiled alone, leaves the process running. */
static void test_a_reused_pid_is_left_running(void **state)
{
    postmaster_case c;

    (void)state;
    postmaster_case_init(&c);
    c.proc.uid = 1001;
    expect_postmaster(&c, LEFTOVER_LEAVE, "runs as uid 1001, not as ours (1000)");
    postmaster_case_init(&c);
    c.proc.exe = NULL;
    expect_postmaster(&c, LEFTOVER_LEAVE, "cannot be read");
    postmaster_case_init(&c);
    c.proc.exe = "/usr/bin/sleep";
    expect_postmaster(&c, LEFTOVER_LEAVE, "runs /usr/bin/sleep, not postgres");
    /* Another cluster's postmaster: it works in its own data directory. */
    postmaster_case_init(&c);
    c.proc.cwd = "/srv/neighbour";
    c.proc.cwd_ino = DIR_INO + 1;
    expect_postmaster(&c, LEFTOVER_LEAVE, "works in /srv/neighbour, not in " DATADIR ".failed");
    postmaster_case_init(&c);
    c.proc.cwd_dev = DIR_DEV + 1;
    expect_postmaster(&c, LEFTOVER_LEAVE, "works in");
    postmaster_case_init(&c);
    c.proc.cwd_known = false;
    c.proc.cwd = NULL;
    expect_postmaster(&c, LEFTOVER_LEAVE, "a directory that cannot be read");
    postmaster_case_init(&c);
    c.f.dir_known = false;
    expect_postmaster(&c, LEFTOVER_LEAVE, "works in");
    /* Started after a host restart, an hour later. */
    postmaster_case_init(&c);
    c.proc.start_time = (double)STARTED + 3600;
    expect_postmaster(&c, LEFTOVER_LEAVE,
                      "started at 2026-12-02T00:21:30Z, not at "
                      "2026-12-01T23:21:30Z as the file says");
    postmaster_case_init(&c);
    c.proc.start_time = (double)STARTED + LEFTOVER_START_TOLERANCE + 0.5;
    expect_postmaster(&c, LEFTOVER_LEAVE, "started at");
    postmaster_case_init(&c);
    c.proc.start_time = -1;
    expect_postmaster(&c, LEFTOVER_LEAVE, "started at an unknown time");
    postmaster_case_init(&c);
    c.pf.start_time = -1;
    expect_postmaster(&c, LEFTOVER_LEAVE, "not at an unknown time");
}

/* A postmaster's checkpointer has its cwd, program and (near enough) start time. */
static void test_a_postmasters_process_is_left_running(void **state)
{
    static const char checkpointer[] = "postgres: checkpointer \0";
    postmaster_case c;

    (void)state;
    postmaster_case_init(&c);
    c.proc.args = (char *)checkpointer;
    c.proc.args_len = sizeof(checkpointer) - 1;
    expect_postmaster(&c, LEFTOVER_LEAVE,
                      "is a process of a postmaster, not a postmaster: its command line reads "
                      "\"postgres: checkpointer \"");
    /* Even with its command line unchanged: its parent is a postgres in the same directory. */
    postmaster_case_init(&c);
    c.proc.stat.ppid = 4000;
    c.parent.pid = 4000;
    c.parent.uid = 1000;
    c.parent.exe = "/usr/lib/postgresql/15/bin/postgres";
    c.parent.cwd_known = true;
    c.parent.cwd_dev = DIR_DEV;
    c.parent.cwd_ino = DIR_INO;
    expect_postmaster(&c, LEFTOVER_LEAVE, "is a child of postgres 4000 working in the same");
}

/* A private directory of an earlier drill as the file system shows it. */
static void dir_case_init(leftover_dir_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->exists = true;
    f->is_directory = true;
    f->owner = 1000;
    f->mode = 0700;
    f->our_uid = 1000;
    f->tag = DATADIR "\n";
    f->socket = LEFTOVER_SOCKET_ABSENT;
}

static void expect_dir(const char *dir, const leftover_dir_facts *f, leftover_action action,
                       const char *words)
{
    leftover_verdict v = leftover_judge_private_dir(dir, DATADIR, f);

    if (v.action != action || strstr(v.why, words) == NULL)
        fail_msg("%s: expected action %d with \"%s\", got %d: %s", dir, action, words, v.action,
                 v.why);
    free(v.why);
}

#define PRIVATE               "/tmp/pgdrill-AbC123"
#define LOCK_OF(pid, datadir) pid "\n" datadir "\n1796167290\n5432\n" PRIVATE "\n"

static void test_private_directory_of_an_earlier_drill(void **state)
{
    leftover_dir_facts f;
    pgd_procfs_info holder = {.pid = 4242, .stat.state = 'S', .start_time = (double)STARTED};

    (void)state;
    dir_case_init(&f);
    expect_dir(PRIVATE, &f, LEFTOVER_OURS,
               PRIVATE " is the private directory of an earlier drill of " DATADIR ", unused");
    /* Its postmaster was killed: its socket and lock are left, nobody listens or holds it. */
    f.lock = LOCK_OF("4242", DATADIR);
    f.socket = LEFTOVER_SOCKET_REFUSED;
    expect_dir(PRIVATE, &f, LEFTOVER_OURS, "unused");
    /* The lock's PID was given to a process that started later. */
    f.lock_holder = &holder;
    holder.start_time = (double)STARTED + 3600;
    expect_dir(PRIVATE, &f, LEFTOVER_OURS, "unused");
    holder.start_time = (double)STARTED;
    holder.stat.state = 'Z';
    expect_dir(PRIVATE, &f, LEFTOVER_OURS, "unused");
    dir_case_init(&f);
    f.exists = false;
    expect_dir(PRIVATE, &f, LEFTOVER_NONE, "does not exist");
}

static void test_not_a_private_directory_by_name(void **state)
{
    static const char *const names[] = {
        "/var/run/postgresql",  "/tmp/pgdrill-AbC12",  "/tmp/pgdrill-AbC1234",
        "/tmp/pgdrill-Ab/123",  "/tmp/pgdrill-AbC12.", "/tmp/pgdrill-tests",
        "/tmp/pgdrill-conn-Ab", "tmp/pgdrill-AbC123",  "/tmp/pgdrill-AbC123/",
    };
    leftover_dir_facts f;

    (void)state;
    dir_case_init(&f);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        expect_dir(names[i], &f, LEFTOVER_LEAVE, "is not a private directory of pgdrill's");
}

static void test_a_neighbours_directory_is_left_in_place(void **state)
{
    leftover_dir_facts f;
    pgd_procfs_info holder = {.pid = 4242, .stat.state = 'S', .start_time = (double)STARTED + 1};

    (void)state;
    dir_case_init(&f);
    f.is_directory = false;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "is not a directory");
    dir_case_init(&f);
    f.owner = 1001;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "is not ours alone (owner uid 1001, mode 700)");
    dir_case_init(&f);
    f.mode = 0755;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "mode 755");
    /* Made by another program (another cluster's socket directory), or by an older pgdrill. */
    dir_case_init(&f);
    f.tag = NULL;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "holds no " LEFTOVER_TAG_FILE " file");
    dir_case_init(&f);
    f.tag = "/srv/other\n";
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "belongs to a drill of /srv/other, not of " DATADIR);
    f.tag = DATADIR;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "belongs to a drill of");
    f.tag = DATADIR "\n/srv/other\n";
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "belongs to a drill of");
    /* Tied to this data directory, but in use. */
    dir_case_init(&f);
    f.lock = LOCK_OF("4242", "/srv/other");
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE,
               "the socket lock in " PRIVATE " names the data directory /srv/other");
    f.lock = "garbage";
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "(none)");
    f.lock = LOCK_OF("4242", DATADIR);
    f.lock_holder = &holder;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE,
               "PID 4242, which holds the socket lock in " PRIVATE ", still runs");
    holder.start_time = -1; /* unknown: it may be the holder */
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "still runs");
    dir_case_init(&f);
    f.socket = LEFTOVER_SOCKET_ANSWERS;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "a server answers on the socket in " PRIVATE);
    f.socket = LEFTOVER_SOCKET_UNKNOWN;
    expect_dir(PRIVATE, &f, LEFTOVER_LEAVE, "is unknown");
}

static void test_parse_pid_file(void **state)
{
    leftover_pid_file pf;

    (void)state;
    assert_true(leftover_parse_pid_file("17480\n/tmp/exp1/data\n1796167290\n5432\n/tmp/pgdrill-"
                                        "7RWQBO\n\n  10952930     32826\nready   \n",
                                        &pf));
    assert_int_equal(pf.pid, 17480);
    assert_string_equal(pf.datadir, "/tmp/exp1/data");
    assert_int_equal(pf.start_time, 1796167290);
    assert_string_equal(pf.socket_dir, "/tmp/pgdrill-7RWQBO");
    leftover_pid_file_free(&pf);
    /* No unix socket: line 5 is empty; lines after it do not move up. */
    assert_true(leftover_parse_pid_file("7\n/d\n1\n5432\n\n127.0.0.1\n", &pf));
    assert_string_equal(pf.socket_dir, "");
    leftover_pid_file_free(&pf);
    assert_true(leftover_parse_pid_file("x7\n/d\nsoon\n", &pf));
    assert_int_equal(pf.pid, 0);
    assert_int_equal(pf.start_time, -1);
    assert_null(pf.socket_dir);
    leftover_pid_file_free(&pf);
    assert_true(leftover_parse_pid_file("-7\n/d\n", &pf));
    assert_int_equal(pf.pid, -7);
    leftover_pid_file_free(&pf);
    assert_false(leftover_parse_pid_file("7\n", &pf));
    assert_false(leftover_parse_pid_file("", &pf));
    assert_false(leftover_parse_pid_file(NULL, &pf));
}

/* --------------------------------------------------- on the real system */

typedef struct scene {
    char datadir[64];
    char *failed;
    char private_dir[32];
    char bindir[64];
} scene;

static bool exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void write_pid_file(const char *dir, long pid, const char *datadir, long long started,
                           const char *sockets)
{
    char *path = pgd_asprintf("%s/postmaster.pid", dir);
    char *text = pgd_asprintf("%ld\n%s\n%lld\n5432\n%s\n\n  1234  5678\nready   \n", pid, datadir,
                              started, sockets);

    write_text(path, text);
    free(text);
    free(path);
}

/* A data directory, a private directory tied to it, a copy of sleep named postgres. */
static void scene_init(scene *s, bool tagged)
{
    char *copy;

    memset(s, 0, sizeof(*s));
    strcpy(s->datadir, "/tmp/pgdrill-test-leftover-XXXXXX");
    strcpy(s->private_dir, LEFTOVER_PRIVATE_PREFIX "XXXXXX");
    strcpy(s->bindir, "/tmp/pgdrill-test-leftover-bin-XXXXXX");
    assert_non_null(mkdtemp(s->datadir));
    assert_non_null(mkdtemp(s->private_dir));
    assert_non_null(mkdtemp(s->bindir));
    s->failed = pgd_asprintf("%s.failed", s->datadir);
    if (tagged) {
        char *errmsg = NULL;

        assert_true(leftover_tag_private_dir(s->private_dir, s->datadir, &errmsg));
    }
    copy = pgd_asprintf("cp /bin/sleep %s/postgres", s->bindir);
    assert_int_equal(system(copy), 0);
    free(copy);
}

static void remove_tree(const char *path)
{
    char *cmd = pgd_asprintf("rm -rf '%s'", path);

    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void scene_free(scene *s)
{
    remove_tree(s->datadir);
    remove_tree(s->failed);
    remove_tree(s->private_dir);
    remove_tree(s->bindir);
    free(s->failed);
}

/*
 * A stand-in postmaster: the copy of sleep named postgres, working in dir,
 * its argv[0] as given (a postmaster's children rewrite theirs to
 * "postgres: ..."). No core file from SIGQUIT.
 */
static pid_t start_stand_in(const scene *s, const char *dir, const char *argv0)
{
    pid_t child = fork();

    if (child == 0) {
        struct rlimit none = {0, 0};
        char *program = pgd_asprintf("%s/postgres", s->bindir);

        setrlimit(RLIMIT_CORE, &none);
        if (chdir(dir) != 0)
            _exit(126);
        execl(program, argv0, "30", (char *)NULL);
        _exit(127);
    }
    /* Until the exec is done /proc shows the test's program. */
    for (int i = 0; i < 200; i++) {
        pgd_procfs_info info;
        bool ready = pgd_procfs_read(child, &info) && pgd_procfs_exe_named(info.exe, "postgres");

        pgd_procfs_free(&info);
        if (ready)
            break;
        usleep(10 * 1000);
    }
    return child;
}

static long long start_of(pid_t pid)
{
    pgd_procfs_info info;
    long long started;

    assert_true(pgd_procfs_read(pid, &info));
    started = (long long)info.start_time;
    pgd_procfs_free(&info);
    return started;
}

/* Still running, not even signalled; then stopped and reaped by the test. */
static void expect_untouched(pid_t child)
{
    int status;

    assert_int_equal(waitpid(child, &status, WNOHANG), 0);
    kill(child, SIGKILL);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* The stale socket of a killed postmaster: a socket file nobody listens on, and its lock. */
static void leave_dead_socket(const char *dir, const char *datadir, long pid)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    char *lock = pgd_asprintf("%s/.s.PGSQL.5432.lock", dir);
    char *text = pgd_asprintf("%ld\n%s\n1796167290\n5432\n%s\n", pid, datadir, dir);

    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/.s.PGSQL.5432", dir);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);
    write_text(lock, text);
    free(text);
    free(lock);
}

/*
 * The earlier drill's postmaster, after Patroni renamed the data directory:
 * it still works in it (the rename moves the directory, not the process), so
 * it is stopped with SIGQUIT, and its private directory is removed.
 */
static void test_stand_in_postmaster_stopped_after_the_rename(void **state)
{
    scene s;
    pid_t child;
    int status;

    (void)state;
    scene_init(&s, true);
    child = start_stand_in(&s, s.datadir, "postgres");
    write_pid_file(s.datadir, child, s.datadir, start_of(child), s.private_dir);
    assert_int_equal(rename(s.datadir, s.failed), 0);
    leftover_clean(s.datadir);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGQUIT);
    assert_false(exists(s.private_dir));
    scene_free(&s);
}

/* A postgres working elsewhere, one started at another time, a postmaster's child. */
static void test_stand_ins_that_are_not_the_postmaster_left_running(void **state)
{
    scene s;
    pid_t child;

    (void)state;
    scene_init(&s, true);
    child = start_stand_in(&s, "/", "postgres");
    write_pid_file(s.datadir, child, s.datadir, start_of(child), s.private_dir);
    leftover_clean(s.datadir);
    expect_untouched(child);

    child = start_stand_in(&s, s.datadir, "postgres");
    write_pid_file(s.datadir, child, s.datadir, start_of(child) - 3600, s.private_dir);
    leftover_clean(s.datadir);
    expect_untouched(child);

    child = start_stand_in(&s, s.datadir, "postgres: checkpointer ");
    write_pid_file(s.datadir, child, s.datadir, start_of(child), s.private_dir);
    leftover_clean(s.datadir);
    expect_untouched(child);
    scene_free(&s);
}

/* A process that is not a postgres (a reused PID) and a directory that is not ours. */
static void test_other_process_and_directory_untouched(void **state)
{
    scene s;
    char other[] = "/tmp/not-pgdrill-XXXXXX";
    pid_t child = fork();

    (void)state;
    if (child == 0) {
        execlp("sleep", "sleep", "30", (char *)NULL);
        _exit(127);
    }
    scene_init(&s, true);
    assert_non_null(mkdtemp(other));
    write_pid_file(s.datadir, child, s.datadir, start_of(child), other);
    leftover_clean(s.datadir);
    expect_untouched(child);
    assert_true(exists(other));
    rmdir(other);
    scene_free(&s);
}

/* A killed postmaster's private directory: tagged, a dead socket and lock: removed. */
static void test_private_directory_of_a_killed_postmaster_removed(void **state)
{
    scene s;
    pid_t gone = fork();
    int status;

    (void)state;
    if (gone == 0)
        _exit(0);
    assert_int_equal(waitpid(gone, &status, 0), gone);
    scene_init(&s, true);
    leave_dead_socket(s.private_dir, s.datadir, gone);
    assert_int_equal(rename(s.datadir, s.failed), 0);
    write_pid_file(s.failed, gone, s.datadir, STARTED, s.private_dir);
    leftover_clean(s.datadir);
    assert_false(exists(s.private_dir));
    scene_free(&s);
}

/* Another cluster's socket directory (untagged), and a tagged one a server listens in. */
static void test_socket_directories_in_use_left_in_place(void **state)
{
    scene s;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    char *tag;
    int fd;

    (void)state;
    scene_init(&s, false);
    leave_dead_socket(s.private_dir, "/srv/neighbour", 1);
    write_pid_file(s.datadir, 999999, s.datadir, STARTED, s.private_dir);
    leftover_clean(s.datadir);
    assert_true(exists(s.private_dir));
    scene_free(&s);

    scene_init(&s, true);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/.s.PGSQL.5432", s.private_dir);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, 4), 0);
    write_pid_file(s.datadir, 999999, s.datadir, STARTED, s.private_dir);
    leftover_clean(s.datadir);
    assert_true(exists(s.private_dir));
    tag = pgd_asprintf("%s/" LEFTOVER_TAG_FILE, s.private_dir);
    assert_true(exists(tag));
    free(tag);
    close(fd);
    scene_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_postmaster_of_an_earlier_drill),
        cmocka_unit_test(test_nothing_to_stop),
        cmocka_unit_test(test_pid_file_of_another_or_no_postmaster),
        cmocka_unit_test(test_a_reused_pid_is_left_running),
        cmocka_unit_test(test_a_postmasters_process_is_left_running),
        cmocka_unit_test(test_private_directory_of_an_earlier_drill),
        cmocka_unit_test(test_not_a_private_directory_by_name),
        cmocka_unit_test(test_a_neighbours_directory_is_left_in_place),
        cmocka_unit_test(test_parse_pid_file),
        cmocka_unit_test(test_stand_in_postmaster_stopped_after_the_rename),
        cmocka_unit_test(test_stand_ins_that_are_not_the_postmaster_left_running),
        cmocka_unit_test(test_other_process_and_directory_untouched),
        cmocka_unit_test(test_private_directory_of_a_killed_postmaster_removed),
        cmocka_unit_test(test_socket_directories_in_use_left_in_place),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
