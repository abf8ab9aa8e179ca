/*  rota_store: see opd_rota_store.h. This file stores absences and
    overrides and reads them back (rota_changes_load); coverage, the rota
    and the coverage.gap pass that read them are in opd_rota_coverage.c.

    The scripts run with EVALSHA after SCRIPT LOAD (the Redis users of
    deploy/redis-users.acl may not EVAL); a NOSCRIPT answer (Redis restarted,
    SCRIPT FLUSH) loads them again and retries once. Like the scripts of
    common/lua they take no KEYS (proto/keys.md). They stay out of the
    function library opdesk of common/lua (docs/decisions.md 153): an absence
    or override is written a few times a day by a person, not per ticket, and
    these scripts need neither the schema tables nor the prelude, so loading
    them by FCALL would save nothing measurable, while the library would then
    have to be made from two folders, one of them a service's. */
#include "opd_rota_store.h"
#include "opd_intake.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define LOOKAHEAD_DAYS_DEFAULT 14

//  ARGV: now, agent, from, to, kind, by, status. Returns {1, id} stored, or
//  {0, id} of the absence it overlaps (nothing stored).
static const char s_abs_add[] =
    "local agent, from, to = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local ids = redis.call('ZRANGEBYSCORE', " OPD_KEY_ROTA_ABS_AGENT_LUA ("agent") ", '(' .. ARGV[3], '+inf')\n"
    "for _, id in ipairs(ids) do\n"
    "  local f = tonumber(redis.call('HGET', " OPD_KEY_ROTA_ABS_LUA ("id") ", 'from'))\n"
    "  if f and f < to then return {0, id} end\n"
    "end\n"
    "local id = 'A' .. redis.call('INCR', '" OPD_KEY_ROTA_ABS_SEQ "')\n"
    "redis.call('HSET', " OPD_KEY_ROTA_ABS_LUA ("id") ", 'id', id, 'agent', agent, 'kind', ARGV[5],\n"
    "           'from', ARGV[3], 'to', ARGV[4], 'by', ARGV[6], 'created_at', ARGV[1], 'status', ARGV[7])\n"
    "redis.call('ZADD', " OPD_KEY_ROTA_ABS_AGENT_LUA ("agent") ", ARGV[4], id)\n"
    "redis.call('ZADD', '" OPD_KEY_ROTA_ABS_END "', ARGV[4], id)\n"
    "return {1, id}\n";

//  ARGV: now, id, by. Returns 1 approved, 0 unknown.
static const char s_abs_approve[] =
    "local k = " OPD_KEY_ROTA_ABS_LUA ("ARGV[2]") "\n"
    "if redis.call('EXISTS', k) == 0 then return 0 end\n"
    "redis.call('HSET', k, 'status', 'approved', 'approved_by', ARGV[3], 'approved_at', ARGV[1])\n"
    "return 1\n";

//  ARGV: now, id. Returns 1 removed, 0 unknown.
static const char s_abs_remove[] =
    "local k = " OPD_KEY_ROTA_ABS_LUA ("ARGV[2]") "\n"
    "local agent = redis.call('HGET', k, 'agent')\n"
    "if not agent then return 0 end\n"
    "redis.call('DEL', k)\n"
    "redis.call('ZREM', " OPD_KEY_ROTA_ABS_AGENT_LUA ("agent") ", ARGV[2])\n"
    "redis.call('ZREM', '" OPD_KEY_ROTA_ABS_END "', ARGV[2])\n"
    "return 1\n";

//  ARGV: now, agent, team, kind, from, to, by. Returns the id.
static const char s_ovr_add[] =
    "local id = 'O' .. redis.call('INCR', '" OPD_KEY_ROTA_OVR_SEQ "')\n"
    "redis.call('HSET', " OPD_KEY_ROTA_OVR_LUA ("id") ", 'id', id, 'agent', ARGV[2], 'team', ARGV[3],\n"
    "           'kind', ARGV[4], 'from', ARGV[5], 'to', ARGV[6], 'by', ARGV[7], 'created_at', ARGV[1])\n"
    "redis.call('ZADD', '" OPD_KEY_ROTA_OVR_END "', ARGV[6], id)\n"
    "return id\n";

