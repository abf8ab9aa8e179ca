/*  test_config: the configuration loader (common/src/opd_config.c).

    The demo configuration loads; every bad configuration is refused with one
    line that names the bad key by its dotted path; the lookups the services
    rely on (retention per category, SLO policy matching, the priority
    matrix) answer as CONTRACT.md sections 6 and 8 say. */
#include "opd_config.h"
#include "opd_util.h"
#include <czmq.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

//  A small valid configuration; each bad case changes one piece of it.
static const char *s_base =
    "ticket_prefix: OPD\n"
    "redis: {host: 127.0.0.1, port: 6390}\n"
    "calendars:\n"
    "  office:\n"
    "    timezone: Europe/London\n"
    "    hours: {mon: [\"08:00-18:00\"], wed: [\"08:00-12:30\", \"13:30-18:00\"], sat: []}\n"
    "    holidays: [\"2026-12-25\"]\n"
    "  always: {timezone: UTC, hours: 24x7}\n"
    "slo_policies:\n"
    "  - {name: p1, match: {priority: P1}, calendar: always, first_response: 15m, resolution: 4h}\n"
    "  - {name: laptops, match: {category: hardware/laptop, kind: service_request}, calendar: office, first_response: 1h}\n"
    "  - {name: hardware, match: {category: hardware}, calendar: office, resolution: 8h}\n"
    "  - {name: standard, match: {}, calendar: office, first_response: 4h, next_reply: 8h, resolution: 16h}\n"
    "priority_matrix: {high: {high: P1, medium: P2, low: P3}, medium: {high: P2, medium: P3, low: P4}, low: {high: P3, medium: P4, low: P4}}\n"
    "categories: {hardware: {laptop: {}, printer: {}}, network: {vpn: {}}, access: {}}\n"
    "teams:\n"
    "  - {id: network, name: Network, calendar: office}\n"
    "  - {id: service-desk, calendar: office}\n"
    "default_team: service-desk\n"
    "agents:\n"
    "  - {id: alice, email: alice@example.org, teams: [network]}\n"
    "shifts:\n"
    "  - {agent: alice, team: network, days: [mon, tue], from: \"22:00\", to: \"06:00\"}\n"
    "standard_responses:\n"
    "  - {id: vpn-basics, body: \"Restart the VPN client.\"}\n"
    "routing_rules:\n"
    "  - name: vpn\n"
    "    when: {keywords: [vpn], in: [subject]}\n"
    "    then: {team: network, category: network/vpn, priority: P2, standard_response: vpn-basics}\n"
    "request_types:\n"
    "  - id: new-laptop\n"
    "    fields:\n"
    "      - {name: cost_centre, type: string, required: true, pattern: \"^[0-9]{6}$\"}\n"
    "      - {name: model, type: enum, values: [standard, developer]}\n"
    "retention: {closed_days: 365, per_category: {access: 90, hardware: 30, hardware/laptop: 10}}\n"
    "notifications: {smtp: {url: \"smtp://127.0.0.1:2525\", from: desk@example.org}}\n"
    "limits: {body_bytes: 1000, frame_bytes: 4096}\n"
    "tokens:\n"
    "  - {token: agent-token-0123456789, role: agent, identity: alice}\n"
    "  - {token: requester-token-0123456789, role: requester, identity: rita@example.com}\n";

//  The base text with the first occurrence of from replaced by to (which
//  must occur); the caller frees it.
static char *
s_with (const char *from, const char *to)
{
    const char *at = strstr (s_base, from);
    if (!at)
        fail_msg ("the base configuration has no '%s'", from);
    size_t head = (size_t) (at - s_base), flen = strlen (from), tlen = strlen (to);
    char *out = malloc (strlen (s_base) - flen + tlen + 1);
    assert_non_null (out);
    memcpy (out, s_base, head);
    memcpy (out + head, to, tlen);
    strcpy (out + head + tlen, at + flen);
    return out;
}

static opd_config_t *
s_parse (const char *text, char *err, size_t errlen)
{
    err[0] = 0;
    return opd_config_parse (text, strlen (text), "test.yaml", err, errlen);
}

//  The source tree (ctest sets OPDESK_SOURCE; else the tree this file is in).
static void
s_source_path (char *out, size_t size, const char *rel)
{
    const char *src = getenv ("OPDESK_SOURCE");
    const char *at = strstr (__FILE__, "/tests/unit/");
    if (src)
        snprintf (out, size, "%s/%s", src, rel);
    else if (at)
        snprintf (out, size, "%.*s/%s", (int) (at - __FILE__), __FILE__, rel);
    else
        snprintf (out, size, "%s", rel);
}

static void
test_config_base_is_valid (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse (s_base, err, sizeof err);
    if (!cfg)
        fail_msg ("base configuration refused: %s", err);
    assert_int_equal (cfg->redis_port, 6390);
    assert_int_equal (cfg->ncalendars, 2);
    const opd_calendar_t *office = opd_config_calendar (cfg, "office");
    assert_non_null (office);
    assert_false (office->always);
    assert_int_equal (office->nhours[2], 2);
    assert_int_equal (office->hours[2][0].from, 8 * 60);
    assert_int_equal (office->hours[2][1].to, 18 * 60);
    assert_int_equal (office->nhours[1], 0);  //  a missing day has no working time
    assert_true (opd_config_calendar (cfg, "always")->always);
    assert_int_equal (cfg->policies[0].first_response, 15 * 60 * 1000);
    assert_int_equal (cfg->policies[0].resolution, 4 * 3600 * 1000);
    assert_true (cfg->policies[0].warn_at > 0.749 && cfg->policies[0].warn_at < 0.751);
    assert_int_equal (cfg->shifts[0].from, 22 * 60);
    assert_int_equal (cfg->shifts[0].to, 6 * 60);
    assert_string_equal (cfg->shifts[0].timezone, "Europe/London");  //  from the team's calendar
    assert_int_equal (cfg->body_bytes, 1000);
    assert_int_equal (cfg->frame_bytes, 4096);
    assert_true (opd_config_category_exists (cfg, "hardware"));
    assert_true (opd_config_category_exists (cfg, "hardware/laptop"));
    assert_false (opd_config_category_exists (cfg, "hardware/phone"));
    assert_false (opd_config_category_exists (cfg, "laptop"));
    assert_non_null (opd_config_reqtype (cfg, "new-laptop"));
    assert_non_null (opd_config_reqtype (cfg, "new-laptop")->fields[0].regex);
    assert_int_equal (cfg->nseverities, 0);  //  none: S1 to S4 (opd_change.c)
    opd_config_destroy (&cfg);
    assert_null (cfg);
    opd_config_destroy (&cfg);  //  safe twice
    char *text = s_with ("default_team: service-desk", "default_team: service-desk\nseverities: [critical, major, minor]");
    cfg = s_parse (text, err, sizeof err);
    if (!cfg)
        fail_msg ("severities refused: %s", err);
    assert_int_equal (cfg->nseverities, 3);
    assert_string_equal (cfg->severities[2], "minor");
    free (text);
    opd_config_destroy (&cfg);
}

static void
test_config_demo_file_loads (void **state)
{
    (void) state;
    char path[1024];
    s_source_path (path, sizeof path, "deploy/opdesk.yaml");
    char err[512] = "";
    opd_config_t *cfg = opd_config_load (path, err, sizeof err);
    if (!cfg)
        fail_msg ("the demo configuration %s was refused: %s", path, err);
    assert_string_equal (cfg->ticket_prefix, "OPD");
    assert_int_equal (cfg->redis_port, 6380);
    assert_string_equal (cfg->ep_intake, "tcp://127.0.0.1:5550");
    assert_string_equal (cfg->ep_events, "tcp://127.0.0.1:5560");
    assert_non_null (opd_config_team (cfg, "network"));
    assert_non_null (opd_config_stdresp (cfg, "vpn-basics"));
    assert_true (cfg->has_matrix);
    assert_true (cfg->npolicies >= 2);
    assert_true (cfg->ntokens >= 1);
    opd_config_destroy (&cfg);
}

