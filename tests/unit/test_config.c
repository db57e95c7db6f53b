/*
 * test_config.c - the configuration loader: defaults, every key type, and
 * every error path with its exact "FILE:LINE: KEY: reason" message.
 */
#include "config.h"
#include "readme_table.h"
#include "secret.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char config_path[] = "/tmp/pgdrill-test-config-XXXXXX";

static int setup(void **state)
{
    int fd = mkstemp(config_path);

    (void)state;
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(config_path);
    pgd_secret_clear();
    return 0;
}

static void write_config(const char *text)
{
    FILE *fp = fopen(config_path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Load text; on success the config is returned in *cfg and NULL is returned. */
static char *load(const char *text, pgd_config *cfg)
{
    char *errmsg = NULL;

    write_config(text);
    if (pgd_config_load(config_path, cfg, &errmsg))
        return NULL;
    assert_non_null(errmsg);
    return errmsg;
}

/* Assert that text is rejected with exactly "PATH:expected". */
static void assert_rejected(const char *text, const char *expected)
{
    pgd_config cfg;
    char *errmsg = load(text, &cfg);
    char *full = pgd_asprintf("%s:%s", config_path, expected);

    if (errmsg == NULL) {
        pgd_config_free(&cfg);
        fail_msg("configuration was accepted, expected: %s", expected);
    }
    assert_string_equal(errmsg, full);
    free(full);
    free(errmsg);
}

static void assert_accepted(const char *text, pgd_config *cfg)
{
    char *errmsg = load(text, cfg);

    if (errmsg != NULL)
        fail_msg("configuration rejected: %s", errmsg);
}

#define MINIMAL "pgbackrest:\n  stanza: orders\n"

static void test_defaults(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_accepted(MINIMAL, &cfg);
    assert_null(cfg.scope);
    assert_string_equal(cfg.state_dir, "/var/lib/pgdrill");
    assert_string_equal(cfg.source.dsn, "");
    assert_int_equal(cfg.source.connect_timeout, 10);
    assert_string_equal(cfg.marker.schema, "_pgdrill");
    assert_string_equal(cfg.marker.table, "marker");
    assert_int_equal(cfg.marker.archive_timeout, 300);
    assert_string_equal(cfg.pgbackrest.stanza, "orders");
    assert_string_equal(cfg.pgbackrest.config, "");
    assert_int_equal(cfg.pgbackrest.process_max, pgd_default_process_max());
    assert_true(cfg.pgbackrest.process_max >= 1 &&
                cfg.pgbackrest.process_max <= PGD_PROCESS_MAX_DEFAULT_CAP);
    assert_int_equal(cfg.recovery.wal_prefetch, 1024L * 1024 * 1024);
    assert_int_equal(cfg.pgbackrest.dead_after, 60);
    assert_int_equal(cfg.pgbackrest.options.count, 0);
    assert_string_equal(cfg.postgres.bin_dir, "");
    assert_int_equal(cfg.recovery.timeout, 6 * 3600);
    assert_int_equal(cfg.recovery.settings.count, 0);
    assert_int_equal(cfg.verify.databases.count, 0);
    assert_int_equal(cfg.verify.jobs, 2);
    assert_int_equal(cfg.verify.timeout, 3600);
    assert_string_equal(cfg.report.file, "/var/lib/pgdrill/report.json");
    assert_string_equal(cfg.report.history_dsn, "");
    assert_int_equal(cfg.report.max_concurrent, 0);
    assert_int_equal(cfg.report.stale_after, 12 * 3600);
    assert_string_equal(cfg.report.webhook.ca_file, "");
    assert_string_equal(cfg.report.webhook.url, "");
    assert_int_equal(cfg.report.webhook.timeout, 10);
    assert_int_equal(cfg.report.webhook.retries, 3);
    assert_string_equal(cfg.report.metrics_file, "");
    assert_string_equal(cfg.report.signing_key, "");
    assert_string_equal(cfg.path, config_path);
    pgd_config_free(&cfg);
}

/* A complete configuration (every section, comments after values, a flow mapping) must load. */
static void test_complete_example(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_accepted("scope: orders                 # label for reports; default: --scope\n"
                    "state_dir: /var/lib/pgdrill   # drill state + reports\n"
                    "source:\n"
                    "  dsn: \"host=orders-primary dbname=postgres user=pgdrill\"\n"
                    "  connect_timeout: 10s\n"
                    "marker:\n"
                    "  schema: _pgdrill\n"
                    "  table: marker\n"
                    "  archive_timeout: 5m\n"
                    "pgbackrest:\n"
                    "  stanza: orders\n"
                    "  config: /etc/pgbackrest/pgbackrest.conf   # optional\n"
                    "  process_max: 2\n"
                    "  options: []                 # extra options, passed verbatim\n"
                    "postgres:\n"
                    "  bin_dir: \"\"\n"
                    "recovery:\n"
                    "  timeout: 6h\n"
                    "  settings: {}\n"
                    "verify:\n"
                    "  databases: all\n"
                    "  jobs: 2\n"
                    "  timeout: 1h\n"
                    "report:\n"
                    "  file: /var/lib/pgdrill/report.json\n"
                    "  history_dsn: \"\"\n"
                    "  max_concurrent: 0\n"
                    "  webhook: {url: \"\", token_file: \"\", timeout: 10s, retries: 3}\n"
                    "  metrics_file: \"\"\n",
                    &cfg);
    assert_string_equal(cfg.scope, "orders");
    assert_string_equal(cfg.source.dsn, "host=orders-primary dbname=postgres user=pgdrill");
    assert_string_equal(cfg.pgbackrest.config, "/etc/pgbackrest/pgbackrest.conf");
    assert_int_equal(cfg.verify.databases.count, 0);
    pgd_config_free(&cfg);
}

static void test_every_type_parsed(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_accepted("state_dir: /srv/drill\n"
                    "source: {dsn: 'postgresql://u@h/db', connect_timeout: 45}\n"
                    "marker: {schema: 'we\"ird; name', archive_timeout: 2h}\n"
                    "pgbackrest:\n"
                    "  stanza: s\n"
                    "  process_max: 8\n"
                    "  dead_after: 2m\n"
                    "  options: [--repo1-s3-uri-style=path, \"--log-level-console=detail\"]\n"
                    "recovery:\n"
                    "  timeout: 1d\n"
                    "  wal_prefetch: 256MB\n"
                    "  settings:\n"
                    "    shared_buffers: 256MB\n"
                    "    max_connections: 200\n"
                    "verify:\n"
                    "  databases: [app, \"other db\"]\n"
                    "  jobs: 4\n"
                    "report:\n"
                    "  history_dsn: host=hist dbname=drills\n"
                    "  max_concurrent: 3\n"
                    "  webhook:\n"
                    "    url: https://hooks.example/pgdrill\n"
                    "    token_file: /run/secrets/token\n"
                    "    retries: 0\n",
                    &cfg);
    assert_string_equal(cfg.report.file, "/srv/drill/report.json");
    assert_int_equal(cfg.source.connect_timeout, 45);
    assert_string_equal(cfg.marker.schema, "we\"ird; name");
    assert_int_equal(cfg.marker.archive_timeout, 7200);
    assert_int_equal(cfg.pgbackrest.process_max, 8);
    assert_int_equal(cfg.pgbackrest.dead_after, 120);
    assert_int_equal(cfg.pgbackrest.options.count, 2);
    assert_string_equal(cfg.pgbackrest.options.items[1], "--log-level-console=detail");
    assert_int_equal(cfg.recovery.timeout, 86400);
    assert_int_equal(cfg.recovery.wal_prefetch, 256L * 1024 * 1024);
    assert_int_equal(cfg.recovery.settings.count, 2);
    assert_string_equal(cfg.recovery.settings.items[0].name, "shared_buffers");
    assert_string_equal(cfg.recovery.settings.items[0].value, "256MB");
    assert_string_equal(cfg.recovery.settings.items[1].value, "200");
    assert_int_equal(cfg.verify.databases.count, 2);
    assert_string_equal(cfg.verify.databases.items[1], "other db");
    assert_int_equal(cfg.verify.jobs, 4);
    assert_int_equal(cfg.report.max_concurrent, 3);
    assert_string_equal(cfg.report.webhook.url, "https://hooks.example/pgdrill");
    assert_int_equal(cfg.report.webhook.retries, 0);
    pgd_config_free(&cfg);
}

static void test_null_values(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_accepted(MINIMAL "source:\npostgres:\n  bin_dir:\nrecovery:\n  settings: ~\n", &cfg);
    assert_string_equal(cfg.postgres.bin_dir, "");
    assert_int_equal(cfg.recovery.settings.count, 0);
    pgd_config_free(&cfg);
}

static void assert_unreadable(const char *path, const char *expected_reason)
{
    pgd_config cfg;
    char *errmsg = NULL;

    assert_false(pgd_config_load(path, &cfg, &errmsg));
    assert_true(strncmp(errmsg, path, strlen(path)) == 0 && errmsg[strlen(path)] == ':');
    if (strstr(errmsg, expected_reason) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", errmsg, expected_reason);
    free(errmsg);
}

static void test_missing_file(void **state)
{
    (void)state;
    assert_unreadable("/nonexistent/pgdrill.yml", "No such file or directory");
}

/* A FIFO (must not block), a directory, a huge file, a file with a NUL byte: clear errors. */
static void test_not_a_config_file(void **state)
{
    char *fifo = pgd_asprintf("%s.fifo", config_path);
    char *big = pgd_asprintf("%s.big", config_path);
    char *dir = pgd_asprintf("%s.dir", config_path);
    FILE *fp;

    (void)state;
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_unreadable(fifo, "is a FIFO");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_unreadable(dir, "is a directory");
    fp = fopen(big, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200000; i++)
        fputs("# padding\n", fp);
    fclose(fp);
    assert_unreadable(big, "is larger than");
    fp = fopen(big, "w");
    fwrite("pgbackrest:\n  stanza: a\0b\n", 1, 26, fp);
    fclose(fp);
    assert_unreadable(big, "NUL byte");
    unlink(fifo);
    unlink(big);
    rmdir(dir);
    free(fifo);
    free(big);
    free(dir);
}

static void test_yaml_syntax_error(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "source:\n  dsn: \"unterminated\n",
                    "5: (yaml): found unexpected end of stream while scanning a quoted scalar");
    assert_rejected(MINIMAL "marker: [a\n", "4: (yaml): did not find expected ',' or ']' while "
                                            "parsing a flow sequence");
}

static void test_not_a_mapping(void **state)
{
    (void)state;
    assert_rejected("- a\n- b\n", "1: (top level): expected a mapping of keys, found a list");
    assert_rejected("just text\n", "1: (top level): expected a mapping of keys, found a scalar");
}

static void test_two_documents(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "---\nscope: x\n", "3: (yaml): only one YAML document is allowed");
}

static void test_unknown_keys(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "scop: x\n", "3: scop: unknown key (did you mean \"scope\"?)");
    assert_rejected(MINIMAL "marker:\n  archive_timout: 5m\n",
                    "4: marker.archive_timout: unknown key (did you mean \"archive_timeout\"?)");
    assert_rejected(MINIMAL "report:\n  webhook:\n    tokenfile: /x\n",
                    "5: report.webhook.tokenfile: unknown key (did you mean \"token_file\"?)");
    assert_rejected(MINIMAL "completely_different: 1\n", "3: completely_different: unknown key");
    assert_rejected(MINIMAL "? [a, b]\n: c\n", "3: (top level): keys must be plain strings");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "scope: a\nscope: b\n",
                    "4: scope: duplicate key (first set on line 3)");
}

