/*  console_dash: the team lead dashboard, GET /agent/dashboard (issue 11).

    Leads and admins only (an agent gets a 403 page saying so). Query:
    team= (a configured team, or "all"; default: the lead's own teams when
    its identity is an agent in teams, else every team) and slo=
    (first_response, next_reply, resolution: the SLO the attainment charts
    show; default resolution). The panels are console_dash_panels.c; what
    each reads, and why it never reads every ticket where an index or a
    counter answers, is said there and in services/web/README.md. */
#include "console_dash.h"
#include "opd_log.h"
#include "opd_util.h"
#include <stdlib.h>
#include <string.h>

static const char s_dash_css[]
    = ".panels{display:grid;grid-template-columns:1fr;gap:1.2rem}"
      ".panel{border:1px solid #ccd;padding:.6rem 1rem}.panel .fig{display:flex;flex-wrap:wrap;gap:1rem;"
      "align-items:flex-start}.panel svg{max-width:100%;height:auto}.panel table{width:auto;font-size:.9rem}"
      ".panel caption{text-align:left;font-weight:600;padding:.3rem 0}.num{text-align:right}"
      ".alert{color:var(--err-fg,#7a1010);font-weight:600}"
      //  Text in the charts takes the page's colour, so that it reads in either theme.
      ".panel svg{color:var(--fg,#1d2733)}.panel svg text:not([fill]){fill:currentColor}"
      ".panel{border-color:var(--line,#ccd)}";

//  The teams shown: the one asked for, every team for "all" (or for a
//  lead whose identity is in no team), else the lead's own.
static size_t
s_scope (const opd_config_t *cfg, const web_auth_t *who, const char *team, const char **out)
{
    if (team && *team && strcmp (team, "all")) {
        out[0] = team;
        return 1;
    }
    const opd_agent_t *a = opd_config_agent (cfg, who->identity);
    if ((!team || !*team) && a && a->nteams) {
        for (size_t i = 0; i < a->nteams; i++)
            out[i] = a->teams[i];
        return a->nteams;
    }
    for (size_t i = 0; i < cfg->nteams; i++)
        out[i] = cfg->teams[i].id;
    return cfg->nteams;
}

static void
s_option (GString *b, const char *value, const char *label, const char *chosen)
{
    g_string_append (b, "<option value=\"");
    portal_esc (b, value);
    g_string_append (b, chosen && !strcmp (chosen, value) ? "\" selected>" : "\">");
    portal_esc (b, label);
    g_string_append (b, "</option>");
}

//  The filter form: team and SLO, by GET.
static void
s_filters (GString *b, const opd_config_t *cfg, const char *team, const char *slo)
{
    g_string_append (b, "<form method=\"get\" action=\"/agent/dashboard\" class=\"filters\" id=\"dash-filters\">"
                        "<div><label for=\"d-team\">Team</label><select id=\"d-team\" name=\"team\">");
    s_option (b, "", "my teams", team ? team : "");
    s_option (b, "all", "all teams", team);
    for (size_t i = 0; i < cfg->nteams; i++)
        s_option (b, cfg->teams[i].id, cfg->teams[i].name ? cfg->teams[i].name : cfg->teams[i].id, team);
    g_string_append (b, "</select></div><div><label for=\"d-slo\">SLO</label><select id=\"d-slo\" name=\"slo\">");
    s_option (b, "first_response", "first response", slo);
    s_option (b, "next_reply", "next reply", slo);
    s_option (b, "resolution", "resolution", slo);
    g_string_append (b, "</select></div><div><button type=\"submit\">Show</button></div></form>");
}

//  NULL, or the sentence saying which argument is wrong.
static const char *
s_args (http_req_t *req, const char **team, const char **slo)
{
    *team = http_arg (req, "team");
    *slo = http_arg (req, "slo");
    if (*team && *team[0] && strcmp (*team, "all") && !opd_config_team (req->cfg, *team))
        return "There is no such team.";
    if (!*slo || !**slo)
        *slo = "resolution";
    if (strcmp (*slo, "first_response") && strcmp (*slo, "next_reply") && strcmp (*slo, "resolution"))
        return "The SLO must be first_response, next_reply or resolution.";
    return NULL;
}

void
console_dash (http_req_t *req, const web_session_t *s)
{
    const web_auth_t *who = &s->who;
    if (who->role < OPD_ROLE_LEAD) {
        portal_message_page (req, 403, "Team leads only", who,
                             "The dashboard is for team leads and admins. Your queue is at /agent.");
        return;
    }
    const char *team, *slo, *bad = s_args (req, &team, &slo);
    if (bad) {
        portal_message_page (req, 400, "Bad filter", who, bad);
        return;
    }
    dash_t d = {.req = req, .who = who, .slo = slo, .now = opd_now_ms ()};
    d.teams = opd_calloc (req->cfg->nteams + 1, sizeof (char *));
    d.nteams = s_scope (req->cfg, who, team, d.teams);
    GString *b = g_string_new ("<h1>Team lead dashboard</h1><p class=\"muted\" id=\"scope\">Teams: ");
    for (size_t i = 0; i < d.nteams; i++) {
        const opd_team_t *t = opd_config_team (req->cfg, d.teams[i]);
        g_string_append (b, i ? ", " : "");
        portal_esc (b, t && t->name ? t->name : d.teams[i]);
    }
    g_string_append (b, ".</p>");
    s_filters (b, req->cfg, team, slo);
    g_string_append (b, "<div class=\"panels\">");
    dash_panel_risk (b, &d);
    dash_panel_breached (b, &d);
    dash_panel_attainment (b, &d);
    dash_panel_budget (b, &d);
    dash_panel_backlog (b, &d);
    dash_panel_coverage (b, &d);
    g_string_append (b, "</div>");
    free (d.teams);
    opd_info ("dashboard shown teams=%zu ms=%lld", d.nteams,
              (long long) (opd_now_ms () - d.now));
    gchar *css = g_strconcat (console_css, s_dash_css, NULL);
    portal_page_script (req, 200, "Dashboard", who, b, css, "/agent/console.js");
    g_free (css);
}
