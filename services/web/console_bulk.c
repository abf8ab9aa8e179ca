/*  console_bulk: bulk actions on a selection of the agent console's queue
    (console.h).

    Each queue row has a checkbox (name "t", value "ID:VERSION": the ticket
    and its version when the page was drawn) that belongs to the action bar's
    form (id "bulk") through the form attribute, so the table needs no form
    around it. console.js adds "select all on this page" and the count of
    the selection; without it every checkbox still works.

    POST /agent/bulk   t (repeated), action (assign, status, handoff,
                       priority) and its values: assignee ("me", "" for
                       nobody, an agent), status (+ status_note, needed to
                       resolve), team + handoff_note (needed), priority;
                       back (the queue's filters, for the way back)

    Each selected ticket goes through opd_change_apply, the call of PATCH
    /api/v1/tickets/ID and of the ticket view's forms, with the version of
    the page as the expected version: a ticket that changed since the page
    was drawn is skipped (update.lua compares the version atomically), never
    changed blind. History, events and SLO clocks are those of one change
    per ticket. The answer page says for each ticket what happened: changed,
    already so, skipped (changed meanwhile) or refused with the store's
    sentence. At most BULK_MAX tickets a request (docs/decisions.md 100). */
#include "console.h"
#include "opd_change.h"
#include "opd_log.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BULK_MAX 100

//  One selected ticket: its id and the version the page showed.
typedef struct {
    char id[65];
    char version[21];
} bulk_pick_t;

//  The change a bulk form asks for, and how the answer page names it.
typedef struct {
    opd_change_t ch;
    const char *action;
    char label[160];
} bulk_change_t;

//  The outcome of one ticket.
typedef enum { BULK_CHANGED, BULK_SAME, BULK_SKIPPED, BULK_REFUSED, BULK_KINDS } bulk_result_t;
static const char *const s_result_id[] = {"changed", "unchanged", "skipped", "refused"};
static const char *const s_result_text[] = {"Changed", "Already so", "Skipped: changed meanwhile", "Refused"};

void
console_bulk_head (GString *b)
{
    //  Shown by console.js, which makes it work; without script, hidden.
    g_string_append (b, "<th><input type=\"checkbox\" id=\"bulk-all\" aria-label=\"Select all on this page\" "
                        "hidden></th>");
}

void
console_bulk_cell (GString *b, json_t *t)
{
    const char *id = portal_jstr (t, "id");
    long long v = (long long) json_integer_value (json_object_get (t, "version"));
    g_string_append (b, "<td><input type=\"checkbox\" class=\"pick\" form=\"bulk\" name=\"t\" value=\"");
    portal_esc (b, id);
    g_string_append_printf (b, ":%lld\" aria-label=\"Select ", v);
    portal_esc (b, id);
    g_string_append (b, "\"></td>");
}

static void
s_option (GString *b, const char *value, const char *label)
{
    g_string_append (b, "<option value=\"");
    portal_esc (b, value);
    g_string_append (b, "\">");
    portal_esc (b, label);
    g_string_append (b, "</option>");
}

static void
s_bar_assign (GString *b, const opd_config_t *cfg)
{
    g_string_append (b, "<div><label for=\"bulk-assignee\">Assign to</label><select id=\"bulk-assignee\" "
                        "name=\"assignee\">");
    s_option (b, "me", "me");
    s_option (b, "", "nobody");
    for (size_t i = 0; i < cfg->nagents; i++)
        s_option (b, cfg->agents[i].id, cfg->agents[i].name ? cfg->agents[i].name : cfg->agents[i].id);
    g_string_append (b, "</select> <button type=\"submit\" name=\"action\" value=\"assign\">Assign</button></div>");
}

static void
s_bar_status (GString *b)
{
    g_string_append (b, "<div><label for=\"bulk-status\">Status</label><select id=\"bulk-status\" name=\"status\">");
    static const char *const st[] = {"open", "pending", "resolved", "closed"};
    for (size_t i = 0; i < 4; i++)
        s_option (b, st[i], st[i]);
    g_string_append (b, "</select><label for=\"bulk-status-note\">Note (required to resolve: it reaches each "
                        "requester)</label><textarea id=\"bulk-status-note\" name=\"status_note\" rows=\"1\">"
                        "</textarea> <button type=\"submit\" name=\"action\" value=\"status\">Set status</button>"
                        "</div>");
}

