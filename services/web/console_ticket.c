/*  console_ticket: one ticket in the agent console (console.h).

    GET  /agent/tickets/ID            timeline, side panel, forms
    POST /agent/tickets/ID/reply      a public reply        (opd_store_comment)
    POST /agent/tickets/ID/note       an internal note      (opd_store_comment)
    POST /agent/tickets/ID/status, /priority, /handoff, /assign
                                      (opd_change_apply, as PATCH does)
    POST /agent/tickets/ID/draft      a draft as the agent types (console_draft.c)
    GET  /agent/tickets/ID/version    {"version": N}: console.js shows a
                                      banner when it moves

    Every POST passes portal_form_post (same origin, CSRF token of the
    session). The rules of a change (the workflow, a note to resolve or hand
    off, an assignee of the team) are store/'s opd_change, shared with the
    API and the command line; this file only turns a form into its call and
    the answer into a page.

    Every form carries the ticket's version when the page was made. A reply
    or note sent against a ticket that changed since is not stored: the page
    comes back with a banner saying what changed, the text kept in the form,
    and a "Send anyway" button (confirm=1 with the new version). */
#include "console.h"
#include "opd_blob.h"
#include "opd_change.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What the page shows above the ticket: a notice, or a held reply.
typedef struct {
    const char *notice;     //  "Reply sent." and the like
    const char *error;      //  why the last form was refused
    const char *held_kind;  //  "reply" or "note": text sent back into its form
    const char *held_body;
    bool changed;           //  held because the ticket changed: offer "Send anyway"
    const char *response;   //  the standard response chosen in the reply form, previewed
} view_extra_t;

static void
s_row (GString *b, const char *label, const char *value, const char *id)
{
    g_string_append (b, "<tr><th>");
    portal_esc (b, label);
    g_string_append_printf (b, "</th><td%s%s%s>", id ? " id=\"" : "", id ? id : "", id ? "\"" : "");
    portal_esc (b, value && *value ? value : "-");
    g_string_append (b, "</td></tr>");
}

//  The ticket's attachments as download links (GET, attach.c); a file the
//  desk kept only as metadata (too large, no folder) is named without a link.
static void
s_attachments (GString *b, json_t *t)
{
    json_t *list = json_object_get (t, "attachments");
    if (!json_array_size (list))
        return;
    g_string_append (b, "<h2>Attachments</h2><ul id=\"attachments\">");
    size_t i;
    json_t *a;
    json_array_foreach (list, i, a) {
        const char *name = portal_jstr (a, "name");
        const char *sha = portal_jstr (a, "sha256");
        json_int_t size = json_integer_value (json_object_get (a, "size"));
        g_string_append (b, "<li>");
        if (sha && opd_blob_name_valid (sha)) {
            g_string_append (b, "<a href=\"/agent/tickets/");
            portal_esc (b, portal_jstr (t, "id"));
            g_string_append_printf (b, "/attachments/%s\" download>", sha);
            portal_esc (b, name ? name : sha);
            g_string_append (b, "</a>");
        }
        else
            portal_esc (b, name ? name : "-");
        if (size >= 1048576)
            g_string_append_printf (b, " (%.1f MB)</li>", (double) size / 1048576.0);
        else if (size >= 1024)
            g_string_append_printf (b, " (%.1f KB)</li>", (double) size / 1024.0);
        else
            g_string_append_printf (b, " (%lld bytes)</li>", (long long) size);
    }
    g_string_append (b, "</ul>");
}

