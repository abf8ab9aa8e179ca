/*  Generated from proto/schema.yaml by proto/gen.py. Do not edit: edit the schema and run the generator.

    opd_schema: the names of opdesk's data, from one definition: Redis key
    builders, ticket hash fields, the SLO clocks, set members, personal
    fields, event topics. proto/keys.md and proto/README.md say what each is. */
#ifndef OPD_SCHEMA_H_INCLUDED
#define OPD_SCHEMA_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPD_SCHEMA_VERSION 1
#define OPD_ID_MAX 64  //  the longest ticket id

//  --- The SLO clocks --------------------------------------------------
typedef enum {
    OPD_CLOCK_FR,  //  first_response: met by the first public comment of an agent
    OPD_CLOCK_NR,  //  next_reply: starts at a requester's public comment after the first response; met by the agent's next public comment
    OPD_CLOCK_RES,  //  resolution: met when the ticket is resolved; pauses while pending
    OPD_CLOCK_COUNT
} opd_clock_t;
extern const char *const opd_clock_ids[OPD_CLOCK_COUNT];    //  "fr": hash fields, set members
extern const char *const opd_clock_names[OPD_CLOCK_COUNT];  //  "first_response": events, JSON
//  The clock of a short id or a long name; -1 when unknown.
int opd_clock_from_id (const char *id);
int opd_clock_from_name (const char *name);

//  A clock's fields in the ticket hash are <clock id>_<field>: opd_clock_fields[c][f].
typedef enum {
    OPD_CF_STATE,  //  the clock's state
    OPD_CF_DUE,  //  when the target is used up
    OPD_CF_MET,  //  when it was met (also after a breach)
    OPD_CF_BREACHED,  //  when opdesk-slo fired the breach (never before due)
    OPD_CF_WARN,  //  when the warning is due (warn_at of the target); 0 = none
    OPD_CF_WARNED,  //  when the warning fired
    OPD_CF_TARGET,  //  the target in ms of working time the due was computed with (arm.lua)
    OPD_CF_COUNT
} opd_clock_field_t;
extern const char *const opd_clock_fields[OPD_CLOCK_COUNT][OPD_CF_COUNT];

typedef enum {
    OPD_CLOCK_NONE = 0,  //  no state stored
    OPD_CLOCK_RUNNING,
    OPD_CLOCK_PAUSED,
    OPD_CLOCK_MET,
    OPD_CLOCK_BREACHED,
} opd_clock_state_t;
//  "running" ... by state; NULL for OPD_CLOCK_NONE.
extern const char *const opd_clock_states[5];
opd_clock_state_t opd_clock_state_parse (const char *text);

//  --- The ticket hash (the key ticket) --------------------------------
#define OPD_F_ID "id"
#define OPD_F_KIND "kind"
#define OPD_F_STATUS "status"
#define OPD_F_PRIORITY "priority"
#define OPD_F_SEVERITY "severity"
#define OPD_F_CATEGORY "category"
#define OPD_F_TEAM "team"
#define OPD_F_ASSIGNEE "assignee"
#define OPD_F_CHANNEL "channel"
#define OPD_F_EXTERNAL_ID "external_id"
#define OPD_F_REQ_NAME "req_name"
#define OPD_F_REQ_EMAIL "req_email"
#define OPD_F_REQ_PHONE "req_phone"
#define OPD_F_SUBJECT "subject"
#define OPD_F_BODY "body"
#define OPD_F_IMPACT "impact"
#define OPD_F_URGENCY "urgency"
#define OPD_F_REQUEST_TYPE "request_type"
#define OPD_F_FIELDS "fields"
#define OPD_F_MISSING "missing"
#define OPD_F_DETAILS_ASKED_AT "details_asked_at"
#define OPD_F_DETAILS_GIVEN_AT "details_given_at"
#define OPD_F_RATING "rating"
#define OPD_F_RATING_COMMENT "rating_comment"
#define OPD_F_RATED_AT "rated_at"
#define OPD_F_ATTACHMENTS "attachments"
#define OPD_F_LINKS "links"
#define OPD_F_PARTICIPANTS "participants"
#define OPD_F_LINKED_TO "linked_to"
#define OPD_F_SUBMITTED_BY "submitted_by"
#define OPD_F_RECEIVED_AT "received_at"
#define OPD_F_CREATED_AT "created_at"
#define OPD_F_UPDATED_AT "updated_at"
#define OPD_F_RESOLVED_AT "resolved_at"
#define OPD_F_CLOSED_AT "closed_at"
#define OPD_F_ROUTED_AT "routed_at"
#define OPD_F_ARMED_AT "armed_at"
#define OPD_F_VERSION "version"
#define OPD_F_NCOMMENTS "ncomments"
#define OPD_F_RULE "rule"
#define OPD_F_STDRESP "stdresp"
#define OPD_F_MISROUTED "misrouted"
#define OPD_F_TAGS "tags"
#define OPD_F_NO_ACK "no_ack"
#define OPD_F_ACK "ack"
#define OPD_F_FIRST_REPLY_AT "first_reply_at"
#define OPD_F_TEAM_SINCE "team_since"
#define OPD_F_TEAM_MS_PREFIX "team_ms:"  //  time spent with each earlier team (the ticket JSON's team_times)
#define OPD_F_QTEAM "qteam"
#define OPD_F_CNT "cnt"
#define OPD_F_SLO_POLICY "slo_policy"
#define OPD_F_RES_PAUSE "res_pause"
#define OPD_F_RES_PAUSES "res_pauses"
#define OPD_F_NR_START "nr_start"
#define OPD_F_NR_BREACHES "nr_breaches"
#define OPD_F_NR_REPLIED_AT "nr_replied_at"
#define OPD_F_ANONYMISED "anonymised"
#define OPD_F_ANONYMISED_AT "anonymised_at"
#define OPD_F_STDRESP_SENT "stdresp_sent"
#define OPD_F_ANONYMISED_RULE "anonymised_rule"
#define OPD_F_ANONYMISED_RUN "anonymised_run"
#define OPD_F_PSEUDONYM "pseudonym"
#define OPD_F_PSEUDONYM_PERIOD "pseudonym_period"
#define OPD_F_PRIVACY "privacy"
#define OPD_F_CANARY "canary"
#define OPD_F_HOLD "hold"
#define OPD_F_HOLD_REASON "hold_reason"
#define OPD_F_HOLD_BY "hold_by"
#define OPD_F_HOLD_AT "hold_at"
#define OPD_F_MAIL_THREAD "mail_thread"

