/*  opd_anon_canary: see opd_anon_canary.h. */
#include "opd_anon_canary.h"
#include "opd_anonymise.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <fnmatch.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAR_FUTURE_MS 253402300799000LL  //  9999-12-31: no notifier takes it
#define BATCH 1000
#define LOOK 200  //  candidates looked at to decide whether a pass has work
#define DAY_MS (24LL * 3600 * 1000)

//  The global stores the canary has a copy in, by schema key name.
static const char *const s_global[] = {"idem", "ext", "call", "phone", "outbox_retry"};
#define NGLOBAL (sizeof s_global / sizeof s_global[0])

static int
s_key_index (const char *name)
{
    for (size_t i = 0; i < opd_key_count; i++)
        if (!strcmp (opd_keys[i].name, name))
            return (int) i;
    return -1;
}

//  The canary's personal values, each holding the marker.
typedef struct {
    char email[64], name[32], phone[24], msgid[80], call[40], links[80];
} s_values_t;

static void
s_values (const opd_canary_t *c, s_values_t *v)
{
    snprintf (v->email, sizeof v->email, "canary-%s@canary.invalid", c->marker);
    snprintf (v->name, sizeof v->name, "Canary %s", c->marker);
    snprintf (v->phone, sizeof v->phone, "+99%s", c->marker);
    snprintf (v->msgid, sizeof v->msgid, "<%s>", v->email);
    //  A message threaded onto it: a missed call's (links), which names the
    //  call's state.
    snprintf (v->call, sizeof v->call, "call:%s:missed", c->marker);
    snprintf (v->links, sizeof v->links, "[[\"phone\",\"%s\"]]", v->call);
}

//  One command from its words (NULL ends them); 0, or -1 when Redis failed
//  or refused it.
static int
s_cmd (opd_redis_t *redis, ...)
{
    opd_args_t a;
    opd_args_init (&a);
    va_list ap;
    va_start (ap, redis);
    for (const char *w = va_arg (ap, const char *); w; w = va_arg (ap, const char *))
        opd_args_add (&a, w);
    va_end (ap);
    redisReply *r = opd_redis_argv (redis, &a);
    opd_args_free (&a);
    int rc = !r || r->type == REDIS_REPLY_ERROR ? -1 : 0;
    if (r)
        freeReplyObject (r);
    return rc;
}

//  Whether a ticket in opd:closed (id, closed at closed_at) is due now.
static bool
s_due (opd_redis_t *redis, const opd_config_t *cfg, const char *id, int64_t closed_at, int64_t now)
{
    char key[128], rule[160];
    opd_key_ticket (key, sizeof key, id);
    redisReply *h = opd_redis_command (redis, "HMGET %s status anonymised hold category request_type", key);
    bool due = false;
    if (h && h->type == REDIS_REPLY_ARRAY && h->elements == 5) {
        const char *st = opd_reply_str (h, 0), *an = opd_reply_str (h, 1), *hold = opd_reply_str (h, 2);
        int days = opd_anonymise_rule (cfg, opd_reply_str (h, 3), opd_reply_str (h, 4), rule, sizeof rule);
        due = st && !strcmp (st, "closed") && !(an && !strcmp (an, "1")) && !(hold && !strcmp (hold, "1"))
              && closed_at + days * DAY_MS <= now;
    }
    if (h)
        freeReplyObject (h);
    return due;
}

//  Whether the pass has work: a due ticket among the first LOOK in
//  opd:closed up to the cutoff (or more of them than that), or one waiting
//  for its sweep. 1, 0, or -1. A pass with nothing to do plants nothing.
static int
s_wanted (opd_redis_t *redis, const opd_config_t *cfg, int64_t now)
{
    redisReply *r = opd_redis_command (redis, "ZRANGEBYSCORE %s -inf %lld WITHSCORES LIMIT 0 %d", OPD_KEY_CLOSED,
                                       (long long) opd_anonymise_cutoff (cfg, now), LOOK + 1);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    int wanted = r->elements / 2 > LOOK;
    for (size_t i = 0; !wanted && i + 1 < r->elements; i += 2)
        wanted = s_due (redis, cfg, r->element[i]->str, (int64_t) strtod (r->element[i + 1]->str, NULL), now);
    freeReplyObject (r);
    if (wanted)
        return 1;
    r = opd_redis_command (redis, "ZCARD %s", OPD_KEY_ANON_PENDING);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject (r);
    return n < 0 ? -1 : n > 0;
}