static void s_temp_file (char *path, size_t size, const char *text);

//  text with every occurrence of from replaced by to; the caller frees it.
static char *
s_replace_all (const char *text, const char *from, const char *to)
{
    size_t n = 0, flen = strlen (from), tlen = strlen (to);
    for (const char *p = strstr (text, from); p; p = strstr (p + flen, from))
        n++;
    char *out = malloc (strlen (text) + n * tlen + 1), *o = out;
    assert_non_null (out);
    for (const char *p = text;;) {
        const char *at = strstr (p, from);
        if (!at) {
            strcpy (o, p);
            break;
        }
        memcpy (o, p, (size_t) (at - p));
        o += at - p;
        memcpy (o, to, tlen);
        o += tlen;
        p = at + flen;
    }
    return out;
}

//  deploy/opdesk.compose.yaml is not a demo: the services refuse it while a
//  change-me placeholder is left, and load it once the operator has set real
//  secrets (and the redis-users init step has written the password file).
static void
test_config_compose_file_needs_real_secrets (void **state)
{
    (void) state;
    char path[1024], err[512];
    s_source_path (path, sizeof path, "deploy/opdesk.compose.yaml");
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    char *text = calloc (1, 65536);
    assert_non_null (text);
    assert_true (fread (text, 1, 65535, f) > 0);
    fclose (f);
    char secret[64];
    s_temp_file (secret, sizeof secret, "0123456789abcdef0123456789abcdef\n");
    char *shipped = s_replace_all (text, "/run/opdesk-secrets/redis-{service}", secret);
    assert_null (s_parse (shipped, err, sizeof err));
    if (!strstr (err, "tokens[0].token: is still a change-me placeholder"))
        fail_msg ("%s", err);
    char *ready = s_replace_all (shipped, "change-me-", "real-secret-4f9a2c7e-");
    opd_config_t *cfg = s_parse (ready, err, sizeof err);
    if (!cfg)
        fail_msg ("the compose configuration with real secrets was refused: %s", err);
    assert_false (cfg->demo);
    //  The services connect to intake by its service name; intake binds
    //  those ports on every interface (opd_zmq_bind).
    assert_string_equal (cfg->redis_host, "redis");
    assert_string_equal (cfg->redis_username, "opdesk-test_config");
    assert_string_equal (cfg->redis_password, "0123456789abcdef0123456789abcdef");
    assert_string_equal (cfg->ep_intake, "tcp://intake:5550");
    assert_string_equal (cfg->ep_events, "tcp://intake:5560");
    opd_config_destroy (&cfg);
    unlink (secret);
    free (ready);
    free (shipped);
    free (text);
}

static void
test_config_missing_file_names_it (void **state)
{
    (void) state;
    char err[512] = "";
    assert_null (opd_config_load ("/nonexistent/opdesk.yaml", err, sizeof err));
    assert_non_null (strstr (err, "/nonexistent/opdesk.yaml"));
}

//  One bad configuration: the text, the key its error must name, and a
//  word the message must hold.
typedef struct {
    const char *from, *to;  //  replacement in s_base; from NULL: to is the whole text
    const char *path;
    const char *word;
} bad_case_t;

static const bad_case_t s_bad[] = {
    {"ticket_prefix: OPD\n", "ticket_prefix: OPD\ncolour: blue\n", "colour", "unknown key"},
    //  A key twice: the second copy would be a value nobody checked.
    {"ticket_prefix: OPD\n", "ticket_prefix: OPD\nretention: {closed_days: 0}\n", "retention", "twice"},
    {"retention: {closed_days: 365,", "retention: {closed_days: 0, closed_days: 365,", "retention.closed_days",
     "twice"},
    {"hours: {mon: [\"08:00-18:00\"],", "hours: {mon: [\"08:00-18:00\"], mon: [],", "calendars.office.hours.mon",
     "twice"},
    {"calendar: always, first_response: 15m", "calendar: nowhere, first_response: 15m",
     "slo_policies[0].calendar", "unknown calendar"},
    {"then: {team: network,", "then: {team: nobody,", "routing_rules[0].then.team",
     "unknown team"},
    {"first_response: 15m", "first_response: 15 minutes", "slo_policies[0].first_response",
     "duration"},
    {"resolution: 4h}", "resolution: 4d}", "slo_policies[0].resolution", "duration"},
    {"wed: [\"08:00-12:30\", \"13:30-18:00\"]", "wed: [\"08:00-12:30\", \"12:00-18:00\"]",
     "calendars.office.hours.wed", "intervals overlap"},
    {"mon: [\"08:00-18:00\"]", "mon: [\"8-18\"]", "calendars.office.hours.mon", "HH:MM"},
    {"mon: [\"08:00-18:00\"]", "mon: [\"18:00-08:00\"]", "calendars.office.hours.mon",
     "ends before"},
    {"hours: {mon:", "hours: {funday: [], mon:", "calendars.office.hours.funday",
     "unknown key"},
    {"timezone: Europe/London", "timezone: Mars/Olympus_Mons", "calendars.office.timezone",
     "time zone"},
    {"holidays: [\"2026-12-25\"]", "holidays: [\"2026-02-30\"]", "calendars.office.holidays",
     "date"},
    {"pattern: \"^[0-9]{6}$\"", "pattern: \"^[0-9\"", "request_types[0].fields[0].pattern",
     "regular expression"},
    {"type: enum, values: [standard, developer]", "type: enum",
     "request_types[0].fields[1].values", "enum"},
    {"type: string, required", "type: text, required", "request_types[0].fields[0].type",
     "string"},
    {"requester-token-0123456789, role: requester", "agent-token-0123456789, role: requester", "tokens[1].token",
     "the same token as tokens[0]"},
    {"role: agent, identity: alice", "role: superuser, identity: alice", "tokens[0].role",
     "requester, agent, lead or admin"},
    {"role: agent, identity: alice", "role: agent, identity: mallory", "tokens[0].identity",
     "agent"},
    {"identity: rita@example.com", "identity: rita", "tokens[1].identity", "email"},
    {"port: 6390", "port: 70000", "redis.port", "between 1 and 65535"},
    {"port: 6390", "port: many", "redis.port", "whole number"},
    {"priority_matrix: {high: {high: P1,", "priority_matrix: {high: {high: P9,",
     "priority_matrix.high.high", "P1"},
    {"categories:", "default_priority: urgent\ncategories:", "default_priority", "P1"},
    {"calendar: office}\n  - {id: service-desk", "calendar: nowhere}\n  - {id: service-desk",
     "teams[0].calendar", "unknown calendar"},
    {"default_team: service-desk", "default_team: ghosts", "default_team", "unknown team"},
    {"default_team: service-desk", "default_team: service-desk\ncoverage: {lookahead_days: 0}",
     "coverage.lookahead_days", "between 1 and 366"},
    {"default_team: service-desk", "default_team: service-desk\ncoverage: {leave_approval: maybe}",
     "coverage.leave_approval", ""},
    {"calendar: office}\n  - {id: service-desk", "calendar: office, max_away: -1}\n  - {id: service-desk",
     "teams[0].max_away", "between 0 and 1000"},
    {"teams: [network]", "teams: [ghosts]", "agents[0].teams", "unknown team"},
    {"{agent: alice, team: network", "{agent: bob, team: network", "shifts[0].agent",
     "unknown agent"},
    {"from: \"22:00\"", "from: \"25:00\"", "shifts[0].from", "HH:MM"},
    {"days: [mon, tue]", "days: [mon, someday]", "shifts[0].days", "mon"},
    {"to: \"06:00\"}", "to: \"06:00\", timezone: Europe/Atlantis}", "shifts[0].timezone",
     "unknown time zone"},
    {"category: network/vpn, priority: P2", "category: network/satellite, priority: P2",
     "routing_rules[0].then.category", "unknown category"},
    {"standard_response: vpn-basics}", "standard_response: nothing}",
     "routing_rules[0].then.standard_response", "unknown standard response"},
    {"when: {keywords: [vpn], in: [subject]}", "when: {keywords: [vpn], regex: [\"INC[0-9\"], in: [subject]}",
     "routing_rules[0].when.regex", "rule 'vpn'"},
    {"when: {keywords: [vpn], in: [subject]}", "when: {in: [subject]}", "routing_rules[0]", "keyword"},
    {"body: \"Restart the VPN client.\"}", "body: \"Hi {{requester.nmae}}\"}", "standard_responses[0]",
     "standard response 'vpn-basics': the body's {{requester.nmae}} is not a known variable"},
    {"body: \"Restart the VPN client.\"}", "body: \"x\", subject: \"{{ticket.id\"}", "standard_responses[0]",
     "the subject's {{ticket.id}} is not closed"},
    {"body: \"Restart the VPN client.\"}", "body: x, guide_url: \"ftp://wiki.example.org\"}",
     "standard_responses[0]", "standard response 'vpn-basics': guide_url"},
    {"body: \"Restart the VPN client.\"}", "body: x, guide_url: \"https:///vpn\"}", "standard_responses[0]",
     "not a well-formed"},
    {"when: {keywords: [vpn], in: [subject]}", "when: {keywords: [vpn], in: [title]}",
     "routing_rules[0].when.in", "subject or body"},
    {"match: {category: hardware/laptop,", "match: {category: hardware/tablet,",
     "slo_policies[1].match", "unknown category"},
    {"match: {priority: P1}", "match: {severity: S1}", "slo_policies[0].match.severity",
     "unknown key"},
    {"per_category: {access: 90,", "per_category: {secrets: 90,",
     "retention.per_category.secrets", "unknown category"},
    {"closed_days: 365", "closed_days: -1", "retention.closed_days", "between"},
    {"access: 90,", "access: -3,", "retention.per_category.access", "between"},
    {"url: \"smtp://127.0.0.1:2525\"", "url: \"http://127.0.0.1:2525\"",
     "notifications.smtp.url", "smtp://"},
    {"redis: {host: 127.0.0.1, port: 6390}",
     "redis: {host: 127.0.0.1, port: 6390}\nendpoints: {intake: \"udp://1.2.3.4:1\"}",
     "endpoints.intake", "tcp://"},
    {"frame_bytes: 4096", "frame_bytes: 10", "limits.frame_bytes", "between"},
    {"first_response: 15m, resolution: 4h", "warn_at: 1.5, first_response: 15m",
     "slo_policies[0].warn_at", "at most"},
    {"{name: standard, match: {}, calendar: office, first_response: 4h, next_reply: 8h, resolution: 16h}",
     "{name: standard, match: {}, calendar: office}", "slo_policies[3]", "at least one"},
    {"ticket_prefix: OPD", "ticket_prefix: \"O-P-D\"", "ticket_prefix", "letters"},
};