//  The ticket as stored, read in one place (opd_store_ticket_read): every
//  field's text, borrowed from the reply it was read from, NULL when absent.
typedef struct {
    const char *id;  //  str
    const char *kind;  //  enum
    const char *status;  //  enum
    const char *priority;  //  enum
    const char *severity;  //  str
    const char *category;  //  str
    const char *team;  //  str
    const char *assignee;  //  str
    const char *channel;  //  str
    const char *external_id;  //  str, personal
    const char *req_name;  //  str, personal
    const char *req_email;  //  str, personal
    const char *req_phone;  //  str, personal
    const char *subject;  //  str, personal
    const char *body;  //  str, personal
    const char *impact;  //  enum
    const char *urgency;  //  enum
    const char *request_type;  //  str
    const char *fields;  //  json, personal
    const char *missing;  //  json
    const char *details_asked_at;  //  ms
    const char *details_given_at;  //  ms
    const char *rating;  //  enum
    const char *rating_comment;  //  str, personal
    const char *rated_at;  //  ms
    const char *attachments;  //  json, personal
    const char *links;  //  json, personal
    const char *participants;  //  json, personal
    const char *linked_to;  //  str
    const char *submitted_by;  //  str
    const char *received_at;  //  ms
    const char *created_at;  //  ms
    const char *updated_at;  //  ms
    const char *resolved_at;  //  ms
    const char *closed_at;  //  ms
    const char *routed_at;  //  ms
    const char *armed_at;  //  ms
    const char *version;  //  int
    const char *ncomments;  //  int
    const char *rule;  //  str
    const char *stdresp;  //  str
    const char *misrouted;  //  flag
    const char *tags;  //  json
    const char *no_ack;  //  flag
    const char *ack;  //  flag
    const char *first_reply_at;  //  ms
    const char *team_since;  //  ms
    const char *qteam;  //  str
    const char *cnt;  //  str
    const char *slo_policy;  //  str
    const char *res_pause;  //  ms
    const char *res_pauses;  //  str
    const char *nr_start;  //  ms
    const char *nr_breaches;  //  int
    const char *nr_replied_at;  //  ms
    const char *anonymised;  //  flag
    const char *anonymised_at;  //  ms
    const char *stdresp_sent;  //  str
    const char *anonymised_rule;  //  str
    const char *anonymised_run;  //  str
    const char *pseudonym;  //  str
    const char *pseudonym_period;  //  str
    const char *privacy;  //  enum
    const char *canary;  //  flag
    const char *hold;  //  flag
    const char *hold_reason;  //  str
    const char *hold_by;  //  str
    const char *hold_at;  //  ms
    const char *mail_thread;  //  str
    struct {
        const char *state, *due, *met, *breached, *warn, *warned, *target;
    } clock[OPD_CLOCK_COUNT];
} opd_ticket_t;
//  Sets the member of field to value (borrowed); false for a field the
//  struct does not hold (team_ms:TEAM, unknown ones).
bool opd_ticket_set (opd_ticket_t *t, const char *field, const char *value);

//  Personal fields of the hash: what the anonymiser does with each.
typedef struct {
    const char *field;
    const char *replace;  //  the new text; NULL: the field is deleted
    bool partly;          //  only some values are personal (fields: pii of the request type)
    bool text;            //  free text kept, the personal data inside replaced (redact)
} opd_personal_t;
extern const opd_personal_t opd_personal_fields[];
extern const size_t opd_personal_count;

