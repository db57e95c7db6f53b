/*
 * config.c - load and validate pgdrill.yml with libyaml.
 *
 * The document API of libyaml gives every node its source position, which is
 * what makes "FILE:LINE: KEY: reason" possible. A key is one entry of one
 * table (config_keys): its type, its default (read like a value of the
 * file, and shown in the README from there), its limits, its rules and its
 * README cells, so that parsing, defaults, freeing, the documentation and
 * the unknown-key check cannot drift apart. A value is judged in one place
 * per kind of rule: its type's parser (apply_*, string_kind_problem), the
 * table's limits (min, max, required, nonempty), the key's own rule
 * (.check), and the rules between keys once the file is read
 * (.check_with_others). pgBackRest's options are judged by
 * pgbackrest_options.h.
 */
#include "config.h"

#include "bytesize.h"
#include "conninfo.h"
#include "cpus.h"
#include "duration.h"
#include "fsutil.h"
#include "marker.h"
#include "pgbackrest_options.h"
#include "pgconf.h"
#include "secret.h"
#include "target.h"
#include "xalloc.h"

#include <yaml.h>

#include <regex.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A configuration file is a page of YAML; anything this big is the wrong file. */
#define CONFIG_MAX_BYTES (1024 * 1024)

/* PostgreSQL silently truncates identifiers longer than NAMEDATALEN - 1 bytes. */
#define PG_MAX_IDENTIFIER_BYTES 63

typedef enum key_kind {
    K_SECTION,    /* a mapping of further keys */
    K_STRING,     /* any string */
    K_PATH,       /* an absolute file-system path, normalised; "" where the key may be empty */
    K_IDENT,      /* a PostgreSQL identifier, quoted by us when used */
    K_CONNINFO,   /* a libpq connection string, may be empty */
    K_URL,        /* an http(s) URL, may be empty */
    K_DURATION,   /* seconds, from "30s", "5m", "2h", "1d" or plain seconds */
    K_SIZE,       /* bytes, from "512MB", "1GiB" or plain bytes; "off" is 0 */
    K_INT,        /* an integer within [min, max] */
    K_BOOL,       /* true/false (yes/no, on/off) */
    K_OPTIONS,    /* a list of pgBackRest "--option[=value]" strings */
    K_DATABASES,  /* "all" or a list of database names */
    K_SETTINGS,   /* a mapping of GUC name to value */
    K_ASSERTIONS, /* a list of {name, database, sql} */
} key_kind;

typedef struct key_spec {
    const char *path;
    size_t offset;
    /* Limits of K_INT, K_DURATION and K_SIZE: checked when the value is read */
    long min;
    long max;
    /*
     * The default, written as in pgdrill.yml ("10s", "1GB", "latest", "true",
     * "[]", "\"\"" for the empty string): read like a value from the file,
     * before the file, so it passes the same checks; the README's "default"
     * cell is it in backticks, then default_note. A key without one is
     * required, gets a computed default, or is decided on the command line;
     * any other is refused when loading (test_config fails on every case).
     */
    const char *default_value;
    const char *default_note; /* "(off)", "(at least `10s`)" */
    /* A default worked out once the file is read, when it did not set the key */
    void (*computed_default)(pgd_config *cfg);
    /*
     * The README's "default" cell where it is not the default value: a
     * computed default, or an empty default that means someone else decides.
     */
    const char *shown_default;
    /* This key's own rule for a string value: false with *why (caller frees) */
    bool (*check)(const char *value, char **why);
    /* A rule with other keys, checked once the whole file is read: false with a static *why */
    bool (*check_with_others)(const pgd_config *cfg, const char **why);
    /* The README's "meaning" cell, markdown included (not for sections) */
    const char *meaning;
    key_kind kind;
    bool required;          /* the file must set it */
    bool nonempty;          /* string kinds: "" is refused */
    bool from_command_line; /* no default here: each binary decides (scope) */
} key_spec;

static bool check_amcheck_mode(const char *value, char **why);
static bool check_backup_set(const char *value, char **why);
static bool check_recovery_target(const char *value, char **why);
static bool check_marker_schema(const char *value, char **why);
static bool needs_history_dsn(const pgd_config *cfg, const char **why);
static bool needs_https_or_consent(const pgd_config *cfg, const char **why);
static bool needs_webhook_url(const pgd_config *cfg, const char **why);
static void default_process_max(pgd_config *cfg);
static void default_report_file(pgd_config *cfg);

/* A number in the README's cells as the code has it. */
#define STRINGIFY(x)    #x
#define AS_TEXT(number) STRINGIFY(number)

#define AT(member) offsetof(pgd_config, member)

/* The end of every K_PATH key's "meaning" cell (test_config holds them to it). */
#define ABSOLUTE_PATH "; an absolute path"

