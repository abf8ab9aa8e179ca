/*  console: the agent console of CONTRACT.md section 8, server-rendered
    HTML on the portal's frame, sessions and CSRF checks (portal.h,
    session.c).

    GET /agent                   the queue: the tickets of the agent's teams
                                 that are new, open or pending, soonest SLO
                                 due first (opd_ticket_queue), exact counts
                                 per status, filters as query parameters
    GET /agent/tickets/ID        one ticket (console_ticket.c)
    POST /agent/tickets/ID/ACT   its forms (console_ticket.c)
    GET /agent/stream            live updates (console_stream.c)
    POST /agent/bulk             bulk actions on a selection (console_bulk.c)
    POST /agent/views[/delete]   saved views (console_views.c)
    GET /agent/dashboard         the team lead dashboard (console_dash.c)
    GET /agent/console.js        the console's one script (console.js):
                                 drafts, the changed-ticket banner, keys

    Who may use it is decided here, once, for every path: a session of an
    agent, lead or admin token (s_least); without one the browser goes to
    /login, a requester to its own /tickets. */
#include "console.h"
#include "console_dash.h"
#include "opd_log.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_PAGE 50

static const opd_role_t s_least = OPD_ROLE_AGENT;

//  The teams the queue shows: the one asked for, every team for "all" (or
//  for a signed-in identity that is in no team), else the agent's own.
size_t
console_teams (const opd_config_t *cfg, const web_auth_t *who, const char *team, const char **out)
{
    const opd_agent_t *a = opd_config_agent (cfg, who->identity);
    if (team && *team && strcmp (team, "all")) {
        out[0] = team;
        return 1;
    }
    if (!team || !*team) {
        if (a && a->nteams) {
            for (size_t i = 0; i < a->nteams; i++)
                out[i] = a->teams[i];
            return a->nteams;
        }
    }
    for (size_t i = 0; i < cfg->nteams; i++)
        out[i] = cfg->teams[i].id;
    return cfg->nteams;
}

static bool
s_one_of (const char *v, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp (v, allowed[i]))
            return true;
    return false;
}

//  Reads and checks the filters (the query string of /agent, or a saved
//  view's); NULL, or a sentence saying what is wrong.
const char *
console_filters_parse (const opd_config_t *cfg, const web_auth_t *who, console_arg_fn get, void *ctx,
                       console_filters_t *a)
{
    static const char *const statuses[] = {"new", "open", "pending", NULL};
    static const char *const priorities[] = {"P1", "P2", "P3", "P4", NULL};
    memset (a, 0, sizeof *a);
    a->status = get (ctx, "status");
    a->priority = get (ctx, "priority");
    a->assignee = get (ctx, "assignee");
    a->team = get (ctx, "team");
    a->q = get (ctx, "q");
    a->cursor = get (ctx, "cursor");
    const char *breaching = get (ctx, "breaching");
    const char *due = get (ctx, "due");
    if (a->status && *a->status && !s_one_of (a->status, statuses))
        return "Status must be new, open or pending: the queue holds the tickets still in work.";
    if (a->priority && *a->priority && !s_one_of (a->priority, priorities))
        return "Priority must be P1, P2, P3 or P4.";
    if (a->team && *a->team && strcmp (a->team, "all") && !opd_config_team (cfg, a->team))
        return "There is no such team.";
    if (a->assignee && *a->assignee && strcmp (a->assignee, "me") && strcmp (a->assignee, "unassigned")
        && !opd_config_agent (cfg, a->assignee))
        return "The assignee must be me, unassigned or a configured agent.";
    if (a->assignee && !strcmp (a->assignee, "me"))
        a->assignee = who->identity;
    a->breaching = breaching && (!strcmp (breaching, "1") || !strcmp (breaching, "true"));
    if (breaching && *breaching && !a->breaching && strcmp (breaching, "0") && strcmp (breaching, "false"))
        return "Breaching must be 1 or 0.";
    if (due && *due) {
        char *end = NULL;
        long n = strtol (due, &end, 10);
        if (*end || n < 1 || n > 8760)
            return "Due within must be a number of hours from 1 to 8760.";
        a->due_hours = (int) n;
    }
    return NULL;
}

