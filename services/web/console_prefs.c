/*  console_prefs: the agent's preferences in the console (console.h).

    GET  /agent/settings         which notifications the agent gets in the
                                 console and by mail, and the keyboard
                                 shortcuts (each remapped or turned off)
    POST /agent/settings         saves the form, after checking every key:
                                 one printable key without Ctrl, Alt or
                                 Meta, no two actions on one key (422 with
                                 the sentences, nothing stored)
    POST /agent/settings/reset   every shortcut back to its default

    The header of every console page (console_nav) links here and to the
    notifications with the unread count, and carries the agent's shortcut
    map as JSON in data-keys, which console.js reads: no inline script.
    The preferences are opd:agent:AGENT:prefs (store/opd_agent_prefs.h);
    opdesk-notifier reads them when it turns events into notifications. */
#include "console.h"
#include "opd_agent_prefs.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The shortcut map as JSON text: {"next": "j", ..., "resolve": ""}.
static char *
s_keys_json (const opd_agent_prefs_t *p)
{
    json_t *o = json_object ();
    for (int i = 0; i < OPD_KEY_COUNT; i++)
        json_object_set_new (o, opd_shortcut_names[i], json_string (p->key[i]));
    char *text = json_dumps (o, JSON_COMPACT);
    json_decref (o);
    return text;
}

//  HGETALL of the preferences and ZCARD of the unread ids, in one round
//  trip (every agent page makes it). A reply is NULL when Redis failed.
static void
s_nav_read (opd_redis_t *redis, const char *pkey, const char *ukey, redisReply **prefs, redisReply **count)
{
    opd_args_t a, b;
    opd_args_init (&a);
    opd_args_init (&b);
    opd_args_add (&a, "HGETALL");
    opd_args_add (&a, pkey);
    opd_args_add (&b, "ZCARD");
    opd_args_add (&b, ukey);
    if (!opd_redis_append_argv (redis, &a) && !opd_redis_append_argv (redis, &b)) {
        *prefs = opd_redis_get_reply (redis);
        *count = *prefs ? opd_redis_get_reply (redis) : NULL;
    }
    opd_args_free (&a);
    opd_args_free (&b);
}

void
console_nav (GString *out, http_req_t *req, const web_auth_t *who)
{
    char pkey[300], ukey[300];
    opd_key_agent_prefs (pkey, sizeof pkey, who->identity);
    opd_key_agent_unread (ukey, sizeof ukey, who->identity);
    redisReply *prefs = NULL, *count = NULL;
    s_nav_read (http_redis (req), pkey, ukey, &prefs, &count);
    opd_agent_prefs_t p;
    opd_agent_prefs_from_reply (&p, prefs);
    long long n = count && count->type == REDIS_REPLY_INTEGER ? count->integer : -1;
    g_string_append (out, "<a href=\"/agent/notifications\" id=\"notif-link\">Notifications <span class=\"count");
    if (n < 0)
        g_string_append (out, "\" id=\"notif-count\">?</span></a>");
    else
        g_string_append_printf (out, "%s\" id=\"notif-count\" aria-label=\"%lld unread\">%lld</span></a>",
                                n ? " unread" : "", n, n);
    char *keys = s_keys_json (&p);
    g_string_append (out, "<a href=\"/agent/settings\" id=\"settings-link\" data-keys=\"");
    portal_esc (out, keys);
    g_string_append (out, "\">Settings</a>");
    free (keys);
    if (prefs)
        freeReplyObject (prefs);
    if (count)
        freeReplyObject (count);
}

//  True when the form holds name=value (checkboxes send one pair each).
static bool
s_checked (const form_t *f, const char *name, const char *value)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp (f->name[i], name) && !strcmp (f->value[i], value))
            return true;
    return false;
}

