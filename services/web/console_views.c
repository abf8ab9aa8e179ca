/*  console_views: saved views of the agent console's queue (console.h).

    A view is a name and a query string of the queue's filters (status,
    priority, assignee, team, breaching, due, q), nothing more: it is checked
    by the queue's own parser (console_filters_parse) when it is saved and
    again each time it is shown, so a view the configuration no longer
    allows (a team or an agent removed) is shown as such, with the parser's
    sentence, and never breaks the page. "assignee=me" means whoever looks.

    Personal views: opd:views:agent:IDENTITY; views a lead or admin shares
    with a team: opd:views:team:TEAM, shown to the team's members
    (docs/decisions.md 99). Both are hashes of NAME to the query string.

    POST /agent/views          name, query, share ("" or a team): save
    POST /agent/views/delete   name, scope ("me" or a team): delete

    A view's count is shown only where it is exact and cheap: filters of
    team and status alone are summed from the per-team status counters the
    queue's counts use (opd_ticket_counts); any other filter, no count. */
#include "console.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEWS_MAX 20         //  per identity, and per team
#define VIEW_NAME_CHARS 40   //  characters of a name
#define VIEW_QUERY_BYTES 600 //  bytes of a stored query string

static const char *const s_keep[] = {"status", "priority", "assignee", "team", "breaching", "due", "q", NULL};

static const char *
s_table_arg (void *ctx, const char *name)
{
    return g_hash_table_lookup (ctx, name);
}

//  The parameters of a query string, or NULL when it is not one (or not
//  UTF-8). The caller unrefs the table.
static GHashTable *
s_params (const char *query)
{
    GHashTable *t = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
    if (!t)
        return NULL;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init (&it, t);
    while (g_hash_table_iter_next (&it, &k, &v))
        if (!g_utf8_validate (k, -1, NULL) || !g_utf8_validate (v, -1, NULL)) {
            g_hash_table_unref (t);
            return NULL;
        }
    return t;
}

//  The filters of params as a query string of the known keys in one order,
//  empty values left out; the caller frees it.
static char *
s_normal (GHashTable *params)
{
    GString *q = g_string_new (NULL);
    for (size_t i = 0; s_keep[i]; i++) {
        const char *v = g_hash_table_lookup (params, s_keep[i]);
        if (!v || !*v)
            continue;
        gchar *e = g_uri_escape_string (v, NULL, TRUE);
        g_string_append_printf (q, "%s%s=%s", q->len ? "&" : "", s_keep[i], e);
        g_free (e);
    }
    char *out = opd_strdup (q->str);
    g_string_free (q, TRUE);
    return out;
}

//  Checks a stored query string for who: NULL when the queue takes it,
//  else the sentence why not. *a (may be NULL) borrows from params.
static const char *
s_check (const opd_config_t *cfg, const web_auth_t *who, GHashTable *params, console_filters_t *a)
{
    console_filters_t tmp;
    if (!params)
        return "This view is not a query the queue can read.";
    return console_filters_parse (cfg, who, s_table_arg, params, a ? a : &tmp);
}

//  The exact number of tickets of the view, or -1 when that is not cheap
//  (a filter beyond team and status) or Redis failed.
static long long
s_count (http_req_t *req, const web_auth_t *who, const console_filters_t *a)
{
    if ((a->priority && *a->priority) || (a->assignee && *a->assignee) || a->breaching || a->due_hours
        || (a->q && *a->q))
        return -1;
    const char **teams = opd_calloc (req->cfg->nteams + 1, sizeof (char *));
    size_t n = console_teams (req->cfg, who, a->team, teams);
    long long c[5], sum = -1;
    if (opd_ticket_counts (http_redis (req), teams, n, c) == 0) {
        sum = 0;
        for (size_t s = 0; s < 3; s++)
            if (!a->status || !*a->status || !strcmp (a->status, opd_ticket_statuses[s]))
                sum += c[s];
    }
    free (teams);
    return sum;
}

