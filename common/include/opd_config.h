/*  opd_config: the one YAML configuration file (CONTRACT.md section 6), loaded
    and validated as a whole. Every service calls opd_config_load at start and
    on SIGHUP; a configuration that fails validation is never half-applied.

    Ownership: opd_config_load returns a new config the caller destroys with
    opd_config_destroy; every pointer inside it is owned by the config. */
#ifndef OPD_CONFIG_H_INCLUDED
#define OPD_CONFIG_H_INCLUDED
#include "opd_curve.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPD_DEFAULT_CONFIG "/etc/opdesk/opdesk.yaml"

//  A working interval of one day, minutes after local midnight, [from, to).
typedef struct {
    int from, to;
} opd_span_t;

typedef struct {
    char *id;
    char *timezone;
    bool always;           //  hours: 24x7
    opd_span_t *hours[7];  //  0 = Monday ... 6 = Sunday, sorted, not overlapping
    size_t nhours[7];
    char **holidays;       //  "YYYY-MM-DD", local dates
    size_t nholidays;
} opd_calendar_t;

//  Every key given must match; NULL means "any".
typedef struct {
    char *priority, *kind, *category, *team, *channel, *request_type;
} opd_match_t;

typedef struct {
    char *name;
    opd_match_t match;
    char *calendar;
    int64_t first_response, next_reply, resolution;  //  ms of (working) time; 0 = none
    double warn_at;                                  //  default 0.75
    double objective;                                //  0 when not given
} opd_policy_t;

typedef struct {
    char *id, *name, *calendar;
    int min_on_duty;
    int max_away;  //  agents away on approved annual leave at once at most; 0 = no cap
    bool auto_assign;  //  its tickets go to the least-loaded agent on duty (services/rota)
} opd_team_t;

typedef struct {
    char *id, *name, *email, *phone;
    char *timezone;  //  NULL: the agent console shows each clock in its policy calendar's zone
    char **teams;
    size_t nteams;
} opd_agent_t;

//  channels.email.agent_mail.trust: what makes mail an agent's.
#define OPD_AGENT_TRUST_TOKEN 1  //  addressed to the agent's reply token for the ticket
#define OPD_AGENT_TRUST_DMARC 2  //  dmarc=pass for the From domain from the configured authserv-id

typedef struct {
    char *agent, *team, *timezone;
    bool days[7];
    int from, to;  //  minutes after midnight; to <= from crosses midnight
} opd_shift_t;

typedef struct {
    char *name;
    char **keywords;
    size_t nkeywords;
    char **regexes;  //  regular expressions (when.regex), checked at load
    size_t nregexes;
    bool in_subject, in_body;
    //  The conditions beside the words (all given ones must hold).
    char **channels, **domains, **request_types, **categories, **priorities;
    size_t nchannels, ndomains, nrequest_types, ncategories, npriorities;
    char *hours;     //  "inside" or "outside" the working hours of calendar; NULL: any time
    char *calendar;  //  with hours
    char *team, *category, *priority, *standard_response;
    char **tags;     //  added to the ticket
    size_t ntags;
    char *assignee;  //  an agent of the rule's team (else of default_team)
} opd_rule_t;

typedef struct {
    char *id, *subject, *body, *guide_url;
} opd_stdresp_t;

typedef enum {
    OPD_FIELD_STRING,
    OPD_FIELD_ENUM,
    OPD_FIELD_EMAIL,
    OPD_FIELD_NUMBER,
    OPD_FIELD_INTEGER,
    OPD_FIELD_BOOLEAN,
    OPD_FIELD_DATE,
    OPD_FIELD_PHONE
} opd_field_type_t;

typedef struct {
    char *name, *label, *pattern, *help;
    void *regex;  //  GRegex * compiled from pattern, or NULL
    opd_field_type_t type;
    bool required, pii;
    char **values;
    size_t nvalues;
    int64_t max_length;
} opd_field_t;

typedef struct {
    char *id, *name;
    opd_field_t *fields;
    size_t nfields;
} opd_reqtype_t;

typedef struct {
    char *category;
    int days;
} opd_retention_rule_t;

typedef struct {
    char *url, *secret;
    char **topics;
    size_t ntopics;
} opd_webhook_t;