static const key_spec config_keys[] = {
    {.path = "scope",
     .kind = K_STRING,
     .offset = AT(scope),
     .nonempty = true,
     .from_command_line = true,
     .shown_default = "`--scope`, else the stanza",
     .meaning = "label in reports"},
    {.path = "state_dir",
     .kind = K_PATH,
     .offset = AT(state_dir),
     .nonempty = true,
     .default_value = "/var/lib/pgdrill",
     .meaning = "drill state and report; must survive container restarts; created mode 0700 when "
                "missing, and an existing one must belong to the user running pgdrill and be "
                "writable by nobody else (see [Safe to point at "
                "production](#safe-to-point-at-production))" ABSOLUTE_PATH},
    {.path = "source", .kind = K_SECTION},
    {.path = "source.dsn",
     .kind = K_CONNINFO,
     .offset = AT(source.dsn),
     .default_value = "\"\"",
     .shown_default = "— (required unless the marker is given)",
     .meaning = "libpq conninfo or URI of the source primary; no password (use `passfile=`)"},
    {.path = "source.connect_timeout",
     .kind = K_DURATION,
     .offset = AT(source.connect_timeout),
     .min = 1,
     .max = 3600,
     .default_value = "10s",
     .meaning = "connecting to the source; each statement may take at least 30 s"},
    {.path = "marker", .kind = K_SECTION},
    {.path = "marker.schema",
     .kind = K_IDENT,
     .offset = AT(marker.schema),
     .nonempty = true,
     .check = check_marker_schema,
     .default_value = "_pgdrill",
     .meaning = "bookkeeping schema on the source; any characters, quoted; never `public`, "
                "`information_schema` or `pg_*`, and never a schema pgdrill did not create (see "
                "[Safe to point at production](#safe-to-point-at-production))"},
    {.path = "marker.table",
     .kind = K_IDENT,
     .offset = AT(marker.table),
     .nonempty = true,
     .default_value = "marker",
     .meaning = "bookkeeping table"},
    {.path = "marker.archive_timeout",
     .kind = K_DURATION,
     .offset = AT(marker.archive_timeout),
     .min = 1,
     .max = PGD_DURATION_MAX_SECONDS,
     .default_value = "5m",
     .meaning = "how long to wait for the marker's WAL segment to be archived"},
    {.path = "pgbackrest", .kind = K_SECTION},
    {.path = "pgbackrest.stanza",
     .kind = K_STRING,
     .offset = AT(pgbackrest.stanza),
     .required = true,
     .nonempty = true,
     .shown_default = "— (required)",
     .meaning = "stanza to restore"},
    {.path = "pgbackrest.config",
     .kind = K_PATH,
     .offset = AT(pgbackrest.config),
     .default_value = "\"\"",
     .shown_default = "pgBackRest's default",
     .meaning = "`--config` for every pgbackrest call" ABSOLUTE_PATH},
    {.path = "pgbackrest.process_max",
     .kind = K_INT,
     .offset = AT(pgbackrest.process_max),
     .min = 1,
     .max = 999,
     .computed_default = default_process_max,
     .shown_default = "the CPUs pgdrill may use, at most " AS_TEXT(PGD_PROCESS_MAX_DEFAULT_CAP),
     .meaning = "`--process-max` of the restore: each process fetches, decompresses and checks "
                "one file at a time, so more processes than CPUs only queue; the CPUs are the "
                "process's affinity, lowered to its cgroup v2 CPU quota (a Kubernetes CPU limit); "
                "at most " AS_TEXT(
                    PGD_PROCESS_MAX_DEFAULT_CAP) " so that a big host does not open dozens of "
                                                 "connections to the "
                                                 "repository (set it higher if the repository "
                                                 "keeps up). The WAL prefetching uses "
                                                 "one process fewer than the CPUs, at least 1 and "
                                                 "at most this: replay needs a CPU "
                                                 "of its own (see [Performance](#performance))"},
    {.path = "pgbackrest.set",
     .kind = K_STRING,
     .offset = AT(pgbackrest.set),
     .nonempty = true,
     .check = check_backup_set,
     .default_value = "latest",
     .meaning = "which backup set to restore: `latest` (the newest that ended before the target), "
                "`oldest` (the oldest retained: the drill replays every WAL segment from it to the "
                "marker, proving the whole point-in-time window), or a backup label"},
    {.path = "pgbackrest.repo",
     .kind = K_INT,
     .offset = AT(pgbackrest.repo),
     .min = 0,
     .max = 256,
     .default_value = "0",
     .default_note = "(pgBackRest's choice)",
     .meaning = "the repository to restore from (pgBackRest multi-repo)"},
    {.path = "pgbackrest.options",
     .kind = K_OPTIONS,
     .offset = AT(pgbackrest.options),
     .default_value = "[]",
     .meaning = "extra `--options` for `pgbackrest restore` only, written `--name[=value]`; every "
                "spelling pgBackRest resolves to an option pgdrill sets itself is refused: "
                "`--stanza`, `--config`, `--config-path`, `--config-include-path`, `--pg<N>-path` "
                "(and the deprecated `--db-path`, `--db<N>-path`), `--type`, `--target`, "
                "`--target-action`, `--target-exclusive`, `--archive-mode`, `--delta`, `--force`, "
                "`--recovery-option`, `--process-max`, with their `--no-`/`--reset-` forms and any "
                "prefix pgBackRest would expand (`--pg1-pa`, `--de`); so is every spelling of "
                "pgBackRest's secure options (`--repo<N>-s3-key`, `-s3-key-secret`, `-s3-token`, "
                "`-cipher-pass`, `-azure-account`, `-azure-endpoint`, `-azure-key`, `-gcs-key`): "
                "a key on a command line shows in `ps`, so they belong in pgBackRest's "
                "configuration file or its environment (`PGBACKREST_REPO1_S3_KEY`); an error names "
                "the option, never its value"},
    {.path = "pgbackrest.dead_after",
     .kind = K_DURATION,
     .offset = AT(pgbackrest.dead_after),
     .min = 10,
     .max = PGD_DURATION_MAX_SECONDS,
     .default_value = "60s",
     .default_note = "(at least `10s`)",
     .meaning = "how long the repository may fail every probe, while the restore or the WAL "
                "fetch writes nothing, before the drill ends as `repository_unreachable`: after "
                "5 s in which nothing was written pgdrill lists the stanza's backup directory "
                "(`pgbackrest repo-ls`, `--io-timeout=2`, killed after 15 s) every 5 s; a probe "
                "that answers resets the clock, however slow the transfer. A dead repository "
                "ends the drill within `dead_after` plus two probe timeouts (30 s): 90 s with "
                "the default (see [When things break](#when-things-break))"},
    {.path = "postgres", .kind = K_SECTION},
    {.path = "postgres.bin_dir",
     .kind = K_PATH,
     .offset = AT(postgres.bin_dir),
     .default_value = "\"\"",
     .shown_default = "`pg_config --bindir`, else `/usr/lib/postgresql/<major>/bin`, else PATH",
     .meaning = "PostgreSQL programs; must match the backup's major version" ABSOLUTE_PATH},
    {.path = "recovery", .kind = K_SECTION},
    {.path = "recovery.target",
     .kind = K_STRING,
     .offset = AT(recovery.target),
     .nonempty = true,
     .check = check_recovery_target,
     .default_value = "latest",
     .meaning =
         "the instant the drill restores to: `latest` (just after the marker the drill "
         "writes now), `oldest` (just after the oldest retained marker the repository can "
         "still reach, written after the end of its oldest backup set; that marker's fence "
         "is the fence), `random` (an instant drawn uniformly between that marker and now, "
         "so that daily drills cover the window over time) or an RFC 3339 instant with `Z` "
         "or an offset (`2026-11-30T14:02:00Z`, at most microseconds). A malformed value "
         "is refused; an instant outside what the repository reaches ends the drill as "
         "`target_unreachable` before anything is restored (see [Past targets](#past-targets))"},
    {.path = "recovery.timeout",
     .kind = K_DURATION,
     .offset = AT(recovery.timeout),
     .min = 1,
     .max = PGD_DURATION_MAX_SECONDS,
     .default_value = "6h",
     .meaning = "restore plus replay must finish within this"},
    {.path = "recovery.wal_prefetch",
     .kind = K_SIZE,
     .offset = AT(recovery.wal_prefetch),
     .min = 0,
     .max = PGD_BYTESIZE_MAX,
     .default_value = "1GB",
     .meaning =
         "WAL fetched ahead of replay during the private recovery (pgBackRest's "
         "asynchronous archive-get, queue of at most this size in `<state_dir>/wal-spool`, "
         "removed afterwards; with less than twice that free there, half the free space, "
         "warned, and below 32 MB none; from 128 MB, a queued segment is moved into place "
         "by the shell and pgBackRest runs for every few segments only); `off`: one "
         "segment per archive-get call, while replay waits (see [Performance](#performance))"},
    {.path = "recovery.settings",
     .kind = K_SETTINGS,
     .offset = AT(recovery.settings),
     .default_value = "{}",
     .meaning =
         "GUCs for the private recovery instance (e.g. `shared_buffers`); values are written with "
         "quotes and backslashes escaped, a line break or control character is refused; settings "
         "pgdrill decides are refused (`listen_addresses`, `port`, `unix_socket_*`, `config_file`, "
         "`hba_file`, `ident_file`, `data_directory`, `include*`, `cluster_name`, "
         "`logging_collector`, `log_destination`, `log_line_prefix`, `archive_*`, "
         "`restore_command`, `recovery_target*`, `primary_conninfo`, `primary_slot_name`, "
         "`promote_trigger_file`, `hot_standby`, `max_logical_replication_workers`: 0, see "
         "[Quarantine](#quarantine)); `shared_preload_libraries` is honoured without `pg_cron`; "
         "`max_connections`, `max_worker_processes`, "
         "`max_wal_senders`, `max_prepared_transactions` and `max_locks_per_transaction` are "
         "integers that can raise, never lower, the values pg_control demands"},
    {.path = "verify", .kind = K_SECTION},
    {.path = "verify.databases",
     .kind = K_DATABASES,
     .offset = AT(verify.databases),
     .default_value = "all",
     .meaning = "`all` (every database that accepts connections) or a list"},
    {.path = "verify.jobs",
     .kind = K_INT,
     .offset = AT(verify.jobs),
     .min = 1,
     .max = 64,
     .default_value = "2",
     .meaning = "programs (`pg_dump -s`, `pg_amcheck`) and assertions run at once"},
    {.path = "verify.timeout",
     .kind = K_DURATION,
     .offset = AT(verify.timeout),
     .min = 1,
     .max = PGD_DURATION_MAX_SECONDS,
     .default_value = "1h",
     .meaning = "all of verify's checks"},
    {.path = "verify.checksums",
     .kind = K_BOOL,
     .offset = AT(verify.checksums),
     .default_value = "true",
     .meaning =
         "run `pg_checksums --check` on the restored cluster (bootstrap, while it is shut down)"},
    {.path = "verify.amcheck",
     .kind = K_STRING,
     .offset = AT(verify.amcheck),
     .nonempty = true,
     .check = check_amcheck_mode,
     .default_value = "on",
     .meaning = "`off`, `on` (pg_amcheck of heap tables and B-tree indexes, `verify.jobs` at a "
                "time, the amcheck extension created in the throw-away instance when missing: "
                "needs a superuser connection, as Patroni's is) or `heapallindexed` (also every "
                "heap tuple found in its indexes: slower)"},
    {.path = "verify.assertions",
     .kind = K_ASSERTIONS,
     .offset = AT(verify.assertions),
     .default_value = "[]",
     .meaning = "a list of `{name, database, sql}`: each SQL, one statement, must return one row "
                "holding one boolean, true; it runs in a read-only transaction as a role verify "
                "creates in the throw-away instance (member of `pg_read_all_data` only, no "
                "superuser: PostgreSQL 14 or later), with `verify.assertion_timeout` as statement "
                "timeout and the drill's target time in `current_setting('pgdrill.target_time')`, "
                "`verify.jobs` at a time; what it returned is described by shape and type, never "
                "copied (see [Safe to "
                "point at production](#safe-to-point-at-production))"},
    {.path = "verify.assertion_timeout",
     .kind = K_DURATION,
     .offset = AT(verify.assertion_timeout),
     .min = 1,
     .max = PGD_DURATION_MAX_SECONDS,
     .default_value = "60s",
     .meaning = "statement timeout of each assertion, shortened to what `verify.timeout` leaves; "
                "an assertion that runs into it is not judged (`timeout`, inconclusive)"},
    {.path = "verify.source_catalog",
     .kind = K_BOOL,
     .offset = AT(verify.source_catalog),
     .default_value = "true",
     .meaning = "compare each database's catalog in the copy (schemas, relations, columns, "
                "indexes, constraints, triggers, functions, extensions) with the fingerprint "
                "bootstrap takes on the source with the marker: check `source_catalog` (see "
                "[Proof against the source](#proof-against-the-source))"},
    {.path = "verify.compare",
     .kind = K_ASSERTIONS,
     .offset = AT(verify.compare),
     .default_value = "[]",
     .meaning = "a list of `{name, database, sql}`: each SQL, one query, runs on the source in "
                "the marker's snapshot (read-only, `verify.compare_timeout`: it runs on "
                "production and must be cheap) and on the copy as the assertions' role; the row "
                "count and a hash of the rows must agree (check `compare:<name>`), "
                "`current_setting('pgdrill.marker_time')` is the marker's time on both sides"},
    {.path = "verify.compare_timeout",
     .kind = K_DURATION,
     .offset = AT(verify.compare_timeout),
     .min = 1,
     .max = 300,
     .default_value = "10s",
     .meaning = "statement timeout of each `verify.compare` query on the source (and on the "
                "copy, shortened to what `verify.timeout` leaves)"},
    {.path = "report", .kind = K_SECTION},
    {.path = "report.file",
     .kind = K_PATH,
     .offset = AT(report.file),
     .nonempty = true,
     .computed_default = default_report_file,
     .shown_default = "`<state_dir>/report.json`",
     .meaning = "the report" ABSOLUTE_PATH},
    {.path = "report.history_dsn",
     .kind = K_CONNINFO,
     .offset = AT(report.history_dsn),
     .default_value = "\"\"",
     .default_note = "(off)",
     .meaning = "conninfo of the database holding the fleet's status history (below); no password "
                "(use `passfile=`)"},
    {.path = "report.max_concurrent",
     .kind = K_INT,
     .offset = AT(report.max_concurrent),
     .check_with_others = needs_history_dsn,
     .min = 0,
     .max = 100000,
     .default_value = "0",
     .default_note = "(no cap)",
     .meaning = "fleet-wide cap on drills in progress; needs `history_dsn`"},
    {.path = "report.stale_after",
     .kind = K_DURATION,
     .offset = AT(report.stale_after),
     .min = 60,
     .max = PGD_DURATION_MAX_SECONDS,
     .default_value = "12h",
     .default_note = "(at least `1m`)",
     .meaning = "a drill \"in progress\" for longer than this is counted as dead, not running"},
    {.path = "report.webhook", .kind = K_SECTION},
    {.path = "report.webhook.url",
     .kind = K_URL,
     .offset = AT(report.webhook.url),
     .check_with_others = needs_https_or_consent,
     .default_value = "\"\"",
     .default_note = "(off)",
     .meaning = "`https://` URL the report JSON is POSTed to (`http://` only with `allow_http`)"},
    {.path = "report.webhook.allow_http",
     .kind = K_BOOL,
     .offset = AT(report.webhook.allow_http),
     .default_value = "false",
     .meaning = "allow a plain `http://` URL: the report and the token then travel unencrypted"},
    {.path = "report.webhook.token_file",
     .kind = K_PATH,
     .offset = AT(report.webhook.token_file),
     .check_with_others = needs_webhook_url,
     .default_value = "\"\"",
     .meaning = "file holding a bearer token (`Authorization: Bearer`); never logged; a token with "
                "control characters is refused (not sent)" ABSOLUTE_PATH},
    {.path = "report.webhook.ca_file",
     .kind = K_PATH,
     .offset = AT(report.webhook.ca_file),
     .default_value = "\"\"",
     .default_note = "(system CAs)",
     .meaning = "CA bundle for the webhook's TLS; verification is always on" ABSOLUTE_PATH},
    {.path = "report.webhook.timeout",
     .kind = K_DURATION,
     .offset = AT(report.webhook.timeout),
     .min = 1,
     .max = 3600,
     .default_value = "10s",
     .meaning = "connect and total timeout of each attempt"},
    {.path = "report.webhook.retries",
     .kind = K_INT,
     .offset = AT(report.webhook.retries),
     .min = 0,
     .max = 20,
     .default_value = "3",
     .meaning = "retries after a connection error or 5xx (backoff 1 s, 2 s, 4 s, ... 30 s); none "
                "after 4xx"},
    {.path = "report.rto_target",
     .kind = K_DURATION,
     .offset = AT(report.rto_target),
     .min = 0,
     .max = PGD_DURATION_MAX_SECONDS,
     .default_value = "0",
     .default_note = "(not judged)",
     .meaning =
         "restore plus recovery must fit within this, or the drill fails with `rto_exceeded`"},
    {.path = "report.signing_key",
     .kind = K_PATH,
     .offset = AT(report.signing_key),
     .default_value = "\"\"",
     .default_note = "(off)",
     .meaning =
         "Ed25519 private key (PEM, mode 0600 or stricter) that signs the final report: "
         "`<report.file>.sig` ([Signed evidence](#signed-evidence)); never logged" ABSOLUTE_PATH},
    {.path = "report.metrics_file",
     .kind = K_PATH,
     .offset = AT(report.metrics_file),
     .default_value = "\"\"",
     .default_note = "(off)",
     .meaning = "Prometheus textfile-collector file, e.g. "
                "`/var/lib/node_exporter/textfile/pgdrill-<scope>.prom`" ABSOLUTE_PATH},
};