//  ARGV: now, id. Returns 1 removed, 0 unknown.
static const char s_ovr_remove[] =
    "local k = " OPD_KEY_ROTA_OVR_LUA ("ARGV[2]") "\n"
    "if redis.call('EXISTS', k) == 0 then return 0 end\n"
    "redis.call('DEL', k)\n"
    "redis.call('ZREM', '" OPD_KEY_ROTA_OVR_END "', ARGV[2])\n"
    "return 1\n";

//  Runs a script of this file: SCRIPT LOAD gives its SHA-1 (the same text
//  always gives the same one, so nothing is cached but the text).
static redisReply *
s_eval (opd_redis_t *r, const char *src, opd_args_t *argv)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *sha = opd_redis_command (r, "SCRIPT LOAD %s", src);
        if (!sha)
            return NULL;
        if (sha->type != REDIS_REPLY_STRING) {
            opd_error ("rota script not loaded: %s", sha->type == REDIS_REPLY_ERROR ? sha->str : "?");
            freeReplyObject (sha);
            return NULL;
        }
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "EVALSHA");
        opd_args_add (&a, sha->str);
        opd_args_add (&a, "0");
        for (int i = 0; i < argv->n; i++)
            opd_args_addn (&a, argv->v[i], argv->len[i]);
        freeReplyObject (sha);
        redisReply *rep = opd_redis_argv (r, &a);
        opd_args_free (&a);
        if (rep && rep->type == REDIS_REPLY_ERROR && !strncmp (rep->str, "NOSCRIPT", 8)) {
            freeReplyObject (rep);
            continue;
        }
        if (rep && rep->type == REDIS_REPLY_ERROR) {
            opd_error ("rota script failed: %s", rep->str);
            freeReplyObject (rep);
            return NULL;
        }
        return rep;
    }
    return NULL;
}


static void
s_copy (char *dst, size_t size, const char *src)
{
    snprintf (dst, size, "%s", src ? src : "");
}

//  Runs src with v (then frees v); a string answer is the new record's id,
//  copied into id. 0, or -1 when Redis failed or the script answered else.
static int
s_eval_id (opd_redis_t *r, const char *src, opd_args_t *v, char *id, size_t size)
{
    redisReply *rep = s_eval (r, src, v);
    opd_args_free (v);
    int rc = rep && rep->type == REDIS_REPLY_STRING ? 0 : -1;
    if (!rc)
        s_copy (id, size, rep->str);
    if (rep)
        freeReplyObject (rep);
    return rc;
}

int64_t
rota_lookahead_ms (const opd_config_t *cfg)
{
    int days = cfg->coverage_lookahead_days > 0 ? cfg->coverage_lookahead_days : LOOKAHEAD_DAYS_DEFAULT;
    return days * DAY_MS;
}

//  --- Absences -------------------------------------------------------------

int
rota_absence_check (const opd_config_t *cfg, const rota_absence_t *a, char *key, size_t keylen,
                    char *err, size_t errlen)
{
    if (!a->agent[0] || !opd_config_agent (cfg, a->agent)) {
        snprintf (key, keylen, "agent");
        snprintf (err, errlen, "agent: unknown agent '%s'", a->agent);
        return -1;
    }
    if (!rota_kind_valid (a->kind)) {
        snprintf (key, keylen, "kind");
        snprintf (err, errlen, "kind: '%s' is not one of " ROTA_KINDS, a->kind);
        return -1;
    }
    if (a->to <= a->from) {
        snprintf (key, keylen, "to");
        snprintf (err, errlen, "to: an absence must end after it starts");
        return -1;
    }
    return 0;
}

