/*  Unit tests of the routing decision (services/router/opd_route_rules.c): keyword
    semantics, first-match order, and which priority and category win. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "router/opd_route_rules.c"
#include "opd_config.h"
#include <string.h>

static const char *s_config =
    "ticket_prefix: OPD\n"
    "calendars: {always: {timezone: UTC, hours: 24x7}}\n"
    "slo_policies: [{name: all, match: {}, calendar: always, first_response: 1h, resolution: 4h}]\n"
    "default_priority: P4\n"
    "categories: {hardware: {laptop: {}, printer: {}}, network: {vpn: {}, wifi: {}}, access: {}}\n"
    "teams:\n"
    "  - {id: network, name: Network, calendar: always, min_on_duty: 1}\n"
    "  - {id: hardware, name: Hardware, calendar: always, min_on_duty: 1}\n"
    "  - {id: service-desk, name: Service Desk, calendar: always, min_on_duty: 1}\n"
    "default_team: service-desk\n"
    "standard_responses: [{id: vpn-basics, subject: VPN, body: Restart the client.}]\n"
    "routing_rules:\n"
    "  - name: vpn\n"
    "    when: {keywords: [vpn, remote access], in: [subject, body]}\n"
    "    then: {team: network, category: network/vpn, priority: P2, standard_response: vpn-basics}\n"
    "  - name: printer\n"
    "    when: {keywords: [Drucker, printer, Ünterbrechung], in: [subject]}\n"
    "    then: {team: hardware, category: hardware/printer}\n"
    "  - name: network-wide\n"
    "    when: {keywords: [network, vpn], in: [body]}\n"
    "    then: {team: network, category: network, priority: P1}\n"
    "  - name: access-only\n"
    "    when: {keywords: [password reset], in: [subject]}\n"
    "    then: {category: access}\n"
    "  - name: incident-number\n"
    "    when: {regex: [\"\\\\bINC[0-9]{6}\\\\b\", \"caf[eé]-bar\"], in: [subject]}\n"
    "    then: {team: service-desk, priority: P3}\n";

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
    if (!f->cfg) {
        fprintf (stderr, "config: %s\n", err);
        free (f);
        return -1;
    }
    f->rules = router_rules_new (f->cfg, err, sizeof err);
    if (!f->rules) {
        fprintf (stderr, "rules: %s\n", err);
        opd_config_destroy (&f->cfg);
        free (f);
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
    router_rules_destroy (&f->rules);  //  safe twice
    opd_config_destroy (&f->cfg);
    free (f);
    return 0;
}

static void
test_keyword_matches_whole_words_case_insensitively (void **state)
{
    (void) state;
    assert_true (router_keyword_matches ("vpn", "VPN down"));
    assert_true (router_keyword_matches ("vpn", "my vpn."));
    assert_true (router_keyword_matches ("vpn", "Vpn"));
    assert_true (router_keyword_matches ("VPN", "the vpn client"));
    assert_false (router_keyword_matches ("vpn", "vpnx"));
    assert_false (router_keyword_matches ("vpn", "openvpn"));
    assert_false (router_keyword_matches ("vpn", "open_vpn"));
    assert_false (router_keyword_matches ("vpn", "vpn2"));
    assert_false (router_keyword_matches ("vpn", ""));
    assert_false (router_keyword_matches ("vpn", NULL));
}

static void
test_keyword_at_start_end_and_next_to_punctuation (void **state)
{
    (void) state;
    assert_true (router_keyword_matches ("vpn", "vpn"));
    assert_true (router_keyword_matches ("vpn", "vpn is down"));
    assert_true (router_keyword_matches ("vpn", "down: vpn"));
    assert_true (router_keyword_matches ("vpn", "(vpn)"));
    assert_true (router_keyword_matches ("vpn", "\"VPN\"!"));
    assert_true (router_keyword_matches ("vpn", "no-vpn-access"));
    assert_true (router_keyword_matches ("vpn", "line one\nvpn\n"));
    assert_true (router_keyword_matches ("vpn", "vpn,wifi"));
}

static void
test_phrase_matches_any_whitespace_between_words (void **state)
{
    (void) state;
    assert_true (router_keyword_matches ("remote access", "Remote  Access"));
    assert_true (router_keyword_matches ("remote access", "no remote\taccess today"));
    assert_true (router_keyword_matches ("remote access", "remote\n  access"));
    assert_true (router_keyword_matches ("remote access", "REMOTE ACCESS."));
    assert_true (router_keyword_matches ("remote access", "remote\xc2\xa0" "access"));
    assert_false (router_keyword_matches ("remote access", "remoteaccess"));
    assert_false (router_keyword_matches ("remote access", "remote accessible"));
    assert_false (router_keyword_matches ("remote access", "remote, access"));
    assert_false (router_keyword_matches ("remote access", "access remote"));
}

static void
test_keyword_is_literal_not_a_pattern (void **state)
{
    (void) state;
    assert_true (router_keyword_matches ("c++", "c++ compiler broken"));
    assert_false (router_keyword_matches ("c++", "ccc compiler"));
    assert_true (router_keyword_matches ("a.b", "host a.b down"));
    assert_false (router_keyword_matches ("a.b", "host axb down"));
    assert_false (router_keyword_matches ("(x", "nothing here"));
}

static void
test_keyword_is_unicode_aware (void **state)
{
    (void) state;
    assert_true (router_keyword_matches ("Drucker", "Der DRUCKER ist kaputt"));
    assert_true (router_keyword_matches ("drucker", "drucker"));
    //  Letters outside ASCII are word characters: no match inside a word.
    assert_false (router_keyword_matches ("drucker", "Laserdrucker kaputt"));
    assert_false (router_keyword_matches ("drucker", "Druckerß"));
    assert_false (router_keyword_matches ("drucker", "éDrucker"));
    assert_true (router_keyword_matches ("Ünterbrechung", "Netz-Ünterbrechung seit 9 Uhr"));
    assert_true (router_keyword_matches ("ünterbrechung", "ÜNTERBRECHUNG"));
    assert_true (router_keyword_matches ("Ünterbrechung", "«Ünterbrechung»"));
    assert_false (router_keyword_matches ("Ünterbrechung", "Ünterbrechungen"));
    assert_false (router_keyword_matches ("Ünterbrechung", "XÜnterbrechung"));
    assert_true (router_keyword_matches ("café", "Le CAFÉ est fermé"));
    assert_false (router_keyword_matches ("café", "cafés"));
}

static void
test_keywords_ignore_accents (void **state)
{
    (void) state;
    assert_true (router_keyword_matches ("cafe", "Le Café est fermé"));
    assert_true (router_keyword_matches ("café", "CAFE closed"));
    assert_true (router_keyword_matches ("Ünterbrechung", "unterbrechung seit 9"));
    assert_true (router_keyword_matches ("resume", "my résumé upload"));
    assert_false (router_keyword_matches ("resume", "résumés"));
    assert_true (router_keyword_matches ("naïve user", "NAIVE   user"));
}

static void
test_regex_rules_match_case_and_accent_insensitively (void **state)
{
    fixture_t *f = *state;
    assert_int_equal (router_rules_match (f->rules, "ref inc123456 please", NULL), 4);
    assert_int_equal (router_rules_match (f->rules, "INC12345 only five", NULL), -1);
    assert_int_equal (router_rules_match (f->rules, "INC1234567 seven", NULL), -1);
    assert_int_equal (router_rules_match (f->rules, "the CAFÉ-BAR", NULL), 4);
    assert_int_equal (router_rules_match (f->rules, "help", "INC123456 in the body only"), -1);
}

//  The why of rule i in an explanation.
static const char *
s_why (const json_t *e, size_t i)
{
    return json_string_value (json_object_get (json_array_get (json_object_get (e, "rules"), i), "why"));
}

static void
test_explain_says_what_matched_and_what_nearly_did (void **state)
{
    fixture_t *f = *state;
    json_t *e = router_rules_explain (f->rules, "printer", "my VPN too", NULL, NULL);
    assert_string_equal (json_string_value (json_object_get (e, "rule")), "vpn");
    assert_string_equal (json_string_value (json_object_get (e, "team")), "network");
    assert_string_equal (s_why (e, 0), "matches: 'VPN' in the body");
    assert_string_equal (s_why (e, 1), "matches too ('printer' in the subject), but rule 'vpn' comes first");
    assert_true (json_is_true (json_object_get (json_array_get (json_object_get (e, "rules"), 1), "matched")));
    json_decref (e);

    e = router_rules_explain (f->rules, "help", "the Drucker is jammed", NULL, NULL);
    assert_true (json_is_null (json_object_get (e, "rule")));
    assert_string_equal (json_string_value (json_object_get (e, "team")), "service-desk");
    assert_string_equal (s_why (e, 1), "nearly: 'Drucker' is in the body, but this rule reads only the subject");
    assert_string_equal (s_why (e, 3), "no keyword or pattern found");
    json_decref (e);

    e = router_rules_explain (f->rules, "openvpn broken", NULL, NULL, NULL);
    assert_true (json_is_null (json_object_get (e, "rule")));
    assert_string_equal (s_why (e, 0), "nearly: a keyword appears only inside the word 'openvpn'");
    json_decref (e);
}

static void
test_rules_match_only_in_their_fields (void **state)
{
    fixture_t *f = *state;
    //  printer looks at the subject only; network-wide at the body only.
    assert_int_equal (router_rules_match (f->rules, "Drucker kaputt", NULL), 1);
    assert_int_equal (router_rules_match (f->rules, "help", "the Drucker is jammed"), -1);
    assert_int_equal (router_rules_match (f->rules, "network", "nothing"), -1);
    assert_int_equal (router_rules_match (f->rules, "help", "the network is slow"), 2);
    assert_int_equal (router_rules_match (f->rules, "nothing", "nothing"), -1);
    assert_int_equal (router_rules_match (f->rules, NULL, NULL), -1);
}

static void
test_first_matching_rule_wins (void **state)
{
    fixture_t *f = *state;
    //  vpn (rule 0) and network-wide (rule 2) both match the body: rule 0 wins.
    assert_int_equal (router_rules_match (f->rules, "help", "vpn and network down"), 0);
    //  printer (rule 1) in the subject beats network-wide (rule 2) in the body.
    assert_int_equal (router_rules_match (f->rules, "printer", "network down"), 1);
    //  vpn in the body beats printer in the subject: order, not field, decides.
    assert_int_equal (router_rules_match (f->rules, "printer", "my VPN too"), 0);
    router_decision_t d;
    router_rules_decide (f->rules, "printer", "my VPN too", NULL, NULL, &d);
    assert_string_equal (d.rule, "vpn");
    assert_string_equal (d.team, "network");
    assert_string_equal (d.standard_response, "vpn-basics");
}

static void
test_decision_for_a_matching_rule (void **state)
{
    fixture_t *f = *state;
    router_decision_t d;
    router_rules_decide (f->rules, "VPN is down", "", NULL, NULL, &d);
    assert_string_equal (d.team, "network");
    assert_string_equal (d.category, "network/vpn");
    assert_string_equal (d.priority, "P2");
    assert_string_equal (d.rule, "vpn");
    assert_string_equal (d.standard_response, "vpn-basics");
}

static void
test_decision_without_a_match_uses_defaults (void **state)
{
    fixture_t *f = *state;
    router_decision_t d;
    router_rules_decide (f->rules, "Printer on floor 3", "jammed", "", "", &d);
    assert_string_equal (d.rule, "printer");
    router_rules_decide (f->rules, "Mouse broken", "It squeaks.", "", "", &d);
    assert_string_equal (d.team, "service-desk");
    assert_string_equal (d.category, "");
    assert_string_equal (d.priority, "P4");
    assert_string_equal (d.rule, "");
    assert_string_equal (d.standard_response, "");
}

static void
test_rule_without_team_or_priority_falls_back (void **state)
{
    fixture_t *f = *state;
    router_decision_t d;
    router_rules_decide (f->rules, "password reset please", "", NULL, NULL, &d);
    assert_string_equal (d.rule, "access-only");
    assert_string_equal (d.team, "service-desk");
    assert_string_equal (d.category, "access");
    assert_string_equal (d.priority, "P4");
    assert_string_equal (d.standard_response, "");
    //  printer has a team and category but no priority: the default applies.
    router_rules_decide (f->rules, "printer jam", "", NULL, NULL, &d);
    assert_string_equal (d.team, "hardware");
    assert_string_equal (d.priority, "P4");
}

static void
test_ticket_priority_beats_rule_beats_default (void **state)
{
    fixture_t *f = *state;
    router_decision_t d;
    //  The ticket's own (requested, or from impact x urgency at intake).
    router_rules_decide (f->rules, "VPN down", "", "P1", NULL, &d);
    assert_string_equal (d.priority, "P1");
    router_rules_decide (f->rules, "VPN down", "", "P3", NULL, &d);
    assert_string_equal (d.priority, "P3");
    //  Else the rule's.
    router_rules_decide (f->rules, "VPN down", "", "", NULL, &d);
    assert_string_equal (d.priority, "P2");
    router_rules_decide (f->rules, "x", "network", NULL, NULL, &d);
    assert_string_equal (d.priority, "P1");
    //  Else the default.
    router_rules_decide (f->rules, "nothing", "", NULL, NULL, &d);
    assert_string_equal (d.priority, "P4");
    router_rules_decide (f->rules, "nothing", "", "P2", NULL, &d);
    assert_string_equal (d.priority, "P2");
}

static void
test_ticket_category_beats_rule_category (void **state)
{
    fixture_t *f = *state;
    router_decision_t d;
    router_rules_decide (f->rules, "VPN down", "", NULL, "hardware/laptop", &d);
    assert_string_equal (d.category, "hardware/laptop");
    assert_string_equal (d.team, "network");  //  the rule still decides the team
    router_rules_decide (f->rules, "VPN down", "", NULL, "", &d);
    assert_string_equal (d.category, "network/vpn");
    router_rules_decide (f->rules, "nothing", "", NULL, "access", &d);
    assert_string_equal (d.category, "access");
    assert_string_equal (d.rule, "");
}

static void
test_decision_outlives_the_configuration (void **state)
{
    fixture_t *f = *state;
    //  A reload destroys the old configuration; the rules keep their own copies.
    char err[512];
    opd_config_t *cfg = opd_config_parse (s_config, strlen (s_config), "test", err, sizeof err);
    assert_non_null (cfg);
    router_rules_t *rules = router_rules_new (cfg, err, sizeof err);
    assert_non_null (rules);
    opd_config_destroy (&cfg);
    router_decision_t d;
    router_rules_decide (rules, "remote   ACCESS broken", "", NULL, NULL, &d);
    assert_string_equal (d.rule, "vpn");
    assert_string_equal (d.team, "network");
    assert_int_equal (router_rules_count (rules), router_rules_count (f->rules));
    router_rules_destroy (&rules);
    assert_null (rules);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_keyword_matches_whole_words_case_insensitively),
        cmocka_unit_test (test_keyword_at_start_end_and_next_to_punctuation),
        cmocka_unit_test (test_phrase_matches_any_whitespace_between_words),
        cmocka_unit_test (test_keyword_is_literal_not_a_pattern),
        cmocka_unit_test (test_keyword_is_unicode_aware),
        cmocka_unit_test (test_rules_match_only_in_their_fields),
        cmocka_unit_test (test_first_matching_rule_wins),
        cmocka_unit_test (test_decision_for_a_matching_rule),
        cmocka_unit_test (test_decision_without_a_match_uses_defaults),
        cmocka_unit_test (test_rule_without_team_or_priority_falls_back),
        cmocka_unit_test (test_ticket_priority_beats_rule_beats_default),
        cmocka_unit_test (test_ticket_category_beats_rule_category),
        cmocka_unit_test (test_decision_outlives_the_configuration),
        cmocka_unit_test (test_keywords_ignore_accents),
        cmocka_unit_test (test_regex_rules_match_case_and_accent_insensitively),
        cmocka_unit_test (test_explain_says_what_matched_and_what_nearly_did),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