static void
s_notice_rows (GString *b, const opd_agent_prefs_t *p)
{
    g_string_append (b, "<table id=\"notices\"><thead><tr><th>When</th><th>In the console</th><th>By mail</th>"
                        "</tr></thead><tbody>");
    for (int i = 0; i < OPD_NOTICE_COUNT; i++) {
        const char *k = opd_notice_names[i];
        g_string_append_printf (b, "<tr><td>%s</td>", opd_notice_labels[i]);
        g_string_append_printf (b, "<td><input type=\"checkbox\" name=\"console\" value=\"%s\" id=\"console-%s\" "
                                   "aria-label=\"%s in the console\"%s></td>",
                                k, k, opd_notice_labels[i], p->console[i] ? " checked" : "");
        g_string_append_printf (b, "<td><input type=\"checkbox\" name=\"mail\" value=\"%s\" id=\"mail-%s\" "
                                   "aria-label=\"%s by mail\"%s></td></tr>",
                                k, k, opd_notice_labels[i], p->mail[i] ? " checked" : "");
    }
    g_string_append (b, "</tbody></table>");
}

//  The keys of p, or as sent in f (when given) so a refused value can be corrected.
static void
s_key_rows (GString *b, const opd_agent_prefs_t *p, const form_t *f)
{
    g_string_append (b, "<table id=\"shortcuts\"><thead><tr><th>Action</th><th>Key</th><th>Default</th></tr>"
                        "</thead><tbody>");
    for (int i = 0; i < OPD_KEY_COUNT; i++) {
        const char *a = opd_shortcut_names[i];
        g_string_append_printf (b, "<tr><td><label for=\"key-%s\">%s</label></td><td><input type=\"text\" "
                                   "id=\"key-%s\" name=\"key:%s\" size=\"3\" autocomplete=\"off\" value=\"",
                                a, opd_shortcut_labels[i], a, a);
        char name[32];
        snprintf (name, sizeof name, "key:%s", a);
        const char *sent = f ? portal_form_get (f, name) : NULL;
        portal_esc (b, sent ? sent : p->key[i]);
        g_string_append (b, "\"></td><td><kbd>");
        portal_esc (b, opd_shortcut_defaults[i]);
        g_string_append (b, "</kbd></td></tr>");
    }
    g_string_append (b, "</tbody></table>");
}

//  The page; errors (may be NULL) are shown above the form, whose values are p.
static void
s_page (http_req_t *req, const web_session_t *s, int status, const opd_agent_prefs_t *p, const form_t *f,
        GString *errors, const char *notice)
{
    const opd_agent_t *agent = opd_config_agent (req->cfg, s->who.identity);
    GString *b = g_string_new ("<h1>Settings</h1>");
    if (notice)
        g_string_append_printf (b, "<p class=\"ok\" role=\"status\" id=\"notice\">%s</p>", notice);
    if (errors && errors->len)
        g_string_append_printf (b, "<div class=\"error\" role=\"alert\" id=\"error\"><ul>%s</ul></div>", errors->str);
    g_string_append (b, "<form method=\"post\" action=\"/agent/settings\" id=\"form-settings\">");
    portal_csrf_field (b, s->csrf);
    g_string_append (b, "<fieldset><legend>Notifications</legend>");
    s_notice_rows (b, p);
    if (agent && agent->email) {
        g_string_append (b, "<p class=\"muted\">Mail goes to ");
        portal_esc (b, agent->email);
        g_string_append (b, ". It names the ticket and links to it; it never holds the requester's text.</p>");
    }
    else
        g_string_append (b, "<p class=\"muted\" id=\"no-email\">No email address is configured for you "
                            "(agents[].email): mail cannot reach you.</p>");
    g_string_append (b, "</fieldset><fieldset><legend>Keyboard shortcuts</legend>");
    s_key_rows (b, p, f);
    g_string_append (b, "<p class=\"muted\">One letter, digit or punctuation mark each, without Ctrl, Alt or "
                        "Meta (those belong to the browser); no key for two actions; empty turns a shortcut "
                        "off. Shortcuts do nothing while you type in a field.</p></fieldset>"
                        "<button type=\"submit\">Save settings</button></form>"
                        "<form method=\"post\" action=\"/agent/settings/reset\" id=\"form-reset\">");
    portal_csrf_field (b, s->csrf);
    g_string_append (b, "<button type=\"submit\">Reset shortcuts to the defaults</button></form>");
    portal_page_script (req, status, "Settings", &s->who, b, console_css, "/agent/console.js");
}