static void
test_config_bad_keys_are_named (void **state)
{
    (void) state;
    int checked = 0;
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad[0]; i++) {
        const bad_case_t *b = &s_bad[i];
        char *text = s_with (b->from, b->to);
        char err[512];
        opd_config_t *cfg = s_parse (text, err, sizeof err);
        if (cfg)
            fail_msg ("case %zu (%s) was accepted", i, b->path);
        //  The message starts with the dotted path, then ": ".
        char want[256];
        snprintf (want, sizeof want, "%s: ", b->path);
        if (strncmp (err, want, strlen (want)))
            fail_msg ("case %zu: error '%s' does not start with '%s'", i, err, want);
        if (!strstr (err, b->word))
            fail_msg ("case %zu: error '%s' does not say '%s'", i, err, b->word);
        assert_null (strchr (err, '\n'));
        free (text);
        checked++;
    }
    assert_true (checked >= 15);
}

//  Whole texts that are wrong in their shape rather than one key.
static void
test_config_bad_documents (void **state)
{
    (void) state;
    char err[512];
    assert_null (s_parse ("redis: {host: [unclosed\n", err, sizeof err));
    if (!strstr (err, "not valid YAML at line"))
        fail_msg ("%s", err);
    assert_null (s_parse ("a: b\n  c: d\n", err, sizeof err));
    assert_non_null (strstr (err, "not valid YAML"));
    assert_null (s_parse ("", err, sizeof err));
    assert_non_null (strstr (err, "empty"));
    //  A value quoted in the error is shown without its line breaks or other
    //  control characters: the error is one line of a log.
    assert_null (s_parse ("endpoints: {intake: \"udp://x\\ny\\r\\tz:1\"}\n", err, sizeof err));
    if (!strstr (err, "endpoints.intake") || strpbrk (err, "\n\r\t"))
        fail_msg ("not one line: %s", err);
    assert_null (s_parse ("- just\n- a list\n", err, sizeof err));
    assert_non_null (strstr (err, "must be a map"));
    assert_null (s_parse ("redis: 6379\n", err, sizeof err));
    assert_non_null (strstr (err, "redis: must be a map"));
    assert_null (s_parse ("teams: {id: x}\n", err, sizeof err));
    assert_non_null (strstr (err, "teams: must be a list"));
    //  Complex (non-text) keys where names are expected must be refused,
    //  never read as text.
    assert_null (s_parse ("calendars:\n  ? [a, b]\n  : {timezone: UTC, hours: 24x7}\n", err,
                          sizeof err));
    assert_non_null (strstr (err, "calendars"));
    assert_null (s_parse ("categories:\n  ? {a: b}\n  : {}\n", err, sizeof err));
    assert_non_null (strstr (err, "categories"));
    assert_null (s_parse ("categories: {access: {}}\nretention:\n  per_category:\n    ? [access]\n"
                          "    : 30\n",
                          err, sizeof err));
    assert_non_null (strstr (err, "retention.per_category"));
    //  A sequence inside a path where a scalar is expected.
    assert_null (s_parse ("ticket_prefix: [a]\n", err, sizeof err));
    assert_non_null (strstr (err, "ticket_prefix: must be text"));
}

static void
test_config_retention_per_category_applies_below (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse (s_base, err, sizeof err);
    assert_non_null (cfg);
    assert_int_equal (opd_config_retention_days (cfg, "access"), 90);
    assert_int_equal (opd_config_retention_days (cfg, "hardware"), 30);
    assert_int_equal (opd_config_retention_days (cfg, "hardware/printer"), 30);
    //  The most specific rule wins, whatever the order in the file.
    assert_int_equal (opd_config_retention_days (cfg, "hardware/laptop"), 10);
    assert_int_equal (opd_config_retention_days (cfg, "network/vpn"), 365);
    assert_int_equal (opd_config_retention_days (cfg, NULL), 365);
    //  A path that merely starts with the same letters is not below it.
    assert_int_equal (opd_config_retention_days (cfg, "accessories"), 365);
    assert_true (opd_category_under ("hardware/laptop", "hardware"));
    assert_true (opd_category_under ("hardware", "hardware"));
    assert_false (opd_category_under ("hardware", "hardware/laptop"));
    assert_false (opd_category_under ("hardwarex/laptop", "hardware"));
    assert_false (opd_category_under (NULL, "hardware"));
    opd_config_destroy (&cfg);
}

static const char *
s_policy_name (const opd_config_t *cfg, const char *priority, const char *kind,
               const char *category, const char *team)
{
    opd_ticket_facts_t t = {.priority = priority, .kind = kind, .category = category,
                            .team = team, .channel = "web"};
    const opd_policy_t *p = opd_config_policy_for (cfg, &t);
    return p ? p->name : "(none)";
}

