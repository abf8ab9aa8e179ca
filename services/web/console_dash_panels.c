/*  console_dash_panels: the panels of the team lead dashboard
    (console_dash.h). What each reads, so that the page costs what is in
    work, not every ticket ever stored:

    - at risk: opd:slo:risk, the warned clocks still running (fire.lua keeps
      it), then the team of each in one pipeline;
    - breached: each team's due index opd:q:due:TEAM below now (ZCOUNT for
      the count, the first 100 by ZRANGEBYSCORE), the queue's own
      "breaching" (the next deadline has passed);
    - attainment over time: opd_slo_report_series (libopdslo), the code of
      GET /api/v1/slo/report, reading the tickets received in the 8 weeks
      once for both groupings;
    - error budget and burn rate: opd_slo_burn_compute (libopdslo), the
      ZCOUNTs of opd:slo:done:* that slo.burn and /metrics use.

    Backlog age, workload and coverage are console_dash_work.c. */
#include "console_dash.h"
#include "opd_schema.h"
#include "opd_slo_burn.h"
#include "opd_slo_report.h"
#include "opd_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEEKS 8
#define WEEK_MS (7LL * 86400000LL)
#define DAY_MS 86400000LL
#define LIST_MAX 100

static void
s_unavailable (GString *b)
{
    g_string_append (b, "<p class=\"error\">Not available at the moment (the store did not answer).</p></section>");
}

static void
s_ticket_link (GString *b, const char *id)
{
    g_string_append (b, "<a href=\"/agent/tickets/");
    portal_esc (b, id);
    g_string_append (b, "\">");
    portal_esc (b, id);
    g_string_append (b, "</a>");
}

static bool
s_in_scope (const dash_t *d, const char *team)
{
    for (size_t i = 0; team && i < d->nteams; i++)
        if (!strcmp (d->teams[i], team))
            return true;
    return false;
}

//  HMGET of fields (NULL-terminated) of the tickets ids[0..n), in one
//  pipeline: a new array of n replies (the caller frees each and the
//  array), or NULL when Redis failed.
static redisReply **
s_hmget_many (opd_redis_t *r, const char *const *ids, size_t n, const char *const *fields)
{
    redisReply **out = opd_calloc (n + 1, sizeof *out);
    size_t sent = 0;
    for (size_t i = 0; i < n; i++, sent++) {
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HMGET");
        opd_args_addf (&a, OPD_KEY_TICKET_FMT, ids[i]);
        for (size_t f = 0; fields[f]; f++)
            opd_args_add (&a, fields[f]);
        int rc = opd_redis_append_argv (r, &a);
        opd_args_free (&a);
        if (rc)
            break;
    }
    bool ok = sent == n;
    for (size_t i = 0; i < sent; i++) {
        out[i] = opd_redis_get_reply (r);
        ok = ok && out[i] && out[i]->type == REDIS_REPLY_ARRAY;
    }
    if (ok)
        return out;
    for (size_t i = 0; i < sent; i++)
        if (out[i])
            freeReplyObject (out[i]);
    free (out);
    opd_redis_disconnect (r);
    return NULL;
}

static void
s_replies_free (redisReply **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        freeReplyObject (v[i]);
    free (v);
}

//  --- At risk ------------------------------------------------------------------

static const char *
s_clock_name (const char *c)
{
    return !strcmp (c, "fr") ? "first response" : !strcmp (c, "nr") ? "next reply" : "resolution";
}

static void
s_risk_row (GString *b, const char *member, const char *team, const char *priority, int64_t due, int64_t now)
{
    const char *bar = strchr (member, '|');
    g_autofree char *id = g_strndup (member, bar ? (size_t) (bar - member) : strlen (member));
    g_string_append (b, "<tr data-id=\"");
    portal_esc (b, id);
    g_string_append (b, "\" data-clock=\"");
    portal_esc (b, bar ? bar + 1 : "");
    g_string_append (b, "\"><td>");
    s_ticket_link (b, id);
    g_string_append_printf (b, "</td><td>%s</td><td>", s_clock_name (bar ? bar + 1 : ""));
    portal_esc (b, team);
    g_string_append (b, "</td><td>");
    portal_esc (b, priority ? priority : "-");
    g_string_append (b, "</td><td>");
    if (due > now) {
        g_string_append (b, "due in ");
        console_span (b, due - now);
    }
    else
        g_string_append (b, "due now");
    g_string_append (b, "</td></tr>");
}