static void
s_side (GString *b, http_req_t *req, const web_auth_t *who, json_t *t, int64_t now)
{
    json_t *rq = json_object_get (t, "requester");
    g_string_append (b, "<aside><h2>Details</h2><table class=\"side\">");
    s_row (b, "Requester", portal_jstr (rq, "name"), "requester");
    s_row (b, "Email", portal_jstr (rq, "email"), NULL);
    s_row (b, "Phone", portal_jstr (rq, "phone"), NULL);
    s_row (b, "Status", portal_jstr (t, "status"), "status");
    s_row (b, "Priority", portal_jstr (t, "priority"), "priority");
    s_row (b, "Team", portal_jstr (t, "team"), "team");
    s_row (b, "Assignee", portal_jstr (t, "assignee"), "assignee");
    s_row (b, "Category", portal_jstr (t, "category"), "category");
    s_row (b, "Kind", portal_jstr (t, "kind"), NULL);
    s_row (b, "Request type", portal_jstr (t, "request_type"), NULL);
    s_row (b, "Channel", portal_jstr (t, "channel"), NULL);
    const char *k;
    json_t *v;
    json_object_foreach (json_object_get (t, "fields"), k, v) {
        char *text = json_is_string (v) ? opd_strdup (json_string_value (v)) : json_dumps (v, JSON_ENCODE_ANY);
        s_row (b, k, text, NULL);
        free (text);
    }
    g_string_append (b, "</table>");
    s_attachments (b, t);
    g_string_append (b, "<h2>SLO</h2><ul id=\"clocks\">");
    static const char *const clocks[] = {"first_response", "next_reply", "resolution"};
    for (size_t i = 0; i < 3; i++) {
        GString *one = g_string_new (NULL);
        console_badge (one, req->cfg, who, t, clocks[i], now);
        if (one->len)
            g_string_append_printf (b, "<li>%s</li>", one->str);
        g_string_free (one, TRUE);
    }
    g_string_append (b, "</ul></aside>");
}

//  One side of a change: text as it is, none as "-", the custom fields (a
//  map) as compact JSON.
static void
s_change_value (GString *b, json_t *v)
{
    if (json_is_string (v))
        portal_esc (b, json_string_value (v));
    else if (!v || json_is_null (v))
        g_string_append (b, "-");
    else {
        char *text = json_dumps (v, JSON_COMPACT | JSON_SORT_KEYS);
        portal_esc (b, text ? text : "-");
        free (text);
    }
}

//  A history item's details in words: changes as "field: old → new", the
//  note, and the other scalar details as "key: value".
static void
s_details (GString *b, json_t *d, GTimeZone *tz)
{
    const char *k;
    json_t *v;
    json_object_foreach (json_object_get (d, "changes"), k, v) {
        g_string_append (b, " ");
        portal_esc (b, k);
        g_string_append (b, ": ");
        s_change_value (b, json_array_get (v, 0));
        g_string_append (b, " \u2192 ");
        s_change_value (b, json_array_get (v, 1));
        g_string_append (b, ";");
    }
    json_object_foreach (d, k, v) {
        if (!strcmp (k, "changes") || !strcmp (k, "note") || !strcmp (k, "comment") || json_is_null (v)
            || json_is_object (v) || json_is_array (v))
            continue;
        g_string_append (b, " ");
        portal_esc (b, k);
        g_string_append (b, ": ");
        size_t n = strlen (k);
        if (json_is_string (v) && n > 3 && !strcmp (k + n - 3, "_at"))
            console_time (b, json_string_value (v), tz);  //  a time: in the agent's zone
        else {
            char *text = json_is_string (v) ? opd_strdup (json_string_value (v)) : json_dumps (v, JSON_ENCODE_ANY);
            portal_esc (b, text);
            free (text);
        }
        g_string_append (b, ";");
    }
    const char *note = portal_jstr (d, "note");
    if (note) {
        g_string_append (b, "<div class=\"body\">");
        portal_esc (b, note);
        g_string_append (b, "</div>");
    }
}

static void
s_comment_item (GString *b, json_t *c, GTimeZone *tz)
{
    bool pub = json_is_true (json_object_get (c, "public"));
    const char *role = portal_jstr (c, "role");
    g_string_append_printf (b, "<li class=\"comment%s\" id=\"c%lld\" data-kind=\"%s\"><p class=\"muted\">",
                            pub ? "" : " note", (long long) json_integer_value (json_object_get (c, "id")),
                            pub ? "message" : "note");
    g_string_append (b, pub ? (role && !strcmp (role, "requester") ? "Message from " : "Reply by ")
                            : "Internal note by ");
    portal_esc (b, portal_jstr (c, "author"));
    g_string_append (b, ", ");
    console_time (b, portal_jstr (c, "at"), tz);
    g_string_append (b, "</p><div class=\"body\">");
    portal_esc (b, portal_jstr (c, "body"));
    g_string_append (b, "</div></li>");
}