static void test_missing_required(void **state)
{
    (void)state;
    assert_rejected("pgbackrest: {stanza: s}\nrecovery: {wal_prefetch: 1.5GB}\n",
                    "2: recovery.wal_prefetch: invalid size \"1.5GB\": unknown size unit (use B, "
                    "kB, MB, GB, TB or KiB, MiB, GiB, TiB)");
    assert_rejected("pgbackrest: {stanza: s}\nrecovery: {wal_prefetch: [1]}\n",
                    "2: recovery.wal_prefetch: expected a size such as 512MB or 1GB, or off, "
                    "found a list");
    assert_rejected("", "1: pgbackrest.stanza: required key is missing");
    assert_rejected("scope: x\n", "1: pgbackrest.stanza: required key is missing");
    assert_rejected("scope: x\npgbackrest:\n  process_max: 2\n",
                    "2: pgbackrest.stanza: required key is missing");
}

static void test_wrong_types(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "scope: {a: b}\n", "3: scope: expected a string, found a mapping");
    assert_rejected(MINIMAL "source: host=x\n", "3: source: expected a mapping, found a scalar");
    assert_rejected(MINIMAL "verify:\n  jobs: many\n",
                    "4: verify.jobs: expected an integer, found \"many\"");
    assert_rejected(MINIMAL "verify:\n  jobs: [1]\n",
                    "4: verify.jobs: expected an integer, found a list");
    assert_rejected(MINIMAL "verify:\n  jobs: 0\n", "4: verify.jobs: must be between 1 and 64");
    assert_rejected(MINIMAL "verify:\n  jobs: 99999999999999999999\n",
                    "4: verify.jobs: expected an integer, found \"99999999999999999999\"");
    assert_rejected(MINIMAL "verify:\n  jobs: 2x\n",
                    "4: verify.jobs: expected an integer, found \"2x\"");
    assert_rejected(MINIMAL "report:\n  max_concurrent: -1\n",
                    "4: report.max_concurrent: must be between 0 and 100000");
    assert_rejected(MINIMAL "scope: \"\"\n", "3: scope: must not be empty");
}