static void
test_config_policy_first_match_wins (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse (s_base, err, sizeof err);
    assert_non_null (cfg);
    assert_string_equal (s_policy_name (cfg, "P1", "incident", "hardware/laptop", NULL), "p1");
    assert_string_equal (
        s_policy_name (cfg, "P3", "service_request", "hardware/laptop", "network"), "laptops");
    //  Every key given must match: an incident on a laptop is not 'laptops'.
    assert_string_equal (s_policy_name (cfg, "P3", "incident", "hardware/laptop", NULL),
                         "hardware");
    //  category matches the path and any path below it.
    assert_string_equal (s_policy_name (cfg, "P3", "incident", "hardware/printer", NULL),
                         "hardware");
    assert_string_equal (s_policy_name (cfg, "P3", "incident", "hardware", NULL), "hardware");
    assert_string_equal (s_policy_name (cfg, "P2", "incident", "network/vpn", NULL), "standard");
    //  A ticket without category or priority does not match a policy that asks for one.
    assert_string_equal (s_policy_name (cfg, NULL, NULL, NULL, NULL), "standard");
    opd_config_destroy (&cfg);

    //  Without a catch-all policy some tickets match none.
    char *text = s_with (
        "  - {name: standard, match: {}, calendar: office, first_response: 4h, next_reply: 8h, "
        "resolution: 16h}\n",
        "  - {name: vpn-team, match: {team: network, channel: web}, calendar: office, "
        "resolution: 2h}\n");
    cfg = s_parse (text, err, sizeof err);
    if (!cfg)
        fail_msg ("%s", err);
    assert_string_equal (s_policy_name (cfg, "P3", "incident", "network/vpn", "network"),
                         "vpn-team");
    assert_string_equal (s_policy_name (cfg, "P3", "incident", "network/vpn", "service-desk"),
                         "(none)");
    opd_config_destroy (&cfg);
    free (text);
}

static void
test_config_matrix_priority (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse (s_base, err, sizeof err);
    assert_non_null (cfg);
    static const char *levels[] = {"high", "medium", "low"};
    static const char *want[3][3] = {{"P1", "P2", "P3"}, {"P2", "P3", "P4"}, {"P3", "P4", "P4"}};
    for (int i = 0; i < 3; i++)
        for (int u = 0; u < 3; u++)
            assert_string_equal (opd_config_matrix_priority (cfg, levels[i], levels[u]),
                                 want[i][u]);
    assert_null (opd_config_matrix_priority (cfg, "high", NULL));
    assert_null (opd_config_matrix_priority (cfg, NULL, "low"));
    assert_null (opd_config_matrix_priority (cfg, "critical", "high"));
    opd_config_destroy (&cfg);

    //  Without a matrix there is no priority from impact and urgency.
    char *text = s_with ("priority_matrix: {high: {high: P1, medium: P2, low: P3}, medium: "
                         "{high: P2, medium: P3, low: P4}, low: {high: P3, medium: P4, low: P4}}\n",
                         "");
    cfg = s_parse (text, err, sizeof err);
    assert_non_null (cfg);
    assert_false (cfg->has_matrix);
    assert_null (opd_config_matrix_priority (cfg, "high", "high"));
    assert_string_equal (cfg->default_priority, "P3");
    opd_config_destroy (&cfg);
    free (text);
    //  An incomplete matrix is an error naming the missing row.
    text = s_with (", low: {high: P3, medium: P4, low: P4}}", "}");
    assert_null (s_parse (text, err, sizeof err));
    assert_non_null (strstr (err, "priority_matrix.low: is required"));
    free (text);
}

static void
test_config_defaults_and_locate (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse ("ticket_prefix: HD\n", err, sizeof err);
    if (!cfg)
        fail_msg ("%s", err);
    assert_string_equal (cfg->ep_intake, "tcp://127.0.0.1:5550");
    assert_string_equal (cfg->ep_events, "tcp://127.0.0.1:5560");
    assert_string_equal (cfg->ep_http, "127.0.0.1:8080");
    assert_int_equal (cfg->redis_port, 6379);
    assert_int_equal (cfg->body_bytes, 1048576);
    assert_int_equal (cfg->frame_bytes, 2097152);
    assert_string_equal (cfg->default_priority, "P3");
    assert_int_equal (cfg->retention_closed_days, 365);
    opd_config_destroy (&cfg);

    assert_string_equal (opd_config_locate ("/x.yaml"), "/x.yaml");
    setenv ("OPDESK_CONFIG", "/from/env.yaml", 1);
    assert_string_equal (opd_config_locate (NULL), "/from/env.yaml");
    unsetenv ("OPDESK_CONFIG");
    //  Then /etc/opdesk/opdesk.yaml, or, when that is not installed, the
    //  demo configuration of the clone the program was built in.
    const char *found = opd_config_locate (NULL);
    size_t flen = strlen (found);
    assert_true (!strcmp (found, OPD_DEFAULT_CONFIG)
                 || (flen > 18 && !strcmp (found + flen - 18, "deploy/opdesk.yaml")));
    assert_int_equal (opd_priority_rank ("P1"), 1);
    assert_int_equal (opd_priority_rank ("P4"), 4);
    assert_int_equal (opd_priority_rank ("P5"), 0);
    assert_int_equal (opd_priority_rank ("P12"), 0);
    assert_int_equal (opd_priority_rank (NULL), 0);
}

//  --- curve ---------------------------------------------------------------
//  Key files written by czmq (as `opdesk keygen` does) into a fresh folder.

typedef struct {
    char dir[64];
    char server[128], server_secret[128], client_secret[128], other_secret[128], clients[128];
} keys_t;

static void
s_keygen (const char *dir, const char *name, char *public_path, char *secret_path)
{
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    char path[128];
    snprintf (path, sizeof path, "%s/%s.key", dir, name);
    assert_int_equal (zcert_save (cert, path), 0);
    if (public_path)
        snprintf (public_path, 128, "%s", path);
    if (secret_path)
        snprintf (secret_path, 128, "%s_secret", path);
    zcert_destroy (&cert);
}

static void
s_keys (keys_t *k)
{
    snprintf (k->dir, sizeof k->dir, "/tmp/opd-test-curve-XXXXXX");
    assert_non_null (mkdtemp (k->dir));
    s_keygen (k->dir, "server", k->server, k->server_secret);
    s_keygen (k->dir, "opdesk", NULL, k->client_secret);
    s_keygen (k->dir, "other", NULL, k->other_secret);
    snprintf (k->clients, sizeof k->clients, "%s/clients", k->dir);
    assert_int_equal (mkdir (k->clients, 0700), 0);
}

static void
s_keys_remove (keys_t *k)
{
    char cmd[160];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", k->dir);
    assert_int_equal (system (cmd), 0);
}

//  The base configuration with curve_block appended, parsed as a file in
//  the key folder (so that relative paths are relative to it).
static opd_config_t *
s_parse_curve (const keys_t *k, const char *curve_block, char *err, size_t errlen)
{
    char *text = opd_sprintf ("%s%s", s_base, curve_block);
    char name[128];
    snprintf (name, sizeof name, "%s/opdesk.yaml", k->dir);
    err[0] = 0;
    opd_config_t *cfg = opd_config_parse (text, strlen (text), name, err, errlen);
    free (text);
    return cfg;
}