void
dash_panel_risk (GString *b, const dash_t *d)
{
    g_string_append (b, "<section class=\"panel\" id=\"p-risk\"><h2>At risk</h2>");
    opd_redis_t *r = http_redis (d->req);
    redisReply *set = opd_redis_command (r, "ZRANGE %s 0 -1 WITHSCORES", OPD_KEY_SLO_RISK);
    size_t n = set && set->type == REDIS_REPLY_ARRAY ? set->elements / 2 : 0;
    const char **ids = opd_calloc (n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        const char *m = opd_reply_str (set, 2 * i);
        ids[i] = m ? g_strndup (m, strcspn (m, "|")) : g_strdup ("");
    }
    static const char *const fields[] = {"team", "priority", NULL};
    redisReply **t = set && set->type == REDIS_REPLY_ARRAY ? s_hmget_many (r, ids, n, fields) : NULL;
    if (!t)
        s_unavailable (b);
    else {
        GString *rows = g_string_new (NULL);
        size_t shown = 0;
        for (size_t i = 0; i < n; i++)
            if (s_in_scope (d, opd_reply_str (t[i], 0)) && ++shown)
                s_risk_row (rows, opd_reply_str (set, 2 * i), opd_reply_str (t[i], 0), opd_reply_str (t[i], 1),
                            strtoll (opd_reply_str (set, 2 * i + 1), NULL, 10), d->now);
        g_string_append_printf (b, "<p><strong id=\"risk-count\">%zu</strong> clocks have passed their warning "
                                   "and are still running (soonest due first).</p>", shown);
        if (shown)
            g_string_append_printf (b, "<table id=\"t-risk\"><caption>Clocks at risk</caption><thead><tr>"
                                       "<th scope=\"col\">Ticket</th><th scope=\"col\">Clock</th><th scope=\"col\">"
                                       "Team</th><th scope=\"col\">Priority</th><th scope=\"col\">Due</th></tr>"
                                       "</thead><tbody>%s</tbody></table>",
                                    rows->str);
        g_string_free (rows, TRUE);
        g_string_append (b, "</section>");
    }
    s_replies_free (t, n);
    for (size_t i = 0; i < n; i++)
        g_free ((char *) ids[i]);
    free (ids);
    if (set)
        freeReplyObject (set);
}

//  --- Breached -----------------------------------------------------------------

typedef struct {
    const char *id, *team;
    int64_t due;
} overdue_t;

static int
s_cmp_overdue (const void *a, const void *b)
{
    const overdue_t *x = a, *y = b;
    return x->due != y->due ? (x->due < y->due ? -1 : 1) : strcmp (x->id, y->id);
}

//  The first LIST_MAX entries of each team's queue below now, and the
//  count of each: two commands per team in one pipeline.
static int
s_overdue_read (const dash_t *d, redisReply **pages, long long *total)
{
    opd_redis_t *r = http_redis (d->req);
    size_t sent = 0;
    for (size_t i = 0; i < d->nteams; i++) {
        opd_args_t a[2];
        opd_args_init (&a[0]), opd_args_init (&a[1]);
        opd_args_add (&a[0], "ZRANGEBYSCORE"), opd_args_add (&a[1], "ZCOUNT");
        for (int k = 0; k < 2; k++) {
            opd_args_addf (&a[k], OPD_KEY_QUEUE_DUE_FMT, d->teams[i]);
            opd_args_add (&a[k], "-inf");
            opd_args_addi (&a[k], (long long) d->now);
        }
        opd_args_add (&a[0], "WITHSCORES"), opd_args_add (&a[0], "LIMIT"), opd_args_add (&a[0], "0");
        opd_args_addi (&a[0], LIST_MAX);
        sent += !opd_redis_append_argv (r, &a[0]) + !opd_redis_append_argv (r, &a[1]);
        opd_args_free (&a[0]), opd_args_free (&a[1]);
    }
    bool ok = sent == 2 * d->nteams;
    *total = 0;
    for (size_t i = 0; i < sent; i++) {
        redisReply *x = opd_redis_get_reply (r);
        ok = ok && x;
        if (x && i % 2 == 0)
            pages[i / 2] = x;
        else if (x) {
            *total += x->type == REDIS_REPLY_INTEGER ? x->integer : 0;
            freeReplyObject (x);
        }
    }
    if (!ok)
        opd_redis_disconnect (r);
    return ok ? 0 : -1;
}

