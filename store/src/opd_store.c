/*  opd_store: see opd_store.h.

    Each script's ARGV is written here and nowhere else, in the order the
    script's header comment (common/lua/NAME.lua) gives; each reply shape is
    decoded here and nowhere else. */
#include "opd_store.h"
#include "opd_log.h"
#include "opd_util.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --- Script calls -------------------------------------------------------

//  ARGV[1] and ARGV[2] of every script: the caller's clock, the length the
//  event history is trimmed to (prelude.lua).
static void
s_begin (opd_store_call_t *c, opd_script_t script, const opd_config_t *cfg, int64_t now)
{
    c->script = script;
    opd_args_init (&c->args);
    opd_args_addi (&c->args, now);
    opd_args_addi (&c->args, cfg->events_max_len);
}

void
opd_store_call_free (opd_store_call_t *c)
{
    opd_args_free (&c->args);
}

redisReply *
opd_store_call_run (opd_redis_t *redis, const opd_store_call_t *c)
{
    return opd_redis_script (redis, c->script, &c->args);
}

int
opd_store_call_append (opd_redis_t *redis, const opd_store_call_t *c)
{
    return opd_redis_append_script (redis, c->script, &c->args);
}

//  -2 for an error reply or one of the wrong shape, logged with the script.
static int
s_bad (opd_script_t script, const redisReply *r)
{
    opd_error ("%s script failed: %s", opd_redis_script_name (script) + strlen ("opd_"),
               r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    return -2;
}

static const char *
s_or_empty (const char *s)
{
    return s ? s : "";
}

void
opd_store_create_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const opd_store_create_t *in)
{
    s_begin (c, OPD_SCRIPT_CREATE, cfg, now);
    opd_args_add (&c->args, cfg->ticket_prefix);
    opd_args_add (&c->args, in->channel);
    opd_args_add (&c->args, in->external_id);
    opd_args_add (&c->args, s_or_empty (in->reply_to));
    opd_args_add (&c->args, s_or_empty (in->author));
    for (int i = 0; in->fields && i < in->fields->n; i++)
        opd_args_addn (&c->args, in->fields->v[i], in->fields->len[i]);
    //  Control pairs (names starting with '_'), which create.lua takes out
    //  before it stores the ticket.
    if (in->sender_check) {
        opd_args_add (&c->args, "_sender_check");
        opd_args_add (&c->args, "1");
    }
    if (in->from_agent) {
        opd_args_add (&c->args, "_from_agent");
        opd_args_add (&c->args, "1");
    }
    if (in->agent_address) {
        opd_args_add (&c->args, "_agent_address");
        opd_args_add (&c->args, "1");
    }
}

int
opd_store_create_reply (const redisReply *r, opd_store_created_t *out)
{
    memset (out, 0, sizeof *out);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !opd_reply_str (r, 0))
        return s_bad (OPD_SCRIPT_CREATE, r);
    out->ticket_id = opd_reply_str (r, 0);
    out->created = opd_reply_int (r, 1) == 1;
    out->kind = s_or_empty (opd_reply_str (r, 2));
    return 0;
}

void
opd_store_route_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *id,
                      const opd_store_route_t *d)
{
    s_begin (c, OPD_SCRIPT_ROUTE, cfg, now);
    opd_args_add (&c->args, id);
    opd_args_add (&c->args, s_or_empty (d->team));
    opd_args_add (&c->args, s_or_empty (d->category));
    opd_args_add (&c->args, s_or_empty (d->priority));
    opd_args_add (&c->args, s_or_empty (d->rule));
    opd_args_add (&c->args, s_or_empty (d->standard_response));
    opd_args_add (&c->args, s_or_empty (d->tags));
    opd_args_add (&c->args, s_or_empty (d->assignee));
}

//  An integer reply.
static int
s_int_reply (opd_script_t script, const redisReply *r, int *out)
{
    if (!r || r->type != REDIS_REPLY_INTEGER)
        return s_bad (script, r);
    *out = (int) r->integer;
    return 0;
}

int
opd_store_route_reply (const redisReply *r, int *routed)
{
    return s_int_reply (OPD_SCRIPT_ROUTE, r, routed);
}