#define N_CONFIG_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

size_t pgd_config_doc_count(void)
{
    size_t n = 0;

    for (size_t i = 0; i < N_CONFIG_KEYS; i++)
        n += config_keys[i].kind != K_SECTION;
    return n;
}

/*
 * The README's "default" cell of a key: the default value in backticks and
 * its note, or the cell written out where the default is not a value.
 */
static const char *shown_default(size_t i)
{
    static char cells[N_CONFIG_KEYS][96];
    const key_spec *spec = &config_keys[i];

    if (spec->shown_default != NULL || spec->default_value == NULL)
        return spec->shown_default;
    if (cells[i][0] == '\0')
        snprintf(cells[i], sizeof(cells[i]), "`%s`%s%s", spec->default_value,
                 spec->default_note ? " " : "", spec->default_note ? spec->default_note : "");
    return cells[i];
}

pgd_config_key_doc pgd_config_doc(size_t index)
{
    pgd_config_key_doc doc = {0};

    for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
        if (config_keys[i].kind == K_SECTION)
            continue;
        if (index-- == 0) {
            doc.key = config_keys[i].path;
            doc.default_value = config_keys[i].default_value;
            doc.shown_default = shown_default(i);
            doc.meaning = config_keys[i].meaning;
            doc.path = config_keys[i].kind == K_PATH;
            break;
        }
    }
    return doc;
}

