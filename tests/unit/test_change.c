/*  test_change: the checks of store/src/opd_change.c that the command line
    (opdesk update) and the HTTP API (PATCH /api/v1/tickets/ID) share:
    custom field values typed from text and checked against a request type. */
#include "opd_change.h"
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
    "categories: {hardware: {}}\n"
    "teams: [{id: service-desk, calendar: always}]\n"
    "default_team: service-desk\n"
    "agents: [{id: alice, email: alice@example.org, teams: [service-desk]}]\n"
    "request_types:\n"
    "  - id: kit\n"
    "    fields:\n"
    "      - {name: cost_centre, type: string, required: true, pattern: \"^[0-9]{6}$\"}\n"
    "      - {name: model, type: enum, values: [standard, developer]}\n"
    "      - {name: count, type: integer}\n"
    "      - {name: weight, type: number}\n"
    "      - {name: urgent, type: boolean}\n"
    "      - {name: manager, type: email}\n"
    "      - {name: start, type: date}\n"
    "      - {name: phone, type: phone}\n"
    "notifications: {smtp: {url: \"smtp://127.0.0.1:2525\", from: desk@example.org}}\n";

static opd_config_t *
s_load (void)
{
    char err[512];
    opd_config_t *cfg = opd_config_parse (s_config, strlen (s_config), "test", err, sizeof err);
    if (!cfg)
        fail_msg ("%s", err);
    return cfg;
}

//  Checks text typed and checked; returns the error ("" when accepted).
static const char *
s_check_text (const opd_reqtype_t *rt, const char *name, const char *text)
{
    static char err[512];
    err[0] = 0;
    json_t *v = NULL;
    if (opd_field_from_text (rt, name, text, &v, err, sizeof err) == 0)
        opd_field_check (rt, name, v, err, sizeof err);
    json_decref (v);
    return err;
}

static void
test_change_types_text_by_the_field_definition (void **state)
{
    (void) state;
    opd_config_t *cfg = s_load ();
    const opd_reqtype_t *rt = opd_config_reqtype (cfg, "kit");
    char err[256];
    json_t *v = NULL;
    assert_int_equal (opd_field_from_text (rt, "count", "42", &v, err, sizeof err), 0);
    assert_true (json_is_integer (v) && json_integer_value (v) == 42);
    json_decref (v);
    assert_int_equal (opd_field_from_text (rt, "weight", "1.5", &v, err, sizeof err), 0);
    assert_true (json_is_real (v));
    json_decref (v);
    assert_int_equal (opd_field_from_text (rt, "urgent", "true", &v, err, sizeof err), 0);
    assert_true (json_is_true (v));
    json_decref (v);
    assert_int_equal (opd_field_from_text (rt, "model", "standard", &v, err, sizeof err), 0);
    assert_string_equal (json_string_value (v), "standard");
    json_decref (v);
    //  "" removes the field.
    assert_int_equal (opd_field_from_text (rt, "model", "", &v, err, sizeof err), 0);
    assert_null (v);
    assert_int_equal (opd_field_from_text (rt, "count", "4x", &v, err, sizeof err), -1);
    assert_non_null (strstr (err, "fields.count must be a whole number"));
    assert_int_equal (opd_field_from_text (rt, "urgent", "maybe", &v, err, sizeof err), -1);
    assert_int_equal (opd_field_from_text (NULL, "anything", "\xff", &v, err, sizeof err), -1);
    opd_config_destroy (&cfg);
}

static void
test_change_checks_values_against_the_request_type (void **state)
{
    (void) state;
    opd_config_t *cfg = s_load ();
    const opd_reqtype_t *rt = opd_config_reqtype (cfg, "kit");
    assert_string_equal (s_check_text (rt, "cost_centre", "123456"), "");
    assert_non_null (strstr (s_check_text (rt, "cost_centre", "12a"), "pattern"));
    assert_non_null (strstr (s_check_text (rt, "cost_centre", ""), "required and cannot be removed"));
    assert_non_null (strstr (s_check_text (rt, "model", "gaming"), "one of standard, developer, not 'gaming'"));
    assert_non_null (strstr (s_check_text (rt, "colour", "red"),
                             "no such field; its fields: cost_centre, model, count, weight, urgent, manager"));
    assert_string_equal (s_check_text (rt, "manager", "boss@example.org"), "");
    assert_non_null (strstr (s_check_text (rt, "manager", "boss"), "not an email address"));
    assert_string_equal (s_check_text (rt, "start", "2026-02-28"), "");
    assert_non_null (strstr (s_check_text (rt, "start", "2026-02-30"), "not a date"));
    assert_string_equal (s_check_text (rt, "phone", "+442079460000"), "");
    assert_non_null (strstr (s_check_text (rt, "phone", "020 7946"), "E.164"));
    //  JSON values of the wrong type (the HTTP API sends JSON, not text).
    char err[256];
    json_t *s = json_string ("3");
    assert_int_equal (opd_field_check (rt, "count", s, err, sizeof err), -1);
    json_decref (s);
    json_t *obj = json_object ();
    assert_int_equal (opd_field_check (NULL, "free", obj, err, sizeof err), -1);
    json_decref (obj);
    //  Without a request type, any scalar goes.
    json_t *n = json_integer (7);
    assert_int_equal (opd_field_check (NULL, "free", n, err, sizeof err), 0);
    json_decref (n);
    opd_config_destroy (&cfg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_change_types_text_by_the_field_definition),
        cmocka_unit_test (test_change_checks_values_against_the_request_type),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