//  p from the form (keys not in it keep p's value); the sentences of what
//  is wrong go to errors.
static void
s_from_form (const form_t *f, opd_agent_prefs_t *p, GString *errors)
{
    for (int i = 0; i < OPD_NOTICE_COUNT; i++) {
        p->console[i] = s_checked (f, "console", opd_notice_names[i]);
        p->mail[i] = s_checked (f, "mail", opd_notice_names[i]);
    }
    for (int i = 0; i < OPD_KEY_COUNT; i++) {
        char name[32];
        snprintf (name, sizeof name, "key:%s", opd_shortcut_names[i]);
        const char *v = portal_form_get (f, name);
        if (!v)
            continue;
        const char *why = opd_agent_key_check (v);
        if (why) {
            g_string_append_printf (errors, "<li data-action=\"%s\">%s: ", opd_shortcut_names[i],
                                    opd_shortcut_labels[i]);
            portal_esc (errors, why);
            g_string_append (errors, "</li>");
        }
        else
            snprintf (p->key[i], sizeof p->key[i], "%s", v);
    }
    int a, c;
    if (!errors->len && opd_agent_keys_clash (p, &a, &c)) {
        g_string_append_printf (errors, "<li data-action=\"%s\">%s and %s both use <kbd>", opd_shortcut_names[c],
                                opd_shortcut_labels[a], opd_shortcut_labels[c]);
        portal_esc (errors, p->key[a]);
        g_string_append (errors, "</kbd>: a key may do one thing only.</li>");
    }
}

static void
s_save (http_req_t *req, const web_session_t *s, const form_t *f)
{
    opd_agent_prefs_t p;
    if (opd_agent_prefs_get (http_redis (req), s->who.identity, &p)) {
        portal_message_page (req, 503, "Unavailable", &s->who, "Settings cannot be saved at the moment.");
        return;
    }
    GString *errors = g_string_new (NULL);
    s_from_form (f, &p, errors);
    if (errors->len) {
        s_page (req, s, 422, &p, f, errors, NULL);
    }
    else if (opd_agent_prefs_set (http_redis (req), s->who.identity, &p))
        portal_message_page (req, 503, "Unavailable", &s->who, "Settings cannot be saved at the moment.");
    else {
        opd_info ("console settings saved agent=%s", s->who.identity);
        portal_redirect (req, "/agent/settings?saved=1");
    }
    g_string_free (errors, TRUE);
}

void
console_settings (http_req_t *req, const web_session_t *s, const char *rest)
{
    bool post = !strcmp (req->method, "POST");
    bool reset = !strcmp (rest, "/reset");
    if (*rest && !reset) {
        portal_message_page (req, 404, "Not found", &s->who, "There is no such page.");
        return;
    }
    if (!post) {
        if (reset) {
            http_add_header (req, "Allow", "POST");
            portal_message_page (req, 405, "Not allowed", &s->who, "This address takes a form's POST only.");
            return;
        }
        opd_agent_prefs_t p;
        if (opd_agent_prefs_get (http_redis (req), s->who.identity, &p))
            portal_message_page (req, 503, "Unavailable", &s->who, "Settings cannot be shown at the moment.");
        else
            s_page (req, s, 200, &p, NULL, NULL, http_arg (req, "saved") ? "Settings saved." : NULL);
        return;
    }
    form_t f;
    if (portal_form_post (req, &s->who, &f))
        return;
    if (!reset)
        s_save (req, s, &f);
    else if (opd_agent_prefs_reset_keys (http_redis (req), s->who.identity))
        portal_message_page (req, 503, "Unavailable", &s->who, "Settings cannot be saved at the moment.");
    else
        portal_redirect (req, "/agent/settings?saved=1");
    portal_form_free (&f);
}