typedef struct loader {
    const char *path;
    yaml_document_t doc;
    pgd_config *cfg;
    char *errmsg;
    int seen_line[N_CONFIG_KEYS]; /* 0 = not in the file */
} loader;

static const key_spec *find_key(const char *path, size_t *index);

static char **field_string(pgd_config *cfg, const key_spec *spec)
{
    return (char **)((char *)cfg + spec->offset);
}

static long *field_long(pgd_config *cfg, const key_spec *spec)
{
    return (long *)((char *)cfg + spec->offset);
}

static bool *field_bool(pgd_config *cfg, const key_spec *spec)
{
    return (bool *)((char *)cfg + spec->offset);
}

static pgd_strlist *field_strlist(pgd_config *cfg, const key_spec *spec)
{
    return (pgd_strlist *)((char *)cfg + spec->offset);
}

static pgd_settings *field_settings(pgd_config *cfg, const key_spec *spec)
{
    return (pgd_settings *)((char *)cfg + spec->offset);
}

long pgd_default_process_max(void)
{
    long cpus = pgd_usable_cpus();

    return cpus < PGD_PROCESS_MAX_DEFAULT_CAP ? cpus : PGD_PROCESS_MAX_DEFAULT_CAP;
}

static void default_process_max(pgd_config *cfg)
{
    cfg->pgbackrest.process_max = pgd_default_process_max();
}

/* Beside the drill's other state: state_dir is read (and normalised) by now. */
static void default_report_file(pgd_config *cfg)
{
    cfg->report.file = pgd_asprintf("%s/report.json", cfg->state_dir);
}

static void strlist_free(pgd_strlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static void strlist_add(pgd_strlist *list, const char *item)
{
    list->items = pgd_realloc(list->items, (list->count + 1) * sizeof(*list->items));
    list->items[list->count++] = pgd_strdup(item);
}

static void assertions_free(pgd_assertions *assertions)
{
    for (size_t i = 0; i < assertions->count; i++) {
        free(assertions->items[i].name);
        free(assertions->items[i].database);
        free(assertions->items[i].sql);
    }
    free(assertions->items);
    assertions->items = NULL;
    assertions->count = 0;
}

static void settings_free(pgd_settings *settings)
{
    for (size_t i = 0; i < settings->count; i++) {
        free(settings->items[i].name);
        free(settings->items[i].value);
    }
    free(settings->items);
    settings->items = NULL;
    settings->count = 0;
}

void pgd_config_free(pgd_config *cfg)
{
    for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
        const key_spec *spec = &config_keys[i];

        switch (spec->kind) {
        case K_STRING:
        case K_PATH:
        case K_IDENT:
        case K_CONNINFO:
        case K_URL:
            free(*field_string(cfg, spec));
            *field_string(cfg, spec) = NULL;
            break;
        case K_OPTIONS:
        case K_DATABASES:
            strlist_free(field_strlist(cfg, spec));
            break;
        case K_SETTINGS:
            settings_free(field_settings(cfg, spec));
            break;
        case K_ASSERTIONS:
            assertions_free((pgd_assertions *)((char *)cfg + spec->offset));
            break;
        case K_SECTION:
        case K_DURATION:
        case K_SIZE:
        case K_INT:
        case K_BOOL:
            break;
        }
    }
    free(cfg->path);
    cfg->path = NULL;
    free(cfg->key_lines);
    cfg->key_lines = NULL;
}

