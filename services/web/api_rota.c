/*  api_rota: see api_rota.h. Errors as the rest of the API:
    {"error": {"code", "message", "key"}}, 422 naming the field at fault. */
#include "api.h"
#include "api_rota.h"
#include "opd_log.h"
#include "opd_util.h"
#include "opd_rota_assign.h"
#include "opd_rota_store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY_MS 86400000LL
#define COVERAGE_DEFAULT_DAYS 14
#define COVERAGE_MAX_DAYS 366

//  The request body as a JSON object; answers 400/415 and returns NULL when
//  it is not one (as api.c's, which is file-private there).
static json_t *
s_body (http_req_t *req)
{
    if (!api_json_type (req))
        return NULL;
    json_error_t e;
    json_t *obj = json_loadb (req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!obj || !json_is_object (obj)) {
        json_decref (obj);
        http_error (req, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return obj;
}

static void
s_invalid (http_req_t *req, const char *key, const char *fmt, const char *detail)
{
    http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", key), fmt, detail);
}

static void
s_unavailable (http_req_t *req)
{
    http_error (req, 503, "unavailable", "Redis did not answer: %s", opd_redis_error (http_redis (req)));
}

//  False after answering 503 (rc -1) or 404 (rc 1, no absence or override
//  id); true for rc 0.
static bool
s_found (http_req_t *req, int rc, const char *what, const char *id)
{
    if (rc < 0) {
        s_unavailable (req);
        return false;
    }
    if (rc == 1) {
        http_error (req, 404, "not_found", "no %s %s", what, id);
        return false;
    }
    return true;
}

static bool
s_id_valid (const char *id)
{
    size_t n = strlen (id);
    if (n == 0 || n > 30)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'Z')))
            return false;
    return true;
}

//  ?from=&to= (RFC 3339 or YYYY-MM-DD); defaults from now for days. 0, or
//  -1 after answering 422.
static int
s_period (http_req_t *req, int64_t *from, int64_t *to, int days)
{
    const char *f = http_arg (req, "from"), *t = http_arg (req, "to");
    *from = opd_now_ms ();
    if (f && *f && opd_time_parse (f, false, from)) {
        s_invalid (req, "from", "from: '%s' is not RFC 3339 or YYYY-MM-DD", f);
        return -1;
    }
    *to = *from + days * DAY_MS;
    if (t && *t && opd_time_parse (t, true, to)) {
        s_invalid (req, "to", "to: '%s' is not RFC 3339 or YYYY-MM-DD", t);
        return -1;
    }
    if (*to <= *from) {
        s_invalid (req, "to", "%s", "to: the period must end after it starts");
        return -1;
    }
    if (*to - *from > COVERAGE_MAX_DAYS * DAY_MS) {
        s_invalid (req, "to", "%s", "to: a period is at most 366 days");
        return -1;
    }
    return 0;
}

static bool
s_arg_period_team (const char *name)
{
    return !strcmp (name, "from") || !strcmp (name, "to") || !strcmp (name, "team");
}

static bool
s_arg_absences (const char *name)
{
    return s_arg_period_team (name) || !strcmp (name, "agent");
}

static bool
s_args (http_req_t *req, bool (*fn) (const char *), const char *allowed)
{
    const char *bad = http_args_check (req, fn);
    if (!bad)
        return true;
    http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad),
                  "unknown query parameter '%s'; allowed: %s", bad, allowed);
    return false;
}

//  ?team=, checked; NULL for every team. false after answering 422.
static bool
s_team_arg (http_req_t *req, const char **team)
{
    *team = http_arg (req, "team");
    if (*team && !**team)
        *team = NULL;
    if (*team && !opd_config_team (req->cfg, *team)) {
        s_invalid (req, "team", "team: unknown team '%s'", *team);
        return false;
    }
    return true;
}

static json_t *
s_time (int64_t ms)
{
    char buf[40];
    opd_rfc3339 (ms, buf, sizeof buf);
    return json_string (buf);
}

//  The from, to and team of a GET that takes only those (the period
//  defaults to days from now); false after answering 400 or 422.
static bool
s_period_team (http_req_t *req, int days, int64_t *from, int64_t *to, const char **team)
{
    return s_args (req, s_arg_period_team, "from, to, team") && !s_period (req, from, to, days)
           && s_team_arg (req, team);
}

//  --- Coverage ------------------------------------------------------------