//  The views of key: a HGETALL reply (array of name, query), or NULL.
static redisReply *
s_load (http_req_t *req, const char *key)
{
    redisReply *r = opd_redis_command (http_redis (req), "HGETALL %s", key);
    if (r && r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject (r);
        r = NULL;
    }
    return r;
}

//  The delete button of one view (scope "me" or a team).
static void
s_delete_form (GString *b, const web_session_t *s, const char *name, const char *scope, const char *back)
{
    g_string_append (b, " <form method=\"post\" action=\"/agent/views/delete\" class=\"inline\">");
    portal_csrf_field (b, s->csrf);
    g_string_append (b, "<input type=\"hidden\" name=\"name\" value=\"");
    portal_esc (b, name);
    g_string_append (b, "\"><input type=\"hidden\" name=\"scope\" value=\"");
    portal_esc (b, scope);
    g_string_append (b, "\"><input type=\"hidden\" name=\"back\" value=\"");
    portal_esc (b, back);
    g_string_append (b, "\"><button type=\"submit\" aria-label=\"Delete view ");
    portal_esc (b, name);
    g_string_append (b, "\">Delete</button></form>");
}

//  One view as a list item: a link with its count, or marked as stale.
static void
s_item (GString *b, http_req_t *req, const web_session_t *s, const char *name, const char *query,
        const char *scope, bool deletable, const char *back)
{
    GHashTable *params = s_params (query);
    console_filters_t a;
    const char *bad = s_check (req->cfg, &s->who, params, &a);
    g_string_append (b, "<li class=\"view\" data-view=\"");
    portal_esc (b, name);
    g_string_append (b, bad ? "\" data-state=\"stale\"><span>" : "\" data-state=\"ok\"><a href=\"/agent?");
    if (!bad) {
        portal_esc (b, query);
        g_string_append (b, "\">");
    }
    portal_esc (b, name);
    g_string_append (b, bad ? "</span>" : "</a>");
    long long n = bad ? -1 : s_count (req, &s->who, &a);
    if (n >= 0)
        g_string_append_printf (b, " <span class=\"count\" data-count=\"%lld\">(%lld)</span>", n, n);
    if (bad) {
        g_string_append (b, " <em class=\"error\">no longer valid: ");
        portal_esc (b, bad);
        g_string_append (b, "</em>");
    }
    if (params)
        g_hash_table_unref (params);
    if (strcmp (scope, "me")) {
        g_string_append (b, " <span class=\"muted\">(shared with ");
        portal_esc (b, scope);
        g_string_append (b, ")</span>");
    }
    if (deletable)
        s_delete_form (b, s, name, scope, back);
    g_string_append (b, "</li>");
}

