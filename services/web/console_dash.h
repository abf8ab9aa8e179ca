/*  console_dash.h: the team lead dashboard of the agent console,
    GET /agent/dashboard (console_dash.c, its panels console_dash_panels.c),
    and the server-drawn SVG charts it shows (console_chart.c). */
#ifndef WEB_CONSOLE_DASH_H_INCLUDED
#define WEB_CONSOLE_DASH_H_INCLUDED
#include "console.h"
#include <stdbool.h>

//  GET /agent/dashboard for a signed-in session of agent or above
//  (console.c checked that): leads and admins see it, an agent gets 403.
void console_dash (http_req_t *req, const web_session_t *s);

//  What the panels share: the request, the teams in scope (the filter)
//  and the time the page is made at.
typedef struct {
    http_req_t *req;
    const web_auth_t *who;
    const char **teams;  //  the teams shown (borrowed from the configuration)
    size_t nteams;
    const char *slo;     //  the SLO of the attainment charts
    int64_t now;
} dash_t;

//  The panels (console_dash_panels.c), each a <section> with its heading,
//  its chart and its data table, or a sentence when Redis failed.
void dash_panel_attainment (GString *b, const dash_t *d);
void dash_panel_budget (GString *b, const dash_t *d);
void dash_panel_risk (GString *b, const dash_t *d);
void dash_panel_breached (GString *b, const dash_t *d);
void dash_panel_backlog (GString *b, const dash_t *d);
void dash_panel_coverage (GString *b, const dash_t *d);

//  --- Charts (console_chart.c) ------------------------------------------

//  One line of a line chart: label, and one value in [0, 1] per x (NAN:
//  none, a gap in the line).
typedef struct {
    const char *label;
    const double *v;
} chart_series_t;

//  A line chart of shares (0 to 100%) over the categories x, one line per
//  series: id (unique in the page; [a-z0-9-]) names the <svg>, title its
//  <title>.
void chart_lines (GString *b, const char *id, const char *title, const char *const *x, size_t nx,
                  const chart_series_t *s, size_t ns);
//  Horizontal bars, one per label, each of nseg stacked segments (v holds
//  n rows of nseg values; negative values draw as 0), segment kinds named
//  in a legend; texts (or NULL: the row's sum) is written after each bar.
void chart_bars (GString *b, const char *id, const char *title, const char *const *labels, size_t n,
                 const double *v, const char *const *segs, size_t nseg, const char *const *texts);
#endif