static void
s_overdue_table (GString *b, const dash_t *d, overdue_t *v, size_t n)
{
    qsort (v, n, sizeof *v, s_cmp_overdue);
    g_string_append (b, "<table id=\"t-breached\"><caption>Past their deadline, longest first</caption><thead><tr>"
                        "<th scope=\"col\">Ticket</th><th scope=\"col\">Team</th><th scope=\"col\">Deadline "
                        "passed</th></tr></thead><tbody>");
    for (size_t i = 0; i < n && i < LIST_MAX; i++) {
        g_string_append (b, "<tr data-id=\"");
        portal_esc (b, v[i].id);
        g_string_append (b, "\"><td>");
        s_ticket_link (b, v[i].id);
        g_string_append (b, "</td><td>");
        portal_esc (b, v[i].team);
        g_string_append (b, "</td><td>");
        console_span (b, d->now - v[i].due);
        g_string_append (b, " ago</td></tr>");
    }
    g_string_append (b, "</tbody></table>");
}

void
dash_panel_breached (GString *b, const dash_t *d)
{
    g_string_append (b, "<section class=\"panel\" id=\"p-breached\"><h2>Breached</h2>");
    redisReply **pages = opd_calloc (d->nteams + 1, sizeof *pages);
    long long total = 0;
    if (s_overdue_read (d, pages, &total))
        s_unavailable (b);
    else {
        size_t n = 0;
        for (size_t i = 0; i < d->nteams; i++)
            n += pages[i] && pages[i]->type == REDIS_REPLY_ARRAY ? pages[i]->elements / 2 : 0;
        overdue_t *v = opd_calloc (n + 1, sizeof *v);
        size_t k = 0;
        for (size_t i = 0; i < d->nteams; i++)
            for (size_t j = 0; pages[i] && pages[i]->type == REDIS_REPLY_ARRAY && j + 1 < pages[i]->elements; j += 2)
                v[k++] = (overdue_t) {opd_reply_str (pages[i], j), d->teams[i],
                                      strtoll (opd_reply_str (pages[i], j + 1), NULL, 10)};
        g_string_append_printf (b, "<p><strong id=\"breached-count\">%lld</strong> tickets in work are past "
                                   "their next SLO deadline (breached, or about to be marked so).",
                                total);
        if (total > LIST_MAX)
            g_string_append_printf (b, " The %d longest overdue are listed; <a href=\"/agent?breaching=1&amp;"
                                       "team=all\">the queue</a> shows them all.",
                                    LIST_MAX);
        g_string_append (b, "</p>");
        if (k)
            s_overdue_table (b, d, v, k);
        free (v);
        g_string_append (b, "</section>");
    }
    for (size_t i = 0; i < d->nteams; i++)
        if (pages[i])
            freeReplyObject (pages[i]);
    free (pages);
}

//  --- Attainment over time ---------------------------------------------------

//  The SLO's figures of group key in one report, or NULL.
static json_t *
s_group_slo (json_t *report, const char *key, const char *slo)
{
    size_t i;
    json_t *g;
    json_array_foreach (json_object_get (report, "groups"), i, g) {
        const char *k = json_string_value (json_object_get (g, "key"));
        if (k && !strcmp (k, key))
            return json_object_get (json_object_get (g, "slo"), slo);
    }
    return NULL;
}