static void
s_items (GString *b, http_req_t *req, const web_session_t *s, const char *key, const char *scope, bool deletable,
         const char *back)
{
    redisReply *r = s_load (req, key);
    for (size_t i = 0; r && i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
            s_item (b, req, s, r->element[i]->str, r->element[i + 1]->str, scope, deletable, back);
    if (!r)
        g_string_append (b, "<li class=\"muted\">Saved views are not available at the moment.</li>");
    else
        freeReplyObject (r);
}

static const char *
s_req_arg (void *req, const char *name)
{
    return http_arg (req, name);
}

//  The save form: the current filters, a name, and for a lead or admin a
//  team to share the view with.
static void
s_save_form (GString *b, http_req_t *req, const web_session_t *s, const char *current)
{
    g_string_append (b, "<form method=\"post\" action=\"/agent/views\" class=\"filters\" id=\"save-view\">");
    portal_csrf_field (b, s->csrf);
    g_string_append (b, "<input type=\"hidden\" name=\"query\" value=\"");
    portal_esc (b, current);
    g_string_append_printf (b, "\"><div><label for=\"view-name\">Save these filters as</label><input "
                               "id=\"view-name\" name=\"name\" maxlength=\"%d\" required></div>",
                            VIEW_NAME_CHARS);
    if (s->who.role >= OPD_ROLE_LEAD) {
        g_string_append (b, "<div><label for=\"view-share\">For</label><select id=\"view-share\" name=\"share\">"
                            "<option value=\"\">me only</option>");
        const char **teams = opd_calloc (req->cfg->nteams + 1, sizeof (char *));
        size_t n = console_teams (req->cfg, &s->who, NULL, teams);
        for (size_t i = 0; i < n; i++) {
            const opd_team_t *t = opd_config_team (req->cfg, teams[i]);
            g_string_append (b, "<option value=\"");
            portal_esc (b, teams[i]);
            g_string_append (b, "\">team ");
            portal_esc (b, t && t->name ? t->name : teams[i]);
            g_string_append (b, "</option>");
        }
        free (teams);
        g_string_append (b, "</select></div>");
    }
    g_string_append (b, "<div><button type=\"submit\">Save view</button></div></form>");
}

void
console_views_bar (GString *b, http_req_t *req, const web_session_t *s)
{
    GHashTable *now = g_hash_table_new (g_str_hash, g_str_equal);
    for (size_t i = 0; s_keep[i]; i++)
        if (s_req_arg (req, s_keep[i]))
            g_hash_table_insert (now, (gpointer) s_keep[i], (gpointer) s_req_arg (req, s_keep[i]));
    char *current = s_normal (now);
    g_hash_table_unref (now);
    g_string_append (b, "<nav aria-label=\"Saved views\" id=\"views\"><h2>Saved views</h2><ul>");
    char key[512];
    opd_key_views_agent (key, sizeof key, s->who.identity);
    s_items (b, req, s, key, "me", true, current);
    const char **teams = opd_calloc (req->cfg->nteams + 1, sizeof (char *));
    size_t n = console_teams (req->cfg, &s->who, NULL, teams);
    for (size_t i = 0; i < n; i++) {
        opd_key_views_team (key, sizeof key, teams[i]);
        s_items (b, req, s, key, teams[i], s->who.role >= OPD_ROLE_LEAD, current);
    }
    free (teams);
    g_string_append (b, "</ul>");
    s_save_form (b, req, s, current);
    g_string_append (b, "</nav>");
    free (current);
}

//  303 back to the queue with the query string back (filters only).
static void
s_back (http_req_t *req, const char *back)
{
    GHashTable *p = back ? s_params (back) : NULL;
    char *q = p ? s_normal (p) : opd_strdup ("");
    char *loc = opd_sprintf ("/agent%s%s", *q ? "?" : "", q);
    portal_redirect (req, loc);
    free (loc), free (q);
    if (p)
        g_hash_table_unref (p);
}

//  True when team is one of who's own (console_teams: the agent's teams, or
//  every team for an identity that is in none).
static bool
s_own_team (const opd_config_t *cfg, const web_auth_t *who, const char *team)
{
    const char **teams = opd_calloc (cfg->nteams + 1, sizeof (char *));
    size_t n = console_teams (cfg, who, NULL, teams);
    bool own = false;
    for (size_t i = 0; i < n && !own; i++)
        own = !strcmp (teams[i], team);
    free (teams);
    return own;
}

//  The key a view of scope goes to, or a sentence why who may not use it.
static const char *
s_scope_key (const opd_config_t *cfg, const web_auth_t *who, const char *scope, char *key, size_t size)
{
    if (!scope || !*scope || !strcmp (scope, "me")) {
        opd_key_views_agent (key, size, who->identity);
        return NULL;
    }
    if (who->role < OPD_ROLE_LEAD)
        return "Only a lead or an admin may save or delete a view shared with a team.";
    if (!opd_config_team (cfg, scope) || !s_own_team (cfg, who, scope))
        return "A view can be shared only with a team of your own.";
    opd_key_views_team (key, size, scope);
    return NULL;
}

//  Checks a view's name: NULL, or the sentence why not.
static const char *
s_name_bad (const char *name)
{
    if (!name || !*name || g_utf8_strlen (name, -1) > VIEW_NAME_CHARS)
        return "A view needs a name of 1 to 40 characters.";
    for (const char *p = name; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            return "A view's name cannot hold control characters.";
    return NULL;
}

//  The number of views of key, -1 when Redis failed; *exists when name is one.
static long long
s_how_many (http_req_t *req, const char *key, const char *name, bool *exists)
{
    redisReply *r = s_load (req, key);
    if (!r)
        return -1;
    long long n = (long long) r->elements / 2;
    *exists = false;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        *exists = *exists || (r->element[i]->type == REDIS_REPLY_STRING && !strcmp (r->element[i]->str, name));
    freeReplyObject (r);
    return n;
}

static int
s_save_checks (http_req_t *req, const web_session_t *s, const char *name, GHashTable *params, const char *key)
{
    const char *bad = s_name_bad (name);
    if (!bad)
        bad = s_check (req->cfg, &s->who, params, NULL);
    if (bad) {
        portal_message_page (req, 422, "View not saved", &s->who, bad);
        return -1;
    }
    bool exists = false;
    long long n = s_how_many (req, key, name, &exists);
    if (n < 0)
        portal_message_page (req, 503, "Unavailable", &s->who, "Views cannot be saved at the moment.");
    else if (n >= VIEWS_MAX && !exists)
        portal_message_page (req, 422, "View not saved", &s->who,
                             "There are 20 saved views already: delete one before saving another.");
    return n < 0 || (n >= VIEWS_MAX && !exists) ? -1 : 0;
}

static void
s_save (http_req_t *req, const web_session_t *s, const form_t *f)
{
    const char *name = portal_form_get (f, "name"), *query = portal_form_get (f, "query");
    const char *share = portal_form_get (f, "share");
    char key[512];
    const char *bad = s_scope_key (req->cfg, &s->who, share, key, sizeof key);
    if (bad) {
        portal_message_page (req, 403, "View not saved", &s->who, bad);
        return;
    }
    if (query && strlen (query) > VIEW_QUERY_BYTES) {
        portal_message_page (req, 422, "View not saved", &s->who, "These filters are too long to save as a view.");
        return;
    }
    GHashTable *params = s_params (query ? query : "");
    if (s_save_checks (req, s, name, params, key) == 0) {
        char *normal = s_normal (params);
        redisReply *r = opd_redis_command (http_redis (req), "HSET %s %s %s", key, name, normal);
        bool ok = r && r->type == REDIS_REPLY_INTEGER;
        if (r)
            freeReplyObject (r);
        opd_info ("console view saved shared=%s ok=%d", share && *share ? share : "no", ok);
        if (ok)
            s_back (req, normal);
        else
            portal_message_page (req, 503, "Unavailable", &s->who, "Views cannot be saved at the moment.");
        free (normal);
    }
    if (params)
        g_hash_table_unref (params);
}

static void
s_delete (http_req_t *req, const web_session_t *s, const form_t *f)
{
    const char *name = portal_form_get (f, "name"), *scope = portal_form_get (f, "scope");
    char key[512];
    const char *bad = s_scope_key (req->cfg, &s->who, scope, key, sizeof key);
    if (bad) {
        portal_message_page (req, 403, "View not deleted", &s->who, bad);
        return;
    }
    redisReply *r = opd_redis_command (http_redis (req), "HDEL %s %s", key, name ? name : "");
    bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (r)
        freeReplyObject (r);
    if (ok)
        s_back (req, portal_form_get (f, "back"));
    else
        portal_message_page (req, 503, "Unavailable", &s->who, "Views cannot be deleted at the moment.");
}

void
console_views (http_req_t *req, const web_session_t *s, const char *rest)
{
    bool save = !*rest, del = !strcmp (rest, "/delete");
    if (!save && !del) {
        portal_message_page (req, 404, "Not found", &s->who, "There is no such page.");
        return;
    }
    if (strcmp (req->method, "POST")) {
        http_add_header (req, "Allow", "POST");
        portal_message_page (req, 405, "Not allowed", &s->who, "This address takes a form's POST only.");
        return;
    }
    form_t f;
    if (portal_form_post (req, &s->who, &f))
        return;
    if (save)
        s_save (req, s, &f);
    else
        s_delete (req, s, &f);
    portal_form_free (&f);
}