void
opd_store_arm_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *id,
                    const char *version_seen, const char *policy, const opd_store_clock_t *clocks, size_t n)
{
    s_begin (c, OPD_SCRIPT_ARM, cfg, now);
    opd_args_add (&c->args, id);
    opd_args_add (&c->args, s_or_empty (version_seen));
    opd_args_add (&c->args, s_or_empty (policy));
    //  Five values per clock.
    for (size_t i = 0; i < n; i++) {
        opd_args_add (&c->args, opd_clock_ids[clocks[i].clock]);
        opd_args_addi (&c->args, clocks[i].due);
        opd_args_addi (&c->args, clocks[i].warn);
        opd_args_add (&c->args, opd_clock_states[clocks[i].paused ? OPD_CLOCK_PAUSED : OPD_CLOCK_RUNNING]);
        opd_args_addi (&c->args, clocks[i].target);
    }
}

int
opd_store_arm_reply (const redisReply *r, int *result)
{
    return s_int_reply (OPD_SCRIPT_ARM, r, result);
}

void
opd_store_fire_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const opd_member_timer_t *timer,
                     double ratio)
{
    s_begin (c, OPD_SCRIPT_FIRE, cfg, now);
    char member[OPD_MEMBER_MAX];
    if (opd_member_timer_make (member, sizeof member, timer) < 0)
        member[0] = 0;  //  cannot be: the timer was parsed from a member
    opd_args_add (&c->args, member);
    opd_args_addf (&c->args, "%.4f", ratio);
}

int
opd_store_fire_reply (const redisReply *r, int *fired)
{
    return s_int_reply (OPD_SCRIPT_FIRE, r, fired);
}

//  {'ok', ...}, {'not_found'}, {'closed'}, {'conflict', status, allowed},
//  {'version', current}: the answers of comment.lua and update.lua.
static int
s_result (opd_script_t script, const redisReply *r, opd_store_result_t *res)
{
    memset (res, 0, sizeof *res);
    const char *what = opd_reply_str (r, 0);
    if (!what)
        return s_bad (script, r);
    snprintf (res->what, sizeof res->what, "%s", what);
    if (!strcmp (what, "ok"))
        res->outcome = OPD_STORE_OK;
    else if (!strcmp (what, "not_found"))
        res->outcome = OPD_STORE_NOT_FOUND;
    else if (!strcmp (what, "closed"))
        res->outcome = OPD_STORE_CLOSED;
    else if (!strcmp (what, "conflict")) {
        res->outcome = OPD_STORE_CONFLICT;
        snprintf (res->from, sizeof res->from, "%s", s_or_empty (opd_reply_str (r, 1)));
        snprintf (res->allowed, sizeof res->allowed, "%s", s_or_empty (opd_reply_str (r, 2)));
    }
    else if (!strcmp (what, "version")) {
        res->outcome = OPD_STORE_VERSION;
        res->version = opd_reply_int (r, 1);
    }
    else
        res->outcome = OPD_STORE_REFUSED;
    return 0;
}

void
opd_store_comment_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const opd_store_comment_t *in)
{
    s_begin (c, OPD_SCRIPT_COMMENT, cfg, now);
    opd_args_add (&c->args, in->id);
    opd_args_add (&c->args, in->author);
    opd_args_add (&c->args, in->role);
    opd_args_add (&c->args, in->public ? "1" : "0");
    opd_args_add (&c->args, in->body);
    opd_args_add (&c->args, s_or_empty (in->standard_response));
}

int
opd_store_comment_reply (const redisReply *r, opd_store_result_t *res)
{
    int rc = s_result (OPD_SCRIPT_COMMENT, r, res);
    if (rc == 0 && res->outcome == OPD_STORE_OK)
        res->comment_id = opd_reply_int (r, 1);
    return rc;
}

//  Runs a call now and decodes its reply with decode.
static int
s_run (opd_redis_t *redis, opd_store_call_t *c, int (*decode) (const redisReply *, opd_store_result_t *),
       opd_store_result_t *res)
{
    redisReply *r = opd_store_call_run (redis, c);
    opd_store_call_free (c);
    if (!r) {
        memset (res, 0, sizeof *res);
        return -1;
    }
    int rc = decode (r, res);
    freeReplyObject (r);
    return rc;
}

