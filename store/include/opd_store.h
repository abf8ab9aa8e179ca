/*  opd_store: the one owner of the ticket in Redis.

    Every change to a ticket is one Lua script (common/lua/); this class is
    the only C code that knows a script's ARGV order, the shape of its reply,
    a Redis key or a set member's format (the last two through the generated
    opd_schema.h, from proto/schema.yaml). Services call it; they never spell
    'opd:' or build a script's arguments themselves.

    A script call is built once (opd_store_X_call, which writes the ARGV in
    the script's order) and then either run now (opd_store_call_run) or
    appended to a pipeline (opd_store_call_append, replies read with
    opd_redis_get_reply). Replies are decoded by opd_store_X_reply. For the
    calls that are never pipelined there is a one-step function
    (opd_store_comment, opd_store_update, opd_store_anonymise, ...).

    The ticket is read from its hash in one place, opd_store_ticket_read,
    into opd_ticket_t (generated: one member per field, each clock's fields
    in clock[OPD_CLOCK_*]).

    Return values follow hiredis and czmq: 0 or a count when it worked, -1
    when Redis could not be reached (opd_redis_error says why), -2 when
    Redis answered with an error or a reply of the wrong shape (logged once
    here, with the script's name). Strings in results are borrowed from the
    reply they were read from unless said otherwise. */
#ifndef OPD_STORE_H_INCLUDED
#define OPD_STORE_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include <stdbool.h>
#include <stdint.h>

//  --- Script calls -------------------------------------------------------

//  One script call: which script, and its ARGV (ARGV[1] now, ARGV[2]
//  events.max_len, then the script's own). Owns its arguments.
typedef struct {
    opd_script_t script;
    opd_args_t args;
} opd_store_call_t;

void opd_store_call_free (opd_store_call_t *c);
//  Runs it now (reloading scripts once after a Redis restart); the reply is
//  the caller's to free, NULL when Redis could not be reached.
redisReply *opd_store_call_run (opd_redis_t *redis, const opd_store_call_t *c);
//  Appends it to the pipeline; 0, or -1 when Redis could not be reached.
int opd_store_call_append (opd_redis_t *redis, const opd_store_call_t *c);

//  create.lua: a new ticket, or a reply threaded onto one, idempotently on
//  (channel, external_id).
typedef struct {
    const char *channel, *external_id;
    const char *reply_to;        //  NULL or "": none
    const char *author;          //  history and comment author
    const opd_args_t *fields;    //  field/value pairs of the ticket hash (OPD_F_*)
    bool sender_check;           //  a reply lands only from the requester, a participant or an agent
    bool from_agent;             //  the adapter verified the sender is an agent
    bool agent_address;          //  the sender's address is an agent's, not verified (decision 184)
} opd_store_create_t;
void opd_store_create_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now,
                            const opd_store_create_t *in);
typedef struct {
    const char *ticket_id;
    bool created;
    const char *kind;  //  "ticket", "comment" (a reply), "repeat"
} opd_store_created_t;
int opd_store_create_reply (const redisReply *r, opd_store_created_t *out);

//  route.lua: the router's decision, written once per ticket. "" or NULL
//  leaves team, category, rule, standard_response, tags and assignee unset.
//  tags is a JSON array of text.
typedef struct {
    const char *team, *category, *priority, *rule, *standard_response, *tags, *assignee;
} opd_store_route_t;
void opd_store_route_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *id,
                           const opd_store_route_t *d);
//  *routed: 1 routed now, 0 routed already or gone.
int opd_store_route_reply (const redisReply *r, int *routed);

//  arm.lua: the clocks opdesk-slo computed, applied only if the ticket's
//  version is still version_seen. policy NULL or "": none applies.
typedef struct {
    opd_clock_t clock;
    int64_t due, warn;   //  ms; warn 0 = no warning
    int64_t target;      //  ms of working time
    bool paused;
} opd_store_clock_t;
void opd_store_arm_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *id,
                         const char *version_seen, const char *policy, const opd_store_clock_t *clocks,
                         size_t n);
//  *result: 1 applied, 0 ticket gone, -1 changed meanwhile (compute again).
int opd_store_arm_reply (const redisReply *r, int *result);

//  fire.lua: one timer of opd:timers, once. ratio: the elapsed share of the
//  target, for a warning's event.
void opd_store_fire_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now,
                          const opd_member_timer_t *timer, double ratio);
//  *fired: 1 fired, 0 nothing to do (moved, met, fired already).
int opd_store_fire_reply (const redisReply *r, int *fired);

