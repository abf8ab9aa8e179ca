/*  notices: see notices.h and README.md ("Agent notifications").

    The work per event is bounded by the agents it concerns (the assignee,
    or a team's agents), done here in the background, never in the scripts
    that change tickets: they only append the event to the stream. */
#include "notices.h"
#include "opd_change.h"
#include "opd_event.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTES_KEPT 200

static const char *
s_str (json_t *o, const char *key)
{
    return json_string_value (json_object_get (o, key));
}

//  The new value of a change of ticket.updated ("changes": {f: [old, new]}).
static const char *
s_new (json_t *ev, const char *field)
{
    return json_string_value (json_array_get (json_object_get (json_object_get (ev, "changes"), field), 1));
}

static size_t
s_add (notices_target_t *out, size_t n, size_t max, const char *agent, opd_notice_t kind)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp (out[i].agent, agent)) {
            out[i].kinds |= 1u << kind;
            return n;
        }
    if (n == max)
        return n;
    out[n].agent = agent;
    out[n].kinds = 1u << kind;
    return n + 1;
}

//  Every agent of team but except.
static size_t
s_team (const opd_config_t *cfg, const char *team, const char *except, opd_notice_t kind,
        notices_target_t *out, size_t n, size_t max)
{
    for (size_t i = 0; team && i < cfg->nagents; i++)
        if (strcmp (cfg->agents[i].id, except) && opd_agent_in_team (cfg, cfg->agents[i].id, team))
            n = s_add (out, n, max, cfg->agents[i].id, kind);
    return n;
}

bool
notices_needs_ticket (json_t *ev)
{
    const char *type = s_str (ev, "type"), *p = s_new (ev, "priority");
    if (type && !strcmp (type, "slo.warning"))
        return true;
    //  A priority set to P1 needs the team; a hand-off, whether it is a P1.
    return type && !strcmp (type, "ticket.updated") && ((p && !strcmp (p, "P1")) || s_new (ev, "team"));
}

size_t
notices_targets (const opd_config_t *cfg, json_t *ev, const notices_ticket_t *tk, notices_target_t *out,
                 size_t max)
{
    const char *type = s_str (ev, "type"), *by = s_str (ev, "by");
    by = by ? by : "";
    size_t n = 0;
    if (!type)
        return 0;
    if (!strcmp (type, "ticket.updated")) {
        const char *a = s_new (ev, "assignee"), *t = s_new (ev, "team"), *p = s_new (ev, "priority");
        const opd_agent_t *agent = a ? opd_config_agent (cfg, a) : NULL;
        if (agent && strcmp (agent->id, by))
            n = s_add (out, n, max, agent->id, OPD_NOTICE_ASSIGNED);
        if (t)
            n = s_team (cfg, t, by, OPD_NOTICE_HANDOFF, out, n, max);
        bool p1 = p ? !strcmp (p, "P1") : tk->priority && !strcmp (tk->priority, "P1");
        if (p1 && (p || t))
            n = s_team (cfg, t ? t : tk->team, by, OPD_NOTICE_P1, out, n, max);
    }
    else if (!strcmp (type, "ticket.routed")) {
        const char *p = s_str (ev, "priority");
        if (p && !strcmp (p, "P1"))
            n = s_team (cfg, s_str (ev, "team"), "", OPD_NOTICE_P1, out, n, max);
    }
    else if (!strcmp (type, "slo.warning")) {
        const opd_agent_t *agent = tk->assignee ? opd_config_agent (cfg, tk->assignee) : NULL;
        if (agent)
            n = s_add (out, n, max, agent->id, OPD_NOTICE_SLO_WARNING);
        else
            n = s_team (cfg, s_str (ev, "team"), "", OPD_NOTICE_SLO_WARNING, out, n, max);
    }
    return n;
}

//  The first kind of kinds that on[] wants, or -1.
static int
s_first (unsigned kinds, const bool *on)
{
    for (int k = 0; k < OPD_NOTICE_COUNT; k++)
        if ((kinds & (1u << k)) && on[k])
            return k;
    return -1;
}