static void test_bad_durations(void **state)
{
    (void)state;
    assert_rejected(
        MINIMAL "recovery:\n  timeout: 5 minutes\n",
        "4: recovery.timeout: invalid duration \"5 minutes\": unknown duration unit (use "
        "s, m, h or d)");
    assert_rejected(MINIMAL "recovery:\n  timeout: -5s\n",
                    "4: recovery.timeout: invalid duration \"-5s\": a duration must start with a "
                    "digit (e.g. 30s, 5m, 2h, or plain seconds)");
    assert_rejected(MINIMAL "recovery:\n  timeout: 5mm\n",
                    "4: recovery.timeout: invalid duration \"5mm\": trailing characters after the "
                    "duration unit");
    assert_rejected(MINIMAL "recovery:\n  timeout: 0s\n",
                    "4: recovery.timeout: must be at least 1s");
    /* a probe of a dead repository takes about 8 s: two failed probes at least decide */
    assert_rejected("pgbackrest: {stanza: s, dead_after: 9s}\n",
                    "1: pgbackrest.dead_after: must be at least 10s");
    assert_rejected(MINIMAL "source:\n  connect_timeout: 2h\n",
                    "4: source.connect_timeout: must be at most 3600s");
    assert_rejected(
        MINIMAL "recovery:\n  timeout: 400d\n",
        "4: recovery.timeout: invalid duration \"400d\": duration too long (at most 366d)");
    assert_rejected(MINIMAL "recovery:\n  timeout:\n",
                    "4: recovery.timeout: invalid duration \"\": empty duration");
    assert_rejected(
        MINIMAL "recovery:\n  timeout: {a: 1}\n",
        "4: recovery.timeout: expected a duration such as 30s, 5m or 2h, found a mapping");
}

