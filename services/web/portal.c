/*  portal: the requester portal of CONTRACT.md section 8, plain HTML
    rendered here, no script at all.

    GET/POST /             the public request form; choosing a request type
                           shows its fields (CSS :has(), or without it the
                           "Show its fields" button reloads with ?type=ID)
    GET/POST /login        takes any token, starts a server-side session
                           (session.c): requesters go to /tickets, agents,
                           leads and admins to /agent; or a requester's
                           email address, for a link by mail (signin.c)
    GET/POST /login/link   the mailed link: a button, then the session (signin.c)
    GET/POST /logout       a sign-out button; the POST revokes the session
    GET /tickets           the signed-in requester's tickets, status, SLO due times
    GET/POST /tickets/ID   one ticket with its public comments; a reply form
    GET/POST /settings     the requester's time zone (portal_tz.c); every time
                           on these pages is in it (opd_req_tz.h)
    (/agent and below is the agent console: console.c)

    Every value that reaches a page goes through portal_esc. Forms are
    application/x-www-form-urlencoded, parsed by portal_html.c, never by
    libmicrohttpd's POST processor. Every form carries a CSRF token in a
    hidden field (the session's, or without a session the opdesk_csrf
    cookie's), checked on POST; POSTs from another origin are refused too.

    Within the portal a signed-in `who` always points into a web_session_t
    (its first member), which is how portal_page finds the session's CSRF
    token for the sign-out button.

    This file holds the pages; the frame, escaping, forms and their CSRF
    and origin checks are in portal_html.c (portal.h). */
#include "opd_change.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include "portal.h"
#include <ctype.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  --- Sign in and out ------------------------------------------------------

static void
s_login_form (http_req_t *req, int status, const char *error)
{
    GString *b = g_string_new ("<h1>Sign in</h1>");
    if (error) {
        g_string_append (b, "<p class=\"error\" role=\"alert\">");
        portal_esc (b, error);
        g_string_append (b, "</p>");
    }
    char csrf[65];
    web_csrf_anonymous (req, csrf);
    g_string_append (b, "<form method=\"post\" action=\"/login\">");
    portal_csrf_field (b, csrf);
    g_string_append (b, "<label for=\"token\">Your access token</label>"
                        "<input type=\"password\" id=\"token\" name=\"token\" required autocomplete=\"off\">"
                        "<button type=\"submit\">Sign in</button></form>");
    if (req->cfg->web_email_signin) {
        g_string_append (b, "<h2>No token? Get a link by email</h2><form method=\"post\" action=\"/login\">");
        portal_csrf_field (b, csrf);
        g_string_append (b, "<label for=\"email\">The email address you sent your requests from</label>"
                            "<input type=\"email\" id=\"email\" name=\"email\" required autocomplete=\"email\">"
                            "<button type=\"submit\">Email me a sign-in link</button></form>");
    }
    portal_page (req, status, "Sign in", NULL, b, NULL);
}

int
portal_signin_post (http_req_t *req, form_t *f)
{
    if (portal_form_post (req, NULL, f))
        return -1;
    if (http_rate (req, "login", http_client (req), req->cfg->web_rate.login, false)) {
        portal_form_free (f);
        return -1;
    }
    return 0;
}

//  Any configured token signs in: requesters to their tickets, agents,
//  leads and admins to the agent console. Failed attempts count against the
//  client address (channels.web.rate_limit.login); while it is over, no
//  token is even looked at.
static void
s_login (http_req_t *req)
{
    if (strcmp (req->method, "POST")) {
        s_login_form (req, 200, NULL);
        return;
    }
    form_t f;
    if (portal_signin_post (req, &f))
        return;
    web_auth_t who;
    const char *token = portal_form_get (&f, "token");
    const char *email = portal_form_get (&f, "email");
    if ((!token || !*token) && email && *email) {
        portal_signin_request (req, email);
        portal_form_free (&f);
        return;
    }
    if (!token || web_auth_token (req->cfg, token, &who)) {
        portal_form_free (&f);
        if (http_rate (req, "login", http_client (req), req->cfg->web_rate.login, true) == 0)
            s_login_form (req, 401, "That token is not valid.");
        opd_info ("sign-in refused reason=unknown_token");
        return;
    }
    int rc = web_session_create (req, token);
    portal_form_free (&f);
    if (rc) {
        s_login_form (req, 503, "Signing in is not possible at the moment. Please try again later.");
        return;
    }
    opd_info ("signed in role=%s", web_role_name (who.role));
    portal_redirect (req, who.role == OPD_ROLE_REQUESTER ? "/tickets" : "/agent");
}

