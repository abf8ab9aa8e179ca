/*  test_store: the store layer without Redis: each script call's ARGV in
    the order its script reads it, each reply decoded, and the ticket hash
    read into opd_ticket_t. The scripts themselves run in the integration
    tests. */
#include "opd_store.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

//  A reply as Redis would send it, from its wire form.
static redisReply *
s_reply (const char *wire)
{
    redisReader *rd = redisReaderCreate ();
    redisReaderFeed (rd, wire, strlen (wire));
    void *reply = NULL;
    assert_int_equal (redisReaderGetReply (rd, &reply), REDIS_OK);
    assert_non_null (reply);
    redisReaderFree (rd);
    return reply;
}

static void
s_args_are (const opd_args_t *a, const char *const *want, int n)
{
    assert_int_equal (a->n, n);
    for (int i = 0; i < n; i++)
        assert_string_equal (a->v[i], want[i]);
}

static opd_config_t s_cfg = {.ticket_prefix = "OPD", .events_max_len = 1000};

static void
test_store_comment_call_writes_argv_in_script_order (void **state)
{
    (void) state;
    opd_store_call_t c;
    opd_store_comment_t in = {"OPD-1", "alice", "agent", true, "Try again", NULL};
    opd_store_comment_call (&c, &s_cfg, 42, &in);
    assert_int_equal (c.script, OPD_SCRIPT_COMMENT);
    const char *want[] = {"42", "1000", "OPD-1", "alice", "agent", "1", "Try again", ""};
    s_args_are (&c.args, want, 8);
    opd_store_call_free (&c);
}

static void
test_store_arm_call_writes_five_values_per_clock (void **state)
{
    (void) state;
    opd_store_call_t c;
    opd_store_clock_t clocks[] = {{OPD_CLOCK_FR, 100, 75, 90, false}, {OPD_CLOCK_RES, 400, 0, 300, true}};
    opd_store_arm_call (&c, &s_cfg, 7, "OPD-2", "3", "p1", clocks, 2);
    const char *want[] = {"7", "1000", "OPD-2", "3", "p1", "fr", "100", "75", "running", "90",
                          "res", "400", "0", "paused", "300"};
    s_args_are (&c.args, want, 15);
    opd_store_call_free (&c);
}

static void
test_store_fire_call_names_the_timer_member (void **state)
{
    (void) state;
    opd_store_call_t c;
    opd_member_timer_t t = {"OPD-3", OPD_CLOCK_NR, 'w'};
    opd_store_fire_call (&c, &s_cfg, 9, &t, 0.5);
    const char *want[] = {"9", "1000", "OPD-3|nr|w", "0.5000"};
    s_args_are (&c.args, want, 4);
    opd_store_call_free (&c);
}

static void
test_store_create_call_puts_control_pairs_last (void **state)
{
    (void) state;
    opd_args_t f;
    opd_args_init (&f);
    opd_args_add (&f, OPD_F_SUBJECT);
    opd_args_add (&f, "VPN");
    opd_store_create_t in = {"email", "<m@x>", "OPD-1", "rita@example.com", &f, true, false, false};
    opd_store_call_t c;
    opd_store_create_call (&c, &s_cfg, 5, &in);
    const char *want[] = {"5", "1000", "OPD", "email", "<m@x>", "OPD-1", "rita@example.com", "subject", "VPN",
                          "_sender_check", "1"};
    s_args_are (&c.args, want, 11);
    opd_store_call_free (&c);
    opd_args_free (&f);
}

static void
test_store_decodes_every_update_answer (void **state)
{
    (void) state;
    opd_store_result_t res;
    redisReply *r = s_reply ("*3\r\n$2\r\nok\r\n:5\r\n:1\r\n");
    assert_int_equal (opd_store_update_reply (r, &res), 0);
    assert_int_equal (res.outcome, OPD_STORE_OK);
    assert_int_equal (res.version, 5);
    assert_true (res.changed);
    freeReplyObject (r);
    r = s_reply ("*3\r\n$8\r\nconflict\r\n$6\r\nclosed\r\n$0\r\n\r\n");
    assert_int_equal (opd_store_update_reply (r, &res), 0);
    assert_int_equal (res.outcome, OPD_STORE_CONFLICT);
    assert_string_equal (res.from, "closed");
    assert_string_equal (res.allowed, "");
    freeReplyObject (r);
    r = s_reply ("*2\r\n$7\r\nversion\r\n$1\r\n9\r\n");
    assert_int_equal (opd_store_update_reply (r, &res), 0);
    assert_int_equal (res.outcome, OPD_STORE_VERSION);
    assert_int_equal (res.version, 9);
    freeReplyObject (r);
    r = s_reply ("*1\r\n$9\r\nnot_found\r\n");
    assert_int_equal (opd_store_update_reply (r, &res), 0);
    assert_int_equal (res.outcome, OPD_STORE_NOT_FOUND);
    freeReplyObject (r);
    r = s_reply ("-ERR boom\r\n");
    assert_int_equal (opd_store_update_reply (r, &res), -2);
    freeReplyObject (r);
}