static void
s_bar_handoff (GString *b, const opd_config_t *cfg)
{
    g_string_append (b, "<div><label for=\"bulk-team\">Hand off to</label><select id=\"bulk-team\" name=\"team\">");
    for (size_t i = 0; i < cfg->nteams; i++)
        s_option (b, cfg->teams[i].id, cfg->teams[i].name ? cfg->teams[i].name : cfg->teams[i].id);
    g_string_append (b, "</select><label for=\"bulk-handoff-note\">Hand-off note (required)</label><textarea "
                        "id=\"bulk-handoff-note\" name=\"handoff_note\" rows=\"1\"></textarea> <button "
                        "type=\"submit\" name=\"action\" value=\"handoff\">Hand off</button></div>");
}

static void
s_bar_priority (GString *b)
{
    g_string_append (b, "<div><label for=\"bulk-priority\">Priority</label><select id=\"bulk-priority\" "
                        "name=\"priority\">");
    static const char *const pr[] = {"P1", "P2", "P3", "P4"};
    for (size_t i = 0; i < 4; i++)
        s_option (b, pr[i], pr[i]);
    g_string_append (b, "</select> <button type=\"submit\" name=\"action\" value=\"priority\">Set priority"
                        "</button></div>");
}

void
console_bulk_bar (GString *b, http_req_t *req, const web_session_t *s)
{
    g_string_append_printf (b, "<form method=\"post\" action=\"/agent/bulk\" id=\"bulk\" class=\"filters\" "
                               "aria-label=\"Change the selected tickets\"><p id=\"bulk-count\" "
                               "aria-live=\"polite\">Select tickets below (at most %d) to change them "
                               "together.</p>",
                            BULK_MAX);
    portal_csrf_field (b, s->csrf);
    //  The way back: the queue with its filters (not its page).
    static const char *const keep[] = {"status", "priority", "assignee", "team", "breaching", "due", "q"};
    g_string_append (b, "<input type=\"hidden\" name=\"back\" value=\"");
    for (size_t i = 0, n = 0; i < sizeof keep / sizeof keep[0]; i++) {
        const char *v = http_arg (req, keep[i]);
        if (!v || !*v)
            continue;
        gchar *e = g_uri_escape_string (v, NULL, TRUE);
        g_string_append_printf (b, "%s%s=", n++ ? "&amp;" : "", keep[i]);
        portal_esc (b, e);
        g_free (e);
    }
    g_string_append (b, "\">");
    s_bar_assign (b, req->cfg);
    s_bar_status (b);
    s_bar_handoff (b, req->cfg);
    s_bar_priority (b);
    g_string_append (b, "</form>");
}

//  The selected tickets of f, each once: NULL with *picks (the caller's to
//  free) and *n set, or a sentence saying what is wrong (err holds it).
static const char *
s_picks (const form_t *f, bulk_pick_t **picks, size_t *n, char *err, size_t errlen)
{
    *picks = opd_calloc ((size_t) f->n + 1, sizeof (bulk_pick_t));
    *n = 0;
    for (int i = 0; i < f->n; i++) {
        if (strcmp (f->name[i], "t"))
            continue;
        const char *v = f->value[i], *colon = strrchr (v, ':');
        size_t idlen = colon ? (size_t) (colon - v) : 0;
        bulk_pick_t p = {0};
        if (!colon || idlen == 0 || idlen >= sizeof p.id || !colon[1] || strlen (colon + 1) >= sizeof p.version
            || strspn (colon + 1, "0123456789") != strlen (colon + 1))
            return "The selection could not be read: load the queue again and select once more.";
        memcpy (p.id, v, idlen);
        snprintf (p.version, sizeof p.version, "%s", colon + 1);
        if (!web_id_valid (p.id))
            return "The selection could not be read: load the queue again and select once more.";
        bool seen = false;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = !strcmp ((*picks)[k].id, p.id);
        if (!seen)
            (*picks)[(*n)++] = p;
    }
    if (*n == 0)
        return "No ticket was selected: tick the tickets to change first.";
    if (*n > BULK_MAX) {
        snprintf (err, errlen, "%zu tickets were selected; at most %d can be changed at once. Select fewer and "
                               "send again.", *n, BULK_MAX);
        return err;
    }
    return NULL;
}

