/*  console_html: the agent console's SLO badges and times (console.h).

    A badge says a clock's state four ways at once, so that colour is never
    the only sign: a class (colour and border), an icon, the state in words,
    and the time to or since the deadline. Absolute times are shown in the
    agent's time zone (agents[].timezone), else in the zone of the calendar
    the clock's policy counts in. */
#include "console.h"
#include "opd_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <string.h>

const char console_css[]
    = "body{max-width:72rem}"
      ".slo{display:inline-block;border:1px solid;border-radius:.3rem;padding:.05rem .4rem;margin:.1rem 0;"
      "font-size:.9rem;white-space:nowrap}"
      ".slo-running{background:#e8f0fe;border-color:#7a9fd6;color:#123a78}"
      ".slo-soon{background:#fff4d6;border-color:#d0a030;color:#5c4100}"
      ".slo-paused{background:#f0f0f0;border-color:#999;color:#333}"
      ".slo-met{background:#e8f6ea;border-color:#6a6;color:#1d4d1d}"
      ".slo-breached{background:#fde8e8;border-color:#c55;color:#7a1010;font-weight:600}"
      ".counts a,.counts span{margin-right:1rem}.filters{display:flex;flex-wrap:wrap;gap:.6rem;"
      "align-items:end}.filters label{margin:0}.filters select,.filters input{width:auto}"
      "#queue td{vertical-align:top}.side th{width:40%}.grid{display:grid;grid-template-columns:2fr 1fr;"
      "gap:1.5rem}.note{border-left-color:#d0a030;background:#fffaf0}.event{color:#445;font-size:.95rem}"
      ".banner{background:#fff4d6;border:1px solid #d0a030;padding:.6rem}"
      "#queue tr.sel{outline:2px solid #123a78}.draft{font-size:.85rem}"
      ".live{display:flex;gap:1rem;align-items:center;justify-content:flex-end;font-size:.9rem}"
      ".live button{width:auto;margin:0;padding:.2rem .6rem}"
      "#views ul{padding-left:1.2rem}#views form.inline{display:inline;margin:0}#bulk-count{width:100%;margin:0}"
      "#bulk>div{display:grid;grid-auto-flow:column;grid-template-rows:auto auto;gap:.1rem .4rem;align-items:end}"
      "#bulk>div>button{grid-row:2}#bulk textarea{width:12rem;height:2.4rem;min-height:0}"
      ".count{border-radius:1rem;padding:0 .45rem;background:#e4e6eb;font-size:.85rem}"
      ".count.unread{background:#123a78;color:#fff;font-weight:600}form.inline{display:inline}"
      "form.inline button{margin:0 0 0 .5rem;padding:.1rem .5rem}.notice.unread{font-weight:600}"
      "#notifications li{margin:.4rem 0}#notices input{width:auto}#shortcuts input{width:3rem}";

GTimeZone *
console_tz (const opd_config_t *cfg, const web_auth_t *who, const char *policy)
{
    const opd_agent_t *a = who ? opd_config_agent (cfg, who->identity) : NULL;
    const char *zone = a && a->timezone ? a->timezone : NULL;
    if (!zone && policy) {
        const opd_policy_t *p = opd_store_policy_named (cfg, policy);
        const opd_calendar_t *c = p && p->calendar ? opd_config_calendar (cfg, p->calendar) : NULL;
        zone = c ? c->timezone : NULL;
    }
    GTimeZone *tz = zone ? g_time_zone_new_identifier (zone) : NULL;
    return tz ? tz : g_time_zone_new_utc ();
}

void
console_time (GString *b, const char *rfc3339, GTimeZone *tz)
{
    GDateTime *t = rfc3339 ? g_date_time_new_from_iso8601 (rfc3339, NULL) : NULL;
    if (!t) {
        g_string_append (b, "&mdash;");
        return;
    }
    GDateTime *local = g_date_time_to_timezone (t, tz);
    gchar *text = g_date_time_format (local, "%a %-d %b %H:%M %Z");
    g_string_append (b, "<time datetime=\"");
    portal_esc (b, rfc3339);
    g_string_append (b, "\">");
    portal_esc (b, text);
    g_string_append (b, "</time>");
    g_free (text);
    g_date_time_unref (local);
    g_date_time_unref (t);
}