int
opd_store_comment (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const opd_store_comment_t *in,
                   opd_store_result_t *res)
{
    opd_store_call_t c;
    opd_store_comment_call (&c, cfg, now, in);
    return s_run (redis, &c, opd_store_comment_reply, res);
}

void
opd_store_update_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const opd_store_update_t *in)
{
    s_begin (c, OPD_SCRIPT_UPDATE, cfg, now);
    opd_args_add (&c->args, in->id);
    opd_args_add (&c->args, in->actor);
    opd_args_add (&c->args, s_or_empty (in->expected_version));
    opd_args_add (&c->args, s_or_empty (in->note));
    for (int i = 0; in->pairs && i < in->pairs->n; i++)
        opd_args_addn (&c->args, in->pairs->v[i], in->pairs->len[i]);
}

int
opd_store_update_reply (const redisReply *r, opd_store_result_t *res)
{
    int rc = s_result (OPD_SCRIPT_UPDATE, r, res);
    if (rc == 0 && res->outcome == OPD_STORE_OK) {
        res->version = opd_reply_int (r, 1);
        res->changed = opd_reply_int (r, 2) == 1;
    }
    return rc;
}

int
opd_store_update (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const opd_store_update_t *in,
                  opd_store_result_t *res)
{
    opd_store_call_t c;
    opd_store_update_call (&c, cfg, now, in);
    return s_run (redis, &c, opd_store_update_reply, res);
}

//  Runs a call now whose reply is an integer: the integer, -1 or -2.
static int
s_run_int (opd_redis_t *redis, opd_store_call_t *c)
{
    redisReply *r = opd_store_call_run (redis, c);
    opd_script_t script = c->script;
    opd_store_call_free (c);
    if (!r)
        return -1;
    int v = 0;
    int rc = s_int_reply (script, r, &v);
    freeReplyObject (r);
    return rc ? rc : v;
}

void
opd_store_anonymise_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *id,
                          const char *rule, const char *fields_json, const char *run, const char *pseudonym,
                          const char *period)
{
    s_begin (c, OPD_SCRIPT_ANONYMISE, cfg, now);
    opd_store_anonymise_add (c, id, rule, fields_json, run, pseudonym, period);
}

void
opd_store_anonymise_add (opd_store_call_t *c, const char *id, const char *rule, const char *fields_json,
                         const char *run, const char *pseudonym, const char *period)
{
    opd_args_add (&c->args, id);
    opd_args_add (&c->args, rule);
    opd_args_add (&c->args, s_or_empty (fields_json));
    opd_args_add (&c->args, s_or_empty (run));
    opd_args_add (&c->args, s_or_empty (pseudonym));
    opd_args_add (&c->args, s_or_empty (period));
}

//  What anonymise.lua's unlink deletes, in the order of its reply.
const char *const opd_store_anon_linked[OPD_STORE_ANON_LINKED] = {"idem", "ext", "call", "phone"};
//  Values per ticket in anonymise.lua's reply: done, fields, comments,
//  history, idx, then the linked stores.
#define ANON_REPLY (5 + OPD_STORE_ANON_LINKED)

int
opd_store_anonymise_reply_at (const redisReply *r, size_t i, opd_store_anon_counts_t *counts)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % ANON_REPLY || ANON_REPLY * (i + 1) > r->elements)
        return s_bad (OPD_SCRIPT_ANONYMISE, r);
    size_t o = ANON_REPLY * i;
    if (counts) {
        *counts = (opd_store_anon_counts_t) {opd_reply_int (r, o + 1), opd_reply_int (r, o + 2),
                                             opd_reply_int (r, o + 3), opd_reply_int (r, o + 4),
                                             {0}};
        for (size_t k = 0; k < OPD_STORE_ANON_LINKED; k++)
            counts->linked[k] = opd_reply_int (r, o + 5 + k);
    }
    return (int) opd_reply_int (r, o);
}