static void
s_new (opd_canary_t *c)
{
    unsigned char id[8];
    randombytes_buf (id, sizeof id);
    memset (c, 0, sizeof *c);
    memcpy (c->id, OPD_CANARY_PREFIX, strlen (OPD_CANARY_PREFIX));
    sodium_bin2hex (c->id + strlen (OPD_CANARY_PREFIX), sizeof c->id - strlen (OPD_CANARY_PREFIX), id, sizeof id);
    for (size_t i = 0; i < 13; i++)
        c->marker[i] = (char) ('0' + randombytes_uniform (10));
    c->marker[13] = 0;
}

//  The ticket hash, a requester comment and a history entry.
static int
s_plant_ticket (opd_redis_t *redis, const opd_canary_t *c, const s_values_t *v, const char *now)
{
    char key[128], ck[128], hk[128], subject[128], body[128], comment[256], history[256];
    opd_key_ticket (key, sizeof key, c->id);
    opd_key_comments (ck, sizeof ck, c->id);
    opd_key_history (hk, sizeof hk, c->id);
    snprintf (subject, sizeof subject, "Access for %s", v->email);
    snprintf (body, sizeof body, "Call %s on %s", v->name, v->phone);
    snprintf (comment, sizeof comment,
              "{\"id\":1,\"author\":\"%s\",\"role\":\"requester\",\"public\":true,\"body\":\"%s\",\"at\":1}", v->email,
              body);
    snprintf (history, sizeof history, "{\"at\":1,\"actor\":\"%s\",\"action\":\"created\",\"details\":{\"phone\":\"%s\"}}",
              v->email, v->phone);
    int rc = s_cmd (redis, "HSET", key, "id", c->id, "kind", "incident", "status", "closed", "canary", "1",
                    "channel", "canary", "req_name", v->name, "req_email", v->email, "req_phone", v->phone,
                    "subject", subject, "body", body, "external_id", v->msgid, "links", v->links, "created_at", now,
                    "updated_at", now, "closed_at", "1", "ncomments", "1", NULL);
    rc = rc ? rc : s_cmd (redis, "RPUSH", ck, comment, NULL);
    return rc ? rc : s_cmd (redis, "RPUSH", hk, history, NULL);
}

//  The global keys that name the canary, as they name a real ticket: the
//  idempotency and threading keys of its first message and of the message
//  threaded onto it, that message's call, the caller's number.
typedef struct {
    char idem[128], ext[128], link_ext[128], call[128], phone[64];
} s_linked_t;

static void
s_linked (const opd_canary_t *c, const s_values_t *v, s_linked_t *k)
{
    opd_key_idem (k->idem, sizeof k->idem, "canary", v->msgid);
    opd_key_ext (k->ext, sizeof k->ext, v->msgid);
    opd_key_ext (k->link_ext, sizeof k->link_ext, v->call);
    opd_key_call (k->call, sizeof k->call, c->marker);
    opd_key_phone (k->phone, sizeof k->phone, v->phone);
}