void
api_rota_coverage (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;  //  the route table in api.c checked the role
    (void) id;
    int64_t from, to;
    const char *team;
    if (!s_period_team (req, COVERAGE_DEFAULT_DAYS, &from, &to, &team))
        return;
    bool unknown;
    json_t *teams = rota_coverage (http_redis (req), req->cfg, team, from, to, &unknown);
    if (!teams) {
        s_unavailable (req);
        return;
    }
    http_json (req, 200, json_pack ("{s:o, s:o, s:o}", "from", s_time (from), "to", s_time (to), "teams", teams));
}

//  GET /api/v1/rota?team=&from=&to=: who is on duty when (default: 7 days).
void
api_rota_rota (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;  //  the route table in api.c checked the role
    (void) id;
    int64_t from, to;
    const char *team;
    if (!s_period_team (req, 7, &from, &to, &team))
        return;
    bool unknown;
    json_t *teams = rota_rota (http_redis (req), req->cfg, team, from, to, &unknown);
    if (!teams) {
        s_unavailable (req);
        return;
    }
    http_json (req, 200, json_pack ("{s:o, s:o, s:o}", "from", s_time (from), "to", s_time (to), "teams", teams));
}

//  --- Absences ------------------------------------------------------------

//  A string member of the body; false after answering 422.
static bool
s_str (http_req_t *req, json_t *body, const char *key, bool required, char *out, size_t size)
{
    json_t *v = json_object_get (body, key);
    if (!v && !required)
        return true;
    if (!json_is_string (v) || !json_string_length (v) || json_string_length (v) >= size) {
        s_invalid (req, key, v ? "%s: must be a non-empty string" : "%s: is required", key);
        return false;
    }
    snprintf (out, size, "%s", json_string_value (v));
    return true;
}

static bool
s_instant (http_req_t *req, json_t *body, const char *key, int64_t *out)
{
    char text[64];
    if (!s_str (req, body, key, true, text, sizeof text))
        return false;
    if (opd_rfc3339_parse (text, out)) {
        s_invalid (req, key, "%s: must be an RFC 3339 time (2026-12-24T08:00:00Z)", key);
        return false;
    }
    return true;
}


void
api_rota_absence_add (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) id;
    json_t *body = s_body (req);
    if (!body)
        return;
    rota_absence_t a = {0};
    const char *k;
    json_t *v;
    json_object_foreach (body, k, v) {
        if (strcmp (k, "agent") && strcmp (k, "from") && strcmp (k, "to") && strcmp (k, "kind")) {
            http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", k),
                          "unknown field '%.100s'; allowed: agent, from, to, kind", k);
            json_decref (body);
            return;
        }
    }
    //  An agent may leave out agent: its own.
    if (who->role == OPD_ROLE_AGENT && who->identity && !json_object_get (body, "agent"))
        snprintf (a.agent, sizeof a.agent, "%s", who->identity);
    bool ok = (a.agent[0] || s_str (req, body, "agent", true, a.agent, sizeof a.agent))
              && s_str (req, body, "kind", true, a.kind, sizeof a.kind)
              && s_instant (req, body, "from", &a.from) && s_instant (req, body, "to", &a.to);
    json_decref (body);
    if (!ok)
        return;
    if (who->role < OPD_ROLE_LEAD && (!who->identity || strcmp (who->identity, a.agent))) {
        http_error_x (req, 403, "forbidden", json_pack ("{s:s}", "key", "agent"),
                      "an agent records only its own absences; a lead records anyone's");
        return;
    }
    char key[32], err[300];
    if (rota_absence_check (req->cfg, &a, key, sizeof key, err, sizeof err)) {
        s_invalid (req, key, "%s", err);
        return;
    }
    snprintf (a.by, sizeof a.by, "%s", who->identity ? who->identity : web_role_name (who->role));
    //  With coverage.leave_approval, an agent's annual leave waits for a lead.
    bool request = req->cfg->leave_approval && !strcmp (a.kind, "annual_leave") && who->role < OPD_ROLE_LEAD;
    snprintf (a.status, sizeof a.status, "%s", request ? "requested" : "approved");
    char team[128];
    int cap = rota_absence_cap (http_redis (req), req->cfg, &a, team, sizeof team);
    if (cap < 0) {
        s_unavailable (req);
        return;
    }
    if (cap == 1) {
        http_error_x (req, 409, "conflict", json_pack ("{s:s, s:s}", "key", "from", "team", team),
                      "team %s would have more agents away at once than its max_away", team);
        return;
    }
    int64_t now = opd_now_ms ();
    char clash[32] = "";
    int rc = rota_absence_add (http_redis (req), &a, now, clash);
    if (rc < 0) {
        s_unavailable (req);
        return;
    }
    if (rc == 1) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s, s:s}", "key", "from", "overlaps", clash),
                      "from: this absence overlaps absence %s of %s", clash, a.agent);
        return;
    }
    opd_info ("absence recorded id=%s agent=%s kind=%s", a.id, a.agent, a.kind);
    //  The gaps it opens are announced now; opdesk-slo's pass would find
    //  them within a minute otherwise.
    if (rota_announce_agent (http_redis (req), req->cfg, a.agent, now) < 0)
        opd_warn ("coverage.gap pass failed after absence=%s: %s", a.id, opd_redis_error (http_redis (req)));
    //  The gaps it opens, and a sickness's tickets handed back (stored: the
    //  answer is 201 even when Redis fails now, with what was done).
    json_t *out = rota_absence_json (&a);
    if (rota_absence_answer (http_redis (req), req->cfg, &a, now, out) < 0)
        opd_warn ("hand-back or gaps not complete after absence=%s: %s", a.id, opd_redis_error (http_redis (req)));
    http_json (req, 201, out);
}