int
opd_store_anonymise_reply (const redisReply *r, opd_store_anon_counts_t *counts)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != ANON_REPLY)
        return s_bad (OPD_SCRIPT_ANONYMISE, r);
    return opd_store_anonymise_reply_at (r, 0, counts);
}

int
opd_store_anonymise (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, const char *rule,
                     const char *fields_json, const char *run, const char *pseudonym, const char *period,
                     opd_store_anon_counts_t *counts)
{
    opd_store_call_t c;
    opd_store_anonymise_call (&c, cfg, now, id, rule, fields_json, run, pseudonym, period);
    redisReply *r = opd_store_call_run (redis, &c);
    opd_store_call_free (&c);
    if (!r)
        return -1;
    int rc = opd_store_anonymise_reply (r, counts);
    freeReplyObject (r);
    return rc;
}

long long
opd_store_anon_pending (opd_redis_t *redis)
{
    redisReply *r = opd_redis_command (redis, "ZCARD %s", OPD_KEY_ANON_PENDING);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject (r);
    return n;
}

int
opd_store_anon_run_start (opd_redis_t *redis, int64_t now, char *num, size_t size)
{
    redisReply *r = opd_redis_command (redis, "INCR %s", OPD_KEY_ANON_SEQ);
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    snprintf (num, size, "%lld", r->integer);
    freeReplyObject (r);
    char key[64];
    opd_key_anon_run (key, sizeof key, num);
    r = opd_redis_command (redis, "HSET %s started_at %lld state running", key, (long long) now);
    if (r)
        freeReplyObject (r);
    r = r ? opd_redis_command (redis, "ZADD %s %lld %s", OPD_KEY_ANON_RUNS, (long long) now, num) : NULL;
    if (!r)
        return -1;
    freeReplyObject (r);
    return 0;
}

int
opd_store_anon_receipt (opd_redis_t *redis, const char *run, int64_t now, bool ok, const opd_args_t *pairs)
{
    char key[64];
    opd_key_anon_run (key, sizeof key, run);
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "HSET");
    opd_args_add (&a, key);
    opd_args_add (&a, "state");
    opd_args_add (&a, ok ? "done" : "failed");
    opd_args_add (&a, "finished_at");
    opd_args_addi (&a, now);
    for (int i = 0; i < pairs->n; i++)
        opd_args_addn (&a, pairs->v[i], pairs->len[i]);
    redisReply *r = opd_redis_argv (redis, &a);
    opd_args_free (&a);
    if (r)
        freeReplyObject (r);
    r = r ? opd_redis_command (redis, "EXPIRE %s %d", key, 400 * 86400) : NULL;
    if (!r)
        return -1;
    freeReplyObject (r);
    return 0;
}

long long
opd_store_pseudo_destroy (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *period, int batch)
{
    opd_store_call_t c;
    s_begin (&c, OPD_SCRIPT_PSEUDO_DESTROY, cfg, now);
    opd_args_add (&c.args, period);
    opd_args_addi (&c.args, batch);
    return s_run_int (redis, &c);
}

long long
opd_store_link (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const redisReply *keys)
{
    opd_store_call_t c;
    s_begin (&c, OPD_SCRIPT_LINK, cfg, now);
    for (size_t i = 0; i < keys->elements; i++)
        if (keys->element[i]->type == REDIS_REPLY_STRING)
            opd_args_add (&c.args, keys->element[i]->str);
    return s_run_int (redis, &c);
}

int
opd_store_hold (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, const char *by,
                const char *reason)
{
    opd_store_call_t c;
    s_begin (&c, OPD_SCRIPT_HOLD, cfg, now);
    opd_args_add (&c.args, id);
    opd_args_add (&c.args, by);
    opd_args_add (&c.args, s_or_empty (reason));
    return s_run_int (redis, &c);
}

int
opd_store_rate (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, const char *rating,
                const char *comment)
{
    opd_store_call_t c;
    s_begin (&c, OPD_SCRIPT_RATE, cfg, now);
    opd_args_add (&c.args, id);
    opd_args_add (&c.args, rating);
    opd_args_add (&c.args, s_or_empty (comment));
    return s_run_int (redis, &c);
}

