/*
 * backup_pages.c - what pgBackRest found about page checksums while it
 * took the restored backup set.
 */
#include "backup_pages.h"

#include "clock.h"
#include "log.h"
#include "pgbackrest.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define CHECK_NAME          "backup_page_checks"
#define MANIFEST_TIMEOUT_MS (5 * 60 * 1000)
#define NAMED_FILES         10  /* files named in the detail */
#define LISTED_FILES        100 /* files listed in the check's "files" */

/* The manifest's texts this module relies on (pgBackRest 2.45, docs/design.md F45). */
#define FILE_SECTION    "target:file"
#define DATA_DIR_PREFIX "pg_data/"
#define CHECKSUM_LINE   "backrest-checksum="
#define KEY_PAGE_OK     "checksum-page"
#define KEY_PAGE_ERRORS "checksum-page-error"

/* A check bootstrap recorded: verify judges it with its own (verify/carried.c). */
static json_t *mark(json_t *check)
{
    json_object_set_new(check, "by", json_string("bootstrap"));
    return check;
}

static bool valid_page(json_t *page)
{
    return json_is_integer(page) && json_integer_value(page) >= 0;
}

/* pgBackRest's list: single pages and [first, last] ranges, at least one (F45). */
static bool valid_page_list(json_t *pages)
{
    json_t *item;
    size_t i;

    if (!json_is_array(pages) || json_array_size(pages) == 0)
        return false;
    json_array_foreach(pages, i, item)
    {
        json_t *first = json_array_get(item, 0);
        json_t *last = json_array_get(item, 1);

        if (valid_page(item))
            continue;
        if (!json_is_array(item) || json_array_size(item) != 2 || !valid_page(first) ||
            !valid_page(last) || json_integer_value(first) > json_integer_value(last))
            return false;
    }
    return true;
}

/*
 * One "name={json}" line of [target:file] into *name and *value. A file
 * name may hold '=', so, as pgBackRest does, each '=' is tried until the
 * rest is a JSON object. False when none is.
 */
static bool split_file_line(const char *line, size_t len, char **name, json_t **value)
{
    for (const char *eq = memchr(line, '=', len); eq != NULL;
         eq = memchr(eq + 1, '=', len - (size_t)(eq + 1 - line))) {
        size_t rest = len - (size_t)(eq + 1 - line);
        json_t *parsed = json_loadb(eq + 1, rest, 0, NULL);

        if (json_is_object(parsed) && eq > line) {
            *name = pgd_strndup(line, (size_t)(eq - line));
            *value = parsed;
            return true;
        }
        json_decref(parsed);
    }
    return false;
}

/* Judge one file's entry: appended to files when flagged. False with *errmsg for a bad entry. */
static bool judge_file(const char *name, json_t *value, json_t *files, long line_no, char **errmsg)
{
    json_t *page_ok = json_object_get(value, KEY_PAGE_OK);
    json_t *pages = json_object_get(value, KEY_PAGE_ERRORS);
    const char *file = name;

    if (page_ok == NULL || json_is_true(page_ok))
        return true; /* not checked (no page checksums) or every page good */
    if (!json_is_false(page_ok)) {
        *errmsg =
            pgd_asprintf("line %ld: \"%s\" of %s is not true or false", line_no, KEY_PAGE_OK, name);
        return false;
    }
    if (pages != NULL && !valid_page_list(pages)) {
        *errmsg = pgd_asprintf("line %ld: \"%s\" of %s is not a list of pages", line_no,
                               KEY_PAGE_ERRORS, name);
        return false;
    }
    if (strncmp(file, DATA_DIR_PREFIX, strlen(DATA_DIR_PREFIX)) == 0)
        file += strlen(DATA_DIR_PREFIX);
    json_array_append_new(
        files, json_pack("{s:s,s:O}", "file", file, "pages", pages != NULL ? pages : json_null()));
    return true;
}

