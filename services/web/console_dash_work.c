/*  console_dash_work: the dashboard's panels of the work in hand and the
    hours ahead (console_dash.h): backlog age and workload per agent, from
    the tickets in the teams' due indexes (those not resolved or closed:
    never the resolved and closed history), and the coverage of the next
    two weeks, from rota_cover (services/rota), the code of
    GET /api/v1/coverage. */
#include "console_dash.h"
#include "opd_rota.h"
#include "opd_rota_store.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define COVER_DAYS 14
#define NBUCKETS 6

static const char *const s_states[] = {"new", "open", "pending"};
//  Upper bounds of the age buckets in days (the last has none).
static const int s_bucket_days[NBUCKETS - 1] = {1, 3, 7, 14, 30};
static const char *const s_bucket_labels[NBUCKETS] = {"under 1 day", "1 to 3 days", "3 to 7 days",
                                                      "7 to 14 days", "14 to 30 days", "30 days or more"};

typedef struct {
    long long age[NBUCKETS][3];  //  tickets per age bucket and state
    GHashTable *agents;          //  agent id (owned) -> long long[3] (owned)
    GPtrArray *order;            //  agent ids in the order shown (borrowed from agents' keys)
} work_t;

static int
s_state (const char *status)
{
    for (int i = 0; i < 3; i++)
        if (status && !strcmp (status, s_states[i]))
            return i;
    return -1;
}

static long long *
s_agent (work_t *w, const char *id)
{
    long long *c = g_hash_table_lookup (w->agents, id);
    if (!c) {
        char *key = g_strdup (id);
        c = g_new0 (long long, 3);
        g_hash_table_insert (w->agents, key, c);
        g_ptr_array_add (w->order, key);
    }
    return c;
}

static void
s_count (work_t *w, redisReply *t, int64_t now)
{
    const char *created = opd_reply_str (t, 0), *assignee = opd_reply_str (t, 2);
    int st = s_state (opd_reply_str (t, 1));
    if (!created || st < 0)
        return;  //  gone meanwhile, or moved out of work between the two reads
    int64_t age = now - strtoll (created, NULL, 10);
    int k = 0;
    while (k < NBUCKETS - 1 && age >= s_bucket_days[k] * DAY_MS)
        k++;
    w->age[k][st]++;
    s_agent (w, assignee && *assignee ? assignee : "unassigned")[st]++;
}

//  Reads the tickets in work of one team: the members of its due index,
//  then created_at, status and assignee of each in one pipeline.
static int
s_read_team (opd_redis_t *r, const char *team, work_t *w, int64_t now)
{
    redisReply *ids = opd_redis_command (r, "ZRANGE " OPD_KEY_QUEUE_DUE_FMT " 0 -1", team);
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        if (ids)
            freeReplyObject (ids);
        return -1;
    }
    size_t sent = 0;
    for (size_t i = 0; i < ids->elements; i++) {
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HMGET");
        opd_args_addf (&a, OPD_KEY_TICKET_FMT, opd_reply_str (ids, i) ? opd_reply_str (ids, i) : "");
        opd_args_add (&a, "created_at"), opd_args_add (&a, "status"), opd_args_add (&a, "assignee");
        int rc = opd_redis_append_argv (r, &a);
        opd_args_free (&a);
        if (rc)
            break;
        sent++;
    }
    bool ok = sent == ids->elements;
    for (size_t i = 0; i < sent; i++) {
        redisReply *t = opd_redis_get_reply (r);
        ok = ok && t;
        if (t && t->type == REDIS_REPLY_ARRAY && t->elements == 3)
            s_count (w, t, now);
        if (t)
            freeReplyObject (t);
    }
    freeReplyObject (ids);
    if (!ok)
        opd_redis_disconnect (r);
    return ok ? 0 : -1;
}

//  A table of rows x the three states and their total, with a data-KEY
//  attribute per row and data-state per cell.
static void
s_state_table (GString *b, const char *id, const char *caption, const char *head, const char *key,
               const char *const *rows, const long long (*v)[3], size_t n)
{
    g_string_append_printf (b, "<table id=\"%s\"><caption>%s</caption><thead><tr><th scope=\"col\">%s</th>"
                               "<th scope=\"col\">new</th><th scope=\"col\">open</th><th scope=\"col\">pending</th>"
                               "<th scope=\"col\">total</th></tr></thead><tbody>",
                            id, caption, head);
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf (b, "<tr data-%s=\"", key);
        portal_esc (b, rows[i]);
        g_string_append (b, "\"><th scope=\"row\">");
        portal_esc (b, rows[i]);
        g_string_append (b, "</th>");
        for (int s = 0; s < 3; s++)
            g_string_append_printf (b, "<td class=\"num\" data-state=\"%s\">%lld</td>", s_states[s], v[i][s]);
        g_string_append_printf (b, "<td class=\"num\" data-state=\"total\">%lld</td></tr>",
                                v[i][0] + v[i][1] + v[i][2]);
    }
    g_string_append (b, "</tbody></table>");
}

