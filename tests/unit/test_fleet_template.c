/*
 * test_fleet_template.c - placeholders in the runners' templates (fleet/template.c) and
 * the drills' DNS-1123 names.
 */
#include "template.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_expand(void **state)
{
    fleet_vars vars;
    char *out;

    (void)state;
    memset(&vars, 0, sizeof(vars));
    vars.value[FLEET_PH_SCOPE] = "orders";
    vars.value[FLEET_PH_TEST_ID] = "8c1f0e9a-1111";
    vars.value[FLEET_PH_SOURCE_PORT] = "5432";
    out = fleet_template_expand("--scope={scope} {test_id}:{source_port}{source_host}", &vars);
    assert_string_equal(out, "--scope=orders 8c1f0e9a-1111:5432");
    free(out);
    out = fleet_template_expand("{{literal}} {{{scope}}} }}", &vars);
    assert_string_equal(out, "{literal} {orders} }");
    free(out);
    out = fleet_template_expand("plain", &vars);
    assert_string_equal(out, "plain");
    free(out);
    /* an unchecked template is not half expanded */
    out = fleet_template_expand("{scope} {nope}", &vars);
    assert_string_equal(out, "{scope} {nope}");
    free(out);
}

static void test_check(void **state)
{
    char *why = NULL;

    (void)state;
    for (int i = 0; i < FLEET_PH_COUNT; i++) {
        char text[64];

        snprintf(text, sizeof(text), "x{%s}y", fleet_placeholder_name((fleet_placeholder)i));
        assert_true(fleet_template_check(text, &why));
    }
    assert_null(fleet_placeholder_name(FLEET_PH_COUNT));
    assert_true(fleet_template_check("{{}}", &why));
    assert_false(fleet_template_check("{scope", &why));
    assert_string_equal(why, "\"{\" without \"}\" (write \"{{\" for a brace)");
    free(why);
    assert_false(fleet_template_check("a}b", &why));
    assert_string_equal(why, "\"}\" without \"{\" (write \"}}\" for a brace)");
    free(why);
    assert_false(fleet_template_check("{}", &why));
    assert_non_null(strstr(why, "unknown placeholder \"{}\""));
    free(why);
    assert_false(fleet_template_check("{Scope}", &why));
    assert_non_null(strstr(why, "unknown placeholder \"{Scope}\" (known: {scope}, {stanza}"));
    free(why);
}

/* A manifest's shell scripts keep their braces; a placeholder-like word must be known. */
static void test_manifest(void **state)
{
    fleet_vars vars;
    char *why = NULL;
    char *out;

    (void)state;
    memset(&vars, 0, sizeof(vars));
    vars.value[FLEET_PH_DRILL_NAME] = "orders-8c1f0e9a";
    assert_true(
        fleet_manifest_check("for f in \"$1\"/*; do cat \"$f\" >\"$2/${f##*/}\"; done", &why));
    assert_true(fleet_manifest_check("{ cat \"$3\"; printf '\\n'; } >x; {}", &why));
    out = fleet_manifest_expand("name: {drill_name} ${f##*/} {X} { a; }", &vars);
    assert_string_equal(out, "name: orders-8c1f0e9a ${f##*/} {X} { a; }");
    free(out);
    assert_false(fleet_manifest_check("{drill_nmae}", &why));
    assert_string_equal(why, "unknown placeholder \"{drill_nmae}\" (known: {scope}, {stanza}, "
                             "{test_id}, {source_host}, {source_port}, {leader}, {api_url}, "
                             "{found_in}, {drill_name}, {recovery_target})");
    free(why);
    /* strict templates (argv) refuse what manifests allow */
    assert_false(fleet_template_check("${f##*/}", &why));
    free(why);
}

/*
 * A launch's recovery target reaches the drill both ways: the placeholder in argv and
 * manifests, and bootstrap's PGDRILL_RECOVERY_TARGET, which both runners set from the table.
 */
static void test_recovery_target(void **state)
{
    fleet_vars vars;
    bool in_table = false;
    char *out;

    (void)state;
    memset(&vars, 0, sizeof(vars));
    vars.value[FLEET_PH_RECOVERY_TARGET] = "random";
    out = fleet_template_expand("--recovery-target={recovery_target}", &vars);
    assert_string_equal(out, "--recovery-target=random");
    free(out);
    out = fleet_manifest_expand("{recovery_target}", &vars);
    assert_string_equal(out, "random");
    free(out);
    for (size_t i = 0; i < fleet_drill_variable_count; i++) {
        if (strcmp(fleet_drill_variables[i].name, "PGDRILL_RECOVERY_TARGET") == 0) {
            assert_int_equal(fleet_drill_variables[i].placeholder, FLEET_PH_RECOVERY_TARGET);
            in_table = true;
        }
    }
    assert_true(in_table);
}

static void test_drill_name(void **state)
{
    static const struct {
        const char *scope;
        const char *test_id;
        const char *name;
    } cases[] = {
        {"orders", "8c1f0e9a-5b2c-4d3e-9f10-111213141516", "orders-8c1f0e9a"},
        {"Orders_EU.main", "ABCDEF12-0000", "orders-eu-main-abcdef12"},
        {"--x--", "12", "x-12"},
        {"__", "abcdefgh", "x-abcdefgh"},
        {"ßcope", "a_b", "cope-axb"},
        {"a234567890123456789012345678901234567890123456789012345678901234567890", "12345678",
         "a23456789012345678901234567890123456789012345678901234-12345678"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *name = fleet_drill_name(cases[i].scope, cases[i].test_id);

        assert_string_equal(name, cases[i].name);
        assert_true(strlen(name) <= 63);
        free(name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand),     cmocka_unit_test(test_check),
        cmocka_unit_test(test_manifest),   cmocka_unit_test(test_recovery_target),
        cmocka_unit_test(test_drill_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
