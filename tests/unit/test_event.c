/*  test_event: opd_event_json, the one JSON view of an event that the web
    API and the webhooks share (proto/src/opd_event.c). */
#include "opd_event.h"
#include "opd_intake.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define AT 1764064119123LL
#define AT_TEXT "2025-11-25T09:48:39.123Z"

//  An event with a time of every shape, numbers that are not times, text
//  that is not UTF-8 and a key that is not text.
static void
s_pack_event (msgpack_sbuffer *buf)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 9);
    opd_pack_kv_str (&pk, "type", "ticket.updated");
    opd_pack_kv_int (&pk, "at", AT);
    opd_pack_str (&pk, "due_at");
    msgpack_pack_double (&pk, (double) AT);
    opd_pack_kv_int (&pk, "comment_id", AT);  //  a big number, not a time
    opd_pack_str (&pk, "elapsed_ratio");
    msgpack_pack_double (&pk, 0.75);
    opd_pack_str (&pk, "changes");
    msgpack_pack_map (&pk, 1);
    opd_pack_str (&pk, "resolved_at");
    msgpack_pack_array (&pk, 2);
    msgpack_pack_nil (&pk);
    msgpack_pack_int64 (&pk, AT);
    opd_pack_str (&pk, "subject");
    msgpack_pack_str (&pk, 4);
    msgpack_pack_str_body (&pk, "a\xff\xfe" "b", 4);
    msgpack_pack_int (&pk, 7);  //  a key that is not text
    msgpack_pack_true (&pk);
    opd_pack_kv_int (&pk, "to", AT);
}

static void
test_event_times_text_and_numbers (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    s_pack_event (&buf);
    json_t *j = opd_event_json (buf.data, buf.size);
    msgpack_sbuffer_destroy (&buf);
    assert_non_null (j);
    assert_string_equal (json_string_value (json_object_get (j, "at")), AT_TEXT);
    assert_string_equal (json_string_value (json_object_get (j, "due_at")), AT_TEXT);
    assert_string_equal (json_string_value (json_object_get (j, "to")), AT_TEXT);
    assert_int_equal (json_integer_value (json_object_get (j, "comment_id")), AT);
    assert_true (json_real_value (json_object_get (j, "elapsed_ratio")) == 0.75);
    json_t *change = json_object_get (json_object_get (j, "changes"), "resolved_at");
    assert_true (json_is_null (json_array_get (change, 0)));
    assert_string_equal (json_string_value (json_array_get (change, 1)), AT_TEXT);
    assert_string_equal (json_string_value (json_object_get (j, "subject")), "a\xef\xbf\xbd\xef\xbf\xbd" "b");
    assert_int_equal (json_object_size (j), 8);  //  the key 7 left out
    json_decref (j);
}

static void
test_event_not_a_map_is_null (void **state)
{
    (void) state;
    assert_null (opd_event_json ("\x01", 1));
    assert_null (opd_event_json ("\xc1", 1));
    assert_null (opd_event_json ("\x93\x01\x02\x03", 4));  //  an array
}

static void
test_event_time_keys_come_from_the_schema (void **state)
{
    (void) state;
    const char *times[] = {"at", "due_at", "breached_at", "met_at", "from", "to", "received_at"};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        assert_true (opd_event_time_key (times[i], strlen (times[i])));
    const char *others[] = {"", "a", "t", "_at", "rate", "comment_id", "attempt"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        assert_false (opd_event_time_key (others[i], strlen (others[i])));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_event_times_text_and_numbers),
        cmocka_unit_test (test_event_not_a_map_is_null),
        cmocka_unit_test (test_event_time_keys_come_from_the_schema),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