static void
s_logout (http_req_t *req, const web_auth_t *who)
{
    if (strcmp (req->method, "POST")) {
        if (!who) {
            portal_redirect (req, "/login");
            return;
        }
        GString *b = g_string_new ("<h1>Sign out</h1><form method=\"post\" action=\"/logout\">");
        portal_csrf_field (b, ((const web_session_t *) who)->csrf);
        g_string_append (b, "<button type=\"submit\">Sign out</button></form>");
        portal_page (req, 200, "Sign out", who, b, NULL);
        return;
    }
    //  A script signs out with an empty post and its cookie, as it signs in
    //  without the page's token (decision 173): no form to check.
    bool scripted = req->body_len == 0 && !http_header (req, "Origin") && !http_header (req, "Referer");
    form_t f;
    if (who && !scripted) {
        if (portal_form_post (req, who, &f))
            return;
        portal_form_free (&f);
    }
    web_session_revoke (req);
    portal_redirect (req, "/login");
}

//  --- My tickets ------------------------------------------------------------

static void
s_clock (GString *b, json_t *t, const char *name, const char *zone)
{
    json_t *c = json_object_get (json_object_get (t, "slo"), name);
    const char *state = portal_jstr (c, "state");
    const char *due = portal_jstr (c, "due_at");
    if (!c || (!state && !due)) {
        g_string_append (b, "<td>&mdash;</td>");
        return;
    }
    g_string_append (b, "<td>");
    portal_when (b, due, zone);
    if (state) {
        g_string_append (b, " <span class=\"muted\">(");
        portal_esc (b, state);
        g_string_append (b, ")</span>");
    }
    g_string_append (b, "</td>");
}

static void
s_my_tickets (http_req_t *req, const web_auth_t *who)
{
    opd_ticket_query_t q = {0};
    q.requester = who->identity;
    q.limit = 200;
    opd_ticket_error_t err;
    json_t *page = opd_ticket_list (http_redis (req), req->cfg, &q, &err);
    if (!page) {
        portal_message_page (req, 503, "Unavailable", who, "Your requests cannot be shown at the moment. Please try again later.");
        return;
    }
    GString *b = g_string_new ("<h1>My requests</h1>");
    char *chosen = portal_chosen_zone (req, who);
    json_t *items = json_object_get (page, "items");
    if (!json_array_size (items))
        g_string_append (b, "<p>You have no requests yet. <a href=\"/\">Send one</a>.</p>");
    else {
        g_string_append (b, "<table id=\"tickets\"><thead><tr><th>Request</th><th>Subject</th><th>Status</th>"
                            "<th>Updated</th><th>First answer due</th><th>Resolution due</th></tr></thead><tbody>");
        size_t i;
        json_t *t;
        json_array_foreach (items, i, t) {
            g_string_append (b, "<tr><td><a href=\"/tickets/");
            portal_esc (b, portal_jstr (t, "id"));
            g_string_append (b, "\">");
            portal_esc (b, portal_jstr (t, "id"));
            g_string_append (b, "</a></td><td>");
            portal_esc (b, portal_jstr (t, "subject"));
            g_string_append (b, "</td><td>");
            portal_esc (b, portal_jstr (t, "status"));
            g_string_append (b, "</td><td>");
            const char *zone = portal_ticket_zone (req->cfg, chosen, t);
            portal_when (b, portal_jstr (t, "updated_at"), zone);
            g_string_append (b, "</td>");
            s_clock (b, t, "first_response", zone);
            s_clock (b, t, "resolution", zone);
            g_string_append (b, "</tr>");
        }
        g_string_append (b, "</tbody></table>");
    }
    free (chosen);
    json_decref (page);
    portal_page (req, 200, "My requests", who, b, NULL);
}

//  The signed-in requester's ticket, or NULL after answering (404 for
//  another's ticket, as for an unknown one).
static json_t *
s_own_ticket (http_req_t *req, const web_auth_t *who, const char *id, bool full)
{
    //  Ownership first, by the same one read for another's ticket and a
    //  missing one (web_owns): both cost the same.
    int owns = web_owns (req, who, id);
    if (owns == 0) {
        portal_message_page (req, 404, "Not found", who, "There is no such request among yours.");
        return NULL;
    }
    opd_ticket_error_t err = {0};
    json_t *t = owns > 0 ? opd_ticket_fetch (http_redis (req), req->cfg, id, full, &err) : NULL;
    if (!t && (owns < 0 || err.code == OPD_TICKET_UNAVAILABLE)) {
        portal_message_page (req, 503, "Unavailable", who, "This request cannot be shown at the moment. Please try again later.");
        return NULL;
    }
    if (!t || !web_may_see (who, t)) {
        json_decref (t);
        portal_message_page (req, 404, "Not found", who, "There is no such request among yours.");
        return NULL;
    }
    web_filter_ticket (who, t);
    return t;
}