static bool
s_in (const char *v, const char *const *list)
{
    for (size_t i = 0; v && list[i]; i++)
        if (!strcmp (v, list[i]))
            return true;
    return false;
}

static const char *
s_assign (const opd_config_t *cfg, const web_auth_t *who, const form_t *f, bulk_change_t *c)
{
    const char *a = portal_form_get (f, "assignee");
    if (!a || (*a && strcmp (a, "me") && !opd_config_agent (cfg, a)))
        return "Choose whom to assign the tickets to: me, nobody or a configured agent.";
    c->ch.assignee = !strcmp (a, "me") ? who->identity : a;
    snprintf (c->label, sizeof c->label, "Assign to %s", *c->ch.assignee ? c->ch.assignee : "nobody");
    return NULL;
}

static const char *
s_status (const form_t *f, bulk_change_t *c)
{
    static const char *const st[] = {"open", "pending", "resolved", "closed", NULL};
    const char *v = portal_form_get (f, "status"), *note = portal_form_get (f, "status_note");
    if (!s_in (v, st))
        return "Choose a status: open, pending, resolved or closed.";
    c->ch.status = v;
    c->ch.note = note && *note ? note : NULL;
    if (!strcmp (v, "resolved") && !c->ch.note)
        return "Resolving needs a note: it reaches each requester as the resolution. Nothing was changed.";
    snprintf (c->label, sizeof c->label, "Set status to %s", v);
    return NULL;
}

static const char *
s_handoff (const opd_config_t *cfg, const form_t *f, bulk_change_t *c)
{
    const char *team = portal_form_get (f, "team"), *note = portal_form_get (f, "handoff_note");
    if (!team || !opd_config_team (cfg, team))
        return "Choose a configured team to hand the tickets off to.";
    if (!note || !*note)
        return "A hand-off needs a note for the team that takes the tickets. Nothing was changed.";
    c->ch.team = team, c->ch.note = note;
    snprintf (c->label, sizeof c->label, "Hand off to %s", team);
    return NULL;
}

//  The change f asks for: NULL with *c filled in, or the sentence why not.
static const char *
s_change_of (const opd_config_t *cfg, const web_auth_t *who, const form_t *f, bulk_change_t *c)
{
    static const char *const pr[] = {"P1", "P2", "P3", "P4", NULL};
    memset (c, 0, sizeof *c);
    c->ch.actor = who->identity;
    c->action = portal_form_get (f, "action");
    if (!c->action)
        return "Choose an action: assign, status, hand-off or priority.";
    if (!strcmp (c->action, "assign"))
        return s_assign (cfg, who, f, c);
    if (!strcmp (c->action, "status"))
        return s_status (f, c);
    if (!strcmp (c->action, "handoff"))
        return s_handoff (cfg, f, c);
    if (strcmp (c->action, "priority"))
        return "Choose an action: assign, status, hand-off or priority.";
    c->ch.priority = portal_form_get (f, "priority");
    if (!s_in (c->ch.priority, pr))
        return "Choose a priority: P1, P2, P3 or P4.";
    snprintf (c->label, sizeof c->label, "Set priority to %s", c->ch.priority);
    return NULL;
}