static void
s_history_item (GString *b, json_t *h, GTimeZone *tz)
{
    const char *action = portal_jstr (h, "action");
    if (!action || !strcmp (action, "comment") || !strcmp (action, "internal_comment"))
        return;  //  shown as the comment itself
    g_string_append (b, "<li class=\"event\" data-action=\"");
    portal_esc (b, action);
    g_string_append (b, "\">");
    console_time (b, portal_jstr (h, "at"), tz);
    g_string_append (b, " <strong>");
    portal_esc (b, action);
    g_string_append (b, "</strong> by ");
    portal_esc (b, portal_jstr (h, "actor"));
    g_string_append (b, ":");
    s_details (b, json_object_get (h, "details"), tz);
    g_string_append (b, "</li>");
}

//  Comments and history in one order of time (both RFC 3339 UTC, so their
//  text orders as their times do); a comment before the history item that
//  records it.
static void
s_timeline (GString *b, json_t *t, GTimeZone *tz)
{
    json_t *cs = json_object_get (t, "comments"), *hs = json_object_get (t, "history");
    size_t i = 0, j = 0, nc = json_array_size (cs), nh = json_array_size (hs);
    g_string_append (b, "<h2>Timeline</h2><ol id=\"timeline\">");
    while (i < nc || j < nh) {
        json_t *c = json_array_get (cs, i), *h = json_array_get (hs, j);
        const char *ca = portal_jstr (c, "at"), *ha = portal_jstr (h, "at");
        if (c && (!h || strcmp (ca ? ca : "", ha ? ha : "") <= 0)) {
            s_comment_item (b, c, tz);
            i++;
        }
        else {
            s_history_item (b, h, tz);
            j++;
        }
    }
    g_string_append (b, "</ol>");
}

static void
s_form_open (GString *b, const web_session_t *s, const char *id, const char *action, long long version)
{
    g_string_append (b, "<form method=\"post\" action=\"/agent/tickets/");
    portal_esc (b, id);
    g_string_append_printf (b, "/%s\" id=\"form-%s\">", action, action);
    portal_csrf_field (b, s->csrf);
    g_string_append_printf (b, "<input type=\"hidden\" name=\"version\" value=\"%lld\">", version);
}

static void
s_options (GString *b, const char *const *values, size_t n, const char *chosen, const char *none)
{
    if (none)
        g_string_append_printf (b, "<option value=\"\">%s</option>", none);
    for (size_t i = 0; i < n; i++) {
        g_string_append (b, "<option value=\"");
        portal_esc (b, values[i]);
        g_string_append (b, chosen && !strcmp (chosen, values[i]) ? "\" selected>" : "\">");
        portal_esc (b, values[i]);
        g_string_append (b, "</option>");
    }
}

static void
s_text_form (GString *b, http_req_t *req, const web_session_t *s, const char *id, long long version,
             const char *kind, const char *text, bool confirm, const char *response)
{
    bool reply = !strcmp (kind, "reply");
    s_form_open (b, s, id, kind, version);
    if (confirm)
        g_string_append (b, "<input type=\"hidden\" name=\"confirm\" value=\"1\">");
    //  A reply may be a standard response alone: its box is not required.
    g_string_append_printf (b, "<label for=\"%s-body\">%s</label><textarea id=\"%s-body\" name=\"body\" "
                               "data-draft=\"%s\"%s>",
                            kind, reply ? "Public reply (reaches the requester)" : "Internal note (agents only)",
                            kind, kind, reply ? "" : " required");
    portal_esc (b, text);
    g_string_append_printf (b, "</textarea><span class=\"draft muted\" id=\"%s-body-draft\" aria-live=\"polite\">"
                               "</span>",
                            kind);
    if (reply)
        console_stdresp_picker (b, req, id, response);
    g_string_append_printf (b, " <button type=\"submit\">%s</button></form>",
                            confirm ? (reply ? "Send reply anyway" : "Add note anyway")
                                    : (reply ? "Send reply" : "Add note"));
}