//  <select> of a filter: the options' values, with "" as "any".
static void
s_select (GString *b, const char *name, const char *label, const char *chosen, const char *const *values,
          const char *const *labels, size_t n)
{
    g_string_append_printf (b, "<div><label for=\"f-%s\">%s</label><select id=\"f-%s\" name=\"%s\">", name,
                            label, name, name);
    for (size_t i = 0; i < n; i++) {
        bool sel = chosen ? !strcmp (chosen, values[i]) : !*values[i];
        g_string_append (b, "<option value=\"");
        portal_esc (b, values[i]);
        g_string_append (b, sel ? "\" selected>" : "\">");
        portal_esc (b, labels[i]);
        g_string_append (b, "</option>");
    }
    g_string_append (b, "</select></div>");
}

static void
s_filters (GString *b, const opd_config_t *cfg, http_req_t *req)
{
    g_string_append (b, "<form method=\"get\" action=\"/agent\" class=\"filters\" id=\"filters\">");
    static const char *const sv[] = {"", "new", "open", "pending"}, *const sl[] = {"any", "new", "open", "pending"};
    s_select (b, "status", "Status", http_arg (req, "status"), sv, sl, 4);
    static const char *const pv[] = {"", "P1", "P2", "P3", "P4"}, *const pl[] = {"any", "P1", "P2", "P3", "P4"};
    s_select (b, "priority", "Priority", http_arg (req, "priority"), pv, pl, 5);
    size_t n = cfg->nagents + 3;
    const char **av = opd_calloc (n, sizeof (char *)), **al = opd_calloc (n, sizeof (char *));
    av[0] = "", al[0] = "anyone", av[1] = "me", al[1] = "me", av[2] = "unassigned", al[2] = "unassigned";
    for (size_t i = 0; i < cfg->nagents; i++)
        av[i + 3] = cfg->agents[i].id, al[i + 3] = cfg->agents[i].name ? cfg->agents[i].name : cfg->agents[i].id;
    s_select (b, "assignee", "Assignee", http_arg (req, "assignee"), av, al, n);
    n = cfg->nteams + 2;
    const char **tv = opd_calloc (n, sizeof (char *)), **tl = opd_calloc (n, sizeof (char *));
    tv[0] = "", tl[0] = "my teams", tv[1] = "all", tl[1] = "all teams";
    for (size_t i = 0; i < cfg->nteams; i++)
        tv[i + 2] = cfg->teams[i].id, tl[i + 2] = cfg->teams[i].name ? cfg->teams[i].name : cfg->teams[i].id;
    s_select (b, "team", "Team", http_arg (req, "team"), tv, tl, n);
    free (av), free (al), free (tv), free (tl);
    const char *br = http_arg (req, "breaching");
    g_string_append_printf (b, "<div><label for=\"f-breaching\"><input type=\"checkbox\" id=\"f-breaching\" "
                               "name=\"breaching\" value=\"1\"%s> Breaching only</label></div>",
                            br && (!strcmp (br, "1") || !strcmp (br, "true")) ? " checked" : "");
    g_string_append (b, "<div><label for=\"f-due\">Due within (hours)</label><input type=\"number\" id=\"f-due\" "
                        "name=\"due\" min=\"1\" max=\"8760\" value=\"");
    portal_esc (b, http_arg (req, "due"));
    g_string_append (b, "\"></div><div><label for=\"f-q\">Subject words</label><input type=\"search\" id=\"f-q\" "
                        "name=\"q\" value=\"");
    portal_esc (b, http_arg (req, "q"));
    g_string_append (b, "\"></div><div><button type=\"submit\">Filter</button> <a href=\"/agent\">Clear</a></div>"
                        "</form>");
}