void
console_span (GString *b, int64_t ms)
{
    int64_t m = (ms < 0 ? -ms : ms) / 60000;
    if (m < 1)
        g_string_append (b, "under a minute");
    else if (m < 60)
        g_string_append_printf (b, "%lldm", (long long) m);
    else if (m < 24 * 60)
        g_string_append_printf (b, "%lldh %lldm", (long long) (m / 60), (long long) (m % 60));
    else
        g_string_append_printf (b, "%lldd %lldh", (long long) (m / 1440), (long long) (m % 1440 / 60));
}

static int64_t
s_ms (const char *rfc3339)
{
    GDateTime *t = rfc3339 ? g_date_time_new_from_iso8601 (rfc3339, NULL) : NULL;
    if (!t)
        return -1;
    int64_t ms = g_date_time_to_unix (t) * 1000 + g_date_time_get_microsecond (t) / 1000;
    g_date_time_unref (t);
    return ms;
}

static const char *
s_clock_label (const char *clock)
{
    return !strcmp (clock, "first_response") ? "First response"
           : !strcmp (clock, "next_reply")   ? "Next reply"
                                             : "Resolution";
}

//  The badge's class, icon and words for a clock's state and due time.
static void
s_badge_head (GString *b, const char *state, int64_t due, int64_t now, bool soon)
{
    //  Icons every common font has (DejaVu Sans, Debian's default): the
    //  emoji pause and hourglass showed as empty boxes without an emoji font.
    const char *cls = "running", *icon = "\u25F7";  //  a clock face
    if (!strcmp (state, "paused"))
        cls = "paused", icon = "\u2016";  //  a double bar
    else if (!strcmp (state, "met"))
        cls = "met", icon = "\u2713";
    else if (!strcmp (state, "breached") || (!strcmp (state, "running") && due >= 0 && due <= now))
        cls = "breached", icon = "\u26A0";
    else if (soon)
        cls = "soon", icon = "\u25D5";  //  a circle nearly full: time nearly up
    g_string_append_printf (b, "<span class=\"slo slo-%s\" data-state=\"%s\"><span aria-hidden=\"true\">%s</span> ",
                            cls, state, icon);
}

void
console_badge (GString *b, const opd_config_t *cfg, const web_auth_t *who, json_t *ticket,
               const char *clock, int64_t now)
{
    json_t *c = json_object_get (json_object_get (ticket, "slo"), clock);
    const char *state = portal_jstr (c, "state");
    if (!state || (strcmp (state, "running") && strcmp (state, "paused") && strcmp (state, "met")
                   && strcmp (state, "breached")))
        return;
    int64_t due = s_ms (portal_jstr (c, "due_at"));
    int64_t breached_at = s_ms (portal_jstr (c, "breached_at"));
    const char *met_at = portal_jstr (c, "met_at");
    //  Soon: within the last quarter of an hour-scale target, or an hour.
    bool soon = due >= 0 && due > now && due - now <= 3600 * 1000;
    s_badge_head (b, state, due, now, soon);
    portal_esc (b, s_clock_label (clock));
    g_string_append (b, ": ");
    if (!strcmp (state, "running") && due > now) {
        g_string_append (b, "due in ");
        console_span (b, due - now);
    }
    else if (!strcmp (state, "running") && due >= 0) {
        g_string_append (b, "overdue by ");
        console_span (b, now - due);
    }
    else if (!strcmp (state, "paused")) {
        json_t *left = json_object_get (c, "remaining_working_ms");
        g_string_append (b, "paused");
        if (json_is_integer (left)) {
            g_string_append (b, ", ");
            console_span (b, json_integer_value (left));
            g_string_append (b, " left");
        }
    }
    else if (!strcmp (state, "breached")) {
        int64_t met = s_ms (met_at);
        if (met >= 0 && due >= 0) {
            g_string_append (b, "breached, met ");
            console_span (b, met - due);
            g_string_append (b, " late");
        }
        else {
            g_string_append (b, "breached ");
            console_span (b, now - (breached_at >= 0 ? breached_at : due));
            g_string_append (b, " ago");
        }
    }
    else
        g_string_append (b, "met");
    GTimeZone *tz = console_tz (cfg, who, portal_jstr (c, "policy"));
    const char *when = !strcmp (state, "met") || (met_at && !strcmp (state, "breached")) ? met_at
                                                                                           : portal_jstr (c, "due_at");
    if (when && strcmp (state, "paused")) {
        g_string_append (b, !strcmp (state, "met") || met_at ? " (met " : " (due ");
        console_time (b, when, tz);
        g_string_append (b, ")");
    }
    g_time_zone_unref (tz);
    g_string_append (b, "</span>");
}