static const char *
s_author (const opd_config_t *cfg, json_t *c)
{
    const char *role = portal_jstr (c, "role");
    if (role && !strcmp (role, "requester"))
        return "You";
    const opd_agent_t *a = opd_config_agent (cfg, portal_jstr (c, "author") ? portal_jstr (c, "author") : "");
    return a && a->name ? a->name : "Service Desk";
}

static void
s_show_ticket (http_req_t *req, const web_auth_t *who, const char *id, const char *notice)
{
    json_t *t = s_own_ticket (req, who, id, true);
    if (!t)
        return;
    GString *b = g_string_new ("<h1>");
    portal_esc (b, portal_jstr (t, "id"));
    g_string_append (b, ": <span id=\"subject\">");
    portal_esc (b, portal_jstr (t, "subject"));
    g_string_append (b, "</span></h1>");
    if (notice) {
        g_string_append (b, "<p class=\"ok\">");
        portal_esc (b, notice);
        g_string_append (b, "</p>");
    }
    char *chosen = portal_chosen_zone (req, who);
    const char *zone = portal_ticket_zone (req->cfg, chosen, t);
    const char *status = portal_jstr (t, "status");
    g_string_append (b, "<table><tr><th>Status</th><td id=\"status\">");
    portal_esc (b, status);
    g_string_append (b, "</td></tr><tr><th>Priority</th><td>");
    portal_esc (b, portal_jstr (t, "priority") ? portal_jstr (t, "priority") : "not set yet");
    g_string_append (b, "</td></tr><tr><th>Sent</th><td>");
    portal_when (b, portal_jstr (t, "created_at"), zone);
    g_string_append (b, "</td></tr><tr><th>First answer due</th>");
    s_clock (b, t, "first_response", zone);
    g_string_append (b, "</tr><tr><th>Resolution due</th>");
    s_clock (b, t, "resolution", zone);
    g_string_append (b, "</tr>");
    const char *k;
    json_t *v;
    const char *rtid = portal_jstr (t, "request_type");
    const opd_reqtype_t *rt = rtid ? opd_config_reqtype (req->cfg, rtid) : NULL;
    json_object_foreach (json_object_get (t, "fields"), k, v) {
        const opd_field_t *f = NULL;
        for (size_t j = 0; rt && j < rt->nfields && !f; j++)
            f = !strcmp (rt->fields[j].name, k) ? &rt->fields[j] : NULL;
        g_string_append (b, "<tr><th>");
        portal_esc (b, f && f->label ? f->label : k);
        g_string_append (b, "</th><td>");
        char *text = json_is_string (v) ? opd_strdup (json_string_value (v)) : json_dumps (v, JSON_ENCODE_ANY);
        portal_esc (b, text);
        free (text);
        g_string_append (b, "</td></tr>");
    }
    g_string_append (b, "</table>");
    char action[96];
    snprintf (action, sizeof action, "/tickets/%s/details", portal_jstr (t, "id"));
    portal_details_form (b, req->cfg, t, action, ((const web_session_t *) who)->csrf, NULL);
    portal_attach_list (b, t, ((const web_session_t *) who)->csrf);
    g_string_append (b, "<h2>Description</h2><div class=\"body\">");
    portal_esc (b, portal_jstr (t, "body"));
    g_string_append (b, "</div><h2>Conversation</h2>");
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get (t, "comments"), i, c) {
        g_string_append_printf (b, "<div class=\"comment\" id=\"c%lld\"><p class=\"muted\">",
                                (long long) json_integer_value (json_object_get (c, "id")));
        portal_esc (b, s_author (req->cfg, c));
        g_string_append (b, ", ");
        portal_when (b, portal_jstr (c, "at"), zone);
        g_string_append (b, "</p><div class=\"body\">");
        portal_esc (b, portal_jstr (c, "body"));
        g_string_append (b, "</div></div>");
    }
    if (!json_array_size (json_object_get (t, "comments")))
        g_string_append (b, "<p class=\"muted\">No messages yet.</p>");
    bool closed = status && !strcmp (status, "closed");
    g_string_append (b, "<form method=\"post\" action=\"/tickets/");
    portal_esc (b, portal_jstr (t, "id"));
    g_string_append (b, "\">");
    portal_csrf_field (b, ((const web_session_t *) who)->csrf);
    if (closed) {
        //  A follow-up: a new request linked to this one (as a reply by
        //  mail to a closed request is), sent once however often posted.
        char form_id[33];
        web_random_id (form_id);
        g_string_append_printf (b, "<input type=\"hidden\" name=\"form_id\" value=\"%s\">", form_id);
        g_string_append (b, "<p>This request is closed. A message here opens a new request linked to it.</p>");
    }
    g_string_append_printf (b, "<label for=\"reply\">%s</label><textarea id=\"reply\" name=\"body\" required>"
                               "</textarea>", closed ? "Your follow-up" : "Your reply");
    if (status && !strcmp (status, "resolved"))
        g_string_append (b, "<p class=\"muted\">Replying reopens this request.</p>");
    g_string_append_printf (b, "<button type=\"submit\">%s</button></form>", closed ? "Send follow-up" : "Send reply");
    char title[128];
    snprintf (title, sizeof title, "%s", portal_jstr (t, "id"));
    free (chosen);
    json_decref (t);
    portal_page (req, 200, title, who, b, NULL);
}

