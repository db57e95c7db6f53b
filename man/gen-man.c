/*
 * gen-man.c - writes the man page of pgdrill-bootstrap or pgdrill-verify in
 * roff, at build time, from the very tables the binaries and the README's
 * tests use: the command line (usage tables: --help), the configuration
 * keys (config.c), the exit codes (exitcode.c) and the error classes
 * (verdict.c). A page therefore cannot disagree with --help, and the README
 * cannot disagree with either (the unit tests compare it with the tables).
 *
 * Usage: gen-man PROGRAM DOCDIR OUTPUT
 *   (PROGRAM: pgdrill-bootstrap, pgdrill-verify or pgdrill-fleet, whose page has its own
 *   configuration keys and exit codes: fleet_config.c, fleet_usage.c)
 *
 * Not installed; run by man/CMakeLists.txt.
 */
#include "bootstrap_usage.h"
#include "config.h"
#include "exitcode.h"
#include "fleet_config.h"
#include "fleet_usage.h"
#include "verdict.h"
#include "verify_usage.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The table texts are markdown (the README's cells) or plain text (--help):
 * `code` becomes bold, [text](link) its text; roff's specials are escaped, a
 * hyphen becomes \- (an ASCII hyphen-minus when rendered, so options can be
 * copied), and other characters than ASCII become \[uXXXX] (groff reads its
 * input as Latin-1 unless preconv runs).
 */
