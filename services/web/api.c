/*  api: the HTTP API of CONTRACT.md section 5, JSON in and out: the route
    table and its dispatch, and the ticket endpoints (show, change,
    comment). Creating a ticket is in api_create.c, the ticket list in
    api_list.c, /healthz and /metrics in api_health.c, the event history in
    api_events.c, the SLO report in api_report.c; what they share is in
    api.h.

    Every error answer is {"error": {"code", "message"}}, sometimes with more
    keys ("key", "line", "allowed"). Codes: unauthorized 401, forbidden 403,
    not_found 404, method_not_allowed 405, conflict 409, unsupported_media_type
    415, bad_json and bad_request 400, invalid 422, too_large 422 for a text
    over limits.body_bytes (413 only for a request the server will not read
    at all, opd_http; decision 180),
    unavailable 503. The rota's endpoints (coverage, absences, overrides,
    oncall) are in api_rota.c.

    A requester token sees only tickets whose requester email is its
    identity; another's ticket answers 404, as an unknown one does. */
#include "api.h"
#include "opd_change.h"
#include "opd_log.h"
#include "opd_stdresp.h"
#include "opd_ticket.h"
#include "opd_store.h"
#include "opd_util.h"
#include "web.h"
#include "api_rota.h"
#include "api_staffing.h"
#include "api_rota_ics.h"
#include "opd_schema.h"
#include "opd_store.h"
#include <ctype.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zmq.h>


//  --- Small helpers -------------------------------------------------------

void
api_method_not_allowed (http_req_t *req, const char *allow)
{
    http_add_header (req, "Allow", allow);
    http_error (req, 405, "method_not_allowed", "%s is not allowed on %s; allowed: %s", req->method,
                req->path, allow);
}

bool
api_is (const http_req_t *req, const char *method)
{
    return !strcmp (req->method, method);
}


//  The request body as a JSON object; answers 400/415 and returns NULL when
//  it is not one.
bool
api_json_type (http_req_t *req)
{
    const char *ct = http_header (req, "Content-Type");
    if (!ct || !strncasecmp (ct, "application/json", 16))
        return true;
    size_t n = strcspn (ct, "; \t");
    if (n >= 17 && !strncasecmp (ct, "application/", 12) && !strncasecmp (ct + n - 5, "+json", 5))
        return true;
    http_error (req, 415, "unsupported_media_type", "the body must be application/json");
    return false;
}

json_t *
api_body (http_req_t *req)
{
    if (!api_json_type (req))
        return NULL;
    web_body_error_t e;
    json_t *obj = web_body_parse (req->body, req->body_len, &e);
    if (!obj)
        api_body_error (req, &e);
    return obj;
}

//  Answers the refusal of a body (body.c): its status, code, key and, for
//  malformed JSON, where the parser stopped.
void
api_body_error (http_req_t *req, const web_body_error_t *e)
{
    json_t *extra = NULL;
    if (!strcmp (e->code, "bad_json") && e->line)
        extra = json_pack ("{s:i, s:i, s:i}", "line", e->line, "column", e->column, "position", e->position);
    else if (e->key[0])
        extra = json_pack ("{s:s}", "key", e->key);
    http_error_x (req, e->status, e->code, extra, "%s", e->message);
}

//  The body, checked for what who may set (body.c); NULL after answering.
static json_t *
s_body_for (http_req_t *req, const web_auth_t *who, web_body_kind_t kind)
{
    json_t *obj = api_body (req);
    web_body_error_t e;
    if (obj && web_body_keys (kind, who->role, obj, &e)) {
        api_body_error (req, &e);
        json_decref (obj);
        return NULL;
    }
    return obj;
}

void
api_not_found (http_req_t *req, const char *id)
{
    http_error (req, 404, "not_found", "no ticket %s", id);
}