static void
s_state_figure (GString *b, const char *chart_id, const char *title, const char *table_id, const char *caption,
                const char *head, const char *key, const char *const *rows, const long long (*v)[3], size_t n)
{
    double *bars = opd_calloc (3 * n + 1, sizeof *bars);
    for (size_t i = 0; i < n; i++)
        for (int s = 0; s < 3; s++)
            bars[3 * i + s] = (double) v[i][s];
    g_string_append (b, "<div class=\"fig\">");
    chart_bars (b, chart_id, title, rows, n, bars, s_states, 3, NULL);
    s_state_table (b, table_id, caption, head, key, rows, v, n);
    g_string_append (b, "</div>");
    free (bars);
}

//  The agents shown: every configured agent of a team in scope, in the
//  configuration's order, then anyone else holding tickets, "unassigned" last.
static void
s_agents_first (work_t *w, const dash_t *d)
{
    const opd_config_t *cfg = d->req->cfg;
    for (size_t i = 0; i < cfg->nagents; i++)
        for (size_t k = 0; k < d->nteams; k++)
            if (rota_member (cfg, cfg->agents[i].id, d->teams[k])) {
                s_agent (w, cfg->agents[i].id);
                break;
            }
    s_agent (w, "unassigned");
}

static void
s_workload (GString *b, work_t *w)
{
    size_t n = w->order->len, k = 0;
    const char **rows = opd_calloc (n + 1, sizeof *rows);
    long long(*v)[3] = opd_calloc (n + 1, sizeof *v);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            const char *id = g_ptr_array_index (w->order, i);
            if ((pass == 0) == !strcmp (id, "unassigned"))
                continue;
            rows[k] = id;
            memcpy (v[k++], g_hash_table_lookup (w->agents, id), sizeof v[0]);
        }
    g_string_append (b, "<section class=\"panel\" id=\"p-workload\"><h2>Workload per agent</h2>");
    s_state_figure (b, "c-workload", "Tickets in work per assignee", "t-workload",
                    "Tickets in work assigned to each agent, by status", "Assignee", "agent", rows,
                    (const long long (*)[3]) v, k);
    g_string_append (b, "</section>");
    free (rows);
    free (v);
}

void
dash_panel_backlog (GString *b, const dash_t *d)
{
    work_t w = {.agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
                .order = g_ptr_array_new ()};
    s_agents_first (&w, d);
    bool ok = true;
    for (size_t i = 0; i < d->nteams && ok; i++)
        ok = s_read_team (http_redis (d->req), d->teams[i], &w, d->now) == 0;
    g_string_append (b, "<section class=\"panel\" id=\"p-backlog\"><h2>Backlog age</h2>");
    if (!ok)
        g_string_append (b, "<p class=\"error\">Not available at the moment (the store did not answer).</p>");
    else
        s_state_figure (b, "c-backlog", "Tickets in work by age", "t-backlog",
                        "Tickets in work (new, open, pending) by time since they came in", "Age", "bucket",
                        s_bucket_labels, (const long long (*)[3]) w.age, NBUCKETS);
    g_string_append (b, "</section>");
    if (ok)
        s_workload (b, &w);
    g_ptr_array_free (w.order, TRUE);
    g_hash_table_destroy (w.agents);
}

//  --- Coverage -------------------------------------------------------------

//  The zone the days are counted in: the lead's own (agents[].timezone),
//  else the calendar of the first team shown, else UTC.
static GTimeZone *
s_zone (const dash_t *d)
{
    const opd_config_t *cfg = d->req->cfg;
    const opd_agent_t *a = opd_config_agent (cfg, d->who->identity);
    const char *zone = a && a->timezone ? a->timezone : NULL;
    const opd_team_t *t = d->nteams ? opd_config_team (cfg, d->teams[0]) : NULL;
    const opd_calendar_t *c = !zone && t && t->calendar ? opd_config_calendar (cfg, t->calendar) : NULL;
    zone = zone ? zone : c ? c->timezone : NULL;
    GTimeZone *tz = zone ? g_time_zone_new_identifier (zone) : NULL;
    return tz ? tz : g_time_zone_new_utc ();
}

//  The bounds of the days: day i is [bounds[i], bounds[i + 1]), the first
//  starting at from (now), the others whole local days: today and the
//  COVER_DAYS - 1 days after it.
static void
s_day_bounds (GTimeZone *tz, int64_t from, int64_t *bounds, char labels[][24])
{
    GDateTime *t = g_date_time_new_from_unix_utc (from / 1000);
    GDateTime *local = g_date_time_to_timezone (t, tz);
    GDateTime *day = g_date_time_new (tz, g_date_time_get_year (local), g_date_time_get_month (local),
                                      g_date_time_get_day_of_month (local), 0, 0, 0);
    bounds[0] = from;
    for (int i = 0; i < COVER_DAYS; i++) {
        gchar *text = g_date_time_format (day, "%a %-d %b");
        snprintf (labels[i], 24, "%s", text);
        g_free (text);
        GDateTime *next = g_date_time_add_days (day, 1);
        g_date_time_unref (day);
        day = next;
        bounds[i + 1] = g_date_time_to_unix (day) * 1000;
    }
    g_date_time_unref (day), g_date_time_unref (local), g_date_time_unref (t);
}