static void
s_attain_cell (GString *b, json_t *o, double *value)
{
    long long met = json_integer_value (json_object_get (o, "met"));
    long long breached = json_integer_value (json_object_get (o, "breached"));
    json_t *att = json_object_get (o, "attainment");
    *value = json_is_number (att) ? json_number_value (att) : NAN;
    g_string_append_printf (b, "<td class=\"num\" data-met=\"%lld\" data-breached=\"%lld\">", met, breached);
    if (isnan (*value))
        g_string_append (b, "&mdash;</td>");
    else
        g_string_append_printf (b, "%.1f%% (%lld of %lld)</td>", *value * 100, met, met + breached);
}

//  One grouping's chart and table: a row per key, a column per week.
static void
s_attain_by (GString *b, const dash_t *d, json_t *series, const char *by, const char *const *keys, size_t nkeys)
{
    char labels[WEEKS][16];
    const char *x[WEEKS];
    g_string_append_printf (b, "<h3>Per %s</h3><div class=\"fig\">", by);
    GString *t = g_string_new (NULL);
    g_string_append_printf (t, "<table id=\"t-att-%s\" data-slo=\"%s\"><caption>%s attainment per %s and week "
                               "(met of finished clocks)</caption><thead><tr><th scope=\"col\">%s</th>",
                            by, d->slo, d->slo, by, by);
    for (size_t w = 0; w < WEEKS; w++) {
        json_t *rep = json_array_get (series, w);
        const char *from = json_string_value (json_object_get (rep, "from"));
        snprintf (labels[w], sizeof labels[w], "%.5s", from ? from + 5 : "");
        x[w] = labels[w];
        g_string_append_printf (t, "<th scope=\"col\" data-from=\"%s\" data-to=\"%s\">from %s</th>", from,
                                json_string_value (json_object_get (rep, "to")), labels[w]);
    }
    g_string_append (t, "</tr></thead><tbody>");
    double *values = opd_calloc (nkeys * WEEKS + 1, sizeof *values);
    chart_series_t *s = opd_calloc (nkeys + 1, sizeof *s);
    for (size_t k = 0; k < nkeys; k++) {
        g_string_append (t, "<tr data-key=\"");
        portal_esc (t, keys[k]);
        g_string_append (t, "\"><th scope=\"row\">");
        portal_esc (t, keys[k]);
        g_string_append (t, "</th>");
        for (size_t w = 0; w < WEEKS; w++)
            s_attain_cell (t, s_group_slo (json_array_get (series, w), keys[k], d->slo), &values[k * WEEKS + w]);
        g_string_append (t, "</tr>");
        s[k] = (chart_series_t) {keys[k], &values[k * WEEKS]};
    }
    g_string_append (t, "</tbody></table>");
    g_autofree char *id = g_strdup_printf ("c-att-%s", by), *title = g_strdup_printf (
                                                                "%s attainment per %s, last %d weeks", d->slo, by, WEEKS);
    chart_lines (b, id, title, x, WEEKS, s, nkeys);
    g_string_append_len (b, t->str, (gssize) t->len);
    g_string_append (b, "</div>");
    g_string_free (t, TRUE);
    free (values);
    free (s);
}

void
dash_panel_attainment (GString *b, const dash_t *d)
{
    g_string_append (b, "<section class=\"panel\" id=\"p-attainment\"><h2>SLO attainment over time</h2>"
                        "<p class=\"muted\">Tickets by the week they came in, as the SLO report counts them "
                        "(GET /api/v1/slo/report); per policy for the whole desk, per team for the teams "
                        "shown.</p>");
    const opd_config_t *cfg = d->req->cfg;
    static const char *const bys[] = {"policy", "team"};
    char err[256] = "";
    json_t *series = opd_slo_report_series (http_redis (d->req), cfg, d->now - WEEKS * WEEK_MS, WEEK_MS, WEEKS,
                                            bys, 2, err, sizeof err);
    if (!series) {
        s_unavailable (b);
        return;
    }
    const char **policies = opd_calloc (cfg->npolicies + 1, sizeof *policies);
    for (size_t i = 0; i < cfg->npolicies; i++)
        policies[i] = cfg->policies[i].name;
    s_attain_by (b, d, json_object_get (series, "policy"), "policy", policies, cfg->npolicies);
    s_attain_by (b, d, json_object_get (series, "team"), "team", d->teams, d->nteams);
    free (policies);
    json_decref (series);
    g_string_append (b, "</section>");
}

