/*  portal_tz: times on the portal in the requester's time zone
    (opd_req_tz.h, the same choice the notifier's mails use), and the
    page where a requester chooses it.

    GET/POST /settings   a select of the IANA zones (the tz database's
                         zone.tab, with UTC); "Use the desk's time zone"
                         forgets the choice. No script: the portal cannot
                         ask the browser, so the zone is what the
                         requester chose, else the ticket's calendar's
                         (docs/decisions.md 130). */
#include "opd_log.h"
#include "opd_req_tz.h"
#include "opd_util.h"
#include "portal.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE_TAB "/usr/share/zoneinfo/zone.tab"

void
portal_when (GString *out, const char *rfc3339, const char *zone)
{
    GDateTime *t = rfc3339 ? g_date_time_new_from_iso8601 (rfc3339, NULL) : NULL;
    if (!t) {
        g_string_append (out, "&mdash;");
        return;
    }
    char buf[96];
    opd_req_tz_when (g_date_time_to_unix (t) * 1000 + g_date_time_get_microsecond (t) / 1000, zone, buf,
                     sizeof buf);
    g_date_time_unref (t);
    g_string_append (out, "<time datetime=\"");
    portal_esc (out, rfc3339);
    g_string_append (out, "\">");
    portal_esc (out, buf);
    g_string_append (out, "</time>");
}

char *
portal_chosen_zone (http_req_t *req, const web_auth_t *who)
{
    char *zone = NULL;
    if (who && opd_req_tz_get (http_redis (req), who->identity, &zone))
        opd_warn ("time zone not read, times shown in the desk's zone: %s", opd_redis_error (http_redis (req)));
    return zone;
}

const char *
portal_ticket_zone (const opd_config_t *cfg, const char *chosen, json_t *ticket)
{
    const char *policy = NULL, *k;
    json_t *c;
    json_object_foreach (json_object_get (ticket, "slo"), k, c) {
        if (!policy)
            policy = portal_jstr (c, "policy");
    }
    return opd_req_tz_pick (cfg, chosen, policy);
}

//  The zones of the select: zone.tab's, UTC, and the choice itself.
static GPtrArray *
s_zones (const char *current)
{
    GPtrArray *zones = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (zones, g_strdup ("UTC"));
    gchar *text = NULL;
    if (g_file_get_contents (ZONE_TAB, &text, NULL, NULL)) {
        gchar **lines = g_strsplit (text, "\n", -1);
        for (gchar **l = lines; *l; l++) {
            gchar **cols = **l && **l != '#' ? g_strsplit (*l, "\t", 4) : NULL;
            if (cols && g_strv_length (cols) >= 3 && !opd_req_tz_check (cols[2]))
                g_ptr_array_add (zones, g_strdup (cols[2]));
            g_strfreev (cols);
        }
        g_strfreev (lines);
        g_free (text);
    }
    if (current && strcmp (current, "UTC"))
        g_ptr_array_add (zones, g_strdup (current));
    return zones;
}

static int
s_cmp (gconstpointer a, gconstpointer b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

//  The settings page, with an error (not NULL) or a notice.
static void
s_page (http_req_t *req, int status, const web_auth_t *who, const char *current, const char *error,
        const char *notice)
{
    GString *b = g_string_new ("<h1>Settings</h1>");
    if (error || notice) {
        g_string_append (b, error ? "<p class=\"error\" role=\"alert\">" : "<p class=\"ok\">");
        portal_esc (b, error ? error : notice);
        g_string_append (b, "</p>");
    }
    g_string_append (b, "<form method=\"post\" action=\"/settings\">");
    portal_csrf_field (b, ((const web_session_t *) who)->csrf);
    g_string_append (b, "<label for=\"timezone\">Time zone</label><p class=\"muted\" id=\"tz-help\">"
                        "Times on these pages and in our messages to you are shown in this zone. "
                        "Without a choice, each request shows the time zone of the desk that handles it."
                        "</p><select id=\"timezone\" name=\"timezone\" aria-describedby=\"tz-help\">"
                        "<option value=\"\">Use the desk&#39;s time zone</option>");
    GPtrArray *zones = s_zones (current);
    g_ptr_array_sort (zones, s_cmp);
    for (guint i = 0; i < zones->len; i++) {
        const char *z = g_ptr_array_index (zones, i);
        if (i && !strcmp (z, g_ptr_array_index (zones, i - 1)))
            continue;
        g_string_append (b, "<option value=\"");
        portal_esc (b, z);
        g_string_append_printf (b, "\"%s>", current && !strcmp (current, z) ? " selected" : "");
        portal_esc (b, z);
        g_string_append (b, "</option>");
    }
    g_ptr_array_unref (zones);
    g_string_append (b, "</select><button type=\"submit\">Save</button></form>");
    portal_page (req, status, "Settings", who, b, NULL);
}

//  POST /settings: the choice checked, stored, and the page again.
static void
s_save (http_req_t *req, const web_auth_t *who)
{
    form_t f;
    if (portal_form_post (req, who, &f))
        return;
    const char *zone = portal_form_get (&f, "timezone");
    const char *bad = zone && *zone ? opd_req_tz_check (zone) : NULL;
    char *current = portal_chosen_zone (req, who);
    if (bad)
        s_page (req, 422, who, current, bad, NULL);
    else if (opd_req_tz_set (http_redis (req), who->identity, zone))
        s_page (req, 503, who, current, "Your choice cannot be saved at the moment. Please try again later.", NULL);
    else
        s_page (req, 200, who, zone && *zone ? zone : NULL, NULL,
                zone && *zone ? "Saved: times are shown in your time zone." : "Saved: times are shown in the desk's time zone.");
    free (current);
    portal_form_free (&f);
}

void
portal_settings (http_req_t *req, const web_auth_t *who, bool post)
{
    if (post) {
        s_save (req, who);
        return;
    }
    char *current = portal_chosen_zone (req, who);
    s_page (req, 200, who, current, NULL, NULL);
    free (current);
}