//  Adds the ms of gap [from, to) falling in each day to ms[day].
static void
s_spread (const int64_t *bounds, int64_t from, int64_t to, int64_t *ms)
{
    for (int i = 0; i < COVER_DAYS; i++) {
        int64_t lo = from > bounds[i] ? from : bounds[i], hi = to < bounds[i + 1] ? to : bounds[i + 1];
        if (hi > lo)
            ms[i] += hi - lo;
    }
}

static void
s_cover_table (GString *b, const dash_t *d, const int64_t *bounds, char labels[][24], const int64_t *ms)
{
    char f[40], t[40];
    opd_rfc3339 (bounds[0], f, sizeof f), opd_rfc3339 (bounds[COVER_DAYS], t, sizeof t);
    g_string_append_printf (b, "<table id=\"t-coverage\" data-from=\"%s\" data-to=\"%s\"><caption>Working hours "
                               "with fewer agents on duty than required, per day</caption><thead><tr>"
                               "<th scope=\"col\">Day</th>",
                            f, t);
    for (size_t k = 0; k < d->nteams; k++) {
        g_string_append (b, "<th scope=\"col\">");
        portal_esc (b, d->teams[k]);
        g_string_append (b, " (hours)</th>");
    }
    g_string_append (b, "</tr></thead><tbody>");
    for (int i = 0; i < COVER_DAYS; i++) {
        opd_rfc3339 (bounds[i], f, sizeof f), opd_rfc3339 (bounds[i + 1], t, sizeof t);
        g_string_append_printf (b, "<tr data-from=\"%s\" data-to=\"%s\"><th scope=\"row\">%s</th>", f, t, labels[i]);
        for (size_t k = 0; k < d->nteams; k++) {
            int64_t v = ms[k * COVER_DAYS + i];
            g_string_append (b, "<td class=\"num\" data-team=\"");
            portal_esc (b, d->teams[k]);
            g_string_append_printf (b, "\" data-ms=\"%lld\">%.1f</td>", (long long) v, (double) v / 3600000.0);
        }
        g_string_append (b, "</tr>");
    }
    g_string_append (b, "</tbody></table>");
}

static void
s_cover_chart (GString *b, const dash_t *d, char labels[][24], const int64_t *ms)
{
    double *v = opd_calloc (COVER_DAYS * d->nteams + 1, sizeof *v);
    const char *rows[COVER_DAYS];
    for (int i = 0; i < COVER_DAYS; i++) {
        rows[i] = labels[i];
        for (size_t k = 0; k < d->nteams; k++)
            v[(size_t) i * d->nteams + k] = (double) ms[k * COVER_DAYS + i] / 3600000.0;
    }
    chart_bars (b, "c-coverage", "Hours not covered per day, next two weeks", rows, COVER_DAYS, v, d->teams,
                d->nteams, NULL);
    free (v);
}

//  Fills ms[team * COVER_DAYS + day] from rota_cover; -1 when Redis failed.
static int
s_cover_read (const dash_t *d, const int64_t *bounds, int64_t *ms)
{
    rota_changes_t ch;
    if (rota_changes_load (http_redis (d->req), bounds[0], bounds[COVER_DAYS], &ch))
        return -1;
    for (size_t k = 0; k < d->nteams; k++) {
        rota_cover_t c;
        if (rota_cover (d->req->cfg, d->teams[k], &ch, bounds[0], bounds[COVER_DAYS], &c) == 0)
            for (size_t g = 0; g < c.ngaps; g++)
                s_spread (bounds, c.gaps[g].from, c.gaps[g].to, &ms[k * COVER_DAYS]);
        rota_cover_free (&c);
    }
    rota_changes_free (&ch);
    return 0;
}

void
dash_panel_coverage (GString *b, const dash_t *d)
{
    g_string_append (b, "<section class=\"panel\" id=\"p-coverage\"><h2>Coverage, next two weeks</h2>");
    if (d->req->cfg->nshifts == 0) {
        g_string_append (b, "<p id=\"no-rota\">No rota configured: there are no shifts in the configuration, so "
                            "there is nothing to measure coverage against. Add <code>shifts</code> (docs/shifts.md) "
                            "to see the hours at risk here.</p></section>");
        return;
    }
    GTimeZone *tz = s_zone (d);
    int64_t bounds[COVER_DAYS + 1];
    char labels[COVER_DAYS][24];
    s_day_bounds (tz, d->now, bounds, labels);
    g_time_zone_unref (tz);
    int64_t *ms = opd_calloc (COVER_DAYS * d->nteams + 1, sizeof *ms);
    if (s_cover_read (d, bounds, ms))
        g_string_append (b, "<p class=\"error\">Not available at the moment (the store did not answer).</p>");
    else {
        g_string_append (b, "<p class=\"muted\">Against each team's working hours and min_on_duty, absences and "
                            "overrides applied (GET /api/v1/coverage).</p><div class=\"fig\">");
        s_cover_chart (b, d, labels, ms);
        s_cover_table (b, d, bounds, labels, ms);
        g_string_append (b, "</div>");
    }
    free (ms);
    g_string_append (b, "</section>");
}