//  The default period of an SLO report, and the rolling window of error
//  budgets (slo_burn.window's default).
#define OPD_SLO_WINDOW_MS (28LL * 86400000LL)
//  Finished clocks are kept in opd:slo:done:* this long (prelude.lua), the
//  most slo_burn.window may be.
#define OPD_SLO_DONE_KEEP_MS (35LL * 86400000LL)

//  Multi-window burn-rate alerts (SRE Workbook, chapter 5, "multiwindow,
//  multi-burn-rate alerts"): an alert starts when the burn rate over the
//  long window AND over the short window are both above the threshold.
//  fast: 2% of a 30-day budget in 1 hour; slow: 5% in 6 hours. These are
//  the defaults of the configuration key slo_burn (opd_config_t burn_*),
//  which opdesk-slo and the metrics use (services/slo/opd_slo_burn.h);
//  OPD_SLO_WINDOW_MS is also the default period of a report, which
//  slo_burn.window does not change.
#define OPD_BURN_FAST_LONG_MS  3600000LL
#define OPD_BURN_FAST_SHORT_MS 300000LL
#define OPD_BURN_FAST_THRESHOLD 14.4
#define OPD_BURN_SLOW_LONG_MS  21600000LL
#define OPD_BURN_SLOW_SHORT_MS 1800000LL
#define OPD_BURN_SLOW_THRESHOLD 6.0

//  One multi-window burn-rate alert (slo_burn.fast, slo_burn.slow): it holds
//  while the burn rates over the long and the short window both exceed
//  threshold.
typedef struct {
    int64_t long_ms, short_ms;
    double threshold;
} opd_burn_alert_t;

//  The limits of one HTTP server (opdesk-web, opdesk-phone; opd_http.h).
typedef struct {
    int max_connections;            //  connections served at once
    int per_client;                 //  connections (or, behind a trusted proxy, requests) per client address
    int64_t timeout_ms;             //  an idle connection is closed after this
    int64_t header_timeout_ms;      //  a request's whole headers must arrive within this
    char **trusted_proxies;         //  addresses whose X-Forwarded-For and -Proto are believed
    size_t ntrusted_proxies;
} opd_http_config_t;

//  Request rate limits of opdesk-web, counted in Redis in fixed windows.
typedef struct {
    int login;                      //  sign-in attempts per client address per window, default 10
    int api_token;                  //  API requests per token per window, default 3000
    int api_address;                //  API requests per client address per window, default 6000
    int signin_email;               //  sign-in links asked for one email address per window, default 3
    int signin_address;             //  sign-in links asked for from one client address per window, default 10
    int64_t window_ms;              //  default 1 min
} opd_rate_config_t;

typedef enum { OPD_ROLE_REQUESTER = 1, OPD_ROLE_AGENT, OPD_ROLE_LEAD, OPD_ROLE_ADMIN } opd_role_t;

typedef struct {
    char *token;   //  the secret, or its SHA-256 in hex when hashed
    bool hashed;   //  written as "sha256:HEX" in the file
    opd_role_t role;
    char *identity;
} opd_token_t;

//  An IMAP mailbox opdesk-email polls.
typedef struct {
    char *url;       //  imap:// or imaps://host[:port]/MAILBOX
    char *username, *password;
    char *move_to;   //  mailbox to move processed mail to; NULL: flag it \\Seen and \\Deleted
    int64_t interval_ms;
} opd_imap_t;