//  POST /api/v1/absences/ID/approve: a lead approves requested leave
//  (coverage.leave_approval), within the cap teams[].max_away.
void
api_rota_absence_approve (http_req_t *req, const web_auth_t *who, const char *id)
{
    rota_absence_t a;
    int rc = s_id_valid (id) ? rota_absence_get (http_redis (req), id, &a) : 1;
    if (!s_found (req, rc, "absence", id))
        return;
    if (!rota_absence_counts (&a)) {
        snprintf (a.status, sizeof a.status, "approved");
        char team[128];
        int cap = rota_absence_cap (http_redis (req), req->cfg, &a, team, sizeof team);
        if (cap == 1) {
            http_error_x (req, 409, "conflict", json_pack ("{s:s}", "team", team),
                          "team %s would have more agents away at once than its max_away", team);
            return;
        }
        const char *by = who->identity ? who->identity : web_role_name (who->role);
        rc = cap < 0 ? -1 : rota_absence_approve (http_redis (req), id, by);
        if (!s_found (req, rc, "absence", id))
            return;
        opd_info ("leave approved id=%s agent=%s", id, a.agent);
        if (rota_announce_agent (http_redis (req), req->cfg, a.agent, opd_now_ms ()) < 0)
            opd_warn ("coverage.gap pass failed after approving absence=%s", id);
    }
    http_json (req, 200, rota_absence_json (&a));
}

void
api_rota_absence_remove (http_req_t *req, const web_auth_t *who, const char *id)
{
    rota_absence_t a;
    int rc = s_id_valid (id) ? rota_absence_get (http_redis (req), id, &a) : 1;
    if (!s_found (req, rc, "absence", id))
        return;
    if (who->role < OPD_ROLE_LEAD && (!who->identity || strcmp (who->identity, a.agent))) {
        http_error (req, 403, "forbidden", "an agent removes only its own absences; a lead anyone's");
        return;
    }
    rc = rota_absence_remove (http_redis (req), id);
    if (!s_found (req, rc, "absence", id))
        return;
    opd_info ("absence removed id=%s agent=%s", id, a.agent);
    //  Removing an absence only closes or shortens gaps, and a shorter gap
    //  has new edges: the pass runs as after any change.
    if (rota_announce_agent (http_redis (req), req->cfg, a.agent, opd_now_ms ()) < 0)
        opd_warn ("coverage.gap pass failed after removing absence=%s", id);
    http_reply (req, 204, NULL, NULL, 0);
}

void
api_rota_absence_list (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;  //  the route table in api.c checked the role
    (void) id;
    if (!s_args (req, s_arg_absences, "agent, team, from, to"))
        return;
    int64_t from, to;
    const char *team, *agent = http_arg (req, "agent");
    if (agent && !*agent)
        agent = NULL;
    if (s_period (req, &from, &to, COVERAGE_MAX_DAYS) || !s_team_arg (req, &team))
        return;
    if (agent && !opd_config_agent (req->cfg, agent)) {
        s_invalid (req, "agent", "agent: unknown agent '%s'", agent);
        return;
    }
    rota_absence_t *v = NULL;
    size_t n = 0;
    if (rota_absences (http_redis (req), agent, from, to, &v, &n)) {
        s_unavailable (req);
        return;
    }
    json_t *items = json_array ();
    for (size_t i = 0; i < n; i++)
        if (!team || rota_member (req->cfg, v[i].agent, team))
            json_array_append_new (items, rota_absence_json (&v[i]));
    free (v);
    http_json (req, 200, json_pack ("{s:o}", "items", items));
}