//  A message on a closed request: a new request linked to it, through
//  intake as a reply by mail would be (create.lua links it), once per form.
static void
s_follow_up (http_req_t *req, const web_auth_t *who, const char *id, const char *subject, const form_t *f)
{
    const char *fid = portal_form_get (f, "form_id");
    char ext[64], rnd[33];
    if (!fid || strlen (fid) != 32 || strspn (fid, "0123456789abcdef") != 32) {
        web_random_id (rnd);
        fid = rnd;
    }
    snprintf (ext, sizeof ext, "follow-%s", fid);
    char *re = opd_sprintf ("Re: %s", subject ? subject : id);
    json_t *obj = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "channel", "web", "external_id", ext,
                             "reply_to", id, "subject", re, "body", portal_form_get (f, "body"), "requester",
                             "email", who->identity);
    free (re);
    opd_intake_reply_t reply;
    int rc = web_submit (req, obj, WEB_INTAKE_TIMEOUT_MS, &reply, NULL, 0);
    json_decref (obj);
    if (rc || !reply.accepted) {
        portal_message_page (req, rc ? 503 : 422, "Not sent", who,
                             rc ? "Your message could not be sent. Please try again later." : reply.error);
        return;
    }
    opd_info ("portal follow-up ticket=%s of=%s", reply.ticket_id, id);
    char loc[128];
    snprintf (loc, sizeof loc, "/tickets/%s", reply.ticket_id);
    portal_redirect (req, loc);
}

static void
s_reply (http_req_t *req, const web_auth_t *who, const char *id)
{
    form_t f;
    if (portal_form_post (req, who, &f))
        return;
    const char *body = portal_form_get (&f, "body");
    json_t *t = s_own_ticket (req, who, id, false);
    if (!t) {
        portal_form_free (&f);
        return;
    }
    if (!body || !*body || strlen (body) > (size_t) req->cfg->body_bytes) {
        json_decref (t);
        portal_form_free (&f);
        portal_message_page (req, 422, "Empty reply", who, "Please write a reply (at most the size the desk allows).");
        return;
    }
    const char *status = json_string_value (json_object_get (t, "status"));
    if (status && !strcmp (status, "closed")) {
        s_follow_up (req, who, id, json_string_value (json_object_get (t, "subject")), &f);
        json_decref (t);
        portal_form_free (&f);
        return;
    }
    json_decref (t);
    opd_store_comment_t in = {id, who->identity, "requester", true, body, NULL};
    opd_store_result_t res;
    int rc = opd_store_comment (http_redis (req), req->cfg, opd_now_ms (), &in, &res);
    portal_form_free (&f);
    if (rc)
        portal_message_page (req, 503, "Unavailable", who, "Your reply could not be saved. Please try again later.");
    else if (res.outcome == OPD_STORE_CLOSED)  //  closed since the page was read: posted again, it follows up
        portal_message_page (req, 409, "Closed", who,
                             "This request was closed meanwhile. Open it again to send your message as a follow-up.");
    else if (res.outcome != OPD_STORE_OK)
        portal_message_page (req, 404, "Not found", who, "There is no such request among yours.");
    else {
        opd_info ("portal reply ticket=%s comment=%lld", id, res.comment_id);
        char loc[128];
        snprintf (loc, sizeof loc, "/tickets/%s#c%lld", id, res.comment_id);
        portal_redirect (req, loc);
    }
}

