/*
 * childconn.c - connection strings for child programs, secrets kept off argv.
 */
#include "childconn.h"

#include "conninfo.h"
#include "fsutil.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* libpq reads service-file lines of at most 1023 bytes and trims trailing whitespace. */
#define SERVICE_LINE_MAX 1000

static void add_env(pgd_child_conn *conn, size_t *n, char *entry)
{
    conn->env = pgd_realloc(conn->env, (*n + 2) * sizeof(char *));
    conn->env[(*n)++] = entry;
    conn->env[*n] = NULL;
}

/* Can value be written as "keyword=value" into a service file and be read back unchanged? */
static bool service_file_safe(const char *value)
{
    size_t len = strlen(value);

    return len > 0 && len < SERVICE_LINE_MAX && strpbrk(value, "\r\n") == NULL && value[0] != ' ' &&
           value[0] != '\t' && value[len - 1] != ' ' && value[len - 1] != '\t';
}

static bool write_service_file(pgd_child_conn *conn, const pgd_buf *lines, size_t *n_env,
                               char **errmsg)
{
    char template_dir[] = "/tmp/pgdrill-conn-XXXXXX";
    char *path;
    char *text;
    bool ok;

    if (mkdtemp(template_dir) == NULL) {
        *errmsg = pgd_strdup("could not create a private directory under /tmp");
        return false;
    }
    conn->private_dir = pgd_strdup(template_dir);
    path = pgd_asprintf("%s/pg_service.conf", conn->private_dir);
    text = pgd_asprintf("[" PGD_CHILD_SERVICE "]\n%s", lines->data);
    ok = pgd_write_file_atomic(path, text, 0600, errmsg);
    free(text);
    if (ok)
        add_env(conn, n_env, pgd_asprintf("PGSERVICEFILE=%s", path));
    free(path);
    return ok;
}

bool pgd_child_conn_prepare(const char *conninfo, pgd_child_conn *out, char **errmsg)
{
    pgd_conninfo_secrets secrets;
    pgd_buf service_lines;
    size_t n_env = 0;
    bool ok = true;

    memset(out, 0, sizeof(*out));
    out->env = pgd_calloc(1, sizeof(char *));
    out->conninfo = pgd_conninfo_rewrite(conninfo, NULL, &secrets);
    if (out->conninfo == NULL) {
        *errmsg = pgd_strdup("the connection string is invalid");
        return false;
    }
    pgd_buf_init(&service_lines);
    for (size_t i = 0; i < secrets.count && ok; i++) {
        const pgd_conninfo_secret *s = &secrets.items[i];

        if (s->envvar != NULL)
            add_env(out, &n_env, pgd_asprintf("%s=%s", s->envvar, s->value));
        else if (service_file_safe(s->value))
            pgd_buf_appendf(&service_lines, "%s=%s\n", s->keyword, s->value);
        else {
            *errmsg = pgd_asprintf("the %s in the connection string cannot be handed to a child "
                                   "program unchanged (a line break, edge blanks or over %d "
                                   "bytes)",
                                   s->keyword, SERVICE_LINE_MAX);
            ok = false;
        }
    }
    if (ok && service_lines.len > 0) {
        char *service = pgd_conninfo_get(out->conninfo, "service");

        /* libpq does not nest services: the user's own service would be replaced by ours. */
        if (service != NULL) {
            *errmsg = pgd_asprintf("the connection string names service=%s and holds an "
                                   "sslpassword; pgdrill cannot pass both to a child program",
                                   service);
            ok = false;
        } else if ((ok = write_service_file(out, &service_lines, &n_env, errmsg))) {
            char *with_service = pgd_asprintf("%s%sservice=" PGD_CHILD_SERVICE, out->conninfo,
                                              out->conninfo[0] ? " " : "");

            free(out->conninfo);
            out->conninfo = with_service;
        }
        free(service);
    }
    pgd_buf_free(&service_lines);
    pgd_conninfo_secrets_free(&secrets);
    return ok;
}

char *pgd_child_conn_for_database(const pgd_child_conn *conn, const char *dbname)
{
    return pgd_conninfo_rewrite(conn->conninfo, dbname, NULL);
}

void pgd_child_conn_free(pgd_child_conn *conn)
{
    if (conn->private_dir != NULL)
        pgd_remove_tree(conn->private_dir);
    free(conn->private_dir);
    for (size_t i = 0; conn->env != NULL && conn->env[i] != NULL; i++)
        free(conn->env[i]);
    free(conn->env);
    free(conn->conninfo);
    memset(conn, 0, sizeof(*conn));
}