int
opd_store_attach (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, const char *by,
                  const char *meta_json, int max)
{
    opd_store_call_t c;
    s_begin (&c, OPD_SCRIPT_ATTACH, cfg, now);
    opd_args_add (&c.args, id);
    opd_args_add (&c.args, by);
    opd_args_add (&c.args, meta_json);
    opd_args_addi (&c.args, max);
    return s_run_int (redis, &c);
}

void
opd_store_outbox_done_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *job, size_t len,
                            const char *outcome, const char *ticket, const char *detail,
                            const char *held_response, const char *held_variable)
{
    s_begin (c, OPD_SCRIPT_OUTBOX_DONE, cfg, now);
    opd_args_addn (&c->args, job, len);
    opd_args_add (&c->args, outcome);
    opd_args_add (&c->args, s_or_empty (ticket));
    opd_args_add (&c->args, s_or_empty (detail));
    opd_args_add (&c->args, s_or_empty (held_response));
    opd_args_add (&c->args, s_or_empty (held_variable));
}

void
opd_store_outbox_retry_call (opd_store_call_t *c, const opd_config_t *cfg, int64_t now, const char *job,
                             size_t len, const char *again, int64_t at)
{
    s_begin (c, OPD_SCRIPT_OUTBOX_RETRY, cfg, now);
    opd_args_addn (&c->args, job, len);
    if (again)
        opd_args_add (&c->args, again);
    else
        opd_args_addn (&c->args, job, len);
    opd_args_addi (&c->args, at);
}

int
opd_store_outbox_promote (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, bool at_start)
{
    opd_store_call_t c;
    s_begin (&c, OPD_SCRIPT_OUTBOX_PROMOTE, cfg, now);
    opd_args_add (&c.args, at_start ? "start" : "");
    return s_run_int (redis, &c);
}

redisReply *
opd_store_outbox_take (opd_redis_t *redis, double timeout_s)
{
    return opd_redis_command (redis, "BLMOVE %s %s RIGHT LEFT %.3f", OPD_KEY_OUTBOX_READY, OPD_KEY_OUTBOX_BUSY,
                              timeout_s);
}

int
opd_store_emit_once (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *topic, const char *event,
                     size_t len, const char *once)
{
    opd_store_call_t c;
    s_begin (&c, OPD_SCRIPT_EMIT, cfg, now);
    opd_args_add (&c.args, topic);
    opd_args_addn (&c.args, event, len);
    opd_args_add (&c.args, once);
    return s_run_int (redis, &c);
}

int
opd_store_burn_emit (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *policy, const char *slo,
                     const char *window, const char *event, size_t len)
{
    char key[512];
    if (opd_key_slo_burn (key, sizeof key, policy, slo, window) < 0)
        return -2;
    return opd_store_emit_once (redis, cfg, now, OPD_EV_SLO_BURN, event, len, key);
}

//  A command whose reply is an integer: the integer, -1 or -2.
static long long
s_int_command (redisReply *r)
{
    if (!r)
        return -1;
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -2;
    if (r->type != REDIS_REPLY_INTEGER)
        opd_error ("Redis refused a command: %s", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    freeReplyObject (r);
    return v;
}

int
opd_store_burn_clear (opd_redis_t *redis, const char *policy, const char *slo, const char *window)
{
    char key[512];
    if (opd_key_slo_burn (key, sizeof key, policy, slo, window) < 0)
        return -2;
    return (int) s_int_command (opd_redis_command (redis, "DEL %s", key));
}

//  --- Work sets and timers -----------------------------------------------

redisReply *
opd_store_unrouted (opd_redis_t *redis, int n)
{
    return opd_redis_command (redis, "ZRANGE %s 0 %d", OPD_KEY_UNROUTED, n - 1);
}

redisReply *
opd_store_unrouted_before (opd_redis_t *redis, int64_t cutoff, long offset, int n)
{
    return opd_redis_command (redis, "ZRANGE %s -inf (%lld BYSCORE LIMIT %ld %d", OPD_KEY_UNROUTED,
                              (long long) cutoff, offset, n);
}

redisReply *
opd_store_slo_work (opd_redis_t *redis, int n)
{
    return opd_redis_command (redis, "ZRANGE %s 0 %d", OPD_KEY_SLO_WORK, n - 1);
}

int
opd_store_slo_work_append (opd_redis_t *redis, const char *id, int64_t now)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "ZADD");
    opd_args_add (&a, OPD_KEY_SLO_WORK);
    opd_args_add (&a, "NX");
    opd_args_addi (&a, now);
    opd_args_add (&a, id);
    int rc = opd_redis_append_argv (redis, &a);
    opd_args_free (&a);
    return rc;
}