static void test_lists(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "verify:\n  databases: some\n",
                    "4: verify.databases: expected \"all\" or a list of database names");
    assert_rejected(MINIMAL "verify:\n  databases: []\n",
                    "4: verify.databases: an empty list would check nothing; use \"all\"");
    assert_rejected(MINIMAL "verify:\n  databases:\n    - app\n    - [x]\n",
                    "6: verify.databases: list item: expected a string, found a list");
    assert_rejected(MINIMAL "verify:\n  databases:\n    - ''\n",
                    "5: verify.databases: list item must not be empty");
    assert_rejected("pgbackrest:\n  stanza: s\n  options: --delta\n",
                    "3: pgbackrest.options: expected a list of strings, found a scalar");
    /* an item that is no option may be a value (a secret): it is named by its number */
    assert_rejected("pgbackrest:\n  stanza: s\n  options: [--log-level-console=info, "
                    "repo1-path=/x]\n",
                    "3: pgbackrest.options: list item 2 does not start with \"--\": pgBackRest "
                    "options are written --name[=value], the value after \"=\" in the same item");
    assert_rejected("pgbackrest:\n  stanza: s\n  options: ['--repo1-path /x']\n",
                    "3: pgbackrest.options: list item 1 is not a pgBackRest option: names are "
                    "lowercase letters, digits and dashes, written --name[=value]");
    assert_rejected("pgbackrest:\n  stanza: s\n  options: [--Delta]\n",
                    "3: pgbackrest.options: list item 1 is not a pgBackRest option: names are "
                    "lowercase letters, digits and dashes, written --name[=value]");
    assert_rejected("pgbackrest:\n  stanza: s\n  options: [--=x]\n",
                    "3: pgbackrest.options: list item 1 is not a pgBackRest option: names are "
                    "lowercase letters, digits and dashes, written --name[=value]");
    /* the option is named, its value is not quoted */
    assert_rejected("pgbackrest:\n  stanza: s\n  options:\n    - --log-level-console=info\n"
                    "    - --target=2020-01-01\n",
                    "5: pgbackrest.options: \"--target\" is --target, which pgdrill sets itself");
    assert_rejected("pgbackrest:\n  stanza: s\n  options: [--delta]\n",
                    "3: pgbackrest.options: \"--delta\" is --delta, which pgdrill sets itself");
}

/* Every spelling pgBackRest 2.45 resolves to an option pgdrill sets is refused. */
static void test_pgbackrest_option_aliases(void **state)
{
    static const struct {
        const char *option;
        const char *resolves_to;
    } refused[] = {
        {"--pg1-path=/x", "pg-path"},
        {"--pg2-path=/x", "pg-path"},
        {"--pg256-path=/x", "pg-path"},
        {"--db-path=/x", "pg1-path"},
        {"--db1-path=/x", "pg1-path"},
        {"--db12-path=/x", "pg1-path"},
        {"--pg1-pa=/x", "pg-path"},
        {"--db-pa=/x", "pg1-path"},
        {"--no-delta", "delta"},
        {"--de", "delta"},
        {"--reset-archive-mode", "archive-mode"},
        {"--archive-mode=preserve", "archive-mode"},
        {"--reco=archive_command=x", "recovery-option"},
        {"--ty=default", "type"},
        {"--target-a=pause", "target-action"},
        {"--config-p=/etc", "config-path"},
        {"--config-include-path=/x", "config-include-path"},
        {"--no-config", "config"},
        {"--stan=other", "stanza"},
        {"--process-max=4", "process-max"},
        {"--force", "force"},
        {"--t", "type"},
    };
    pgd_config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char *text =
            pgd_asprintf("pgbackrest:\n  stanza: s\n  options: ['%s']\n", refused[i].option);
        char *errmsg = load(text, &cfg);
        char *expected = pgd_asprintf("is --%s, which pgdrill sets itself", refused[i].resolves_to);

        if (errmsg == NULL)
            fail_msg("%s was accepted", refused[i].option);
        if (strstr(errmsg, expected) == NULL)
            fail_msg("%s: %s", refused[i].option, errmsg);
        free(expected);
        free(errmsg);
        free(text);
    }
    /* options of pgBackRest's own that pgdrill does not set stay usable */
    assert_accepted(
        "pgbackrest:\n  stanza: s\n  options: [--repo1-path=/r, --log-level-console=info,"
        " --target-timeline=current, --repo2-type=s3, --buffer-size=1MiB]\n",
        &cfg);
    assert_int_equal(cfg.pgbackrest.options.count, 5);
    pgd_config_free(&cfg);
}

/*
 * pgBackRest's secure options (docs/design.md, F30), in every spelling it
 * accepts, are refused with where the secret belongs and without their value.
 */
