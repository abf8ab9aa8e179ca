/*  console_presence: who else has a ticket open in the console, and who is
    typing a reply or note on it (issue 11, "two agents on one ticket").

    An open ticket page beats every 10 s (console.js), and at once when its
    agent starts typing: POST /agent/tickets/ID/presence with state
    viewing, typing or left, and focused=1 while the page has the focus
    (the beats also measure the agent's time on the ticket:
    console_worktime.c). Each beat records AGENT = STATE:UNTIL in
    opd:t:{ID}:p (a viewer counts for 30 s after its beat, a typist for 8 s;
    the hash goes a minute after the last beat) and answers who else is
    there, so the page learns of a colleague within one beat. The page also
    shows the others when it is drawn (console_presence_html). Agents' ids
    and names only; nothing of the requester. */
#include "console.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_MS 30000
#define TYPE_MS 8000
#define LIFE_MS 60000

//  The others on ticket id now: [{"agent", "name", "state"}], by agent id.
static json_t *
s_others (http_req_t *req, const web_auth_t *who, const char *id)
{
    char key[128];
    opd_key_presence (key, sizeof key, id);
    redisReply *r = opd_redis_command (http_redis (req), "HGETALL %s", key);
    json_t *out = json_array ();
    int64_t now = opd_now_ms ();
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *agent = r->element[i]->str, *v = r->element[i + 1]->str;
        const char *colon = v ? strchr (v, ':') : NULL;
        if (!agent || !colon || !strcmp (agent, who->identity) || strtoll (colon + 1, NULL, 10) <= now)
            continue;
        const opd_agent_t *a = opd_config_agent (req->cfg, agent);
        json_array_append_new (out, json_pack ("{s:s, s:s, s:s#}", "agent", agent, "name",
                                               a && a->name ? a->name : agent, "state", v, (int) (colon - v)));
    }
    if (r)
        freeReplyObject (r);
    return out;
}

void
console_presence_html (GString *b, http_req_t *req, const web_session_t *s, const char *id)
{
    json_t *others = s_others (req, &s->who, id);
    g_string_append (b, "<p class=\"presence muted\" id=\"presence\" role=\"status\" aria-live=\"polite\">");
    size_t i;
    json_t *o;
    json_array_foreach (others, i, o) {
        g_string_append (b, i ? ", " : "Also here: ");
        portal_esc (b, json_string_value (json_object_get (o, "name")));
        if (!strcmp (json_string_value (json_object_get (o, "state")), "typing"))
            g_string_append (b, " (typing)");
    }
    g_string_append (b, "</p>");
    json_decref (others);
}

//  Records who's state; 0, or -1 when Redis failed.
static int
s_beat (http_req_t *req, const web_auth_t *who, const char *id, const char *state)
{
    char key[128];
    opd_key_presence (key, sizeof key, id);
    opd_redis_t *redis = http_redis (req);
    redisReply *r;
    if (!strcmp (state, "left"))
        r = opd_redis_command (redis, "HDEL %s %s", key, who->identity);
    else {
        char v[48];
        snprintf (v, sizeof v, "%s:%lld", state,
                  (long long) (opd_now_ms () + (!strcmp (state, "typing") ? TYPE_MS : VIEW_MS)));
        r = opd_redis_command (redis, "HSET %s %s %s", key, who->identity, v);
        if (r && r->type == REDIS_REPLY_INTEGER) {
            freeReplyObject (r);
            r = opd_redis_command (redis, "PEXPIRE %s %d", key, LIFE_MS);
        }
    }
    int rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

void
console_presence_post (http_req_t *req, const web_session_t *s, const char *id, const form_t *f)
{
    const char *state = portal_form_get (f, "state");
    if (!state || (strcmp (state, "viewing") && strcmp (state, "typing") && strcmp (state, "left"))) {
        http_error (req, 422, "invalid", "state must be viewing, typing or left");
        return;
    }
    if (s_beat (req, &s->who, id, state)) {
        opd_warn ("presence not recorded ticket=%s", id);
        http_error (req, 503, "unavailable", "presence cannot be recorded at the moment");
        return;
    }
    const char *focused = portal_form_get (f, "focused");
    console_worktime_beat (req, &s->who, id, !strcmp (state, "typing") || (focused && !strcmp (focused, "1")),
                           !strcmp (state, "left"));
    http_add_header (req, "Cache-Control", "no-store");
    http_json (req, 200, json_pack ("{s:o}", "others", s_others (req, &s->who, id)));
}