static void
s_change_forms (GString *b, const opd_config_t *cfg, const web_session_t *s, json_t *t, long long version)
{
    const char *id = portal_jstr (t, "id");
    static const char *const statuses[] = {"new", "open", "pending", "resolved", "closed"};
    static const char *const prios[] = {"P1", "P2", "P3", "P4"};
    s_form_open (b, s, id, "status", version);
    g_string_append (b, "<label for=\"status-value\">Status</label><select id=\"status-value\" name=\"status\">");
    s_options (b, statuses, 5, portal_jstr (t, "status"), NULL);
    g_string_append (b, "</select><label for=\"status-note\">Note (required to resolve: it reaches the "
                        "requester)</label><textarea id=\"status-note\" name=\"note\"></textarea>"
                        "<button type=\"submit\">Change status</button></form>");
    s_form_open (b, s, id, "priority", version);
    g_string_append (b, "<label for=\"priority-value\">Priority</label><select id=\"priority-value\" name=\"priority\">");
    s_options (b, prios, 4, portal_jstr (t, "priority"), NULL);
    g_string_append (b, "</select><button type=\"submit\">Change priority</button></form>");
    const char **ids = opd_calloc (cfg->nteams + cfg->nagents + 1, sizeof (char *));
    for (size_t i = 0; i < cfg->nteams; i++)
        ids[i] = cfg->teams[i].id;
    s_form_open (b, s, id, "handoff", version);
    g_string_append (b, "<label for=\"handoff-team\">Hand off to team</label><select id=\"handoff-team\" name=\"team\">");
    s_options (b, ids, cfg->nteams, portal_jstr (t, "team"), NULL);
    g_string_append (b, "</select><label for=\"handoff-note\">Hand-off note (required)</label>"
                        "<textarea id=\"handoff-note\" name=\"note\" required></textarea>"
                        "<button type=\"submit\">Hand off</button></form>");
    size_t n = 0;
    const char *team = portal_jstr (t, "team");
    for (size_t i = 0; i < cfg->nagents; i++)
        if (team && opd_agent_in_team (cfg, cfg->agents[i].id, team))
            ids[n++] = cfg->agents[i].id;
    s_form_open (b, s, id, "assign", version);
    g_string_append (b, "<label for=\"assign-value\">Assignee</label><select id=\"assign-value\" name=\"assignee\">");
    s_options (b, ids, n, portal_jstr (t, "assignee"), "unassigned");
    g_string_append (b, "</select><button type=\"submit\">Assign</button></form>");
    free (ids);
}

//  The ticket, or NULL after answering 404 or 503.
static json_t *
s_load (http_req_t *req, const web_auth_t *who, const char *id)
{
    opd_ticket_error_t err = {0};
    json_t *t = web_id_valid (id) ? opd_ticket_fetch (http_redis (req), req->cfg, id,
                                                      OPD_TICKET_FULL | OPD_TICKET_LIVE, &err)
                                  : NULL;
    if (!t && err.code == OPD_TICKET_UNAVAILABLE)
        portal_message_page (req, 503, "Unavailable", who, "The ticket cannot be shown at the moment.");
    else if (!t)
        portal_message_page (req, 404, "Not found", who, "There is no such ticket.");
    return t;
}

