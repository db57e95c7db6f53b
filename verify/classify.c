/*
 * classify.c - "the instance could not" or "a finding", by SQLSTATE.
 */
#include "classify.h"

#include "sqlstate.h"

#include <stddef.h>
#include <string.h>

/*
 * PostgreSQL's and libpq's untranslated texts of the conditions a check can
 * meet without the data being at fault, each with the SQLSTATE it is raised
 * with (F60). A line holds the message when it contains the text.
 */
static const struct {
    const char *text;
    const char *sqlstate;
} messages[] = {
    {"out of shared memory", "53200"},    /* max_locks_per_transaction too low */
    {"out of memory", "53200"},           /* out_of_memory */
    {"sorry, too many clients", "53300"}, /* max_connections */
    {"remaining connection slots are reserved", "53300"},
    {"the database system is starting up", "57P03"},
    {"the database system is shutting down", "57P03"},
    {"the database system is in recovery mode", "57P03"},
    {"the database system is not yet accepting connections", "57P03"},
    {"terminating connection due to administrator command", "57P01"},
    {"canceling statement due to", "57014"}, /* a statement timeout or a cancel */
    {"permission denied", "42501"},          /* verify's user lacks a privilege */
    {"must be superuser", "42501"},
    {"must be owner of", "42501"},
    /* libpq's own, for a connection that failed or broke (no server answer to quote) */
    {"connection to server", "08006"},
    {"server closed the connection unexpectedly", "08006"},
    {"could not connect to server", "08001"},
};

bool classify_instance_sqlstate(const char *sqlstate)
{
    return pgd_sqlstate_in_class(sqlstate, "53") || pgd_sqlstate_in_class(sqlstate, "57");
}

const char *classify_message_sqlstate(const char *line)
{
    for (size_t i = 0; line != NULL && i < sizeof(messages) / sizeof(messages[0]); i++) {
        if (strstr(line, messages[i].text) != NULL)
            return messages[i].sqlstate;
    }
    return NULL;
}

const char *classify_verbose_sqlstate(const char *line, char out[6])
{
    static const char *const severities[] = {"ERROR:  ", "FATAL:  ", "PANIC:  "};

    for (size_t i = 0; line != NULL && i < sizeof(severities) / sizeof(severities[0]); i++) {
        const char *at = strstr(line, severities[i]);
        size_t n;

        if (at == NULL)
            continue;
        at += strlen(severities[i]);
        n = strspn(at, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (n == 5 && at[5] == ':') {
            memcpy(out, at, 5);
            out[5] = '\0';
            return out;
        }
    }
    return NULL;
}

bool classify_child_sqlstate(const char *sqlstate)
{
    /* the program's own connection (08), or verify's user's privileges (42501) */
    return sqlstate != NULL &&
           (classify_instance_sqlstate(sqlstate) || pgd_sqlstate_in_class(sqlstate, "08") ||
            strcmp(sqlstate, "42501") == 0);
}

bool classify_child_stopped(const char *line)
{
    char code[6];
    const char *sqlstate = classify_verbose_sqlstate(line, code);

    return classify_child_sqlstate(sqlstate != NULL ? sqlstate : classify_message_sqlstate(line));
}