//  --- Redis keys ------------------------------------------------------
//  OPD_KEY_X is a key without parameters, OPD_KEY_X_FMT a printf format
//  whose %s are the parameters in order; opd_key_x writes the key into buf
//  and returns its length, or -1 when it does not fit.
//  OPD_KEY_X_LUA("a", ...): the key as a Lua expression of the Lua
//  expressions a ... (for the few scripts kept in C, opd_rota_store.c).
//  Every key begins with OPD_KEY_NAMESPACE (SCAN MATCH opd:* reads them all).
#define OPD_KEY_NAMESPACE "opd:"
//  opd:layout (string, global): the layout of the keys this Redis holds: 2 once every ticket's keys name it in a
#define OPD_KEY_LAYOUT "opd:layout"
//  opd:seq (string (counter), global): the last ticket number
#define OPD_KEY_SEQ "opd:seq"
//  opd:t:{{id}} (hash, ticket): the ticket (fields below)
#define OPD_KEY_TICKET_FMT "opd:t:{%s}"
int opd_key_ticket (char *buf, size_t size, const char *id);
#define OPD_KEY_TICKET_LUA(id) "'opd:t:{'" " .. " id " .. " "'}'"
//  opd:t:{{id}}:c (list of JSON, ticket): comments {id, author, role, public, body, at} (at in ms)
#define OPD_KEY_COMMENTS_FMT "opd:t:{%s}:c"
int opd_key_comments (char *buf, size_t size, const char *id);
#define OPD_KEY_COMMENTS_LUA(id) "'opd:t:{'" " .. " id " .. " "'}:c'"
//  opd:t:{{id}}:h (list of JSON, ticket): history {at, actor, action, details}
#define OPD_KEY_HISTORY_FMT "opd:t:{%s}:h"
int opd_key_history (char *buf, size_t size, const char *id);
#define OPD_KEY_HISTORY_LUA(id) "'opd:t:{'" " .. " id " .. " "'}:h'"
//  opd:t:{{id}}:d (hash AGENT|KIND to text (EXPIRE 7 days from the last save), ticket): the agent console's unsent drafts of a ticket: field AGENT|reply or AGENT|note, 
#define OPD_KEY_DRAFTS_FMT "opd:t:{%s}:d"
int opd_key_drafts (char *buf, size_t size, const char *id);
#define OPD_KEY_DRAFTS_LUA(id) "'opd:t:{'" " .. " id " .. " "'}:d'"
//  opd:t:{{id}}:p (hash AGENT to STATE:UNTIL_MS (PEXPIRE a minute from the last beat), ticket): who has the ticket open in the console now, and who is typing (state viewing or 
#define OPD_KEY_PRESENCE_FMT "opd:t:{%s}:p"
int opd_key_presence (char *buf, size_t size, const char *id);
#define OPD_KEY_PRESENCE_LUA(id) "'opd:t:{'" " .. " id " .. " "'}:p'"
//  opd:t:{{id}}:w (hash TEAM to '1' (EXPIRE 30 days from the last counted beat), ticket): the teams in whose handling-time sample (opd:aht) the ticket is counted: the fir
#define OPD_KEY_WORKED_FMT "opd:t:{%s}:w"
int opd_key_worked (char *buf, size_t size, const char *id);
#define OPD_KEY_WORKED_LUA(id) "'opd:t:{'" " .. " id " .. " "'}:w'"
//  opd:t:{{id}}:w:{agent} (string (ms; PX 5 minutes), ticket): when the agent's page of the ticket last beat: a beat of an agent who typed or h
#define OPD_KEY_WORKED_BEAT_FMT "opd:t:{%s}:w:%s"
int opd_key_worked_beat (char *buf, size_t size, const char *id, const char *agent);
#define OPD_KEY_WORKED_BEAT_LUA(id, agent) "'opd:t:{'" " .. " id " .. " "'}:w:'" " .. " agent
//  opd:views:agent:{identity} (hash NAME to query string, global): an agent's saved views of the console queue: the view's name to its filters as a
#define OPD_KEY_VIEWS_AGENT_FMT "opd:views:agent:%s"
int opd_key_views_agent (char *buf, size_t size, const char *identity);
#define OPD_KEY_VIEWS_AGENT_LUA(identity) "'opd:views:agent:'" " .. " identity
//  opd:views:team:{team} (hash NAME to query string, global): the saved views a lead shared with a team, shown to every member of the team abo
#define OPD_KEY_VIEWS_TEAM_FMT "opd:views:team:%s"
int opd_key_views_team (char *buf, size_t size, const char *team);
#define OPD_KEY_VIEWS_TEAM_LUA(team) "'opd:views:team:'" " .. " team
//  opd:idem:{channel}:{external_id} (hash {id}, global): the idempotency key of intake
#define OPD_KEY_IDEM_FMT "opd:idem:%s:%s"
int opd_key_idem (char *buf, size_t size, const char *channel, const char *external_id);
#define OPD_KEY_IDEM_LUA(channel, external_id) "'opd:idem:'" " .. " channel " .. " "':'" " .. " external_id
//  opd:ext:{external_id} (string, global): ticket of an external id of any channel (threading)
#define OPD_KEY_EXT_FMT "opd:ext:%s"
int opd_key_ext (char *buf, size_t size, const char *external_id);
#define OPD_KEY_EXT_LUA(external_id) "'opd:ext:'" " .. " external_id
//  opd:blob:{sha256}:refs (set of ticket ids, global): the tickets whose attachments list the body stored under this SHA-256 (lower-cas
#define OPD_KEY_BLOB_REFS_FMT "opd:blob:%s:refs"
int opd_key_blob_refs (char *buf, size_t size, const char *sha256);
#define OPD_KEY_BLOB_REFS_LUA(sha256) "'opd:blob:'" " .. " sha256 " .. " "':refs'"
//  opd:unrouted (zset (created ms), global): tickets waiting for routing
#define OPD_KEY_UNROUTED "opd:unrouted"
//  opd:replies:details (zset (ms), global): tickets whose requester wrote while details were missing
#define OPD_KEY_DETAILS_REPLIES "opd:replies:details"
//  opd:slo:work (zset (ms), global): tickets whose clocks must be (re)computed
#define OPD_KEY_SLO_WORK "opd:slo:work"
//  opd:timers (zset (fire ms), global): one member per running clock: ID|CLOCK|w at its warning while that is to come, t
#define OPD_KEY_TIMERS "opd:timers"
//  opd:timers:running (string (counter), global): layout 3 only: the count of running clocks that layout 4 replaced with ZCARD opd
#define OPD_KEY_TIMERS_RUNNING "opd:timers:running"
//  opd:slo:done:{policy}:{slo}:{outcome} (zset (finished ms), global): clocks finished in time (outcome met) or breached, member ID|DUE_MS
#define OPD_KEY_SLO_DONE_FMT "opd:slo:done:%s:%s:%s"
int opd_key_slo_done (char *buf, size_t size, const char *policy, const char *slo, const char *outcome);
#define OPD_KEY_SLO_DONE_LUA(policy, slo, outcome) "'opd:slo:done:'" " .. " policy " .. " "':'" " .. " slo " .. " "':'" " .. " outcome
//  opd:slo:measure (zset (met ms), global): met first-response and resolution clocks, member ID|fr|MET_MS or ID|res|MET_MS, 
#define OPD_KEY_SLO_MEASURE "opd:slo:measure"
//  opd:slo:risk (zset (due ms), global): clocks warned and still running (ZCARD = the at-risk gauge), member ID|CLOCK
#define OPD_KEY_SLO_RISK "opd:slo:risk"
//  opd:slo:burn:{policy}:{slo}:{window} (string (ms), global): a burn-rate alert (window fast or slow) in progress: set in the same step as its
#define OPD_KEY_SLO_BURN_FMT "opd:slo:burn:%s:%s:%s"
int opd_key_slo_burn (char *buf, size_t size, const char *policy, const char *slo, const char *window);
#define OPD_KEY_SLO_BURN_LUA(policy, slo, window) "'opd:slo:burn:'" " .. " policy " .. " "':'" " .. " slo " .. " "':'" " .. " window
//  opd:stats:slo (hash of counters, global): met|POLICY|SLO, breached|POLICY|SLO: clocks met in time / breached, since the st
#define OPD_KEY_STATS_SLO "opd:stats:slo"
//  opd:stats:slo:hist (hash of counters, global): working-time histograms: POLICY|SLO|B = clocks in bucket B (not cumulative
#define OPD_KEY_STATS_SLO_HIST "opd:stats:slo:hist"
//  opd:stats:slo:gauges (hash, global): running (members of opd:timers: one a running clock), paused (pending tickets wh
#define OPD_KEY_STATS_SLO_GAUGES "opd:stats:slo:gauges"
//  opd:events (stream, global): the durable event history: fields t (topic), m (msgpack map)
#define OPD_KEY_EVENTS "opd:events"
//  opd:outbox:ready (list of JSON, global): mail jobs {id, kind, ticket, comment?, attempt, queued_at}
#define OPD_KEY_OUTBOX_READY "opd:outbox:ready"
//  opd:outbox:busy (list of JSON, global): jobs being sent now
#define OPD_KEY_OUTBOX_BUSY "opd:outbox:busy"
//  opd:outbox:retry (zset (retry ms), global): jobs waiting to be tried again
#define OPD_KEY_OUTBOX_RETRY "opd:outbox:retry"
//  opd:outbox:seq (string (counter), global): job ids
#define OPD_KEY_OUTBOX_SEQ "opd:outbox:seq"
//  opd:closed (zset (closed ms), global): closed tickets not yet anonymised
#define OPD_KEY_CLOSED "opd:closed"
//  opd:anonymised (zset (ms), global): anonymised tickets
#define OPD_KEY_ANONYMISED "opd:anonymised"
//  opd:anon:pending (zset (anonymised ms), global): anonymised tickets whose global keys (sweep) are not swept yet: a run killed hal
#define OPD_KEY_ANON_PENDING "opd:anon:pending"
//  opd:anon:linked (string, global): '1' once the anonymiser has recorded, from the idempotency keys (link.lua), the 
#define OPD_KEY_ANON_LINKED "opd:anon:linked"
//  opd:anon:seq (string (counter), global): run numbers
#define OPD_KEY_ANON_SEQ "opd:anon:seq"
//  opd:anon:run:{run} (hash, global): a run's receipt: started_at, finished_at, state (running, done, failed), dry_run
#define OPD_KEY_ANON_RUN_FMT "opd:anon:run:%s"
int opd_key_anon_run (char *buf, size_t size, const char *run);
#define OPD_KEY_ANON_RUN_LUA(run) "'opd:anon:run:'" " .. " run
//  opd:pseudo:period:{period} (zset (anonymised ms), global): the tickets whose pseudonym was made with the key of PERIOD
#define OPD_KEY_PSEUDO_PERIOD_FMT "opd:pseudo:period:%s"
int opd_key_pseudo_period (char *buf, size_t size, const char *period);
#define OPD_KEY_PSEUDO_PERIOD_LUA(period) "'opd:pseudo:period:'" " .. " period
//  opd:pseudo:destroyed (hash period -> ms, global): the periods whose key was destroyed, and when
#define OPD_KEY_PSEUDO_DESTROYED "opd:pseudo:destroyed"
//  opd:anon:runs (zset (started ms), global): every run's number
#define OPD_KEY_ANON_RUNS "opd:anon:runs"
//  opd:idx:all (zset (created ms), global): every ticket
#define OPD_KEY_IDX_ALL "opd:idx:all"
//  opd:idx:status:{status} (zset (created ms), global): tickets by status
#define OPD_KEY_IDX_STATUS_FMT "opd:idx:status:%s"
int opd_key_idx_status (char *buf, size_t size, const char *status);
#define OPD_KEY_IDX_STATUS_LUA(status) "'opd:idx:status:'" " .. " status
//  opd:idx:team:{team} (zset (created ms), global): tickets by team
#define OPD_KEY_IDX_TEAM_FMT "opd:idx:team:%s"
int opd_key_idx_team (char *buf, size_t size, const char *team);
#define OPD_KEY_IDX_TEAM_LUA(team) "'opd:idx:team:'" " .. " team
//  opd:idx:req:{email} (zset (created ms), global): tickets by requester email (lower case)
#define OPD_KEY_IDX_REQ_FMT "opd:idx:req:%s"
int opd_key_idx_req (char *buf, size_t size, const char *email);
#define OPD_KEY_IDX_REQ_LUA(email) "'opd:idx:req:'" " .. " email
//  opd:req:{email}:tz (string (an IANA time zone; EXPIRE 400 days from the last choice), global): the time zone a requester chose on the portal's /settings, by lower-cased email 
#define OPD_KEY_REQ_TZ_FMT "opd:req:%s:tz"
int opd_key_req_tz (char *buf, size_t size, const char *email);
#define OPD_KEY_REQ_TZ_LUA(email) "'opd:req:'" " .. " email " .. " "':tz'"
//  opd:q:due:{team} (zset (due ms), global): the team's queue: every ticket of TEAM that is not resolved or closed, scored by
#define OPD_KEY_QUEUE_DUE_FMT "opd:q:due:%s"
int opd_key_queue_due (char *buf, size_t size, const char *team);
#define OPD_KEY_QUEUE_DUE_LUA(team) "'opd:q:due:'" " .. " team
//  opd:count:team:{team} (hash status to count, global): how many tickets of TEAM are in each status, kept exact by queue_refresh: each t
#define OPD_KEY_COUNT_TEAM_FMT "opd:count:team:%s"
int opd_key_count_team (char *buf, size_t size, const char *team);
#define OPD_KEY_COUNT_TEAM_LUA(team) "'opd:count:team:'" " .. " team
//  opd:resolved (zset (resolved ms), global): resolved tickets, for the auto-close after workflow.auto_close_days
#define OPD_KEY_RESOLVED "opd:resolved"
//  opd:stats:{counter} (string (counter), global): mail counters: counter is mail_sent, mail_failed, or stdresp_held (acknowledgeme
#define OPD_KEY_STATS_MAIL_FMT "opd:stats:%s"
int opd_key_stats_mail (char *buf, size_t size, const char *counter);
#define OPD_KEY_STATS_MAIL_LUA(counter) "'opd:stats:'" " .. " counter
//  opd:stats:stdresp (hash of counters, global): standard responses sent, since the start: ID|agent (in an agent's comment), ID|a
#define OPD_KEY_STATS_STDRESP "opd:stats:stdresp"
//  opd:stats:route (hash of counters, global): per routing rule, since the start: RULE|routed (tickets it routed), RULE|misrout
#define OPD_KEY_STATS_ROUTE "opd:stats:route"
//  opd:notifier:webhook:{hook}:cursor (string (stream id), global): the last event of opd:events handled for a webhook of notifications.webhooks, HO
#define OPD_KEY_WEBHOOK_CURSOR_FMT "opd:notifier:webhook:%s:cursor"
int opd_key_webhook_cursor (char *buf, size_t size, const char *hook);
#define OPD_KEY_WEBHOOK_CURSOR_LUA(hook) "'opd:notifier:webhook:'" " .. " hook " .. " "':cursor'"
//  opd:agent:{agent}:prefs (hash, global): an agent's preferences
#define OPD_KEY_AGENT_PREFS_FMT "opd:agent:%s:prefs"
int opd_key_agent_prefs (char *buf, size_t size, const char *agent);
#define OPD_KEY_AGENT_PREFS_LUA(agent) "'opd:agent:'" " .. " agent " .. " "':prefs'"
//  opd:agent:{agent}:notes (list of JSON, global): the agent's console notifications, newest first: {id (the event's stream id), ki
#define OPD_KEY_AGENT_NOTES_FMT "opd:agent:%s:notes"
int opd_key_agent_notes (char *buf, size_t size, const char *agent);
#define OPD_KEY_AGENT_NOTES_LUA(agent) "'opd:agent:'" " .. " agent " .. " "':notes'"
//  opd:agent:{agent}:unread (zset (ms), global): the ids of the agent's unread notifications
#define OPD_KEY_AGENT_UNREAD_FMT "opd:agent:%s:unread"
int opd_key_agent_unread (char *buf, size_t size, const char *agent);
#define OPD_KEY_AGENT_UNREAD_LUA(agent) "'opd:agent:'" " .. " agent " .. " "':unread'"
//  opd:notifier:notices:cursor (string (stream id), global): the last event of opd:events turned into agent notifications and mail jobs
#define OPD_KEY_NOTICES_CURSOR "opd:notifier:notices:cursor"
//  opd:mail:tries:{box}:{uidvalidity}:{uid} (string (counter, 14 days), global): failures of one IMAP message (BOX: 16 hex of the SHA-256 of the mailbox URL and 
#define OPD_KEY_MAIL_TRIES_FMT "opd:mail:tries:%s:%s:%s"
int opd_key_mail_tries (char *buf, size_t size, const char *box, const char *uidvalidity, const char *uid);
#define OPD_KEY_MAIL_TRIES_LUA(box, uidvalidity, uid) "'opd:mail:tries:'" " .. " box " .. " "':'" " .. " uidvalidity " .. " "':'" " .. " uid
//  opd:rate:mail:{sha256} (string (counter, PX window), global): messages from one sender (SHA-256 of the lower-cased address) in the current win
#define OPD_KEY_RATE_MAIL_FMT "opd:rate:mail:%s"
int opd_key_rate_mail (char *buf, size_t size, const char *sha256);
#define OPD_KEY_RATE_MAIL_LUA(sha256) "'opd:rate:mail:'" " .. " sha256
//  opd:call:{call_id} (hash, global): a phone call's state: direction, customer (E.164), from/to, agent, caller_name, 
#define OPD_KEY_CALL_FMT "opd:call:%s"
int opd_key_call (char *buf, size_t size, const char *call_id);
#define OPD_KEY_CALL_LUA(call_id) "'opd:call:'" " .. " call_id
//  opd:phone:{e164} (hash, global): what the desk knows about a number: last_ticket, and email, name of the requeste
#define OPD_KEY_PHONE_FMT "opd:phone:%s"
int opd_key_phone (char *buf, size_t size, const char *e164);
#define OPD_KEY_PHONE_LUA(e164) "'opd:phone:'" " .. " e164
//  opd:phone:cursor (string (stream id), global): the last event of opd:events the phone service learned numbers from
#define OPD_KEY_PHONE_CURSOR "opd:phone:cursor"
//  opd:aht:{team}:{day} (hash of counters (EXPIRE 400 days), global): handling times measured for TEAM on UTC day DAY (whole days since 1970-01-01): p
#define OPD_KEY_AHT_FMT "opd:aht:%s:%s"
int opd_key_aht (char *buf, size_t size, const char *team, const char *day);
#define OPD_KEY_AHT_LUA(team, day) "'opd:aht:'" " .. " team " .. " "':'" " .. " day
//  opd:rate:web:{kind}:{hash} (string (counter, PX window), global): requests in the current window of channels.web.rate_limit: kind addr (API reques
#define OPD_KEY_RATE_WEB_FMT "opd:rate:web:%s:%s"
int opd_key_rate_web (char *buf, size_t size, const char *kind, const char *hash);
#define OPD_KEY_RATE_WEB_LUA(kind, hash) "'opd:rate:web:'" " .. " kind " .. " "':'" " .. " hash
//  opd:session:{sha256} (string v1 TOKEN_SHA256 CSRF EXPIRES_MS, or v2 CSRF EXPIRES_MS EMAIL (signed in by a mailed link) (PX = the session's life), global): a portal or console session, by the SHA-256 of its cookie's random id
#define OPD_KEY_SESSION_FMT "opd:session:%s"
int opd_key_session (char *buf, size_t size, const char *sha256);
#define OPD_KEY_SESSION_LUA(sha256) "'opd:session:'" " .. " sha256
//  opd:signin:{sha256} (string EMAIL (PX = channels.web.email_signin_link), global): a sign-in link mailed to a requester, by the SHA-256 of its random token (the to
#define OPD_KEY_SIGNIN_FMT "opd:signin:%s"
int opd_key_signin (char *buf, size_t size, const char *sha256);
#define OPD_KEY_SIGNIN_LUA(sha256) "'opd:signin:'" " .. " sha256
//  opd:details:{sha256} (string TICKET_ID (PX = channels.web.details_link), global): a link mailed to a requester to give the missing details of a ticket, by the SHA
#define OPD_KEY_DETAILS_FMT "opd:details:%s"
int opd_key_details (char *buf, size_t size, const char *sha256);
#define OPD_KEY_DETAILS_LUA(sha256) "'opd:details:'" " .. " sha256
//  opd:rating:{sha256} (string TICKET_ID|good or TICKET_ID|bad (PX = channels.web.rating_link), global): a satisfaction rating link mailed to a requester, by the SHA-256 of its random t
#define OPD_KEY_RATING_LINK_FMT "opd:rating:%s"
int opd_key_rating_link (char *buf, size_t size, const char *sha256);
#define OPD_KEY_RATING_LINK_LUA(sha256) "'opd:rating:'" " .. " sha256
//  opd:ratings (zset (rated_at ms), global): rated tickets by when they were last rated (ticket ids only)
#define OPD_KEY_RATINGS "opd:ratings"
//  opd:alive:{name} (string HOST:PID, expires after 5 s (PX), global): the heartbeat of service NAME (intake, router, slo, notifier, anonymiser, email,
#define OPD_KEY_ALIVE_FMT "opd:alive:%s"
int opd_key_alive (char *buf, size_t size, const char *name);
#define OPD_KEY_ALIVE_LUA(name) "'opd:alive:'" " .. " name
//  opd:rota:abs:{id} (hash, global): an absence (id: A + number, not a ticket id): id, agent, kind (annual_leave, sic
#define OPD_KEY_ROTA_ABS_FMT "opd:rota:abs:%s"
int opd_key_rota_abs (char *buf, size_t size, const char *id);
#define OPD_KEY_ROTA_ABS_LUA(id) "'opd:rota:abs:'" " .. " id
//  opd:rota:abs:seq (string (counter), global): absence ids
#define OPD_KEY_ROTA_ABS_SEQ "opd:rota:abs:seq"
//  opd:rota:abs:end (zset (to ms), global): every absence by its end: ZRANGEBYSCORE (FROM +inf then from < TO gives those th
#define OPD_KEY_ROTA_ABS_END "opd:rota:abs:end"
//  opd:rota:abs:agent:{agent} (zset (to ms), global): one agent's absences by their end
#define OPD_KEY_ROTA_ABS_AGENT_FMT "opd:rota:abs:agent:%s"
int opd_key_rota_abs_agent (char *buf, size_t size, const char *agent);
#define OPD_KEY_ROTA_ABS_AGENT_LUA(agent) "'opd:rota:abs:agent:'" " .. " agent
//  opd:rota:ovr:{id} (hash, global): a rota override (id: O + number, not a ticket id): id, agent, team, kind (extra,
#define OPD_KEY_ROTA_OVR_FMT "opd:rota:ovr:%s"
int opd_key_rota_ovr (char *buf, size_t size, const char *id);
#define OPD_KEY_ROTA_OVR_LUA(id) "'opd:rota:ovr:'" " .. " id
//  opd:rota:ovr:seq (string (counter), global): override ids
#define OPD_KEY_ROTA_OVR_SEQ "opd:rota:ovr:seq"
//  opd:rota:ovr:end (zset (to ms), global): every override by its end
#define OPD_KEY_ROTA_OVR_END "opd:rota:ovr:end"
//  opd:rota:feed:{id} (hash, global): an iCalendar feed of the rota (id: F + number): id, team or agent, hash (SHA-256
#define OPD_KEY_ROTA_FEED_FMT "opd:rota:feed:%s"
int opd_key_rota_feed (char *buf, size_t size, const char *id);
#define OPD_KEY_ROTA_FEED_LUA(id) "'opd:rota:feed:'" " .. " id
//  opd:rota:feed:token:{sha256} (string, global): the feed id of a token, by the SHA-256 of the token
#define OPD_KEY_ROTA_FEED_TOKEN_FMT "opd:rota:feed:token:%s"
int opd_key_rota_feed_token (char *buf, size_t size, const char *sha256);
#define OPD_KEY_ROTA_FEED_TOKEN_LUA(sha256) "'opd:rota:feed:token:'" " .. " sha256
//  opd:rota:feed:seq (string (counter), global): feed ids
#define OPD_KEY_ROTA_FEED_SEQ "opd:rota:feed:seq"
//  opd:rota:gap:{team}:{from}:{to} (string (ms), global): a gap announced as coverage.gap with phase ahead: set in the same step as the ev
#define OPD_KEY_ROTA_GAP_FMT "opd:rota:gap:%s:%s:%s"
int opd_key_rota_gap (char *buf, size_t size, const char *team, const char *from, const char *to);
#define OPD_KEY_ROTA_GAP_LUA(team, from, to) "'opd:rota:gap:'" " .. " team " .. " "':'" " .. " from " .. " "':'" " .. " to
//  opd:rota:gap:{team}:{from}:{to}:begun (string (ms), global): a gap announced as coverage.gap with phase begun: set in the same step as the ev
#define OPD_KEY_ROTA_GAP_BEGUN_FMT "opd:rota:gap:%s:%s:%s:begun"
int opd_key_rota_gap_begun (char *buf, size_t size, const char *team, const char *from, const char *to);
#define OPD_KEY_ROTA_GAP_BEGUN_LUA(team, from, to) "'opd:rota:gap:'" " .. " team " .. " "':'" " .. " from " .. " "':'" " .. " to " .. " "':begun'"
//  opd:rota:gaps:{team} (zset (gap end ms), global): the team's announced gaps not over yet, member FROM:TO:a (ahead) or FROM:TO:b (b
#define OPD_KEY_ROTA_GAPS_FMT "opd:rota:gaps:%s"
int opd_key_rota_gaps (char *buf, size_t size, const char *team);
#define OPD_KEY_ROTA_GAPS_LUA(team) "'opd:rota:gaps:'" " .. " team