static void
s_counts (GString *b, http_req_t *req, const char **teams, size_t nteams)
{
    long long counts[5];
    if (opd_ticket_counts (http_redis (req), teams, nteams, counts)) {
        g_string_append (b, "<p class=\"muted\">Counts are not available at the moment.</p>");
        return;
    }
    g_string_append (b, "<p class=\"counts\" id=\"counts\">");
    const char *team = http_arg (req, "team");
    for (size_t s = 0; s < 4; s++) {
        const char *st = opd_ticket_statuses[s];
        if (s < 3) {
            g_string_append_printf (b, "<a href=\"/agent?status=%s", st);
            if (team && *team) {
                g_string_append (b, "&amp;team=");
                gchar *e = g_uri_escape_string (team, NULL, TRUE);
                portal_esc (b, e);
                g_free (e);
            }
            g_string_append_printf (b, "\" data-status=\"%s\">%s: <strong>%lld</strong></a>", st, st, counts[s]);
        }
        else
            g_string_append_printf (b, "<span data-status=\"%s\">%s: <strong>%lld</strong></span>", st, st,
                                    counts[s]);
    }
    g_string_append (b, "</p>");
}

static void
s_queue_row (GString *b, http_req_t *req, const web_auth_t *who, json_t *t, int64_t now)
{
    const char *id = portal_jstr (t, "id");
    g_string_append (b, "<tr data-id=\"");
    portal_esc (b, id);
    g_string_append (b, "\">");
    console_bulk_cell (b, t);
    g_string_append (b, "<td><a href=\"/agent/tickets/");
    portal_esc (b, id);
    g_string_append (b, "\">");
    portal_esc (b, id);
    g_string_append (b, "</a></td><td>");
    portal_esc (b, portal_jstr (t, "subject"));
    g_string_append (b, "</td><td>");
    portal_esc (b, portal_jstr (t, "status"));
    g_string_append (b, "</td><td>");
    portal_esc (b, portal_jstr (t, "priority") ? portal_jstr (t, "priority") : "-");
    g_string_append (b, "</td><td>");
    portal_esc (b, portal_jstr (t, "team"));
    g_string_append (b, "</td><td>");
    portal_esc (b, portal_jstr (t, "assignee") ? portal_jstr (t, "assignee") : "unassigned");
    g_string_append (b, "</td><td>");
    static const char *const clocks[] = {"first_response", "next_reply", "resolution"};
    for (size_t i = 0; i < 3; i++)
        console_badge (b, req->cfg, who, t, clocks[i], now);
    g_string_append (b, "</td></tr>");
}

//  The link to the next page: the same query with the new cursor.
static void
s_next_link (GString *b, http_req_t *req, const char *cursor)
{
    static const char *const keep[] = {"status", "priority", "assignee", "team", "breaching", "due", "q"};
    g_string_append (b, "<p><a id=\"next\" href=\"/agent?");
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        const char *v = http_arg (req, keep[i]);
        if (!v || !*v)
            continue;
        gchar *e = g_uri_escape_string (v, NULL, TRUE);
        g_string_append_printf (b, "%s=", keep[i]);
        portal_esc (b, e);
        g_string_append (b, "&amp;");
        g_free (e);
    }
    gchar *e = g_uri_escape_string (cursor, NULL, TRUE);
    g_string_append (b, "cursor=");
    portal_esc (b, e);
    g_free (e);
    g_string_append (b, "\">Next page</a></p>");
}

static const char *
s_http_arg (void *req, const char *name)
{
    return http_arg (req, name);
}

