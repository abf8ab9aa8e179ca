/*  api_rota_ics: the rota as an iCalendar feed (issue 10, docs/shifts.md).

      POST   /api/v1/rota/feeds        {"team"} or {"agent"}: a new feed and its token
      DELETE /api/v1/rota/feeds/ID     revokes it
      GET    /api/v1/rota.ics?team=|agent=&token=   the feed (no bearer token:
                                       calendar applications send none)

    A lead or an admin makes and revokes any feed; an agent those of its own
    shifts (agent = itself). The token is 256 random bits, shown once in
    the answer; Redis keeps only its SHA-256, so a copy of the database
    does not give the feeds away, and revoking deletes it. The feed covers
    7 days back and 56 ahead, built by rota_ics (libical). */
#include "api_rota_ics.h"
#include "api.h"
#include "opd_log.h"
#include "opd_rota_ics.h"
#include "opd_rota_store.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define FEED_BACK_DAYS 7
#define FEED_AHEAD_DAYS 56

static void
s_invalid (http_req_t *req, int status, const char *key, const char *msg)
{
    http_error_x (req, status, status == 403 ? "forbidden" : "invalid", json_pack ("{s:s}", "key", key), "%s", msg);
}

//  {"team": T} or {"agent": A}, exactly one, known; false after answering.
static bool
s_feed_scope (http_req_t *req, const web_auth_t *who, rota_feed_t *f)
{
    json_error_t e;
    json_t *body = json_loadb (req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object (body)) {
        json_decref (body);
        http_error (req, 400, "bad_json", "the body must be a JSON object");
        return false;
    }
    const char *team = json_string_value (json_object_get (body, "team"));
    const char *agent = json_string_value (json_object_get (body, "agent"));
    bool ok = false;
    if (!team == !agent)
        s_invalid (req, 422, "team", "give either team or agent");
    else if (team && !opd_config_team (req->cfg, team))
        s_invalid (req, 422, "team", "team: unknown team");
    else if (agent && !opd_config_agent (req->cfg, agent))
        s_invalid (req, 422, "agent", "agent: unknown agent");
    else if (who->role < OPD_ROLE_LEAD && (!agent || !who->identity || strcmp (agent, who->identity)))
        s_invalid (req, 403, team ? "team" : "agent", "an agent makes feeds of its own shifts only");
    else {
        snprintf (f->team, sizeof f->team, "%s", team ? team : "");
        snprintf (f->agent, sizeof f->agent, "%s", agent ? agent : "");
        ok = true;
    }
    json_decref (body);
    return ok;
}

void
api_rota_feed_add (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) id;
    rota_feed_t f = {0};
    if (!s_feed_scope (req, who, &f))
        return;
    char token[65];
    opd_random_hex (token, 32);
    gchar *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
    snprintf (f.by, sizeof f.by, "%s", who->identity ? who->identity : web_role_name (who->role));
    int rc = rota_feed_add (http_redis (req), &f, sha, opd_now_ms ());
    g_free (sha);
    if (rc) {
        http_error (req, 503, "unavailable", "Redis did not answer: %s", opd_redis_error (http_redis (req)));
        return;
    }
    opd_info ("rota feed made id=%s", f.id);
    char url[400];
    snprintf (url, sizeof url, "/api/v1/rota.ics?%s=%s&token=%s", f.team[0] ? "team" : "agent",
              f.team[0] ? f.team : f.agent, token);
    json_t *out = json_pack ("{s:s, s:s, s:s}", "id", f.id, "token", token, "url", url);
    json_object_set_new (out, f.team[0] ? "team" : "agent", json_string (f.team[0] ? f.team : f.agent));
    http_json (req, 201, out);
}

void
api_rota_feed_remove (http_req_t *req, const web_auth_t *who, const char *id)
{
    rota_feed_t f;
    int rc = strlen (id) < sizeof f.id ? rota_feed_get (http_redis (req), id, &f) : 1;
    if (rc == 0 && who->role < OPD_ROLE_LEAD && (!who->identity || strcmp (f.agent, who->identity))) {
        http_error (req, 403, "forbidden", "an agent revokes feeds of its own shifts only");
        return;
    }
    if (rc == 0)
        rc = rota_feed_remove (http_redis (req), id);
    if (rc < 0)
        http_error (req, 503, "unavailable", "Redis did not answer: %s", opd_redis_error (http_redis (req)));
    else if (rc == 1)
        http_error (req, 404, "not_found", "no feed %s", id);
    else {
        opd_info ("rota feed revoked id=%s", id);
        http_reply (req, 204, NULL, NULL, 0);
    }
}

static bool
s_ics_arg (const char *name)
{
    return !strcmp (name, "team") || !strcmp (name, "agent") || !strcmp (name, "token");
}

//  The feed the query's token opens, checked against team or agent; false
//  after answering.
static bool
s_feed_of (http_req_t *req, const char *team, const char *agent, rota_feed_t *f)
{
    const char *token = http_arg (req, "token");
    if (!token || !*token) {
        http_error_x (req, 401, "unauthorized", json_pack ("{s:s}", "key", "token"),
                      "token: the feed's token is required");
        return false;
    }
    gchar *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
    int rc = rota_feed_find (http_redis (req), sha, f);
    g_free (sha);
    if (rc < 0)
        http_error (req, 503, "unavailable", "Redis did not answer: %s", opd_redis_error (http_redis (req)));
    else if (rc == 1)
        s_invalid (req, 403, "token", "token: not a feed's token, or the feed was revoked");
    else if (strcmp (team ? team : "", f->team) || strcmp (agent ? agent : "", f->agent))
        s_invalid (req, 403, team ? "team" : "agent", "this token is for another feed");
    else
        return true;
    return false;
}

void
api_rota_ics (http_req_t *req)
{
    if (strcmp (req->method, "GET") && strcmp (req->method, "HEAD")) {
        api_method_not_allowed (req, "GET");
        return;
    }
    const char *bad = http_args_check (req, s_ics_arg);
    if (bad) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad),
                      "unknown query parameter '%s'; allowed: team, agent, token", bad);
        return;
    }
    const char *team = http_arg (req, "team"), *agent = http_arg (req, "agent");
    team = team && *team ? team : NULL;
    agent = agent && *agent ? agent : NULL;
    if (!team == !agent) {
        s_invalid (req, 422, "team", "give either team or agent");
        return;
    }
    rota_feed_t f;
    if (!s_feed_of (req, team, agent, &f))
        return;
    int64_t now = opd_now_ms ();
    int64_t from = now / DAY_MS * DAY_MS - FEED_BACK_DAYS * DAY_MS, to = from + (FEED_BACK_DAYS + FEED_AHEAD_DAYS) * DAY_MS;
    rota_changes_t ch;
    if (rota_changes_load (http_redis (req), from, to, &ch)) {
        http_error (req, 503, "unavailable", "Redis did not answer: %s", opd_redis_error (http_redis (req)));
        return;
    }
    char *text = rota_ics (req->cfg, team, agent, &ch, from, to, now);
    rota_changes_free (&ch);
    http_reply (req, 200, "text/calendar; charset=utf-8", text, strlen (text));
}
