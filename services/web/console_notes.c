/*  console_notes: the agent's notifications in the console (console.h).

    GET  /agent/notifications            the newest 100, the unread marked,
                                         each with its ticket's subject as
                                         it is now (read when shown)
    POST /agent/notifications/read       id: one is read
    POST /agent/notifications/read-all   every one is read

    opdesk-notifier writes them (services/notifier/notices.c): from the
    durable event history, for the agents each event concerns and whose
    preferences want that kind in the console, into opd:agent:AGENT:notes
    (newest first, 200 kept) and the ids of the unread ones into
    opd:agent:AGENT:unread, whose size is the header's badge (console_nav).
    This file only reads them and marks them read. */
#include "console.h"
#include "opd_agent_prefs.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTES_SHOWN 100

//  The reply's strings as a set (a GHashTable of borrowed keys).
static GHashTable *
s_unread_set (const redisReply *r)
{
    GHashTable *set = g_hash_table_new (g_str_hash, g_str_equal);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            g_hash_table_add (set, r->element[i]->str);
    return set;
}

static const char *
s_team_name (const opd_config_t *cfg, const char *team)
{
    const opd_team_t *t = team ? opd_config_team (cfg, team) : NULL;
    return t && t->name ? t->name : team ? team : "no team";
}

static const char *
s_clock_words (const char *slo)
{
    return !slo ? "A clock" : !strcmp (slo, "first_response") ? "First response"
                            : !strcmp (slo, "next_reply")     ? "Next reply"
                                                              : "Resolution";
}

//  What happened, in words, after the ticket's link.
static void
s_note_text (GString *b, const opd_config_t *cfg, json_t *n, GTimeZone *tz)
{
    const char *kind = portal_jstr (n, "kind"), *team = portal_jstr (n, "team");
    const char *prio = portal_jstr (n, "priority"), *by = portal_jstr (n, "by");
    if (!strcmp (kind, "assigned"))
        g_string_append (b, " was assigned to you");
    else if (!strcmp (kind, "handoff")) {
        g_string_append (b, " was handed off to ");
        portal_esc (b, s_team_name (cfg, team));
    }
    else if (!strcmp (kind, "p1")) {
        g_string_append (b, " is a P1 in ");
        portal_esc (b, s_team_name (cfg, team));
    }
    else {
        g_string_append (b, ": ");
        portal_esc (b, s_clock_words (portal_jstr (n, "slo")));
        g_string_append (b, " is about to breach, due ");
        console_time (b, portal_jstr (n, "due_at"), tz);
    }
    if (prio && strcmp (kind, "p1")) {
        g_string_append (b, " (");
        portal_esc (b, prio);
        g_string_append (b, ")");
    }
    if (by) {
        g_string_append (b, " by ");
        portal_esc (b, by);
    }
}

//  The subjects of the notes' tickets (HGET each, pipelined): a table of
//  ticket id to subject, both owned; a ticket gone or Redis failing shows none.
static GHashTable *
s_subjects (opd_redis_t *redis, json_t **notes, size_t n)
{
    GHashTable *subjects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    GPtrArray *asked = g_ptr_array_new ();
    for (size_t i = 0; i < n; i++) {
        const char *t = portal_jstr (notes[i], "ticket");
        if (!t || g_hash_table_contains (subjects, t))
            continue;
        g_hash_table_insert (subjects, g_strdup (t), NULL);
        if (opd_store_fields_append (redis, t, (const char *[]){"subject"}, 1))
            break;
        g_ptr_array_add (asked, (gpointer) t);
    }
    for (guint i = 0; i < asked->len; i++) {
        redisReply *r = opd_redis_get_reply (redis);
        const char *subject = opd_reply_str (r, 0);
        g_hash_table_insert (subjects, g_strdup (asked->pdata[i]), subject ? g_strdup (subject) : NULL);
        if (r)
            freeReplyObject (r);
    }
    g_ptr_array_free (asked, TRUE);
    return subjects;
}

static void
s_note (GString *b, const web_session_t *s, const opd_config_t *cfg, json_t *n, bool unread, GTimeZone *tz,
        const char *subject)
{
    const char *id = portal_jstr (n, "id"), *ticket = portal_jstr (n, "ticket"), *kind = portal_jstr (n, "kind");
    if (!id || !ticket || !kind)
        return;
    g_string_append_printf (b, "<li class=\"notice%s\" data-id=\"", unread ? " unread" : "");
    portal_esc (b, id);
    g_string_append (b, "\" data-kind=\"");
    portal_esc (b, kind);
    g_string_append (b, "\" data-ticket=\"");
    portal_esc (b, ticket);
    g_string_append (b, unread ? "\"><strong>New</strong> " : "\">");
    console_time (b, portal_jstr (n, "at"), tz);
    g_string_append (b, " <a href=\"/agent/tickets/");
    portal_esc (b, ticket);
    g_string_append (b, "\">");
    portal_esc (b, ticket);
    g_string_append (b, "</a>");
    s_note_text (b, cfg, n, tz);
    if (subject) {
        g_string_append (b, ": <span class=\"subject\">");
        portal_esc (b, subject);
        g_string_append (b, "</span>");
    }
    if (unread) {
        g_string_append (b, " <form method=\"post\" action=\"/agent/notifications/read\" class=\"inline\">");
        portal_csrf_field (b, s->csrf);
        g_string_append (b, "<input type=\"hidden\" name=\"id\" value=\"");
        portal_esc (b, id);
        g_string_append (b, "\"><button type=\"submit\">Mark read</button></form>");
    }
    g_string_append (b, "</li>");
}