typedef enum { OPD_SCOPE_TICKET, OPD_SCOPE_GLOBAL } opd_key_scope_t;
typedef struct {
    const char *name, *pattern;
    opd_key_scope_t scope;
    bool personal;
    const char *sweep;  //  how the anonymiser's sweep reads it (schema.yaml), NULL: not swept
} opd_key_info_t;
extern const opd_key_info_t opd_keys[];
extern const size_t opd_key_count;

//  --- Set members -----------------------------------------------------
//  Parts joined with '|'. make returns the length written, or -1 when it
//  does not fit; parse returns 0, or -2 when text is malformed (the id is
//  everything before the last separators, so any id parses).
//  ID|CLOCK|KIND: a running clock's one timer in opd:timers: its warning (w) while that is to come, then its breach (b)
typedef struct {
    char id[OPD_ID_MAX + 1];
    opd_clock_t clock;
    char kind;
} opd_member_timer_t;
int opd_member_timer_make (char *buf, size_t size, const opd_member_timer_t *m);
int opd_member_timer_parse (const char *text, size_t len, opd_member_timer_t *m);
//  ID|CLOCK: a warned clock still running, in opd:slo:risk
typedef struct {
    char id[OPD_ID_MAX + 1];
    opd_clock_t clock;
} opd_member_risk_t;
int opd_member_risk_make (char *buf, size_t size, const opd_member_risk_t *m);
int opd_member_risk_parse (const char *text, size_t len, opd_member_risk_t *m);
//  ID|DUE: a finished clock in opd:slo:done:*: the ticket and the clock's due time (empty when it had none)
typedef struct {
    char id[OPD_ID_MAX + 1];
    int64_t due;
} opd_member_done_t;
int opd_member_done_make (char *buf, size_t size, const opd_member_done_t *m);
int opd_member_done_parse (const char *text, size_t len, opd_member_done_t *m);
//  ID|CLOCK|MET: a met first-response or resolution clock waiting to be measured, in opd:slo:measure
typedef struct {
    char id[OPD_ID_MAX + 1];
    opd_clock_t clock;
    int64_t met;
} opd_member_measure_t;
int opd_member_measure_make (char *buf, size_t size, const opd_member_measure_t *m);
int opd_member_measure_parse (const char *text, size_t len, opd_member_measure_t *m);
#define OPD_MEMBER_MAX (OPD_ID_MAX + 48)  //  room for any member and its NUL

