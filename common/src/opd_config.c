/*  opd_config: the configuration file, declared once as a table.

    Every key of the file is one row of s_keys below, in the manner of
    Redis's static_configs: its dotted path, its type, where it goes in
    opd_config_t, its default, its bounds or allowed values, whether a
    SIGHUP applies it or only a restart, and a one-line description.
    docs/configuration.md is generated from the same rows (opd_config_doc,
    `make config-doc`; a ctest fails when the two differ).

    Loading walks the table, not the file: each row is looked up in the
    YAML map it belongs to, read by its type's reader, defaulted, bounded,
    then handed to the row's check. A key in the file that no row declares
    is an error naming its path ("channels.web.colour: unknown key"), so a
    typo never falls back to a default silently.

    The shape of a path: "redis.port" is a key of the map "redis"; a row of
    kind K_ITEMS ("teams") is a list of maps whose keys are the rows
    "teams[].id", ...; a row of kind K_MAPOF ("calendars") is a map of maps
    keyed by a name, whose keys are "calendars.*.timezone", .... Children
    follow their parent directly in the table, in the order they are read:
    a check may rely on every row above it (a team's calendar must exist,
    so calendars come before teams).

    Adding a key: add one row under its parent, e.g.
        {"teams[].max_open", K_INT, IN (opd_team_t, max_open), .def = "50",
         .min = 1, .max = 10000, .doc = "open tickets a team takes at most"},
    with a field in opd_config.h, then run `make config-doc`. What a text
    must be (an email address, a time zone, a team that exists) is its
    format, .is = F_*; another rule on one value goes in .check; a rule
    between keys goes in the check of their section or list item
    (s_*_done), or in s_finish. A restart-only key says RESTART, and
    opd_config_restart_changes names it when a SIGHUP changes it.

    Reading order: the table, the walk (s_children, s_entry), the formats,
    then the checks and the few rows read by their own function (K_CUSTOM:
    calendar hours, the category tree, retention per category, the files
    of secrets and CURVE keys).

    Every error names the key by its path, on one line. The size of the
    document with its aliases expanded is bounded before the walk
    (s_check_size). */
#include "opd_config.h"
#include "opd_log.h"
#include "opd_util.h"
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

//  The checks and readers of the table share one signature, and most use
//  only part of it.
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define MAX_FILE_BYTES (4 * 1024 * 1024)
//  Bounds of a document with its aliases expanded (see s_measure): YAML
//  aliases let a 1 KB file name 10^9 nodes, which the walk below would visit
//  one by one. A real configuration is far below these.
#define MAX_NODES 100000
#define MAX_TEXT_BYTES (16 * 1024 * 1024)
#define MAX_DEPTH 64
#define MIN_SECRET_CHARS 16

typedef struct {
    yaml_document_t *doc;
    opd_config_t *cfg;
    char *err;
    size_t errlen;
    bool failed;
    bool in_map;              //  the map that holds the row being read is in the file
    bool demo_given;          //  the file says demo: true or false
    char *password_file;      //  redis.password_file, before it is read
    bool password_from_file;  //  redis.password came from redis.password_file
    //  curve: the certificates read from the files named, until the block
    //  is checked as a whole (s_curve_done); wiped after the load.
    opd_cert_t spub, client, ssec;
    bool has_spub, has_client, has_ssec;
} ctx_t;

typedef enum {
    K_STR,      //  text: char *
    K_INT,      //  whole number within [min, max]: int or int64_t (by the field's size)
    K_DUR,      //  duration "30s", "5m", "4h" in ms: int64_t; at least min, at most max (when set)
    K_NUM,      //  number above min, at most max: double
    K_BOOL,     //  true or false: bool
    K_ENUM,     //  one of values ("a|b|c"), kept as text: char *
    K_CHOICE,   //  one of values, kept as its index + min: int
    K_HHMM,     //  "HH:MM" in minutes after midnight: int; max 1440 allows "24:00"
    K_LIST,     //  a list of text: char ** at off, its size_t count at count_off
    K_FLAGS,    //  a list of values ("a|b|c"): consecutive bools at off; none given: all if def
    K_SECTION,  //  a map of the rows below it
    K_ITEMS,    //  a list of maps: array of size-byte items at off, count at count_off
    K_MAPOF,    //  a map of maps by name: as K_ITEMS, the name as char * at id_off
    K_CUSTOM    //  read by parse (values says what it takes, for the docs)
} kind_t;

typedef enum {
    F_NONE, F_EMAIL, F_E164, F_TZ, F_DATE, F_IP, F_ZMQ, F_HOST_PORT, F_SMTP_URL, F_HTTP_URL,
    F_IMAP_URL, F_FOLDER, F_COUNTRY, F_CALENDAR, F_TEAM, F_AGENT, F_CATEGORY, F_STDRESP
} format_t;

#define REQUIRED 1  //  an error when absent from a map that is in the file
#define RESTART 2   //  a SIGHUP does not apply it (opd_config_restart_changes)

typedef struct entry_s entry_t;
//  A rule on a value just read (base: the struct that holds the row's field),
//  or, for a section or list item, on the whole once read; path names it.
typedef bool (check_fn) (ctx_t *c, const char *path, char *base, const entry_t *e);
//  Reads a K_CUSTOM row from n (NULL when absent).
typedef bool (parse_fn) (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e);
//  Frees what a row owns beyond its plain field (regexes, hours).
typedef void (release_fn) (char *base, const entry_t *e);

struct entry_s {
    const char *path;
    kind_t kind;
    size_t off, size;         //  the field in the struct that holds it, and its size
    size_t count_off, id_off; //  K_LIST, K_ITEMS, K_MAPOF: the count; K_MAPOF: the name
    const char *def;          //  the default, written as in the file
    double min, max;          //  bounds (see kind_t)
    const char *values;       //  K_ENUM, K_CHOICE: "a|b|c"; K_CUSTOM: what it takes
    int flags;                //  REQUIRED, RESTART
    format_t is;              //  K_STR, K_LIST: what the text (each item) must be
    check_fn *check;
    parse_fn *parse;
    release_fn *release;
    const char *shown;        //  the default as the docs say it, when computed
    const char *doc;          //  one line for docs/configuration.md
};

//  The field f of opd_config_t, or of an item type T.
#define CF(f) .off = offsetof (opd_config_t, f), .size = sizeof (((opd_config_t *) 0)->f)
#define IN(T, f) .off = offsetof (T, f), .size = sizeof (((T *) 0)->f)
//  A list at arr with count n in T; items of type I.
#define LIST_IN(T, arr, n) .off = offsetof (T, arr), .count_off = offsetof (T, n)
#define ITEMS_IN(T, arr, n, I) LIST_IN (T, arr, n), .size = sizeof (I)

static check_fn s_calendar_done, s_matrix_done, s_prefix_ok, s_demo_seen, s_redis_done, s_team_done, s_policy_done, s_match_done,
    s_agent_done, s_shift_done, s_stdresp_done, s_keywords_ok, s_reqtype_done, s_field_done,
    s_web_done, s_agent_mail_done, s_phone_done, s_burn_done, s_clients_dir, s_curve_done,
    s_token_done;
static parse_fn s_password_file, s_hours, s_categories, s_per_category, s_secret_file, s_curve_cert;
static release_fn s_hours_free, s_categories_free, s_per_category_free, s_regex_free,
    s_curve_free;

#define P "P1|P2|P3|P4"
#define HTTP_ROWS(base, T, conns, client, timeout)                                               \
    {base ".max_connections", K_INT, CF (T.max_connections), .def = conns, .min = 1,               \
     .max = 100000, .flags = RESTART, .doc = "connections served at once"},                      \
    {base ".per_client", K_INT, CF (T.per_client), .def = client, .min = 1, .max = 100000,         \
     .doc = "connections per client address; behind a trusted proxy, requests in flight per "    \
            "client"},                                                                           \
    {base ".timeout", K_DUR, CF (T.timeout_ms), .def = timeout, .min = 1000, .flags = RESTART,     \
     .doc = "an idle connection is closed after this"},                                          \
    {base ".header_timeout", K_DUR, CF (T.header_timeout_ms), .def = "10s", .min = 1000,           \
     .doc = "a request's whole headers must arrive within this, however slowly they come"},      \
    {base ".trusted_proxies", K_LIST, LIST_IN (opd_config_t, T.trusted_proxies,                    \
                                               T.ntrusted_proxies), .is = F_IP,           \
     .doc = "IP addresses of proxies whose X-Forwarded-For (the client: the rightmost hop not "   \
            "in this list) and X-Forwarded-Proto are believed"}

//  priority_matrix.IMPACT.URGENCY, [i][0..2] of the matrix.
#define MATRIX_CELL(impact, i, urgency, j)                                                       \
    {"priority_matrix." impact "." urgency, K_CHOICE, CF (priority_matrix[i][j]), .min = 1,      \
     .values = P, .flags = REQUIRED, .doc = "the priority of impact " impact ", urgency " urgency}
#define MATRIX_ROW(impact, i)                                                                    \
    {"priority_matrix." impact, K_SECTION, .flags = REQUIRED, .doc = "impact " impact},        \
    MATRIX_CELL (impact, i, "high", 0), MATRIX_CELL (impact, i, "medium", 1),                    \
    MATRIX_CELL (impact, i, "low", 2)