static void test_pgbackrest_secure_options(void **state)
{
    static const struct {
        const char *item;
        const char *expected;
    } refused[] = {
        {"--repo1-s3-key=Sekrit-Value-1", "\"--repo1-s3-key\" is pgBackRest's secure option "
                                          "--repo-s3-key: its value would show in the process "
                                          "list and in pgdrill's log; set it in pgBackRest's "
                                          "configuration file (pgbackrest.config) or in the "
                                          "environment pgdrill runs in as PGBACKREST_REPO1_S3_KEY"},
        {"--repo2-s3-key-secret=Sekrit-Value-1", "--repo-s3-key-secret: "},
        {"--repo2-s3-key-secret=Sekrit-Value-1", " as PGBACKREST_REPO2_S3_KEY_SECRET"},
        {"--repo1-s3-token=Sekrit-Value-1", " as PGBACKREST_REPO1_S3_TOKEN"},
        {"--repo1-cipher-pass=Sekrit-Value-1", " as PGBACKREST_REPO1_CIPHER_PASS"},
        /* deprecated names without an index are repository 1's */
        {"--repo-cipher-pass=Sekrit-Value-1", " as PGBACKREST_REPO1_CIPHER_PASS"},
        {"--repo-s3-key=Sekrit-Value-1", " as PGBACKREST_REPO1_S3_KEY"},
        {"--repo-s3-key-secret=Sekrit-Value-1", " as PGBACKREST_REPO1_S3_KEY_SECRET"},
        {"--repo1-azure-key=Sekrit-Value-1", " as PGBACKREST_REPO1_AZURE_KEY"},
        {"--repo3-azure-account=Sekrit-Value-1", " as PGBACKREST_REPO3_AZURE_ACCOUNT"},
        {"--repo1-azure-endpoint=Sekrit-Value-1", " as PGBACKREST_REPO1_AZURE_ENDPOINT"},
        {"--repo12-gcs-key=Sekrit-Value-1", " as PGBACKREST_REPO12_GCS_KEY"},
        /* prefixes pgBackRest expands */
        {"--repo1-s3-key-s=Sekrit-Value-1", "\"--repo1-s3-key-s\" is pgBackRest's secure option "
                                            "--repo-s3-key-secret:"},
        {"--repo1-s3-to=Sekrit-Value-1", "--repo-s3-token:"},
        {"--repo1-cipher-p=Sekrit-Value-1", "--repo-cipher-pass:"},
        {"--repo1-gcs-k=Sekrit-Value-1", "--repo-gcs-key:"},
        {"--repo1-azure-a=Sekrit-Value-1", "--repo-azure-account:"},
        /* negated and reset forms */
        {"--no-repo1-s3-key", "\"--no-repo1-s3-key\" is pgBackRest's secure option --repo-s3-key:"},
        {"--reset-repo1-cipher-pass", "--repo-cipher-pass:"},
    };
    pgd_config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char *text =
            pgd_asprintf("pgbackrest:\n  stanza: s\n  options: ['--log-level-console=info',"
                         " '%s']\n",
                         refused[i].item);
        char *errmsg = load(text, &cfg);

        if (errmsg == NULL)
            fail_msg("%s was accepted", refused[i].item);
        if (strstr(errmsg, refused[i].expected) == NULL)
            fail_msg("%s: %s", refused[i].item, errmsg);
        if (strstr(errmsg, "Sekrit") != NULL)
            fail_msg("the value is in the message: %s", errmsg);
        if (strncmp(errmsg, config_path, strlen(config_path)) != 0 ||
            strncmp(errmsg + strlen(config_path), ":3: pgbackrest.options: ", 24) != 0)
            fail_msg("not FILE:LINE: KEY: %s", errmsg);
        free(errmsg);
        free(text);
    }
    /* the value as an item of its own, after the option: refused at the option */
    assert_rejected("pgbackrest:\n  stanza: s\n  options:\n    - --repo1-s3-key\n"
                    "    - Sekrit-Value-1\n",
                    "4: pgbackrest.options: \"--repo1-s3-key\" is pgBackRest's secure option "
                    "--repo-s3-key: its value would show in the process list and in pgdrill's log; "
                    "set it in pgBackRest's configuration file (pgbackrest.config) or in the "
                    "environment pgdrill runs in as PGBACKREST_REPO1_S3_KEY");
    /* their neighbours, which hold no secret, stay usable */
    assert_accepted("pgbackrest:\n  stanza: s\n  options: [--repo1-s3-key-type=web-id,"
                    " --repo1-azure-key-type=sas, --repo1-gcs-key-type=token,"
                    " --repo1-cipher-type=aes-256-cbc, --repo1-s3-kms-key-id=k,"
                    " --repo1-azure-container=c, --repo1-s3-role=r, --repo1-gcs-bucket=b]\n",
                    &cfg);
    assert_int_equal(cfg.pgbackrest.options.count, 8);
    pgd_config_free(&cfg);
}

static void test_settings(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "recovery:\n  settings: [a]\n",
                    "4: recovery.settings: expected a mapping of setting names to values, found a "
                    "list");
    assert_rejected(MINIMAL "recovery:\n  settings:\n    \"bad name\": 1\n",
                    "5: recovery.settings: not a valid PostgreSQL setting name");
    assert_rejected(MINIMAL "recovery:\n  settings:\n    work_mem: {a: 1}\n",
                    "5: recovery.settings: work_mem: expected a scalar value, found a mapping");
    assert_rejected(MINIMAL "recovery:\n  settings:\n    work_mem: 1MB\n    work_mem: 2MB\n",
                    "6: recovery.settings: work_mem: duplicate setting");
    assert_rejected(MINIMAL "recovery:\n  settings:\n    work_mem: 1MB\n    WORK_MEM: 2MB\n",
                    "6: recovery.settings: WORK_MEM: duplicate setting");
    /* a line break cannot be written into postgresql.conf: a config error, not a page */
    assert_rejected(MINIMAL "recovery:\n  settings:\n    application_name: \"a\\nb\"\n",
                    "5: recovery.settings: application_name: a line break cannot be written into "
                    "postgresql.conf");
    assert_rejected(MINIMAL "recovery:\n  settings:\n    archive_command: /bin/cp %p /x\n",
                    "5: recovery.settings: archive_command: set by pgdrill itself for the private "
                    "recovery instance");
    assert_rejected(MINIMAL "recovery:\n  settings:\n    Recovery_Target_Time: now\n",
                    "5: recovery.settings: Recovery_Target_Time: set by pgdrill itself for the "
                    "private recovery instance");
    assert_rejected(MINIMAL "recovery:\n  settings:\n    max_connections: lots\n",
                    "5: recovery.settings: max_connections: expected an integer, found \"lots\"");
}