static void
s_queue (http_req_t *req, const web_session_t *s)
{
    const web_auth_t *who = &s->who;
    console_filters_t a;
    const char *bad = console_filters_parse (req->cfg, who, s_http_arg, req, &a);
    if (bad) {
        portal_message_page (req, 400, "Bad filter", who, bad);
        return;
    }
    const char **teams = opd_calloc (req->cfg->nteams + 1, sizeof (char *));
    size_t nteams = console_teams (req->cfg, who, a.team, teams);
    opd_ticket_query_t q = {0};
    q.status = a.status, q.priority = a.priority, q.q = a.q, q.cursor = a.cursor;
    q.unassigned = a.assignee && !strcmp (a.assignee, "unassigned");
    q.assignee = q.unassigned ? NULL : a.assignee;
    q.breaching = a.breaching, q.due_within = a.due_hours * 60, q.limit = QUEUE_PAGE, q.live = true;
    opd_ticket_error_t err;
    json_t *page = opd_ticket_queue (http_redis (req), req->cfg, &q, teams, nteams, &err);
    if (!page) {
        free (teams);
        bool invalid = err.code == OPD_TICKET_INVALID;
        portal_message_page (req, invalid ? 400 : 503, invalid ? "Bad filter" : "Unavailable", who,
                             invalid ? "That page of the queue does not exist (a bad cursor)."
                                     : "The queue cannot be shown at the moment. Please try again shortly.");
        return;
    }
    GString *b = g_string_new ("<h1>Queue</h1><p class=\"muted\">Teams: ");
    for (size_t i = 0; i < nteams; i++) {
        const opd_team_t *t = opd_config_team (req->cfg, teams[i]);
        g_string_append (b, i ? ", " : "");
        portal_esc (b, t && t->name ? t->name : teams[i]);
    }
    g_string_append (b, ". Soonest SLO deadline first; tickets with no clock running last.</p>");
    console_live_from (b, req);
    s_counts (b, req, teams, nteams);
    free (teams);
    s_filters (b, req->cfg, req);
    console_views_bar (b, req, s);
    json_t *items = json_object_get (page, "items");
    int64_t now = opd_now_ms ();
    if (!json_array_size (items))
        g_string_append (b, "<p id=\"empty\">No tickets match.</p>");
    else {
        console_bulk_bar (b, req, s);
        g_string_append (b, "<table id=\"queue\"><thead><tr>");
        console_bulk_head (b);
        g_string_append (b, "<th>Ticket</th><th>Subject</th><th>Status</th>"
                            "<th>Priority</th><th>Team</th><th>Assignee</th><th>SLO</th></tr></thead><tbody>");
        size_t i;
        json_t *t;
        json_array_foreach (items, i, t)
            s_queue_row (b, req, who, t, now);
        g_string_append (b, "</tbody></table>");
    }
    const char *next = portal_jstr (page, "next_cursor");
    if (next)
        s_next_link (b, req, next);
    json_decref (page);
    portal_page_script (req, 200, "Queue", who, b, console_css, "/agent/console.js");
}

bool
console_handle (http_req_t *req)
{
    const char *p = req->path;
    if (strcmp (p, "/agent") && strncmp (p, "/agent/", 7))
        return false;
    if (!strcmp (p, "/agent/console.js")) {
        //  The script holds nothing secret: served to anyone, like a stylesheet.
        http_add_header (req, "Cache-Control", "no-cache");
        http_add_header (req, "X-Content-Type-Options", "nosniff");
        http_reply (req, 200, "text/javascript; charset=utf-8", opd_strdup (console_js), strlen (console_js));
        return true;
    }
    web_session_t s;
    if (web_session_get (req, &s)) {
        portal_redirect (req, "/login");
        return true;
    }
    if (s.who.role < s_least) {
        portal_redirect (req, "/tickets");
        return true;
    }
    bool get = !strcmp (req->method, "GET") || !strcmp (req->method, "HEAD");
    if (!get && strcmp (req->method, "POST")) {
        http_add_header (req, "Allow", "GET, POST");
        portal_message_page (req, 405, "Not allowed", &s.who, "This page takes GET and POST only.");
    }
    else if (!strcmp (p, "/agent") && get)
        s_queue (req, &s);
    else if (!strcmp (p, "/agent"))
        portal_message_page (req, 405, "Not allowed", &s.who, "Nothing can be sent to this page.");
    else if (!strcmp (p, "/agent/bulk"))
        console_bulk (req, &s);
    else if (!strcmp (p, "/agent/views") || !strncmp (p, "/agent/views/", 13))
        console_views (req, &s, p + 12);
    else if (!strcmp (p, "/agent/theme") && !get)
        console_theme_post (req, &s);
    else if (!strcmp (p, "/agent/dashboard") && get)
        console_dash (req, &s);
    else if (!strncmp (p, "/agent/tickets/", 15))
        console_ticket (req, &s, p + 15);
    else if (!strcmp (p, "/agent/stream") && get)
        console_stream (req, &s);
    else if (!strcmp (p, "/agent/settings") || !strncmp (p, "/agent/settings/", 16))
        console_settings (req, &s, p + 15);
    else if (!strcmp (p, "/agent/notifications") || !strncmp (p, "/agent/notifications/", 21))
        console_notes (req, &s, p + 20);
    else
        portal_message_page (req, 404, "Not found", &s.who, "There is no such page.");
    return true;
}