static void
test_store_decodes_comment_and_create_answers (void **state)
{
    (void) state;
    opd_store_result_t res;
    redisReply *r = s_reply ("*2\r\n$2\r\nok\r\n:3\r\n");
    assert_int_equal (opd_store_comment_reply (r, &res), 0);
    assert_int_equal (res.outcome, OPD_STORE_OK);
    assert_int_equal (res.comment_id, 3);
    freeReplyObject (r);
    r = s_reply ("*1\r\n$6\r\nclosed\r\n");
    assert_int_equal (opd_store_comment_reply (r, &res), 0);
    assert_int_equal (res.outcome, OPD_STORE_CLOSED);
    freeReplyObject (r);
    opd_store_created_t made;
    r = s_reply ("*3\r\n$5\r\nOPD-7\r\n:1\r\n$6\r\nticket\r\n");
    assert_int_equal (opd_store_create_reply (r, &made), 0);
    assert_string_equal (made.ticket_id, "OPD-7");
    assert_true (made.created);
    assert_string_equal (made.kind, "ticket");
    freeReplyObject (r);
    r = s_reply (":1\r\n");
    assert_int_equal (opd_store_create_reply (r, &made), -2);
    freeReplyObject (r);
}

static void
test_store_reads_the_ticket_and_its_clocks (void **state)
{
    (void) state;
    redisReply *r = s_reply ("*10\r\n$2\r\nid\r\n$5\r\nOPD-1\r\n$6\r\nstatus\r\n$4\r\nopen\r\n"
                             "$6\r\nfr_due\r\n$3\r\n100\r\n$9\r\nres_state\r\n$6\r\npaused\r\n"
                             "$15\r\nteam_ms:network\r\n$2\r\n50\r\n");
    opd_ticket_t t;
    assert_true (opd_store_ticket_read (&t, r));
    assert_string_equal (t.id, "OPD-1");
    assert_string_equal (t.status, "open");
    assert_string_equal (t.clock[OPD_CLOCK_FR].due, "100");
    assert_int_equal (opd_clock_state_parse (t.clock[OPD_CLOCK_RES].state), OPD_CLOCK_PAUSED);
    assert_null (t.clock[OPD_CLOCK_NR].state);
    assert_null (t.team);
    int64_t ms = 0;
    assert_true (opd_store_ms (t.clock[OPD_CLOCK_FR].due, &ms));
    assert_int_equal (ms, 100);
    assert_false (opd_store_ms (t.team, &ms));
    assert_int_equal (opd_store_ms_or ("12x", 7), 7);
    freeReplyObject (r);
    r = s_reply ("*0\r\n");
    assert_false (opd_store_ticket_read (&t, r));
    freeReplyObject (r);
}

//  Each global store that anonymise.lua's reply counts is a schema key that
//  the anonymiser clears with the ticket (sweep: ticket), so that the
//  receipt names it.
static void
test_store_anon_linked_are_schema_keys_cleared_with_the_ticket (void **state)
{
    (void) state;
    for (size_t k = 0; k < OPD_STORE_ANON_LINKED; k++) {
        const opd_key_info_t *found = NULL;
        for (size_t i = 0; i < opd_key_count; i++)
            if (!strcmp (opd_keys[i].name, opd_store_anon_linked[k]))
                found = &opd_keys[i];
        assert_non_null (found);
        assert_non_null (found->sweep);
        assert_string_equal (found->sweep, "ticket");
    }
    size_t cleared = 0;
    for (size_t i = 0; i < opd_key_count; i++)
        cleared += opd_keys[i].sweep && !strcmp (opd_keys[i].sweep, "ticket");
    assert_int_equal (cleared, OPD_STORE_ANON_LINKED);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_store_comment_call_writes_argv_in_script_order),
        cmocka_unit_test (test_store_arm_call_writes_five_values_per_clock),
        cmocka_unit_test (test_store_fire_call_names_the_timer_member),
        cmocka_unit_test (test_store_create_call_puts_control_pairs_last),
        cmocka_unit_test (test_store_decodes_every_update_answer),
        cmocka_unit_test (test_store_decodes_comment_and_create_answers),
        cmocka_unit_test (test_store_reads_the_ticket_and_its_clocks),
        cmocka_unit_test (test_store_anon_linked_are_schema_keys_cleared_with_the_ticket),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