static void test_identifiers_and_dsns(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "marker:\n  table: "
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
                    "4: marker.table: PostgreSQL identifiers are at most 63 bytes (this one has "
                    "64)");
    assert_rejected(MINIMAL "marker:\n  schema: public\n",
                    "4: marker.schema: \"public\" is not a schema pgdrill may own (public, "
                    "information_schema and pg_* belong to everybody); use a schema of its own "
                    "such as _pgdrill");
    assert_rejected(MINIMAL "marker: {schema: pg_catalog}\n",
                    "3: marker.schema: \"pg_catalog\" is not a schema pgdrill may own (public, "
                    "information_schema and pg_* belong to everybody); use a schema of its own "
                    "such as _pgdrill");
    assert_rejected(MINIMAL "marker: {schema: information_schema}\n",
                    "3: marker.schema: \"information_schema\" is not a schema pgdrill may own "
                    "(public, information_schema and pg_* belong to everybody); use a schema of "
                    "its own such as _pgdrill");
    assert_rejected(MINIMAL "source:\n  dsn: \"host=x password\"\n",
                    "4: source.dsn: not a valid libpq connection string (key=value pairs or a "
                    "postgresql:// URI)");
    assert_rejected(MINIMAL "report:\n  history_dsn: \"postgresql://h/db?nosuchparam=1\"\n",
                    "4: report.history_dsn: not a valid libpq connection string (key=value pairs "
                    "or a postgresql:// URI)");
    assert_rejected(MINIMAL "report:\n  webhook:\n    url: ftp://example\n",
                    "5: report.webhook.url: must be an http:// or https:// URL");
}

/* A password in a configured DSN is registered as a secret while loading. */
static void test_dsn_password_becomes_secret(void **state)
{
    pgd_config cfg;
    char *masked;

    (void)state;
    assert_accepted(MINIMAL "source:\n  dsn: \"host=h password='s3 cr3t'\"\n", &cfg);
    masked = pgd_secret_mask("error near s3 cr3t here");
    assert_string_equal(masked, "error near ******** here");
    free(masked);
    pgd_config_free(&cfg);
}

static void test_cross_checks(void **state)
{
    (void)state;
    assert_rejected(MINIMAL "report:\n  max_concurrent: 2\n",
                    "4: report.max_concurrent: a fleet-wide cap needs report.history_dsn to count "
                    "drills in progress");
    assert_rejected(MINIMAL "report:\n  webhook: {token_file: /t}\n",
                    "4: report.webhook.token_file: set, but report.webhook.url is empty");
}

/*
 * The data proof's keys (README, "What a drill proves, and what it does not"): which
 * backup, the checks, assertions, the RTO.
 */
static void test_data_proof_keys(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_accepted(MINIMAL, &cfg);
    assert_string_equal(cfg.pgbackrest.set, "latest");
    assert_int_equal(cfg.pgbackrest.repo, 0);
    assert_true(cfg.verify.checksums);
    assert_string_equal(cfg.verify.amcheck, "on");
    assert_int_equal(cfg.verify.assertions.count, 0);
    assert_int_equal(cfg.verify.assertion_timeout, 60);
    assert_int_equal(cfg.report.rto_target, 0);
    pgd_config_free(&cfg);

    assert_accepted(
        "pgbackrest:\n  stanza: s\n  set: 20261124-101500F_20261125-101500I\n"
        "  repo: 2\nverify:\n  checksums: false\n  amcheck: heapallindexed\n"
        "  assertions:\n    - name: recent\n      database: app\n"
        "      sql: SELECT true\n    - {name: other, database: app, sql: SELECT 1 = 1}\n"
        "report:\n  rto_target: 1h\n",
        &cfg);
    assert_string_equal(cfg.pgbackrest.set, "20261124-101500F_20261125-101500I");
    assert_int_equal(cfg.pgbackrest.repo, 2);
    assert_false(cfg.verify.checksums);
    assert_string_equal(cfg.verify.amcheck, "heapallindexed");
    assert_int_equal(cfg.verify.assertions.count, 2);
    assert_string_equal(cfg.verify.assertions.items[0].sql, "SELECT true");
    assert_string_equal(cfg.verify.assertions.items[1].name, "other");
    assert_int_equal(cfg.report.rto_target, 3600);
    pgd_config_free(&cfg);

    assert_rejected(MINIMAL "  set: newest\n",
                    "3: pgbackrest.set: expected latest, oldest or a backup label such as "
                    "20261124-101500F");
    assert_rejected(MINIMAL "verify:\n  amcheck: yes please\n",
                    "4: verify.amcheck: expected off, on or heapallindexed");
    assert_rejected(MINIMAL "verify:\n  assertions:\n    - {name: a, sql: SELECT true}\n",
                    "5: verify.assertions: list item: database is missing");
    assert_rejected(MINIMAL "verify:\n  assertions:\n    - {name: a, database: d, sql: x, y: 1}\n",
                    "5: verify.assertions: y: unknown key (name, database, sql)");
    assert_rejected(MINIMAL "verify:\n  assertions:\n    - {name: a, database: d, sql: x}\n"
                            "    - {name: a, database: e, sql: y}\n",
                    "6: verify.assertions: a: duplicate name");
    assert_rejected(MINIMAL "verify:\n  assertions: [x]\n",
                    "4: verify.assertions: list item: expected a mapping with name, database and "
                    "sql, found a scalar");
    assert_rejected("pgbackrest:\n  stanza: s\n  options: [--set=20261124-101500F]\n",
                    "3: pgbackrest.options: \"--set\" is --set, which pgdrill sets itself (use "
                    "pgbackrest.set)");
}