//  The requester index and time zone, and the global stores of the sweep.
static int
s_plant_global (opd_redis_t *redis, opd_canary_t *c, const s_values_t *v, const char *now)
{
    char idx[128], tz[128], far[32];
    s_linked_t k;
    s_linked (c, v, &k);
    opd_key_idx_req (idx, sizeof idx, v->email);
    opd_key_req_tz (tz, sizeof tz, v->email);
    snprintf (c->job, sizeof c->job, "{\"id\":\"canary-%s\",\"kind\":\"canary\",\"ticket\":\"%s\",\"attempt\":1,\"queued_at\":%s}",
              c->marker, c->id, now);
    snprintf (far, sizeof far, "%lld", FAR_FUTURE_MS);
    const char *ex = "86400";
    int rc = s_cmd (redis, "ZADD", idx, "1", c->id, NULL);
    rc = rc ? rc : s_cmd (redis, "SET", tz, "UTC", "EX", ex, NULL);
    rc = rc ? rc : s_cmd (redis, "HSET", k.idem, "id", c->id, NULL);
    rc = rc ? rc : s_cmd (redis, "EXPIRE", k.idem, ex, NULL);
    rc = rc ? rc : s_cmd (redis, "SET", k.ext, c->id, "EX", ex, NULL);
    rc = rc ? rc : s_cmd (redis, "SET", k.link_ext, c->id, "EX", ex, NULL);
    rc = rc ? rc : s_cmd (redis, "HSET", k.call, "missed_ticket", c->id, "customer", v->phone, NULL);
    rc = rc ? rc : s_cmd (redis, "EXPIRE", k.call, ex, NULL);
    rc = rc ? rc : s_cmd (redis, "HSET", k.phone, "last_ticket", c->id, "email", v->email, "name", v->name, NULL);
    rc = rc ? rc : s_cmd (redis, "EXPIRE", k.phone, ex, NULL);
    return rc ? rc : s_cmd (redis, "ZADD", OPD_KEY_OUTBOX_RETRY, far, c->job, NULL);
}

int
opd_canary_plant (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, opd_canary_t *canary)
{
    memset (canary, 0, sizeof *canary);
    int wanted = s_wanted (redis, cfg, now);
    if (wanted <= 0)
        return wanted;
    if (sodium_init () < 0)
        return -1;
    s_new (canary);
    s_values_t v;
    s_values (canary, &v);
    char at[32];
    snprintf (at, sizeof at, "%lld", (long long) now);
    canary->planted = true;  //  from here on, opd_canary_finish removes what there is
    int rc = s_plant_ticket (redis, canary, &v, at);
    rc = rc ? rc : s_plant_global (redis, canary, &v, at);
    //  Last, so that the walk only ever finds a whole canary.
    return rc ? rc : s_cmd (redis, "ZADD", OPD_KEY_CLOSED, "1", canary->id, NULL);
}

bool
opd_canary_is (const char *id)
{
    return id && !strncmp (id, OPD_CANARY_PREFIX, strlen (OPD_CANARY_PREFIX));
}

