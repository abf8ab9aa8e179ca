/*  Agent notifications: who an event concerns (notifier/notices.c), the
    notice mail (notifier/mail.c, kind "notice"), and the checks of a
    shortcut key (store/opd_agent_prefs.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config_fixture.h"

#include "notifier/mail.c"
#include "notifier/mail_format.c"
#include "notifier/notices.c"
#include "opd_config.h"
#include <string.h>

static const char *s_config =
    "ticket_prefix: OPD\n"
    "calendars: {always: {timezone: UTC, hours: 24x7}}\n"
    "slo_policies: [{name: all, match: {}, calendar: always, first_response: 1h, resolution: 8h}]\n"
    "teams: [{id: network, name: Network, calendar: always}, {id: service-desk, calendar: always}]\n"
    "default_team: service-desk\n"
    "agents: [{id: alice, email: alice@example.org, teams: [network], timezone: Europe/London},\n"
    "         {id: carol, email: carol@example.org, teams: [network]},\n"
    "         {id: bob, email: bob@example.org, teams: [service-desk]}]\n"
    "footer: 'Service Desk, phone +44 20 7946 0000.'\n"
    "channels: {web: {public_url: 'https://desk.example.org/'}}\n"
    "notifications: {smtp: {url: 'smtp://127.0.0.1:2525', from: servicedesk@example.org}}\n";

CONFIG_FIXTURE (s_config)

//  The targets of the event (JSON text) as "agent:KINDBITS ..." text.
static char *
targets (const char *event, const char *assignee, const char *team, const char *priority)
{
    json_t *ev = json_loads (event, 0, NULL);
    assert_non_null (ev);
    notices_target_t t[8];
    notices_ticket_t tk = {assignee, team, priority};
    size_t n = notices_targets (s_cfg, ev, &tk, t, 8);
    GString *out = g_string_new (NULL);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf (out, "%s%s:%u", i ? " " : "", t[i].agent, t[i].kinds);
    json_decref (ev);
    return g_string_free (out, FALSE);
}

#define A (1u << OPD_NOTICE_ASSIGNED)
#define H (1u << OPD_NOTICE_HANDOFF)
#define P (1u << OPD_NOTICE_P1)
#define W (1u << OPD_NOTICE_SLO_WARNING)

static void
check_p (const char *event, const char *assignee, const char *team, const char *priority, const char *want)
{
    char *got = targets (event, assignee, team, priority);
    assert_string_equal (got, want);
    g_free (got);
}

static void
check (const char *event, const char *assignee, const char *team, const char *want)
{
    char *got = targets (event, assignee, team, NULL);
    assert_string_equal (got, want);
    g_free (got);
}

static void
test_notices_an_assignment_concerns_the_assignee_unless_it_did_it (void **state)
{
    (void) state;
    char want[64];
    snprintf (want, sizeof want, "alice:%u", A);
    check ("{\"type\":\"ticket.updated\",\"by\":\"bob\",\"changes\":{\"assignee\":[null,\"alice\"]}}", NULL, NULL,
           want);
    check ("{\"type\":\"ticket.updated\",\"by\":\"alice\",\"changes\":{\"assignee\":[null,\"alice\"]}}", NULL,
           NULL, "");
    check ("{\"type\":\"ticket.updated\",\"by\":\"bob\",\"changes\":{\"assignee\":[\"alice\",null]}}", NULL,
           NULL, "");
    check ("{\"type\":\"ticket.updated\",\"by\":\"bob\",\"changes\":{\"assignee\":[null,\"nobody\"]}}", NULL,
           NULL, "");
}

static void
test_notices_a_handoff_concerns_the_new_team_and_a_p1_its_team (void **state)
{
    (void) state;
    char want[64];
    snprintf (want, sizeof want, "alice:%u carol:%u", A | H, H);
    check ("{\"type\":\"ticket.updated\",\"by\":\"bob\",\"changes\":{\"team\":[\"service-desk\",\"network\"],"
           "\"assignee\":[null,\"alice\"]}}",
           NULL, NULL, want);
    snprintf (want, sizeof want, "carol:%u", P);
    check ("{\"type\":\"ticket.updated\",\"by\":\"alice\",\"changes\":{\"priority\":[\"P2\",\"P1\"]}}", NULL,
           "network", want);
    snprintf (want, sizeof want, "alice:%u carol:%u", P, P);
    check ("{\"type\":\"ticket.routed\",\"team\":\"network\",\"priority\":\"P1\"}", NULL, NULL, want);
    check ("{\"type\":\"ticket.routed\",\"team\":\"network\",\"priority\":\"P2\"}", NULL, NULL, "");
    //  A P1 handed off is a hand-off and a P1 for the new team.
    snprintf (want, sizeof want, "alice:%u carol:%u", H | P, H | P);
    check_p ("{\"type\":\"ticket.updated\",\"by\":\"bob\",\"changes\":{\"team\":[\"service-desk\",\"network\"]}}",
             NULL, "network", "P1", want);
    snprintf (want, sizeof want, "alice:%u carol:%u", H, H);
    check_p ("{\"type\":\"ticket.updated\",\"by\":\"bob\",\"changes\":{\"team\":[\"service-desk\",\"network\"]}}",
             NULL, "network", "P3", want);
    //  Another change of a P1 ticket is not news.
    check_p ("{\"type\":\"ticket.updated\",\"by\":\"bob\",\"changes\":{\"status\":[\"new\",\"open\"]}}", NULL,
             "network", "P1", "");
    check ("{\"type\":\"ticket.created\",\"priority\":\"P1\"}", NULL, NULL, "");
}

static void
test_notices_a_warning_concerns_the_assignee_else_the_team (void **state)
{
    (void) state;
    const char *ev = "{\"type\":\"slo.warning\",\"team\":\"network\",\"slo\":\"first_response\"}";
    char want[64];
    snprintf (want, sizeof want, "carol:%u", W);
    check (ev, "carol", "network", want);
    snprintf (want, sizeof want, "alice:%u carol:%u", W, W);
    check (ev, NULL, "network", want);
    json_t *j = json_loads (ev, 0, NULL);
    assert_true (notices_needs_ticket (j));
    json_decref (j);
    j = json_loads ("{\"type\":\"ticket.routed\",\"priority\":\"P1\"}", 0, NULL);
    assert_false (notices_needs_ticket (j));
    json_decref (j);
}

static void
test_notice_mail_names_the_ticket_links_it_and_ends_with_the_footer (void **state)
{
    (void) state;
    opd_ticket_t t;
    memset (&t, 0, sizeof t);
    opd_ticket_set (&t, "id", "OPD-7");
    opd_ticket_set (&t, "subject", "Secret project laptop");
    opd_ticket_set (&t, "req_email", "rita@example.com");
    json_t *job = json_loads ("{\"kind\":\"notice\",\"notice\":\"slo_warning\",\"agent\":\"alice\","
                              "\"slo\":\"first_response\",\"due_at\":\"2026-12-02T10:00:00.000Z\","
                              "\"priority\":\"P1\",\"team\":\"network\"}",
                              0, NULL);
    mail_input_t in = {.kind = "notice", .job_id = 9, .ticket = &t, .now_ms = 0, .job = job};
    mail_t m;
    const char *why = NULL;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_string_equal (m.to, "alice@example.org");
    assert_non_null (strstr (m.data, "Subject: [OPD-7] First response about to breach\r\n"));
    assert_non_null (strstr (m.data, "due by Wednesday 2 December 2026 10:00 (Europe/London)"));
    assert_non_null (strstr (m.data, "https://desk.example.org/agent/tickets/OPD-7\r\n"));
    assert_non_null (strstr (m.data, "Priority: P1\r\n"));
    assert_non_null (strstr (m.data, "\r\n-- \r\nService Desk, phone +44 20 7946 0000.\r\n"));
    assert_null (strstr (m.data, "Secret project"));
    assert_null (strstr (m.data, "rita"));
    mail_clear (&m);
    //  An agent without an address gets nothing.
    json_object_set_new (job, "agent", json_string ("nobody"));
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "no agent email");
    json_decref (job);
}

static void
test_agent_keys_one_printable_key_without_modifiers_and_no_clash (void **state)
{
    (void) state;
    assert_null (opd_agent_key_check (""));
    assert_null (opd_agent_key_check ("x"));
    assert_null (opd_agent_key_check ("/"));
    assert_null (opd_agent_key_check ("J"));
    assert_non_null (strstr (opd_agent_key_check ("Ctrl+W"), "Ctrl, Alt or Meta"));
    assert_non_null (strstr (opd_agent_key_check ("meta-k"), "Ctrl, Alt or Meta"));
    assert_non_null (strstr (opd_agent_key_check (" "), "space"));
    assert_non_null (opd_agent_key_check ("ab"));
    assert_non_null (opd_agent_key_check ("\t"));
    assert_non_null (opd_agent_key_check ("\xc3\xa9"));
    opd_agent_prefs_t p;
    opd_agent_prefs_default (&p);
    int a, b;
    assert_false (opd_agent_keys_clash (&p, &a, &b));
    snprintf (p.key[OPD_KEY_NOTE], sizeof p.key[0], "j");
    assert_true (opd_agent_keys_clash (&p, &a, &b));
    assert_int_equal (a, OPD_KEY_NEXT);
    assert_int_equal (b, OPD_KEY_NOTE);
    p.key[OPD_KEY_NOTE][0] = p.key[OPD_KEY_NEXT][0] = 0;  //  two turned off never clash
    assert_false (opd_agent_keys_clash (&p, &a, &b));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_notices_an_assignment_concerns_the_assignee_unless_it_did_it),
        cmocka_unit_test (test_notices_a_handoff_concerns_the_new_team_and_a_p1_its_team),
        cmocka_unit_test (test_notices_a_warning_concerns_the_assignee_else_the_team),
        cmocka_unit_test (test_notice_mail_names_the_ticket_links_it_and_ends_with_the_footer),
        cmocka_unit_test (test_agent_keys_one_printable_key_without_modifiers_and_no_clash),
    };
    return cmocka_run_group_tests (tests, config_setup, config_teardown);
}
