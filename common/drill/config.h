/*
 * config.h - the pgdrill.yml configuration shared by both binaries.
 *
 * Every key of the README's configuration table is described once, in a table in
 * config.c, with its type, default and limits. Loading either succeeds
 * completely or fails with a single message of the form
 * "FILE:LINE: KEY: reason" (LINE is 1-based, KEY the dotted path), so an SRE
 * can jump straight to the offending line.
 */
#ifndef PGDRILL_CONFIG_H
#define PGDRILL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define PGD_DEFAULT_CONFIG_PATH "/etc/pgdrill/pgdrill.yml"

/*
 * pgbackrest.process_max by default: the CPUs we may use (restore and WAL
 * fetching decompress and check one file per process), at most this many,
 * so that a big host does not open dozens of connections to the repository.
 */
#define PGD_PROCESS_MAX_DEFAULT_CAP 8

typedef struct pgd_strlist {
    char **items;
    size_t count;
} pgd_strlist;

typedef struct pgd_setting {
    char *name;
    char *value;
} pgd_setting;

typedef struct pgd_settings {
    pgd_setting *items;
    size_t count;
} pgd_settings;

/* A user assertion: sql, run in database, must return exactly one row holding true. */
typedef struct pgd_assertion {
    char *name;
    char *database;
    char *sql;
} pgd_assertion;

typedef struct pgd_assertions {
    pgd_assertion *items;
    size_t count;
} pgd_assertions;

typedef struct pgd_config {
    char *path;     /* the file this was loaded from */
    int *key_lines; /* line of each key in the file, 0 when not set (for pgd_config_error) */
    char *scope;
    char *state_dir;
    struct {
        char *dsn;
        long connect_timeout;
    } source;
    struct {
        char *schema;
        char *table;
        long archive_timeout;
    } marker;
    struct {
        char *stanza;
        char *config;
        long process_max;
        pgd_strlist options;
        char *set; /* "latest", "oldest" or a backup label */
        long repo; /* 0: pgBackRest's choice */
        /* seconds the repository may fail every probe while nothing is written (repo_watch.h) */
        long dead_after;
    } pgbackrest;
    struct {
        char *bin_dir;
    } postgres;
    struct {
        char *target; /* latest, oldest, random or an RFC 3339 instant (target.h) */
        long timeout;
        pgd_settings settings;
        long wal_prefetch; /* bytes of WAL fetched ahead of replay; 0: off */
    } recovery;
    struct {
        pgd_strlist databases; /* empty: every connectable database ("all") */
        long jobs;
        long timeout;
        bool checksums; /* pg_checksums --check after recovery (bootstrap) */
        char *amcheck;  /* "off", "on" or "heapallindexed" */
        pgd_assertions assertions;
        long assertion_timeout;
        bool source_catalog;    /* compare the copy's catalog with the source's */
        pgd_assertions compare; /* {name, database, sql} run on both sides */
        long compare_timeout;
    } verify;
    struct {
        char *file;
        char *history_dsn;
        long max_concurrent;
        long stale_after; /* a drill "in progress" for longer counts as dead */
        struct {
            char *url;
            bool allow_http; /* plain http:// only when the configuration says so */
            char *ca_file;   /* extra CA bundle for the webhook's TLS; "" = system CAs */
            char *token_file;
            long timeout;
            long retries;
        } webhook;
        char *metrics_file;
        char *signing_key; /* Ed25519 private key (PEM) signing the final report; "" = off */
        long rto_target;   /* restore + recovery must fit (seconds); 0: not judged */
    } report;
} pgd_config;

/*
 * Load path into *cfg (defaults first, then the file). Returns true on
 * success; on failure returns false, *errmsg is "FILE:LINE: KEY: reason"
 * (caller frees) and *cfg holds nothing that needs freeing.
 */
bool pgd_config_load(const char *path, pgd_config *cfg, char **errmsg);

void pgd_config_free(pgd_config *cfg);

/*
 * "FILE:LINE: KEY: reason" for a check made after loading (e.g. against the
 * command line); LINE is where key was set, or 1 for a default (caller frees).
 */
char *pgd_config_error(const pgd_config *cfg, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * One key of the README's configuration table: the key's dotted path and
 * the "default" and "meaning" cells (markdown). The table of keys in
 * config.c is the one source of these rows for the README (test_config
 * compares) and the man pages (man/gen-man.c).
 */
typedef struct pgd_config_key_doc {
    const char *key;
    const char *default_value; /* as written in pgdrill.yml; NULL: computed, required or decided
                                  on the command line */
    const char *shown_default;
    const char *meaning;
    bool path; /* an absolute path, normalised when loaded */
} pgd_config_key_doc;

/* How many keys there are (sections, which hold keys, do not count). */
size_t pgd_config_doc_count(void);

/* The index-th key in the README's order; all NULL past the end. */
pgd_config_key_doc pgd_config_doc(size_t index);

/* The configuration path from --config, else $PGDRILL_CONFIG, else the default. */
const char *pgd_config_path(const char *from_option);

/* The default of pgbackrest.process_max on this host (PGD_PROCESS_MAX_DEFAULT_CAP). */
long pgd_default_process_max(void);

#endif