//  The note of one event for one agent: ticket and agent ids, no personal data.
static json_t *
s_note (const opd_config_t *cfg, const char *eid, json_t *ev, int kind, const notices_ticket_t *tk)
{
    json_t *n = json_pack ("{s:s, s:s, s:s}", "id", eid, "kind", opd_notice_names[kind], "ticket",
                           s_str (ev, "ticket_id") ? s_str (ev, "ticket_id") : "");
    const char *t = s_str (ev, "team") ? s_str (ev, "team") : s_new (ev, "team") ? s_new (ev, "team") : tk->team;
    const char *p = s_str (ev, "priority") ? s_str (ev, "priority")
                    : s_new (ev, "priority") ? s_new (ev, "priority")
                                             : tk->priority;
    const char *by = s_str (ev, "by");
    const char *const keys[] = {"at", "slo", "due_at"};
    for (size_t i = 0; i < 3; i++)
        if (s_str (ev, keys[i]))
            json_object_set (n, keys[i], json_object_get (ev, keys[i]));
    if (t)
        json_object_set_new (n, "team", json_string (t));
    if (p)
        json_object_set_new (n, "priority", json_string (p));
    if (by && opd_config_agent (cfg, by))
        json_object_set_new (n, "by", json_string (by));
    return n;
}

//  The agents' preferences, pipelined. 0, or -1 when Redis failed.
static int
s_prefs (opd_redis_t *redis, const notices_target_t *t, size_t n, opd_agent_prefs_t *prefs)
{
    for (size_t i = 0; i < n; i++) {
        char key[300];
        opd_key_agent_prefs (key, sizeof key, t[i].agent);
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HGETALL");
        opd_args_add (&a, key);
        int rc = opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        if (rc)
            return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        redisReply *r = opd_redis_get_reply (redis);
        opd_agent_prefs_from_reply (&prefs[i], r);
        if (!r || r->type != REDIS_REPLY_ARRAY)
            rc = -1;
        if (r)
            freeReplyObject (r);
    }
    return rc;
}

//  One command of the MULTI; false when it was not queued.
static bool
s_queued (redisReply *r)
{
    bool ok = r && (r->type == REDIS_REPLY_STATUS);
    if (r)
        freeReplyObject (r);
    return ok;
}

static bool
s_queue_note (opd_redis_t *redis, const char *agent, const char *eid, json_t *note)
{
    char nkey[300], ukey[300];
    opd_key_agent_notes (nkey, sizeof nkey, agent);
    opd_key_agent_unread (ukey, sizeof ukey, agent);
    char *text = json_dumps (note, JSON_COMPACT);
    long long ms = strtoll (eid, NULL, 10);
    bool ok = s_queued (opd_redis_command (redis, "LPUSH %s %s", nkey, text))
              && s_queued (opd_redis_command (redis, "LTRIM %s 0 %d", nkey, NOTES_KEPT - 1))
              && s_queued (opd_redis_command (redis, "ZADD %s %lld %s", ukey, ms, eid))
              && s_queued (opd_redis_command (redis, "ZREMRANGEBYRANK %s 0 %d", ukey, -NOTES_KEPT - 1));
    free (text);
    return ok;
}

//  The mail job of kind "notice": the note's keys, and the job's own.
static bool
s_queue_job (opd_redis_t *redis, const char *agent, const char *eid, json_t *note, long long job_id)
{
    json_t *j = json_deep_copy (note);
    json_object_set (j, "notice", json_object_get (note, "kind"));
    json_object_set_new (j, "kind", json_string ("notice"));
    json_object_set_new (j, "id", json_integer (job_id));
    json_object_set_new (j, "agent", json_string (agent));
    json_object_set_new (j, "event", json_string (eid));
    json_object_set_new (j, "attempt", json_integer (0));
    json_object_set_new (j, "queued_at", json_integer (opd_now_ms ()));
    char *text = json_dumps (j, JSON_COMPACT);
    json_decref (j);
    bool ok = s_queued (opd_redis_command (redis, "LPUSH %s %s", OPD_KEY_OUTBOX_READY, text));
    free (text);
    return ok;
}