//  ?live=true: the clocks carry remaining_working_ms and overdue_ms as of now
//  (without it a ticket's JSON changes only when the ticket does).
bool
api_live (const http_req_t *req)
{
    const char *v = http_arg (req, "live");
    return v && (!strcmp (v, "true") || !strcmp (v, "1"));
}

//  The ticket, as who may see it; NULL after answering 404 or 503. A
//  requester's ownership is checked first, by the one read web_owns makes
//  whether the ticket exists or not, so that another's ticket and a missing
//  one cost the same and answer the same.
json_t *
api_ticket (http_req_t *req, const web_auth_t *who, const char *id, bool full)
{
    if (!web_id_valid (id)) {
        api_not_found (req, id);
        return NULL;
    }
    int owns = web_owns (req, who, id);
    if (owns <= 0) {
        if (owns < 0)
            http_error (req, 503, "unavailable", "the ticket store is unavailable: %s",
                        opd_redis_error (http_redis (req)));
        else
            api_not_found (req, id);
        return NULL;
    }
    opd_ticket_error_t err;
    unsigned flags = (full ? OPD_TICKET_FULL : 0) | (api_live (req) ? OPD_TICKET_LIVE : 0);
    json_t *t = opd_ticket_fetch (http_redis (req), req->cfg, id, flags, &err);
    if (!t) {
        if (err.code == OPD_TICKET_UNAVAILABLE)
            http_error (req, 503, "unavailable", "%s", err.message);
        else
            api_not_found (req, id);
        return NULL;
    }
    if (!web_may_see (who, t)) {
        json_decref (t);
        api_not_found (req, id);
        return NULL;
    }
    web_filter_ticket (who, t);
    return t;
}

void
api_etag (http_req_t *req, json_t *t)
{
    char etag[40];
    snprintf (etag, sizeof etag, "\"%lld\"", (long long) json_integer_value (json_object_get (t, "version")));
    http_add_header (req, "ETag", etag);
}

//  --- Tickets: change -----------------------------------------------------

//  A string member, or "" for null when nullable; NULL when absent. Answers
//  422 and sets *bad when the type is wrong.
static const char *
s_str_member (http_req_t *req, json_t *obj, const char *key, bool nullable, bool *bad)
{
    json_t *v = json_object_get (obj, key);
    if (!v || *bad)
        return NULL;
    if (json_is_string (v))
        return json_string_value (v);
    if (nullable && json_is_null (v))
        return "";
    http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", key), "%s must be a string%s", key,
                  nullable ? " or null" : "");
    *bad = true;
    return NULL;
}

//  If-Match: a version number, quoted or not (the ETag of GET).
static int
s_if_match (http_req_t *req, char *out, size_t size)
{
    const char *h = http_header (req, "If-Match");
    out[0] = 0;
    if (!h)
        return 0;
    if (!strncmp (h, "W/", 2))
        h += 2;
    size_t n = strlen (h);
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= size || strspn (h, "0123456789") < n) {
        http_error (req, 400, "bad_request", "If-Match must be the ticket's version (its ETag)");
        return -1;
    }
    memcpy (out, h, n);
    out[n] = 0;
    return 0;
}

//  Another requester's ticket is 404 whatever the body asks (the contract:
//  never 403), so a requester's access is checked before the body's keys.
//  True with the requester's ticket in *seen (the caller frees it), or with
//  *seen NULL for every other role; false after answering 404 (or 503).
static bool
s_visible (http_req_t *req, const web_auth_t *who, const char *id, json_t **seen)
{
    *seen = who->role == OPD_ROLE_REQUESTER ? api_ticket (req, who, id, false) : NULL;
    return who->role != OPD_ROLE_REQUESTER || *seen;
}