static const entry_t s_keys[] = {
    {"ticket_prefix", K_STR, CF (ticket_prefix), .def = "OPD", .check = s_prefix_ok,
     .doc = "1 to 16 letters and digits before the number of a ticket id (OPD-42)"},
    {"log_level", K_ENUM, CF (log_level), .def = "info", .values = "debug|info|warn|error",
     .doc = "the least severe line every program writes (stderr, one key=value line per event)"},
    {"demo", K_BOOL, CF (demo), .check = s_demo_seen, .shown = "on loopback: true",
     .doc = "a demo may keep change-me placeholder secrets and runs on loopback only (see "
            "\"demo\" above)"},

    {"redis", K_SECTION, .check = s_redis_done, .doc = "the Redis server"},
    {"redis.host", K_STR, CF (redis_host), .def = "127.0.0.1", .doc = "its host"},
    {"redis.port", K_INT, CF (redis_port), .def = "6379", .min = 1, .max = 65535,
     .doc = "its port"},
    {"redis.username", K_STR, CF (redis_username),
     .doc = "log in as this ACL user (needs a password); {service} is the program's name "
            "without opdesk- (cli for opdesk)"},
    {"redis.password", K_STR, CF (redis_password),
     .doc = "the password (without username: the default user's, requirepass)"},
    {"redis.password_file", K_CUSTOM, .parse = s_password_file, .values = "a file name",
     .doc = "read the password from this file instead, at start and on every reload: one "
            "line, blanks around it dropped; {service} as in username"},
    {"redis.db", K_INT, CF (redis_db), .def = "0", .min = 0, .max = 15,
     .doc = "the database number"},

    {"endpoints", K_SECTION, .doc = "where the services listen and connect"},
    {"endpoints.intake", K_STR, CF (ep_intake), .def = "tcp://127.0.0.1:5550",
     .is = F_ZMQ, .flags = RESTART, .doc = "intake's ZeroMQ ROUTER socket"},
    {"endpoints.events", K_STR, CF (ep_events), .def = "tcp://127.0.0.1:5560",
     .is = F_ZMQ, .flags = RESTART, .doc = "intake's ZeroMQ events socket"},
    {"endpoints.http", K_STR, CF (ep_http), .def = "127.0.0.1:8080", .is = F_HOST_PORT,
     .flags = RESTART, .doc = "opdesk-web's HOST:PORT"},
    {"endpoints.phone", K_STR, CF (ep_phone), .def = "127.0.0.1:8081", .is = F_HOST_PORT,
     .flags = RESTART, .doc = "opdesk-phone's HOST:PORT"},

    {"events", K_SECTION, .doc = "the durable event history"},
    {"events.max_len", K_INT, CF (events_max_len), .def = "1000000", .min = 1000,
     .max = 1000000000,
     .doc = "events kept in the opd:events stream (GET /api/v1/events); older ones are trimmed"},

    {"calendars", K_MAPOF, ITEMS_IN (opd_config_t, calendars, ncalendars, opd_calendar_t),
     .id_off = offsetof (opd_calendar_t, id), .check = s_calendar_done,
     .doc = "working calendars by name"},
    {"calendars.*.timezone", K_STR, IN (opd_calendar_t, timezone), .def = "UTC",
     .is = F_TZ, .doc = "an IANA time zone"},
    {"calendars.*.hours", K_CUSTOM, .parse = s_hours, .release = s_hours_free,
     .flags = REQUIRED, .values = "24x7, or a map of days to HH:MM-HH:MM lists",
     .doc = "working hours; a day not given has none"},
    {"calendars.*.holidays", K_LIST, LIST_IN (opd_calendar_t, holidays, nholidays),
     .is = F_DATE, .doc = "local dates YYYY-MM-DD without working time"},

    {"categories", K_CUSTOM, .parse = s_categories, .release = s_categories_free,
     .values = "a tree of maps (or lists of leaf names)",
     .doc = "the taxonomy; a category is named by its path, hardware/laptop"},
    {"priority_matrix", K_SECTION, .check = s_matrix_done,
     .doc = "priority from impact and urgency; when given, all nine"},
    MATRIX_ROW ("high", 0),
    MATRIX_ROW ("medium", 1),
    MATRIX_ROW ("low", 2),
    {"default_priority", K_ENUM, CF (default_priority), .def = "P3", .values = P,
     .doc = "the priority of a ticket nothing else sets one for"},

    {"teams", K_ITEMS, ITEMS_IN (opd_config_t, teams, nteams, opd_team_t),
     .check = s_team_done, .doc = "the teams tickets are routed to"},
    {"teams[].id", K_STR, IN (opd_team_t, id), .flags = REQUIRED, .doc = "its id"},
    {"teams[].name", K_STR, IN (opd_team_t, name), .shown = "the id", .doc = "its name"},
    {"teams[].calendar", K_STR, IN (opd_team_t, calendar), .is = F_CALENDAR,
     .doc = "the calendar of its working hours"},
    {"teams[].min_on_duty", K_INT, IN (opd_team_t, min_on_duty), .def = "1", .min = 0,
     .max = 1000, .doc = "agents it needs on shift during its hours (opdesk coverage)"},
    {"teams[].max_away", K_INT, IN (opd_team_t, max_away), .def = "0", .min = 0, .max = 1000,
     .doc = "agents away on approved annual leave at once at most (coverage.leave_approval); 0: no cap"},
    {"default_team", K_STR, CF (default_team), .is = F_TEAM, .shown = "the first team",
     .doc = "the team of a ticket no rule routes"},

    {"slo_policies", K_ITEMS, ITEMS_IN (opd_config_t, policies, npolicies, opd_policy_t),
     .check = s_policy_done, .doc = "SLO policies; the first whose match fits a ticket applies"},
    {"slo_policies[].name", K_STR, IN (opd_policy_t, name), .flags = REQUIRED, .doc = "its name"},
    {"slo_policies[].match", K_SECTION, .check = s_match_done,
     .doc = "every key given must match the ticket; {} matches all"},
    {"slo_policies[].match.priority", K_STR, IN (opd_policy_t, match.priority), .doc = "P1, P2, P3 or P4"},
    {"slo_policies[].match.kind", K_STR, IN (opd_policy_t, match.kind),
     .doc = "incident or service_request"},
    {"slo_policies[].match.category", K_STR, IN (opd_policy_t, match.category),
     .doc = "a category; matches it and every category below it"},
    {"slo_policies[].match.team", K_STR, IN (opd_policy_t, match.team), .doc = "a team id"},
    {"slo_policies[].match.channel", K_STR, IN (opd_policy_t, match.channel),
     .doc = "a channel name (web, email, phone, ...)"},
    {"slo_policies[].match.request_type", K_STR, IN (opd_policy_t, match.request_type),
     .doc = "a request type id"},
    {"slo_policies[].calendar", K_STR, IN (opd_policy_t, calendar), .flags = REQUIRED,
     .is = F_CALENDAR, .doc = "the calendar its targets count working time in"},
    {"slo_policies[].first_response", K_DUR, IN (opd_policy_t, first_response),
     .doc = "target for the first response"},
    {"slo_policies[].next_reply", K_DUR, IN (opd_policy_t, next_reply),
     .doc = "target for each next reply to the requester"},
    {"slo_policies[].resolution", K_DUR, IN (opd_policy_t, resolution),
     .doc = "target for resolution; a policy needs at least one of the three"},
    {"slo_policies[].warn_at", K_NUM, IN (opd_policy_t, warn_at), .def = "0.75", .min = 0,
     .max = 0.9999, .doc = "slo.warning when this share of a target has elapsed"},
    {"slo_policies[].objective", K_NUM, IN (opd_policy_t, objective), .min = 0, .max = 1,
     .doc = "share of tickets that must meet it; error budget = 1 - objective"},

    {"agents", K_ITEMS, ITEMS_IN (opd_config_t, agents, nagents, opd_agent_t),
     .check = s_agent_done, .doc = "the agents"},
    {"agents[].id", K_STR, IN (opd_agent_t, id), .flags = REQUIRED, .doc = "its id"},
    {"agents[].name", K_STR, IN (opd_agent_t, name), .shown = "the id", .doc = "the name"},
    {"agents[].email", K_STR, IN (opd_agent_t, email), .is = F_EMAIL,
     .doc = "the email address"},
    {"agents[].phone", K_STR, IN (opd_agent_t, phone), .is = F_E164,
     .doc = "an E.164 number (+442079460000)"},
    {"agents[].teams", K_LIST, LIST_IN (opd_agent_t, teams, nteams), .is = F_TEAM,
     .doc = "the ids of the teams the agent is in"},

    {"shifts", K_ITEMS, ITEMS_IN (opd_config_t, shifts, nshifts, opd_shift_t),
     .check = s_shift_done, .doc = "when agents are on duty for a team"},
    {"shifts[].agent", K_STR, IN (opd_shift_t, agent), .flags = REQUIRED, .is = F_AGENT,
     .doc = "an agent id"},
    {"shifts[].team", K_STR, IN (opd_shift_t, team), .flags = REQUIRED, .is = F_TEAM,
     .doc = "a team id"},
    {"shifts[].days", K_FLAGS, IN (opd_shift_t, days), .flags = REQUIRED,
     .values = "mon|tue|wed|thu|fri|sat|sun", .doc = "the days it starts on"},
    {"shifts[].from", K_HHMM, IN (opd_shift_t, from), .max = 1439, .flags = REQUIRED,
     .doc = "when it starts"},
    {"shifts[].to", K_HHMM, IN (opd_shift_t, to), .max = 1440, .flags = REQUIRED,
     .doc = "when it ends; at or before from: the next day"},
    {"shifts[].timezone", K_STR, IN (opd_shift_t, timezone), .is = F_TZ,
     .shown = "the team calendar's", .doc = "the time zone of from and to"},

    {"standard_responses", K_ITEMS, ITEMS_IN (opd_config_t, stdresps, nstdresps, opd_stdresp_t),
     .check = s_stdresp_done, .doc = "canned answers a rule or an agent sends"},
    {"standard_responses[].id", K_STR, IN (opd_stdresp_t, id), .flags = REQUIRED, .doc = "its id"},
    {"standard_responses[].subject", K_STR, IN (opd_stdresp_t, subject), .doc = "the subject"},
    {"standard_responses[].body", K_STR, IN (opd_stdresp_t, body), .flags = REQUIRED,
     .doc = "the text"},
    {"standard_responses[].guide_url", K_STR, IN (opd_stdresp_t, guide_url),
     .doc = "a link to a guide"},

    {"routing_rules", K_ITEMS, ITEMS_IN (opd_config_t, rules, nrules, opd_rule_t),
     .doc = "routing rules; the first that matches wins"},
    {"routing_rules[].name", K_STR, IN (opd_rule_t, name), .flags = REQUIRED, .doc = "its name"},
    {"routing_rules[].when", K_SECTION, .flags = REQUIRED, .doc = "what it matches"},
    {"routing_rules[].when.keywords", K_LIST, LIST_IN (opd_rule_t, keywords, nkeywords),
     .check = s_keywords_ok, .doc = "words or phrases, any of which matches (case-insensitive)"},
    {"routing_rules[].when.in", K_FLAGS, IN (opd_rule_t, in_subject), .values = "subject|body",
     .def = "subject|body", .shown = "both", .doc = "where the keywords are looked for"},
    {"routing_rules[].then", K_SECTION, .flags = REQUIRED, .doc = "what a match sets"},
    {"routing_rules[].then.team", K_STR, IN (opd_rule_t, team), .is = F_TEAM,
     .doc = "the team"},
    {"routing_rules[].then.category", K_STR, IN (opd_rule_t, category),
     .is = F_CATEGORY, .doc = "the category"},
    {"routing_rules[].then.priority", K_ENUM, IN (opd_rule_t, priority), .values = P,
     .doc = "the priority"},
    {"routing_rules[].then.standard_response", K_STR, IN (opd_rule_t, standard_response),
     .is = F_STDRESP, .doc = "a standard response sent as the first answer"},
    {"footer", K_STR, CF (footer), .doc = "text added to every mail to a requester"},

    {"request_types", K_ITEMS, ITEMS_IN (opd_config_t, reqtypes, nreqtypes, opd_reqtype_t),
     .check = s_reqtype_done, .doc = "service request types and their forms"},
    {"request_types[].id", K_STR, IN (opd_reqtype_t, id), .flags = REQUIRED, .doc = "its id"},
    {"request_types[].name", K_STR, IN (opd_reqtype_t, name), .shown = "the id",
     .doc = "its name"},
    {"request_types[].fields", K_ITEMS, ITEMS_IN (opd_reqtype_t, fields, nfields, opd_field_t),
     .check = s_field_done, .doc = "the fields of its form"},
    {"request_types[].fields[].name", K_STR, IN (opd_field_t, name), .flags = REQUIRED,
     .doc = "letters, digits, _ and -"},
    {"request_types[].fields[].label", K_STR, IN (opd_field_t, label), .doc = "shown on forms"},
    {"request_types[].fields[].type", K_CHOICE, IN (opd_field_t, type), .flags = REQUIRED,
     .values = "string|enum|email|number|integer|boolean|date|phone", .doc = "its type"},
    {"request_types[].fields[].required", K_BOOL, IN (opd_field_t, required), .def = "false",
     .doc = "a request must give it"},
    {"request_types[].fields[].pattern", K_STR, IN (opd_field_t, pattern),
     .release = s_regex_free, .doc = "a regular expression the value must match"},
    {"request_types[].fields[].values", K_LIST, LIST_IN (opd_field_t, values, nvalues),
     .doc = "the allowed values of an enum"},
    {"request_types[].fields[].pii", K_BOOL, IN (opd_field_t, pii), .def = "false",
     .doc = "personal data: anonymised with the ticket"},
    {"request_types[].fields[].max_length", K_INT, IN (opd_field_t, max_length), .def = "10000",
     .min = 1, .max = 1048576, .doc = "characters at most"},

    {"retention", K_SECTION, .doc = "how long closed tickets are kept"},
    {"retention.closed_days", K_INT, CF (retention_closed_days), .def = "365", .min = 1,
     .max = 36500, .doc = "days a closed ticket is kept before it is anonymised"},
    {"retention.per_category", K_CUSTOM, .parse = s_per_category, .release = s_per_category_free,
     .values = "a map of category to days (1 to 36500)",
     .doc = "other periods by category; the most specific applies"},

    {"notifications", K_SECTION, .doc = "mail and webhooks (opdesk-notifier)"},
    {"notifications.smtp", K_SECTION, .doc = "the SMTP server"},
    {"notifications.smtp.url", K_STR, CF (smtp_url), .def = "smtp://127.0.0.1:25",
     .is = F_SMTP_URL, .doc = "smtp:// or smtps://"},
    {"notifications.smtp.from", K_STR, CF (smtp_from), .def = "servicedesk@example.org",
     .is = F_EMAIL, .doc = "the sender of notifications"},
    {"notifications.smtp.username", K_STR, CF (smtp_username),
     .doc = "SMTP AUTH user name; without it no authentication"},
    {"notifications.smtp.password", K_STR, CF (smtp_password), .doc = "SMTP AUTH password"},
    {"notifications.smtp.timeout", K_DUR, CF (smtp_timeout_ms), .def = "10s",
     .doc = "how long one SMTP exchange may take before the job is retried"},
    {"notifications.webhooks", K_ITEMS, ITEMS_IN (opd_config_t, webhooks, nwebhooks, opd_webhook_t),
     .doc = "URLs events are posted to"},
    {"notifications.webhooks[].url", K_STR, IN (opd_webhook_t, url), .flags = REQUIRED,
     .is = F_HTTP_URL, .doc = "http:// or https://"},
    {"notifications.webhooks[].topics", K_LIST, LIST_IN (opd_webhook_t, topics, ntopics),
     .doc = "the event types it gets; none: all"},
    {"notifications.webhooks[].secret", K_STR, IN (opd_webhook_t, secret),
     .doc = "the HMAC-SHA256 key of its signature header"},

    {"limits", K_SECTION, .doc = "sizes"},
    {"limits.body_bytes", K_INT, CF (body_bytes), .def = "1048576", .min = 1,
     .max = 64 * 1048576, .doc = "the largest ticket or comment body"},
    {"limits.frame_bytes", K_INT, CF (frame_bytes), .def = "2097152", .min = 1024,
     .max = 128 * 1048576, .doc = "the largest message on the intake socket"},

    {"channels", K_SECTION, .doc = "the channel adapters' own settings"},
    {"channels.web", K_SECTION, .check = s_web_done, .doc = "opdesk-web"},
    {"channels.web.public_url", K_STR, CF (web_public_url), .shown = "http:// + endpoints.http",
     .doc = "how requesters reach the portal: the base of links in mail; https: makes the "
            "session cookie Secure"},
    HTTP_ROWS ("channels.web", web_http, "512", "32", "30s"),
    {"channels.web.session", K_DUR, CF (web_session_ms), .def = "12h", .min = 60000,
     .doc = "how long a portal or console session lasts"},
    {"channels.web.rate_limit", K_SECTION, .doc = "request rates, counted in Redis"},
    {"channels.web.rate_limit.login", K_INT, CF (web_rate.login), .def = "10", .min = 1,
     .max = 1000000, .doc = "failed sign-ins per client address per window; more: 429"},
    {"channels.web.rate_limit.api_token", K_INT, CF (web_rate.api_token), .def = "3000",
     .min = 1, .max = 100000000, .doc = "API requests per token per window"},
    {"channels.web.rate_limit.api_address", K_INT, CF (web_rate.api_address), .def = "6000",
     .min = 1, .max = 100000000, .doc = "API requests per client address per window"},
    {"channels.web.rate_limit.window", K_DUR, CF (web_rate.window_ms), .def = "1m",
     .min = 1000, .doc = "the window of those limits"},

    {"channels.email", K_SECTION, .doc = "opdesk-email and opdesk-mailgate (docs/email.md)"},
    {"channels.email.addresses", K_LIST, LIST_IN (opd_config_t, email_addresses, nemail_addresses),
     .is = F_EMAIL,
     .doc = "the desk's own addresses; mail from them (or notifications.smtp.from) never opens "
            "a ticket"},
    {"channels.email.imap", K_ITEMS, ITEMS_IN (opd_config_t, imap, nimap, opd_imap_t),
     .doc = "the mailboxes opdesk-email polls"},
    {"channels.email.imap[].url", K_STR, IN (opd_imap_t, url), .flags = REQUIRED,
     .is = F_IMAP_URL, .doc = "imap:// or imaps://host[:port]/MAILBOX"},
    {"channels.email.imap[].username", K_STR, IN (opd_imap_t, username), .doc = "the login"},
    {"channels.email.imap[].password", K_STR, IN (opd_imap_t, password), .doc = "its password"},
    {"channels.email.imap[].move_to", K_STR, IN (opd_imap_t, move_to),
     .doc = "mailbox processed mail is moved to; without it: flagged \\Seen \\Deleted and "
            "expunged"},
    {"channels.email.imap[].interval", K_DUR, IN (opd_imap_t, interval_ms), .def = "30s",
     .doc = "time between two polls"},
    {"channels.email.attachments_dir", K_STR, CF (attachments_dir),
     .doc = "where attachment bodies are stored under their SHA-256; without it only metadata"},
    {"channels.email.max_attachment_bytes", K_INT, CF (max_attachment_bytes), .def = "10485760",
     .min = 0, .max = 1024.0 * 1048576, .doc = "larger attachments are kept as metadata only"},
    {"channels.email.rate_limit", K_SECTION, .doc = "mail per sender"},
    {"channels.email.rate_limit.per_sender", K_INT, CF (email_rate_per_sender), .def = "20",
     .min = 1, .max = 1000000,
     .doc = "more messages than this from one address in the window are dropped, logged"},
    {"channels.email.rate_limit.window", K_DUR, CF (email_rate_window_ms), .def = "1h",
     .doc = "the window of that limit"},
    {"channels.email.quarantine", K_SECTION, .doc = "mail the poller keeps failing on"},
    {"channels.email.quarantine.after", K_INT, CF (email_max_failures), .def = "3", .min = 1,
     .max = 1000, .doc = "a message failed on this many times is set aside"},
    {"channels.email.quarantine.folder", K_STR, CF (email_quarantine_folder), .def = "Quarantine",
     .is = F_FOLDER,
     .doc = "the IMAP folder it is moved to, created when missing (no quotes, backslashes, "
            "line ends)"},
    {"channels.email.agent_mail", K_SECTION, .check = s_agent_mail_done,
     .doc = "when mail is an agent's (docs/email.md)"},
    {"channels.email.agent_mail.trust", K_CHOICE, CF (agent_mail_trust), .def = "token",
     .values = "none|token|dmarc|token_or_dmarc",
     .doc = "token: sent to the agent's reply address for the ticket; dmarc: dmarc=pass from "
            "authserv_id; both; or none"},
    {"channels.email.agent_mail.authserv_id", K_STR, CF (agent_mail_authserv_id),
     .doc = "the authserv-id of your MTA's Authentication-Results; required with dmarc"},
    {"channels.email.agent_mail.secret", K_STR, CF (agent_mail_secret),
     .doc = "the HMAC-SHA256 key of reply tokens, at least 16 characters; none: no tokens"},
    {"channels.email.agent_mail.secret_file", K_CUSTOM, .parse = s_secret_file,
     .values = "a file name", .doc = "a file holding the secret instead (not with secret)"},
    {"channels.email.agent_mail.reply_address", K_STR, CF (agent_mail_address),
     .is = F_EMAIL, .shown = "notifications.smtp.from",
     .doc = "reply tokens are added to it, local+TOKEN@domain"},

    {"channels.phone", K_SECTION, .check = s_phone_done, .doc = "opdesk-phone"},
    {"channels.phone.secret", K_STR, CF (phone_secret),
     .doc = "the HMAC-SHA256 key of the telephony webhook, at least 8 characters; none: the "
            "adapter is disabled"},
    {"channels.phone.default_country_code", K_STR, CF (phone_country_code), .def = "44",
     .is = F_COUNTRY, .doc = "1 to 3 digits, no leading 0: the country of national numbers"},
    HTTP_ROWS ("channels.phone", phone_http, "64", "16", "15s"),

    {"workflow", K_SECTION, .doc = "the life of a ticket"},
    {"workflow.auto_close_days", K_INT, CF (auto_close_days), .def = "7", .min = 1, .max = 3650,
     .doc = "resolved tickets close by themselves after this many days"},

    {"coverage", K_SECTION, .doc = "the rota's coverage of working hours (docs/shifts.md)"},
    {"coverage.lookahead_days", K_INT, CF (coverage_lookahead_days), .def = "14", .min = 1, .max = 366,
     .doc = "coverage.gap is announced for gaps that begin within this many days"},
    {"coverage.leave_approval", K_BOOL, CF (leave_approval), .def = "false",
     .doc = "annual leave an agent records waits for a lead's approval"},

    {"slo_burn", K_SECTION, .doc = "error budgets and burn-rate alerts (see \"slo_burn\" above)"},
    {"slo_burn.window", K_DUR, CF (burn_window_ms), .def = "672h", .max = 840 * 3600000.0,
     .doc = "the rolling window of the error budget; finished clocks are kept 35 days"},
    {"slo_burn.fast", K_SECTION, CF (burn_fast), .check = s_burn_done, .doc = "the fast alert"},
    {"slo_burn.fast.long", K_DUR, CF (burn_fast.long_ms), .def = "1h",
     .doc = "its long window, not longer than slo_burn.window"},
    {"slo_burn.fast.short", K_DUR, CF (burn_fast.short_ms), .def = "5m",
     .doc = "its short window, shorter than long"},
    {"slo_burn.fast.threshold", K_NUM, CF (burn_fast.threshold), .def = "14.4", .min = 0,
     .max = 1000, .doc = "it holds while the burn rate over both windows is above this"},
    {"slo_burn.slow", K_SECTION, CF (burn_slow), .check = s_burn_done, .doc = "the slow alert"},
    {"slo_burn.slow.long", K_DUR, CF (burn_slow.long_ms), .def = "6h",
     .doc = "its long window, not longer than slo_burn.window"},
    {"slo_burn.slow.short", K_DUR, CF (burn_slow.short_ms), .def = "30m",
     .doc = "its short window, shorter than long"},
    {"slo_burn.slow.threshold", K_NUM, CF (burn_slow.threshold), .def = "6", .min = 0,
     .max = 1000, .doc = "it holds while the burn rate over both windows is above this"},

    {"curve", K_SECTION, CF (curve), .check = s_curve_done, .release = s_curve_free,
     .doc = "ZeroMQ CURVE on the intake and events sockets (see \"curve\" above); none: plaintext"},
    {"curve.server_public_file", K_CUSTOM, CF (curve.server_public), .parse = s_curve_cert,
     .flags = REQUIRED | RESTART, .values = "a certificate file",
     .doc = "intake's public certificate, which every client checks the server by"},
    {"curve.client_secret_file", K_CUSTOM, CF (curve.client_secret), .parse = s_curve_cert,
     .flags = REQUIRED | RESTART, .values = "a certificate file",
     .doc = "the key pair opdesk's own programs connect with"},
    {"curve.server_secret_file", K_CUSTOM, CF (curve.server_secret), .parse = s_curve_cert,
     .flags = RESTART, .values = "a certificate file",
     .doc = "intake's key pair, where intake runs (with clients_dir)"},
    {"curve.clients_dir", K_STR, CF (curve_clients_dir), .check = s_clients_dir,
     .doc = "a folder of allow-listed client public certificates (with server_secret_file)"},

    {"tokens", K_ITEMS, ITEMS_IN (opd_config_t, tokens, ntokens, opd_token_t),
     .check = s_token_done, .doc = "API tokens"},
    {"tokens[].token", K_STR, IN (opd_token_t, token), .flags = REQUIRED,
     .doc = "the secret (at least 8 characters, 16 outside a demo), or sha256:HEX of it"},
    {"tokens[].role", K_CHOICE, IN (opd_token_t, role), .min = 1, .flags = REQUIRED,
     .values = "requester|agent|lead|admin", .doc = "what it may do"},
    {"tokens[].identity", K_STR, IN (opd_token_t, identity), .shown = "the role",
     .doc = "an agent id (agent, lead), the requester's email address (requester)"},
    {NULL, 0, .doc = NULL},
};