//  comment.lua: a comment on a ticket. role: agent, requester or system.
typedef struct {
    const char *id, *author, *role;
    bool public;
    const char *body;
    const char *standard_response;  //  NULL or "": none
} opd_store_comment_t;
typedef enum {
    OPD_STORE_OK = 0,
    OPD_STORE_NOT_FOUND,  //  no such ticket
    OPD_STORE_CLOSED,     //  comment: the ticket is closed
    OPD_STORE_CONFLICT,   //  update: the move is not allowed (from, allowed)
    OPD_STORE_VERSION,    //  update: the version was not the expected one (version)
    OPD_STORE_REFUSED     //  an answer this code does not know (what)
} opd_store_outcome_t;
typedef struct {
    opd_store_outcome_t outcome;
    long long comment_id;     //  comment: the new comment's id
    long long version;        //  update: the version now (OK) or the current one (VERSION)
    bool changed;             //  update: anything changed
    char from[16];            //  update CONFLICT: the status it is in
    char allowed[96];         //  update CONFLICT: the moves allowed from it, comma separated
    char what[32];            //  the script's first answer word
} opd_store_result_t;
void opd_store_comment_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now,
                             const opd_store_comment_t *in);
int opd_store_comment_reply (const redisReply *r, opd_store_result_t *res);
//  Runs comment.lua now: 0 with res filled in, -1 / -2 as above.
int opd_store_comment (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const opd_store_comment_t *in,
                       opd_store_result_t *res);

//  update.lua: field changes and workflow moves. pairs: field/value ("" clears).
typedef struct {
    const char *id, *actor;
    const char *expected_version;  //  "" or NULL: any
    const char *note;
    const opd_args_t *pairs;
} opd_store_update_t;
void opd_store_update_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now,
                            const opd_store_update_t *in);
int opd_store_update_reply (const redisReply *r, opd_store_result_t *res);
int opd_store_update (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const opd_store_update_t *in,
                      opd_store_result_t *res);

//  anonymise.lua: the personal data of one closed ticket (PERSONAL of the
//  schema); fields_json: the custom fields with personal values replaced,
//  NULL to leave them. 1 done, 0 not eligible, -1 / -2 as above.
#define OPD_STORE_ANON_LINKED 4  //  the global stores that name a ticket: idem, ext, call, phone
typedef struct {
    long long fields;    //  hash fields replaced, deleted or redacted
    long long comments;  //  comments changed
    long long history;   //  history entries changed
    long long idx;       //  index entries removed (opd:idx:req:*)
    //  Keys of the global stores that named the ticket, deleted with it, in
    //  the order of opd_store_anon_linked (schema key names).
    long long linked[OPD_STORE_ANON_LINKED];
} opd_store_anon_counts_t;
extern const char *const opd_store_anon_linked[OPD_STORE_ANON_LINKED];
//  run: the run's number (history and the hash record it); pseudonym and
//  period: the requester's keyed pseudonym and the year of its key (NULL:
//  none, the ticket becomes anonymous); counts, when not NULL, receives
//  what changed.
//  The same as a call to pipeline (opd_store_call_append) and its reply
//  decoder (1, 0 or -2).
void opd_store_anonymise_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *id,
                               const char *rule, const char *fields_json, const char *run, const char *pseudonym,
                               const char *period);
int opd_store_anonymise_reply (const redisReply *r, opd_store_anon_counts_t *counts);
//  A batch: opd_store_anonymise_call for the first ticket, then _add for
//  each other one (one atomic script for all of them); reply_at decodes the
//  i-th ticket's part of the reply (1, 0 or -2).
void opd_store_anonymise_add (opd_store_call_t *c, const char *id, const char *rule, const char *fields_json,
                              const char *run, const char *pseudonym, const char *period);
int opd_store_anonymise_reply_at (const redisReply *r, size_t i, opd_store_anon_counts_t *counts);
int opd_store_anonymise (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id,
                         const char *rule, const char *fields_json, const char *run, const char *pseudonym,
                         const char *period, opd_store_anon_counts_t *counts);

//  The anonymiser's runs (opd:anon:*). run_start numbers a new run (written
//  into num) and records it as running; receipt records how it ended and
//  its counts (pairs: field, value, ...), kept 400 days. 0 or -1.
//  How many anonymised tickets wait for their sweep (opd:anon:pending); -1.
long long opd_store_anon_pending (opd_redis_t *redis);
int opd_store_anon_run_start (opd_redis_t *redis, int64_t now, char *num, size_t size);
int opd_store_anon_receipt (opd_redis_t *redis, const char *run, int64_t now, bool ok, const opd_args_t *pairs);