/* recovery.target: a word or an instant, malformed ones refused with what is wrong. */
static void test_recovery_target(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_accepted(MINIMAL, &cfg);
    assert_string_equal(cfg.recovery.target, "latest");
    pgd_config_free(&cfg);
    assert_accepted(MINIMAL "recovery:\n  target: latest\n", &cfg);
    assert_string_equal(cfg.recovery.target, "latest");
    pgd_config_free(&cfg);

    assert_rejected(MINIMAL "recovery:\n  target: newest\n",
                    "4: recovery.target: expected latest, oldest, random or an RFC 3339 instant "
                    "such as 2026-11-30T14:02:00Z");
    assert_rejected(MINIMAL "recovery:\n  target: 2026-11-31T14:02:00Z\n",
                    "4: recovery.target: not an instant (no such date); expected latest, oldest, "
                    "random or an RFC 3339 instant such as 2026-11-30T14:02:00Z");
    assert_rejected(MINIMAL "recovery:\n  target: 2026-11-30 14:02:00\n",
                    "4: recovery.target: not an instant (no UTC offset (write +00 or Z)); "
                    "expected latest, oldest, random or an RFC 3339 instant such as "
                    "2026-11-30T14:02:00Z");
    assert_rejected(MINIMAL "recovery:\n  target: \"\"\n", "4: recovery.target: must not be empty");
    assert_accepted(MINIMAL "recovery:\n  target: oldest\n", &cfg);
    assert_string_equal(cfg.recovery.target, "oldest");
    pgd_config_free(&cfg);
    assert_accepted(MINIMAL "recovery:\n  target: 2026-11-30T14:02:00+01:00\n", &cfg);
    pgd_config_free(&cfg);
}

/* The report and the token never travel unencrypted unless the file says so. */
static void test_plain_http_needs_consent(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_rejected(MINIMAL "report:\n  webhook:\n    url: http://hooks.internal/x\n",
                    "5: report.webhook.url: plain http:// would send the report (and the token) "
                    "unencrypted; use https:// or set report.webhook.allow_http: true");
    assert_rejected(MINIMAL "report:\n  webhook:\n    url: http://h/x\n    allow_http: maybe\n",
                    "6: report.webhook.allow_http: expected true or false, found \"maybe\"");
    assert_accepted(MINIMAL "report:\n  webhook:\n    url: http://h/x\n    allow_http: yes\n",
                    &cfg);
    assert_true(cfg.report.webhook.allow_http);
    pgd_config_free(&cfg);
    assert_accepted(MINIMAL "report:\n  webhook: {url: 'https://h/x', allow_http: false}\n", &cfg);
    assert_false(cfg.report.webhook.allow_http);
    pgd_config_free(&cfg);
}

static void test_config_path_precedence(void **state)
{
    (void)state;
    unsetenv("PGDRILL_CONFIG");
    assert_string_equal(pgd_config_path(NULL), PGD_DEFAULT_CONFIG_PATH);
    setenv("PGDRILL_CONFIG", "/env/path.yml", 1);
    assert_string_equal(pgd_config_path(NULL), "/env/path.yml");
    assert_string_equal(pgd_config_path("/opt.yml"), "/opt.yml");
    unsetenv("PGDRILL_CONFIG");
}

static void test_wal_prefetch_off(void **state)
{
    pgd_config cfg;

    (void)state;
    assert_accepted("pgbackrest: {stanza: s}\nrecovery: {wal_prefetch: off}\n", &cfg);
    assert_int_equal(cfg.recovery.wal_prefetch, 0);
    pgd_config_free(&cfg);
    assert_accepted("pgbackrest: {stanza: s}\nrecovery: {wal_prefetch: 0}\n", &cfg);
    assert_int_equal(cfg.recovery.wal_prefetch, 0);
    pgd_config_free(&cfg);
}

/* A minimal configuration that also sets the dotted key ("report.webhook.ca_file") to value. */
static char *yaml_for_key(const char *key, const char *value)
{
    bool in_pgbackrest = strncmp(key, "pgbackrest.", 11) == 0;
    char *text = pgd_strdup(in_pgbackrest ? "" : MINIMAL);
    const char *p = key;
    int depth = 0;
    char *more;

    for (const char *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1, depth++) {
        more = pgd_asprintf("%s%*s%.*s:\n", text, depth * 2, "", (int)(dot - p), p);
        free(text);
        text = more;
    }
    more = pgd_asprintf("%s%s%*s%s: '%s'\n", text, in_pgbackrest ? "  stanza: s\n" : "", depth * 2,
                        "", p, value);
    free(text);
    return more;
}