char *pgd_config_error(const pgd_config *cfg, const char *key, const char *fmt, ...)
{
    size_t index = 0;
    int line = 1;
    va_list ap;
    char *reason;
    char *message;

    if (find_key(key, &index) != NULL && cfg->key_lines != NULL && cfg->key_lines[index] > 0)
        line = cfg->key_lines[index];
    va_start(ap, fmt);
    reason = pgd_vasprintf(fmt, ap);
    va_end(ap);
    message =
        pgd_asprintf("%s:%d: %s: %s", cfg->path ? cfg->path : "(configuration)", line, key, reason);
    free(reason);
    return message;
}

const char *pgd_config_path(const char *from_option)
{
    const char *env = getenv("PGDRILL_CONFIG");

    if (from_option != NULL && from_option[0] != '\0')
        return from_option;
    if (env != NULL && env[0] != '\0')
        return env;
    return PGD_DEFAULT_CONFIG_PATH;
}

static int node_line(const yaml_node_t *node)
{
    return (int)node->start_mark.line + 1;
}

static bool fail(loader *ld, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail(loader *ld, int line, const char *key, const char *fmt, ...)
{
    va_list ap;
    char *reason;

    va_start(ap, fmt);
    reason = pgd_vasprintf(fmt, ap);
    va_end(ap);
    ld->errmsg = pgd_asprintf("%s:%d: %s: %s", ld->path, line, key, reason);
    free(reason);
    return false;
}

static const char *scalar_text(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* An empty value ("key:"), "~" or "null" written plain: YAML's null. */
static bool is_null_scalar(const yaml_node_t *node)
{
    const char *text;

    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    text = scalar_text(node);
    return text[0] == '\0' || strcmp(text, "~") == 0 || strcmp(text, "null") == 0 ||
           strcmp(text, "Null") == 0 || strcmp(text, "NULL") == 0;
}

static const char *node_type_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_NO_NODE:
        break;
    }
    return "nothing";
}

static const key_spec *find_key(const char *path, size_t *index)
{
    for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
        if (strcmp(config_keys[i].path, path) == 0) {
            *index = i;
            return &config_keys[i];
        }
    }
    return NULL;
}

/* Levenshtein distance, enough for "did you mean" on short key names. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];

    if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest known key in the same section, or NULL when nothing is close. */
static const char *suggest_key(const char *prefix, const char *name)
{
    size_t prefix_len = prefix ? strlen(prefix) + 1 : 0;
    const char *best = NULL;
    size_t best_distance = 3;

    for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
        const char *path = config_keys[i].path;
        const char *leaf;
        size_t d;

        if (prefix != NULL &&
            (strncmp(path, prefix, prefix_len - 1) != 0 || path[prefix_len - 1] != '.'))
            continue;
        leaf = path + prefix_len;
        if (strchr(leaf, '.') != NULL)
            continue;
        d = edit_distance(name, leaf);
        if (d < best_distance) {
            best_distance = d;
            best = leaf;
        }
    }
    return best;
}

static bool expect_scalar(loader *ld, const key_spec *spec, const yaml_node_t *value, int line,
                          const char *what)
{
    if (value->type != YAML_SCALAR_NODE)
        return fail(ld, line, spec->path, "expected %s, found %s", what, node_type_name(value));
    return true;
}

static bool parse_long(const char *text, long *out)
{
    char *end;

    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return false;
    errno = 0;
    *out = strtol(text, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool valid_guc_name(const char *name)
{
    if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.'))
            return false;
    }
    return true;
}

static bool valid_http_url(const char *url)
{
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
}

/*
 * What a string kind demands of a value that is not empty, or NULL when it
 * is met (caller frees).
 */
static char *string_kind_problem(key_kind kind, const char *text)
{
    switch (kind) {
    case K_IDENT:
        if (strlen(text) > PG_MAX_IDENTIFIER_BYTES)
            return pgd_asprintf("PostgreSQL identifiers are at most %d bytes (this one has %zu)",
                                PG_MAX_IDENTIFIER_BYTES, strlen(text));
        break;
    case K_CONNINFO:
        if (!pgd_conninfo_valid(text))
            return pgd_strdup(
                "not a valid libpq connection string (key=value pairs or a postgresql:// URI)");
        break;
    case K_URL:
        if (!valid_http_url(text))
            return pgd_strdup("must be an http:// or https:// URL");
        break;
    case K_PATH:
        /*
         * Patroni runs pgdrill in a working directory of its own (docs/design.md,
         * F12), so a relative path would name a different file there than where
         * it was written.
         */
        if (text[0] != '/')
            return pgd_asprintf("\"%s\" is a relative path; write it absolute (Patroni runs "
                                "pgdrill in a working directory of its own)",
                                text);
        break;
    default:
        break;
    }
    return NULL;
}

/* A string: the table's limits, then its kind's rule, then the key's own (.check). */
static bool apply_string(loader *ld, const key_spec *spec, const yaml_node_t *value, int line)
{
    char *why = NULL;
    const char *text;
    char **field = field_string(ld->cfg, spec);

    if (!expect_scalar(ld, spec, value, line, "a string"))
        return false;
    text = is_null_scalar(value) ? "" : scalar_text(value);
    if (spec->nonempty && text[0] == '\0')
        return fail(ld, line, spec->path, "must not be empty");
    if (text[0] != '\0')
        why = string_kind_problem(spec->kind, text);
    if (why == NULL && spec->check != NULL && !spec->check(text, &why) && why == NULL)
        why = pgd_strdup("not a valid value");
    if (why != NULL) {
        fail(ld, line, spec->path, "%s", why);
        free(why);
        return false;
    }
    /* What the file says is secret stays out of every line we print from now on. */
    if (spec->kind == K_CONNINFO)
        pgd_conninfo_register_secrets(text);
    free(*field);
    /*
     * One spelling from here on: "state_dir: /var/lib/pgdrill/" must not
     * become "/var/lib/pgdrill//wal-spool", which pgBackRest refuses
     * (docs/design.md, F31), nor compare unequal to the same path written
     * without the slash.
     */
    *field = spec->kind == K_PATH && text[0] != '\0' ? pgd_path_normalize(text) : pgd_strdup(text);
    return true;
}

static bool apply_number(loader *ld, const key_spec *spec, const yaml_node_t *value, int line)
{
    long number;

    if (spec->kind == K_DURATION) {
        const char *reason;

        if (!expect_scalar(ld, spec, value, line, "a duration such as 30s, 5m or 2h"))
            return false;
        if (!pgd_parse_duration(scalar_text(value), &number, &reason))
            return fail(ld, line, spec->path, "invalid duration \"%s\": %s", scalar_text(value),
                        reason);
        if (number < spec->min)
            return fail(ld, line, spec->path, "must be at least %lds", spec->min);
        if (number > spec->max)
            return fail(ld, line, spec->path, "must be at most %lds", spec->max);
    } else if (spec->kind == K_SIZE) {
        const char *reason;

        if (!expect_scalar(ld, spec, value, line, "a size such as 512MB or 1GB, or off"))
            return false;
        if (strcasecmp(scalar_text(value), "off") == 0 ||
            strcasecmp(scalar_text(value), "false") == 0)
            number = 0;
        else if (!pgd_parse_bytesize(scalar_text(value), &number, &reason))
            return fail(ld, line, spec->path, "invalid size \"%s\": %s", scalar_text(value),
                        reason);
        if (number < spec->min || number > spec->max)
            return fail(ld, line, spec->path, "must be between %ld and %ld bytes", spec->min,
                        spec->max);
    } else {
        if (!expect_scalar(ld, spec, value, line, "an integer"))
            return false;
        if (!parse_long(scalar_text(value), &number))
            return fail(ld, line, spec->path, "expected an integer, found \"%s\"",
                        scalar_text(value));
        if (number < spec->min || number > spec->max)
            return fail(ld, line, spec->path, "must be between %ld and %ld", spec->min, spec->max);
    }
    *field_long(ld->cfg, spec) = number;
    return true;
}

/* YAML 1.1 booleans, which is what people write in YAML configs. */
static bool apply_bool(loader *ld, const key_spec *spec, const yaml_node_t *value, int line)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};

    if (!expect_scalar(ld, spec, value, line, "true or false"))
        return false;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(scalar_text(value), yes[i]) == 0 ||
            strcasecmp(scalar_text(value), no[i]) == 0) {
            *field_bool(ld->cfg, spec) = strcasecmp(scalar_text(value), yes[i]) == 0;
            return true;
        }
    }
    return fail(ld, line, spec->path, "expected true or false, found \"%s\"", scalar_text(value));
}