//  --- Routing -------------------------------------------------------------

//  /tickets/ID/attachments (POST: a file, portal_attach.c) and
//  /tickets/ID/attachments/SHA256 (GET: a download, attach.c). rest is what
//  follows /tickets/. True when it was such a path (answered).
static bool
s_attach_path (http_req_t *req, const web_auth_t *who, const char *rest, bool post)
{
    const char *mark = strstr (rest, "/attachments");
    if (!mark)
        return false;
    char id[64];
    snprintf (id, sizeof id, "%.*s", (int) ((size_t) (mark - rest) < sizeof id ? mark - rest : 0), rest);
    const char *tail = mark + 12;
    if (!web_id_valid (id) || (*tail && *tail != '/'))
        portal_message_page (req, 404, "Not found", who, "There is no such request among yours.");
    else if (!*tail && post)
        portal_attach_post (req, who, id);
    else if (*tail && !post)
        web_attach_serve (req, who, id, tail + 1);
    else {
        http_add_header (req, "Allow", post ? "GET" : "POST");
        portal_message_page (req, 405, "Not allowed", who, "This address does not take that.");
    }
    return true;
}

bool
portal_handle (http_req_t *req)
{
    const char *p = req->path;
    bool get = !strcmp (req->method, "GET") || !strcmp (req->method, "HEAD");
    bool post = !strcmp (req->method, "POST");
    web_session_t session;
    const web_auth_t *signed_in = web_session_get (req, &session) == 0 ? &session.who : NULL;
    //  The requester pages know requesters only; agents have /agent.
    const web_auth_t *who = signed_in && signed_in->role == OPD_ROLE_REQUESTER ? signed_in : NULL;
    if (!get && !post) {
        http_add_header (req, "Allow", "GET, POST");
        portal_message_page (req, 405, "Not allowed", who, "This page takes GET and POST only.");
        return true;
    }
    if (!strcmp (p, "/")) {
        if (post)
            portal_request_submit (req, who);
        else {
            //  ?type=ID links to a request type's form; nothing personal
            //  is ever taken from the address.
            const char *q = http_arg (req, "type");
            form_t f = {0};
            if (q && opd_utf8_valid (q, strlen (q))) {
                f.name[0] = opd_strdup ("type");
                f.value[0] = opd_strdup (q);
                f.n = 1;
            }
            portal_request_form (req, 200, who, &f, NULL);
            portal_form_free (&f);
        }
        return true;
    }
    if (!strcmp (p, "/login")) {
        s_login (req);
        return true;
    }
    if (!strcmp (p, "/login/link")) {
        portal_signin_link (req);
        return true;
    }
    if (!strcmp (p, "/logout")) {
        s_logout (req, signed_in);
        return true;
    }
    if (!strcmp (p, "/settings")) {
        if (who)
            portal_settings (req, who, post);
        else
            portal_redirect (req, signed_in ? "/agent" : "/login");
        return true;
    }
    if (!strncmp (p, "/details/", 9)) {
        portal_details_link (req, p + 9);
        return true;
    }
    if (!strncmp (p, "/rate/", 6)) {
        portal_rating_link (req, p + 6);
        return true;
    }
    if (!strcmp (p, "/tickets") || !strncmp (p, "/tickets/", 9)) {
        if (!who) {
            portal_redirect (req, signed_in ? "/agent" : "/login");
            return true;
        }
        if (!strcmp (p, "/tickets")) {
            if (post)
                portal_message_page (req, 405, "Not allowed", who, "Nothing can be sent to this page.");
            else
                s_my_tickets (req, who);
            return true;
        }
        const char *id = p + 9;
        size_t idlen = strlen (id);
        if (s_attach_path (req, who, id, post))
            return true;
        if (post && idlen > 8 && !strcmp (id + idlen - 8, "/details")) {
            char tid[64];
            snprintf (tid, sizeof tid, "%.*s", (int) (idlen - 8), id);
            if (web_id_valid (tid))
                portal_details_post (req, who, tid);
            else
                portal_message_page (req, 404, "Not found", who, "There is no such request among yours.");
        }
        else if (!web_id_valid (id))
            portal_message_page (req, 404, "Not found", who, "There is no such request among yours.");
        else if (post)
            s_reply (req, who, id);
        else
            s_show_ticket (req, who, id, http_arg (req, "given") ? "Thank you: the details are saved." : NULL);
        return true;
    }
    portal_message_page (req, 404, "Not found", who, "There is no such page.");
    return true;
}