/* Every path key is absolute, and everything after loading sees one spelling of it. */
static void test_paths(void **state)
{
    pgd_config cfg;
    size_t paths = 0;

    (void)state;
    assert_accepted("state_dir: //srv//drill/./\n"
                    "pgbackrest:\n  stanza: s\n  config: /etc//pgbackrest/pgbackrest.conf\n"
                    "postgres:\n  bin_dir: /usr/lib/postgresql/15/bin/\n"
                    "report:\n  metrics_file: /var/lib/node_exporter/textfile//x.prom\n"
                    "  signing_key: /etc/pgdrill//signing.pem\n"
                    "  webhook: {url: 'https://h/x', token_file: /run/secrets//token,"
                    " ca_file: /etc/ssl/./ca.pem}\n",
                    &cfg);
    assert_string_equal(cfg.state_dir, "/srv/drill");
    /* the default report.file follows the one spelling */
    assert_string_equal(cfg.report.file, "/srv/drill/report.json");
    assert_string_equal(cfg.pgbackrest.config, "/etc/pgbackrest/pgbackrest.conf");
    assert_string_equal(cfg.postgres.bin_dir, "/usr/lib/postgresql/15/bin");
    assert_string_equal(cfg.report.metrics_file, "/var/lib/node_exporter/textfile/x.prom");
    /* the file itself is read by the binaries (cli.c), not by the loader */
    assert_string_equal(cfg.report.signing_key, "/etc/pgdrill/signing.pem");
    assert_string_equal(cfg.report.webhook.token_file, "/run/secrets/token");
    assert_string_equal(cfg.report.webhook.ca_file, "/etc/ssl/ca.pem");
    pgd_config_free(&cfg);
    /* ".." and symbolic links are kept as written; "" stays "off" */
    assert_accepted(MINIMAL "state_dir: /srv/link/../drill/\nreport:\n  file: /srv/r//report.json\n"
                            "  metrics_file: ''\n",
                    &cfg);
    assert_string_equal(cfg.state_dir, "/srv/link/../drill");
    assert_string_equal(cfg.report.file, "/srv/r/report.json");
    assert_string_equal(cfg.report.metrics_file, "");
    pgd_config_free(&cfg);

    assert_rejected(MINIMAL "state_dir: var/lib/pgdrill/\n",
                    "3: state_dir: \"var/lib/pgdrill/\" is a relative path; write it absolute "
                    "(Patroni runs pgdrill in a working directory of its own)");
    assert_rejected(MINIMAL "state_dir: ~/drill\n",
                    "3: state_dir: \"~/drill\" is a relative path; write it absolute (Patroni runs "
                    "pgdrill in a working directory of its own)");
    assert_rejected(MINIMAL "state_dir: ''\n", "3: state_dir: must not be empty");
    /* every path key of the table, whatever its section */
    for (size_t i = 0; i < pgd_config_doc_count(); i++) {
        pgd_config_key_doc doc = pgd_config_doc(i);
        char *text;
        char *errmsg;
        char *expected;

        if (!doc.path)
            continue;
        paths++;
        text = yaml_for_key(doc.key, "./relative");
        errmsg = load(text, &cfg);
        expected = pgd_asprintf("%s: \"./relative\" is a relative path", doc.key);
        if (errmsg == NULL)
            fail_msg("a relative %s was accepted", doc.key);
        if (strstr(errmsg, expected) == NULL)
            fail_msg("%s: %s", doc.key, errmsg);
        free(expected);
        free(errmsg);
        free(text);
    }
    assert_int_equal(paths, 8);
}

/* The README's configuration table is the table of keys, row by row, cell by cell. */
static void test_readme_table_matches(void **state)
{
    readme_table t;

    (void)state;
    readme_table_load(&t, "| key | default | meaning |", 3);
    assert_int_equal(t.rows, (int)pgd_config_doc_count());
    for (int row = 0; row < t.rows; row++) {
        pgd_config_key_doc doc = pgd_config_doc((size_t)row);
        char key[64];

        assert_non_null(doc.key);
        assert_non_null(doc.shown_default);
        assert_non_null(doc.meaning);
        snprintf(key, sizeof(key), "`%s`", doc.key);
        assert_string_equal(t.cell[row][0], key);
        assert_string_equal(t.cell[row][1], doc.shown_default);
        assert_string_equal(t.cell[row][2], doc.meaning);
        /*
         * A key named like a path must be one (a path key declared as a plain
         * string would escape the absolute check and the one spelling), and
         * says so in its meaning.
         */
        if (strstr(doc.key, "_dir") != NULL || strstr(doc.key, "file") != NULL ||
            strcmp(doc.key, "pgbackrest.config") == 0)
            assert_true(doc.path);
        if (doc.path) {
            const char *suffix = "; an absolute path";
            size_t len = strlen(doc.meaning);

            assert_true(len > strlen(suffix) &&
                        strcmp(doc.meaning + len - strlen(suffix), suffix) == 0);
        }
    }
    assert_null(pgd_config_doc(pgd_config_doc_count()).key);
    readme_table_free(&t);
}

/*
 * A key's README "default" cell comes from its default in the key table: the
 * value in backticks, then a note. It is written out instead only where the
 * table has no value to show (a computed or required key, one the command
 * line decides) or the empty string means someone else decides.
 */
static void test_shown_defaults_come_from_the_table(void **state)
{
    size_t derived = 0;

    (void)state;
    for (size_t i = 0; i < pgd_config_doc_count(); i++) {
        pgd_config_key_doc doc = pgd_config_doc(i);
        char *expected;
        bool written_out;

        assert_non_null(doc.shown_default);
        written_out = doc.default_value == NULL || (strcmp(doc.default_value, "\"\"") == 0 &&
                                                    strncmp(doc.shown_default, "`\"\"`", 4) != 0);
        if (written_out)
            continue;
        expected = pgd_asprintf("`%s`", doc.default_value);
        if (strncmp(doc.shown_default, expected, strlen(expected)) != 0 ||
            (doc.shown_default[strlen(expected)] != '\0' &&
             doc.shown_default[strlen(expected)] != ' '))
            fail_msg("%s: default %s shown as %s", doc.key, doc.default_value, doc.shown_default);
        free(expected);
        derived++;
    }
    assert_true(derived > 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wal_prefetch_off),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_complete_example),
        cmocka_unit_test(test_every_type_parsed),
        cmocka_unit_test(test_null_values),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_not_a_config_file),
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_not_a_mapping),
        cmocka_unit_test(test_two_documents),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_bad_durations),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_pgbackrest_option_aliases),
        cmocka_unit_test(test_pgbackrest_secure_options),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_identifiers_and_dsns),
        cmocka_unit_test(test_dsn_password_becomes_secret),
        cmocka_unit_test(test_cross_checks),
        cmocka_unit_test(test_plain_http_needs_consent),
        cmocka_unit_test(test_data_proof_keys),
        cmocka_unit_test(test_recovery_target),
        cmocka_unit_test(test_config_path_precedence),
        cmocka_unit_test(test_readme_table_matches),
        cmocka_unit_test(test_shown_defaults_come_from_the_table),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