//  Records that a copy was left in the store named name (once).
static void
s_left (opd_canary_t *c, const char *name)
{
    size_t n = strlen (name), len = strlen (c->stores);
    for (const char *p = c->stores; (p = strstr (p, name)); p += n)
        if ((p == c->stores || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return;
    if (len + n + 2 < sizeof c->stores)
        snprintf (c->stores + len, sizeof c->stores - len, "%s%s", len ? "," : "", name);
}

//  The schema name of a key (by its pattern), or "unknown".
static const char *
s_store_of (const char *key)
{
    for (size_t i = 0; i < opd_key_count; i++) {
        char glob[256];
        size_t o = 0;
        for (const char *p = opd_keys[i].pattern; *p && o + 1 < sizeof glob; p++) {
            if (*p != '{')
                glob[o++] = *p;
            else if ((p = strchr (p, '}')))
                glob[o++] = '*';
            else
                break;
        }
        glob[o] = 0;
        if (fnmatch (glob, key, 0) == 0)
            return opd_keys[i].name;
    }
    return "unknown";
}

//  Every key whose name holds the marker, in SCAN batches.
static int
s_look_names (opd_redis_t *redis, opd_canary_t *c)
{
    char cursor[32] = "0", match[64];
    snprintf (match, sizeof match, OPD_KEY_NAMESPACE "*%s*", c->marker);
    do {
        redisReply *r = opd_redis_command (redis, "SCAN %s MATCH %s COUNT %d", cursor, match, BATCH);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        snprintf (cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++)
            if (r->element[1]->element[i]->type == REDIS_REPLY_STRING)
                s_left (c, s_store_of (r->element[1]->element[i]->str));
        freeReplyObject (r);
    } while (strcmp (cursor, "0"));
    return 0;
}

//  Whether a reply (a string or an array of them) holds the marker.
static bool
s_holds (const redisReply *r, const char *marker)
{
    if (r->type == REDIS_REPLY_STRING)
        return memmem (r->str, r->len, marker, strlen (marker)) != NULL;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (s_holds (r->element[i], marker))
            return true;
    return false;
}

//  One read; the store name is recorded when its reply holds the marker.
static int
s_look (opd_redis_t *redis, opd_canary_t *c, const char *name, const char *cmd, const char *key)
{
    redisReply *r = strcmp (cmd, "HGETALL") ? opd_redis_command (redis, "%s %s 0 -1", cmd, key)
                                            : opd_redis_command (redis, "HGETALL %s", key);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    if (s_holds (r, c->marker))
        s_left (c, name);
    freeReplyObject (r);
    return 0;
}

//  The ticket's own keys and the fixed lists and sorted sets of the sweep.
static int
s_look_values (opd_redis_t *redis, opd_canary_t *c)
{
    char key[128], ck[128], hk[128];
    opd_key_ticket (key, sizeof key, c->id);
    opd_key_comments (ck, sizeof ck, c->id);
    opd_key_history (hk, sizeof hk, c->id);
    int rc = s_look (redis, c, "ticket", "HGETALL", key);
    rc = rc ? rc : s_look (redis, c, "comments", "LRANGE", ck);
    rc = rc ? rc : s_look (redis, c, "history", "LRANGE", hk);
    for (size_t i = 0; !rc && i < opd_key_count; i++) {
        const char *sw = opd_keys[i].sweep;
        if (!sw || strchr (opd_keys[i].pattern, '{'))
            continue;
        if (!strncmp (sw, "list ", 5))
            rc = s_look (redis, c, opd_keys[i].name, "LRANGE", opd_keys[i].pattern);
        else if (!strncmp (sw, "zset ", 5))
            rc = s_look (redis, c, opd_keys[i].name, "ZRANGE", opd_keys[i].pattern);
    }
    return rc;
}

//  The sweep's counts without the canary's share: one ticket, and one
//  member of each fixed store it was planted in and that was swept (what
//  anonymise.lua deletes with a canary is never counted: opd_anonymise.c).
static void
s_uncount (const char *stores, opd_anon_sweep_counts_t *swept)
{
    if (swept->tickets > 0)
        swept->tickets--;
    for (size_t i = 0; i < NGLOBAL; i++) {
        int k = s_key_index (s_global[i]);
        if (k < 0 || swept->removed[k] <= 0 || !strcmp (opd_keys[k].sweep, "ticket"))
            continue;
        char copy[600];
        snprintf (copy, sizeof copy, ",%s,", stores);
        char needle[64];
        snprintf (needle, sizeof needle, ",%s,", s_global[i]);
        if (!strstr (copy, needle))
            swept->removed[k]--;
    }
}

//  The canary's pseudonym period, when the run gave it one, leaves it.
static void
s_remove_pseudonym (opd_redis_t *redis, const opd_canary_t *c, const char *key)
{
    redisReply *r = opd_redis_command (redis, "HGET %s pseudonym_period", key);
    if (r && r->type == REDIS_REPLY_STRING) {
        char pk[128];
        opd_key_pseudo_period (pk, sizeof pk, r->str);
        s_cmd (redis, "ZREM", pk, c->id, NULL);
    }
    if (r)
        freeReplyObject (r);
}

//  Every trace of the canary, wherever the run left it. 0 or -1.
static int
s_remove (opd_redis_t *redis, const opd_canary_t *c)
{
    s_values_t v;
    s_values (c, &v);
    char key[128], ck[128], hk[128], dk[128], idx[128], tz[128];
    s_linked_t k;
    s_linked (c, &v, &k);
    opd_key_ticket (key, sizeof key, c->id);
    opd_key_comments (ck, sizeof ck, c->id);
    opd_key_history (hk, sizeof hk, c->id);
    opd_key_drafts (dk, sizeof dk, c->id);
    opd_key_idx_req (idx, sizeof idx, v.email);
    opd_key_req_tz (tz, sizeof tz, v.email);
    s_remove_pseudonym (redis, c, key);
    int rc = s_cmd (redis, "DEL", key, ck, hk, dk, idx, tz, k.idem, k.ext, k.link_ext, k.call, k.phone, NULL);
    rc |= s_cmd (redis, "ZREM", OPD_KEY_CLOSED, c->id, NULL);
    rc |= s_cmd (redis, "ZREM", OPD_KEY_ANONYMISED, c->id, NULL);
    rc |= s_cmd (redis, "ZREM", OPD_KEY_ANON_PENDING, c->id, NULL);
    rc |= c->job[0] ? s_cmd (redis, "ZREM", OPD_KEY_OUTBOX_RETRY, c->job, NULL) : 0;
    return rc ? -1 : 0;
}

//  The ticket keys of the canary of a run killed halfway, once its sweep
//  is done (it is anonymised and swept like any ticket, by the next run).
//  1 when removed.
static int
s_remove_old (opd_redis_t *redis, const char *id)
{
    redisReply *r = opd_redis_command (redis, "ZSCORE %s %s", OPD_KEY_ANON_PENDING, id);
    bool pending = !r || r->type != REDIS_REPLY_NIL;
    if (r)
        freeReplyObject (r);
    if (pending)
        return 0;
    opd_canary_t old = {0};
    snprintf (old.id, sizeof old.id, "%s", id);
    char key[128], ck[128], hk[128], dk[128];
    opd_key_ticket (key, sizeof key, id);
    opd_key_comments (ck, sizeof ck, id);
    opd_key_history (hk, sizeof hk, id);
    opd_key_drafts (dk, sizeof dk, id);
    s_remove_pseudonym (redis, &old, key);
    s_cmd (redis, "DEL", key, ck, hk, dk, NULL);
    return s_cmd (redis, "ZREM", OPD_KEY_ANONYMISED, id, NULL) == 0;
}

//  Canaries of runs killed halfway, in opd:anonymised (ZSCAN batches);
//  their share of this sweep's counts is taken out.
static void
s_remove_killed (opd_redis_t *redis, const char *current, opd_anon_sweep_counts_t *swept)
{
    char cursor[32] = "0";
    do {
        redisReply *r = opd_redis_command (redis, "ZSCAN %s %s MATCH %s* COUNT %d", OPD_KEY_ANONYMISED, cursor,
                                           OPD_CANARY_PREFIX, BATCH);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject (r);
            return;
        }
        snprintf (cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i + 1 < r->element[1]->elements; i += 2) {
            const char *id = r->element[1]->element[i]->str;
            if (strcmp (id, current) && s_remove_old (redis, id))
                s_uncount ("", swept);
        }
        freeReplyObject (r);
    } while (strcmp (cursor, "0"));
}

//  Looks for the marker everywhere; logs each store a copy was left in.
static int
s_check (opd_redis_t *redis, opd_canary_t *c, const char *run)
{
    if (s_look_names (redis, c) || s_look_values (redis, c))
        return -1;
    c->result = c->stores[0] ? 2 : 1;
    char copy[sizeof c->stores], *save = NULL;
    snprintf (copy, sizeof copy, "%s", c->stores);
    for (char *s = strtok_r (copy, ",", &save); s; s = strtok_r (NULL, ",", &save))
        opd_error ("canary failed run=%s store=%s: the run left a copy of the canary's personal data there", run, s);
    if (c->result == 1)
        opd_info ("canary passed run=%s", run);
    return 0;
}

int
opd_canary_finish (opd_redis_t *redis, opd_canary_t *canary, int rc, const char *run,
                   opd_anon_sweep_counts_t *swept)
{
    if (!canary->planted) {
        if (rc == 0 && swept->tickets > 0)
            s_remove_killed (redis, "", swept);
        return rc;
    }
    if (rc == 0 && s_check (redis, canary, run) < 0)
        rc = -1;
    if (rc == 0)
        s_uncount (canary->stores, swept);
    if (rc == 0)
        s_remove_killed (redis, canary->id, swept);
    if (s_remove (redis, canary) < 0)
        opd_warn ("canary not removed run=%s ticket=%s: %s", run, canary->id, opd_redis_error (redis));
    return rc == 0 && canary->result == 2 ? OPD_CANARY_FAILED : rc;
}

void
opd_canary_receipt (const opd_canary_t *canary, opd_args_t *a)
{
    if (!canary->planted)
        return;
    opd_args_add (a, "canary");
    opd_args_add (a, canary->result == 1 ? "passed" : canary->result == 2 ? "failed" : "not_checked");
    if (canary->result == 2) {
        opd_args_add (a, "canary_stores");
        opd_args_add (a, canary->stores);
    }
}
