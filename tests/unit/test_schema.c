/*  test_schema: the code generated from proto/schema.yaml. The round trips
    of the schema's own samples are generated too (schema_samples.inc); the
    cases below are the ones a sample cannot show: malformed members, ids
    that hold the separator, the clock table, the ticket reader's slots. */
#include "opd_alive.h"
#include "opd_schema.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "schema_samples.inc"

static void
test_member_parse_rejects_malformed_text (void **state)
{
    (void) state;
    opd_member_timer_t t;
    const char *bad[] = {"", "OPD-1", "OPD-1|fr", "|fr|w", "OPD-1|xx|w", "OPD-1|fr|x", "OPD-1|fr|ww", "OPD-1||w",
                         NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal (opd_member_timer_parse (bad[i], strlen (bad[i]), &t), -2);
    opd_member_done_t d;
    assert_int_equal (opd_member_done_parse ("OPD-1|12x", 9, &d), -2);
    char longid[OPD_ID_MAX + 8];
    memset (longid, 'A', OPD_ID_MAX + 1);
    strcpy (longid + OPD_ID_MAX + 1, "|fr|w");
    assert_int_equal (opd_member_timer_parse (longid, strlen (longid), &t), -2);
}

static void
test_member_parse_splits_from_the_right (void **state)
{
    (void) state;
    opd_member_timer_t t;
    const char *text = "A|B|nr|b";
    assert_int_equal (opd_member_timer_parse (text, strlen (text), &t), 0);
    assert_string_equal (t.id, "A|B");
    assert_int_equal (t.clock, OPD_CLOCK_NR);
    assert_int_equal (t.kind, 'b');
    opd_member_done_t d;
    assert_int_equal (opd_member_done_parse ("OPD-3|", 6, &d), 0);  //  a clock without a due time
    assert_string_equal (d.id, "OPD-3");
    assert_int_equal (d.due, 0);
}

static void
test_member_make_refuses_what_does_not_fit (void **state)
{
    (void) state;
    char buf[8];
    opd_member_timer_t t = {"OPD-12345", OPD_CLOCK_RES, 'w'};
    assert_int_equal (opd_member_timer_make (buf, sizeof buf, &t), -1);
    t.clock = OPD_CLOCK_COUNT;
    char big[OPD_MEMBER_MAX];
    assert_int_equal (opd_member_timer_make (big, sizeof big, &t), -1);
}

static void
test_clock_table_names_each_clock_three_ways (void **state)
{
    (void) state;
    assert_int_equal (opd_clock_from_id ("fr"), OPD_CLOCK_FR);
    assert_int_equal (opd_clock_from_id ("res"), OPD_CLOCK_RES);
    assert_int_equal (opd_clock_from_id ("first_response"), -1);
    assert_int_equal (opd_clock_from_name ("next_reply"), OPD_CLOCK_NR);
    assert_string_equal (opd_clock_fields[OPD_CLOCK_NR][OPD_CF_DUE], "nr_due");
    assert_string_equal (opd_clock_fields[OPD_CLOCK_RES][OPD_CF_STATE], "res_state");
    assert_int_equal (opd_clock_state_parse ("breached"), OPD_CLOCK_BREACHED);
    assert_int_equal (opd_clock_state_parse (NULL), OPD_CLOCK_NONE);
    assert_int_equal (opd_clock_state_parse ("bogus"), OPD_CLOCK_NONE);
    assert_string_equal (opd_clock_states[OPD_CLOCK_PAUSED], "paused");
}

static void
test_ticket_set_fills_named_members (void **state)
{
    (void) state;
    opd_ticket_t t;
    memset (&t, 0, sizeof t);
    assert_true (opd_ticket_set (&t, "status", "open"));
    assert_true (opd_ticket_set (&t, "res_due", "123"));
    assert_true (opd_ticket_set (&t, "fr_warned", "7"));
    assert_false (opd_ticket_set (&t, "team_ms:network", "5"));
    assert_false (opd_ticket_set (&t, "nonsense", "5"));
    assert_string_equal (t.status, "open");
    assert_string_equal (t.clock[OPD_CLOCK_RES].due, "123");
    assert_string_equal (t.clock[OPD_CLOCK_FR].warned, "7");
    assert_null (t.id);
}

//  common/ may not include proto/ (docs/architecture.md), so the heartbeat
//  prefix is spelled in opd_alive.h too: it must stay the schema's.
static void
test_heartbeat_prefix_is_the_schemas (void **state)
{
    (void) state;
    assert_string_equal (OPD_ALIVE_KEY "%s", OPD_KEY_ALIVE_FMT);
}

static void
test_personal_fields_include_participants (void **state)
{
    (void) state;
    bool participants = false, email = false;
    for (size_t i = 0; i < opd_personal_count; i++) {
        participants |= !strcmp (opd_personal_fields[i].field, "participants");
        email |= !strcmp (opd_personal_fields[i].field, "req_email") && !opd_personal_fields[i].replace;
    }
    assert_true (participants);
    assert_true (email);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        SCHEMA_SAMPLE_TESTS,
        cmocka_unit_test (test_member_parse_rejects_malformed_text),
        cmocka_unit_test (test_member_parse_splits_from_the_right),
        cmocka_unit_test (test_member_make_refuses_what_does_not_fit),
        cmocka_unit_test (test_clock_table_names_each_clock_three_ways),
        cmocka_unit_test (test_ticket_set_fills_named_members),
        cmocka_unit_test (test_personal_fields_include_participants),
        cmocka_unit_test (test_heartbeat_prefix_is_the_schemas),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