static void put_text(FILE *out, const char *md)
{
    bool code = false;

    for (const unsigned char *p = (const unsigned char *)md; *p != '\0'; p++) {
        if (*p == '`') {
            fputs(code ? "\\fR" : "\\fB", out);
            code = !code;
        } else if (*p == '[' && !code && strstr((const char *)p, "](") != NULL &&
                   strchr((const char *)p, ']') == strstr((const char *)p, "](")) {
            /* a link: its text stays, the target goes */
            continue;
        } else if (*p == ']' && !code && p[1] == '(' && strchr((const char *)p, ')') != NULL) {
            p = (const unsigned char *)strchr((const char *)p, ')');
        } else if (*p == '\\') {
            fputs("\\e", out);
        } else if (*p == '-') {
            fputs("\\-", out);
        } else if ((*p == '.' || *p == '\'') && p == (const unsigned char *)md) {
            fprintf(out, "\\&%c", *p);
        } else if (*p >= 0x80) {
            unsigned long cp;
            int extra = (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : 3;

            cp = *p & (extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07);
            for (int i = 0; i < extra && (p[1] & 0xC0) == 0x80; i++)
                cp = (cp << 6) | (*++p & 0x3F);
            fprintf(out, "\\[u%04lX]", cp);
        } else {
            fputc(*p, out);
        }
    }
    if (code)
        fputs("\\fR", out);
}

/* A line of text, as a line of its own (never a request). */
static void put_line(FILE *out, const char *md)
{
    put_text(out, md);
    fputc('\n', out);
}

/* A tagged paragraph: the tag in bold, then the text. */
static void put_item(FILE *out, const char *tag, const char *md)
{
    fputs(".TP\n\\fB", out);
    put_text(out, tag);
    fputs("\\fR\n", out);
    put_line(out, md);
}

static void options(FILE *out, const pgd_usage *usage)
{
    fputs(".SH OPTIONS\n", out);
    for (const pgd_usage_option *o = usage->options; o->name != NULL; o++) {
        fputs(".TP\n", out);
        if (o->val < PGD_USAGE_LONG_ONLY)
            fprintf(out, "\\fB\\-%c\\fR, ", o->val);
        fputs("\\fB\\-\\-", out);
        put_text(out, o->name);
        fputs("\\fR", out);
        if (o->arg != NULL) {
            char name[32];
            int optional;
            const char *arg = pgd_usage_arg_name(o, name, sizeof(name), &optional);

            fprintf(out, optional ? "[=\\fI%s\\fR]" : "=\\fI%s\\fR", arg);
        }
        fputc('\n', out);
        put_line(out, o->help);
    }
}

/* One configuration key of either program's table: name, default, meaning. */
static void key_entry(FILE *out, const char *key, const char *shown_default, const char *meaning)
{
    fputs(".TP\n\\fB", out);
    put_text(out, key);
    fputs("\\fR (default: ", out);
    put_text(out, shown_default);
    fputs(")\n", out);
    put_line(out, meaning);
}

static void configuration(FILE *out)
{
    fputs(".SH CONFIGURATION\n", out);
    put_line(out, "A YAML file, from --config, else $PGDRILL_CONFIG, else " PGD_DEFAULT_CONFIG_PATH
                  ". Durations are written 30s, 5m, 2h, 1d or as plain seconds. Unknown keys, "
                  "wrong types, bad durations and missing required keys are refused with "
                  "FILE:LINE: KEY: reason and exit status 2, before anything is done. The keys, "
                  "with their defaults:");
    for (size_t i = 0; i < pgd_config_doc_count(); i++) {
        pgd_config_key_doc doc = pgd_config_doc(i);

        key_entry(out, doc.key, doc.shown_default, doc.meaning);
    }
}

static void exit_status(FILE *out, const pgd_usage *usage)
{
    size_t count;
    const pgd_exit_code_doc *codes =
        usage->exit_codes != NULL ? usage->exit_codes(&count) : pgd_exit_code_docs(&count);

    fputs(".SH EXIT STATUS\n", out);
    for (size_t i = 0; i < count; i++) {
        char tag[32];

        snprintf(tag, sizeof(tag), "%d", codes[i].code);
        fputs(".TP\n", out);
        fprintf(out, "\\fB%s\\fR (%s)\n", tag, codes[i].verdict);
        put_line(out, codes[i].meaning);
    }
}

static void error_classes(FILE *out)
{
    fputs(".SH ERROR CLASSES\n", out);
    put_line(out, "A drill that does not pass names the class of its first failure in the "
                  "report (error.class) and in the status history; the class decides the "
                  "verdict:");
    for (int c = PGD_ERR_FIRST; c <= PGD_ERR_LAST; c++) {
        pgd_error_class ec = (pgd_error_class)c;

        fputs(".TP\n\\fB", out);
        put_text(out, pgd_error_class_name(ec));
        fprintf(out, "\\fR (%s)\n", pgd_verdict_name(pgd_error_class_verdict(ec)));
        put_line(out, pgd_error_class_meaning(ec));
        fputs(".br\nWhat to do: ", out);
        put_line(out, pgd_error_class_advice(ec));
    }
}

/* .TH, NAME, SYNOPSIS, DESCRIPTION, OPTIONS and ENVIRONMENT: every page's beginning. */
static void page_head(FILE *out, const pgd_usage *usage)
{
    char upper[64];
    size_t i;

    for (i = 0; usage->program[i] != '\0' && i + 1 < sizeof(upper); i++)
        upper[i] = (char)(usage->program[i] >= 'a' && usage->program[i] <= 'z'
                              ? usage->program[i] - 'a' + 'A'
                              : usage->program[i]);
    upper[i] = '\0';
    fputs(".\\\" Generated by man/gen-man.c from the tables in the code: do not edit.\n", out);
    fputs(".TH ", out);
    put_text(out, upper);
    fputs(" 1 \"\" \"pgdrill " PGDRILL_VERSION "\" \"pgdrill\"\n", out);
    /* program names, keys and options must not be hyphenated or stretched */
    fputs(".nh\n.ad l\n", out);
    fputs(".SH NAME\n", out);
    put_text(out, usage->program);
    fputs(" \\- ", out);
    put_line(out, usage->summary);
    fputs(".SH SYNOPSIS\n.B ", out);
    put_line(out, usage->program);
    put_line(out, usage->synopsis);
    fputs(".SH DESCRIPTION\n.B ", out);
    put_line(out, usage->program);
    put_line(out, usage->description);
    if (usage->operands != NULL) {
        fputs(".PP\n", out);
        put_line(out, usage->operands);
    }
    options(out, usage);
    fputs(".SH ENVIRONMENT\n", out);
    for (const pgd_usage_env *e = usage->environment; e->name != NULL; e++)
        put_item(out, e->name, e->help);
}

static void page(FILE *out, const pgd_usage *usage, const pgd_usage *other, const char *docdir)
{
    page_head(out, usage);
    configuration(out);
    exit_status(out, usage);
    error_classes(out);
    fputs(".SH FILES\n", out);
    put_item(out, PGD_DEFAULT_CONFIG_PATH,
             "the configuration, unless --config or $PGDRILL_CONFIG "
             "names another");
    fputs(".TP\n\\fB", out);
    put_text(out, docdir);
    fputs("/examples/\\fR\n", out);
    put_line(out, "patroni.yml and pgdrill.yml of a restore-test instance under Patroni");
    fputs(".TP\n\\fB", out);
    put_text(out, docdir);
    fputs("/README.md\\fR\n", out);
    put_line(out, "the whole documentation: the flow of a drill, running it under Patroni or "
                  "Kubernetes, the report, fleet bookkeeping, what a drill proves");
    fputs(".SH SEE ALSO\n", out);
    fputs(".BR ", out);
    put_text(out, other->program);
    fputs(" (1),\n.BR pgbackrest (1),\n.BR pg_dump (1),\n.BR pg_amcheck (1),\n"
          ".BR pg_checksums (1),\n.BR patroni (1)\n",
          out);
}

static void fleet_configuration(FILE *out)
{
    fputs(".SH CONFIGURATION\n", out);
    put_line(
        out,
        "A YAML file, from --config, else $PGDRILL_FLEET_CONFIG, else " FLEET_DEFAULT_CONFIG_PATH
        ", loaded like pgdrill.yml: FILE:LINE: KEY: reason "
        "and exit status 2 for anything wrong. The keys, with their defaults "
        "(scopes[] and inventory.static[] are lists of mappings with the keys "
        "shown):");
    for (size_t i = 0; i < fleet_config_doc_count(); i++) {
        fleet_config_key_doc doc = fleet_config_doc(i);

        key_entry(out, doc.key, doc.shown_default, doc.meaning);
    }
}

/* pgdrill-fleet's page: its keys, its exit codes, the classes it writes itself. */
static void fleet_page(FILE *out, const char *docdir)
{
    static const pgd_error_class own[] = {PGD_ERR_NEVER_STARTED, PGD_ERR_LAUNCH_FAILED};

    page_head(out, &pgd_fleet_usage);
    fleet_configuration(out);
    exit_status(out, &pgd_fleet_usage);
    fputs(".SH ERROR CLASSES\n", out);
    put_line(out, "Besides the drills' own rows, the deployer ends a launch with an "
                  "inconclusive row of one of these classes:");
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        fputs(".TP\n\\fB", out);
        put_text(out, pgd_error_class_name(own[i]));
        fprintf(out, "\\fR (%s)\n", pgd_verdict_name(pgd_error_class_verdict(own[i])));
        put_line(out, pgd_error_class_meaning(own[i]));
        fputs(".br\nWhat to do: ", out);
        put_line(out, pgd_error_class_advice(own[i]));
    }
    fputs(".SH FILES\n", out);
    put_item(out, FLEET_DEFAULT_CONFIG_PATH,
             "the configuration, unless --config or $PGDRILL_FLEET_CONFIG names another");
    fputs(".TP\n\\fB", out);
    put_text(out, docdir);
    fputs("/examples/\\fR\n", out);
    put_line(out, "fleet.yml, and the systemd units pgdrill-fleet.service (watch) and "
                  "pgdrill-fleet-run.service with pgdrill-fleet-run.timer (run)");
    fputs(".TP\n\\fB", out);
    put_text(out, docdir);
    fputs("/README.md\\fR\n", out);
    put_line(out, "the whole documentation; \"Scheduling a fleet\" for the deployer: "
                  "inventory, who is due, runners, metrics and alerts, the manifests");
    fputs(".SH SEE ALSO\n.BR pgdrill-bootstrap (1),\n.BR pgdrill-verify (1),\n"
          ".BR patroni (1),\n.BR etcd (1)\n",
          out);
}

int main(int argc, char **argv)
{
    const pgd_usage *usage;
    const pgd_usage *other;
    FILE *out;

    if (argc != 4) {
        fprintf(stderr, "usage: gen-man PROGRAM DOCDIR OUTPUT\n");
        return 2;
    }
    if (strcmp(argv[1], pgd_bootstrap_usage.program) == 0) {
        usage = &pgd_bootstrap_usage;
        other = &pgd_verify_usage;
    } else if (strcmp(argv[1], pgd_verify_usage.program) == 0) {
        usage = &pgd_verify_usage;
        other = &pgd_bootstrap_usage;
    } else if (strcmp(argv[1], pgd_fleet_usage.program) == 0) {
        usage = &pgd_fleet_usage;
        other = NULL;
    } else {
        fprintf(stderr, "gen-man: unknown program \"%s\"\n", argv[1]);
        return 2;
    }
    out = fopen(argv[3], "w");
    if (out == NULL) {
        perror(argv[3]);
        return 1;
    }
    if (other == NULL)
        fleet_page(out, argv[2]);
    else
        page(out, usage, other, argv[2]);
    if (ferror(out) || fclose(out) != 0) {
        perror(argv[3]);
        return 1;
    }
    return 0;
}