//  --- Error budget and burn rate ----------------------------------------------

static void
s_budget_row (GString *t, const opd_slo_burn_t *x)
{
    g_string_append (t, "<tr data-policy=\"");
    portal_esc (t, x->policy);
    g_string_append_printf (t, "\" data-slo=\"%s\" data-spent=\"%.6f\"><th scope=\"row\">", x->slo,
                            x->budget_spent);
    portal_esc (t, x->policy);
    g_string_append_printf (t, "</th><td>%s</td><td class=\"num\">%.1f%%</td><td class=\"num\">%ld</td>"
                               "<td class=\"num\">%ld</td><td class=\"num\">%.1f%%</td><td class=\"num\">%.2f</td>"
                               "<td class=\"num\">%.2f</td><td>%s</td></tr>",
                            x->slo, x->objective * 100, x->met + x->breached, x->breached,
                            (1 - x->budget_spent) * 100, x->rate_1h, x->rate_6h,
                            x->fast ? "<span class=\"alert\">fast burn</span>"
                            : x->slow ? "<span class=\"alert\">slow burn</span>" : "none");
}

void
dash_panel_budget (GString *b, const dash_t *d)
{
    int64_t window;
    opd_burn_alert_t fast, slow;
    opd_slo_burn_settings (d->req->cfg, &window, &fast, &slow);
    g_string_append_printf (b, "<section class=\"panel\" id=\"p-budget\"><h2>Error budget and burn rate</h2>"
                               "<p class=\"muted\">Per policy with an objective, for the whole desk: the clocks "
                               "finished in the last %lld days (slo_burn.window); a burn rate of 1 spends the "
                               "budget exactly over that window.</p>",
                            (long long) (window / DAY_MS));
    opd_slo_burn_t *v = NULL;
    int n = opd_slo_burn_compute (http_redis (d->req), d->req->cfg, d->now, &v);
    if (n < 0) {
        s_unavailable (b);
        return;
    }
    GString *t = g_string_new ("<table id=\"t-budget\"><caption>Error budget per policy and SLO</caption><thead><tr>"
                               "<th scope=\"col\">Policy</th><th scope=\"col\">SLO</th><th scope=\"col\">Objective"
                               "</th><th scope=\"col\">Finished</th><th scope=\"col\">Breached</th><th scope=\"col\">"
                               "Budget left</th>");
    g_string_append_printf (t, "<th scope=\"col\">Burn rate %lldm</th><th scope=\"col\">Burn rate %lldm</th>"
                               "<th scope=\"col\">Alert</th></tr></thead><tbody>",
                            (long long) (fast.long_ms / 60000), (long long) (slow.long_ms / 60000));
    char **labels = opd_calloc ((size_t) n + 1, sizeof *labels), **texts = opd_calloc ((size_t) n + 1, sizeof *texts);
    double *left = opd_calloc ((size_t) n + 1, sizeof *left);
    for (int i = 0; i < n; i++) {
        s_budget_row (t, &v[i]);
        labels[i] = g_strdup_printf ("%s %s", v[i].policy, v[i].slo);
        texts[i] = g_strdup_printf ("%.1f%% left", (1 - v[i].budget_spent) * 100);
        left[i] = (1 - v[i].budget_spent) * 100;
    }
    g_string_append (t, "</tbody></table>");
    static const char *const segs[] = {"budget left"};
    g_string_append (b, "<div class=\"fig\">");
    chart_bars (b, "c-budget", "Error budget left per policy and SLO (%)", (const char *const *) labels, (size_t) n,
                left, segs, 1, (const char *const *) texts);
    g_string_append_len (b, t->str, (gssize) t->len);
    g_string_append (b, "</div></section>");
    g_string_free (t, TRUE);
    for (int i = 0; i < n; i++)
        g_free (labels[i]), g_free (texts[i]);
    free (labels), free (texts), free (left), free (v);
}