bool backup_pages_parse_manifest(const char *text, json_t **files, char **errmsg)
{
    json_t *found = json_array();
    bool in_files = false;
    bool seen_files = false;
    bool ok = true;
    const char *last_line = "";
    size_t last_len = 0;
    long line_no = 0;

    *errmsg = NULL;
    for (const char *line = text; ok && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *next = eol ? eol + 1 : line + len;

        line_no++;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len > 0) {
            last_line = line;
            last_len = len;
        }
        if (len >= 2 && line[0] == '[' && line[len - 1] == ']') {
            in_files = len - 2 == strlen(FILE_SECTION) &&
                       strncmp(line + 1, FILE_SECTION, strlen(FILE_SECTION)) == 0;
            seen_files = seen_files || in_files;
        } else if (in_files && len > 0) {
            char *name = NULL;
            json_t *value = NULL;

            if (!split_file_line(line, len, &name, &value)) {
                *errmsg = pgd_asprintf("line %ld: not a file entry (name={...})", line_no);
                ok = false;
            } else
                ok = judge_file(name, value, found, line_no, errmsg);
            free(name);
            json_decref(value);
        }
        line = next;
    }
    if (ok && !seen_files) {
        *errmsg = pgd_strdup("no [" FILE_SECTION "] section: not a backup manifest");
        ok = false;
    }
    /* pgBackRest ends every manifest with its checksum: anything else was cut short. */
    if (ok && (last_len < strlen(CHECKSUM_LINE) ||
               strncmp(last_line, CHECKSUM_LINE, strlen(CHECKSUM_LINE)) != 0)) {
        *errmsg = pgd_strdup("the manifest is incomplete (it does not end with " CHECKSUM_LINE ")");
        ok = false;
    }
    if (!ok) {
        json_decref(found);
        found = NULL;
    }
    *files = found;
    return ok;
}

char *backup_pages_describe(json_t *pages)
{
    pgd_buf out;
    json_t *item;
    size_t i;

    if (!json_is_array(pages))
        return pgd_strdup("no page list (the file's size is no whole number of pages)");
    pgd_buf_init(&out);
    pgd_buf_append(&out, json_array_size(pages) == 1 && json_is_integer(json_array_get(pages, 0))
                             ? "page "
                             : "pages ");
    json_array_foreach(pages, i, item)
    {
        if (json_is_array(item))
            pgd_buf_appendf(&out, "%s%lld-%lld", i > 0 ? ", " : "",
                            (long long)json_integer_value(json_array_get(item, 0)),
                            (long long)json_integer_value(json_array_get(item, 1)));
        else
            pgd_buf_appendf(&out, "%s%lld", i > 0 ? ", " : "", (long long)json_integer_value(item));
    }
    return pgd_buf_steal(&out);
}

/* The restored set in `pgbackrest info`, from the repository it came from when known. */
static json_t *find_set(json_t *info, const char *label, int repo)
{
    json_t *backup;
    size_t i;

    json_array_foreach(pgbackrest_info_backups(info), i, backup)
    {
        const char *this_label = json_string_value(json_object_get(backup, "label"));
        json_t *repo_key = json_object_get(json_object_get(backup, "database"), "repo-key");

        if (this_label == NULL || strcmp(this_label, label) != 0)
            continue;
        if (repo > 0 && json_is_integer(repo_key) && json_integer_value(repo_key) != repo)
            continue;
        return backup;
    }
    return NULL;
}

/* "2 files: base/5/16401 page 2, base/5/16390 pages 0-3" */
static void describe_files(pgd_buf *out, json_t *files)
{
    json_t *f;
    size_t i;

    pgd_buf_appendf(out, "%zu file%s:", json_array_size(files),
                    json_array_size(files) == 1 ? "" : "s");
    json_array_foreach(files, i, f)
    {
        char *pages;

        if (i == NAMED_FILES) {
            pgd_buf_appendf(out, " and %zu more", json_array_size(files) - i);
            break;
        }
        pages = backup_pages_describe(json_object_get(f, "pages"));
        pgd_buf_appendf(out, "%s %s %s", i > 0 ? "," : "",
                        json_string_value(json_object_get(f, "file")), pages);
        free(pages);
    }
}