//  --- errors and the YAML document -------------------------------------------

static bool
s_fail (ctx_t *c, const char *path, const char *fmt, ...)
{
    if (c->failed)
        return false;
    c->failed = true;
    char msg[400];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    snprintf (c->err, c->errlen, "%s: %s", path && *path ? path : "(top level)", msg);
    //  Keys and values from the file are quoted in it; the error is one line
    //  of a log, so their line breaks and other control characters are not.
    for (char *p = c->err; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = '?';
    return false;
}

static yaml_node_t *
s_node (ctx_t *c, int index)
{
    return yaml_document_get_node (c->doc, index);
}

static bool
s_is_null (yaml_node_t *n)
{
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *) n->data.scalar.value;
    return !*v || !strcmp (v, "~") || !strcmp (v, "null") || !strcmp (v, "Null")
           || !strcmp (v, "NULL");
}

static const char *
s_type_name (yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a map"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
                                           : "a scalar";
}

static const char *
s_text (yaml_node_t *n)
{
    return (const char *) n->data.scalar.value;
}

//  The value of key in map; NULL when absent or null.
static yaml_node_t *
s_get (ctx_t *c, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = s_node (c, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp (s_text (k), key))
            return s_is_null (s_node (c, p->value)) ? NULL : s_node (c, p->value);
    }
    return NULL;
}

//  n must be a map whose keys are text.
static bool
s_is_map (ctx_t *c, yaml_node_t *n, const char *path)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return s_fail (c, path, "must be a map, not %s", n ? s_type_name (n) : "nothing");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = s_node (c, p->key);
        if (!k || k->type != YAML_SCALAR_NODE)
            return s_fail (c, path, "keys must be text");
    }
    return true;
}

static size_t
s_seq_len (yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE
               ? (size_t) (n->data.sequence.items.top - n->data.sequence.items.start)
               : 0;
}

#define ITEM(n, i) s_node (c, (n)->data.sequence.items.start[i])