/*
 * One item of pgbackrest.options, judged by pgBackRest's grammar
 * (pgbackrest_options.h). The reason quotes the option's name, never its
 * value: a value may be a key or a password.
 */
static bool check_pgbackrest_option(loader *ld, const key_spec *spec, int line, size_t number,
                                    const char *item)
{
    char *why = pgd_pgbackrest_option_refused(item, number);

    if (why == NULL)
        return true;
    fail(ld, line, spec->path, "%s", why);
    free(why);
    return false;
}

/* A list of strings; for K_DATABASES also the scalar "all". */
static bool apply_list(loader *ld, const key_spec *spec, const yaml_node_t *value, int line)
{
    pgd_strlist *list = field_strlist(ld->cfg, spec);

    strlist_free(list);
    if (spec->kind == K_DATABASES && value->type == YAML_SCALAR_NODE &&
        strcmp(scalar_text(value), "all") == 0)
        return true;
    if (spec->kind == K_OPTIONS && is_null_scalar(value))
        return true;
    if (value->type != YAML_SEQUENCE_NODE)
        return fail(ld, line, spec->path,
                    spec->kind == K_DATABASES ? "expected \"all\" or a list of database names"
                                              : "expected a list of strings, found %s",
                    node_type_name(value));

    for (yaml_node_item_t *it = value->data.sequence.items.start;
         it < value->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(&ld->doc, *it);
        int item_line = node_line(item);

        if (item->type != YAML_SCALAR_NODE)
            return fail(ld, item_line, spec->path, "list item: expected a string, found %s",
                        node_type_name(item));
        if (scalar_text(item)[0] == '\0')
            return fail(ld, item_line, spec->path, "list item must not be empty");
        if (spec->kind == K_OPTIONS &&
            !check_pgbackrest_option(ld, spec, item_line,
                                     (size_t)(it - value->data.sequence.items.start) + 1,
                                     scalar_text(item)))
            return false;
        strlist_add(list, scalar_text(item));
    }
    if (spec->kind == K_DATABASES && list->count == 0)
        return fail(ld, line, spec->path, "an empty list would check nothing; use \"all\"");
    return true;
}

static bool apply_settings(loader *ld, const key_spec *spec, const yaml_node_t *value, int line)
{
    pgd_settings *settings = field_settings(ld->cfg, spec);

    settings_free(settings);
    if (is_null_scalar(value))
        return true;
    if (value->type != YAML_MAPPING_NODE)
        return fail(ld, line, spec->path, "expected a mapping of setting names to values, found %s",
                    node_type_name(value));

    for (yaml_node_pair_t *pair = value->data.mapping.pairs.start;
         pair < value->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(&ld->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&ld->doc, pair->value);
        const char *why = NULL;
        long number;
        pgd_setting *s;

        if (k->type != YAML_SCALAR_NODE || !valid_guc_name(scalar_text(k)))
            return fail(ld, node_line(k), spec->path, "not a valid PostgreSQL setting name");
        if (v->type != YAML_SCALAR_NODE)
            return fail(ld, node_line(k), spec->path, "%s: expected a scalar value, found %s",
                        scalar_text(k), node_type_name(v));
        if (pgd_pgconf_reserved(scalar_text(k)))
            return fail(ld, node_line(k), spec->path,
                        "%s: set by pgdrill itself for the private recovery instance",
                        scalar_text(k));
        if (pgd_pgconf_is_minimum(scalar_text(k)) && !parse_long(scalar_text(v), &number))
            return fail(ld, node_line(k), spec->path, "%s: expected an integer, found \"%s\"",
                        scalar_text(k), scalar_text(v));
        if (!pgd_pgconf_value_ok(scalar_text(v), &why))
            return fail(ld, node_line(k), spec->path, "%s: %s", scalar_text(k), why);
        for (size_t i = 0; i < settings->count; i++) {
            if (strcasecmp(settings->items[i].name, scalar_text(k)) == 0)
                return fail(ld, node_line(k), spec->path, "%s: duplicate setting", scalar_text(k));
        }
        settings->items = pgd_realloc(settings->items, (settings->count + 1) * sizeof(*s));
        s = &settings->items[settings->count++];
        s->name = pgd_strdup(scalar_text(k));
        s->value = pgd_strdup(scalar_text(v));
    }
    return true;
}

static bool check_amcheck_mode(const char *value, char **why)
{
    if (strcmp(value, "off") == 0 || strcmp(value, "on") == 0 ||
        strcmp(value, "heapallindexed") == 0)
        return true;
    *why = pgd_strdup("expected off, on or heapallindexed");
    return false;
}