//  pseudo_destroy.lua: marks period's pseudonym key destroyed (once, with
//  the event key.destroyed) and turns up to batch of its tickets from
//  pseudonymised to anonymous. Returns how many are left, or -1 / -2.
long long opd_store_pseudo_destroy (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *period,
                                    int batch);

//  link.lua: the idempotency keys named in keys (a SCAN batch of
//  opd:idem:*) that name a ticket whose first message they are not become
//  links of that ticket (docs/decisions.md 164). Returns how many were
//  recorded, or -1 / -2.
long long opd_store_link (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const redisReply *keys);

//  hold.lua: sets a legal hold on the ticket (reason not NULL or empty) or
//  lifts it (reason NULL or ""), as by (a lead or admin), with a history
//  entry. 1 changed, 0 nothing to do (already so), 2 no such ticket, -1 / -2.
int opd_store_hold (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, const char *by,
                    const char *reason);

//  rate.lua: records the requester's rating ("good" or "bad") of ticket id
//  with comment (NULL or "": none), replacing an earlier one, with a
//  history entry and the event ticket.rated. 1 recorded, 2 no such ticket,
//  3 anonymised, -1 / -2.
int opd_store_rate (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, const char *rating,
                    const char *comment);
//  attach.lua: adds one attachment's metadata (meta_json: an object of name,
//  content_type, size, sha256) to the ticket as by, with a history entry and
//  ticket.updated, keeping at most max. 1 added, 0 already there (same name
//  and body), 2 no such ticket, 3 closed, 4 anonymised, 5 full, -1 / -2.
int opd_store_attach (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, const char *by,
                      const char *meta_json, int max);

//  The outbox scripts (opdesk-notifier). job is the job's JSON as taken.
//  outcome: "sent" or "failed"; ticket "" when none. held_response and
//  held_variable (NULL or "": none): an acknowledgement went out without its
//  standard response, which had a variable without a value (history
//  standard_response_held, counter opd:stats:stdresp_held).
void opd_store_outbox_done_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *job,
                                 size_t len, const char *outcome, const char *ticket, const char *detail,
                                 const char *held_response, const char *held_variable);
//  again: the job as it will be retried (NULL: as taken); at: when (ms).
void opd_store_outbox_retry_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *job,
                                  size_t len, const char *again, int64_t at);
//  Due retries back to ready; at_start also returns jobs left in busy by a
//  notifier that died. Returns the number moved, -1 / -2 as above.
int opd_store_outbox_promote (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, bool at_start);
//  Moves the next job from ready to busy (BLMOVE), waiting up to timeout_s.
//  Returns the reply (a string, or nil when none came), NULL when Redis
//  could not be reached. The caller frees it.
redisReply *opd_store_outbox_take (opd_redis_t *redis, double timeout_s);

//  emit.lua: records an event of topic (msgpack map bytes) once: only when
//  the key once is not set (it is set in the same step). 1 recorded, 0 it
//  was already, -1 / -2 as above.
int opd_store_emit_once (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *topic,
                         const char *event, size_t len, const char *once);
//  emit.lua: records an slo.burn event (msgpack map bytes) once per alert:
//  only when the alert's key (opd:slo:burn:POLICY:SLO:WINDOW) is not set.
//  1 recorded, 0 it was already, -1 / -2 as above.
int opd_store_burn_emit (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *policy,
                         const char *slo, const char *window, const char *event, size_t len);
//  The alert ended: its key goes. 1 it was set, 0 not, -1 / -2 as above.
int opd_store_burn_clear (opd_redis_t *redis, const char *policy, const char *slo, const char *window);

//  --- Reading tickets ------------------------------------------------------