//  --- Events ----------------------------------------------------------
#define OPD_EV_TICKET_CREATED "ticket.created"
#define OPD_EV_TICKET_ROUTED "ticket.routed"
#define OPD_EV_TICKET_UPDATED "ticket.updated"
#define OPD_EV_TICKET_RESOLVED "ticket.resolved"
#define OPD_EV_TICKET_CLOSED "ticket.closed"
#define OPD_EV_TICKET_REOPENED "ticket.reopened"
#define OPD_EV_TICKET_COMMENTED "ticket.commented"
#define OPD_EV_TICKET_ANONYMISED "ticket.anonymised"
#define OPD_EV_TICKET_RATED "ticket.rated"
#define OPD_EV_SLO_WARNING "slo.warning"
#define OPD_EV_SLO_BREACH "slo.breach"
#define OPD_EV_SLO_MET "slo.met"
#define OPD_EV_SLO_BURN "slo.burn"
#define OPD_EV_KEY_DESTROYED "key.destroyed"
#define OPD_EV_COVERAGE_GAP "coverage.gap"
typedef struct {
    const char *topic;
    bool ticket_id;     //  carries ticket_id
    const char *keys;   //  the further keys, space separated
    bool personal;      //  may hold personal data: swept from opd:events once its ticket is anonymised
} opd_event_info_t;
extern const opd_event_info_t opd_events[];
extern const size_t opd_event_count;
//  The keys that events type ms (times), "at" first; NULL-terminated.
extern const char *const opd_event_time_keys[];

//  --- intake.submit ---------------------------------------------------
typedef struct {
    const char *key, *type;
    bool required, personal;
} opd_intake_key_t;
extern const opd_intake_key_t opd_intake_keys[];
extern const size_t opd_intake_key_count;
#endif