/* "latest", "oldest" or a pgBackRest backup label: 20261124-101500F[_20261125-101500D|I]. */
static bool check_backup_set(const char *value, char **why)
{
    regex_t re;
    bool ok = false;

    if (strcmp(value, "latest") == 0 || strcmp(value, "oldest") == 0)
        return true;
    if (regcomp(&re, "^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?$", REG_EXTENDED | REG_NOSUB) ==
        0) {
        ok = regexec(&re, value, 0, NULL, 0) == 0;
        regfree(&re);
    }
    if (!ok)
        *why = pgd_strdup("expected latest, oldest or a backup label such as 20261124-101500F");
    return ok;
}

/* recovery.target: a word or an instant (target.h); whether the repository reaches it is the
 * drill's to judge. */
static bool check_recovery_target(const char *value, char **why)
{
    pgd_target target;
    const char *parse_why = NULL;

    if (!pgd_target_parse(value, &target, &parse_why)) {
        if (value[0] < '0' || value[0] > '9')
            *why = pgd_strdup(parse_why);
        else
            *why = pgd_asprintf("not an instant (%s); expected latest, oldest, random or an "
                                "RFC 3339 instant such as 2026-11-30T14:02:00Z",
                                parse_why);
        return false;
    }
    return true;
}

static bool check_marker_schema(const char *value, char **why)
{
    if (!pgd_marker_schema_reserved(value))
        return true;
    *why = pgd_asprintf("\"%s\" is not a schema pgdrill may own (public, information_schema and "
                        "pg_* belong to everybody); use a schema of its own such as _pgdrill",
                        value);
    return false;
}

static bool needs_history_dsn(const pgd_config *cfg, const char **why)
{
    *why = "a fleet-wide cap needs report.history_dsn to count drills in progress";
    return cfg->report.max_concurrent == 0 || cfg->report.history_dsn[0] != '\0';
}

static bool needs_https_or_consent(const pgd_config *cfg, const char **why)
{
    *why = "plain http:// would send the report (and the token) unencrypted; use https:// or set "
           "report.webhook.allow_http: true";
    return strncmp(cfg->report.webhook.url, "http://", 7) != 0 || cfg->report.webhook.allow_http;
}

static bool needs_webhook_url(const pgd_config *cfg, const char **why)
{
    *why = "set, but report.webhook.url is empty";
    return cfg->report.webhook.token_file[0] == '\0' || cfg->report.webhook.url[0] != '\0';
}

/* One {name, database, sql} mapping of verify.assertions into *out. */
static bool apply_assertion(loader *ld, const key_spec *spec, const yaml_node_t *item,
                            pgd_assertion *out)
{
    static const char *const fields[] = {"name", "database", "sql"};
    char **targets[] = {&out->name, &out->database, &out->sql};

    if (item->type != YAML_MAPPING_NODE)
        return fail(ld, node_line(item), spec->path,
                    "list item: expected a mapping with name, database and sql, found %s",
                    node_type_name(item));
    for (yaml_node_pair_t *pair = item->data.mapping.pairs.start;
         pair < item->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(&ld->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&ld->doc, pair->value);
        size_t f = 0;

        while (f < 3 && !(k->type == YAML_SCALAR_NODE && strcmp(scalar_text(k), fields[f]) == 0))
            f++;
        if (f == 3)
            return fail(ld, node_line(k), spec->path, "%s: unknown key (name, database, sql)",
                        k->type == YAML_SCALAR_NODE ? scalar_text(k) : "?");
        if (v->type != YAML_SCALAR_NODE || scalar_text(v)[0] == '\0')
            return fail(ld, node_line(k), spec->path, "%s: expected a non-empty string", fields[f]);
        if (*targets[f] != NULL)
            return fail(ld, node_line(k), spec->path, "%s: duplicate key", fields[f]);
        *targets[f] = pgd_strdup(scalar_text(v));
    }
    for (size_t f = 0; f < 3; f++) {
        if (*targets[f] == NULL)
            return fail(ld, node_line(item), spec->path, "list item: %s is missing", fields[f]);
    }
    return true;
}

/* verify.assertions: a list of {name, database, sql}, names unique. */
static bool apply_assertions(loader *ld, const key_spec *spec, const yaml_node_t *value, int line)
{
    pgd_assertions *list = (pgd_assertions *)((char *)ld->cfg + spec->offset);

    assertions_free(list);
    if (is_null_scalar(value))
        return true;
    if (value->type != YAML_SEQUENCE_NODE)
        return fail(ld, line, spec->path, "expected a list of {name, database, sql}, found %s",
                    node_type_name(value));
    for (yaml_node_item_t *it = value->data.sequence.items.start;
         it < value->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(&ld->doc, *it);
        pgd_assertion *a;

        list->items = pgd_realloc(list->items, (list->count + 1) * sizeof(*a));
        a = &list->items[list->count++];
        memset(a, 0, sizeof(*a));
        if (!apply_assertion(ld, spec, item, a))
            return false;
        for (size_t i = 0; i + 1 < list->count; i++) {
            if (strcmp(list->items[i].name, a->name) == 0)
                return fail(ld, node_line(item), spec->path, "%s: duplicate name", a->name);
        }
    }
    return true;
}

static bool walk_mapping(loader *ld, const yaml_node_t *map, const char *prefix);

static bool apply_value(loader *ld, const key_spec *spec, const yaml_node_t *value, int line)
{
    switch (spec->kind) {
    case K_SECTION:
        if (is_null_scalar(value))
            return true;
        if (value->type != YAML_MAPPING_NODE)
            return fail(ld, line, spec->path, "expected a mapping, found %s",
                        node_type_name(value));
        return walk_mapping(ld, value, spec->path);
    case K_STRING:
    case K_PATH:
    case K_IDENT:
    case K_CONNINFO:
    case K_URL:
        return apply_string(ld, spec, value, line);
    case K_DURATION:
    case K_SIZE:
    case K_INT:
        return apply_number(ld, spec, value, line);
    case K_BOOL:
        return apply_bool(ld, spec, value, line);
    case K_OPTIONS:
    case K_DATABASES:
        return apply_list(ld, spec, value, line);
    case K_SETTINGS:
        return apply_settings(ld, spec, value, line);
    case K_ASSERTIONS:
        return apply_assertions(ld, spec, value, line);
    }
    return fail(ld, line, spec->path, "internal error: unhandled key kind");
}