typedef struct {
    char *path;
    char *ticket_prefix;
    char *log_level;
    bool demo;                       //  demo: true, or no demo key and all on loopback: placeholder secrets allowed
    char *redis_host, *redis_password;
    char *redis_username;            //  NULL: AUTH with the password alone (the default user)
    int redis_port, redis_db;
    char *ep_intake, *ep_events, *ep_http, *ep_phone;
    int64_t events_max_len;  //  events kept in the durable history

    opd_calendar_t *calendars;
    size_t ncalendars;
    opd_policy_t *policies;
    size_t npolicies;
    int priority_matrix[3][3];  //  [impact][urgency], 0 high, 1 medium, 2 low; 1..4 = P1..P4, 0 = none
    bool has_matrix;
    char *default_priority;
    char **severities;  //  the values a ticket's severity may take; none: S1 to S4
    size_t nseverities;
    char **categories;  //  every path of the taxonomy, sorted ("hardware", "hardware/laptop")
    size_t ncategories;
    opd_team_t *teams;
    size_t nteams;
    char *default_team;
    opd_agent_t *agents;
    size_t nagents;
    opd_shift_t *shifts;
    size_t nshifts;
    opd_rule_t *rules;
    size_t nrules;
    opd_stdresp_t *stdresps;
    size_t nstdresps;
    char *footer;
    opd_reqtype_t *reqtypes;
    size_t nreqtypes;
    int retention_closed_days;
    opd_retention_rule_t *retention_rules;
    size_t nretention_rules;
    opd_retention_rule_t *retention_types;  //  retention.per_request_type (category holds the type id)
    size_t nretention_types;
    bool retention_background;  //  retention.background: the anonymiser on idle CPU time
    int retention_batch;     //  retention.batch: tickets per anonymise.lua call
    int retention_pause_ms;  //  retention.pause_ms: the anonymiser's pause between chunks
    char *pseudonym_keys_dir;  //  retention.pseudonyms.keys_dir; NULL: no pseudonyms
    int pseudonym_keep_years;
    char *receipt_key;  //  retention.receipt_key: the Ed25519 seed file signing receipts; NULL: unsigned
    char *smtp_url, *smtp_from, *smtp_username, *smtp_password;
    int64_t smtp_timeout_ms;
    opd_webhook_t *webhooks;
    size_t nwebhooks;
    int64_t body_bytes, frame_bytes;
    opd_token_t *tokens;
    size_t ntokens;

    //  channels: settings of the channel adapters (opdesk additions).
    char *web_public_url;           //  how requesters reach the portal (links in mail)
    opd_http_config_t web_http;     //  channels.web: 512 connections, 32 per client, 30 s, 10 s
    int64_t web_session_ms;         //  portal and console sessions last this long, default 12 h
    bool web_email_signin;          //  requesters may sign in by a link mailed to them, default true
    int64_t web_signin_link_ms;     //  such a link works this long, default 15 min
    bool web_agent_email_signin;    //  agents may sign in by a mailed link too (default false)
    int64_t web_details_link_ms;    //  a link to give missing details works this long, default 7 days
    int64_t web_rating_link_ms;     //  the rating links of a resolution mail work this long, default 14 days
    opd_rate_config_t web_rate;     //  channels.web.rate_limit
    char **email_addresses;         //  the desk's own addresses (loop protection); smtp from is added
    size_t nemail_addresses;
    opd_imap_t *imap;
    size_t nimap;
    char *attachments_dir;          //  attachments.dir: where attachment bodies are kept; NULL: metadata only
    char *email_attachments_dir;    //  channels.email.attachments_dir, its older name (read when it is unset)
    int64_t max_attachment_bytes;   //  default 10 MiB
    char **web_attachment_types;    //  media types the web accepts (type or prefix*); none: built-in
    size_t nweb_attachment_types;
    int email_rate_per_sender;      //  messages per sender per window, default 20
    int64_t email_rate_window_ms;   //  default 1 h
    //  channels.email.quarantine: a message the poller failed on this many
    //  times is moved to this folder (created if missing), so that it never
    //  blocks the mail after it.
    int email_max_failures;         //  quarantine.after, default 3
    char *email_quarantine_folder;  //  quarantine.folder, default "Quarantine"
    //  channels.email.agent_mail: when mail is believed to come from an agent
    //  (opd_mail_trust.h). trust is a set of OPD_AGENT_TRUST_* bits.
    int agent_mail_trust;           //  default OPD_AGENT_TRUST_TOKEN
    char *agent_mail_authserv_id;   //  the MTA whose Authentication-Results are believed
    char *agent_mail_secret;        //  the reply-token key (secret, or secret_file's text); NULL: no tokens
    char *agent_mail_address;       //  reply_address; NULL: notifications.smtp.from
    char *phone_secret;             //  HMAC-SHA256 key of the phone webhook; NULL: phone disabled
    char *phone_country_code;       //  digits, for national numbers ("44"); default "44"
    opd_http_config_t phone_http;   //  channels.phone: 64 connections, 16 per client, 15 s, 10 s

    //  workflow (opdesk addition).
    int auto_close_days;            //  resolved tickets close after this many days, default 7

    //  coverage (opdesk addition, issue 10): coverage.gap is announced for
    //  gaps that begin within this many days.
    int coverage_lookahead_days;    //  lookahead_days, 1 to 366, default 14
    bool leave_approval;            //  annual leave recorded by an agent waits for a lead's approval
    char *sickness_handback;        //  queue, least_loaded or none: a sick agent's open tickets
    int64_t staffing_phone_aht_ms;  //  staffing: mean handling time of a call
    int64_t staffing_aht_ms;        //  staffing: mean handling time of an email or portal ticket
    int64_t staffing_answer_ms;     //  staffing: calls answered within this...
    double staffing_answer_level;   //  ...for this share of calls

    //  slo_burn: error budgets and burn-rate alerts (opdesk addition); the
    //  defaults are the OPD_SLO_WINDOW_MS and OPD_BURN_* constants above.
    int64_t burn_window_ms;         //  the rolling window of the error budget, default 28 days
    opd_burn_alert_t burn_fast;     //  default 1 h / 5 min above 14.4
    opd_burn_alert_t burn_slow;     //  default 6 h / 30 min above 6

    //  curve: ZeroMQ CURVE on the intake and events sockets (opdesk
    //  addition); curve.enabled is false without the block (plaintext).
    opd_curve_t curve;              //  the keys, read from the files named
    char *curve_clients_dir;        //  the allow-listed client certificates; NULL when not configured
} opd_config_t;