redisReply *
opd_store_timers_due (opd_redis_t *redis, int64_t now, int n)
{
    return opd_redis_command (redis, "ZRANGEBYSCORE %s -inf %lld WITHSCORES LIMIT 0 %d", OPD_KEY_TIMERS,
                              (long long) now, n);
}

int
opd_store_timer_next (opd_redis_t *redis, int64_t *at)
{
    redisReply *r = opd_redis_command (redis, "ZRANGE %s 0 0 WITHSCORES", OPD_KEY_TIMERS);
    if (!r)
        return -1;
    int rc = 0;
    *at = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        const char *score = opd_reply_str (r, 1);
        *at = score ? (int64_t) strtod (score, NULL) : 0;
        rc = 1;
    }
    else if (r->type != REDIS_REPLY_ARRAY)
        rc = -2;
    freeReplyObject (r);
    return rc;
}

redisReply *
opd_store_timers_all (opd_redis_t *redis)
{
    return opd_redis_command (redis, "ZRANGE %s 0 -1", OPD_KEY_TIMERS);
}

int
opd_store_timer_drop (opd_redis_t *redis, const char *member)
{
    return s_int_command (opd_redis_command (redis, "ZREM %s %s", OPD_KEY_TIMERS, member)) == -1 ? -1 : 0;
}

redisReply *
opd_store_closed_range (opd_redis_t *redis, int64_t until, long long offset, int n)
{
    return opd_redis_command (redis, "ZRANGEBYSCORE %s -inf %lld WITHSCORES LIMIT %lld %d", OPD_KEY_CLOSED,
                              (long long) until, offset, n);
}

long long
opd_store_closed_count (opd_redis_t *redis, int64_t since, int64_t until)
{
    redisReply *r = opd_redis_command (redis, "ZCOUNT %s (%lld %lld", OPD_KEY_CLOSED, (long long) since,
                                       (long long) until);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject (r);
    return n;
}

redisReply *
opd_store_resolved_range (opd_redis_t *redis, int64_t until, long long offset, int n)
{
    return opd_redis_command (redis, "ZRANGEBYSCORE %s -inf %lld LIMIT %lld %d", OPD_KEY_RESOLVED,
                              (long long) until, offset, n);
}

int
opd_store_resolved_fix (opd_redis_t *redis, const char *id, int64_t at)
{
    redisReply *r = at > 0 ? opd_redis_command (redis, "ZADD %s %lld %s", OPD_KEY_RESOLVED, (long long) at, id)
                           : opd_redis_command (redis, "ZREM %s %s", OPD_KEY_RESOLVED, id);
    if (!r)
        return -1;
    freeReplyObject (r);
    return 0;
}

//  --- The event history ---------------------------------------------------

int
opd_store_events_last (opd_redis_t *redis, char *id, size_t size)
{
    redisReply *r = opd_redis_command (redis, "XREVRANGE %s + - COUNT 1", OPD_KEY_EVENTS);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_ARRAY ? 0 : -2;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        snprintf (id, size, "%s", r->element[0]->element[0]->str);
    else
        snprintf (id, size, "0-0");
    freeReplyObject (r);
    return rc;
}

redisReply *
opd_store_events_after (opd_redis_t *redis, const char *after, int count)
{
    return opd_redis_command (redis, "XRANGE %s (%s + COUNT %d", OPD_KEY_EVENTS, after, count);
}

redisReply *
opd_store_events_wait (opd_redis_t *redis, const char *after, int count, int block_ms)
{
    return opd_redis_command (redis, "XREAD COUNT %d BLOCK %d STREAMS %s %s", count, block_ms, OPD_KEY_EVENTS,
                              after);
}
