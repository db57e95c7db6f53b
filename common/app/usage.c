/*
 * usage.c - --help and getopt_long's tables from one description of a
 * binary's command line (usage.h).
 */
#include "usage.h"

#include "exitcode.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HELP_WIDTH    79 /* like PostgreSQL's tools: fits an 80-column terminal */
#define OPTION_COLUMN 27 /* where an option's help starts: "  -c, --config=PATH        " */
#define EXIT_COLUMN   19 /* "  0  passed        " */

/*
 * text from column col on, wrapped at HELP_WIDTH with continuation lines
 * indented to indent; a line break in text starts a new paragraph.
 */
static void print_wrapped(FILE *out, const char *text, size_t col, size_t indent)
{
    const char *p = text;
    bool need_space = false;

    while (*p != '\0') {
        size_t word = strcspn(p, " \n");

        if (need_space && col + 1 + word > HELP_WIDTH) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
            need_space = false;
        }
        if (need_space) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)word, p);
        col += word;
        p += word;
        need_space = true;
        if (*p == '\n') {
            fprintf(out, "\n\n%*s", (int)indent, "");
            col = indent;
            need_space = false;
        }
        while (*p == ' ' || *p == '\n')
            p++;
    }
    fputc('\n', out);
}

const char *pgd_usage_arg_name(const pgd_usage_option *option, char *buf, size_t size,
                               int *optional)
{
    size_t length = option->arg != NULL ? strlen(option->arg) : 0;

    *optional = length > 2 && option->arg[0] == '[' && option->arg[length - 1] == ']';
    if (!*optional)
        return option->arg;
    snprintf(buf, size, "%.*s", (int)(length - 2), option->arg + 1);
    return buf;
}

void pgd_usage_flags(const pgd_usage_option *option, char *buf, size_t size)
{
    char short_form[8] = "";
    char name[32];
    int optional;
    const char *arg = pgd_usage_arg_name(option, name, sizeof(name), &optional);

    if (option->val < PGD_USAGE_LONG_ONLY)
        snprintf(short_form, sizeof(short_form), "-%c, ", option->val);
    snprintf(buf, size, "%s--%s%s%s%s", short_form, option->name,
             arg == NULL ? ""
             : optional  ? "[="
                         : "=",
             arg ? arg : "", optional ? "]" : "");
}

/* "  -c, --config=PATH        text", the text at OPTION_COLUMN (on the next line if need be). */
static void print_entry(FILE *out, const char *label, const char *help)
{
    int col = fprintf(out, "  %s", label);

    if (col + 2 > OPTION_COLUMN) {
        fprintf(out, "\n%*s", OPTION_COLUMN, "");
    } else {
        fprintf(out, "%*s", OPTION_COLUMN - col, "");
    }
    print_wrapped(out, help, OPTION_COLUMN, OPTION_COLUMN);
}

void pgd_usage_print(const pgd_usage *usage, FILE *out)
{
    size_t count;
    const pgd_exit_code_doc *codes =
        usage->exit_codes != NULL ? usage->exit_codes(&count) : pgd_exit_code_docs(&count);

    fprintf(out, "%s ", usage->program);
    print_wrapped(out, usage->description, strlen(usage->program) + 1, 0);
    fprintf(out, "\nUsage:\n  %s %s\n\nOptions:\n", usage->program, usage->synopsis);
    for (const pgd_usage_option *o = usage->options; o->name != NULL; o++) {
        char flags[64];
        /* long-only options line up with the long forms: "      --scope=NAME" */
        size_t at = o->val >= PGD_USAGE_LONG_ONLY ? 4 : 0;

        memset(flags, ' ', at);
        pgd_usage_flags(o, flags + at, sizeof(flags) - at);
        print_entry(out, flags, o->help);
    }
    if (usage->operands != NULL) {
        fputc('\n', out);
        print_wrapped(out, usage->operands, 0, 0);
    }
    fprintf(out, "\nEnvironment:\n");
    for (const pgd_usage_env *e = usage->environment; e->name != NULL; e++)
        print_entry(out, e->name, e->help);
    fprintf(out, "\nExit status:\n");
    for (size_t i = 0; i < count; i++) {
        int col = fprintf(out, "  %d  %-13s ", codes[i].code, codes[i].verdict);

        print_wrapped(out, codes[i].meaning, (size_t)col, EXIT_COLUMN);
    }
}

void pgd_usage_getopt(const pgd_usage *usage, struct option *longopts, size_t max_long,
                      char *shortopts, size_t max_short)
{
    size_t n = 0;
    size_t s = 0;

    for (const pgd_usage_option *o = usage->options; o->name != NULL; o++, n++) {
        char name[32];
        int optional;
        const char *arg = pgd_usage_arg_name(o, name, sizeof(name), &optional);

        if (n + 1 >= max_long || s + 3 >= max_short)
            abort();
        longopts[n] = (struct option){o->name,
                                      arg == NULL ? no_argument
                                      : optional  ? optional_argument
                                                  : required_argument,
                                      NULL, o->val};
        if (o->val < PGD_USAGE_LONG_ONLY) {
            shortopts[s++] = (char)o->val;
            if (o->arg != NULL)
                shortopts[s++] = ':';
        }
    }
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    shortopts[s] = '\0';
}
