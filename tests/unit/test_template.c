/*  opd_template: the variables of standard responses, filled once,
    strictly, with values as text. */
#include "opd_template.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void
test_template_fills_every_variable (void **state)
{
    (void) state;
    json_t *fields = json_pack ("{s:s, s:i, s:b}", "model", "developer", "count", 3, "urgent", 1);
    opd_template_values_t v = {"OPD-7", "VPN down", "Rita", "Monday 1 ...", "Tuesday 2 ...", fields};
    char *out;
    opd_template_error_t err;
    assert_int_equal (opd_template_render ("{{ticket.id}} {{ ticket.subject }} {{requester.name}} "
                                           "{{due.first_response}}/{{due.resolution}} "
                                           "{{fields.model}} {{fields.count}} {{fields.urgent}}",
                                           &v, &out, &err),
                      0);
    assert_string_equal (out, "OPD-7 VPN down Rita Monday 1 .../Tuesday 2 ... developer 3 yes");
    free (out);
    json_decref (fields);
}

static void
test_template_values_are_never_expanded_again (void **state)
{
    (void) state;
    opd_template_values_t v = {"OPD-7", "{{requester.name}}", "Ri\r\nBcc: x\tta {{ticket.id}}", NULL, NULL, NULL};
    char *out;
    opd_template_error_t err;
    assert_int_equal (opd_template_render ("[{{ticket.subject}}] [{{requester.name}}]", &v, &out, &err), 0);
    //  Values are one line: control characters and runs of spaces become one space.
    assert_string_equal (out, "[{{requester.name}}] [Ri Bcc: x ta {{ticket.id}}]");
    free (out);
}

static void
test_template_refuses_unknown_empty_and_unclosed (void **state)
{
    (void) state;
    json_t *fields = json_pack ("{s:s, s:n}", "blank", " \n ", "none");
    opd_template_values_t v = {"OPD-7", "", NULL, NULL, NULL, fields};
    char *out = (char *) "x";
    opd_template_error_t err;
    const struct {
        const char *text, *name, *why;
    } cases[] = {
        {"Hi {{requester.nmae}}", "requester.nmae", "is not a known variable"},
        {"Hi {{requester.name}}", "requester.name", "has no value for this ticket"},
        {"{{ticket.subject}}", "ticket.subject", "has no value for this ticket"},
        {"{{due.resolution}}", "due.resolution", "has no value for this ticket"},
        {"{{fields.blank}}", "fields.blank", "has no value for this ticket"},
        {"{{fields.none}}", "fields.none", "has no value for this ticket"},
        {"{{fields.missing}}", "fields.missing", "has no value for this ticket"},
        {"{{fields.a b}}", "fields.a b", "is not a known variable"},
        {"Hi {{ticket.id", "ticket.id", "is not closed with }}"},
        {"Hi {{ticket.id\n}}", "ticket.id", "is not closed with }}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal (opd_template_render (cases[i].text, &v, &out, &err), -1);
        assert_null (out);
        assert_string_equal (err.name, cases[i].name);
        assert_string_equal (err.why, cases[i].why);
    }
    assert_int_equal (opd_template_check ("{{ticket.id}} {{fields.cost_centre}} no braces", &err), 0);
    assert_int_equal (opd_template_check ("{{ticket.ids}}", &err), -1);
    json_decref (fields);
}

static void
test_template_when_is_in_the_time_zone_given (void **state)
{
    (void) state;
    char buf[96];
    //  2026-07-07 09:00 UTC: 10:00 in London (summer time), 18:00 in Tokyo.
    int64_t ms = 1783414800000LL;
    opd_template_when (ms, "Europe/London", buf, sizeof buf);
    assert_string_equal (buf, "Tuesday 7 July 2026 10:00 (Europe/London)");
    opd_template_when (ms, "Asia/Tokyo", buf, sizeof buf);
    assert_string_equal (buf, "Tuesday 7 July 2026 18:00 (Asia/Tokyo)");
    opd_template_when (ms, NULL, buf, sizeof buf);
    assert_string_equal (buf, "Tuesday 7 July 2026 09:00 (UTC)");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_template_fills_every_variable),
        cmocka_unit_test (test_template_values_are_never_expanded_again),
        cmocka_unit_test (test_template_refuses_unknown_empty_and_unclosed),
        cmocka_unit_test (test_template_when_is_in_the_time_zone_given),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