static void
test_config_curve_loads_keys (void **state)
{
    (void) state;
    keys_t k;
    s_keys (&k);
    char err[512], *block = opd_sprintf ("curve: {server_secret_file: %s, server_public_file: %s, "
                                         "clients_dir: %s, client_secret_file: %s}\n",
                                         k.server_secret, k.server, k.clients, k.client_secret);
    opd_config_t *cfg = s_parse_curve (&k, block, err, sizeof err);
    assert_non_null (cfg);
    zcert_t *server = zcert_load (k.server_secret), *client = zcert_load (k.client_secret);
    assert_true (cfg->curve.enabled);
    assert_string_equal (cfg->curve.server_public, zcert_public_txt (server));
    assert_string_equal (cfg->curve.server_secret, zcert_secret_txt (server));
    assert_string_equal (cfg->curve.client_public, zcert_public_txt (client));
    assert_string_equal (cfg->curve.client_secret, zcert_secret_txt (client));
    assert_string_equal (cfg->curve_clients_dir, k.clients);
    opd_config_destroy (&cfg);
    free (block);

    //  A host without intake: the client half alone, paths relative to the
    //  configuration file's folder.
    cfg = s_parse_curve (&k, "curve: {server_public_file: server.key, client_secret_file: opdesk.key_secret}\n",
                         err, sizeof err);
    assert_non_null (cfg);
    assert_true (cfg->curve.enabled);
    assert_string_equal (cfg->curve.server_public, zcert_public_txt (server));
    assert_string_equal (cfg->curve.server_secret, "");
    assert_null (cfg->curve_clients_dir);
    opd_config_destroy (&cfg);
    zcert_destroy (&server);
    zcert_destroy (&client);

    //  Without the block: plaintext, as before.
    cfg = s_parse (s_base, err, sizeof err);
    assert_non_null (cfg);
    assert_false (cfg->curve.enabled);
    opd_config_destroy (&cfg);
    s_keys_remove (&k);
}

static void
test_config_curve_bad_blocks_are_named (void **state)
{
    (void) state;
    keys_t k;
    s_keys (&k);
    char garbage[160];
    snprintf (garbage, sizeof garbage, "%s/garbage.key", k.dir);
    FILE *f = fopen (garbage, "w");
    fputs ("curve\n    public-key = \"not a key\"\n", f);
    fclose (f);
    struct {
        const char *block;
        const char *path, *word;
    } cases[] = {
        {"curve: {server_public_file: server.key, client_secret_file: opdesk.key_secret, colour: blue}",
         "curve.colour", "unknown key"},
        {"curve: {server_public_file: server.key}", "curve.client_secret_file", "is required"},
        {"curve: {client_secret_file: opdesk.key_secret}", "curve.server_public_file", "is required"},
        {"curve: {server_public_file: nowhere.key, client_secret_file: opdesk.key_secret}",
         "curve.server_public_file", "cannot read"},
        //  The public half where the key pair is needed.
        {"curve: {server_public_file: server.key, client_secret_file: server.key}",
         "curve.client_secret_file", "no secret-key"},
        {"curve: {server_public_file: garbage.key, client_secret_file: opdesk.key_secret}",
         "curve.server_public_file", "not 40 characters of Z85"},
        {"curve: {server_public_file: server.key, client_secret_file: opdesk.key_secret, "
         "server_secret_file: other.key_secret, clients_dir: clients}",
         "curve.server_public_file", "is not the public key of curve.server_secret_file"},
        {"curve: {server_public_file: server.key, client_secret_file: opdesk.key_secret, "
         "server_secret_file: server.key_secret}",
         "curve.clients_dir", "is required with curve.server_secret_file"},
        {"curve: {server_public_file: server.key, client_secret_file: opdesk.key_secret, clients_dir: clients}",
         "curve.server_secret_file", "is required with curve.clients_dir"},
        {"curve: {server_public_file: server.key, client_secret_file: opdesk.key_secret, "
         "server_secret_file: server.key_secret, clients_dir: server.key}",
         "curve.clients_dir", "is not a folder"},
        {"curve: yes", "curve", "must be a map"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512], *block = opd_sprintf ("%s\n", cases[i].block);
        opd_config_t *cfg = s_parse_curve (&k, block, err, sizeof err);
        if (cfg)
            fail_msg ("accepted: %s", cases[i].block);
        char want[128];
        snprintf (want, sizeof want, "%s: ", cases[i].path);
        if (strncmp (err, want, strlen (want)) || !strstr (err, cases[i].word))
            fail_msg ("%s\n  gave: %s\n  want: %s... %s", cases[i].block, err, want, cases[i].word);
        free (block);
    }
    s_keys_remove (&k);
}

//  The reader takes what pyzmq writes too (no metadata name, single
//  quotes, comments), and names keys by metadata, else by file name.
static void
test_config_curve_reader_and_key_names (void **state)
{
    (void) state;
    keys_t k;
    s_keys (&k);
    zcert_t *cert = zcert_load (k.other_secret);
    char path[160];
    snprintf (path, sizeof path, "%s/py-adapter.key", k.dir);
    FILE *f = fopen (path, "w");
    fprintf (f, "#   ****  Generated by pyzmq  ****\n\nmetadata\ncurve\n    public-key = '%s' # the key\n",
             zcert_public_txt (cert));
    fclose (f);
    opd_cert_t c;
    char err[512], name[OPD_CURVE_NAME_MAX + 1];
    assert_int_equal (opd_cert_load (path, false, &c, err, sizeof err), 0);
    assert_string_equal (c.public_key, zcert_public_txt (cert));
    assert_string_equal (c.secret_key, "");
    assert_string_equal (c.name, "");
    opd_cert_key_name (&c, "py-adapter.key", name, sizeof name);
    assert_string_equal (name, "py-adapter");
    assert_int_equal (opd_cert_load (path, true, &c, err, sizeof err), -1);
    assert_non_null (strstr (err, "no secret-key"));

    assert_int_equal (opd_cert_load (k.other_secret, true, &c, err, sizeof err), 0);
    assert_string_equal (c.secret_key, zcert_secret_txt (cert));
    opd_cert_key_name (&c, "renamed.key_secret", name, sizeof name);
    assert_string_equal (name, "other");

    //  A secret key that is not the public key's pair is refused.
    zcert_t *server = zcert_load (k.server_secret);
    f = fopen (path, "w");
    fprintf (f, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", zcert_public_txt (cert),
             zcert_secret_txt (server));
    fclose (f);
    assert_int_equal (opd_cert_load (path, true, &c, err, sizeof err), -1);
    assert_non_null (strstr (err, "does not belong"));
    opd_cert_t bad = {.name = "two words"};
    opd_cert_key_name (&bad, "no good.key", name, sizeof name);
    assert_string_equal (name, "");
    zcert_destroy (&server);
    zcert_destroy (&cert);
    s_keys_remove (&k);
}

