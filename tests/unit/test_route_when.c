/*  Unit tests of the routing conditions beside the words (channel, domain,
    request type, category, priority, working hours) and of the actions tags
    and assignee (services/router/opd_route_when.c, opd_route_rules.c), and
    of the configuration checks of those keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "opd_calendar.h"
#include "opd_config.h"
#include "router/opd_route_rules.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_config =
    "ticket_prefix: OPD\n"
    "calendars:\n"
    "  office: {timezone: Europe/London, hours: {mon: [\"09:00-17:00\"], tue: [\"09:00-17:00\"],"
    " wed: [\"09:00-17:00\"], thu: [\"09:00-17:00\"], fri: [\"09:00-17:00\"]}, holidays: [\"2026-12-25\"]}\n"
    "  always: {timezone: UTC, hours: 24x7}\n"
    "slo_policies: [{name: all, match: {}, calendar: always, first_response: 1h, resolution: 4h}]\n"
    "default_priority: P4\n"
    "categories: {hardware: {laptop: {}}, network: {vpn: {}, wifi: {}}, access: {}}\n"
    "teams:\n"
    "  - {id: network, name: Network, calendar: office, min_on_duty: 1}\n"
    "  - {id: hardware, name: Hardware, calendar: office, min_on_duty: 1}\n"
    "  - {id: service-desk, name: Service Desk, calendar: office, min_on_duty: 1}\n"
    "default_team: service-desk\n"
    "agents:\n"
    "  - {id: alice, name: Alice, email: alice@example.org, teams: [network]}\n"
    "  - {id: bob, name: Bob, email: bob@example.org, teams: [hardware, service-desk]}\n"
    "request_types:\n"
    "  - {id: new-laptop, name: New laptop, fields: []}\n"
    "routing_rules:\n"
    "  - name: web-vpn\n"
    "    when: {keywords: [vpn], channel: [web, api]}\n"
    "    then: {team: network, tags: [vpn, self-service], assignee: alice}\n"
    "  - name: partner\n"
    "    when: {domain: [Partner.Example]}\n"
    "    then: {team: hardware, tags: [partner]}\n"
    "  - name: laptops\n"
    "    when: {request_type: [new-laptop]}\n"
    "    then: {team: hardware, assignee: bob}\n"
    "  - name: network-cat\n"
    "    when: {category: [network]}\n"
    "    then: {team: network}\n"
    "  - name: urgent\n"
    "    when: {priority: [P1]}\n"
    "    then: {tags: [urgent], assignee: bob}\n"
    "  - name: night\n"
    "    when: {hours: outside, calendar: office}\n"
    "    then: {team: service-desk, tags: [after-hours]}\n";

//  Wed 2 Dec 2026 10:00 London (= UTC in winter): inside the office hours.
#define INSIDE  1796205600000LL
#define EVENING (INSIDE + 10 * 3600000LL)                 //  20:00 the same day
#define SATURDAY (INSIDE + 3 * 86400000LL)                //  Sat 5 Dec, 10:00
#define CHRISTMAS (INSIDE + 23 * 86400000LL)              //  Fri 25 Dec, 10:00: a holiday

typedef struct {
    opd_config_t *cfg;
    router_rules_t *rules;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    char err[512] = "";
    f->cfg = opd_config_parse (s_config, strlen (s_config), "test", err, sizeof err);
    if (!f->cfg || !(f->rules = router_rules_new (f->cfg, err, sizeof err))) {
        fprintf (stderr, "config: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    router_rules_destroy (&f->rules);
    opd_config_destroy (&f->cfg);
    free (f);
    return 0;
}

//  The ticket every test starts from: matches no rule, received inside hours.
static router_ticket_t
s_ticket (void)
{
    return (router_ticket_t) {.subject = "hello", .body = "nothing to see", .channel = "email",
                              .email = "rita@example.com", .received_at = INSIDE};
}

static const char *
s_rule (const fixture_t *f, const router_ticket_t *t)
{
    router_decision_t d;
    router_rules_decide_ticket (f->rules, t, &d);
    return d.rule;
}

static void
test_calendar_instants_are_what_the_tests_say (void **state)
{
    fixture_t *f = *state;
    const opd_calendar_t *office = opd_config_calendar (f->cfg, "office");
    assert_int_equal (opd_calendar_local_ms ("Europe/London", 2026, 12, 2, 600), INSIDE);
    assert_true (opd_calendar_is_working (office, INSIDE));
    assert_false (opd_calendar_is_working (office, EVENING));
    assert_false (opd_calendar_is_working (office, SATURDAY));
    assert_false (opd_calendar_is_working (office, CHRISTMAS));
    router_ticket_t t = s_ticket ();
    assert_string_equal (s_rule (f, &t), "");
}

static void
test_channel_condition_with_keywords (void **state)
{
    fixture_t *f = *state;
    router_ticket_t t = s_ticket ();
    t.subject = "VPN down";
    assert_string_equal (s_rule (f, &t), "");  //  by email: the words alone are not enough
    t.channel = "web";
    assert_string_equal (s_rule (f, &t), "web-vpn");
    t.channel = "api";
    assert_string_equal (s_rule (f, &t), "web-vpn");
    t.subject = "hello";  //  the channel alone is not enough either
    assert_string_equal (s_rule (f, &t), "");
    t.channel = NULL;
    t.subject = "vpn";
    assert_string_equal (s_rule (f, &t), "");
}

static void
test_domain_condition_takes_subdomains_case_insensitively (void **state)
{
    fixture_t *f = *state;
    router_ticket_t t = s_ticket ();
    const char *yes[] = {"a@partner.example", "A@PARTNER.EXAMPLE", "a@mail.partner.example", "x@y@Eu.Partner.Example"};
    const char *no[] = {"a@notpartner.example", "a@partner.example.com", "a@example", "partner.example", "", NULL};
    for (size_t i = 0; i < 4; i++) {
        t.email = yes[i];
        assert_string_equal (s_rule (f, &t), "partner");
    }
    for (size_t i = 0; i < 6; i++) {
        t.email = no[i];
        assert_string_equal (s_rule (f, &t), "");
    }
}

static void
test_request_type_category_and_priority_conditions (void **state)
{
    fixture_t *f = *state;
    router_ticket_t t = s_ticket ();
    t.request_type = "new-laptop";
    assert_string_equal (s_rule (f, &t), "laptops");
    t.request_type = "new-laptop2";
    assert_string_equal (s_rule (f, &t), "");
    t = s_ticket ();
    t.category = "network";
    assert_string_equal (s_rule (f, &t), "network-cat");
    t.category = "network/vpn";  //  a path below it
    assert_string_equal (s_rule (f, &t), "network-cat");
    t.category = "networking";
    assert_string_equal (s_rule (f, &t), "");
    t.category = "hardware/laptop";
    assert_string_equal (s_rule (f, &t), "");
    t = s_ticket ();
    t.priority = "P1";
    assert_string_equal (s_rule (f, &t), "urgent");
    t.priority = "P2";
    assert_string_equal (s_rule (f, &t), "");
}

static void
test_hours_condition_uses_received_time_and_holidays (void **state)
{
    fixture_t *f = *state;
    router_ticket_t t = s_ticket ();
    assert_string_equal (s_rule (f, &t), "");
    int64_t outside[] = {EVENING, SATURDAY, CHRISTMAS, INSIDE - 3600001LL};
    for (size_t i = 0; i < 4; i++) {
        t.received_at = outside[i];
        assert_string_equal (s_rule (f, &t), "night");
    }
    t.received_at = INSIDE - 3600000LL;  //  09:00 exactly: inside
    assert_string_equal (s_rule (f, &t), "");
}

static void
test_all_conditions_must_hold_and_first_wins (void **state)
{
    fixture_t *f = *state;
    router_ticket_t t = s_ticket ();
    //  partner (rule 1) and urgent (rule 4) and night (rule 5) all hold: the first wins.
    t.email = "a@partner.example";
    t.priority = "P1";
    t.received_at = EVENING;
    assert_string_equal (s_rule (f, &t), "partner");
    t.email = "a@other.example";
    assert_string_equal (s_rule (f, &t), "urgent");
}

static void
test_decision_carries_tags_and_assignee (void **state)
{
    fixture_t *f = *state;
    router_ticket_t t = s_ticket ();
    t.subject = "vpn";
    t.channel = "web";
    router_decision_t d;
    router_rules_decide_ticket (f->rules, &t, &d);
    assert_string_equal (d.team, "network");
    assert_string_equal (d.tags, "[\"vpn\",\"self-service\"]");
    assert_string_equal (d.assignee, "alice");
    t = s_ticket ();
    t.priority = "P1";  //  urgent: no team, so the default team; bob is in it
    router_rules_decide_ticket (f->rules, &t, &d);
    assert_string_equal (d.team, "service-desk");
    assert_string_equal (d.tags, "[\"urgent\"]");
    assert_string_equal (d.assignee, "bob");
    assert_string_equal (d.priority, "P1");
    t = s_ticket ();
    router_rules_decide_ticket (f->rules, &t, &d);
    assert_string_equal (d.tags, "");
    assert_string_equal (d.assignee, "");
}

//  The condition list of rule i in an explanation.
static const json_t *
s_conds (const json_t *e, size_t i)
{
    return json_object_get (json_array_get (json_object_get (e, "rules"), i), "conditions");
}

static void
test_explain_shows_each_condition (void **state)
{
    fixture_t *f = *state;
    router_ticket_t t = s_ticket ();
    t.subject = "VPN down";
    t.received_at = EVENING;
    json_t *e = router_rules_explain_ticket (f->rules, &t);
    assert_string_equal (json_string_value (json_object_get (e, "rule")), "night");
    const json_t *r0 = json_array_get (json_object_get (e, "rules"), 0);
    assert_string_equal (json_string_value (json_object_get (r0, "why")),
                         "nearly: 'VPN' in the subject, but channel email is not in web, api");
    const json_t *c0 = json_array_get (s_conds (e, 0), 0);
    assert_string_equal (json_string_value (json_object_get (c0, "when")), "channel");
    assert_true (json_is_false (json_object_get (c0, "holds")));
    const json_t *c5 = json_array_get (s_conds (e, 5), 0);
    assert_true (json_is_true (json_object_get (c5, "holds")));
    assert_string_equal (json_string_value (json_object_get (c5, "detail")),
                         "received outside the working hours of calendar 'office' (the rule wants outside)");
    assert_string_equal (json_string_value (json_object_get (json_array_get (json_object_get (e, "rules"), 5), "why")),
                         "matches: its conditions hold");
    assert_int_equal (json_array_size (json_object_get (e, "tags")), 1);
    assert_true (json_is_null (json_object_get (e, "assignee")));
    json_decref (e);
}

//  The configuration with `from` replaced by `to` is refused with err
//  holding each of the words.
static void
s_refused (const char *from, const char *to, const char *path, const char *words)
{
    char *text = g_strdup (s_config);
    char *at = strstr (text, from);
    assert_non_null (at);
    GString *s = g_string_new_len (text, at - text);
    g_string_append (s, to);
    g_string_append (s, at + strlen (from));
    char err[512] = "";
    opd_config_t *cfg = opd_config_parse (s->str, s->len, "test", err, sizeof err);
    if (cfg)
        fprintf (stderr, "accepted: %s\n", to);
    assert_null (cfg);
    if (!strstr (err, path) || !strstr (err, words))
        fprintf (stderr, "err: %s\n", err);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, words));
    g_string_free (s, TRUE);
    g_free (text);
}

static void
test_configuration_refuses_bad_conditions_and_actions (void **state)
{
    (void) state;
    s_refused ("when: {domain: [Partner.Example]}", "when: {}", "routing_rules[1]", "at least one condition");
    s_refused ("then: {team: network, tags: [vpn, self-service], assignee: alice}",
               "then: {team: hardware, assignee: alice}", "routing_rules[0].then.assignee", "not in team 'hardware'");
    s_refused ("then: {tags: [urgent], assignee: bob}", "then: {assignee: carol}", "routing_rules[4].then.assignee",
               "unknown agent 'carol'");
    s_refused ("request_type: [new-laptop]}", "request_type: [old-laptop]}", "routing_rules[2].when.request_type",
               "unknown request type 'old-laptop'");
    s_refused ("{hours: outside, calendar: office}", "{hours: outside}", "routing_rules[5]", "go together");
    s_refused ("{hours: outside, calendar: office}", "{hours: later, calendar: office}", "routing_rules[5].when.hours",
               "inside");
    s_refused ("{hours: outside, calendar: office}", "{hours: inside, calendar: home}",
               "routing_rules[5].when.calendar", "unknown calendar 'home'");
    s_refused ("[Partner.Example]", "[\"a@partner.example\"]", "routing_rules[1].when.domain", "not a domain");
    s_refused ("channel: [web, api]", "channel: [Web]", "routing_rules[0].when.channel", "not a channel");
    s_refused ("category: [network]", "category: [networking]", "routing_rules[3].when.category", "unknown category");
    s_refused ("priority: [P1]", "priority: [P0]", "routing_rules[4].when.priority", "P0");
    s_refused ("tags: [partner]", "tags: [\"two words\"]", "routing_rules[1].then.tags", "tag 'two words'");
}

static void
test_rules_outlive_their_configuration_calendar_included (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = opd_config_parse (s_config, strlen (s_config), "test", err, sizeof err);
    router_rules_t *rules = router_rules_new (cfg, err, sizeof err);
    opd_config_destroy (&cfg);
    router_ticket_t t = s_ticket ();
    t.received_at = SATURDAY;
    router_decision_t d;
    router_rules_decide_ticket (rules, &t, &d);
    assert_string_equal (d.rule, "night");
    assert_string_equal (d.tags, "[\"after-hours\"]");
    router_rules_destroy (&rules);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_calendar_instants_are_what_the_tests_say),
        cmocka_unit_test (test_channel_condition_with_keywords),
        cmocka_unit_test (test_domain_condition_takes_subdomains_case_insensitively),
        cmocka_unit_test (test_request_type_category_and_priority_conditions),
        cmocka_unit_test (test_hours_condition_uses_received_time_and_holidays),
        cmocka_unit_test (test_all_conditions_must_hold_and_first_wins),
        cmocka_unit_test (test_decision_carries_tags_and_assignee),
        cmocka_unit_test (test_explain_shows_each_condition),
        cmocka_unit_test (test_configuration_refuses_bad_conditions_and_actions),
        cmocka_unit_test (test_rules_outlive_their_configuration_calendar_included),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