static void
s_path (char *out, size_t size, const char *base, const char *key)
{
    snprintf (out, size, "%s%s%s", base, *base ? "." : "", key);
}

static int
s_str_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
s_free_list (char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free (list[i]);
    free (list);
}

//  --- the fields a row points at ---------------------------------------------

#define FIELD(T, base, e) ((T *) (void *) ((base) + (e)->off))
#define COUNT(base, e) ((size_t *) (void *) ((base) + (e)->count_off))

static char **
s_str_at (char *base, const entry_t *e)
{
    return FIELD (char *, base, e);
}

//  A list of text scalars into *out, *count.
static bool
s_strlist (ctx_t *c, yaml_node_t *n, const char *path, char ***out, size_t *count)
{
    *count = 0;
    if (!n)
        return true;
    if (n->type != YAML_SEQUENCE_NODE)
        return s_fail (c, path, "must be a list");
    size_t len = s_seq_len (n);
    *out = opd_calloc (len + 1, sizeof (char *));
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *item = ITEM (n, i);
        if (!item || item->type != YAML_SCALAR_NODE)
            return s_fail (c, path, "item %zu must be text", i);
        if (!opd_utf8_valid (s_text (item), item->data.scalar.length))
            return s_fail (c, path, "item %zu is not valid UTF-8", i);
        (*out)[(*count)++] = opd_strdup (s_text (item));
    }
    return true;
}

static bool
s_parse_hhmm (const char *s, int *minutes, bool allow_24)
{
    if (strlen (s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
        return false;
    *minutes = h * 60 + m;
    return true;
}

//  A duration in the largest unit that writes it whole ("90s", "12h").
static void
s_format_ms (char *out, size_t size, double ms)
{
    int64_t s = (int64_t) (ms / 1000);
    if (s % 3600 == 0)
        snprintf (out, size, "%lldh", (long long) (s / 3600));
    else if (s % 60 == 0)
        snprintf (out, size, "%lldm", (long long) (s / 60));
    else
        snprintf (out, size, "%llds", (long long) s);
}

//  "a, b, c or d" from "a|b|c|d".
static void
s_alternatives (char *out, size_t size, const char *values)
{
    out[0] = 0;
    const char *last = strrchr (values, '|');
    size_t len = 0;
    for (const char *p = values; *p && len + 8 < size; p++) {
        if (*p == '|')
            len += (size_t) snprintf (out + len, size - len, "%s", p == last ? " or " : ", ");
        else
            out[len++] = *p, out[len] = 0;
    }
}

//  The index of text among values ("a|b|c"), or -1.
static int
s_choice (const char *values, const char *text)
{
    size_t tlen = strlen (text);
    int i = 0;
    for (const char *p = values; p; i++) {
        const char *bar = strchr (p, '|');
        size_t len = bar ? (size_t) (bar - p) : strlen (p);
        if (len == tlen && !strncmp (p, text, len))
            return i;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

static bool
s_set_int (ctx_t *c, const entry_t *e, char *base, const char *text, const char *path)
{
    char *end;
    errno = 0;
    long long x = strtoll (text, &end, 10);
    if (errno || end == text || *end)
        return s_fail (c, path, "must be a whole number, not '%s'", text);
    if (x < (long long) e->min || x > (long long) e->max)
        return s_fail (c, path, "must be between %lld and %lld", (long long) e->min,
                       (long long) e->max);
    if (e->size == sizeof (int))
        *FIELD (int, base, e) = (int) x;
    else
        *FIELD (int64_t, base, e) = x;
    return true;
}

static bool
s_set_duration (ctx_t *c, const entry_t *e, char *base, const char *text, const char *path)
{
    int64_t ms;
    char bound[32];
    if (opd_duration_parse (text, &ms))
        return s_fail (c, path, "'%s' is not a duration (a whole number with s, m or h)", text);
    if (e->min && ms < e->min)
        return s_format_ms (bound, sizeof bound, e->min), s_fail (c, path, "must be at least %s", bound);
    if (e->max && ms > e->max)
        return s_format_ms (bound, sizeof bound, e->max), s_fail (c, path, "must be at most %s", bound);
    *FIELD (int64_t, base, e) = ms;
    return true;
}

//  Sets the scalar row e of base from text (the file's, or the default).
static bool
s_set (ctx_t *c, const entry_t *e, char *base, const char *text, const char *path)
{
    char alternatives[256];
    int i;
    switch (e->kind) {
    case K_STR:
        free (*s_str_at (base, e));
        *s_str_at (base, e) = opd_strdup (text);
        return true;
    case K_INT:
        return s_set_int (c, e, base, text, path);
    case K_DUR:
        return s_set_duration (c, e, base, text, path);
    case K_NUM: {
        char *end;
        double x = strtod (text, &end);
        if (end == text || *end)
            return s_fail (c, path, "must be a number, not '%s'", text);
        if (!(x > e->min && x <= e->max))
            return s_fail (c, path, "must be above %g and at most %g", e->min, e->max);
        *FIELD (double, base, e) = x;
        return true;
    }
    case K_BOOL:
        if (!strcmp (text, "true") || !strcmp (text, "True") || !strcmp (text, "yes"))
            *FIELD (bool, base, e) = true;
        else if (!strcmp (text, "false") || !strcmp (text, "False") || !strcmp (text, "no"))
            *FIELD (bool, base, e) = false;
        else
            return s_fail (c, path, "must be true or false");
        return true;
    case K_ENUM:
    case K_CHOICE:
        i = s_choice (e->values, text);
        if (i < 0) {
            s_alternatives (alternatives, sizeof alternatives, e->values);
            return s_fail (c, path, "'%s' must be %s", text, alternatives);
        }
        if (e->kind == K_CHOICE)
            *FIELD (int, base, e) = i + (int) e->min;
        else {
            free (*s_str_at (base, e));
            *s_str_at (base, e) = opd_strdup (text);
        }
        return true;
    case K_HHMM:
        if (!s_parse_hhmm (text, FIELD (int, base, e), e->max >= 1440))
            return s_fail (c, path, "'%s' is not HH:MM", text);
        return true;
    default:
        assert (false);
        return false;
    }
}

//  --- formats: what a text value (or each item of a list of text) must be -------

static bool
s_is_email (ctx_t *c, const char *v)
{
    return opd_email_valid (v);
}

static bool
s_is_e164 (ctx_t *c, const char *v)
{
    return opd_e164_valid (v);
}

static bool
s_is_timezone (ctx_t *c, const char *tz)
{
    if (!strcmp (tz, "UTC"))
        return true;
    GTimeZone *z = *tz ? g_time_zone_new_identifier (tz) : NULL;
    if (z)
        g_time_zone_unref (z);
    return z != NULL;
}

static bool
s_is_date (ctx_t *c, const char *s)
{
    int y, m, d, n = 0;
    if (sscanf (s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || strlen (s) != 10)
        return false;
    return g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

static bool
s_is_ip (ctx_t *c, const char *v)
{
    unsigned char buf[16];
    return inet_pton (AF_INET, v, buf) == 1 || inet_pton (AF_INET6, v, buf) == 1;
}

static bool
s_is_host_port (ctx_t *c, const char *v)
{
    const char *colon = strrchr (v, ':');
    return colon && atoi (colon + 1) > 0 && atoi (colon + 1) <= 65535;
}

//  The name goes into IMAP commands between quotes.
static bool
s_is_folder (ctx_t *c, const char *v)
{
    return *v && !strpbrk (v, "\"\\\r\n");
}

static bool
s_is_country (ctx_t *c, const char *v)
{
    return *v && strlen (v) <= 3 && strspn (v, "0123456789") == strlen (v) && v[0] != '0';
}

//  References to what the rows above declared.
static bool
s_is_calendar (ctx_t *c, const char *v)
{
    return opd_config_calendar (c->cfg, v) != NULL;
}

static bool
s_is_team (ctx_t *c, const char *v)
{
    return opd_config_team (c->cfg, v) != NULL;
}

static bool
s_is_agent (ctx_t *c, const char *v)
{
    return opd_config_agent (c->cfg, v) != NULL;
}

static bool
s_is_category (ctx_t *c, const char *v)
{
    return opd_config_category_exists (c->cfg, v);
}

static bool
s_is_stdresp (ctx_t *c, const char *v)
{
    return opd_config_stdresp (c->cfg, v) != NULL;
}

//  Whether v starts with one of prefixes ("tcp://|ipc://").
static bool
s_has_prefix (const char *v, const char *prefixes)
{
    for (const char *p = prefixes; p; p = strchr (p, '|') ? strchr (p, '|') + 1 : NULL)
        if (!strncmp (v, p, strchr (p, '|') ? (size_t) (strchr (p, '|') - p) : strlen (p)))
            return true;
    return false;
}

static const struct {
    bool (*ok) (ctx_t *c, const char *value);  //  NULL: starts with one of prefixes
    const char *error;                         //  the value is its argument
    const char *doc;                           //  the type column of the docs
    const char *prefixes;
} s_formats[] = {
    [F_EMAIL] = {s_is_email, "'%s' is not an email address", "email address"},
    [F_E164] = {s_is_e164, "'%s' is not an E.164 number", "E.164 number"},
    [F_TZ] = {s_is_timezone, "unknown time zone '%s'", "time zone"},
    [F_DATE] = {s_is_date, "'%s' is not a date YYYY-MM-DD", "date"},
    [F_IP] = {s_is_ip, "'%s' is not an IP address", "IP address"},
    [F_ZMQ] = {NULL, "'%s' is not a tcp:// or ipc:// endpoint", "ZeroMQ endpoint", "tcp://|ipc://"},
    [F_HOST_PORT] = {s_is_host_port, "'%s' is not HOST:PORT", "HOST:PORT"},
    [F_SMTP_URL] = {NULL, "'%s' is not an smtp:// or smtps:// URL", "URL", "smtp://|smtps://"},
    [F_HTTP_URL] = {NULL, "'%s' is not an http:// or https:// URL", "URL", "http://|https://"},
    [F_IMAP_URL] = {NULL, "'%s' is not an imap:// or imaps:// URL", "URL", "imap://|imaps://"},
    [F_FOLDER] = {s_is_folder, "must not be empty or contain quotes, backslashes or line ends",
                  "IMAP folder"},
    [F_COUNTRY] = {s_is_country, "must be 1 to 3 digits, e.g. 44", "digits"},
    [F_CALENDAR] = {s_is_calendar, "unknown calendar '%s'", "calendar name"},
    [F_TEAM] = {s_is_team, "unknown team '%s'", "team id"},
    [F_AGENT] = {s_is_agent, "unknown agent '%s'", "agent id"},
    [F_CATEGORY] = {s_is_category, "unknown category '%s'", "category"},
    [F_STDRESP] = {s_is_stdresp, "unknown standard response '%s'", "standard response id"},
};

static bool
s_format_ok (ctx_t *c, const char *path, format_t f, const char *value)
{
    bool ok = !f
              || (s_formats[f].ok ? s_formats[f].ok (c, value)
                                  : s_has_prefix (value, s_formats[f].prefixes));
    return ok || s_fail (c, path, s_formats[f].error, value);
}

//  --- the walk ---------------------------------------------------------------

static bool s_entry (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base);

//  The prefix of the paths of e's children ("redis.", "teams[].",
//  "calendars.*."); "" for the top level (e NULL).
static void
s_child_prefix (char *out, size_t size, const entry_t *e)
{
    snprintf (out, size, "%s%s", e ? e->path : "",
              !e ? "" : e->kind == K_ITEMS ? "[]." : e->kind == K_MAPOF ? ".*." : ".");
}

//  The key name of row e when it is a direct child of prefix, else NULL.
static const char *
s_child_name (const entry_t *e, const char *prefix)
{
    size_t len = strlen (prefix);
    if (strncmp (e->path, prefix, len) || strpbrk (e->path + len, ".["))
        return NULL;
    return e->path + len;
}

//  One past the last row of the subtree of e (its children follow it).
static const entry_t *
s_subtree_end (const entry_t *e)
{
    char prefix[256];
    s_child_prefix (prefix, sizeof prefix, e);
    const entry_t *end = e ? e + 1 : s_keys;
    while (end->path && !strncmp (end->path, prefix, strlen (prefix)))
        end++;
    return end;
}

//  Every key of map must be a child of parent (NULL: the top level).
static bool
s_known_keys (ctx_t *c, const entry_t *parent, yaml_node_t *map, const char *path)
{
    if (!s_is_map (c, map, path))
        return false;
    char prefix[256];
    s_child_prefix (prefix, sizeof prefix, parent);
    const entry_t *end = s_subtree_end (parent);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *key = s_text (s_node (c, p->key));
        const entry_t *e = parent ? parent + 1 : s_keys;
        for (; e < end; e++) {
            const char *name = s_child_name (e, prefix);
            if (name && !strcmp (name, key))
                break;
        }
        if (e == end) {
            char sub[512];
            s_path (sub, sizeof sub, path, key);
            return s_fail (c, sub, "unknown key");
        }
    }
    return true;
}

//  Reads the children of parent (NULL: the top level) from map (NULL when
//  the map is absent: defaults only) into base, in the table's order.
static bool
s_children (ctx_t *c, const entry_t *parent, yaml_node_t *map, const char *path, char *base)
{
    if (map && !s_known_keys (c, parent, map, path))
        return false;
    char prefix[256], sub[512];
    s_child_prefix (prefix, sizeof prefix, parent);
    const entry_t *end = s_subtree_end (parent);
    for (const entry_t *e = parent ? parent + 1 : s_keys; e < end; e++) {
        const char *name = s_child_name (e, prefix);
        if (!name)
            continue;
        s_path (sub, sizeof sub, path, name);
        c->in_map = map != NULL;
        if (!s_entry (c, e, s_get (c, map, name), sub, base))
            return false;
    }
    return true;
}

//  A list of maps: one item of e->size bytes each, read by e's children.
static bool
s_items (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    if (!n)
        return true;
    if (n->type != YAML_SEQUENCE_NODE)
        return s_fail (c, path, "must be a list");
    size_t len = s_seq_len (n);
    char *items = opd_calloc (len + 1, e->size), sub[512];
    *FIELD (char *, base, e) = items;
    for (size_t i = 0; i < len; i++) {
        char *item = items + i * e->size;
        snprintf (sub, sizeof sub, "%s[%zu]", path, i);
        (*COUNT (base, e))++;
        if (!s_is_map (c, ITEM (n, i), sub) || !s_children (c, e, ITEM (n, i), sub, item)
            || (e->check && !e->check (c, sub, item, e)))
            return false;
    }
    return true;
}

//  A map of maps by name: as s_items, the name into the item.
static bool
s_map_of (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    if (!n)
        return true;
    if (!s_is_map (c, n, path))
        return false;
    size_t len = (size_t) (n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    char *items = opd_calloc (len + 1, e->size), sub[512];
    *FIELD (char *, base, e) = items;
    for (size_t i = 0; i < len; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        char *item = items + i * e->size;
        const char *name = s_text (s_node (c, p->key));
        *(char **) (void *) (item + e->id_off) = opd_strdup (name);
        (*COUNT (base, e))++;
        s_path (sub, sizeof sub, path, name);
        if (!s_is_map (c, s_node (c, p->value), sub)
            || !s_children (c, e, s_node (c, p->value), sub, item)
            || (e->check && !e->check (c, sub, item, e)))
            return false;
    }
    return true;
}

//  A list of names among e->values into consecutive bools (shifts[].days,
//  routing_rules[].when.in); an empty list is "is required", or all of them
//  with a default.
_Static_assert (offsetof (opd_rule_t, in_body) == offsetof (opd_rule_t, in_subject) + 1,
                "routing_rules[].when.in sets in_subject and in_body as bool[2]");

static bool
s_flags (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    char **names = NULL, alternatives[256];
    size_t count = 0;
    bool *flags = FIELD (bool, base, e), ok = s_strlist (c, n, path, &names, &count);
    for (size_t i = 0; ok && i < count; i++) {
        int f = s_choice (e->values, names[i]);
        if (f >= 0)
            flags[f] = true;
        else {
            s_alternatives (alternatives, sizeof alternatives, e->values);
            ok = s_fail (c, path, "'%s' must be %s", names[i], alternatives);
        }
    }
    if (ok && !count && (e->flags & REQUIRED) && c->in_map)
        ok = s_fail (c, path, "is required");
    //  The default is every value.
    for (const char *v = e->values; ok && !count && e->def && v; v = strchr (v, '|'), v = v ? v + 1 : v)
        *flags++ = true;
    s_free_list (names, count);
    return ok;
}

static const char *const s_must_be[] = {
    [K_STR] = "must be text", [K_INT] = "must be a whole number", [K_DUR] = "must be a duration",
    [K_NUM] = "must be a number", [K_BOOL] = "must be true or false",
    [K_ENUM] = "must be text", [K_CHOICE] = "must be text", [K_HHMM] = "must be HH:MM",
};

//  Reads row e from n (NULL when absent) at path into base.
static bool
s_entry (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    bool required = (e->flags & REQUIRED) && c->in_map;
    if (!n && required && e->kind != K_CUSTOM && e->kind != K_LIST && e->kind != K_FLAGS)
        return s_fail (c, path, "is required");
    switch (e->kind) {
    case K_SECTION:
        if (n && !s_is_map (c, n, path))
            return false;
        return s_children (c, e, n, path, base) && (!e->check || e->check (c, path, base, e));
    case K_ITEMS:
        return s_items (c, e, n, path, base);
    case K_MAPOF:
        return s_map_of (c, e, n, path, base);
    case K_CUSTOM:
        return e->parse (c, n, path, base, e);
    case K_FLAGS:
        return s_flags (c, e, n, path, base);
    case K_LIST:
        //  The check runs when the list is absent too ("needs at least one").
        if (!s_strlist (c, n, path, FIELD (char **, base, e), COUNT (base, e)))
            return false;
        for (size_t i = 0; i < *COUNT (base, e); i++)
            if (!s_format_ok (c, path, e->is, (*FIELD (char **, base, e))[i]))
                return false;
        return !e->check || (!n && !c->in_map) || e->check (c, path, base, e);
    default:
        break;
    }
    const char *text = e->def;
    if (n) {
        if (n->type != YAML_SCALAR_NODE)
            return s_fail (c, path, "%s, not %s", s_must_be[e->kind], s_type_name (n));
        if (!opd_utf8_valid (s_text (n), n->data.scalar.length)
            || strlen (s_text (n)) != n->data.scalar.length)
            return s_fail (c, path, "is not valid UTF-8 text");
        text = s_text (n);
    }
    if (!text)
        return true;
    return s_set (c, e, base, text, path)
           && (e->kind != K_STR || s_format_ok (c, path, e->is, *s_str_at (base, e)))
           && (!e->check || e->check (c, path, base, e));
}

//  --- checks of one value ----------------------------------------------------

static const char *s_days_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static bool
s_prefix_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    const char *p = *s_str_at (base, e);
    if (!*p || strlen (p) > 16)
        return s_fail (c, path, "must be 1 to 16 letters");
    for (; *p; p++)
        if (!g_ascii_isalnum (*p))
            return s_fail (c, path, "may hold only letters and digits");
    return true;
}

static bool
s_demo_seen (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    c->demo_given = true;
    return true;
}

static bool
s_keywords_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **words = *FIELD (char **, base, e);
    if (!*COUNT (base, e))
        return s_fail (c, path, "needs at least one keyword");
    for (size_t i = 0; i < *COUNT (base, e); i++)
        if (!*words[i])
            return s_fail (c, path, "a keyword cannot be empty");
    return true;
}

//  References to what the rows above declared.

//  --- checks of a list item or section as a whole ----------------------------

//  The last of count items (each size bytes, its id a char * at id_off)
//  must not repeat an earlier one's id.
static bool
s_once (ctx_t *c, const char *path, const void *items, size_t count, size_t size, size_t id_off,
        const char *noun)
{
    const char *base = items;
    const char *id = *(char *const *) (const void *) (base + (count - 1) * size + id_off);
    for (size_t i = 0; i + 1 < count; i++)
        if (!strcmp (*(char *const *) (const void *) (base + i * size + id_off), id))
            return s_fail (c, path, "%s '%s' appears twice", noun, id);
    return true;
}

//  name, when absent, is the id.
static void
s_name_from_id (char **name, const char *id)
{
    if (!*name)
        *name = opd_strdup (id);
}

//  Holidays sorted, for lookups by date.
static bool
s_calendar_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_calendar_t *cal = (opd_calendar_t *) (void *) base;
    if (cal->nholidays)
        qsort (cal->holidays, cal->nholidays, sizeof (char *), s_str_cmp);
    return true;
}

static bool
s_matrix_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    c->cfg->has_matrix = c->cfg->priority_matrix[0][0] != 0;
    return true;
}

static bool
s_team_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_team_t *t = (opd_team_t *) (void *) base;
    s_name_from_id (&t->name, t->id);
    return s_once (c, path, c->cfg->teams, c->cfg->nteams, sizeof *t, offsetof (opd_team_t, id),
                   "team");
}

static bool
s_agent_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_agent_t *a = (opd_agent_t *) (void *) base;
    s_name_from_id (&a->name, a->id);
    return s_once (c, path, c->cfg->agents, c->cfg->nagents, sizeof *a,
                   offsetof (opd_agent_t, id), "agent");
}

