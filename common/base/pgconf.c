/*
 * pgconf.c - settings written into a postgresql.conf.
 */
#include "pgconf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool pgd_pgconf_value_ok(const char *value, const char **why)
{
    for (const char *p = value; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 && *p != '\t') {
            *why = *p == '\n' || *p == '\r' ? "a line break cannot be written into "
                                              "postgresql.conf"
                                            : "control characters cannot be written into "
                                              "postgresql.conf";
            return false;
        }
    }
    return true;
}

void pgd_pgconf_append_setting(pgd_buf *out, const char *name, const char *value)
{
    pgd_buf_appendf(out, "%s = '", name);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\'')
            pgd_buf_append(out, "''");
        else if (*p == '\\')
            pgd_buf_append(out, "\\\\");
        else
            pgd_buf_append_n(out, p, 1);
    }
    pgd_buf_append(out, "'\n");
}

bool pgd_pgconf_reserved(const char *name)
{
    static const char *const exact[] = {
        /* where the instance lives and listens: private, decided by pgdrill */
        "config_file",
        "hba_file",
        "ident_file",
        "data_directory",
        "external_pid_file",
        "listen_addresses",
        "port",
        "unix_socket_directories",
        "unix_socket_group",
        "unix_socket_permissions",
        "cluster_name",
        "include",
        "include_dir",
        "include_if_exists",
        /* its log is how pgdrill follows and explains the replay */
        "logging_collector",
        "log_destination",
        "log_line_prefix",
        /* never archive into production; recovery is pgBackRest's and the drill's */
        "archive_mode",
        "archive_command",
        "archive_library",
        "restore_command",
        "primary_conninfo",
        "primary_slot_name",
        /* never replicate from production's publishers (quarantine.h) */
        "max_logical_replication_workers",
        "promote_trigger_file",
        "hot_standby",
    };

    if (strncasecmp(name, "recovery_target", strlen("recovery_target")) == 0)
        return true;
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        if (strcasecmp(name, exact[i]) == 0)
            return true;
    }
    return false;
}

bool pgd_pgconf_is_minimum(const char *name)
{
    static const char *const minimums[] = {
        "max_connections",           "max_worker_processes",      "max_wal_senders",
        "max_prepared_transactions", "max_locks_per_transaction",
    };

    for (size_t i = 0; i < sizeof(minimums) / sizeof(minimums[0]); i++) {
        if (strcasecmp(name, minimums[i]) == 0)
            return true;
    }
    return false;
}

/* After optional blanks, does p hold name (any case) followed by a blank or '='? */
static const char *after_name(const char *p, const char *name)
{
    size_t len = strlen(name);

    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, name, len) != 0 || (p[len] != ' ' && p[len] != '\t' && p[len] != '='))
        return NULL;
    p += len;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '=')
        p++;
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The value starting at p (quoted or bare), up to the end of its line; NULL if unterminated. */
static char *line_value(const char *p)
{
    pgd_buf value;

    pgd_buf_init(&value);
    if (*p != '\'') {
        size_t len = strcspn(p, " \t\r\n#");

        pgd_buf_append_n(&value, p, len);
        return pgd_buf_steal(&value);
    }
    for (p++; *p != '\0' && *p != '\n'; p++) {
        if ((p[0] == '\'' && p[1] == '\'') || (p[0] == '\\' && p[1] != '\0' && p[1] != '\n'))
            pgd_buf_append_n(&value, ++p, 1);
        else if (*p == '\'')
            return pgd_buf_steal(&value);
        else
            pgd_buf_append_n(&value, p, 1);
    }
    pgd_buf_free(&value);
    return NULL;
}

char *pgd_pgconf_value_of(const char *conf_text, const char *name)
{
    char *found = NULL;

    for (const char *line = conf_text; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        const char *p = after_name(line, name);

        if (p != NULL) {
            free(found);
            found = line_value(p);
        }
        line = eol ? eol + 1 : NULL;
    }
    return found;
}

/* Does one list entry (blanks trimmed, maybe quoted) load library? */
static bool entry_loads(const char *entry, size_t len, const char *library)
{
    const char *slash;
    size_t lib_len = strlen(library);

    if (len >= 2 && entry[0] == '"' && entry[len - 1] == '"') {
        entry++;
        len -= 2;
    }
    for (slash = entry + len; slash > entry && slash[-1] != '/'; slash--)
        ;
    len -= (size_t)(slash - entry);
    if (len > 3 && strncmp(slash + len - 3, ".so", 3) == 0)
        len -= 3;
    return len == lib_len && strncmp(slash, library, len) == 0;
}

char *pgd_pgconf_list_without(const char *list, const char *library, bool *removed)
{
    pgd_buf out;

    *removed = false;
    pgd_buf_init(&out);
    for (const char *p = list; *p != '\0';) {
        const char *start, *end;
        bool quoted = false;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        start = p;
        /* A comma inside double quotes ("" is a quote) belongs to the entry. */
        while (*p != '\0' && (quoted || *p != ',')) {
            if (*p == '"')
                quoted = !quoted;
            p++;
        }
        end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (entry_loads(start, (size_t)(end - start), library)) {
            *removed = true;
            continue;
        }
        if (out.len > 0)
            pgd_buf_append(&out, ", ");
        pgd_buf_append_n(&out, start, (size_t)(end - start));
    }
    return pgd_buf_steal(&out);
}
