/*  test_anonymise: the pure parts of the retention pass (services/anonymiser/opd_anonymise.c):
    which rule decides a ticket's retention, and which custom field values
    are personal data. The pass itself runs against Redis in
    tests/integration/test_anonymiser.py. */
#include "opd_anonymise.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static const char *s_config =
    "ticket_prefix: OPD\n"
    "calendars: {always: {timezone: UTC, hours: 24x7}}\n"
    "slo_policies: [{name: standard, match: {}, calendar: always, first_response: 4h, resolution: 16h}]\n"
    "categories: {hardware: {laptop: {}, printer: {}}, access: {}}\n"
    "teams: [{id: service-desk, calendar: always}]\n"
    "default_team: service-desk\n"
    "request_types:\n"
    "  - id: new-laptop\n"
    "    fields:\n"
    "      - {name: cost_centre, type: string}\n"
    "      - {name: manager_email, type: email, pii: true}\n"
    "      - {name: manager_phone, type: phone, pii: true}\n"
    "retention: {closed_days: 365, per_category: {access: 90, hardware: 30, hardware/laptop: 10},\n"
    "            per_request_type: {new-laptop: 0}}\n";

static opd_config_t *
s_cfg (void)
{
    char err[512] = "";
    opd_config_t *cfg = opd_config_parse (s_config, strlen (s_config), "test", err, sizeof err);
    if (!cfg)
        fail_msg ("configuration refused: %s", err);
    return cfg;
}

static void
test_anonymise_rule_is_the_most_specific_category_rule (void **state)
{
    (void) state;
    opd_config_t *cfg = s_cfg ();
    char rule[128];
    assert_int_equal (opd_anonymise_rule (cfg, "access", NULL, rule, sizeof rule), 90);
    assert_string_equal (rule, "per_category:access");
    assert_int_equal (opd_anonymise_rule (cfg, "hardware/printer", NULL, rule, sizeof rule), 30);
    assert_string_equal (rule, "per_category:hardware");
    assert_int_equal (opd_anonymise_rule (cfg, "hardware/laptop", NULL, rule, sizeof rule), 10);
    assert_string_equal (rule, "per_category:hardware/laptop");
    assert_int_equal (opd_anonymise_rule (cfg, "hardwarex", NULL, rule, sizeof rule), 365);
    assert_string_equal (rule, "closed_days");
    assert_int_equal (opd_anonymise_rule (cfg, NULL, NULL, rule, sizeof rule), 365);
    assert_string_equal (rule, "closed_days");
    opd_config_destroy (&cfg);
}

static void
test_anonymise_rule_request_type_wins_and_0_days_is_allowed (void **state)
{
    (void) state;
    opd_config_t *cfg = s_cfg ();
    char rule[128];
    assert_int_equal (opd_anonymise_rule (cfg, "hardware/laptop", "new-laptop", rule, sizeof rule), 0);
    assert_string_equal (rule, "per_request_type:new-laptop");
    assert_int_equal (opd_anonymise_rule (cfg, "hardware/laptop", "other-type", rule, sizeof rule), 10);
    assert_string_equal (rule, "per_category:hardware/laptop");
    //  The cutoff of a pass is now itself when a rule says 0 days.
    assert_int_equal (opd_anonymise_cutoff (cfg, 1000000), 1000000);
    opd_config_destroy (&cfg);
}

static void
test_anonymise_fields_replaces_only_pii_values (void **state)
{
    (void) state;
    opd_config_t *cfg = s_cfg ();
    char *out = opd_anonymise_fields (cfg, "new-laptop",
                                      "{\"cost_centre\":\"123456\",\"manager_email\":\"b@example.com\"}");
    assert_non_null (out);
    assert_string_equal (out, "{\"cost_centre\":\"123456\",\"manager_email\":\"[removed]\"}");
    free (out);
    //  Nothing personal given, no request type, or broken JSON: nothing to replace.
    assert_null (opd_anonymise_fields (cfg, "new-laptop", "{\"cost_centre\":\"123456\"}"));
    assert_null (opd_anonymise_fields (cfg, NULL, "{\"manager_email\":\"b@example.com\"}"));
    assert_null (opd_anonymise_fields (cfg, "unknown", "{\"manager_email\":\"b@example.com\"}"));
    assert_null (opd_anonymise_fields (cfg, "new-laptop", "not json"));
    assert_null (opd_anonymise_fields (cfg, "new-laptop", NULL));
    opd_config_destroy (&cfg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_anonymise_rule_is_the_most_specific_category_rule),
        cmocka_unit_test (test_anonymise_fields_replaces_only_pii_values),
        cmocka_unit_test (test_anonymise_rule_request_type_wins_and_0_days_is_allowed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
