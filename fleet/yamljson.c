/*
 * yamljson.c - a YAML document as JSON (yamljson.h).
 */
#include "yamljson.h"

#include "xalloc.h"

#include <yaml.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Deeper nesting than this is not a manifest (and would exhaust the stack on recursion). */
#define MAX_DEPTH 64

static json_t *convert(yaml_document_t *doc, yaml_node_t *node, int depth, char **errmsg);

static int node_line(const yaml_node_t *node)
{
    return (int)node->start_mark.line + 1;
}

static bool integer_text(const char *text, json_int_t *value)
{
    const char *digits = text + (text[0] == '-' || text[0] == '+');
    int base = 10;
    char *end;

    if (digits[0] == '\0')
        return false;
    if (strncmp(digits, "0x", 2) == 0)
        base = 16, digits += 2;
    else if (strncmp(digits, "0o", 2) == 0)
        base = 8, digits += 2;
    else if (digits[0] == '0' && digits[1] != '\0')
        base = 8, digits += 1; /* YAML 1.1: 0400 is octal (file modes) */
    if (digits[0] == '\0' || !isalnum((unsigned char)digits[0]))
        return false;
    errno = 0;
    *value = (json_int_t)strtoll(digits, &end, base);
    if (errno != 0 || *end != '\0')
        return false;
    if (text[0] == '-')
        *value = -*value;
    return true;
}

static bool float_text(const char *text, double *value)
{
    char *end;

    if (strspn(text, "+-0123456789.eE") != strlen(text) || strchr(text, '.') == NULL)
        return false;
    errno = 0;
    *value = strtod(text, &end);
    return errno == 0 && *end == '\0' && end != text;
}

static json_t *scalar(const yaml_node_t *node)
{
    static const char *const yes[] = {"true", "yes", "on", "y"};
    static const char *const no[] = {"false", "no", "off", "n"};
    const char *text = (const char *)node->data.scalar.value;
    json_int_t integer;
    double real;

    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_string(text);
    if (text[0] == '\0' || strcmp(text, "~") == 0 || strcasecmp(text, "null") == 0)
        return json_null();
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return json_true();
        if (strcasecmp(text, no[i]) == 0)
            return json_false();
    }
    if (integer_text(text, &integer))
        return json_integer(integer);
    if (float_text(text, &real))
        return json_real(real);
    return json_string(text);
}

static json_t *mapping(yaml_document_t *doc, yaml_node_t *node, int depth, char **errmsg)
{
    json_t *object = json_object();

    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(doc, pair->value);
        const char *key;
        json_t *value;

        if (k->type != YAML_SCALAR_NODE) {
            *errmsg = pgd_asprintf("%d: a key must be a string", node_line(k));
            json_decref(object);
            return NULL;
        }
        key = (const char *)k->data.scalar.value;
        if (json_object_get(object, key) != NULL) {
            *errmsg = pgd_asprintf("%d: %s: duplicate key", node_line(k), key);
            json_decref(object);
            return NULL;
        }
        value = convert(doc, v, depth + 1, errmsg);
        if (value == NULL) {
            json_decref(object);
            return NULL;
        }
        json_object_set_new(object, key, value);
    }
    return object;
}

static json_t *convert(yaml_document_t *doc, yaml_node_t *node, int depth, char **errmsg)
{
    json_t *array;

    if (depth > MAX_DEPTH) {
        *errmsg = pgd_asprintf("%d: nested deeper than %d levels", node_line(node), MAX_DEPTH);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return scalar(node);
    case YAML_MAPPING_NODE:
        return mapping(doc, node, depth, errmsg);
    case YAML_SEQUENCE_NODE:
        array = json_array();
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++) {
            json_t *item = convert(doc, yaml_document_get_node(doc, *it), depth + 1, errmsg);

            if (item == NULL) {
                json_decref(array);
                return NULL;
            }
            json_array_append_new(array, item);
        }
        return array;
    case YAML_NO_NODE:
        break;
    }
    return json_null();
}

json_t *fleet_yaml_to_json(const char *text, char **errmsg)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_document_t extra;
    yaml_node_t *root;
    json_t *out = NULL;

    if (!yaml_parser_initialize(&parser)) {
        *errmsg = pgd_strdup("1: could not initialize the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&parser, &doc)) {
        *errmsg = pgd_asprintf("%d: %s", (int)parser.problem_mark.line + 1,
                               parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return NULL;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL)
        *errmsg = pgd_strdup("1: the document is empty");
    else if (yaml_parser_load(&parser, &extra)) {
        bool more = yaml_document_get_root_node(&extra) != NULL;

        if (more)
            *errmsg = pgd_asprintf("%d: only one YAML document is allowed",
                                   (int)extra.start_mark.line + 1);
        else
            out = convert(&doc, root, 0, errmsg);
        yaml_document_delete(&extra);
    } else
        *errmsg = pgd_asprintf("%d: %s", (int)parser.problem_mark.line + 1,
                               parser.problem ? parser.problem : "syntax error");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return out;
}