int
rota_absence_add (opd_redis_t *r, rota_absence_t *a, int64_t now, char *clash)
{
    opd_args_t v;
    opd_args_init (&v);
    opd_args_addi (&v, now);
    opd_args_add (&v, a->agent);
    opd_args_addi (&v, a->from);
    opd_args_addi (&v, a->to);
    opd_args_add (&v, a->kind);
    opd_args_add (&v, a->by);
    opd_args_add (&v, rota_absence_counts (a) ? "approved" : "requested");
    redisReply *rep = s_eval (r, s_abs_add, &v);
    opd_args_free (&v);
    if (!rep)
        return -1;
    int rc = -1;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
        if (opd_reply_int (rep, 0) == 1) {
            s_copy (a->id, sizeof a->id, opd_reply_str (rep, 1));
            a->created_at = now;
            rc = 0;
        }
        else {
            if (clash)
                s_copy (clash, 32, opd_reply_str (rep, 1));
            rc = 1;
        }
    }
    freeReplyObject (rep);
    return rc;
}

static const char *
s_field (const redisReply *h, const char *name)
{
    for (size_t i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
        if (!strcmp (opd_reply_str (h, i), name))
            return opd_reply_str (h, i + 1);
    return NULL;
}

static int64_t
s_num (const redisReply *h, const char *name)
{
    const char *v = s_field (h, name);
    return v ? strtoll (v, NULL, 10) : 0;
}

//  A key builder of the schema (opd_key_rota_abs, opd_key_rota_ovr).
typedef int (opd_key_fn) (char *buf, size_t size, const char *id);

//  HGETALL of a record; 1 when it does not exist.
static int
s_hgetall (opd_redis_t *r, opd_key_fn *key_of, const char *id, redisReply **out)
{
    char key[256];
    key_of (key, sizeof key, id);
    redisReply *h = opd_redis_command (r, "HGETALL %s", key);
    if (!h)
        return -1;
    if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
        freeReplyObject (h);
        return 1;
    }
    *out = h;
    return 0;
}

