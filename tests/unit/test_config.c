/*  test_config: the configuration loader (common/src/opd_config.c).

    The demo configuration loads; every bad configuration is refused with one
    line that names the bad key by its dotted path; the lookups the services
    rely on (retention per category, SLO policy matching, the priority
    matrix) answer as CONTRACT.md sections 6 and 8 say. */
#include "opd_config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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
    "  - {token: agent-token-1, role: agent, identity: alice}\n"
    "  - {token: requester-token-1, role: requester, identity: rita@example.com}\n";

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

//  Text of a configuration file without comments and without the lines
//  that deploy/compose-config.py changes (redis, endpoints, smtp).
static char *
s_read_settings (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        fail_msg ("cannot open %s", path);
    char *out = calloc (1, 65536), line[4096];
    assert_non_null (out);
    while (fgets (line, sizeof line, f))
        if (line[strspn (line, " ")] != '#' && strncmp (line, "endpoints:", 10)
            && strncmp (line, "redis:", 6) && !strstr (line, "smtp:")) {
            assert_true (strlen (out) + strlen (line) < 65536);
            strcat (out, line);
        }
    fclose (f);
    return out;
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
    opd_config_destroy (&cfg);
    assert_null (cfg);
    opd_config_destroy (&cfg);  //  safe twice
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

static void
test_config_compose_file_loads_and_agrees (void **state)
{
    (void) state;
    char path[1024], err[512];
    s_source_path (path, sizeof path, "deploy/opdesk.compose.yaml");
    opd_config_t *cfg = opd_config_load (path, err, sizeof err);
    if (!cfg)
        fail_msg ("%s refused: %s", path, err);
    //  The services connect to intake by its service name; intake binds
    //  those ports on every interface (opd_zmq_bind).
    assert_string_equal (cfg->redis_host, "redis");
    assert_string_equal (cfg->ep_intake, "tcp://intake:5550");
    assert_string_equal (cfg->ep_events, "tcp://intake:5560");
    opd_config_destroy (&cfg);
    //  Apart from those lines it is the demo configuration (after a change
    //  of deploy/opdesk.yaml, run deploy/compose-config.py).
    char dpath[1024];
    s_source_path (dpath, sizeof dpath, "deploy/opdesk.yaml");
    char *a = s_read_settings (path), *d = s_read_settings (dpath);
    if (strcmp (a, d))
        fail_msg ("deploy/opdesk.compose.yaml is not deploy/opdesk.yaml any more: run "
                  "/usr/bin/python3 deploy/compose-config.py");
    free (a);
    free (d);
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
    {"role: agent, identity: alice", "role: superuser, identity: alice", "tokens[0].role",
     "requester, agent, lead or admin"},
    {"role: agent, identity: alice", "role: agent, identity: mallory", "tokens[0].identity",
     "agent"},
    {"identity: rita@example.com", "identity: rita", "tokens[1].identity", "email"},
    {"token: agent-token-1", "token: short", "tokens[0].token", "8 characters"},
    {"port: 6390", "port: 70000", "redis.port", "between 1 and 65535"},
    {"port: 6390", "port: many", "redis.port", "whole number"},
    {"priority_matrix: {high: {high: P1,", "priority_matrix: {high: {high: P9,",
     "priority_matrix.high.high", "P1"},
    {"categories:", "default_priority: urgent\ncategories:", "default_priority", "P1"},
    {"calendar: office}\n  - {id: service-desk", "calendar: nowhere}\n  - {id: service-desk",
     "teams[0].calendar", "unknown calendar"},
    {"default_team: service-desk", "default_team: ghosts", "default_team", "unknown team"},
    {"teams: [network]", "teams: [ghosts]", "agents[0].teams", "unknown team"},
    {"{agent: alice, team: network", "{agent: bob, team: network", "shifts[0].agent",
     "unknown agent"},
    {"from: \"22:00\"", "from: \"25:00\"", "shifts[0].from", "HH:MM"},
    {"days: [mon, tue]", "days: [mon, someday]", "shifts[0].days", "mon"},
    {"category: network/vpn, priority: P2", "category: network/satellite, priority: P2",
     "routing_rules[0].then.category", "unknown category"},
    {"standard_response: vpn-basics}", "standard_response: nothing}",
     "routing_rules[0].then.standard_response", "unknown standard response"},
    {"when: {keywords: [vpn], in: [subject]}", "when: {keywords: [vpn], in: [title]}",
     "routing_rules[0].when.in", "subject or body"},
    {"match: {category: hardware/laptop,", "match: {category: hardware/tablet,",
     "slo_policies[1].match", "unknown category"},
    {"match: {priority: P1}", "match: {severity: S1}", "slo_policies[0].match.severity",
     "unknown key"},
    {"per_category: {access: 90,", "per_category: {secrets: 90,",
     "retention.per_category.secrets", "unknown category"},
    {"closed_days: 365", "closed_days: 0", "retention.closed_days", "between"},
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_config_base_is_valid),
        cmocka_unit_test (test_config_demo_file_loads),
        cmocka_unit_test (test_config_compose_file_loads_and_agrees),
        cmocka_unit_test (test_config_missing_file_names_it),
        cmocka_unit_test (test_config_bad_keys_are_named),
        cmocka_unit_test (test_config_bad_documents),
        cmocka_unit_test (test_config_retention_per_category_applies_below),
        cmocka_unit_test (test_config_policy_first_match_wins),
        cmocka_unit_test (test_config_matrix_priority),
        cmocka_unit_test (test_config_defaults_and_locate),
        cmocka_unit_test (test_config_http_limits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