static void
s_patch (http_req_t *req, const web_auth_t *who, const char *id)
{
    json_t *seen = NULL;
    if (!s_visible (req, who, id, &seen))
        return;
    json_t *obj = s_body_for (req, who, WEB_BODY_PATCH);
    if (!obj) {
        json_decref (seen);
        return;
    }
    bool bad = false;
    opd_change_t ch = {0};
    ch.status = s_str_member (req, obj, "status", false, &bad);
    ch.priority = s_str_member (req, obj, "priority", false, &bad);
    ch.severity = s_str_member (req, obj, "severity", true, &bad);
    ch.category = s_str_member (req, obj, "category", false, &bad);
    ch.team = s_str_member (req, obj, "team", false, &bad);
    ch.assignee = s_str_member (req, obj, "assignee", true, &bad);
    ch.note = s_str_member (req, obj, "note", true, &bad);
    json_t *fields = json_object_get (obj, "fields");
    if (!bad && fields && !json_is_object (fields)) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "fields"),
                      "fields must be an object of field names to values (null removes one)");
        bad = true;
    }
    char version[32];
    if (bad || s_if_match (req, version, sizeof version)) {
        json_decref (seen);
        json_decref (obj);
        return;
    }
    ch.fields = fields;
    ch.actor = who->identity;
    ch.expected_version = version;
    if (who->role == OPD_ROLE_REQUESTER) {
        //  A requester may reopen its own resolved ticket, and nothing else
        //  (s_patch_keys let status and note through).
        if (!ch.status || strcmp (ch.status, "open")) {
            http_error (req, 403, "forbidden", "a requester may only reopen its own resolved tickets (status open)");
            json_decref (seen);
            json_decref (obj);
            return;
        }
        const char *st = json_string_value (json_object_get (seen, "status"));
        if (!st || strcmp (st, "resolved")) {
            http_error_x (req, 409, "conflict", json_pack ("{s:s?}", "status", st),
                          "%s is %s; a requester can only reopen a resolved ticket", id, st ? st : "?");
            json_decref (seen);
            json_decref (obj);
            return;
        }
        //  Reopen exactly the version looked at: a change in between is a conflict.
        if (!version[0])
            snprintf (version, sizeof version, "%lld",
                      (long long) json_integer_value (json_object_get (seen, "version")));
        json_decref (seen);
    }
    else if (!web_id_valid (id)) {
        api_not_found (req, id);
        json_decref (obj);
        return;
    }
    opd_change_result_t res;
    int rc = opd_change_apply (http_redis (req), req->cfg, id, &ch, &res);
    json_decref (obj);
    if (rc) {
        json_t *extra = res.key[0] ? json_pack ("{s:s}", "key", res.key) : json_object ();
        switch (res.code) {
        case OPD_CHANGE_NOT_FOUND:
            json_decref (extra);
            api_not_found (req, id);
            return;
        case OPD_CHANGE_CONFLICT: {
            json_t *moves = json_array ();
            gchar **parts = g_strsplit (res.allowed, ",", -1);
            for (int i = 0; parts[i]; i++)
                if (*parts[i])
                    json_array_append_new (moves, json_string (parts[i]));
            g_strfreev (parts);
            json_object_set_new (extra, "status", json_string (res.status));
            json_object_set_new (extra, "allowed", moves);
            http_error_x (req, 409, "conflict", extra, "%s", res.message);
            return;
        }
        case OPD_CHANGE_VERSION:
            json_object_set_new (extra, "version", json_integer (res.version));
            http_error_x (req, 409, "conflict", extra, "%s", res.message);
            return;
        case OPD_CHANGE_UNAVAILABLE:
            json_decref (extra);
            http_error (req, 503, "unavailable", "%s", res.message);
            return;
        case OPD_CHANGE_EMPTY:
            json_decref (extra);
            http_error (req, 422, "invalid",
                        "nothing to change: give status, priority, severity, category, team, assignee or fields");
            return;
        default:
            http_error_x (req, 422, "invalid", extra, "%s", res.message);
            return;
        }
    }
    opd_info ("updated ticket=%s version=%lld changed=%d role=%s", id, res.version, res.changed,
              web_role_name (who->role));
    if (res.changed)
        api_wait_clocks (req, id, false);
    json_t *t = api_ticket (req, who, id, true);
    if (!t)
        return;
    api_etag (req, t);
    http_json (req, 200, t);
}