//  HGETALL of every id of ids (an array reply) in one pipeline; calls fn
//  with each record that exists. 0, or -1 when Redis did not answer (the
//  connection is then dropped: a pipeline half read is of no use).
static int
s_hgetall_each (opd_redis_t *r, opd_key_fn *key_of, const redisReply *ids,
                void (*fn) (const redisReply *h, void *arg), void *arg)
{
    for (size_t i = 0; i < ids->elements; i++) {
        opd_args_t a;
        opd_args_init (&a);
        char key[256];
        key_of (key, sizeof key, opd_reply_str (ids, i));
        opd_args_add (&a, "HGETALL");
        opd_args_add (&a, key);
        int rc = opd_redis_append_argv (r, &a);
        opd_args_free (&a);
        if (rc) {
            opd_redis_disconnect (r);
            return -1;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < ids->elements; i++) {
        redisReply *h = opd_redis_get_reply (r);
        if (!h) {
            opd_redis_disconnect (r);
            return -1;
        }
        if (rc == 0 && h->type == REDIS_REPLY_ARRAY && h->elements > 0)
            fn (h, arg);
        freeReplyObject (h);
    }
    return rc;
}

//  The records of one kind that a window reads (absences, overrides): those
//  that start before `before` (and, for overrides, are of team).
typedef struct {
    void *v;           //  rota_absence_t or rota_override_t
    size_t n;
    int64_t before;
    const char *team;  //  overrides only; NULL: every team
} rota_list_t;

//  Reads the record of each id of ids (a ZRANGEBYSCORE reply, freed here)
//  into l with collect, items of size bytes, and sorts them with cmp.
//  0, or -1 when Redis failed (l->v is then NULL).
static int
s_read_sorted (opd_redis_t *r, redisReply *ids, opd_key_fn *key_of, void (*collect) (const redisReply *h, void *arg),
               rota_list_t *l, size_t size, int (*cmp) (const void *a, const void *b))
{
    l->v = NULL;
    l->n = 0;
    if (!ids)
        return -1;
    if (ids->type != REDIS_REPLY_ARRAY) {
        freeReplyObject (ids);
        return -1;
    }
    l->v = opd_calloc (ids->elements + 1, size);
    int rc = s_hgetall_each (r, key_of, ids, collect, l);
    freeReplyObject (ids);
    if (rc) {
        free (l->v);
        l->v = NULL;
        return -1;
    }
    qsort (l->v, l->n, size, cmp);
    return 0;
}

static void
s_absence_of (const redisReply *h, rota_absence_t *a)
{
    memset (a, 0, sizeof *a);
    s_copy (a->id, sizeof a->id, s_field (h, "id"));
    s_copy (a->agent, sizeof a->agent, s_field (h, "agent"));
    s_copy (a->kind, sizeof a->kind, s_field (h, "kind"));
    s_copy (a->by, sizeof a->by, s_field (h, "by"));
    s_copy (a->status, sizeof a->status, s_field (h, "status"));
    a->from = s_num (h, "from");
    a->to = s_num (h, "to");
    a->created_at = s_num (h, "created_at");
}

int
rota_absence_get (opd_redis_t *r, const char *id, rota_absence_t *out)
{
    redisReply *h = NULL;
    int rc = s_hgetall (r, opd_key_rota_abs, id, &h);
    if (rc)
        return rc;
    s_absence_of (h, out);
    freeReplyObject (h);
    return 0;
}

int
rota_absence_approve (opd_redis_t *r, const char *id, const char *by)
{
    opd_args_t v;
    opd_args_init (&v);
    opd_args_addi (&v, opd_now_ms ());
    opd_args_add (&v, id);
    opd_args_add (&v, by);
    redisReply *rep = s_eval (r, s_abs_approve, &v);
    opd_args_free (&v);
    if (!rep)
        return -1;
    int rc = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1 ? 0 : 1;
    freeReplyObject (rep);
    return rc;
}

int
rota_absence_cap (opd_redis_t *r, const opd_config_t *cfg, const rota_absence_t *a, char *team,
                  size_t teamlen)
{
    if (strcmp (a->kind, "annual_leave") || !rota_absence_counts (a))
        return 0;
    rota_changes_t ch;
    bool loaded = false;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cfg->nteams; i++) {
        const opd_team_t *t = &cfg->teams[i];
        if (t->max_away <= 0)
            continue;
        if (!loaded) {
            if (rota_changes_load (r, a->from, a->to, &ch))
                return -1;
            loaded = true;
        }
        //  The absence itself, if stored already (as a request), is left
        //  out of the stored ones: it is counted as extra.
        rota_absence_t *mine = NULL;
        for (size_t j = 0; j < ch.nabsences; j++)
            if (a->id[0] && !strcmp (ch.absences[j].id, a->id))
                mine = (rota_absence_t *) &ch.absences[j];
        char saved[12] = "";
        if (mine) {
            snprintf (saved, sizeof saved, "%s", mine->status);
            snprintf (mine->status, sizeof mine->status, "requested");
        }
        int peak = rota_away_peak (cfg, t->id, &ch, a, a->from, a->to);
        if (mine)
            snprintf (mine->status, sizeof mine->status, "%s", saved);
        if (peak > t->max_away) {
            snprintf (team, teamlen, "%s", t->id);
            rc = 1;
        }
    }
    if (loaded)
        rota_changes_free (&ch);
    return rc;
}

//  Runs a remove script (s_abs_remove or s_ovr_remove) for id: 0 removed,
//  1 none with that id, -1 Redis.
static int
s_remove (opd_redis_t *r, const char *script, const char *id)
{
    opd_args_t v;
    opd_args_init (&v);
    opd_args_addi (&v, opd_now_ms ());
    opd_args_add (&v, id);
    redisReply *rep = s_eval (r, script, &v);
    opd_args_free (&v);
    if (!rep)
        return -1;
    int rc = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1 ? 0 : 1;
    freeReplyObject (rep);
    return rc;
}

int
rota_absence_remove (opd_redis_t *r, const char *id)
{
    return s_remove (r, s_abs_remove, id);
}

static void
s_abs_collect (const redisReply *h, void *arg)
{
    rota_list_t *l = arg;
    rota_absence_t *v = l->v;
    s_absence_of (h, &v[l->n]);
    if (v[l->n].from < l->before)
        l->n++;
}

static int
s_abs_cmp (const void *a, const void *b)
{
    const rota_absence_t *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return strcmp (x->id, y->id);
}