static void
s_show (http_req_t *req, const web_session_t *s, const char *id, int status, const view_extra_t *x)
{
    json_t *t = s_load (req, &s->who, id);
    if (!t)
        return;
    long long version = (long long) json_integer_value (json_object_get (t, "version"));
    const char *tid = portal_jstr (t, "id");
    GString *b = g_string_new ("<p><a href=\"/agent\">&larr; Queue</a></p><h1>");
    portal_esc (b, tid);
    g_string_append (b, ": <span id=\"subject\">");
    portal_esc (b, portal_jstr (t, "subject"));
    g_string_append (b, "</span></h1><p class=\"banner\" id=\"changed\" role=\"status\" hidden>This ticket "
                        "changed since you opened it. <a href=\"\">Reload</a> to see what changed; your drafts "
                        "are kept.</p>");
    console_presence_html (b, req, s, tid);
    console_live_from (b, req);
    g_string_append (b, "<div class=\"grid\" data-ticket=\"");
    portal_esc (b, tid);
    g_string_append_printf (b, "\" data-version=\"%lld\"><section>", version);
    if (x && x->notice) {
        g_string_append (b, "<p class=\"ok\" role=\"status\" id=\"notice\">");
        portal_esc (b, x->notice);
        g_string_append (b, "</p>");
    }
    if (x && x->error) {
        g_string_append (b, "<p class=\"error\" role=\"alert\" id=\"error\">");
        portal_esc (b, x->error);
        g_string_append (b, "</p>");
    }
    GTimeZone *tz = console_tz (req->cfg, &s->who, NULL);
    g_string_append (b, "<h2>Description</h2><div class=\"body\" id=\"description\">");
    portal_esc (b, portal_jstr (t, "body"));
    g_string_append (b, "</div>");
    s_timeline (b, t, tz);
    g_time_zone_unref (tz);
    static const char *const kinds[] = {"reply", "note"};
    for (size_t i = 0; i < 2; i++) {
        //  The text held back by the last post, else the saved draft.
        bool held = x && x->held_kind && !strcmp (x->held_kind, kinds[i]);
        char *draft = held ? NULL : console_draft_get (req, &s->who, tid, kinds[i]);
        s_text_form (b, req, s, tid, version, kinds[i], held ? x->held_body : draft ? draft : "", held && x->changed,
                     held && x ? x->response : NULL);
        free (draft);
    }
    s_change_forms (b, req->cfg, s, t, version);
    g_string_append (b, "</section>");
    s_side (b, req, &s->who, t, opd_now_ms ());
    g_string_append (b, "</div>");
    char title[128];
    snprintf (title, sizeof title, "%s", tid);
    json_decref (t);
    portal_page_script (req, status, title, &s->who, b, console_css, "/agent/console.js");
}

//  303 to the ticket, with a fragment when given.
static void
s_back (http_req_t *req, const char *id, const char *fragment)
{
    char *loc = opd_sprintf ("/agent/tickets/%s%s", id, fragment ? fragment : "");
    portal_redirect (req, loc);
    free (loc);
}

//  The ticket's current version: >= 0, or -1 (none, or Redis failed).
static long long
s_version (http_req_t *req, const char *id)
{
    const char *field = "version";
    redisReply *r = opd_store_fields (http_redis (req), id, &field, 1);
    long long v = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_STRING)
        v = strtoll (r->element[0]->str, NULL, 10);
    if (r)
        freeReplyObject (r);
    return v;
}

//  "Preview" and "Edit before sending" of the reply form: nothing is sent.
//  Edit puts the agent's text and the rendered response into the box (and
//  the draft) and drops the choice: sent, it is the agent's own reply.
static void
s_stdresp_step (http_req_t *req, const web_session_t *s, const char *id, bool edit, view_extra_t *x)
{
    if (!edit || !x->response) {
        s_show (req, s, id, 200, x);
        return;
    }
    char *text = NULL, *error = NULL;
    int rc = console_stdresp_text (req, id, x->response, x->held_body, &text, &error);
    if (rc == 0) {
        x->held_body = text, x->response = NULL;
        x->notice = "The response is in your reply: edit it, then send it. It is sent as your own reply, "
                    "not counted as a use of the response.";
        if (console_draft_set (req, &s->who, id, "reply", text))
            opd_warn ("draft not saved ticket=%s", id);
    }
    else
        x->error = error ? error : rc == 2 ? "No such ticket." : "The ticket cannot be read at the moment.";
    s_show (req, s, id, rc == 0 ? 200 : rc == 1 ? 422 : rc == 2 ? 404 : 503, x);
    free (text);
    free (error);
}