//  Applies the change to one ticket and adds its row to b.
static bulk_result_t
s_one (GString *b, http_req_t *req, const bulk_change_t *c, const bulk_pick_t *p)
{
    opd_change_t ch = c->ch;
    ch.expected_version = p->version;
    opd_change_result_t res;
    int rc = opd_change_apply (http_redis (req), req->cfg, p->id, &ch, &res);
    bulk_result_t r = rc == 0 ? (res.changed ? BULK_CHANGED : BULK_SAME)
                      : res.code == OPD_CHANGE_VERSION ? BULK_SKIPPED
                                                       : BULK_REFUSED;
    opd_info ("console bulk action=%s ticket=%s result=%s", c->action, p->id, s_result_id[r]);
    g_string_append (b, "<tr data-id=\"");
    portal_esc (b, p->id);
    g_string_append_printf (b, "\" data-result=\"%s\"><td><a href=\"/agent/tickets/", s_result_id[r]);
    portal_esc (b, p->id);
    g_string_append (b, "\">");
    portal_esc (b, p->id);
    g_string_append_printf (b, "</a></td><td>%s</td><td>", s_result_text[r]);
    if (r == BULK_CHANGED)
        g_string_append_printf (b, "now version %lld", res.version);
    else if (r == BULK_SAME)
        g_string_append (b, "nothing to change");
    else if (r == BULK_SKIPPED)
        g_string_append_printf (b, "it changed after the queue was drawn (version %s, now %lld) and was left "
                                   "as it is: open it to look again",
                                p->version, res.version);
    else
        portal_esc (b, res.message);
    g_string_append (b, "</td></tr>");
    return r;
}

//  The link back to the queue with the filters the form came from.
static void
s_back_link (GString *b, const form_t *f)
{
    const char *back = portal_form_get (f, "back");
    g_string_append (b, "<p><a id=\"back\" href=\"/agent");
    if (back && *back) {
        g_string_append (b, "?");
        portal_esc (b, back);
    }
    g_string_append (b, "\">&larr; Back to the queue</a></p>");
}

static void
s_refuse (http_req_t *req, const web_session_t *s, const form_t *f, const char *why)
{
    GString *b = g_string_new ("<h1>Nothing changed</h1><p class=\"error\" role=\"alert\" id=\"error\">");
    portal_esc (b, why);
    g_string_append (b, "</p>");
    s_back_link (b, f);
    portal_page_script (req, 422, "Bulk change", &s->who, b, console_css, "/agent/console.js");
}

static void
s_apply (http_req_t *req, const web_session_t *s, const form_t *f, const bulk_change_t *c,
         const bulk_pick_t *picks, size_t n)
{
    GString *rows = g_string_new (NULL);
    size_t count[BULK_KINDS] = {0};
    for (size_t i = 0; i < n; i++)
        count[s_one (rows, req, c, &picks[i])]++;
    opd_info ("console bulk action=%s tickets=%zu changed=%zu unchanged=%zu skipped=%zu refused=%zu", c->action,
              n, count[BULK_CHANGED], count[BULK_SAME], count[BULK_SKIPPED], count[BULK_REFUSED]);
    GString *b = g_string_new ("<h1>");
    portal_esc (b, c->label);
    g_string_append_printf (b, "</h1><p role=\"status\" id=\"summary\">%zu selected: %zu changed, %zu already so, "
                               "%zu skipped because they changed meanwhile, %zu refused.</p>",
                            n, count[BULK_CHANGED], count[BULK_SAME], count[BULK_SKIPPED], count[BULK_REFUSED]);
    g_string_append (b, "<table id=\"bulk-result\"><thead><tr><th>Ticket</th><th>Result</th><th>Details</th>"
                        "</tr></thead><tbody>");
    g_string_append_len (b, rows->str, (gssize) rows->len);
    g_string_free (rows, TRUE);
    g_string_append (b, "</tbody></table>");
    s_back_link (b, f);
    portal_page_script (req, 200, "Bulk change", &s->who, b, console_css, "/agent/console.js");
}

void
console_bulk (http_req_t *req, const web_session_t *s)
{
    if (strcmp (req->method, "POST")) {
        http_add_header (req, "Allow", "POST");
        portal_message_page (req, 405, "Not allowed", &s->who, "This address takes a form's POST only.");
        return;
    }
    form_t f;
    if (portal_form_post (req, &s->who, &f))
        return;
    bulk_pick_t *picks = NULL;
    size_t n = 0;
    char err[200];
    bulk_change_t c;
    const char *bad = s_picks (&f, &picks, &n, err, sizeof err);
    if (!bad)
        bad = s_change_of (req->cfg, &s->who, &f, &c);
    if (bad)
        s_refuse (req, s, &f, bad);
    else
        s_apply (req, s, &f, &c, picks, n);
    free (picks);
    portal_form_free (&f);
}