//  Loads and validates path. On failure returns NULL and writes one line
//  naming the bad key into err ("slo_policies[1].calendar: unknown calendar 'x'").
opd_config_t *opd_config_load (const char *path, char *err, size_t errlen);
//  Same, from text in memory (tests).
opd_config_t *opd_config_parse (const char *text, size_t len, const char *name, char *err,
                                size_t errlen);
void opd_config_destroy (opd_config_t **self_p);
//  The keys a SIGHUP cannot apply (endpoints, CURVE keys, HTTP connection
//  limits) whose values differ between old and new: their paths, comma
//  separated, into buf. Returns how many; 0 when a reload applies all.
int opd_config_restart_changes (const opd_config_t *old, const opd_config_t *new_cfg, char *buf,
                                size_t size);
//  Writes the reference table of every key (docs/configuration.md, between
//  its markers) to out: path, type, default, bounds, SIGHUP, meaning.
void opd_config_reference (FILE *out);

//  Lookups; NULL when absent.
const opd_calendar_t *opd_config_calendar (const opd_config_t *self, const char *id);
const opd_team_t *opd_config_team (const opd_config_t *self, const char *id);
const opd_agent_t *opd_config_agent (const opd_config_t *self, const char *id);
//  The agent whose email is this address (any case), or NULL.
const opd_agent_t *opd_config_agent_by_email (const opd_config_t *self, const char *email);
//  True when email (any case) is one of the desk's own addresses:
//  notifications.smtp.from or channels.email.addresses.
bool opd_config_desk_address (const opd_config_t *self, const char *email);
const opd_stdresp_t *opd_config_stdresp (const opd_config_t *self, const char *id);
const opd_reqtype_t *opd_config_reqtype (const opd_config_t *self, const char *id);
bool opd_config_category_exists (const opd_config_t *self, const char *path);
//  True when path is ancestor itself or below it ("hardware/laptop" is under "hardware").
bool opd_category_under (const char *path, const char *ancestor);
//  Retention in days for a closed ticket of this category (the most specific rule).
int opd_config_retention_days (const opd_config_t *self, const char *category);
//  The first policy whose match fits; NULL when none.
typedef struct {
    const char *priority, *kind, *category, *team, *channel, *request_type;
} opd_ticket_facts_t;
const opd_policy_t *opd_config_policy_for (const opd_config_t *self, const opd_ticket_facts_t *t);
//  Priority from impact and urgency through the matrix; NULL when not possible.
const char *opd_config_matrix_priority (const opd_config_t *self, const char *impact,
                                        const char *urgency);
//  Finds where the configuration lives: --config, $OPDESK_CONFIG, /etc/opdesk/opdesk.yaml;
//  when that file is missing, ../../deploy/opdesk.yaml beside the running binary (a clone's
//  build/bin/ finds the clone's demo configuration).
const char *opd_config_locate (const char *from_args);
//  "P1".."P4" -> 1..4, else 0.
int opd_priority_rank (const char *p);
#endif