/* A flagged set: its files and pages from the manifest, recorded as a finding. */
static void record_flagged(drill *d, const char *label, int repo, int64_t start)
{
    char *path = pgd_asprintf("backup/%s/%s/backup.manifest", d->cfg->pgbackrest.stanza, label);
    int64_t left = pgd_ms_until(d->deadline_ms);
    char *manifest = NULL;
    char *errmsg = NULL;
    json_t *files = NULL;
    json_t *check;
    pgd_buf detail;

    pgd_info("pgBackRest flagged backup set %s: reading its manifest for the files and pages",
             label);
    if (pgbackrest_repo_get(
            d, repo, path, left > MANIFEST_TIMEOUT_MS ? MANIFEST_TIMEOUT_MS : (left > 0 ? left : 1),
            &manifest, &errmsg))
        backup_pages_parse_manifest(manifest, &files, &errmsg);
    pgd_buf_init(&detail);
    pgd_buf_appendf(&detail,
                    "pgBackRest found invalid page checksums while taking backup set %s "
                    "(\"error\": true in pgbackrest info)",
                    label);
    if (files != NULL && json_array_size(files) > 0) {
        pgd_buf_append(&detail, "; its manifest names ");
        describe_files(&detail, files);
    } else
        pgd_buf_appendf(&detail,
                        "; the files could not be named from its manifest (%s); `pgbackrest "
                        "info --set=%s` lists them",
                        errmsg != NULL ? errmsg : "it lists no file with bad pages", label);
    check = mark(pgd_report_set_check_class(d->report, CHECK_NAME, "failed",
                                            (double)(pgd_monotonic_ms() - start) / 1000.0,
                                            detail.data, PGD_ERR_BACKUP_PAGE_ERRORS));
    if (files != NULL) {
        while (json_array_size(files) > LISTED_FILES)
            json_array_remove(files, json_array_size(files) - 1);
        json_object_set(check, "files", files);
    }
    pgd_error("check %s failed (backup_page_errors): %s", CHECK_NAME, detail.data);
    drill_note_finding(d, PGD_ERR_BACKUP_PAGE_ERRORS, CHECK_NAME ": %s", detail.data);
    pgd_buf_free(&detail);
    json_decref(files);
    free(manifest);
    free(errmsg);
    free(path);
}

void backup_pages_check(drill *d, json_t *info, const char *label, int repo)
{
    int64_t start = pgd_monotonic_ms();
    json_t *set = label != NULL ? find_set(info, label, repo) : NULL;
    json_t *flag = json_object_get(set, "error");
    json_t *repo_key = json_object_get(json_object_get(set, "database"), "repo-key");

    if (set == NULL)
        mark(pgd_report_set_check(d->report, CHECK_NAME, "skipped", 0,
                                  label == NULL
                                      ? "pgBackRest did not name the restored backup set"
                                      : "pgbackrest info does not list the restored backup set"));
    else if (!json_is_boolean(flag))
        mark(pgd_report_set_check(d->report, CHECK_NAME, "skipped", 0,
                                  "pgbackrest info holds no page check result for this backup set "
                                  "(taken by a pgBackRest older than its \"error\" flag)"));
    else if (json_is_false(flag))
        mark(pgd_report_set_check(d->report, CHECK_NAME, "passed", 0,
                                  "pgBackRest found no invalid page checksum while taking this "
                                  "backup set (it checks them when the cluster has data "
                                  "checksums)"));
    else
        record_flagged(
            d, label,
            repo > 0 ? repo : (int)(json_is_integer(repo_key) ? json_integer_value(repo_key) : 0),
            start);
}