int
rota_absences (opd_redis_t *r, const char *agent, int64_t from, int64_t to, rota_absence_t **out,
               size_t *n)
{
    *out = NULL;
    *n = 0;
    //  Indexed by their end: those that end after from, then those that
    //  start before to.
    redisReply *ids = agent ? opd_redis_command (r, "ZRANGEBYSCORE " OPD_KEY_ROTA_ABS_AGENT_FMT " (%lld +inf",
                                                 agent, (long long) from)
                            : opd_redis_command (r, "ZRANGEBYSCORE " OPD_KEY_ROTA_ABS_END " (%lld +inf",
                                                 (long long) from);
    rota_list_t l = {.before = to};
    if (s_read_sorted (r, ids, opd_key_rota_abs, s_abs_collect, &l, sizeof (rota_absence_t), s_abs_cmp))
        return -1;
    *out = l.v;
    *n = l.n;
    return 0;
}

//  --- Overrides ------------------------------------------------------------

int
rota_override_check (const opd_config_t *cfg, const rota_override_t *o, char *key, size_t keylen,
                     char *err, size_t errlen)
{
    if (!o->agent[0] || !opd_config_agent (cfg, o->agent)) {
        snprintf (key, keylen, "agent");
        snprintf (err, errlen, "agent: unknown agent '%s'", o->agent);
        return -1;
    }
    if (!o->team[0] || !opd_config_team (cfg, o->team)) {
        snprintf (key, keylen, "team");
        snprintf (err, errlen, "team: unknown team '%s'", o->team);
        return -1;
    }
    if (o->to <= o->from) {
        snprintf (key, keylen, "to");
        snprintf (err, errlen, "to: a shift must end after it starts");
        return -1;
    }
    return 0;
}

int
rota_override_add (opd_redis_t *r, rota_override_t *o, int64_t now)
{
    opd_args_t v;
    opd_args_init (&v);
    opd_args_addi (&v, now);
    opd_args_add (&v, o->agent);
    opd_args_add (&v, o->team);
    opd_args_add (&v, o->remove ? "remove" : "extra");
    opd_args_addi (&v, o->from);
    opd_args_addi (&v, o->to);
    opd_args_add (&v, o->by);
    int rc = s_eval_id (r, s_ovr_add, &v, o->id, sizeof o->id);
    if (!rc)
        o->created_at = now;
    return rc;
}

static void s_override_of (const redisReply *h, rota_override_t *o);

int
rota_override_get (opd_redis_t *r, const char *id, rota_override_t *o)
{
    redisReply *h = NULL;
    int rc = s_hgetall (r, opd_key_rota_ovr, id, &h);
    if (rc)
        return rc;
    s_override_of (h, o);
    freeReplyObject (h);
    return 0;
}

static void
s_override_of (const redisReply *h, rota_override_t *o)
{
    memset (o, 0, sizeof *o);
    s_copy (o->id, sizeof o->id, s_field (h, "id"));
    s_copy (o->agent, sizeof o->agent, s_field (h, "agent"));
    s_copy (o->team, sizeof o->team, s_field (h, "team"));
    s_copy (o->by, sizeof o->by, s_field (h, "by"));
    const char *kind = s_field (h, "kind");
    o->remove = kind && !strcmp (kind, "remove");
    o->from = s_num (h, "from");
    o->to = s_num (h, "to");
    o->created_at = s_num (h, "created_at");
}

int
rota_override_remove (opd_redis_t *r, const char *id)
{
    return s_remove (r, s_ovr_remove, id);
}

static void
s_ovr_collect (const redisReply *h, void *arg)
{
    rota_list_t *l = arg;
    rota_override_t *v = l->v;
    s_override_of (h, &v[l->n]);
    if (v[l->n].from < l->before && (!l->team || !strcmp (l->team, v[l->n].team)))
        l->n++;
}

static int
s_ovr_cmp (const void *a, const void *b)
{
    const rota_override_t *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return strcmp (x->id, y->id);
}

int
rota_overrides (opd_redis_t *r, const char *team, int64_t from, int64_t to, rota_override_t **out,
                size_t *n)
{
    *out = NULL;
    *n = 0;
    redisReply *ids = opd_redis_command (r, "ZRANGEBYSCORE " OPD_KEY_ROTA_OVR_END " (%lld +inf", (long long) from);
    rota_list_t l = {.before = to, .team = team};
    if (s_read_sorted (r, ids, opd_key_rota_ovr, s_ovr_collect, &l, sizeof (rota_override_t), s_ovr_cmp))
        return -1;
    *out = l.v;
    *n = l.n;
    return 0;
}