//  channels.email.quarantine and channels.email.agent_mail (issue 8).
static void
test_config_email_quarantine_and_agent_mail (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse ("channels: {email: {}}\n", err, sizeof err);
    if (!cfg)
        fail_msg ("%s", err);
    assert_int_equal (cfg->email_max_failures, 3);
    assert_string_equal (cfg->email_quarantine_folder, "Quarantine");
    //  The safe default: only a reply token makes mail an agent's.
    assert_int_equal (cfg->agent_mail_trust, OPD_AGENT_TRUST_TOKEN);
    assert_null (cfg->agent_mail_secret);
    opd_config_destroy (&cfg);

    char path[] = "/tmp/opd-test-secret-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, "0123456789abcdef0123\n", 21), 21);
    close (fd);
    char text[512];
    snprintf (text, sizeof text,
              "channels:\n  email:\n    quarantine: {after: 5, folder: Poison}\n"
              "    agent_mail: {trust: token_or_dmarc, authserv_id: mx.example.org, secret_file: %s,"
              " reply_address: desk@example.org}\n",
              path);
    cfg = s_parse (text, err, sizeof err);
    unlink (path);
    if (!cfg)
        fail_msg ("%s", err);
    assert_int_equal (cfg->email_max_failures, 5);
    assert_string_equal (cfg->email_quarantine_folder, "Poison");
    assert_int_equal (cfg->agent_mail_trust, OPD_AGENT_TRUST_TOKEN | OPD_AGENT_TRUST_DMARC);
    assert_string_equal (cfg->agent_mail_authserv_id, "mx.example.org");
    assert_string_equal (cfg->agent_mail_secret, "0123456789abcdef0123");
    assert_string_equal (cfg->agent_mail_address, "desk@example.org");
    opd_config_destroy (&cfg);

    static const struct {
        const char *text, *path, *word;
    } bad[] = {
        {"channels: {email: {agent_mail: {trust: from}}}\n", "channels.email.agent_mail.trust", "token"},
        {"channels: {email: {agent_mail: {trust: dmarc}}}\n", "channels.email.agent_mail.authserv_id", "required"},
        {"channels: {email: {agent_mail: {secret: short}}}\n", "channels.email.agent_mail.secret", "16"},
        {"channels: {email: {agent_mail: {secret_file: /nonexistent/x}}}\n", "channels.email.agent_mail.secret_file",
         "read"},
        {"channels: {email: {agent_mail: {reply_address: nobody}}}\n", "channels.email.agent_mail.reply_address",
         "address"},
        {"channels: {email: {agent_mail: {trusted: token}}}\n", "channels.email.agent_mail.trusted", ""},
        {"channels: {email: {quarantine: {after: 0}}}\n", "channels.email.quarantine.after", "between"},
        {"channels: {email: {quarantine: {folder: \"a\\\"b\"}}}\n", "channels.email.quarantine.folder", "quotes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null (s_parse (bad[i].text, err, sizeof err));
        if (strncmp (err, bad[i].path, strlen (bad[i].path)) || !strstr (err, bad[i].word))
            fail_msg ("case %zu: '%s' does not name %s", i, err, bad[i].path);
    }
}

//  A "billion laughs" of 1 KB: each map of ten categories is ten aliases of
//  the map before it, so nine levels name 10^9 categories. The loader must
//  refuse it at once, naming the problem, instead of walking every path.
static const char *s_alias_bomb =
    "categories:\n"
    "  a: &a {a: {}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}, h: {}, i: {}, j: {}}\n"
    "  b: &b {a: *a, b: *a, c: *a, d: *a, e: *a, f: *a, g: *a, h: *a, i: *a, j: *a}\n"
    "  c: &c {a: *b, b: *b, c: *b, d: *b, e: *b, f: *b, g: *b, h: *b, i: *b, j: *b}\n"
    "  d: &d {a: *c, b: *c, c: *c, d: *c, e: *c, f: *c, g: *c, h: *c, i: *c, j: *c}\n"
    "  e: &e {a: *d, b: *d, c: *d, d: *d, e: *d, f: *d, g: *d, h: *d, i: *d, j: *d}\n"
    "  f: &f {a: *e, b: *e, c: *e, d: *e, e: *e, f: *e, g: *e, h: *e, i: *e, j: *e}\n"
    "  g: &g {a: *f, b: *f, c: *f, d: *f, e: *f, f: *f, g: *f, h: *f, i: *f, j: *f}\n"
    "  h: &h {a: *g, b: *g, c: *g, d: *g, e: *g, f: *g, g: *g, h: *g, i: *g, j: *g}\n"
    "  i: &i {a: *h, b: *h, c: *h, d: *h, e: *h, f: *h, g: *h, h: *h, i: *h, j: *h}\n";

//  Runs opd_config_parse on text in a child process bounded to 5 s of CPU
//  and, outside AddressSanitizer (which reserves terabytes of address
//  space), 1 GiB of memory. The child exits 0 when the text was refused
//  with an error holding both words, 2 when it was accepted, 3 when the
//  error said something else; a blown bound kills it or makes it abort.
static int
s_refused_within_bounds (const char *text, const char *word1, const char *word2, char *why,
                         size_t whylen)
{
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct rlimit cpu = {5, 5};
        setrlimit (RLIMIT_CPU, &cpu);
#if !defined(__SANITIZE_ADDRESS__)
#    if defined(__has_feature)
#        if !__has_feature(address_sanitizer)
        struct rlimit as = {1UL << 30, 1UL << 30};
        setrlimit (RLIMIT_AS, &as);
#        endif
#    else
        struct rlimit as = {1UL << 30, 1UL << 30};
        setrlimit (RLIMIT_AS, &as);
#    endif
#endif
        char err[512] = "";
        opd_config_t *cfg = opd_config_parse (text, strlen (text), "bomb.yaml", err, sizeof err);
        if (cfg)
            _exit (2);
        fprintf (stderr, "refused: %s\n", err);
        _exit (strstr (err, word1) && strstr (err, word2) ? 0 : 3);
    }
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    if (WIFSIGNALED (status))
        snprintf (why, whylen, "the loader was killed by signal %d (CPU or memory bound)",
                  WTERMSIG (status));
    else if (WEXITSTATUS (status) == 2)
        snprintf (why, whylen, "the configuration was accepted");
    else if (WEXITSTATUS (status))
        snprintf (why, whylen, "the loader exited with %d", WEXITSTATUS (status));
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_config_alias_bomb_is_refused_quickly (void **state)
{
    (void) state;
    assert_true (strlen (s_alias_bomb) <= 1024);
    char why[128] = "";
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    if (s_refused_within_bounds (s_alias_bomb, "too many nodes", "categories", why, sizeof why))
        fail_msg ("the 1 KB alias bomb: %s", why);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    double secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true (secs < 2.0);
}

//  The same with text: one 1 MiB scalar named 2,000 times by aliases in a
//  keyword list would be copied 2,000 times (2 GiB).
static void
test_config_alias_text_bomb_is_refused (void **state)
{
    (void) state;
    size_t big = 1024 * 1024;
    char *text = malloc (big + 16384);
    assert_non_null (text);
    int at = sprintf (text, "routing_rules:\n  - name: x\n    when: {keywords: [&k ");
    memset (text + at, 'v', big);
    at += (int) big;
    for (int i = 0; i < 2000; i++)
        at += sprintf (text + at, ", *k");
    sprintf (text + at, "]}\n    then: {}\n");
    char why[128] = "";
    if (s_refused_within_bounds (text, "too much text", "routing_rules", why, sizeof why))
        fail_msg ("a 1 MiB scalar aliased 2,000 times: %s", why);
    free (text);
    //  An alias inside the node it names, and nesting beyond the depth bound.
    char err[512];
    assert_null (s_parse ("categories: &a {x: *a}\n", err, sizeof err));
    if (!strstr (err, "categories"))
        fail_msg ("%s", err);
    char deep[512] = "categories: ";
    for (int i = 0; i < 70; i++)
        strcat (deep, "{a: ");
    strcat (deep, "{}");
    for (int i = 0; i < 70; i++)
        strcat (deep, "}");
    strcat (deep, "\n");
    assert_null (s_parse (deep, err, sizeof err));
    if (!strstr (err, "categories") || !strstr (err, "nested too deeply"))
        fail_msg ("%s", err);
}

//  Writes text to a new temporary file; its path goes into path.
static void
s_temp_file (char *path, size_t size, const char *text)
{
    snprintf (path, size, "/tmp/test_config.XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
}

//  A secret still a change-me placeholder (or too short) is refused outside
//  the demo, naming its key and never quoting the secret. Without a demo
//  key, a configuration with everything on loopback is a demo.
static void
test_config_placeholder_secrets_are_refused_outside_demo (void **state)
{
    (void) state;
    static const struct {
        const char *from, *to, *key;
    } cases[] = {
        {"token: agent-token-0123456789", "token: change-me-agent-0123456789", "tokens[0].token"},
        {"token: requester-token-0123456789", "token: CHANGE-ME-requester-0123",
         "tokens[1].token"},
        {"token: agent-token-0123456789", "token: agent-token-1", "tokens[0].token"},
        {"redis: {host: 127.0.0.1, port: 6390}",
         "redis: {host: 127.0.0.1, port: 6390, password: change-me-redis}", "redis.password"},
        {"from: desk@example.org}", "from: desk@example.org, password: change-me-smtp}",
         "notifications.smtp.password"},
        {"from: desk@example.org}}",
         "from: desk@example.org}, webhooks: [{url: \"http://127.0.0.1:9/\", secret: change-me-hook}]}",
         "notifications.webhooks[0].secret"},
        {"from: desk@example.org}}",
         "from: desk@example.org}, webhooks: [{url: \"http://127.0.0.1:9/\", secret: short-hook}]}",
         "notifications.webhooks[0].secret"},
        {"limits:", "channels: {phone: {secret: change-me-phone-0123456789}}\nlimits:",
         "channels.phone.secret"},
        {"limits:", "channels: {phone: {secret: 0123456789abc}}\nlimits:", "channels.phone.secret"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = s_with (cases[i].from, cases[i].to);
        char err[512];
        char *strict = malloc (strlen (text) + 64), *exposed = malloc (strlen (text) + 64);
        assert_non_null (strict);
        assert_non_null (exposed);
        //  demo: false, and a configuration that listens beyond loopback
        //  without saying demo, are held to real secrets ...
        sprintf (strict, "demo: false\n%s", text);
        sprintf (exposed, "endpoints: {http: \"0.0.0.0:8080\"}\n%s", text);
        opd_config_t *cfg = s_parse (exposed, err, sizeof err);
        if (cfg || strncmp (err, cases[i].key, strlen (cases[i].key)))
            fail_msg ("case %zu exposed: want an error naming %s, got: %s", i, cases[i].key,
                      cfg ? "(accepted)" : err);
        cfg = s_parse (strict, err, sizeof err);
        if (cfg || strncmp (err, cases[i].key, strlen (cases[i].key)))
            fail_msg ("case %zu: want an error naming %s, got: %s", i, cases[i].key,
                      cfg ? "(accepted)" : err);
        free (strict);
        free (exposed);
        //  The secret itself is never in the error.
        const char *secret = strstr (cases[i].to, ": ") + 2;
        const char *word = strstr (secret, "change-me") ? "change-me-" : secret;
        if (strstr (err, "0123") || (strcmp (word, "change-me-") && strstr (err, word)))
            fail_msg ("case %zu quotes the secret: %s", i, err);
        if (!strstr (err, "demo: true") && !strstr (err, "16 characters"))
            fail_msg ("case %zu does not say what to do: %s", i, err);
        //  ... the demo accepts it, and so does a configuration on loopback
        //  that does not say demo (the example of CONTRACT.md section 6, with
        //  its change-me tokens, keeps working).
        char *demo = malloc (strlen (text) + 16);
        assert_non_null (demo);
        sprintf (demo, "demo: true\n%s", text);
        cfg = s_parse (demo, err, sizeof err);
        if (!cfg)
            fail_msg ("case %zu refused in the demo: %s", i, err);
        assert_true (cfg->demo);
        opd_config_destroy (&cfg);
        cfg = s_parse (text, err, sizeof err);
        if (!cfg)
            fail_msg ("case %zu refused on loopback without demo: %s", i, err);
        assert_true (cfg->demo);
        opd_config_destroy (&cfg);
        free (demo);
        free (text);
    }
}

//  On loopback a short token is only warned of, and a lead's identity need
//  not be an agent (decision 169); an agent token's must be.
static void
test_config_lead_identity_and_short_tokens (void **state)
{
    (void) state;
    char err[512];
    char *text = s_with ("  - {token: agent-token-0123456789, role: agent, identity: alice}\n",
                         "  - {token: short, role: agent, identity: alice}\n"
                         "  - {token: lead-token-0123456789, role: lead, identity: lena}\n");
    opd_config_t *cfg = s_parse (text, err, sizeof err);
    if (!cfg)
        fail_msg ("refused: %s", err);
    assert_int_equal (cfg->ntokens, 3);
    assert_string_equal (cfg->tokens[1].identity, "lena");
    assert_int_equal (cfg->tokens[1].role, OPD_ROLE_LEAD);
    opd_config_destroy (&cfg);
    free (text);
    text = s_with ("role: agent, identity: alice}", "role: agent, identity: lena}");
    assert_null (s_parse (text, err, sizeof err));
    if (strncmp (err, "tokens[0].identity", 18) || !strstr (err, "known agent"))
        fail_msg ("%s", err);
    free (text);
}

//  demo: true only with every endpoint and Redis on loopback.
static void
test_config_demo_only_on_loopback (void **state)
{
    (void) state;
    static const char *const bad[] = {
        "endpoints: {http: \"0.0.0.0:8080\"}\n",
        "endpoints: {intake: \"tcp://*:5550\"}\n",
        "endpoints: {events: \"tcp://intake:5560\"}\n",
        "endpoints: {phone: \"10.0.0.1:8081\"}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = malloc (strlen (s_base) + 128);
        assert_non_null (text);
        sprintf (text, "demo: true\n%s%s", bad[i], s_base);
        char err[512];
        opd_config_t *cfg = s_parse (text, err, sizeof err);
        if (cfg || strncmp (err, "demo:", 5) || !strstr (err, "endpoints."))
            fail_msg ("case %zu: want an error naming demo, got: %s", i, cfg ? "(accepted)" : err);
        free (text);
    }
    char *text = s_with ("redis: {host: 127.0.0.1", "demo: true\nredis: {host: redis");
    char err[512];
    assert_null (s_parse (text, err, sizeof err));
    if (strncmp (err, "demo:", 5) || !strstr (err, "redis.host"))
        fail_msg ("%s", err);
    free (text);
    text = s_with ("ticket_prefix: OPD", "ticket_prefix: OPD\ndemo: yes please");
    assert_null (s_parse (text, err, sizeof err));
    assert_non_null (strstr (err, "demo: must be true or false"));
    free (text);
}

//  redis.username and redis.password_file: the password is read from the
//  file at load, without the blanks around it; {service} in either is the
//  program's name without "opdesk-".
static void
test_config_redis_password_file (void **state)
{
    (void) state;
    char file[64], err[512], line[256];
    s_temp_file (file, sizeof file, "  s3cret-redis-password-0123\n\n");
    snprintf (line, sizeof line,
              "redis: {host: 127.0.0.1, port: 6390, username: \"opdesk-{service}\", "
              "password_file: \"%s\"}",
              file);
    char *text = s_with ("redis: {host: 127.0.0.1, port: 6390}", line);
    opd_config_t *cfg = s_parse (text, err, sizeof err);
    if (!cfg)
        fail_msg ("refused: %s", err);
    assert_string_equal (cfg->redis_password, "s3cret-redis-password-0123");
    assert_string_equal (cfg->redis_username, "opdesk-test_config");
    opd_config_destroy (&cfg);
    free (text);

    //  {service} in the file's name.
    char named[128];
    snprintf (named, sizeof named, "%s.test_config", file);
    assert_int_equal (rename (file, named), 0);
    snprintf (line, sizeof line,
              "redis: {host: 127.0.0.1, port: 6390, username: u, password_file: \"%s.{service}\"}",
              file);
    text = s_with ("redis: {host: 127.0.0.1, port: 6390}", line);
    cfg = s_parse (text, err, sizeof err);
    if (!cfg)
        fail_msg ("refused: %s", err);
    assert_string_equal (cfg->redis_password, "s3cret-redis-password-0123");
    opd_config_destroy (&cfg);
    free (text);
    unlink (named);

    //  Refused: a missing file, an empty one, a placeholder, a device or
    //  pipe (which could block the loader), both keys.
    static const char *const contents[] = {NULL, " \n", "change-me-redis-password\n", NULL};
    static const char *const words[] = {"cannot read", "is empty", "placeholder",
                                        "not a regular file"};
    for (int i = 0; i < 4; i++) {
        if (contents[i])
            s_temp_file (file, sizeof file, contents[i]);
        else
            snprintf (file, sizeof file, i ? "/dev/null" : "/nonexistent/redis-password");
        snprintf (line, sizeof line,
                  "demo: false\nredis: {host: 127.0.0.1, port: 6390, password_file: \"%s\"}",
                  file);
        text = s_with ("redis: {host: 127.0.0.1, port: 6390}", line);
        cfg = s_parse (text, err, sizeof err);
        if (cfg || strncmp (err, "redis.password_file", 19) || !strstr (err, words[i]))
            fail_msg ("case %d: %s", i, cfg ? "(accepted)" : err);
        assert_null (strstr (err, "change-me-redis"));
        free (text);
        if (contents[i])
            unlink (file);
    }
    text = s_with ("redis: {host: 127.0.0.1, port: 6390}",
                   "redis: {host: 127.0.0.1, port: 6390, password: x-0123456789abcdef, "
                   "password_file: /etc/hostname}");
    assert_null (s_parse (text, err, sizeof err));
    if (strncmp (err, "redis.password_file", 19) || !strstr (err, "not both"))
        fail_msg ("%s", err);
    free (text);
}

//  channels.web and channels.phone: the HTTP limits (opd_http), sessions
//  and rate limits; their defaults and their errors.
static void
test_config_http_limits (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse ("ticket_prefix: HD\n", err, sizeof err);
    if (!cfg)
        fail_msg ("%s", err);
    assert_int_equal (cfg->web_http.max_connections, 512);
    assert_int_equal (cfg->web_http.per_client, 32);
    assert_int_equal (cfg->web_http.timeout_ms, 30000);
    assert_int_equal (cfg->web_http.header_timeout_ms, 10000);
    assert_int_equal (cfg->web_http.ntrusted_proxies, 0);
    assert_int_equal (cfg->phone_http.max_connections, 64);
    assert_int_equal (cfg->phone_http.per_client, 16);
    assert_int_equal (cfg->phone_http.timeout_ms, 15000);
    assert_int_equal (cfg->web_session_ms, 12 * 3600 * 1000LL);
    assert_int_equal (cfg->web_rate.login, 10);
    assert_int_equal (cfg->web_rate.api_token, 3000);
    assert_int_equal (cfg->web_rate.api_address, 6000);
    assert_int_equal (cfg->web_rate.window_ms, 60000);
    opd_config_destroy (&cfg);

    cfg = s_parse ("ticket_prefix: HD\nchannels:\n"
                   "  web: {per_client: 4, header_timeout: 5s, session: 30m, trusted_proxies: [10.0.0.1, \"::1\"],"
                   " rate_limit: {login: 3, api_token: 7, api_address: 9, window: 2m}}\n"
                   "  phone: {secret: long-enough, max_connections: 8, timeout: 20s, trusted_proxies: [10.0.0.2]}\n",
                   err, sizeof err);
    if (!cfg)
        fail_msg ("%s", err);
    assert_int_equal (cfg->web_http.per_client, 4);
    assert_int_equal (cfg->web_http.header_timeout_ms, 5000);
    assert_int_equal (cfg->web_session_ms, 1800000);
    assert_int_equal (cfg->web_http.ntrusted_proxies, 2);
    assert_string_equal (cfg->web_http.trusted_proxies[1], "::1");
    assert_int_equal (cfg->web_rate.login, 3);
    assert_int_equal (cfg->web_rate.api_token, 7);
    assert_int_equal (cfg->web_rate.api_address, 9);
    assert_int_equal (cfg->web_rate.window_ms, 120000);
    assert_int_equal (cfg->phone_http.max_connections, 8);
    assert_int_equal (cfg->phone_http.timeout_ms, 20000);
    assert_string_equal (cfg->phone_http.trusted_proxies[0], "10.0.0.2");
    opd_config_destroy (&cfg);

    static const char *const bad[][2] = {
        {"channels: {web: {trusted_proxies: [proxy.example.org]}}", "channels.web.trusted_proxies: "},
        {"channels: {phone: {trusted_proxies: [300.1.1.1]}}", "channels.phone.trusted_proxies: "},
        {"channels: {web: {header_timeout: 1 minute}}", "channels.web.header_timeout: "},
        {"channels: {web: {header_timeout: 0s}}", "channels.web.header_timeout: "},
        {"channels: {web: {session: 10s}}", "channels.web.session: "},
        {"channels: {web: {rate_limit: {colour: 1}}}", "channels.web.rate_limit.colour: "},
        {"channels: {web: {rate_limit: {login: 0}}}", "channels.web.rate_limit.login: "},
        {"channels: {phone: {per_client: 0}}", "channels.phone.per_client: "},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf (text, sizeof text, "ticket_prefix: HD\n%s\n", bad[i][0]);
        cfg = s_parse (text, err, sizeof err);
        if (cfg)
            fail_msg ("'%s' was accepted", bad[i][0]);
        if (strncmp (err, bad[i][1], strlen (bad[i][1])))
            fail_msg ("'%s': error '%s' does not start with '%s'", bad[i][0], err, bad[i][1]);
    }
}

//  A SIGHUP cannot move a socket or resize a server: the keys the table
//  marks restart-only are listed when they change, and only those.
static void
test_config_restart_changes_are_listed (void **state)
{
    (void) state;
    char err[512], buf[512];
    opd_config_t *a = s_parse (s_base, err, sizeof err);
    assert_non_null (a);
    opd_config_t *b = s_parse (s_base, err, sizeof err);
    assert_non_null (b);
    assert_int_equal (opd_config_restart_changes (a, b, buf, sizeof buf), 0);
    assert_string_equal (buf, "");
    opd_config_destroy (&b);
    char *text = s_with ("ticket_prefix: OPD\n",
                         "ticket_prefix: HD\nlog_level: debug\nendpoints: {http: \"127.0.0.1:9090\"}\n"
                         "channels: {web: {max_connections: 9, per_client: 3}, phone: {timeout: 20s}}\n");
    b = s_parse (text, err, sizeof err);
    if (!b)
        fail_msg ("%s", err);
    assert_int_equal (opd_config_restart_changes (a, b, buf, sizeof buf), 3);
    assert_string_equal (buf, "endpoints.http, channels.web.max_connections, channels.phone.timeout");
    opd_config_destroy (&b);
    opd_config_destroy (&a);
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_config_base_is_valid),
        cmocka_unit_test (test_config_email_quarantine_and_agent_mail),
        cmocka_unit_test (test_config_demo_file_loads),
        cmocka_unit_test (test_config_compose_file_needs_real_secrets),
        cmocka_unit_test (test_config_missing_file_names_it),
        cmocka_unit_test (test_config_bad_keys_are_named),
        cmocka_unit_test (test_config_bad_documents),
        cmocka_unit_test (test_config_retention_per_category_applies_below),
        cmocka_unit_test (test_config_policy_first_match_wins),
        cmocka_unit_test (test_config_matrix_priority),
        cmocka_unit_test (test_config_defaults_and_locate),
        cmocka_unit_test (test_config_curve_loads_keys),
        cmocka_unit_test (test_config_curve_bad_blocks_are_named),
        cmocka_unit_test (test_config_curve_reader_and_key_names),
        cmocka_unit_test (test_config_alias_bomb_is_refused_quickly),
        cmocka_unit_test (test_config_alias_text_bomb_is_refused),
        cmocka_unit_test (test_config_placeholder_secrets_are_refused_outside_demo),
        cmocka_unit_test (test_config_demo_only_on_loopback),
        cmocka_unit_test (test_config_lead_identity_and_short_tokens),
        cmocka_unit_test (test_config_redis_password_file),
        cmocka_unit_test (test_config_http_limits),
        cmocka_unit_test (test_config_restart_changes_are_listed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