static bool
s_stdresp_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    return s_once (c, path, c->cfg->stdresps, c->cfg->nstdresps, sizeof (opd_stdresp_t),
                   offsetof (opd_stdresp_t, id), "standard response");
}

static bool
s_policy_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_policy_t *p = (opd_policy_t *) (void *) base;
    if (!p->first_response && !p->resolution && !p->next_reply)
        return s_fail (c, path, "needs at least one of first_response, next_reply, resolution");
    return s_once (c, path, c->cfg->policies, c->cfg->npolicies, sizeof *p,
                   offsetof (opd_policy_t, name), "policy");
}

//  slo_policies[].match: each value names something that exists (its
//  request type is checked in s_finish, once request types are read).
static bool
s_match_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    const opd_match_t *m = &((opd_policy_t *) (void *) base)->match;
    if (m->priority && !opd_priority_rank (m->priority))
        return s_fail (c, path, "priority '%s' must be P1, P2, P3 or P4", m->priority);
    if (m->kind && strcmp (m->kind, "incident") && strcmp (m->kind, "service_request"))
        return s_fail (c, path, "kind '%s' must be incident or service_request", m->kind);
    if (m->category && !opd_config_category_exists (c->cfg, m->category))
        return s_fail (c, path, "unknown category '%s'", m->category);
    if (m->team && !opd_config_team (c->cfg, m->team))
        return s_fail (c, path, "unknown team '%s'", m->team);
    if (m->channel && !opd_channel_valid (m->channel))
        return s_fail (c, path, "channel '%s' is not a channel name", m->channel);
    return true;
}

static bool
s_shift_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_shift_t *s = (opd_shift_t *) (void *) base;
    char sub[512];
    if (s->to == s->from)
        return s_path (sub, sizeof sub, path, "to"),
               s_fail (c, sub, "a shift cannot end when it starts");
    if (!s->timezone) {
        const opd_team_t *t = opd_config_team (c->cfg, s->team);
        const opd_calendar_t *cal = t && t->calendar ? opd_config_calendar (c->cfg, t->calendar)
                                                     : NULL;
        s->timezone = opd_strdup (cal ? cal->timezone : "UTC");
    }
    return true;
}

static bool
s_reqtype_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_reqtype_t *rt = (opd_reqtype_t *) (void *) base;
    s_name_from_id (&rt->name, rt->id);
    return s_once (c, path, c->cfg->reqtypes, c->cfg->nreqtypes, sizeof *rt,
                   offsetof (opd_reqtype_t, id), "request type");
}

static bool
s_field_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_field_t *f = (opd_field_t *) (void *) base;
    char sub[512];
    if (f->type == OPD_FIELD_ENUM && f->nvalues == 0)
        return s_path (sub, sizeof sub, path, "values"),
               s_fail (c, sub, "an enum field needs values");
    for (const char *p = f->name; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
            return s_fail (c, path, "field name '%s' may hold only letters, digits, _ and -",
                           f->name);
    if (f->pattern) {
        GError *gerr = NULL;
        f->regex = g_regex_new (f->pattern, G_REGEX_OPTIMIZE, 0, &gerr);
        if (!f->regex) {
            s_path (sub, sizeof sub, path, "pattern");
            s_fail (c, sub, "is not a valid regular expression: %s", gerr->message);
            g_error_free (gerr);
            return false;
        }
    }
    //  The fields before it in its request type (the item is the last one).
    const opd_reqtype_t *rt = &c->cfg->reqtypes[c->cfg->nreqtypes - 1];
    return s_once (c, path, rt->fields, rt->nfields, sizeof *f, offsetof (opd_field_t, name),
                   "field");
}