//  --- Overrides -----------------------------------------------------------

void
api_rota_override_add (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) id;
    json_t *body = s_body (req);
    if (!body)
        return;
    const char *k;
    json_t *v;
    json_object_foreach (body, k, v) {
        if (strcmp (k, "agent") && strcmp (k, "team") && strcmp (k, "from") && strcmp (k, "to")
            && strcmp (k, "kind")) {
            http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", k),
                          "unknown field '%.100s'; allowed: agent, team, kind, from, to", k);
            json_decref (body);
            return;
        }
    }
    rota_override_t o = {0};
    char kind[16] = "extra";
    bool ok = s_str (req, body, "agent", true, o.agent, sizeof o.agent)
              && s_str (req, body, "team", true, o.team, sizeof o.team)
              && s_str (req, body, "kind", false, kind, sizeof kind)
              && s_instant (req, body, "from", &o.from) && s_instant (req, body, "to", &o.to);
    json_decref (body);
    if (!ok)
        return;
    if (strcmp (kind, "extra") && strcmp (kind, "remove")) {
        s_invalid (req, "kind", "kind: '%s' is not one of extra, remove", kind);
        return;
    }
    o.remove = !strcmp (kind, "remove");
    char key[32], err[300];
    if (rota_override_check (req->cfg, &o, key, sizeof key, err, sizeof err)) {
        s_invalid (req, key, "%s", err);
        return;
    }
    snprintf (o.by, sizeof o.by, "%s", who->identity ? who->identity : web_role_name (who->role));
    int64_t now = opd_now_ms ();
    if (rota_override_add (http_redis (req), &o, now)) {
        s_unavailable (req);
        return;
    }
    opd_info ("rota override id=%s agent=%s team=%s kind=%s", o.id, o.agent, o.team, kind);
    if (rota_announce (http_redis (req), req->cfg, o.team, now) < 0)
        opd_warn ("coverage.gap pass failed after override=%s", o.id);
    http_json (req, 201, rota_override_json (&o));
}

void
api_rota_override_remove (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;  //  the route table in api.c checked the role
    rota_override_t o;
    int rc = s_id_valid (id) ? rota_override_get (http_redis (req), id, &o) : 1;
    if (rc == 0)
        rc = rota_override_remove (http_redis (req), id);
    if (!s_found (req, rc, "override", id))
        return;
    if (rota_announce (http_redis (req), req->cfg, o.team, opd_now_ms ()) < 0)
        opd_warn ("coverage.gap pass failed after removing override=%s", id);
    http_reply (req, 204, NULL, NULL, 0);
}

void
api_rota_override_list (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;  //  the route table in api.c checked the role
    (void) id;
    int64_t from, to;
    const char *team;
    if (!s_period_team (req, COVERAGE_MAX_DAYS, &from, &to, &team))
        return;
    rota_override_t *v = NULL;
    size_t n = 0;
    if (rota_overrides (http_redis (req), team, from, to, &v, &n)) {
        s_unavailable (req);
        return;
    }
    json_t *items = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (items, rota_override_json (&v[i]));
    free (v);
    http_json (req, 200, json_pack ("{s:o}", "items", items));
}

//  --- On call --------------------------------------------------------------

static bool
s_arg_team (const char *name)
{
    return !strcmp (name, "team");
}

void
api_rota_oncall (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;  //  the route table in api.c checked the role
    (void) id;
    const char *team;
    if (!s_args (req, s_arg_team, "team") || !s_team_arg (req, &team))
        return;
    int64_t now = opd_now_ms ();
    rota_changes_t ch;
    if (rota_changes_load (http_redis (req), now, now + 1, &ch)) {
        s_unavailable (req);
        return;
    }
    json_t *teams = rota_oncall_json (req->cfg, team, &ch, now);
    rota_changes_free (&ch);
    http_json (req, 200, json_pack ("{s:o, s:o}", "at", s_time (now), "teams", teams));
}
