/*
 * pgconf.c - settings written into a postgresql.conf.
 */
#include "pgconf.h"

#include <stddef.h>
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