static bool
s_web_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    if (!c->cfg->web_public_url)
        c->cfg->web_public_url = opd_sprintf ("http://%s", c->cfg->ep_http);
    return true;
}

static bool
s_phone_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    if (c->cfg->phone_secret && strlen (c->cfg->phone_secret) < 8)
        return s_fail (c, "channels.phone.secret", "needs at least 8 characters");
    return true;
}

static bool
s_agent_mail_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (cfg->agent_mail_secret && strlen (cfg->agent_mail_secret) < 16)
        return s_fail (c, "channels.email.agent_mail.secret", "must be at least 16 characters");
    if ((cfg->agent_mail_trust & OPD_AGENT_TRUST_DMARC) && !cfg->agent_mail_authserv_id)
        return s_fail (c, "channels.email.agent_mail.authserv_id",
                       "is required when trust includes dmarc");
    return true;
}

//  slo_burn.fast and .slow: the short window confirms that the burn is still
//  going on, so it is the shorter; the long one fits in the rolling window.
static bool
s_burn_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    const opd_burn_alert_t *a = FIELD (opd_burn_alert_t, base, e);
    char sub[512];
    if (a->long_ms > c->cfg->burn_window_ms)
        return s_path (sub, sizeof sub, path, "long"),
               s_fail (c, sub, "must not be longer than slo_burn.window");
    if (a->short_ms >= a->long_ms)
        return s_path (sub, sizeof sub, path, "short"),
               s_fail (c, sub, "must be shorter than %s.long", path);
    return true;
}

static bool
s_token_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    static const char *const roles[] = {"", "requester", "agent", "lead", "admin"};
    opd_token_t *t = (opd_token_t *) (void *) base;
    char sub[512];
    s_path (sub, sizeof sub, path, "token");
    if (!strncmp (t->token, "sha256:", 7)) {
        const char *hex = t->token + 7;
        if (strlen (hex) != 64 || strspn (hex, "0123456789abcdefABCDEF") != 64)
            return s_fail (c, sub, "a hashed token is sha256: and 64 hex digits");
        t->hashed = true;
        memmove (t->token, hex, 65);
        for (char *p = t->token; *p; p++)
            *p = (char) g_ascii_tolower (*p);
    }
    else if (strlen (t->token) < 8)
        return s_fail (c, sub, "a token needs at least 8 characters");
    s_path (sub, sizeof sub, path, "identity");
    if (t->role == OPD_ROLE_REQUESTER && (!t->identity || !opd_email_valid (t->identity)))
        return s_fail (c, sub, "a requester token's identity must be an email address");
    if ((t->role == OPD_ROLE_AGENT || t->role == OPD_ROLE_LEAD)
        && (!t->identity || !opd_config_agent (c->cfg, t->identity)))
        return s_fail (c, sub, "an %s token's identity must be a known agent id",
                       t->role == OPD_ROLE_AGENT ? "agent" : "lead");
    s_name_from_id (&t->identity, roles[t->role]);
    return true;
}

//  --- rows read by their own function (K_CUSTOM) ------------------------------

static int
s_span_cmp (const void *a, const void *b)
{
    return ((const opd_span_t *) a)->from - ((const opd_span_t *) b)->from;
}

//  One day of calendars.*.hours: ["08:00-12:30", "13:30-18:00"].
static bool
s_day_hours (ctx_t *c, yaml_node_t *n, const char *path, opd_calendar_t *cal, int d)
{
    char **spans = NULL;
    size_t nspans = 0;
    bool ok = s_strlist (c, n, path, &spans, &nspans);
    cal->hours[d] = opd_calloc (nspans + 1, sizeof (opd_span_t));
    for (size_t i = 0; ok && i < nspans; i++) {
        char from[8] = "", to[8] = "";
        const char *dash = strchr (spans[i], '-');
        opd_span_t *s = &cal->hours[d][cal->nhours[d]];
        if (dash && dash - spans[i] <= 5 && strlen (dash + 1) <= 5) {
            memcpy (from, spans[i], (size_t) (dash - spans[i]));
            strcpy (to, dash + 1);
        }
        if (!s_parse_hhmm (from, &s->from, false) || !s_parse_hhmm (to, &s->to, true))
            ok = s_fail (c, path, "'%s' is not HH:MM-HH:MM", spans[i]);
        else if (s->to <= s->from)
            ok = s_fail (c, path, "'%s' ends before it starts", spans[i]);
        else
            cal->nhours[d]++;
    }
    s_free_list (spans, nspans);
    if (!ok)
        return false;
    qsort (cal->hours[d], cal->nhours[d], sizeof (opd_span_t), s_span_cmp);
    for (size_t i = 1; i < cal->nhours[d]; i++)
        if (cal->hours[d][i].from < cal->hours[d][i - 1].to)
            return s_fail (c, path, "intervals overlap");
    return true;
}

static bool
s_hours (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    opd_calendar_t *cal = (opd_calendar_t *) (void *) base;
    if (!n)
        return s_fail (c, path, "is required ('24x7' or a map of days)");
    if (n->type == YAML_SCALAR_NODE) {
        if (strcmp (s_text (n), "24x7"))
            return s_fail (c, path, "must be '24x7' or a map of days");
        cal->always = true;
        return true;
    }
    if (!s_is_map (c, n, path))
        return false;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
        if (s_choice ("mon|tue|wed|thu|fri|sat|sun", s_text (s_node (c, p->key))) < 0) {
            char sub[512];
            s_path (sub, sizeof sub, path, s_text (s_node (c, p->key)));
            return s_fail (c, sub, "unknown key");
        }
    for (int d = 0; d < 7; d++) {
        char sub[512];
        s_path (sub, sizeof sub, path, s_days_names[d]);
        if (!s_day_hours (c, s_get (c, n, s_days_names[d]), sub, cal, d))
            return false;
    }
    return true;
}

static void
s_hours_free (char *base, const entry_t *e)
{
    opd_calendar_t *cal = (opd_calendar_t *) (void *) base;
    for (int d = 0; d < 7; d++)
        free (cal->hours[d]);
}

static void
s_add_category (opd_config_t *cfg, const char *prefix, const char *name)
{
    char *full = *prefix ? opd_sprintf ("%s/%s", prefix, name) : opd_strdup (name);
    cfg->categories = realloc (cfg->categories, (cfg->ncategories + 1) * sizeof (char *));
    if (!cfg->categories)
        abort ();
    cfg->categories[cfg->ncategories++] = full;
}

//  Collects every path of the taxonomy under n into cfg->categories.
static bool
s_category_tree (ctx_t *c, yaml_node_t *n, const char *prefix, const char *path, int depth)
{
    if (depth > 16)
        return s_fail (c, path, "is nested too deeply");
    if (n->type == YAML_SEQUENCE_NODE) {
        //  A list of leaf names is accepted too: [laptop, printer].
        for (size_t i = 0; i < s_seq_len (n); i++) {
            yaml_node_t *item = ITEM (n, i);
            if (!item || item->type != YAML_SCALAR_NODE)
                return s_fail (c, path, "items must be names");
            if (!*s_text (item) || strchr (s_text (item), '/'))
                return s_fail (c, path, "'%s' is not a category name", s_text (item));
            s_add_category (c->cfg, prefix, s_text (item));
        }
        return true;
    }
    if (n->type != YAML_MAPPING_NODE)
        return s_fail (c, path, "must be a map of categories");
    if (!s_is_map (c, n, path))
        return false;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *name = s_text (s_node (c, p->key));
        char sub[512];
        s_path (sub, sizeof sub, path, name);
        if (!*name || strchr (name, '/') || strlen (name) > 64)
            return s_fail (c, sub, "is not a category name");
        s_add_category (c->cfg, prefix, name);
        yaml_node_t *child = s_node (c, p->value);
        if (!s_is_null (child)
            && !s_category_tree (c, child, c->cfg->categories[c->cfg->ncategories - 1], sub,
                                 depth + 1))
            return false;
    }
    return true;
}

static bool
s_categories (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (n && !s_category_tree (c, n, "", path, 0))
        return false;
    if (cfg->ncategories)
        qsort (cfg->categories, cfg->ncategories, sizeof (char *), s_str_cmp);
    for (size_t i = 1; i < cfg->ncategories; i++)
        if (!strcmp (cfg->categories[i], cfg->categories[i - 1]))
            return s_fail (c, path, "'%s' appears twice", cfg->categories[i]);
    return true;
}

static void
s_categories_free (char *base, const entry_t *e)
{
    opd_config_t *cfg = (opd_config_t *) (void *) base;
    s_free_list (cfg->categories, cfg->ncategories);
}



//  retention.per_category: category -> days.
static bool
s_per_category (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (!n)
        return true;
    if (!s_is_map (c, n, path))
        return false;
    size_t len = (size_t) (n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    cfg->retention_rules = opd_calloc (len + 1, sizeof (opd_retention_rule_t));
    static const entry_t days = {"days", K_INT, IN (opd_retention_rule_t, days), .min = 1,
                                 .max = 36500};
    for (size_t i = 0; i < len; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        const char *cat = s_text (s_node (c, p->key));
        yaml_node_t *v = s_node (c, p->value);
        char sub[512];
        s_path (sub, sizeof sub, path, cat);
        if (!opd_config_category_exists (cfg, cat))
            return s_fail (c, sub, "unknown category '%s'", cat);
        opd_retention_rule_t *r = &cfg->retention_rules[cfg->nretention_rules];
        if (s_is_null (v))
            return s_fail (c, sub, "must be a number of days");
        if (v->type != YAML_SCALAR_NODE)
            return s_fail (c, sub, "must be a whole number");
        if (!s_set (c, &days, (char *) r, s_text (v), sub))
            return false;
        r->category = opd_strdup (cat);
        cfg->nretention_rules++;
    }
    return true;
}

static void
s_per_category_free (char *base, const entry_t *e)
{
    opd_config_t *cfg = (opd_config_t *) (void *) base;
    for (size_t i = 0; i < cfg->nretention_rules; i++)
        free (cfg->retention_rules[i].category);
    free (cfg->retention_rules);
}

static void
s_regex_free (char *base, const entry_t *e)
{
    opd_field_t *f = (opd_field_t *) (void *) base;
    if (f->regex)
        g_regex_unref (f->regex);
}

//  A text scalar of a K_CUSTOM row, or NULL (with an error when it is not text).
static const char *
s_custom_text (ctx_t *c, yaml_node_t *n, const char *path)
{
    if (!n)
        return NULL;
    if (n->type != YAML_SCALAR_NODE)
        return s_fail (c, path, "must be text, not %s", s_type_name (n)), NULL;
    return s_text (n);
}

static bool
s_password_file (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    const char *file = s_custom_text (c, n, path);
    if (file)
        c->password_file = opd_strdup (file);
    return !c->failed;
}

//  channels.email.agent_mail.secret_file: its text, trimmed, is the secret.
static bool
s_secret_file (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    const char *file = s_custom_text (c, n, path);
    if (!file)
        return !c->failed;
    if (c->cfg->agent_mail_secret)
        return s_fail (c, path, "cannot be given with secret");
    gchar *text = NULL;
    if (!g_file_get_contents (file, &text, NULL, NULL))
        return s_fail (c, path, "cannot be read");
    c->cfg->agent_mail_secret = opd_strdup (g_strstrip (text));
    g_free (text);
    return true;
}

//  --- redis: a user per service, the password from a file ---------------------

//  The name of this program without "opdesk-" ("router"; "cli" for the
//  command-line tool opdesk): {service} in redis.username and
//  redis.password_file.
static const char *
s_service_name (void)
{
    const char *name = program_invocation_short_name;
    if (!strcmp (name, "opdesk"))
        return "cli";
    return !strncmp (name, "opdesk-", 7) && name[7] ? name + 7 : name;
}

//  text with every {service} replaced by the service name; the caller frees it.
static char *
s_expand_service (const char *text)
{
    GString *out = g_string_new (NULL);
    for (const char *p = text; *p;) {
        if (!strncmp (p, "{service}", 9)) {
            g_string_append (out, s_service_name ());
            p += 9;
        }
        else
            g_string_append_c (out, *p++);
    }
    return g_string_free (out, FALSE);
}

//  Reads the password from path now, without the blanks around it. Errors
//  name the file, never what it holds. Non-blocking, and a regular file
//  only: a FIFO or a device must not hang the loader (a reload runs in the
//  service's loop).
static bool
s_read_password (ctx_t *c, const char *path)
{
    static const char *const key = "redis.password_file";
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    char buf[1024];
    ssize_t len = -1;
    if (fd >= 0 && fstat (fd, &st) == 0 && !S_ISREG (st.st_mode)) {
        close (fd);
        return s_fail (c, key, "%s is not a regular file", path);
    }
    if (fd >= 0)
        len = read (fd, buf, sizeof buf - 1);
    int saved = errno;
    if (fd >= 0)
        close (fd);
    if (len < 0)
        return s_fail (c, key, "cannot read %s: %s", path, strerror (saved));
    buf[len] = 0;
    char *start = buf, *end = buf + len;
    while (*start && strchr (" \t\r\n", *start))
        start++;
    while (end > start && strchr (" \t\r\n", end[-1]))
        *--end = 0;
    bool ok = true;
    if (!*start)
        ok = s_fail (c, key, "%s is empty", path);
    else if (strlen (start) != (size_t) (end - start) || strpbrk (start, "\r\n"))
        ok = s_fail (c, key, "%s must hold the password on one line", path);
    else {
        c->cfg->redis_password = opd_strdup (start);
        c->password_from_file = true;
    }
    explicit_bzero (buf, sizeof buf);
    return ok;
}

//  redis: {service} in the user name, and the password from its file.
static bool
s_redis_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (cfg->redis_username) {
        char *name = s_expand_service (cfg->redis_username);
        free (cfg->redis_username);
        cfg->redis_username = name;
        if (!*name || strpbrk (name, " \t\r\n"))
            return s_fail (c, "redis.username", "must be a name without blanks");
    }
    if (!c->password_file) {
        if (cfg->redis_username && !cfg->redis_password)
            return s_fail (c, "redis.username", "needs redis.password_file (or redis.password)");
        return true;
    }
    if (cfg->redis_password)
        return s_fail (c, "redis.password_file",
                       "give redis.password or redis.password_file, not both");
    char *file = s_expand_service (c->password_file);
    bool ok = s_read_password (c, file);
    free (file);
    return ok;
}

