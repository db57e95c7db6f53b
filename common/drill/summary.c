/*
 * summary.c - the one-screen human summary of a report.
 */
#include "summary.h"

#include "secret.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *or_dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "-";
}

static void print_line(FILE *out, const char *label, const char *value)
{
    char *masked = pgd_secret_mask(value);

    fprintf(out, "  %-13s %s\n", label, masked);
    free(masked);
}

/* "signature:" with report.signing_key: the file and the key, or why there is none. */
static void print_signature(FILE *out, const json_t *signature, pgd_buf *line)
{
    const char *error = json_string_value(json_object_get(signature, "error"));

    if (!json_is_object(signature))
        return;
    pgd_buf_reset(line);
    if (error != NULL)
        pgd_buf_appendf(line, "not signed: %s", error);
    else
        pgd_buf_appendf(line, "%s (Ed25519 key %s)",
                        or_dash(json_string_value(json_object_get(signature, "file"))),
                        or_dash(json_string_value(json_object_get(signature, "key_fingerprint"))));
    print_line(out, "signature:", line->data);
}

void pgd_print_summary(const pgd_report *report, FILE *out)
{
    json_t *root = report->root;
    json_t *error = json_object_get(root, "error");
    json_t *timings = json_object_get(root, "timings");
    json_t *checks = json_object_get(root, "checks");
    const char *verdict = or_dash(pgd_report_get_string(report, "verdict"));
    char upper[32];
    pgd_buf line;
    const char *key;
    json_t *value;
    size_t i;

    for (i = 0; i + 1 < sizeof(upper) && verdict[i] != '\0'; i++)
        upper[i] = (char)toupper((unsigned char)verdict[i]);
    upper[i] = '\0';

    fprintf(
        out, "\npgdrill: drill %s of scope %s: %s%s%s%s\n",
        or_dash(pgd_report_get_string(report, "test_id")),
        or_dash(pgd_report_get_string(report, "scope")), upper, json_is_object(error) ? " (" : "",
        json_is_object(error) ? or_dash(json_string_value(json_object_get(error, "class"))) : "",
        json_is_object(error) ? ")" : "");
    if (json_is_object(error)) {
        print_line(out, "error:", or_dash(json_string_value(json_object_get(error, "message"))));
        if (json_string_value(json_object_get(error, "hint")) != NULL)
            print_line(out, "hint:", json_string_value(json_object_get(error, "hint")));
    }
    pgd_buf_init(&line);
    pgd_buf_appendf(&line, "%s (%s, ended %s)",
                    or_dash(pgd_report_get_nested(report, "backup", "label")),
                    or_dash(pgd_report_get_nested(report, "backup", "type")),
                    or_dash(pgd_report_get_nested(report, "backup", "stop_time")));
    print_line(out, "backup set:", line.data);
    print_line(out, "target time:", or_dash(pgd_report_get_string(report, "target_time")));

    pgd_buf_reset(&line);
    json_object_foreach(timings, key, value)
    {
        pgd_buf_appendf(&line, "%s%s %.1fs", line.len > 0 ? ", " : "", key,
                        json_number_value(value));
    }
    print_line(out, "phases:", or_dash(line.data));

    json_array_foreach(checks, i, value)
    {
        const char *detail = json_string_value(json_object_get(value, "detail"));

        pgd_buf_reset(&line);
        pgd_buf_appendf(&line, "%-8s %-13s %5.1fs  %s",
                        or_dash(json_string_value(json_object_get(value, "status"))),
                        or_dash(json_string_value(json_object_get(value, "name"))),
                        json_number_value(json_object_get(value, "seconds")), or_dash(detail));
        print_line(out, i == 0 ? "checks:" : "", line.data);
    }
    print_line(out, "report:", report->path);
    print_signature(out, json_object_get(root, "signature"), &line);
    pgd_buf_free(&line);
    fflush(out);
}
