/*
 * leftover.h - what an earlier drill left on the restore host, told apart
 * from what belongs to a neighbour.
 *
 * A bootstrap started again (a restarted pod, a drill after a host restart
 * or a crash) may find the postmaster.pid of an earlier private recovery in
 * its data directory, or in the <datadir>.failed Patroni moved it to
 * (docs/design.md, F3). By then the PID in it may belong to any process,
 * another cluster's postgres on the same host included, and the socket
 * directory it names may be another drill's. So a process is stopped only
 * when what is not reused with a PID proves it is that postmaster, and a
 * private directory is removed only when it provably is this data
 * directory's and unused. Anything else is left alone, with a warning that
 * says what was found (docs/design.md, F20, F22).
 *
 * The judges are pure (facts in, verdict out) and unit-tested; leftover_clean
 * gathers the facts and acts on the verdicts.
 */
#ifndef PGDRILL_BOOTSTRAP_LEFTOVER_H
#define PGDRILL_BOOTSTRAP_LEFTOVER_H

#include "procfs.h"

#include <stdbool.h>
#include <sys/types.h>

/*
 * The private directory of a recovery: mkdtemp(LEFTOVER_PRIVATE_PREFIX "XXXXXX"). A short path:
 * unix socket paths are limited to about 100 bytes.
 */
#define LEFTOVER_PRIVATE_PREFIX "/tmp/pgdrill-"
#define LEFTOVER_PRIVATE_PORT   "5432" /* only names the socket file in the private directory */
/* Written into the private directory when it is created: the data directory, one line. */
#define LEFTOVER_TAG_FILE "pgdrill-datadir"
/* Start times within this many seconds are the same start (whole seconds, clock ticks). */
#define LEFTOVER_START_TOLERANCE 3.0

/* The first five lines of postmaster.pid, and of a socket lock file (F20). */
typedef struct leftover_pid_file {
    long pid;             /* line 1; <= 0: none (a standalone backend writes -PID) */
    char *datadir;        /* line 2 */
    long long start_time; /* line 3, seconds since the epoch; -1: none */
    char *socket_dir;     /* line 5; NULL: none (no unix socket) */
} leftover_pid_file;

/* Parse the text of a postmaster.pid or a socket lock file. False when line 2 is missing. */
bool leftover_parse_pid_file(const char *text, leftover_pid_file *pf);
void leftover_pid_file_free(leftover_pid_file *pf);

typedef enum leftover_action {
    LEFTOVER_NONE,  /* nothing there: no such process, no such directory */
    LEFTOVER_OURS,  /* provably the earlier drill's: stop it, remove it */
    LEFTOVER_LEAVE, /* not provably ours: left alone, and the reason logged as a warning */
} leftover_action;

typedef struct leftover_verdict {
    leftover_action action;
    char *why; /* what was found, for the log; caller frees */
} leftover_verdict;

/* What /proc says about the process line 1 of a postmaster.pid names. */
typedef struct leftover_postmaster_facts {
    const pgd_procfs_info *proc;   /* NULL: no such process */
    const pgd_procfs_info *parent; /* NULL: unknown */
    uid_t our_uid;
    bool dir_known; /* dir_dev and dir_ino identify the directory holding postmaster.pid */
    dev_t dir_dev;
    ino_t dir_ino;
} leftover_postmaster_facts;

/*
 * Is the process postmaster.pid (parsed into pf, found in dir) names the
 * postmaster of datadir, ours to stop? Only when all of these hold: line 2
 * names datadir; it runs as our uid; its program is postgres; its working
 * directory is dir itself (a postmaster works in its data directory, and
 * follows a rename); it started when line 3 says; it is a postmaster, not
 * one of a postmaster's processes (whose command line reads "postgres: ..."
 * and whose parent is a postgres in the same directory).
 */
leftover_verdict leftover_judge_postmaster(const leftover_pid_file *pf, const char *dir,
                                           const char *datadir, const leftover_postmaster_facts *f);

/* Whether a server answers on the socket of a directory. */
typedef enum leftover_socket {
    LEFTOVER_SOCKET_ABSENT,  /* no socket file */
    LEFTOVER_SOCKET_REFUSED, /* a socket file nobody listens on */
    LEFTOVER_SOCKET_ANSWERS,
    LEFTOVER_SOCKET_UNKNOWN, /* connect failed otherwise */
} leftover_socket;

/* What the file system says about the directory line 5 names. */
typedef struct leftover_dir_facts {
    bool exists; /* lstat found something there */
    bool is_directory;
    uid_t owner;
    unsigned int mode; /* permission bits */
    uid_t our_uid;
    const char *tag;                    /* LEFTOVER_TAG_FILE's text; NULL: none */
    const char *lock;                   /* the socket lock file's text; NULL: none */
    const pgd_procfs_info *lock_holder; /* the process its line 1 names; NULL: none */
    leftover_socket socket;
} leftover_dir_facts;

/*
 * May the socket directory dir be removed as the private directory of an
 * earlier drill of datadir? Only when all of these hold: its name is
 * LEFTOVER_PRIVATE_PREFIX and six characters, as mkdtemp makes it; it is a
 * directory (not a link) of ours, mode 0700; its tag names datadir; its socket
 * lock, if any, names datadir and no live process holds it (line 1's PID
 * running since line 3's time); no server answers on its socket.
 */
leftover_verdict leftover_judge_private_dir(const char *dir, const char *datadir,
                                            const leftover_dir_facts *f);

/* Tie a new private directory to datadir (LEFTOVER_TAG_FILE). */
bool leftover_tag_private_dir(const char *private_dir, const char *datadir, char **errmsg);

/*
 * Before anything else: stop a private postmaster an earlier bootstrap left
 * running on datadir (or on the <datadir>.failed Patroni moved it to) and
 * remove its private directory, each only when provably the earlier drill's
 * (see the judges). Logs what it did and what it left alone.
 */
void leftover_clean(const char *datadir);

#endif