//  --- curve: ZeroMQ CURVE on the intake and events sockets -----------------
//  The key files are read here, so that a missing or broken key stops every
//  program at start with its key named, and a SIGHUP re-reads them. A
//  relative path is relative to the folder of the configuration file.

static char *
s_beside_config (ctx_t *c, const char *file)
{
    const char *slash = strrchr (c->cfg->path, '/');
    if (file[0] == '/' || !slash)
        return opd_strdup (file);
    return opd_sprintf ("%.*s/%s", (int) (slash - c->cfg->path), c->cfg->path, file);
}

//  curve.*_file: the certificate into the context, until s_curve_done.
static bool
s_curve_cert (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    bool server_public = !strcmp (e->path, "curve.server_public_file");
    bool client = !strcmp (e->path, "curve.client_secret_file");
    opd_cert_t *cert = server_public ? &c->spub : client ? &c->client : &c->ssec;
    bool *given = server_public ? &c->has_spub : client ? &c->has_client : &c->has_ssec;
    const char *file = s_custom_text (c, n, path);
    if (!file) {
        if (!c->failed && (e->flags & REQUIRED) && c->in_map)
            return s_fail (c, path, "is required");
        return !c->failed;
    }
    char err[400], *full = s_beside_config (c, file);
    int rc = opd_cert_load (full, !server_public, cert, err, sizeof err);
    free (full);
    *given = true;
    return rc ? s_fail (c, path, "%s", err) : true;
}

//  The folder of allow-listed client certificates (opdesk-intake's zauth).
static bool
s_clients_dir (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **dir = s_str_at (base, e), *full = s_beside_config (c, *dir);
    free (*dir);
    *dir = full;
    struct stat st;
    if (stat (full, &st) || !S_ISDIR (st.st_mode))
        return s_fail (c, path, "'%s' is not a folder", full);
    return true;
}

static bool
s_curve_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    if (!c->has_spub)
        return true;  //  no curve block
    if (c->has_ssec && strcmp (c->ssec.public_key, c->spub.public_key))
        return s_fail (c, "curve.server_public_file",
                       "is not the public key of curve.server_secret_file");
    //  intake needs both halves of its side; other hosts need neither.
    if (c->has_ssec != (c->cfg->curve_clients_dir != NULL))
        return s_fail (c, c->has_ssec ? "curve.clients_dir" : "curve.server_secret_file",
                       "is required with curve.%s",
                       c->has_ssec ? "server_secret_file" : "clients_dir");
    opd_curve_t *cv = &c->cfg->curve;
    cv->enabled = true;
    memcpy (cv->server_public, c->spub.public_key, sizeof cv->server_public);
    memcpy (cv->server_secret, c->ssec.secret_key, sizeof cv->server_secret);
    memcpy (cv->client_public, c->client.public_key, sizeof cv->client_public);
    memcpy (cv->client_secret, c->client.secret_key, sizeof cv->client_secret);
    return true;
}

static void
s_curve_free (char *base, const entry_t *e)
{
    opd_curve_wipe (&((opd_config_t *) (void *) base)->curve);
}

//  --- secrets outside the demo --------------------------------------------------

//  A secret still a placeholder of the shipped files ("change-me-agent").
static bool
s_placeholder (const char *secret)
{
    char *lower = g_ascii_strdown (secret, -1);
    bool is = strstr (lower, "change-me") || strstr (lower, "changeme");
    g_free (lower);
    return is;
}

//  One secret outside the demo: not a placeholder, and when opdesk checks it
//  itself (checked_length), at least MIN_SECRET_CHARS long. NULL: not set.
static bool
s_real_secret (ctx_t *c, const char *path, const char *secret, bool checked_length)
{
    if (secret && s_placeholder (secret))
        return s_fail (c, path,
                       "is still a change-me placeholder; set a secret of at least %d characters "
                       "(only a demo on loopback may keep it)",
                       MIN_SECRET_CHARS);
    if (secret && checked_length && strlen (secret) < MIN_SECRET_CHARS)
        return s_fail (c, path,
                       "is shorter than %d characters (only a demo on loopback may have a "
                       "shorter one)",
                       MIN_SECRET_CHARS);
    return true;
}

//  Whether addr (a host, HOST:PORT, or a tcp:// or ipc:// endpoint) stays
//  on this machine.
static bool
s_loopback (const char *addr)
{
    if (!strncmp (addr, "ipc://", 6))
        return true;
    if (!strncmp (addr, "tcp://", 6))
        addr += 6;
    return !strncmp (addr, "127.", 4) || !strncmp (addr, "localhost", 9)
           || !strncmp (addr, "[::1]", 5) || !strcmp (addr, "::1");
}

//  demo: true is refused unless everything listens and connects on
//  loopback; without a demo key, a configuration on loopback is a demo (so
//  that the example of CONTRACT.md section 6 keeps working) and any other
//  is not.
static bool
s_demo_done (ctx_t *c)
{
    opd_config_t *cfg = c->cfg;
    const char *names[] = {"redis.host", "endpoints.intake", "endpoints.events",
                           "endpoints.http", "endpoints.phone"};
    const char *values[] = {cfg->redis_host, cfg->ep_intake, cfg->ep_events, cfg->ep_http,
                            cfg->ep_phone};
    const char *exposed = NULL;
    for (int i = 0; i < 5 && !exposed; i++)
        if (!s_loopback (values[i]))
            exposed = names[i];
    if (cfg->demo && exposed)
        return s_fail (c, "demo",
                       "a demo configuration runs on loopback only, and %s is not "
                       "(remove demo: true and set real secrets to listen elsewhere)",
                       exposed);
    if (!c->demo_given)
        cfg->demo = !exposed;
    return true;
}

//  Outside the demo, every secret must be a real one: not a change-me
//  placeholder, and the ones opdesk checks (tokens, webhook and phone
//  secrets) at least MIN_SECRET_CHARS long; passwords of other systems only
//  must not be placeholders. Errors name the key, never the secret.
static bool
s_check_secrets (ctx_t *c)
{
    opd_config_t *cfg = c->cfg;
    if (!s_demo_done (c))
        return false;
    if (cfg->demo)
        return true;
    char path[128];
    bool ok = s_real_secret (c, c->password_from_file ? "redis.password_file" : "redis.password",
                             cfg->redis_password, false)
              && s_real_secret (c, "notifications.smtp.password", cfg->smtp_password, false);
    for (size_t i = 0; ok && i < cfg->nwebhooks; i++) {
        snprintf (path, sizeof path, "notifications.webhooks[%zu].secret", i);
        ok = s_real_secret (c, path, cfg->webhooks[i].secret, true);
    }
    for (size_t i = 0; ok && i < cfg->ntokens; i++) {
        snprintf (path, sizeof path, "tokens[%zu].token", i);
        ok = cfg->tokens[i].hashed || s_real_secret (c, path, cfg->tokens[i].token, true);
    }
    ok = ok && s_real_secret (c, "channels.phone.secret", cfg->phone_secret, true);
    for (size_t i = 0; ok && i < cfg->nimap; i++) {
        snprintf (path, sizeof path, "channels.email.imap[%zu].password", i);
        ok = s_real_secret (c, path, cfg->imap[i].password, false);
    }
    return ok;
}

//  What the rows cannot say: defaults computed from other keys, and rules
//  between sections read apart.
static bool
s_finish (ctx_t *c)
{
    opd_config_t *cfg = c->cfg;
    if (!cfg->default_team && cfg->nteams)
        cfg->default_team = opd_strdup (cfg->teams[0].id);
    for (size_t i = 0; i < cfg->npolicies; i++) {
        const char *rt = cfg->policies[i].match.request_type;
        if (rt && !opd_config_reqtype (cfg, rt)) {
            char path[128];
            snprintf (path, sizeof path, "slo_policies[%zu].match", i);
            return s_fail (c, path, "unknown request type '%s'", rt);
        }
    }
    return s_check_secrets (c);
}
/*  The size of the tree under node n as the walk sees it, every alias
    expanded: nodes, bytes of scalar text, and height. libyaml shares one
    node between an anchor and its aliases, so sizes are computed once per
    node (memo) and the measure costs one pass over the document however
    large the expansion; counts saturate above the bounds. An alias inside
    the node it names makes a cycle, refused too. */
typedef struct {
    uint64_t nodes, text;
    int height;
    int state;  //  0 not seen, 1 being measured, 2 done
} measure_t;

static const char *
s_measure (yaml_document_t *doc, measure_t *memo, int index, int depth)
{
    yaml_node_t *n = yaml_document_get_node (doc, index);
    if (!n)
        return NULL;
    measure_t *m = &memo[index - 1];
    if (m->state == 1)
        return "an alias refers to a node that holds it";
    if (m->state == 2)
        return depth + m->height > MAX_DEPTH ? "is nested too deeply" : NULL;
    if (depth > MAX_DEPTH)
        return "is nested too deeply";
    m->state = 1;
    uint64_t nodes = 1, text = 0;
    int height = 0;
    int children[2];
    yaml_node_item_t *item = NULL, *item_end = NULL;
    yaml_node_pair_t *pair = NULL, *pair_end = NULL;
    if (n->type == YAML_SCALAR_NODE)
        text = n->data.scalar.length;
    else if (n->type == YAML_SEQUENCE_NODE) {
        item = n->data.sequence.items.start;
        item_end = n->data.sequence.items.top;
    }
    else if (n->type == YAML_MAPPING_NODE) {
        pair = n->data.mapping.pairs.start;
        pair_end = n->data.mapping.pairs.top;
    }
    while (item < item_end || pair < pair_end) {
        int nchildren = 0;
        if (item < item_end)
            children[nchildren++] = *item++;
        else {
            children[nchildren++] = pair->key;
            children[nchildren++] = pair->value;
            pair++;
        }
        for (int i = 0; i < nchildren; i++) {
            const char *why = s_measure (doc, memo, children[i], depth + 1);
            if (why)
                return why;
            measure_t *cm = &memo[children[i] - 1];
            nodes += cm->nodes;
            text += cm->text;
            if (cm->height + 1 > height)
                height = cm->height + 1;
            //  Saturate: the caller only needs to know that a bound is passed.
            if (nodes > MAX_NODES)
                nodes = MAX_NODES + 1;
            if (text > MAX_TEXT_BYTES)
                text = MAX_TEXT_BYTES + 1;
        }
    }
    m->nodes = nodes;
    m->text = text;
    m->height = height;
    m->state = 2;
    return NULL;
}

