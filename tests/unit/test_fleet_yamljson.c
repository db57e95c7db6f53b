/*
 * test_fleet_yamljson.c - a YAML manifest as the JSON the Kubernetes API takes
 * (fleet/yamljson.c): scalars typed as Kubernetes' YAML 1.1 decoder types them.
 */
#include "yamljson.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static void assert_json(const char *yaml, const char *json)
{
    char *errmsg = NULL;
    json_t *value = fleet_yaml_to_json(yaml, &errmsg);
    char *text;

    if (value == NULL)
        fail_msg("%s: %s", yaml, errmsg);
    text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    assert_string_equal(text, json);
    free(text);
    json_decref(value);
}

static void assert_refused(const char *yaml, const char *expected)
{
    char *errmsg = NULL;
    json_t *value = fleet_yaml_to_json(yaml, &errmsg);

    assert_null(value);
    assert_string_equal(errmsg, expected);
    free(errmsg);
}

static void test_scalars(void **state)
{
    (void)state;
    assert_json("a: 1\nb: -7\nc: 0\nd: 0400\ne: 0x1F\nf: 0o17\ng: 1.5\nh: 08\n",
                "{\"a\":1,\"b\":-7,\"c\":0,\"d\":256,\"e\":31,\"f\":15,\"g\":1.5,\"h\":\"08\"}");
    assert_json("[true, false, yes, No, on, OFF, y, n]",
                "[true,false,true,false,true,false,true,false]");
    assert_json("a:\nb: ~\nc: null\nd: \"null\"\ne: '1'\nf: \"true\"\n",
                "{\"a\":null,\"b\":null,\"c\":null,\"d\":\"null\",\"e\":\"1\",\"f\":\"true\"}");
    assert_json("a: 1.2.3\nb: v1\nc: \"{scope}\"\nd: '*/5 * * * *'\n",
                "{\"a\":\"1.2.3\",\"b\":\"v1\",\"c\":\"{scope}\",\"d\":\"*/5 * * * *\"}");
    assert_json("s: |\n  line 1\n  ${f##*/}\n", "{\"s\":\"line 1\\n${f##*/}\\n\"}");
}

static void test_structure(void **state)
{
    (void)state;
    assert_json("a: &x {b: [1, {c: d}]}\ne: *x\n",
                "{\"a\":{\"b\":[1,{\"c\":\"d\"}]},\"e\":{\"b\":[1,{\"c\":\"d\"}]}}");
    assert_json("- - []\n  - {}\n", "[[[],{}]]");
}

static void test_refused(void **state)
{
    (void)state;
    assert_refused("a: 1\na: 2\n", "2: a: duplicate key");
    assert_refused("? [1]\n: 2\n", "1: a key must be a string");
    assert_refused("a: [1\n", "2: did not find expected ',' or ']'");
    assert_refused("", "1: the document is empty");
    assert_refused("a: 1\n---\nb: 2\n", "2: only one YAML document is allowed");
    {
        char deep[400];
        char *errmsg = NULL;

        memset(deep, '[', 100);
        memset(deep + 100, ']', 100);
        deep[200] = '\0';
        assert_null(fleet_yaml_to_json(deep, &errmsg));
        assert_non_null(strstr(errmsg, "nested deeper than 64 levels"));
        free(errmsg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