static bool walk_mapping(loader *ld, const yaml_node_t *map, const char *prefix)
{
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(&ld->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&ld->doc, pair->value);
        int line = node_line(k);
        const key_spec *spec;
        size_t index;
        char *path;

        if (k->type != YAML_SCALAR_NODE)
            return fail(ld, line, prefix ? prefix : "(top level)", "keys must be plain strings");
        path = prefix ? pgd_asprintf("%s.%s", prefix, scalar_text(k)) : pgd_strdup(scalar_text(k));
        spec = find_key(path, &index);
        if (spec == NULL) {
            const char *hint = suggest_key(prefix, scalar_text(k));

            if (hint != NULL)
                fail(ld, line, path, "unknown key (did you mean \"%s\"?)", hint);
            else
                fail(ld, line, path, "unknown key");
            free(path);
            return false;
        }
        free(path);
        if (ld->seen_line[index] != 0)
            return fail(ld, line, spec->path, "duplicate key (first set on line %d)",
                        ld->seen_line[index]);
        ld->seen_line[index] = line;
        if (!apply_value(ld, spec, v, line))
            return false;
    }
    return true;
}

/* The line of the section that should have held path, or 1 when that section is absent too. */
static int parent_line(const loader *ld, const char *path)
{
    const char *dot = strrchr(path, '.');
    size_t index;
    char *parent;
    int line = 1;

    if (dot == NULL)
        return 1;
    parent = pgd_strndup(path, (size_t)(dot - path));
    if (find_key(parent, &index) != NULL && ld->seen_line[index] != 0)
        line = ld->seen_line[index];
    else
        line = parent_line(ld, parent);
    free(parent);
    return line;
}

/* The line a (known) key was set on; 1 when it was not set. */
static int seen_line_of(const loader *ld, const char *path)
{
    size_t index = 0;

    if (find_key(path, &index) == NULL || ld->seen_line[index] == 0)
        return 1;
    return ld->seen_line[index];
}

/*
 * Once the whole file is read: the keys it must set, the computed defaults
 * of the keys it did not set, and every rule between keys.
 */
static bool check_whole(loader *ld)
{
    const char *why;

    for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
        if (config_keys[i].required && ld->seen_line[i] == 0)
            return fail(ld, parent_line(ld, config_keys[i].path), config_keys[i].path,
                        "required key is missing");
        if (config_keys[i].computed_default != NULL && ld->seen_line[i] == 0)
            config_keys[i].computed_default(ld->cfg);
    }
    for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
        if (config_keys[i].check_with_others != NULL &&
            !config_keys[i].check_with_others(ld->cfg, &why))
            return fail(ld, seen_line_of(ld, config_keys[i].path), config_keys[i].path, "%s", why);
    }
    return true;
}

/* One default of the key table, read like the value of a file that set it. */
static bool apply_default(loader *ld, const key_spec *spec)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    bool ok;

    if (!yaml_parser_initialize(&parser))
        return fail(ld, 1, "(yaml)", "could not initialize the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)spec->default_value,
                                 strlen(spec->default_value));
    ok = yaml_parser_load(&parser, &doc);
    yaml_parser_delete(&parser);
    if (!ok)
        return fail(ld, 1, spec->path, "internal error: its default is not YAML");
    root = yaml_document_get_root_node(&doc);
    /* Lists and mappings read their items from ld->doc: the default's document, for now. */
    ld->doc = doc;
    ok = root != NULL && apply_value(ld, spec, root, 1);
    yaml_document_delete(&ld->doc);
    memset(&ld->doc, 0, sizeof(ld->doc));
    if (!ok) {
        char *refused = ld->errmsg;

        ld->errmsg = NULL;
        fail(ld, 1, spec->path, "internal error: the key table's default \"%s\" is refused (%s)",
             spec->default_value, refused ? refused : "empty");
        free(refused);
    }
    return ok;
}

/*
 * Every key's default from the key table, before the file is read; a key
 * with none is an error of the table, refused at every load, so no test
 * that loads a configuration passes with one.
 */
static bool set_defaults(loader *ld)
{
    memset(ld->cfg, 0, sizeof(*ld->cfg));
    for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
        const key_spec *spec = &config_keys[i];

        if (spec->kind == K_SECTION || spec->required || spec->from_command_line ||
            spec->computed_default != NULL) {
            if (spec->default_value == NULL)
                continue;
            return fail(ld, 1, spec->path,
                        "internal error: a default in the key table and another way to get one");
        }
        if (spec->default_value == NULL)
            return fail(ld, 1, spec->path, "internal error: no default in the key table");
        if (!apply_default(ld, spec))
            return false;
    }
    return true;
}

static bool load_document(loader *ld, const char *text)
{
    yaml_parser_t parser;
    yaml_document_t extra;
    yaml_node_t *root;
    bool ok = false;

    if (!yaml_parser_initialize(&parser))
        return fail(ld, 1, "(yaml)", "could not initialize the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&parser, &ld->doc)) {
        fail(ld, (int)parser.problem_mark.line + 1, "(yaml)", "%s%s%s",
             parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
             parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return false;
    }

    root = yaml_document_get_root_node(&ld->doc);
    if (root != NULL && yaml_parser_load(&parser, &extra)) {
        bool more = yaml_document_get_root_node(&extra) != NULL;
        int line = (int)extra.start_mark.line + 1;

        yaml_document_delete(&extra);
        if (more) {
            fail(ld, line, "(yaml)", "only one YAML document is allowed");
            goto out;
        }
    }

    if (root == NULL || is_null_scalar(root))
        ok = true; /* an empty file: defaults only (check_whole reports what is missing) */
    else if (root->type != YAML_MAPPING_NODE)
        fail(ld, node_line(root), "(top level)", "expected a mapping of keys, found %s",
             node_type_name(root));
    else
        ok = walk_mapping(ld, root, NULL);
out:
    yaml_parser_delete(&parser);
    return ok;
}

bool pgd_config_load(const char *path, pgd_config *cfg, char **errmsg)
{
    loader ld;
    char *text;
    char *why = NULL;
    bool ok;

    memset(&ld, 0, sizeof(ld));
    ld.path = path;
    ld.cfg = cfg;
    if (!set_defaults(&ld)) {
        *errmsg = ld.errmsg;
        pgd_config_free(cfg);
        return false;
    }

    /* Regular files only (a FIFO would block, a directory or a huge file is a mistake). */
    text = pgd_read_file(path, CONFIG_MAX_BYTES, &why);
    if (text == NULL) {
        *errmsg = pgd_asprintf("%s: %s", path, why);
        free(why);
        pgd_config_free(cfg);
        return false;
    }
    ok = load_document(&ld, text);
    yaml_document_delete(&ld.doc);
    free(text);
    if (ok)
        ok = check_whole(&ld);
    if (!ok) {
        *errmsg = ld.errmsg;
        pgd_config_free(cfg);
        return false;
    }
    /* Names printed in their own right: never masked, even if a password equals one. */
    pgd_secret_declare_public(cfg->scope);
    pgd_secret_declare_public(cfg->pgbackrest.stanza);
    cfg->path = pgd_strdup(path);
    cfg->key_lines = pgd_calloc(N_CONFIG_KEYS, sizeof(int));
    memcpy(cfg->key_lines, ld.seen_line, sizeof(ld.seen_line));
    return true;
}