//  The reply's text with its standard response (NULL after showing why
//  not: a variable without a value, no such response, ticket or store).
static char *
s_with_response (http_req_t *req, const web_session_t *s, const char *id, view_extra_t *x)
{
    char *text = NULL, *error = NULL;
    int rc = console_stdresp_text (req, id, x->response, x->held_body, &text, &error);
    if (rc == 0)
        return text;
    x->error = error ? error : rc == 2 ? "No such ticket." : "The ticket cannot be read at the moment.";
    s_show (req, s, id, rc == 1 ? 422 : rc == 2 ? 404 : 503, x);
    free (error);
    return NULL;
}

static void
s_comment (http_req_t *req, const web_session_t *s, const char *id, const form_t *f, bool public)
{
    const char *body = portal_form_get (f, "body"), *seen = portal_form_get (f, "version");
    const char *kind = public ? "reply" : "note", *step = portal_form_get (f, "do");
    const char *sr_id = public ? portal_form_get (f, "standard_response") : NULL;
    view_extra_t x = {0};
    x.held_kind = kind, x.held_body = body ? body : "", x.response = sr_id && *sr_id ? sr_id : NULL;
    if (step && (!strcmp (step, "preview") || !strcmp (step, "edit"))) {
        s_stdresp_step (req, s, id, !strcmp (step, "edit"), &x);
        return;
    }
    if ((!*x.held_body && !x.response) || strlen (x.held_body) > (size_t) req->cfg->body_bytes) {
        x.error = "Please write the text (at most the size the desk allows).";
        s_show (req, s, id, 422, &x);
        return;
    }
    long long now_version = s_version (req, id);
    bool confirm = portal_form_get (f, "confirm") != NULL;
    if (now_version >= 0 && (!seen || strtoll (seen, NULL, 10) != now_version) && !confirm) {
        //  Changed since the agent looked: hold the text, show what changed.
        x.error = "This ticket changed since you opened it (see the timeline). Your text was not sent: "
                  "read the changes, then send it anyway or edit it.";
        x.changed = true;
        opd_info ("console held %s ticket=%s seen=%s now=%lld", kind, id, seen ? seen : "-", now_version);
        s_show (req, s, id, 409, &x);
        return;
    }
    char *text = x.response ? s_with_response (req, s, id, &x) : opd_strdup (x.held_body);
    if (!text)
        return;
    if (strlen (text) > (size_t) req->cfg->body_bytes) {
        x.error = "The reply with the response is longer than the desk allows; shorten your text.";
        s_show (req, s, id, 422, &x);
        free (text);
        return;
    }
    opd_store_comment_t in = {id, s->who.identity, "agent", public, text, x.response};
    opd_store_result_t res;
    int rc = opd_store_comment (http_redis (req), req->cfg, opd_now_ms (), &in, &res);
    free (text);
    if (rc || res.outcome == OPD_STORE_NOT_FOUND) {
        x.error = rc ? "The text could not be saved; it is kept below. Please try again." : "No such ticket.";
        s_show (req, s, id, rc ? 503 : 404, &x);
    }
    else if (res.outcome == OPD_STORE_CLOSED) {
        x.error = "This ticket is closed and takes no more comments.";
        s_show (req, s, id, 409, &x);
    }
    else {
        opd_info ("console %s ticket=%s comment=%lld response=%s", kind, id, res.comment_id,
                  x.response ? x.response : "-");
        if (console_draft_set (req, &s->who, id, kind, NULL))
            opd_warn ("draft not cleared ticket=%s", id);
        char frag[32];
        snprintf (frag, sizeof frag, "#c%lld", res.comment_id);
        s_back (req, id, frag);
    }
}