//  --- Comments ------------------------------------------------------------

//  The comment's text: the body, and the standard response rendered for
//  the ticket after it (opd_stdresp_comment_text). NULL when it answered
//  an error: 422 for a variable without a value (named, nothing stored),
//  404, 503. Without a response the caller has checked the body.
static char *
s_comment_text (http_req_t *req, const char *id, const opd_stdresp_t *sr, const char *body)
{
    if (!sr)
        return opd_strdup (body);
    char *text = NULL, *refusal = NULL;
    opd_template_error_t err;
    int rc = opd_stdresp_comment_text (http_redis (req), req->cfg, id, sr, body, &text, &refusal, &err);
    if (rc == 1)
        http_error_x (req, 422, "invalid",
                      json_pack ("{s:s, s:s, s:s}", "key", "standard_response", "response", sr->id,
                                 "variable", err.name),
                      "%s", refusal);
    else if (rc == 2)
        api_not_found (req, id);
    else if (rc < 0)
        http_error (req, 503, "unavailable", "the ticket could not be read: %s",
                    opd_redis_error (http_redis (req)));
    if (rc == 1)
        opd_info ("standard response refused ticket=%s response=%s variable=%s", id, sr->id, err.name);
    free (refusal);
    return text;
}

static void
s_comment (http_req_t *req, const web_auth_t *who, const char *id)
{
    json_t *seen = NULL;
    if (!s_visible (req, who, id, &seen))
        return;
    json_decref (seen);  //  a requester's ticket is there: not read again below
    json_t *obj = s_body_for (req, who, WEB_BODY_COMMENT);
    if (!obj)
        return;
    bool bad = false;
    const char *body = s_str_member (req, obj, "body", false, &bad);
    const char *sr_id = s_str_member (req, obj, "standard_response", true, &bad);
    json_t *pub = json_object_get (obj, "public");
    if (!bad && pub && !json_is_boolean (pub)) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "public"), "public must be true or false");
        bad = true;
    }
    if (bad) {
        json_decref (obj);
        return;
    }
    bool public = !pub || json_is_true (pub);
    if (sr_id && !*sr_id)
        sr_id = NULL;
    if (who->role == OPD_ROLE_REQUESTER && !public) {
        http_error_x (req, 403, "forbidden", json_pack ("{s:s}", "key", "public"),
                      "a requester's comments are public");
        json_decref (obj);
        return;
    }
    const opd_stdresp_t *sr = sr_id ? opd_config_stdresp (req->cfg, sr_id) : NULL;
    if (sr_id && !sr) {
        char list[1024] = "";
        for (size_t i = 0; i < req->cfg->nstdresps; i++)
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i ? ", " : "",
                      req->cfg->stdresps[i].id);
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "standard_response"),
                      "unknown standard response '%s'; allowed: %s", sr_id, list[0] ? list : "none");
        json_decref (obj);
        return;
    }
    if (!sr && !(body && *body)) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "body"), "body is required");
        json_decref (obj);
        return;
    }
    json_t *t = who->role == OPD_ROLE_REQUESTER ? NULL : api_ticket (req, who, id, false);
    if (who->role != OPD_ROLE_REQUESTER && !t) {
        json_decref (obj);
        return;
    }
    json_decref (t);
    char *text = s_comment_text (req, id, sr, body);
    if (!text) {
        json_decref (obj);
        return;
    }
    if (strlen (text) > (size_t) req->cfg->body_bytes) {
        http_error_x (req, 422, "too_large", json_pack ("{s:s}", "key", "body"),
                      "body is longer than %lld bytes", (long long) req->cfg->body_bytes);
        free (text);
        json_decref (obj);
        return;
    }
    const char *role = who->role == OPD_ROLE_REQUESTER ? "requester" : "agent";
    int64_t now = opd_now_ms ();
    opd_redis_t *redis = http_redis (req);
    opd_store_comment_t in = {id, who->identity, role, public, text, sr_id};
    opd_store_result_t res;
    int rc = opd_store_comment (redis, req->cfg, now, &in, &res);
    if (rc)
        http_error (req, 503, "unavailable", "the comment could not be stored%s%s", rc == -1 ? ": " : "",
                    rc == -1 ? opd_redis_error (redis) : "");
    else if (res.outcome == OPD_STORE_NOT_FOUND)
        api_not_found (req, id);
    else if (res.outcome == OPD_STORE_CLOSED)
        http_error (req, 409, "conflict", "%s is closed; closed tickets take no comments", id);
    else if (res.outcome != OPD_STORE_OK)
        http_error (req, 503, "unavailable", "the comment was refused (%s)", res.what);
    else {
        char at[40], loc[160];
        opd_rfc3339 (now, at, sizeof at);
        long long cid = res.comment_id;
        json_t *c = json_pack ("{s:I, s:s, s:s, s:b, s:s, s:s}", "id", (json_int_t) cid, "author",
                               who->identity, "role", role, "public", public, "body", text, "at", at);
        if (sr_id)
            json_object_set_new (c, "standard_response", json_string (sr_id));
        snprintf (loc, sizeof loc, "/api/v1/tickets/%s", id);
        http_add_header (req, "Location", loc);
        opd_info ("commented ticket=%s comment=%lld public=%d role=%s", id, cid, public, role);
        http_json (req, 201, c);
    }
    free (text);
    json_decref (obj);
}