static void
s_list (http_req_t *req, const web_session_t *s)
{
    char nkey[300], ukey[300];
    opd_key_agent_notes (nkey, sizeof nkey, s->who.identity);
    opd_key_agent_unread (ukey, sizeof ukey, s->who.identity);
    redisReply *notes = opd_redis_command (http_redis (req), "LRANGE %s 0 %d", nkey, NOTES_SHOWN - 1);
    redisReply *unread = notes ? opd_redis_command (http_redis (req), "ZRANGE %s 0 -1", ukey) : NULL;
    if (!unread || notes->type != REDIS_REPLY_ARRAY || unread->type != REDIS_REPLY_ARRAY) {
        portal_message_page (req, 503, "Unavailable", &s->who, "Notifications cannot be shown at the moment.");
        goto end;
    }
    GHashTable *set = s_unread_set (unread);
    GTimeZone *tz = console_tz (req->cfg, &s->who, NULL);
    GString *b = g_string_new ("<h1>Notifications</h1><p class=\"muted\">What happened to your tickets and "
                               "your teams' tickets, newest first. Choose which kinds you get in "
                               "<a href=\"/agent/settings\">Settings</a>.</p>");
    if (g_hash_table_size (set)) {
        g_string_append (b, "<form method=\"post\" action=\"/agent/notifications/read-all\" id=\"form-read-all\">");
        portal_csrf_field (b, s->csrf);
        g_string_append (b, "<button type=\"submit\">Mark all read</button></form>");
    }
    if (!notes->elements)
        g_string_append (b, "<p id=\"empty\">No notifications.</p>");
    g_string_append (b, "<ol id=\"notifications\">");
    json_t **parsed = opd_calloc (notes->elements + 1, sizeof (json_t *));
    size_t np = 0;
    for (size_t i = 0; i < notes->elements; i++) {
        json_t *n = notes->element[i]->type == REDIS_REPLY_STRING ? json_loads (notes->element[i]->str, 0, NULL)
                                                                   : NULL;
        if (json_is_object (n))
            parsed[np++] = n;
        else
            json_decref (n);
    }
    GHashTable *subjects = s_subjects (http_redis (req), parsed, np);
    for (size_t i = 0; i < np; i++) {
        const char *id = portal_jstr (parsed[i], "id"), *t = portal_jstr (parsed[i], "ticket");
        s_note (b, s, req->cfg, parsed[i], id && g_hash_table_contains (set, id), tz,
                t ? g_hash_table_lookup (subjects, t) : NULL);
        json_decref (parsed[i]);
    }
    free (parsed);
    g_hash_table_destroy (subjects);
    g_string_append (b, "</ol>");
    g_time_zone_unref (tz);
    g_hash_table_destroy (set);
    portal_page_script (req, 200, "Notifications", &s->who, b, console_css, "/agent/console.js");
end:
    if (notes)
        freeReplyObject (notes);
    if (unread)
        freeReplyObject (unread);
}

//  Marks one notification read (id), or all of them (id NULL). 0 or -1.
static int
s_mark (http_req_t *req, const web_session_t *s, const char *id)
{
    char ukey[300];
    opd_key_agent_unread (ukey, sizeof ukey, s->who.identity);
    redisReply *r = id ? opd_redis_command (http_redis (req), "ZREM %s %s", ukey, id)
                       : opd_redis_command (http_redis (req), "DEL %s", ukey);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

void
console_notes (http_req_t *req, const web_session_t *s, const char *rest)
{
    bool post = !strcmp (req->method, "POST");
    bool one = !strcmp (rest, "/read"), all = !strcmp (rest, "/read-all");
    if (*rest && !one && !all) {
        portal_message_page (req, 404, "Not found", &s->who, "There is no such page.");
        return;
    }
    if (!*rest && !post) {
        s_list (req, s);
        return;
    }
    if (!*rest || !post) {
        http_add_header (req, "Allow", *rest ? "POST" : "GET");
        portal_message_page (req, 405, "Not allowed", &s->who, "This address does not take that method.");
        return;
    }
    form_t f;
    if (portal_form_post (req, &s->who, &f))
        return;
    const char *id = portal_form_get (&f, "id");
    if (one && (!id || !*id || strlen (id) > 64))
        portal_message_page (req, 422, "Bad form", &s->who, "Which notification? The form named none.");
    else if (s_mark (req, s, one ? id : NULL))
        portal_message_page (req, 503, "Unavailable", &s->who, "Notifications cannot be changed at the moment.");
    else
        portal_redirect (req, "/agent/notifications");
    portal_form_free (&f);
}