//  A change through opd_change_apply, as PATCH /api/v1/tickets/ID does.
static void
s_change (http_req_t *req, const web_session_t *s, const char *id, const form_t *f, const char *action)
{
    opd_change_t ch = {0};
    const char *v;
    if (!strcmp (action, "status"))
        ch.status = portal_form_get (f, "status");
    else if (!strcmp (action, "priority"))
        ch.priority = portal_form_get (f, "priority");
    else if (!strcmp (action, "handoff"))
        ch.team = portal_form_get (f, "team");
    else
        ch.assignee = (v = portal_form_get (f, "assignee")) ? v : "";
    v = portal_form_get (f, "note");
    ch.note = v && *v ? v : NULL;
    ch.actor = s->who.identity;
    opd_change_result_t res;
    view_extra_t x = {0};
    if (opd_change_apply (http_redis (req), req->cfg, id, &ch, &res) == 0) {
        opd_info ("console change ticket=%s action=%s version=%lld", id, action, res.version);
        s_back (req, id, NULL);
        return;
    }
    int status = res.code == OPD_CHANGE_NOT_FOUND      ? 404
                 : res.code == OPD_CHANGE_CONFLICT      ? 409
                 : res.code == OPD_CHANGE_VERSION       ? 409
                 : res.code == OPD_CHANGE_UNAVAILABLE   ? 503
                                                        : 422;
    x.error = res.message;
    s_show (req, s, id, status, &x);
}

//  GET /agent/tickets/ID/version: {"version": N}, 404 or 503 in JSON.
static void
s_version_json (http_req_t *req, const web_session_t *s, const char *id)
{
    (void) s;
    long long v = s_version (req, id);
    http_add_header (req, "Cache-Control", "no-store");
    if (v < 0)
        http_error (req, 404, "not_found", "no such ticket, or the store is unavailable");
    else
        http_json (req, 200, json_pack ("{s:I}", "version", (json_int_t) v));
}

//  GET /agent/tickets/ID/attachments/SHA256: the file, as a download.
static void
console_attachment (http_req_t *req, const web_session_t *s, const char *id, const char *sha)
{
    if (strcmp (req->method, "GET") && strcmp (req->method, "HEAD")) {
        http_add_header (req, "Allow", "GET");
        portal_message_page (req, 405, "Not allowed", &s->who, "This address gives a file to download.");
        return;
    }
    web_attach_serve (req, &s->who, id, sha);
}

void
console_ticket (http_req_t *req, const web_session_t *s, const char *rest)
{
    char id[80];
    const char *slash = strchr (rest, '/');
    size_t n = slash ? (size_t) (slash - rest) : strlen (rest);
    snprintf (id, sizeof id, "%.*s", (int) (n < sizeof id ? n : 0), rest);
    const char *action = slash ? slash + 1 : NULL;
    bool post = !strcmp (req->method, "POST");
    if (action && !strncmp (action, "attachments/", 12) && web_id_valid (id)) {
        console_attachment (req, s, id, action + 12);
        return;
    }
    static const char *const actions[] = {"reply", "note", "status", "priority", "handoff", "assign", "draft",
                                          "version", "preview", "presence", NULL};
    bool known = false;
    for (size_t i = 0; action && actions[i]; i++)
        known = known || !strcmp (action, actions[i]);
    if (!web_id_valid (id) || (action && !known)) {
        portal_message_page (req, 404, "Not found", &s->who, "There is no such ticket.");
        return;
    }
    bool getter = !action || !strcmp (action, "version") || !strcmp (action, "preview");
    if (getter && !post) {
        if (action && !strcmp (action, "preview"))
            console_stdresp_fragment (req, s, id);
        else if (action)
            s_version_json (req, s, id);
        else
            s_show (req, s, id, 200, NULL);
        return;
    }
    if (getter || !post) {
        http_add_header (req, "Allow", getter ? "GET" : "POST");
        portal_message_page (req, 405, "Not allowed", &s->who, "This address takes a form's POST only.");
        return;
    }
    form_t f;
    if (portal_form_post (req, &s->who, &f))
        return;
    if (!strcmp (action, "draft"))
        console_draft_post (req, s, id, &f);
    else if (!strcmp (action, "presence"))
        console_presence_post (req, s, id, &f);
    else if (!strcmp (action, "reply") || !strcmp (action, "note"))
        s_comment (req, s, id, &f, !strcmp (action, "reply"));
    else
        s_change (req, s, id, &f, action);
    portal_form_free (&f);
}
