/*  opd_config_keys: every key of the configuration file, one row each
    (see opd_config.c for what a row says and how to add one), and the
    reference in docs/configuration.md generated from the rows. */
#include "opd_config_int.h"


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

const entry_t opd_cfg_keys[] = {
    {"ticket_prefix", K_STR, CF (ticket_prefix), .def = "OPD", .check = opd_cfg_prefix_ok,
     .doc = "1 to 16 letters and digits before the number of a ticket id (OPD-42)"},
    {"log_level", K_ENUM, CF (log_level), .def = "info", .values = "debug|info|warn|error",
     .doc = "the least severe line every program writes (stderr, one key=value line per event)"},
    {"demo", K_BOOL, CF (demo), .check = opd_cfg_demo_seen, .shown = "on loopback: true",
     .doc = "a demo may keep change-me placeholder secrets and runs on loopback only (see "
            "\"demo\" above)"},

    {"redis", K_SECTION, .check = opd_cfg_redis_done, .doc = "the Redis server"},
    {"redis.host", K_STR, CF (redis_host), .def = "127.0.0.1", .doc = "its host"},
    {"redis.port", K_INT, CF (redis_port), .def = "6379", .min = 1, .max = 65535,
     .doc = "its port"},
    {"redis.username", K_STR, CF (redis_username),
     .doc = "log in as this ACL user (needs a password); {service} is the program's name "
            "without opdesk- (cli for opdesk)"},
    {"redis.password", K_STR, CF (redis_password),
     .doc = "the password (without username: the default user's, requirepass)"},
    {"redis.password_file", K_CUSTOM, .parse = opd_cfg_password_file, .values = "a file name",
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
     .id_off = offsetof (opd_calendar_t, id), .check = opd_cfg_calendar_done,
     .doc = "working calendars by name"},
    {"calendars.*.timezone", K_STR, IN (opd_calendar_t, timezone), .def = "UTC",
     .is = F_TZ, .doc = "an IANA time zone"},
    {"calendars.*.hours", K_CUSTOM, .parse = opd_cfg_hours, .release = opd_cfg_hours_free,
     .flags = REQUIRED, .values = "24x7, or a map of days to HH:MM-HH:MM lists",
     .doc = "working hours; a day not given has none"},
    {"calendars.*.holidays", K_LIST, LIST_IN (opd_calendar_t, holidays, nholidays),
     .is = F_DATE, .doc = "local dates YYYY-MM-DD without working time"},

    {"categories", K_CUSTOM, .parse = opd_cfg_categories, .release = opd_cfg_categories_free,
     .values = "a tree of maps (or lists of leaf names)",
     .doc = "the taxonomy; a category is named by its path, hardware/laptop"},
    {"priority_matrix", K_SECTION, .check = opd_cfg_matrix_done,
     .doc = "priority from impact and urgency; when given, all nine"},
    MATRIX_ROW ("high", 0),
    MATRIX_ROW ("medium", 1),
    MATRIX_ROW ("low", 2),
    {"default_priority", K_ENUM, CF (default_priority), .def = "P3", .values = P,
     .doc = "the priority of a ticket nothing else sets one for"},
    {"severities", K_LIST, LIST_IN (opd_config_t, severities, nseverities),
     .doc = "the values a ticket's severity may take (how badly the service is hit), most severe "
            "first; none: S1, S2, S3, S4"},

    {"teams", K_ITEMS, ITEMS_IN (opd_config_t, teams, nteams, opd_team_t),
     .check = opd_cfg_team_done, .doc = "the teams tickets are routed to"},
    {"teams[].id", K_STR, IN (opd_team_t, id), .flags = REQUIRED, .doc = "its id"},
    {"teams[].name", K_STR, IN (opd_team_t, name), .shown = "the id", .doc = "its name"},
    {"teams[].calendar", K_STR, IN (opd_team_t, calendar), .is = F_CALENDAR,
     .doc = "the calendar of its working hours"},
    {"teams[].min_on_duty", K_INT, IN (opd_team_t, min_on_duty), .def = "1", .min = 0,
     .max = 1000, .doc = "agents it needs on shift during its hours (opdesk coverage)"},
    {"teams[].max_away", K_INT, IN (opd_team_t, max_away), .def = "0", .min = 0, .max = 1000,
     .doc = "agents away on approved annual leave at once at most (coverage.leave_approval); 0: no cap"},
    {"teams[].auto_assign", K_BOOL, IN (opd_team_t, auto_assign), .def = "false",
     .doc = "a routed ticket goes to the least-loaded agent of the team on duty now (docs/shifts.md)"},
    {"default_team", K_STR, CF (default_team), .is = F_TEAM, .shown = "the first team",
     .doc = "the team of a ticket no rule routes"},

    {"slo_policies", K_ITEMS, ITEMS_IN (opd_config_t, policies, npolicies, opd_policy_t),
     .check = opd_cfg_policy_done,
     .doc = "SLO policies; the first whose match fits a ticket applies"},
    {"slo_policies[].name", K_STR, IN (opd_policy_t, name), .flags = REQUIRED, .doc = "its name"},
    {"slo_policies[].match", K_SECTION, .check = opd_cfg_match_done,
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
     .check = opd_cfg_agent_done, .doc = "the agents"},
    {"agents[].id", K_STR, IN (opd_agent_t, id), .flags = REQUIRED, .doc = "its id"},
    {"agents[].name", K_STR, IN (opd_agent_t, name), .shown = "the id", .doc = "the name"},
    {"agents[].email", K_STR, IN (opd_agent_t, email), .is = F_EMAIL,
     .doc = "the email address (mail to the agent: replies on its tickets, the notifications it asks for)"},
    {"agents[].phone", K_STR, IN (opd_agent_t, phone), .is = F_E164,
     .doc = "an E.164 number (+442079460000)"},
    {"agents[].teams", K_LIST, LIST_IN (opd_agent_t, teams, nteams), .is = F_TEAM,
     .doc = "the ids of the teams the agent is in"},
    {"agents[].timezone", K_STR, IN (opd_agent_t, timezone), .is = F_TZ,
     .shown = "its policy calendar's", .doc = "an IANA time zone: the agent console shows times in it"},

    {"shifts", K_ITEMS, ITEMS_IN (opd_config_t, shifts, nshifts, opd_shift_t),
     .check = opd_cfg_shift_done, .doc = "when agents are on duty for a team"},
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
     .check = opd_cfg_stdresp_done, .doc = "canned answers a rule or an agent sends"},
    {"standard_responses[].id", K_STR, IN (opd_stdresp_t, id), .flags = REQUIRED, .doc = "its id"},
    {"standard_responses[].subject", K_STR, IN (opd_stdresp_t, subject),
     .doc = "its title, the first line of its text (the mail keeps the ticket's subject); may hold variables"},
    {"standard_responses[].body", K_STR, IN (opd_stdresp_t, body), .flags = REQUIRED,
     .doc = "the text; variables {{ticket.id}}, {{ticket.subject}}, {{requester.name}}, "
            "{{due.first_response}}, {{due.resolution}}, {{fields.NAME}} (another is an error)"},
    {"standard_responses[].guide_url", K_STR, IN (opd_stdresp_t, guide_url),
     .doc = "a link to a guide: an absolute http:// or https:// URL"},

    {"routing_rules", K_ITEMS, ITEMS_IN (opd_config_t, rules, nrules, opd_rule_t),
     .check = opd_cfg_rule_done, .doc = "routing rules; the first that matches wins"},
    {"routing_rules[].name", K_STR, IN (opd_rule_t, name), .flags = REQUIRED, .doc = "its name"},
    {"routing_rules[].when", K_SECTION, .flags = REQUIRED, .doc = "what it matches"},
    {"routing_rules[].when.keywords", K_LIST, LIST_IN (opd_rule_t, keywords, nkeywords),
     .check = opd_cfg_keywords_ok,
     .doc = "words or phrases, any of which matches (whole words, case- and accent-insensitive)"},
    {"routing_rules[].when.regex", K_LIST, LIST_IN (opd_rule_t, regexes, nregexes),
     .check = opd_cfg_regex_ok,
     .doc = "regular expressions (PCRE), any of which matches (case- and accent-insensitive)"},
    {"routing_rules[].when.in", K_FLAGS, IN (opd_rule_t, in_subject), .values = "subject|body",
     .def = "subject|body", .shown = "both", .doc = "where the keywords are looked for"},
    {"routing_rules[].when.channel", K_LIST, LIST_IN (opd_rule_t, channels, nchannels),
     .check = opd_cfg_rule_channels_ok, .doc = "channels (web, email, phone, api, an adapter's name), any of which"},
    {"routing_rules[].when.domain", K_LIST, LIST_IN (opd_rule_t, domains, ndomains),
     .check = opd_cfg_rule_domains_ok,
     .doc = "requester email domains, any of which, or a subdomain of it (case-insensitive)"},
    {"routing_rules[].when.request_type", K_LIST, LIST_IN (opd_rule_t, request_types, nrequest_types),
     .doc = "request type ids, any of which"},
    {"routing_rules[].when.category", K_LIST, LIST_IN (opd_rule_t, categories, ncategories),
     .is = F_CATEGORY, .doc = "categories the request gave, any of which, or a path below it"},
    {"routing_rules[].when.priority", K_LIST, LIST_IN (opd_rule_t, priorities, npriorities),
     .check = opd_cfg_rule_priorities_ok, .doc = "priorities the ticket has before routing, any of which"},
    {"routing_rules[].when.hours", K_ENUM, IN (opd_rule_t, hours), .values = "inside|outside",
     .doc = "received inside or outside the working hours of when.calendar"},
    {"routing_rules[].when.calendar", K_STR, IN (opd_rule_t, calendar), .is = F_CALENDAR,
     .doc = "the calendar of when.hours"},
    {"routing_rules[].then", K_SECTION, .flags = REQUIRED, .doc = "what a match sets"},
    {"routing_rules[].then.team", K_STR, IN (opd_rule_t, team), .is = F_TEAM,
     .doc = "the team"},
    {"routing_rules[].then.category", K_STR, IN (opd_rule_t, category),
     .is = F_CATEGORY, .doc = "the category"},
    {"routing_rules[].then.priority", K_ENUM, IN (opd_rule_t, priority), .values = P,
     .doc = "the priority"},
    {"routing_rules[].then.standard_response", K_STR, IN (opd_rule_t, standard_response),
     .is = F_STDRESP, .doc = "a standard response sent as the first answer"},
    {"routing_rules[].then.tags", K_LIST, LIST_IN (opd_rule_t, tags, ntags), .check = opd_cfg_rule_tags_ok,
     .doc = "tags added to the ticket: letters, digits, - _ . / :, at most 64 each"},
    {"routing_rules[].then.assignee", K_STR, IN (opd_rule_t, assignee), .is = F_AGENT,
     .doc = "an agent of the rule's team (else of default_team) the ticket is assigned to"},
    {"footer", K_STR, CF (footer), .doc = "text added to every mail to a requester"},

    {"request_types", K_ITEMS, ITEMS_IN (opd_config_t, reqtypes, nreqtypes, opd_reqtype_t),
     .check = opd_cfg_reqtype_done, .doc = "service request types and their forms"},
    {"request_types[].id", K_STR, IN (opd_reqtype_t, id), .flags = REQUIRED, .doc = "its id"},
    {"request_types[].name", K_STR, IN (opd_reqtype_t, name), .shown = "the id",
     .doc = "its name"},
    {"request_types[].fields", K_ITEMS, ITEMS_IN (opd_reqtype_t, fields, nfields, opd_field_t),
     .check = opd_cfg_field_done, .doc = "the fields of its form"},
    {"request_types[].fields[].name", K_STR, IN (opd_field_t, name), .flags = REQUIRED,
     .doc = "letters, digits, _ and -"},
    {"request_types[].fields[].label", K_STR, IN (opd_field_t, label),
     .doc = "what people see (forms, mails); default: the name"},
    {"request_types[].fields[].help", K_STR, IN (opd_field_t, help),
     .doc = "a sentence shown under the field on forms, saying what to give"},
    {"request_types[].fields[].type", K_CHOICE, IN (opd_field_t, type), .flags = REQUIRED,
     .values = "string|enum|email|number|integer|boolean|date|phone", .doc = "its type"},
    {"request_types[].fields[].required", K_BOOL, IN (opd_field_t, required), .def = "false",
     .doc = "a request must give it"},
    {"request_types[].fields[].pattern", K_STR, IN (opd_field_t, pattern),
     .release = opd_cfg_regex_free, .doc = "a regular expression the value must match"},
    {"request_types[].fields[].values", K_LIST, LIST_IN (opd_field_t, values, nvalues),
     .doc = "the allowed values of an enum"},
    {"request_types[].fields[].pii", K_BOOL, IN (opd_field_t, pii), .def = "false",
     .doc = "personal data: anonymised with the ticket"},
    {"request_types[].fields[].max_length", K_INT, IN (opd_field_t, max_length), .def = "10000",
     .min = 1, .max = 1048576, .doc = "characters at most"},

    {"retention", K_SECTION, .doc = "how long closed tickets are kept"},
    {"retention.closed_days", K_INT, CF (retention_closed_days), .def = "365", .min = 0,
     .max = 36500, .doc = "days a closed ticket is kept before it is anonymised (0: at the first pass after it closes)"},
    {"retention.per_category", K_CUSTOM, .parse = opd_cfg_per_category,
     .release = opd_cfg_per_category_free,
     .values = "a map of category to days (0 to 36500)",
     .doc = "other periods by category; the most specific applies"},
    {"retention.per_request_type", K_CUSTOM, .parse = opd_cfg_per_request_type,
     .release = opd_cfg_per_request_type_free,
     .values = "a map of request type id to days (0 to 36500)",
     .doc = "other periods by request type; wins over per_category"},
    {"retention.background", K_BOOL, CF (retention_background), .def = "true", .flags = RESTART,
     .doc = "the anonymiser (the service and `opdesk anonymise`) runs on CPU time nothing else wants (Linux "
            "SCHED_IDLE), so that a run does not slow intake (docs/decisions.md 165)"},
    {"retention.batch", K_INT, CF (retention_batch), .def = "2", .min = 1, .max = 500,
     .doc = "tickets the anonymiser changes in one atomic script call (fewer: shorter pauses for other clients "
            "of Redis, more: a faster run; 50 with pause_ms 0 for a backlog; BENCHMARKS.md)"},
    {"retention.pause_ms", K_INT, CF (retention_pause_ms), .def = "20", .min = 0, .max = 10000,
     .doc = "milliseconds the anonymiser waits after each batch (retention.batch tickets) and each batch "
            "of the event stream's sweep, to leave Redis to intake"},
    {"retention.pseudonyms", K_SECTION, .doc = "keyed pseudonyms of anonymised requesters (docs/privacy.md)"},
    {"retention.pseudonyms.keys_dir", K_STR, CF (pseudonym_keys_dir),
     .doc = "where the anonymiser keeps one key per year (YEAR.key); without it no pseudonyms"},
    {"retention.pseudonyms.keep_years", K_INT, CF (pseudonym_keep_years), .def = "2", .min = 0, .max = 100,
     .doc = "the anonymiser destroys the keys of years older than this many before the current one"},
    {"retention.receipt_key", K_STR, CF (receipt_key),
     .doc = "a file of 32 random bytes (the seed of an Ed25519 key, `opdesk keys receipt-key FILE`) that signs "
            "the anonymiser's receipts; without it receipts are unsigned"},

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
    {"channels.web", K_SECTION, .check = opd_cfg_web_done, .doc = "opdesk-web"},
    {"channels.web.public_url", K_STR, CF (web_public_url), .shown = "http:// + endpoints.http",
     .doc = "how requesters reach the portal: the base of links in mail; https: makes the "
            "session cookie Secure"},
    HTTP_ROWS ("channels.web", web_http, "512", "32", "30s"),
    {"channels.web.session", K_DUR, CF (web_session_ms), .def = "12h", .min = 60000,
     .doc = "how long a portal or console session lasts"},
    {"channels.web.email_signin", K_BOOL, CF (web_email_signin), .def = "true",
     .doc = "requesters may sign in to the portal by a single-use link mailed to them (through "
            "notifications.smtp)"},
    {"channels.web.email_signin_link", K_DUR, CF (web_signin_link_ms), .def = "15m",
     .min = 60000, .max = 86400000, .doc = "how long a mailed sign-in link works"},
    {"channels.web.agent_email_signin", K_BOOL, CF (web_agent_email_signin), .def = "false",
     .doc = "agents may sign in to the console by a single-use link mailed to their agents[].email too "
            "(with the role of their token, agent when they have none); off by default: a mailbox is often "
            "less well kept than a token"},
    {"channels.web.details_link", K_DUR, CF (web_details_link_ms), .def = "168h", .min = 3600000,
     .max = 2592000000LL,
     .doc = "how long the link to give a request's missing details (mailed with the acknowledgement) works"},
    {"channels.web.rating_link", K_DUR, CF (web_rating_link_ms), .def = "336h", .min = 3600000,
     .max = 2592000000LL,
     .doc = "how long the Good and Bad links of the satisfaction rating (mailed with the resolution note) work; "
            "until then a rating may be changed"},
    {"channels.web.attachment_types", K_LIST,
     LIST_IN (opd_config_t, web_attachment_types, nweb_attachment_types),
     .shown = "pictures, PDF, text, CSV, zip, mail, office documents",
     .doc = "media types of files requesters and agents may upload (a type, or a prefix ending "
            "in *); size limit and folder are channels.email's; HTML and SVG are never in the "
            "built-in list"},
    {"channels.web.rate_limit", K_SECTION, .doc = "request rates, counted in Redis"},
    {"channels.web.rate_limit.login", K_INT, CF (web_rate.login), .def = "10", .min = 1,
     .max = 1000000, .doc = "failed sign-ins per client address per window; more: 429"},
    {"channels.web.rate_limit.api_token", K_INT, CF (web_rate.api_token), .def = "3000",
     .min = 1, .max = 100000000, .doc = "API requests per token per window"},
    {"channels.web.rate_limit.api_address", K_INT, CF (web_rate.api_address), .def = "6000",
     .min = 1, .max = 100000000, .doc = "API requests per client address per window"},
    {"channels.web.rate_limit.signin_email", K_INT, CF (web_rate.signin_email), .def = "3",
     .min = 1, .max = 1000, .doc = "sign-in links mailed to one address per window; more are "
                                   "answered the same but not mailed"},
    {"channels.web.rate_limit.signin_address", K_INT, CF (web_rate.signin_address), .def = "10",
     .min = 1, .max = 1000000, .doc = "sign-in links asked for from one client address per "
                                      "window; more: 429"},
    {"channels.web.rate_limit.window", K_DUR, CF (web_rate.window_ms), .def = "1m",
     .min = 1000, .doc = "the window of those limits"},

    {"channels.email", K_SECTION, .doc = "opdesk-email and opdesk-mailgate (docs/email.md)"},
    {"channels.email.addresses", K_LIST, LIST_IN (opd_config_t, email_addresses, nemail_addresses),
     .is = F_EMAIL,
     .doc = "the desk's own addresses; mail from them (or notifications.smtp.from) is never "
            "acknowledged, and is not a participant when copied"},
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
    {"channels.email.attachments_dir", K_STR, CF (email_attachments_dir),
     .doc = "the older name of attachments.dir, used when that is not set"},
    {"channels.email.max_attachment_bytes", K_INT, CF (max_attachment_bytes), .def = "10485760",
     .min = 0, .max = 1024.0 * 1048576, .doc = "larger attachments are kept as metadata only"},
    {"channels.email.rate_limit", K_SECTION, .doc = "mail per sender"},
    {"channels.email.rate_limit.per_sender", K_INT, CF (email_rate_per_sender), .def = "20",
     .min = 1, .max = 1000000,
     .doc = "more messages than this from one address in the window are stored without "
            "an acknowledgement (a mail loop stops); more than ten times this are dropped, logged"},
    {"channels.email.rate_limit.window", K_DUR, CF (email_rate_window_ms), .def = "1h",
     .doc = "the window of that limit"},
    {"channels.email.quarantine", K_SECTION, .doc = "mail the poller keeps failing on"},
    {"channels.email.quarantine.after", K_INT, CF (email_max_failures), .def = "3", .min = 1,
     .max = 1000, .doc = "a message failed on this many times is set aside"},
    {"channels.email.quarantine.folder", K_STR, CF (email_quarantine_folder), .def = "Quarantine",
     .is = F_FOLDER,
     .doc = "the IMAP folder it is moved to, created when missing (no quotes, backslashes, "
            "line ends)"},
    {"channels.email.agent_mail", K_SECTION, .check = opd_cfg_agent_mail_done,
     .doc = "when mail is an agent's (docs/email.md)"},
    {"channels.email.agent_mail.trust", K_CHOICE, CF (agent_mail_trust), .def = "token",
     .values = "none|token|dmarc|token_or_dmarc",
     .doc = "token: sent to the agent's reply address for the ticket; dmarc: dmarc=pass from "
            "authserv_id; both; or none"},
    {"channels.email.agent_mail.authserv_id", K_STR, CF (agent_mail_authserv_id),
     .doc = "the authserv-id of your MTA's Authentication-Results; required with dmarc"},
    {"channels.email.agent_mail.secret", K_STR, CF (agent_mail_secret),
     .doc = "the HMAC-SHA256 key of reply tokens, at least 16 characters; none: no tokens"},
    {"channels.email.agent_mail.secret_file", K_CUSTOM, .parse = opd_cfg_secret_file,
     .values = "a file name", .doc = "a file holding the secret instead (not with secret)"},
    {"channels.email.agent_mail.reply_address", K_STR, CF (agent_mail_address),
     .is = F_EMAIL, .shown = "notifications.smtp.from",
     .doc = "reply tokens are added to it, local+TOKEN@domain"},

    {"channels.phone", K_SECTION, .check = opd_cfg_phone_done, .doc = "opdesk-phone"},
    {"channels.phone.secret", K_STR, CF (phone_secret),
     .doc = "the HMAC-SHA256 key of the telephony webhook, at least 8 characters; none: the "
            "adapter is disabled"},
    {"channels.phone.default_country_code", K_STR, CF (phone_country_code), .def = "44",
     .is = F_COUNTRY, .doc = "1 to 3 digits, no leading 0: the country of national numbers"},
    HTTP_ROWS ("channels.phone", phone_http, "64", "16", "15s"),

    //  After channels: its check reads channels.email.attachments_dir.
    {"attachments", K_SECTION, .check = opd_cfg_attachments_done,
     .doc = "attachment bodies, from mail, the portal and the API"},
    {"attachments.dir", K_STR, CF (attachments_dir),
     .doc = "the folder of their own where attachment bodies are stored, each named by its "
            "SHA-256 (docker-compose: the volume attachments); without it only their metadata "
            "is kept"},

    {"workflow", K_SECTION, .doc = "the life of a ticket"},
    {"workflow.auto_close_days", K_INT, CF (auto_close_days), .def = "7", .min = 1, .max = 3650,
     .doc = "resolved tickets close by themselves after this many days"},

    {"coverage", K_SECTION, .doc = "the rota's coverage of working hours (docs/shifts.md)"},
    {"coverage.lookahead_days", K_INT, CF (coverage_lookahead_days), .def = "14", .min = 1,
     .max = 366, .doc = "coverage.gap is announced for gaps that begin within this many days"},
    {"coverage.leave_approval", K_BOOL, CF (leave_approval), .def = "false",
     .doc = "annual leave an agent records waits for a lead's approval"},
    {"coverage.sickness_handback", K_ENUM, CF (sickness_handback), .def = "queue",
     .values = "queue|least_loaded|none",
     .doc = "where a sick agent's open tickets go when the sickness is recorded: the team queue, the "
            "least-loaded agent on duty, or nowhere (they stay)"},

    {"staffing", K_SECTION, .doc = "the assumptions of the staffing advice (docs/shifts.md)"},
    {"staffing.phone_handle_time", K_DUR, CF (staffing_phone_aht_ms), .def = "180s", .min = 1000,
     .max = 86400000.0, .doc = "mean handling time of a phone call (Erlang C)"},
    {"staffing.handle_time", K_DUR, CF (staffing_aht_ms), .def = "15m", .min = 1000, .max = 86400000.0,
     .doc = "mean handling time of an email, portal or API ticket (the backlog model)"},
    {"staffing.answer_within", K_DUR, CF (staffing_answer_ms), .def = "20s", .min = 1000,
     .max = 3600000.0, .doc = "the phone target: calls answered within this"},
    {"staffing.answer_level", K_NUM, CF (staffing_answer_level), .def = "0.8", .min = 0.01, .max = 0.999,
     .doc = "the phone target: the share of calls answered within answer_within"},

    {"slo_burn", K_SECTION, .doc = "error budgets and burn-rate alerts (see \"slo_burn\" above)"},
    {"slo_burn.window", K_DUR, CF (burn_window_ms), .def = "672h", .max = 840 * 3600000.0,
     .doc = "the rolling window of the error budget; finished clocks are kept 35 days"},
    {"slo_burn.fast", K_SECTION, CF (burn_fast), .check = opd_cfg_burn_done,
     .doc = "the fast alert"},
    {"slo_burn.fast.long", K_DUR, CF (burn_fast.long_ms), .def = "1h",
     .doc = "its long window, not longer than slo_burn.window"},
    {"slo_burn.fast.short", K_DUR, CF (burn_fast.short_ms), .def = "5m",
     .doc = "its short window, shorter than long"},
    {"slo_burn.fast.threshold", K_NUM, CF (burn_fast.threshold), .def = "14.4", .min = 0,
     .max = 1000, .doc = "it holds while the burn rate over both windows is above this"},
    {"slo_burn.slow", K_SECTION, CF (burn_slow), .check = opd_cfg_burn_done,
     .doc = "the slow alert"},
    {"slo_burn.slow.long", K_DUR, CF (burn_slow.long_ms), .def = "6h",
     .doc = "its long window, not longer than slo_burn.window"},
    {"slo_burn.slow.short", K_DUR, CF (burn_slow.short_ms), .def = "30m",
     .doc = "its short window, shorter than long"},
    {"slo_burn.slow.threshold", K_NUM, CF (burn_slow.threshold), .def = "6", .min = 0,
     .max = 1000, .doc = "it holds while the burn rate over both windows is above this"},

    {"curve", K_SECTION, CF (curve), .check = opd_cfg_curve_done, .release = opd_cfg_curve_free,
     .doc = "ZeroMQ CURVE on the intake and events sockets (see \"curve\" above); none: plaintext"},
    {"curve.server_public_file", K_CUSTOM, CF (curve.server_public), .parse = opd_cfg_curve_cert,
     .flags = REQUIRED | RESTART, .values = "a certificate file",
     .doc = "intake's public certificate, which every client checks the server by"},
    {"curve.client_secret_file", K_CUSTOM, CF (curve.client_secret), .parse = opd_cfg_curve_cert,
     .flags = REQUIRED | RESTART, .values = "a certificate file",
     .doc = "the key pair opdesk's own programs connect with"},
    {"curve.server_secret_file", K_CUSTOM, CF (curve.server_secret), .parse = opd_cfg_curve_cert,
     .flags = RESTART, .values = "a certificate file",
     .doc = "intake's key pair, where intake runs (with clients_dir)"},
    {"curve.clients_dir", K_STR, CF (curve_clients_dir), .check = opd_cfg_clients_dir,
     .doc = "a folder of allow-listed client public certificates (with server_secret_file)"},

    {"tokens", K_ITEMS, ITEMS_IN (opd_config_t, tokens, ntokens, opd_token_t),
     .check = opd_cfg_token_done, .doc = "API tokens"},
    {"tokens[].token", K_STR, IN (opd_token_t, token), .flags = REQUIRED,
     .doc = "the secret (8 characters or more, 16 outside a demo; shorter ones are warned of), or sha256:HEX of it"},
    {"tokens[].role", K_CHOICE, IN (opd_token_t, role), .min = 1, .flags = REQUIRED,
     .values = "requester|agent|lead|admin", .doc = "what it may do"},
    {"tokens[].identity", K_STR, IN (opd_token_t, identity), .shown = "the role",
     .doc = "an agent id (agent; a lead's may be any name), the requester's email address (requester)"},
    {NULL, 0, .doc = NULL},
};

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
        opd_cfg_format_ms (a, sizeof a, e->min);
        opd_cfg_format_ms (b, sizeof b, e->max);
        snprintf (out, size, "%s%s%s%s%s", e->min ? "at least " : "", e->min ? a : "",
                  e->min && e->max ? ", " : "", e->max ? "at most " : "", e->max ? b : "");
    }
    else if (e->kind == K_ENUM || e->kind == K_CHOICE || e->kind == K_FLAGS)
        opd_cfg_alternatives (out, size, e->values);
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
    for (const entry_t *e = opd_cfg_keys; e->path; e++) {
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
                           : e->is             ? opd_cfg_format_doc (e->is)
                                               : s_kind_doc[e->kind];
        fprintf (out, "| `%s` | %s%s | %s | %s | %s | %s |\n", e->path,
                 e->kind == K_LIST && e->is ? "list of " : "", type, def, bounds,
                 (e->flags & RESTART) ? "restart" : "applies", e->doc);
    }
}
