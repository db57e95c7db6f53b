/*
 * assertion_hba.c - let the assertions' role in where pg_hba.conf does not.
 */
#include "assertion_hba.h"

#include "log.h"
#include "pq.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define CLEANUP_TIMEOUT_MS 5000

/*
 * Replace hba_file by the bytes of hex (hexadecimal), as the server's OS
 * user: a large object exported in a transaction that is rolled back leaves
 * the file and takes the large object with it (F23).
 */
static bool write_hba(verify_run *run, const char *hex, bool cleanup, char **errmsg)
{
    const char *params[] = {hex};
    int64_t timeout = cleanup ? CLEANUP_TIMEOUT_MS : verify_query_timeout(run);
    bool ok = cleanup ? pgd_pq_cleanup_command(run->conn, "BEGIN", 0, NULL, timeout, errmsg)
                      : pgd_pq_command(run->conn, "BEGIN", 0, NULL, timeout, errmsg);
    char *ignored = NULL;
    char *oid;

    if (!ok)
        return false;
    /* Two statements: a large object is not seen by the statement that creates it. */
    oid =
        pgd_pq_value(run->conn, "SELECT pg_catalog.lo_from_bytea(0, pg_catalog.decode($1, 'hex'))",
                     1, params, timeout, errmsg);
    params[0] = oid;
    ok = oid != NULL && pgd_pq_cleanup_command(run->conn,
                                               "SELECT pg_catalog.lo_export($1::pg_catalog.oid,"
                                               " pg_catalog.current_setting('hba_file'))",
                                               1, params, timeout, errmsg);
    if (!pgd_pq_cleanup_command(run->conn, "ROLLBACK", 0, NULL, CLEANUP_TIMEOUT_MS, &ignored))
        free(ignored);
    free(oid);
    return ok;
}

/* The postmaster reads pg_hba.conf again; new sessions follow it. */
static bool reload(verify_run *run, bool cleanup, char **errmsg)
{
    return pgd_pq_cleanup_command(run->conn, "SELECT pg_catalog.pg_reload_conf()", 0, NULL,
                                  cleanup ? CLEANUP_TIMEOUT_MS : verify_query_timeout(run), errmsg);
}

/* text as hexadecimal digits, followed by tail (already hexadecimal). */
static char *hex_of(const char *text, const char *tail)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = strlen(text);
    size_t tail_len = strlen(tail);
    char *out = pgd_malloc(2 * n + tail_len + 1);

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[(unsigned char)text[i] >> 4];
        out[2 * i + 1] = digits[(unsigned char)text[i] & 0xf];
    }
    memcpy(out + 2 * n, tail, tail_len + 1);
    return out;
}

bool assertion_hba_open(verify_run *run, const char *role, char **original, char **errmsg)
{
    char *file = pgd_pq_value(run->conn, "SELECT pg_catalog.current_setting('hba_file')", 0, NULL,
                              verify_query_timeout(run), errmsg);
    char *lines;
    char *hex;
    bool ok;

    *original = NULL;
    if (file == NULL)
        return false;
    *original = pgd_pq_value(run->conn,
                             "SELECT pg_catalog.encode(pg_catalog.pg_read_binary_file("
                             "pg_catalog.current_setting('hba_file')), 'hex')",
                             0, NULL, verify_query_timeout(run), errmsg);
    if (*original == NULL) {
        free(file);
        return false;
    }
    /* This role alone, with its password; the first matching line wins. */
    lines = pgd_asprintf("# pgdrill-verify: the role its assertions run as, until they are done\n"
                         "local\tall\t%s\t\tscram-sha-256\n"
                         "host\tall\t%s\tall\tscram-sha-256\n",
                         role, role);
    hex = hex_of(lines, *original);
    ok = write_hba(run, hex, false, errmsg);
    if (!ok) {
        free(*original);
        *original = NULL;
    } else
        ok = reload(run, false, errmsg);
    if (ok)
        pgd_info("role %s let in by two lines at the top of %s until the assertions are done", role,
                 file);
    free(hex);
    free(lines);
    free(file);
    return ok;
}

void assertion_hba_close(verify_run *run, const char *original)
{
    char *errmsg = NULL;

    if (!write_hba(run, original, true, &errmsg) || !reload(run, true, &errmsg)) {
        pgd_warn("could not write pg_hba.conf of the restored instance back as it was: %s; it "
                 "still admits the (dropped) assertions' role",
                 errmsg);
        free(errmsg);
    }
}