//  --- Routing -------------------------------------------------------------

//  The API's routes, read in one place: method, path ("*" stands for one
//  segment, the ticket or absence id handed to the handler), the least role
//  that may use it, the handler, and what it is (for the 403 message).
//  Handlers decide nothing about roles beyond what a requester may see of
//  a ticket (its own only) and the body tables of body.c.
typedef void (route_fn) (http_req_t *req, const web_auth_t *who, const char *id);

typedef struct {
    const char *method;
    const char *path;
    opd_role_t least;
    route_fn *fn;
    const char *what;
} route_t;

static void
s_route_show (http_req_t *req, const web_auth_t *who, const char *id)
{
    json_t *t = api_ticket (req, who, id, true);
    if (t) {
        api_etag (req, t);
        http_json (req, 200, t);
    }
}

#define REQUESTER OPD_ROLE_REQUESTER
#define AGENT OPD_ROLE_AGENT
#define LEAD OPD_ROLE_LEAD

static const route_t s_routes[] = {
    {"GET", "/api/v1/tickets", REQUESTER, api_ticket_list, "the ticket list"},
    {"POST", "/api/v1/tickets", REQUESTER, api_create, "ticket creation"},
    {"GET", "/api/v1/tickets/*", REQUESTER, s_route_show, "tickets"},
    {"PATCH", "/api/v1/tickets/*", REQUESTER, s_patch, "ticket changes"},
    {"POST", "/api/v1/tickets/*/comments", REQUESTER, s_comment, "comments"},
    {"GET", "/api/v1/tickets/*/suggestions", AGENT, api_suggestions, "standard response suggestions"},
    {"POST", "/api/v1/tickets/*/attachments", REQUESTER, api_attach_upload, "attachments"},
    {"GET", "/api/v1/tickets/*/attachments/*", REQUESTER, api_attach_get, "attachments"},
    {"POST", "/api/v1/tickets/*/hold", LEAD, api_hold_set, "legal holds"},
    {"DELETE", "/api/v1/tickets/*/hold", LEAD, api_hold_lift, "legal holds"},
    {"GET", "/api/v1/events", AGENT, api_events, "the event history"},
    {"GET", "/api/v1/slo/report", LEAD, api_slo_report, "the SLO report"},
    {"GET", "/api/v1/coverage", LEAD, api_rota_coverage, "the coverage report"},
    {"GET", "/api/v1/absences", AGENT, api_rota_absence_list, "the absences"},
    {"POST", "/api/v1/absences", AGENT, api_rota_absence_add, "recording absences"},
    {"DELETE", "/api/v1/absences/*", AGENT, api_rota_absence_remove, "removing absences"},
    {"POST", "/api/v1/absences/*/approve", LEAD, api_rota_absence_approve, "approving leave"},
    {"GET", "/api/v1/overrides", AGENT, api_rota_override_list, "the shift overrides"},
    {"POST", "/api/v1/overrides", LEAD, api_rota_override_add, "adding shift overrides"},
    {"DELETE", "/api/v1/overrides/*", LEAD, api_rota_override_remove, "removing shift overrides"},
    {"GET", "/api/v1/oncall", AGENT, api_rota_oncall, "who is on duty"},
    {"GET", "/api/v1/rota", AGENT, api_rota_rota, "the rota"},
    {"GET", "/api/v1/staffing", LEAD, api_staffing, "the staffing advice"},
    {"POST", "/api/v1/rota/feeds", AGENT, api_rota_feed_add, "making calendar feeds"},
    {"DELETE", "/api/v1/rota/feeds/*", AGENT, api_rota_feed_remove, "revoking calendar feeds"},
    {NULL, NULL, 0, NULL, NULL}};