//  Fills t from the HGETALL reply of a ticket hash; t borrows its strings.
//  Returns true when the ticket exists (it has an id).
bool opd_store_ticket_read (opd_ticket_t *t, const redisReply *hash);
//  Appends HGETALL of the ticket to the pipeline; 0 or -1.
int opd_store_ticket_append (opd_redis_t *redis, const char *id);
//  Fills t from the HMGET reply of the n named fields (opd_store_fields_append
//  with the same names): only those are set, the rest of the hash (the body
//  above all) stays in Redis. For readers of many tickets that need a few
//  fields (opdesk-slo). True when the ticket exists (OPD_F_ID among fields).
bool opd_store_ticket_read_fields (opd_ticket_t *t, const char *const *fields, size_t n, const redisReply *values);
//  Reads one ticket now: *hash (the caller frees it) holds t's strings.
//  1 found, 0 no such ticket, -1 / -2 as above.
int opd_store_ticket_get (opd_redis_t *redis, const char *id, opd_ticket_t *t, redisReply **hash);
//  Some fields of a ticket (HMGET), appended to the pipeline or read now.
int opd_store_fields_append (opd_redis_t *redis, const char *id, const char *const *fields, size_t n);
redisReply *opd_store_fields (opd_redis_t *redis, const char *id, const char *const *fields, size_t n);
//  One field of a ticket now, as a new string; NULL when the ticket or the
//  field is not there, or when Redis failed (then *failed is true).
char *opd_store_field (opd_redis_t *redis, const char *id, const char *field, bool *failed);
//  The comment of the given id as stored (JSON text, the caller frees it),
//  NULL when there is none; *failed when Redis failed.
char *opd_store_comment_get (opd_redis_t *redis, const char *id, long long comment_id, bool *failed);
//  Remembers the first Message-ID the desk mailed on a ticket (mail_thread,
//  HSETNX). 0, or -1 when Redis could not be reached.
int opd_store_mail_thread_set (opd_redis_t *redis, const char *id, const char *message_id);

//  A field's text as ms (or any integer): false when absent, empty or not a number.
bool opd_store_ms (const char *text, int64_t *ms);
//  The same with a fallback.
int64_t opd_store_ms_or (const char *text, int64_t fallback);

//  The SLO policy of that name (a ticket's slo_policy), NULL when none is
//  configured by that name.
const opd_policy_t *opd_store_policy_named (const opd_config_t *cfg, const char *name);
//  A policy's target for a clock, ms of working time; 0 when it has none.
int64_t opd_store_policy_target (const opd_policy_t *p, opd_clock_t clock);

//  --- Work sets and timers -----------------------------------------------

//  The first n ids of a work set (ZRANGE 0 n-1). The reply is the caller's.
redisReply *opd_store_unrouted (opd_redis_t *redis, int n);
redisReply *opd_store_slo_work (opd_redis_t *redis, int n);
//  At most n ids that have waited in opd:unrouted since before cutoff (ms),
//  from the offset-th on, oldest first.
redisReply *opd_store_unrouted_before (opd_redis_t *redis, int64_t cutoff, long offset, int n);
//  Appends ZADD NX of the ticket to opd:slo:work (its clocks are computed again).
int opd_store_slo_work_append (opd_redis_t *redis, const char *id, int64_t now);
//  Timers due at now, oldest first, with their scores (ZRANGEBYSCORE ...
//  WITHSCORES LIMIT 0 n): member, score pairs.
redisReply *opd_store_timers_due (opd_redis_t *redis, int64_t now, int n);
//  When the next timer is due: 1 with *at, 0 when there is none, -1 / -2.
int opd_store_timer_next (opd_redis_t *redis, int64_t *at);
//  Every timer member (after a reload). The reply is the caller's.
redisReply *opd_store_timers_all (opd_redis_t *redis);
//  Drops a member that is not a timer. 0, -1.
int opd_store_timer_drop (opd_redis_t *redis, const char *member);

//  Closed tickets not anonymised yet, closed at or before until (ms),
//  oldest first, with scores; resolved ones the same (ids only).
redisReply *opd_store_closed_range (opd_redis_t *redis, int64_t until, long long offset, int n);
//  How many closed tickets not anonymised yet closed after since and at or
//  before until (ms); -1 when Redis failed.
long long opd_store_closed_count (opd_redis_t *redis, int64_t since, int64_t until);
redisReply *opd_store_resolved_range (opd_redis_t *redis, int64_t until, long long offset, int n);
//  Puts opd:resolved right for one ticket: at > 0 its resolved_at, 0 it is
//  not resolved any more. 0, -1.
int opd_store_resolved_fix (opd_redis_t *redis, const char *id, int64_t at);

//  --- The event history (the stream opd:events) ---------------------------

//  The id of the newest event into id (size bytes), "0-0" when there is
//  none. 0, -1 / -2 as above.
int opd_store_events_last (opd_redis_t *redis, char *id, size_t size);
//  Up to count events after the id after (XRANGE, exclusive); the reply
//  (an array of [id, [field, value...]]) is the caller's.
redisReply *opd_store_events_after (opd_redis_t *redis, const char *after, int count);
//  The same, waiting up to block_ms for one to come (XREAD BLOCK): the
//  reply is XREAD's ([[stream, entries]], or nil when none came).
redisReply *opd_store_events_wait (opd_redis_t *redis, const char *after, int count, int block_ms);
#endif