int
rota_changes_load (opd_redis_t *r, int64_t from, int64_t to, rota_changes_t *ch)
{
    memset (ch, 0, sizeof *ch);
    rota_absence_t *a = NULL;
    rota_override_t *o = NULL;
    size_t na = 0, no = 0;
    if (rota_absences (r, NULL, from, to, &a, &na))
        return -1;
    if (rota_overrides (r, NULL, from, to, &o, &no)) {
        free (a);
        return -1;
    }
    ch->absences = a;
    ch->nabsences = na;
    ch->overrides = o;
    ch->noverrides = no;
    return 0;
}

void
rota_changes_free (rota_changes_t *ch)
{
    free ((void *) ch->absences);
    free ((void *) ch->overrides);
    memset (ch, 0, sizeof *ch);
}

//  --- iCalendar feeds -------------------------------------------------------

//  ARGV: now, team, agent, sha256, by. Returns the id.
static const char s_feed_add[] =
    "local id = 'F' .. redis.call('INCR', '" OPD_KEY_ROTA_FEED_SEQ "')\n"
    "redis.call('HSET', " OPD_KEY_ROTA_FEED_LUA ("id") ", 'id', id, 'team', ARGV[2], 'agent', ARGV[3],\n"
    "           'hash', ARGV[4], 'by', ARGV[5], 'created_at', ARGV[1])\n"
    "redis.call('SET', " OPD_KEY_ROTA_FEED_TOKEN_LUA ("ARGV[4]") ", id)\n"
    "return id\n";

//  ARGV: now, id. Returns 1 revoked, 0 unknown.
static const char s_feed_remove[] =
    "local k = " OPD_KEY_ROTA_FEED_LUA ("ARGV[2]") "\n"
    "local h = redis.call('HGET', k, 'hash')\n"
    "if not h then return 0 end\n"
    "redis.call('DEL', k, " OPD_KEY_ROTA_FEED_TOKEN_LUA ("h") ")\n"
    "return 1\n";

int
rota_feed_add (opd_redis_t *r, rota_feed_t *f, const char *sha256, int64_t now)
{
    opd_args_t v;
    opd_args_init (&v);
    opd_args_addi (&v, now);
    opd_args_add (&v, f->team);
    opd_args_add (&v, f->agent);
    opd_args_add (&v, sha256);
    opd_args_add (&v, f->by);
    int rc = s_eval_id (r, s_feed_add, &v, f->id, sizeof f->id);
    if (!rc)
        f->created_at = now;
    return rc;
}

int
rota_feed_get (opd_redis_t *r, const char *id, rota_feed_t *f)
{
    redisReply *h = NULL;
    int rc = s_hgetall (r, opd_key_rota_feed, id, &h);
    if (rc)
        return rc;
    memset (f, 0, sizeof *f);
    s_copy (f->id, sizeof f->id, s_field (h, "id"));
    s_copy (f->team, sizeof f->team, s_field (h, "team"));
    s_copy (f->agent, sizeof f->agent, s_field (h, "agent"));
    s_copy (f->by, sizeof f->by, s_field (h, "by"));
    f->created_at = s_num (h, "created_at");
    freeReplyObject (h);
    return 0;
}

int
rota_feed_find (opd_redis_t *r, const char *sha256, rota_feed_t *f)
{
    char key[300];
    opd_key_rota_feed_token (key, sizeof key, sha256);
    redisReply *id = opd_redis_command (r, "GET %s", key);
    if (!id)
        return -1;
    char buf[32] = "";
    if (id->type == REDIS_REPLY_STRING)
        s_copy (buf, sizeof buf, id->str);
    freeReplyObject (id);
    return buf[0] ? rota_feed_get (r, buf, f) : 1;
}

int
rota_feed_remove (opd_redis_t *r, const char *id)
{
    return s_remove (r, s_feed_remove, id);
}