//  Which kind each agent gets in the console and by mail (-1: none).
static void
s_choose (const opd_config_t *cfg, const notices_target_t *t, size_t n, const opd_agent_prefs_t *prefs,
          int *console, int *mail, int *nconsole, int *nmail)
{
    *nconsole = *nmail = 0;
    for (size_t i = 0; i < n; i++) {
        const opd_agent_t *a = opd_config_agent (cfg, t[i].agent);
        console[i] = s_first (t[i].kinds, prefs[i].console);
        mail[i] = a && a->email && opd_email_valid (a->email) ? s_first (t[i].kinds, prefs[i].mail) : -1;
        *nconsole += console[i] >= 0;
        *nmail += mail[i] >= 0;
    }
}

//  Job ids for n jobs: the first, or -1 when Redis failed.
static long long
s_job_ids (opd_redis_t *redis, int n)
{
    redisReply *r = opd_redis_command (redis, "INCRBY %s %d", OPD_KEY_OUTBOX_SEQ, n);
    long long last = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject (r);
    return last < 0 ? -1 : last - n + 1;
}

//  The notes, the jobs and the cursor in one MULTI/EXEC. 0, or -1.
static int
s_write (opd_redis_t *redis, const opd_config_t *cfg, const char *eid, json_t *ev, const notices_ticket_t *tk,
         const notices_target_t *t, size_t n, const int *console, const int *mail, long long job_id)
{
    bool ok = s_queued (opd_redis_command (redis, "MULTI"));
    for (size_t i = 0; ok && i < n; i++) {
        if (console[i] >= 0) {
            json_t *note = s_note (cfg, eid, ev, console[i], tk);
            ok = s_queue_note (redis, t[i].agent, eid, note);
            json_decref (note);
        }
        if (ok && mail[i] >= 0) {
            json_t *note = s_note (cfg, eid, ev, mail[i], tk);
            ok = s_queue_job (redis, t[i].agent, eid, note, job_id++);
            json_decref (note);
        }
    }
    ok = ok && s_queued (opd_redis_command (redis, "SET %s %s", OPD_KEY_NOTICES_CURSOR, eid));
    redisReply *r = ok ? opd_redis_command (redis, "EXEC") : NULL;
    ok = r && r->type == REDIS_REPLY_ARRAY;
    if (r)
        freeReplyObject (r);
    if (!ok)
        opd_redis_disconnect (redis);  //  a MULTI left open is discarded with the connection
    return ok ? 0 : -1;
}

//  The agents of one event get what they asked for. 1 written (the cursor
//  with it), 0 nothing to write, -1 Redis failed.
static int
s_deliver (opd_redis_t *redis, const opd_config_t *cfg, const char *eid, json_t *ev, const notices_ticket_t *tk,
           const notices_target_t *t, size_t n)
{
    opd_agent_prefs_t *prefs = opd_calloc (n, sizeof *prefs);
    int *console = opd_calloc (n, sizeof (int)), *mail = opd_calloc (n, sizeof (int));
    int nconsole = 0, nmail = 0, rc = -1;
    long long job_id = 0;
    if (s_prefs (redis, t, n, prefs))
        goto end;
    s_choose (cfg, t, n, prefs, console, mail, &nconsole, &nmail);
    rc = 0;
    if (!nconsole && !nmail)
        goto end;
    rc = -1;
    if (nmail && (job_id = s_job_ids (redis, nmail)) < 0)
        goto end;
    rc = s_write (redis, cfg, eid, ev, tk, t, n, console, mail, job_id) ? -1 : 1;
    if (rc == 1)
        opd_info ("notices event=%s type=%s ticket=%s console=%d mail=%d", eid, s_str (ev, "type"),
                  s_str (ev, "ticket_id"), nconsole, nmail);
end:
    free (prefs);
    free (console);
    free (mail);
    return rc;
}