#undef REQUESTER
#undef AGENT
#undef LEAD

//  True when path matches pattern; the segment "*" stood for goes into id.
static bool
s_path_match (const char *pattern, const char *path, char *id, size_t idsize)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t n = strcspn (path, "/");
            if (n == 0 || n >= idsize)
                return false;
            memcpy (id, path, n);
            id[n] = 0;
            path += n;
            pattern++;
        }
        else if (*pattern++ != *path++)
            return false;
    }
    return !*pattern && !*path;
}

//  Answers req by the route table: 404 for an unknown path, 405 (with
//  Allow) for a known path and another method, 403 for a role below the
//  route's, else the handler.
static void
s_route (http_req_t *req, const web_auth_t *who)
{
    char id[80] = "", allow[64] = "";
    for (const route_t *r = s_routes; r->method; r++) {
        if (!s_path_match (r->path, req->path, id, sizeof id))
            continue;
        if (strcmp (r->method, req->method)) {
            snprintf (allow + strlen (allow), sizeof allow - strlen (allow), "%s%s", allow[0] ? ", " : "",
                      r->method);
            continue;
        }
        if (who->role < r->least) {
            http_error (req, 403, "forbidden", "a %s token may not use %s", web_role_name (who->role),
                        r->what);
            return;
        }
        r->fn (req, who, id);
        return;
    }
    if (allow[0])
        api_method_not_allowed (req, allow);
    else
        http_error (req, 404, "not_found", "there is nothing at %s", req->path);
}

bool
api_handle (http_req_t *req)
{
    const char *p = req->path;
    if (!strcmp (p, "/healthz")) {
        api_healthz (req);
        return true;
    }
    if (!strcmp (p, "/metrics")) {
        api_metrics (req);
        return true;
    }
    if (strncmp (p, "/api/", 5))
        return false;
    http_add_header (req, "Cache-Control", "no-store");
    //  Rate limits (channels.web.rate_limit): per client address before
    //  the token is even looked at, then per token (by its identity).
    const opd_rate_config_t *rl = &req->cfg->web_rate;
    if (http_rate (req, "addr", http_client (req), rl->api_address, true))
        return true;
    //  A calendar application sends no bearer token: the feed's own is in
    //  the query (api_rota_ics.c).
    if (!strcmp (p, API_ROTA_ICS_PATH)) {
        api_rota_ics (req);
        return true;
    }
    web_auth_t who;
    if (web_auth_bearer (req, &who))
        return true;
    char subject[600];
    snprintf (subject, sizeof subject, "%s:%s", web_role_name (who.role), who.identity);
    if (http_rate (req, "token", subject, rl->api_token, true))
        return true;
    s_route (req, &who);
    return true;
}