//  Refuses a document larger than the bounds once its aliases are expanded,
//  naming the top-level key where the budget ran out.
static bool
s_check_size (ctx_t *c, yaml_node_t *root)
{
    size_t count = (size_t) (c->doc->nodes.top - c->doc->nodes.start);
    measure_t *memo = opd_calloc (count + 1, sizeof (measure_t));
    uint64_t nodes = 1, text = 0;
    bool ok = true;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         ok && p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = s_node (c, p->key);
        const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *) k->data.scalar.value
                                                            : "";
        const char *why = s_measure (c->doc, memo, p->value, 1);
        if (why)
            ok = s_fail (c, key, "%s", why);
        else {
            nodes += 1 + memo[p->value - 1].nodes;
            text += memo[p->value - 1].text;
            if (nodes > MAX_NODES)
                ok = s_fail (c, key,
                             "too many nodes (aliases?): the configuration holds more than %d "
                             "once aliases are expanded",
                             MAX_NODES);
            else if (text > MAX_TEXT_BYTES)
                ok = s_fail (c, key,
                             "too much text (aliases?): the configuration holds more than %d MiB "
                             "once aliases are expanded",
                             MAX_TEXT_BYTES / (1024 * 1024));
        }
    }
    free (memo);
    return ok;
}

//  --- loading -------------------------------------------------------------------

static bool
s_load (ctx_t *c, yaml_node_t *root)
{
    if (!root)
        return s_fail (c, "", "the file is empty");
    return s_known_keys (c, NULL, root, "") && s_check_size (c, root)
           && s_children (c, NULL, root, "", (char *) c->cfg) && s_finish (c);
}

opd_config_t *
opd_config_parse (const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    opd_config_t *cfg = opd_calloc (1, sizeof *cfg);
    cfg->path = opd_strdup (name);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize (&parser);
    yaml_parser_set_input_string (&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load (&parser, &doc)) {
        snprintf (err, errlen, "not valid YAML at line %zu column %zu: %s",
                  parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                  parser.problem ? parser.problem : "parse error");
        yaml_parser_delete (&parser);
        opd_config_destroy (&cfg);
        return NULL;
    }
    ctx_t c = {.doc = &doc, .cfg = cfg, .err = err, .errlen = errlen};
    bool ok = s_load (&c, yaml_document_get_root_node (&doc));
    free (c.password_file);
    explicit_bzero (&c.client, sizeof c.client);
    explicit_bzero (&c.ssec, sizeof c.ssec);
    yaml_document_delete (&doc);
    yaml_parser_delete (&parser);
    if (!ok)
        opd_config_destroy (&cfg);
    return cfg;
}

opd_config_t *
opd_config_load (const char *path, char *err, size_t errlen)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, errlen, "cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    char *buf = malloc (MAX_FILE_BYTES + 1);
    if (!buf)
        abort ();
    size_t len = fread (buf, 1, MAX_FILE_BYTES + 1, f);
    fclose (f);
    if (len > MAX_FILE_BYTES) {
        free (buf);
        snprintf (err, errlen, "%s is larger than 4 MiB", path);
        return NULL;
    }
    opd_config_t *cfg = opd_config_parse (buf, len, path, err, errlen);
    free (buf);
    return cfg;
}

//  Frees what the rows under parent (NULL: the top level) own in base.
static void
s_release (const entry_t *parent, char *base)
{
    char prefix[256];
    s_child_prefix (prefix, sizeof prefix, parent);
    const entry_t *end = s_subtree_end (parent);
    for (const entry_t *e = parent ? parent + 1 : s_keys; e < end; e++) {
        if (!s_child_name (e, prefix))
            continue;
        if (e->release)
            e->release (base, e);
        if (e->kind == K_STR || e->kind == K_ENUM)
            free (*s_str_at (base, e));
        else if (e->kind == K_LIST)
            s_free_list (*FIELD (char **, base, e), *COUNT (base, e));
        else if (e->kind == K_SECTION)
            s_release (e, base);
        else if (e->kind == K_ITEMS || e->kind == K_MAPOF) {
            char *items = *FIELD (char *, base, e);
            for (size_t i = 0; i < *COUNT (base, e); i++) {
                if (e->kind == K_MAPOF)
                    free (*(char **) (void *) (items + i * e->size + e->id_off));
                s_release (e, items + i * e->size);
            }
            free (items);
        }
    }
}

void
opd_config_destroy (opd_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_release (NULL, (char *) *self_p);
    free ((*self_p)->path);
    free (*self_p);
    *self_p = NULL;
}

//  --- what a SIGHUP cannot apply ------------------------------------------------

int
opd_config_restart_changes (const opd_config_t *old, const opd_config_t *new_cfg, char *buf,
                            size_t size)
{
    int changed = 0;
    size_t len = 0;
    buf[0] = 0;
    for (const entry_t *e = s_keys; e->path; e++) {
        if (!(e->flags & RESTART) || strpbrk (e->path, "[*"))
            continue;  //  only rows of opd_config_t itself are compared
        const char *a = (const char *) old + e->off, *b = (const char *) new_cfg + e->off;
        bool differ;
        if (e->kind == K_STR || e->kind == K_ENUM) {
            const char *sa = *(char *const *) (const void *) a;
            const char *sb = *(char *const *) (const void *) b;
            differ = (!sa != !sb) || (sa && strcmp (sa, sb));
        }
        else
            differ = memcmp (a, b, e->size) != 0;
        if (differ && len < size)
            len += (size_t) snprintf (buf + len, size - len, "%s%s", changed ? ", " : "", e->path);
        changed += differ;
    }
    return changed;
}

//  --- the reference in docs/configuration.md -------------------------------------

static const char *const s_kind_doc[] = {
    [K_STR] = "text", [K_INT] = "whole number", [K_DUR] = "duration",
    [K_NUM] = "number", [K_BOOL] = "true/false", [K_ENUM] = "one of", [K_CHOICE] = "one of",
    [K_HHMM] = "HH:MM", [K_LIST] = "list of text", [K_FLAGS] = "list of", [K_SECTION] = "map",
    [K_ITEMS] = "list of maps", [K_MAPOF] = "map of maps by name",
};

//  The "allowed" cell of row e.
static void
s_doc_bounds (char *out, size_t size, const entry_t *e)
{
    char a[64], b[64];
    out[0] = 0;
    if (e->kind == K_INT)
        snprintf (out, size, "%.0f to %.0f", e->min, e->max);
    else if (e->kind == K_NUM)
        snprintf (out, size, "above %g, at most %g", e->min, e->max);
    else if (e->kind == K_DUR && (e->min || e->max)) {
        s_format_ms (a, sizeof a, e->min);
        s_format_ms (b, sizeof b, e->max);
        snprintf (out, size, "%s%s%s%s%s", e->min ? "at least " : "", e->min ? a : "",
                  e->min && e->max ? ", " : "", e->max ? "at most " : "", e->max ? b : "");
    }
    else if (e->kind == K_ENUM || e->kind == K_CHOICE || e->kind == K_FLAGS)
        s_alternatives (out, size, e->values);
    else if (e->kind == K_HHMM)
        snprintf (out, size, "00:00 to %s", e->max >= 1440 ? "24:00" : "23:59");
    else if (e->kind == K_CUSTOM)
        snprintf (out, size, "%s", e->values);
}

void
opd_config_reference (FILE *out)
{
    fprintf (out, "| key | type | default | allowed | SIGHUP | meaning |\n"
                  "| --- | --- | --- | --- | --- | --- |\n");
    for (const entry_t *e = s_keys; e->path; e++) {
        char bounds[256], def[128];
        s_doc_bounds (bounds, sizeof bounds, e);
        if (e->shown)
            snprintf (def, sizeof def, "%s", e->shown);
        else if (e->def)
            snprintf (def, sizeof def, "`%s`", e->def);
        else
            snprintf (def, sizeof def, "%s", (e->flags & REQUIRED) ? "required" : "none");
        if (e->kind == K_SECTION || e->kind == K_ITEMS || e->kind == K_MAPOF || e->kind == K_LIST)
            snprintf (def, sizeof def, "%s", (e->flags & REQUIRED) ? "required" : "");
        const char *type = e->kind == K_CUSTOM ? "special"
                           : e->is             ? s_formats[e->is].doc
                                               : s_kind_doc[e->kind];
        fprintf (out, "| `%s` | %s%s | %s | %s | %s | %s |\n", e->path,
                 e->kind == K_LIST && e->is ? "list of " : "", type, def, bounds,
                 (e->flags & RESTART) ? "restart" : "applies", e->doc);
    }
}

//  The item of items (count of size bytes) whose char * at id_off is id.
static const void *
s_find (const void *items, size_t count, size_t size, size_t id_off, const char *id)
{
    for (size_t i = 0; id && i < count; i++) {
        const char *item = (const char *) items + i * size;
        const char *have = *(char *const *) (const void *) (item + id_off);
        if (have && !strcmp (have, id))
            return item;
    }
    return NULL;
}

#define FIND(T, arr, n) ((const T *) s_find (self->arr, self->n, sizeof (T), offsetof (T, id), id))

const opd_calendar_t *
opd_config_calendar (const opd_config_t *self, const char *id)
{
    return FIND (opd_calendar_t, calendars, ncalendars);
}

const opd_team_t *
opd_config_team (const opd_config_t *self, const char *id)
{
    return FIND (opd_team_t, teams, nteams);
}

const opd_agent_t *
opd_config_agent (const opd_config_t *self, const char *id)
{
    return FIND (opd_agent_t, agents, nagents);
}

const opd_stdresp_t *
opd_config_stdresp (const opd_config_t *self, const char *id)
{
    return FIND (opd_stdresp_t, stdresps, nstdresps);
}

const opd_reqtype_t *
opd_config_reqtype (const opd_config_t *self, const char *id)
{
    return FIND (opd_reqtype_t, reqtypes, nreqtypes);
}

bool
opd_config_category_exists (const opd_config_t *self, const char *path)
{
    if (!path || !self->ncategories)
        return false;
    return bsearch (&path, self->categories, self->ncategories, sizeof (char *), s_str_cmp) != NULL;
}

bool
opd_category_under (const char *path, const char *ancestor)
{
    if (!path || !ancestor)
        return false;
    size_t n = strlen (ancestor);
    return strncmp (path, ancestor, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int
opd_config_retention_days (const opd_config_t *self, const char *category)
{
    int days = self->retention_closed_days;
    size_t best = 0;
    for (size_t i = 0; category && i < self->nretention_rules; i++) {
        const opd_retention_rule_t *r = &self->retention_rules[i];
        if (opd_category_under (category, r->category) && strlen (r->category) > best) {
            best = strlen (r->category);
            days = r->days;
        }
    }
    return days;
}

static bool
s_eq (const char *want, const char *have)
{
    return !want || (have && !strcmp (want, have));
}

const opd_policy_t *
opd_config_policy_for (const opd_config_t *self, const opd_ticket_facts_t *t)
{
    for (size_t i = 0; i < self->npolicies; i++) {
        const opd_match_t *m = &self->policies[i].match;
        if (s_eq (m->priority, t->priority) && s_eq (m->kind, t->kind) && s_eq (m->team, t->team)
            && s_eq (m->channel, t->channel) && s_eq (m->request_type, t->request_type)
            && (!m->category || opd_category_under (t->category, m->category)))
            return &self->policies[i];
    }
    return NULL;
}

static int
s_level (const char *l)
{
    return !l ? -1 : !strcmp (l, "high") ? 0 : !strcmp (l, "medium") ? 1 : !strcmp (l, "low") ? 2 : -1;
}

const char *
opd_config_matrix_priority (const opd_config_t *self, const char *impact, const char *urgency)
{
    static const char *const names[] = {NULL, "P1", "P2", "P3", "P4"};
    int i = s_level (impact), u = s_level (urgency);
    if (!self->has_matrix || i < 0 || u < 0)
        return NULL;
    return names[self->priority_matrix[i][u]];
}

const char *
opd_config_locate (const char *from_args)
{
    if (from_args && *from_args)
        return from_args;
    const char *env = getenv ("OPDESK_CONFIG");
    if (env && *env)
        return env;
    if (access (OPD_DEFAULT_CONFIG, F_OK) == 0)
        return OPD_DEFAULT_CONFIG;
    //  Not installed: a program run from a clone's build/bin/ uses the demo
    //  configuration of that clone, deploy/opdesk.yaml.
    static char demo[4096];
    char exe[4096];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr (exe, '/');
        if (slash) {
            *slash = 0;
            snprintf (demo, sizeof demo, "%s/../../deploy/opdesk.yaml", exe);
            if (access (demo, F_OK) == 0)
                return demo;
        }
    }
    return OPD_DEFAULT_CONFIG;
}

int
opd_priority_rank (const char *p)
{
    if (p && p[0] == 'P' && p[1] >= '1' && p[1] <= '4' && p[2] == 0)
        return p[1] - '0';
    return 0;
}