//  One event: 1 written with the cursor, 0 nothing for anyone, -1 Redis failed.
static int
s_event (opd_redis_t *redis, const opd_config_t *cfg, const char *eid, const char *msg, size_t len)
{
    json_t *ev = opd_event_json (msg, len);
    if (!ev) {
        opd_warn ("notices skip a malformed event=%s", eid);
        return 0;
    }
    redisReply *fields = NULL;
    const char *id = s_str (ev, "ticket_id");
    if (id && notices_needs_ticket (ev)) {
        static const char *const names[] = {"assignee", "team", "priority"};
        fields = opd_store_fields (redis, id, names, 3);
        if (!fields) {
            json_decref (ev);
            return -1;
        }
    }
    notices_target_t t[NOTICES_MAX_TARGETS];
    notices_ticket_t tk = {opd_reply_str (fields, 0), opd_reply_str (fields, 1), opd_reply_str (fields, 2)};
    size_t n = notices_targets (cfg, ev, &tk, t, NOTICES_MAX_TARGETS);
    int rc = n ? s_deliver (redis, cfg, eid, ev, &tk, t, n) : 0;
    if (fields)
        freeReplyObject (fields);
    json_decref (ev);
    return rc;
}

static bool
s_interesting (const char *topic)
{
    return topic && (!strcmp (topic, "ticket.updated") || !strcmp (topic, "ticket.routed")
                     || !strcmp (topic, "slo.warning"));
}

int
notices_start (opd_redis_t *redis, char *cursor, size_t size)
{
    redisReply *r = opd_redis_command (redis, "GET %s", OPD_KEY_NOTICES_CURSOR);
    if (r && r->type == REDIS_REPLY_NIL) {
        freeReplyObject (r);
        char end[64] = "0-0";
        if (opd_store_events_last (redis, end, sizeof end))
            return -1;
        //  NX: a cursor another notifier wrote meanwhile wins.
        r = opd_redis_command (redis, "SET %s %s NX", OPD_KEY_NOTICES_CURSOR, end);
        if (r)
            freeReplyObject (r);
        r = opd_redis_command (redis, "GET %s", OPD_KEY_NOTICES_CURSOR);
        if (r && r->type == REDIS_REPLY_STRING)
            opd_info ("notices cursor created cursor=%s", r->str);
    }
    int rc = r && r->type == REDIS_REPLY_STRING && r->len < size ? 0 : -1;
    if (rc == 0)
        snprintf (cursor, size, "%s", r->str);
    if (r)
        freeReplyObject (r);
    return rc;
}

//  The cursor of events that produced nothing. 0 or -1.
static int
s_save (opd_redis_t *redis, const char *cursor)
{
    redisReply *r = opd_redis_command (redis, "SET %s %s", OPD_KEY_NOTICES_CURSOR, cursor);
    int rc = r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

int
notices_step (opd_redis_t *redis, const opd_config_t *cfg, char *cursor, size_t size)
{
    redisReply *r = opd_store_events_after (redis, cursor, NOTICES_BATCH);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    int seen = 0, rc = 0;
    bool dirty = false;
    for (size_t i = 0; i < r->elements && rc >= 0; i++) {
        redisReply *e = r->element[i], *fv = e->element[1];
        const char *topic = NULL, *msg = NULL;
        size_t len = 0;
        for (size_t j = 0; j + 1 < fv->elements; j += 2) {
            if (!strcmp (fv->element[j]->str, "t"))
                topic = fv->element[j + 1]->str;
            else if (!strcmp (fv->element[j]->str, "m"))
                msg = fv->element[j + 1]->str, len = fv->element[j + 1]->len;
        }
        rc = s_interesting (topic) && msg ? s_event (redis, cfg, e->element[0]->str, msg, len) : 0;
        if (rc >= 0) {
            snprintf (cursor, size, "%s", e->element[0]->str);
            dirty = rc == 0;
            seen++;
        }
    }
    if (dirty && s_save (redis, cursor))
        rc = -1;
    freeReplyObject (r);
    return rc < 0 ? -1 : seen;
}
